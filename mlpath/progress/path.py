"""Gather one learner's plan from the database in a fixed number of queries.

The catalog becomes a plain `PlanIndex` (coverage.py), built once per catalog revision in
each process; the learner's statuses and settings become plain `Knowledge` and a `Goal`;
`planner.plan` does the thinking. The study-group dashboard reuses the same index and the
same per-learner plans, kept in Django's cache, for every member at once.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace

from django.core.cache import cache
from django.db.models import F
from django.urls import reverse

from catalog import kept
from catalog.models import Pillar, Resource, Section, Stage, Topic, search_url

from . import coverage, planner, review, topicmap
from .coverage import (
    IN_PROGRESS,
    NOT_STARTED,
    GoalChoice,
    PlanIndex,
    Statuses,
    bars,
    effective_order,
    goal_of,
    knowledge_of,
    statuses_of,
)
from .models import LearnerStamp, PathSettings, Progress, SectionProgress


def forget_catalog() -> None:
    """Drop this process's copies of the catalog (tests, and the bench between catalogs)."""
    kept.forget()


_CHANGE_WORDS = {
    "done": "You marked “{}” done",
    "in_progress": "You started “{}”",
    "skipped": "You skipped “{}”",
    "not_started": "You moved “{}” back to not started",
}


def describe_change(change, title: str) -> str:
    return _CHANGE_WORDS[change.to_status].format(title)


def sentence(clauses) -> str:
    """The clauses as one sentence: capitalised, joined by semicolons, with a full stop."""
    text = "; ".join(clauses)
    return text[:1].upper() + text[1:] + "." if text else ""


# --- The topic plan -------------------------------------------------------------------------

# How long a learner's computed plan is kept. Its key moves with every change they make and
# every catalog change, so an entry is never stale, only unused; this hands memory back.
PLAN_KEPT_SECONDS = 3600


def current_plan_index() -> tuple[str, PlanIndex]:
    """The catalog as the planner sees it, built once per catalog revision in each process:
    one query (the revision) while the catalog is unchanged, ten more after a change. The
    token comes back empty when the build raced a catalog change (see `catalog.kept`), and
    nothing computed from the index may be cached then."""
    return kept.per_revision("plan", load_plan_index)


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
    # (stage bars, pillar bars, overall): counted once with the plan and kept with it, not
    # recounted over every goal topic on each page view.
    bars: tuple = ((), (), None)


def plan_for_user(user) -> tuple[PlanIndex, LearnerPlan]:
    """Two queries while nothing changed (the catalog revision and the learner's stamp); three
    more to compute it again (settings, resource and section statuses)."""
    token, index = current_plan_index()
    stamp = LearnerStamp.objects.filter(user=user).values_list("version", flat=True).first() or 0
    key = plan_key(user.pk, stamp, token)
    packed = cache.get(key) if token else None
    if packed is not None:
        return index, unpack(index, packed)
    computed = compute_plan(index, user)
    if token:
        cache.set(key, pack(computed), PLAN_KEPT_SECONDS)
    return index, computed


def pack(learner_plan: LearnerPlan) -> tuple:
    """What the cache keeps of a plan: its units by key, not as objects, and of the learner's
    statuses only those the pages print (the plan's units and what is in progress). Unpickling
    three hundred steps with their units, and thousands of done units, cost a /path/ request
    more than rendering it."""
    plan, knowledge = learner_plan.plan, learner_plan.knowledge
    steps = tuple(
        (
            step.unit.key,
            step.topics,
            tuple(unit.key for unit in step.alternatives),
            step.assumed,
            step.why_over,
        )
        for step in plan.steps
    )
    shown = {key for key, _topics, alternatives, *_rest in steps for key in (key, *alternatives)}
    units = learner_plan.statuses.units
    statuses = Statuses(
        units={key: units[key] for key in shown | knowledge.in_progress if key in units},
        resources=learner_plan.statuses.resources,
    )
    slim = replace(
        learner_plan,
        plan=None,
        statuses=statuses,
        knowledge=replace(knowledge, done=frozenset(), skipped=frozenset()),
    )
    return slim, steps, plan.goal_topics, plan.needed, plan.covered, plan.uncoverable


