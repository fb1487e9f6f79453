"""The linked-data server: every minted URI dereferences, and /sparql answers queries.

Behind it is a persistent pyoxigraph store, ``<out>/store``, loaded from
``<out>/graph.nt`` the first time the server runs on a build (``tipkg build``
replaces ``<out>`` whole, so a new build always gets a fresh store). The
server only reads it.

URIs. The server rewrites nothing in the data: minted URIs keep the base the
graph was built with (``void:uriSpace`` in ``void.ttl``, by default
``https://w3id.org/tipkg/id/``). A request for ``/id/<path>`` (or for the
base's own path, e.g. ``/tipkg/id/<path>``) is answered for the URI
``<base><path>``; HTML pages link to other nodes by those local paths, so the
graph can be browsed locally while the data stays canonical.

Routes: ``/id/…`` (content negotiation: text/turtle, application/ld+json,
application/n-triples, text/html; ``?format=ttl|jsonld|nt|html`` overrides),
``/sparql`` (SPARQL 1.1 Protocol, GET and POST, read-only, time limit),
``/void``, ``/ontology``, ``/ontology/context.jsonld``, and the dump files
(``/graph.nt`` …) that void.ttl links to.
"""

from __future__ import annotations

from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pyoxigraph as ox
from rdflib import Graph, URIRef

from tipkg.dumps import VOID
from tipkg.jsonld import CONTEXT_FILE, _published_context
from tipkg.graph.uris import base_iri, identifier_of, mint
from tipkg.ontodoc import ONTOLOGY_HTML, ONTOLOGY_TTL, curie
from tipkg.errors import TipkgError
from tipkg.querypool import FORMAT_PARAMS, QueryPool
from tipkg.store import build_store, store_path

RDF_TYPES = {"text/turtle": ox.RdfFormat.TURTLE, "application/ld+json": ox.RdfFormat.JSON_LD,
             "application/n-triples": ox.RdfFormat.N_TRIPLES}
PAGE_TYPES = ["text/html", *RDF_TYPES]
DUMPS = {"graph.nt": "application/n-triples", "graph.ttl": "text/turtle", "graph.jsonld": "application/ld+json",
         "graph.trig": "application/trig", "void.ttl": "text/turtle", "context.jsonld": "application/ld+json"}
IDENTIFIER = ox.NamedNode("http://purl.org/dc/terms/identifier")
TEXT = ox.NamedNode("https://w3id.org/tipkg/ontology#text")
NORMALIZED = ox.NamedNode("https://w3id.org/tipkg/ontology#normalizedText")
LABELS = [ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")]


def ensure_store(out_dir: str | Path) -> Path:
    """``<out>/store``: the store ``tipkg build`` loads; built here from graph.nt if the folder lacks one."""
    out = Path(out_dir)
    nt = out / "graph.nt"
    if not nt.is_file():
        raise TipkgError(str(nt), "no built graph here: run `tipkg build --out DIR` first")
    path = store_path(out)
    if not path.is_dir():
        build_store(nt, path)
    return path


def uri_space(out_dir: str | Path) -> str:
    """The base the graph was built with, from void.ttl (else the configured base)."""
    void = Path(out_dir) / "void.ttl"
    if void.is_file():
        g = Graph().parse(str(void), format="turtle")
        value = next(g.objects(None, VOID.uriSpace), None)
        if value is not None:
            return str(value)
    return base_iri()


def negotiate(accept: str | None, offered: list[str]) -> str | None:
    """The offered media type the Accept header prefers (q-values honoured; */* means the first offered)."""
    if not accept:
        return offered[0]
    ranked = []
    for n, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        ranked.append((-q, n, fields[0].lower()))
    for negq, _, media in sorted(ranked):
        if negq == 0:
            break
        if media in offered:
            return media
        if media in ("*/*", "application/*", "text/*"):
            prefix = media.split("/")[0]
            return next((o for o in offered if prefix == "*" or o.startswith(prefix + "/")), None)
    return None


class LinkedData:
    """What the handler needs: the store, the base, the query pool, the out folder."""

    def __init__(self, out_dir: str | Path, *, timeout: float = 10.0, workers: int = 2):
        self.out = Path(out_dir)
        self.store_path = ensure_store(self.out)
        self.store = ox.Store.read_only(str(self.store_path))
        self.base = uri_space(self.out)
        self.prefixes = [urlparse(self.base).path, "/id/"]
        self.pool = QueryPool(str(self.store_path), workers=workers, timeout=timeout)

    def iri_for(self, path: str) -> str | None:
        """The minted URI a request path stands for, or None."""
        for prefix in self.prefixes:
            if prefix and path.startswith(prefix) and len(path) > len(prefix):
                identifier = identifier_of(self.base + path[len(prefix):], self.base)
                return str(mint(identifier, self.base)) if identifier else None
        return None

    def local(self, iri: str) -> str | None:
        return "/id/" + iri[len(self.base):] if iri.startswith(self.base) else None

    def describe(self, iri: str) -> tuple[list[ox.Quad], list[ox.Quad]]:
        node = ox.NamedNode(iri)
        out = list(self.store.quads_for_pattern(node, None, None))
        into = list(self.store.quads_for_pattern(None, None, node))
        return out, into

    def identifier(self, term) -> str | None:
        if not isinstance(term, ox.NamedNode):
            return None
        for q in self.store.quads_for_pattern(term, IDENTIFIER, None):
            return q.object.value
        return None


def serialize(quads: list[ox.Quad], media: str) -> bytes:
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    if media == "application/ld+json":
        g = Graph()
        g.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
        return g.serialize(format="json-ld", context=_published_context(), auto_compact=True).encode("utf-8")
    return ox.serialize(triples, format=RDF_TYPES[media],
                        prefixes={"tip": "https://w3id.org/tipkg/ontology#", "eli": "http://data.europa.eu/eli/ontology#",
                                  "dcterms": "http://purl.org/dc/terms/", "skos": "http://www.w3.org/2004/02/skos/core#",
                                  "prov": "http://www.w3.org/ns/prov#", "cito": "http://purl.org/spar/cito/"}
                        if media == "text/turtle" else None)


_CSS = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3em;vertical-align:top;text-align:start}"
        "[dir=rtl]{font-family:'Noto Naskh Arabic','Amiri',serif;font-size:1.15em;line-height:1.8}"
        ".text{background:#f7f7f2;padding:1em;border-radius:.4em}code{background:#f1f1f1}")


