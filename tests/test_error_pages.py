"""404, 403, 429 and 500 with DEBUG off: the right status, a friendly page, nothing internal."""

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import include, path

pytestmark = pytest.mark.django_db
INTERNAL = "internal detail: /srv/secret/config.py SECRET_KEY=abc"


def _forbidden(request):
    raise PermissionDenied


def _broken(request):
    raise RuntimeError(INTERNAL)


# The site's own URLs plus two that fail on purpose; only these tests route through it.
urlpatterns = [
    path("test-only/forbidden/", _forbidden),
    path("test-only/broken/", _broken),
    path("", include("mlpath.urls")),
]


@pytest.fixture(autouse=True)
def _production_errors(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


def assert_leaks_nothing(response):
    html = response.content.decode()
    for leak in (
        "Traceback",
        "RuntimeError",
        "PermissionDenied",
        INTERNAL,
        "SECRET_KEY",
        "DATABASES",
        "settings.py",
        str(django_settings.BASE_DIR),
        "site-packages",
    ):
        assert leak not in html, leak
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_404(client):
    response = client.get("/test-only/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()
    assert_leaks_nothing(response)


def test_403(client):
    response = client.get("/test-only/forbidden/")
    assert response.status_code == 403
    assert "You are not allowed to open this page" in response.content.decode()
    assert_leaks_nothing(response)


def test_429(client):
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "nobody", "password": "SECRET_KEY"})
    assert response.status_code == 429
    assert "Please wait 15 minutes, then try again." in response.content.decode()
    assert_leaks_nothing(response)


def test_500():
    client = Client(raise_request_exception=False)
    response = client.get("/test-only/broken/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert_leaks_nothing(response)
