"""The catalog as the planner sees it, and one learner's statuses turned into what they know.

Pure: plain data in, plain data out. `path.py` reads the rows; `planner.py` does the
planning; this module is the translation between the two, so the rules that decide what
counts as covered live in one place and are tested without a database:

- a resource marked done covers all its sections; finishing every section finishes it;
- skipping ("not for me") never covers anything;
- a stage the learner knows counts every unit in it as done;
- a topic the learner knows is covered whatever the units say.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from catalog.browse import needs_by_resource

from . import planner

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
DONE = "done"
SKIPPED = "skipped"
PROJECT = "project"


@dataclass(frozen=True)
class ResourceFacts:
    """What the pages print of a resource, and which units it is planned as."""

    slug: str
    title: str
    creator: str
    url: str
    kind: str
    stage: str
    pillar: str | None
    hours: float
    units: tuple[str, ...]  # its sections' unit keys in order, or (slug,) without sections


@dataclass(frozen=True)
class SectionFacts:
    key: str
    slug: str
    resource: str
    position: int
    title: str
    url: str


@dataclass(frozen=True, eq=False)
class PlanIndex:
    """The active catalog, built once per catalog revision in each process."""

    curriculum: planner.Curriculum
    units: Mapping[str, planner.Unit]
    resources: Mapping[str, ResourceFacts]
    sections: Mapping[str, SectionFacts]  # by unit key
    topic_names: Mapping[str, str]
    names: Mapping[str, str]  # stage and pillar slug -> name
    stages: tuple[str, ...]
    pillars: tuple[str, ...]
    # topic -> the stages of the units that teach it: a topic's bar is the first of these
    # in the learner's own order, so each topic is counted in one stage only.
    topic_stages: Mapping[str, frozenset[str]]
    projects: tuple[str, ...]  # unit keys of the projects, in catalog order
    # resource -> the topics it needs first: what "opens" it (catalog.graph.opened_by), the same
    # definition as the resource page's "What it opens".
    needs: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Worked out once per revision, so a plan costs no pass over the whole catalog for them:
    # topic -> resources that need it first (the inverse of `needs`), each project's closure
    # of what it assumes, the default goal's topics, and every resource's hours added up.
    builders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    project_needs: Mapping[str, frozenset[str]] = field(default_factory=dict)
    path_topics: frozenset[str] = frozenset()
    catalog_hours: float = 0.0
    resource_ids: Mapping[int, str] = field(default_factory=dict)
    section_ids: Mapping[int, str] = field(default_factory=dict)  # section id -> unit key
    refreshers: Mapping[str, str] = field(default_factory=dict)  # topic -> shortest unit teaching it

    @classmethod
    def of(
        cls,
        *,
        resources: Sequence[dict],
        sections: Sequence[dict],
        topics: Sequence[dict],
        stages: Sequence[tuple[str, str]],
        pillars: Sequence[tuple[str, str]],
    ) -> "PlanIndex":
        """Build from plain rows (dicts as `path.load_plan_index` reads them).

        A resource with sections is planned by its sections, so a book is offered chapter
        by chapter; a resource without is one unit.
        """
        by_resource: dict[str, list[dict]] = {}
        for row in sorted(sections, key=lambda row: (row["resource_slug"], row["position"])):
            by_resource.setdefault(row["resource_slug"], []).append(row)
        units: list[planner.Unit] = []
        facts: dict[str, ResourceFacts] = {}
        section_facts: dict[str, SectionFacts] = {}
        section_ids: dict[int, str] = {}
        resource_ids: dict[int, str] = {}
        projects = []
        for row in resources:
            slug = row["slug"]
            resource_ids[row["id"]] = slug
            common = {
                "resource": slug,
                "stage": row["stage_slug"],
                "sources": row["source_count"],
                "level": row["level"],
                "kind": row["kind"],
                "cost": row["cost"],
                "pillar": row["pillar_slug"],
            }
            own = by_resource.get(slug, [])
            keys = []
            for section in own:
                key = f"{slug}/{section['slug']}"
                keys.append(key)
                section_ids[section["id"]] = key
                section_facts[key] = SectionFacts(
                    key, section["slug"], slug, section["position"], section["title"], section["url"]
                )
                units.append(
                    planner.Unit(
                        key=key,
                        title=section["title"],
                        hours=section["hours"],
                        teaches=frozenset(section["topics"]),
                        assumes=frozenset(section["assumes"]) | frozenset(row["assumes"]),
                        position=section["position"],
                        **common,
                    )
                )
            if not own:
                keys.append(slug)
                units.append(
                    planner.Unit(
                        key=slug,
                        title=row["title"],
                        hours=row["hours"],
                        teaches=frozenset(row["topics"]),
                        assumes=frozenset(row["assumes"]),
                        **common,
                    )
                )
            if row["kind"] == PROJECT:
                projects.extend(keys)
            facts[slug] = ResourceFacts(
                slug,
                row["title"],
                row["creator"],
                row["url"],
                row["kind"],
                row["stage_slug"],
                row["pillar_slug"],
                row["hours"],
                tuple(keys),
            )
        topic_slugs = {row["slug"] for row in topics}
        requires = {
            row["slug"]: frozenset(dep for dep in row["requires"] if dep in topic_slugs) for row in topics
        }
        teaches: dict[str, set[str]] = {}
        assumes: dict[str, set[str]] = {}
        for unit in units:
            teaches.setdefault(unit.resource, set()).update(unit.teaches)
            assumes.setdefault(unit.resource, set()).update(unit.assumes)
        topic_stages: dict[str, set[str]] = {}
        refreshers: dict[str, planner.Unit] = {}
        for unit in units:
            for topic in unit.teaches:
                topic_stages.setdefault(topic, set()).add(unit.stage)
                # A refresher is no project: the shortest section or resource that teaches it.
                best = refreshers.get(topic)
                if unit.kind != PROJECT and (best is None or (unit.hours, unit.key) < (best.hours, best.key)):
                    refreshers[topic] = unit
        needs = needs_by_resource(teaches, assumes, requires)
        builders: dict[str, set[str]] = {}
        for slug, topics_needed in needs.items():
            for topic in topics_needed:
                builders.setdefault(topic, set()).add(slug)
        by_key = {unit.key: unit for unit in units}
        first_stage = stages[0][0] if stages else None
        # The default goal: what the first stage (programming) teaches, and every pillar topic.
        path_topics = {
            topic
            for unit in units
            if unit.stage == first_stage and unit.kind != PROJECT
            for topic in unit.teaches
        }
        path_topics |= {row["slug"] for row in topics if row["pillar_slug"]}
        curriculum = planner.Curriculum(
            requires=requires,
            pillar={row["slug"]: row["pillar_slug"] for row in topics},
            units=tuple(units),
            stages=tuple(slug for slug, _ in stages),
        )
        return cls(
            curriculum=curriculum,
            units={unit.key: unit for unit in units},
            resources=facts,
            sections=section_facts,
            topic_names={row["slug"]: row["name"] for row in topics},
            names=dict([*stages, *pillars]),
            stages=tuple(slug for slug, _ in stages),
            pillars=tuple(slug for slug, _ in pillars),
            topic_stages={topic: frozenset(found) for topic, found in topic_stages.items()},
            projects=tuple(projects),
            needs=needs,
            builders={topic: tuple(sorted(found)) for topic, found in builders.items()},
            project_needs={
                key: planner.closure(requires, by_key[key].assumes) for key in projects if key in by_key
            },
            path_topics=frozenset(path_topics),
            catalog_hours=sum(row["hours"] for row in resources),
            resource_ids=resource_ids,
            section_ids=section_ids,
            refreshers={topic: unit.key for topic, unit in refreshers.items()},
        )


def effective_status(resource_status: str, section_statuses: Sequence[str], section_count: int) -> str:
    """A resource's status as the learner sees it: its own, unless its sections say more.

    Marking a resource done or skipped wins. Otherwise every section done makes it done,
    and any section started or done makes it in progress.
    """
    if resource_status in (DONE, SKIPPED):
        return resource_status
    done = sum(1 for status in section_statuses if status == DONE)
    if section_count and done >= section_count:
        return DONE
    if done or IN_PROGRESS in section_statuses or resource_status == IN_PROGRESS:
        return IN_PROGRESS
    return NOT_STARTED


@dataclass(frozen=True)
class Statuses:
    """One learner's statuses by unit key, after the rules above."""

    units: Mapping[str, str]  # unit key -> status (missing: not started)
    resources: Mapping[str, str]  # resource slug -> effective status (missing: not started)


