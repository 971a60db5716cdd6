"""mlpath.middleware.PrivatePagesMiddleware: a signed-in user's pages stay out of every cache.

Every URL is walked for every signed-in role in test_access_matrix.py; these are the cases
around it: anonymous pages, pages served again, fragments, and views with their own rules.
"""

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.views.decorators.cache import cache_control

from mlpath.middleware import PrivatePagesMiddleware

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.fixture
def ada(client):
    user = User.objects.create_user("ada", password="a passphrase about caches")
    client.force_login(user)
    return user


@pytest.mark.parametrize("name", ["home", "catalog:list"])
def test_an_anonymous_page_is_left_for_caches_to_keep(client, shipped_catalog, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert not directives(response) & {"private", "no-store"}


def test_an_anonymous_resource_page_is_left_for_caches_to_keep(client, shipped_catalog):
    response = client.get(reverse("catalog:detail", args=["seeing-theory"]))
    assert response.status_code == 200
    assert "Cache-Control" not in response


def test_a_signed_in_catalog_page_is_never_cached(client, shipped_catalog, ada):
    response = client.get(reverse("catalog:list"))
    assert {"private", "no-store", "no-cache", "must-revalidate", "max-age=0"} <= directives(response)
    assert "Expires" in response


def test_a_page_served_again_is_still_private(client, shipped_catalog, ada):
    # Later visits may be answered from the server's own caches; they are as private.
    for _ in range(3):
        response = client.get(reverse("progress:path"))
        assert response.status_code == 200
        assert {"private", "no-store"} <= directives(response)


def test_a_signed_in_htmx_fragment_is_private(client, shipped_catalog, ada):
    response = client.get(reverse("catalog:list"), {"q": "linear"}, headers={"HX-Request": "true"})
    assert "<html" not in response.content.decode()
    assert {"private", "no-store"} <= directives(response)


def test_a_view_that_sets_its_own_cache_control_keeps_it():
    view = cache_control(max_age=60)(lambda request: HttpResponse("the same for everyone"))
    request = RequestFactory().get("/")
    request.user = User(username="ada")
    response = PrivatePagesMiddleware(view)(request)
    assert directives(response) == {"max-age=60"}


def test_an_anonymous_request_is_left_alone():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    response = PrivatePagesMiddleware(lambda request: HttpResponse("hello"))(request)
    assert "Cache-Control" not in response
    assert "Expires" not in response
