"""/path/settings/, notes, reset, export and account deletion: the learner's own data."""

import json
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from catalog.models import Resource
from mlpath.progress.models import PathSettings, Progress, StatusChange

pytestmark = pytest.mark.django_db
SETTINGS = reverse("progress:settings")
DEFAULT_ORDER = ["programming", "projects", "math", "deep-learning"]
MATH_FIRST = ["math", "programming", "projects", "deep-learning"]


@pytest.fixture
def alice(client):
    user = User.objects.create_user("alice", password="correct horse battery")
    client.force_login(user)
    return user


def test_settings_show_the_default_order(client, alice, shipped_catalog):
    response = client.get(SETTINGS)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'<input type="hidden" name="order" value="([^"]+)">', html) == DEFAULT_ORDER
    assert not PathSettings.objects.exists()  # reading the page writes nothing


def test_math_first_changes_the_plan(client, alice, shipped_catalog):
    response = client.post(SETTINGS, {"order": MATH_FIRST, "hours_per_week": "8"})
    assert response.status_code == 302
    saved = PathSettings.objects.get(user=alice)
    assert saved.stage_order == MATH_FIRST
    path = client.get(reverse("progress:path")).content.decode()
    # The next step is a math unit, and the stage bars follow the learner's order.
    assert "Your next step · Mathematics" in path
    stages = path[path.index('id="stage-bars"') :]
    assert stages.index("stage-label-math") < stages.index("stage-label-programming")


def test_a_known_stage_counts_as_complete(client, alice, shipped_catalog):
    client.post(SETTINGS, {"order": DEFAULT_ORDER, "known": ["programming"], "hours_per_week": "5"})
    html = client.get(reverse("progress:path")).content.decode()
    assert "You already know Programming." in html
    programming = re.search(r'id="stage-label-programming".*?</li>', html, re.S).group(0)
    assert re.search(r"(\d+) of \1 topics", programming)
    assert "Your next step · Programming" not in html


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"order": ["math", "programming", "projects", "quantum"]}, "Select a valid choice. quantum"),
        (
            {"order": ["math", "math", "projects", "deep-learning"]},
            "Each stage can appear only once; repeated: Mathematics.",
        ),
        ({"order": ["math", "projects", "deep-learning"]}, "missing: Programming"),
        ({"order": DEFAULT_ORDER, "hours_per_week": "-3"}, "greater than or equal to 0.5"),
        ({"order": DEFAULT_ORDER, "hours_per_week": "lots"}, "Hours per week must be a number"),
        ({"order": DEFAULT_ORDER, "known": ["astrology"]}, "Select a valid choice. astrology"),
    ],
)
def test_bad_settings_rerender_with_errors_and_change_nothing(client, alice, shipped_catalog, data, error):
    response = client.post(SETTINGS, {"hours_per_week": "5", **data})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not PathSettings.objects.exists()


def test_a_bad_order_is_echoed_back_for_correction(client, alice, shipped_catalog):
    html = client.post(
        SETTINGS, {"order": ["math", "math", "projects", "deep-learning"], "hours_per_week": "5"}
    ).content.decode()
    assert "Each stage can appear only once" in html
    assert not PathSettings.objects.exists()


def test_settings_require_sign_in(client):
    response = client.get(SETTINGS)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={SETTINGS}"


def test_notes_are_saved_and_shown_only_to_their_author(client, alice, shipped_catalog):
    url = reverse("progress:save_note", args=["seeing-theory"])
    response = client.post(url, {"note": "Re-read the Bayes chapter."})
    assert response.status_code == 302
    detail = client.get(reverse("catalog:detail", args=["seeing-theory"])).content.decode()
    assert "Re-read the Bayes chapter." in detail
    client.force_login(User.objects.create_user("bob", password="x" * 12))
    detail = client.get(reverse("catalog:detail", args=["seeing-theory"])).content.decode()
    assert "Re-read the Bayes chapter." not in detail


