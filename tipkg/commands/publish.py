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
import re
import select
import socket
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

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
    """PUT the N-Triples file as the whole content of ``graph``; the HTTP status.

    A store may answer (401, 413, 500 …) before it has read a large upload and
    close the connection; the upload then fails with a broken pipe, but the
    answer is already there. So the request asks ``Expect: 100-continue`` and
    sends the graph only once the store says so (or stays silent for a moment:
    stores that ignore the header), and when sending fails anyway the store's
    answer is read and reported, not the broken pipe.
    """
    url = urlsplit(store + ("&" if "?" in store else "?") + urlencode({"graph": graph}))
    if url.scheme not in ("http", "https") or not url.hostname:
        raise TipkgError(store, "the store must be an http:// or https:// URL")
    size = nt.stat().st_size
    full_url = f"{url.scheme}://{url.netloc}{url.path}?{url.query}"
    signature = authorization(urllib.request.Request(full_url, method="PUT"), user, password or "", timeout) if user else None
    connection = (http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection)(
        url.hostname, url.port, timeout=timeout)
    try:
        try:
            connection.putrequest("PUT", url.path + "?" + url.query)
            connection.putheader("Content-Type", "application/n-triples")
            connection.putheader("Content-Length", str(size))
            connection.putheader("Expect", "100-continue")
            if signature:
                connection.putheader("Authorization", signature)
            connection.endheaders()
            sent = _may_send(connection.sock, min(timeout, 2.0))
            if sent:
                _send_file(connection, nt)
            response = connection.getresponse()
        except ConnectionRefusedError:
            raise TipkgError(store, "connection refused (is the store running?)") from None
        except (socket.timeout, TimeoutError):
            raise TipkgError(store, f"no answer within {timeout:g} s (timeout)") from None
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            raise TipkgError(store, "the store closed the connection without an answer "
                                    f"(while {size} bytes of graph were sent)") from None
        except (OSError, http.client.HTTPException) as exc:
            raise TipkgError(store, f"cannot reach the store: {exc.__class__.__name__} {exc}") from None
        try:
            data = response.read(1 << 20)  # the whole answer, unless it is very large: a cut-off one is told apart
            cut = response.length not in (None, 0) and len(data) < 1 << 20
        except (OSError, http.client.HTTPException):
            data, cut = b"", True
        body = " ".join(data[:300].decode("utf-8", "replace").split())
        if response.status >= 400 or response.status < 200:
            raise TipkgError(store, f"HTTP {response.status} {response.reason}" + (f": {body}" if body else ""))
        if not sent:
            raise TipkgError(store, f"HTTP {response.status} {response.reason} came before the graph was sent: the "
                                    f"store cannot have stored it (it answers without reading requests)")
        if cut:
            raise TipkgError(store, f"HTTP {response.status} {response.reason}, but the answer was cut off "
                                    f"(the connection closed early): check the graph with --endpoint")
        return response.status
    finally:
        connection.close()


def _may_send(sock, wait: float) -> bool:
    """After the headers: True to send the body (the store said 100 Continue, or nothing within ``wait``),
    False when it already gave its final answer. The interim 100 is consumed; a final answer is left
    for ``getresponse``."""
    if not hasattr(sock, "recv") or isinstance(sock, ssl.SSLSocket):
        return True  # TLS cannot peek: send, and read whatever the store answers (below)
    ready, _, _ = select.select([sock], [], [], wait)
    if not ready:
        return True
    head = sock.recv(64, socket.MSG_PEEK)
    if not re.match(rb"HTTP/1\.[01] 100\b", head):
        return False
    seen = b""
    while b"\r\n\r\n" not in seen:
        chunk = sock.recv(1)
        if not chunk:
            return False
        seen += chunk
    return True


def _send_file(connection: http.client.HTTPConnection, nt: Path) -> None:
    """Stream the file; a store that stops reading (it has answered) ends the upload, not the run."""
    try:
        with nt.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                connection.send(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # its answer, if it gave one, is read next


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
