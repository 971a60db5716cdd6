"""The learner's path as pure functions: coverage, availability, ranking, unlocks and ETA.

Everything here takes plain data (the catalog as `Item`s, one learner as a `Learner`)
and returns plain data, so the rules are tested without a database and the study-group
dashboard can reuse them for hundreds of members at once.

Words used throughout:

- *covered*: a resource is done, skipped, or sits in a stage the learner already knows.
- *complete*: a stage whose resources are all covered (a known stage always is).
- *current stage*: the first stage in the learner's own order that is not complete.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
DONE = "done"
SKIPPED = "skipped"
FINISHED = frozenset({DONE, SKIPPED})


@dataclass(frozen=True)
class Item:
    """One active catalog resource, as the recommender needs it."""

    slug: str
    title: str
    stage: str
    pillar: str | None = None
    level: int = 1
    hours: float = 1.0
    sources: int = 0
    requires: tuple[str, ...] = ()
    creator: str = ""
    url: str = ""


@dataclass(frozen=True)
class Learner:
    """One learner's statuses (missing means not started) and preferences."""

    statuses: Mapping[str, str] = field(default_factory=dict)
    stage_order: Sequence[str] = ()
    known_stages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Bar:
    """Progress through a stage or pillar, weighted by estimated hours."""

    slug: str
    covered_hours: float
    total_hours: float
    count: int
    covered_count: int
    known: bool = False

    @property
    def percent(self) -> int:
        # Sums of float hours in a different order can differ in the last bit, so a bar
        # whose every resource is covered says 100% by count, not by arithmetic.
        if self.total_hours <= 0 or self.covered_count >= self.count:
            return 100
        # Floor, so a bar says 100% only when everything really is covered.
        return math.floor(100 * self.covered_hours / self.total_hours)

    @property
    def fraction(self) -> float:
        return 1.0 if self.total_hours <= 0 else self.covered_hours / self.total_hours

    @property
    def remaining_hours(self) -> float:
        return max(0.0, self.total_hours - self.covered_hours)

    @property
    def complete(self) -> bool:
        return self.known or self.covered_count == self.count


@dataclass(frozen=True)
class Recommendation:
    item: Item
    reasons: tuple[str, ...]
    opens: tuple[Item, ...]

    @property
    def why(self) -> str:
        text = "; ".join(self.reasons)
        return text[:1].upper() + text[1:] + "." if text else ""


@dataclass(frozen=True)
class Path:
    """Everything the path page shows, computed in one pass."""

    stage_order: tuple[str, ...]
    stages: tuple[Bar, ...]
    pillars: tuple[Bar, ...]
    overall: Bar
    current_stage: str | None
    recommendations: tuple[Recommendation, ...]
    in_progress: tuple[Item, ...]

    @property
    def finished(self) -> bool:
        return self.current_stage is None and not self.in_progress

    @property
    def next(self) -> Recommendation | None:
        return self.recommendations[0] if self.recommendations else None

    @property
    def alternatives(self) -> tuple[Recommendation, ...]:
        return self.recommendations[1:]


def effective_order(stage_order: Sequence[str], catalog_stages: Sequence[str]) -> tuple[str, ...]:
    """The learner's order, cleaned: unknown stages dropped, duplicates ignored, and stages
    the learner has never ordered (new in the catalog) appended in the catalog's order."""
    known = set(catalog_stages)
    order: list[str] = []
    for slug in stage_order:
        if slug in known and slug not in order:
            order.append(slug)
    order += [slug for slug in catalog_stages if slug not in order]
    return tuple(order)


