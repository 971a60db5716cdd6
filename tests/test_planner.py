"""The planner (mlpath/progress/planner.py): its rules on a tiny hand-made catalog, then its
promises as properties of random catalogs, each checked against the plain definitions
written out again here (coverage, order, no repeats, nothing spare, nothing known,
determinism). Pure functions: no database."""

import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpath.progress.planner import (
    Curriculum,
    Goal,
    Knowledge,
    Unit,
    _Planner,
    _preference,
    closure,
    covered,
    eta,
    first_project,
    opens,
    pillar_bars,
    plan,
    prerequisites,
)

STAGES = ("programming", "projects", "math", "deep-learning")
REQUIRES = {
    "python": frozenset(),
    "numpy": frozenset({"python"}),
    "vectors": frozenset(),
    "matrices": frozenset({"vectors"}),
    "derivatives": frozenset(),
    "gradients": frozenset({"derivatives", "vectors"}),
    "backprop": frozenset({"gradients", "matrices"}),
    "topology": frozenset(),
}
PILLARS = {
    "vectors": "linear-algebra",
    "matrices": "linear-algebra",
    "derivatives": "calculus",
    "gradients": "calculus",
}
EVERYTHING = frozenset(REQUIRES) - {"topology"}


def unit(key, teaches="", assumes="", *, stage="math", hours=5, **fields):
    return Unit(
        key=key,
        resource=key.split("/")[0],
        title=key,
        hours=hours,
        stage=stage,
        teaches=frozenset(teaches.split()),
        assumes=frozenset(assumes.split()),
        **fields,
    )


UNITS = (
    unit("py-book", "python numpy", stage="programming", sources=3, kind="book"),
    unit("py-video", "python", stage="programming", sources=5, kind="video"),
    unit("numpy-article", "numpy", stage="programming", sources=1, kind="article"),
    unit("la-course/1", "vectors", sources=2, kind="course"),
    unit("la-course/2", "matrices", "vectors", sources=2, kind="course"),
    unit("calc-book", "derivatives gradients", sources=2, kind="book"),
    unit("dl-lectures/1", "backprop", stage="deep-learning", sources=1, kind="lecture_series"),
    unit("nn-project", "", "backprop numpy", stage="projects", kind="project", hours=10),
    unit("tiny-project", "", "python", stage="projects", kind="project", hours=3),
)


def catalog(units=UNITS, requires=None):
    return Curriculum(requires=requires or REQUIRES, pillar=PILLARS, units=tuple(units), stages=STAGES)


def keys(result):
    return [step.unit.key for step in result.steps]


def test_closure_adds_everything_the_topics_rest_on():
    assert closure(REQUIRES, {"backprop"}) == {"backprop", "gradients", "derivatives", "vectors", "matrices"}
    assert closure(REQUIRES, {"unheard-of"}) == {"unheard-of"}


def test_covered_is_what_you_know_and_what_you_have_done_but_never_what_you_skipped():
    learner = Knowledge(known=frozenset({"topology"}), done=frozenset({"calc-book", "py-book"}))
    assert covered(catalog(), learner) == {"topology", "derivatives", "gradients", "python", "numpy"}
    skipped = Knowledge(done=frozenset({"py-book"}), skipped=frozenset({"py-book"}))
    assert covered(catalog(), skipped) == frozenset()


def test_it_orders_by_prerequisites_then_the_catalogs_stage_order():
    result = plan(catalog(), Knowledge(), Goal(EVERYTHING))
    assert keys(result) == ["py-book", "la-course/1", "calc-book", "la-course/2", "dl-lectures/1"]
    assert result.needed == EVERYTHING and result.uncoverable == ()
    assert result.hours == 25
    assert result.next.unit.key == "py-book"


def test_the_learners_stage_order_decides_within_prerequisites():
    order = ("math", "deep-learning", "programming", "projects")
    result = plan(catalog(), Knowledge(stage_order=order), Goal(EVERYTHING))
    assert keys(result) == ["la-course/1", "calc-book", "la-course/2", "dl-lectures/1", "py-book"]


def test_a_books_chapters_stay_together_and_in_their_own_order():
    # Chapter 3 teaches the most, so it is chosen first, and "extra" has more sources than
    # chapters 1 and 2; the plan still reads the book from chapter 1 to 3, then the rest.
    units = (
        unit("book/3", "derivatives gradients", position=3),
        unit("book/1", "vectors", position=1),
        unit("book/2", "matrices", position=2),
        unit("extra", "topology", sources=4),
    )
    result = plan(
        catalog(units, {}),
        Knowledge(),
        Goal(frozenset({"vectors", "matrices", "derivatives", "gradients", "topology"})),
    )
    assert keys(result) == ["book/1", "book/2", "book/3", "extra"]


