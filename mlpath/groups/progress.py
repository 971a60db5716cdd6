"""Read a whole group's progress in a fixed number of queries, whatever its size."""

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from mlpath.progress.models import PathSettings, Progress, StatusChange
from mlpath.progress.path import CatalogView

from . import dashboard


def load_group(group) -> tuple[CatalogView, list, list[dashboard.Member]]:
    """The catalog, the memberships (users attached) and each member as plain data.

    Nine queries: five for the catalog, one each for memberships, statuses, path settings
    and last activity. Every per-member query joins through the membership table instead
    of sending hundreds of ids.
    """
    catalog = CatalogView.current()
    memberships = list(
        group.memberships.select_related("user")
        .only("id", "role", "joined_at", "user_id", "user__username", "group_id")
        .order_by("user__username")
    )
    in_group = {"user__memberships__group": group}
    statuses: dict[int, dict[int, str]] = {}
    progress = Progress.objects.filter(**in_group).exclude(status="not_started")
    for user_id, resource_id, status in progress.values_list("user_id", "resource_id", "status"):
        statuses.setdefault(user_id, {})[resource_id] = status
    path_settings = {row.user_id: row for row in PathSettings.objects.filter(**in_group)}
    last_activity = dict(
        StatusChange.objects.filter(**in_group)
        .values("user_id")
        .annotate(last=Max("changed_at"))
        .values_list("user_id", "last")
    )
    members = [
        dashboard.Member(
            user_id=membership.user_id,
            name=membership.user.username,
            role=membership.role,
            joined_at=membership.joined_at,
            last_activity=last_activity.get(membership.user_id),
            learner=catalog.learner(
                statuses.get(membership.user_id, {}),
                path_settings.get(membership.user_id) or PathSettings(user_id=membership.user_id),
            ),
        )
        for membership in memberships
    ]
    return catalog, memberships, members


def group_rows(catalog: CatalogView, members) -> list[dashboard.Row]:
    return dashboard.member_rows(
        catalog.plan,
        members,
        now=timezone.now(),
        stuck_after_days=settings.STUCK_AFTER_DAYS,
    )
