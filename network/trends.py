"""Trends: how often each topic comes up, year by year.

A paragraph filed under a topic by the thematic index counts once for the
year of its document (or of the Working Group meeting that adopted it). The
counts show which themes rise and fall: e.g. how the Working Group's attention
moves between victims' protection, prevention and international cooperation.

>>> from rdflib import Graph, Literal, URIRef
>>> from rdflib.namespace import DCTERMS
>>> from tipkg.ontology.namespace import TIP
>>> g = Graph()
>>> p, t = URIRef("urn:p"), URIRef("urn:t")
>>> g.add((p, DCTERMS.identifier, Literal("X para 1"))); g.add((p, DCTERMS.issued, Literal("2009")))  # doctest: +ELLIPSIS
<Graph ...>
>>> g.add((t, DCTERMS.identifier, Literal("topic:victims"))); g.add((p, TIP.indexedUnder, t))  # doctest: +ELLIPSIS
<Graph ...>
>>> topic_counts(g)
{'topic:victims': {2009: 1}}
"""

from __future__ import annotations

from collections import Counter, defaultdict

from rdflib import Graph

from tipkg.ontology.namespace import TIP

from .projections import Index


def topic_counts(graph: Graph | Index) -> dict[str, dict[int, int]]:
    """topic identifier -> {year: paragraphs indexed under it that year} (years ascending)."""
    index = graph if isinstance(graph, Index) else Index(graph)
    counts: dict[str, Counter] = defaultdict(Counter)
    for s, p, o in index.edges:
        if p == TIP.indexedUnder:
            year = index.year(s)
            if year is not None:
                counts[index.nodes[o].identifier][year] += 1
    return {topic: dict(sorted(c.items())) for topic, c in sorted(counts.items())}


def trend_rows(graph: Graph | Index, top: int | None = None) -> list[dict]:
    """One row per topic: identifier, English label, total and a count per year (0 where none)."""
    index = graph if isinstance(graph, Index) else Index(graph)
    counts = topic_counts(index)
    years = sorted({y for c in counts.values() for y in c})
    labels = {n.identifier: n.label_en for n in index.nodes.values()}
    rows = []
    for topic, per_year in counts.items():
        row = {"identifier": topic, "label_en": labels.get(topic) or topic, "total": sum(per_year.values())}
        row.update({str(y): per_year.get(y, 0) for y in years})
        rows.append(row)
    rows.sort(key=lambda r: (-r["total"], r["identifier"]))
    return rows[:top] if top else rows
