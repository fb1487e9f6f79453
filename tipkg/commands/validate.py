"""Check a graph against the SHACL shapes and print a readable report.

Without --data, builds the graph of the corpus (--corpus, default: the bundled
one) in memory and validates it; with --data FILE…, validates the union of the
given RDF files (any format rdflib reads: .nt, .ttl, .jsonld, .trig, …).
The report is grouped by shape, then by node: its identifier, the message and
the offending value. Exit status 0 only when the graph conforms (3 when not).
By default the shapes are compiled to SPARQL and run in pyoxigraph, one query
per constraint over all nodes at once (see shapes/validate.py, shapes/shacl_sparql.py);
--engine pyshacl runs the reference implementation instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rdflib import Dataset, Graph
from rdflib.util import guess_format

from tipkg.errors import TipkgError
from tipkg.shapes.validate import ENGINES, validate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="FILE", nargs="+", help="RDF files to validate (default: build the corpus)")
    parser.add_argument("--corpus", metavar="DIR", help="corpus folder to build when no --data is given")
    parser.add_argument("--limit", type=int, default=20, help="nodes shown per shape (default 20)")
    parser.add_argument("--engine", choices=ENGINES, default="sparql",
                        help="sparql: the shapes compiled to SPARQL, run in pyoxigraph (fast, default); "
                             "pyshacl: everything in pyshacl (slow, the reference); split: the former name of sparql")


def load_data(files: list[str]) -> Graph:
    """The union of the triples of ``files`` (all graphs of a dataset file)."""
    graph = Graph()
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise TipkgError(name, "no such file")
        fmt = "json-ld" if path.suffix == ".jsonld" else guess_format(str(path)) or "turtle"
        try:
            if fmt in ("trig", "nquads"):
                ds = Dataset()
                ds.parse(str(path), format=fmt)
                for s, p, o, _ in ds.quads():
                    graph.add((s, p, o))
            else:
                graph.parse(str(path), format=fmt)
        except Exception as exc:  # noqa: BLE001 — any parser error is the file's fault
            raise TipkgError(name, f"cannot read as {fmt}: {exc}") from None
    return graph


def run(args: argparse.Namespace) -> int:
    if args.data:
        graph = load_data(args.data)
    else:
        from tipkg.pipeline import build
        triples = build(args.corpus, out_dir=None).triples
        graph = triples.store() if args.engine != "pyshacl" else triples.rdflib()
    report = validate(graph, engine=args.engine)
    print(report.text(limit=args.limit))
    sys.stdout.flush()
    return 0 if report.conforms else 3
