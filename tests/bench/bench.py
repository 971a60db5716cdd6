"""`make bench`: page times as ratios to /healthz, query counts at two scales, catalog load
against `loaddata`, the planner's growth, a load test, and a PASS/FAIL line per budget.

Runs against a throwaway test database (never your db.sqlite3): SQLite by default,
PostgreSQL when DATABASE_URL points there. Ratios, not absolute claims: the machine's
speed cancels out when a page is compared with /healthz measured in the same run.

    python -m tests.bench [--resources 5000] [--edges 12000] [--sections 20000] [--topics 1000]
                           [--topic-edges 3000] [--learners 2000] [--rows 200000] [--members 500]
                           [--repeat 100] [--load-seconds 30] [--load-users 16]

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


@dataclass
class Synthetic:
    """A valid synthetic catalog as plain rows: what the YAML says, before any database."""

    topics: list[dict]  # slug, name, pillar, requires
    resources: list[dict]  # the YAML's fields, hours in tenths (an int)
    sections: list[dict]  # the YAML's fields, hours in tenths (an int)

    @property
    def topic_edges(self) -> int:
        return sum(len(topic["requires"]) for topic in self.topics)


def _tenths(value: int) -> str:
    return f"{value // 10}.{value % 10}"


def synthetic_catalog(
    resources: int, edges: int, sections: int = 0, topics: int = 60, topic_edges: int = 0, seed: int = 7
) -> Synthetic:
    """A valid catalog: four stages in order, a prerequisite DAG of `edges` edges between
    resources, a requirement DAG of `topic_edges` edges between topics, and `sections`
    sections spread over about four in five resources.

    Prerequisites and requirements point to lower numbers, so there is never a cycle, and a
    resource's prerequisites sit in the same or an earlier stage. Resource i teaches topics
    near i * topics / resources (one pick in ten anywhere before), as a real path moves from basic
    topics to advanced ones: a learner who has done the first 40% of it has covered about the
    first 40% of the topics, not every topic by chance. A section teaches one to three topics
    and sometimes assumes one it does not teach; a resource's hours are its sections' sum,
    counted in tenths so that the sum is exact.
    """
    rng = random.Random(seed)
    if sections and not topics:
        raise SystemExit("bench: sections must teach a topic; give --topics 1 or more")
    spread = max(1, round(topics / 50))  # the same share of the topics at every size

    def near(center: int) -> int:
        if rng.random() < 0.1:  # something from earlier on the path
            return rng.randrange(min(topics, max(1, center + spread)))
        return min(topics - 1, max(0, center + rng.randint(-spread, spread)))

    def picks(center: int, low: int, high: int) -> list[str]:
        return sorted({f"topic-{near(center)}" for _ in range(rng.randint(low, high))}, key=_number)

    topic_rows = [
        {
            "slug": f"topic-{i}",
            "name": f"Topic {i}",
            "pillar": PILLARS[rng.randrange(len(PILLARS))] if rng.random() < 0.8 else None,
            "requires": set(),
        }
        for i in range(topics)
    ]
    # Mostly a few topics below, as "eigenvalues" rests on "determinants"; some anywhere below.
    wanted = min(topic_edges, topics * (topics - 1) // 2)
    placed = 0
    while placed < wanted:
        i = rng.randrange(1, topics)
        dep = i - 1 - rng.randrange(min(i, 2 * spread)) if rng.random() < 0.7 else rng.randrange(i)
        if dep not in topic_rows[i]["requires"]:
            topic_rows[i]["requires"].add(dep)
            placed += 1
    for row in topic_rows:
        row["requires"] = [f"topic-{dep}" for dep in sorted(row["requires"])]

    per_stage = max(1, resources // len(STAGES))
    rows = []
    for i in range(resources):
        stage = min(i // per_stage, len(STAGES) - 1)
        kind = KINDS[i % len(KINDS)]
        center = i * topics // resources
        taught = picks(center, 1, 3) if topics else []
        assumes = []
        if topics and (kind == "project" or rng.random() < 0.1):
            assumes = sorted({f"topic-{near(center - spread)}"} - set(taught), key=_number)
        rows.append(
            {
                "slug": f"r-{i}",
                "title": f"Synthetic resource {i}",
                "url": f"https://example.com/r/{i}",
                "creator": f"Creator {i % 97}",
                "kind": kind,
                "level": LEVELS[i % 3],
                "cost": "free" if i % 3 else "paid",
                "tenths": 10 * (1 + i % 40),
                "stage": STAGES[stage],
                "pillar": PILLARS[i % 5] if stage == 2 else None,
                "topics": taught,
                "assumes": assumes,
                "sources": sorted({f"source-{rng.randrange(4)}" for _ in range(rng.randrange(1, 4))}),
                "prerequisites": set(),
                "center": center,
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
        row["prerequisites"] = sorted(row["prerequisites"], key=_number)

    # About one resource in five has no sections; the others share the sections at random.
    having = [i for i in range(resources) if rng.random() >= 0.2] or list(range(resources))
    if sections < len(having):
        having = sorted(rng.sample(having, sections))
    counts = dict.fromkeys(having, 1)
    for _ in range(sections - len(having)):
        counts[rng.choice(having)] += 1
    section_rows = []
    for i in sorted(counts):
        row, count = rows[i], counts[i]
        # A resource's hours are at most 9,999.9: 99,999 tenths.
        most = max(1, min(40, 99_999 // count))
        if count > 99_999:
            raise SystemExit(f"bench: {count} sections for one resource cannot add up to 9,999.9 hours")
        total = 0
        for position in range(1, count + 1):
            taught = picks(row["center"], 1, 3)
            assumed = []
            if rng.random() < 0.25:
                assumed = sorted({f"topic-{near(row['center'] - spread)}"} - set(taught), key=_number)
            tenths = rng.randint(1, most)
            total += tenths
            section_rows.append(
                {
                    "slug": f"{row['slug']}-{position}",
                    "resource": row["slug"],
                    "position": position,
                    "title": f"Part {position} of synthetic resource {i}",
                    "tenths": tenths,
                    "url": f"https://example.com/r/{i}/{position}" if position % 2 else "",
                    "topics": taught,
                    "assumes": assumed,
                }
            )
        row["tenths"] = total
    return Synthetic(topic_rows, rows, section_rows)


def _number(slug: str) -> int:
    return int(slug.rsplit("-", 1)[1])


def synthetic_yaml(catalog: Synthetic) -> str:
    """The catalog as YAML, in the format of fixtures/."""
    lines = ["sources:"]
    lines += [f"  - {{slug: source-{i}, title: Source {i}}}" for i in range(4)]
    lines.append("stages:")
    lines += [f"  - {{slug: {s}, name: {s.title()}, position: {i}}}" for i, s in enumerate(STAGES)]
    lines.append("pillars:")
    lines += [f"  - {{slug: {p}, name: {p.title()}, position: {i}}}" for i, p in enumerate(PILLARS)]
    lines.append("topics:")
    for topic in catalog.topics:
        pillar = f", pillar: {topic['pillar']}" if topic["pillar"] else ""
        requires = f", requires: [{', '.join(topic['requires'])}]" if topic["requires"] else ""
        lines.append(f"  - {{slug: {topic['slug']}, name: {topic['name']}{pillar}{requires}}}")
    lines.append("resources:")
    for row in catalog.resources:
        lines += [
            f"  - slug: {row['slug']}",
            f"    title: {row['title']}",
            f"    url: {row['url']}",
            f"    creator: {row['creator']}",
            f"    kind: {row['kind']}",
            f"    level: {row['level']}",
            f"    cost: {row['cost']}",
            f"    hours: {_tenths(row['tenths'])}",
            f"    stage: {row['stage']}",
            f"    pillar: {row['pillar'] or 'null'}",
            f"    topics: [{', '.join(row['topics'])}]",
            f"    assumes: [{', '.join(row['assumes'])}]",
            f"    sources: [{', '.join(row['sources'])}]",
            f"    prerequisites: [{', '.join(row['prerequisites'])}]",
            f"    summary: Synthetic resource number {row['slug'][2:]}, generated for the benchmark.",
        ]
    lines.append("sections:")
    for row in catalog.sections:
        lines += [
            f"  - slug: {row['slug']}",
            f"    resource: {row['resource']}",
            f"    position: {row['position']}",
            f"    title: {row['title']}",
            f"    hours: {_tenths(row['tenths'])}",
            f"    topics: [{', '.join(row['topics'])}]",
        ]
        if row["url"]:
            lines.append(f"    url: {row['url']}")
        if row["assumes"]:
            lines.append(f"    assumes: [{', '.join(row['assumes'])}]")
    return "\n".join(lines) + "\n"


def plan_rows(catalog: Synthetic) -> dict:
    """The catalog as `path.load_plan_index` reads it from the database, without one: the
    keyword arguments of `PlanIndex.of`, ids numbered as a fresh load would number them."""
    level = {name: number for number, name in enumerate(LEVELS, start=1)}
    stage_position = {slug: position for position, slug in enumerate(STAGES)}
    resources = [
        {
            "id": number,
            "slug": row["slug"],
            "title": row["title"],
            "creator": row["creator"],
            "url": row["url"],
            "kind": row["kind"],
            "cost": row["cost"],
            "level": level[row["level"]],
            "hours": row["tenths"] / 10,
            "source_count": len(row["sources"]),
            "stage_slug": row["stage"],
            "pillar_slug": row["pillar"],
            "topics": row["topics"],
            "assumes": row["assumes"],
        }
        for number, row in enumerate(catalog.resources, start=1)
    ]
    resources.sort(key=lambda row: (stage_position[row["stage_slug"]], row["title"], row["id"]))
    sections = [
        {
            "id": number,
            "slug": row["slug"],
            "position": row["position"],
            "title": row["title"],
            "url": row["url"],
            "hours": row["tenths"] / 10,
            "resource_slug": row["resource"],
            "topics": row["topics"],
            "assumes": row["assumes"],
        }
        for number, row in enumerate(catalog.sections, start=1)
    ]
    topics = [
        {"slug": row["slug"], "name": row["name"], "pillar_slug": row["pillar"], "requires": row["requires"]}
        for row in sorted(catalog.topics, key=lambda row: row["slug"])
    ]
    return {
        "resources": resources,
        "sections": sections,
        "topics": topics,
        "stages": [(slug, slug.title()) for slug in STAGES],
        "pillars": [(slug, slug.title()) for slug in PILLARS],
    }


def _path_order_ids() -> list[int]:
    from catalog.models import Resource

    return list(Resource.objects.active().order_by("stage__position", "id").values_list("id", flat=True))


def make_learners(count: int, rows: int, prefix: str = "bench") -> list:
    """`count` learners with `rows` progress rows between them, each a little further along
    the path than the last: mostly done, a few in progress or skipped, one history row each."""
    from django.contrib.auth.models import User

    from mlpath.progress.models import Progress, StatusChange

    users = User.objects.bulk_create(
        (User(username=f"{prefix}-{i}", password="!") for i in range(count)), batch_size=2000
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


def give_section_progress(user, count: int) -> int:
    """`count` section progress rows (and their history) for one learner: the sections, in
    path order, of the resources after those they have marked, so the path reads statuses
    from both tables. Mostly done, some in progress, a few skipped. Returns how many."""
    from catalog.models import Section
    from mlpath.progress.models import Progress, SectionProgress, StatusChange

    marked = set(Progress.objects.filter(user=user).values_list("resource_id", flat=True))
    in_order = (
        Section.objects.active()
        .filter(resource__retired=False)
        .order_by("resource__stage__position", "resource_id", "position")
        .values_list("id", "resource_id")
    )
    chosen = [(pk, resource) for pk, resource in in_order if resource not in marked][:count]
    rows, history = [], []
    for k, (pk, resource) in enumerate(chosen):
        status = "in_progress" if k % 11 == 10 else ("skipped" if k % 29 == 7 else "done")
        rows.append(SectionProgress(user=user, section_id=pk, status=status))
        history.append(
            StatusChange(
                user=user, resource_id=resource, section_id=pk, from_status="not_started", to_status=status
            )
        )
    SectionProgress.objects.bulk_create(rows, batch_size=2000)
    StatusChange.objects.bulk_create(history, batch_size=2000)
    return len(rows)


def make_group(organizer, members: list):
    from mlpath.groups.models import Membership, StudyGroup

    group = StudyGroup.objects.create(name="Bench group", slug="bench-group", created_by=organizer)
    Membership.objects.create(group=group, user=organizer, role="organizer")
    Membership.objects.bulk_create((Membership(group=group, user=user) for user in members), batch_size=2000)
    add_milestones(group)
    return group


def add_milestones(group, weeks: int = 20, per_week: int = 3) -> None:
    """A schedule as "Study together" lays one out: `weeks` weekly milestones of `per_week`
    units each, along the catalog's units in order, the first four already past."""
    from datetime import timedelta

    from django.utils import timezone

    from mlpath.groups.models import GroupMilestone, StudyGroup
    from mlpath.progress.path import current_plan_index

    keys = list(current_plan_index()[1].units)[: weeks * per_week]
    start = timezone.localdate() - timedelta(days=28)
    GroupMilestone.objects.bulk_create(
        GroupMilestone(
            group=group,
            title=f"Week {week + 1}",
            due=start + timedelta(days=7 * week + 6),
            units=keys[week * per_week : (week + 1) * per_week],
        )
        for week in range(weeks)
    )
    StudyGroup.objects.filter(pk=group.pk).touch()


