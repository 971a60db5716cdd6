"""Gather one learner's path from the database in a fixed number of queries.

The catalog becomes a plain `PathIndex` and the learner a plain `Learner`;
`ranking.build_path` does the thinking. The study-group dashboard reuses the same index
for many learners at once, so the catalog is read once per revision, not once per member.
"""

from collections.abc import Mapping
from types import MappingProxyType

from catalog.models import CatalogRevision, Pillar, Prerequisite, Resource, Source, Stage, search_url

from . import ranking
from .index import FINISHED, IN_PROGRESS, NOT_STARTED, Item, Learner, PathIndex
from .models import PathSettings, Progress


def current_index() -> PathIndex:
    return current_index_with_token()[1]


def current_index_with_token() -> tuple[str, PathIndex]:
    """One query while the catalog is unchanged; the full load (five more) after a change.

    The index is kept per process. The revision is read before and after loading, and the
    index kept only if the two agree, so a load that raced a catalog change is never kept.
    The token comes back empty when the index is not known to match one revision: then
    nothing computed from it may be cached either.
    """
    token = CatalogRevision.current()
    kept = _kept.get("index")
    if token and kept is not None and kept[0] == token:
        return token, kept[1]
    index = load_index()
    if token and CatalogRevision.current() == token:
        _kept["index"] = (token, index)
        return token, index
    return "", index


def load_index() -> PathIndex:
    """Five queries, whatever the catalog's size."""
    requires: dict[int, list[int]] = {}
    edges = Prerequisite.objects.filter(resource__retired=False, required__retired=False)
    for resource_id, required_id in edges.values_list("resource_id", "required_id"):
        requires.setdefault(resource_id, []).append(required_id)
    rows = list(
        Resource.objects.active()
        .order_by("stage__position", "title", "id")
        .values_list(
            *("id", "slug", "title", "creator", "url", "stage__slug", "pillar__slug", "level", "hours"),
            "source_count",
        )
    )
    ids = {row[0]: row[1] for row in rows}
    items = [
        Item(
            slug=slug,
            title=title,
            creator=creator,
            url=url,
            stage=stage,
            pillar=pillar,
            level=level,
            hours=float(hours),
            sources=sources,
            requires=tuple(ids[dep] for dep in requires.get(pk, ()) if dep in ids),
        )
        for pk, slug, title, creator, url, stage, pillar, level, hours, sources in rows
    ]
    stages = list(Stage.objects.active().values_list("slug", "name"))
    pillars = list(Pillar.objects.active().values_list("slug", "name"))
    return PathIndex.of(
        items,
        stages=[slug for slug, _ in stages],
        pillars=[slug for slug, _ in pillars],
        names=dict(stages + pillars),
        total_sources=Source.objects.active().count(),
        ids=ids,
    )


def learner_of(index: PathIndex, statuses: Mapping[int, str], path_settings: PathSettings) -> Learner:
    """One learner as plain data: statuses by resource id become statuses by slug."""
    ids = index.ids
    return Learner(
        statuses={ids[pk]: status for pk, status in statuses.items() if pk in ids},
        stage_order=tuple(path_settings.stage_order or ()),
        known_stages=frozenset(path_settings.known_stages or ()),
    )


# {"index": (revision token, PathIndex)}: this process's copy of the catalog index.
_kept: dict[str, tuple[str, PathIndex]] = {}


def forget_catalog() -> None:
    """Drop this process's index (tests, and the bench between catalogs)."""
    _kept.clear()


def path_for_user(user) -> tuple[PathIndex, PathSettings, Learner, ranking.Path]:
    """Three queries while the catalog is unchanged: its revision, the learner's settings
    and their statuses."""
    index = current_index()
    path_settings = PathSettings.for_user(user)
    learner = learner_of(index, Progress.objects.statuses(user), path_settings)
    return index, path_settings, learner, ranking.build_path(index, learner)


_CHANGE_WORDS = {
    "done": "You marked “{}” done",
    "in_progress": "You started “{}”",
    "skipped": "You skipped “{}”",
    "not_started": "You moved “{}” back to not started",
}


