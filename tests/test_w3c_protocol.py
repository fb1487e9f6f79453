"""`tipkg serve`'s /sparql against the W3C SPARQL 1.1/1.2 Protocol test suite, and the fixes it exposed.

The suite (48 tests, vendored in tests/w3c/sparql-protocol, run by
tests/protocol_suite.py) goes to a real ``tipkg serve`` subprocess on loopback
over a store holding the suite's data graphs as named graphs. Every query test
must pass; every update must be refused with a 4xx (the endpoint is read-only).
"""

from __future__ import annotations

import http.client
from urllib.parse import quote, urlsplit

import protocol_suite as suite
from lod_support import served
import pyoxigraph as ox
import pytest

TESTS = suite.load_tests()
DATA1 = "http://kasei.us/2009/09/sparql/data/data1.rdf"
DATA3 = "http://kasei.us/2009/09/sparql/data/data3.rdf"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("w3c-protocol")
    (out / "graph.nt").write_text("", encoding="utf-8")
    store = ox.Store(str(out / "store"))
    store.load(suite.dataset_nquads(TESTS).encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    with served(out) as url:
        yield url + "/sparql"


def test_the_suite_is_the_48_tests_of_the_manifests():
    kinds = [t.kind for t in TESTS]
    assert (kinds.count("query"), kinds.count("update")) == (30, 18)


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_w3c_protocol(endpoint, test):
    assert suite.run_test(endpoint, test) is None, suite.run_test(endpoint, test)


def raw(endpoint: str, method: str, path: str = "", headers: dict | None = None, body: bytes | None = None):
    url = urlsplit(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.request(method, url.path + path, body=body, headers=headers or {})
    response = conn.getresponse()
    answer = response.status, dict(response.getheaders()), response.read()
    conn.close()
    return answer


def ask(endpoint: str, query: str, extra: str = "") -> bool:
    status, headers, body = raw(endpoint, "GET", f"?query={quote(query)}{extra}",
                                {"Accept": "application/sparql-results+json"})
    assert status == 200, body
    return b'"boolean":true' in body


def test_a_query_s_own_from_stands_unless_the_protocol_names_a_dataset(endpoint):
    query = f"ASK FROM <{DATA3}> {{ <{DATA3}> a ?type }}"
    assert ask(endpoint, query)
    assert not ask(endpoint, query, "&default-graph-uri=" + quote(DATA1, safe=""))
    assert ask(endpoint, f"ASK FROM NAMED <{DATA3}> {{ GRAPH ?g {{ <{DATA3}> a ?type }} }}")


def test_a_latin1_form_body_is_refused_with_a_reason_not_a_dropped_connection(endpoint):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, headers, body = raw(endpoint, "POST", headers=form, body=b"query=ASK { <caf\xe9> ?p ?o }")
    assert status == 400 and b"byte 0xE9" in body and headers["Content-Type"] == "text/plain; charset=utf-8"
    status, _, body = raw(endpoint, "POST", headers=form, body=b"query=ASK%20%7B%20%3Ccaf%E9%3E%20%3Fp%20%3Fo%20%7D")
    assert status == 400 and b"not UTF-8" in body
    status, _, body = raw(endpoint, "POST", headers={"Content-Type": "application/sparql-query; charset=ISO-8859-1"},
                          body=b"ASK {}")
    assert status == 415 and b"ISO-8859-1" in body


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_writing_methods_get_405_with_allow(endpoint, method):
    status, headers, body = raw(endpoint, method, "?query=ASK%20%7B%7D", {"Content-Type": "text/turtle"}, b"<a> <b> <c> .")
    assert status == 405 and headers["Allow"] == "GET, HEAD, POST, OPTIONS"
    assert headers["Content-Type"] == "text/plain; charset=utf-8" and method.encode() in body


def test_options_answers_the_cors_preflight(endpoint):
    status, headers, _ = raw(endpoint, "OPTIONS", "", {"Origin": "https://yasgui.example",
                                                      "Access-Control-Request-Method": "POST"})
    assert status == 204 and "POST" in headers["Access-Control-Allow-Methods"]
    assert headers["Access-Control-Allow-Origin"] == "*" and "Content-Type" in headers["Access-Control-Allow-Headers"]
    status, headers, _ = raw(endpoint, "GET", "?query=ASK%20%7B%7D")
    assert headers["Access-Control-Allow-Origin"] == "*" and headers["Vary"] == "Accept"


@pytest.mark.parametrize("extra, reason", [("&version=2.0", b"'2.0' is not spoken"), ("&version=1.1&version=1.1", b"2 times")])
def test_an_unknown_or_repeated_version_is_refused(endpoint, extra, reason):
    status, _, body = raw(endpoint, "GET", "?query=ASK%20%7B%7D" + extra)
    assert status == 400 and reason in body


def test_relative_iris_resolve_against_the_graph_s_uri_space(endpoint):
    status, headers, body = raw(endpoint, "GET", "?query=" + quote("SELECT ?x { BIND(<CTOC/COP/DEC/3/3> AS ?x) }"),
                                {"Accept": "text/csv"})
    assert status == 200 and b"https://w3id.org/tipkg/id/CTOC/COP/DEC/3/3" in body, body