def test_it_prefers_a_unit_that_teaches_more_needed_topics():
    result = plan(catalog(), Knowledge(), Goal(frozenset({"python", "numpy"})))
    # py-video has more sources, but py-book alone teaches both topics.
    assert keys(result) == ["py-book"]
    assert result.steps[0].topics == ("numpy", "python")


@pytest.mark.parametrize(
    ("rival", "learner", "clause"),
    [
        ({"sources": 1}, Knowledge(), "3 sources recommend it, against 1"),
        ({"level": 3}, Knowledge(level=1), "it is at your level"),
        ({"kind": "book"}, Knowledge(kinds=frozenset({"video"})), "it is a video, as you prefer"),
        ({"cost": "paid"}, Knowledge(free_only=True), "it is free"),
        ({"hours": 9}, Knowledge(), "it takes 5 hours, against 9"),
        ({}, Knowledge(in_progress=frozenset({"a-mine"})), "you have already started it"),
        ({}, Knowledge(), "either will do"),  # only the key tells them apart
    ],
)
def test_each_rule_of_the_choice_decides_a_tie_and_says_so(rival, learner, clause):
    mine = {"sources": 3, "level": 1, "kind": "video", "cost": "free"}
    units = (unit("z-rival", "vectors", **{**mine, **rival}), unit("a-mine", "vectors", **mine))
    step = plan(catalog(units), learner, Goal(frozenset({"vectors"}))).steps[0]
    assert step.unit.key == "a-mine"
    assert [alternative.key for alternative in step.alternatives] == [units[0].key]
    assert step.why_over == (clause,)


def test_a_skipped_unit_is_never_planned_and_its_topics_go_to_the_next_best():
    learner = Knowledge(skipped=frozenset({"py-book"}))
    result = plan(catalog(), learner, Goal(frozenset({"python", "numpy"})))
    assert keys(result) == ["py-video", "numpy-article"]
    assert result.steps[1].assumed == ("python",)


def test_known_topics_are_never_planned():
    result = plan(catalog(), Knowledge(known=frozenset({"python"})), Goal(frozenset({"python", "numpy"})))
    assert keys(result) == ["py-book"]
    assert result.steps[0].topics == ("numpy",)
    assert result.steps[0].assumed == ()
    assert result.covered == {"python"} and result.needed == {"numpy"}


def test_a_done_unit_covers_what_it_teaches_and_is_never_planned():
    result = plan(catalog(), Knowledge(done=frozenset({"calc-book"})), Goal(frozenset({"gradients"})))
    assert result.covered == {"gradients", "derivatives"}
    # What gradients rest on is still part of the goal, and vectors is not covered yet.
    assert result.needed == {"vectors"}
    assert keys(result) == ["la-course/1"]


def test_a_project_goal_holds_only_what_the_project_needs():
    result = plan(catalog(), Knowledge(), Goal(frozenset(), units=("tiny-project",)))
    assert result.goal_topics == {"python"}
    # py-book would also teach numpy, which this goal does not need: py-video has more sources.
    assert keys(result) == ["py-video", "tiny-project"]
    bigger = plan(catalog(), Knowledge(), Goal(frozenset(), units=("nn-project",)))
    assert bigger.goal_topics == EVERYTHING
    assert keys(bigger)[-1] == "nn-project"
    assert bigger.steps[-1].assumed == ("backprop", "numpy")


def test_a_goal_unit_is_placed_as_soon_as_its_prerequisites_are_covered():
    order = ("programming", "math", "deep-learning", "projects")
    result = plan(catalog(), Knowledge(stage_order=order), Goal(EVERYTHING, units=("tiny-project",)))
    assert keys(result)[:2] == ["py-book", "tiny-project"]
    assert result.steps[1].alternatives == ()


def test_uncoverable_topics_are_reported():
    units = [each for each in UNITS if each.key != "dl-lectures/1"]
    units.append(unit("topology-book", "topology", "backprop"))
    result = plan(catalog(units), Knowledge(), Goal(frozenset({"topology", "backprop"})))
    assert result.uncoverable == ("backprop", "topology")
    assert "topology-book" not in keys(result)
    # What the unreachable topics rest on is still planned.
    assert {"la-course/1", "la-course/2", "calc-book"} == set(keys(result))


