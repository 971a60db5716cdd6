"""The learner's path as pure functions: coverage, availability, ranking, unlocks and ETA.

Everything here takes plain data (a `PathIndex` and one `Learner`) and returns plain
data, so the rules are tested without a database and the study-group dashboard can reuse
them for hundreds of members at once.

Words used throughout:

- *covered*: a resource is done, skipped, or sits in a stage the learner already knows.
- *complete*: a stage whose resources are all covered (a known stage always is).
- *current stage*: the first stage in the learner's own order that is not complete.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .index import FINISHED, IN_PROGRESS, Item, Learner, PathIndex, static_rules
from .reasons import reasons_for, sentence


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
        return sentence(self.reasons)


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


def _best_ready(index: PathIndex, stage: str, covered: set[str], statuses, limit: int) -> list[Item]:
    """The resources of `stage` that are ready to start and could be among rank's best
    `limit`, without visiting the whole stage (thousands, at scale, on every click).

    Within one balance group every other rule that comes before the graph is fixed, so
    rank orders the group's ready resources by (level, sources), the order they are kept
    in. A ready resource outside its group's first `limit`, and not tied with the last of
    them, has `limit` better ones in its own group, so it cannot make rank's cut. In-progress
    resources are left out: `available` adds every one of them anyway.
    """
    requires = index.requires
    best: list[Item] = []
    for members in index.ranked_groups.get(stage, {}).values():
        taken = 0
        last = None
        for item in members:
            if taken >= limit and static_rules(item) != last:
                break
            slug = item.slug
            if slug in covered or statuses.get(slug) == IN_PROGRESS or not requires[slug] <= covered:
                continue
            best.append(item)
            taken += 1
            last = static_rules(item)
    return best


@dataclass
class _Coverage:
    """What one learner has covered, summed per stage and per pillar in one pass over
    their statuses (not over the catalog)."""

    covered: set[str]  # slugs: finished, or in a known stage
    stages: dict[str, list]  # stage -> [hours, count] finished outside known stages
    pillars: dict[str | None, list]  # pillar -> [hours, count] covered, known stages included

    @classmethod
    def of(cls, index: PathIndex, learner: Learner) -> "_Coverage":
        known = learner.known_stages
        by_slug = index.by_slug
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
            covered |= index.stage_slugs.get(stage, frozenset())
            for pillar, (hours, count) in index.stage_pillars.get(stage, {}).items():
                sums = pillars.setdefault(pillar, [0.0, 0])
                sums[0] += hours
                sums[1] += count
        return cls(covered, stages, pillars)

    def stage_bar(self, index: PathIndex, slug: str, known: bool) -> Bar:
        total, count = index.total(("stage", slug))
        if known:
            return Bar(slug, total, total, count, count, True)
        hours, done = self.stages.get(slug, (0.0, 0))
        return Bar(slug, hours, total, count, done)

    def pillar_bar(self, index: PathIndex, slug: str) -> Bar:
        total, count = index.total(("pillar", slug))
        hours, done = self.pillars.get(slug, (0.0, 0))
        return Bar(slug, hours, total, count, done)

    def overall(self, index: PathIndex) -> Bar:
        total, count = index.total(None)
        hours = sum(sums[0] for sums in self.pillars.values())
        done = sum(sums[1] for sums in self.pillars.values())
        return Bar("overall", hours, total, count, done)


def stage_bars(index: PathIndex, learner: Learner, order: Sequence[str], coverage=None) -> tuple[Bar, ...]:
    coverage = coverage or _Coverage.of(index, learner)
    slugs = list(order) + [slug for slug in index.by_stage if slug not in order]
    return tuple(coverage.stage_bar(index, slug, slug in learner.known_stages) for slug in slugs)


def pillar_bars(index: PathIndex, learner: Learner, coverage=None) -> tuple[Bar, ...]:
    """One bar per pillar that has resources, in the catalog's order, across every stage."""
    coverage = coverage or _Coverage.of(index, learner)
    # Pillars that resources name but the catalog does not list; read off the totals index
    # rather than a pass over every resource, which the dashboard would pay per member.
    extra = sorted(
        key[1]
        for key in index.totals
        if isinstance(key, tuple) and key[0] == "pillar" and key[1] and key[1] not in index.pillars
    )
    return tuple(
        coverage.pillar_bar(index, slug)
        for slug in (*index.pillars, *extra)
        if index.total(("pillar", slug))[1]
    )


