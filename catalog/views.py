from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from .browse import group_by_stage_and_pillar
from .forms import CatalogFilterForm
from .models import Pillar, Resource, Stage, Topic


@require_safe
@vary_on_headers("HX-Request")
def resource_list(request):
    form = CatalogFilterForm(
        request.GET or None,
        stages=Stage.objects.active().only("slug", "name"),
        pillars=Pillar.objects.active().only("slug", "name"),
        topics=Topic.objects.active().only("slug", "name"),
    )
    resources = list(form.filter(Resource.objects.active().for_listing()))
    context = {
        "form": form,
        "groups": group_by_stage_and_pillar(resources),
        "count": len(resources),
        "filtered": bool(form.active_filters),
    }
    # A history-restore request wants the whole page back, not a fragment.
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "catalog/resource_list.html#results", context)
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
