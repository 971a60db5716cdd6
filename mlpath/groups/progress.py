"""A whole group's progress: read in a fixed number of queries, whatever its size, and kept
per process until the group's revision, one of its members' stamps, the catalog's revision
or the clock moves on."""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from mlpath.progress.models import LearnerStamp, PathSettings, Progress, StatusChange
from mlpath.progress.path import CatalogView

from . import dashboard


def load_members(group, catalog: CatalogView) -> list[dashboard.Member]:
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
            learner=catalog.learner(
                statuses.get(membership.user_id, {}),
                path_settings.get(membership.user_id) or PathSettings(user_id=membership.user_id),
            ),
        )
        for membership in memberships
    ]


@dataclass
class GroupProgress:
    """Everything the dashboard, the CSV and the group page show, computed once."""

    catalog: CatalogView
    rows: list[dashboard.Row]  # name order
    averages: list[dashboard.Average]
    overall: int
    counts: list[dashboard.ResourceCount]  # touched resources only, busiest first
    stuck_count: int
    computed_at: datetime
    stuck_until: datetime | None
    _sorted: dict[tuple[str, bool], list[dashboard.Row]] = field(default_factory=dict, repr=False)
    # HTML that depends on this computation alone, filled in by the views as pages are shown:
    # user id -> the member's table row, and part name -> the part.
    row_html: dict[int, str] = field(default_factory=dict, repr=False)
    rendered: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def compute(
        cls, group, catalog: CatalogView, *, now: datetime, stuck_after_days: int, previous=None
    ) -> "GroupProgress":
        """`previous`, computed on the same catalog, lends the rows of members whose data has
        not moved: after one member's click only that member is planned again."""
        members = load_members(group, catalog)
        earlier = {row.member.user_id: row for row in previous.rows} if previous else {}
        rows = dashboard.member_rows(
            catalog.plan, members, now=now, stuck_after_days=stuck_after_days, previous=earlier
        )
        pillar_averages, overall = dashboard.averages(rows, catalog.pillars)
        row_html = {}
        if previous is not None:
            row_html = {
                row.member.user_id: previous.row_html[row.member.user_id]
                for row in rows
                if row.member.user_id in previous.row_html and earlier[row.member.user_id] == row
            }
        return cls(
            catalog=catalog,
            rows=rows,
            averages=pillar_averages,
            overall=overall,
            counts=dashboard.touched_first(dashboard.resource_counts(catalog.items, members)),
            stuck_count=sum(row.stuck for row in rows),
            computed_at=now,
            stuck_until=dashboard.stuck_flags_hold_until(rows, after_days=stuck_after_days),
            row_html=row_html,
        )

    def holds_at(self, now: datetime) -> bool:
        # Earlier than computed (a test travelling in time) is refused too: flags only
        # ever flip forwards from the moment they were computed.
        return self.computed_at <= now and (self.stuck_until is None or now < self.stuck_until)

    def sorted_rows(self, sort: str, *, stuck_only: bool = False) -> list[dashboard.Row]:
        # Two threads may sort at once; both get the same answer, so no lock is needed.
        key = (sort, stuck_only)
        if key not in self._sorted:
            rows = [row for row in self.rows if row.stuck] if stuck_only else self.rows
            self._sorted[key] = dashboard.sort_rows(rows, sort)
        return self._sorted[key]


# group id -> (key, GroupProgress), least recently used first. Only the latest state of each
# group is worth keeping: once its key moves on, the old one is never asked for again.
_cache: OrderedDict[int, tuple[tuple, GroupProgress]] = OrderedDict()
_lock = threading.Lock()
CACHE_GROUPS = 64


def member_stamps(group) -> int:
    """The sum of the members' LearnerStamp versions. A stamp only ever grows, and moves in
    the transaction of every change a member makes, so the sum moves with any of them: one
    indexed read, where a revision moved by every click cost each click a write to each of
    the learner's groups (and could deadlock two clicks on PostgreSQL, taking the rows of
    two shared groups in opposite orders)."""
    stamps = LearnerStamp.objects.filter(user__memberships__group=group).aggregate(total=Sum("version"))
    return stamps["total"] or 0


def group_progress(group) -> GroupProgress:
    """The group's progress: two queries (the members' stamps and the catalog's revision)
    while nothing has changed.

    Order matters. `group` was read first, with its revision; then its members' stamps and
    the catalog token; then the members' data. Every change writes its data and moves the
    revision or a stamp in one transaction, so data read after them is at least as new as
    they are: an entry may hold data newer than its key (harmless) but never older.
    Both only grow (a member who leaves takes their stamp along, but moves the revision).
    """
    state = (group.revision, member_stamps(group))
    token, catalog = CatalogView.current_with_token()
    stuck_after_days = settings.STUCK_AFTER_DAYS
    key = (state, token, stuck_after_days)
    now = timezone.now()
    with _lock:
        entry = _cache.get(group.pk)
        if entry is not None and entry[0] == key and entry[1].holds_at(now):
            _cache.move_to_end(group.pk)
            return entry[1]
    # The previous entry helps only if it was computed on this very catalog.
    previous = entry[1] if entry is not None and token and entry[1].catalog is catalog else None
    computed = GroupProgress.compute(
        group, catalog, now=now, stuck_after_days=stuck_after_days, previous=previous
    )
    if token:  # no token: the catalog may be mid-change, so the result is good for now only
        with _lock:
            newer = _cache.get(group.pk)
            if newer is not None and newer[0][0] > state:
                return computed  # a slower request must not put back an older state
            _cache[group.pk] = (key, computed)
            _cache.move_to_end(group.pk)
            while len(_cache) > CACHE_GROUPS:
                _cache.popitem(last=False)
    return computed


def forget_groups() -> None:
    """Drop this process's computed dashboards (tests, and the bench between runs)."""
    with _lock:
        _cache.clear()
