from urllib.parse import urlencode

from django.db.models import Count, F, Prefetch, Sum
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from .browse import group_by_stage_and_pillar, page_window
from .forms import CatalogFilterForm
from .models import CatalogRevision, Pillar, Resource, Stage, Topic, with_stages


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


@require_safe
def resource_detail(request, slug):
    linked = Resource.objects.select_related("stage").order_by("stage__position", "title")
    resource = get_object_or_404(
        Resource.objects.select_related("stage", "pillar").prefetch_related(
            "topics",
            "sources",
            Prefetch("prerequisites", queryset=linked),
            Prefetch("unlocks", queryset=linked.filter(retired=False)),
        ),
        slug=slug,
    )
    return render(request, "catalog/resource_detail.html", {"resource": resource})
