"""Load the built graph into a remote triple store (SPARQL 1.1 Graph Store HTTP Protocol).

Sends --out's graph.nt in ONE HTTP PUT to the store's Graph Store endpoint
(--store, e.g. Oxigraph's http://host:7878/store, Fuseki's
http://host:3030/ds/data), which replaces the named graph --graph as a whole:
the store never holds a half-loaded graph. Then, with --endpoint (the SPARQL
query endpoint, e.g. http://host:7878/query), counts the triples of that graph
remotely and fails unless the count equals the local one.

--user/--password answer the store's challenge: Basic, or Digest where the
store asks for it (Virtuoso's /sparql-graph-crud-auth). The challenge is
fetched with a HEAD first, so the graph is sent once, already signed.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import socket
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from tipkg.queries.catalog import rdf_term
from tipkg.errors import TipkgError
from tipkg.pipeline import DEFAULT_OUT
from tipkg.queries.sparql import check_syntax, run_remote

#: the named graph `tipkg publish` writes and `tipkg query --graph` reads by default
DEFAULT_GRAPH = "https://w3id.org/tipkg/graph"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", required=True, metavar="URL", help="Graph Store Protocol endpoint of the store")
    parser.add_argument("--endpoint", metavar="URL", help="SPARQL query endpoint to check the triple count through")
    parser.add_argument("--graph", metavar="IRI", default=DEFAULT_GRAPH, help=f"named graph to replace (default {DEFAULT_GRAPH})")
    parser.add_argument("--user", help="HTTP basic-auth user")
    parser.add_argument("--password", help="HTTP basic-auth password")
    parser.add_argument("--timeout", type=float, default=600.0, metavar="S", help="seconds (default 600)")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT, help=f"the build folder to publish (default ./{DEFAULT_OUT})")


def run(args: argparse.Namespace) -> int:
    nt = Path(args.out) / "graph.nt"
    if not nt.is_file():
        raise TipkgError(nt, f"no graph to publish: run `tipkg build --out {args.out}` first")
    try:
        rdf_term(args.graph, "<>")
    except ValueError as exc:
        raise TipkgError("--graph", str(exc)) from None
    local = local_count(nt)
    status = put_graph(args.store, nt, args.graph, user=args.user, password=args.password, timeout=args.timeout)
    print(f"published {local} triples to <{args.graph}> at {args.store} (HTTP {status})")
    if args.endpoint:
        remote = remote_count(args.endpoint, args.graph, user=args.user, password=args.password, timeout=args.timeout)
        if remote != local:
            raise TipkgError(args.endpoint, f"remote graph <{args.graph}> holds {remote} triples, local graph {local}")
        print(f"checked: {remote} triples in <{args.graph}> through {args.endpoint}")
    return 0


def local_count(nt: Path) -> int:
    """Triples in a sorted, duplicate-free N-Triples file: its non-empty lines."""
    with nt.open("rb") as fh:
        return sum(1 for line in fh if line.strip() and not line.startswith(b"#"))


def put_graph(store: str, nt: Path, graph: str, *, user=None, password=None, timeout: float = 600.0) -> int:
    """PUT the N-Triples file as the whole content of ``graph``; the HTTP status."""
    url = store + ("&" if "?" in store else "?") + urlencode({"graph": graph})
    data = nt.read_bytes()
    request = urllib.request.Request(url, data=data, method="PUT",
                                     headers={"Content-Type": "application/n-triples",
                                              "Content-Length": str(len(data))})
    if user:
        request.add_header("Authorization", authorization(request, user, password or "", timeout))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        body = " ".join(exc.read(300).decode("utf-8", "replace").split())
        raise TipkgError(store, f"HTTP {exc.code} {exc.reason}" + (f": {body}" if body else "")) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ConnectionRefusedError):
            raise TipkgError(store, "connection refused (is the store running?)") from None
        if isinstance(exc.reason, (socket.timeout, TimeoutError)):
            raise TipkgError(store, f"no answer within {timeout:g} s (timeout)") from None
        raise TipkgError(store, f"cannot reach the store: {exc.reason}") from None
    except (socket.timeout, TimeoutError):
        raise TipkgError(store, f"no answer within {timeout:g} s (timeout)") from None
    except (ConnectionError, http.client.HTTPException) as exc:
        raise TipkgError(store, f"connection failed: {exc.__class__.__name__} {exc}") from None


def authorization(request: urllib.request.Request, user: str, password: str, timeout: float) -> str:
    """The Authorization header for ``request``: Digest when a HEAD to its URL is challenged so, else Basic."""
    challenge = ""
    try:
        urllib.request.urlopen(urllib.request.Request(request.full_url, method="HEAD"), timeout=timeout).close()
    except urllib.error.HTTPError as exc:
        challenge = exc.headers.get("WWW-Authenticate") or ""
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        pass  # the PUT itself will say what is wrong
    if challenge.lower().startswith("digest "):
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, request.full_url, user, password)
        fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(challenge[7:]))
        digest = urllib.request.HTTPDigestAuthHandler(passwords)
        probe = urllib.request.Request(request.full_url, method="HEAD")
        probe.add_header("Authorization", f"Digest {digest.get_authorization(probe, fields)}")
        try:  # a store refusing the credentials would otherwise cut the PUT off mid-body
            urllib.request.urlopen(probe, timeout=timeout).close()
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                raise TipkgError(request.full_url.split("?")[0],
                                 f"HTTP 401 Unauthorized: the store refuses user {user!r} with that password") from None
        signed = digest.get_authorization(request, fields)
        if signed:
            return f"Digest {signed}"
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def remote_count(endpoint: str, graph: str, *, user=None, password=None, timeout: float = 600.0) -> int:
    """Triples in ``graph`` as the query endpoint counts them."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    check_syntax(query, "count")
    results = run_remote(endpoint, query, path="count", timeout=timeout, user=user, password=password)
    return int(results.rows[0][0].value)
