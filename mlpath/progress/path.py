"""Gather one learner's path from the database in a fixed number of queries.

The catalog becomes plain `recommend.Item`s and the learner a plain `recommend.Learner`;
`recommend.build_path` does the thinking. The study-group dashboard reuses `CatalogView`
for many learners at once, so the catalog is read once per request, not once per member.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.db.models import Count

from catalog.models import CatalogRevision, Pillar, Prerequisite, Resource, Source, Stage, search_url

from . import recommend
from .models import PathSettings, Progress


@dataclass(frozen=True)
class CatalogView:
    """The recommender's catalog plus the database ids it came from."""

    plan: recommend.Catalog
    ids: dict[int, str]  # resource id -> slug

    @property
    def items(self) -> tuple[recommend.Item, ...]:
        return self.plan.items

    @property
    def stages(self) -> tuple[str, ...]:
        return self.plan.stages

    @property
    def pillars(self) -> tuple[str, ...]:
        return self.plan.pillars

    @property
    def names(self):
        return self.plan.names

    @classmethod
    def current(cls) -> "CatalogView":
        return cls.current_with_token()[1]

    @classmethod
    def current_with_token(cls, token: str | None = None) -> tuple[str, "CatalogView"]:
        """One query while the catalog is unchanged (none when the caller has just read the
        revision, as `token`); the full load (six) after a change.

        The index is kept per process. The revision is read before and after loading, and
        kept only if the two agree, so a load that raced a catalog change is never cached.
        The token comes back empty when the view is not known to match one revision: then
        nothing computed from it may be cached either.
        """
        token = CatalogRevision.current() if token is None else token
        cached = _cache.get("view")
        if token and cached is not None and cached[0] == token:
            return token, cached[1]
        view = cls.load()
        if token and CatalogRevision.current() == token:
            _cache["view"] = (token, view)
            return token, view
        return "", view

    @classmethod
    def load(cls) -> "CatalogView":
        """Five queries, whatever the catalog's size."""
        requires: dict[int, list[int]] = {}
        edges = Prerequisite.objects.filter(resource__retired=False, required__retired=False)
        for resource_id, required_id in edges.values_list("resource_id", "required_id"):
            requires.setdefault(resource_id, []).append(required_id)
        rows = list(
            Resource.objects.active()
            .order_by("stage__position", "title", "id")
            .values_list(
                "id", "slug", "title", "creator", "url", "stage__slug", "pillar__slug", "level", "hours"
            )
            .annotate(source_count=Count("sources", distinct=True))
        )
        ids = {row[0]: row[1] for row in rows}
        items = [
            recommend.Item(
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
        plan = recommend.Catalog.of(
            items,
            stages=[slug for slug, _ in stages],
            pillars=[slug for slug, _ in pillars],
            names=dict(stages + pillars),
            total_sources=Source.objects.active().count(),
        )
        return cls(plan=plan, ids=ids)

    def learner(self, statuses: dict[int, str], path_settings: PathSettings) -> recommend.Learner:
        return recommend.Learner(
            statuses={self.ids[pk]: status for pk, status in statuses.items() if pk in self.ids},
            stage_order=tuple(path_settings.stage_order or ()),
            known_stages=frozenset(path_settings.known_stages or ()),
        )

    def path_for(self, learner: recommend.Learner, limit: int = 4) -> recommend.Path:
        return recommend.build_path(self.plan, learner, limit=limit)


# {"view": (revision token, CatalogView)}: this process's copy of the catalog index.
_cache: dict[str, tuple[str, CatalogView]] = {}


def forget_catalog() -> None:
    """Drop this process's index (tests, and the bench between catalogs)."""
    _cache.clear()


def path_for_user(user) -> tuple[CatalogView, PathSettings, recommend.Learner, recommend.Path]:
    """Three queries while the catalog is unchanged: its revision, the learner's settings
    and their statuses."""
    catalog = CatalogView.current()
    path_settings = PathSettings.for_user(user)
    learner = catalog.learner(Progress.objects.statuses(user), path_settings)
    return catalog, path_settings, learner, catalog.path_for(learner)


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
        "bars": (statuses[0] in recommend.FINISHED) != (statuses[1] in recommend.FINISHED),
        "in_progress": recommend.IN_PROGRESS in statuses,
    }


def _entry(item: recommend.Item, learner: recommend.Learner) -> dict:
    """What the page prints of a listed resource, with the learner's status."""
    return {
        "slug": item.slug,
        "title": item.title,
        "creator": item.creator,
        "url": item.url,
        "search_url": "" if item.url else search_url(item.title, item.creator),
        "hours": item.hours,
        "status": learner.statuses.get(item.slug, recommend.NOT_STARTED),
    }


def page_context(
    catalog: CatalogView,
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
        "next_up": _next_up(catalog, learner, path),
        "alternatives": [{**_entry(rec.item, learner), "why": rec.why} for rec in path.alternatives],
        "synthesis": [],
        "synthesis_stage": catalog.names.get(catalog.stages[-1], "") if catalog.stages else "",
        "undo": _undo(last_change),
        "customised": bool(path_settings.pk),
        "known_names": [
            catalog.names.get(slug, slug) for slug in path.stage_order if slug in learner.known_stages
        ],
    }
    if path.finished and catalog.stages:
        # The last stage of the catalog's own order is where the pillars come together.
        last = catalog.stages[-1]
        context["synthesis"] = [_entry(item, learner) for item in catalog.items if item.stage == last]
    if sections["bars"]:
        context.update(_bars(catalog, path_settings, path, today))
    if sections["in_progress"]:
        context["in_progress"] = [_entry(item, learner) for item in path.in_progress]
    return context


def _next_up(catalog: CatalogView, learner, path) -> dict | None:
    if path.next is None:
        return None
    item = path.next.item
    return {
        **_entry(item, learner),
        "why": path.next.why,
        "opens": [_entry(opened, learner) for opened in path.next.opens],
        "stage_name": catalog.names.get(item.stage, item.stage),
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


def _bars(catalog: CatalogView, path_settings: PathSettings, path, today) -> dict:
    """The stage and pillar bars and the time left."""
    hours_per_week = float(path_settings.hours_per_week)
    stages = [
        {
            "bar": bar,
            "name": catalog.names.get(bar.slug, bar.slug),
            "current": bar.slug == path.current_stage,
        }
        for bar in path.stages
    ]
    pillars = [
        {
            "bar": bar,
            "name": catalog.names.get(bar.slug, bar.slug),
            "eta": recommend.eta(bar.remaining_hours, hours_per_week, today),
        }
        for bar in path.pillars
    ]
    return {
        "stages": stages,
        "pillars": pillars,
        "eta": recommend.eta(path.overall.remaining_hours, hours_per_week, today),
        "hours_per_week": path_settings.hours_per_week,
    }
