"""The delta build: a rebuild of OUT by the same code and settings starts from OUT's outputs.

The delta (``graph/delta.py``) is checked against the set difference of the
two ``graph.nt`` files, on made-up sorted files (every block boundary) and on
real builds of the bundled corpus with one paragraph's text edited; the
previous OUT is a base only when its build had the same recipe and its
``graph.nt`` is the file that build wrote.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import shutil
from pathlib import Path

import pytest

from tipkg.graph import delta as delta_module
from tipkg.graph.delta import write_with_delta
from tipkg.graph.uris import base_iri
from tipkg.pipeline import build
from tipkg.sources import default_corpus_dir
from tipkg.units import BuildStamp, build_recipe

EDITED = "004_e1b135029fdaca29.txt"


def edit_one(corpus: Path, old: str = "الدول", new: str = "البلدان") -> None:
    """Replace the last ``old`` word of one source by ``new`` and update its sha256 in the manifest
    (as ``benchmarks/bench_build.py``'s ``change_one``): a paragraph's text, labels and spans change."""
    path = corpus / EDITED
    data = path.read_bytes()
    before = hashlib.sha256(data).hexdigest()
    at = data.rindex(old.encode())
    path.write_bytes(data[:at] + new.encode() + data[at + len(old.encode()):])
    manifest = corpus / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(before, hashlib.sha256(path.read_bytes()).hexdigest()),
                        encoding="utf-8")


def copy_corpus(folder: Path) -> Path:
    corpus = folder / "corpus"
    shutil.copytree(default_corpus_dir(), corpus, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    return corpus


def lines(path: Path) -> set[bytes]:
    with open(path, "rb") as f:
        return set(f)


# --- the delta of two sorted files ---------------------------------------------------------------

def _diff(tmp_path: Path, old: list[bytes], new: list[bytes], triples: int | None = None):
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "out" / "graph.nt").write_bytes(b"".join(old))
    written = io.BytesIO()
    count, delta = write_with_delta(iter(new), written, tmp_path / "out",
                                    {"triples": len(old) if triples is None else triples}, tmp_path / "scratch")
    assert written.getvalue() == b"".join(new) and count == len(new)  # graph.nt is whole, delta or not
    return delta


@pytest.mark.parametrize("seed", range(12))
def test_the_delta_is_the_set_difference_across_block_boundaries(tmp_path, monkeypatch, seed):
    monkeypatch.setattr(delta_module, "BLOCK", 3)  # every kind of block: equal, shifted, at the edges
    rng = random.Random(seed)
    universe = [f"<http://x/{i:04d}> <http://x/p> \"{i}\" .\n".encode() for i in range(60)]
    old = sorted(rng.sample(universe, rng.randint(0, 40)))
    new = sorted(set(old) - set(rng.sample(old, min(len(old), rng.randint(0, 5))))
                 | set(rng.sample(universe, rng.randint(0, 5))))
    delta = _diff(tmp_path, old, new)
    removed, added = delta.removed.read_bytes(), delta.added.read_bytes()
    assert removed == b"".join(sorted(set(old) - set(new)))
    assert added == b"".join(sorted(set(new) - set(old)))
    assert (delta.removed_count, delta.added_count) == (len(set(old) - set(new)), len(set(new) - set(old)))


def test_no_delta_against_a_previous_file_that_is_off(tmp_path):
    """Another line count than its build recorded, unsorted lines, no file: no delta (a full build)."""
    old = [b"<a> <p> 1 .\n", b"<b> <p> 2 .\n", b"<c> <p> 3 .\n"]
    new = [b"<a> <p> 1 .\n", b"<c> <p> 3 .\n"]
    assert _diff(tmp_path, old, new, triples=4) is None
    assert _diff(tmp_path, [old[1], old[0], old[2]], new) is None
    assert _diff(tmp_path, old[:2] + [b"<c> <p> 3 ."], new) is None  # cut short: no newline at the end
    assert _diff(tmp_path, old, new) is not None
    (tmp_path / "out" / "graph.nt").unlink()
    written = io.BytesIO()
    assert write_with_delta(iter(new), written, tmp_path / "out", {"triples": 3}, tmp_path / "none") == (2, None)
    assert list((tmp_path / "none").iterdir()) == []


# --- real builds of the bundled corpus --------------------------------------------------------------

@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    """A build of the bundled corpus, then one with a paragraph's text edited, on the same OUT and cache."""
    folder = tmp_path_factory.mktemp("delta")
    corpus = copy_corpus(folder)
    out, cache = folder / "out", folder / "cache"
    first = build(corpus, out, cache=cache, jobs=2)
    previous = (out / "graph.nt").read_bytes()
    shutil.copy(out / "graph.nt", folder / "previous.nt")
    edit_one(corpus)
    second = build(corpus, out, cache=cache, jobs=2)
    return folder, corpus, first, second, previous


def test_a_rebuild_after_an_edit_is_diffed_against_the_previous_graph(rebuilt):
    folder, _, first, second, previous = rebuilt
    assert first.triples.delta is None  # nothing to start from
    delta = second.triples.delta
    old, new = lines(folder / "previous.nt"), lines(folder / "out" / "graph.nt")
    assert old != new
    assert (delta.removed_count, delta.added_count) == (len(old - new), len(new - old))
    assert delta.previous == (folder / "out").resolve()
    assert delta.record["triples"] == previous.count(b"\n")
    assert delta.record["validation"].startswith("conforms")
    assert not delta.removed.exists()  # the scratch folder went with the build


def test_the_stamp_offers_the_previous_out_only_for_the_same_recipe(rebuilt):
    folder, _, _, second, _ = rebuilt
    out = folder / "out"
    stamp = BuildStamp(folder / "cache", out)
    names = [p.name for p in out.iterdir()]
    recipe = build_recipe(base_iri(None), True)  # what tipkg build records: the code, the base, validated
    record = stamp.previous(recipe, names)
    assert record is not None and record["recipe"] == recipe and record["triples"] == len(second.triples)
    assert stamp.previous(build_recipe("http://other.example/", True), names) is None  # another base
    assert stamp.previous(build_recipe(base_iri(None), False), names) is None  # --no-validate
    assert stamp.previous(recipe, names + ["missing.ttl"]) is None  # an output missing
    graph = out / "graph.nt"
    stat = graph.stat()
    os.utime(graph, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))  # graph.nt touched by hand
    try:
        assert stamp.previous(recipe, names) is None
    finally:
        os.utime(graph, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert stamp.previous(recipe, names) == record


def test_no_cache_builds_whole(rebuilt, tmp_path):
    """``--no-cache`` keeps no stamp: no delta, the same graph."""
    folder, corpus, _, _, _ = rebuilt
    out = tmp_path / "out"
    shutil.copytree(folder / "out", out)
    whole = build(corpus, out, cache=None, jobs=1)
    assert whole.triples.delta is None
    assert (out / "graph.nt").read_bytes() == (folder / "out" / "graph.nt").read_bytes()
