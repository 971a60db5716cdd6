"""The plan to a goal as pure functions: which units to study, in what order, and why.

No Django and no database: the caller turns the catalog and one learner's statuses into
plain `Curriculum`, `Knowledge` and `Goal` values, so the rules are property-tested on
random catalogs (tests/test_planner.py) and the cost stays near-linear in the catalog.

Words used throughout:

- *covered*: a topic the learner knows, or that a unit they have done teaches.
- *goal topics*: the goal's topics, the topics its units assume, and everything those rest
  on; *needed*: the goal topics that are not covered.
- *effective prerequisites* of a unit: the topics it assumes, plus those the needed topics
  it teaches rest on, less the topics it teaches itself. A step comes after all of them.
- *eligible*: not done, not skipped, and assuming nothing outside the goal but what is covered.
- *reachable*: eligible, and placeable some day because eligible units can cover its
  effective prerequisites before it. A needed topic no reachable unit teaches is
  *uncoverable*: reported, never dropped.
"""

import heapq
import math
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

_NEVER = 1 << 60  # after every position and every choice: not taught, not chosen


# Slots: a plan reads every unit once, and at 20,000 units smaller objects mean fewer trips
# to memory, which is most of what that pass costs.
@dataclass(frozen=True, slots=True)
class Unit:
    """Something a learner can study: a section (chapter, episode, lecture) or a whole resource."""

    key: str  # "resource-slug" for a whole resource, "resource-slug/section-slug" for a section
    resource: str
    title: str
    hours: float
    stage: str
    teaches: frozenset[str]
    assumes: frozenset[str] = frozenset()
    sources: int = 0  # how many seed documents recommend its resource
    level: int = 1  # 1 beginner, 2 intermediate, 3 advanced
    kind: str = ""
    cost: str = "free"
    pillar: str | None = None
    position: int = 0  # a section's place in its resource; 0 for a whole resource


@dataclass(frozen=True)
class Curriculum:
    """The catalog as the planner sees it: the topic DAG and the units that teach it."""

    requires: Mapping[str, frozenset[str]]  # topic -> the topics it rests on
    pillar: Mapping[str, str | None]  # topic -> its pillar
    # Sections for a resource that has them, the whole resource otherwise.
    units: tuple[Unit, ...]
    stages: tuple[str, ...]  # the catalog's default stage order


@dataclass(frozen=True)
class Knowledge:
    """What one learner knows, has done, has set aside, and prefers."""

    known: frozenset[str] = frozenset()  # topics
    done: frozenset[str] = frozenset()  # unit keys, resource and sections already expanded
    skipped: frozenset[str] = frozenset()  # unit keys: "not for me", never planned, covers nothing
    in_progress: frozenset[str] = frozenset()
    stage_order: tuple[str, ...] = ()  # empty: the catalog's order
    level: int = 1
    kinds: frozenset[str] = frozenset()  # empty: no preference
    free_only: bool = False


