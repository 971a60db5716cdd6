"""A group's goal as a plan, and its schedule of milestones saved from that plan."""

from datetime import date
from decimal import Decimal

from django.db import transaction

from mlpath.progress import planner
from mlpath.progress.coverage import PlanIndex
from mlpath.progress.models import GoalKind, PathSettings
from mlpath.progress.path import goal_label, learner_plan

from . import dashboard, schedule
from .models import GroupMilestone, StudyGroup


def goal_plan(index: PlanIndex, goal_kind: str, goal_slug: str, hours_per_week: Decimal):
    """The plan a newcomer would get for the goal, knowing nothing yet and with the default
    preferences: the group's common ground, whatever each member already knows."""
    newcomer = PathSettings(goal_kind=goal_kind, goal_slug=goal_slug, hours_per_week=hours_per_week)
    return learner_plan(index, newcomer, {}, {})


def goal_name(index: PlanIndex, goal_kind: str, goal_slug: str) -> str:
    """The goal in words, as the path page says it, without planning for it. An unknown or
    retired target reads as the whole path, which is what the planner falls back to."""
    if goal_kind == GoalKind.TOPIC and goal_slug in index.topic_names:
        return index.topic_names[goal_slug]
    if goal_kind in (GoalKind.PROJECT, GoalKind.RESOURCE) and goal_slug in index.resources:
        return index.resources[goal_slug].title
    return goal_label(index, planner.Goal(topics=frozenset(), label=""))


def unit_choices(index: PlanIndex, group: StudyGroup, extra=()) -> list[tuple[str, str]]:
    """The goal's units in the plan's order, then any `extra` keys still in the catalog
    (a milestone's units the plan no longer holds), each as (key, "title, about N h")."""
    plan = goal_plan(index, group.goal_kind, group.goal_slug, group.hours_per_week).plan
    keys = [step.unit.key for step in plan.steps]
    keys += [key for key in extra if key in index.units and key not in keys]
    return [
        (key, f"{dashboard.unit_title(index, key)}, about {index.units[key].hours:.0f} h") for key in keys
    ]


def lay_out(group: StudyGroup, index: PlanIndex, *, start: date) -> schedule.Laid:
    """Replace the group's milestones with weekly ones from its goal's plan at its pace."""
    plan = goal_plan(index, group.goal_kind, group.goal_slug, group.hours_per_week).plan
    laid = schedule.weekly(
        [(step.unit.key, step.unit.hours) for step in plan.steps],
        start=start,
        hours_per_week=float(group.hours_per_week),
    )
    with transaction.atomic():
        group.save(update_fields=["goal_kind", "goal_slug", "hours_per_week"])
        group.milestones.all().delete()
        GroupMilestone.objects.bulk_create(
            GroupMilestone(group=group, title=m.title, due=m.due, units=list(m.units))
            for m in laid.milestones
        )
        StudyGroup.objects.filter(pk=group.pk).touch()
    return laid


def save_milestone(group: StudyGroup, milestone: GroupMilestone, *, title: str, due: date, units: list[str]):
    """Save one milestone; a unit it now holds leaves the group's other milestones, so no
    unit is due twice."""
    with transaction.atomic():
        milestone.group, milestone.title, milestone.due, milestone.units = group, title, due, units
        milestone.save()
        chosen = set(units)
        for other in group.milestones.exclude(pk=milestone.pk).select_for_update():
            kept = [key for key in other.units or () if key not in chosen]
            if kept != list(other.units or ()):
                if kept:
                    other.units = kept
                    other.save(update_fields=["units"])
                else:
                    other.delete()
        StudyGroup.objects.filter(pk=group.pk).touch()
