"""`make bench`: page times as ratios to /healthz, query counts at two scales, catalog load
against `loaddata`, the recommender's growth, a load test, and a PASS/FAIL line per budget.

Runs against a throwaway test database (never your db.sqlite3): SQLite by default,
PostgreSQL when DATABASE_URL points there. Ratios, not absolute claims: the machine's
speed cancels out when a page is compared with /healthz measured in the same run.

    python -m tests.bench [--resources 5000] [--edges 12000] [--learners 2000]
                           [--rows 200000] [--members 500] [--repeat 100] [--load-seconds 30]

The bench is a command, not a test: nothing in the test suite asserts a time.
"""

import argparse
import contextlib
import itertools
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

STAGES = ["programming", "projects", "math", "deep-learning"]
PILLARS = ["foundations", "linear-algebra", "probability", "calculus", "optimization"]
KINDS = ["video", "video_series", "course", "book", "article", "interactive", "lecture_series", "project"]
LEVELS = ["beginner", "intermediate", "advanced"]


# --- synthetic data ------------------------------------------------------------------------


def synthetic_resources(resources: int, edges: int, seed: int = 7) -> list[dict]:
    """A valid catalog's resources: four stages in order, a prerequisite DAG of `edges` edges.

    Prerequisites point to lower numbers, which sit in the same or an earlier stage, so
    there is never a cycle and the stage order never contradicts the graph.
    """
    rng = random.Random(seed)
    per_stage = max(1, resources // len(STAGES))
    rows = []
    for i in range(resources):
        stage = min(i // per_stage, len(STAGES) - 1)
        rows.append(
            {
                "slug": f"r-{i}",
                "title": f"Synthetic resource {i}",
                "url": f"https://example.com/r/{i}",
                "creator": f"Creator {i % 97}",
                "kind": KINDS[i % len(KINDS)],
                "level": LEVELS[i % 3],
                "cost": "free" if i % 3 else "paid",
                "hours": 1 + i % 40,
                "stage": STAGES[stage],
                "pillar": PILLARS[i % 5] if stage == 2 else None,
                "topics": sorted({f"topic-{rng.randrange(60)}" for _ in range(3)}),
                "sources": sorted({f"source-{rng.randrange(4)}" for _ in range(rng.randrange(1, 4))}),
                "prerequisites": set(),
            }
        )
    # Spread the edges evenly, then top up at random until the count is exact.
    wanted = min(edges, resources * (resources - 1) // 2)
    placed = 0
    while placed < wanted:
        i = rng.randrange(1, resources)
        dep = f"r-{rng.randrange(i)}"
        if dep not in rows[i]["prerequisites"]:
            rows[i]["prerequisites"].add(dep)
            placed += 1
    for row in rows:
        row["prerequisites"] = sorted(row["prerequisites"], key=lambda s: int(s[2:]))
    return rows


def synthetic_yaml(resources: int, edges: int | None = None, seed: int = 7) -> str:
    """The same catalog as YAML, in the format of fixtures/."""
    edges = round(resources * 2.4) if edges is None else edges
    lines = ["sources:"]
    lines += [f"  - {{slug: source-{i}, title: Source {i}}}" for i in range(4)]
    lines.append("stages:")
    lines += [f"  - {{slug: {s}, name: {s.title()}, position: {i}}}" for i, s in enumerate(STAGES)]
    lines.append("pillars:")
    lines += [f"  - {{slug: {p}, name: {p.title()}, position: {i}}}" for i, p in enumerate(PILLARS)]
    lines.append("topics:")
    lines += [f"  - {{slug: topic-{i}, name: Topic {i}, pillar: {PILLARS[i % 5]}}}" for i in range(60)]
    lines.append("resources:")
    for row in synthetic_resources(resources, edges, seed):
        lines += [
            f"  - slug: {row['slug']}",
            f"    title: {row['title']}",
            f"    url: {row['url']}",
            f"    creator: {row['creator']}",
            f"    kind: {row['kind']}",
            f"    level: {row['level']}",
            f"    cost: {row['cost']}",
            f"    hours: {row['hours']}",
            f"    stage: {row['stage']}",
            f"    pillar: {row['pillar'] or 'null'}",
            f"    topics: [{', '.join(row['topics'])}]",
            f"    sources: [{', '.join(row['sources'])}]",
            f"    prerequisites: [{', '.join(row['prerequisites'])}]",
            f"    summary: Synthetic resource number {row['slug'][2:]}, generated for the benchmark.",
        ]
    return "\n".join(lines) + "\n"


def synthetic_items(resources: int, edges: int):
    """The same catalog as the recommender sees it, without a database."""
    from mlpath.progress.index import Item

    return tuple(
        Item(
            slug=row["slug"],
            title=row["title"],
            creator=row["creator"],
            url=row["url"],
            stage=row["stage"],
            pillar=row["pillar"],
            level=row["level"],
            hours=float(row["hours"]),
            sources=len(row["sources"]),
            requires=tuple(row["prerequisites"]),
        )
        for row in synthetic_resources(resources, edges)
    )


def _path_order_ids() -> list[int]:
    from catalog.models import Resource

    return list(Resource.objects.active().order_by("stage__position", "id").values_list("id", flat=True))


def make_learners(count: int, rows: int) -> list:
    """`count` learners with `rows` progress rows between them, each a little further along
    the path than the last: mostly done, a few in progress or skipped, one history row each."""
    from django.contrib.auth.models import User

    from mlpath.progress.models import Progress, StatusChange

    users = User.objects.bulk_create(
        (User(username=f"bench-{i}", password="!") for i in range(count)), batch_size=2000
    )
    ids = _path_order_ids()
    per_user = rows // count if count else 0
    extra = rows - per_user * count
    progress, history = [], []
    for n, user in enumerate(users):
        take = min(len(ids), per_user + (1 if n < extra else 0))
        start = (n * 7) % max(1, len(ids) - take + 1) if n % 3 == 0 else 0
        for k, pk in enumerate(ids[start : start + take]):
            status = "in_progress" if k == take - 1 else ("skipped" if k % 17 == 5 else "done")
            progress.append(Progress(user=user, resource_id=pk, status=status))
            history.append(
                StatusChange(user=user, resource_id=pk, from_status="not_started", to_status=status)
            )
        if len(progress) >= 20000:
            Progress.objects.bulk_create(progress, batch_size=5000)
            StatusChange.objects.bulk_create(history, batch_size=5000)
            progress, history = [], []
    Progress.objects.bulk_create(progress, batch_size=5000)
    StatusChange.objects.bulk_create(history, batch_size=5000)
    return users


def make_group(organizer, members: list):
    from mlpath.groups.models import Membership, StudyGroup

    group = StudyGroup.objects.create(name="Bench group", slug="bench-group", created_by=organizer)
    Membership.objects.create(group=group, user=organizer, role="organizer")
    Membership.objects.bulk_create((Membership(group=group, user=user) for user in members), batch_size=2000)
    return group


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Timing:
    median: float
    p95: float
    queries: int
    ratio: float = 1.0  # to /healthz: the median of the rounds' ratios (see time_page)


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


_distinct = itertools.count()


def _request(client, path, headers, post):
    # Every request has a query string of its own, so no cache keyed on the URL (a proxy's,
    # or one of ours) can answer a repeat: what is timed is the work a new request costs.
    path = f"{path}{'&' if '?' in path else '?'}bench={next(_distinct)}"
    if post is None:
        return client.get(path, headers=headers or {})
    # Encoded as htmx sends a form (urlencoded), not as the test client's default multipart.
    return client.post(
        path, urlencode(next(post)), content_type="application/x-www-form-urlencoded", headers=headers or {}
    )


# Requests per side of a round. Machines like the CI's change speed by half again within
# seconds (a shared core), so one /healthz figure taken before the pages can flatter or
# damn every ratio; a page timed in short rounds against /healthz, each round a ratio of
# its own, is compared with /healthz at the speed it ran at.
ROUND = 5


def _timed(client, path, headers, post) -> float:
    start = time.perf_counter()
    response = _request(client, path, headers, post)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"bench: {path} answered {response.status_code}")
    return elapsed


def time_page(client, path, repeat, headers=None, post=None, baseline=None) -> Timing:
    """Median and p95 of `repeat` requests, and, given `baseline` (a client for /healthz),
    the median ratio of rounds of ROUND requests to as many /healthz ones between them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm the caches and the connection, as a running server would be
        _request(client, path, headers, post)
    samples, ratios = [], []
    for _ in range(max(1, repeat // ROUND)):
        page = [_timed(client, path, headers, post) for _ in range(ROUND)]
        samples += page
        if baseline is not None:
            healthz = [_timed(baseline, "/healthz", None, None) for _ in range(ROUND)]
            ratios.append(statistics.median(page) / statistics.median(healthz))
    with CaptureQueriesContext(connection) as captured:
        _request(client, path, headers, post)
    ratio = statistics.median(ratios) if ratios else 1.0
    return Timing(statistics.median(samples), _percentile(samples, 0.95), len(captured), ratio)


def learner_pages(detail_slug: str, status_slug: str):
    """(label, path, headers, POST data cycle or None, who, budget as a ratio to /healthz)."""
    toggle = itertools.cycle([{"status": "in_progress"}, {"status": "not_started"}])
    htmx = {"HX-Request": "true", "HX-Target": "next-resource"}
    return [
        ("/path/", "/path/", None, None, "learner", 20),
        ("/catalog/", "/catalog/", None, None, "learner", 60),
        ("/catalog/<slug>/", f"/catalog/{detail_slug}/", None, None, "learner", 30),
        ("status POST (htmx)", f"/path/progress/{status_slug}/", htmx, toggle, "learner", 20),
        ("organizer dashboard", "/groups/bench-group/dashboard/", None, None, "learner", 40),
    ]


def measure_pages(learner, repeat: int, detail_slug: str) -> dict[str, Timing]:
    from django.test import Client

    from mlpath.progress.path import path_for_user

    anonymous, signed_in = Client(), Client()
    signed_in.force_login(learner)
    # The status POST flips a resource the learner can start now, as a real click would.
    status_slug = path_for_user(learner)[3].next.item.slug
    results = {"/healthz": time_page(anonymous, "/healthz", repeat)}
    for label, path, headers, post, _who, _budget in learner_pages(detail_slug, status_slug):
        results[label] = time_page(signed_in, path, repeat, headers, post, baseline=anonymous)
    return results


def time_call(function, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def recommender_growth(small: int, large: int, edges_per_resource: float, repeat: int) -> dict[int, float]:
    """Median ms of one learner's path (40% done), as `/path/` computes it, at two sizes."""
    from mlpath.progress.index import Learner, PathIndex
    from mlpath.progress.ranking import build_path

    out = {}
    for size in (small, large):
        items = synthetic_items(size, round(size * edges_per_resource))
        index = PathIndex.of(items, stages=STAGES, pillars=PILLARS)
        done = {item.slug: "done" for item in items[: int(size * 0.4)]}
        learner = Learner(statuses=done, stage_order=(), known_stages=frozenset())
        out[size] = time_call(lambda i=index, lr=learner: build_path(i, lr), repeat)
    return out


def catalog_load(yaml_text: str, attempts: int = 2) -> dict[str, float]:
    """Seconds for load_catalog (first load, unchanged reload) and for loaddata of the same
    rows. Each side runs `attempts` times, taking turns, and keeps its fastest: one run of
    each took from 3.6 to 5.3 s on the same machine, as its speed changed under it."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    firsts, loaddatas = [], []
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "catalog.yaml"
        source.write_text(yaml_text, encoding="utf-8")
        dump = Path(folder) / "catalog.json"
        for attempt in range(attempts):
            _empty_catalog()
            start = time.perf_counter()
            call_command("load_catalog", str(source), stdout=out)
            firsts.append(time.perf_counter() - start)
            if attempt == 0:
                start = time.perf_counter()
                call_command("load_catalog", str(source), stdout=out)
                reload = time.perf_counter() - start
                exclude = ["--exclude", "catalog.catalogrevision"]
                call_command("dumpdata", "catalog", *exclude, output=str(dump), stdout=out)
            _empty_catalog()
            # Django's loaddata as it comes: our revision signals would add a query per row
            # and flatter our loader, so they are off while it runs.
            with _revision_signals_off():
                start = time.perf_counter()
                call_command("loaddata", str(dump), stdout=out)
                loaddatas.append(time.perf_counter() - start)
        _empty_catalog()
        call_command("load_catalog", str(source), stdout=out)
    return {"first": min(firsts), "reload": reload, "loaddata": min(loaddatas)}


@contextlib.contextmanager
def _revision_signals_off():
    from catalog import signals

    signals.disconnect()
    try:
        yield
    finally:
        signals.connect()


def _empty_catalog() -> None:
    from django.apps import apps

    from catalog.models import Prerequisite

    Prerequisite.objects.all().delete()
    for name in ("Resource", "Topic", "Pillar", "Stage", "Source", "CatalogRevision"):
        try:
            apps.get_model("catalog", name).objects.all().delete()
        except LookupError:
            continue


# --- report --------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(args, sizes, shipped, scaled, load, growth, load_test) -> bool:
    print(
        f"\nData: {sizes['resources']} resources, {sizes['edges']} prerequisite edges, "
        f"{sizes['learners']} learners, {sizes['rows']} progress rows, a group of {args.members} members."
    )
    print(
        f"Shipped catalog: {sizes['shipped_resources']} resources, {sizes['shipped_edges']} edges "
        f"(group of {sizes['shipped_members']} members)."
    )
    print(
        f"{args.repeat} requests per page, in-process (Django test client), server time in ms; "
        f"x healthz is the median ratio of rounds of {ROUND} requests to {ROUND} of /healthz.\n"
    )
    header = (
        f"{'page':<24}{'median':>9}{'p95':>9}{'x healthz':>11}{'budget':>8}"
        f"{'queries shipped':>17}{'queries bench':>15}"
    )
    print(header)
    print("-" * len(header))
    budget_of = {label: budget for label, *_rest, budget in learner_pages("x", "y")}
    passes = []
    for label, timing in scaled.items():
        ratio = timing.ratio
        budget = budget_of.get(label)
        mark = f"{budget:>6.0f}x" if budget else f"{'':>7}"
        print(
            f"{label:<24}{timing.median:>9.2f}{timing.p95:>9.2f}{ratio:>10.1f}x {mark}"
            f"{shipped[label].queries:>17}{timing.queries:>15}"
        )
    print()
    for label, timing in scaled.items():
        budget = budget_of.get(label)
        if budget:
            ratio = timing.ratio
            ok = ratio <= budget
            passes.append(ok)
            print(f"{_verdict(ok)}  {label}: {ratio:.1f}x /healthz (budget {budget:.0f}x)")
    same = [label for label in scaled if scaled[label].queries == shipped[label].queries]
    grows = [label for label in scaled if label not in same]
    passes.append(not grows)
    print(
        f"{_verdict(not grows)}  query counts constant across the two scales"
        + (f" (grows: {', '.join(grows)})" if grows else f" ({len(same)} pages)")
    )
    ratio = load["first"] / load["loaddata"]
    passes.append(ratio <= 0.5)
    print(
        f"{_verdict(ratio <= 0.5)}  load_catalog {load['first']:.2f} s vs loaddata {load['loaddata']:.2f} s"
        f" of the same rows, fastest of two each: {ratio:.2f}x (budget 0.5x)"
    )
    ratio = load["reload"] / load["first"]
    passes.append(ratio <= 0.2)
    print(
        f"{_verdict(ratio <= 0.2)}  unchanged reload {load['reload']:.3f} s vs first load: "
        f"{ratio:.3f}x (budget 0.2x)"
    )
    small, large = sorted(growth)
    ratio = growth[large] / growth[small]
    passes.append(ratio <= 12)
    print(
        f"{_verdict(ratio <= 12)}  recommender {small} -> {large} resources: "
        f"{growth[small]:.2f} ms -> {growth[large]:.2f} ms, {ratio:.1f}x (budget 12x)"
    )
    if load_test is not None:
        print(
            f"\nLoad test: gunicorn, 2 workers, {load_test['users']} users, {load_test['seconds']} s per run."
        )
        print(f"{'run (ms)':<34}{'req/s':>9}{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>8}")
        labels = {"mix": "learners (80% views, 20% POSTs)", "healthz": "/healthz alone"}
        for name, label in labels.items():
            run = load_test[name]
            print(
                f"{label:<34}{run['req_s']:>9.0f}{run['p50']:>8.0f}{run['p95']:>8.0f}"
                f"{run['p99']:>8.0f}{run['errors']:>8}"
            )
        for failure in (load_test["mix"]["failures"] + load_test["healthz"]["failures"])[:5]:
            print(f"  failure: {failure}")
        for line in load_test["server_problems"][:5]:
            print(f"  server log: {line}")
        errors = (
            load_test["mix"]["errors"] + load_test["healthz"]["errors"] + len(load_test["server_problems"])
        )
        passes.append(errors == 0)
        print(f"\n{_verdict(errors == 0)}  load test: {errors} errors (budget 0)")
    else:
        print("\n(load test skipped: --load-seconds 0)")
    print(f"\n{sum(passes)} of {len(passes)} budgets pass.")
    return all(passes)


def _database_url() -> str:
    """The bench's own throwaway database, as a URL for the gunicorn servers."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def run(args) -> bool:
    from django.core.management import call_command

    from catalog.models import Prerequisite, Resource

    sizes = {}
    # 1. The shipped catalog, a learner and a small group: the "shipped" query counts.
    call_command("load_catalog", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    sizes["shipped_resources"] = Resource.objects.active().count()
    sizes["shipped_edges"] = Prerequisite.objects.count()
    crowd = make_learners(6, 6 * max(1, args.rows // max(1, args.learners)))
    learner, members = crowd[-1], crowd[:5]
    sizes["shipped_members"] = len(members)
    make_group(learner, members)
    shipped = measure_pages(learner, max(5, args.repeat // 5), "mml-book")
    call_command("flush", interactive=False, verbosity=0)

    # 2. The catalog at bench scale: load_catalog against loaddata of the same rows.
    print(f"Generating {args.resources} resources and {args.edges} edges ...", flush=True)
    load = catalog_load(synthetic_yaml(args.resources, args.edges))
    sizes["resources"] = Resource.objects.active().count()
    sizes["edges"] = Prerequisite.objects.count()

    # 3. Learners, their progress and the group, then the pages at bench scale.
    print(f"Generating {args.learners} learners and {args.rows} progress rows ...", flush=True)
    crowd = make_learners(args.learners, args.rows)
    sizes["learners"], sizes["rows"] = len(crowd), args.rows
    # The timed learner is one of the crowd, with the average number of progress rows,
    # and organizes the group (of which they are not one of the members).
    learner = crowd[-1]
    make_group(learner, crowd[: args.members])
    print("Timing pages ...", flush=True)
    scaled = measure_pages(learner, args.repeat, f"r-{args.resources // 2}")

    # 4. The recommender alone, at a tenth of the size and at full size.
    growth = recommender_growth(
        args.resources // 10, args.resources, args.edges / args.resources, max(10, args.repeat // 2)
    )

    # 5. Real servers under load, on this same database.
    load_test = None
    if args.load_seconds:
        from tests.bench import loadtest

        print(f"Load test: 2 x {args.load_seconds} s ...", flush=True)
        result = loadtest.run(_database_url(), seconds=args.load_seconds, users=args.load_users)
        load_test = {"users": args.load_users, "seconds": args.load_seconds, **result}
    return report(args, sizes, shipped, scaled, load, growth, load_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--edges", type=int, default=12000)
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--load-seconds", type=int, default=30, help="0 skips the load test")
    parser.add_argument("--load-users", type=int, default=16)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlpath.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DEBUG = False  # measure what production runs: no query log, no debug pages
    # Not setup_test_environment(): it wraps every template render in a signal that the
    # test client answers by copying the context, which costs template-heavy pages several
    # times what production pays. The test client only needs its host allowed.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        ok = run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
