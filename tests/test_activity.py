"""Activity: week streaks and the heatmap (pure), /path/activity/ and the week bar on /path/."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from catalog.models import Resource, Section
from mlpath.progress.activity import WEEKS_SHOWN, Streaks, by_month, heatmap, level, week_streaks
from mlpath.progress.models import Progress, SectionProgress, StatusChange, TopicReview
from tests.factories import make_catalog, make_plan_catalog

ACTIVITY = reverse("progress:activity")
PATH = reverse("progress:path")
WEDNESDAY = date(2026, 12, 2)  # the week of Monday 30 November


# --- Streaks, pure ---------------------------------------------------------------------------


def test_no_activity_is_no_streak():
    assert week_streaks([], WEDNESDAY) == Streaks(current=0, longest=0, this_week_active=False)


def test_a_week_counts_whichever_day_it_was():
    streaks = week_streaks([date(2026, 11, 16), date(2026, 11, 29), WEDNESDAY], WEDNESDAY)
    # Mon 16 Nov, Sun 29 Nov and Wed 2 Dec: three weeks in a row.
    assert (streaks.current, streaks.longest, streaks.this_week_active) == (3, 3, True)


def test_the_streak_stands_until_the_empty_week_is_over():
    last_week = [date(2026, 11, 23), date(2026, 11, 27)]
    assert week_streaks(last_week, WEDNESDAY).current == 1  # this week is still open
    assert week_streaks(last_week, date(2026, 12, 7)).current == 0  # a whole week went by


def test_a_gap_ends_a_run_and_the_longest_is_kept():
    days = [date(2026, 10, 5), date(2026, 10, 12), date(2026, 10, 19), date(2026, 11, 30)]
    streaks = week_streaks(days, WEDNESDAY)
    assert (streaks.current, streaks.longest) == (1, 3)
    # Days after today (a clock that moved back) do not count.
    assert week_streaks([date(2027, 1, 4)], WEDNESDAY).longest == 0


# --- The heatmap, pure -----------------------------------------------------------------------


def test_the_heatmap_is_a_year_of_weeks_up_to_today():
    calendar = heatmap({WEDNESDAY: (2, 1.0), date(2026, 1, 5): (1, 4.0)}, WEDNESDAY)
    assert len(calendar.weeks) == WEEKS_SHOWN
    assert [day.day for day in calendar.weeks[-1]] == [date(2026, 11, 30), date(2026, 12, 1), WEDNESDAY]
    assert all(len(week) == 7 for week in calendar.weeks[:-1])
    assert (calendar.total_finished, calendar.total_hours, calendar.active_days) == (3, 5.0, 2)
    today = calendar.weeks[-1][-1]
    assert today.level == level(1.0, 2) == 2 and "2 finished, 1.0 hours" in today.label
    assert level(0, 0) == 0 and level(0.2, 1) == 1 and level(4.0, 1) == 4
    months = by_month(calendar)
    assert months[-1].name == "December 2026" and months[-1].finished == 2
    assert sum(month.finished for month in months) == 3


# --- The page --------------------------------------------------------------------------------


@pytest.fixture
def alice(client, db):
    user = User.objects.create_user("alice", password="correct horse battery")
    client.force_login(user)
    return user


def test_it_lists_the_learners_own_changes_newest_first(client, alice, db):
    make_plan_catalog()
    bob = User.objects.create_user("bob", password="another long password")
    Progress.change(bob, Resource.objects.get(slug="la-video"), "done")
    Progress.change(alice, Resource.objects.get(slug="py-course"), "in_progress")
    Progress.change(alice, Resource.objects.get(slug="py-course"), "done")
    html = client.get(ACTIVITY).content.decode()
    history = html[html.index('id="history"') :]
    assert history.index("You marked “Python course” done") < history.index("You started “Python course”")
    assert "video" not in history.lower()
    assert "<strong>1</strong> week in a row" in html
    assert "2 sections or resources finished" not in html and "1 section or resource finished" in html


def test_an_undone_finish_and_a_reset_do_not_count(client, alice, db):
    make_plan_catalog()
    change = Progress.change(alice, Resource.objects.get(slug="py-course"), "done")
    Progress.undo(alice, Resource.objects.get(slug="py-course"), change.pk)
    html = client.get(ACTIVITY).content.decode()
    assert "0 sections or resources finished" in html
    assert "Undo: “Python course” went back to not started" in html


def test_history_pages_hold_fifty_and_bad_page_numbers_are_harmless(client, alice, db):
    make_catalog(30)
    resources = list(Resource.objects.order_by("id"))
    for resource in resources:
        Progress.change(alice, resource, "in_progress")
        Progress.change(alice, resource, "done")
    first = client.get(ACTIVITY).content.decode()
    assert first.count("<li><time") == 50 and "Page 1 of 2" in first
    for page in ("2", "999", "abc", "-1", "1" * 50):
        response = client.get(ACTIVITY, {"page": page})
        assert response.status_code == 200
    assert client.get(ACTIVITY, {"page": "2"}).content.decode().count("<li><time") == 10
    # htmx asks for the history alone.
    fragment = client.get(ACTIVITY, {"page": "2"}, headers={"HX-Request": "true", "HX-Target": "history"})
    html = fragment.content.decode()
    assert html.lstrip().startswith('<section id="history"') and "<html" not in html
    assert fragment["Vary"] and "HX-Request" in fragment["Vary"]


@pytest.mark.parametrize("rows", [10, 10_000])
def test_the_page_has_a_fixed_query_budget(client, alice, django_assert_max_num_queries, rows):
    make_catalog(30)
    resource = Resource.objects.order_by("id").first()
    start = datetime(2026, 12, 2, 12, tzinfo=UTC)
    StatusChange.objects.bulk_create(
        [
            StatusChange(
                user=alice,
                resource=resource,
                from_status="not_started",
                to_status="done" if i % 2 else "in_progress",
                changed_at=start - timedelta(hours=7 * i),
            )
            for i in range(rows)
        ]
    )
    # Session, user, the history's count and page, the year's days, the streak days (clicks and
    # reviews), settings, milestones.
    with time_machine.travel(start + timedelta(hours=1), tick=False), django_assert_max_num_queries(9):
        response = client.get(ACTIVITY)
    assert response.status_code == 200
    assert response.content.decode().count("<li><time") == min(rows, 50)


def test_the_week_bar_on_the_path_counts_this_weeks_finished_hours(client, alice, db):
    make_plan_catalog()
    monday = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)
    with time_machine.travel(monday - timedelta(hours=1), tick=False):  # Sunday: last week
        Progress.change(alice, Resource.objects.get(slug="py-course"), "done")
    with time_machine.travel(monday, tick=False):
        html = client.get(PATH).content.decode()
        assert "0 of 6 hours</span> finished this week" in html
        section = Section.objects.filter(resource__slug="la-book").order_by("position").first()
        SectionProgress.change(alice, section, "done")
        html = client.get(PATH).content.decode()
    assert f"{section.hours.normalize()} of 6 hours</span> finished this week" in html
    assert f'href="{ACTIVITY}"' in html


def test_a_review_keeps_the_week_streak(client, alice, db):
    make_plan_catalog()
    learned = datetime(2026, 11, 16, 9, tzinfo=UTC)  # a Monday, two weeks back
    with time_machine.travel(learned, tick=False):
        SectionProgress.change(alice, Section.objects.get(slug="la-book-1"), "done")
    row = TopicReview.objects.get(user=alice)
    with time_machine.travel(learned + timedelta(days=8), tick=False):  # last week: a review only
        row.rate("good", learned + timedelta(days=8))
    with time_machine.travel(learned + timedelta(days=15), tick=False):  # this week: nothing yet
        html = client.get(ACTIVITY).content.decode()
    assert "<strong>2</strong> weeks in a row" in html
    assert "You reviewed topics on 1 day this year." in html