@dataclass(frozen=True, eq=False)
class Catalog:
    """The active catalog with its indexes, built once per catalog version.

    Each learner's path then costs little more than their statuses and their current
    stage, instead of several passes over every resource and edge: /path/ and the
    status POST compute one path per request, the study-group dashboard hundreds.
    """

    items: tuple[Item, ...]
    stages: tuple[str, ...]  # the catalog's (default) order
    pillars: tuple[str, ...]
    names: Mapping[str, str]
    total_sources: int
    by_slug: Mapping[str, Item]
    position: Mapping[str, int]  # slug -> index in `items`, for catalog order
    by_stage: Mapping[str, tuple[Item, ...]]
    stage_slugs: Mapping[str, frozenset[str]]
    # Only prerequisites that are in the catalog: a retired one no longer blocks anybody.
    requires: Mapping[str, frozenset[str]]
    dependants: Mapping[str, tuple[Item, ...]]
    # stage -> every resource outside it that its resources need, directly or not. When
    # all of those are covered, nothing can be pulled forward and `available` skips its walk.
    outside_needs: Mapping[str, frozenset[str]]
    # (hours, count) overall (key None), per ("stage", slug) and per ("pillar", slug).
    totals: Mapping[object, tuple[float, int]]
    # stage -> pillar (or None) -> (hours, count): what knowing a whole stage adds to a pillar.
    stage_pillars: Mapping[str, Mapping[str | None, tuple[float, int]]]
    # stage -> balance group (pillar, or ("stage", slug) without one) -> its resources in
    # the order of rank's rules 4 and 5, so the best few are found without a full scan.
    ranked_groups: Mapping[str, Mapping[object, tuple[Item, ...]]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        items: Sequence[Item],
        *,
        stages: Sequence[str],
        pillars: Sequence[str],
        names: Mapping[str, str] | None = None,
        total_sources: int = 0,
    ) -> "Catalog":
        items = tuple(items)
        by_slug = {item.slug: item for item in items}
        by_stage: dict[str, list[Item]] = {slug: [] for slug in stages}
        dependants: dict[str, list[Item]] = {}
        totals: dict[object, list] = {}
        stage_pillars: dict[str, dict[str | None, list]] = {}
        requires = {}
        for item in items:
            by_stage.setdefault(item.stage, []).append(item)
            needs = frozenset(dep for dep in item.requires if dep in by_slug)
            requires[item.slug] = needs
            for dep in needs:
                dependants.setdefault(dep, []).append(item)
            pair = stage_pillars.setdefault(item.stage, {}).setdefault(item.pillar, [0.0, 0])
            for total in (
                totals.setdefault(None, [0.0, 0]),
                totals.setdefault(("stage", item.stage), [0.0, 0]),
                totals.setdefault(("pillar", item.pillar), [0.0, 0]),
                pair,
            ):
                total[0] += item.hours
                total[1] += 1
        outside_needs = {}
        for stage, members in by_stage.items():
            reached: set[str] = set()
            stack = [item.slug for item in members]
            while stack:
                for dep in requires[stack.pop()]:
                    if dep not in reached:
                        reached.add(dep)
                        stack.append(dep)
            outside_needs[stage] = frozenset(slug for slug in reached if by_slug[slug].stage != stage)
        return cls(
            items=items,
            stages=tuple(stages),
            pillars=tuple(pillars),
            names=dict(names or {}),
            total_sources=total_sources,
            by_slug=by_slug,
            position={item.slug: index for index, item in enumerate(items)},
            by_stage={slug: tuple(members) for slug, members in by_stage.items()},
            stage_slugs={
                slug: frozenset(item.slug for item in members) for slug, members in by_stage.items()
            },
            requires=requires,
            dependants={slug: tuple(members) for slug, members in dependants.items()},
            outside_needs=outside_needs,
            totals={key: (hours, count) for key, (hours, count) in totals.items()},
            stage_pillars={
                stage: {pillar: (hours, count) for pillar, (hours, count) in pairs.items()}
                for stage, pairs in stage_pillars.items()
            },
            ranked_groups=_ranked_groups(by_stage),
        )

    def total(self, key) -> tuple[float, int]:
        return self.totals.get(key, (0.0, 0))


def _balance_group(item: Item):
    """What rank's rule 3 compares: the item's pillar, or its whole stage without one."""
    return item.pillar or ("stage", item.stage)


def _static_rules(item: Item) -> tuple[int, int]:
    return item.level, -item.sources  # rank's rules 4 and 5


def _ranked_groups(by_stage: Mapping[str, Sequence[Item]]) -> dict:
    out: dict[str, dict[object, list[Item]]] = {}
    for stage, members in by_stage.items():
        groups = out.setdefault(stage, {})
        for item in sorted(members, key=_static_rules):
            groups.setdefault(_balance_group(item), []).append(item)
    return {stage: {key: tuple(items) for key, items in groups.items()} for stage, groups in out.items()}


