"""A runner for the W3C SPARQL 1.1/1.2 Protocol test suite (vendored in ``tests/w3c/sparql-protocol``).

The manifests (w3c/rdf-tests PR #324) describe each test as HTTP requests in
the W3C HTTP vocabulary (``ht:``) with machine-checkable expectations. This
runner reads them with rdflib and sends every request as written: the method,
the query string of ``ht:absolutePath`` (its ``/sparql`` prefix replaced by the
endpoint's path), the ``Host`` of ``ht:connectionAuthority``, the request headers, and the body encoded in its
``cnt:characterEncoding`` (UTF-16 bodies really are UTF-16 on the wire). It uses
``http.client`` because other clients refuse a GET with a body, which one test
sends on purpose.

A read-only endpoint cannot run the suite's set-up (Graph Store Protocol PUTs
of ``ut:graphData``) nor its updates, so:

* the dataset is loaded beforehand: every ``ut:graphData`` file into the named
  graph its label gives, plus the graph the update of ``query_base_uri`` would
  have written (``SETUP_QUADS``); ``dataset_nquads`` returns it all;
* a *query test* (30) passes when every query request meets the response
  expectations (status class, content type, result format, boolean); an update
  request inside it (``query_base_uri``'s set-up) must be refused with a 4xx;
* an *update test* (18, the names with ``update``) passes when every update
  request in it is refused with a 4xx; the follow-up queries that check an
  update's effect are not sent.

Run it by hand against any endpoint: ``python3 tests/protocol_suite.py URL``.
"""

from __future__ import annotations

import http.client
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from rdflib import Graph, Literal, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

SUITE = Path(__file__).parent / "w3c" / "sparql-protocol"
MANIFESTS = [SUITE / "manifest.ttl", SUITE / "manifest-sparql12.ttl"]
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
#: what the update of query_base_uri would have written (its query then reads it through a BASE)
SETUP_QUADS = ["<http://example.org/s> <http://example.org/p> <http://example.org/o> "
               "<http://example.org/protocol-base-query-test/> ."]
BOOLEAN_TYPES = {"application/sparql-results+xml", "application/sparql-results+json"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
             "application/ld+json": "json-ld", "application/n-quads": "nquads", "application/trig": "trig"}


@dataclass
class Request:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes | None
    authority: str                 # the Host the manifest's connection names
    statuses: list[str]            # "2", "3", "4" …: the acceptable status classes
    media: list[str]               # acceptable response media types (empty: any)
    result_format: str | None      # "boolean", "tabular" or "RDF"
    boolean: bool | None

    @property
    def is_update(self) -> bool:
        ctype = dict((k.lower(), v) for k, v in self.headers).get("content-type", "")
        query = parse_qs(urlsplit(self.path).query)
        form = parse_qs(self.body.decode("utf-8", "replace")) if self.body and "form" in ctype else {}
        return "sparql-update" in ctype or "update" in query or "update" in form


@dataclass
class Test:
    name: str
    manifest: str
    requests: list[Request] = field(default_factory=list)
    graphs: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "update" if "update" in self.name else "query"


def _text(g: Graph, node, prop) -> str | None:
    value = g.value(node, prop)
    return None if value is None else str(value)


def _items(g: Graph, node, prop) -> list:
    head = g.value(node, prop)
    return list(Collection(g, head)) if head is not None else []


def _request(g: Graph, node, authority: str) -> Request:
    headers = [(_text(g, h, HT.fieldName), _text(g, h, HT.fieldValue)) for h in _items(g, node, HT.headers)]
    body = None
    if (b := g.value(node, HT.body)) is not None:
        encoding = _text(g, b, CNT.characterEncoding) or "UTF-8"
        body = str(g.value(b, CNT.chars)).encode(encoding)
    resp = g.value(node, HT.resp)
    statuses = [str(s).rsplit("StatusCode", 1)[-1][0] for s in g.objects(resp, MF.expectedStatus)]
    statuses += [str(s)[0] for s in g.objects(resp, HT.statusCodeValue)]
    media = []
    for h in _items(g, resp, HT.headers):
        # The manifest names the acceptable response types under "Content-Type" or "Accept".
        if _text(g, h, HT.fieldName).lower() in ("content-type", "accept"):
            media += [_text(g, e, HT.elementName).lower() for e in _items(g, h, HT.headerElements)]
    boolean = g.value(resp, MF.expectedBoolean)
    if boolean is None and (rb := g.value(resp, HT.body)) is not None:
        boolean = g.value(rb, CNT.chars)
    result_format = _text(g, resp, MF.expectedFormat)
    if boolean is not None and result_format is None:
        result_format = "boolean"
    return Request(_text(g, node, HT.methodName), _text(g, node, HT.absolutePath), headers, body, authority,
                   sorted(set(statuses)), media, result_format,
                   None if boolean is None else bool(Literal(boolean).toPython()))