def test_each_topic_is_counted_once():
    units = (*UNITS, unit("la-book", "vectors matrices derivatives", sources=1))
    result = plan(catalog(units), Knowledge(), Goal(EVERYTHING))
    topics = [topic for step in result.steps for topic in step.topics]
    assert sorted(topics) == sorted(EVERYTHING)
    assert result.hours == sum(step.unit.hours for step in result.steps)


def test_units_that_wait_on_each_other_get_an_earlier_teacher():
    # A teaches x (and y) but assumes z; B, the only teacher of z, assumes x: C breaks the loop.
    requires = {"x": frozenset(), "y": frozenset(), "z": frozenset()}
    units = (unit("A", "x y", "z", sources=5), unit("B", "z", "x", sources=5), unit("C", "x"))
    result = plan(catalog(units, requires), Knowledge(), Goal(frozenset(requires)))
    assert keys(result) == ["C", "B", "A"]
    assert [step.topics for step in result.steps] == [("x",), ("z",), ("y",)]


def test_alternatives_are_ready_by_then_and_teach_all_the_steps_topics():
    units = (
        *UNITS,
        unit("la-video", "vectors", sources=0, kind="video"),
        unit("la-notes", "vectors", "matrices", sources=9),  # assumes what the goal does not hold
        unit("la-half", "vectors", stage="math"),
    )
    step = plan(catalog(units), Knowledge(), Goal(frozenset({"vectors"}))).steps[0]
    assert step.unit.key == "la-course/1"
    assert [alternative.key for alternative in step.alternatives] == ["la-half", "la-video"]


def test_it_says_when_it_teaches_more_of_what_you_need():
    requires = {topic: frozenset() for topic in "abcd"}
    units = (unit("W", "a b d", sources=9), unit("S", "a b c", sources=2), unit("V", "c", sources=1))
    step = plan(catalog(units, requires), Knowledge(), Goal(frozenset("abcd"))).steps[1]
    assert (step.unit.key, step.topics) == ("S", ("c",))
    assert step.why_over == (
        "it teaches 3 of the topics you need, its best alternative 1",
        "2 sources recommend it, against 1",
    )


def test_opens_lists_the_later_steps_this_one_alone_still_held_back():
    learner, curriculum = Knowledge(), catalog()
    result = plan(curriculum, learner, Goal(EVERYTHING))
    by_key = {step.unit.key: step for step in result.steps}
    assert opens(curriculum, learner, result, by_key["py-book"]) == ()
    assert [each.key for each in opens(curriculum, learner, result, by_key["la-course/1"])] == [
        "calc-book",
        "la-course/2",
    ]
    assert [each.key for each in opens(curriculum, learner, result, by_key["la-course/2"])] == [
        "dl-lectures/1"
    ]


def test_first_project_is_the_one_needing_the_fewest_new_topics():
    curriculum = catalog()
    projects = ("nn-project", "tiny-project")
    assert first_project(curriculum, Knowledge(), projects) == "tiny-project"
    assert first_project(curriculum, Knowledge(skipped=frozenset({"tiny-project"})), projects) == "nn-project"
    assert first_project(curriculum, Knowledge(), ()) is None
    assert first_project(curriculum, Knowledge(), ("no-such-project",)) is None


def test_first_project_breaks_ties_by_hours_then_key():
    units = (
        unit("b-project", "", "python", hours=2),
        unit("a-project", "", "python", hours=4),
        unit("c-project", "", "python", hours=2),
    )
    assert first_project(catalog(units), Knowledge(), ("a-project", "b-project", "c-project")) == "b-project"


@pytest.mark.parametrize(
    ("hours", "per_week", "weeks", "finish"),
    [
        (0, 5, 0, date(2026, 1, 1)),
        (10, 5, 2, date(2026, 1, 15)),
        (11, 5, 3, date(2026, 1, 22)),
        (0.3, 0.1, 3, date(2026, 1, 22)),
    ],
)
def test_eta_counts_whole_weeks_and_the_day_they_end(hours, per_week, weeks, finish):
    assert eta(hours, per_week, date(2026, 1, 1)) == (weeks, finish)


def test_eta_needs_a_pace():
    with pytest.raises(ValueError):
        eta(10, 0, date(2026, 1, 1))


