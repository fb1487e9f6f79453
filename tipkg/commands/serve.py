"""Serve the built graph as linked data, with a SPARQL endpoint.

Every minted URI dereferences under /id/ (the data keeps the base it was built
with; /id/<path> answers for <base><path>) with content negotiation:
text/turtle, application/ld+json, application/n-triples, text/html (a page
per node: identifier, labels, its Arabic text right-to-left, links in and
out). /sparql is a read-only SPARQL 1.1 Protocol endpoint (GET and POST;
JSON, XML, CSV, TSV results by Accept or ?format=) with a time limit per
query, and refuses SERVICE (it never calls other hosts); idle connections are
closed after --read-timeout and at most --max-connections are served at once;
/void and /ontology describe the dataset and its vocabulary. The
graph is loaded into a persistent pyoxigraph store, <out>/store, on first use.
"""

from __future__ import annotations

import argparse
import sys

from tipkg.pipeline import DEFAULT_OUT
from tipkg.server.limits import MAX_CONNECTIONS, READ_TIMEOUT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT, help=f"the build output to serve (default ./{DEFAULT_OUT})")
    parser.add_argument("--timeout", type=float, default=10.0, help="time limit of a SPARQL query in seconds (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="query worker processes (default 2)")
    parser.add_argument("--read-timeout", type=float, default=READ_TIMEOUT, metavar="S",
                        help=f"close a connection that sends nothing for S seconds (default {READ_TIMEOUT:g})")
    parser.add_argument("--max-connections", type=int, default=MAX_CONNECTIONS, metavar="N",
                        help=f"serve at most N connections at once; more get 503 (default {MAX_CONNECTIONS})")
    parser.add_argument("--verbose", action="store_true", help="log every request")


def run(args: argparse.Namespace) -> int:
    from tipkg.server import make_server
    server = make_server(args.out, args.host, args.port, timeout=args.timeout, workers=args.workers,
                         read_timeout=args.read_timeout, max_connections=args.max_connections)
    server.verbose = args.verbose
    host, port = server.server_address[:2]
    print(f"tipkg serve: http://{host}:{port}/ (URIs {server.ld.base}… under /id/; SPARQL at /sparql, "
          f"time limit {args.timeout:g}s)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.ld.pool.close()
    print("tipkg serve: stopped", file=sys.stderr)
    return 0
