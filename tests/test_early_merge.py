"""graph.nt's merge begun early (graph/early_merge.py): the files in the graph once its stage is done merged in
batches while the build goes on, then each batch's file merged in their place. On the bundled corpus with
batches of a few files: graph.nt is the same bytes, the batches were merged, and their files are gone after;
a batch whose sort fails leaves the files to be merged as they are."""

from __future__ import annotations

import os
import stat

import pytest

from tipkg.graph import early_merge, merge
from tipkg.graph.merge import FileLines, gnu_sort
from tipkg.graph.streams import SpilledTriples
from tipkg.ontology.namespace import PREFIXES
from tipkg.pipeline import build

pytestmark = pytest.mark.skipif(gnu_sort() is None, reason="the early merge is GNU sort's: none on this machine")


def test_a_merge_begun_early_gives_the_same_graph(built_out, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setattr(merge, "SORT_BATCH", 4)  # the corpus's few hundred files in batches of four
    seen: list[dict] = []
    standing_for = early_merge.EarlyMerge.standing_for

    def recorded(self):
        standing = standing_for(self)
        seen.append({"standing": standing, "error": self.error, "files": list(self.files)})
        return standing
    monkeypatch.setattr(early_merge.EarlyMerge, "standing_for", recorded)
    batches: list[tuple[int, int]] = []  # (files, how many sort merges at once) of each merge
    sort_batch = merge.sort_batch
    monkeypatch.setattr(merge, "sort_batch", lambda files, widest=None: batches.append(
        (files, batch := sort_batch(files, widest))) or batch)
    build(out_dir=tmp_path / "out", cache=tmp_path / "cache")
    assert (tmp_path / "out" / "graph.nt").read_bytes() == (built_out / "graph.nt").read_bytes()
    (early,) = seen
    assert early["error"] is None and early["standing"]
    parts = [path for path in early["standing"] if path.parent.parent.name == "parts"]
    assert len(early["standing"]) > len(parts) >= 5  # every source's part, and the global pass's groups so far
    assert len(early["files"]) == len(set(early["standing"].values())) >= len(early["standing"]) / 4
    assert not any(path.exists() for path in early["files"])  # removed once graph.nt is merged
    files, batch = batches[-1]  # graph.nt's merge: the batches' files and the rest, more than SORT_BATCH, in one pass
    assert batch == files > merge.SORT_BATCH


def test_a_batch_whose_sort_fails_leaves_its_files_to_the_merge(built_out, tmp_path, monkeypatch):
    """A sort that exits 3 at the first batch: no batch stands for its files, graph.nt is merged from them."""
    failing = tmp_path / "sort"
    failing.write_text("#!/bin/sh\necho 'sort: write failed: No space left on device' >&2\nexit 3\n")
    failing.chmod(failing.stat().st_mode | stat.S_IXUSR)
    lines = (built_out / "graph.nt").read_bytes().splitlines(keepends=True)
    triples = SpilledTriples(PREFIXES, tmp_path / "chunks")
    for k in range(12):
        path = tmp_path / f"part-{k:02d}.nt"
        path.write_bytes(b"".join(lines[k::12]))
        triples.include(FileLines(path))
    monkeypatch.setattr(early_merge, "gnu_sort", lambda: os.fspath(failing))
    monkeypatch.setattr(merge, "SORT_BATCH", 5)
    triples.merge_early()
    early = triples.early
    assert early is not None and early.standing_for() is None
    assert early.error is not None and "exited with 3" in early.error and "No space left" in early.error
    assert triples.finish(tmp_path / "graph.nt") == len(lines)
    assert (tmp_path / "graph.nt").read_bytes() == b"".join(lines)
