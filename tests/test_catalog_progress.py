"""Status controls and notes on the catalog pages, for signed-in learners only."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from catalog.browse import PER_PAGE
from catalog.models import Resource
from mlpath.progress.models import Progress
from tests.factories import make_catalog

pytestmark = pytest.mark.django_db
LIST = reverse("catalog:list")


@pytest.fixture
def alice(client):
    user = User.objects.create_user("alice", password="correct horse battery")
    client.force_login(user)
    return user


def control(html: str, slug: str) -> str:
    match = re.search(rf'<form id="status-{slug}".*?</form>', html, re.S)
    assert match, f"no status control for {slug}"
    return match.group(0)


def test_each_card_has_a_status_control_showing_the_learners_status(client, alice, shipped_catalog):
    Progress.change(alice, Resource.objects.get(slug="islr"), "in_progress")
    html = client.get(LIST).content.decode()
    assert html.count('class="status-control"') == Resource.objects.count()
    islr = control(html, "islr")
    assert "In progress" in islr
    assert 'value="done"' in islr and 'value="in_progress"' not in islr.split("Undo")[0]
    assert "Not started" in control(html, "seeing-theory")


def test_the_filtered_fragment_keeps_the_controls(client, alice, shipped_catalog):
    response = client.get(LIST, {"pillar": "probability"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert html.count('class="status-control"') == 3


def test_anonymous_visitors_get_an_invitation_not_controls(client, shipped_catalog):
    html = client.get(LIST).content.decode()
    assert "status-control" not in html
    assert "to mark resources as you go" in html


def test_the_detail_page_has_the_control_and_the_note(client, alice, shipped_catalog):
    html = client.get(reverse("catalog:detail", args=["seeing-theory"])).content.decode()
    assert 'value="in_progress"' in control(html, "seeing-theory")
    assert 'id="note-seeing-theory"' in html
    assert '<label for="id_note-seeing-theory">Your note</label>' in html


def test_the_detail_page_invites_anonymous_visitors_to_sign_in(client, shipped_catalog):
    html = client.get(reverse("catalog:detail", args=["seeing-theory"])).content.decode()
    assert "to track this resource" in html
    assert "status-control" not in html


@pytest.mark.parametrize("size", [30, 300])
def test_the_signed_in_list_keeps_its_query_budget(client, alice, django_assert_max_num_queries, size):
    make_catalog(size)
    for resource in Resource.objects.all()[: size // 3]:
        Progress.change(alice, resource, "done")
    # The anonymous list's 6, plus session, user, statuses and the last change.
    with django_assert_max_num_queries(10):
        response = client.get(LIST)
    assert response.content.decode().count('class="status-control"') == min(size, PER_PAGE)


@pytest.mark.parametrize("size", [30, 300])
def test_the_signed_in_detail_keeps_its_query_budget(client, alice, django_assert_max_num_queries, size):
    make_catalog(size)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("catalog:detail", args=[f"resource-{size - 7}"]))
    assert response.status_code == 200
