"""`make bench`: server time per page against /healthz, query counts, and catalog load time.

Runs in-process against a throwaway test database (never your db.sqlite3), at the shipped
catalog's size and at a synthetic size. Prints ratios, not absolute claims: the machine's
speed cancels out when a page is compared with /healthz measured in the same run.

    python -m mlpath.bench [--resources 1000] [--repeat 60]
"""

import argparse
import itertools
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


def _request(client, path, headers=None, post=None):
    if post is None:
        return client.get(path, headers=headers or {})
    return client.post(path, next(post), headers=headers or {})


def _time(client, path, repeat, headers=None, post=None) -> tuple[float, float]:
    for _ in range(3):  # warm caches and connections
        _request(client, path, headers, post)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = _request(client, path, headers, post)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def _queries(client, path, headers=None, post=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _request(client, path, headers, post)
    return len(captured)


def _pages(slug, learner_slug):
    """(label, path, headers, POST data or None, who): `who` is "anon" or "learner"."""
    toggle = itertools.cycle([{"status": "done"}, {"status": "in_progress"}])
    htmx_path = {"HX-Request": "true", "HX-Target": "next-resource"}
    return [
        ("/catalog/", "/catalog/", None, None, "anon"),
        ("/catalog/ (filtered)", "/catalog/?q=a&pillar=probability&free=on", None, None, "anon"),
        ("/catalog/ (htmx fragment)", "/catalog/?stage=math", {"HX-Request": "true"}, None, "anon"),
        ("/catalog/<slug>/", f"/catalog/{slug}/", None, None, "anon"),
        ("/", "/", None, None, "anon"),
        ("/path/", "/path/", None, None, "learner"),
        ("status POST (htmx)", f"/path/progress/{learner_slug}/", htmx_path, toggle, "learner"),
        ("dashboard, 500 members", "/groups/bench-group/dashboard/", None, None, "organizer"),
        ("dashboard CSV", "/groups/bench-group/dashboard.csv", None, None, "organizer"),
    ]


def _learner_with_progress(share: float):
    """One learner who has finished the first `share` of the catalog, in path order."""
    from django.contrib.auth.models import User

    from catalog.models import Resource
    from mlpath.progress.models import Progress

    user, _ = User.objects.get_or_create(username="bench-learner")
    Progress.objects.filter(user=user).delete()
    resources = list(Resource.objects.active().order_by("stage__position", "id").only("id"))
    done = resources[: int(len(resources) * share)]
    Progress.objects.bulk_create(Progress(user=user, resource=resource, status="done") for resource in done)
    return user


def _group_of(members: int, organizer):
    """A study group of `members` learners, each somewhere between 0% and 60% of the way."""
    from django.contrib.auth.models import User

    from catalog.models import Resource
    from mlpath.groups.models import Membership, StudyGroup
    from mlpath.progress.models import Progress, StatusChange

    StudyGroup.objects.filter(slug="bench-group").delete()
    User.objects.filter(username__startswith="bench-member-").delete()
    group = StudyGroup.objects.create(name="Bench group", slug="bench-group", created_by=organizer)
    Membership.objects.create(group=group, user=organizer, role="organizer")
    users = User.objects.bulk_create(User(username=f"bench-member-{i}", password="!") for i in range(members))
    Membership.objects.bulk_create(Membership(group=group, user=user) for user in users)
    ids = list(Resource.objects.active().order_by("stage__position", "id").values_list("id", flat=True))
    rows, changes = [], []
    for i, user in enumerate(users):
        done = ids[: int(len(ids) * (i % 7) / 10)]
        rows += [Progress(user=user, resource_id=pk, status="done") for pk in done]
        changes += [
            StatusChange(user=user, resource_id=pk, from_status="not_started", to_status="done")
            for pk in done[-1:]
        ]
    Progress.objects.bulk_create(rows, batch_size=5000)
    StatusChange.objects.bulk_create(changes, batch_size=5000)
    return group


def _measure(repeat, slug) -> dict:
    from django.test import Client

    anon, learner, organizer = Client(), Client(), Client()
    user = _learner_with_progress(0.4)
    learner.force_login(user)
    _group_of(500, user)
    organizer.force_login(user)
    from mlpath.progress.path import path_for_user

    target = path_for_user(user)[3].next.item.slug
    clients = {"anon": anon, "learner": learner, "organizer": organizer}
    measured = {"/healthz": (*_time(anon, "/healthz", repeat), _queries(anon, "/healthz"))}
    for label, path, headers, post, who in _pages(slug, target):
        client = clients[who]
        measured[label] = (*_time(client, path, repeat, headers, post), _queries(client, path, headers, post))
    return measured


def run(resources: int, repeat: int) -> None:
    from io import StringIO

    from django.core.management import call_command

    from catalog.models import Prerequisite, Resource

    rows = {}
    out = StringIO()

    call_command("load_catalog", stdout=out)
    rows["shipped"] = {
        "resources": Resource.objects.count(),
        "edges": Prerequisite.objects.count(),
        "slug": "mml-book",
    }
    measured = {"shipped": {}, "synthetic": {}}
    measured["shipped"] = _measure(repeat, "mml-book")

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
    measured["synthetic"] = _measure(repeat, deep)

    shipped, synthetic = rows["shipped"], rows["synthetic"]
    print(
        f"\nCatalog sizes: shipped {shipped['resources']} resources / {shipped['edges']} edges; "
        f"synthetic {synthetic['resources']} resources / {synthetic['edges']} edges."
    )
    print(f"{repeat} requests per page, in-process (Django test client), server time in ms.")
    print("The learner pages use a learner who has finished the first 40% of the catalog;")
    print("the dashboard, a group of 500 members (plus that learner as organizer) between 0% and 60%.\n")
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
