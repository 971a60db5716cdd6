"""Gather one learner's path from the database in a fixed number of queries.

The catalog becomes a plain `PathIndex` and the learner a plain `Learner`;
`ranking.build_path` does the thinking. The study-group dashboard reuses the same index
for many learners at once, so the catalog is read once per revision, not once per member.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.core.cache import cache
from django.db.models import F
from django.urls import reverse

from catalog.models import (
    CatalogRevision,
    Pillar,
    Prerequisite,
    Resource,
    Section,
    Source,
    Stage,
    Topic,
    search_url,
)

from . import planner, ranking
from .coverage import GoalChoice, PlanIndex, Statuses, bars, goal_of, knowledge_of, statuses_of
from .index import FINISHED, IN_PROGRESS, NOT_STARTED, Item, Learner, PathIndex
from .models import LearnerStamp, PathSettings, Progress, SectionProgress
from .reasons import sentence


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


# {"index": (revision token, PathIndex), "plan": (token, PlanIndex)}: this process's copies.
_kept: dict[str, tuple] = {}


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


# --- The topic plan -------------------------------------------------------------------------

# How long a learner's computed plan is kept. Its key moves with every change they make and
# every catalog change, so an entry is never stale, only unused; this hands memory back.
PLAN_KEPT_SECONDS = 3600


def current_plan_index() -> tuple[str, PlanIndex]:
    """The catalog as the planner sees it: one query while the catalog is unchanged (shared with
    `current_index_with_token`'s revision read when both run), ten after a change."""
    token = CatalogRevision.current()
    kept = _kept.get("plan")
    if token and kept is not None and kept[0] == token:
        return token, kept[1]
    index = load_plan_index()
    if token and CatalogRevision.current() == token:
        _kept["plan"] = (token, index)
        return token, index
    return "", index


def _links(through, owner: str, **active) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for owner_id, slug in through.objects.filter(**active).values_list(owner, "topic__slug"):
        found.setdefault(owner_id, []).append(slug)
    return found


def load_plan_index() -> PlanIndex:
    """Ten queries, whatever the catalog's size."""
    resource_topics = _links(Resource.topics.through, "resource_id", topic__retired=False)
    resource_assumes = _links(Resource.assumes.through, "resource_id", topic__retired=False)
    section_topics = _links(Section.topics.through, "section_id", topic__retired=False)
    section_assumes = _links(Section.assumes.through, "section_id", topic__retired=False)
    resources = [
        {
            **row,
            "hours": float(row["hours"]),
            "topics": resource_topics.get(row["id"], []),
            "assumes": resource_assumes.get(row["id"], []),
        }
        for row in Resource.objects.active()
        .order_by("stage__position", "title", "id")
        .values(
            "id", "slug", "title", "creator", "url", "kind", "cost", "level", "hours", "source_count",
            stage_slug=F("stage__slug"), pillar_slug=F("pillar__slug"),
        )
    ]  # fmt: skip
    sections = [
        {
            **row,
            "hours": float(row["hours"]),
            "topics": section_topics.get(row["id"], []),
            "assumes": section_assumes.get(row["id"], []),
        }
        for row in Section.objects.active()
        .filter(resource__retired=False)
        .values("id", "slug", "position", "title", "url", "hours", resource_slug=F("resource__slug"))
    ]
    requires: dict[str, list[str]] = {}
    edges = Topic.requires.through.objects.filter(to_topic__retired=False)
    for owner, required in edges.values_list("from_topic__slug", "to_topic__slug"):
        requires.setdefault(owner, []).append(required)
    topics = [
        {**row, "requires": requires.get(row["slug"], [])}
        for row in Topic.objects.active()
        .order_by("slug")
        .values("slug", "name", pillar_slug=F("pillar__slug"))
    ]
    return PlanIndex.of(
        resources=resources,
        sections=sections,
        topics=topics,
        stages=list(Stage.objects.active().values_list("slug", "name")),
        pillars=list(Pillar.objects.active().values_list("slug", "name")),
    )


@dataclass(frozen=True)
class LearnerPlan:
    """One learner's plan and everything about them that the path page prints: plain data,
    kept in Django's cache under (learner, their stamp, catalog revision)."""

    plan: planner.Plan
    goal: planner.Goal
    goal_choice: GoalChoice
    statuses: Statuses
    knowledge: planner.Knowledge
    stage_order: tuple[str, ...]
    known_stages: frozenset[str]
    hours_per_week: float
    customised: bool


def plan_for_user(user) -> tuple[PlanIndex, LearnerPlan]:
    """Two queries while nothing changed (the catalog revision and the learner's stamp); three
    more to compute it again (settings, resource and section statuses)."""
    token, index = current_plan_index()
    stamp = LearnerStamp.objects.filter(user=user).values_list("version", flat=True).first() or 0
    key = plan_key(user.pk, stamp, token)
    kept = cache.get(key) if token else None
    if kept is None:
        kept = compute_plan(index, user)
        if token:
            cache.set(key, kept, PLAN_KEPT_SECONDS)
    return index, kept


def compute_plan(index: PlanIndex, user) -> LearnerPlan:
    """Three queries: the learner's settings, resource statuses and section statuses."""
    return learner_plan(
        index, PathSettings.for_user(user), Progress.objects.statuses(user), SectionProgress.statuses(user)
    )


def learner_plan(
    index: PlanIndex,
    path_settings: PathSettings,
    resource_statuses: Mapping[int, str],
    section_statuses: Mapping[int, str],
) -> LearnerPlan:
    """One learner's plan from rows already read: the path page reads one learner's, the
    study-group dashboard every member's at once."""
    stage_order = ranking.effective_order(path_settings.stage_order or (), index.stages)
    known_stages = frozenset(path_settings.known_stages or ())
    statuses = statuses_of(index, resource_statuses, section_statuses, known_stages)
    knowledge = knowledge_of(
        statuses,
        known_topics=frozenset(path_settings.known_topics or ()),
        stage_order=stage_order,
        level=path_settings.level,
        kinds=frozenset(path_settings.preferred_kinds or ()),
        free_only=path_settings.free_only,
    )
    choice = GoalChoice(path_settings.goal_kind, path_settings.goal_slug)
    goal = goal_of(index, choice, knowledge)
    return LearnerPlan(
        plan=planner.plan(index.curriculum, knowledge, goal),
        goal=goal,
        goal_choice=choice,
        statuses=statuses,
        knowledge=knowledge,
        stage_order=stage_order,
        known_stages=known_stages,
        hours_per_week=float(path_settings.hours_per_week),
        customised=bool(path_settings.pk),
    )


def plan_key(user_id: int, stamp: int, token: str) -> str:
    """Where a learner's plan is kept: it moves with their stamp and the catalog."""
    return f"plan:{user_id}:{stamp}:{token}"


# The path page lists this many steps after the next one; the rest are summed.
STEPS_SHOWN = 40
# Alternatives offered under the next step, as "or instead".
ALTERNATIVES_SHOWN = 3


def _unit_entry(index: PlanIndex, unit: planner.Unit, statuses: Statuses) -> dict:
    """What the page prints of one unit: a section with its resource, or a whole resource."""
    resource = index.resources[unit.resource]
    section = index.sections.get(unit.key)
    url = (section.url if section else "") or resource.url
    return {
        "key": unit.key,
        "title": f"{section.position}. {section.title}" if section else resource.title,
        "resource_title": resource.title,
        "resource_slug": resource.slug,
        "section_slug": section.slug if section else "",
        "is_section": section is not None,
        "creator": resource.creator,
        "url": url,
        "search_url": "" if url else search_url(resource.title, resource.creator),
        "hours": unit.hours,
        "kind": resource.kind,
        "stage_name": index.names.get(unit.stage, unit.stage),
        "status": statuses.units.get(unit.key, NOT_STARTED),
        # Where its buttons post: the section's own status, or the resource's.
        "post_url": reverse("progress:set_section_status", args=[section.slug])
        if section
        else reverse("progress:set_status", args=[resource.slug]),
    }


def _resource_entry(index: PlanIndex, slug: str) -> dict:
    facts = index.resources[slug]
    return {
        "title": facts.title,
        "resource_slug": slug,
        "is_section": False,
        "post_url": reverse("progress:set_status", args=[slug]),
    }


def _names(index: PlanIndex, topics) -> list[str]:
    return sorted(index.topic_names.get(topic, topic) for topic in topics)


def goal_label(index: PlanIndex, goal: planner.Goal) -> str:
    return goal.label or "the whole path: programming, a first project, then the four pillars"


def _why(index: PlanIndex, learner_plan: LearnerPlan, step: planner.Step, first_project: bool) -> str:
    """The next step's reason: the goal, the topics it teaches, and why this unit rather than
    its alternatives (planner.Step.why_over)."""
    goal = learner_plan.goal
    clauses = []
    if step.unit.key in learner_plan.knowledge.in_progress:
        clauses.append("you have already started it")
    if goal.label and step.unit.key in goal.units:
        clauses.append(f"it is part of your goal, {goal.label}")
    elif first_project:
        clauses.append("it is your first project: a small real one comes before the math")
    else:
        clauses.append(f"your goal is {goal_label(index, goal)}")
    if step.topics:
        clauses.append(f"it teaches {', '.join(_names(index, step.topics))}")
    clauses.extend(step.why_over)
    return sentence(clauses)


def plan_context(index: PlanIndex, learner_plan: LearnerPlan, *, today, last_change) -> dict:
    """Ready-to-print values for the path page and its htmx fragments."""
    plan, statuses = learner_plan.plan, learner_plan.statuses
    steps = plan.steps
    next_up = None
    if steps:
        step = steps[0]
        first_project = step.unit.kind == "project" and not learner_plan.goal.label
        next_up = {
            **_unit_entry(index, step.unit, statuses),
            "topics": _names(index, step.topics),
            "assumed": _names(index, step.assumed),
            "why": _why(index, learner_plan, step, first_project),
            "alternatives": [
                _unit_entry(index, unit, statuses) for unit in step.alternatives[:ALTERNATIVES_SHOWN]
            ],
            "opens": [
                _unit_entry(index, unit, statuses)
                for unit in planner.opens(index.curriculum, learner_plan.knowledge, plan, step)
            ],
        }
    rest = steps[1 : 1 + STEPS_SHOWN]
    hidden = steps[1 + STEPS_SHOWN :]
    stage_bars, pillar_bars, overall = bars(index, plan, learner_plan.stage_order)
    stage_hours: dict[str, float] = {}
    for step in steps:
        stage_hours[step.unit.stage] = stage_hours.get(step.unit.stage, 0.0) + step.unit.hours
    hours_per_week = learner_plan.hours_per_week
    return {
        "goal_label": goal_label(index, learner_plan.goal),
        "goal_is_path": not learner_plan.goal.label,
        "next_up": next_up,
        "steps": [
            {**_unit_entry(index, step.unit, statuses), "topics": _names(index, step.topics)} for step in rest
        ],
        "more_steps": len(hidden),
        "more_hours": sum(step.unit.hours for step in hidden),
        "plan_hours": plan.hours,
        "catalog_hours": sum(facts.hours for facts in index.resources.values()),
        "eta": ranking.eta(plan.hours, hours_per_week, today),
        "stage_left": [
            {"name": index.names.get(slug, slug), "hours": stage_hours[slug]}
            for slug in learner_plan.stage_order
            if stage_hours.get(slug)
        ],
        "hours_per_week": hours_per_week,
        "stage_bars": stage_bars,
        "pillar_bars": pillar_bars,
        "overall": overall,
        # Whatever else the learner has started, by resource: a book with a chapter started,
        # or a resource started from the catalog that the plan does not need.
        "in_progress": [
            _resource_entry(index, slug)
            for slug, status in statuses.resources.items()
            if status == IN_PROGRESS and slug != (next_up or {}).get("resource_slug")
        ],
        "uncoverable": _names(index, plan.uncoverable),
        "finished": not steps and not plan.uncoverable,
        "undo": _undo_change(last_change),
        "customised": learner_plan.customised,
        "known_names": [
            index.names.get(slug, slug)
            for slug in learner_plan.stage_order
            if slug in learner_plan.known_stages
        ],
    }


def _undo_change(last_change) -> dict | None:
    """The latest change's Undo, unless it is too old, part of a reset, or itself an undo
    (undoing an undo would only redo the change under a button that still said Undo)."""
    if last_change is None or not last_change.undoable() or last_change.via_undo:
        return None
    title = last_change.resource.title
    section = last_change.section
    return {
        "change_id": last_change.pk,
        "slug": last_change.resource.slug,
        "section_slug": section.slug if section else "",
        "title": f"{title}, {section.position}. {section.title}" if section else title,
        "from_label": last_change.get_from_status_display().lower(),
        "text": describe_change(last_change, f"{section.title}" if section else title),
    }
