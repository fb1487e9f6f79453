"""Communities: groups of nodes that cite (or are indexed) together.

Louvain modularity maximisation (networkx) on the undirected, weighted view
of a projection. Louvain is randomised; a fixed seed makes the grouping the
same on every run, and communities are numbered by size (largest = 0), ties
by their smallest identifier, so that "community 0" means the same thing in
the table, the export and the visualization.

>>> import networkx as nx
>>> g = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("x", "y"), ("y", "z"), ("x", "z"), ("c", "x")])
>>> [sorted(c) for c in communities(g)]
[['a', 'b', 'c'], ['x', 'y', 'z']]
"""

from __future__ import annotations

import networkx as nx

SEED = 6180


def communities(g: nx.Graph, seed: int = SEED, resolution: float = 1.0) -> list[set[str]]:
    """Louvain communities, largest first; isolated nodes are communities of one."""
    if g.number_of_nodes() == 0:
        return []
    undirected = g.to_undirected() if g.is_directed() else g
    found = nx.community.louvain_communities(undirected, weight="weight", resolution=resolution, seed=seed)
    return sorted((set(c) for c in found), key=lambda c: (-len(c), min(c)))


def membership(g: nx.Graph, seed: int = SEED) -> dict[str, int]:
    """Node -> community number (0 = largest)."""
    return {node: number for number, group in enumerate(communities(g, seed)) for node in group}


def annotate(g: nx.Graph, seed: int = SEED) -> nx.Graph:
    """Set the ``community`` node attribute (in place) and return the graph."""
    nx.set_node_attributes(g, membership(g, seed), "community")
    return g
