"""Status controls and notes on the catalog pages, for signed-in learners only."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from catalog.browse import PER_PAGE
from catalog.models import Resource, Section
from mlpath.progress.models import Progress, SectionProgress
from tests.factories import make_catalog
from tests.test_topics import add_sections

pytestmark = pytest.mark.django_db
LIST = reverse("catalog:list")


@pytest.fixture
def alice(client):
    user = User.objects.create_user("alice", password="correct horse battery")
    client.force_login(user)
    return user


def control(html: str, slug: str) -> str:
    match = re.search(rf'<form id="status-{slug}".*?</form>', html, re.S)
    assert match, f"no status control for {slug}"
    return match.group(0)


def test_each_card_has_a_status_control_showing_the_learners_status(client, alice, shipped_catalog):
    Progress.change(alice, Resource.objects.get(slug="islr"), "in_progress")
    html = client.get(LIST).content.decode()
    assert html.count('class="status-control"') == Resource.objects.count()
    islr = control(html, "islr")
    assert "In progress" in islr
    assert 'value="done"' in islr and 'value="in_progress"' not in islr.split("Undo")[0]
    assert "Not started" in control(html, "seeing-theory")


def test_the_filtered_fragment_keeps_the_controls(client, alice, shipped_catalog):
    response = client.get(LIST, {"pillar": "probability"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert html.count('class="status-control"') == 3


def test_anonymous_visitors_get_an_invitation_not_controls(client, shipped_catalog):
    html = client.get(LIST).content.decode()
    assert "status-control" not in html
    assert "to mark resources as you go" in html


def test_the_detail_page_has_the_control_and_the_note(client, alice, shipped_catalog):
    html = client.get(reverse("catalog:detail", args=["seeing-theory"])).content.decode()
    assert 'value="in_progress"' in control(html, "seeing-theory")
    assert 'id="note-seeing-theory"' in html
    assert '<label for="id_note-seeing-theory">Your note</label>' in html


def test_the_detail_page_invites_anonymous_visitors_to_sign_in(client, shipped_catalog):
    html = client.get(reverse("catalog:detail", args=["seeing-theory"])).content.decode()
    assert "to track this resource" in html
    assert "status-control" not in html


@pytest.mark.parametrize("size", [30, 300])
def test_the_signed_in_list_keeps_its_query_budget(client, alice, django_assert_max_num_queries, size):
    catalog = make_catalog(size)
    sections = add_sections(catalog)
    for resource in Resource.objects.all()[: size // 3]:
        Progress.change(alice, resource, "done")
    for section in sections[: size // 2]:
        SectionProgress.change(alice, section, "done")
    # The anonymous list's 6, plus session, user, the learner's statuses (resources, sections,
    # the last change) and the done count per stage.
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    html = response.content.decode()
    assert html.count('class="status-control"') == min(size, PER_PAGE)
    assert "done</span>" in html


@pytest.mark.parametrize("size", [30, 300])
def test_the_signed_in_detail_keeps_its_query_budget(client, alice, django_assert_max_num_queries, size):
    catalog = make_catalog(size)
    sections = add_sections(catalog)
    for section in sections[: size // 2]:
        SectionProgress.change(alice, section, "done")
    address = reverse("catalog:detail", args=[f"resource-{size - 7}"])
    # The anonymous page's 15 (the first after a catalog change), plus session, user, the
    # learner's statuses (resources, sections, the last change) and the note.
    with django_assert_max_num_queries(21):
        response = client.get(address)
    assert response.status_code == 200
    assert response.content.decode().count("section-control") == 2
    with django_assert_max_num_queries(14):
        client.get(address)


# Effective statuses, the order of the actions, sections and "N of M done".


def test_the_likely_next_action_comes_first():
    from mlpath.progress.templatetags.progress import status_actions

    assert [value for value, _ in status_actions("not_started")] == ["in_progress", "done", "skipped"]
    assert [value for value, _ in status_actions("in_progress")] == ["done", "skipped", "not_started"]
    assert status_actions("done") == [
        ("not_started", "Mark not started"),
        ("in_progress", "Start again"),
        ("skipped", "Skip"),
    ]
    assert [value for value, _ in status_actions("skipped")] == ["in_progress", "done", "not_started"]


def card(html: str, slug: str) -> str:
    start = html.rindex('<li class="resource-card', 0, html.index(f'<form id="status-{slug}"'))
    return html[start : html.index("</li>", html.index(f'<form id="status-{slug}"'))]


def test_a_done_card_looks_done_and_does_not_offer_start_first(client, alice, shipped_catalog):
    Progress.change(alice, Resource.objects.get(slug="islr"), "done")
    html = client.get(LIST).content.decode()
    done = card(html, "islr")
    assert 'class="resource-card card-done"' in done
    assert '<p class="card-status"><span class="status-badge status-done">Done</span></p>' in done
    buttons = re.findall(
        r'<button type="submit" name="status" value="([a-z_]+)" class="small">([^<]+)<', done
    )
    assert buttons[0] != ("in_progress", "Start") and buttons[0][0] == "not_started"
    other = card(html, "seeing-theory")
    assert "card-done" not in other and "card-status" not in other
    assert re.findall(r'name="status" value="([a-z_]+)"', other)[0] == "in_progress"


def test_a_stage_heading_counts_what_the_learner_has_done(client, alice, shipped_catalog):
    Progress.change(alice, Resource.objects.get(slug="fcc-python-basics"), "done")
    html = client.get(LIST).content.decode()
    heading = html[
        html.index('id="stage-programming"') : html.index("</h2>", html.index('id="stage-programming"'))
    ]
    assert '<span class="stage-done">1 of 2 done</span>' in heading
    # Every section done makes a resource done as well, though it was never marked.
    for section in Section.objects.filter(resource__slug="fcc-python-intermediate"):
        SectionProgress.change(alice, section, "done")
    html = client.get(LIST).content.decode()
    assert '<span class="stage-done">2 of 2 done</span>' in html
    assert 'class="resource-card card-done"' in card(html, "fcc-python-intermediate")
    # Among the matches only: a filter that leaves one of them shows "1 of 1".
    html = client.get(LIST, {"stage": "programming", "q": "intermediate"}).content.decode()
    assert '<span class="stage-done">1 of 1 done</span>' in html


def test_anonymous_stage_headings_count_nothing_done(client, shipped_catalog):
    assert "stage-done" not in client.get(LIST).content.decode()


def test_the_fragment_keeps_the_done_counts(client, alice, shipped_catalog):
    Progress.change(alice, Resource.objects.get(slug="seeing-theory"), "done")
    response = client.get(LIST, {"pillar": "probability"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert '<span class="stage-done">1 of 3 done</span>' in html


def section_control(html: str, slug: str) -> str:
    match = re.search(rf'<form id="section-{slug}".*?</form>', html, re.S)
    assert match, f"no section control for {slug}"
    return match.group(0)


def test_the_detail_has_a_control_per_section(client, alice, shipped_catalog):
    chapters = list(Section.objects.filter(resource__slug="mml-book").order_by("position"))
    SectionProgress.change(alice, chapters[1], "in_progress")
    html = client.get(reverse("catalog:detail", args=["mml-book"])).content.decode()
    assert html.count('class="status-control section-control"') == len(chapters)
    second = section_control(html, chapters[1].slug)
    assert '<span class="status-badge status-in_progress" role="status">In progress</span>' in second
    assert f'action="{reverse("progress:set_section_status", args=[chapters[1].slug])}"' in second
    assert 'name="next" value="/catalog/mml-book/#section-mml-book-2"' in second
    assert "Not started" in section_control(html, chapters[0].slug)
    # The resource's own control shows its effective status: a section started, so in progress.
    assert '<span class="status-badge status-in_progress" role="status">In progress</span>' in control(
        html, "mml-book"
    )


def test_an_htmx_post_swaps_the_section_control(client, alice, shipped_catalog):
    section = Section.objects.get(slug="mml-book-3")
    response = client.post(
        reverse("progress:set_section_status", args=[section.slug]),
        {"status": "done", "next": "/catalog/mml-book/#section-mml-book-3"},
        headers={"HX-Request": "true", "HX-Target": "section-mml-book-3"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="section-mml-book-3"') and "<html" not in html
    assert "status-done" in html and 'hx-target="this"' in html
    assert SectionProgress.statuses(alice)[section.id] == "done"
    page = client.get(reverse("catalog:detail", args=["mml-book"])).content.decode()
    assert "status-done" in section_control(page, "mml-book-3")


def test_every_section_done_shows_the_resource_done(client, alice, shipped_catalog):
    for section in Section.objects.filter(resource__slug="seeing-theory"):
        SectionProgress.change(alice, section, "done")
    html = client.get(reverse("catalog:detail", args=["seeing-theory"])).content.decode()
    assert '<span class="status-badge status-done" role="status">Done</span>' in control(
        html, "seeing-theory"
    )


def test_before_this_and_what_it_opens_show_the_learners_statuses(client, alice, shipped_catalog):
    Progress.change(alice, Resource.objects.get(slug="khan-academy-math"), "done")
    Progress.change(alice, Resource.objects.get(slug="deep-learning-book"), "skipped")
    Progress.change(alice, Resource.objects.get(slug="islr"), "in_progress")
    html = client.get(reverse("catalog:detail", args=["mml-book"])).content.decode()
    before = html[html.index('id="prereq-heading"') : html.index('id="assumes-heading"')]
    opens = html[html.index('id="unlocks-heading"') : html.index('id="topics-heading"')]
    khan = before[before.index("/catalog/khan-academy-math/") :].split("</li>")[0]
    assert khan.endswith('<span class="status-badge status-done">Done</span>')
    deep = opens[opens.index("/catalog/deep-learning-book/") :].split("</li>")[0]
    assert deep.endswith('<span class="status-badge status-skipped">Skipped</span>')
    islr = opens[opens.index("/catalog/islr/") :].split("</li>")[0]
    assert islr.endswith('<span class="status-badge status-in_progress">In progress</span>')


def test_the_detail_links_back_to_the_path(client, alice, shipped_catalog):
    html = client.get(reverse("catalog:detail", args=["mml-book"])).content.decode()
    assert f'<a class="back-to-path" href="{reverse("progress:path")}">' in html
    assert "sign up</a>" not in html


def on_page(slug: str, target: str) -> dict:
    """The headers htmx sends for a button pressed on a resource's page."""
    page = reverse("catalog:detail", args=[slug])
    return {"HX-Request": "true", "HX-Target": target, "HX-Current-URL": f"http://testserver{page}"}


