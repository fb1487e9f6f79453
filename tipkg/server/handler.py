"""The request handler: routes, content negotiation, files.

Routes: ``/id/…`` (content negotiation: text/turtle, application/ld+json,
application/n-triples, text/html; ``?format=ttl|jsonld|nt|html`` overrides),
``/sparql`` (``protocol.py``), ``/void``, ``/ontology``,
``/ontology/context.jsonld``, and the dump files (``/graph.nt`` …) that
void.ttl links to.
"""

from __future__ import annotations

from html import escape
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from rdflib import Graph

from tipkg.ontology.context import CONTEXT_FILE
from tipkg.ontology.files import ONTOLOGY_HTML, ONTOLOGY_TTL
from tipkg.queries.querypool import FORMAT_PARAMS
from tipkg.server.linked_data import DUMPS, PAGE_TYPES, RDF_TYPES, LinkedData, negotiate, serialize
from tipkg.server.pages import home_page, node_page, page, sparql_form
from tipkg.server.protocol import ProtocolError, post_params, result_preferences


class Handler(BaseHTTPRequestHandler):
    server_version = "tipkg-serve"
    ld: LinkedData  # set on the class by make_server

    def log_message(self, fmt, *args):  # quiet unless asked
        if getattr(self.server, "verbose", False):
            super().log_message(fmt, *args)

    def send(self, status: int, media: str, body: bytes, vary: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media if "charset" in media or not media.startswith(("text/", "application/")) else media + "; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if vary:
            self.send_header("Vary", "Accept")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status: int, message: str) -> None:
        self.send(status, "text/plain; charset=utf-8", (message + "\n").encode("utf-8"))

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urlparse(self.path)
        params = parse_qs(url.query)
        if url.path == "/sparql":
            return self.sparql(params)
        if url.path in ("/", ""):
            return self.send(200, "text/html", home_page(self.ld))
        if url.path == "/void":
            return self.file(self.ld.out / "void.ttl", params)
        if url.path == "/ontology":
            return self.file(ONTOLOGY_TTL, params, html=ONTOLOGY_HTML)
        if url.path == "/ontology/context.jsonld":
            return self.send(200, "application/ld+json", CONTEXT_FILE.read_bytes())
        if url.path.lstrip("/") in DUMPS and (self.ld.out / url.path.lstrip("/")).is_file():
            return self.send(200, DUMPS[url.path.lstrip("/")], (self.ld.out / url.path.lstrip("/")).read_bytes())
        iri = self.ld.iri_for(url.path)
        if iri is None:
            return self.error(404, f"not found: {url.path} (nodes are under /id/)")
        out, into = self.ld.describe(iri)
        if not out and not into:
            return self.error(404, f"no node {iri} in the graph")
        media = self.choose(params)
        if media is None:
            return self.error(406, "not acceptable: offered " + ", ".join(PAGE_TYPES))
        body = node_page(self.ld, iri, out, into) if media == "text/html" else serialize(out + into, media)
        self.send(200, media, body, vary=True)

    def choose(self, params) -> str | None:
        wanted = (params.get("format") or [None])[0]
        if wanted:
            media = "text/html" if wanted == "html" else FORMAT_PARAMS.get(wanted)
            return media if media in PAGE_TYPES else None
        return negotiate(self.headers.get("Accept"), [*RDF_TYPES, "text/html"])

    def file(self, path: Path, params, html: Path | None = None) -> None:
        if not path.is_file():
            return self.error(404, f"{path.name} not found")
        media = self.choose(params)
        if media == "text/html":
            body = html.read_bytes() if html else page(path.name, f"<pre>{escape(path.read_text(encoding='utf-8'))}</pre>")
            return self.send(200, "text/html", body, vary=True)
        if media is None:
            return self.error(406, "not acceptable")
        if media == "text/turtle":
            return self.send(200, media, path.read_bytes(), vary=True)
        g = Graph().parse(str(path), format="turtle")
        body = g.serialize(format="json-ld" if media == "application/ld+json" else "nt")
        self.send(200, media, body.encode("utf-8") if isinstance(body, str) else body, vary=True)

    def do_POST(self):
        url = urlparse(self.path)
        if url.path != "/sparql":
            return self.error(405, "only /sparql accepts POST")
        length = int(self.headers.get("Content-Length") or 0)
        try:
            params = post_params(self.headers.get("Content-Type"), self.rfile.read(length), parse_qs(url.query))
        except ProtocolError as refused:
            return self.error(refused.status, refused.message)
        self.sparql(params)

    def sparql(self, params) -> None:
        if "update" in params:
            return self.error(403, "this endpoint is read-only: SPARQL Update is refused")
        queries = params.get("query") or []
        if not queries:
            return self.send(200, "text/html", sparql_form())
        if len(queries) > 1:
            return self.error(400, "exactly one query parameter, please")
        answer = self.ld.pool.query(queries[0], result_preferences(params, self.headers.get("Accept")))
        self.send(answer.status, answer.content_type, answer.body)
