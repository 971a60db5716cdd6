"""The recommender's rules over plain data: no database, one row per situation."""

import dataclasses
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpath.progress.index import Item, Learner, PathIndex
from mlpath.progress.ranking import build_path, effective_order, eta, opened_by, pillar_bars, stage_bars

STAGES = ("programming", "projects", "math", "deep-learning")
PILLARS = ("linear-algebra", "probability", "calculus")
MATH_FIRST = ("math", "programming", "projects", "deep-learning")

CATALOG = (
    Item("py1", "Python basics", "programming", level=1, hours=8, sources=1),
    Item("py2", "Python intermediate", "programming", level=2, hours=10, sources=1, requires=("py1",)),
    Item("kaggle", "A Kaggle competition", "projects", level=1, hours=20, sources=1, requires=("py2",)),
    Item("la1", "Essence of linear algebra", "math", "linear-algebra", level=1, hours=5, sources=3),
    Item("la2", "MIT 18.06", "math", "linear-algebra", level=2, hours=60, sources=2, requires=("la1",)),
    Item(
        "code-la", "Coding the Matrix", "math", "linear-algebra", level=2, hours=40, requires=("py1", "la1")
    ),
    Item("prob1", "Seeing Theory", "math", "probability", level=1, hours=4, sources=1),
    Item("calc1", "Essence of calculus", "math", "calculus", level=1, hours=4, sources=2),
    Item("dl", "Deep Learning", "deep-learning", level=3, hours=120, sources=3, requires=("la2",)),
)
NAMES = {
    "programming": "Programming",
    "projects": "Projects",
    "math": "Mathematics",
    "deep-learning": "Deep learning",
    "linear-algebra": "Linear algebra",
    "probability": "Probability",
    "calculus": "Calculus",
}
PRE_MATH = {"py1": "done", "py2": "done", "kaggle": "done"}


def path_for(statuses=None, order=(), known=(), items=CATALOG):
    learner = Learner(statuses=statuses or {}, stage_order=order, known_stages=frozenset(known))
    return build_path(catalog_of(items, names=NAMES, total_sources=4), learner)


def catalog_of(items=CATALOG, **extra):
    return PathIndex.of(items, stages=STAGES, pillars=PILLARS, **extra)


@pytest.mark.parametrize(
    ("situation", "statuses", "order", "known", "expected"),
    [
        ("a new learner starts with programming", {}, (), (), "py1"),
        ("unmet prerequisites wait", {"py1": "done"}, (), (), "py2"),
        ("skipped counts as covered", {"py1": "skipped"}, (), (), "py2"),
        ("programming done leads to projects", {"py1": "done", "py2": "done"}, (), (), "kaggle"),
        ("a known stage counts as complete", {}, (), ("programming",), "kaggle"),
        ("math starts with the most recommended beginner", PRE_MATH, (), (), "la1"),
        ("math first skips programming", {}, MATH_FIRST, (), "la1"),
        ("pillar balancing prefers an untouched pillar", {**PRE_MATH, "la1": "done"}, (), (), "calc1"),
        (
            "the least covered pillar wins over the lower level",
            {**PRE_MATH, "la1": "done", "calc1": "done"},
            (),
            (),
            "prob1",
        ),
        ("in progress comes first, whatever its stage", {"prob1": "in_progress"}, (), (), "prob1"),
        (
            "math first pulls a needed Python resource forward",
            {"la1": "done", "calc1": "done", "prob1": "done", "la2": "done"},
            MATH_FIRST,
            (),
            "py1",
        ),
        ("known math with default order still starts with programming", {}, (), ("math",), "py1"),
        (
            "after the math comes the synthesis",
            {**PRE_MATH, "la1": "done", "la2": "done", "code-la": "done", "prob1": "done", "calc1": "done"},
            (),
            (),
            "dl",
        ),
    ],
)
def test_it_recommends(situation, statuses, order, known, expected):
    assert path_for(statuses, order, known).next.item.slug == expected, situation


