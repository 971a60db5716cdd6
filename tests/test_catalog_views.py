"""/catalog/ and /catalog/<slug>/: browsing, filtering, htmx fragments, query budgets."""

import re
from itertools import pairwise

import pytest
from django.urls import reverse

from catalog.models import CatalogRevision, Resource, Section, Topic
from tests.factories import make_catalog
from tests.test_topics import add_sections

pytestmark = pytest.mark.django_db
LIST = reverse("catalog:list")


def titles(response) -> list[str]:
    return [r.title for group in response.context["groups"] for p in group.pillars for r in p.resources]


def test_it_lists_every_active_resource_grouped_by_stage(client, shipped_catalog):
    Resource.objects.filter(slug="islr").update(retired=True)
    response = client.get(LIST)
    assert response.status_code == 200
    assert response.context["count"] == 24
    assert "An Introduction to Statistical Learning" not in titles(response)
    stages = [group.stage.slug for group in response.context["groups"]]
    assert stages == ["programming", "projects", "math", "deep-learning"]
    html = response.content.decode()
    assert (
        html.index('id="stage-programming"')
        < html.index('id="stage-projects"')
        < html.index('id="stage-math"')
    )


def test_its_headings_never_skip_a_level(client, shipped_catalog):
    # Stage h2, pillar h3, card one below whichever is above it (screen readers list them).
    html = client.get(LIST).content.decode()
    levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", html)]
    assert levels[0] == 1
    skips = [(before, after) for before, after in pairwise(levels) if after > before + 1]
    assert skips == []
    # The shipped catalog has both kinds of card: under a pillar, and under a stage alone.
    assert {3, 4} <= set(levels)


def test_it_shows_how_many_sources_recommend_a_resource(client, shipped_catalog):
    html = client.get(LIST).content.decode()
    assert "Recommended by <strong>3</strong> of our sources" in html


def test_it_puts_the_most_recommended_first_within_a_pillar(client, shipped_catalog):
    response = client.get(LIST, {"pillar": "linear-algebra"})
    assert titles(response)[0] == "Essence of Linear Algebra"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"stage": "programming"},
            {"Learn Python: Full Course for Beginners", "Intermediate Python Programming Course"},
        ),
        (
            {"pillar": "calculus", "level": "beginner"},
            {"Essence of Calculus", "Understand Calculus in 35 Minutes"},
        ),
        ({"kind": "project", "level": "advanced"}, {"Build a convolutional network in pure NumPy"}),
        ({"q": "strang"}, {"18.06 Linear Algebra"}),
        ({"q": "RANDOM WALKS"}, {"Probability: For the Enthusiastic Beginner"}),
        ({"topic": "bayesian-networks"}, {"Deep Learning"}),
        (
            {"pillar": "probability", "free": "on"},
            {"Seeing Theory", "An Introduction to Statistical Learning"},
        ),
    ],
)
def test_it_filters(client, shipped_catalog, params, expected):
    response = client.get(LIST, params)
    assert set(titles(response)) == expected
    assert response.context["filtered"]


def test_free_only_hides_paid_resources(client, shipped_catalog):
    response = client.get(LIST, {"free": "on"})
    costs = {r.cost for g in response.context["groups"] for p in g.pillars for r in p.resources}
    assert costs == {"free"}