def statuses_of(
    index: PlanIndex,
    resource_statuses: Mapping[int, str],
    section_statuses: Mapping[int, str],
    known_stages: frozenset[str] = frozenset(),
) -> Statuses:
    """Statuses read by database id become statuses by unit key and by resource slug."""
    units: dict[str, str] = {}
    by_resource: dict[str, list[str]] = {}
    for section_id, status in section_statuses.items():
        key = index.section_ids.get(section_id)
        if key is not None and status != NOT_STARTED:
            units[key] = status
            by_resource.setdefault(index.sections[key].resource, []).append(status)
    resources: dict[str, str] = {}
    marked = {index.resource_ids[pk]: s for pk, s in resource_statuses.items() if pk in index.resource_ids}
    for slug in sorted(marked.keys() | by_resource.keys()):
        facts = index.resources[slug]
        own = marked.get(slug)
        sectioned = facts.units != (slug,)
        status = effective_status(
            own or NOT_STARTED, by_resource.get(slug, []), len(facts.units) if sectioned else 0
        )
        if status != NOT_STARTED:
            resources[slug] = status
        if own in (DONE, SKIPPED):
            # The whole resource marked: its sections follow, except one the learner set apart.
            for key in facts.units:
                units.setdefault(key, own)
        elif not sectioned and own and own != NOT_STARTED:
            units[slug] = own
    for facts in index.resources.values():
        if facts.stage in known_stages:
            for key in facts.units:
                if units.get(key) != SKIPPED:
                    units[key] = DONE
    return Statuses(units=units, resources=resources)