def test_pillar_bars_count_covered_goal_topics_per_pillar_sorted_by_slug():
    result = plan(catalog(), Knowledge(known=frozenset({"vectors"})), Goal(EVERYTHING))
    assert pillar_bars(catalog(), result) == (("calculus", 0, 2), ("linear-algebra", 1, 2))
    small = plan(catalog(), Knowledge(), Goal(frozenset({"matrices"})))
    assert pillar_bars(catalog(), small) == (("linear-algebra", 0, 2),)


# Properties on random catalogs, against the definitions written out plainly.

TOPICS = [f"t{index}" for index in range(8)]
KINDS = ("video", "book", "course")


def pick(mask, options):
    return frozenset(option for bit, option in enumerate(options) if mask >> bit & 1)


@st.composite
def situations(draw):
    # Few, wide draws (bit masks, one number per unit's profile): generating an example costs
    # far more than planning it, and these still shrink towards small, plain catalogs.
    topics = TOPICS[: draw(st.integers(1, len(TOPICS)))]
    full = (1 << len(topics)) - 1
    requires = {
        topic: pick(draw(st.integers(0, full)) & draw(st.integers(0, full)) & ((1 << index) - 1), topics)
        for index, topic in enumerate(topics)
    }
    units = []
    for index in range(draw(st.integers(0, 14))):
        resource = f"r{index // 3}"
        profile = draw(st.integers(0, 4 * 3 * 3 * 4 * 2 * 9 * 2 * 2 - 1))
        profile, stage = divmod(profile, 4)
        profile, kind = divmod(profile, 3)
        profile, level = divmod(profile, 3)
        profile, sources = divmod(profile, 4)
        profile, paid = divmod(profile, 2)
        profile, hours = divmod(profile, 9)
        wide, whole = divmod(profile, 2)
        units.append(
            Unit(
                key=f"{resource}-whole{index}" if whole else f"{resource}/s{index % 3}",
                resource=resource,
                title=f"U{index}",
                hours=hours + 1,
                stage=STAGES[stage],
                # Sometimes wide units, so that choices overlap and some turn out spare.
                teaches=pick(draw(st.integers(0, full)) & (draw(st.integers(0, full)) | wide * full), topics),
                assumes=pick(
                    draw(st.integers(0, full)) & draw(st.integers(0, full)) & draw(st.integers(0, full)),
                    topics,
                ),
                sources=sources,
                level=level + 1,
                kind=KINDS[kind],
                cost="paid" if paid else "free",
            )
        )
    every_key = sorted({each.key for each in units})
    everyone = (1 << len(every_key)) - 1
    done = pick(draw(st.integers(0, everyone)) & draw(st.integers(0, everyone)), every_key)
    skipped = pick(draw(st.integers(0, everyone)) & draw(st.integers(0, everyone)), every_key) - done
    learner = Knowledge(
        known=pick(
            draw(st.integers(0, full)) & draw(st.integers(0, full)) & draw(st.integers(0, full)), topics
        ),
        done=done,
        skipped=skipped,
        in_progress=pick(draw(st.integers(0, everyone)), every_key),
        stage_order=tuple(random.Random(draw(st.integers(0, 99))).sample(STAGES, 4))
        if draw(st.booleans())
        else (),
        level=draw(st.integers(1, 3)),
        kinds=pick(draw(st.integers(0, 7)), KINDS),
        free_only=draw(st.booleans()),
    )
    goal = Goal(
        pick(draw(st.integers(0, full)) | draw(st.integers(0, full)), topics),
        units=tuple(sorted(pick(draw(st.integers(0, everyone)) & draw(st.integers(0, everyone)), every_key))),
    )
    shuffled = list(units)
    random.Random(draw(st.integers(0, 99))).shuffle(shuffled)
    return catalog(units, requires), learner, goal, shuffled