def page(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n").encode("utf-8")


def _value_html(ld: LinkedData, term) -> str:
    if isinstance(term, ox.NamedNode):
        ident = ld.identifier(term)
        href = ld.local(term.value) or term.value
        return f'<a href="{escape(quote(href, safe="/:#()%,.~-_!*+=@"))}">{escape(ident or curie(URIRef(term.value)))}</a>'
    if isinstance(term, ox.Literal):
        if term.language == "ar":
            return f'<span lang="ar" dir="rtl">{escape(term.value)}</span>'
        lang = f' lang="{escape(term.language)}"' if term.language else ""
        return f"<span{lang}>{escape(term.value)}</span>"
    return escape(str(term))


def node_page(ld: LinkedData, iri: str, out: list[ox.Quad], into: list[ox.Quad]) -> bytes:
    """The HTML page of a node: identifier, labels, Arabic text right-to-left, links out and in."""
    ident = next((q.object.value for q in out if q.predicate == IDENTIFIER), iri)
    parts = [f"<h1><code>{escape(ident)}</code></h1>", f"<p><small>{escape(iri)}</small></p>"]
    labels = [q.object for q in out if q.predicate in LABELS]
    seen = set()
    for lab in labels:
        if (lab.value, lab.language) in seen:
            continue
        seen.add((lab.value, lab.language))
        if lab.language == "ar":
            parts.append(f'<p lang="ar" dir="rtl"><strong>{escape(lab.value)}</strong></p>')
        else:
            parts.append(f'<p><strong>{escape(lab.value)}</strong>{f" <small>({escape(lab.language)})</small>" if lab.language else ""}</p>')
    texts = {q.predicate: q.object.value for q in out if q.predicate in (TEXT, NORMALIZED)}
    if NORMALIZED in texts:  # reading order (visual-order extractions put back), then the original
        parts.append(f'<div class="text" lang="ar" dir="rtl">{escape(texts[NORMALIZED])}</div>')
    if TEXT in texts:
        parts.append(f'<details><summary>original text as extracted</summary>'
                     f'<div class="text" lang="ar" dir="rtl">{escape(texts[TEXT])}</div></details>')
    formats = " · ".join(f'<a href="?format={f}">{f}</a>' for f in ("ttl", "jsonld", "nt"))
    parts.append(f"<p><small>Other formats: {formats}</small></p>")
    parts.append("<h2>Statements</h2><table><tr><th>property</th><th>value</th></tr>")
    for q in sorted(out, key=lambda q: (q.predicate.value, str(q.object))):
        if q.predicate not in (TEXT, NORMALIZED):
            parts.append(f"<tr><td><code>{escape(curie(URIRef(q.predicate.value)))}</code></td><td>{_value_html(ld, q.object)}</td></tr>")
    parts.append("</table>")
    parts.append(f"<h2>Links in ({len(into)})</h2><table><tr><th>from</th><th>property</th></tr>")
    for q in sorted(into, key=lambda q: (q.predicate.value, str(q.subject)))[:500]:
        parts.append(f"<tr><td>{_value_html(ld, q.subject)}</td><td><code>{escape(curie(URIRef(q.predicate.value)))}</code></td></tr>")
    parts.append("</table>")
    return page(ident, "\n".join(parts))


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
            return self.send(200, "text/html", self.home())
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
        data = self.rfile.read(length).decode("utf-8")
        media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        params = parse_qs(url.query)
        if media == "application/sparql-update":
            return self.error(403, "this endpoint is read-only: SPARQL Update is refused")
        if media == "application/sparql-query":
            params["query"] = [data]
        elif media == "application/x-www-form-urlencoded":
            for key, values in parse_qs(data).items():
                params.setdefault(key, []).extend(values)
        else:
            return self.error(415, "POST a query as application/sparql-query or application/x-www-form-urlencoded")
        self.sparql(params)

    def sparql(self, params) -> None:
        if "update" in params:
            return self.error(403, "this endpoint is read-only: SPARQL Update is refused")
        queries = params.get("query") or []
        if not queries:
            form = ('<h1>SPARQL</h1><form method="post" action="/sparql"><textarea name="query" rows="12" cols="80">'
                    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n)</textarea><br>"
                    '<select name="format"><option>json</option><option>xml</option><option>csv</option></select> '
                    '<button>Run</button></form>')
            return self.send(200, "text/html", page("SPARQL", form))
        if len(queries) > 1:
            return self.error(400, "exactly one query parameter, please")
        preferences = []
        for key in ("format", "output"):
            for value in params.get(key, []):
                preferences.append(FORMAT_PARAMS.get(value.lower(), value.lower()))
        accept = self.headers.get("Accept") or ""
        preferences += [m[1] for m in sorted((-_q(p), p.split(";")[0].strip().lower()) for p in accept.split(",") if p.strip())]
        answer = self.ld.pool.query(queries[0], preferences)
        self.send(answer.status, answer.content_type, answer.body)

    def home(self) -> bytes:
        """Entry points: the description, the ontology, the endpoint, and the nodes that have parts."""
        query = ("SELECT DISTINCT ?d ?id WHERE { ?p <http://data.europa.eu/eli/ontology#is_part_of> ?d . "
                 "?d <http://purl.org/dc/terms/identifier> ?id "
                 "FILTER NOT EXISTS { ?d <http://data.europa.eu/eli/ontology#is_part_of> ?up } } ORDER BY ?id")
        docs = "".join(f"<li>{_value_html(self.ld, s['d'])}</li>" for s in self.ld.store.query(query))
        body = ("<h1>tipkg linked data</h1><ul><li><a href='/void'>dataset description (VoID)</a></li>"
                "<li><a href='/ontology'>ontology</a></li><li><a href='/sparql'>SPARQL endpoint</a></li></ul>"
                f"<p>Nodes are served under <code>/id/</code> for the URIs <code>{escape(self.ld.base)}…</code>.</p>"
                f"<h2>Documents and instruments</h2><ul>{docs}</ul>")
        return page("tipkg", body)


def _q(part: str) -> float:
    for field in part.split(";")[1:]:
        field = field.strip()
        if field.startswith("q="):
            try:
                return float(field[2:])
            except ValueError:
                return 0.0
    return 1.0


def make_server(out_dir: str | Path, host: str = "127.0.0.1", port: int = 8000, *,
                timeout: float = 10.0, workers: int = 2) -> ThreadingHTTPServer:
    """A ready server (call ``serve_forever``); its ``ld.pool`` must be closed after."""
    ld = LinkedData(out_dir, timeout=timeout, workers=workers)
    handler = type("TipkgHandler", (Handler,), {"ld": ld})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.ld = ld
    return server

