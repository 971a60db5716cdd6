"""Undo takes back exactly the learner's latest change, timestamps included, and
refuses, with the reason and no change, an Undo button that has gone stale."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from catalog.models import Resource
from mlpath.progress.models import Progress, StatusChange

pytestmark = pytest.mark.django_db
CARD = {"HX-Request": "true", "HX-Target": "status-seeing-theory"}


@pytest.fixture
def alice(client):
    user = User.objects.create_user("alice", password="correct horse battery")
    client.force_login(user)
    return user


def undo(client, slug, change, **extra):
    return client.post(reverse("progress:set_status", args=[slug]), {"undo": change.pk}, **extra)


def row(user, slug):
    return Progress.objects.get(user=user, resource__slug=slug)


def test_undoing_a_move_back_to_not_started_restores_the_original_start(client, alice, shipped_catalog):
    theory = Resource.objects.get(slug="seeing-theory")
    monday = timezone.now() - timedelta(days=3)
    with time_machine.travel(monday, tick=False):
        Progress.change(alice, theory, "in_progress")
    change = Progress.change(alice, theory, "not_started")
    assert row(alice, "seeing-theory").started_at is None
    assert undo(client, "seeing-theory", change).status_code == 302
    restored = row(alice, "seeing-theory")
    assert (restored.status, restored.started_at, restored.finished_at) == ("in_progress", monday, None)


def test_undoing_done_clears_the_finish_and_keeps_the_start(client, alice, shipped_catalog):
    theory = Resource.objects.get(slug="seeing-theory")
    Progress.change(alice, theory, "in_progress")
    started = row(alice, "seeing-theory").started_at
    change = Progress.change(alice, theory, "done")
    undo(client, "seeing-theory", change)
    restored = row(alice, "seeing-theory")
    assert (restored.status, restored.started_at, restored.finished_at) == ("in_progress", started, None)
    last = StatusChange.objects.latest_for(alice)
    assert (last.from_status, last.to_status) == ("done", "in_progress")  # the undo is in the history too


def stale_case(alice, case):
    """Make the change `case` describes, and return it in the state that makes it stale."""
    theory, islr = Resource.objects.get(slug="seeing-theory"), Resource.objects.get(slug="islr")
    change = Progress.change(alice, theory, "done")
    if case == "newer change elsewhere":
        Progress.change(alice, islr, "done")
    elif case == "too late":
        change.changed_at -= timedelta(minutes=31)
        change.save()
    elif case == "reset":
        Progress.reset(alice)
        change = StatusChange.objects.latest_for(alice)
    elif case == "someone else's":
        change = Progress.change(User.objects.create_user("bob"), theory, "skipped")
    return change


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("newer change elsewhere", "a newer change has been made since"),
        ("too late", "it is too late to undo it"),
        ("reset", "it was part of a reset"),
        ("someone else's", "there is no such change of yours to this resource"),
    ],
)
def test_a_stale_undo_is_refused_with_the_reason_and_changes_nothing(
    client, alice, shipped_catalog, case, reason
):
    change = stale_case(alice, case)
    before = (list(Progress.objects.values()), StatusChange.objects.count())
    response = undo(client, "seeing-theory", change, headers=CARD)
    assert response.status_code == 409
    html = response.content.decode()
    assert f"That change cannot be undone: {reason}. Nothing was changed." in html
    assert '<div class="error-message">' in html  # what htmx shows in #htmx-error
    assert (list(Progress.objects.values()), StatusChange.objects.count()) == before
    # Without JavaScript: the same reason as a message on the page we came back to.
    page = undo(client, "seeing-theory", change, follow=True)
    assert f"That change cannot be undone: {reason}. Nothing was changed." in page.content.decode()


def test_undo_through_another_resources_address_is_refused(client, alice, shipped_catalog):
    change = Progress.change(alice, Resource.objects.get(slug="seeing-theory"), "done")
    assert undo(client, "islr", change, headers=CARD).status_code == 409
    assert row(alice, "seeing-theory").status == "done"


@pytest.mark.parametrize("value", ["abc", "0", "-3", ""])
def test_a_malformed_undo_is_a_bad_request(client, alice, shipped_catalog, value):
    response = client.post(reverse("progress:set_status", args=["seeing-theory"]), {"undo": value})
    assert response.status_code == 400
    assert not Progress.objects.exists()


def card_undo_slugs(html: str) -> list[str]:
    return re.findall(r'id="status-([\w-]+)-undo"', html)


def test_only_the_latest_changes_card_offers_undo_and_only_in_its_window(client, alice, shipped_catalog):
    for slug in ("seeing-theory", "islr"):
        client.post(reverse("progress:set_status", args=[slug]), {"status": "done"})
    assert card_undo_slugs(client.get(reverse("catalog:list")).content.decode()) == ["islr"]
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        client.force_login(alice)
        assert card_undo_slugs(client.get(reverse("catalog:list")).content.decode()) == []


def test_a_card_change_tells_the_page_to_drop_older_undo_buttons(client, alice, shipped_catalog):
    html = client.post(
        reverse("progress:set_status", args=["seeing-theory"]), {"status": "done"}, headers=CARD
    ).content.decode()
    assert '<div hx-swap-oob="delete:.card-undo"></div>' in html
    assert card_undo_slugs(html) == ["seeing-theory"]
