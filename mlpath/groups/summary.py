"""A whole group's progress: read in a fixed number of queries, whatever its size, and kept
in Django's cache under a key that moves whenever the group, any member's data or the
catalog does."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, Sum
from django.utils import timezone

from mlpath.progress.coverage import PlanIndex
from mlpath.progress.models import LearnerStamp, PathSettings, Progress, SectionProgress, StatusChange
from mlpath.progress.path import current_plan_index, learner_plan, pack, plan_key, unpack

from . import dashboard, schedule

# A key moves whenever its inputs do, so an entry is never stale, only unused; the timeout
# just hands the memory back.
KEPT_SECONDS = 3600
# The dashboard lists this many of the resources the group has touched, busiest first.
COUNTS_SHOWN = 20


def load_members(group, index: PlanIndex, token: str) -> list[dashboard.Member]:
    """Each member as plain data with their plan, in name order.

    Each member's plan is the one their own path page keeps in the cache (same key), so
    after one member's click only that member's plan is computed again. Six queries at most:
    memberships (users attached), stamps, last activity, then for the members whose plan was
    not kept their statuses, section statuses and path settings. Every per-member query joins
    through the membership table instead of sending hundreds of ids.
    """
    memberships = list(
        group.memberships.select_related("user")
        .only("id", "role", "joined_at", "user_id", "user__username", "group_id")
        .order_by("user__username")
    )
    in_group = {"user__memberships__group": group}
    stamps = dict(LearnerStamp.objects.filter(**in_group).values_list("user_id", "version"))
    keys = {m.user_id: plan_key(m.user_id, stamps.get(m.user_id, 0), token) for m in memberships}
    plans = {}
    if token:
        kept = cache.get_many(list(keys.values()))
        plans = {user_id: unpack(index, kept[key]) for user_id, key in keys.items() if key in kept}
    missing = [m.user_id for m in memberships if m.user_id not in plans]
    if missing:
        statuses: dict[int, dict[int, str]] = {}
        progress = Progress.objects.filter(**in_group).exclude(status="not_started")
        for user_id, resource_id, status in progress.values_list("user_id", "resource_id", "status"):
            statuses.setdefault(user_id, {})[resource_id] = status
        section_statuses: dict[int, dict[int, str]] = {}
        sections = SectionProgress.objects.filter(**in_group).exclude(status="not_started")
        for user_id, section_id, status in sections.values_list("user_id", "section_id", "status"):
            section_statuses.setdefault(user_id, {})[section_id] = status
        path_settings = {row.user_id: row for row in PathSettings.objects.filter(**in_group)}
        fresh = {
            user_id: learner_plan(
                index,
                path_settings.get(user_id) or PathSettings(user_id=user_id),
                statuses.get(user_id, {}),
                section_statuses.get(user_id, {}),
            )
            for user_id in missing
        }
        if token:
            cache.set_many({keys[user_id]: pack(plan) for user_id, plan in fresh.items()}, KEPT_SECONDS)
        plans.update(fresh)
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
            plan=plans[membership.user_id],
        )
        for membership in memberships
    ]


def load_milestones(group, index: PlanIndex) -> tuple[schedule.Scheduled, ...]:
    """The group's milestones in date order, each keeping only the units the catalog still
    has: one query."""
    return tuple(
        schedule.Scheduled(pk, title, due, tuple(key for key in units or () if key in index.units))
        for pk, title, due, units in group.milestones.order_by("due", "id").values_list(
            "id", "title", "due", "units"
        )
    )


def sections_finished(group, index: PlanIndex, keys) -> dict[int, frozenset[str]]:
    """{member id: the sections among `keys` they marked done or skipped}: one query, only
    for the milestones' sections (a kept plan does not hold statuses of finished units)."""
    keys = set(keys)
    ids = {pk: key for pk, key in index.section_ids.items() if key in keys}
    if not ids:
        return {}
    found: dict[int, set[str]] = {}
    rows = SectionProgress.objects.filter(
        user__memberships__group=group, section_id__in=ids, status__in=schedule.FINISHED
    ).values_list("user_id", "section_id")
    for user_id, section_id in rows:
        found.setdefault(user_id, set()).add(ids[section_id])
    return {user_id: frozenset(keys) for user_id, keys in found.items()}


@dataclass(frozen=True)
class GroupSummary:
    """Everything the dashboard, the CSV and the group page show, as plain data."""

    index: PlanIndex
    rows: list[dashboard.Row]  # name order, stuck flags as of now
    averages: list[dashboard.Average]
    overall: int
    counts: list[dashboard.ResourceCount]  # the COUNTS_SHOWN busiest touched resources
    touched_count: int  # how many resources anyone in the group has touched
    key: str  # moves with the group, its members' data and the catalog ("" if not kept)
    milestones: tuple[schedule.Scheduled, ...] = ()
    today: date | None = None

    @property
    def next_milestone(self) -> schedule.Scheduled | None:
        return schedule.next_milestone(self.milestones, self.today)

    @property
    def track_counts(self) -> dict[str, int]:
        counts = dict.fromkeys((schedule.BEHIND, schedule.ON_TRACK, schedule.AHEAD), 0)
        for row in self.rows:
            if row.track.state in counts:
                counts[row.track.state] += 1
        return counts

    @property
    def columns(self) -> tuple[str, ...]:
        return dashboard.columns(self.index)

    @property
    def names(self) -> dict[str, str]:
        return {**self.index.names, dashboard.PRACTICE: dashboard.PRACTICE_NAME}

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


def _compute(group, index: PlanIndex, token: str, today: date) -> tuple:
    milestones = load_milestones(group, index)
    members = load_members(group, index, token)
    keys = {key for milestone in milestones for key in milestone.units}
    rows = dashboard.member_rows(
        index,
        members,
        now=timezone.now(),
        stuck_after_days=settings.STUCK_AFTER_DAYS,
        milestones=[(m.due, m.units) for m in milestones],
        section_done=sections_finished(group, index, keys),
        today=today,
    )
    pillar_averages, overall = dashboard.averages(rows, dashboard.columns(index))
    counts = dashboard.touched_first(dashboard.resource_counts(index.resources.values(), members))
    return rows, pillar_averages, overall, counts[:COUNTS_SHOWN], len(counts), milestones


def group_summary(group, today: date | None = None) -> GroupSummary:
    """The group's progress: two queries (the members' stamps and the catalog's revision)
    and one cache read while nothing has changed.

    Order matters. `group` was read first, with its revision; then its members' stamps and
    the catalog token; then the members' data. Every change writes its data and moves the
    revision or a stamp in one transaction, so data read after them is at least as new as
    they are: an entry may hold data newer than its key (harmless) but never older.
    """
    stamps = member_stamps(group)
    token, index = current_plan_index()
    # The day is in the key: on track or behind moves with the date as milestones fall due.
    today = today or timezone.localdate()
    key = f"group-summary{FORMAT}:{group.pk}:{group.revision}:{stamps}:{token}:{today}" if token else ""
    computed = cache.get(key) if key else None
    if computed is None:
        computed = _compute(group, index, token, today)
        if key:  # no token: the catalog may be mid-change, so the result is good for now only
            cache.set(key, computed, KEPT_SECONDS)
    rows, pillar_averages, overall, counts, touched, milestones = computed
    rows = dashboard.flag_stuck(rows, now=timezone.now(), after_days=settings.STUCK_AFTER_DAYS)
    return GroupSummary(index, rows, pillar_averages, overall, counts, touched, key, milestones, today)


# Moves when what `_compute` returns changes shape, so a deploy never unpickles an older one.
FORMAT = 2
