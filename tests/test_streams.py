"""The streamed build: many small chunks merged give the very files the one in-memory set gives."""

from __future__ import annotations

import pytest

import tipkg.graph.streams as streams
from tipkg.pipeline import build


@pytest.fixture(scope="module")
def one_chunk(tmp_path_factory):
    out = tmp_path_factory.mktemp("one") / "out"
    build(out_dir=out, cache=None)
    return out


def test_many_chunks_merge_into_the_same_dumps(one_chunk, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setattr(streams, "CHUNK_TRIPLES", 3000)  # the corpus's ~36,000 triples in a dozen chunks
    result = build(out_dir=tmp_path / "out", cache=None)
    for name in ("graph.nt", "graph.ttl", "graph.jsonld", "graph.trig"):
        assert (tmp_path / "out" / name).read_bytes() == (one_chunk / name).read_bytes(), name
    assert len(result.triples) == len((one_chunk / "graph.nt").read_bytes().splitlines())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tipkg-chunks-")]  # chunks cleaned up


def test_external_sort_merges_chunks_without_repeats(tmp_path):
    lines = [f"{n % 977:05d}".encode() for n in range(10_000)]
    assert list(streams.external_sort(lines, tmp_path, limit=700)) == [x + b"\n" for x in sorted(set(lines))]
    assert not list(tmp_path.iterdir())
