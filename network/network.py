"""The analyst's entry points: an RDF graph in, annotated networks and tables out.

``analyze`` and ``viz`` both start here: read the graph (a dump written by
``tipkg build``, or a fresh build of a corpus), project it, add the metrics
and community of every node as attributes (so that an export for Gephi or a
visualization carries them), and write GraphML/GEXF.

>>> g = annotated(load_rdf(), "documents")
>>> sorted(k for k in g.nodes["A/RES/61/180"] if k in ("pagerank", "community"))
['community', 'pagerank']
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import networkx as nx
from rdflib import Graph

from tipkg.errors import TipkgError

from .centrality import metrics
from .communities import annotate
from .projections import Index, project


def load_rdf(graph_file: str | Path | None = None, corpus: str | Path | None = None) -> Graph:
    """The RDF graph of a dump (``.nt``/``.ttl``/…) if given, else a fresh in-memory build of the corpus."""
    if graph_file:
        path = Path(graph_file)
        if not path.is_file():
            raise TipkgError(str(path), "no such graph file")
        graph = Graph()
        graph.parse(str(path))
        return graph
    from tipkg.pipeline import build  # the pipeline imports graph/, so import it late

    return build(corpus, out_dir=None).graph


def annotated(graph: Graph | Index, projection: str = "full") -> nx.Graph:
    """The projection with every centrality metric and the community as node attributes."""
    g = project(graph, projection)
    for name, values in metrics(g).items():
        nx.set_node_attributes(g, {n: round(v, 6) if isinstance(v, float) else v for n, v in values.items()}, name)
    return annotate(g)


def export(g: nx.Graph, path: str | Path) -> Path:
    """Write ``g`` for Gephi: GraphML (``.graphml``) or GEXF (``.gexf``), chosen by the suffix."""
    path = Path(path)
    writers = {".graphml": nx.write_graphml, ".gexf": nx.write_gexf}
    if path.suffix not in writers:
        raise TipkgError(str(path), "export format must be .graphml or .gexf")
    path.parent.mkdir(parents=True, exist_ok=True)
    writers[path.suffix](g, str(path))
    return path


def render(rows: list[dict], fmt: str = "table") -> str:
    """Rows as an aligned text table, CSV or JSON."""
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2)
    if not rows:
        return "" if fmt == "csv" else "(nothing)"
    columns = list(rows[0])
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().rstrip("\n")

    def cell(value, column: str) -> str:
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        width = 140 if column == "gist" else 48  # a gist is read, not scanned
        return text if len(text) <= width else text[:width - 1] + "…"

    cells = [[cell(r.get(c, ""), c) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)