@dataclass
class DigestTiming:
    groups: int
    members: int
    cold_s: float  # no member's plan in the cache, as on a Monday morning
    warm_s: float  # the same again a week later, every plan kept
    sent: int


def digest_timing(groups: int, size: int) -> DigestTiming:
    """`send_digests` for `groups` groups of `size` members (one organizer each, opted in),
    each group with a schedule; email goes to Django's in-memory outbox."""
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.core import mail
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import override_settings
    from django.utils import timezone

    from mlpath.groups.models import Membership, StudyGroup

    users = make_learners(groups * size, groups * size * 4, prefix="digest")
    User.objects.filter(username__startswith="digest-").update(email="organizer@example.org")
    for g in range(groups):
        group = StudyGroup.objects.create(name=f"Digest group {g}", slug=f"digest-group-{g}")
        team = users[g * size : (g + 1) * size]
        Membership.objects.bulk_create(
            Membership(group=group, user=user, role="organizer" if i == 0 else "member", digest=i == 0)
            for i, user in enumerate(team)
        )
        add_milestones(group)
    times = []
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        for days in (0, 7):
            if not days:
                cache.clear()
            today = (timezone.localdate() + timedelta(days=days)).isoformat()
            started = time.perf_counter()
            call_command("send_digests", "--today", today, stdout=open(os.devnull, "w"))  # noqa: SIM115
            times.append(time.perf_counter() - started)
        sent = len(mail.outbox)
    return DigestTiming(groups, size, times[0], times[1], sent)


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


