from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, F, Prefetch, Q, Sum
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from . import kept
from .browse import group_by_stage_and_pillar, needs_by_resource, page_window
from .forms import CatalogFilterForm
from .graph import opened_by
from .models import CatalogRevision, Pillar, Resource, Section, Stage, Topic, with_stages


def _without_empty(query) -> str | None:
    """The query string with its empty parameters left out, or None when it has none: the
    filter form sends every field, chosen or not, and such links read badly when shared."""
    kept = [(name, value) for name, values in query.lists() for value in values if value.strip()]
    if len(kept) == sum(len(values) for _name, values in query.lists()):
        return None
    return urlencode(kept)


@require_safe
@vary_on_headers("HX-Request")
def resource_list(request):
    cleaned = _without_empty(request.GET)
    if cleaned is not None and not request.htmx:
        return redirect(f"{request.path}?{cleaned}" if cleaned else request.path)
    # Every stage and pillar, for the form and the headings, even one no resource names:
    # a retired stage's resources are listed under it all the same.
    stages = list(Stage.objects.only("slug", "name", "position", "retired"))
    pillars = list(Pillar.objects.only("slug", "name", "position", "retired"))
    form = CatalogFilterForm(
        request.GET or None,
        stages=[(stage.slug, stage.name) for stage in stages if not stage.retired],
        pillars=[(pillar.slug, pillar.name) for pillar in pillars if not pillar.retired],
        topics=Topic.objects.active().values_list("slug", "name"),
    )
    matching = form.filter(Resource.objects.active())
    stage_totals = {
        row["stage_id"]: (row["count"], row["hours"])
        for row in matching.order_by().values("stage_id").annotate(count=Count("id"), hours=Sum("hours"))
    }
    window = page_window(sum(count for count, _ in stage_totals.values()), request.GET.get("page"))
    # The page's slice in SQL, in the order the page groups them: stage, then resources
    # without a pillar, then each pillar, then the seeds' consensus (see recommendation_order).
    rows = matching.for_listing().order_by(
        "stage__position",
        "stage__slug",
        F("pillar__position").asc(nulls_first=True),
        "-source_count",
        "level",
        Lower("title"),
        "id",
    )[window.offset : window.offset + window.per_page]
    revision = CatalogRevision.current()
    context = {
        "form": form,
        "revision": revision,
        # What the filter form shows: this catalog's choices, with these values picked.
        "filters_key": [revision, *(request.GET.getlist(name) for name in form.fields)],
        "groups": group_by_stage_and_pillar(with_stages(rows, stages, pillars), stage_totals),
        "matching": matching,  # for a learner's "N of M done" (progress's done_by_stage tag)
        "count": window.total,
        "page": window,
        "filtered": bool(form.active_filters),
    }
    # A history-restore request wants the whole page back, not a fragment.
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "catalog/resource_list.html#results", context)
        if cleaned is not None:  # the address bar gets the tidy form of the filters
            response["HX-Push-Url"] = f"{request.path}?{cleaned}" if cleaned else request.path
        return response
    return render(request, "catalog/resource_list.html", context)


@dataclass(frozen=True)
class LinkedResource:
    """A resource as another page links to it."""

    id: int
    slug: str
    title: str
    stage: str
    stage_position: int


