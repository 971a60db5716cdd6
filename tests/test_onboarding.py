"""/path/welcome/: what a new learner tells us (goal, what they know, pace, preferences, level)."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from catalog.models import CatalogRevision, Resource, Stage, Topic
from mlpath.progress.models import PathSettings
from tests.factories import make_catalog

pytestmark = pytest.mark.django_db
WELCOME = reverse("progress:welcome")
PATH = reverse("progress:path")
SIGNUP = reverse("signup")
PASSPHRASE = "a long passphrase about eigenvectors and gradient descent"


def answers(**overrides) -> dict:
    """What a browser sends for the welcome form left at its defaults."""
    return {"goal_kind": "path", "hours_per_week": "6", "level": "1", **overrides}


@pytest.fixture
def catalog():
    """The factory catalog, with a project, a retired project and a retired topic."""
    rows = make_catalog(30)
    projects = Stage.objects.get(slug="projects")
    for slug, retired in (("first-project", False), ("old-project", True)):
        Resource.objects.create(
            slug=slug,
            title=slug.replace("-", " ").capitalize(),
            creator="Someone",
            kind=Resource.Kind.PROJECT,
            level=1,
            cost="free",
            hours=Decimal(10),
            stage=projects,
            summary="Build it.",
            retired=retired,
        )
    Topic.objects.create(slug="old-topic", name="Old topic", pillar=rows["pillars"][0], retired=True)
    Topic.objects.create(slug="git", name="Git")  # no pillar: under "Programming and practice"
    CatalogRevision.bump()
    return rows


@pytest.fixture
def alice(client):
    user = User.objects.create_user("alice", password=PASSPHRASE)
    client.force_login(user)
    return user


def saved(user) -> PathSettings:
    return PathSettings.objects.get(user=user)


def test_signing_up_lands_on_the_welcome_page(client, catalog):
    response = client.post(SIGNUP, {"username": "ada", "password1": PASSPHRASE, "password2": PASSPHRASE})
    assert response["Location"] == WELCOME
    page = client.get(WELCOME)
    assert page.status_code == 200
    assert "Fit the path to you" in page.content.decode()


def test_signing_up_from_an_invite_still_goes_to_the_invite(client, catalog):
    invite = "/groups/join/abc/"
    data = {"username": "ada", "password1": PASSPHRASE, "password2": PASSPHRASE, "next": invite}
    assert client.post(f"{SIGNUP}?next={invite}", data)["Location"] == invite


def test_signing_up_ignores_a_next_on_another_site(client, catalog):
    data = {
        "username": "ada",
        "password1": PASSPHRASE,
        "password2": PASSPHRASE,
        "next": "https://evil.example/",
    }
    assert client.post(SIGNUP, data)["Location"] == WELCOME


def test_it_can_be_skipped(client, alice, catalog):
    html = client.get(WELCOME).content.decode()
    assert f'<a href="{PATH}">Skip for now</a>' in html
    assert f'href="{reverse("progress:settings")}"' in html  # and says where to change it later
    assert not PathSettings.objects.exists()  # reading the page writes nothing


def test_it_asks_everything_with_the_defaults_chosen(client, alice, catalog):
    html = client.get(WELCOME).content.decode()
    assert re.search(r'<input type="radio" name="goal_kind" value="path"[^>]*checked', html)
    assert "The whole path (programming, a first project, then the four pillars)" in html
    assert '<option value="first-project">First project</option>' in html
    assert "old-project" not in html and "old-topic" not in html  # retired: not offered
    assert '<optgroup label="Linear algebra">' in html  # topics grouped by pillar
    assert "<legend>Programming and practice</legend>" in html  # topics without a pillar
    assert "<legend>Probability</legend>" in html
    assert "I know all of Mathematics" in html
    assert 'name="hours_per_week" value="6"' in html
    for label in ("Videos", "Books", "Courses", "Free resources only", "Beginner", "Advanced"):
        assert f">{label}</label>" in html
    assert re.search(r'<input type="radio" name="level" value="1"[^>]*checked', html)


@pytest.mark.parametrize(
    ("kind", "field", "slug"),
    [
        ("path", None, ""),
        ("project", "goal_project", "first-project"),
        ("topic", "goal_topic", "topic-3"),
        ("resource", "goal_resource", "resource-3"),  # a book
    ],
)
def test_it_saves_a_goal_of_each_kind(client, alice, catalog, kind, field, slug):
    data = answers(goal_kind=kind) | ({field: slug} if field else {})
    response = client.post(WELCOME, data)
    assert response.status_code == 302
    assert response["Location"] == PATH
    assert (saved(alice).goal_kind, saved(alice).goal_slug) == (kind, slug)
    assert "Your path is set" in client.get(WELCOME).content.decode()  # the message, shown once


def test_only_the_chosen_targets_select_counts(client, alice, catalog):
    data = answers(goal_kind="topic", goal_topic="topic-1", goal_project="no-such", goal_resource="x")
    assert client.post(WELCOME, data).status_code == 302
    assert (saved(alice).goal_kind, saved(alice).goal_slug) == ("topic", "topic-1")


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"goal_kind": "project", "goal_project": ""}, "goal_project", "Choose a project for your goal"),
        ({"goal_kind": "project", "goal_project": "nope"}, "goal_project", "There is no project “nope”"),
        ({"goal_kind": "project", "goal_project": "old-project"}, "goal_project", "no longer in the catalog"),
        (
            {"goal_kind": "project", "goal_project": "resource-3"},
            "goal_project",
            "“Resource 3” is not a project",
        ),
        ({"goal_kind": "topic", "goal_topic": "astrology"}, "goal_topic", "There is no topic “astrology”"),
        ({"goal_kind": "topic", "goal_topic": "old-topic"}, "goal_topic", "“Old topic” is no longer"),
        ({"goal_kind": "resource", "goal_resource": "first-project"}, "goal_resource", "is a project"),
        ({"goal_kind": "resource", "goal_resource": "gone"}, "goal_resource", "no book or course “gone”"),
        ({"goal_kind": "everything"}, "goal_kind", "Select a valid choice"),
    ],
)
def test_it_refuses_a_goal_that_is_not_in_the_catalog(client, alice, catalog, data, field, error):
    response = client.post(WELCOME, answers(**data))
    assert response.status_code == 200
    html = response.content.decode()
    assert error in html
    if field != "goal_kind":  # the select of the target is marked, and takes the focus
        select = re.search(rf'<select[^>]*name="{field}"[^>]*>', html).group()
        assert 'aria-invalid="true"' in select and "autofocus" in select
    assert not PathSettings.objects.exists()


def test_a_refused_goal_leaves_the_saved_one_alone(client, alice, catalog):
    client.post(WELCOME, answers(goal_kind="topic", goal_topic="topic-2"))
    client.post(WELCOME, answers(goal_kind="project", goal_project="old-project", hours_per_week="9"))
    assert (saved(alice).goal_kind, saved(alice).goal_slug, saved(alice).hours_per_week) == (
        "topic",
        "topic-2",
        Decimal("6"),
    )


def test_it_saves_known_topics_and_stage_shortcuts(client, alice, catalog):
    data = answers(known_topics=["topic-0", "topic-5", "git"], known=["programming", "projects"])
    assert client.post(WELCOME, data).status_code == 302
    assert saved(alice).known_topics == ["topic-0", "topic-5", "git"]
    assert saved(alice).known_stages == ["programming", "projects"]
    html = client.get(WELCOME).content.decode()  # shown ticked when the learner comes back
    assert re.search(r'value="topic-5"[^>]*checked', html)
    assert re.search(r'value="projects"[^>]*checked', html)


def test_it_refuses_an_unknown_or_retired_topic(client, alice, catalog):
    response = client.post(WELCOME, answers(known_topics=["topic-0", "old-topic"]))
    assert response.status_code == 200
    assert "Select a valid choice. old-topic" in response.content.decode()
    assert not PathSettings.objects.exists()


def test_it_saves_pace_preferences_and_level(client, alice, catalog):
    data = answers(hours_per_week="7.25", kinds=["videos", "books"], free_only="on", level="3")
    assert client.post(WELCOME, data).status_code == 302
    row = saved(alice)
    assert row.hours_per_week == Decimal("7.3")
    assert row.preferred_kinds == ["video", "video_series", "lecture_series", "book"]
    assert row.free_only is True
    assert row.level == Resource.Level.ADVANCED
    html = client.get(WELCOME).content.decode()
    assert re.search(r'value="videos"[^>]*checked', html) and not re.search(
        r'value="courses"[^>]*checked', html
    )


def test_saving_tells_the_group_dashboards(client, alice, catalog):
    from mlpath.progress.models import LearnerStamp

    client.post(WELCOME, answers())
    assert LearnerStamp.objects.filter(user=alice).exists()


@pytest.mark.parametrize("hours", ["0", "-2", "100.1", "lots", ""])
def test_it_refuses_hours_out_of_range_naming_the_field(client, alice, catalog, hours):
    html = client.post(WELCOME, answers(hours_per_week=hours)).content.decode()
    assert re.search(r"(Hours per week must|Enter the hours per week)", html)
    assert re.search(r'<input type="number" name="hours_per_week"[^>]*aria-invalid="true"', html)
    assert not PathSettings.objects.exists()


def test_with_htmx_a_refusal_returns_only_the_form(client, alice, catalog):
    response = client.post(WELCOME, answers(hours_per_week="lots"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="welcome-form"')
    assert "<html" not in html and "Fit the path to you" not in html
    assert "Hours per week must be a number" in html
    assert re.search(r'name="hours_per_week"[^>]*autofocus', html)  # focus goes to the problem


def test_with_htmx_a_save_sends_the_browser_to_the_path(client, alice, catalog):
    response = client.post(WELCOME, answers(), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == PATH
    assert saved(alice).goal_kind == "path"


def test_a_learner_only_ever_changes_their_own_settings(client, alice, catalog):
    bob = User.objects.create_user("bob", password=PASSPHRASE)
    PathSettings.objects.create(user=bob, hours_per_week=Decimal("3"), known_topics=["topic-1"])
    data = answers(hours_per_week="12", user=str(bob.pk), user_id=str(bob.pk), username="bob")
    assert client.post(WELCOME, data).status_code == 302
    assert saved(alice).hours_per_week == Decimal("12")
    assert (saved(bob).hours_per_week, saved(bob).known_topics) == (Decimal("3"), ["topic-1"])


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_requires_sign_in(client, catalog, method):
    response = getattr(client, method)(WELCOME, answers() if method == "post" else None)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={WELCOME}"
    assert not PathSettings.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_it_refuses_other_methods(client, alice, catalog, method):
    assert getattr(client, method)(WELCOME).status_code == 405
    assert not PathSettings.objects.exists()


def _more_topics(count: int) -> None:
    pillar = Topic.objects.filter(pillar__isnull=False).first().pillar
    Topic.objects.bulk_create(
        Topic(slug=f"extra-{i}", name=f"Extra {i}", pillar=pillar) for i in range(count)
    )
    CatalogRevision.bump()


@pytest.mark.parametrize(("resources", "topics"), [(30, 0), (400, 300)])
def test_the_page_has_a_query_budget(client, alice, django_assert_max_num_queries, resources, topics):
    make_catalog(resources)
    _more_topics(topics)
    # After a catalog change: session, user, settings, revision, then stages, topics, resources.
    with django_assert_max_num_queries(7):
        assert client.get(WELCOME).status_code == 200
    # While the catalog is unchanged the choices come from the cache.
    with django_assert_max_num_queries(4):
        html = client.get(WELCOME).content.decode()
    assert html.count('name="known_topics"') == 10 + topics
    # A first save: the same reads, the settings' read and insert and the learner's stamp,
    # with the savepoints and releases (eight) of its transaction inside the test's.
    with django_assert_max_num_queries(16):
        assert client.post(WELCOME, answers(known_topics=["topic-1"])).status_code == 302
