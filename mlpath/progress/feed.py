"""The learner's calendar feed (RFC 5545): which events, on which days. Pure functions over
plain data; the `icalendar` package writes the text, escaping and folding included.

- The plan at the learner's pace: one all-day event per week, spanning it and naming the
  units that start in it. Units are laid end to end at `hours_per_week`; a unit starts in
  the week its first hour falls in. Only the coming year is written (a feed of a 500-step
  plan would otherwise reach into the next decade).
- Reviews: one all-day event per day with topics due, naming them.

Each event's UID is stable (the week's Monday, the review's day), so a calendar app that
subscribes updates its copy rather than piling up duplicates.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import icalendar

from .activity import week_of

HORIZON_WEEKS = 52


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    summary: str
    start: date
    end: date  # exclusive, as all-day events are in RFC 5545
    description: str = ""
    url: str = ""


def _pace(hours_per_week: float) -> float:
    return max(hours_per_week, 0.5)  # the settings' floor, so a week always holds something


def horizon_hours(hours_per_week: float) -> float:
    """How many hours of the plan the feed's year holds: the plan need not be read further."""
    return HORIZON_WEEKS * _pace(hours_per_week)


def plan_events(
    steps: Sequence[tuple[str, str, float, str]], hours_per_week: float, today: date
) -> list[FeedEvent]:
    """One all-day event per week of the plan, spanning it and naming the units that start in
    it (a calendar's week view stays readable: one line, not a dozen stacked ones).

    `steps`: (unit key, title, hours, url) in plan order. Units are laid end to end at the
    learner's pace; a unit belongs to the week its first hour falls in; week 0 is this one."""
    pace = _pace(hours_per_week)
    weeks: dict[int, list[tuple[str, float, str]]] = {}
    done_hours = 0.0
    for _key, title, hours, url in steps:
        week = int(done_hours // pace)
        if week >= HORIZON_WEEKS:
            break
        weeks.setdefault(week, []).append((title, hours, url))
        done_hours += hours
    events = []
    for week, units in sorted(weeks.items()):
        monday = week_of(today) + timedelta(weeks=week)
        first = units[0][0]
        more = len(units) - 1
        lines = [
            f"- {title}, about {hours:.1f} h: {url}" if url else f"- {title}, about {hours:.1f} h"
            for title, hours, url in units
        ]
        events.append(
            FeedEvent(
                uid=f"plan-week-{monday.isoformat()}",
                summary=f"Study: {first}" + (f" and {more} more" if more else ""),
                start=monday,
                end=monday + timedelta(days=7),
                description=f"This week at your pace ({pace:g} h a week):\n" + "\n".join(lines),
                url=units[0][2],
            )
        )
    return events


def review_events(due: Iterable[tuple[date, str]], today: date) -> list[FeedEvent]:
    """`due`: (day, topic name) pairs. One event per day; anything overdue goes on today."""
    by_day: dict[date, list[str]] = {}
    for day, name in due:
        by_day.setdefault(max(day, today), []).append(name)
    return [
        FeedEvent(
            uid=f"review-{day.isoformat()}",
            summary=f"Review: {', '.join(sorted(names)[:3])}"
            + (f" and {len(names) - 3} more" if len(names) > 3 else ""),
            start=day,
            end=day + timedelta(days=1),
            description="Due for review: " + ", ".join(sorted(names)) + ".",
        )
        for day, names in sorted(by_day.items())
    ]


def ical(
    events: Iterable[FeedEvent], *, user_key: str, name: str, now: datetime, links: Mapping[str, str]
) -> bytes:
    """The events as an iCalendar document. `user_key` keeps UIDs apart between learners;
    `links` is {"review": url} for the review page."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//mlpath//learning path//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for event in events:
        entry = icalendar.Event()
        entry.add("uid", f"{event.uid}-{user_key}@mlpath")
        entry.add("dtstamp", now)
        entry.add("dtstart", event.start)
        entry.add("dtend", event.end)
        entry.add("summary", event.summary)
        entry.add("transp", "TRANSPARENT")  # a study plan does not make you busy
        if event.description:
            entry.add("description", event.description)
        url = event.url or (links.get("review", "") if event.uid.startswith("review-") else "")
        if url:
            entry.add("url", url)
        calendar.add_component(entry)
    return calendar.to_ical()
