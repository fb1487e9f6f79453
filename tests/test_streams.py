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


def _resident_mb() -> float:
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_the_merge_holds_a_small_buffer_per_file(built_out, tmp_path):
    """Every file of the k-way merge is open at once (chunks, and each source's cached part through
    ``parts.file_lines``): at 1 MB a buffer the ×100 merge's files took 0.4 GB of the build's parent.
    32 files (links to the corpus's graph.nt, 6 MB): starting the merge makes little resident, where
    32 buffers of 1 MB made 32 MB; the merge is graph.nt."""
    import os

    from tipkg.graph.parts import file_lines

    nt = built_out / "graph.nt"
    paths = []
    for k in range(32):
        os.link(nt, tmp_path / f"part-{k:02d}.nt")
        paths.append(tmp_path / f"part-{k:02d}.nt")
    assert nt.stat().st_size > 4 << 20
    before = _resident_mb()
    merge = streams.merged(paths[:16], [lambda p=p: file_lines(p) for p in paths[16:]])
    first = next(merge)  # every file read once
    grown = _resident_mb() - before
    assert grown < 12, grown
    assert first + b"".join(merge) == nt.read_bytes()
