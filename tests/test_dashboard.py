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
from mlpath.progress.index import Item, Learner, PathIndex

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
ITEMS = (
    Item("py", "Python", "programming", hours=10),
    Item("la", "Linear algebra", "math", "linear-algebra", hours=30, requires=("py",)),
    Item("prob", "Probability", "math", "probability", hours=10),
)


def member(name, statuses=None, last=None, joined_days_ago=30, known=()):
    return Member(
        user_id=hash(name) % 10_000,
        name=name,
        role="member",
        joined_at=NOW - timedelta(days=joined_days_ago),
        last_activity=last,
        learner=Learner(statuses=statuses or {}, known_stages=frozenset(known)),
    )


def rows_for(*members):
    return member_rows(
        PathIndex.of(ITEMS, stages=("programming", "math"), pillars=("linear-algebra", "probability")),
        members,
        now=NOW,
        stuck_after_days=14,
    )


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
    assert ada.overall == 20  # 10 of 50 hours
    assert ada.current.slug == "la" and ada.current_in_progress
    assert dict(ada.pillars) == {"linear-algebra": 0, "probability": 0}
    [known] = rows_for(member("bo", known=("programming", "math"), last=NOW))
    assert known.finished and known.current is None and not known.stuck


def test_averages_weigh_every_member_the_same():
    rows = rows_for(member("a", {"prob": "done"}), member("b", {"prob": "done", "la": "done", "py": "done"}))
    pillar, overall = averages(rows, ("linear-algebra", "probability"))
    assert [(a.slug, a.percent) for a in pillar] == [("linear-algebra", 50), ("probability", 100)]
    assert overall == 60  # (20% + 100%) / 2


def test_averages_of_an_empty_group_are_zero():
    pillar, overall = averages([], ("linear-algebra",))
    assert overall == 0 and pillar[0].percent == 0


def test_resource_counts():
    counts = resource_counts(
        ITEMS,
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
    assert ada.member.learner.statuses == {} and ada.member.name == "ada"


def test_touched_first_puts_work_in_progress_then_the_most_touched_first():
    counts = resource_counts(
        ITEMS,
        [
            member("a", {"py": "done", "prob": "done"}),
            member("b", {"py": "done", "la": "in_progress"}),
            member("c", {"py": "skipped"}),
        ],
    )
    assert [c.item.slug for c in touched_first(counts)] == ["la", "py", "prob"]
    assert touched_first(resource_counts(ITEMS, [member("d")])) == []