def learner_pages(detail_slug: str, status_url: str, feed_path: str = "/path/calendar/x.ics"):
    """(label, path, headers, POST data cycle or None, who, budget as a ratio to /healthz).

    The map and the calendar feed got their budgets with "Keep going": the map lays out the
    learner's whole goal (a thousand topics at the 10x scale) and lists every topic as a link;
    the feed writes a year of the plan, a week to an event, with `icalendar`."""
    toggle = itertools.cycle([{"status": "in_progress"}, {"status": "not_started"}])
    htmx = {"HX-Request": "true", "HX-Target": "next-resource"}
    return [
        ("/path/", "/path/", None, None, "learner", 20),
        ("/catalog/", "/catalog/", None, None, "learner", 60),
        ("/catalog/<slug>/", f"/catalog/{detail_slug}/", None, None, "learner", 30),
        ("status POST (htmx)", status_url, htmx, toggle, "learner", 20),
        ("organizer dashboard", "/groups/bench-group/dashboard/", None, None, "learner", 40),
        ("/path/map/", "/path/map/", None, None, "learner", 100),
        ("calendar feed (.ics)", feed_path, None, None, "learner", 100),
    ]


def next_step_url(learner) -> tuple[str, str]:
    """Where the button of the learner's next step posts (a section's or a whole resource's),
    and what the step is, as a real click on the path page would."""
    from django.urls import reverse

    from mlpath.progress.path import plan_for_user

    index, kept = plan_for_user(learner)
    step = kept.plan.next
    if step is None:  # a learner who has finished: their first resource, marked again
        first = next(iter(index.resources))
        return reverse("progress:set_status", args=[first]), f"resource {first} (the plan is empty)"
    section = index.sections.get(step.unit.key)
    if section is not None:
        return reverse("progress:set_section_status", args=[section.slug]), f"section {step.unit.key}"
    return reverse("progress:set_status", args=[step.unit.resource]), f"resource {step.unit.key}"


