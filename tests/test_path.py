"""/path/ and the status POST: the learner's page, htmx fragments, ownership, query budgets."""

import itertools
import re
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse

from catalog.models import Resource
from mlpath.progress.models import PathSettings, Progress, SectionProgress, StatusChange
from tests.factories import make_catalog, make_plan_catalog

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


def section_url(slug):
    return reverse("progress:set_section_status", args=[slug])


def block_of(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}".*?</section>', html, re.S)
    assert match, f"no #{section_id} block"
    return match.group(0)


def plan_steps(html: str) -> list[str]:
    return re.findall(r'<li><a href="/catalog/[^"]+/">([^<]+)</a>', block_of(html, "plan"))


@pytest.fixture
def planned(db):
    return make_plan_catalog()


def test_it_recommends_programming_first_and_says_why(client, alice, planned):
    response = client.get(PATH)
    assert response.status_code == 200
    block = next_block(response)
    assert "Python course" in block
    assert "Your goal is the whole path: programming, a first project, then the four pillars" in block
    assert "it teaches Python" in block
    # The main action has the weight; "I have done it" and "Not for me" are quieter.
    assert re.search(r'<button[^>]*value="in_progress" class="primary">Start</button>', block)
    assert re.search(r'<button[^>]*value="done">I have done it</button>', block)
    assert re.search(r'<button[^>]*value="skipped" class="link-button">Not for me', block)


def test_the_plan_follows_the_threads_order_and_teaches_each_topic_once(client, alice, planned):
    html = client.get(PATH).content.decode()
    # Programming, one first project, then the pillars: the two-topic video rather than
    # the book's two chapters.
    assert plan_steps(html) == ["First project", "Linear algebra video", "Chance site"]
    eta = block_of(html, "eta")
    assert "27 hours at 6 hours a week" in eta
    assert "27 of the catalog&#x27;s 47 hours" in eta or "27 of the catalog's 47 hours" in eta


def test_it_shows_bars_by_topics_covered(client, alice, planned):
    Progress.change(alice, planned["resources"]["py"], "done")
    html = client.get(PATH).content.decode()
    stages = block_of(html, "stage-bars")
    assert re.search(r'id="stage-label-programming".*?<progress max="1" value="1"', stages, re.S)
    assert "1 of 1 topic" in stages
    pillars = block_of(html, "pillar-bars")
    assert "0 of 2 topics" in pillars and "0 of 1 topic" in pillars
    assert "20% of your goal" in stages  # 1 of 5 topics, the first project's own among them


def test_skipping_never_covers_a_topic_and_offers_the_next_best(client, alice, planned):
    Progress.change(alice, planned["resources"]["video"], "skipped")
    html = client.get(PATH).content.decode()
    # The book's two chapters take the video's place, and nothing counts as learned.
    assert plan_steps(html) == ["First project", "Chance site", "1. Vectors", "2. Matrices"]
    assert "0 of 2 topics" in block_of(html, "pillar-bars")


def test_finishing_every_section_finishes_the_resource(client, alice, planned):
    Progress.change(alice, planned["resources"]["video"], "skipped")
    for section in planned["sections"]:
        client.post(section_url(section.slug), {"status": "done"})
    html = client.get(PATH).content.decode()
    assert "2 of 2 topics" in block_of(html, "pillar-bars")
    assert plan_steps(html) == ["First project", "Chance site"]


def test_marking_a_resource_done_covers_its_sections(client, alice, planned):
    Progress.change(alice, planned["resources"]["book"], "done")
    html = client.get(PATH).content.decode()
    assert "2 of 2 topics" in block_of(html, "pillar-bars")
    assert "Linear algebra video" not in html


def test_a_topic_goal_holds_only_what_it_needs(client, alice, planned):
    PathSettings.objects.create(user=alice, goal_kind="topic", goal_slug="matrices")
    html = client.get(PATH).content.decode()
    assert "Your goal: <strong>Matrices</strong>" in html
    assert "Linear algebra video" in next_block(client.get(PATH))
    assert plan_steps(html) == []
    assert "5 hours at 6 hours a week" in block_of(html, "eta")


def test_a_project_goal_plans_what_the_project_assumes_then_the_project(client, alice, planned):
    PathSettings.objects.create(user=alice, goal_kind="project", goal_slug="first-project")
    html = client.get(PATH).content.decode()
    assert "Python course" in next_block(client.get(PATH))
    assert plan_steps(html) == ["First project"]


