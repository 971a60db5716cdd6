"""A study group's progress as pure functions: one row per member, counts per resource,
averages per pillar, the stuck rule, sorting, and CSV cells that spreadsheets cannot run.

Each member's numbers come from their own plan (the same `coverage` rules and `planner` as
their path page): topics covered, each counted once, so an organizer never sees a figure the
member would not recognise, and the overall share is always a mix of the bars beside it.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.utils.timesince import timesince

from mlpath.progress.coverage import DONE, IN_PROGRESS, SKIPPED, PlanIndex, ResourceFacts
from mlpath.progress.path import LearnerPlan

from . import schedule

# The column for the goal's topics outside the pillars: Python, and what projects teach. With
# it, the overall share is a mix of the columns shown, never 1% beside bars that all say 0%.
PRACTICE = "practice"
PRACTICE_NAME = "Programming and projects"


@dataclass(frozen=True)
class Member:
    user_id: int
    name: str
    role: str
    joined_at: datetime
    last_activity: datetime | None
    plan: LearnerPlan | None = None  # left out of the kept rows: only the numbers are kept


NO_TRACK = schedule.Track(schedule.NO_SCHEDULE)


class Named(NamedTuple):
    """A resource as a row names it."""

    slug: str
    title: str


@dataclass(frozen=True)
class Row:
    """One member's line. Plain values only (percentages, not Bars; names, not catalog
    items): a group's rows are cached, and every object in them costs its unpickling."""

    member: Member
    pillars: tuple[tuple[str, int], ...]  # (pillar slug, percent)
    overall: int  # percent of the whole path
    current: Named | None
    current_in_progress: bool
    finished: bool
    stuck: bool
    # Against the group's milestones: which of their units this member has finished, and
    # where that leaves them as of the day the row was computed.
    milestone_done: frozenset[str] = frozenset()
    track: schedule.Track = NO_TRACK


@dataclass(frozen=True)
class ResourceCount:
    item: Named
    done: int
    in_progress: int
    skipped: int


@dataclass(frozen=True)
class Average:
    slug: str
    percent: int


def unit_title(index: PlanIndex, key: str) -> str:
    """A unit as people name it: the resource, and the section's number and title if any."""
    section = index.sections.get(key)
    facts = index.resources[section.resource if section else key]
    return f"{facts.title}, {section.position}. {section.title}" if section else facts.title


def is_stuck(member: Member, *, finished: bool, now: datetime, after_days: int) -> bool:
    """No status change for `after_days` days. A member who has never changed anything is
    measured from the day they joined; a member who has finished the path is never stuck."""
    if finished:
        return False
    since = member.last_activity or member.joined_at
    return now - since >= timedelta(days=after_days)


def columns(index: PlanIndex) -> tuple[str, ...]:
    """The dashboard's bar columns: programming and projects, then each pillar."""
    return (PRACTICE, *index.pillars)


@dataclass(frozen=True)
class MilestoneUnits:
    """The milestones' unit keys still in the catalog, with what `finished_units` needs
    to know of each: read once per group, not once per member."""

    keys: tuple[str, ...]
    resource_of: Mapping[str, str]
    stage_of: Mapping[str, str]

    @classmethod
    def of(cls, index: PlanIndex, keys: Iterable[str]) -> "MilestoneUnits":
        units = index.units
        resource_of = {key: units[key].resource for key in keys if key in units}
        stage_of = {slug: index.resources[slug].stage for slug in set(resource_of.values())}
        return cls(tuple(resource_of), resource_of, stage_of)

    def finished_by(self, learner_plan: LearnerPlan, section_done: Iterable[str] = ()) -> frozenset[str]:
        """Which of the keys the learner has finished. `section_done`: their sections marked
        done or skipped among the keys, read apart from the plan (a kept plan holds only the
        statuses its pages print)."""
        return schedule.finished_units(
            self.keys,
            resource_of=self.resource_of,
            unit_statuses={**learner_plan.statuses.units, **dict.fromkeys(section_done, DONE)},
            resource_statuses=learner_plan.statuses.resources,
            stage_of=self.stage_of,
            known_stages=learner_plan.known_stages,
        )


