"""Keep each group's revision honest, so a cached dashboard is never older than its members.

The revision moves when the membership changes or a member is renamed. Listening here rather
than in the views catches every path to such a change: the views, the admin, and cascades
such as a member deleting their account. What members do themselves (a click, a reset, new
settings) moves their own LearnerStamp, which the dashboard's key sums (see progress.py), so a
click writes nothing to the groups.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.db.models.signals import post_delete, post_save, pre_delete
from django.urls import reverse

from mlpath.accounts.signals import account_deletion_blockers
from mlpath.progress.models import SectionProgress
from mlpath.progress.signals import feed_events, path_panels

from . import dashboard, schedule
from .models import GroupMilestone, Membership, StudyGroup


def _user_saved(sender, instance, created=False, update_fields=None, raw=False, **kwargs):
    # The dashboard shows usernames; a sign-in saves only last_login and changes nothing shown.
    if created or raw or (update_fields is not None and "username" not in update_fields):
        return
    StudyGroup.objects.filter(memberships__user=instance).touch()


def _membership_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        StudyGroup.objects.filter(pk=instance.group_id).touch()


def _membership_deleted(sender, instance, origin=None, **kwargs):
    # Deleting the group itself deletes its memberships: nothing is left to refresh.
    if isinstance(origin, StudyGroup):
        return
    StudyGroup.objects.filter(pk=instance.group_id).touch()


def _deletion_blockers(sender, user, **kwargs) -> list[str]:
    """Leaving, demotion and removal all refuse to leave a group without an organizer;
    deleting the account must not be the way around that rule."""
    reasons = []
    for group in StudyGroup.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.ORGANIZER
    ).order_by("name"):
        others = group.memberships.exclude(user=user)
        if others.exists() and not others.filter(role=Membership.Role.ORGANIZER).exists():
            reasons.append(
                f"You are the only organizer of “{group.name}”. Make another member an organizer, "
                "or delete the group, before deleting your account."
            )
    return reasons


def _user_deleting(sender, instance, **kwargs):
    # A group whose only member is leaving with their account would be left empty, with no
    # one able to see or delete it.
    theirs = Membership.objects.filter(user=instance).values("group")
    alone = Membership.objects.filter(group__in=theirs).values("group").annotate(n=Count("id")).filter(n=1)
    StudyGroup.objects.filter(pk__in=alone.values("group")).delete()


def _next_milestones(user, today) -> list[tuple]:
    """For each of the user's groups, its first milestone due today or later, with the group:
    one query over the coming milestones of the user's groups (a few dozen at most)."""
    rows = (
        GroupMilestone.objects.filter(group__memberships__user=user, due__gte=today)
        .order_by("group__name", "group_id", "due", "id")
        .values_list(
            "group_id", "group__name", "group__slug", "group__goal_kind", "group__goal_slug",
            "id", "title", "due", "units",
        )
    )  # fmt: skip
    first: dict[int, tuple] = {}
    for row in rows:
        first.setdefault(row[0], row)
    return list(first.values())


def _path_panels(sender, user, index, learner_plan, today, **kwargs) -> list[dict]:
    """Each group's next milestone on the member's path, with what they have finished of it,
    and an offer to adopt the group's goal when it is not already theirs."""
    panels = []
    found = _next_milestones(user, today)
    if not found:
        return panels
    keys = {key for row in found for key in row[8] or () if key in index.units}
    ids = {pk: key for pk, key in index.section_ids.items() if key in keys}
    done = set()
    if ids:
        done = {
            ids[pk]
            for pk in SectionProgress.objects.filter(
                user=user, section_id__in=ids, status__in=schedule.FINISHED
            ).values_list("section_id", flat=True)
        }
    finished = dashboard.MilestoneUnits.of(index, keys).finished_by(learner_plan, done)
    for _gid, name, slug, goal_kind, goal_slug, _mid, title, due, units in found:
        shown = [key for key in units or () if key in index.units]
        panels.append(
            {
                "template": "groups/_path_milestone.html",
                "group_name": name,
                "group_slug": slug,
                "title": title,
                "due": due,
                "units": [
                    {
                        "title": dashboard.unit_title(index, key),
                        "slug": index.units[key].resource,
                        "finished": key in finished,
                    }
                    for key in shown
                ],
                "done_count": sum(1 for key in shown if key in finished),
                "adopt": (goal_kind, goal_slug)
                != (learner_plan.goal_choice.kind, learner_plan.goal_choice.slug),
            }
        )
    return panels


def _feed_events(sender, user, index, today, request, **kwargs) -> list:
    """The milestones of the learner's groups in their own calendar feed: from four weeks
    back (a calendar keeps what was due) to the future."""
    from .goal_views import milestone_events  # the views import this module's models

    by_group: dict[int, tuple] = {}
    milestones = (
        GroupMilestone.objects.filter(group__memberships__user=user, due__gte=today - timedelta(weeks=4))
        .select_related("group")
        .order_by("group_id", "due", "id")
    )
    for milestone in milestones:
        group, scheduled = by_group.setdefault(milestone.group_id, (milestone.group, []))
        units = tuple(key for key in milestone.units or () if key in index.units)
        scheduled.append(schedule.Scheduled(milestone.pk, milestone.title, milestone.due, units))
    events = []
    for group, scheduled in by_group.values():
        link = request.build_absolute_uri(reverse("groups:schedule", args=[group.slug]))
        events += milestone_events(index, group, scheduled, link)
    return events


def connect() -> None:
    path_panels.connect(_path_panels, dispatch_uid="groups-path-panels")
    feed_events.connect(_feed_events, dispatch_uid="groups-feed-events")
    account_deletion_blockers.connect(_deletion_blockers, dispatch_uid="groups-account-deletion")
    pre_delete.connect(_user_deleting, sender=settings.AUTH_USER_MODEL, dispatch_uid="groups-user-deleting")
    post_save.connect(_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="groups-user-saved")
    post_save.connect(_membership_saved, sender=Membership, dispatch_uid="groups-membership-saved")
    post_delete.connect(_membership_deleted, sender=Membership, dispatch_uid="groups-membership-deleted")
