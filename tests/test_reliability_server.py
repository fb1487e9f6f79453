"""Reliability of `tipkg serve` under hostile requests, on a real server on 127.0.0.1.

SERVICE (SSRF) is refused without any connection reaching a loopback listener;
updates, traversal, oversized and non-UTF-8 bodies, long URLs and bad methods
get a clear 4xx; half-open connections neither exhaust threads nor block
others (read timeout, connection cap); and the server still answers after
all of it.
"""

from __future__ import annotations

import socket
import time
import urllib.parse

import pytest
from lod_support import serve, stop
from reliability_support import Listener, raw, request, threads_of

from tipkg.graph.store import build_store, store_path
from tipkg.queries.querypool import QueryPool
from tipkg.server.outbound import service_refusal

READ_TIMEOUT = 2
CAP = 8
ASK = "ASK { ?s ?p ?o }"


@pytest.fixture(scope="module")
def out(built_out):
    """The session's build of the bundled corpus (served read-only)."""
    return built_out


@pytest.fixture(scope="module")
def guarded(out):
    """`tipkg serve` with a short read timeout and a small connection cap."""
    proc, url = serve(out, "--timeout", "5", "--read-timeout", str(READ_TIMEOUT), "--max-connections", str(CAP))
    yield proc, url
    stop(proc)


@pytest.fixture
def listener():
    probe = Listener()
    yield probe
    probe.close()


def get(url: str, path: str, headers: dict | None = None):
    return raw(url, request("GET", path, headers))


def query_get(url: str, query: str):
    return get(url, "/sparql?query=" + urllib.parse.quote(query), {"Accept": "application/sparql-results+json"})


def query_post(url: str, query: str):
    return raw(url, request("POST", "/sparql", {"Content-Type": "application/sparql-query",
                                               "Accept": "application/sparql-results+json"}, query.encode()))


def services(target: str) -> list[str]:
    """SERVICE written every way the grammar allows: nested, SILENT, a variable bound by VALUES,
    lower case, through \\u escapes, behind a comment, in a sub-query, inside EXISTS."""
    return [
        f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }} }} LIMIT 1",
        f"SELECT * WHERE {{ VALUES ?svc {{ <{target}> }} SERVICE ?svc {{ ?s ?p ?o }} }}",
        f"select * where {{ {{ ?a ?b ?c }} union {{ service <{target}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ # a comment }}\n SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE<{target}>{{?s ?p ?o}} }}",
    ]


#: queries that mention the word but make no outbound request: they must still be answered
INNOCENT = [
    'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1/> { }" } LIMIT 1',
    "SELECT * WHERE { ?s ?p ?o } LIMIT 1 # SERVICE <http://127.0.0.1/>",
    "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:SERVICE ?o } LIMIT 1",
    "SELECT * WHERE { ?s <http://example.org/SERVICE> ?service } LIMIT 1",
]


def test_service_is_refused_by_both_readings():
    for query in services("http://127.0.0.1:9/sparql"):
        assert service_refusal(query), query
    for query in INNOCENT:
        assert service_refusal(query) is None, query