def _best_ready(catalog: Catalog, stage: str, covered: set[str], statuses, limit: int) -> list[Item]:
    """The resources of `stage` that are ready to start and could be among rank's best
    `limit`, without visiting the whole stage (thousands, at scale, on every click).

    Within one balance group every other rule that comes before the graph is fixed, so
    rank orders the group's ready resources by (level, sources), the order they are kept
    in. A ready resource outside its group's first `limit`, and not tied with the last of
    them, has `limit` better ones in its own group, so it cannot make rank's cut. In-progress
    resources are left out: `available` adds every one of them anyway.
    """
    requires = catalog.requires
    best: list[Item] = []
    for members in catalog.ranked_groups.get(stage, {}).values():
        taken = 0
        last = None
        for item in members:
            if taken >= limit and _static_rules(item) != last:
                break
            slug = item.slug
            if slug in covered or statuses.get(slug) == IN_PROGRESS or not requires[slug] <= covered:
                continue
            best.append(item)
            taken += 1
            last = _static_rules(item)
    return best


@dataclass
class _Coverage:
    """What one learner has covered, summed per stage and per pillar in one pass over
    their statuses (not over the catalog)."""

    covered: set[str]  # slugs: finished, or in a known stage
    stages: dict[str, list]  # stage -> [hours, count] finished outside known stages
    pillars: dict[str | None, list]  # pillar -> [hours, count] covered, known stages included

    @classmethod
    def of(cls, catalog: Catalog, learner: Learner) -> "_Coverage":
        known = learner.known_stages
        by_slug = catalog.by_slug
        covered: set[str] = set()
        stages: dict[str, list] = {}
        pillars: dict[str | None, list] = {}
        # The hot loop of every path (once per finished resource): plain lookups only.
        for slug, status in learner.statuses.items():
            if status not in FINISHED:
                continue
            item = by_slug.get(slug)
            if item is None or item.stage in known:
                continue
            covered.add(slug)
            sums = stages.get(item.stage)
            if sums is None:
                sums = stages[item.stage] = [0.0, 0]
            sums[0] += item.hours
            sums[1] += 1
            sums = pillars.get(item.pillar)
            if sums is None:
                sums = pillars[item.pillar] = [0.0, 0]
            sums[0] += item.hours
            sums[1] += 1
        for stage in known:
            covered |= catalog.stage_slugs.get(stage, frozenset())
            for pillar, (hours, count) in catalog.stage_pillars.get(stage, {}).items():
                sums = pillars.setdefault(pillar, [0.0, 0])
                sums[0] += hours
                sums[1] += count
        return cls(covered, stages, pillars)

    def stage_bar(self, catalog: Catalog, slug: str, known: bool) -> Bar:
        total, count = catalog.total(("stage", slug))
        if known:
            return Bar(slug, total, total, count, count, True)
        hours, done = self.stages.get(slug, (0.0, 0))
        return Bar(slug, hours, total, count, done)

    def pillar_bar(self, catalog: Catalog, slug: str) -> Bar:
        total, count = catalog.total(("pillar", slug))
        hours, done = self.pillars.get(slug, (0.0, 0))
        return Bar(slug, hours, total, count, done)

    def overall(self, catalog: Catalog) -> Bar:
        total, count = catalog.total(None)
        hours = sum(sums[0] for sums in self.pillars.values())
        done = sum(sums[1] for sums in self.pillars.values())
        return Bar("overall", hours, total, count, done)


def stage_bars(catalog: Catalog, learner: Learner, order: Sequence[str], coverage=None) -> tuple[Bar, ...]:
    coverage = coverage or _Coverage.of(catalog, learner)
    slugs = list(order) + [slug for slug in catalog.by_stage if slug not in order]
    return tuple(coverage.stage_bar(catalog, slug, slug in learner.known_stages) for slug in slugs)


