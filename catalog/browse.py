"""Arrange resources for the catalog page. Works on rows already fetched; no queries."""

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class PillarGroup:
    pillar: object  # a Pillar, or None for resources that belong to no pillar
    resources: list = field(default_factory=list)


@dataclass
class StageGroup:
    stage: object
    pillars: list[PillarGroup] = field(default_factory=list)
    count: int = 0
    hours: Decimal = Decimal(0)


def recommendation_order(resource) -> tuple:
    """More sources first (the seeds' consensus), then the easier one, then by title.

    Needs `source_count`, which `Resource.objects.for_listing()` annotates.
    """
    return (-resource.source_count, resource.level, resource.title.lower())


def group_by_stage_and_pillar(resources) -> list[StageGroup]:
    """Stages in their default order; inside each, resources without a pillar, then pillars."""
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
    ordered = sorted(stages.values(), key=lambda g: (g.stage.position, g.stage.slug))
    for group in ordered:
        group.pillars.sort(key=lambda g: (g.pillar is not None, g.pillar.position if g.pillar else 0))
        for pillar_group in group.pillars:
            pillar_group.resources.sort(key=recommendation_order)
    return ordered
