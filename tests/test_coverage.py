"""What a learner's statuses cover, and the goal a choice stands for: pure, no database."""

import pytest

from mlpath.progress import planner
from mlpath.progress.coverage import (
    GoalChoice,
    PlanIndex,
    effective_status,
    goal_of,
    home_stage,
    knowledge_of,
    statuses_of,
)


def _resource(pk, slug, stage, topics, *, kind="course", pillar=None, assumes=(), hours=4.0):
    return {
        "id": pk,
        "slug": slug,
        "title": slug.title(),
        "creator": "Someone",
        "url": "",
        "kind": kind,
        "cost": "free",
        "level": 1,
        "hours": hours,
        "source_count": 1,
        "stage_slug": stage,
        "pillar_slug": pillar,
        "topics": list(topics),
        "assumes": list(assumes),
    }


def _section(pk, slug, resource, position, topics, hours=2.0):
    return {
        "id": pk,
        "slug": slug,
        "resource_slug": resource,
        "position": position,
        "title": slug.title(),
        "url": "",
        "hours": hours,
        "topics": list(topics),
        "assumes": [],
    }


INDEX = PlanIndex.of(
    resources=[
        _resource(1, "py", "programming", ["python"]),
        _resource(2, "kaggle", "projects", ["practice"], kind="project", assumes=["python"]),
        _resource(3, "scratch", "projects", ["networks"], kind="project", assumes=["vectors", "chain"]),
        _resource(4, "book", "math", ["vectors", "chain"], pillar="la"),
        _resource(5, "video", "math", ["vectors"], pillar="la"),
    ],
    sections=[_section(10, "book-1", "book", 1, ["vectors"]), _section(11, "book-2", "book", 2, ["chain"])],
    topics=[
        {"slug": "python", "name": "Python", "pillar_slug": None, "requires": []},
        {"slug": "practice", "name": "Practice", "pillar_slug": None, "requires": []},
        {"slug": "networks", "name": "Networks", "pillar_slug": None, "requires": []},
        {"slug": "vectors", "name": "Vectors", "pillar_slug": "la", "requires": []},
        {"slug": "chain", "name": "Chain rule", "pillar_slug": "calc", "requires": ["vectors"]},
    ],
    stages=[("programming", "Programming"), ("projects", "Projects"), ("math", "Mathematics")],
    pillars=[("la", "Linear algebra"), ("calc", "Calculus")],
)


@pytest.mark.parametrize(
    ("own", "sections", "count", "expected"),
    [
        ("not_started", [], 2, "not_started"),
        ("not_started", ["done"], 2, "in_progress"),
        ("not_started", ["done", "done"], 2, "done"),
        ("in_progress", [], 2, "in_progress"),
        ("done", [], 2, "done"),
        ("skipped", ["done"], 2, "skipped"),
        ("not_started", ["skipped"], 2, "not_started"),
    ],
)
def test_a_resource_is_as_far_as_its_sections_say(own, sections, count, expected):
    assert effective_status(own, sections, count) == expected


def test_a_resource_with_sections_is_planned_by_its_sections():
    assert INDEX.resources["book"].units == ("book/book-1", "book/book-2")
    assert INDEX.resources["video"].units == ("video",)
    assert INDEX.projects == ("kaggle", "scratch")


def test_marking_a_resource_done_covers_its_sections():
    statuses = statuses_of(INDEX, {4: "done"}, {})
    assert statuses.units == {"book/book-1": "done", "book/book-2": "done"}
    assert statuses.resources == {"book": "done"}


def test_finishing_every_section_finishes_the_resource():
    assert statuses_of(INDEX, {}, {10: "done"}).resources == {"book": "in_progress"}
    assert statuses_of(INDEX, {}, {10: "done", 11: "done"}).resources == {"book": "done"}


def test_a_section_skipped_stays_skipped_when_the_resource_is_marked_done():
    statuses = statuses_of(INDEX, {4: "done"}, {11: "skipped"})
    assert statuses.units["book/book-2"] == "skipped"


def test_a_known_stage_counts_its_units_done():
    statuses = statuses_of(INDEX, {}, {}, frozenset({"programming"}))
    assert statuses.units == {"py": "done"}


def test_skipping_covers_nothing():
    knowledge = knowledge_of(
        statuses_of(INDEX, {5: "skipped"}, {}),
        known_topics=frozenset(),
        stage_order=(),
        level=1,
        kinds=frozenset(),
        free_only=False,
    )
    assert knowledge.skipped == {"video"}
    assert planner.covered(INDEX.curriculum, knowledge) == frozenset()


def _knowledge(**changes):
    base = {"known": frozenset(), "stage_order": ("programming", "projects", "math")}
    return planner.Knowledge(**{**base, **changes})


def test_the_whole_path_is_programming_one_first_project_and_the_pillars():
    goal = goal_of(INDEX, GoalChoice(), _knowledge())
    # What the first project teaches counts too: finishing it moves the bars.
    assert goal.topics == {"python", "vectors", "chain", "practice"}
    # The project that needs least first: Kaggle needs only Python.
    assert goal.units == ("kaggle",)
    assert goal.label == ""


def test_a_target_holds_only_what_it_needs():
    project = goal_of(INDEX, GoalChoice("project", "scratch"), _knowledge())
    assert project.units == ("scratch",) and project.topics == {"networks"}
    assert project.label == "Scratch"
    book = goal_of(INDEX, GoalChoice("resource", "book"), _knowledge())
    assert book.units == ("book/book-1", "book/book-2") and book.topics == {"vectors", "chain"}
    topic = goal_of(INDEX, GoalChoice("topic", "chain"), _knowledge())
    assert topic.topics == {"chain"} and topic.label == "Chain rule"


def test_an_unknown_target_falls_back_to_the_whole_path():
    assert goal_of(INDEX, GoalChoice("topic", "nothing"), _knowledge()).label == ""


def test_a_unit_in_progress_stays_in_the_plan_when_the_goal_needs_its_topics():
    goal = goal_of(INDEX, GoalChoice("topic", "vectors"), _knowledge(in_progress=frozenset({"book/book-1"})))
    assert goal.units == ("book/book-1",)
    unrelated = goal_of(INDEX, GoalChoice("topic", "python"), _knowledge(in_progress=frozenset({"video"})))
    assert unrelated.units == ()


def test_a_topic_belongs_to_the_first_stage_in_the_learners_order_that_teaches_it():
    assert home_stage(INDEX, "vectors", ("programming", "projects", "math")) == "math"
    assert home_stage(INDEX, "python", ("math", "programming")) == "programming"
    assert home_stage(INDEX, "nowhere", ("math",)) is None


def test_a_finished_project_stays_the_first_project():
    goal = goal_of(INDEX, GoalChoice(), _knowledge(done=frozenset({"scratch"})))
    assert goal.units == ("scratch",)
