"""The prerequisite graph's rules, tested without a database."""

import pytest

from catalog.graph import find_cycles, topological_order, unlocked_by


@pytest.mark.parametrize(
    ("requires", "expected"),
    [
        ({}, []),
        ({"a": [], "b": ["a"]}, []),
        ({"a": ["a"]}, [["a", "a"]]),
        ({"a": ["b"], "b": ["a"]}, [["a", "b", "a"]]),
        ({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}, [["a", "b", "c", "a"]]),
        # Two separate loops are both named.
        ({"a": ["b"], "b": ["a"], "x": ["y"], "y": ["x"]}, [["a", "b", "a"], ["x", "y", "x"]]),
        # A diamond is not a cycle.
        ({"d": ["b", "c"], "b": ["a"], "c": ["a"], "a": []}, []),
        # Prerequisites that are not keys themselves still count as nodes.
        ({"a": ["missing"]}, []),
    ],
)
def test_it_finds_cycles(requires, expected):
    assert find_cycles(requires) == expected


def test_it_names_the_shortest_loop_through_the_first_node():
    requires = {"a": ["b", "c"], "b": ["c"], "c": ["a"]}
    assert find_cycles(requires) == [["a", "c", "a"]]


def test_it_handles_a_long_chain_without_recursion():
    requires = {f"n{i}": [f"n{i + 1}"] for i in range(5000)}
    requires["n5000"] = ["n0"]
    [cycle] = find_cycles(requires)
    assert len(cycle) == 5002 and cycle[0] == cycle[-1]


def test_it_lists_what_a_resource_unlocks():
    requires = {"mml": ["khan", "3b1b"], "dl": ["mml"], "khan": []}
    assert unlocked_by("khan", requires) == ["mml"]
    assert unlocked_by("dl", requires) == []


def test_it_orders_prerequisites_first():
    requires = {"dl": ["mml"], "mml": ["khan", "3b1b"], "khan": [], "3b1b": []}
    order = topological_order(requires)
    assert order == ["3b1b", "khan", "mml", "dl"]


def test_it_refuses_to_order_a_cycle():
    with pytest.raises(ValueError, match="cycle"):
        topological_order({"a": ["b"], "b": ["a"]})
