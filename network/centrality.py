"""Centrality: which instruments, articles and documents the body of texts leans on.

Three measures, each answering its own question on a projection
(``network/projections.py``):

- **degree** — how many distinct nodes cite a node (``in_degree``) or are
  cited by it (``out_degree``); ``citations`` is the weighted in-degree (every
  paragraph edge counted);
- **PageRank** — importance passed along citations: a node cited by much-cited
  nodes ranks high (edge weights = number of citing paragraphs);
- **betweenness** — the brokers: nodes on many shortest paths between others
  (computed on the undirected view, so that a document linking two clusters
  counts whichever way the citations run).

>>> import networkx as nx
>>> g = nx.DiGraph([("a", "c"), ("b", "c"), ("c", "d")])
>>> nx.set_node_attributes(g, "document", "kind")
>>> [row["identifier"] for row in ranking(g, "pagerank")][:2]
['d', 'c']
>>> ranking(g, "in_degree")[0]["identifier"], ranking(g, "in_degree")[0]["in_degree"]
('c', 2)
"""

from __future__ import annotations

import networkx as nx

from tipkg.errors import TipkgError

METRICS = ("degree", "in_degree", "out_degree", "citations", "pagerank", "betweenness")


def pagerank(g: nx.Graph, weight: str = "weight") -> dict[str, float]:
    """PageRank with the usual damping 0.85 (weights = citing paragraphs); empty graph -> {}."""
    if g.number_of_nodes() == 0:
        return {}
    return nx.pagerank(g, alpha=0.85, weight=weight)


def betweenness(g: nx.Graph) -> dict[str, float]:
    """Normalized betweenness on the undirected view of the projection."""
    return nx.betweenness_centrality(g.to_undirected(as_view=True) if g.is_directed() else g, normalized=True)


def metrics(g: nx.Graph) -> dict[str, dict[str, float]]:
    """Every metric of every node: metric -> node -> value."""
    directed = g.is_directed()
    return {
        "degree": dict(g.degree()),
        "in_degree": dict(g.in_degree()) if directed else dict(g.degree()),
        "out_degree": dict(g.out_degree()) if directed else dict(g.degree()),
        "citations": {n: float(v) for n, v in (g.in_degree(weight="weight") if directed else g.degree(weight="weight"))},
        "pagerank": pagerank(g),
        "betweenness": betweenness(g),
    }


def ranking(g: nx.Graph, metric: str = "pagerank", kind: str | None = None, top: int | None = None) -> list[dict]:
    """Nodes (optionally of one ``kind``) as rows of every metric, best first by ``metric``.

    Ties are broken by identifier, so the order is the same on every run.
    """
    if metric not in METRICS:
        raise TipkgError("--metric", f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    values = metrics(g)
    gists = any("gist" in d for _, d in g.nodes(data=True))  # paragraphs: what each one does, in English
    rows = []
    for node, data in g.nodes(data=True):
        if kind and data.get("kind") != kind:
            continue
        row = {"identifier": node, "kind": data.get("kind", ""), "label_en": data.get("label_en", node),
               "year": data.get("year", "")}
        for name in METRICS:
            value = values[name].get(node, 0)
            if isinstance(value, float):  # a count summed from integer weights prints as one ("6", not "6.0000")
                value = int(value) if value.is_integer() and name == "citations" else round(value, 6)
            row[name] = value
        if gists:
            row["gist"] = data.get("gist", "")
        rows.append(row)
    rows.sort(key=lambda r: (-r[metric], r["identifier"]))
    return rows[:top] if top else rows