def pillar_bars(catalog: Catalog, learner: Learner, coverage=None) -> tuple[Bar, ...]:
    """One bar per pillar that has resources, in the catalog's order, across every stage."""
    coverage = coverage or _Coverage.of(catalog, learner)
    # Pillars that resources name but the catalog does not list; read off the totals index
    # rather than a pass over every resource, which the dashboard would pay per member.
    extra = sorted(
        key[1]
        for key in catalog.totals
        if isinstance(key, tuple) and key[0] == "pillar" and key[1] and key[1] not in catalog.pillars
    )
    return tuple(
        coverage.pillar_bar(catalog, slug)
        for slug in (*catalog.pillars, *extra)
        if catalog.total(("pillar", slug))[1]
    )


def available(
    catalog: Catalog,
    learner: Learner,
    stages: Sequence[Bar],
    covered: set[str],
    shortlist: Callable[[str], Sequence[Item]] | None = None,
    in_progress: Sequence[Item] | None = None,
) -> tuple[list[Item], dict]:
    """Resources the learner can start now, and for each pulled-forward one, who needs it.

    A resource is available when it is not covered, each of its prerequisites is covered
    (prerequisites missing from the catalog, i.e. retired, count as covered), and every
    stage before it in the learner's order is complete: in practice, it is in the
    current stage.

    One addition keeps a reordered path from deadlocking. A learner who puts math first
    still meets math resources that need Python. Their uncovered prerequisites from later
    stages are *pulled forward*: they become available as soon as their own prerequisites
    are covered. The second value maps each pulled-forward slug (available yet or not) to
    the current-stage resource that needs it.

    Resources already in progress are always included: the learner chose to start them.

    `shortlist(stage)`, when given, stands in for the scan of the current stage when nothing
    needs pulling forward (see _best_ready): then only resources that can still win come back.
    `in_progress`, when given, is the learner's `_in_progress`, already worked out.
    """
    current = next((bar.slug for bar in stages if not bar.complete), None)
    requires = catalog.requires
    chosen: dict[str, Item] = {}
    pulled_for: dict[str, str] = {}
    if current is not None:
        # Walk back through uncovered prerequisites that live outside the current stage.
        outside = catalog.outside_needs.get(current, frozenset())
        if shortlist is not None and outside <= covered:
            # Nothing to pull forward: the caller's best few stand for the whole stage.
            chosen = {item.slug: item for item in shortlist(current)}
        else:
            stage_items = [item for item in catalog.by_stage.get(current, ()) if item.slug not in covered]
            for item in stage_items:
                if requires[item.slug] <= covered:
                    chosen[item.slug] = item
            stack = [] if outside <= covered else [(item, item) for item in stage_items]
            seen: set[str] = set()
            while stack:
                item, needed_by = stack.pop()
                for dep in requires[item.slug] - covered:
                    if dep in seen:
                        continue
                    seen.add(dep)
                    prereq = catalog.by_slug[dep]
                    if prereq.stage != current:
                        pulled_for.setdefault(dep, needed_by.slug)
                        if requires[dep] <= covered:
                            chosen[dep] = prereq
                    stack.append((prereq, needed_by))
    for item in _in_progress(catalog, learner) if in_progress is None else in_progress:
        chosen[item.slug] = item
    return list(chosen.values()), pulled_for


def _in_progress(catalog: Catalog, learner: Learner) -> list[Item]:
    """Started and not in a known stage, in catalog order."""
    started = [
        catalog.by_slug[slug]
        for slug, status in learner.statuses.items()
        if status == IN_PROGRESS and slug in catalog.by_slug
    ]
    started = [item for item in started if item.stage not in learner.known_stages]
    return sorted(started, key=lambda item: catalog.position[item.slug])


def opens(catalog: Catalog, slug: str, covered: set[str]) -> list[Item]:
    """Uncovered resources whose last missing prerequisite is `slug`: finishing it opens them."""
    return [
        item
        for item in catalog.dependants.get(slug, ())
        if item.slug not in covered and catalog.requires[item.slug] - covered == {slug}
    ]


def opened_by(slug: str, catalog: Catalog, learner: Learner) -> list[Item]:
    return opens(catalog, slug, _Coverage.of(catalog, learner).covered)