def test_a_note_under_htmx_returns_only_the_form(client, alice, shipped_catalog):
    url = reverse("progress:save_note", args=["seeing-theory"])
    response = client.post(url, {"note": "<b>bold</b>"}, headers={"HX-Request": "true"})
    html = response.content.decode().strip()
    assert html.startswith('<form id="note-seeing-theory"')
    assert "Saved." in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert Progress.objects.get(user=alice).note == "<b>bold</b>"
    assert Progress.objects.get(user=alice).status == "not_started"


def test_a_too_long_note_is_refused(client, alice, shipped_catalog):
    url = reverse("progress:save_note", args=["seeing-theory"])
    response = client.post(url, {"note": "x" * 5001}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "at most 5000 characters" in response.content.decode()
    assert not Progress.objects.exists()


def test_notes_refuse_get_and_unknown_slugs(client, alice, shipped_catalog):
    assert client.get(reverse("progress:save_note", args=["seeing-theory"])).status_code == 405
    assert client.post(reverse("progress:save_note", args=["nope"]), {"note": "x"}).status_code == 404
    assert not Progress.objects.exists()


def test_reset_asks_first_then_clears_statuses_but_keeps_notes(client, alice, shipped_catalog):
    theory = Resource.objects.get(slug="seeing-theory")
    Progress.change(alice, theory, "done")
    Progress.change(alice, Resource.objects.get(slug="islr"), "in_progress")
    Progress.save_note(alice, theory, "keep me")
    confirm = client.get(reverse("progress:reset"))
    assert "2 resources will change" in confirm.content.decode()
    assert Progress.objects.filter(user=alice, status="done").exists()  # GET changed nothing
    response = client.post(reverse("progress:reset"))
    assert response.status_code == 302
    assert set(Progress.objects.filter(user=alice).values_list("status", flat=True)) == {"not_started"}
    assert Progress.objects.get(user=alice, resource=theory).note == "keep me"
    assert StatusChange.objects.filter(user=alice, to_status="not_started").count() == 2


def test_export_holds_statuses_timestamps_notes_and_settings(client, alice, shipped_catalog):
    theory = Resource.objects.get(slug="seeing-theory")
    Progress.change(alice, theory, "in_progress")
    Progress.change(alice, theory, "done")
    Progress.save_note(alice, theory, "Ünïcode note ✓")
    client.post(SETTINGS, {"order": MATH_FIRST, "known": ["programming"], "hours_per_week": "7.5"})
    response = client.get(reverse("progress:export"))
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="mlpath-alice.json"'
    data = json.loads(response.content)
    assert data["settings"] == {
        "stage_order": MATH_FIRST,
        "known_stages": ["programming"],
        "hours_per_week": 7.5,
        "known_topics": [],
        "goal": {"kind": "path", "target": ""},
        "level": 1,
        "preferred_kinds": [],
        "free_only": False,
        "saved": True,
    }
    [row] = data["progress"]
    assert row["resource"] == "seeing-theory" and row["status"] == "done" and row["note"] == "Ünïcode note ✓"
    assert row["started_at"] and row["finished_at"]
    assert [(h["from"], h["to"]) for h in data["history"]] == [
        ("not_started", "in_progress"),
        ("in_progress", "done"),
    ]
    # Finishing Seeing Theory scheduled reviews of what it teaches; rating one is kept too.
    assert data["reviews"] and all(row["fsrs_card"]["due"] == row["due"] for row in data["reviews"])
    assert data["ratings"] == []


def test_export_requires_sign_in(client):
    assert client.get(reverse("progress:export")).status_code == 302


def test_delete_needs_the_password(client, alice, shipped_catalog):
    Progress.change(alice, Resource.objects.get(slug="seeing-theory"), "done")
    response = client.post(reverse("delete_account"), {"password": "wrong"})
    assert response.status_code == 200
    assert "That is not your password. Nothing was deleted." in response.content.decode()
    assert User.objects.filter(username="alice").exists()


def test_delete_removes_the_account_and_everything_in_it(client, alice, shipped_catalog):
    Progress.change(alice, Resource.objects.get(slug="seeing-theory"), "done")
    client.post(SETTINGS, {"order": MATH_FIRST, "hours_per_week": "5"})
    response = client.post(reverse("delete_account"), {"password": "correct horse battery"})
    assert response.status_code == 302
    assert not User.objects.filter(username="alice").exists()
    assert not Progress.objects.exists() and not StatusChange.objects.exists()
    assert not PathSettings.objects.exists()
    assert client.get(reverse("progress:path")).status_code == 302  # signed out
    assert Resource.objects.filter(slug="seeing-theory").exists()  # the catalog is untouched


def test_delete_has_the_browser_forget_the_pages_it_kept(client, alice):
    wrong = client.post(reverse("delete_account"), {"password": "wrong"})
    assert "Clear-Site-Data" not in wrong
    response = client.post(reverse("delete_account"), {"password": "correct horse battery"})
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_delete_refuses_get_as_a_change(client, alice):
    assert client.get(reverse("delete_account")).status_code == 200
    assert User.objects.filter(username="alice").exists()


def test_export_names_the_file_even_for_a_non_ascii_username(client, shipped_catalog):
    client.force_login(User.objects.create_user("Zoë_日本", password="x" * 12))
    response = client.get(reverse("progress:export"))
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''mlpath-Zo%C3%AB_")


def test_saving_settings_twice_updates_one_row(client, alice, shipped_catalog):
    client.post(SETTINGS, {"order": MATH_FIRST, "hours_per_week": "5"})
    client.post(SETTINGS, {"order": DEFAULT_ORDER, "hours_per_week": "9"})
    saved = PathSettings.objects.get(user=alice)
    assert saved.stage_order == DEFAULT_ORDER and saved.hours_per_week == 9


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "progress:reset", []),
        ("post", "progress:reset", []),
        ("post", "progress:settings", []),
        ("post", "progress:save_note", ["seeing-theory"]),
        ("get", "delete_account", []),
        ("post", "delete_account", []),
    ],
)
def test_learner_data_pages_require_sign_in(client, shipped_catalog, method, name, args):
    url = reverse(name, args=args)
    data = {"note": "x", "password": "x", "order": DEFAULT_ORDER} if method == "post" else None
    response = getattr(client, method)(url, data)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"
    assert not Progress.objects.exists() and not PathSettings.objects.exists()


