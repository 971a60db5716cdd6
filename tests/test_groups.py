"""Study groups: creating, joining, the last-organizer rule, invites, the dashboard and its CSV."""

import csv
import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from catalog.models import Resource, Section, Topic
from mlpath.groups.models import Membership, StudyGroup
from mlpath.groups.summary import member_stamps
from mlpath.progress.models import Progress, StatusChange
from tests.factories import make_catalog

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script>"


@pytest.fixture
def olga(client):
    user = User.objects.create_user("olga", password="x" * 12)
    client.force_login(user)
    return user


def make_user(name):
    return User.objects.create_user(name, password="x" * 12)


def join(group, user, role="member"):
    return Membership.objects.create(group=group, user=user, role=role)


def roles(group):
    return dict(group.memberships.values_list("user__username", "role"))


def test_creating_a_group_makes_the_creator_its_organizer(client, olga):
    response = client.post(
        reverse("groups:new"), {"name": "  Linear   Algebra Club ", "description": "Tuesdays"}
    )
    group = StudyGroup.objects.get()
    assert response["Location"] == "/groups/linear-algebra-club/"
    assert group.name == "Linear Algebra Club"
    assert roles(group) == {"olga": "organizer"}
    assert group.created_by == olga
    assert len(group.invite_code) >= 22  # at least 128 bits of url-safe base64


def test_group_slugs_stay_unique_and_never_shadow_pages(client, olga):
    for name in ("Study", "Study", "new", "!!!"):
        client.post(reverse("groups:new"), {"name": name})
    assert sorted(StudyGroup.objects.values_list("slug", flat=True)) == [
        "group",
        "new-group",
        "study",
        "study-2",
    ]