def measure_pages(learner, repeat: int, detail_slug: str) -> tuple[dict[str, Timing], str]:
    from django.test import Client

    anonymous, signed_in = Client(), Client()
    signed_in.force_login(learner)
    # The status POST flips the learner's next step, as a real click would.
    status_url, clicked = next_step_url(learner)
    from django.urls import reverse

    from mlpath.progress.models import CalendarFeed

    feed_path = reverse("progress:calendar_feed", args=[CalendarFeed.rotate(learner).token])
    results = {"/healthz": time_page(anonymous, "/healthz", repeat)}
    for label, path, headers, post, _who, _budget in learner_pages(detail_slug, status_url, feed_path):
        results[label] = time_page(signed_in, path, repeat, headers, post, baseline=anonymous)
    return results, clicked


def time_call(function, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


@dataclass
class Growth:
    units: int
    topics: int
    topic_edges: int
    needed: int  # topics the plan must cover
    steps: int
    plan_ms: float = 0.0  # planner.plan alone: the budget
    learner_ms: float = 0.0  # path.learner_plan: statuses, goal and plan, as a click computes it


def planner_growth(args, repeat: int = 50) -> tuple[Growth, Growth, float]:
    """One learner's plan (about 40% of the units done, in path order; the default goal) on the
    synthetic catalog at a tenth of the size and at full size: resources, sections, topics and
    both kinds of edges all scaled together. Returns both sizes and the median ratio of rounds
    that each time one full-size plan against ten small ones, so that the two sides run at the
    same speed of a shared machine (as the pages do against /healthz)."""
    sides = []
    for scale in (10, 1):
        catalog = synthetic_catalog(
            args.resources // scale,
            args.edges // scale,
            args.sections // scale,
            max(1, args.topics // scale),
            args.topic_edges // scale,
        )
        sides.append(_one_learner(catalog))
    (small, plan_small, whole_small), (large, plan_large, whole_large) = sides
    small_ms, large_ms, ratios = [], [], []
    for _ in range(repeat):
        round_small = [_ms(plan_small) for _ in range(10)]
        large_ms.append(_ms(plan_large))
        small_ms += round_small
        ratios.append(large_ms[-1] / statistics.median(round_small))
    small.plan_ms, large.plan_ms = statistics.median(small_ms), statistics.median(large_ms)
    small.learner_ms = time_call(whole_small, max(5, repeat // 5))
    large.learner_ms = time_call(whole_large, max(5, repeat // 5))
    return small, large, statistics.median(ratios)


def _ms(function) -> float:
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


def _one_learner(catalog: Synthetic):
    """(Growth without times, the plan alone, the whole of `path.learner_plan`) for a learner
    who has done the first 40% of the units, in path order."""
    from mlpath.progress import coverage, planner
    from mlpath.progress.models import PathSettings
    from mlpath.progress.path import learner_plan

    rows = plan_rows(catalog)
    index = coverage.PlanIndex.of(**rows)
    resource_ids = {row["slug"]: row["id"] for row in rows["resources"]}
    section_ids = {f"{row['resource_slug']}/{row['slug']}": row["id"] for row in rows["sections"]}
    resource_statuses, section_statuses, done = {}, {}, 0
    for row in catalog.resources:  # path order: stage, then number
        if done >= 0.4 * len(index.units):
            break
        keys = index.resources[row["slug"]].units
        if keys == (row["slug"],):
            resource_statuses[resource_ids[row["slug"]]] = "done"
        else:
            section_statuses.update((section_ids[key], "done") for key in keys)
        done += len(keys)
    settings = PathSettings()  # the defaults: the whole path, beginner, no preferences
    statuses = coverage.statuses_of(index, resource_statuses, section_statuses)
    knowledge = coverage.knowledge_of(
        statuses,
        known_topics=frozenset(),
        stage_order=index.stages,
        level=settings.level,
        kinds=frozenset(),
        free_only=False,
    )
    goal = coverage.goal_of(index, coverage.GoalChoice(), knowledge)
    result = planner.plan(index.curriculum, knowledge, goal)
    growth = Growth(
        units=len(index.units),
        topics=len(catalog.topics),
        topic_edges=catalog.topic_edges,
        needed=len(result.needed),
        steps=len(result.steps),
    )
    return (
        growth,
        lambda: planner.plan(index.curriculum, knowledge, goal),
        lambda: learner_plan(index, settings, resource_statuses, section_statuses),
    )


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
            loaded = _catalog_counts()
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
            # The same rows on both sides, sections and their topic links included.
            if _catalog_counts() != loaded:
                raise SystemExit(f"bench: loaddata wrote {_catalog_counts()}, load_catalog {loaded}")
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


def _catalog_counts() -> dict[str, int]:
    """Rows per catalog table, link tables included (the revision left out)."""
    from django.apps import apps

    counts = {}
    for model in apps.get_app_config("catalog").get_models(include_auto_created=True):
        if model.__name__ != "CatalogRevision":
            counts[model._meta.db_table] = model.objects.count()
    return counts


def _empty_catalog() -> None:
    from django.apps import apps

    from catalog.models import Prerequisite

    # Signals off: each deleted row would otherwise move the revision (a query per row).
    with _revision_signals_off():
        Prerequisite.objects.all().delete()
        for name in ("Section", "Resource", "Topic", "Pillar", "Stage", "Source", "CatalogRevision"):
            try:
                apps.get_model("catalog", name).objects.all().delete()
            except LookupError:
                continue


# --- report --------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# The weekly digest is a cron job, not a request: its budget is in seconds per member, from
# a cold cache (every member's plan computed), on the shipped catalog.
DIGEST_MS_PER_MEMBER = 10


def report(args, sizes, shipped, scaled, load, growth, load_test, digest=None) -> bool:
    print(
        f"\nData: {sizes['resources']} resources ({sizes['sections']} sections), "
        f"{sizes['edges']} prerequisite edges, {sizes['topics']} topics "
        f"({sizes['topic_edges']} topic edges), {sizes['learners']} learners, {sizes['rows']} progress rows "
        f"(and {sizes['section_rows']} section rows for the timed learner), "
        f"a group of {args.members} members."
    )
    print(
        f"Shipped catalog: {sizes['shipped_resources']} resources ({sizes['shipped_sections']} sections), "
        f"{sizes['shipped_edges']} edges, {sizes['shipped_topics']} topics "
        f"({sizes['shipped_topic_edges']} topic edges); group of {sizes['shipped_members']} members, "
        f"{sizes['shipped_section_rows']} section rows for the timed learner."
    )
    print(f"The status POST clicks the timed learner's next step: {sizes['clicked']}.")
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
    budget_of = {label: budget for label, *_rest, budget in learner_pages("x", "/y/")}
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
    small, large, ratio = growth
    passes.append(ratio <= 12)
    print(
        f"{_verdict(ratio <= 12)}  planner {small.units} -> {large.units} units, {small.topics} -> "
        f"{large.topics} topics, {small.topic_edges} -> {large.topic_edges} topic edges: "
        f"{small.plan_ms:.2f} ms -> {large.plan_ms:.2f} ms, {ratio:.1f}x (budget 12x)"
    )
    print(
        f"      (40% of the units done, the default goal: {small.needed} -> {large.needed} needed topics, "
        f"{small.steps} -> {large.steps} steps. No budget: with statuses and goal, as a click computes it, "
        f"{small.learner_ms:.2f} ms -> {large.learner_ms:.2f} ms, "
        f"{large.learner_ms / small.learner_ms:.1f}x)"
    )
    if digest is not None:
        members = digest.groups * digest.members
        per_member = 1000 * digest.cold_s / members
        ok = per_member <= DIGEST_MS_PER_MEMBER and digest.sent == 2 * digest.groups
        passes.append(ok)
        print(
            f"{_verdict(ok)}  send_digests, {digest.groups} groups of {digest.members} (shipped catalog): "
            f"{digest.cold_s:.1f} s cold, {per_member:.1f} ms a member (budget {DIGEST_MS_PER_MEMBER} ms, "
            f"so {DIGEST_MS_PER_MEMBER * members / 1000:.0f} s); {digest.warm_s:.1f} s with every plan "
            f"kept; {digest.sent} emails in two weeks"
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


def _catalog_sizes(prefix: str = "") -> dict[str, int]:
    from catalog.models import Prerequisite, Resource, Section, Topic

    return {
        f"{prefix}resources": Resource.objects.active().count(),
        f"{prefix}sections": Section.objects.active().filter(resource__retired=False).count(),
        f"{prefix}edges": Prerequisite.objects.count(),
        f"{prefix}topics": Topic.objects.active().count(),
        f"{prefix}topic_edges": Topic.requires.through.objects.count(),
    }


def run(args) -> bool:
    from django.core.management import call_command

    from mlpath.progress.path import forget_catalog

    # A few hundred, as many as a learner well into a few books would have.
    section_rows = 300
    # 1. The shipped catalog, a learner and a small group: the "shipped" query counts.
    call_command("load_catalog", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    sizes = _catalog_sizes("shipped_")
    # Each as far along as a bench learner could be, but never through the whole small catalog.
    per_learner = min(max(1, args.rows // max(1, args.learners)), sizes["shipped_resources"] // 3)
    crowd = make_learners(6, 6 * per_learner)
    learner, members = crowd[-1], crowd[:5]
    sizes["shipped_section_rows"] = give_section_progress(
        learner, min(section_rows, sizes["shipped_sections"] // 10)
    )
    sizes["shipped_members"] = len(members)
    make_group(learner, members)
    shipped, _clicked = measure_pages(learner, max(5, args.repeat // 5), "mml-book")
    if args.digest_groups:
        print(f"Timing send_digests: {args.digest_groups} groups of {args.digest_size} ...", flush=True)
    digest = digest_timing(args.digest_groups, args.digest_size) if args.digest_groups else None
    call_command("flush", interactive=False, verbosity=0)
    forget_catalog()

    # 2. The catalog at bench scale: load_catalog against loaddata of the same rows.
    print(
        f"Generating {args.resources} resources, {args.edges} edges, {args.sections} sections, "
        f"{args.topics} topics and {args.topic_edges} topic edges ...",
        flush=True,
    )
    catalog = synthetic_catalog(args.resources, args.edges, args.sections, args.topics, args.topic_edges)
    load = catalog_load(synthetic_yaml(catalog))
    sizes.update(_catalog_sizes())

    # 3. Learners, their progress and the group, then the pages at bench scale.
    print(f"Generating {args.learners} learners and {args.rows} progress rows ...", flush=True)
    crowd = make_learners(args.learners, args.rows)
    sizes["learners"], sizes["rows"] = len(crowd), args.rows
    # The timed learner is one of the crowd, with the average number of progress rows and a few
    # hundred section rows, and organizes the group (of which they are not one of the members).
    learner = crowd[-1]
    sizes["section_rows"] = give_section_progress(learner, section_rows)
    make_group(learner, crowd[: args.members])
    # A resource from the middle of the catalog that has sections, as most do.
    with_sections = {row["resource"] for row in catalog.sections}
    middle = [row["slug"] for row in catalog.resources[args.resources // 2 :] if row["slug"] in with_sections]
    detail = middle[0] if middle else f"r-{args.resources // 2}"
    print("Timing pages (the first dashboard computes every member's plan) ...", flush=True)
    scaled, sizes["clicked"] = measure_pages(learner, args.repeat, detail)

    # 4. The planner alone, at a tenth of the size and at full size.
    print("Timing the planner ...", flush=True)
    growth = planner_growth(args, repeat=max(10, args.repeat // 2))

    # 5. Real servers under load, on this same database.
    load_test = None
    if args.load_seconds:
        from tests.bench import loadtest

        print(f"Load test: 2 x {args.load_seconds} s ...", flush=True)
        result = loadtest.run(_database_url(), seconds=args.load_seconds, users=args.load_users)
        load_test = {"users": args.load_users, "seconds": args.load_seconds, **result}
    return report(args, sizes, shipped, scaled, load, growth, load_test, digest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--edges", type=int, default=12000)
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--sections", type=int, default=20_000)
    parser.add_argument("--topics", type=int, default=1000)
    parser.add_argument("--topic-edges", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--load-seconds", type=int, default=30, help="0 skips the load test")
    parser.add_argument("--load-users", type=int, default=16)
    parser.add_argument("--digest-groups", type=int, default=100, help="0 skips the digest")
    parser.add_argument("--digest-size", type=int, default=50)
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
