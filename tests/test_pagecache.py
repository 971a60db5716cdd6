"""Kept pages (mlpath/pagecache.py): fast when nothing changed, never stale when something did."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Resource
from mlpath.progress.models import Progress
from mlpath.progress.path import path_for_user

PATH = reverse("progress:path")


@pytest.fixture
def alice(client, shipped_catalog):
    user = User.objects.create_user("alice", password="correct horse battery")
    client.force_login(user)
    return user


def warm(client, url, **kwargs) -> str:
    """Three visits: the first sets the CSRF cookie, the second keeps the page, the third
    is served from the cache."""
    for _ in range(3):
        response = client.get(url, **kwargs)
        assert response.status_code == 200
    return response.content.decode()


def test_a_status_change_shows_at_once_on_a_kept_path_page(client, alice, django_assert_max_num_queries):
    before = warm(client, PATH)
    # The key's one query (no session load: see fast_key), and the user's: PrivatePagesMiddleware
    # asks who this is, since a kept page for a signed-in user must say Cache-Control: private too.
    with django_assert_max_num_queries(2):
        assert client.get(PATH).content.decode() == before
    first = path_for_user(alice)[3].next.item
    assert first.title in before
    client.post(reverse("progress:set_status", args=[first.slug]), {"status": "done"})
    after = client.get(PATH).content.decode()
    assert f"You marked “{first.title}” done" in after
    assert path_for_user(alice)[3].next.item.title in after


def test_a_note_shows_at_once_on_a_kept_detail_page(client, alice):
    url = reverse("catalog:detail", args=["mml-book"])
    assert "Remember chapter 3" not in warm(client, url)
    client.post(reverse("progress:save_note", args=["mml-book"]), {"note": "Remember chapter 3"})
    assert "Remember chapter 3" in client.get(url).content.decode()


def test_a_catalog_edit_shows_at_once_on_every_kept_page(client, alice):
    url = reverse("catalog:detail", args=["mml-book"])
    warm(client, url)
    warm(client, reverse("catalog:list"))
    book = Resource.objects.get(slug="mml-book")
    book.title = "Mathematics for Machine Learning, second printing"
    book.save()  # as the admin does: the catalog's revision moves
    assert "second printing" in client.get(url).content.decode()
    assert "second printing" in client.get(reverse("catalog:list")).content.decode()


def test_two_learners_never_see_each_others_kept_pages(client, alice):
    warm(client, PATH)
    Progress.change(alice, Resource.objects.get(slug="mml-book"), "in_progress")
    warm(client, PATH)
    bob = User.objects.create_user("bob", password="another good password")
    other = Client()
    other.force_login(bob)
    html = warm(other, PATH)
    assert "bob" in html and "alice" not in html


def test_a_flash_message_is_shown_once_and_never_kept(client, alice):
    warm(client, PATH)
    response = client.post(
        reverse("progress:settings"),
        {"hours_per_week": "8", "order": ["programming", "projects", "math", "deep-learning"]},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert shown, "the settings page says it saved"
    again = client.get(PATH).content.decode()
    assert all(text not in again for text in shown)


def test_a_kept_path_page_stops_offering_undo_when_the_window_closes(client, alice):
    book = Resource.objects.get(slug="mml-book")
    client.post(reverse("progress:set_status", args=[book.slug]), {"status": "done"})
    assert "Undo" in warm(client, PATH)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert "Undo" not in client.get(PATH).content.decode()


# A kept page skips loading the session and the user, so it must still notice everything
# Django's own auth would: sign-out elsewhere, expiry, a password change, a deactivation.


def _sign_out_elsewhere(user):
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()


def _expire(user):
    from django.contrib.sessions.models import Session

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))


def _new_password(user):
    user.set_password("a brand new passphrase")
    user.save()


def _deactivate(user):
    User.objects.filter(pk=user.pk).update(is_active=False)


@pytest.mark.parametrize("change", [_sign_out_elsewhere, _expire, _new_password, _deactivate])
@pytest.mark.parametrize("url", [PATH, reverse("catalog:list"), reverse("home")])
def test_a_kept_page_is_not_served_to_a_session_that_auth_would_refuse(client, alice, change, url):
    page = warm(client, url)
    assert "alice" in page
    change(alice)
    response = client.get(url)
    if url == PATH:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == 200
        assert "alice" not in response.content.decode()  # the signed-out version of the page
