"""The request handler: routes, content negotiation, files.

Routes: ``/id/…`` (content negotiation: text/turtle, application/ld+json,
application/n-triples, text/html; ``?format=ttl|jsonld|nt|html`` overrides),
``/sparql`` (``protocol.py``), ``/sparql/table`` and ``/sparql/form`` (a query
as an HTML table, for a browser), ``/viz/`` (the map), ``/void``, ``/ontology``,
``/ontology/context.jsonld``, and the dump files (``/graph.nt`` …) that
void.ttl links to.
"""

from __future__ import annotations

from html import escape
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

from rdflib import Graph

from tipkg.ontology.context import CONTEXT_FILE
from tipkg.ontology.files import ONTOLOGY_HTML, ONTOLOGY_TTL
from tipkg.queries.querypool import FORMAT_PARAMS, Dataset
from tipkg.server.outbound import service_refusal
from tipkg.server.linked_data import DUMPS, PAGE_TYPES, RDF_TYPES, LinkedData, negotiate, serialize
from tipkg.server.pages import home_page, node_page, page, results_page, sparql_form, viz_html
from tipkg.server.protocol import ALLOW, ProtocolError, read_request

#: methods the other routes answer
ALLOW_READ = "GET, HEAD, OPTIONS"
#: the ?format= value of each type a negotiated resource is offered in (the Link header's alternates)
FORMAT_OF = {"text/html": "html", "text/turtle": "ttl", "application/ld+json": "jsonld", "application/n-triples": "nt"}
#: the largest request body read (a query, a form): past it, 413
MAX_BODY = 1 << 20