@dataclass(frozen=True)
class Goal:
    """Where the learner is heading: topics, and units that must be in the plan."""

    topics: frozenset[str]
    # A target project, every section of a target book: always planned (unless done or
    # skipped), and what they assume joins the goal's topics.
    units: tuple[str, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class Step:
    """One unit of the plan, the needed topics it is the first to teach, and its rivals."""

    unit: Unit
    topics: tuple[str, ...]
    alternatives: tuple[Unit, ...]
    assumed: tuple[str, ...]  # its effective prerequisites that are needed topics
    why_over: tuple[str, ...]  # why this unit rather than its best alternative


@dataclass(frozen=True)
class Plan:
    """The steps to a goal, in order, with what the goal covers and what nothing can."""

    steps: tuple[Step, ...]
    goal_topics: frozenset[str]
    needed: frozenset[str]
    covered: frozenset[str]  # the goal topics already covered
    uncoverable: tuple[str, ...]

    @property
    def hours(self) -> float:
        """Each unit's hours once."""
        return sum(step.unit.hours for step in self.steps)

    @property
    def next(self) -> Step | None:
        """The first step; None when nothing is left to study."""
        return self.steps[0] if self.steps else None


def closure(requires: Mapping[str, Iterable[str]], topics: Iterable[str]) -> frozenset[str]:
    """The topics and everything they rest on, transitively (each topic visited once)."""
    seen = set(topics)
    stack = list(seen)
    while stack:
        for below in requires.get(stack.pop(), ()):
            if below not in seen:
                seen.add(below)
                stack.append(below)
    return frozenset(seen)


def covered(curriculum: Curriculum, learner: Knowledge) -> frozenset[str]:
    """What the learner knows plus what every done unit teaches; a skipped unit covers nothing."""
    return _scan(curriculum, learner, frozenset())[0]


def _scan(curriculum: Curriculum, learner: Knowledge, wanted: frozenset[str]) -> tuple[frozenset[str], dict]:
    # One pass for what is covered and for the goal's units: at catalog scale every pass
    # over the units costs more than the arithmetic in it.
    topics = set(learner.known)
    found: dict[str, Unit] = {}
    done, skipped = learner.done, learner.skipped
    for unit in curriculum.units:
        key = unit.key
        if key in done and key not in skipped:
            topics |= unit.teaches
        if key in wanted:
            found.setdefault(key, unit)
    return frozenset(topics), found


def prerequisites(
    unit: Unit, requires: Mapping[str, Iterable[str]], needed: frozenset[str]
) -> frozenset[str]:
    """A unit's effective prerequisites: what it assumes, plus what the needed topics it teaches
    rest on, less what it teaches itself."""
    topics = set(unit.assumes)
    for topic in unit.teaches:
        if topic in needed:
            topics.update(requires.get(topic, ()))
    return frozenset(topics - unit.teaches)


def _preference(unit: Unit, learner: Knowledge) -> tuple:
    """Rules 2 onwards of the choice, lowest first: more sources, nearer the learner's level,
    a preferred kind, free when they want free, already started, fewer hours, then key.
    Rule 1 (how much of what is still uncovered it teaches) changes as units are chosen."""
    return (
        -unit.sources,
        abs(unit.level - learner.level),
        bool(learner.kinds) and unit.kind not in learner.kinds,
        learner.free_only and unit.cost != "free",
        unit.key not in learner.in_progress,
        unit.hours,
        unit.key,
    )


def _ranking(
    sources: list[int], distance: list[int], misfit: list[int], hours: list[float], keys: list[str]
) -> list[int]:
    """Positions in `_preference`'s order, from its rules one column each (`misfit` packs the
    kind, free and started rules as three bits, in that order).

    Stable sorts from the last rule to the first, each on plain numbers or strings: no tuple
    per unit. Input position breaks ties only between duplicate keys, which a catalog never has."""
    ranked = sorted(range(len(keys)), key=keys.__getitem__)
    ranked.sort(key=hours.__getitem__)
    most, spread = max(sources, default=0), max(distance, default=0) + 1
    first_rules = [
        ((most - count) * spread + far) * 8 + fit
        for count, far, fit in zip(sources, distance, misfit, strict=True)
    ]
    ranked.sort(key=first_rules.__getitem__)
    return ranked


class _Planner:
    """One plan's working state. Candidate units are numbered in input order and ranked by
    `_preference`, needed topics numbered by name, so every list below is indexed by a
    number and every tie is decided by rank, whatever order the catalog came in."""

    def __init__(self, curriculum: Curriculum, learner: Knowledge, goal: Goal):
        requires = curriculum.requires
        self.learner = learner
        self.have, targets = _scan(curriculum, learner, frozenset(goal.units))
        goal_keys = [key for key in dict.fromkeys(goal.units) if key in targets]
        self.goal_topics = closure(requires, goal.topics.union(*(targets[key].assumes for key in goal_keys)))
        needed = self.needed = self.goal_topics - self.have
        self.names = sorted(needed)
        topic_id = {topic: index for index, topic in enumerate(self.names)}
        finished = learner.done | learner.skipped
        must = {key for key in goal_keys if key not in finished}
        allowed = self.goal_topics | self.have
        # What each needed topic rests on, as numbers, once per topic rather than per unit.
        below = [
            tuple(sorted(topic_id[topic] for topic in requires.get(name, ()) if topic in topic_id))
            for name in self.names
        ]
        alone = [(index,) for index in range(len(self.names))]  # shared by units teaching one topic
        # Every pass over the units costs more than the arithmetic in it (at 20,000 units they
        # no longer fit in the processor's cache), so this is the one pass that reads them.
        # Few new containers per unit, and tuples of numbers rather than lists (the garbage
        # collector stops tracking those): at catalog scale each container kept alive brings
        # the next collection nearer.
        found: list[Unit] = []
        found_taught: list[tuple[int, ...]] = []
        found_missing: list[tuple[int, ...]] = []
        # `_preference`, one column per rule, for `_ranking`.
        sources: list[int] = []
        distance: list[int] = []
        misfit: list[int] = []
        hours: list[float] = []
        keys: list[str] = []
        level, kinds = learner.level, learner.kinds
        free_only, started = learner.free_only, learner.in_progress
        for unit in curriculum.units:
            key = unit.key
            if key in finished:
                continue
            hits = unit.teaches & needed
            # A unit teaching nothing needed can never be a step, nor an alternative.
            if not hits and key not in must:
                continue
            assumes = unit.assumes
            # What a unit assumes but teaches itself is no prerequisite of it.
            if assumes and not assumes <= allowed and not assumes - unit.teaches <= allowed:
                continue
            if len(hits) == 1:
                (only,) = hits
                taught = alone[topic_id[only]]
            else:
                taught = tuple(sorted(map(topic_id.__getitem__, hits)))
            if assumes or len(taught) != 1:
                lacking = {topic_id[topic] for topic in assumes if topic in topic_id}
                for topic in taught:
                    lacking.update(below[topic])
                lacking.difference_update(taught)
                found_missing.append(tuple(sorted(lacking)))
            else:
                found_missing.append(below[taught[0]])  # a DAG has no topic below itself
            found.append(unit)
            found_taught.append(taught)
            sources.append(unit.sources)
            distance.append(abs(unit.level - level))
            misfit.append(
                4 * bool(kinds and unit.kind not in kinds)
                + 2 * (free_only and unit.cost != "free")
                + (key not in started)
            )
            hours.append(unit.hours)
            keys.append(key)
        # Units keep their input order, the order they lie in memory, which every walk below
        # follows; `rank` is their order by `_preference`, and decides every tie.
        self.units, self.taught, self.missing = found, found_taught, found_missing
        self.ranked = _ranking(sources, distance, misfit, hours, keys)
        self.rank = [0] * len(found)
        for position, index in enumerate(self.ranked):
            self.rank[index] = position
        stage_rank: dict[str, int] = {}
        for stage in (*learner.stage_order, *curriculum.stages):
            stage_rank.setdefault(stage, len(stage_rank))
        unknown_stage = len(stage_rank)
        self.stage = [stage_rank.get(unit.stage, unknown_stage) for unit in found]
        self.teachers: list[list[int]] = [[] for _ in self.names]
        self.needers: list[list[int]] = [[] for _ in self.names]
        seen: dict[str, int] = {}
        for index, (unit, taught, missing) in enumerate(zip(found, found_taught, found_missing, strict=True)):
            seen.setdefault(unit.key, index)
            for topic in taught:
                self.teachers[topic].append(index)
            for topic in missing:
                self.needers[topic].append(index)
        self.goal_ids = [seen[key] for key in goal_keys if key in seen]
        self.must = bytearray(len(self.units))
        for index in self.goal_ids:
            self.must[index] = 1
        self.choice = [_NEVER] * len(self.units)
        self.chosen: list[int] = []
        self.resource_choice: dict[str, int] = {}  # resource -> when its first unit was chosen

    def reach(self) -> None:
        """Which units can ever be placed, and how early: a unit's depth is one more than the
        latest of its prerequisites, a topic's the least of its teachers' (0: never).

        Breadth-first with a count of what each unit still lacks (Kahn), so each topic and
        each prerequisite edge is visited once."""
        self.depth = [0] * len(self.units)
        self.topic_depth = [0] * len(self.names)
        lacking = [len(missing) for missing in self.missing]
        queue = [index for index, count in enumerate(lacking) if not count]
        for index in queue:
            self.depth[index] = 1
        head = 0
        while head < len(queue):
            index = queue[head]
            head += 1
            depth = self.depth[index]
            for topic in self.taught[index]:
                if self.topic_depth[topic]:
                    continue
                self.topic_depth[topic] = depth
                for other in self.needers[topic]:
                    lacking[other] -= 1
                    if not lacking[other]:
                        self.depth[other] = depth + 1
                        queue.append(other)
        self.reachable = queue

    def _choose(self, index: int) -> None:
        self.choice[index] = len(self.chosen)
        self.resource_choice.setdefault(self.units[index].resource, len(self.chosen))
        self.chosen.append(index)

    def choose(self) -> None:
        """Goal units first, then greedily the unit teaching most of what is still uncovered,
        ties by `_preference`. Gains only fall, so a stale entry moves down to its current
        gain when it surfaces (lazy greedy): each taught topic is paid for once."""
        gain = [0] * len(self.units)
        for index in self.reachable:
            gain[index] = len(self.taught[index])
        uncovered = bytearray(len(self.names))
        for topic, depth in enumerate(self.topic_depth):
            uncovered[topic] = depth > 0

        def take(index: int) -> None:
            self._choose(index)
            for topic in self.taught[index]:
                if uncovered[topic]:
                    uncovered[topic] = 0
                    for other in self.teachers[topic]:
                        gain[other] -= 1

        for index in self.goal_ids:
            if self.depth[index]:  # a goal unit nothing can ever prepare stays out
                take(index)
        # A bucket per gain instead of a heap: a bucket is only added to while a higher one is
        # being worked through, so sorting it once when its turn comes gives the heap's order.
        buckets: list[list[int]] = [[] for _ in range(max(gain, default=0) + 1)]
        # In rank order, so each bucket starts sorted and sorting it is cheap. Only reachable
        # units: the others' gains, never set, fall below zero as topics are covered.
        for index in self.ranked:
            if self.depth[index] and gain[index] > 0 and self.choice[index] == _NEVER:
                buckets[gain[index]].append(index)
        for best in range(len(buckets) - 1, 0, -1):
            bucket = buckets[best]
            bucket.sort(key=self.rank.__getitem__)
            for index in bucket:
                if self.choice[index] != _NEVER:
                    continue
                if gain[index] != best:
                    if gain[index] > 0:
                        buckets[gain[index]].append(index)
                    continue
                take(index)

    def priority(self, index: int) -> tuple[int, int, int, int, int]:
        # A goal unit goes as soon as it is ready; then the learner's stage order. Within a
        # stage a resource's chapters stay together and in their own order (a book read from
        # chapter 2 to 5, not 5 then 2), resources in the order they were chosen.
        unit = self.units[index]
        return (
            0 if self.must[index] else 1,
            self.stage[index],
            self.resource_choice[unit.resource],
            unit.position,
            self.choice[index],
        )

    def order(self, members: list[int], repair: bool) -> list[int]:
        """Kahn's order of `members`, by `priority` among the ready ones. When all that wait are
        stuck on one another (A teaches what B assumes and B what A assumes), the earliest
        teachers of what the first of them lacks join the plan, which always unblocks it."""
        inside, placed = bytearray(len(self.units)), bytearray(len(self.units))
        known = bytearray(len(self.names))
        waiting: dict[int, int] = {}
        # topic -> the members still waiting for it: only members are walked, never every unit
        # that needs the topic, so a reordering costs the plan's size, not the catalog's.
        blocked: dict[int, list[int]] = {}
        ready: list[tuple[tuple[int, int, int], int]] = []

        def enlist(index: int) -> None:
            inside[index] = 1
            count = 0
            for topic in self.missing[index]:
                if not known[topic]:
                    count += 1
                    blocked.setdefault(topic, []).append(index)
            waiting[index] = count
            if not count:
                heapq.heappush(ready, (self.priority(index), index))

        for index in members:
            enlist(index)
        total = len(members)
        # A stuck unit is placed before the next stall (its repair places it), so one
        # cursor over the members in priority order finds every stuck unit in linear time.
        queue = sorted(members, key=self.priority)
        cursor = 0
        repaired = bytearray(len(self.names))
        sequence: list[int] = []
        while len(sequence) < total:
            if not ready:
                if not repair:
                    raise AssertionError("a pruned plan must still be in a valid order")
                while placed[queue[cursor]]:
                    cursor += 1
                total += self._repair(queue[cursor], known, inside, repaired, enlist)
                if not ready:
                    raise AssertionError("a repair must unblock the plan")
                continue
            _, index = heapq.heappop(ready)
            placed[index] = 1
            sequence.append(index)
            for topic in self.taught[index]:
                if known[topic]:
                    continue
                known[topic] = 1
                for other in blocked.pop(topic, ()):
                    waiting[other] -= 1
                    if not waiting[other]:
                        heapq.heappush(ready, (self.priority(other), other))
        return sequence

    def _repair(self, stuck: int, known: bytearray, inside: bytearray, repaired: bytearray, enlist) -> int:
        # Each lacking topic gets its shallowest teacher (one already in the plan if possible),
        # and so on down: depths fall strictly, so the chain bottoms out in something ready.
        # A topic is repaired once per ordering, so all repairs together stay linear.
        added = 0
        stack = [topic for topic in reversed(self.missing[stuck]) if not known[topic]]
        while stack:
            topic = stack.pop()
            if known[topic] or repaired[topic]:
                continue
            repaired[topic] = 1
            depth = self.topic_depth[topic]
            teacher = min(
                (other for other in self.teachers[topic] if self.depth[other] == depth),
                key=lambda other: (not inside[other], self.rank[other]),
            )
            if not inside[teacher]:
                self._choose(teacher)
                enlist(teacher)
                added += 1
            stack.extend(t for t in reversed(self.missing[teacher]) if not known[t] and not repaired[t])
        return added

    def prune(self, sequence: list[int]) -> set[int]:
        """The steps to drop so that none is left that could go: a step can go when it is no
        goal unit, every needed topic it teaches has another teacher, and where it is the first
        teacher, the second comes before the first step that needs the topic.

        Reverse order of choice, as in reverse-delete. Dropping a step only ever frees the
        first teacher of what that step needed, so only that one is looked at again; heads
        into the per-topic position lists only move forward."""
        size = len(self.names)
        teach_at: list[list[int]] = [[] for _ in range(size)]
        need_at: list[list[int]] = [[] for _ in range(size)]
        for position, index in enumerate(sequence):
            for topic in self.taught[index]:
                teach_at[topic].append(position)
            for topic in self.missing[index]:
                need_at[topic].append(position)
        alive = [True] * len(sequence)
        count = [len(positions) for positions in teach_at]
        first = [0] * size  # into teach_at: the first alive teacher
        needer = [0] * size  # into need_at: the first alive step that needs it
        # into teach_at: the teachers before the first needer, and how many of them are alive
        edge = [bisect_left(teach_at[t], need_at[t][0]) if need_at[t] else count[t] for t in range(size)]
        early = list(edge)

        def first_teacher(topic: int) -> int:
            positions, head = teach_at[topic], first[topic]
            while not alive[positions[head]]:
                head += 1
            first[topic] = head
            return positions[head]

        def can_go(position: int) -> bool:
            index = sequence[position]
            if self.must[index] or not alive[position]:
                return False
            for topic in self.taught[index]:
                if count[topic] < 2 or (first_teacher(topic) == position and early[topic] < 2):
                    return False
            return True

        work = deque(sorted(range(len(sequence)), key=lambda p: -self.choice[sequence[p]]))
        dropped: set[int] = set()
        while work:
            position = work.popleft()
            if not can_go(position):
                continue
            alive[position] = False
            index = sequence[position]
            dropped.add(index)
            for topic in self.taught[index]:
                count[topic] -= 1
                positions = teach_at[topic]
                if edge[topic] == len(positions) or position < positions[edge[topic]]:
                    early[topic] -= 1
            for topic in self.missing[index]:
                positions, head = need_at[topic], needer[topic]
                if positions[head] != position:
                    continue
                head += 1
                while head < len(positions) and not alive[positions[head]]:
                    head += 1
                needer[topic] = head
                until = positions[head] if head < len(positions) else _NEVER
                teachers, at = teach_at[topic], edge[topic]
                while at < len(teachers) and teachers[at] < until:
                    early[topic] += alive[teachers[at]]
                    at += 1
                edge[topic] = at
                if count[topic] >= 2:
                    work.append(first_teacher(topic))
        return dropped

    def steps(self, sequence: list[int]) -> tuple[Step, ...]:
        """Each step with the needed topics it teaches first, what it assumes, and up to three
        alternatives: other units teaching all its topics, ready by then, best first."""
        first_at = [_NEVER] * len(self.names)
        for position, index in enumerate(sequence):
            for topic in self.taught[index]:
                if first_at[topic] == _NEVER:
                    first_at[topic] = position
        in_plan = set(sequence)
        size = len(self.units)
        # The alternatives' order as one number per unit (more needed topics taught, then
        # rank), so sorting a topic's teachers runs without a Python call per unit.
        alternative_order = [
            rank - size * len(taught) for rank, taught in zip(self.rank, self.taught, strict=True)
        ]
        unknown = -2
        ready_after = [unknown] * len(self.units)  # the last position its prerequisites wait for
        result = []
        for position, index in enumerate(sequence):
            unit = self.units[index]
            topics = [topic for topic in self.taught[index] if first_at[topic] == position]
            rivals: list[int] = []
            if topics and not self.must[index]:
                # Every candidate teaches the rarest topic. Sorting and scanning its teachers
                # costs about the teachers of all the step's topics, and each topic is in one
                # step only; a unit's readiness is worked out once, on first sight.
                rarest = min(topics, key=lambda topic: len(self.teachers[topic]))
                names = [self.names[topic] for topic in topics] if len(topics) > 1 else ()
                for other in sorted(self.teachers[rarest], key=alternative_order.__getitem__):
                    if other in in_plan:
                        continue
                    after = ready_after[other]
                    if after == unknown:
                        after = ready_after[other] = max(
                            map(first_at.__getitem__, self.missing[other]), default=-1
                        )
                    if after >= position or (
                        names and not all(name in self.units[other].teaches for name in names)
                    ):
                        continue
                    rivals.append(other)
                    if len(rivals) == 3:
                        break
            result.append(
                Step(
                    unit=unit,
                    topics=tuple(self.names[t] for t in topics),
                    alternatives=tuple(self.units[other] for other in rivals),
                    assumed=tuple(self.names[t] for t in self.missing[index]),
                    why_over=self._why_over(index, rivals[0]) if rivals else (),
                )
            )
        return tuple(result)

    def _why_over(self, index: int, rival: int) -> tuple[str, ...]:
        """One clause per rule of the choice on which the unit beats its best alternative, in
        the rules' order; never a claim the numbers do not back."""
        unit, other, learner = self.units[index], self.units[rival], self.learner
        reasons = []
        mine, theirs = len(self.taught[index]), len(self.taught[rival])
        if mine > theirs:
            reasons.append(f"it teaches {mine} of the topics you need, its best alternative {theirs}")
        if unit.sources > other.sources:
            verb = "recommends" if unit.sources == 1 else "recommend"
            noun = "source" if unit.sources == 1 else "sources"
            reasons.append(f"{unit.sources} {noun} {verb} it, against {other.sources}")
        distance, rival_distance = abs(unit.level - learner.level), abs(other.level - learner.level)
        if distance < rival_distance:
            reasons.append("it is at your level" if distance == 0 else "it is closer to your level")
        if learner.kinds and unit.kind in learner.kinds and other.kind not in learner.kinds:
            reasons.append(f"it is {_kind_phrase(unit.kind)}, as you prefer")
        if learner.free_only and unit.cost == "free" and other.cost != "free":
            reasons.append("it is free")
        if unit.key in learner.in_progress and other.key not in learner.in_progress:
            reasons.append("you have already started it")
        if unit.hours < other.hours:
            reasons.append(f"it takes {unit.hours:g} hours, against {other.hours:g}")
        if reasons:
            return tuple(reasons)
        if _preference(unit, learner)[:-1] == _preference(other, learner)[:-1] and mine == theirs:
            return ("either will do",)
        # The alternative looks better on its own, but it was not chosen: what else it teaches
        # is covered elsewhere, or it would have to wait for more of the plan.
        return ("it fits the rest of your plan better",)


_KIND_PHRASES = {"interactive": "interactive", "article": "an article"}


def _kind_phrase(kind: str) -> str:
    words = kind.replace("_", " ")
    return _KIND_PHRASES.get(kind) or (f"an {words}" if words[:1] in "aeiou" else f"a {words}")


def plan(curriculum: Curriculum, learner: Knowledge, goal: Goal) -> Plan:
    """Steps covering every needed topic that can be covered, each after its effective
    prerequisites, none of them spare; what nothing can cover is listed as uncoverable.

    Each pass is about linear in units plus topic edges: which units can ever be placed
    (Kahn-style, a count per unit); which to take (goal units, then lazy greedy by gain in
    buckets); their order (Kahn with a heap over the plan's units only, a cycle among them
    repaired with earlier teachers); dropping spare steps (reverse-delete with heads that only
    move forward); and each step's topics and alternatives. Dropping and reordering repeat
    until nothing is spare, each round costing the plan's size and the needed topics.
    """
    planner = _Planner(curriculum, learner, goal)
    planner.reach()
    planner.choose()
    sequence = planner.order(list(planner.chosen), repair=True)
    # Pruning keeps a valid order, but the order of what is left may differ (an earlier
    # stage can move up), and in that order another step may turn out spare.
    while dropped := planner.prune(sequence):
        sequence = planner.order([index for index in sequence if index not in dropped], repair=False)
    return Plan(
        steps=planner.steps(sequence),
        goal_topics=planner.goal_topics,
        needed=planner.needed,
        covered=planner.goal_topics & planner.have,
        uncoverable=tuple(
            name for name, depth in zip(planner.names, planner.topic_depth, strict=True) if not depth
        ),
    )


def opens(curriculum: Curriculum, learner: Knowledge, plan: Plan, step: Step) -> tuple[Unit, ...]:
    """The later steps whose effective prerequisites are all covered once `step` is done, and
    not before: what the learner covers and every earlier step count as done.

    Each step's `assumed` already holds its prerequisites that are not covered, so the plan is
    all this reads (the catalog and learner only keep one signature for every caller), and
    listing what every step opens costs the plan's size, never the catalog's."""
    keys = [each.unit.key for each in plan.steps]
    if step.unit.key not in keys:
        return ()
    at = keys.index(step.unit.key)
    before: set[str] = set()
    for earlier in plan.steps[:at]:
        before.update(earlier.topics)
    mine = set(step.topics)
    return tuple(
        later.unit
        for later in plan.steps[at + 1 :]
        if mine.intersection(later.assumed)
        and all(topic in before or topic in mine for topic in later.assumed)
    )


def first_project(curriculum: Curriculum, learner: Knowledge, project_keys: Iterable[str]) -> str | None:
    """Of the projects not done nor skipped, the one needing the fewest uncovered topics (what
    it assumes and all they rest on), ties by fewer hours, then key."""
    have = covered(curriculum, learner)
    by_key: dict[str, Unit] = {}
    for unit in curriculum.units:
        by_key.setdefault(unit.key, unit)
    best = None
    for key in sorted(set(project_keys)):
        unit = by_key.get(key)
        if unit is None or key in learner.done or key in learner.skipped:
            continue
        cost = (len(closure(curriculum.requires, unit.assumes) - have), unit.hours, key)
        best = cost if best is None or cost < best else best
    return best[2] if best else None


def eta(hours: float, hours_per_week: float, today: date) -> tuple[int, date]:
    """Whole weeks at the learner's pace (a part week counts), and the day they end."""
    if hours_per_week <= 0:
        raise ValueError("hours_per_week must be positive")
    if hours <= 0:
        return 0, today
    # Rounded first, so float noise (0.3 / 0.1 = 2.9999...) does not add a week.
    weeks = math.ceil(round(hours / hours_per_week, 9))
    return weeks, today + timedelta(weeks=weeks)


def pillar_bars(curriculum: Curriculum, plan: Plan) -> tuple[tuple[str, int, int], ...]:
    """Per pillar with at least one goal topic: (pillar, covered goal topics, goal topics),
    sorted by pillar slug so the bars keep their places from one request to the next."""
    counts: dict[str, list[int]] = {}
    for topic in sorted(plan.goal_topics):
        pillar = curriculum.pillar.get(topic)
        if pillar is None:
            continue
        tally = counts.setdefault(pillar, [0, 0])
        tally[0] += topic in plan.covered
        tally[1] += 1
    return tuple((pillar, done, total) for pillar, (done, total) in sorted(counts.items()))