def seeded_situation(seed):
    """A bigger catalog from a seed: many overlapping units, so that chosen units wait on each
    other and some turn out spare more often than in the small drawn ones."""
    rng = random.Random(seed)
    topics = TOPICS + [f"u{index}" for index in range(rng.randint(0, 6))]
    requires = {
        topic: frozenset(rng.sample(topics[:index], min(index, rng.choice((0, 1, 1, 2, 3)))))
        for index, topic in enumerate(topics)
    }
    units = [
        Unit(
            key=f"r{index // 4}/s{index % 4}",
            resource=f"r{index // 4}",
            title=str(index),
            hours=rng.randint(1, 9),
            stage=rng.choice(STAGES),
            teaches=frozenset(rng.sample(topics, rng.choice((1, 1, 2, 3, 5)))),
            assumes=frozenset(rng.sample(topics, rng.choice((0, 0, 1, 2)))),
            sources=rng.randint(0, 3),
            level=rng.randint(1, 3),
            kind=rng.choice(KINDS),
            cost=rng.choice(("free", "paid")),
        )
        for index in range(rng.randint(10, 40))
    ]
    every_key = [each.key for each in units]
    done = frozenset(rng.sample(every_key, rng.randint(0, 3)))
    learner = Knowledge(
        known=frozenset(rng.sample(topics, rng.randint(0, 3))),
        done=done,
        skipped=frozenset(rng.sample(every_key, rng.randint(0, 4))) - done,
        stage_order=tuple(rng.sample(STAGES, 4)),
        level=rng.randint(1, 3),
        kinds=frozenset(rng.sample(KINDS, rng.randint(0, 2))),
        free_only=rng.random() < 0.3,
    )
    goal = Goal(
        frozenset(rng.sample(topics, rng.randint(1, len(topics)))), units=tuple(rng.sample(every_key, 1))
    )
    shuffled = list(units)
    rng.shuffle(shuffled)
    return catalog(units, requires), learner, goal, shuffled


# Half drawn (they shrink to a readable counterexample), half seeded (they reach further).
any_situation = st.one_of(situations(), st.integers(0, 2**32).map(seeded_situation))


class Reference:
    """The definitions, written out without any of the planner's shortcuts."""

    def __init__(self, curriculum, learner, goal):
        self.curriculum, self.learner, self.goal = curriculum, learner, goal
        self.have = set(learner.known)
        for each in curriculum.units:
            if each.key in learner.done and each.key not in learner.skipped:
                self.have |= each.teaches
        wanted = set(goal.topics)
        for each in curriculum.units:
            if each.key in goal.units:
                wanted |= each.assumes
        self.goal_topics = set(wanted)
        while True:
            more = {below for topic in self.goal_topics for below in curriculum.requires.get(topic, ())}
            if more <= self.goal_topics:
                break
            self.goal_topics |= more
        self.needed = self.goal_topics - self.have
        self.eligible = [
            each
            for each in curriculum.units
            if each.key not in learner.done | learner.skipped and self.before(each) <= self.needed | self.have
        ]
        self.reached = set(self.have)
        while grown := [
            each
            for each in self.eligible
            if self.before(each) <= self.reached and not each.teaches <= self.reached
        ]:
            for each in grown:
                self.reached |= each.teaches

    def before(self, unit):
        topics = set(unit.assumes)
        for topic in unit.teaches & self.needed:
            topics |= self.curriculum.requires.get(topic, frozenset())
        return topics - unit.teaches

    def valid(self, units):
        """Each unit after its prerequisites; every topic that can be covered, covered."""
        known = set(self.have)
        for each in units:
            if not self.before(each) <= known:
                return False
            known |= each.teaches
        return self.needed & self.reached <= known


@settings(max_examples=200, deadline=None)
@given(any_situation)
def test_every_needed_topic_is_covered_or_truly_uncoverable(situation):
    curriculum, learner, goal, _ = situation
    result, reference = plan(curriculum, learner, goal), Reference(curriculum, learner, goal)
    assert result.goal_topics == reference.goal_topics
    assert result.needed == reference.needed
    assert result.covered == reference.goal_topics & reference.have
    taught = {topic for step in result.steps for topic in step.unit.teaches}
    assert reference.needed <= taught | set(result.uncoverable)
    # Uncoverable: no eligible unit that could ever be placed teaches it.
    assert result.uncoverable == tuple(sorted(reference.needed - reference.reached))
    for each in reference.eligible:
        if reference.before(each) <= reference.reached:
            assert not each.teaches & set(result.uncoverable)
    for key in goal.units:
        found = [each for each in reference.eligible if each.key == key]
        if found and reference.before(found[0]) <= reference.reached:
            assert key in keys(result)


@settings(max_examples=200, deadline=None)
@given(any_situation)
def test_no_step_comes_before_what_it_assumes(situation):
    curriculum, learner, goal, _ = situation
    result, reference = plan(curriculum, learner, goal), Reference(curriculum, learner, goal)
    known = set(reference.have)
    for step in result.steps:
        assert reference.before(step.unit) <= known
        assert step.assumed == tuple(sorted(reference.before(step.unit) & reference.needed))
        assert step.topics == tuple(sorted(step.unit.teaches & reference.needed - known))
        known |= step.unit.teaches


