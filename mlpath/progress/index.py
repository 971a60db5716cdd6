"""The catalog as the path sees it: plain resources and their indexes, built once per
catalog revision, and one learner's statuses. No database, no rules about what comes next
(see ranking.py)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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


@dataclass(frozen=True, eq=False)
class PathIndex:
    """The active catalog's resources with the indexes a path needs, built once per
    catalog revision.

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
    # Database id -> slug, when the index was read from the database (progress rows name ids).
    ids: Mapping[int, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        items: Sequence[Item],
        *,
        stages: Sequence[str],
        pillars: Sequence[str],
        names: Mapping[str, str] | None = None,
        total_sources: int = 0,
        ids: Mapping[int, str] | None = None,
    ) -> "PathIndex":
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
            ids=dict(ids or {}),
        )

    def total(self, key) -> tuple[float, int]:
        return self.totals.get(key, (0.0, 0))


def balance_group(item: Item):
    """What rank's rule 3 compares: the item's pillar, or its whole stage without one."""
    return item.pillar or ("stage", item.stage)


def static_rules(item: Item) -> tuple[int, int]:
    return item.level, -item.sources  # rank's rules 4 and 5


def _ranked_groups(by_stage: Mapping[str, Sequence[Item]]) -> dict:
    out: dict[str, dict[object, list[Item]]] = {}
    for stage, members in by_stage.items():
        groups = out.setdefault(stage, {})
        for item in sorted(members, key=static_rules):
            groups.setdefault(balance_group(item), []).append(item)
    return {stage: {key: tuple(items) for key, items in groups.items()} for stage, groups in out.items()}
