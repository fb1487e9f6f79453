"""Linked-data hygiene of `tipkg serve` (a real subprocess on loopback, the corpus graph):
the VoID names the endpoint, absolute dumps, the URI space and example resources, and what
it names is served; negotiated answers carry Vary and Link to each other type; every text
answer names its charset; dereferenced Turtle uses prefixes."""

from __future__ import annotations

import http.client
import urllib.parse

from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS

from tipkg.graph.dumps import VOID
from tipkg.graph.uris import DEFAULT_BASE, site_iri

SITE = str(site_iri(""))
TEXT_TYPES = ("text/", "application/")


def fetch(server: str, path: str, accept: str | None = None, method: str = "GET"):
    url = urllib.parse.urlsplit(server)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.request(method, path, headers={"Accept": accept} if accept else {})
    response = conn.getresponse()
    answer = response.status, response.headers, response.read()
    conn.close()
    return answer


def local(iri: str) -> str:
    """The path under which the server answers a URL the VoID names."""
    if iri.startswith(DEFAULT_BASE):
        return "/id/" + iri[len(DEFAULT_BASE):]
    assert iri.startswith(SITE), iri
    return "/" + iri[len(SITE):]


def test_void_names_endpoint_dumps_uri_space_and_examples(server, lod_graph):
    status, _, body = fetch(server, "/void", "text/turtle")
    void = Graph().parse(data=body.decode("utf-8"), format="turtle")
    ds = next(void.subjects(VOID.uriSpace, Literal(DEFAULT_BASE)))
    assert void.value(ds, VOID.sparqlEndpoint) == URIRef(SITE + "sparql")
    dumps = sorted(void.objects(ds, VOID.dataDump))
    assert {str(d) for d in dumps} >= {SITE + "graph.nt", SITE + "graph.ttl", SITE + "graph.jsonld", SITE + "graph.trig"}
    examples = list(void.objects(ds, VOID.exampleResource))
    assert len(examples) == 4 and all((e, DCTERMS.identifier, None) in lod_graph for e in examples)
    # what the VoID names is served: each dump byte for byte, the endpoint, each example
    for dump in dumps:
        status, headers, body = fetch(server, local(str(dump)))
        assert status == 200 and len(body) > 1000, dump
    status, _, body = fetch(server, local(SITE + "sparql") + "?query=ASK%7B%3Fs%3Fp%3Fo%7D", "application/sparql-results+json")
    assert status == 200 and b"true" in body
    for example in examples:
        assert fetch(server, local(str(example)), "text/turtle")[0] == 200, example


def test_served_void_is_the_file_in_every_type(server):
    turtle = Graph().parse(data=fetch(server, "/void", "text/turtle")[2].decode("utf-8"), format="turtle")
    for accept, fmt in (("application/n-triples", "nt"), ("application/ld+json", "json-ld")):
        status, headers, body = fetch(server, "/void", accept)
        assert status == 200 and headers["Content-Type"].startswith(accept)
        assert isomorphic(Graph().parse(data=body.decode("utf-8"), format=fmt), turtle), accept


def test_html_and_rdf_link_to_each_other(server):
    path = "/id/CTOC/COP/DEC/3/3_para_a"
    status, headers, _ = fetch(server, path, "text/html")
    assert status == 200 and headers["Vary"] == "Accept"
    links = headers["Link"]
    assert f'<{path}?format=ttl>; rel="alternate"; type="text/turtle"' in links
    status, headers, body = fetch(server, f"{path}?format=ttl")
    assert status == 200 and headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert f'<{path}?format=html>; rel="alternate"; type="text/html"' in headers["Link"]
    status, headers, body = fetch(server, f"{path}?format=html")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"<h1>" in body
    status, headers, _ = fetch(server, "/void", "text/turtle")
    assert 'type="text/html"' in headers["Link"] and headers["Vary"] == "Accept"


def test_dereferenced_turtle_uses_prefixes(server):
    body = fetch(server, "/id/CTOC/COP/DEC/3/3_para_a", "text/turtle")[2].decode("utf-8")
    assert "@prefix dcterms: <http://purl.org/dc/terms/>" in body and "dcterms:identifier" in body
    body = fetch(server, "/id/TIPP", "text/turtle")[2].decode("utf-8")
    assert "rdfs:label" in body or "skos:prefLabel" in body
    triples = "\n".join(line for line in body.splitlines() if not line.startswith("@prefix"))
    assert "<http://www.w3.org/2000/01/rdf-schema#" not in triples and "<http://purl.org/dc/terms/" not in triples


def test_every_text_answer_names_its_charset(server):
    sparql = "/sparql?query=" + urllib.parse.quote("SELECT ?s { ?s a <https://w3id.org/tipkg/ontology#Meeting> }")
    construct = "/sparql?query=" + urllib.parse.quote("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3")
    requests = [("/", None), ("/void", "text/html"), ("/void", "text/turtle"), ("/void", "application/ld+json"),
                ("/void", "application/n-triples"), ("/ontology", "text/turtle"), ("/ontology", "text/html"),
                ("/ontology/context.jsonld", None), ("/graph.nt", None), ("/graph.ttl", None), ("/graph.jsonld", None),
                ("/graph.trig", None), ("/id/TIPP", "text/html"), ("/id/TIPP", "application/ld+json"),
                ("/id/TIPP", "application/n-triples"), ("/sparql", "text/html"), ("/id/no_such_node", None),
                ("/id/TIPP", "image/png"), ("/nowhere", None)]
    requests += [(sparql, accept) for accept in ("application/sparql-results+json", "application/sparql-results+xml",
                                                 "text/csv", "text/tab-separated-values")]
    requests += [(construct, accept) for accept in ("text/turtle", "application/n-triples", "application/rdf+xml")]
    seen = set()
    for path, accept in requests:
        status, headers, _ = fetch(server, path, accept)
        media = headers["Content-Type"]
        assert media.startswith(TEXT_TYPES) and media.endswith("; charset=utf-8"), (path, accept, status, media)
        seen.add(status)
    for method in ("PUT", "DELETE", "OPTIONS"):
        status, headers, _ = fetch(server, "/sparql", method=method)
        assert headers["Content-Type"] == "text/plain; charset=utf-8" and "POST" in headers["Allow"]
        seen.add(status)
    assert seen == {200, 204, 404, 405, 406}