def test_the_last_section_done_shows_the_resource_done_without_a_reload(client, alice, shipped_catalog):
    *first, last = Section.objects.filter(resource__slug="seeing-theory").order_by("position")
    for section in first:
        SectionProgress.change(alice, section, "done")
    response = client.post(
        reverse("progress:set_section_status", args=[last.slug]),
        {"status": "done", "next": f"/catalog/seeing-theory/#section-{last.slug}"},
        headers=on_page("seeing-theory", f"section-{last.slug}"),
    )
    html = response.content.decode()
    assert "status-done" in section_control(html, last.slug)
    resource = control(html, "seeing-theory")
    assert 'hx-swap-oob="true"' in resource
    assert '<span class="status-badge status-done" role="status">Done</span>' in resource
    # The change was a section's: the book's control offers no Undo naming the whole book.
    assert "Undo" not in resource
    # Pressed anywhere else (the path, a list), only the pressed control comes back.
    again = client.post(
        reverse("progress:set_section_status", args=[last.slug]),
        {"status": "in_progress"},
        headers={"HX-Request": "true", "HX-Target": f"section-{last.slug}"},
    ).content.decode()
    assert 'id="status-seeing-theory"' not in again and "hx-swap-oob" not in again


def test_a_resource_marked_done_on_its_page_shows_its_sections_covered(client, alice, shipped_catalog):
    chapters = list(Section.objects.filter(resource__slug="mml-book").order_by("position"))
    SectionProgress.change(alice, chapters[0], "in_progress")
    response = client.post(
        reverse("progress:set_status", args=["mml-book"]),
        {"status": "done", "next": "/catalog/mml-book/#status-mml-book"},
        headers=on_page("mml-book", "status-mml-book"),
    )
    html = response.content.decode()
    assert html.count('class="status-control section-control"') == len(chapters)
    # A chapter the learner set keeps its own status; the rest are covered by the book.
    first = section_control(html, chapters[0].slug)
    assert 'hx-swap-oob="true"' in first and "status-in_progress" in first
    assert all("status-done" in section_control(html, chapter.slug) for chapter in chapters[1:])
    assert "status-done" in control(html, "mml-book") and "Undo" in control(html, "mml-book")
    # The same button on the catalog list leaves the list alone.
    listed = client.post(
        reverse("progress:set_status", args=["mml-book"]),
        {"status": "in_progress"},
        headers={
            "HX-Request": "true",
            "HX-Target": "status-mml-book",
            "HX-Current-URL": "http://testserver/catalog/",
        },
    ).content.decode()
    assert "section-control" not in listed