def test_it_gives_up_to_three_alternatives_in_rank_order():
    path = path_for(PRE_MATH)
    assert [rec.item.slug for rec in path.recommendations] == ["la1", "calc1", "prob1"]
    path = path_for({**PRE_MATH, "la1": "done"})
    assert path.next.item.slug == "calc1"
    assert [rec.item.slug for rec in path.alternatives] == ["prob1", "la2", "code-la"]


def test_it_breaks_ties_by_title_then_slug():
    twins = (
        Item("b", "Beta", "programming"),
        Item("a", "Alpha", "programming"),
        Item("c", "Alpha", "programming"),
    )
    assert [rec.item.slug for rec in path_for(items=twins).recommendations] == ["a", "c", "b"]


def test_it_prefers_the_resource_that_opens_more_when_all_else_is_equal():
    items = (
        Item("lonely", "A", "programming"),
        Item("hub", "B", "programming"),
        Item("x", "X", "programming", level=2, requires=("hub",)),
        Item("y", "Y", "programming", level=2, requires=("hub",)),
    )
    assert path_for(items=items).next.item.slug == "hub"


def test_it_finishes_when_everything_is_covered():
    path = path_for({item.slug: "done" for item in CATALOG})
    assert path.finished
    assert path.next is None
    assert path.overall.percent == 100


def test_a_path_of_known_stages_is_finished():
    assert path_for(known=STAGES).finished


def test_it_works_for_a_catalog_with_no_math():
    items = tuple(item for item in CATALOG if item.stage in {"programming", "projects"})
    path = path_for({"py1": "done"}, items=items)
    assert path.next.item.slug == "py2"
    assert path.pillars == ()
    assert [bar.slug for bar in path.stages] == list(STAGES)


def test_it_explains_itself_in_plain_words():
    path = path_for({"py1": "done", "py2": "done"})
    assert path.next.why == (
        "Your Programming stage is complete; you have covered what it builds on; "
        "1 of our 4 sources recommends it."
    )
    first_math = path_for(PRE_MATH).next
    assert "3 of our 4 sources recommend it" in first_math.why
    assert "it opens 2 resources" in first_math.why
    assert "you have not started Linear algebra yet" in first_math.why


def test_it_names_the_resource_that_pulled_a_prerequisite_forward():
    path = path_for({"la1": "done", "calc1": "done", "prob1": "done", "la2": "done"}, MATH_FIRST)
    assert "Coding the Matrix, in your Mathematics stage, needs it first" in path.next.why


def test_it_says_when_a_known_stage_opened_the_next():
    assert path_for(known=("programming",)).next.why.startswith("You already know Programming, so Projects")


def test_an_early_start_is_explained_without_false_claims():
    """Started from the catalog before its stage: first, but the reasons stay true."""
    why = path_for({"dl": "in_progress"}).next.why
    assert why.startswith("You have already started it; it is ahead of your path: Deep learning comes after")
    assert "complete" not in why
    assert "covered what it builds on" not in why


def test_it_only_counts_what_finishing_opens_now():
    items = (
        Item("basics", "Basics", "math"),
        Item("more", "More", "math", requires=("basics",)),
        Item("later", "Later", "deep-learning", requires=("basics",)),
    )
    # "later" also needs only "basics", but the deep-learning stage is still locked.
    assert [item.slug for item in path_for(items=items).next.opens] == ["more"]
    # A pulled-forward prerequisite does count: finishing "basics" makes it available.
    items = (
        Item("basics", "Basics", "math"),
        Item("py", "Py", "programming", requires=("basics",)),
        Item("goal", "Goal", "deep-learning", requires=("py",)),
    )
    path = path_for(order=("deep-learning", "math", "programming", "projects"), items=items)
    assert path.next.item.slug == "basics"
    assert [item.slug for item in path.next.opens] == ["py"]


def test_it_lists_what_finishing_the_next_resource_opens():
    path = path_for(PRE_MATH)
    assert [item.slug for item in path.next.opens] == ["la2", "code-la"]