def test_a_group_needs_a_name(client, olga):
    response = client.post(reverse("groups:new"), {"name": "   "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode() or "Give the group a name" in (
        response.content.decode()
    )
    assert not StudyGroup.objects.exists()


def test_the_list_shows_my_groups_only(client, olga):
    StudyGroup.create(name="Mine", description="", organizer=olga)
    StudyGroup.create(name="Theirs", description="", organizer=make_user("tom"))
    html = client.get(reverse("groups:list")).content.decode()
    assert "Mine" in html and "Theirs" not in html


def test_joining_through_the_invite_link(client, olga):
    group = StudyGroup.create(name="Club", description="", organizer=make_user("owner"))
    url = reverse("groups:join", args=[group.invite_code])
    page = client.get(url).content.decode()
    assert ">Join</button>" in page
    assert not group.memberships.filter(user=olga).exists()  # looking changes nothing
    response = client.post(url)
    assert response["Location"] == group.get_absolute_url()
    assert roles(group)["olga"] == "member"


def test_joining_twice_is_harmless(client, olga):
    group = StudyGroup.create(name="Club", description="", organizer=make_user("owner"))
    url = reverse("groups:join", args=[group.invite_code])
    client.post(url)
    client.post(url)
    assert group.memberships.filter(user=olga).count() == 1
    assert "already a member" in client.get(url).content.decode()


def test_an_organizer_following_their_own_link_stays_organizer(client, olga):
    group = StudyGroup.create(name="Club", description="", organizer=olga)
    client.post(reverse("groups:join", args=[group.invite_code]))
    assert roles(group) == {"olga": "organizer"}


def test_anonymous_visitors_sign_in_and_come_back_to_the_invite(client):
    group = StudyGroup.create(name="Club", description="", organizer=make_user("owner"))
    url = reverse("groups:join", args=[group.invite_code])
    invite_page = client.get(url).content.decode()
    assert f"/accounts/signup/?next={url}" in invite_page
    assert f"{reverse('login')}?next={url}" in invite_page
    signup = client.post(
        f"/accounts/signup/?next={url}",
        {
            "username": "newbie",
            "password1": "a fine long passphrase",
            "password2": "a fine long passphrase",
            "next": url,
        },
    )
    assert signup["Location"] == url


@pytest.mark.parametrize("code", ["nope", "A" * 43, "%3Cscript%3E"])
def test_a_bad_invite_code_is_a_friendly_404(client, olga, code):
    response = client.get(f"/groups/join/{code}/")
    assert response.status_code == 404
    assert "could not find" in response.content.decode()
    assert client.post(f"/groups/join/{code}/").status_code == 404
    assert not Membership.objects.exists()


def test_rotating_the_invite_retires_the_old_link(client, olga):
    group = StudyGroup.create(name="Club", description="", organizer=olga)
    old = reverse("groups:join", args=[group.invite_code])
    client.post(reverse("groups:rotate_invite", args=[group.slug]))
    group.refresh_from_db()
    new = reverse("groups:join", args=[group.invite_code])
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert f"http://testserver{new}" in client.get(group.get_absolute_url()).content.decode()


def test_the_last_organizer_cannot_leave_or_be_demoted(client, olga):
    group = StudyGroup.create(name="Club", description="", organizer=olga)
    mia = make_user("mia")
    join(group, mia)
    response = client.post(reverse("groups:leave", args=[group.slug]), follow=True)
    assert "only organizer" in response.content.decode()
    client.post(reverse("groups:member_role", args=[group.slug, olga.pk]), {"role": "member"})
    client.post(reverse("groups:member_remove", args=[group.slug, olga.pk]))
    assert roles(group) == {"olga": "organizer", "mia": "member"}
    # Once Mia is an organizer too, Olga may go.
    client.post(reverse("groups:member_role", args=[group.slug, mia.pk]), {"role": "organizer"})
    response = client.post(reverse("groups:leave", args=[group.slug]))
    assert response["Location"] == reverse("groups:list")
    assert roles(group) == {"mia": "organizer"}


def test_organizers_promote_demote_and_remove(client, olga):
    group = StudyGroup.create(name="Club", description="", organizer=olga)
    mia, max_ = make_user("mia"), make_user("max")
    join(group, mia)
    join(group, max_)
    client.post(reverse("groups:member_role", args=[group.slug, mia.pk]), {"role": "organizer"})
    client.post(reverse("groups:member_role", args=[group.slug, mia.pk]), {"role": "member"})
    client.post(reverse("groups:member_remove", args=[group.slug, max_.pk]))
    assert roles(group) == {"olga": "organizer", "mia": "member"}


def test_an_unknown_role_changes_nothing(client, olga):
    group = StudyGroup.create(name="Club", description="", organizer=olga)
    join(group, make_user("mia"))
    mia = User.objects.get(username="mia")
    response = client.post(
        reverse("groups:member_role", args=[group.slug, mia.pk]), {"role": "king"}, follow=True
    )
    assert "Choose a role" in response.content.decode()
    assert roles(group)["mia"] == "member"


def test_actions_on_someone_outside_the_group_are_404(client, olga):
    group = StudyGroup.create(name="Club", description="", organizer=olga)
    stranger = make_user("stranger")
    assert client.post(reverse("groups:member_remove", args=[group.slug, stranger.pk])).status_code == 404
    assert (
        client.post(reverse("groups:member_role", args=[group.slug, 999999]), {"role": "member"}).status_code
        == 404
    )


def test_a_plain_member_leaves(client, olga):
    group = StudyGroup.create(name="Club", description="", organizer=make_user("owner"))
    join(group, olga)
    client.post(reverse("groups:leave", args=[group.slug]))
    assert "olga" not in roles(group)


def test_deleting_a_group_keeps_everyones_progress(client, olga, shipped_catalog):
    group = StudyGroup.create(name="Club", description="", organizer=olga)
    Progress.change(olga, Resource.objects.get(slug="seeing-theory"), "done")
    client.post(reverse("groups:delete", args=[group.slug]))
    assert not StudyGroup.objects.exists() and not Membership.objects.exists()
    assert Progress.objects.filter(user=olga, status="done").exists()


def test_members_see_names_and_the_aggregate_but_not_each_others_detail(client, olga, shipped_catalog):
    group = StudyGroup.create(name="Club", description="", organizer=make_user("owner"))
    join(group, olga)
    Progress.change(
        User.objects.get(username="owner"), Resource.objects.get(slug="fcc-python-basics"), "done"
    )
    html = client.get(group.get_absolute_url()).content.decode()
    assert "owner" in html and "olga" in html
    assert "overall, on average" in html
    assert "Open the dashboard" not in html
    assert "/groups/join/" not in html  # the invite link is for organizers
    assert "Make organizer" not in html


def test_organizers_see_the_invite_link_with_a_copy_button(client, olga):
    group = StudyGroup.create(name="Club", description="", organizer=olga)
    html = client.get(group.get_absolute_url()).content.decode()
    assert f'value="http://testserver/groups/join/{group.invite_code}/"' in html
    assert "Copy link" in html
    assert "js/copy.js" in html


@pytest.fixture
def club(olga, shipped_catalog):
    """Olga organizes; Mia has done two programming resources; Max has done nothing."""
    group = StudyGroup.create(name="Club", description="", organizer=olga)
    mia, max_ = make_user("mia"), make_user("max")
    join(group, mia)
    join(group, max_)
    for slug in ("fcc-python-basics", "fcc-python-intermediate"):
        Progress.change(mia, Resource.objects.get(slug=slug), "done")
    Progress.change(mia, Resource.objects.get(slug="kaggle-competition"), "in_progress")
    return group


def own_page(username) -> str:
    return signed_in(User.objects.get(username=username)).get(reverse("progress:path")).content.decode()


def own_overall(username) -> int:
    return int(re.search(r"(\d+)% of your goal", own_page(username)).group(1))


def own_next(username) -> str:
    """The resource of the next step on the member's own path page."""
    heading = re.search(r'<h2 id="next-heading".*?</h2>', own_page(username), re.S).group(0)
    return re.search(r'href="/catalog/([^/"]+)/"', heading).group(1)


def table_rows(html):
    body = re.search(r'<section id="member-table".*?</section>', html, re.S).group(0)
    return re.findall(r'<th scope="row" data-label="Member"><a [^>]*>(.*?)</a>', body)


def test_the_dashboard_shows_each_member_per_pillar(client, club):
    response = client.get(reverse("groups:dashboard", args=[club.slug]))
    html = response.content.decode()
    assert table_rows(html) == ["max", "mia", "olga"]
    mia = re.search(r'data-label="Member"><a [^>]*>mia</a>.*?</tr>', html, re.S).group(0)
    assert "Take part in a Kaggle competition" in mia
    assert "(in progress)" in mia
    rows = {row.member.name: row for row in [entry["row"] for entry in response.context["rows"]]}
    # The same figures as the members' own path pages.
    assert rows["mia"].overall == own_overall("mia") > 0
    assert rows["max"].current.slug == own_next("max") == "fcc-python-basics"
    assert "never" in re.search(r'data-label="Member"><a [^>]*>max</a>.*?</tr>', html, re.S).group(0)


def test_the_dashboard_counts_members_per_resource(client, club):
    response = client.get(reverse("groups:dashboard", args=[club.slug]))
    counts = {c.item.slug: (c.done, c.in_progress, c.skipped) for c in response.context["counts"]}
    assert counts == {
        "fcc-python-basics": (1, 0, 0),
        "fcc-python-intermediate": (1, 0, 0),
        "kaggle-competition": (0, 1, 0),
    }
    assert next(iter(counts)) == "kaggle-competition"  # what the group is in the middle of comes first


def test_the_dashboard_draws_the_averages_once_as_text_sized_bars(client, club):
    """One chart, in HTML: its labels are page text (readable on a phone, read out by a
    screen reader), so no second table repeats the same numbers."""
    html = client.get(reverse("groups:dashboard", args=[club.slug])).content.decode()
    chart = re.search(r'<ul class="bars averages-chart">.*?</ul>', html, re.S).group(0)
    assert re.findall(r'class="bar-label" id="average-\d+">(.*?)</span>', chart)[:3] == [
        "Programming and projects",
        "Foundations",
        "Linear algebra",
    ]
    assert 'aria-labelledby="average-2">0%</progress>' in chart
    assert "The same averages as text" not in html and '<svg class="chart"' not in html
    assert "<script" not in html.split("</head>")[1]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["max", "mia", "olga"]),
        ("-name", ["olga", "mia", "max"]),
        ("-overall", ["mia", "max", "olga"]),
        ("-activity", ["mia", "max", "olga"]),
        ("bogus", ["max", "mia", "olga"]),
    ],
)
def test_the_dashboard_sorts(client, club, sort, expected):
    response = client.get(reverse("groups:dashboard", args=[club.slug]), {"sort": sort})
    assert table_rows(response.content.decode()) == expected