class Handler(BaseHTTPRequestHandler):
    server_version = "tipkg-serve"
    ld: LinkedData  # set on the class by make_server

    def log_message(self, fmt, *args):  # quiet unless asked
        if getattr(self.server, "verbose", False):
            super().log_message(fmt, *args)

    def parse_request(self) -> bool:
        """http.server's reading of the request head; once read, the connection may no longer be evicted
        to make room for others (``limits.GuardedServer``)."""
        ok = super().parse_request()
        if hasattr(self.server, "head_read"):
            self.server.head_read(self.request)
        return ok

    def send(self, status: int, media: str, body: bytes, vary: bool = False, headers: dict | None = None) -> None:
        """Every answer goes through here: charset on text types, CORS for browser clients, Vary when negotiated."""
        self.send_response(status)
        self.send_header("Content-Type", media if "charset" in media or not media.startswith(("text/", "application/")) else media + "; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        if vary:
            self.send_header("Vary", "Accept")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status: int, message: str, headers: dict | None = None) -> None:
        self.send(status, "text/plain; charset=utf-8", (message + "\n").encode("utf-8"), headers=headers)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, unknown method …) as plain UTF-8 text, not its HTML page."""
        self.close_connection = True
        self.error(code, f"{code} {message or self.responses.get(code, ('',))[0]}" + (f": {explain}" if explain else ""))

    def allowed(self) -> str:
        return ALLOW if urlparse(self.path).path == "/sparql" else ALLOW_READ

    def body(self) -> bytes:
        """The request body (empty when there is none); too large a body is refused before it is read."""
        if self.headers.get("Transfer-Encoding"):
            raise ProtocolError(411, "send the body with a Content-Length, not chunked")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise ProtocolError(400, f"Content-Length {self.headers.get('Content-Length')!r} is not a number") from None
        if length > MAX_BODY:
            self.close_connection = True
            raise ProtocolError(413, f"request body of {length} bytes; at most {MAX_BODY} are read")
        try:
            data = self.rfile.read(length) if length > 0 else b""
        except TimeoutError:  # the read timeout (limits.py): a body that stops arriving
            self.close_connection = True
            raise ProtocolError(408, f"the request body stopped arriving: no byte for {self.timeout:g} s") from None
        if len(data) < length:
            self.close_connection = True
            raise ProtocolError(400, f"the connection closed after {len(data)} of {length} body bytes")
        return data

    def refuse_method(self) -> None:
        self.body_or_none()
        self.error(405, f"{self.command} is not allowed on {urlparse(self.path).path}; allowed: {self.allowed()}",
                   headers={"Allow": self.allowed()})

    def body_or_none(self) -> bytes | None:
        try:
            return self.body()
        except ProtocolError:
            return None

    do_PUT = do_DELETE = do_PATCH = refuse_method

    def do_OPTIONS(self):
        """The allowed methods, and a CORS preflight answer for browser clients such as YASGUI."""
        self.body_or_none()
        self.send(204, "text/plain", b"", headers={
            "Allow": self.allowed(), "Access-Control-Allow-Methods": self.allowed(),
            "Access-Control-Allow-Headers": "Accept, Content-Type", "Access-Control-Max-Age": "86400"})

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/sparql":
            return self.sparql()
        params = parse_qs(url.query)
        if url.path in ("/viz", "/viz/") or url.path.startswith("/viz/"):
            return self.viz(params)
        if url.path in ("/sparql/table", "/sparql/form"):
            return self.sparql_page(url.path, params)
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
        self.negotiated(media, body)

    def negotiated(self, media: str, body: bytes) -> None:
        """A 200 for a resource offered in several types: ``Vary: Accept`` and a ``Link`` to each other type,
        so the HTML page points to its RDF and the RDF to its page."""
        path = quote(urlparse(self.path).path, safe="/:()%,.~-_!*+=@'")
        links = ", ".join(f'<{path}?format={fmt}>; rel="alternate"; type="{other}"'
                          for other, fmt in FORMAT_OF.items() if other != media)
        self.send(200, media, body, vary=True, headers={"Link": links})

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
            return self.negotiated("text/html", body)
        if media is None:
            return self.error(406, "not acceptable: offered " + ", ".join(PAGE_TYPES))
        if media == "text/turtle":
            return self.negotiated(media, path.read_bytes())
        g = Graph().parse(str(path), format="turtle")
        body = g.serialize(format="json-ld" if media == "application/ld+json" else "nt")
        self.negotiated(media, body.encode("utf-8") if isinstance(body, str) else body)

    def viz(self, params) -> None:
        """/viz/: the map (pages.viz_html); a name that names nothing is a 404 naming the closest ones."""
        from tipkg.errors import TipkgError

        try:
            self.send(200, "text/html", viz_html(self.ld, params))
        except TipkgError as refused:
            self.send(404, "text/html", page("not on the map", f"<h1>Not on the map</h1><p>{escape(str(refused))}</p>"))

    def sparql_page(self, path: str, params) -> None:
        """/sparql/form: the form with a query in it; /sparql/table: a query (or a catalog query by ``name``)
        answered by the pool as an HTML table."""
        query = (params.get("query") or [""])[0]
        name = (params.get("name") or [""])[0]
        if path == "/sparql/form":
            return self.send(200, "text/html", sparql_form(query or None))
        title = "SPARQL results"
        if name:
            from tipkg.queries.catalog import catalog

            found = catalog().get(name)
            if found is None:
                return self.error(404, f"no catalog query {name!r}; the catalog is listed at /sparql")
            query, title = found.text, found.question
        if not query.strip():
            return self.error(400, "no query: give ?query= or ?name= (a catalog query)")
        answer = self.ld.pool.query(query, ["application/sparql-results+json"])
        self.send(200 if answer.status == 200 else answer.status, "text/html",
                  results_page(self.ld, query, answer.body, answer.status, title))

    def do_POST(self):
        if urlparse(self.path).path != "/sparql":
            return self.refuse_method()
        self.sparql()

    def sparql(self) -> None:
        """/sparql: the request read by protocol.py, answered by the query pool over the store."""
        try:
            request = read_request(self.command, self.path, self.headers, self.body())
        except ProtocolError as refused:
            return self.error(refused.status, refused.message, headers={"Allow": ALLOW} if refused.status == 405 else None)
        if request is None:
            return self.send(200, "text/html", sparql_form(), vary=True)
        refusal = service_refusal(request.query)  # no outbound requests (SSRF): outbound.py
        if refusal:
            return self.error(400, refusal)
        dataset = Dataset(request.default_graphs, request.named_graphs, base_iri=self.ld.base)
        answer = self.ld.pool.query(request.query, list(request.preferences), dataset)
        self.send(answer.status, answer.content_type, answer.body, vary=True)