def test_known_topics_are_never_planned(client, alice, planned):
    PathSettings.objects.create(user=alice, known_topics=["python", "vectors", "matrices"])
    html = client.get(PATH).content.decode()
    assert "First project" in next_block(client.get(PATH))
    assert plan_steps(html) == ["Chance site"]


def test_it_shows_what_finishing_the_next_step_opens(client, alice, planned):
    block = next_block(client.get(PATH))
    assert "Finishing it opens" in block
    assert "First project" in block


def test_a_unit_in_progress_is_the_next_step_and_is_not_listed_twice(client, alice, planned):
    Progress.change(alice, planned["resources"]["py"], "in_progress")
    html = client.get(PATH).content.decode()
    block = next_block(client.get(PATH))
    assert "Python course" in block
    assert "you have already started it" in block.lower()
    # Its main action is now "Mark done"; Start is gone.
    assert re.search(r'value="done" class="primary">Mark done</button>', block)
    assert 'value="in_progress"' not in block.split("Or instead")[0]
    assert "Python course" not in block_of(html, "in-progress")


def test_starting_an_alternative_puts_it_in_the_plan_instead(client, alice, planned):
    Progress.change(alice, planned["resources"]["py"], "done")
    Progress.change(alice, planned["resources"]["project"], "done")
    block = next_block(client.get(PATH))
    assert "Linear algebra video" in block
    client.post(section_url("la-book-1"), {"status": "in_progress"})
    html = client.get(PATH).content.decode()
    steps = [next_block(client.get(PATH)), *plan_steps(html)]
    assert "1. Vectors" in steps[0]
    assert "Linear algebra video" not in html.split('id="plan"')[0].split("Or instead")[0]


def test_it_projects_a_finishing_date_from_the_learners_pace(client, alice, planned):
    PathSettings.objects.create(user=alice, hours_per_week=10)
    eta = block_of(client.get(PATH).content.decode(), "eta")
    assert "27 hours at 10 hours a week" in eta
    assert "about 3 weeks" in eta
    # Time left per stage adds up to the total.
    assert re.findall(r"<li>(\w+): (\d+) h</li>", eta) == [
        ("Programming", "8"),
        ("Projects", "10"),
        ("Mathematics", "9"),
    ]


def test_it_says_when_the_goal_is_reached(client, alice, planned):
    for resource in planned["resources"].values():
        Progress.change(alice, resource, "done")
    block = next_block(client.get(PATH))
    assert "You have reached your goal" in block


def test_marking_done_under_htmx_returns_only_the_fragments(client, alice, planned):
    response = client.post(status_url("py-course"), {"status": "done"}, headers=HTMX_PATH)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="next-resource"')
    for block in ("stage-bars", "pillar-bars", "eta", "in-progress", "next-map", "plan"):
        assert f'id="{block}"' in html
    assert html.count('hx-swap-oob="true"') == 7
    # Python was all the programming stage needed: finished, and celebrated once.
    assert "Stage finished: Programming." in html
    block = next_block(response)
    assert "First project" in block
    assert "Undo" in block
    # Focus moves to the new next step, and the change is announced.
    assert re.search(r'<h2 id="next-heading" tabindex="-1" autofocus>', block)
    assert "You marked “Python course” done. Next: First project." in html
    assert statuses(alice) == {"py-course": "done"}


def test_a_section_click_on_the_path_answers_with_the_new_plan(client, alice, planned):
    Progress.change(alice, planned["resources"]["video"], "skipped")
    response = client.post(section_url("la-book-1"), {"status": "done"}, headers=HTMX_PATH)
    assert response.status_code == 200
    assert "1 of 2 topics" in block_of(response.content.decode(), "pillar-bars")
    change = StatusChange.objects.latest_for(alice)
    assert change.section.slug == "la-book-1" and change.to_status == "done"


def test_undo_twice_does_not_redo_the_change(client, alice, planned):
    client.post(status_url("py-course"), {"status": "done"}, headers=HTMX_PATH)
    done = StatusChange.objects.latest_for(alice)
    answer = next_block(client.post(status_url("py-course"), {"undo": done.pk}, headers=HTMX_PATH))
    assert statuses(alice) == {"py-course": "not_started"}
    # The undo is not itself offered for undoing.
    assert 'name="undo"' not in answer
    again = client.post(status_url("py-course"), {"undo": done.pk}, headers=HTMX_PATH)
    assert again.status_code == 200
    assert "That change cannot be undone" in next_block(again)
    assert statuses(alice) == {"py-course": "not_started"}


