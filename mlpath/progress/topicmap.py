"""The learner's goal as a layered picture: pure functions over plain data.

A topic's layer is one below the latest of the topics it rests on (networkx's topological
generations), so every arrow points down. The picture stays readable at a thousand topics
because only the open frontier is drawn node by node: a layer whose topics are all covered
folds into one line, and so does every layer after the first few still open. Within a layer
a topic sits near what it rests on (the mean place of its prerequisites in the layer above),
which keeps arrows short without any crossing-minimisation search.

Geometry is computed here, in SVG user units; the template only prints it.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx

KNOWN, LEARNED, IN_PROGRESS, NEXT, LATER = "known", "learned", "in_progress", "next", "later"
COVERED = frozenset({KNOWN, LEARNED})
STATE_LABELS = {
    NEXT: "next",
    IN_PROGRESS: "in progress",
    LATER: "later",
    LEARNED: "learned",
    KNOWN: "known",
}
# Which topics of a crowded layer are drawn first: what the learner is about to do.
_DRAW_FIRST = {NEXT: 0, IN_PROGRESS: 1, LATER: 2, LEARNED: 3, KNOWN: 4}

NODE_WIDTH, NODE_HEIGHT = 196, 30
GAP_X, ROW_GAP, LAYER_GAP, MARGIN = 14, 14, 30, 6
FOLDED_HEIGHT = 26


@dataclass(frozen=True)
class Node:
    slug: str
    name: str
    state: str
    x: int
    y: int

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    # Where the template prints the state's mark and the name inside the node's box.
    @property
    def mark_x(self) -> int:
        return self.x + 15

    @property
    def text_x(self) -> int:
        return self.x + 28

    @property
    def mid_y(self) -> int:
        return self.y + NODE_HEIGHT // 2


@dataclass(frozen=True)
class Edge:
    x1: int
    y1: int
    x2: int
    y2: int
    towards_next: bool


@dataclass(frozen=True)
class Layer:
    number: int  # from 1, top to bottom
    topics: tuple[tuple[str, str, str], ...]  # (slug, name, state), in drawing order
    folded: str  # "": drawn; "covered": all covered; "later": after the open frontier
    hidden: int  # topics of a drawn layer left out of the picture (the list has them all)
    y: int  # where the layer's line (folded) or first row (drawn) starts

    @property
    def covered(self) -> int:
        return sum(1 for _slug, _name, state in self.topics if state in COVERED)

    @property
    def text_y(self) -> int:
        return self.y + FOLDED_HEIGHT // 2

    @property
    def digest(self) -> str:
        """What the layer's text version shows, hashed: the key of its cached fragment, the
        same for every learner whose layer reads the same (most layers of a shared goal)."""
        return _digest((self.number, self.folded, self.topics))

    @property
    def listed(self) -> tuple[tuple[str, str, str, str], ...]:
        """(slug, name, state, its words) for the text version of the map."""
        return tuple((slug, name, state, STATE_LABELS[state]) for slug, name, state in self.topics)


@dataclass(frozen=True)
class TopicMap:
    layers: tuple[Layer, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    width: int
    height: int

    @property
    def topic_count(self) -> int:
        return sum(len(layer.topics) for layer in self.layers)

    # A folded layer's line spans the picture.
    margin = MARGIN
    line_height = FOLDED_HEIGHT
    node_width = NODE_WIDTH
    node_height = NODE_HEIGHT

    @property
    def digest(self) -> str:
        """What the picture shows, hashed: the key of its cached fragment."""
        layers = [(layer.number, layer.y, layer.folded, layer.topics) for layer in self.layers]
        return _digest((self.nodes, self.edges, layers, self.width, self.height))

    @property
    def line_width(self) -> int:
        return self.width - 2 * MARGIN

    @property
    def text_x(self) -> int:
        return MARGIN + 12


def _digest(value) -> str:
    # repr of tuples of strings and numbers is stable across processes, unlike hash().
    return hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()


def topic_states(
    topics: Iterable[str],
    *,
    covered: frozenset[str],
    known: frozenset[str],
    in_progress: frozenset[str],
    next_up: frozenset[str],
) -> dict[str, str]:
    """Each topic's state on the map. Covered topics are known (the learner said so) or
    learned (a unit they finished taught it); the rest are the next step's, in progress (a
    unit they started teaches it) or later."""
    states = {}
    for topic in topics:
        if topic in covered:
            states[topic] = KNOWN if topic in known else LEARNED
        elif topic in next_up:
            states[topic] = NEXT
        elif topic in in_progress:
            states[topic] = IN_PROGRESS
        else:
            states[topic] = LATER
    return states


def layers_of(topics: Iterable[str], requires: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The topics in layers, each one below the latest of its prerequisites among `topics`
    (prerequisites outside them are ignored). Each layer sorted by slug."""
    graph = nx.DiGraph()
    graph.add_nodes_from(topics)
    graph.add_edges_from(
        (required, topic)
        for topic in list(graph)
        for required in requires.get(topic, ())
        if required in graph
    )
    return [sorted(generation) for generation in nx.topological_generations(graph)]