def available(
    index: PathIndex,
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
    requires = index.requires
    chosen: dict[str, Item] = {}
    pulled_for: dict[str, str] = {}
    if current is not None:
        # Walk back through uncovered prerequisites that live outside the current stage.
        outside = index.outside_needs.get(current, frozenset())
        if shortlist is not None and outside <= covered:
            # Nothing to pull forward: the caller's best few stand for the whole stage.
            chosen = {item.slug: item for item in shortlist(current)}
        else:
            stage_items = [item for item in index.by_stage.get(current, ()) if item.slug not in covered]
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
                    prereq = index.by_slug[dep]
                    if prereq.stage != current:
                        pulled_for.setdefault(dep, needed_by.slug)
                        if requires[dep] <= covered:
                            chosen[dep] = prereq
                    stack.append((prereq, needed_by))
    for item in _in_progress(index, learner) if in_progress is None else in_progress:
        chosen[item.slug] = item
    return list(chosen.values()), pulled_for


def _in_progress(index: PathIndex, learner: Learner) -> list[Item]:
    """Started and not in a known stage, in catalog order."""
    started = [
        index.by_slug[slug]
        for slug, status in learner.statuses.items()
        if status == IN_PROGRESS and slug in index.by_slug
    ]
    started = [item for item in started if item.stage not in learner.known_stages]
    return sorted(started, key=lambda item: index.position[item.slug])


def opens(index: PathIndex, slug: str, covered: set[str]) -> list[Item]:
    """Uncovered resources whose last missing prerequisite is `slug`: finishing it opens them."""
    return [
        item
        for item in index.dependants.get(slug, ())
        if item.slug not in covered and index.requires[item.slug] - covered == {slug}
    ]


def opened_by(slug: str, index: PathIndex, learner: Learner) -> list[Item]:
    return opens(index, slug, _Coverage.of(index, learner).covered)


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


def build_path(index: PathIndex, learner: Learner, *, limit: int = 4) -> Path:
    """The whole path for one learner: bars, the current stage, and up to `limit` ranked
    recommendations (the first is *the* next resource), each with its reasons."""
    order = effective_order(learner.stage_order, index.stages)
    coverage = _Coverage.of(index, learner)
    covered = coverage.covered
    stages = stage_bars(index, learner, order, coverage)
    pillar_list = pillar_bars(index, learner, coverage)
    stage_by_slug = {bar.slug: bar for bar in stages}
    current = next((bar.slug for bar in stages if not bar.complete), None)

    in_progress = tuple(_in_progress(index, learner))
    candidates, pulled_for = available(
        index,
        learner,
        stages,
        covered,
        shortlist=lambda stage: _best_ready(index, stage, covered, learner.statuses, limit),
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
                for dependant in opens(index, slug, covered)
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
        reasons = reasons_for(
            item,
            learner=learner,
            order=order,
            stage_by_slug=stage_by_slug,
            needed_by=index.by_slug.get(pulled_for.get(item.slug, "")),
            prerequisites_covered=index.requires[item.slug] <= covered,
            pillar_bar=next((bar for bar in pillar_list if bar.slug == item.pillar), None),
            least_pillar=least_pillar,
            opens=opened_by_finishing(item.slug),
            names=index.names,
            total_sources=index.total_sources,
        )
        recommendations.append(Recommendation(item, reasons, opened_by_finishing(item.slug)))
    return Path(
        order, stages, pillar_list, coverage.overall(index), current, tuple(recommendations), in_progress
    )


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
