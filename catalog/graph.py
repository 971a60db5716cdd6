"""Pure algorithms over the prerequisite graph.

The graph is a mapping `{slug: [slugs it requires]}`. Nothing here touches the
database, so the learner's recommender and the loader share the same rules and
the tests need no fixtures.
"""

import heapq
from collections.abc import Iterable, Mapping

Graph = Mapping[str, Iterable[str]]


def find_cycles(requires: Graph) -> list[list[str]]:
    """Return one concrete cycle per tangle of mutually dependent nodes.

    Each cycle is a path that ends where it starts, e.g. ``["a", "b", "a"]``,
    read as "a requires b, which requires a". Cycles are found with Tarjan's
    strongly connected components (iterative, so a long chain cannot hit the
    recursion limit); output is sorted so messages are stable between runs.
    """
    graph = {node: sorted(set(deps)) for node, deps in requires.items()}
    for deps in list(graph.values()):
        for dep in deps:
            graph.setdefault(dep, [])

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0

    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child_i = work.pop()
            if child_i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = graph[node]
            if child_i < len(children):
                work.append((node, child_i + 1))
                child = children[child_i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])

    cycles = []
    for component in components:
        members = set(component)
        if len(component) == 1 and component[0] not in graph[component[0]]:
            continue
        cycles.append(_cycle_within(graph, min(members), members))
    return sorted(cycles)


def _cycle_within(graph: Mapping[str, list[str]], start: str, members: set[str]) -> list[str]:
    """Shortest walk from `start` back to itself inside one component (BFS)."""
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        next_frontier = []
        for node in frontier:
            for child in graph[node]:
                if child not in members:
                    continue
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if child not in parents:
                    parents[child] = node
                    next_frontier.append(child)
        frontier = next_frontier
    raise AssertionError("a strongly connected component always holds a cycle")


def unlocked_by(slug: str, requires: Graph) -> list[str]:
    """Resources that list `slug` among their direct prerequisites, sorted."""
    return sorted(node for node, deps in requires.items() if slug in set(deps))


def topological_order(requires: Graph) -> list[str]:
    """Every node after all of its prerequisites; ties broken by slug.

    Raises ValueError on a cycle; callers validate with `find_cycles` first.
    """
    graph = {node: set(deps) for node, deps in requires.items()}
    for deps in list(graph.values()):
        for dep in deps:
            graph.setdefault(dep, set())
    remaining = {node: len(deps) for node, deps in graph.items()}
    dependants: dict[str, list[str]] = {node: [] for node in graph}
    for node, deps in graph.items():
        for dep in deps:
            dependants[dep].append(node)
    ready = [node for node, count in remaining.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for dependant in dependants[node]:
            remaining[dependant] -= 1
            if remaining[dependant] == 0:
                heapq.heappush(ready, dependant)
    if len(order) != len(graph):
        raise ValueError("the graph has a cycle")
    return order


def opened_by(taught: Iterable[str], assumes_of: Mapping[str, Iterable[str]]) -> list[str]:
    """What finishing something opens: the keys of `assumes_of` that assume at least one
    topic in `taught`, sorted.

    `assumes_of` maps each other unit to the topics it needs first (what it assumes, and
    what the topics it teaches rest on, less what it teaches itself); the caller leaves the
    unit that teaches `taught` out of it.
    """
    taught = set(taught)
    return sorted(key for key, assumed in assumes_of.items() if not taught.isdisjoint(assumed))
