"""/path/map/ and the small map on /path/: the learner's own goal as a picture and a list."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from catalog.models import CatalogRevision, Resource, Stage, Topic
from mlpath.progress.models import LearnerStamp, PathSettings, Progress
from tests.factories import make_plan_catalog

pytestmark = pytest.mark.django_db
MAP = reverse("progress:map")
PATH = reverse("progress:path")


@pytest.fixture
def planned(db):
    return make_plan_catalog()


@pytest.fixture
def alice(client):
    user = User.objects.create_user("alice", password="correct horse battery")
    client.force_login(user)
    return user


def listed(html: str) -> dict[str, str]:
    """The text version of the map: topic name -> its state in words."""
    section = html[html.index('id="map-list-heading"') :]
    return dict(
        re.findall(
            r'<a href="/topics/[^"]+/">([^<]+)</a> <span class="map-state[^"]*">([^<]+)</span>', section
        )
    )


def test_a_new_learner_sees_every_goal_topic_with_the_next_one_marked(client, alice, planned):
    response = client.get(MAP)
    assert response.status_code == 200
    html = response.content.decode()
    # The whole path: python first (the next step teaches it), then the rest for later.
    assert listed(html) == {
        "Python": "next",
        "Practice": "later",
        "Vectors": "later",
        "Matrices": "later",
        "Chance": "later",
    }
    # The picture: a link per topic, its state in its accessible name, and a legend.
    assert '<a href="/topics/python/" class="map-node state-next" aria-label="Python: next">' in html
    assert 'role="group" aria-labelledby="goal-map-title"' in html
    assert "Learned</li>" in html and "Known</li>" in html


def test_the_map_follows_what_the_learner_did_and_said(client, alice, planned):
    Progress.change(alice, Resource.objects.get(slug="py-course"), "done")
    PathSettings.objects.create(user=alice, known_topics=["vectors"])
    states = listed(client.get(MAP).content.decode())
    assert states["Python"] == "learned" and states["Vectors"] == "known"
    assert states["Practice"] == "next"  # the project comes after Python
    # Another learner's map knows nothing of it.
    client.force_login(User.objects.create_user("bob", password="another long password"))
    assert listed(client.get(MAP).content.decode())["Python"] == "next"


def test_a_target_maps_only_what_it_needs(client, alice, planned):
    PathSettings.objects.create(user=alice, goal_kind="topic", goal_slug="matrices")
    assert set(listed(client.get(MAP).content.decode())) == {"Vectors", "Matrices"}


def test_the_path_shows_the_next_steps_neighbourhood_and_a_click_moves_it(client, alice, planned):
    html = client.get(PATH).content.decode()
    small = html[html.index('id="next-map"') : html.index('id="plan"')]
    assert 'aria-label="Python: next"' in small and "Vectors" not in small
    assert f'href="{MAP}"' in small
    response = client.post(
        reverse("progress:set_status", args=["py-course"]),
        {"status": "done"},
        headers={"HX-Request": "true", "HX-Target": "next-resource"},
    )
    answer = response.content.decode()
    moved = answer[answer.index('<section id="next-map"') :]
    assert 'hx-swap-oob="true"' in moved.split(">")[0]
    # The project is next, and the Python it assumes is shown learned.
    assert 'aria-label="Practice: next"' in moved and 'aria-label="Python: learned"' in moved


def chain_catalog(size: int) -> None:
    """`size` topics, each resting on the two before it, and a resource teaching each."""
    math = Stage.objects.create(slug="math", name="Mathematics", position=1)
    topics = Topic.objects.bulk_create([Topic(slug=f"t-{i}", name=f"Topic {i}") for i in range(size)])
    Topic.requires.through.objects.bulk_create(
        [
            Topic.requires.through(from_topic_id=topics[i].id, to_topic_id=topics[j].id)
            for i in range(size)
            for j in (i - 1, i - 2)
            if j >= 0
        ]
    )
    resources = Resource.objects.bulk_create(
        [
            Resource(
                slug=f"r-{i}",
                title=f"R {i}",
                level=1,
                kind="book",
                cost="free",
                url="https://example.com/",
                creator="X",
                stage=math,
                hours=Decimal(1),
            )
            for i in range(size)
        ]
    )
    Resource.topics.through.objects.bulk_create(
        [
            Resource.topics.through(resource_id=r.id, topic_id=t.id)
            for r, t in zip(resources, topics, strict=True)
        ]
    )
    CatalogRevision.bump()


@pytest.mark.parametrize("size", [20, 400])
def test_the_map_has_a_fixed_query_budget(client, alice, django_assert_max_num_queries, size):
    chain_catalog(size)
    PathSettings.objects.create(user=alice, goal_kind="topic", goal_slug=f"t-{size - 1}")
    # The first request builds the plan index and the plan; then the session, the user, the
    # catalog's revision and the learner's stamp.
    with django_assert_max_num_queries(18):
        assert client.get(MAP).status_code == 200
    with django_assert_max_num_queries(4):
        html = client.get(MAP).content.decode()
    assert len(listed(html)) == size
    # Drawn: the first three open layers (each topic is a layer of its own here).
    assert html.count('class="map-node') == 3


def test_cached_fragments_follow_names_and_states(client, alice, planned):
    # The picture and each layer of the list are cached by what they show: a renamed topic or
    # a new state is a new fragment, never an old one shown again.
    assert listed(client.get(MAP).content.decode())["Vectors"] == "later"
    Topic.objects.filter(slug="vectors").update(name="Vectors and spaces")
    CatalogRevision.bump()
    html = client.get(MAP).content.decode()
    assert listed(html)["Vectors and spaces"] == "later" and 'aria-label="Vectors: ' not in html
    PathSettings.objects.update_or_create(user=alice, defaults={"known_topics": ["vectors"]})
    LearnerStamp.bump(alice)  # as saving the settings page does
    assert listed(client.get(MAP).content.decode())["Vectors and spaces"] == "known"
