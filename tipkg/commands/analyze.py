"""Print network metrics of a projection of the graph, and export it for Gephi.

Projections (--projection): documents (citation network, default), articles
(paragraph -> article), topics (co-occurrence), actors (document -> actor),
reuse (paragraph echoes paragraph), full (everything).
Metrics (--metric, the sort order of the table): pagerank (default), degree,
in_degree, out_degree, citations, betweenness; or one of the reports
communities, trends (topic counts per year), reuse (text-reuse edges and the
two-source attestations). --export FILE.graphml|FILE.gexf writes the
projection with every metric and the community as node attributes.
"""

from __future__ import annotations

import argparse

from tipkg.network.centrality import METRICS, ranking
from tipkg.network.communities import communities
from tipkg.network.network import annotated, export, load_rdf, render
from tipkg.network.projections import PROJECTIONS, Index
from tipkg.network.trends import trend_rows

REPORTS = ("communities", "trends", "reuse")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--graph", metavar="FILE", help="a graph dump (graph.nt/graph.ttl); default: build the corpus")
    parser.add_argument("--corpus", metavar="DIR", help="corpus folder to build (default: bundled corpus)")
    parser.add_argument("--projection", choices=PROJECTIONS, default="documents", help="network to analyse (default: documents)")
    parser.add_argument("--metric", choices=METRICS + REPORTS, default="pagerank", help="sort by this metric, or print a report (default: pagerank)")
    parser.add_argument("--kind", help="only nodes of this kind (document, instrument, article, paragraph, topic, actor)")
    parser.add_argument("--top", type=int, default=20, metavar="N", help="rows to print (default 20; 0 = all)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--export", metavar="FILE", help="write the projection as FILE.graphml or FILE.gexf")


def run(args: argparse.Namespace) -> int:
    index = Index(load_rdf(args.graph, args.corpus))
    top = args.top or None
    g = annotated(index, args.projection)
    if args.metric == "communities":
        rows = [{"community": n, "size": len(group), "members": ", ".join(sorted(group))}
                for n, group in enumerate(communities(g))][:top]
    elif args.metric == "trends":
        rows = trend_rows(index, top)
    elif args.metric == "reuse":
        rows = reuse_rows(index)[:top]
    else:
        rows = ranking(g, args.metric, args.kind, top)
        for row in rows:
            row["community"] = g.nodes[row["identifier"]].get("community", "")
    written = export(g, args.export) if args.export else None  # before printing: `| head` may close stdout
    print(render(rows, args.format))
    if written:
        print(f"written: {written}")
    return 0


def reuse_rows(index: Index) -> list[dict]:
    """Every tip:echoes edge (paragraph and source level) with its score, best first."""
    from rdflib import RDF
    from rdflib.namespace import DCTERMS

    from tipkg.ontology.namespace import TIP

    graph = index.graph
    rows = []
    for node in graph.subjects(RDF.type, TIP.TextReuse):
        later, earlier = index.nodes.get(graph.value(node, RDF.subject)), index.nodes.get(graph.value(node, RDF.object))
        about = index.nodes.get(graph.value(node, DCTERMS.subject))
        if later and earlier:
            rows.append({"later": later.identifier, "earlier": earlier.identifier,
                         "score": float(graph.value(node, TIP.score)), "about": about.identifier if about else ""})
    rows.sort(key=lambda r: (-r["score"], r["later"], r["earlier"]))
    return rows