def rank(
    candidates: Sequence[Item],
    learner: Learner,
    order: Sequence[str],
    pillar_fraction: Mapping[str | None, float],
    opens_count: Callable[[str], int],
    pulled_for: Mapping[str, str] = {},
    current: str | None = None,
    limit: int | None = None,
) -> list[Item]:
    """Order available resources, best first. Each rule only breaks the ties of the one before:

    1. Already in progress: finishing beats starting something new.
    2. Earliest stage in the learner's order. A prerequisite pulled forward from a later
       stage counts as part of the stage that needs it.
    3. The pillar the learner has covered least (by hours, as a fraction of the pillar),
       so one pillar does not run far ahead. A resource with no pillar competes with its
       whole stage's coverage, so a survey book comes up once the pillars are under way.
    4. Lower level first.
    5. Recommended by more of our sources.
    6. Opens more resources (it is on more roads).
    7. Shorter.
    8. Title, then slug, so equal resources keep a stable order.

    With `limit`, only the best `limit` are returned, and rule 6 (the one that costs a
    walk of the graph) is only worked out for candidates still tied after rule 5.
    """
    position = {slug: index for index, slug in enumerate(order)}
    # Rounded once per pillar, not once per candidate: a stage holds thousands of these.
    balance = {key: round(value, 6) for key, value in pillar_fraction.items()}
    statuses = learner.statuses

    def first_rules(item: Item):
        stage = current if current and item.slug in pulled_for else item.stage
        return (
            statuses.get(item.slug) != IN_PROGRESS,
            position.get(stage, len(order)),
            balance.get(item.pillar or ("stage", item.stage), 0.0),
            item.level,
            -item.sources,
        )

    keyed = sorted(((first_rules(item), item) for item in candidates), key=lambda pair: pair[0])
    if limit is not None and len(keyed) > limit:
        cutoff = keyed[limit - 1][0]
        keyed = [(key, item) for key, item in keyed if key <= cutoff]
    ranked = sorted(
        keyed,
        key=lambda pair: (
            *pair[0],
            -opens_count(pair[1].slug),
            pair[1].hours,
            pair[1].title.casefold(),
            pair[1].slug,
        ),
    )
    return [item for _key, item in ranked[:limit]]


def build_path(catalog: Catalog, learner: Learner, *, limit: int = 4) -> Path:
    """The whole path for one learner: bars, the current stage, and up to `limit` ranked
    recommendations (the first is *the* next resource), each with its reasons."""
    order = effective_order(learner.stage_order, catalog.stages)
    coverage = _Coverage.of(catalog, learner)
    covered = coverage.covered
    stages = stage_bars(catalog, learner, order, coverage)
    pillar_list = pillar_bars(catalog, learner, coverage)
    stage_by_slug = {bar.slug: bar for bar in stages}
    current = next((bar.slug for bar in stages if not bar.complete), None)

    in_progress = tuple(_in_progress(catalog, learner))
    candidates, pulled_for = available(
        catalog,
        learner,
        stages,
        covered,
        shortlist=lambda stage: _best_ready(catalog, stage, covered, learner.statuses, limit),
        in_progress=in_progress,
    )
    fraction: dict = {bar.slug: bar.fraction for bar in pillar_list}
    fraction.update({("stage", bar.slug): bar.fraction for bar in stages})
    # Only what finishing it makes available now: a dependant in a stage the learner has
    # not reached yet stays locked by the stage order, so it is not "opened".
    position = {slug: index for index, slug in enumerate(order)}
    reachable = position[current] if current is not None else len(order)
    opened: dict[str, tuple[Item, ...]] = {}

    def opened_by_finishing(slug: str) -> tuple[Item, ...]:
        if slug not in opened:
            opened[slug] = tuple(
                dependant
                for dependant in opens(catalog, slug, covered)
                if position.get(dependant.stage, len(order)) <= reachable or dependant.slug in pulled_for
            )
        return opened[slug]

    ranked = rank(
        candidates,
        learner,
        order,
        fraction,
        lambda slug: len(opened_by_finishing(slug)),
        pulled_for,
        current,
        limit=limit,
    )

    least_pillar = min(
        (bar for bar in pillar_list if bar.remaining_hours > 0), key=lambda b: b.fraction, default=None
    )
    recommendations = []
    for item in ranked[:limit]:
        reasons = _reasons(
            item,
            learner=learner,
            order=order,
            stage_by_slug=stage_by_slug,
            needed_by=catalog.by_slug.get(pulled_for.get(item.slug, "")),
            prerequisites_covered=catalog.requires[item.slug] <= covered,
            pillar_bar=next((bar for bar in pillar_list if bar.slug == item.pillar), None),
            least_pillar=least_pillar,
            opens=opened_by_finishing(item.slug),
            names=catalog.names,
            total_sources=catalog.total_sources,
        )
        recommendations.append(Recommendation(item, reasons, opened_by_finishing(item.slug)))
    return Path(
        order, stages, pillar_list, coverage.overall(catalog), current, tuple(recommendations), in_progress
    )