def test_it_reports_an_unknown_filter_and_ignores_it(client, shipped_catalog):
    response = client.get(LIST, {"stage": "nowhere", "kind": "book"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters were not understood and were ignored" in html
    assert "Select a valid choice. nowhere is not one of the available choices." in html
    assert {r.kind for g in response.context["groups"] for p in g.pillars for r in p.resources} == {"book"}


def test_a_search_with_no_match_says_so(client, shipped_catalog):
    html = client.get(LIST, {"q": "quantum chromodynamics"}).content.decode()
    assert "Nothing matches these filters" in html


def test_an_htmx_request_gets_only_the_list(client, shipped_catalog):
    response = client.get(LIST, {"stage": "math"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html and "<form" not in html
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(client, shipped_catalog):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    html = client.get(LIST, {"stage": "math"}, headers=headers).content.decode()
    assert "<html" in html


def test_the_filters_work_without_javascript(client, shipped_catalog):
    html = client.get(LIST).content.decode()
    assert f'<form class="filters" method="get" action="{LIST}"' in html
    assert '<button type="submit">Filter</button>' in html


def test_the_filters_fold_behind_one_button_on_a_phone(client, shipped_catalog):
    html = client.get(LIST, {"stage": "math", "free": "on"}).content.decode()
    fold = html[html.index('<details class="filters-fold">') : html.index("</details>")]
    assert "<summary>Filters <small>(2 set)</small></summary>" in fold
    assert '<form class="filters"' in fold and "</form>" in fold
    # An htmx answer swaps the results only, so an open fold stays open.
    fragment = client.get(LIST, {"stage": "math"}, headers={"HX-Request": "true"}).content.decode()
    assert "filters-fold" not in fragment


def test_the_list_answers_head(client, shipped_catalog):
    response = client.head(LIST)
    assert response.status_code == 200 and response.content == b""


def test_the_list_refuses_post(client):
    assert client.post(LIST).status_code == 405


def test_the_detail_shows_everything_about_a_resource(client, shipped_catalog):
    response = client.get(reverse("catalog:detail", args=["mml-book"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mathematics for Machine Learning" in html
    assert 'href="https://mml-book.github.io/"' in html
    assert "https://mml-book.github.io/book/mml-book.pdf" in html
    # Its prerequisites, linked, and what it opens.
    assert f'href="{reverse("catalog:detail", args=["khan-academy-math"])}"' in html
    assert f'href="{reverse("catalog:detail", args=["deep-learning-book"])}"' in html
    assert "Everything you need to know about the math for machine learning" in html
    assert "Multiple integrals" not in html  # not one of its topics
    assert "Partial derivatives and gradients" in html


def test_a_resource_without_a_known_address_offers_a_search_not_a_guess(client, shipped_catalog):
    html = client.get(reverse("catalog:detail", args=["calculus-in-35-minutes"])).content.decode()
    assert "Open the resource" not in html
    search = "https://duckduckgo.com/?q=Understand+Calculus+in+35+Minutes+The+Organic+Chemistry+Tutor"
    assert f'href="{search}"' in html
    assert "Search the web for it" in html
    assert "gives no address" in html


def test_the_path_offers_a_search_when_the_next_resource_has_no_address(client, shipped_catalog):
    from django.contrib.auth.models import User

    from mlpath.progress.models import PathSettings

    learner = User.objects.create_user("lee")
    client.force_login(learner)
    # The 35-minute calculus video as the goal: it is the one step to recommend.
    video = Resource.objects.get(slug="calculus-in-35-minutes")
    PathSettings.objects.create(
        user=learner,
        goal_kind="resource",
        goal_slug=video.slug,
        # Everything but what the video teaches is known, so the video is the first step.
        known_topics=list(Topic.objects.exclude(resources=video).values_list("slug", flat=True)),
    )
    html = client.get(reverse("progress:path")).content.decode()
    block = html[
        html.index('id="next-resource"') : html.index("</section>", html.index('id="next-resource"'))
    ]
    assert "Understand Calculus in 35 Minutes" in block
    assert 'href="https://duckduckgo.com/?q=Understand+Calculus' in block
    assert "Open it" not in block


def test_the_detail_marks_a_retired_resource(client, shipped_catalog):
    Resource.objects.filter(slug="islr").update(retired=True)
    html = client.get(reverse("catalog:detail", args=["islr"])).content.decode()
    assert "This resource has been retired" in html


def opens_block(html: str) -> str:
    return html[html.index('id="unlocks-heading"') : html.index('id="topics-heading"')]


def test_what_it_opens_leaves_out_retired_resources(client, shipped_catalog):
    deep_learning = f'href="{reverse("catalog:detail", args=["deep-learning-book"])}"'
    assert deep_learning in opens_block(
        client.get(reverse("catalog:detail", args=["mml-book"])).content.decode()
    )
    Resource.objects.filter(slug="deep-learning-book").update(retired=True)
    CatalogRevision.bump()  # update() sends no signal
    html = client.get(reverse("catalog:detail", args=["mml-book"])).content.decode()
    assert deep_learning not in opens_block(html)


def test_an_unknown_slug_gets_a_friendly_404(client, shipped_catalog):
    response = client.get("/catalog/no-such-thing/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_the_detail_refuses_post(client, shipped_catalog):
    assert client.post(reverse("catalog:detail", args=["mml-book"])).status_code == 405


def test_the_detail_answers_head(client, shipped_catalog):
    response = client.head(reverse("catalog:detail", args=["mml-book"]))
    assert response.status_code == 200 and response.content == b""


def test_the_detail_lists_its_active_sections_in_order(client, db):
    catalog = make_catalog(6)
    add_sections(catalog, per=3)
    Section.objects.filter(slug="resource-4-part-2").update(retired=True)
    response = client.get(reverse("catalog:detail", args=["resource-4"]))
    html = response.content.decode()
    block = html[html.index('id="sections-heading"') : html.index('id="prereq-heading"')]
    assert [section.slug for section in response.context["sections"]] == [
        "resource-4-part-1",
        "resource-4-part-3",
    ]
    assert "Part 2 of Resource 4" not in block
    assert block.index("Part 1 of Resource 4") < block.index("Part 3 of Resource 4")
    # Its position, hours, own address when it has one, and the topics it teaches.
    assert '<span class="section-position">3.</span>' in block
    assert 'href="https://example.com/resource-4/1"' in block
    assert "https://example.com/resource-4/3" not in block
    first = Section.objects.get(slug="resource-4-part-1")
    assert f"about {first.hours.normalize()} h" in block
    for topic in first.topics.all():
        assert f'<a href="{reverse("topics:detail", args=[topic.slug])}">{topic.name}</a>' in block


def test_a_resource_without_sections_has_no_sections_heading(client, db):
    make_catalog(3)
    html = client.get(reverse("catalog:detail", args=["resource-1"])).content.decode()
    assert 'id="sections-heading"' not in html


def test_what_it_opens_is_what_builds_on_a_topic_it_teaches(client, db):
    catalog = make_catalog(6)
    topics = {topic.slug: topic for topic in catalog["topics"]}
    rows = {row.slug: row for row in catalog["resources"]}
    for row in rows.values():
        row.topics.clear()
    rows["resource-0"].topics.set([topics["topic-1"]])
    rows["resource-1"].assumes.set([topics["topic-1"]])  # assumes what it teaches: opened
    rows["resource-2"].topics.set([topics["topic-2"]])  # teaches a topic resting on it: opened
    topics["topic-2"].requires.add(topics["topic-1"])
    rows["resource-3"].topics.set([topics["topic-1"], topics["topic-2"]])  # teaches both itself: not
    section = Section.objects.create(
        slug="r4-1", resource=rows["resource-4"], position=1, title="One", hours=1
    )
    section.assumes.add(topics["topic-1"])  # a section assumes it: opened
    response = client.get(reverse("catalog:detail", args=["resource-0"]))
    assert [item.slug for item in response.context["opens"]] == ["resource-1", "resource-4", "resource-2"]
    html = response.content.decode()
    assert "Resources that build on a topic this one teaches." in opens_block(html)
    assert f'href="{reverse("catalog:detail", args=["resource-3"])}"' not in opens_block(html)


def test_it_says_what_it_assumes_linking_to_topic_pages(client, db):
    catalog = make_catalog(3)
    resource, topics = catalog["resources"][0], catalog["topics"]
    resource.assumes.set([topics[7]])
    section = Section.objects.create(slug="r0-1", resource=resource, position=1, title="One", hours=1)
    section.assumes.add(topics[8])
    retired = Section.objects.create(
        slug="r0-2", resource=resource, position=2, title="Two", hours=1, retired=True
    )
    retired.assumes.add(topics[9])
    html = client.get(resource.get_absolute_url()).content.decode()
    block = html[html.index('id="assumes-heading"') : html.index('id="unlocks-heading"')]
    for topic in topics[7:9]:
        assert f'<a href="{reverse("topics:detail", args=[topic.slug])}">{topic.name}</a>' in block
    assert topics[9].name not in block


def test_a_retired_topic_gets_no_chip(client, db):
    catalog = make_catalog(3)
    Topic.objects.filter(pk=catalog["topics"][0].pk).update(retired=True)
    html = client.get(catalog["resources"][0].get_absolute_url()).content.decode()
    assert reverse("topics:detail", args=["topic-0"]) not in html


def test_signed_out_the_detail_offers_sign_in_and_sign_up(client, shipped_catalog):
    address = reverse("catalog:detail", args=["mml-book"])
    html = client.get(address).content.decode()
    box = html[
        html.index('class="panel tracking"') : html.index("</section>", html.index('class="panel tracking"'))
    ]
    assert f'href="{reverse("login")}?next=/catalog/mml-book/">Sign in</a>' in box
    assert f'href="{reverse("signup")}?next=/catalog/mml-book/">sign up</a>' in box
    assert "section by section" in box
    assert "Back to my path" not in html


@pytest.mark.parametrize("size", [30, 300])
def test_the_list_has_a_query_budget(client, django_assert_max_num_queries, size):
    make_catalog(size)
    with django_assert_max_num_queries(6):
        response = client.get(LIST)
    assert response.context["count"] == size
    with django_assert_max_num_queries(7):
        client.get(LIST, {"q": "resource", "pillar": "probability", "free": "on"})
    with django_assert_max_num_queries(7):
        again = client.get(LIST, {"q": "resource", "pillar": "probability", "free": "on"})
    assert again.status_code == 200 and "match your filters" in again.content.decode()


@pytest.mark.parametrize("size", [30, 300])
def test_the_detail_has_a_query_budget(client, django_assert_max_num_queries, size):
    catalog = make_catalog(size)
    add_sections(catalog)
    address = reverse("catalog:detail", args=[f"resource-{size - 7}"])
    # The resource, its topics, sources, prerequisites, sections and their topics, what it
    # assumes, the catalog revision; and, once per revision, what every resource needs (6)
    # with the revision read again after it.
    with django_assert_max_num_queries(15):
        response = client.get(address)
    assert response.status_code == 200
    assert len(response.context["resource"].prerequisites.all()) >= 1
    assert len(response.context["sections"]) == 2 and response.context["opens"]
    with django_assert_max_num_queries(8):
        client.get(address)


def card_slugs(response) -> list[str]:
    return [r.slug for group in response.context["groups"] for p in group.pillars for r in p.resources]


def test_a_large_catalog_comes_in_pages_that_together_show_everything_once(client):
    make_catalog(150)
    first = client.get(LIST)
    html = first.content.decode()
    assert first.context["count"] == 150
    assert "Showing 1\u201360, page 1 of 3." in html
    assert 'rel="next" href="?page=2"' in html and 'rel="prev"' not in html
    seen = []
    for number in (1, 2, 3):
        seen += card_slugs(client.get(LIST, {"page": number}))
    assert len(seen) == 150 and len(set(seen)) == 150
    last = client.get(LIST, {"page": 3}).content.decode()
    assert "Showing 121\u2013150, page 3 of 3." in last and 'rel="next"' not in last


def test_a_stage_heading_counts_the_whole_result_not_just_the_page(client):
    make_catalog(150)
    response = client.get(LIST, {"page": 3})
    for group in response.context["groups"]:
        assert group.count == Resource.objects.filter(stage=group.stage).count()


@pytest.mark.parametrize("page", ["0", "-4", "99", "two", "1e9", ""])
def test_a_page_number_out_of_range_or_not_a_number_shows_the_nearest_page(client, page):
    make_catalog(150)
    response = client.get(LIST, {"page": page}, follow=True)  # an empty one is dropped first
    assert response.status_code == 200
    assert response.context["page"].number in (1, 3)


def test_the_pager_keeps_the_filters_and_changing_a_filter_starts_again(client):
    make_catalog(300)
    first = client.get(LIST, {"level": "beginner"}).content.decode()
    assert 'rel="next" href="?level=beginner&amp;page=2"' in first
    html = client.get(LIST, {"level": "beginner", "page": 2}).content.decode()
    assert 'rel="prev" href="?level=beginner&amp;page=1"' in html
    # The filter form has no page field, so a new filter always shows its first page.
    assert 'name="page"' not in html


def test_the_pager_under_htmx_swaps_only_the_results(client):
    make_catalog(150)
    response = client.get(LIST, {"page": 2}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<form" not in html.split('<div id="results"')[0]
    assert "Showing 61\u2013120" in html


def test_empty_filters_are_dropped_from_the_address(client, shipped_catalog):
    """The form sends every field; a shared link should carry only the chosen ones."""
    response = client.get(LIST, {"q": "", "stage": "math", "pillar": "", "free": ""})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?stage=math"
    assert client.get(LIST, {"q": " ", "page": ""})["Location"] == LIST
    assert client.get(LIST, {"stage": "math"}).status_code == 200


def test_htmx_filtering_pushes_the_tidy_address(client, shipped_catalog):
    response = client.get(LIST, {"q": "", "stage": "math"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"{LIST}?stage=math"
    assert "HX-Push-Url" not in client.get(LIST, {"stage": "math"}, headers={"HX-Request": "true"})


def test_an_empty_result_says_so_once(client, shipped_catalog):
    html = client.get(LIST, {"q": "no resource is called this"}).content.decode()
    assert "Nothing matches these filters" in html
    assert "0 resources" not in html and "result-count" not in html


def test_a_projects_byline_names_its_guide_not_an_author(client, shipped_catalog):
    html = client.get(reverse("catalog:detail", args=["neural-network-from-scratch"])).content.decode()
    assert (
        '<p class="byline">Your own project; guide: Andrew Trask&#x27;s Grokking Deep Learning notebooks</p>'
        in html
    )