def _build_opening_index() -> tuple[dict[str, LinkedResource], dict[str, frozenset[str]]]:
    """Six queries over the whole active catalog."""
    resource_links = {"resource__retired": False, "topic__retired": False}
    section_links = {"section__retired": False, "section__resource__retired": False, "topic__retired": False}
    teaches: dict[str, set[str]] = {}
    assumes: dict[str, set[str]] = {}
    for through, owner, active, into in (
        (Resource.topics.through, "resource__slug", resource_links, teaches),
        (Section.topics.through, "section__resource__slug", section_links, teaches),
        (Resource.assumes.through, "resource__slug", resource_links, assumes),
        (Section.assumes.through, "section__resource__slug", section_links, assumes),
    ):
        for slug, topic in through.objects.filter(**active).values_list(owner, "topic__slug"):
            into.setdefault(slug, set()).add(topic)
    requires: dict[str, set[str]] = {}
    edges = Topic.requires.through.objects.filter(from_topic__retired=False, to_topic__retired=False)
    for topic, required in edges.values_list("from_topic__slug", "to_topic__slug"):
        requires.setdefault(topic, set()).add(required)
    links = {
        row[1]: LinkedResource(*row)
        for row in Resource.objects.active().values_list(
            "id", "slug", "title", "stage__name", "stage__position"
        )
    }
    return links, needs_by_resource(teaches, assumes, requires)


def opening_index() -> tuple[dict[str, LinkedResource], dict[str, frozenset[str]]]:
    """Every active resource as a link, and what each needs before it: every resource page
    reads all of it, so each process builds it once per catalog revision."""
    return kept.per_revision("opening", _build_opening_index)[1]


OPENS_SHOWN = 30


@require_safe
def resource_detail(request, slug):
    linked = Resource.objects.select_related("stage").order_by("stage__position", "title")
    active_topics = Topic.objects.active()
    sections = (
        Section.objects.active().order_by("position").prefetch_related(Prefetch("topics", active_topics))
    )
    resource = get_object_or_404(
        Resource.objects.select_related("stage", "pillar").prefetch_related(
            Prefetch("topics", active_topics),
            "sources",
            Prefetch("prerequisites", queryset=linked),
            Prefetch("sections", queryset=sections, to_attr="active_sections"),
        ),
        slug=slug,
    )
    taught = {topic.slug for topic in resource.topics.all()}
    taught |= {topic.slug for section in resource.active_sections for topic in section.topics.all()}
    links, needs = opening_index()
    others = {other: need for other, need in needs.items() if other != resource.slug}
    opens = sorted(
        (links[other] for other in opened_by(taught, others)),
        key=lambda item: (item.stage_position, item.title),
    )
    # Two subqueries rather than joins across both links: no duplicates, so no DISTINCT.
    section_assumes = Section.assumes.through.objects.filter(
        section__resource=resource, section__retired=False
    )
    assumed = active_topics.filter(
        Q(pk__in=Resource.assumes.through.objects.filter(resource=resource).values("topic_id"))
        | Q(pk__in=section_assumes.values("topic_id"))
    )
    context = {
        "resource": resource,
        "sections": resource.active_sections,
        # A broad resource opens hundreds at scale: the first few, and how many more.
        "opens": opens[:OPENS_SHOWN],
        "opens_more": max(0, len(opens) - OPENS_SHOWN),
        "assumed": list(assumed),
    }
    return render(request, "catalog/resource_detail.html", context)


@require_safe
def topic_detail(request, slug):
    """One topic: what it rests on, what rests on it, what teaches it and what assumes it."""
    active_topics = Topic.objects.active()
    topic = get_object_or_404(
        active_topics.select_related("pillar").prefetch_related(
            Prefetch("requires", active_topics), Prefetch("required_by", active_topics)
        ),
        slug=slug,
    )
    sections = (
        Section.objects.active()
        .filter(resource__retired=False)
        .select_related("resource")
        .only("id", "slug", "position", "title", "hours", "url", "resource__slug", "resource__title")
        .order_by("resource__stage__position", "resource__title", "position")
    )
    resources = topic.resources.active().for_listing().select_related("stage")
    assuming = topic.assumed_by_resources.active().for_listing().select_related("stage")
    context = {
        "topic": topic,
        "teaching_sections": sections.filter(topics=topic),
        "teaching_resources": resources.order_by("stage__position", "title"),
        "assuming_sections": sections.filter(assumes=topic),
        "assuming_resources": assuming.order_by("stage__position", "title"),
    }
    return render(request, "catalog/topic_detail.html", context)
