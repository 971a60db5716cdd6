"""/path/ and the status POST: the learner's page, htmx fragments, ownership, query budgets."""

import itertools
import re
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.template.defaultfilters import floatformat
from django.test import Client
from django.urls import reverse, set_script_prefix
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.models import Resource
from mlpath.progress.models import PathSettings, Progress, StatusChange
from mlpath.progress.path import hours_label, url_shape
from tests.factories import make_catalog

pytestmark = pytest.mark.django_db
PATH = reverse("progress:path")
HTMX_PATH = {"HX-Request": "true", "HX-Target": "next-resource", "HX-Current-URL": "http://testserver/path/"}


def status_url(slug):
    return reverse("progress:set_status", args=[slug])


def next_block(response) -> str:
    html = response.content.decode()
    match = re.search(r'<section id="next-resource".*?</section>', html, re.S)
    assert match, "no #next-resource block"
    return match.group(0)


def statuses(user) -> dict[str, str]:
    return dict(Progress.objects.filter(user=user).values_list("resource__slug", "status"))


@pytest.fixture
def alice(client):
    user = User.objects.create_user("alice", password="correct horse battery")
    client.force_login(user)
    return user


@pytest.fixture
def bob():
    return User.objects.create_user("bob", password="another long password")


def test_it_requires_sign_in(client):
    response = client.get(PATH)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={PATH}"


def test_it_recommends_programming_first_and_says_why(client, alice, shipped_catalog):
    response = client.get(PATH)
    assert response.status_code == 200
    block = next_block(response)
    assert "Learn Python: Full Course for Beginners" in block
    assert "freeCodeCamp" in block
    assert "Programming is the first stage of your path" in block
    for label in ("Start", "Mark done", "Skip"):
        assert f">{label}</button>" in block


def test_it_shows_stage_and_pillar_bars_weighted_by_hours(client, alice, shipped_catalog):
    Progress.change(alice, Resource.objects.get(slug="fcc-python-basics"), "done")
    html = client.get(PATH).content.decode()
    # 4 stages and 5 pillars, as native progress bars with their percentage.
    assert html.count("<progress") == 9
    assert re.search(r'id="stage-label-programming".*?<progress max="100" value="44"', html, re.S)
    assert "weighted by estimated hours" in html


def test_it_shows_what_finishing_the_next_resource_opens(client, alice, shipped_catalog):
    block = next_block(client.get(PATH))
    assert "Finishing it opens" in block
    assert "Intermediate Python Programming Course" in block


def test_it_lists_resources_in_progress(client, alice, shipped_catalog):
    Progress.change(alice, Resource.objects.get(slug="seeing-theory"), "in_progress")
    response = client.get(PATH)
    html = response.content.decode()
    in_progress = re.search(r'<section id="in-progress".*?</section>', html, re.S).group(0)
    assert "Seeing Theory" in in_progress
    # In progress comes first, even from a later stage.
    assert "Seeing Theory" in next_block(response)


def test_it_projects_a_finishing_date_from_the_learners_pace(client, alice, shipped_catalog):
    PathSettings.objects.create(user=alice, hours_per_week=10)
    total = sum(float(r.hours) for r in Resource.objects.all())
    html = client.get(PATH).content.decode()
    eta = re.search(r'<section id="eta".*?</section>', html, re.S).group(0)
    assert f"{total:g} hours at 10 hours a week" in eta
    assert f"about {-(-int(total) // 10)} weeks" in eta


def test_it_says_when_the_path_is_finished(client, alice, shipped_catalog):
    for resource in Resource.objects.all():
        Progress.change(alice, resource, "done")
    block = next_block(client.get(PATH))
    assert "You have finished the path" in block
    assert "Deep Learning" in block
    assert "Grokking Deep Learning" in block


