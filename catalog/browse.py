"""Arrange resources for the catalog page. Works on rows already fetched; no queries."""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

PER_PAGE = 60


@dataclass
class PillarGroup:
    pillar: object  # a Pillar, or None for resources that belong to no pillar
    resources: list = field(default_factory=list)

    @property
    def card_heading_level(self) -> int:
        """The level of its cards' headings: one below the pillar's h3, or, for resources
        that belong to no pillar (no h3 above them), one below the stage's h2."""
        return 4 if self.pillar else 3


@dataclass
class StageGroup:
    stage: object
    pillars: list[PillarGroup] = field(default_factory=list)
    count: int = 0
    hours: Decimal = Decimal(0)


@dataclass(frozen=True)
class PageWindow:
    """Which slice of a result the page shows. Numbers count from 1, like the links."""

    number: int
    pages: int
    total: int
    per_page: int = PER_PAGE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def first(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.offset + self.per_page)

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def page_window(total: int, requested, per_page: int = PER_PAGE) -> PageWindow:
    """A page number from the query string, kept in range: anything that is not a page
    number (text, zero, past the end) shows the nearest real page rather than an error,
    since such links come from bookmarks made when the catalog was a different size."""
    pages = max(1, math.ceil(total / per_page))
    try:
        number = int(str(requested).strip())
    except (TypeError, ValueError):
        number = 1
    return PageWindow(min(max(number, 1), pages), pages, total, per_page)


def recommendation_order(resource) -> tuple:
    """More sources first (the seeds' consensus), then the easier one, then by title.

    `source_count` is a column, kept by the loader and the admin.
    """
    return (-resource.source_count, resource.level, resource.title.lower())


def group_by_stage_and_pillar(resources, stage_totals=None) -> list[StageGroup]:
    """Stages in their default order; inside each, resources without a pillar, then pillars.

    `stage_totals` ({stage id: (count, hours)}) describes the whole result when only a
    page of it is shown, so a stage's heading does not shrink to the page's share.
    """
    stages: dict[int, StageGroup] = {}
    for resource in resources:
        group = stages.setdefault(resource.stage_id, StageGroup(resource.stage))
        group.count += 1
        group.hours += resource.hours
        pillar_key = resource.pillar_id
        for pillar_group in group.pillars:
            if (pillar_group.pillar.id if pillar_group.pillar else None) == pillar_key:
                break
        else:
            pillar_group = PillarGroup(resource.pillar)
            group.pillars.append(pillar_group)
        pillar_group.resources.append(resource)
    for stage_id, (count, hours) in (stage_totals or {}).items():
        if stage_id in stages:
            stages[stage_id].count, stages[stage_id].hours = count, hours
    ordered = sorted(stages.values(), key=lambda g: (g.stage.position, g.stage.slug))
    for group in ordered:
        group.pillars.sort(key=lambda g: (g.pillar is not None, g.pillar.position if g.pillar else 0))
        for pillar_group in group.pillars:
            pillar_group.resources.sort(key=recommendation_order)
    return ordered


def needs_by_resource(
    teaches: Mapping[str, Iterable[str]],
    assumes: Mapping[str, Iterable[str]],
    requires: Mapping[str, Iterable[str]],
) -> dict[str, frozenset[str]]:
    """What each resource needs before it, for `graph.opened_by`: the topics it (or one of
    its sections) assumes, and those that the topics it teaches rest on, less the topics it
    teaches itself (a book that introduces vectors before matrices needs neither first).

    All three map a slug (resource, or topic for `requires`) to topic slugs.
    """
    needs = {}
    for slug in teaches.keys() | assumes.keys():
        taught = set(teaches.get(slug, ()))
        rests_on = {required for topic in taught for required in requires.get(topic, ())}
        needs[slug] = frozenset((set(assumes.get(slug, ())) | rests_on) - taught)
    return needs