def unpack(index: PlanIndex, packed: tuple) -> LearnerPlan:
    slim, steps, goal_topics, needed, covered, uncoverable = packed
    units = index.units
    plan = planner.Plan(
        steps=tuple(
            planner.Step(units[key], topics, tuple(units[other] for other in alternatives), assumed, why)
            for key, topics, alternatives, assumed, why in steps
        ),
        goal_topics=goal_topics,
        needed=needed,
        covered=covered,
        uncoverable=uncoverable,
    )
    return replace(slim, plan=plan)


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
    stage_order = effective_order(path_settings.stage_order or (), index.stages)
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
    plan = planner.plan(index.curriculum, knowledge, goal)
    return LearnerPlan(
        plan=plan,
        goal=goal,
        goal_choice=choice,
        statuses=statuses,
        knowledge=knowledge,
        stage_order=stage_order,
        known_stages=known_stages,
        hours_per_week=float(path_settings.hours_per_week),
        customised=bool(path_settings.pk),
        bars=bars(index, plan, stage_order),
    )


# Moves when what `pack` keeps changes shape, so a deploy never unpickles an older shape.
PLAN_FORMAT = 2


def plan_key(user_id: int, stamp: int, token: str) -> str:
    """Where a learner's plan is kept: it moves with their stamp and the catalog."""
    return f"plan{PLAN_FORMAT}:{user_id}:{stamp}:{token}"


# The path page lists this many steps after the next one; the rest are summed.
STEPS_SHOWN = 40
# Alternatives offered under the next step, as "or instead".
ALTERNATIVES_SHOWN = 3
# What finishing the next step opens: the first few, and how many more.
OPENS_SHOWN = 5


def _unit_entry(index: PlanIndex, unit: planner.Unit, statuses: Statuses, *, buttons: bool = False) -> dict:
    """What the page prints of one unit: a section with its resource, or a whole resource, and
    with `buttons` where they post (only units with buttons pay for reversing a URL)."""
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
        "post_url": (
            reverse("progress:set_section_status", args=[section.slug])
            if section
            else reverse("progress:set_status", args=[resource.slug])
        )
        if buttons
        else "",
    }


def _resource_entry(index: PlanIndex, slug: str, *, buttons: bool = False) -> dict:
    facts = index.resources[slug]
    return {
        "title": facts.title,
        "resource_slug": slug,
        "is_section": False,
        "post_url": reverse("progress:set_status", args=[slug]) if buttons else "",
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
        opened = coverage.opens(index, step.unit)
        next_up = {
            **_unit_entry(index, step.unit, statuses, buttons=True),
            "topics": _names(index, step.topics),
            "assumed": _names(index, step.assumed),
            "why": _why(index, learner_plan, step, first_project),
            "alternatives": [
                _unit_entry(index, unit, statuses, buttons=True)
                for unit in step.alternatives[:ALTERNATIVES_SHOWN]
            ],
            "opens": [_resource_entry(index, slug) for slug in opened[:OPENS_SHOWN]],
            "opens_more": max(0, len(opened) - OPENS_SHOWN),
        }
    rest = steps[1 : 1 + STEPS_SHOWN]
    hidden = steps[1 + STEPS_SHOWN :]
    stage_bars, pillar_bars, overall = learner_plan.bars
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
        "catalog_hours": index.catalog_hours,
        "eta": coverage.eta(plan.hours, hours_per_week, today),
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
            _resource_entry(index, slug, buttons=True)
            for slug, status in statuses.resources.items()
            if status == IN_PROGRESS and slug != (next_up or {}).get("resource_slug")
        ],
        "small_map": next_step_map(index, learner_plan),
        "map_states": list(topicmap.STATE_LABELS.items()),
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


# --- The topic map --------------------------------------------------------------------------


def map_states(index: PlanIndex, learner_plan: LearnerPlan) -> dict[str, str]:
    """Every topic of the learner's goal with its state on the map."""
    plan, knowledge = learner_plan.plan, learner_plan.knowledge
    known_stages = learner_plan.known_stages
    known = knowledge.known | {
        topic for topic in plan.covered if index.topic_stages.get(topic, frozenset()) & known_stages
    }
    started = frozenset().union(
        *(index.units[key].teaches for key in knowledge.in_progress if key in index.units)
    )
    return topicmap.topic_states(
        plan.goal_topics,
        covered=plan.covered,
        known=known,
        in_progress=started,
        next_up=frozenset(plan.steps[0].topics) if plan.steps else frozenset(),
    )