def knowledge_of(
    statuses: Statuses,
    *,
    known_topics: frozenset[str],
    stage_order: Sequence[str],
    level: int,
    kinds: frozenset[str],
    free_only: bool,
) -> planner.Knowledge:
    units = statuses.units
    return planner.Knowledge(
        known=frozenset(known_topics),
        done=frozenset(key for key, status in units.items() if status == DONE),
        skipped=frozenset(key for key, status in units.items() if status == SKIPPED),
        in_progress=frozenset(key for key, status in units.items() if status == IN_PROGRESS),
        stage_order=tuple(stage_order),
        level=level,
        kinds=frozenset(kinds),
        free_only=free_only,
    )


@dataclass(frozen=True)
class GoalChoice:
    """The learner's goal as stored: a kind and, for a target, its slug."""

    kind: str = "path"
    slug: str = ""


def goal_of(index: PlanIndex, choice: GoalChoice, knowledge: planner.Knowledge) -> planner.Goal:
    """The planner's goal for the learner's choice.

    The whole path is the thread's order: every topic of the first stage (programming),
    one first project, then every topic of a pillar. A target holds only what it needs:
    a project or a book brings its units, what they teach and what they assume; a topic,
    itself and what it rests on. An unknown or retired target falls back to the whole path.
    Units already in progress stay in the plan when they teach something the goal needs.
    """
    curriculum = index.curriculum
    goal = None
    if choice.kind == "topic" and choice.slug in index.topic_names:
        goal = planner.Goal(topics=frozenset({choice.slug}), label=index.topic_names[choice.slug])
    elif choice.kind in ("project", "resource") and choice.slug in index.resources:
        facts = index.resources[choice.slug]
        goal = planner.Goal(topics=_taught(index, facts.units), units=facts.units, label=facts.title)
    if goal is None:
        topics = index.path_topics
        # A project the learner has finished or started is their first project; otherwise the
        # one that needs least.
        touched = knowledge.done | knowledge.in_progress
        started = [key for key in index.projects if key in touched]
        first = started[0] if started else _first_project(index, knowledge)
        units = (first,) if first else ()
        goal = planner.Goal(topics=frozenset(topics) | _taught(index, units), units=units, label="")
    wanted = planner.closure(curriculum.requires, goal.topics | _assumed(index, goal.units))
    wanted |= {topic for key in goal.units for topic in index.units[key].teaches}
    keep = tuple(
        key
        for key in sorted(knowledge.in_progress)
        if key in index.units and key not in goal.units and index.units[key].teaches & wanted
    )
    if keep:
        goal = planner.Goal(topics=goal.topics, units=goal.units + keep, label=goal.label)
    return goal


def _first_project(index: PlanIndex, knowledge: planner.Knowledge) -> str | None:
    """Of the projects not done nor skipped, the one needing the fewest uncovered topics (what it
    assumes and all they rest on), ties by fewer hours, then key. The closures are the index's,
    so this costs one set difference per project (planner.first_project works them out anew)."""
    have = planner.covered(index.curriculum, knowledge)
    choices = [
        (len(needs - have), index.units[key].hours, key)
        for key, needs in index.project_needs.items()
        if key not in knowledge.done and key not in knowledge.skipped
    ]
    return min(choices)[2] if choices else None