def _reasons(
    item: Item,
    *,
    learner: Learner,
    order: Sequence[str],
    stage_by_slug: Mapping[str, Bar],
    needed_by: Item | None,
    prerequisites_covered: bool,
    pillar_bar: Bar | None,
    least_pillar: Bar | None,
    opens: Sequence[Item],
    names: Mapping[str, str],
    total_sources: int,
) -> tuple[str, ...]:
    """ "Why this", in the learner's words, one short clause per rule that picked it."""

    def name(slug: str) -> str:
        return names.get(slug, slug)

    reasons = []
    if learner.statuses.get(item.slug) == IN_PROGRESS:
        reasons.append("you have already started it")
    index = order.index(item.stage) if item.stage in order else 0
    before = order[:index]
    if needed_by is not None:
        reasons.append(f"{needed_by.title}, in your {name(needed_by.stage)} stage, needs it first")
    elif not before:
        reasons.append(f"{name(item.stage)} is the first stage of your path")
    elif not all(stage_by_slug[slug].complete for slug in before):
        # Only something already started gets here (rule 1): say so honestly.
        reasons.append(
            f"it is ahead of your path: {name(item.stage)} comes after stages you have not finished"
        )
    elif stage_by_slug[before[-1]].known:
        reasons.append(f"you already know {name(before[-1])}, so {name(item.stage)} is next")
    else:
        reasons.append(f"your {name(before[-1])} stage is complete")
    if pillar_bar is not None and least_pillar is not None:
        pillar = name(pillar_bar.slug)
        if pillar_bar.covered_hours == 0:
            reasons.append(f"you have not started {pillar} yet")
        elif pillar_bar.fraction <= least_pillar.fraction:
            reasons.append(f"{pillar} is your least covered pillar ({pillar_bar.percent}%)")
        else:
            reasons.append(f"it moves {pillar} on from {pillar_bar.percent}%")
    if item.requires and needed_by is None and prerequisites_covered:
        reasons.append("you have covered what it builds on")
    if item.sources:
        of = f" of our {total_sources}" if total_sources else ""
        verb = "recommends" if item.sources == 1 else "recommend"
        noun = "source" if item.sources == 1 and not total_sources else "sources"
        reasons.append(f"{item.sources}{of} {noun} {verb} it")
    if opens:
        reasons.append(f"it opens {len(opens)} resource{'s' if len(opens) != 1 else ''}")
    return tuple(reasons)


@dataclass(frozen=True)
class Eta:
    hours: float
    weeks: float
    finish: date | None

    @property
    def weeks_label(self) -> str:
        if self.hours <= 0:
            return "nothing left"
        if self.weeks < 1:
            return "under a week"
        whole = math.ceil(self.weeks)
        return f"about {whole} week{'s' if whole != 1 else ''}"


def eta(remaining_hours: float, hours_per_week: float, today: date) -> Eta:
    """Remaining hours at the learner's pace, as weeks and a projected finishing date.

    Hours are the catalog's estimates of whole resources; one already in progress still
    counts in full, since we do not know how far into it the learner is.
    """
    remaining = max(0.0, float(remaining_hours))
    if remaining == 0:
        return Eta(0.0, 0.0, today)
    if hours_per_week <= 0:
        return Eta(remaining, math.inf, None)
    weeks = remaining / float(hours_per_week)
    return Eta(remaining, weeks, today + timedelta(days=math.ceil(weeks * 7)))
