"""`make bench`: server time per page against /healthz, query counts, and catalog load time.

Runs in-process against a throwaway test database (never your db.sqlite3), at the shipped
catalog's size and at a synthetic size. Prints ratios, not absolute claims: the machine's
speed cancels out when a page is compared with /healthz measured in the same run.

    python -m mlpath.bench [--resources 1000] [--repeat 60]
"""

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path


def synthetic_yaml(resources: int, edges_per_resource: float = 2.4, seed: int = 7) -> str:
    """A valid catalog of any size: four stages, five pillars, 60 topics, a prerequisite DAG."""
    rng = random.Random(seed)
    stages = ["programming", "projects", "math", "deep-learning"]
    pillars = ["foundations", "linear-algebra", "probability", "calculus", "optimization"]
    kinds = ["video", "video_series", "course", "book", "article", "interactive", "lecture_series", "project"]
    lines = ["sources:"]
    lines += [f"  - {{slug: source-{i}, title: Source {i}}}" for i in range(4)]
    lines.append("stages:")
    lines += [f"  - {{slug: {s}, name: {s.title()}, position: {i}}}" for i, s in enumerate(stages)]
    lines.append("pillars:")
    lines += [f"  - {{slug: {p}, name: {p.title()}, position: {i}}}" for i, p in enumerate(pillars)]
    lines.append("topics:")
    lines += [f"  - {{slug: topic-{i}, name: Topic {i}, pillar: {pillars[i % 5]}}}" for i in range(60)]
    lines.append("resources:")
    per_stage = max(1, resources // len(stages))
    for i in range(resources):
        stage = min(i // per_stage, len(stages) - 1)
        # Prerequisites point to lower numbers, which are in the same or an earlier stage.
        wanted = int(edges_per_resource) + (rng.random() < edges_per_resource % 1)
        prereqs = sorted({f"r-{rng.randrange(i)}" for _ in range(wanted)}) if i else []
        topics = sorted({f"topic-{rng.randrange(60)}" for _ in range(3)})
        sources = sorted({f"source-{rng.randrange(4)}" for _ in range(rng.randrange(1, 4))})
        lines += [
            f"  - slug: r-{i}",
            f"    title: Synthetic resource {i}",
            f"    url: https://example.com/r/{i}",
            f"    creator: Creator {i % 97}",
            f"    kind: {kinds[i % len(kinds)]}",
            f"    level: {['beginner', 'intermediate', 'advanced'][i % 3]}",
            f"    cost: {'free' if i % 3 else 'paid'}",
            f"    hours: {1 + i % 40}",
            f"    stage: {stages[stage]}",
            f"    pillar: {pillars[i % 5]}" if stage == 2 else "    pillar: null",
            f"    topics: [{', '.join(topics)}]",
            f"    sources: [{', '.join(sources)}]",
            f"    prerequisites: [{', '.join(prereqs)}]",
            f"    summary: Synthetic resource number {i}, generated for the benchmark.",
        ]
    return "\n".join(lines) + "\n"


def _time(client, path, repeat, headers=None) -> tuple[float, float]:
    for _ in range(3):  # warm caches and connections
        client.get(path, headers=headers or {})
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path, headers=headers or {})
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def _queries(client, path, headers=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path, headers=headers or {})
    return len(captured)


def _pages(slug):
    return [
        ("/catalog/", "/catalog/", None),
        ("/catalog/ (filtered)", "/catalog/?q=a&pillar=probability&free=on", None),
        ("/catalog/ (htmx fragment)", "/catalog/?stage=math", {"HX-Request": "true"}),
        ("/catalog/<slug>/", f"/catalog/{slug}/", None),
        ("/", "/", None),
    ]


def run(resources: int, repeat: int) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.test import Client

    from catalog.models import Prerequisite, Resource

    client = Client()
    rows = {}
    out = StringIO()

    call_command("load_catalog", stdout=out)
    rows["shipped"] = {
        "resources": Resource.objects.count(),
        "edges": Prerequisite.objects.count(),
        "slug": "mml-book",
    }
    measured = {"shipped": {}, "synthetic": {}}
    for label, path, headers in [("/healthz", "/healthz", None), *_pages("mml-book")]:
        measured["shipped"][label] = (*_time(client, path, repeat, headers), _queries(client, path, headers))

    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "catalog.yaml"
        big.write_text(synthetic_yaml(resources), encoding="utf-8")
        start = time.perf_counter()
        call_command("load_catalog", str(big), stdout=out)
        first_load = time.perf_counter() - start
        start = time.perf_counter()
        call_command("load_catalog", str(big), stdout=out)
        reload = time.perf_counter() - start
    deep = f"r-{resources - 1}"
    rows["synthetic"] = {
        "resources": Resource.objects.active().count(),
        "edges": Prerequisite.objects.count(),
        "slug": deep,
    }
    for label, path, headers in [("/healthz", "/healthz", None), *_pages(deep)]:
        measured["synthetic"][label] = (
            *_time(client, path, repeat, headers),
            _queries(client, path, headers),
        )

    shipped, synthetic = rows["shipped"], rows["synthetic"]
    print(
        f"\nCatalog sizes: shipped {shipped['resources']} resources / {shipped['edges']} edges; "
        f"synthetic {synthetic['resources']} resources / {synthetic['edges']} edges."
    )
    print(f"{repeat} requests per page, in-process (Django test client), server time in ms.\n")
    header = f"{'page':<28}{'size':>10}{'median':>9}{'p95':>9}{'x healthz':>11}{'queries':>9}"
    print(header)
    print("-" * len(header))
    for size in ("shipped", "synthetic"):
        base = measured[size]["/healthz"][0]
        for label, (median, p95, queries) in measured[size].items():
            ratio = median / base
            print(f"{label:<28}{size:>10}{median:>9.2f}{p95:>9.2f}{ratio:>10.1f}x{queries:>9}")
    print()
    for label in measured["shipped"]:
        a, b = measured["shipped"][label][2], measured["synthetic"][label][2]
        verdict = "constant" if a == b else "GROWS"
        print(f"queries {label:<28} shipped {a:>3}  synthetic {b:>3}  {verdict}")
    print(
        f"\nload_catalog, {resources} resources: first load {first_load:.2f} s, "
        f"unchanged reload {reload:.2f} s (ratio {reload / first_load:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlpath.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    settings.DEBUG = False  # measure what production runs: no query log, no debug pages
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.resources, args.repeat)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