def member_rows(
    index: PlanIndex,
    members: Iterable[Member],
    *,
    now: datetime,
    stuck_after_days: int,
    milestones: Sequence[tuple] = (),
    section_done: Mapping[int, frozenset[str]] | None = None,
    today=None,
) -> list[Row]:
    """One row per member. The row keeps who the member is but not their plan, so a group's
    rows stay small enough to cache. `milestones`: (due, unit keys) pairs, due order."""
    rows = []
    scheduled = MilestoneUnits.of(index, (key for _due, units in milestones for key in units))
    today = today or now.date()
    for member in members:
        learner_plan = member.plan
        plan = learner_plan.plan
        _stages, pillar_bars, overall = learner_plan.bars
        practice = [topic for topic in plan.goal_topics if not index.curriculum.pillar.get(topic)]
        covered = sum(1 for topic in practice if topic in plan.covered)
        pillars = ((PRACTICE, (100 * covered) // len(practice) if practice else 100),)
        pillars += tuple((bar.slug, bar.percent) for bar in pillar_bars)
        started = [step for step in plan.steps if step.unit.key in learner_plan.knowledge.in_progress]
        step = started[0] if started else plan.next
        current = None
        if step is not None:
            current = Named(step.unit.resource, unit_title(index, step.unit.key))
        finished = not plan.steps
        done = (
            scheduled.finished_by(learner_plan, (section_done or {}).get(member.user_id, ()))
            if scheduled.keys
            else frozenset()
        )
        rows.append(
            Row(
                member=replace(member, plan=None),
                pillars=pillars,
                overall=overall.percent if overall.total else 100,
                current=current,
                current_in_progress=bool(started),
                finished=finished,
                stuck=is_stuck(member, finished=finished, now=now, after_days=stuck_after_days),
                milestone_done=done,
                track=schedule.track(done, milestones, today),
            )
        )
    return rows


def flag_stuck(rows: Iterable[Row], *, now: datetime, after_days: int) -> list[Row]:
    """The rows with their stuck flags as of `now`: rows computed earlier, and kept, go
    stale only in this flag, which moves with the clock."""
    flagged = []
    for row in rows:
        stuck = is_stuck(row.member, finished=row.finished, now=now, after_days=after_days)
        flagged.append(row if stuck == row.stuck else replace(row, stuck=stuck))
    return flagged


def resource_counts(resources: Iterable[ResourceFacts], members: Iterable[Member]) -> list[ResourceCount]:
    """How many members are done with, in the middle of, or skipped each resource (its status
    as the member sees it: finishing every section finishes it)."""
    resources = list(resources)
    tally: dict[str, dict[str, int]] = {facts.slug: {} for facts in resources}
    for member in members:
        for slug, status in member.plan.statuses.resources.items():
            if slug in tally:
                tally[slug][status] = tally[slug].get(status, 0) + 1
    return [
        ResourceCount(
            Named(facts.slug, facts.title),
            done=tally[facts.slug].get(DONE, 0),
            in_progress=tally[facts.slug].get(IN_PROGRESS, 0),
            skipped=tally[facts.slug].get(SKIPPED, 0),
        )
        for facts in resources
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
        percents = [percent for row in rows for pillar, percent in row.pillars if pillar == slug]
        if percents:
            result.append(Average(slug, round(sum(percents) / len(rows))))
    return result, round(sum(row.overall for row in rows) / len(rows))


SORTS = {
    "name": lambda row: row.member.name.casefold(),
    "overall": lambda row: row.overall,
    # Never-active members count as the least recent, then by when they joined.
    "activity": lambda row: (
        row.member.last_activity is not None,
        row.member.last_activity or row.member.joined_at,
    ),
    # Most behind first, then on track, then ahead; members without a schedule last.
    "track": lambda row: schedule.track_sort_key(row.track),
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


def per_member_pillar(row: Row) -> Mapping[str, int]:
    """{pillar slug: percent}."""
    return dict(row.pillars)


def relative_day(day: date, today: date) -> str:
    """How long ago `day` was, to the day: "today", "yesterday", "3 days ago", "2 weeks ago"
    (Django's own `timesince`, to its largest unit only)."""
    days = (today - day).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{timesince(datetime.combine(day, time.min), datetime.combine(today, time.min), depth=1)} ago"


def behind_and_finished(
    rows: Iterable[Row], milestones: Sequence[tuple[str, date, Sequence[str]]], *, since: date, until: date
) -> tuple[list[Row], list[tuple[str, date, list[str]]]]:
    """What a weekly digest says: who is behind (most behind first), and for each milestone
    due from `since` to `until` (inclusive), who has every unit of it finished."""
    rows = list(rows)
    behind = sorted(
        (row for row in rows if row.track.state == schedule.BEHIND),
        key=lambda row: (-row.track.behind, row.member.name.casefold()),
    )
    done = [
        (
            title,
            due,
            sorted(
                (r.member.name for r in rows if schedule.completed(r.milestone_done, keys)), key=str.casefold
            ),
        )
        for title, due, keys in milestones
        if since <= due <= until
    ]
    return behind, done
