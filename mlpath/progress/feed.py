"""The learner's calendar feed (RFC 5545): which events, on which days. Pure functions over
plain data; the `icalendar` package writes the text, escaping and folding included.

- The plan at the learner's pace: one all-day event per planned unit, spanning the week the
  pace puts it in. Units are laid end to end at `hours_per_week`; a unit starts in the week
  its first hour falls in. Only the coming year is written (a feed of a 500-step plan would
  otherwise reach into the next decade).
- Reviews: one all-day event per day with topics due, naming them.

Each event's UID is stable (the unit's key, the review's day), so a calendar app that
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


def plan_events(
    steps: Sequence[tuple[str, str, float, str]], hours_per_week: float, today: date
) -> list[FeedEvent]:
    """`steps`: (unit key, title, hours, url) in plan order. Week 0 is this week."""
    events = []
    first_monday = week_of(today)
    done_hours = 0.0
    pace = max(hours_per_week, 0.5)
    for key, title, hours, url in steps:
        week = int(done_hours // pace)
        if week >= HORIZON_WEEKS:
            break
        monday = first_monday + timedelta(weeks=week)
        events.append(
            FeedEvent(
                uid=f"plan-{key.replace('/', '.')}",
                summary=f"Study: {title}",
                start=monday,
                end=monday + timedelta(days=7),
                description=f"About {hours:.1f} hours, in the week your pace ({pace:g} h a week) puts it.",
                url=url,
            )
        )
        done_hours += hours
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
