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
from collections.abc import Iterable, Mapping, Sequence
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
        if self.total_hours <= 0:
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


def is_covered(item: Item, learner: Learner) -> bool:
    return item.stage in learner.known_stages or learner.statuses.get(item.slug) in FINISHED


def _bar(slug: str, items: Iterable[Item], learner: Learner, known: bool = False) -> Bar:
    total = covered = 0.0
    count = covered_count = 0
    for item in items:
        count += 1
        total += item.hours
        if known or is_covered(item, learner):
            covered_count += 1
            covered += item.hours
    return Bar(slug, covered, total, count, covered_count, known)


def stage_bars(items: Sequence[Item], learner: Learner, order: Sequence[str]) -> tuple[Bar, ...]:
    by_stage: dict[str, list[Item]] = {slug: [] for slug in order}
    for item in items:
        by_stage.setdefault(item.stage, []).append(item)
    return tuple(_bar(slug, by_stage[slug], learner, known=slug in learner.known_stages) for slug in by_stage)


def pillar_bars(items: Sequence[Item], learner: Learner, pillars: Sequence[str]) -> tuple[Bar, ...]:
    """One bar per pillar that has resources, in the given order, across every stage."""
    by_pillar: dict[str, list[Item]] = {slug: [] for slug in pillars}
    for item in items:
        if item.pillar is not None:
            by_pillar.setdefault(item.pillar, []).append(item)
    return tuple(_bar(slug, members, learner) for slug, members in by_pillar.items() if members)


def available(
    items: Sequence[Item], learner: Learner, order: Sequence[str], stages: Sequence[Bar] | None = None
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
    """
    by_slug = {item.slug: item for item in items}
    stages = stages if stages is not None else stage_bars(items, learner, order)
    current = next((bar.slug for bar in stages if not bar.complete), None)

    def ready(item: Item) -> bool:
        return not is_covered(item, learner) and all(
            dep not in by_slug or is_covered(by_slug[dep], learner) for dep in item.requires
        )

    chosen: dict[str, Item] = {}
    pulled_for: dict[str, str] = {}
    if current is not None:
        stage_items = [item for item in items if item.stage == current and not is_covered(item, learner)]
        for item in stage_items:
            if ready(item):
                chosen[item.slug] = item
        # Walk back through uncovered prerequisites that live outside the current stage.
        stack = [(item, item) for item in stage_items]
        seen: set[str] = set()
        while stack:
            item, needed_by = stack.pop()
            for dep in item.requires:
                prereq = by_slug.get(dep)
                if prereq is None or dep in seen or is_covered(prereq, learner):
                    continue
                seen.add(dep)
                if prereq.stage != current:
                    pulled_for.setdefault(dep, needed_by.slug)
                    if ready(prereq):
                        chosen[dep] = prereq
                stack.append((prereq, needed_by))
    for item in items:
        if learner.statuses.get(item.slug) == IN_PROGRESS and item.stage not in learner.known_stages:
            chosen[item.slug] = item
    return list(chosen.values()), pulled_for


def opened_by(slug: str, items: Sequence[Item], learner: Learner) -> list[Item]:
    """Uncovered resources whose last missing prerequisite is `slug`: finishing it opens them."""
    return _Openings(items, learner).of(slug)


class _Openings:
    """`opened_by` for many slugs at once, in time linear in the size of the graph."""

    def __init__(self, items: Sequence[Item], learner: Learner):
        by_slug = {item.slug: item for item in items}
        self.dependants: dict[str, list[Item]] = {}
        self.missing: dict[str, int] = {}
        for item in items:
            if is_covered(item, learner):
                continue
            gaps = {dep for dep in item.requires if dep in by_slug and not is_covered(by_slug[dep], learner)}
            self.missing[item.slug] = len(gaps)
            for dep in gaps:
                self.dependants.setdefault(dep, []).append(item)

    def of(self, slug: str) -> list[Item]:
        return [item for item in self.dependants.get(slug, ()) if self.missing[item.slug] == 1]


def rank(
    candidates: Sequence[Item],
    learner: Learner,
    order: Sequence[str],
    pillar_fraction: Mapping[str | None, float],
    opens_count: Mapping[str, int],
    pulled_for: Mapping[str, str] = {},
    current: str | None = None,
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
    """
    position = {slug: index for index, slug in enumerate(order)}

    def key(item: Item):
        stage = current if item.slug in pulled_for and current else item.stage
        stage_index = position.get(stage, len(order))
        balance = pillar_fraction.get(item.pillar if item.pillar else ("stage", item.stage), 0.0)
        return (
            learner.statuses.get(item.slug) != IN_PROGRESS,
            stage_index,
            round(balance, 6),
            item.level,
            -item.sources,
            -opens_count.get(item.slug, 0),
            item.hours,
            item.title.casefold(),
            item.slug,
        )

    return sorted(candidates, key=key)


def build_path(
    items: Sequence[Item],
    learner: Learner,
    *,
    catalog_stages: Sequence[str],
    pillars: Sequence[str],
    names: Mapping[str, str] = {},
    total_sources: int = 0,
    limit: int = 4,
) -> Path:
    """The whole path for one learner: bars, the current stage, and up to `limit` ranked
    recommendations (the first is *the* next resource), each with its reasons."""
    order = effective_order(learner.stage_order, catalog_stages)
    stages = stage_bars(items, learner, order)
    pillar_list = pillar_bars(items, learner, pillars)
    overall = _bar("overall", items, learner)
    stage_by_slug = {bar.slug: bar for bar in stages}
    current = next((bar.slug for bar in stages if not bar.complete), None)
    by_slug = {item.slug: item for item in items}

    candidates, pulled_for = available(items, learner, order, stages)
    fraction: dict = {bar.slug: bar.fraction for bar in pillar_list}
    fraction.update({("stage", bar.slug): bar.fraction for bar in stages})
    openings = _Openings(items, learner)
    # Only what finishing it makes available now: a dependant in a stage the learner has
    # not reached yet stays locked by the stage order, so it is not "opened".
    position = {slug: index for index, slug in enumerate(order)}
    reachable = position[current] if current is not None else len(order)
    opens = {
        item.slug: tuple(
            dependant
            for dependant in openings.of(item.slug)
            if position.get(dependant.stage, len(order)) <= reachable or dependant.slug in pulled_for
        )
        for item in candidates
    }
    ranked = rank(
        candidates, learner, order, fraction, {s: len(o) for s, o in opens.items()}, pulled_for, current
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
            needed_by=by_slug.get(pulled_for.get(item.slug, "")),
            prerequisites_covered=all(
                dep not in by_slug or is_covered(by_slug[dep], learner) for dep in item.requires
            ),
            pillar_bar=next((bar for bar in pillar_list if bar.slug == item.pillar), None),
            least_pillar=least_pillar,
            opens=opens[item.slug],
            names=names,
            total_sources=total_sources,
        )
        recommendations.append(Recommendation(item, reasons, opens[item.slug]))
    in_progress = tuple(
        item
        for item in items
        if learner.statuses.get(item.slug) == IN_PROGRESS and item.stage not in learner.known_stages
    )
    return Path(order, stages, pillar_list, overall, current, tuple(recommendations), in_progress)


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