def test_opened_by_needs_the_last_missing_prerequisite():
    learner = Learner(statuses={})
    assert [item.slug for item in opened_by("la1", catalog_of(), learner)] == ["la2"]
    learner = Learner(statuses={"py1": "done"})
    assert [item.slug for item in opened_by("la1", catalog_of(), learner)] == ["la2", "code-la"]


def test_a_retired_prerequisite_does_not_block():
    items = (Item("after", "After", "programming", requires=("gone",)),)
    assert path_for(items=items).next.item.slug == "after"


def test_bars_are_weighted_by_hours():
    learner = Learner(statuses={"la1": "done", "prob1": "done"})
    bars = {bar.slug: bar for bar in pillar_bars(catalog_of(), learner)}
    assert bars["linear-algebra"].percent == 4  # 5 of 105 hours, rounded down
    assert bars["probability"].percent == 100
    assert bars["calculus"].percent == 0
    assert bars["linear-algebra"].remaining_hours == 100


def test_a_known_stage_bar_is_full():
    bars = {
        bar.slug: bar for bar in stage_bars(catalog_of(), Learner(known_stages=frozenset({"math"})), STAGES)
    }
    assert bars["math"].percent == 100
    assert bars["math"].complete
    assert bars["programming"].percent == 0


def test_a_bar_says_100_only_when_complete():
    learner = Learner(statuses={item.slug: "done" for item in CATALOG if item.slug != "prob1"})
    assert path_for(learner.statuses).overall.percent == 98


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ((), STAGES),
        (MATH_FIRST, MATH_FIRST),
        (("math", "math", "nonsense"), ("math", "programming", "projects", "deep-learning")),
        (("deep-learning", "math"), ("deep-learning", "math", "programming", "projects")),
    ],
)
def test_effective_order_cleans_the_learners_order(order, expected):
    assert effective_order(order, STAGES) == expected


@pytest.mark.parametrize(
    ("hours", "per_week", "weeks_label", "finish"),
    [
        (0, 5, "nothing left", date(2026, 11, 21)),
        (3, 6, "under a week", date(2026, 11, 25)),
        (30, 6, "about 5 weeks", date(2026, 12, 26)),
        (31, 6, "about 6 weeks", date(2026, 12, 28)),
    ],
)
def test_eta_in_weeks_and_a_date(hours, per_week, weeks_label, finish):
    result = eta(hours, per_week, date(2026, 11, 21))
    assert result.weeks_label == weeks_label
    assert result.finish == finish


def test_eta_without_a_pace_has_no_date():
    assert eta(10, 0, date(2026, 1, 1)).finish is None


@st.composite
def catalogs_and_learners(draw):
    size = draw(st.integers(min_value=1, max_value=25))
    items = []
    for index in range(size):
        # Prerequisites point anywhere earlier in the list, across stages, so a
        # reordered path meets prerequisites that live in later stages.
        requires = draw(st.sets(st.integers(0, index - 1), max_size=3)) if index else set()
        items.append(
            Item(
                slug=f"r{index}",
                title=f"R{index}",
                stage=draw(st.sampled_from(STAGES)),
                pillar=draw(st.sampled_from((None, *PILLARS))),
                level=draw(st.integers(1, 3)),
                hours=draw(st.integers(1, 50)),
                requires=tuple(f"r{dep}" for dep in sorted(requires)),
            )
        )
    statuses = draw(
        st.dictionaries(
            st.sampled_from([item.slug for item in items]),
            st.sampled_from(["not_started", "in_progress", "done", "skipped"]),
        )
    )
    order = draw(st.permutations(STAGES))
    known = draw(st.sets(st.sampled_from(STAGES), max_size=2))
    return tuple(items), Learner(statuses=statuses, stage_order=tuple(order), known_stages=frozenset(known))


@settings(max_examples=200, deadline=None)
@given(catalogs_and_learners())
def test_it_never_strands_a_learner(case):
    """Whatever the order, statuses and graph: an unfinished path always has a next step,
    and marking the recommendations done one by one always reaches the end."""
    items, learner = case
    statuses = dict(learner.statuses)
    for _ in range(len(items) + 1):
        current = Learner(
            statuses=statuses, stage_order=learner.stage_order, known_stages=learner.known_stages
        )
        path = build_path(catalog_of(items), current)
        if path.finished:
            break
        assert path.next is not None
        recommended = path.next.item
        assert statuses.get(recommended.slug) not in {"done", "skipped"}
        statuses[recommended.slug] = "done"
    else:
        pytest.fail("the path never finished")