def load_tests() -> list[Test]:
    """Every test of both manifests, in manifest order."""
    tests = []
    for path in MANIFESTS:
        g = Graph().parse(str(path), format="turtle")
        manifest = next(g.subjects(RDF.type, MF.Manifest))
        for node in _items(g, manifest, MF.entries):
            test = Test(str(node).rsplit("#", 1)[1], path.name)
            for gd in g.objects(node, UT.graphData):
                test.graphs.append((SUITE / str(g.value(gd, UT.graph)).rsplit("/", 1)[1], _text(g, gd, RDFS.label)))
            action = g.value(node, MF.action)
            authority = _text(g, action, HT.connectionAuthority) or "www.example"
            test.requests = [_request(g, r, authority) for r in _items(g, action, HT.requests)]
            tests.append(test)
    return tests


def dataset_nquads(tests: list[Test]) -> str:
    """N-Quads of every ``ut:graphData`` in its named graph, plus SETUP_QUADS."""
    lines = set(SETUP_QUADS)
    for test in tests:
        for file, graph in test.graphs:
            for triple in file.read_text(encoding="utf-8").splitlines():
                if triple.strip():
                    lines.add(triple.rstrip().rstrip(".").rstrip() + f" <{graph}> .")
    return "\n".join(sorted(lines)) + "\n"


def _boolean(body: str) -> bool | None:
    if m := re.search(r"<boolean>\s*(true|false)\s*</boolean>", body):
        return m.group(1) == "true"
    try:
        value = json.loads(body).get("boolean")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, bool) else None


def send(endpoint: str, request: Request) -> tuple[int, str, bytes]:
    """Send one request as the manifest writes it; (status, media type, body)."""
    url = urlsplit(endpoint)
    query = urlsplit(request.path).query
    path = url.path + ("?" + query if query else "")
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.putrequest(request.method, path, skip_host=True)
        conn.putheader("Host", request.authority)
        for name, value in request.headers:
            conn.putheader(name, value)
        if request.body is not None:
            conn.putheader("Content-Length", str(len(request.body)))
        conn.endheaders(request.body)
        response = conn.getresponse()
        return response.status, (response.getheader("Content-Type") or "").split(";")[0].strip().lower(), response.read()
    except (OSError, http.client.HTTPException) as exc:
        return 0, "", f"no response: {exc!r}".encode()
    finally:
        conn.close()


def check(request: Request, status: int, media: str, body: bytes) -> str | None:
    """Why the response fails the request's expectations, or None."""
    if str(status)[0] not in request.statuses:
        return f"status {status}, expected {'/'.join(s + 'xx' for s in request.statuses)}: {body[:120]!r}"
    if request.media and media not in request.media:
        return f"content type {media!r}, expected one of {request.media}"
    text = body.decode("utf-8", "replace")
    if request.result_format == "boolean" and (media not in BOOLEAN_TYPES or _boolean(text) is None):
        return f"not a boolean result ({media})"
    if request.result_format == "tabular" and media not in TABULAR_TYPES:
        return f"not a tabular result ({media})"
    if request.result_format == "RDF":
        if media not in RDF_TYPES:
            return f"not an RDF result ({media})"
        try:
            Graph().parse(data=text, format=RDF_TYPES[media])
        except Exception as exc:  # noqa: BLE001 — any parse failure fails the test
            return f"RDF result does not parse: {exc}"
    if request.boolean is not None and _boolean(text) is not request.boolean:
        return f"boolean {_boolean(text)}, expected {request.boolean}"
    return None


def run_test(endpoint: str, test: Test) -> str | None:
    """None when the test passes on a read-only endpoint, else the reason it fails."""
    for n, request in enumerate(test.requests, 1):
        if request.is_update:
            status, _, body = send(endpoint, request)
            if not 400 <= status < 500:
                return f"request {n}: update answered {status}, expected a 4xx refusal: {body[:120]!r}"
        elif test.kind == "query":
            if failure := check(request, *send(endpoint, request)):
                return f"request {n}: {failure}"
    return None


def main(endpoint: str) -> int:
    tests = load_tests()
    results = [(t, run_test(endpoint, t)) for t in tests]
    for test, failure in results:
        print(f"{'PASS' if failure is None else 'FAIL'}  {test.kind:6} {test.name}" + (f"  — {failure}" if failure else ""))
    for kind in ("query", "update"):
        ran = [f for t, f in results if t.kind == kind]
        print(f"{kind}: {sum(f is None for f in ran)} of {len(ran)} pass")
    return 0 if all(f is None for _, f in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1].rstrip("/")))
