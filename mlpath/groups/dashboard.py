"""A study group's progress as pure functions: one row per member, counts per resource,
averages per pillar, the stuck rule, sorting, and CSV cells that spreadsheets cannot run.

Each member's numbers come from their own plan (the same `coverage` rules and `planner` as
their path page): topics covered, each counted once, so an organizer never sees a figure the
member would not recognise, and the overall share is always a mix of the bars beside it.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NamedTuple

from mlpath.progress.coverage import DONE, IN_PROGRESS, SKIPPED, PlanIndex, ResourceFacts
from mlpath.progress.path import LearnerPlan

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


def member_rows(
    index: PlanIndex, members: Iterable[Member], *, now: datetime, stuck_after_days: int
) -> list[Row]:
    """One row per member. The row keeps who the member is but not their plan, so a group's
    rows stay small enough to cache."""
    rows = []
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
            facts = index.resources[step.unit.resource]
            section = index.sections.get(step.unit.key)
            title = f"{facts.title}, {section.position}. {section.title}" if section else facts.title
            current = Named(facts.slug, title)
        finished = not plan.steps
        rows.append(
            Row(
                member=replace(member, plan=None),
                pillars=pillars,
                overall=overall.percent if overall.total else 100,
                current=current,
                current_in_progress=bool(started),
                finished=finished,
                stuck=is_stuck(member, finished=finished, now=now, after_days=stuck_after_days),
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