@settings(max_examples=200, deadline=None)
@given(any_situation)
def test_what_a_step_opens_is_what_waited_for_it_alone(situation):
    curriculum, learner, goal, _ = situation
    result, reference = plan(curriculum, learner, goal), Reference(curriculum, learner, goal)
    before = set(reference.have)
    for at, step in enumerate(result.steps):
        after = before | step.unit.teaches
        plain = [
            later.unit
            for later in result.steps[at + 1 :]
            if reference.before(later.unit) <= after and not reference.before(later.unit) <= before
        ]
        assert list(opens(curriculum, learner, result, step)) == plain
        for opened in plain:
            assert prerequisites(opened, curriculum.requires, result.needed) & step.unit.teaches
        before = after


@settings(max_examples=200, deadline=None)
@given(any_situation)
def test_no_unit_appears_twice_and_each_topic_counts_once(situation):
    curriculum, learner, goal, _ = situation
    result = plan(curriculum, learner, goal)
    assert len(set(keys(result))) == len(result.steps)
    topics = [topic for step in result.steps for topic in step.topics]
    assert len(set(topics)) == len(topics)
    assert result.hours == sum(step.unit.hours for step in result.steps)


@settings(max_examples=200, deadline=None)
@given(any_situation)
def test_no_step_could_be_dropped(situation):
    curriculum, learner, goal, _ = situation
    result, reference = plan(curriculum, learner, goal), Reference(curriculum, learner, goal)
    units = [step.unit for step in result.steps]
    assert reference.valid(units)
    for index, each in enumerate(units):
        if each.key not in goal.units:
            assert not reference.valid(units[:index] + units[index + 1 :]), f"{each.key} is spare"


@settings(max_examples=200, deadline=None)
@given(any_situation)
def test_nothing_known_done_or_skipped_is_ever_planned(situation):
    curriculum, learner, goal, _ = situation
    result = plan(curriculum, learner, goal)
    for step in result.steps:
        assert step.unit.key not in learner.done | learner.skipped
        assert not set(step.topics) & (learner.known | result.covered)
        assert step.topics or step.unit.key in goal.units
        for alternative in step.alternatives:
            assert alternative.key not in learner.done | learner.skipped | set(keys(result))
            assert set(step.topics) <= alternative.teaches
        assert len(step.alternatives) <= 3
        assert bool(step.why_over) == bool(step.alternatives)


@settings(max_examples=200, deadline=None)
@given(any_situation)
def test_the_same_input_always_gives_the_same_plan(situation):
    curriculum, learner, goal, shuffled = situation
    result = plan(curriculum, learner, goal)
    assert plan(curriculum, learner, goal) == result
    assert plan(catalog(shuffled, curriculum.requires), learner, goal) == result


@settings(max_examples=200, deadline=None)
@given(any_situation)
def test_units_are_ranked_by_the_preference_rules(situation):
    """The planner sorts the rules one column at a time, for speed: the order must be the
    plain one."""
    curriculum, learner, goal, _ = situation
    planner = _Planner(curriculum, learner, goal)
    ranked = [planner.units[index] for index in planner.ranked]
    assert ranked == sorted(planner.units, key=lambda each: _preference(each, learner))


def test_a_bigger_random_catalog_keeps_every_promise():
    rng = random.Random(7)
    topics = [f"t{index:03d}" for index in range(60)]
    requires = {
        topic: frozenset(rng.sample(topics[:index], min(index, rng.randint(0, 3))))
        for index, topic in enumerate(topics)
    }
    units = tuple(
        Unit(
            key=f"r{index // 5}/s{index % 5}",
            resource=f"r{index // 5}",
            title=str(index),
            hours=rng.randint(1, 9),
            stage=rng.choice(STAGES),
            teaches=frozenset(rng.sample(topics, rng.randint(1, 4))),
            assumes=frozenset(rng.sample(topics, rng.randint(0, 2))),
            sources=rng.randint(0, 4),
        )
        for index in range(400)
    )
    curriculum = catalog(units, requires)
    learner = Knowledge(known=frozenset(topics[:5]), skipped=frozenset(unit.key for unit in units[:40]))
    goal = Goal(frozenset(topics), units=(units[-1].key,))
    result, reference = plan(curriculum, learner, goal), Reference(curriculum, learner, goal)
    assert reference.valid([step.unit for step in result.steps])
    assert result.uncoverable == tuple(sorted(reference.needed - reference.reached))
    rest = [step.unit for step in result.steps]
    for index, each in enumerate(rest):
        if each.key != units[-1].key:
            assert not reference.valid(rest[:index] + rest[index + 1 :])
