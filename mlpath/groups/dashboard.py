"""A study group's progress as pure functions: one row per member, counts per resource,
averages per pillar, the stuck rule, sorting, and CSV cells that spreadsheets cannot run.

Each member's numbers come from the same `recommend` rules as their own path page, so
an organizer never sees a figure the member would not recognise.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from mlpath.progress import recommend


@dataclass(frozen=True)
class Member:
    user_id: int
    name: str
    role: str
    joined_at: datetime
    last_activity: datetime | None
    learner: recommend.Learner


@dataclass(frozen=True)
class Row:
    member: Member
    pillars: tuple[recommend.Bar, ...]
    overall: recommend.Bar
    current: recommend.Item | None
    current_in_progress: bool
    finished: bool
    stuck: bool


@dataclass(frozen=True)
class ResourceCount:
    item: recommend.Item
    done: int
    in_progress: int
    skipped: int


@dataclass(frozen=True)
class Average:
    slug: str
    percent: int


def is_stuck(member: Member, *, finished: bool, now: datetime, after_days: int) -> bool:
    """No status change for `after_days` days. A member who has never changed anything is
    measured from the day they joined; a member who has finished the path is never stuck."""
    if finished:
        return False
    since = member.last_activity or member.joined_at
    return now - since >= timedelta(days=after_days)


def member_rows(
    catalog: recommend.Catalog,
    members: Iterable[Member],
    *,
    now: datetime,
    stuck_after_days: int,
    previous: Mapping[int, Row] | None = None,
) -> list[Row]:
    """One row per member. A member's path depends on the catalog and their learner data
    only, so a row in `previous` (by user id, on the same catalog) whose learner data is
    unchanged keeps its path; name, role, activity and the stuck flag are always fresh."""
    previous = previous or {}
    rows = []
    for member in members:
        known = previous.get(member.user_id)
        if known is not None and known.member.learner == member.learner:
            pillars, overall, current = known.pillars, known.overall, known.current
            finished = known.finished
        else:
            path = recommend.build_path(catalog, member.learner, limit=1)
            pillars, overall, finished = path.pillars, path.overall, path.finished
            current = path.next.item if path.next else None
        rows.append(
            Row(
                member=member,
                pillars=pillars,
                overall=overall,
                current=current,
                current_in_progress=bool(current)
                and member.learner.statuses.get(current.slug) == recommend.IN_PROGRESS,
                finished=finished,
                stuck=is_stuck(member, finished=finished, now=now, after_days=stuck_after_days),
            )
        )
    return rows


def stuck_flags_hold_until(rows: Iterable[Row], *, after_days: int) -> datetime | None:
    """The first moment a member not stuck now becomes stuck if nobody does anything; None
    if no such moment comes. Until then every row's `stuck` flag stays as computed (a
    stuck member only recovers by changing something, which is new data anyway)."""
    moments = [
        (row.member.last_activity or row.member.joined_at) + timedelta(days=after_days)
        for row in rows
        if not row.finished and not row.stuck
    ]
    return min(moments, default=None)


def resource_counts(items: Sequence[recommend.Item], members: Iterable[Member]) -> list[ResourceCount]:
    """How many members are done with, in the middle of, or skipped each resource."""
    tally: dict[str, dict[str, int]] = {item.slug: {} for item in items}
    for member in members:
        for slug, status in member.learner.statuses.items():
            if slug in tally:
                tally[slug][status] = tally[slug].get(status, 0) + 1
    return [
        ResourceCount(
            item,
            done=tally[item.slug].get(recommend.DONE, 0),
            in_progress=tally[item.slug].get(recommend.IN_PROGRESS, 0),
            skipped=tally[item.slug].get(recommend.SKIPPED, 0),
        )
        for item in items
    ]


def touched_first(counts: Iterable[ResourceCount]) -> list[ResourceCount]:
    """Resources someone has touched: the most in progress first, since that is where the
    group is stuck, then the most touched; the catalog's order breaks ties."""
    touched = [c for c in counts if c.done or c.in_progress or c.skipped]
    return sorted(touched, key=lambda c: (-c.in_progress, -(c.done + c.in_progress + c.skipped)))


def averages(rows: Sequence[Row], pillars: Sequence[str]) -> tuple[list[Average], int]:
    """Each pillar's mean percentage over members (every member weighs the same), and overall."""
    if not rows:
        return [Average(slug, 0) for slug in pillars], 0
    result = []
    for slug in pillars:
        percents = [bar.percent for row in rows for bar in row.pillars if bar.slug == slug]
        if percents:
            result.append(Average(slug, round(sum(percents) / len(rows))))
    return result, round(sum(row.overall.percent for row in rows) / len(rows))


SORTS = {
    "name": lambda row: row.member.name.casefold(),
    "overall": lambda row: row.overall.percent,
    # Never-active members count as the least recent, then by when they joined.
    "activity": lambda row: (
        row.member.last_activity is not None,
        row.member.last_activity or row.member.joined_at,
    ),
}


def sort_rows(rows: Sequence[Row], sort: str) -> list[Row]:
    """`name`, `overall` or `activity`, ascending; a leading "-" reverses that column only.
    Equal values keep name order either way (Python's sort is stable, even reversed)."""
    by_name = sorted(rows, key=lambda row: (row.member.name.casefold(), row.member.user_id))
    return sorted(by_name, key=SORTS[sort.removeprefix("-")], reverse=sort.startswith("-"))


# A formula starter (=, +, -, @, tab, CR, LF) at the start of the cell or after a separator
# a spreadsheet may split on, past any whitespace or quotes it would skip.
FORMULA = re.compile(r"""(?:^|[,;\t|])[\s"']*[=+\-@\t\r\n]""")


def csv_cell(value) -> str:
    """Text a spreadsheet shows as text (OWASP): a leading ' on any cell that starts a formula,
    or has one after a separator. The writer must also quote every field (csv.QUOTE_ALL),
    so a spreadsheet that splits on that separator keeps the cell whole."""
    text = "" if value is None else str(value)
    return f"'{text}" if FORMULA.search(text) else text


def per_member_pillar(row: Row) -> Mapping[str, recommend.Bar]:
    return {bar.slug: bar for bar in row.pillars}