def _ordered(layer: list[str], requires: Mapping[str, Iterable[str]], place: dict[str, float]) -> list[str]:
    """A layer in the order that keeps arrows short: by the mean place of what each topic
    rests on in the layers above (topics resting on nothing first), then by slug."""

    def key(topic: str) -> tuple[float, str]:
        above = [place[required] for required in requires.get(topic, ()) if required in place]
        return (sum(above) / len(above) if above else -1.0, topic)

    ordered = sorted(layer, key=key)
    for position, topic in enumerate(ordered):
        place[topic] = position / max(len(ordered) - 1, 1)
    return ordered


def topic_map(
    states: Mapping[str, str],
    requires: Mapping[str, Iterable[str]],
    names: Mapping[str, str],
    *,
    open_layers: int = 3,
    per_row: int = 5,
    most_per_layer: int = 30,
    fold: bool = True,
) -> TopicMap:
    """The map of the topics in `states`. Drawn node by node: every layer holding the next
    step's or a started topic, and the first `open_layers` layers not yet covered; at most
    `most_per_layer` topics of each (what comes next first). Every other layer is one line,
    unless `fold` is off (a small map)."""
    place: dict[str, float] = {}
    layers = [_ordered(layer, requires, place) for layer in layers_of(states, requires)]
    open_seen = 0
    drawn: list[bool] = []
    for layer in layers:
        layer_states = {states[topic] for topic in layer}
        uncovered = not layer_states <= COVERED
        busy = bool(layer_states & {NEXT, IN_PROGRESS})
        drawn.append(not fold or busy or (uncovered and open_seen < open_layers))
        open_seen += uncovered
    width = MARGIN * 2 + per_row * NODE_WIDTH + (per_row - 1) * GAP_X
    y = bottom = MARGIN
    result_layers: list[Layer] = []
    nodes: dict[str, Node] = {}
    for number, (layer, draw) in enumerate(zip(layers, drawn, strict=True), start=1):
        topics = tuple((topic, names.get(topic, topic), states[topic]) for topic in layer)
        if not draw:
            folded = "covered" if all(state in COVERED for _s, _n, state in topics) else "later"
            result_layers.append(Layer(number, topics, folded, 0, y))
            bottom = y + FOLDED_HEIGHT
            y = bottom + ROW_GAP
            continue
        shown = sorted(layer, key=lambda topic: _DRAW_FIRST[states[topic]])[:most_per_layer]
        kept = set(shown)
        shown = [topic for topic in layer if topic in kept]  # back in the short-arrow order
        result_layers.append(Layer(number, topics, "", len(layer) - len(shown), y))
        for position, topic in enumerate(shown):
            row, column = divmod(position, per_row)
            in_row = min(per_row, len(shown) - row * per_row)
            # Each row centred, so a short layer does not hug the left edge.
            offset = (per_row - in_row) * (NODE_WIDTH + GAP_X) // 2
            x = MARGIN + offset + column * (NODE_WIDTH + GAP_X)
            nodes[topic] = Node(
                topic, names.get(topic, topic), states[topic], x, y + row * (NODE_HEIGHT + ROW_GAP)
            )
        rows = -(-len(shown) // per_row)
        bottom = y + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP
        y = bottom + LAYER_GAP
    edges = tuple(
        Edge(
            above.x + NODE_WIDTH // 2,
            above.y + NODE_HEIGHT,
            node.x + NODE_WIDTH // 2,
            node.y,
            node.state == NEXT,
        )
        for node in nodes.values()
        for required in sorted(requires.get(node.slug, ()))
        if (above := nodes.get(required)) is not None
    )
    return TopicMap(tuple(result_layers), tuple(nodes.values()), edges, width, bottom + MARGIN)


def neighbourhood(
    focus: Iterable[str], topics: Iterable[str], requires: Mapping[str, Iterable[str]]
) -> set[str]:
    """The `focus` topics with what they rest on directly and what rests on them directly,
    among `topics`: the small map beside the next step."""
    topics = set(topics)
    focus = set(focus) & topics
    around = set(focus)
    for topic in topics:
        below = set(requires.get(topic, ()))
        if topic in focus:
            around |= below & topics
        elif below & focus:
            around.add(topic)
    return around
