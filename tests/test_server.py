"""`tipkg serve` as a real subprocess on a free loopback port, asked with real
HTTP clients (urllib, SPARQLWrapper): content negotiation for every type, the
HTML page of a paragraph, the SPARQL endpoint, updates refused, and a query
over the time limit stopped with a clear error."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from tipkg.graph.uris import mint
from tipkg.ontology.namespace import TIP

PARAGRAPH = "CTOC/COP/DEC/3/3 para a"
PATH = "/id/CTOC/COP/DEC/3/3_para_a"
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def get(url: str, accept: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


@pytest.mark.parametrize("accept, fmt", [("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                                         ("application/n-triples", "nt")])
def test_minted_uri_dereferences_in_each_rdf_type(server, accept, fmt):
    status, ctype, body = get(server + PATH, accept)
    assert status == 200 and ctype.startswith(accept)
    g = Graph().parse(data=body.decode("utf-8"), format=fmt)
    node = mint(PARAGRAPH)
    assert (node, DCTERMS.identifier, Literal(PARAGRAPH)) in g
    assert (node, TIP.citesArticle, mint("TIPP art 9(5)")) in g          # a link out
    assert (node, URIRef("http://data.europa.eu/eli/ontology#is_part_of"), mint("CTOC/COP/DEC/3/3")) in g


def test_accept_q_values_and_not_acceptable(server):
    status, ctype, _ = get(server + PATH, "text/html;q=0.5, application/n-triples")
    assert ctype.startswith("application/n-triples")
    status, _, body = get(server + PATH, "image/png")
    assert status == 406


def test_html_page_of_a_paragraph(server):
    status, ctype, body = get(server + PATH, "text/html,application/xhtml+xml;q=0.9")
    html = body.decode("utf-8")
    assert status == 200 and ctype.startswith("text/html")
    assert f"<h1>{PARAGRAPH}</h1>" in html
    assert '<div class="text" lang="ar" dir="rtl">' in html
    assert 'href="/id/TIPP_art_9(5)"' in html                 # link out, browsable locally
    assert 'href="/id/CTOC/COP/DEC/3/3"' in html
    assert "What it cites, in its words" in html and "/id/edge/" not in html  # its citations in words, not records
    assert "<script" not in html


def test_base_path_is_mapped_like_id(server):
    status, _, body = get(server + "/tipkg/id/CTOC/COP/DEC/3/3_para_a", "text/turtle")
    assert status == 200 and PARAGRAPH.encode() in body
    assert get(server + "/id/no_such_node", "text/turtle")[0] == 404


def test_void_and_ontology(server):
    status, ctype, body = get(server + "/void", "text/turtle")
    assert status == 200 and b"void:triples" in body
    status, ctype, body = get(server + "/ontology", "text/turtle")
    assert status == 200 and b"owl:versionIRI" in body
    status, ctype, body = get(server + "/ontology", "text/html")
    assert ctype.startswith("text/html") and 'dir="rtl"' in body.decode("utf-8")


def sparql(server: str, query: str, fmt) -> SPARQLWrapper:
    client = SPARQLWrapper(server + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    return client


def test_sparqlwrapper_select_json(server, lod_graph):
    result = sparql(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON).query().convert()
    assert int(result["results"]["bindings"][0]["n"]["value"]) == len(lod_graph)


def test_sparqlwrapper_xml_csv_and_post(server):
    q = f'SELECT ?t WHERE {{ ?p <http://purl.org/dc/terms/identifier> "{PARAGRAPH}" ; <{TIP.citesArticle}> ?t }}'
    xml = sparql(server, q, XML).query().convert()
    assert str(mint("TIPP art 9(5)")) in xml.toxml()
    csv = sparql(server, q, CSV).query().convert()
    assert str(mint("TIPP art 9(5)")).encode() in csv
    client = sparql(server, q, JSON)
    client.setMethod(POST)
    assert client.query().convert()["results"]["bindings"][0]["t"]["value"] == str(mint("TIPP art 9(5)"))


def test_sparqlwrapper_construct_and_ask(server):
    g = sparql(server, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER(?s = <{mint('TIPP')}>) }}", TURTLE).query().convert()
    assert b"TIPP" in g
    assert sparql(server, "ASK { ?s a <https://w3id.org/tipkg/ontology#Recommendation> }", JSON).query().convert()["boolean"]


def test_format_parameter_and_direct_post(server):
    q = urllib.parse.quote("SELECT ?s WHERE { ?s a <https://w3id.org/tipkg/ontology#Meeting> }")
    status, ctype, body = get(f"{server}/sparql?query={q}&format=csv")
    assert status == 200 and ctype.startswith("text/csv") and body.count(b"\n") == 10
    request = urllib.request.Request(server + "/sparql", data=b"ASK { ?s ?p ?o }", method="POST",
                                     headers={"Content-Type": "application/sparql-query",
                                              "Accept": "application/sparql-results+xml"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert b"<boolean>true</boolean>" in response.read()


def test_update_is_refused(server):
    for data, ctype in ((b"INSERT DATA { <a:b> <a:c> <a:d> }", "application/sparql-update"),
                        (b"update=INSERT+DATA+%7B%3Ca%3Ab%3E+%3Ca%3Ac%3E+%3Ca%3Ad%3E+%7D", "application/x-www-form-urlencoded")):
        request = urllib.request.Request(server + "/sparql", data=data, method="POST", headers={"Content-Type": ctype})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=30)
        assert err.value.code == 403 and b"read-only" in err.value.read()
    # SPARQLWrapper's own update request (POST, update=…) is refused too
    client = sparql(server, "DELETE WHERE { ?s ?p ?o }", JSON)
    client.setMethod(POST)
    with pytest.raises((urllib.error.HTTPError, SPARQLWrapperException)) as err:
        client.query()
    assert "403" in str(err.value) or "read-only" in str(err.value)
    # an update smuggled in as a query is not a query
    status, _, body = get(f"{server}/sparql?query={urllib.parse.quote('DELETE WHERE { ?s ?p ?o }')}")
    assert status == 400 and b"syntax error" in body
    assert sparql(server, "ASK { ?s ?p ?o }", JSON).query().convert()["boolean"]


def test_query_over_the_time_limit_is_stopped(server):
    status, ctype, body = get(f"{server}/sparql?query={urllib.parse.quote(HEAVY)}", "application/sparql-results+json")
    assert status == 503  # within the client's own 30 s timeout: the server stopped the query, not the client
    assert b"time limit of 2 seconds" in body
    # and the endpoint still answers afterwards
    result = json.loads(get(f"{server}/sparql?query={urllib.parse.quote('ASK { ?s ?p ?o }')}", "application/json")[2])
    assert result["boolean"] is True
