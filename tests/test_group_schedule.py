"""Studying together: a group goal, weekly milestones laid out from its plan, members on
track, behind or ahead, the organizer's member page, the next milestone on a member's path,
adopting the group's goal, milestones in calendar feeds, and the weekly digest."""

import re
from datetime import date, timedelta
from io import StringIO

import icalendar
import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from catalog.models import Resource
from mlpath.groups import dashboard, schedule
from mlpath.groups.models import DigestSent, GroupMilestone, Membership, StudyGroup
from mlpath.progress.activity import week_of
from mlpath.progress.models import CalendarFeed, PathSettings, Progress, SectionProgress
from tests.test_groups import join, make_user

pytestmark = pytest.mark.django_db
MONDAY = date(2027, 1, 4)


# The schedule's arithmetic, as pure functions.


def test_units_are_due_at_the_end_of_the_week_their_last_hour_falls_in():
    laid = schedule.weekly([("a", 2), ("b", 3), ("c", 1), ("d", 7), ("e", 1)], start=MONDAY, hours_per_week=6)
    # 6 h fill week one exactly; "d" ends at 13 h, in week three, so week two has no
    # milestone of its own; "e" ends at 14 h, also in week three.
    assert [(m.title, m.due, m.units) for m in laid.milestones] == [
        ("Week 1", date(2027, 1, 10), ("a", "b", "c")),
        ("Week 3", date(2027, 1, 24), ("d", "e")),
    ]
    assert laid.left_out == 0


def test_a_plan_longer_than_two_years_at_the_pace_stops_there():
    laid = schedule.weekly([(f"u{i}", 1) for i in range(200)], start=MONDAY, hours_per_week=1)
    assert len(laid.milestones) == schedule.MAX_WEEKS
    assert laid.left_out == 200 - schedule.MAX_WEEKS


@given(
    st.lists(st.floats(min_value=0, max_value=40, allow_nan=False), max_size=60),
    st.sampled_from([0.5, 1, 2.5, 6, 10]),
)
def test_every_unit_is_due_once_in_plan_order(hours, pace):
    units = [(f"u{i}", h) for i, h in enumerate(hours)]
    laid = schedule.weekly(units, start=MONDAY, hours_per_week=pace)
    keys = [key for m in laid.milestones for key in m.units]
    assert keys == [key for key, _ in units][: len(keys)]
    assert len(keys) + laid.left_out == len(units)
    dues = [m.due for m in laid.milestones]
    assert dues == sorted(set(dues)) and all((due - MONDAY).days % 7 == 6 for due in dues)


def test_on_track_behind_and_ahead():
    milestones = [
        (date(2027, 1, 10), ("a", "b")),
        (date(2027, 1, 17), ("c", "d")),
        (date(2027, 1, 24), ("e",)),
    ]
    on = date(2027, 1, 12)
    assert schedule.track(frozenset({"a", "b"}), milestones, on).label == "On track"
    assert schedule.track(frozenset({"a", "b", "c"}), milestones, on).state == schedule.ON_TRACK
    assert schedule.track(frozenset({"a"}), milestones, on).label == "Behind by 1 unit"
    assert schedule.track(frozenset(), milestones, date(2027, 1, 18)).label == "Behind by 4 units"
    assert schedule.track(frozenset("abcd"), milestones, on).label == "Ahead by 2 units"
    # The due day itself still counts as in time.
    assert schedule.track(frozenset(), milestones, date(2027, 1, 10)).state == schedule.ON_TRACK
    assert schedule.track(frozenset(), [], on).label == "No schedule"


def test_last_activity_reads_as_relative_days():
    today = date(2027, 1, 20)
    assert dashboard.relative_day(today, today) == "today"
    assert dashboard.relative_day(date(2027, 1, 19), today) == "yesterday"
    assert dashboard.relative_day(date(2027, 1, 17), today) == "3\xa0days ago"
    assert dashboard.relative_day(date(2027, 1, 4), today) == "2\xa0weeks ago"


# The organizer sets the goal and the schedule.


@pytest.fixture
def olga(client):
    user = User.objects.create_user("olga", password="x" * 12, email="olga@example.org")
    client.force_login(user)
    return user


@pytest.fixture
def group(olga, shipped_catalog):
    group = StudyGroup.create(name="Eigen club", description="", organizer=olga)
    for name in ("mia", "max"):
        join(group, make_user(name))
    return group


def set_goal(client, group, **fields):
    data = {"goal_kind": "topic", "goal_topic": "eigenvalues", "hours_per_week": "2", "start": "2027-01-04"}
    return client.post(reverse("groups:goal", args=[group.slug]), {**data, **fields})