def test_marking_done_under_htmx_returns_only_the_fragments(client, alice, shipped_catalog):
    response = client.post(status_url("fcc-python-basics"), {"status": "done"}, headers=HTMX_PATH)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="next-resource"')
    # Done moves the bars and the time left; the in-progress list had nothing to lose.
    for block in ("stage-bars", "pillar-bars", "eta"):
        assert f'id="{block}"' in html
    assert 'id="in-progress"' not in html
    assert html.count('hx-swap-oob="true"') == 3
    assert "Intermediate Python Programming Course" in next_block(response)
    assert "Undo" in next_block(response)
    assert statuses(alice) == {"fcc-python-basics": "done"}


def test_a_click_re_sends_only_the_sections_it_moved(client, alice, shipped_catalog):
    def sections(status):
        html = client.post(status_url("fcc-python-basics"), {"status": status}, headers=HTMX_PATH).content
        return {
            block
            for block in ("stage-bars", "pillar-bars", "eta", "in-progress")
            if f'id="{block}"'.encode() in html
        }

    # Starting changes no bar, only the in-progress list.
    assert sections("in_progress") == {"in-progress"}
    # Finishing it moves both.
    assert sections("done") == {"stage-bars", "pillar-bars", "eta", "in-progress"}
    # Done to skipped: still covered, so nothing but the recommendation moves.
    assert sections("skipped") == set()
    # Back to not started uncovers it.
    assert sections("not_started") == {"stage-bars", "pillar-bars", "eta"}
    # A repeated click changes nothing and re-sends everything, mending a stale tab.
    assert sections("not_started") == {"stage-bars", "pillar-bars", "eta", "in-progress"}