def test_service_is_refused_without_any_connection(guarded, listener):
    _, url = guarded
    for query in services(listener.url):
        for ask in (query_get, query_post):
            status, _, body = ask(url, query)
            assert status == 400, (query, body)
            assert b"SERVICE" in body and b"does not send queries to other hosts" in body
    # the form encoding too
    form = urllib.parse.urlencode({"query": services(listener.url)[0]}).encode()
    status, _, _ = raw(url, request("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, form))
    assert status == 400
    for query in INNOCENT:
        assert query_get(url, query)[0] == 200, query
    time.sleep(0.5)
    assert (listener.connections, listener.received) == (0, b"")


def test_a_query_worker_cannot_connect_even_if_service_slipped_through(out, listener, tmp_path):
    """Defence in depth: the server's query workers run without network; a SERVICE query sent to the
    pool directly (past the refusal) gets an error and the listener still receives nothing."""
    path = store_path(out)
    if not path.is_dir():
        build_store(out / "graph.nt", path)
    pool = QueryPool(str(path), workers=1, timeout=10, isolated=True)
    try:
        answer = pool.query(services(listener.url)[0], ["application/sparql-results+json"])
    finally:
        pool.close()
    time.sleep(0.5)
    assert answer.status == 500 and (listener.connections, listener.received) == (0, b""), answer


@pytest.mark.parametrize("req, status, says", [
    (request("POST", "/sparql", {"Content-Type": "application/sparql-update"}, b"DROP ALL"), 403, b"read-only"),
    (request("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, b"update=DROP+ALL"), 403, b"read-only"),
    (request("GET", "/../../../../etc/passwd"), 404, b"not found"),
    (request("GET", "/%2e%2e/%2e%2e/etc/passwd"), 404, b"not found"),
    (request("GET", "/graph.nt/../../../etc/passwd"), 404, b"not found"),
    (request("GET", "/id/../../etc/passwd"), 404, b""),
    (request("POST", "/sparql", {"Content-Type": "application/sparql-query", "Content-Length": str(12 << 20)}), 413, b"at most"),
    (request("POST", "/sparql", {"Content-Type": "application/sparql-query; charset=UTF-16"}, ASK.encode("utf-16")), 415, b"UTF-8"),
    (request("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, b"query=ASK \xe9"), 400, b"not UTF-8"),
    (request("GET", "/sparql?query=" + "A" * 100_000), 414, b""),
    (request("PUT", "/sparql", {}, b"<a:b> <a:c> <a:d> ."), 405, b"not allowed"),
    (request("DELETE", "/sparql"), 405, b"not allowed"),
    (request("BREW", "/sparql"), 501, b"BREW"),
    (request("POST", "/sparql", {"Content-Type": "application/sparql-query", "Transfer-Encoding": "chunked"}, b"3\r\nASK\r\n0\r\n\r\n"), 411, b"Content-Length"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64) + b"\r\n\r\n", 400, b""),
])
def test_hostile_request_gets_a_clear_refusal(guarded, req, status, says):
    _, url = guarded
    got, headers, body = raw(url, req)
    assert got == status, (req[:80], got, body[:200])
    assert says in body
    if status == 405:
        assert headers["allow"] == "GET, HEAD, POST, OPTIONS"
    assert b"root:" not in body
    assert query_get(url, ASK)[0] == 200  # and the server answers as before


def test_options_lists_the_methods(guarded):
    _, url = guarded
    status, headers, _ = raw(url, request("OPTIONS", "/sparql"))
    assert status == 204 and headers["allow"] == "GET, HEAD, POST, OPTIONS"


def test_a_body_that_stops_arriving_times_out(guarded):
    _, url = guarded
    start = time.monotonic()
    status, _, body = raw(url, request("POST", "/sparql", {"Content-Type": "application/sparql-query",
                                                           "Content-Length": "100"}, b"ASK"))
    assert status == 408 and b"stopped arriving" in body
    assert time.monotonic() - start < READ_TIMEOUT + 5


def test_half_open_connections_neither_exhaust_threads_nor_lock_others_out(guarded):
    """Ten times the cap of connections that send nothing: the server's threads stay bounded, a real
    request is still answered at once (the oldest idle connection makes room), and after the read
    timeout every idle connection is closed."""
    proc, url = guarded
    host, port = url.split("//")[1].split(":")
    before = threads_of(proc.pid)
    idle = []
    start = time.monotonic()
    for _ in range(CAP * 10):
        idle.append(socket.create_connection((host, int(port)), timeout=5))
    time.sleep(0.5)
    assert time.monotonic() - start < READ_TIMEOUT, "opening the connections was too slow to test the cap"
    assert threads_of(proc.pid) <= before + CAP
    for _ in range(3):
        began = time.monotonic()
        assert query_get(url, ASK)[0] == 200
        assert time.monotonic() - began < 1.5
    assert threads_of(proc.pid) <= before + CAP
    time.sleep(READ_TIMEOUT + 1.5)
    assert threads_of(proc.pid) <= before + 1
    closed = 0
    for sock in idle:
        sock.settimeout(0.5)
        try:
            closed += sock.recv(1024) == b""
        except OSError:
            closed += 1
        sock.close()
    assert closed == len(idle)


def test_when_every_slot_holds_a_real_request_one_more_gets_503(guarded):
    """Connections past their request head are not evicted: with the cap taken by requests whose body
    is still arriving, one more connection is told 503 with Retry-After, at once."""
    _, url = guarded
    host, port = url.split("//")[1].split(":")
    busy = []
    for _ in range(CAP):
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.sendall(request("POST", "/sparql", {"Content-Type": "application/sparql-query",
                                                 "Content-Length": "100"}, b"ASK"))
        busy.append(sock)
    time.sleep(0.5)
    began = time.monotonic()
    status, headers, body = query_get(url, ASK)
    assert status == 503 and headers["retry-after"] and b"connections are open" in body
    assert time.monotonic() - began < 2
    for sock in busy:
        sock.close()
    time.sleep(READ_TIMEOUT + 1)
    assert query_get(url, ASK)[0] == 200