def test_an_organizer_sets_a_goal_and_gets_weekly_milestones(client, group):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "localdate", lambda *a: date(2027, 1, 1))
        response = set_goal(client, group)
    assert response.status_code == 302 and response["Location"] == f"/groups/{group.slug}/schedule/"
    group.refresh_from_db()
    assert (group.goal_kind, group.goal_slug, float(group.hours_per_week)) == ("topic", "eigenvalues", 2.0)
    milestones = list(group.milestones.all())
    assert len(milestones) >= 2 and milestones[0].due >= date(2027, 1, 10)
    assert all(
        (m.due - MONDAY).days % 7 == 6 and m.title == f"Week {(m.due - MONDAY).days // 7 + 1}"
        for m in milestones
    )
    html = client.get(reverse("groups:schedule", args=[group.slug])).content.decode()
    assert "Eigenvalues" in html and milestones[0].title in html
    # Every unit is due once, and together they are the goal's plan.
    keys = [key for m in milestones for key in m.units]
    assert len(keys) == len(set(keys)) >= 2


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"goal_topic": "no-such-topic"}, "There is no topic"),
        ({"hours_per_week": "0"}, "greater than or equal to 0.5"),
        ({"start": "someday"}, "Enter a date"),
        ({"start": "1999-01-01"}, "within a year of today"),
        ({"goal_kind": "galaxy"}, "Select a valid choice"),
    ],
)
def test_a_bad_goal_form_explains_and_changes_nothing(client, group, fields, error):
    response = set_goal(client, group, **fields)
    assert response.status_code == 200 and error in response.content.decode()
    group.refresh_from_db()
    assert group.goal_kind == "path" and not group.milestones.exists()


def test_members_see_the_schedule_but_cannot_change_it(client, group):
    set_goal(client, group)
    mia = User.objects.get(username="mia")
    client.force_login(mia)
    html = client.get(reverse("groups:schedule", args=[group.slug])).content.decode()
    assert group.milestones.first().title in html and "Change the goal" not in html
    assert client.post(reverse("groups:goal", args=[group.slug]), {"goal_kind": "path"}).status_code == 403
    milestone = group.milestones.first()
    assert client.post(reverse("groups:milestone_delete", args=[group.slug, milestone.pk])).status_code == 403
    assert group.milestones.count() >= 2


def test_an_organizer_edits_a_milestone_and_a_unit_is_never_due_twice(client, group):
    set_goal(client, group)
    first, second = group.milestones.all()[:2]
    moved = second.units[0]
    response = client.post(
        reverse("groups:milestone_edit", args=[group.slug, first.pk]),
        {"title": "Chapters 1 and 2", "due": "2027-01-12", "units": [*first.units, moved]},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.title, first.due, first.units[-1]) == ("Chapters 1 and 2", date(2027, 1, 12), moved)
    second = GroupMilestone.objects.filter(pk=second.pk).first()  # gone if it held only that unit
    assert second is None or moved not in second.units


def test_a_milestone_refuses_units_outside_the_goal_and_an_empty_set(client, group):
    set_goal(client, group)
    first = group.milestones.first()
    title = first.title
    url = reverse("groups:milestone_edit", args=[group.slug, first.pk])
    html = client.post(url, {"title": "X", "due": "2027-01-12", "units": ["nope"]}).content.decode()
    assert "is not one of the goal" in html
    html = client.post(url, {"title": "X", "due": "2027-01-12"}).content.decode()
    assert "Tick at least one unit" in html
    first.refresh_from_db()
    assert first.title == title


def test_adding_and_deleting_milestones(client, group):
    set_goal(client, group)
    count = group.milestones.count()
    key = group.milestones.first().units[0]
    client.post(
        reverse("groups:milestone_new", args=[group.slug]),
        {"title": "Catch-up", "due": "2027-03-01", "units": [key]},
    )
    assert group.milestones.filter(title="Catch-up").exists()
    added = group.milestones.get(title="Catch-up")
    client.post(reverse("groups:milestone_delete", args=[group.slug, added.pk]))
    assert not group.milestones.filter(pk=added.pk).exists()
    assert group.milestones.count() <= count


# Members against the milestones: the dashboard, the member page, the CSV.


def finish(user, key):
    if "/" in key:
        resource_slug, section_slug = key.split("/")
        section = Resource.objects.get(slug=resource_slug).sections.get(slug=section_slug)
        SectionProgress.change(user, section, "done")
    else:
        Progress.change(user, Resource.objects.get(slug=key), "done")