def test_marking_a_resource_not_started_shows_what_its_sections_still_say(client, alice, shipped_catalog):
    resource = Resource.objects.get(slug="mml-book")
    Progress.change(alice, resource, "done")
    SectionProgress.change(alice, Section.objects.get(slug="mml-book-3"), "done")
    response = client.post(
        reverse("progress:set_status", args=["mml-book"]),
        {"status": "not_started"},
        headers=on_page("mml-book", "status-mml-book"),
    )
    # A chapter is still done, so the book is in progress, not "not started".
    assert "status-in_progress" in control(response.content.decode(), "mml-book")
    assert Progress.objects.get(user=alice, resource=resource).status == "not_started"


@pytest.mark.parametrize("size", [30, 300])
def test_a_section_button_on_its_page_keeps_its_query_budget(
    client, alice, django_assert_max_num_queries, size
):
    catalog = make_catalog(size)
    sections = add_sections(catalog)
    for section in sections[: size // 2]:
        SectionProgress.change(alice, section, "done")
    resource = catalog["resources"][size - 7]
    section = next(section for section in sections if section.resource_id == resource.id)
    client.get(reverse("progress:path"))  # this process builds its plan index once
    # Session and user, the section, the change (its rows made on first use, each in a
    # savepoint; the log; the stamp), then the learner's statuses for the resource's control
    # (resources, sections, the last change); marking done gives the topics it teaches their
    # review schedules (read them, one insert) and looks for milestones reached (the plan's
    # five reads, the milestones, an insert): the same at both sizes.
    with django_assert_max_num_queries(28):
        response = client.post(
            reverse("progress:set_section_status", args=[section.slug]),
            {"status": "done"},
            headers=on_page(resource.slug, f"section-{section.slug}"),
        )
    assert f'id="status-{resource.slug}"' in response.content.decode()