def test_sorting_under_htmx_returns_only_the_table(client, club):
    response = client.get(
        reverse("groups:dashboard", args=[club.slug]), {"sort": "-overall"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode().strip()
    assert html.startswith('<section id="member-table"')
    assert "<html" not in html and "Per resource" not in html
    assert table_rows(html)[0] == "mia"


def test_the_stuck_flag_and_filter(client, club, olga):
    now = timezone.now()
    with time_machine.travel(now + timedelta(days=13)):
        response = client.get(reverse("groups:dashboard", args=[club.slug]), {"stuck": "1"})
        assert table_rows(response.content.decode()) == []
    with time_machine.travel(now + timedelta(days=14, minutes=1)):
        # Mia changed a status today-minus-14; Max and Olga joined then and never did anything.
        Progress.change(User.objects.get(username="max"), Resource.objects.get(slug="islr"), "in_progress")
        client.force_login(olga)  # the session itself is only good for two weeks
        response = client.get(reverse("groups:dashboard", args=[club.slug]), {"stuck": "1"})
        assert table_rows(response.content.decode()) == ["mia", "olga"]


def test_the_stuck_threshold_is_configurable(client, club, settings, olga):
    settings.STUCK_AFTER_DAYS = 3
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        client.force_login(olga)
        response = client.get(reverse("groups:dashboard", args=[club.slug]), {"stuck": "1"})
    assert table_rows(response.content.decode()) == ["max", "mia", "olga"]


def test_the_csv_has_a_row_per_member_and_a_column_per_pillar(client, club):
    response = client.get(reverse("groups:csv", args=[club.slug]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="club-progress.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["member"] for row in rows] == ["max", "mia", "olga"]
    assert set(rows[0]) == {
        "group",
        "member",
        "Programming and projects",
        "Foundations",
        "Linear algebra",
        "Probability and statistics",
        "Multivariate calculus",
        "Optimization",
        "overall",
        "on track",
        "current unit",
        "last activity",
        "stuck",
    }
    mia = rows[1]
    assert mia["current unit"] == "Take part in a Kaggle competition" and mia["on track"] == "No schedule"
    assert mia["overall"] == str(own_overall("mia")) and mia["stuck"] == "no"
    assert mia["last activity"] == timezone.localdate().isoformat()
    assert rows[0]["last activity"] == ""


def test_a_hostile_group_name_is_text_everywhere(client, olga):
    client.post(reverse("groups:new"), {"name": XSS})
    group = StudyGroup.objects.get()
    evil = make_user("=HYPERLINK(1)")
    join(group, evil)
    for url in (
        reverse("groups:list"),
        group.get_absolute_url(),
        reverse("groups:dashboard", args=[group.slug]),
        reverse("groups:delete", args=[group.slug]),
        reverse("groups:join", args=[group.invite_code]),
    ):
        html = client.get(url).content.decode()
        assert XSS not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("groups:csv", args=[group.slug])).content.decode()))
    )
    assert rows[1][0] == XSS  # plain text in a CSV: no HTML escaping, no formula
    assert "'=HYPERLINK(1)" in [row[1] for row in rows]


