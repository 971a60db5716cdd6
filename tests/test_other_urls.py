"""A resource's other addresses (mirrors, playlists, code) are web addresses, wherever they
are entered: full_clean, and so the admin (the YAML loader checks its own input, see
tests/test_schema.py). An address a browser would run (javascript:) never reaches a link."""

import json

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Resource
from tests.factories import make_catalog

HOSTILE = [
    "javascript:alert(1)",
    " JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://example.com/notes.pdf",
    "https://example.com/\x00",
    "example.com/no-scheme",
    "https://" + "x" * 500 + ".com/",
]


@pytest.fixture
def intro(db):
    return make_catalog(resources=3)["resources"][0]


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", "a-long-password")
    client.force_login(user)
    return user


# The model: full_clean, and so every ModelForm.


@pytest.mark.parametrize("url", HOSTILE)
def test_it_refuses_an_address_that_is_not_http_in_other_urls(intro, url):
    intro.other_urls = ["https://example.com/mirror", url]
    with pytest.raises(ValidationError) as refused:
        intro.full_clean()
    [message] = refused.value.message_dict["other_urls"]
    assert message.startswith("Item 2")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.com/", "Give a list of addresses"),
        ({"url": "https://example.com/"}, "Give a list of addresses"),
        ([42], "Item 1 is not an address"),
        ([["https://example.com/"]], "Item 1 is not an address"),
        ([None], "Item 1 is not an address"),
    ],
)
def test_it_refuses_other_urls_that_are_not_a_list_of_text(intro, value, expected):
    intro.other_urls = value
    with pytest.raises(ValidationError) as refused:
        intro.full_clean()
    [message] = refused.value.message_dict["other_urls"]
    assert message.startswith(expected)


@pytest.mark.parametrize("value", [[], ["https://example.com/a", "http://example.org/b?c=d#e"]])
def test_it_accepts_http_and_https_addresses(intro, value):
    intro.other_urls = value
    intro.full_clean()


# The admin, as staff use it.


def change_form(resource: Resource, **overrides) -> dict:
    """What the admin's change form posts for `resource`, as it stands, with `overrides`."""
    data = {
        "slug": resource.slug,
        "title": resource.title,
        "url": resource.url,
        "other_urls": json.dumps(resource.other_urls),
        "creator": resource.creator,
        "summary": resource.summary,
        "stage": resource.stage_id,
        "pillar": resource.pillar_id or "",
        "kind": resource.kind,
        "level": resource.level,
        "cost": resource.cost,
        "hours": str(resource.hours),
        "topics": [topic.pk for topic in resource.topics.all()],
        "sources": [source.pk for source in resource.sources.all()],
        "prerequisite_links-TOTAL_FORMS": "0",
        "prerequisite_links-INITIAL_FORMS": "0",
        "sections-TOTAL_FORMS": "0",
        "sections-INITIAL_FORMS": "0",
        "prerequisite_links-MIN_NUM_FORMS": "0",
        "prerequisite_links-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def admin_url(resource: Resource) -> str:
    return f"/admin/catalog/resource/{resource.pk}/change/"


def test_the_admin_saves_http_addresses_in_other_urls(client, staff, intro):
    mirrors = ["https://example.com/mirror", "http://example.org/playlist"]
    response = client.post(admin_url(intro), change_form(intro, other_urls=json.dumps(mirrors)))
    assert response.status_code == 302
    intro.refresh_from_db()
    assert intro.other_urls == mirrors


def test_it_refuses_a_javascript_url_in_other_urls(client, staff, intro):
    before = Resource.objects.values().get(pk=intro.pk)
    form = change_form(
        intro, title="Changed", other_urls=json.dumps(["https://example.com/ok", "javascript:alert(1)"])
    )
    response = client.post(admin_url(intro), form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Item 2, “javascript:alert(1)”, is not a web address" in html
    assert Resource.objects.values().get(pk=intro.pk) == before


def test_the_admin_refuses_a_nul_in_other_urls(client, staff, intro):
    # PostgreSQL's jsonb cannot hold one: this was a DataError, a 500.
    form = change_form(intro, other_urls=json.dumps(["https://example.com/\x00"]))
    response = client.post(admin_url(intro), form)
    assert response.status_code == 200
    assert "is not a web address" in response.content.decode()


def test_the_admin_refuses_other_urls_that_are_not_a_list(client, staff, intro):
    before = Resource.objects.values().get(pk=intro.pk)
    response = client.post(admin_url(intro), change_form(intro, other_urls='"javascript:alert(1)"'))
    assert response.status_code == 200
    assert "Give a list of addresses" in response.content.decode()
    assert Resource.objects.values().get(pk=intro.pk) == before
