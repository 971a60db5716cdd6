"""The topic map's layout: pure functions over plain data, no database."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from mlpath.progress.topicmap import (
    IN_PROGRESS,
    KNOWN,
    LATER,
    LEARNED,
    NEXT,
    layers_of,
    neighbourhood,
    topic_map,
    topic_states,
)

# vectors -> matrices -> eigen; calculus -> gradients; matrices + gradients -> backprop
REQUIRES = {
    "matrices": {"vectors"},
    "eigen": {"matrices"},
    "gradients": {"calculus"},
    "backprop": {"matrices", "gradients"},
}
TOPICS = ["vectors", "matrices", "eigen", "calculus", "gradients", "backprop"]
NAMES = {topic: topic.capitalize() for topic in TOPICS}


def test_each_topic_sits_one_layer_below_the_latest_it_rests_on():
    assert layers_of(TOPICS, REQUIRES) == [
        ["calculus", "vectors"],
        ["gradients", "matrices"],
        ["backprop", "eigen"],
    ]
    # Prerequisites outside the goal do not count: without vectors, matrices starts a layer.
    assert layers_of(["matrices", "eigen"], REQUIRES) == [["matrices"], ["eigen"]]


def test_states_say_how_a_topic_was_covered_and_what_comes_next():
    states = topic_states(
        TOPICS,
        covered=frozenset({"vectors", "calculus"}),
        known=frozenset({"calculus"}),
        in_progress=frozenset({"gradients", "vectors"}),
        next_up=frozenset({"matrices"}),
    )
    assert states == {
        "vectors": LEARNED,  # covered beats started
        "calculus": KNOWN,
        "matrices": NEXT,
        "gradients": IN_PROGRESS,
        "eigen": LATER,
        "backprop": LATER,
    }


def test_covered_layers_and_those_past_the_frontier_fold_into_one_line():
    states = {topic: LATER for topic in TOPICS} | {"vectors": LEARNED, "calculus": KNOWN}
    drawn = topic_map(states, REQUIRES, NAMES, open_layers=1)
    assert [layer.folded for layer in drawn.layers] == ["covered", "", "later"]
    assert {node.slug for node in drawn.nodes} == {"gradients", "matrices"}
    # A layer with the next step in it is drawn whatever its place.
    states["eigen"] = NEXT
    drawn = topic_map(states, REQUIRES, NAMES, open_layers=1)
    assert [layer.folded for layer in drawn.layers] == ["covered", "", ""]
    # The list has every topic, folded or not.
    assert sorted(slug for layer in drawn.layers for slug, *_ in layer.topics) == sorted(TOPICS)


def test_arrows_join_drawn_topics_and_point_down():
    drawn = topic_map({topic: LATER for topic in TOPICS} | {"backprop": NEXT}, REQUIRES, NAMES)
    assert len(drawn.edges) == 5  # every prerequisite pair, all drawn
    assert all(edge.y1 < edge.y2 for edge in drawn.edges)
    assert [edge.towards_next for edge in drawn.edges].count(True) == 2  # into backprop
    # Nothing overlaps, and everything is inside the picture.
    boxes = {(node.x, node.y) for node in drawn.nodes}
    assert len(boxes) == len(drawn.nodes)
    assert all(
        node.x >= 0 and node.x + 196 <= drawn.width and node.y + 30 <= drawn.height for node in drawn.nodes
    )


def test_a_crowded_layer_draws_what_comes_next_first_and_counts_the_rest():
    topics = [f"t{i:02}" for i in range(40)]
    states = {topic: LATER for topic in topics} | {"t39": NEXT}
    drawn = topic_map(states, {}, {}, most_per_layer=12)
    (layer,) = drawn.layers
    assert layer.hidden == 28 and len(drawn.nodes) == 12
    assert "t39" in {node.slug for node in drawn.nodes}


def test_the_small_map_is_the_next_step_with_what_it_rests_on_and_opens():
    assert neighbourhood({"matrices"}, TOPICS, REQUIRES) == {"vectors", "matrices", "eigen", "backprop"}
    assert neighbourhood({"matrices"}, ["matrices", "eigen"], REQUIRES) == {"matrices", "eigen"}
    assert neighbourhood({"nowhere"}, TOPICS, REQUIRES) == set()


def random_dag(seed: int, size: int, edges: int) -> dict[str, set[str]]:
    rng = random.Random(seed)
    requires: dict[str, set[str]] = {}
    for _ in range(edges):
        low, high = sorted(rng.sample(range(size), 2))
        requires.setdefault(f"t{high}", set()).add(f"t{low}")
    return requires


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), covered_share=st.floats(0, 1))
def test_a_thousand_topics_stay_readable(seed, covered_share):
    size = 1000
    requires = random_dag(seed, size, 3000)
    rng = random.Random(seed)
    topics = [f"t{i}" for i in range(size)]
    covered = {topic for topic in topics if rng.random() < covered_share}
    states = {topic: LEARNED if topic in covered else LATER for topic in topics}
    drawn = topic_map(states, requires, {})
    # Every topic is listed once; at most the first three open layers are drawn, 30 each.
    listed = [slug for layer in drawn.layers for slug, *_ in layer.topics]
    assert sorted(listed) == sorted(topics)
    assert len(drawn.nodes) <= 3 * 30
    assert all(edge.y1 < edge.y2 for edge in drawn.edges)
    assert drawn == topic_map(dict(reversed(list(states.items()))), requires, {})  # same input, same map
