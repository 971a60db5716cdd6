"""The recommender as it was before it was indexed: a few plain passes over every item.

Slow (several passes over the whole catalog per learner) but easy to read, so it stays
as the oracle that tests/test_ranking.py checks the indexed version against.
"""

from collections.abc import Iterable, Mapping, Sequence

from mlpath.progress.index import FINISHED, IN_PROGRESS, Item, Learner
from mlpath.progress.ranking import Bar, Path, Recommendation, effective_order, rank
from mlpath.progress.reasons import reasons_for


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
    counts = {s: len(o) for s, o in opens.items()}
    ranked = rank(candidates, learner, order, fraction, lambda slug: counts.get(slug, 0), pulled_for, current)

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
