"""Run a catalog query (by name) or any .rq file, on the embedded store or an endpoint.

By default the query runs on the embedded store that `tipkg build` wrote into
--out (default ./out/store), opened read-only. With --endpoint URL it runs on
any SPARQL 1.1 endpoint instead (through SPARQLWrapper; long queries by POST);
--graph IRI names the graph to query there (sent as the protocol's
default-graph-uri; `tipkg publish` loads into https://w3id.org/tipkg/graph by
default). --param NAME=VALUE replaces that parameter's VALUES default with one
properly escaped RDF term. `tipkg query --list` shows the catalog.

No silent empty answers: each --param is checked against the graph before the
query runs (queries/params.py): an integer must be one; an actor, topic,
document, paragraph or article may be named by identifier, IRI or English or
Arabic label and is resolved to its identifier, or the run ends with one line
naming the parameter, the value and the closest existing values (exit 2).
`tipkg query --values KIND` lists what exists. A query that uses the catalog's
prefixes (tip:, dcterms:, …) without declaring them gets them. On an endpoint
without --graph, data that sits in one named graph is found and queried there.
--limit/--offset page a long answer; the answer of a whole-graph query (no node
parameter: counts, overviews) is precomputed by the build and paged from there.
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
from tipkg.ontology.namespace import PREFIXES
from tipkg.queries import params as parameters
from tipkg.queries import precomputed
from tipkg.queries.sparql import (Results, Term, check_syntax, data_graph, paged, run_local, run_remote,
                                  with_prefixes)
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
    parser.add_argument("--values", choices=parameters.LISTABLE, metavar="KIND",
                        help=f"list what a parameter of this kind accepts ({', '.join(parameters.LISTABLE)})")
    parser.add_argument("--limit", type=_count, metavar="N", help="print at most N rows (a page)")
    parser.add_argument("--offset", type=_count, default=0, metavar="N", help="skip the first N rows")


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    if args.list:
        for name, query in catalog().items():
            params = ", ".join(f"{k}={v}" for k, v in query.parameters.items())
            print(f"{name:<28} {query.question}" + (f"  [{params}]" if params else ""))
        return 0
    if not args.query and not args.values:
        raise TipkgError("tipkg query", "name a catalog query or a .rq file (or --list, or --values KIND)")
    ask = _runner(args)
    if args.values:
        sys.stdout.write(render(_values_table(ask, args.values), args.format))
        return 0
    query = load_query(args.query)
    given, notes = parameters.resolve_all(ask, parse_params(args.param), query.path)
    for note in notes:
        print(f"tipkg query: {note}", file=sys.stderr)
    results, more = answer(ask, query, given, args.limit, args.offset, None if args.endpoint else args.out)
    sys.stdout.write(render(results, args.format))
    if not results.rows and results.boolean is None and given and not args.offset:
        bound = ", ".join(f"{k}={v}" for k, v in given.items())
        print(f"tipkg query: no rows ({bound}: in the graph, but nothing answers for it)", file=sys.stderr)
    if more:
        print(f"tipkg query: more rows follow: --offset {args.offset + args.limit}", file=sys.stderr)
    return 0


def answer(ask, query, given: dict[str, str], limit: int | None, offset: int = 0,
           out: str | None = None) -> tuple[Results, bool]:
    """One page of ``query``'s answer (parameters ``given``, already resolved) and whether
    more rows follow. On the embedded store of ``out``, a whole-graph query whose answer
    the build precomputed (queries/precomputed.py) is paged from that file; otherwise
    the store (or endpoint) is asked for the page (``limit`` + 1 rows)."""
    text, added = with_prefixes(bind(query.text, given, path=query.path), PREFIXES)
    check_syntax(text, query.path, added)
    results = None
    if out is not None:
        results = precomputed.lookup(out, text, limit, offset)
        if results is None:
            results = precomputed.search(out, ask, query, given, limit, offset)
    by_store = results is not None  # paged by the lookup
    if results is None:
        page, by_store = paged(text, limit, offset)
        results = ask(page, query.path)
    if not by_store:
        results = Results(results.variables, results.rows[offset:], results.boolean)
    more = limit is not None and len(results.rows) > limit
    if limit is not None:
        results = Results(results.variables, results.rows[:limit], results.boolean)
    return results, more


def _runner(args: argparse.Namespace):
    """A function running SPARQL text where the user asked: the embedded store, or the
    endpoint (on the named graph that holds the data when no --graph is given)."""
    if args.endpoint:
        options = dict(timeout=args.timeout, user=args.user, password=args.password)
        graph = data_graph(args.endpoint, args.graph, **options)
        if graph and not args.graph:
            print(f"tipkg query: the data sits in the named graph <{graph}>: querying it "
                  "(--graph IRI to choose another)", file=sys.stderr)
        return lambda text, path="query": run_remote(args.endpoint, text, path=path, graph=graph, **options)
    store = open_store(args.out)
    return lambda text, path="query": run_local(store, text, path)


def _values_table(ask, kind: str) -> Results:
    """What a parameter of ``kind`` accepts: identifier, English and Arabic labels."""
    rows = tuple((Term("literal", n.identifier), Term("literal", n.label_en), Term("literal", n.label_ar))
                 for n in parameters.nodes(ask, kind))
    return Results(("identifier", "label_en", "label_ar"), rows)


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
