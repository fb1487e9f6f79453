"""The streamed build: many small chunks merged give the very files the one in-memory set gives."""

from __future__ import annotations

import os

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


def test_a_merge_of_more_files_than_may_be_open_goes_through_batches(built_out, tmp_path):
    """graph.nt's lines dealt out to 300 sorted files, merged while this process may open only about 60 (its
    soft ``RLIMIT_NOFILE``, which GNU sort inherits): graph.nt back, byte for byte. The merge asked sort for
    a batch of every file (up to 2,048), which sort refuses under a lower limit (the usual 1,024 let a ×1000
    build's 5,400 files fail so); now the batch is at most the limit allows (``sort_batch``), and 300 files
    also take more than one batch of ``SORT_BATCH``, so sort's temporary files are merged too."""
    resource = pytest.importorskip("resource")  # (Windows has no such limit)
    nt = (built_out / "graph.nt").read_bytes()
    lines = nt.splitlines(keepends=True)
    paths = []
    for k in range(300):
        paths.append(tmp_path / f"f{k:03d}.nt")
        paths[-1].write_bytes(b"".join(lines[k::300]))
    assert len(paths) > streams.SORT_BATCH
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = len(os.listdir("/proc/self/fd")) + 50
    assert low < len(paths)
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        assert streams.sort_batch(len(paths)) == min(streams.SORT_BATCH, low - 3)
        merged = b"".join(streams.sorted_union(paths, tmp_path / "sort"))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert merged == nt


def _pipe_sizes(fcntl) -> dict[int, int]:
    """This process's open pipes: fd -> the bytes each holds."""
    sizes = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                sizes[int(fd)] = fcntl.fcntl(int(fd), fcntl.F_GETPIPE_SZ)
        except OSError:  # the listing's own fd, gone
            pass
    return sizes


def test_sort_writes_its_lines_into_a_pipe_that_holds_a_block_read(built_out, tmp_path):
    """The pipe from GNU sort holds the 1 MiB this process reads at a time (``widen_pipe``). With Linux's
    64 KiB, sort waited while this process worked on a block and this process waited on sort: ×1000, one
    source changed, the merge ran 48 s at 0.9 cores. graph.nt's lines dealt to two files come back whole."""
    fcntl = pytest.importorskip("fcntl")  # (Linux: /proc and F_GETPIPE_SZ)
    nt = (built_out / "graph.nt").read_bytes()
    lines = nt.splitlines(keepends=True)
    paths = [tmp_path / "even.nt", tmp_path / "odd.nt"]
    paths[0].write_bytes(b"".join(lines[0::2]))
    paths[1].write_bytes(b"".join(lines[1::2]))
    before = _pipe_sizes(fcntl)
    blocks = streams.sorted_union(paths, tmp_path / "sort")
    first = next(blocks)
    opened = {fd: size for fd, size in _pipe_sizes(fcntl).items() if fd not in before}
    assert list(opened.values()) == [streams.PIPE_BYTES]  # sort's stdout, and no other pipe
    assert first + b"".join(blocks) == nt


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


def _gist_of_labels(graph, go: str, into) -> None:
    """A made pass (as ``add_gists``): waits until the test says ``go`` (a file), then adds, for each
    English label it reads, a ``tip:gist`` that repeats it."""
    import time
    from pathlib import Path

    from rdflib import Literal, URIRef

    from tipkg.ontology.namespace import TIP

    waited = time.monotonic()
    while not Path(go).exists():
        if time.monotonic() - waited > 60:
            raise RuntimeError("the set never went on while its made pass ran")
        time.sleep(0.01)
    for triple in graph:
        if triple.predicate.value.endswith("#label"):
            into.add((URIRef(triple.subject.value), TIP.gist, Literal(f"gist: {triple.object.value}", lang="en")))


def test_a_made_pass_runs_while_the_set_goes_on(tmp_path):
    """``add_made`` forks its pass and returns: the build adds the drafts' alignments, the echoes and the
    repeats while the gists are made (×100, one source changed: 2 s of the gists alone, then 1.1 s of the
    parent alone, before). The pass reads what was added before the call, not after; what it made is in
    graph.nt all the same. Here the pass waits for a file the test writes only once ``add_made`` returned
    and the set took another triple: a pass run at once would never see it."""
    from rdflib import RDFS, Literal, URIRef

    from tipkg.ontology.namespace import PREFIXES

    base = "https://w3id.org/tipkg/id/"
    graph = streams.SpilledTriples(PREFIXES, tmp_path / "chunks")
    graph.add((URIRef(base + "A/RES/61/180"), RDFS.label,
               Literal("General Assembly resolution 61/180", lang="en")))
    go = tmp_path / "go"
    graph.add_made(_gist_of_labels, str(go))
    assert graph.making  # forked, not waited for
    graph.add((URIRef(base + "A/RES/64/293"), RDFS.label,
               Literal("General Assembly resolution 64/293", lang="en")))  # after the call: not read by the pass
    go.touch()
    assert graph.finish(tmp_path / "graph.nt") == 3
    lines = (tmp_path / "graph.nt").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if "#gist>" in line] == [
        f'<{base}A/RES/61/180> <https://w3id.org/tipkg/ontology#gist> '
        '"gist: General Assembly resolution 61/180"@en .']
    assert not graph.making


def test_a_made_pass_that_fails_fails_the_merge(tmp_path):
    from rdflib import RDFS, Literal, URIRef

    from tipkg.ontology.namespace import PREFIXES

    graph = streams.SpilledTriples(PREFIXES, tmp_path / "chunks")
    graph.add((URIRef("https://w3id.org/tipkg/id/A/RES/61/180"), RDFS.label, Literal("General Assembly resolution 61/180")))
    graph.add_made(_gist_of_labels, 42)  # not a path: the pass raises in its child
    with pytest.raises(TypeError):
        graph.finish(tmp_path / "graph.nt")