def big_group(organizer, members: int, resources: int) -> StudyGroup:
    """A group of `members` learners, each done with four resources and with a history."""
    make_catalog(resources)
    group = StudyGroup.create(name="Big", description="", organizer=organizer)
    users = User.objects.bulk_create(User(username=f"member-{i:03}", password="!") for i in range(members))
    Membership.objects.bulk_create(Membership(group=group, user=user) for user in users)
    ids = list(Resource.objects.order_by("id").values_list("id", flat=True))
    Progress.objects.bulk_create(
        Progress(user=user, resource_id=ids[(i + k) % len(ids)], status="done", finished_at=timezone.now())
        for i, user in enumerate(users)
        for k in range(4)
    )
    StatusChange.objects.bulk_create(
        StatusChange(user=user, resource_id=ids[i % len(ids)], from_status="not_started", to_status="done")
        for i, user in enumerate(users)
    )
    return group


@pytest.mark.parametrize(("members", "resources"), [(5, 30), (500, 300)])
def test_the_dashboard_has_a_fixed_query_budget(
    client, olga, django_assert_max_num_queries, members, resources
):
    group = big_group(olga, members, resources)
    # The first request builds the plan index and the group's progress: session, user,
    # membership with the group, members' stamps, catalog (revision, ten, revision), members
    # (milestones, memberships, stamps, statuses, section statuses, settings, last activity).
    with django_assert_max_num_queries(23):
        response = client.get(reverse("groups:dashboard", args=[group.slug]))
    assert len(response.context["rows"]) == min(members + 1, 50)
    assert response.context["member_count"] == members + 1
    assert response.context["counts"][0].done >= 1
    # Later requests only check that neither the group, its members' stamps nor the catalog
    # has moved.
    with django_assert_max_num_queries(5):
        client.get(
            reverse("groups:dashboard", args=[group.slug]),
            {"sort": "-overall", "page": "2"},
            headers={"HX-Request": "true"},
        )
    with django_assert_max_num_queries(5):
        response = client.get(reverse("groups:csv", args=[group.slug]))
    assert len(response.content.decode().splitlines()) == members + 2
    with django_assert_max_num_queries(6):
        client.get(group.get_absolute_url())
    # A member's click moves their stamp: the next request reads the members again (the
    # others' plans come from the cache in one read), but not the catalog.
    Progress.change(User.objects.get(username="member-000"), Resource.objects.order_by("id").last(), "done")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("groups:dashboard", args=[group.slug]))
    assert response.context["member_count"] == members + 1


