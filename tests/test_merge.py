"""Sorted files merged (graph/merge.py): GNU sort's merge and the Python one give the same bytes, the merge
holds a small buffer per file, takes no more files at once than may be open, reads sort through a pipe that
holds a block, and says so when sort fails. On graph.nt of the bundled corpus dealt out to many files."""

from __future__ import annotations

import os

import pytest

import tipkg.graph.merge as merge


def test_external_sort_merges_chunks_without_repeats(tmp_path):
    lines = [f"{n % 977:05d}".encode() for n in range(10_000)]
    assert list(merge.external_sort(lines, tmp_path, limit=700)) == [x + b"\n" for x in sorted(set(lines))]
    assert not list(tmp_path.iterdir())


def _resident_mb() -> float:
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_the_merge_holds_a_small_buffer_per_file(built_out, tmp_path):
    """Every file of the k-way merge is open at once (chunks, and each source's cached part through
    ``merge.file_lines``): at 1 MB a buffer the ×100 merge's files took 0.4 GB of the build's parent.
    32 files (links to the corpus's graph.nt, 6 MB): starting the merge makes little resident, where
    32 buffers of 1 MB made 32 MB; the merge is graph.nt."""
    from tipkg.graph.merge import file_lines

    nt = built_out / "graph.nt"
    paths = []
    for k in range(32):
        os.link(nt, tmp_path / f"part-{k:02d}.nt")
        paths.append(tmp_path / f"part-{k:02d}.nt")
    assert nt.stat().st_size > 4 << 20
    before = _resident_mb()
    lines = merge.merged(paths[:16], [lambda p=p: file_lines(p) for p in paths[16:]])
    first = next(lines)  # every file read once
    grown = _resident_mb() - before
    assert grown < 12, grown
    assert first + b"".join(lines) == nt.read_bytes()


def test_gnu_sort_merges_as_heapq_does(built_out, tmp_path, monkeypatch):
    """graph.nt's lines dealt out to 40 sorted files, a line to one, two or three of them (the repeats a
    merge drops): GNU sort's merge and the Python one give graph.nt back, byte for byte. This machine, as CI,
    must have GNU sort: without it the merge falls back to Python and is about three times slower."""
    assert merge.gnu_sort() is not None
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
    by_sort = list(merge.sorted_union(paths, tmp_path / "sort"))
    assert b"".join(by_sort) == nt
    assert all(block.endswith(b"\n") for block in by_sort)
    assert not (tmp_path / "sort" / "merge.files").exists()
    monkeypatch.setenv("TIPKG_MERGE", "python")
    assert b"".join(merge.sorted_union(paths, tmp_path / "python")) == nt


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
    assert len(paths) > merge.SORT_BATCH
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = len(os.listdir("/proc/self/fd")) + 50
    assert low < len(paths)
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        assert merge.sort_batch(len(paths)) == min(merge.SORT_BATCH, low - 3)
        merged = b"".join(merge.sorted_union(paths, tmp_path / "sort"))
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
    blocks = merge.sorted_union(paths, tmp_path / "sort")
    first = next(blocks)
    opened = {fd: size for fd, size in _pipe_sizes(fcntl).items() if fd not in before}
    assert list(opened.values()) == [merge.PIPE_BYTES]  # sort's stdout, and no other pipe
    assert first + b"".join(blocks) == nt


def test_a_merge_that_fails_says_so(tmp_path):
    (tmp_path / "a.nt").write_bytes(b"<a> <p> <o> .\n")
    with pytest.raises(RuntimeError, match="sort exited"):
        b"".join(merge.sorted_union([tmp_path / "a.nt", tmp_path / "gone.nt"], tmp_path / "sort"))
