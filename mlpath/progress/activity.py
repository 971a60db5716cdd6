"""A learner's momentum: streaks, the year's heatmap and this week's hours. Pure functions
over plain data (days and totals); `views.activity_page` reads them in fixed queries.

Streaks count weeks, not days. A study plan is paced in hours a week (the learner's own
setting), and someone who studies on Saturdays has kept up; a day streak would call that a
broken habit six days out of seven. A week counts when the learner marked something started
or done in it, or reviewed a topic. The current streak survives an empty week until that week
is over: on Monday last week's streak still stands.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

WEEKS_SHOWN = 53  # a year of whole weeks, this one included
CELL, GAP = 11, 3
LEFT, TOP = 30, 16  # room for the weekday and month labels
# Hours in a day that take a cell to the next shade; 0 is a day with nothing finished.
LEVELS = (0.0, 0.5, 1.5, 3.0)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Streaks:
    current: int  # weeks in a row, up to this week (or last, while this one is still open)
    longest: int
    this_week_active: bool


def week_of(day: date) -> date:
    """The Monday that starts `day`'s week."""
    return day - timedelta(days=day.weekday())


def week_streaks(active_days: Iterable[date], today: date) -> Streaks:
    weeks = sorted({week_of(day) for day in active_days if day <= today})
    longest = run = 0
    previous = None
    for week in weeks:
        run = run + 1 if previous is not None and week - previous == timedelta(weeks=1) else 1
        longest = max(longest, run)
        previous = week
    this_week = week_of(today)
    current = 0
    if weeks and weeks[-1] >= this_week - timedelta(weeks=1):
        current = run  # the last run reaches this week, or last week while this one is open
    return Streaks(current=current, longest=longest, this_week_active=bool(weeks) and weeks[-1] == this_week)


@dataclass(frozen=True)
class Day:
    day: date
    finished: int  # sections and whole resources marked done (less those undone)
    hours: float
    level: int  # 0 to 4, the cell's shade
    x: int
    y: int

    @property
    def label(self) -> str:
        if not self.finished:
            return f"{self.when}: nothing finished"
        return f"{self.when}: {self.finished} finished, {self.hours:.1f} hours"

    @property
    def when(self) -> str:
        return f"{self.day:%A} {self.day.day} {self.day:%B %Y}"


@dataclass(frozen=True)
class Heatmap:
    weeks: tuple[tuple[Day, ...], ...]  # oldest week first, each Monday to Sunday (up to today)
    months: tuple[tuple[str, int], ...]  # (month name, x) where a month's first week starts
    weekdays: tuple[tuple[str, int], ...]  # (label, y) for Mon, Wed, Fri
    width: int
    height: int
    total_finished: int
    total_hours: float
    active_days: int

    cell = CELL


def level(hours: float, finished: int) -> int:
    if not finished and hours <= 0:
        return 0
    return 1 + sum(1 for step in LEVELS[1:] if hours > step)


def heatmap(totals: Mapping[date, tuple[int, float]], today: date) -> Heatmap:
    """The last `WEEKS_SHOWN` weeks up to today, a column a week and a row a weekday, like
    GitHub's. `totals`: day -> (finished, hours)."""
    first = week_of(today) - timedelta(weeks=WEEKS_SHOWN - 1)
    weeks = []
    months = []
    for column in range(WEEKS_SHOWN):
        monday = first + timedelta(weeks=column)
        x = LEFT + column * (CELL + GAP)
        if monday.day <= 7 or column == 0:
            months.append((f"{monday:%b}", x))
        days = []
        for row in range(7):
            day = monday + timedelta(days=row)
            if day > today:
                break
            finished, hours = totals.get(day, (0, 0.0))
            days.append(Day(day, finished, hours, level(hours, finished), x, TOP + row * (CELL + GAP)))
        weeks.append(tuple(days))
    if len(months) > 1 and months[1][1] - months[0][1] < 3 * (CELL + GAP):
        months.pop(0)  # a partial first month would print over the next one's name
    shown = [day for week in weeks for day in week]
    return Heatmap(
        weeks=tuple(weeks),
        months=tuple(months),
        weekdays=tuple((WEEKDAYS[row], TOP + row * (CELL + GAP) + CELL - 2) for row in (0, 2, 4)),
        width=LEFT + WEEKS_SHOWN * (CELL + GAP),
        height=TOP + 7 * (CELL + GAP),
        total_finished=sum(day.finished for day in shown),
        total_hours=sum(day.hours for day in shown),
        active_days=sum(1 for day in shown if day.finished),
    )


@dataclass(frozen=True)
class WeekGoal:
    hours: float
    goal: float

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.hours / self.goal)) if self.goal > 0 else 0

    @property
    def reached(self) -> bool:
        return self.goal > 0 and self.hours >= self.goal


@dataclass(frozen=True)
class Month:
    name: str
    active_days: int
    finished: int
    hours: float


def by_month(calendar: Heatmap) -> list[Month]:
    """The heatmap's days added up by month, oldest first: its text version."""
    months: dict[tuple[int, int], list[Day]] = {}
    for week in calendar.weeks:
        for day in week:
            months.setdefault((day.day.year, day.day.month), []).append(day)
    return [
        Month(
            name=f"{days[0].day:%B %Y}",
            active_days=sum(1 for day in days if day.finished),
            finished=sum(day.finished for day in days),
            hours=sum(day.hours for day in days),
        )
        for _key, days in sorted(months.items())
    ]
