"""A study group's schedule as pure functions over plain data: weekly milestones laid out
from the goal's plan at a pace, which of a milestone's units a member has finished, and
whether the member is on track, behind or ahead.

A milestone is a set of units due by a date. The dates are the last day of each week
counted from the schedule's start; a week in which no unit ends (one long unit spanning
several weeks) has no milestone of its own.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from mlpath.progress.coverage import DONE, SKIPPED

# Two years of weekly milestones: a plan longer than that at the chosen pace stops there,
# and the organizer is told so (a schedule no one reads to its end helps nobody).
MAX_WEEKS = 104

FINISHED = frozenset({DONE, SKIPPED})


@dataclass(frozen=True)
class Planned:
    """A milestone as the schedule lays it out, before it is saved."""

    title: str
    due: date
    units: tuple[str, ...]


@dataclass(frozen=True)
class Scheduled:
    """A saved milestone as plain data, its units only those the catalog still has."""

    id: int
    title: str
    due: date
    units: tuple[str, ...]


@dataclass(frozen=True)
class Laid:
    milestones: tuple[Planned, ...]
    left_out: int  # units of the plan after MAX_WEEKS weeks at this pace


def weekly(units: Sequence[tuple[str, float]], *, start: date, hours_per_week: float) -> Laid:
    """`units`: (unit key, hours) in the plan's order, laid end to end at `hours_per_week`
    from `start`. A unit is due at the end of the week its last hour falls in; week n runs
    from start + 7n to start + 7n + 6, and its milestone is "Week n+1", due on that last day.
    """
    pace = max(hours_per_week, 0.5)
    weeks: dict[int, list[str]] = {}
    left_out = 0
    total = 0.0
    for key, hours in units:
        total += max(hours, 0.0)
        # Round away float noise first, so 6 h at 6 h a week ends in week one, not two.
        week = max(math.ceil(round(total / pace, 6)) - 1, 0)
        if week >= MAX_WEEKS:
            left_out += 1
            continue
        weeks.setdefault(week, []).append(key)
    return Laid(
        tuple(
            Planned(f"Week {week + 1}", start + timedelta(days=7 * week + 6), tuple(keys))
            for week, keys in sorted(weeks.items())
        ),
        left_out,
    )


def finished_units(
    keys: Iterable[str],
    *,
    resource_of: Mapping[str, str],
    unit_statuses: Mapping[str, str],
    resource_statuses: Mapping[str, str],
    stage_of: Mapping[str, str],
    known_stages: frozenset[str],
) -> frozenset[str]:
    """Which of `keys` a member has finished: the unit marked done or skipped, its whole
    resource done or skipped (finishing every section finishes a resource), or its stage one
    the member said they already know. A skipped unit counts: the member decided it is not
    for them, and holding it against them would make "behind" mean "disagrees"."""
    finished = set()
    for key in keys:
        resource = resource_of.get(key)
        if resource is None:
            continue
        if (
            unit_statuses.get(key) in FINISHED
            or resource_statuses.get(resource) in FINISHED
            or stage_of.get(resource) in known_stages
        ):
            finished.add(key)
    return frozenset(finished)


AHEAD, ON_TRACK, BEHIND, NO_SCHEDULE = "ahead", "on_track", "behind", "none"


@dataclass(frozen=True)
class Track:
    state: str  # AHEAD, ON_TRACK, BEHIND or NO_SCHEDULE
    behind: int = 0  # units of milestones already past their date, not finished
    ahead: int = 0  # units of milestones not yet due, already finished

    @property
    def label(self) -> str:
        if self.state == BEHIND:
            return f"Behind by {self.behind} unit{'s' if self.behind != 1 else ''}"
        if self.state == AHEAD:
            return f"Ahead by {self.ahead} unit{'s' if self.ahead != 1 else ''}"
        if self.state == ON_TRACK:
            return "On track"
        return "No schedule"


def track(finished: frozenset[str], milestones: Sequence[tuple[date, Sequence[str]]], today: date) -> Track:
    """Where a member stands against the milestones on `today`.

    - Behind: some unit of a milestone whose date has passed (before today) is unfinished;
      by how many such units.
    - Ahead: nothing overdue, and the next milestone (the first due today or later) is
      already finished in full; by how many units of milestones not yet due.
    - On track: anything else, such as being part way through this week's milestone.
    """
    if not milestones:
        return Track(NO_SCHEDULE)
    past = [key for due, keys in milestones if due < today for key in keys]
    coming = [(due, keys) for due, keys in milestones if due >= today]
    behind = sum(1 for key in past if key not in finished)
    ahead = sum(1 for _due, keys in coming for key in keys if key in finished)
    if behind:
        return Track(BEHIND, behind=behind, ahead=ahead)
    if coming and all(key in finished for key in coming[0][1]):
        return Track(AHEAD, ahead=ahead)
    return Track(ON_TRACK, ahead=ahead)


# Behind first, most behind first: the order an organizer reads the table in.
TRACK_ORDER = {BEHIND: 0, ON_TRACK: 1, AHEAD: 2, NO_SCHEDULE: 3}


def track_sort_key(state: Track) -> tuple[int, int, int]:
    return (TRACK_ORDER[state.state], -state.behind, -state.ahead)


def next_milestone(milestones: Sequence[Scheduled], today: date) -> Scheduled | None:
    """The first milestone due today or later (`milestones` in date order), or None."""
    return next((milestone for milestone in milestones if milestone.due >= today), None)


def completed(finished: frozenset[str], keys: Sequence[str]) -> bool:
    """A milestone is complete for a member when every one of its units is finished (an
    empty milestone is never counted as complete)."""
    return bool(keys) and all(key in finished for key in keys)