@pytest.fixture
def scheduled(client, group):
    """Week 1 is past; Mia finished it and all of week 2; Max finished nothing."""
    set_goal(client, group)
    week1, week2 = group.milestones.all()[:2]
    GroupMilestone.objects.filter(pk=week1.pk).update(due=timezone.localdate() - timedelta(days=1))
    GroupMilestone.objects.filter(pk=week2.pk).update(due=timezone.localdate() + timedelta(days=6))
    for key in week1.units + week2.units:
        finish(User.objects.get(username="mia"), key)
    StudyGroup.objects.filter(pk=group.pk).touch()
    group.refresh_from_db()
    return group, week1, week2


def test_the_dashboard_says_who_is_behind_on_track_or_ahead(client, scheduled):
    group, week1, _week2 = scheduled
    response = client.get(reverse("groups:dashboard", args=[group.slug]))
    rows = {entry["row"].member.name: entry["row"] for entry in response.context["rows"]}
    assert (
        rows["max"].track.label == f"Behind by {len(week1.units)} unit{'s' if len(week1.units) != 1 else ''}"
    )
    assert rows["mia"].track.state == schedule.AHEAD
    assert rows["olga"].track.state == schedule.BEHIND
    html = response.content.decode()
    assert "1 ahead" in html and "2 behind" in html
    # Sorting by it puts the most behind first.
    response = client.get(reverse("groups:dashboard", args=[group.slug]), {"sort": "track"})
    assert [e["row"].member.name for e in response.context["rows"]][-1] == "mia"
    csv_text = client.get(reverse("groups:csv", args=[group.slug])).content.decode()
    assert "Ahead by" in csv_text and "Behind by" in csv_text


def test_the_dashboards_scrolling_tables_take_keyboard_focus(client, scheduled):
    """A table that may scroll sideways (a long resource title on a small screen) can be
    scrolled from the keyboard: its scroller is a named, focusable region."""
    html = client.get(reverse("groups:dashboard", args=[scheduled[0].slug])).content.decode()
    scrollers = re.findall(r'<div class="table-scroll"[^>]*>', html)
    assert len(scrollers) == 2
    assert all(
        'tabindex="0"' in tag and 'role="region"' in tag and "aria-labelledby=" in tag for tag in scrollers
    )


def test_last_activity_is_relative_with_the_date_on_hover(client, scheduled):
    group = scheduled[0]
    html = client.get(reverse("groups:dashboard", args=[group.slug])).content.decode()
    row = re.search(r">mia</a>.*?</tr>", html, re.S).group(0)
    assert re.search(r'<time datetime="[^"]+" title="\d+ \w{3} \d{4}, \d\d:\d\d">today</time>', row)


def test_member_names_link_to_a_page_only_organizers_see(client, scheduled, olga):
    group, week1, _ = scheduled
    mia = User.objects.get(username="mia")
    url = reverse("groups:member", args=[group.slug, mia.pk])
    html = client.get(reverse("groups:dashboard", args=[group.slug])).content.decode()
    assert f'href="{url}"' in html
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ahead by" in text and f"{len(week1.units)} of {len(week1.units)} finished" in text
    assert "mia marked “" in text and "You marked" not in text  # her changes, in the third person
    assert re.search(r'<time datetime="[^"]+" title="[^"]+">today</time>', text)
    # Members (Mia herself included), outsiders and other groups' organizers get a 404.
    client.force_login(User.objects.get(username="max"))
    assert client.get(url).status_code == 404
    client.force_login(mia)
    assert client.get(url).status_code == 404
    other = make_user("oscar")
    StudyGroup.create(name="Other", description="", organizer=other)
    client.force_login(other)
    assert client.get(url).status_code == 404
    # Someone outside the group, asked for by an organizer, is a 404 too.
    client.force_login(olga)
    assert client.get(reverse("groups:member", args=[group.slug, other.pk])).status_code == 404


# The member's side: the path, adopting the goal, the calendar feed.


def test_members_see_the_next_milestone_on_their_path_and_may_adopt_the_goal(client, scheduled):
    group, _week1, week2 = scheduled
    mia = User.objects.get(username="mia")
    client.force_login(mia)
    html = client.get(reverse("progress:path")).content.decode()
    assert f"Eigen club: {week2.title}" in html
    assert f"You have finished {len(week2.units)} of {len(week2.units)}" in html
    assert "Make the group&#x27;s goal mine" in html or "Make the group's goal mine" in html
    assert PathSettings.objects.filter(user=mia).count() == 0  # nothing forced
    client.post(reverse("groups:adopt", args=[group.slug]))
    settings_row = PathSettings.objects.get(user=mia)
    assert (settings_row.goal_kind, settings_row.goal_slug) == ("topic", "eigenvalues")
    html = client.get(reverse("progress:path")).content.decode()
    assert "Make the group" not in html