def _taught(index: PlanIndex, keys) -> frozenset[str]:
    """What the goal's own units teach: part of the goal, so its bars move as they are done."""
    return frozenset(topic for key in keys for topic in index.units[key].teaches)


def _assumed(index: PlanIndex, keys) -> frozenset[str]:
    return frozenset(topic for key in keys for topic in index.units[key].assumes)


def home_stage(
    index: PlanIndex, topic: str, order: Sequence[str], rank: Mapping[str, int] | None = None
) -> str | None:
    """The stage a topic's bar belongs to: the first, in the learner's order, that teaches it.
    `rank`, each stage's place in `order`, saves finding it again for every topic."""
    stages = index.topic_stages.get(topic)
    if not stages:
        return None
    if rank is None:
        rank = {stage: position for position, stage in enumerate(order)}
    return min(stages, key=lambda stage: rank.get(stage, len(order)))


@dataclass(frozen=True)
class TopicBar:
    slug: str
    name: str
    covered: int
    total: int

    @property
    def percent(self) -> int:
        # Floor, so a bar says 100% only when every topic in it is covered.
        return 100 if self.total == 0 else (100 * self.covered) // self.total

    @property
    def complete(self) -> bool:
        return self.covered >= self.total


def bars(
    index: PlanIndex, plan: planner.Plan, order: Sequence[str]
) -> tuple[tuple[TopicBar, ...], tuple[TopicBar, ...], TopicBar]:
    """Stage bars (in the learner's order), pillar bars (in the catalog's) and the overall bar,
    all counting the goal's topics, each topic once."""
    covered = plan.covered
    by_stage: dict[str, list[int]] = {}
    by_pillar: dict[str, list[int]] = {}
    rank = {stage: position for position, stage in enumerate(order)}
    for topic in plan.goal_topics:
        done = 1 if topic in covered else 0
        stage = home_stage(index, topic, order, rank)
        if stage is not None:
            sums = by_stage.setdefault(stage, [0, 0])
            sums[0] += done
            sums[1] += 1
        pillar = index.curriculum.pillar.get(topic)
        if pillar:
            sums = by_pillar.setdefault(pillar, [0, 0])
            sums[0] += done
            sums[1] += 1
    stage_bars = tuple(
        TopicBar(slug, index.names.get(slug, slug), *by_stage[slug]) for slug in order if slug in by_stage
    )
    pillar_bars = tuple(
        TopicBar(slug, index.names.get(slug, slug), *by_pillar[slug])
        for slug in index.pillars
        if slug in by_pillar
    )
    overall = TopicBar("overall", "Overall", len(covered & plan.goal_topics), len(plan.goal_topics))
    return stage_bars, pillar_bars, overall


def opens(index: PlanIndex, unit: planner.Unit) -> list[str]:
    """The other resources that build on a topic this unit teaches, sorted by slug: what
    `catalog.graph.opened_by` gives over `index.needs`, read from its inverse."""
    found = {slug for topic in unit.teaches for slug in index.builders.get(topic, ())}
    found.discard(unit.resource)
    return sorted(found)


def effective_order(stage_order: Sequence[str], catalog_stages: Sequence[str]) -> tuple[str, ...]:
    """The learner's order, cleaned: unknown stages dropped, duplicates ignored, and stages
    the learner has never ordered (new in the catalog) appended in the catalog's order."""
    known = set(catalog_stages)
    order: list[str] = []
    for slug in stage_order:
        if slug in known and slug not in order:
            order.append(slug)
    order += [slug for slug in catalog_stages if slug not in order]
    return tuple(order)


@dataclass(frozen=True)
class Eta:
    hours: float
    weeks: float
    finish: date | None

    @property
    def weeks_label(self) -> str:
        if self.hours <= 0:
            return "nothing left"
        if self.weeks < 1:
            return "under a week"
        whole = math.ceil(self.weeks)
        return f"about {whole} week{'s' if whole != 1 else ''}"


def eta(remaining_hours: float, hours_per_week: float, today: date) -> Eta:
    """Remaining hours at the learner's pace, as weeks and a projected finishing date.

    Hours are the plan's, each topic taught once; a unit already in progress still counts in
    full, since we do not know how far into it the learner is.
    """
    remaining = max(0.0, float(remaining_hours))
    if remaining == 0:
        return Eta(0.0, 0.0, today)
    if hours_per_week <= 0:
        return Eta(remaining, math.inf, None)
    weeks = remaining / float(hours_per_week)
    return Eta(remaining, weeks, today + timedelta(days=math.ceil(weeks * 7)))