def test_a_click_answer_relies_on_the_header_token_that_htmx_sends(alice, shipped_catalog):
    """The answer's forms carry no token field: htmx sends the page's token from
    <body hx-headers> on every request. A click with it works; one without changes nothing."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    page = browser.get(PATH).content.decode()
    token = re.search(r'hx-headers=\'\{"x-csrftoken": "([^"]+)"\}\'', page).group(1)
    assert 'name="csrfmiddlewaretoken"' in next_block(browser.get(PATH))  # for no-JavaScript posts
    answer = browser.post(
        status_url("fcc-python-basics"),
        {"status": "in_progress"},
        headers={**HTMX_PATH, "X-CSRFToken": token},
    )
    assert answer.status_code == 200
    assert "csrfmiddlewaretoken" not in answer.content.decode()
    # The next click, from a form in that answer, sends the same header.
    again = browser.post(
        status_url("fcc-python-basics"), {"status": "done"}, headers={**HTMX_PATH, "X-CSRFToken": token}
    )
    assert again.status_code == 200
    refused = browser.post(status_url("fcc-python-basics"), {"status": "skipped"}, headers=HTMX_PATH)
    assert refused.status_code == 403
    assert statuses(alice) == {"fcc-python-basics": "done"}


def test_a_catalog_control_swaps_only_itself(client, alice, shipped_catalog):
    headers = {"HX-Request": "true", "HX-Target": "status-seeing-theory"}
    response = client.post(
        status_url("seeing-theory"), {"status": "in_progress", "next": "/catalog/"}, headers=headers
    )
    html = response.content.decode().strip()
    # Itself, plus the order to drop any other card's Undo: only this change can be undone.
    assert html.startswith('<div hx-swap-oob="delete:.card-undo"></div>\n<form id="status-seeing-theory"')
    assert "next-resource" not in html
    assert "In progress" in html
    change = StatusChange.objects.get(user=alice)
    assert f'name="undo" value="{change.pk}"' in html
    assert statuses(alice) == {"seeing-theory": "in_progress"}


def test_without_javascript_it_redirects_back(client, alice, shipped_catalog):
    response = client.post(status_url("seeing-theory"), {"status": "done", "next": "/catalog/seeing-theory/"})
    assert response.status_code == 302
    assert response["Location"] == "/catalog/seeing-theory/"
    page = client.get(response["Location"]).content.decode()
    assert "You marked “Seeing Theory” done." in page


def test_it_never_redirects_to_another_site(client, alice, shipped_catalog):
    response = client.post(status_url("seeing-theory"), {"status": "done", "next": "https://evil.example/"})
    assert response["Location"] == PATH


def test_undo_puts_the_previous_status_back(client, alice, shipped_catalog):
    client.post(status_url("seeing-theory"), {"status": "in_progress"})
    client.post(status_url("seeing-theory"), {"status": "done"}, headers=HTMX_PATH)
    block = next_block(client.get(PATH))
    assert "You marked “Seeing Theory” done." in block
    done = StatusChange.objects.latest_for(alice)
    assert f'name="undo" value="{done.pk}"' in block
    client.post(status_url("seeing-theory"), {"undo": done.pk}, headers=HTMX_PATH)
    assert statuses(alice) == {"seeing-theory": "in_progress"}
    history = list(
        StatusChange.objects.filter(user=alice).order_by("id").values_list("from_status", "to_status")
    )
    assert history == [("not_started", "in_progress"), ("in_progress", "done"), ("done", "in_progress")]


def test_it_keeps_timestamps(alice, shipped_catalog):
    resource = Resource.objects.get(slug="seeing-theory")
    Progress.change(alice, resource, "in_progress")
    row = Progress.objects.get(user=alice, resource=resource)
    assert row.started_at is not None and row.finished_at is None
    Progress.change(alice, resource, "done")
    row.refresh_from_db()
    assert row.finished_at >= row.started_at
    assert Progress.change(alice, resource, "done") is None  # no change, nothing logged
    assert StatusChange.objects.filter(user=alice).count() == 2


@pytest.mark.parametrize(
    ("slug", "data", "code", "message"),
    [
        ("no-such-resource", {"status": "done"}, 404, ""),
        ("seeing-theory", {"status": "finished"}, 400, "“finished” is not a status"),
        ("seeing-theory", {}, 400, "Choose a status"),
    ],
)
def test_it_refuses_unknown_slugs_and_statuses(client, alice, shipped_catalog, slug, data, code, message):
    response = client.post(status_url(slug), data, headers=HTMX_PATH)
    assert response.status_code == code
    assert message in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert not Progress.objects.exists()
    assert not StatusChange.objects.exists()


def test_status_forms_share_their_fields_without_sharing_answers():
    # StatusForm's fields are shared by every instance (they are not deep-copied per click),
    # so one click's bad input must not leak into the next click's form, nor the reverse.
    from mlpath.progress.forms import StatusForm

    bad_undo = StatusForm({"undo": "0"})
    good = StatusForm({"status": "done"})
    undo = StatusForm({"undo": "7"})
    bad_status = StatusForm({"status": "finished"})
    assert not bad_undo.is_valid() and list(bad_undo.errors) == ["undo"]
    assert good.is_valid() and good.cleaned_data == {"status": "done", "undo": None}
    assert undo.is_valid() and undo.cleaned_data == {"status": "", "undo": 7}
    assert not bad_status.is_valid() and list(bad_status.errors) == ["status"]
    assert good.fields["status"] is bad_status.fields["status"]
    assert StatusForm({"status": "skipped"}).is_valid()


def test_it_refuses_get(client, alice, shipped_catalog):
    assert client.get(status_url("seeing-theory"), {"status": "done"}).status_code == 405
    assert not Progress.objects.exists()


def test_it_requires_sign_in_to_change_a_status(client, shipped_catalog):
    response = client.post(status_url("seeing-theory"), {"status": "done"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Progress.objects.exists()


def test_it_enforces_csrf(alice, shipped_catalog):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(status_url("seeing-theory"), {"status": "done"}).status_code == 403
    assert not Progress.objects.exists()


def test_the_learner_always_comes_from_the_session(client, alice, bob, shipped_catalog):
    client.post(status_url("seeing-theory"), {"status": "done", "user": bob.pk, "user_id": bob.pk})
    assert statuses(alice) == {"seeing-theory": "done"}
    assert statuses(bob) == {}


def test_a_learner_never_sees_another_learners_progress(client, alice, bob, shipped_catalog):
    Progress.change(bob, Resource.objects.get(slug="fcc-python-basics"), "done")
    Progress.save_note(bob, Resource.objects.get(slug="seeing-theory"), "bob's secret note")
    path = client.get(PATH).content.decode()
    assert "Learn Python: Full Course for Beginners" in next_block(client.get(PATH))
    assert "You marked" not in path
    detail = client.get(reverse("catalog:detail", args=["seeing-theory"])).content.decode()
    assert "bob&#x27;s secret note" not in detail and "bob's secret note" not in detail
    export = client.get(reverse("progress:export")).json()
    assert export["progress"] == [] and export["history"] == []


def test_the_database_allows_one_row_per_learner_and_resource(alice, shipped_catalog):
    from django.db import IntegrityError, transaction

    resource = Resource.objects.get(slug="seeing-theory")
    Progress.objects.create(user=alice, resource=resource)
    with pytest.raises(IntegrityError), transaction.atomic():
        Progress.objects.create(user=alice, resource=resource)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_posts_never_create_two_rows(shipped_catalog):
    """Eight threads, each with its own connection, press "Mark done" at the same moment."""
    user = User.objects.create_user("racer", password="x" * 12)
    resource = Resource.objects.get(slug="seeing-theory")
    barrier = threading.Barrier(8)
    errors = []

    def press(status):
        client = Client()
        client.force_login(user)
        barrier.wait()
        try:
            response = client.post(status_url("seeing-theory"), {"status": status})
            assert response.status_code == 302
        except Exception as error:  # collected, so the main thread can report it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(["done", "in_progress"][i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Progress.objects.filter(user=user, resource=resource).count() == 1
    final = Progress.objects.get(user=user, resource=resource).status
    changes = list(
        StatusChange.objects.filter(user=user).order_by("id").values_list("from_status", "to_status")
    )
    # Every logged change starts where the previous one ended, and the last one is the row's status.
    assert changes[0][0] == "not_started"
    assert all(a[1] == b[0] for a, b in itertools.pairwise(changes))
    assert changes[-1][1] == final


def _sized(resources: int, progress_rows: int):
    make_catalog(resources)
    user = User.objects.create_user("sized", password="x" * 12)
    rows = list(Resource.objects.order_by("id")[:progress_rows])
    for index, resource in enumerate(rows):
        Progress.change(user, resource, "done" if index % 3 else "in_progress")
    return user


@pytest.mark.parametrize(("resources", "progress_rows"), [(30, 10), (300, 200)])
def test_the_path_page_has_a_fixed_query_budget(
    client, django_assert_max_num_queries, resources, progress_rows
):
    client.force_login(_sized(resources, progress_rows))
    # The first request builds this process's catalog index; the next computes the path
    # and keeps the page; from then on the page comes from the cache after one read (the
    # catalog's revision, the learner's stamp and the session's checks together), and the
    # user's, since PrivatePagesMiddleware marks a signed-in answer Cache-Control: private.
    with django_assert_max_num_queries(12):
        assert client.get(PATH).status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(PATH).status_code == 200
    with django_assert_max_num_queries(2):
        response = client.get(PATH)
    assert response.status_code == 200
    assert "Why this" in response.content.decode()


@pytest.mark.parametrize(("resources", "progress_rows"), [(30, 10), (300, 200)])
def test_the_status_post_has_a_fixed_query_budget(
    client, django_assert_max_num_queries, resources, progress_rows
):
    client.force_login(_sized(resources, progress_rows))
    slug = Resource.objects.order_by("-id").first().slug
    # The first click also builds the catalog index and signs the session in Django's way.
    with django_assert_max_num_queries(25):
        response = client.post(status_url(slug), {"status": "in_progress"}, headers=HTMX_PATH)
    assert response.status_code == 200
    # Then: sign-in check, resource, BEGIN, locked read, update, history, stamp, COMMIT, and
    # the path's two reads. Nothing is written to the learner's study groups: their
    # dashboards notice the stamp.
    with django_assert_max_num_queries(10):
        response = client.post(status_url(slug), {"status": "done"}, headers=HTMX_PATH)
    assert response.status_code == 200


def test_an_expired_session_under_htmx_sends_the_browser_to_sign_in(client, shipped_catalog):
    headers = {**HTMX_PATH, "HX-Current-URL": "http://testserver/catalog/?pillar=probability"}
    response = client.post(status_url("seeing-theory"), {"status": "done"}, headers=headers)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/catalog/%3Fpillar%3Dprobability"
    assert response.content == b""
    assert not Progress.objects.exists()


def test_error_answers_are_shown_to_htmx_users(client, alice, shipped_catalog):
    html = client.get(PATH).content.decode()
    assert '<meta name="htmx-config"' in html and '"target":"#htmx-error"' in html
    assert '<div id="htmx-error"' in html
    response = client.post(status_url("seeing-theory"), {"status": "nope"}, headers=HTMX_PATH)
    assert '<div class="error-message">' in response.content.decode()


def test_undo_is_offered_for_a_recent_change_only(client, alice, shipped_catalog):
    import time_machine
    from django.utils import timezone

    client.post(status_url("seeing-theory"), {"status": "done"})
    assert "Undo" in next_block(client.get(PATH))
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        client.force_login(alice)
        assert "Undo" not in next_block(client.get(PATH))


def test_reset_is_not_offered_as_a_one_click_undo(client, alice, shipped_catalog):
    for slug in ("seeing-theory", "islr"):
        client.post(status_url(slug), {"status": "done"})
    client.post(reverse("progress:reset"))
    assert "Undo" not in next_block(client.get(PATH))


@pytest.mark.django_db(False)
@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.integers(0, 9999).map(lambda tenths: tenths / 10),
        st.lists(st.integers(1, 999), max_size=40).map(lambda tenths: sum(t / 10 for t in tenths)),
        st.floats(0.001, 10_000),  # floatformat gives up and echoes its input far below that
    )
)
def test_hours_print_as_floatformat_printed_them(hours):
    """The path prints hours itself (one decimal, none when whole, halves up); it must say
    exactly what the template filter it replaced said, float noise of summed hours included."""
    assert hours_label(hours) == floatformat(hours, "-1")


@pytest.mark.django_db(False)
@pytest.mark.parametrize("prefix", ["/", "/mlpath/"])
def test_resource_links_are_what_reverse_gives(prefix):
    set_script_prefix(prefix)  # behind a proxy that mounts the app under a path
    try:
        for view in ("catalog:detail", "progress:set_status"):
            url = "mml-book".join(url_shape(view))
            assert url == reverse(view, args=["mml-book"])
            assert url.startswith(prefix)
    finally:
        set_script_prefix("/")


def test_catalog_text_is_escaped_once_on_the_page_and_in_a_clicks_answer(client, alice):
    """Titles and bylines are escaped ahead of time and kept per catalog revision: markup
    in them must print as text, exactly once escaped, on the page and in htmx answers."""
    from catalog.models import CatalogRevision

    make_catalog()
    Resource.objects.update(title='<b>Bits & "bytes"</b>', creator="<i>Ada</i>")
    CatalogRevision.bump()
    first = Resource.objects.get(slug="resource-0")
    Progress.change(alice, Resource.objects.get(slug="resource-3"), "in_progress")
    pages = [
        client.get(PATH).content.decode(),
        client.post(status_url(first.slug), {"status": "in_progress"}, headers=HTMX_PATH).content.decode(),
    ]
    for html in pages:
        assert "<b>" not in html and "<i>" not in html
        assert "&lt;b&gt;Bits &amp; &quot;bytes&quot;&lt;/b&gt;" in html
        assert "&lt;i&gt;Ada&lt;/i&gt;" in html
        assert "&amp;lt;" not in html and "&amp;amp;" not in html