def test_the_groups_milestones_are_in_each_members_feed_and_the_organizers_group_feed(
    client, scheduled, olga
):
    group, week1, _ = scheduled
    max_ = User.objects.get(username="max")
    token = CalendarFeed.rotate(max_).token
    body = client.get(reverse("progress:calendar_feed", args=[token])).content
    events = {str(e["uid"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    uid = f"group-{group.pk}-milestone-{week1.pk}-{max_.pk}@mlpath"
    assert uid in events and str(events[uid]["summary"]) == f"Eigen club: {week1.title} due"
    # The organizer's feed of the group.
    client.post(reverse("groups:calendar", args=[group.slug]))
    membership = Membership.objects.get(group=group, user=olga)
    feed_url = reverse("groups:calendar_feed", args=[membership.feed_token])
    calendar = icalendar.Calendar.from_ical(client.get(feed_url).content)
    assert len(list(calendar.walk("VEVENT"))) == group.milestones.count()
    # An organizer who steps down loses the feed.
    Membership.objects.filter(pk=membership.pk).update(role="member")
    assert client.get(feed_url).status_code == 404


# The weekly digest.


def test_the_digest_goes_to_organizers_who_asked_once_a_week(client, scheduled, olga):
    group, week1, _ = scheduled
    out = StringIO()
    call_command("send_digests", stdout=out)
    assert mail.outbox == [] and "Sent 0 digests" in out.getvalue()
    client.post(reverse("groups:digest", args=[group.slug]), {"digest": "on"})
    assert Membership.objects.get(group=group, user=olga).digest
    call_command("send_digests", stdout=out)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["olga@example.org"] and message.subject.startswith("Eigen club: the week to")
    assert "- max: behind by" in message.body
    assert f"- {week1.title} (due" in message.body and "mia" in message.body.split("who finished them:")[1]
    # Run again the same week: nothing more is sent.
    call_command("send_digests", stdout=out)
    assert len(mail.outbox) == 1 and "1 already sent" in out.getvalue()
    assert DigestSent.objects.get().week == week_of(timezone.localdate())
    # A new week sends a new one.
    call_command(
        "send_digests", "--today", (timezone.localdate() + timedelta(days=7)).isoformat(), stdout=out
    )
    assert len(mail.outbox) == 2


def test_the_digest_skips_organizers_without_an_email_and_refuses_a_bad_date(scheduled):
    group = scheduled[0]
    Membership.objects.filter(group=group).organizers().update(digest=True)
    User.objects.filter(username="olga").update(email="")
    out = StringIO()
    call_command("send_digests", stdout=out)
    assert mail.outbox == [] and "1 organizer without an email address" in out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--today must be a date"):
        call_command("send_digests", "--today", "soon")


# Query budgets, at two sizes.


def with_milestones(group, count: int):
    """`count` weekly milestones over the catalog's first units, the first two already past."""
    keys = list(Resource.objects.order_by("id").values_list("slug", flat=True))
    start = timezone.localdate() - timedelta(days=14)
    GroupMilestone.objects.bulk_create(
        GroupMilestone(
            group=group,
            title=f"Week {i + 1}",
            due=start + timedelta(days=7 * i),
            units=keys[2 * i : 2 * i + 2],
        )
        for i in range(count)
    )
    StudyGroup.objects.filter(pk=group.pk).touch()
    group.refresh_from_db()


@pytest.mark.parametrize(("members", "resources", "milestones"), [(5, 30, 3), (500, 300, 40)])
def test_the_dashboard_with_milestones_keeps_its_query_budget(
    client, olga, django_assert_max_num_queries, members, resources, milestones
):
    from tests.test_groups import big_group

    group = big_group(olga, members, resources)
    with_milestones(group, milestones)
    url = reverse("groups:dashboard", args=[group.slug])
    # As before milestones, plus the milestones and the members' finished sections among them.
    with django_assert_max_num_queries(23):
        response = client.get(url)
    assert response.context["has_milestones"]
    assert response.context["track_counts"]["behind"] >= 1
    with django_assert_max_num_queries(5):
        client.get(url, {"sort": "track"})
    member = User.objects.get(username="member-000")
    # The member page: session, user, membership, target, revision, settings, statuses,
    # section statuses, milestones, latest changes.
    with django_assert_max_num_queries(10):
        assert client.get(reverse("groups:member", args=[group.slug, member.pk])).status_code == 200
    # A member's path with the group's next milestone: two more than without a group.
    client.force_login(member)
    client.get(reverse("progress:path"))
    with django_assert_max_num_queries(9):
        html = client.get(reverse("progress:path")).content.decode()
    assert "Big: Week 3" in html