def test_a_stale_undo_shows_its_reason_in_place(client, alice, planned):
    client.post(status_url("py-course"), {"status": "done"})
    done = StatusChange.objects.latest_for(alice)
    client.post(status_url("chance-site"), {"status": "done"})
    response = client.post(status_url("py-course"), {"undo": done.pk}, headers=HTMX_PATH)
    assert response.status_code == 200
    block = next_block(response)
    assert block.count("<section") == 1  # the path's own block, not an error page inside it
    assert "That change cannot be undone: a newer change has been made since. Nothing was changed." in block
    assert statuses(alice)["py-course"] == "done"


def test_a_click_works_on_the_header_token_that_htmx_sends(alice, shipped_catalog):
    """htmx sends the page's token from <body hx-headers> on every request. A click with
    it works; one without changes nothing."""
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


@pytest.mark.parametrize(
    ("slug", "data", "code", "message"),
    [
        ("no-such-section", {"status": "done"}, 404, ""),
        ("seeing-theory-2", {"status": "finished"}, 400, "“finished” is not a status"),
        ("seeing-theory-2", {}, 400, "Choose a status"),
        ("seeing-theory-2", {"status": "done", "undo": "1"}, 400, "Nothing was changed"),
        ("seeing-theory-2", {"status": "done" * 500}, 400, "is not a status"),
    ],
)
def test_a_section_refuses_unknown_slugs_and_statuses(
    client, alice, shipped_catalog, slug, data, code, message
):
    for headers in (HTMX_PATH, {}):
        response = client.post(section_url(slug), data, headers=headers)
        assert response.status_code == code
        assert message in response.content.decode()
        assert "Traceback" not in response.content.decode()
    assert not SectionProgress.objects.exists()
    assert not StatusChange.objects.exists()


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
    # The first request builds this process's plan index (ten queries) and the learner's plan
    # (settings, resource and section statuses). Then, with the plan kept in the cache: the
    # session, the user, the catalog's revision, the learner's stamp and latest change, the
    # hours finished this week, and the review schedules of what the next step rests on.
    with django_assert_max_num_queries(21):
        assert client.get(PATH).status_code == 200
    with django_assert_max_num_queries(7):
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
    with django_assert_max_num_queries(30):
        response = client.post(status_url(slug), {"status": "in_progress"}, headers=HTMX_PATH)
    assert response.status_code == 200
    # Then: session, user, resource, the locked read, update, history row and stamp (with
    # the savepoint around them), and the plan's five reads (revision, stamp, settings, resource
    # and section statuses: the stamp moved, so the plan is computed again), and the hours
    # finished this week; marking done also reads the topics it teaches and gives them review
    # schedules (one insert), and looks for milestones reached (one read, an insert). Nothing
    # is written to the learner's study groups: their dashboards notice the stamp.
    with django_assert_max_num_queries(20):
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


def test_catalog_text_is_escaped_once_on_the_page_and_in_a_clicks_answer(client, alice):
    """Markup in titles and bylines prints as text, escaped exactly once, on the page
    and in htmx answers."""
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


def test_a_resource_started_elsewhere_is_listed_as_also_in_progress(client, alice, planned):
    PathSettings.objects.create(user=alice, goal_kind="topic", goal_slug="chance")
    client.post(section_url("la-book-1"), {"status": "in_progress"})
    assert "Chance site" in next_block(client.get(PATH))
    html = client.get(PATH).content.decode()
    also = block_of(html, "in-progress")
    assert "Linear algebra book" in also
    assert 'action="/path/progress/la-book/"' in also


def test_what_the_next_step_opens_is_what_its_resource_page_says(client, alice, planned):
    def opened(html, start, end):
        part = html[html.index(start) :]
        part = part[: part.index(end)]
        return re.findall(r'href="/catalog/([^/"]+)/"', part)

    on_path = opened(next_block(client.get(PATH)), "Finishing it opens", "</ul>")
    page = client.get(reverse("catalog:detail", args=["py-course"])).content.decode()
    on_page = opened(page, 'id="unlocks-heading"', "</section>")
    assert on_path == on_page == ["first-project"]


def test_a_kept_plan_comes_back_as_it_was_computed(alice, planned):
    from mlpath.progress import path as learner_path

    Progress.change(alice, planned["resources"]["py"], "done")
    _token, index = learner_path.current_plan_index()
    computed = learner_path.compute_plan(index, alice)
    back = learner_path.unpack(index, learner_path.pack(computed))
    assert back.plan == computed.plan
    assert back.goal == computed.goal and back.statuses.resources == computed.statuses.resources
    # The learner's done units are not kept: the pages print none of them.
    assert back.knowledge.done == frozenset() and back.knowledge.in_progress == computed.knowledge.in_progress
