"""A whole group's progress: read in a fixed number of queries, whatever its size, and kept
in Django's cache under a key that moves whenever the group, any member's data or the
catalog does."""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, Sum
from django.utils import timezone

from mlpath.progress.index import PathIndex
from mlpath.progress.models import LearnerStamp, PathSettings, Progress, StatusChange
from mlpath.progress.path import current_index_with_token, learner_of

from . import dashboard

# A key moves whenever its inputs do, so an entry is never stale, only unused; the timeout
# just hands the memory back.
KEPT_SECONDS = 3600
# The dashboard lists this many of the resources the group has touched, busiest first.
COUNTS_SHOWN = 20


def load_members(group, index: PathIndex) -> list[dashboard.Member]:
    """Each member as plain data, in name order.

    Four queries: memberships (users attached), statuses, path settings and last activity.
    Every per-member query joins through the membership table instead of sending hundreds
    of ids.
    """
    memberships = (
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
    return [
        dashboard.Member(
            user_id=membership.user_id,
            name=membership.user.username,
            role=membership.role,
            joined_at=membership.joined_at,
            last_activity=last_activity.get(membership.user_id),
            learner=learner_of(
                index,
                statuses.get(membership.user_id, {}),
                path_settings.get(membership.user_id) or PathSettings(user_id=membership.user_id),
            ),
        )
        for membership in memberships
    ]


@dataclass(frozen=True)
class GroupSummary:
    """Everything the dashboard, the CSV and the group page show, as plain data."""

    index: PathIndex
    rows: list[dashboard.Row]  # name order, stuck flags as of now
    averages: list[dashboard.Average]
    overall: int
    counts: list[dashboard.ResourceCount]  # the COUNTS_SHOWN busiest touched resources
    touched_count: int  # how many resources anyone in the group has touched
    key: str  # moves with the group, its members' data and the catalog ("" if not kept)

    @property
    def stuck_count(self) -> int:
        return sum(row.stuck for row in self.rows)

    def sorted_rows(self, sort: str, *, stuck_only: bool = False) -> list[dashboard.Row]:
        rows = [row for row in self.rows if row.stuck] if stuck_only else self.rows
        return dashboard.sort_rows(rows, sort)


def member_stamps(group) -> int:
    """The sum of the members' LearnerStamp versions. A stamp only ever grows, and moves in
    the transaction of every change a member makes, so the sum moves with any of them: one
    indexed read, where a revision moved by every click cost each click a write to each of
    the learner's groups (and could deadlock two clicks on PostgreSQL, taking the rows of
    two shared groups in opposite orders)."""
    stamps = LearnerStamp.objects.filter(user__memberships__group=group).aggregate(total=Sum("version"))
    return stamps["total"] or 0


def _compute(group, index: PathIndex) -> tuple:
    members = load_members(group, index)
    rows = dashboard.member_rows(
        index, members, now=timezone.now(), stuck_after_days=settings.STUCK_AFTER_DAYS
    )
    pillar_averages, overall = dashboard.averages(rows, index.pillars)
    counts = dashboard.touched_first(dashboard.resource_counts(index.items, members))
    return rows, pillar_averages, overall, counts[:COUNTS_SHOWN], len(counts)


def group_summary(group) -> GroupSummary:
    """The group's progress: two queries (the members' stamps and the catalog's revision)
    and one cache read while nothing has changed.

    Order matters. `group` was read first, with its revision; then its members' stamps and
    the catalog token; then the members' data. Every change writes its data and moves the
    revision or a stamp in one transaction, so data read after them is at least as new as
    they are: an entry may hold data newer than its key (harmless) but never older.
    """
    stamps = member_stamps(group)
    token, index = current_index_with_token()
    key = f"group-summary:{group.pk}:{group.revision}:{stamps}:{token}" if token else ""
    computed = cache.get(key) if key else None
    if computed is None:
        computed = _compute(group, index)
        if key:  # no token: the catalog may be mid-change, so the result is good for now only
            cache.set(key, computed, KEPT_SECONDS)
    rows, pillar_averages, overall, counts, touched = computed
    rows = dashboard.flag_stuck(rows, now=timezone.now(), after_days=settings.STUCK_AFTER_DAYS)
    return GroupSummary(index, rows, pillar_averages, overall, counts, touched, key)
