"""Keep each group's revision honest, so a cached dashboard is never older than its members.

The revision moves when the membership changes or a member is renamed. Listening here rather
than in the views catches every path to such a change: the views, the admin, and cascades
such as a member deleting their account. What members do themselves (a click, a reset, new
settings) moves their own LearnerStamp, which the dashboard's key sums (see progress.py), so a
click writes nothing to the groups.
"""

from django.conf import settings
from django.db.models import Count
from django.db.models.signals import post_delete, post_save, pre_delete

from mlpath.accounts.signals import account_deletion_blockers

from .models import Membership, StudyGroup


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


def connect() -> None:
    account_deletion_blockers.connect(_deletion_blockers, dispatch_uid="groups-account-deletion")
    pre_delete.connect(_user_deleting, sender=settings.AUTH_USER_MODEL, dispatch_uid="groups-user-deleting")
    post_save.connect(_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="groups-user-saved")
    post_save.connect(_membership_saved, sender=Membership, dispatch_uid="groups-membership-saved")
    post_delete.connect(_membership_deleted, sender=Membership, dispatch_uid="groups-membership-deleted")
