"""The calendar feed: events laid out at the learner's pace (pure), the .ics read back with
icalendar, the secret address and its rotation."""

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from catalog.models import Section
from mlpath.progress.feed import HORIZON_WEEKS, plan_events, review_events
from mlpath.progress.models import CalendarFeed, PathSettings, SectionProgress, TopicReview
from tests.factories import make_plan_catalog

WEDNESDAY = date(2026, 12, 2)
MONDAY = date(2026, 11, 30)


def test_units_fall_in_the_weeks_the_pace_puts_them_one_event_a_week():
    steps = [("a", "A", 4.0, "/a/"), ("b", "B", 4.0, ""), ("c", "C", 5.0, ""), ("d", "D", 1.0, "")]
    events = plan_events(steps, 6.0, WEDNESDAY)
    # A and B start at hours 0 and 4 (week 0, as 4 < 6); C at 8 (week 1); D at 13 (week 2).
    assert [(event.summary, event.start) for event in events] == [
        ("Study: A and 1 more", MONDAY),
        ("Study: C", MONDAY + timedelta(weeks=1)),
        ("Study: D", MONDAY + timedelta(weeks=2)),
    ]
    assert all(event.end - event.start == timedelta(days=7) for event in events)
    assert events[0].uid == f"plan-week-{MONDAY.isoformat()}" and events[0].url == "/a/"
    assert "- A, about 4.0 h: /a/" in events[0].description and "- B, about 4.0 h" in events[0].description


def test_only_the_coming_year_is_written():
    steps = [(f"u{i}", f"U{i}", 10.0, "") for i in range(200)]
    events = plan_events(steps, 5.0, WEDNESDAY)  # a unit every two weeks
    assert len(events) == HORIZON_WEEKS // 2
    assert events[-1].start < MONDAY + timedelta(weeks=HORIZON_WEEKS)


def test_reviews_are_one_event_a_day_and_overdue_ones_land_today():
    events = review_events(
        [(WEDNESDAY - timedelta(days=3), "Vectors"), (WEDNESDAY, "Matrices"), (date(2026, 12, 9), "Chance")],
        WEDNESDAY,
    )
    assert [(event.start, event.summary) for event in events] == [
        (WEDNESDAY, "Review: Matrices, Vectors"),
        (date(2026, 12, 9), "Review: Chance"),
    ]


@pytest.fixture
def alice(client, db):
    user = User.objects.create_user("alice", password="correct horse battery")
    client.force_login(user)
    return user


def feed_address(token: str) -> str:
    return reverse("progress:calendar_feed", args=[token])


def test_the_feed_reads_back_as_the_plan_and_the_reviews(client, alice, db):
    make_plan_catalog()
    PathSettings.objects.create(user=alice, hours_per_week=5)
    with time_machine.travel(datetime(2026, 11, 30, 9, tzinfo=UTC), tick=False):
        SectionProgress.change(alice, Section.objects.get(slug="la-book-1"), "done")
        token = CalendarFeed.rotate(alice).token
        client.logout()  # a calendar app has no session
        response = client.get(feed_address(token))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}
    # The plan: the Python course (8 h) this week, then the project the next week at 5 h a week.
    python = events["Study: Python course"]
    assert python.decoded("DTSTART") == MONDAY and python.decoded("DTEND") == MONDAY + timedelta(days=7)
    assert str(python["URL"]).endswith("/catalog/py-course/")
    assert events["Study: First project"].decoded("DTSTART") == MONDAY + timedelta(weeks=1)
    # The review of Vectors, learned on Monday, on the day FSRS set.
    due = TopicReview.objects.get(user=alice).due.date()
    assert events["Review: Vectors"].decoded("DTSTART") == due
    uids = [str(event["UID"]) for event in calendar.walk("VEVENT")]
    assert len(uids) == len(set(uids)) and all(uid.endswith(f"-{alice.pk}@mlpath") for uid in uids)


def test_a_wrong_or_replaced_address_is_a_404(client, alice, db):
    make_plan_catalog()
    old = CalendarFeed.rotate(alice).token
    response = client.post(reverse("progress:rotate_calendar"))
    assert response.status_code == 302
    new = CalendarFeed.objects.get(user=alice).token
    assert new != old and len(new) >= 40
    assert client.get(feed_address(old)).status_code == 404
    assert client.get(feed_address("not-a-token")).status_code == 404
    assert client.get(feed_address(new)).status_code == 200
    page = client.get(reverse("progress:calendar")).content.decode()
    assert feed_address(new) in page and "Make a new address" in page


def test_the_page_offers_to_make_an_address_and_writes_nothing_on_get(client, alice, db):
    page = client.get(reverse("progress:calendar")).content.decode()
    assert "Create my calendar address" in page
    assert not CalendarFeed.objects.exists()
    assert client.get(reverse("progress:rotate_calendar")).status_code == 405


@pytest.mark.parametrize("sections", [2, 200])
def test_the_feed_has_a_fixed_query_budget(client, alice, django_assert_max_num_queries, db, sections):
    make_plan_catalog()
    extra = Section.objects.bulk_create(
        [
            Section(
                slug=f"extra-{i}",
                resource=Section.objects.get(slug="la-book-1").resource,
                position=10 + i,
                title=f"Extra {i}",
                hours=1,
            )
            for i in range(sections)
        ]
    )
    for section in extra[: sections // 2]:
        SectionProgress.change(alice, section, "done")
    token = CalendarFeed.rotate(alice).token
    client.get(feed_address(token))  # builds the plan index and the plan
    # The feed's row with its learner, the revision, the learner's stamp, the reviews, the
    # milestones of their study groups.
    with django_assert_max_num_queries(5):
        assert client.get(feed_address(token)).status_code == 200
