"""Milestones: finishing a stage, a pillar or the goal is celebrated once and kept."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from mlpath.progress.models import Milestone, PathSettings
from tests.factories import make_plan_catalog

pytestmark = pytest.mark.django_db
PATH_CLICK = {"HX-Request": "true", "HX-Target": "next-resource"}


@pytest.fixture
def alice(client):
    user = User.objects.create_user("alice", password="correct horse battery")
    client.force_login(user)
    return user


@pytest.fixture
def planned(db):
    return make_plan_catalog()


def status(slug, value, client, headers=None):
    return client.post(reverse("progress:set_status", args=[slug]), {"status": value}, headers=headers or {})


def banner(html: str) -> str:
    start = html.index('<div id="celebrate"')
    return html[start : html.index("</div>", start)]


def test_finishing_a_stage_is_celebrated_once_in_place(client, alice, planned):
    html = status("py-course", "done", client, PATH_CLICK).content.decode()
    shown = banner(html)
    assert 'hx-swap-oob="true"' in shown and "Stage finished: Programming." in shown
    assert list(Milestone.objects.filter(user=alice).values_list("kind", "slug")) == [
        ("stage", "programming")
    ]
    # Lost and finished again: no second celebration.
    status("py-course", "not_started", client, PATH_CLICK)
    again = status("py-course", "done", client, PATH_CLICK).content.decode()
    assert "Stage finished" not in again
    assert Milestone.objects.filter(user=alice).count() == 1


def test_a_catalog_click_celebrates_too_and_without_javascript_it_is_a_message(client, alice, planned):
    card = {
        "HX-Request": "true",
        "HX-Target": "status-py-course",
        "HX-Current-URL": "http://testserver/catalog/",
    }
    html = status("py-course", "done", client, card).content.decode()
    assert (
        html.lstrip().startswith('<div hx-swap-oob="delete:.card-undo">') or 'id="status-py-course"' in html
    )
    assert "Stage finished: Programming." in banner(html)
    # Without JavaScript: the next page says it.
    bob = User.objects.create_user("bob", password="another long password")
    client.force_login(bob)
    response = status("py-course", "done", client)
    assert response.status_code == 302
    assert "Stage finished: Programming." in client.get(response["Location"]).content.decode()


def test_a_target_reached_is_the_goal_reached(client, alice, planned):
    PathSettings.objects.create(user=alice, goal_kind="topic", goal_slug="vectors")
    response = client.post(
        reverse("progress:set_section_status", args=["la-book-1"]), {"status": "done"}, headers=PATH_CLICK
    )
    html = response.content.decode()
    assert "Goal reached: Vectors." in banner(html) and "You have reached your goal" in html
    assert Milestone.objects.get(user=alice, kind="goal").slug == "topic:vectors"
    page = client.get(reverse("progress:activity")).content.decode()
    assert "Goal reached: Vectors." in page[page.index('id="milestones-heading"') :]


def test_a_stage_said_to_be_known_is_not_celebrated(client, alice, planned):
    PathSettings.objects.create(user=alice, known_stages=["programming"])
    status("la-video", "done", client, PATH_CLICK)
    assert not Milestone.objects.filter(user=alice, kind="stage", slug="programming").exists()


def test_starting_or_skipping_finishes_nothing(client, alice, planned):
    for value in ("in_progress", "skipped"):
        html = status("py-course", value, client, PATH_CLICK).content.decode()
        assert "Stage finished" not in html
    assert not Milestone.objects.exists()
