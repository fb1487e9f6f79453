"""Failing stores, as `tipkg publish` and `tipkg query --endpoint` meet them: real little servers on
127.0.0.1 that are down, refuse (401), fail (500) before or after reading part of a large upload,
answer too slowly, or close in the middle of an answer. Each ends in one line naming the store and
what it said, with a non-zero exit, within the time limit."""

from __future__ import annotations

import time

import pytest
from lod_support import free_port
from reliability_support import FakeStore

from tipkg.cli import main

QUERY = "documents-overview"


def run_cli(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.fixture(scope="module")
def big_out(tmp_path_factory):
    """An OUT with a graph.nt of 16 MB: far more than a socket buffer, so a store that answers early
    has not read it."""
    out = tmp_path_factory.mktemp("big") / "out"
    out.mkdir()
    line = '<https://w3id.org/tipkg/id/x> <http://purl.org/dc/terms/title> "' + "ن" * 60 + '" .\n'
    (out / "graph.nt").write_text(line * (16_000_000 // len(line.encode())), encoding="utf-8")
    return out


@pytest.fixture
def store():
    started = []

    def start(mode: str, **kw) -> FakeStore:
        started.append(FakeStore(mode, **kw))
        return started[-1]
    yield start
    for fake in started:
        fake.close()


def down() -> str:
    """The URL of a loopback port nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.mark.parametrize("mode, says", [
    ("401", "HTTP 401 Unauthorized: store says 401 Unauthorized"),
    ("500", "HTTP 500 Internal Server Error: store says 500"),
])
def test_publish_reports_the_status_a_store_gave_before_reading_the_upload(capsys, big_out, store, mode, says):
    fake = store(mode)
    code, err = run_cli(capsys, "publish", "--out", str(big_out), "--store", fake.url + "/store", "--timeout", "20")
    assert code == 2 and len(err.splitlines()) == 1
    assert says in err and "Broken pipe" not in err and fake.url in err


def test_publish_to_a_store_that_fails_midway_names_no_broken_pipe(capsys, big_out, store):
    fake = store("500-late")
    code, err = run_cli(capsys, "publish", "--out", str(big_out), "--store", fake.url + "/store", "--timeout", "20")
    assert code == 2 and len(err.splitlines()) == 1 and "Broken pipe" not in err
    assert "HTTP 500" in err or "closed the connection without an answer" in err


def test_publish_to_a_store_that_is_down_or_slow(capsys, big_out, store):
    code, err = run_cli(capsys, "publish", "--out", str(big_out), "--store", down() + "/store")
    assert code == 2 and "connection refused" in err
    slow = store("slow", delay=6)
    start = time.monotonic()
    code, err = run_cli(capsys, "publish", "--out", str(big_out), "--store", slow.url + "/store", "--timeout", "2")
    assert code == 2 and "no answer within 2 s" in err and time.monotonic() - start < 5.5


@pytest.mark.parametrize("mode, says", [
    ("cut", "HTTP 200 OK, but the answer was cut off"),
    ("early-200", "came before the graph was sent: the store cannot have stored it"),
])
def test_publish_does_not_claim_success_it_cannot_know(capsys, big_out, store, mode, says):
    fake = store(mode)
    code, err = run_cli(capsys, "publish", "--out", str(big_out), "--store", fake.url + "/store", "--timeout", "20")
    assert code == 2 and len(err.splitlines()) == 1 and says in err, err


@pytest.mark.parametrize("mode, says", [("401", "HTTP 401"), ("500", "HTTP 500"),
                                        ("cut", "the answer was cut off: the connection closed after")])
def test_query_against_a_failing_endpoint(capsys, store, mode, says):
    fake = store(mode)
    code, err = run_cli(capsys, "query", QUERY, "--endpoint", fake.url + "/query", "--timeout", "5")
    assert code == 2 and len(err.splitlines()) == 1 and says in err and fake.url in err, err


def test_query_against_a_down_or_slow_endpoint(capsys, store):
    code, err = run_cli(capsys, "query", QUERY, "--endpoint", down() + "/query")
    assert code == 2 and "connection refused" in err
    slow = store("slow", delay=6)
    start = time.monotonic()
    code, err = run_cli(capsys, "query", QUERY, "--endpoint", slow.url + "/query", "--timeout", "2")
    assert code == 2 and "timeout" in err and time.monotonic() - start < 5.5