@settings(max_examples=200, deadline=None)
@given(catalogs_and_learners(), st.sampled_from([(), ("gone",)]))
def test_the_indexed_recommender_agrees_with_the_plain_one(case, retired):
    """The index is an optimisation, not a new rule: every bar, the current stage, each
    recommendation with its reasons and what it opens, and the in-progress list match the
    plain passes over the catalog it replaced (tests/ranking_reference.py)."""
    from tests import ranking_reference

    items, learner = case
    if retired:  # a prerequisite that left the catalog must not block in either version
        items = (*items[:-1], dataclasses.replace(items[-1], requires=(*items[-1].requires, "gone")))
    indexed = build_path(catalog_of(items, names=NAMES, total_sources=4), learner)
    plain = ranking_reference.build_path(
        items, learner, catalog_stages=STAGES, pillars=PILLARS, names=NAMES, total_sources=4
    )
    assert indexed.stage_order == plain.stage_order
    assert indexed.current_stage == plain.current_stage
    assert [bar.percent for bar in indexed.stages] == [bar.percent for bar in plain.stages]
    assert [(b.slug, b.count, b.covered_count) for b in indexed.stages] == [
        (b.slug, b.count, b.covered_count) for b in plain.stages
    ]
    assert [(b.slug, b.percent, b.count, b.covered_count) for b in indexed.pillars] == [
        (b.slug, b.percent, b.count, b.covered_count) for b in plain.pillars
    ]
    assert (indexed.overall.percent, indexed.overall.covered_count) == (
        plain.overall.percent,
        plain.overall.covered_count,
    )
    assert [(r.item.slug, r.reasons, [o.slug for o in r.opens]) for r in indexed.recommendations] == [
        (r.item.slug, r.reasons, [o.slug for o in r.opens]) for r in plain.recommendations
    ]
    assert [item.slug for item in indexed.in_progress] == [item.slug for item in plain.in_progress]


@st.composite
def crowded_stages(draw):
    """Many resources in few stages and pillars, with every level and source count: the
    ties and cut-offs that the shortlist of the current stage (_best_ready) must get right."""
    size = draw(st.integers(min_value=5, max_value=80))
    items = [
        Item(
            slug=f"r{index}",
            title=draw(st.sampled_from(["Alpha", "Beta", f"R{index}"])),
            stage=draw(st.sampled_from(STAGES[:2])),
            pillar=draw(st.sampled_from((None, PILLARS[0]))),
            level=draw(st.integers(1, 3)),
            sources=draw(st.integers(0, 3)),
            hours=draw(st.integers(1, 5)),
            requires=tuple(f"r{dep}" for dep in sorted(draw(st.sets(st.integers(0, index - 1), max_size=2))))
            if index and draw(st.booleans())
            else (),
        )
        for index in range(size)
    ]
    slugs = [item.slug for item in items]
    statuses = draw(
        st.dictionaries(st.sampled_from(slugs), st.sampled_from(["in_progress", "done", "skipped"]))
    )
    return tuple(items), Learner(statuses=statuses, stage_order=draw(st.permutations(STAGES)))


@settings(max_examples=300, deadline=None)
@given(crowded_stages(), st.integers(1, 6))
def test_the_shortlist_of_a_crowded_stage_ranks_as_a_full_scan_does(case, limit):
    from tests import ranking_reference

    items, learner = case
    indexed = build_path(catalog_of(items, names=NAMES, total_sources=4), learner, limit=limit)
    plain = ranking_reference.build_path(
        items, learner, catalog_stages=STAGES, pillars=PILLARS, names=NAMES, total_sources=4, limit=limit
    )
    assert [(r.item.slug, r.reasons) for r in indexed.recommendations] == [
        (r.item.slug, r.reasons) for r in plain.recommendations
    ]