def _history(user, rows: int):
    from tests.factories import make_catalog

    make_catalog(max(rows, 30))
    for resource in Resource.objects.order_by("id")[:rows]:
        Progress.change(user, resource, "done")
        Progress.save_note(user, resource, "note")


@pytest.mark.parametrize("rows", [10, 200])
def test_export_settings_and_reset_have_a_query_budget(client, alice, django_assert_max_num_queries, rows):
    _history(alice, rows)
    # Session, user, settings, progress, section progress, history, review schedules, ratings.
    with django_assert_max_num_queries(8):
        data = client.get(reverse("progress:export")).json()
    assert len(data["progress"]) == rows and len(data["history"]) == rows
    client.get(SETTINGS)  # the first request after a catalog change reads its choices
    with django_assert_max_num_queries(4):
        assert client.get(SETTINGS).status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get(reverse("progress:reset")).status_code == 200


def test_export_holds_section_progress_and_its_history(client, alice):
    from mlpath.progress.models import SectionProgress
    from tests.factories import make_plan_catalog

    catalog = make_plan_catalog()
    SectionProgress.change(alice, catalog["sections"][0], "done")
    data = client.get(reverse("progress:export")).json()
    assert data["sections"] == [
        {
            "resource": "la-book",
            "section": "la-book-1",
            "title": "Vectors",
            "status": "done",
            "started_at": None,
            "finished_at": data["sections"][0]["finished_at"],
        }
    ]
    assert data["sections"][0]["finished_at"]
    assert [(h["resource"], h["section"], h["to"]) for h in data["history"]] == [
        ("la-book", "la-book-1", "done")
    ]