def describe_change(change, title: str) -> str:
    return _CHANGE_WORDS[change.to_status].format(title)


# Everything: the full page, and the answer to a click that changed nothing.
ALL_SECTIONS = MappingProxyType({"bars": True, "in_progress": True})


def moved_by(change) -> dict[str, bool]:
    """Which parts of the path page besides the next resource a change can move, so a
    click's answer re-sends only those. Bars and time left count only covered resources
    (done or skipped); the in-progress list only in-progress ones. No change (a repeated
    click) re-sends everything, which also mends a page left stale in another tab."""
    if change is None:
        return dict(ALL_SECTIONS)
    statuses = (change.from_status, change.to_status)
    return {
        "bars": (statuses[0] in FINISHED) != (statuses[1] in FINISHED),
        "in_progress": IN_PROGRESS in statuses,
    }


def _entry(item: Item, learner: Learner) -> dict:
    """What the page prints of a listed resource, with the learner's status."""
    return {
        "slug": item.slug,
        "title": item.title,
        "creator": item.creator,
        "url": item.url,
        "search_url": "" if item.url else search_url(item.title, item.creator),
        "hours": item.hours,
        "status": learner.statuses.get(item.slug, NOT_STARTED),
    }


def page_context(
    index: PathIndex,
    path_settings: PathSettings,
    learner,
    path,
    *,
    today,
    last_change,
    sections: Mapping[str, bool] = ALL_SECTIONS,
) -> dict:
    """Ready-to-print values for the path page and its htmx fragments.

    `sections` (see `moved_by`) leaves out what a click's answer will not re-send: the bars
    and time left, or the in-progress list. The recommendation and Undo are always there.
    """
    context = {
        "path": path,
        "overall": path.overall,
        "next_up": _next_up(index, learner, path),
        "alternatives": [{**_entry(rec.item, learner), "why": rec.why} for rec in path.alternatives],
        "synthesis": [],
        "synthesis_stage": index.names.get(index.stages[-1], "") if index.stages else "",
        "undo": _undo(last_change),
        "customised": bool(path_settings.pk),
        "known_names": [
            index.names.get(slug, slug) for slug in path.stage_order if slug in learner.known_stages
        ],
    }
    if path.finished and index.stages:
        # The last stage of the catalog's own order is where the pillars come together.
        last = index.stages[-1]
        context["synthesis"] = [_entry(item, learner) for item in index.items if item.stage == last]
    if sections["bars"]:
        context.update(_bars(index, path_settings, path, today))
    if sections["in_progress"]:
        context["in_progress"] = [_entry(item, learner) for item in path.in_progress]
    return context


def _next_up(index: PathIndex, learner, path) -> dict | None:
    if path.next is None:
        return None
    item = path.next.item
    return {
        **_entry(item, learner),
        "why": path.next.why,
        "opens": [_entry(opened, learner) for opened in path.next.opens],
        "stage_name": index.names.get(item.stage, item.stage),
    }


def _undo(last_change) -> dict | None:
    if last_change is None or not last_change.undoable():
        return None
    title = last_change.resource.title
    return {
        "change_id": last_change.pk,
        "slug": last_change.resource.slug,
        "title": title,
        "from_label": last_change.get_from_status_display().lower(),
        "text": describe_change(last_change, title),
    }


def _bars(index: PathIndex, path_settings: PathSettings, path, today) -> dict:
    """The stage and pillar bars and the time left."""
    hours_per_week = float(path_settings.hours_per_week)
    stages = [
        {
            "bar": bar,
            "name": index.names.get(bar.slug, bar.slug),
            "current": bar.slug == path.current_stage,
        }
        for bar in path.stages
    ]
    pillars = [
        {
            "bar": bar,
            "name": index.names.get(bar.slug, bar.slug),
            "eta": ranking.eta(bar.remaining_hours, hours_per_week, today),
        }
        for bar in path.pillars
    ]
    return {
        "stages": stages,
        "pillars": pillars,
        "eta": ranking.eta(path.overall.remaining_hours, hours_per_week, today),
        "hours_per_week": path_settings.hours_per_week,
    }
