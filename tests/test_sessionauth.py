"""One-query sign-in check (mlpath/sessionauth.py): the same answer as Django's own auth,
on every kind of request, or Django's auth itself."""

import pytest
from django.contrib.auth import get_user
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import reverse

from mlpath import sessionauth
from mlpath.progress.models import Progress
from tests.test_pagecache import _deactivate, _expire, _new_password, _sign_out_elsewhere

pytestmark = pytest.mark.django_db
SETTINGS = reverse("progress:settings")


@pytest.fixture
def alice(client, shipped_catalog):
    user = User.objects.create_user("alice", password="correct horse battery", is_staff=True)
    client.force_login(user)
    assert client.get(SETTINGS).status_code == 200  # Django's auth accepts it: now vouched
    return user


def _request_with(client):
    request = RequestFactory().get("/")
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    from django.contrib.sessions.backends.db import SessionStore

    request.session = SessionStore(request.COOKIES.get("sessionid"))
    return request


def test_the_fast_user_is_the_user_django_loads(client, alice):
    request = _request_with(client)
    fast = sessionauth.get_user(request)
    slow = get_user(_request_with(client))
    assert fast.pk == slow.pk == alice.pk
    assert {f.attname: getattr(fast, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(slow, f.attname) for f in User._meta.concrete_fields
    }
    assert fast.is_staff is True  # a real bool, not SQLite's 1
    assert fast.date_joined.tzinfo is not None


def test_a_vouched_session_signs_in_on_one_query(client, alice, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert sessionauth.get_user(_request_with(client)).pk == alice.pk


def test_a_renamed_user_is_seen_at_once(client, alice):
    User.objects.filter(pk=alice.pk).update(username="alice-renamed")
    assert "alice-renamed" in client.get(SETTINGS).content.decode()


@pytest.mark.parametrize("change", [_sign_out_elsewhere, _expire, _new_password, _deactivate])
def test_a_session_auth_would_refuse_is_refused(client, alice, change):
    change(alice)
    response = client.get(SETTINGS)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("change", [_sign_out_elsewhere, _expire, _new_password, _deactivate])
def test_a_click_from_a_session_auth_would_refuse_changes_nothing(client, alice, change):
    change(alice)
    response = client.post(reverse("progress:set_status", args=["mml-book"]), {"status": "done"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Progress.objects.exists()


def test_signing_in_again_as_someone_else_is_never_taken_for_the_first(client, alice):
    bob = User.objects.create_user("bob", password="correct horse battery")
    client.force_login(bob)  # a new session key; alice's is gone
    assert "bob" in client.get(SETTINGS).content.decode()
    client.post(reverse("progress:set_status", args=["mml-book"]), {"status": "done"})
    assert Progress.objects.get().user == bob
