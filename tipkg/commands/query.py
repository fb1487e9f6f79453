"""Run a catalog query (by name) or any .rq file, on the embedded store or an endpoint.

By default the query runs on the embedded store that `tipkg build` wrote into
--out (default ./out/store), opened read-only. With --endpoint URL it runs on
any SPARQL 1.1 endpoint instead (through SPARQLWrapper; long queries by POST);
--graph IRI names the graph to query there (sent as the protocol's
default-graph-uri; `tipkg publish` loads into https://w3id.org/tipkg/graph by
default). --param NAME=VALUE replaces that parameter's VALUES default with one
properly escaped RDF term. `tipkg query --list` shows the catalog.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys

from tipkg.queries.catalog import bind, catalog, load_query, parse_params
from tipkg.errors import TipkgError
from tipkg.pipeline import DEFAULT_OUT
from tipkg.queries.sparql import Results, Term, check_syntax, run_local, run_remote
from tipkg.graph.store import open_store

FORMATS = ("table", "csv", "tsv", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="?", metavar="NAME|FILE", help="catalog query name or path to a .rq file")
    parser.add_argument("--param", action="append", metavar="NAME=VALUE", help="bind a parameter (repeatable)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument("--endpoint", metavar="URL", help="SPARQL 1.1 query endpoint instead of the embedded store")
    parser.add_argument("--graph", metavar="IRI", help="with --endpoint: the graph to query (default-graph-uri)")
    parser.add_argument("--user", help="with --endpoint: HTTP user")
    parser.add_argument("--password", help="with --endpoint: HTTP password")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S", help="with --endpoint: seconds (default 60)")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"the build folder whose store to query (default: ./{DEFAULT_OUT})")
    parser.add_argument("--list", action="store_true", help="list the catalog queries and their questions")


def run(args: argparse.Namespace) -> int:
    if args.list:
        for name, query in catalog().items():
            params = ", ".join(f"{k}={v}" for k, v in query.parameters.items())
            print(f"{name:<28} {query.question}" + (f"  [{params}]" if params else ""))
        return 0
    if not args.query:
        raise TipkgError("tipkg query", "name a catalog query or a .rq file (or --list)")
    query = load_query(args.query)
    text = bind(query.text, parse_params(args.param), path=query.path)
    check_syntax(text, query.path)
    if args.endpoint:
        results = run_remote(args.endpoint, text, path=query.path, graph=args.graph, timeout=args.timeout,
                             user=args.user, password=args.password)
    else:
        results = run_local(open_store(args.out), text, query.path)
    sys.stdout.write(render(results, args.format))
    return 0


def _cell(term: Term | None) -> str:
    return "" if term is None else term.value


def render(results: Results, fmt: str) -> str:
    """The answer as text in one of FORMATS."""
    if results.boolean is not None:
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": results.boolean}) + "\n"
        return ("true" if results.boolean else "false") + "\n"
    if fmt == "json":
        bindings = [{v: t.sparql_json() for v, t in zip(results.variables, row) if t is not None}
                    for row in results.rows]
        return json.dumps({"head": {"vars": list(results.variables)}, "results": {"bindings": bindings}},
                          ensure_ascii=False, indent=1) + "\n"
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(results.variables)
        writer.writerows([_cell(t).replace("\t", " ") if fmt == "tsv" else _cell(t) for t in row]
                         for row in results.rows)
        return buffer.getvalue()
    cells = [[_cell(t).replace("\n", " ") for t in row] for row in results.rows]
    widths = [max([len(v)] + [min(len(r[i]), 80) for r in cells]) for i, v in enumerate(results.variables)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(results.variables, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in cells:
        lines.append("  ".join((c if len(c) <= 80 else c[:79] + "…").ljust(w)
                               for c, w in zip(row, widths)).rstrip())
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines) + "\n"
