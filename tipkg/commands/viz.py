"""Write an interactive page (HTML, works offline) drawing a projection of the graph.

Default: the overview (--projection overview): documents, instruments and
topics, with the paragraphs' links summed into weighted document-level
edges, readable at a glance. --focus NODE [--depth N] opens the paragraphs:
what lies within N steps of a node of the whole corpus; --topic T the
paragraphs the thematic index files under T or a narrower topic, and what
they link to. NODE and T are identifiers or English/Arabic labels
("victims", "Victims", "الضحايا", "A/RES/61/180", "Member States"); and
--years A-B (nodes dated A to B, with the undated instruments, articles,
topics and actors they link to). Nodes are sized by --size-by (pagerank,
degree, in_degree, out_degree, citations, betweenness).
"""

from __future__ import annotations

import argparse

from tipkg.network.centrality import METRICS
from tipkg.network.network import annotated, load_rdf
from tipkg.network.projections import PROJECTIONS
from tipkg.network.viz import describe, parse_years, select, write_page


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--graph", metavar="FILE", help="a graph dump (graph.nt/graph.ttl); default: build the corpus")
    parser.add_argument("--corpus", metavar="DIR", help="corpus folder to build (default: bundled corpus)")
    parser.add_argument("--projection", choices=PROJECTIONS, default="overview",
                        help="network to draw (default: overview; --focus/--topic open the whole corpus)")
    parser.add_argument("--focus", metavar="IDENTIFIER", help="centre on this node, e.g. 'TIPP art 9' or 'A/RES/61/180'")
    parser.add_argument("--depth", type=int, default=1, metavar="N", help="steps around --focus (default 1)")
    parser.add_argument("--topic", metavar="T", help="topic: identifier (with or without 'topic:'), English or Arabic label")
    parser.add_argument("--years", metavar="A-B", help="only nodes dated A to B (e.g. 2009-2013)")
    parser.add_argument("--size-by", choices=METRICS, default="pagerank", help="node size metric (default pagerank)")
    parser.add_argument("--out", metavar="FILE.html", required=True, help="the page to write")


def run(args: argparse.Namespace) -> int:
    years = parse_years(args.years)  # a malformed range is refused before the graph is built
    projection = args.projection
    if projection == "overview" and (args.focus or args.topic):
        projection = "full"  # the overview has no paragraphs; a focus or a topic opens them
    g = annotated(load_rdf(args.graph, args.corpus), projection)
    shown, said = select(g, args.focus, args.depth, args.topic, years)
    title, subtitle = describe(projection, shown, said, args.size_by)
    path = write_page(shown, args.out, title, subtitle, args.size_by)
    print(f"{title}\n{subtitle}\nwritten: {path}")
    return 0