def goal_map(index: PlanIndex, learner_plan: LearnerPlan) -> topicmap.TopicMap:
    """The whole goal, for /path/map/."""
    return topicmap.topic_map(map_states(index, learner_plan), index.curriculum.requires, index.topic_names)


def next_step_map(index: PlanIndex, learner_plan: LearnerPlan) -> topicmap.TopicMap | None:
    """The next step's topics with what they rest on and what rests on them, for /path/."""
    plan = learner_plan.plan
    if not plan.steps:
        return None
    states = map_states(index, learner_plan)
    requires = index.curriculum.requires
    step = plan.steps[0]
    # What the step assumes (a project names what it needs) is what it rests on, too.
    around = topicmap.neighbourhood(step.topics, states, requires) | (step.unit.assumes & states.keys())
    return topicmap.topic_map(
        {topic: states[topic] for topic in around},
        requires,
        index.topic_names,
        per_row=3,
        most_per_layer=9,
        fold=False,
    )


# --- Spaced review -----------------------------------------------------------------------------


def refresher_entry(index: PlanIndex, topic: str) -> dict | None:
    """The shortest section or resource that teaches `topic`, as the page prints it."""
    key = index.refreshers.get(topic)
    if key is None:
        return None
    return _unit_entry(index, index.units[key], Statuses(units={}, resources={}))


def rests_on(index: PlanIndex, unit: planner.Unit) -> set[str]:
    """The topics a unit rests on: what it assumes, and what the topics it teaches require,
    less what it teaches itself."""
    requires = index.curriculum.requires
    below = set(unit.assumes).union(*(requires.get(topic, ()) for topic in unit.teaches))
    return below - unit.teaches


def refreshers_before(
    index: PlanIndex, learner_plan: LearnerPlan, cards: Mapping[str, dict], *, now, day_end
) -> list[dict]:
    """The topics the next step rests on that are due for review or have faded (FSRS's recall
    estimate), each with its shortest refresher: what the path suggests before the step."""
    plan = learner_plan.plan
    if not plan.steps:
        return []
    found = []
    for topic in sorted(rests_on(index, plan.steps[0].unit) & cards.keys()):
        why = review.needs_refresher(cards[topic], now, day_end)
        if why:
            found.append(
                {
                    "slug": topic,
                    "name": index.topic_names.get(topic, topic),
                    "why": why,
                    "refresher": refresher_entry(index, topic),
                }
            )
    return found


def feed_steps(
    index: PlanIndex, learner_plan: LearnerPlan, hours_limit: float
) -> list[tuple[str, str, float, str]]:
    """The plan for the calendar feed: (unit key, title, hours, its resource page's path), up
    to the step that starts after `hours_limit` hours (the feed's horizon; the rest would be
    dropped there anyway)."""
    steps = []
    hours = 0.0
    for step in learner_plan.plan.steps:
        if hours >= hours_limit:
            break
        unit = step.unit
        hours += unit.hours
        resource = index.resources[unit.resource]
        section = index.sections.get(unit.key)
        title = f"{section.position}. {section.title} ({resource.title})" if section else resource.title
        steps.append((unit.key, title, unit.hours, reverse("catalog:detail", args=[resource.slug])))
    return steps


def milestones_of(learner_plan: LearnerPlan) -> list[tuple[str, str, str]]:
    """What the learner has finished, as (kind, slug, label): every stage whose bar is full
    (but not a stage they said they knew), every full pillar, and the goal once nothing is
    left to plan."""
    stage_bars, pillar_bars, _overall = learner_plan.bars
    found = [
        ("stage", bar.slug, bar.name)
        for bar in stage_bars
        if bar.total and bar.covered == bar.total and bar.slug not in learner_plan.known_stages
    ]
    found += [("pillar", bar.slug, bar.name) for bar in pillar_bars if bar.total and bar.covered == bar.total]
    plan, choice = learner_plan.plan, learner_plan.goal_choice
    if plan.goal_topics and not plan.steps and not plan.uncoverable:
        label = learner_plan.goal.label or "the whole path"
        found.append(("goal", f"{choice.kind}:{choice.slug}", label))
    return found
