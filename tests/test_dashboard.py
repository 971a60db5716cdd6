"""The dashboard's rules over plain data: stuck, sorting, averages, counts, CSV cells."""

from datetime import UTC, datetime, timedelta

import pytest

from mlpath.groups.dashboard import (
    Member,
    averages,
    csv_cell,
    flag_stuck,
    is_stuck,
    member_rows,
    resource_counts,
    sort_rows,
    touched_first,
)
from mlpath.progress.coverage import PlanIndex
from mlpath.progress.models import PathSettings
from mlpath.progress.path import learner_plan

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def _resource(pk, slug, title, stage, pillar, topics, hours):
    return {
        "id": pk,
        "slug": slug,
        "title": title,
        "creator": "",
        "url": "",
        "kind": "course",
        "cost": "free",
        "level": 1,
        "hours": hours,
        "source_count": 1,
        "stage_slug": stage,
        "pillar_slug": pillar,
        "topics": topics,
        "assumes": [],
    }


INDEX = PlanIndex.of(
    resources=[
        _resource(1, "py", "Python", "programming", None, ["python"], 10.0),
        _resource(2, "la", "Linear algebra", "math", "linear-algebra", ["vectors"], 30.0),
        _resource(3, "prob", "Probability", "math", "probability", ["chance"], 10.0),
    ],
    sections=[],
    topics=[
        {"slug": "python", "name": "Python", "pillar_slug": None, "requires": []},
        {"slug": "vectors", "name": "Vectors", "pillar_slug": "linear-algebra", "requires": ["python"]},
        {"slug": "chance", "name": "Chance", "pillar_slug": "probability", "requires": []},
    ],
    stages=[("programming", "Programming"), ("math", "Mathematics")],
    pillars=[("linear-algebra", "Linear algebra"), ("probability", "Probability")],
)
IDS = {"py": 1, "la": 2, "prob": 3}
COLUMNS = ("practice", "linear-algebra", "probability")


def member(name, statuses=None, last=None, joined_days_ago=30, known=()):
    statuses = {IDS[slug]: status for slug, status in (statuses or {}).items() if slug in IDS}
    return Member(
        user_id=hash(name) % 10_000,
        name=name,
        role="member",
        joined_at=NOW - timedelta(days=joined_days_ago),
        last_activity=last,
        plan=learner_plan(INDEX, PathSettings(known_stages=list(known)), statuses, {}),
    )


def rows_for(*members):
    return member_rows(INDEX, members, now=NOW, stuck_after_days=14)


@pytest.mark.parametrize(
    ("last", "joined_days_ago", "finished", "stuck"),
    [
        (NOW - timedelta(days=13, hours=23), 30, False, False),
        (NOW - timedelta(days=14), 30, False, True),
        (None, 13, False, False),  # new members get two weeks before the flag
        (None, 14, False, True),
        (NOW - timedelta(days=90), 100, True, False),  # finished is never stuck
    ],
)
def test_stuck_means_no_status_change_for_the_threshold(last, joined_days_ago, finished, stuck):
    subject = member("a", last=last, joined_days_ago=joined_days_ago)
    assert is_stuck(subject, finished=finished, now=NOW, after_days=14) is stuck


def test_rows_reuse_the_learners_own_rules():
    [ada] = rows_for(member("ada", {"py": "done", "la": "in_progress"}, last=NOW))
    assert ada.overall == 33  # 1 of 3 topics
    assert ada.current.slug == "la" and ada.current_in_progress
    assert dict(ada.pillars) == {"practice": 100, "linear-algebra": 0, "probability": 0}
    [known] = rows_for(member("bo", known=("programming", "math"), last=NOW))
    assert known.finished and known.current is None and not known.stuck


def test_overall_is_never_above_bars_that_all_say_nothing():
    [ada] = rows_for(member("ada", {"py": "done"}, last=NOW))
    # Python counts in the overall share, and has a column of its own to show for it.
    assert ada.overall > 0
    assert max(percent for _slug, percent in ada.pillars) > 0
    [skipper] = rows_for(member("sam", {"py": "skipped", "la": "skipped"}, last=NOW))
    assert skipper.overall == 0 and all(percent == 0 for _slug, percent in skipper.pillars)


def test_averages_weigh_every_member_the_same():
    rows = rows_for(member("a", {"prob": "done"}), member("b", {"prob": "done", "la": "done", "py": "done"}))
    pillar, overall = averages(rows, COLUMNS)
    assert [(a.slug, a.percent) for a in pillar] == [
        ("practice", 50),
        ("linear-algebra", 50),
        ("probability", 100),
    ]
    assert overall == 66  # (33% + 100%) / 2


def test_averages_of_an_empty_group_are_zero():
    pillar, overall = averages([], ("linear-algebra",))
    assert overall == 0 and pillar[0].percent == 0


def test_resource_counts():
    counts = resource_counts(
        INDEX.resources.values(),
        [member("a", {"py": "done", "la": "in_progress"}), member("b", {"py": "skipped", "ghost": "done"})],
    )
    assert [(c.item.slug, c.done, c.in_progress, c.skipped) for c in counts] == [
        ("py", 1, 0, 1),
        ("la", 0, 1, 0),
        ("prob", 0, 0, 0),
    ]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["amy", "Bea", "cal"]),
        ("-name", ["cal", "Bea", "amy"]),
        ("overall", ["amy", "cal", "Bea"]),
        ("-overall", ["Bea", "amy", "cal"]),  # ties keep name order
        ("activity", ["cal", "amy", "Bea"]),
        ("-activity", ["Bea", "amy", "cal"]),
    ],
)
def test_sorting(sort, expected):
    rows = rows_for(
        member("cal", last=None),
        member("Bea", {"py": "done"}, last=NOW),
        member("amy", last=NOW - timedelta(days=3)),
    )
    assert [row.member.name for row in sort_rows(rows, sort)] == expected


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("ada", "ada"),
        (None, ""),
        (42, "42"),
    ],
)
def test_csv_cells_cannot_become_formulas(value, cell):
    assert csv_cell(value) == cell


def test_kept_rows_become_stuck_as_the_clock_moves_on():
    rows = rows_for(member("soon", last=NOW - timedelta(days=10)), member("fresh", last=NOW))
    assert [row.stuck for row in rows] == [False, False]
    later = flag_stuck(rows, now=NOW + timedelta(days=4), after_days=14)
    assert [(row.member.name, row.stuck) for row in later] == [("soon", True), ("fresh", False)]
    assert later[1] is rows[1]  # unchanged rows are kept as they are


def test_rows_keep_no_statuses():
    [ada] = rows_for(member("ada", {"py": "done", "la": "in_progress"}, last=NOW))
    assert ada.member.plan is None and ada.member.name == "ada"


def test_touched_first_puts_work_in_progress_then_the_most_touched_first():
    counts = resource_counts(
        INDEX.resources.values(),
        [
            member("a", {"py": "done", "prob": "done"}),
            member("b", {"py": "done", "la": "in_progress"}),
            member("c", {"py": "skipped"}),
        ],
    )
    assert [c.item.slug for c in touched_first(counts)] == ["la", "py", "prob"]
    assert touched_first(resource_counts(INDEX.resources.values(), [member("d")])) == []
