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
    ``streams.file_lines``): at 1 MB a buffer the ×100 merge's files took 0.4 GB of the build's parent.
    32 files (links to the corpus's graph.nt, 6 MB): starting the merge makes little resident, where
    32 buffers of 1 MB made 32 MB; the merge is graph.nt."""
    import os

    from tipkg.graph.streams import file_lines

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


def test_gnu_sort_merges_as_heapq_does(built_out, tmp_path, monkeypatch):
    """graph.nt's lines dealt out to 40 sorted files, a line to one, two or three of them (the repeats a
    merge drops): GNU sort's merge and the Python one give graph.nt back, byte for byte. This machine, as CI,
    must have GNU sort: without it the merge falls back to Python and is about three times slower."""
    assert streams.gnu_sort() is not None
    nt = (built_out / "graph.nt").read_bytes()
    lines = nt.splitlines(keepends=True)
    files: list[list[bytes]] = [[] for _ in range(40)]
    for n, line in enumerate(lines):
        for k in range(1 + n % 3):
            files[(n * 7 + k * 13) % 40].append(line)
    paths = []
    for k, held in enumerate(files):
        paths.append(tmp_path / f"f{k:02d}.nt")
        paths[-1].write_bytes(b"".join(sorted(set(held))))
    by_sort = list(streams.sorted_union(paths, tmp_path / "sort"))
    assert b"".join(by_sort) == nt
    assert all(block.endswith(b"\n") for block in by_sort)
    assert not (tmp_path / "sort" / "merge.files").exists()
    monkeypatch.setenv("TIPKG_MERGE", "python")
    assert b"".join(streams.sorted_union(paths, tmp_path / "python")) == nt


def test_a_merge_that_fails_says_so(tmp_path):
    (tmp_path / "a.nt").write_bytes(b"<a> <p> <o> .\n")
    with pytest.raises(RuntimeError, match="sort exited"):
        b"".join(streams.sorted_union([tmp_path / "a.nt", tmp_path / "gone.nt"], tmp_path / "sort"))


def test_the_python_merge_gives_the_same_dumps(one_chunk, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("TIPKG_MERGE", "python")
    build(out_dir=tmp_path / "out", cache=None)
    for name in ("graph.nt", "graph.ttl", "graph.jsonld", "graph.trig"):
        assert (tmp_path / "out" / name).read_bytes() == (one_chunk / name).read_bytes(), name


def test_a_written_set_goes_to_another_process_as_a_view_of_its_files(tmp_path):
    """A lean child of the build (``tipkg.parallel``) is sent the triples pickled: once written, as graph.nt,
    its store, count and delta; before, nothing (what is held to make it stays in the build)."""
    import pickle

    from tipkg.graph.streams import SpilledTriples

    triples = SpilledTriples({"ex": "http://x/"}, tmp_path)
    triples.add_lines([b'<http://x/a> <http://x/p> "1" .'])
    with pytest.raises(TypeError, match="not written out yet"):
        pickle.dumps(triples)
    triples.finish(tmp_path / "graph.nt")
    triples.attach_store(tmp_path / "store")
    view = pickle.loads(pickle.dumps(triples))
    assert (view.path, len(view), view.prefixes, view.delta) == (tmp_path / "graph.nt", 1, {"ex": "http://x/"}, None)
    assert view._store_folder == tmp_path / "store"
    assert list(view.lines()) == [b'<http://x/a> <http://x/p> "1" .']