@pytest.mark.parametrize("groups", [2, 40])
def test_the_group_list_has_a_fixed_query_budget(client, olga, django_assert_max_num_queries, groups):
    for index in range(groups):
        group = StudyGroup.create(name=f"Group {index}", description="", organizer=olga)
        join(group, make_user(f"friend-{index}"))
    with django_assert_max_num_queries(3):
        html = client.get(reverse("groups:list")).content.decode()
    assert html.count("2 members") == groups


# The dashboard is computed once and kept per process; everything below is what an
# organizer would notice if it were kept too long.


def dashboard_rows(client, group, **query):
    response = client.get(reverse("groups:dashboard", args=[group.slug]), query)
    assert response.status_code == 200
    return {entry["row"].member.name: entry["row"] for entry in response.context["rows"]}


def signed_in(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    return other


def test_a_members_click_shows_on_the_dashboard_at_once(client, club):
    assert dashboard_rows(client, club)["max"].overall == 0
    max_ = User.objects.get(username="max")
    signed_in(max_).post(reverse("progress:set_status", args=["fcc-python-basics"]), {"status": "done"})
    row = dashboard_rows(client, club)["max"]
    assert row.current.slug == own_next("max") != "fcc-python-basics"
    assert row.member.last_activity is not None


def test_a_reset_shows_on_the_dashboard_at_once(client, club):
    assert dashboard_rows(client, club)["mia"].overall == own_overall("mia") > 0
    signed_in(User.objects.get(username="mia")).post(reverse("progress:reset"))
    assert dashboard_rows(client, club)["mia"].overall == 0


def test_members_who_leave_or_delete_their_account_disappear(client, club):
    assert set(dashboard_rows(client, club)) == {"max", "mia", "olga"}
    signed_in(User.objects.get(username="max")).post(reverse("groups:leave", args=[club.slug]))
    assert set(dashboard_rows(client, club)) == {"mia", "olga"}
    User.objects.get(username="mia").delete()
    assert set(dashboard_rows(client, club)) == {"olga"}
    join(club, make_user("newcomer"))
    assert set(dashboard_rows(client, club)) == {"newcomer", "olga"}


def test_a_renamed_member_shows_under_their_new_name(client, club):
    assert "mia" in dashboard_rows(client, club)
    mia = User.objects.get(username="mia")
    mia.username = "mia-renamed"
    mia.save()
    assert set(dashboard_rows(client, club)) == {"max", "mia-renamed", "olga"}


def test_a_role_change_shows_on_the_dashboard(client, club):
    mia = User.objects.get(username="mia")
    assert dashboard_rows(client, club)["mia"].member.role == "member"
    client.post(reverse("groups:member_role", args=[club.slug, mia.pk]), {"role": "organizer"})
    assert dashboard_rows(client, club)["mia"].member.role == "organizer"


def test_new_path_settings_move_the_members_current_resource(client, club):
    assert dashboard_rows(client, club)["max"].current.slug == "fcc-python-basics"
    signed_in(User.objects.get(username="max")).post(
        reverse("progress:settings"),
        {"order": ["programming", "projects", "math", "deep-learning"], "known": ["programming"]}
        | {"hours_per_week": "6"},
    )
    row = dashboard_rows(client, club)["max"]
    assert Resource.objects.get(slug=row.current.slug).stage.slug != "programming"
    assert row.overall > 0


def test_a_catalog_change_refreshes_the_percentages(client, club):
    before = dashboard_rows(client, club)["mia"].overall
    assert before > 0
    # A chapter of the course Mia finished now also teaches two pillar topics (an admin edit):
    # she covers them at once.
    first = Section.objects.get(resource__slug="fcc-python-basics", position=1)
    first.topics.add(*Topic.objects.filter(slug__in=["eigenvalues", "bayes-theorem"]))
    assert dashboard_rows(client, club)["mia"].overall > before


def test_members_become_stuck_without_anyone_doing_anything(client, club, olga):
    now = timezone.now()
    with time_machine.travel(now + timedelta(days=13)):
        assert not any(row.stuck for row in dashboard_rows(client, club).values())
    with time_machine.travel(now + timedelta(days=14, minutes=1)):
        client.force_login(olga)
        assert {name for name, row in dashboard_rows(client, club).items() if row.stuck} == {
            "max",
            "mia",
            "olga",
        }


@pytest.fixture
def crowd(olga):
    """Olga and 119 members: four resources each, five of them stuck on nothing at all."""
    group = big_group(olga, 119, 30)
    return group


def test_the_member_table_has_pages_of_fifty_in_the_chosen_order(client, crowd):
    everyone = sorted(crowd.memberships.values_list("user__username", flat=True), reverse=True)
    response = client.get(reverse("groups:dashboard", args=[crowd.slug]), {"sort": "-name", "page": "2"})
    html = response.content.decode()
    assert table_rows(html) == everyone[50:100]
    assert "Page 2 of 3: members 51\N{EN DASH}100 of 120" in html
    assert 'href="/groups/big/dashboard/?sort=-name&amp;page=3"' in html
    assert 'href="/groups/big/dashboard/?sort=-name"' in html  # back to page one
    # Averages and counts still cover everyone; the count table keeps to the busiest.
    assert response.context["member_count"] == 120
    assert len(response.context["counts"]) == 20
    assert "the 20 busiest of the 30 resources" in html


def test_sorting_under_htmx_keeps_the_page_and_the_filter(client, crowd):
    response = client.get(
        reverse("groups:dashboard", args=[crowd.slug]),
        {"sort": "overall", "page": "2"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode().strip()
    assert html.startswith('<section id="member-table"')
    assert 'hx-get="/groups/big/dashboard/?sort=-overall&amp;page=2"' in html  # same page, reversed
    assert 'hx-get="/groups/big/dashboard/?sort=overall&amp;page=3"' in html  # next page, same sort
    assert 'hx-get="/groups/big/dashboard/?sort=overall&amp;stuck=1"' in html  # filter from page one
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        client.force_login(crowd.memberships.organizers().get().user)
        response = client.get(
            reverse("groups:dashboard", args=[crowd.slug]),
            {"sort": "-name", "stuck": "1", "page": "2"},
            headers={"HX-Request": "true"},
        )
    html = response.content.decode()
    assert "120 stuck members" in html
    assert 'hx-get="/groups/big/dashboard/?sort=name&amp;stuck=1&amp;page=2"' in html
    assert 'hx-get="/groups/big/dashboard/?sort=-name&amp;stuck=1&amp;page=3"' in html


@pytest.mark.parametrize(
    ("page", "shown", "notice"),
    [
        ("abc", 1, "There is no page “abc”, so this is page 1 of 3."),
        ("0", 1, "There is no page “0”, so this is page 1 of 3."),
        ("-4", 1, "so this is page 1 of 3"),
        ("99", 3, "There is no page “99”, so this is page 3 of 3."),
        ("9" * 5000, 1, "so this is page 1 of 3"),
        ("3", 3, None),
    ],
)
def test_a_page_that_does_not_exist_is_explained(client, crowd, page, shown, notice):
    response = client.get(reverse("groups:dashboard", args=[crowd.slug]), {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == shown
    html = response.content.decode()
    if notice:
        assert notice in html
    else:
        assert "There is no page" not in html


def test_an_empty_filter_has_one_page(client, club):
    response = client.get(reverse("groups:dashboard", args=[club.slug]), {"stuck": "1", "page": "2"})
    assert response.status_code == 200
    assert "Nobody is stuck." in response.content.decode()


def test_the_group_page_averages_follow_changes(client, club):
    def average():
        html = client.get(club.get_absolute_url()).content.decode()
        return int(re.search(r"(\d+)% overall, on average", html).group(1))

    before = average()
    Progress.change(User.objects.get(username="max"), Resource.objects.get(slug="fcc-python-basics"), "done")
    assert average() > before


def test_a_learner_in_two_groups_moves_both_and_deleting_a_group_is_quiet(olga, shipped_catalog):
    first = StudyGroup.create(name="First", description="", organizer=olga)
    second = StudyGroup.create(name="Second", description="", organizer=olga)
    other = StudyGroup.create(name="Other", description="", organizer=make_user("tom"))
    groups = {"First": first, "Second": second, "Other": other}

    def states():
        fresh = StudyGroup.objects.in_bulk([group.pk for group in groups.values()])
        return {name: (fresh[g.pk].revision, member_stamps(fresh[g.pk])) for name, g in groups.items()}

    before = states()
    Progress.change(olga, Resource.objects.get(slug="islr"), "done")
    after = states()
    # Her groups' dashboards are stale now, the other group's is not; no group row was written.
    assert after["First"] > before["First"] and after["Second"] > before["Second"]
    assert after["Other"] == before["Other"]
    assert [state[0] for state in after.values()] == [state[0] for state in before.values()]
    Progress.change(olga, Resource.objects.get(slug="islr"), "done")  # no change, no move
    assert states() == after
    first.delete()
    assert not Membership.objects.filter(group_id=first.pk).exists()
    assert second.memberships.exists() and other.memberships.exists()


def test_the_only_organizer_cannot_delete_their_account_while_others_are_in_the_group(client, olga):
    group = StudyGroup.create(name="Linear algebra club", description="", organizer=olga)
    join(group, make_user("maria"))
    response = client.post(reverse("delete_account"), {"password": "x" * 12})
    assert response.status_code == 200
    html = response.content.decode()
    assert "You are the only organizer of “Linear algebra club”" in html
    assert "Nothing was deleted." in html
    assert User.objects.filter(username="olga").exists()
    assert roles(group) == {"olga": "organizer", "maria": "member"}


def test_with_a_second_organizer_the_account_goes_and_the_group_stays(client, olga):
    group = StudyGroup.create(name="Linear algebra club", description="", organizer=olga)
    join(group, make_user("maria"), role="organizer")
    assert client.post(reverse("delete_account"), {"password": "x" * 12}).status_code == 302
    assert roles(group) == {"maria": "organizer"}


def test_a_group_nobody_else_is_in_goes_with_the_account(client, olga):
    StudyGroup.create(name="Just me", description="", organizer=olga)
    assert client.post(reverse("delete_account"), {"password": "x" * 12}).status_code == 302
    assert not StudyGroup.objects.filter(name="Just me").exists()


def test_a_slower_request_never_puts_back_an_older_dashboard(
    olga, shipped_catalog, django_assert_max_num_queries
):
    """A member leaving moves the revision up and the members' stamps down: the key must
    still only move forward, so a request that read the group before cannot replace what
    a later one computed."""
    from mlpath.groups.models import remove
    from mlpath.groups.summary import group_summary

    group = StudyGroup.create(name="Club", description="", organizer=olga)
    ada = make_user("ada")
    join(group, ada)
    Progress.change(ada, Resource.objects.get(slug="islr"), "done")
    stalled = StudyGroup.objects.get(pk=group.pk)  # read by a request that then stalls
    remove(group, ada.pk)
    fresh = StudyGroup.objects.get(pk=group.pk)
    assert [row.member.name for row in group_summary(fresh).rows] == ["olga"]
    group_summary(stalled)  # finishes now, with the revision it read before Ada left
    with django_assert_max_num_queries(2):  # the later result is still kept: stamps, catalog
        assert [row.member.name for row in group_summary(fresh).rows] == ["olga"]
