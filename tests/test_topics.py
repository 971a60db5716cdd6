"""/topics/<slug>/, and what a resource opens (catalog.graph.opened_by, browse.needs_by_resource)."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from catalog.browse import needs_by_resource
from catalog.graph import opened_by
from catalog.models import CatalogRevision, Resource, Section, Topic
from mlpath.progress.models import Progress, SectionProgress
from tests.factories import make_catalog


def add_sections(catalog: dict, per: int = 2) -> list[Section]:
    """`per` sections for every resource of a make_catalog() catalog: each teaches one topic
    and the last assumes another; the first has its own address."""
    rows, topics = catalog["resources"], catalog["topics"]
    sections = Section.objects.bulk_create(
        [
            Section(
                slug=f"{row.slug}-part-{k}",
                resource=row,
                position=k,
                title=f"Part {k} of {row.title}",
                hours=row.hours / per,
                url=f"https://example.com/{row.slug}/{k}" if k == 1 else "",
            )
            for row in rows
            for k in range(1, per + 1)
        ]
    )
    Section.topics.through.objects.bulk_create(
        [
            Section.topics.through(section_id=section.id, topic_id=topics[(i + section.position) % 10].id)
            for i, row in enumerate(rows)
            for section in sections[i * per : (i + 1) * per]
        ]
    )
    Section.assumes.through.objects.bulk_create(
        [
            Section.assumes.through(section_id=section.id, topic_id=topics[(i + 5) % 10].id)
            for i, row in enumerate(rows)
            for section in sections[i * per : (i + 1) * per]
            if section.position == per
        ]
    )
    CatalogRevision.bump()  # bulk writes send no signals
    return sections


# What a resource opens: pure, no database.


def test_it_opens_what_assumes_a_topic_it_teaches():
    assumes_of = {"b": {"vectors"}, "c": {"chance"}, "a": {"vectors", "chance"}}
    assert opened_by({"vectors"}, assumes_of) == ["a", "b"]


def test_it_opens_nothing_when_nothing_builds_on_it():
    assert opened_by({"vectors"}, {"b": {"chance"}, "c": set()}) == []
    assert opened_by([], {"b": {"vectors"}}) == []


def test_it_takes_any_iterables_and_sorts_its_answer():
    assert opened_by(iter(["x"]), {"z": ("x",), "m": ["x", "y"], "a": frozenset()}) == ["m", "z"]


def test_a_resource_needs_what_it_assumes_and_what_its_topics_rest_on():
    needs = needs_by_resource(
        teaches={"la-book": {"matrices"}, "video": {"vectors", "matrices"}, "project": {"practice"}},
        assumes={"project": {"python"}},
        requires={"matrices": {"vectors"}, "vectors": {"algebra"}},
    )
    assert needs["la-book"] == {"vectors"}
    # It teaches vectors itself, so only what vectors rests on is needed first.
    assert needs["video"] == {"algebra"}
    assert needs["project"] == {"python"}
    assert opened_by({"vectors"}, needs) == ["la-book"]


# The topic page.


def url(slug: str) -> str:
    return reverse("topics:detail", args=[slug])


def test_it_shows_a_topic_its_pillar_and_its_neighbours(client, shipped_catalog):
    response = client.get(url("matrix-operations"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Matrix operations</h1>" in html
    assert "Linear algebra" in html
    topic = Topic.objects.get(slug="matrix-operations")
    for required in topic.requires.all():
        assert f'href="{url(required.slug)}"' in html
    for dependant in topic.required_by.all():
        assert f'href="{url(dependant.slug)}"' in html


def test_it_lists_what_teaches_it_and_what_assumes_it(client, db):
    catalog = make_catalog(9)
    add_sections(catalog)
    topic = catalog["topics"][1]
    html = client.get(url(topic.slug)).content.decode()
    teachers = html[html.index('id="teaches-heading"') : html.index('id="assumed-heading"')]
    for section in Section.objects.filter(topics=topic).select_related("resource"):
        assert f"{section.resource.title}</a>, section {section.position}: {section.title}" in teachers
        assert f'href="{section.resource.get_absolute_url()}"' in teachers
    for resource in Resource.objects.filter(topics=topic):
        assert f'<a href="{resource.get_absolute_url()}">{resource.title}</a>' in teachers
    assumers = html[html.index('id="assumed-heading"') :]
    assumed_by = Section.objects.filter(assumes=topic).select_related("resource")
    assert assumed_by
    for section in assumed_by:
        assert f"{section.resource.title}</a>, section {section.position}: {section.title}" in assumers


def test_it_leaves_out_retired_teachers_and_neighbours(client, db):
    catalog = make_catalog(9)
    add_sections(catalog)
    topic, other = catalog["topics"][1], catalog["topics"][2]
    other.requires.add(topic)
    Topic.objects.filter(pk=other.pk).update(retired=True)
    gone = Resource.objects.filter(topics=topic).first()
    Resource.objects.filter(pk=gone.pk).update(retired=True)
    html = client.get(url(topic.slug)).content.decode()
    assert other.name not in html
    assert f'href="{gone.get_absolute_url()}"' not in html


def test_it_shows_a_learner_the_status_of_each_teacher(client, db):
    catalog = make_catalog(9)
    add_sections(catalog)
    topic = catalog["topics"][1]
    learner = User.objects.create_user("lee")
    client.force_login(learner)
    section = Section.objects.filter(topics=topic).select_related("resource").first()
    SectionProgress.change(learner, section, "done")
    resource = Resource.objects.filter(topics=topic).first()
    Progress.change(learner, resource, "in_progress")
    html = client.get(url(topic.slug)).content.decode()
    row = html[html.index(f"section {section.position}: {section.title}") :]
    assert row.split("</li>")[0].endswith('<span class="status-badge status-done">Done</span>')
    whole = html[html.index("<h3>Whole resources</h3>") :]
    row = whole[whole.index(f'<a href="{resource.get_absolute_url()}">') :]
    assert '<span class="status-badge status-in_progress">In progress</span>' in row.split("</li>")[0]
    assert f'href="{reverse("progress:path")}"' in html


def test_a_section_of_a_resource_marked_done_counts_as_done(client, db):
    catalog = make_catalog(9)
    add_sections(catalog)
    learner = User.objects.create_user("lee")
    client.force_login(learner)
    section = Section.objects.select_related("resource").get(slug="resource-0-part-1")
    Progress.change(learner, section.resource, "done")
    html = client.get(url(section.topics.get().slug)).content.decode()
    row = html[html.index(f"section 1: {section.title}") :].split("</li>")[0]
    assert "status-done" in row


def test_anonymous_visitors_see_it_without_statuses(client, shipped_catalog):
    html = client.get(url("vectors")).content.decode()
    assert "status-badge" not in html
    assert "Back to my path" not in html


@pytest.mark.parametrize("slug", ["no-such-topic", "retired"])
def test_it_handles_an_unknown_or_retired_topic(client, db, slug):
    make_catalog(3)
    Topic.objects.create(slug="retired", name="Retired", retired=True)
    response = client.get(url(slug))
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_it_answers_head(client, shipped_catalog):
    response = client.head(url("vectors"))
    assert response.status_code == 200
    assert response.content == b""


def test_it_refuses_post(client, shipped_catalog):
    assert client.post(url("vectors")).status_code == 405


def test_the_resource_page_links_its_topics_here(client, shipped_catalog):
    html = client.get(reverse("catalog:detail", args=["mml-book"])).content.decode()
    assert f'href="{url("partial-derivatives")}"' in html


@pytest.mark.parametrize("size", [30, 300])
def test_it_keeps_its_query_budget(client, db, django_assert_max_num_queries, size):
    catalog = make_catalog(size)
    add_sections(catalog)
    topic = catalog["topics"][1]
    topic.requires.add(catalog["topics"][0])
    catalog["topics"][2].requires.add(topic)
    learner = User.objects.create_user("lee")
    for resource in catalog["resources"][: size // 3]:
        Progress.change(learner, resource, "done")
    for section in Section.objects.all()[: size // 2]:
        SectionProgress.change(learner, section, "in_progress")
    # Topic, requires, required by, teaching sections and resources, assuming sections and resources.
    with django_assert_max_num_queries(7):
        response = client.get(url(topic.slug))
    teachers = len(response.context["teaching_sections"]) + len(response.context["teaching_resources"])
    assert teachers >= size * 2 // 10
    client.force_login(learner)
    # The same, plus session, user and the learner's statuses (resources, sections, last change).
    with django_assert_max_num_queries(12):
        response = client.get(url(topic.slug))
    assert response.content.decode().count("status-badge") >= size // 10
