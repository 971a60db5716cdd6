"""The home page and /healthz."""

import pytest
from django.db import DatabaseError

pytestmark = pytest.mark.django_db


def test_home_says_what_mlpath_is_and_links_to_the_catalog(client, shipped_catalog):
    html = " ".join(client.get("/").content.decode().split())
    assert "Learn the math behind machine learning" in html
    assert 'href="/catalog/"' in html
    assert "25 free and paid resources" in html
    assert html.index("Programming") < html.index("Projects") < html.index("Mathematics")


def test_home_on_an_empty_catalog_explains_what_to_do(client):
    html = client.get("/").content.decode()
    assert "The catalog is empty" in html


def test_every_page_loads_htmx_from_this_site(client):
    html = client.get("/").content.decode()
    assert '<script src="/static/django_htmx/htmx-2.min.js" defer>' in html
    assert "unpkg" not in html and "cdn" not in html.lower()


def test_healthz_answers_after_a_database_ping(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_a_dead_database(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise DatabaseError("gone")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
