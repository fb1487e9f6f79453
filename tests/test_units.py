"""Per-source work units: the cache makes a rebuild redo only what changed, and is never trusted blindly.

Real builds of the bundled corpus (``tipkg build`` and ``tipkg.pipeline.build``),
with the cache in a temporary folder."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tipkg.cli import main
from tipkg.pipeline import build
from tipkg.sources import default_corpus_dir, read_corpus
from tipkg.cache_keys import key_of
from tipkg.part_cache import PartCache
from tipkg.units import CACHE_NAME, UnitCache, extract_unit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """A first build into a fresh cache: every source extracted, in two processes."""
    folder = tmp_path_factory.mktemp("units")
    result = build(out_dir=folder / "out", cache=folder / "cache", jobs=2)
    return folder, result


def test_cold_build_extracts_every_source_and_keeps_them(cold):
    folder, result = cold
    assert (result.extracted, result.cached) == (5, 0)
    assert len(list((folder / "cache").rglob("*"))) >= 5


def test_warm_rebuild_extracts_nothing_and_writes_the_same_graph(cold, tmp_path):
    folder, first = cold
    again = build(out_dir=tmp_path / "out", cache=folder / "cache", jobs=2)
    assert (again.extracted, again.cached) == (0, 5)
    assert (tmp_path / "out" / "graph.nt").read_bytes() == (folder / "out" / "graph.nt").read_bytes()


def test_one_edited_source_is_the_only_one_extracted_again(cold, tmp_path):
    folder, _ = cold
    corpus = tmp_path / "corpus"
    shutil.copytree(default_corpus_dir(), corpus, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    target = corpus / "004_e1b135029fdaca29.txt"
    old = hashlib.sha256(target.read_bytes()).hexdigest()
    target.write_bytes(target.read_bytes() + b"\n")
    manifest = corpus / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(old, hashlib.sha256(target.read_bytes()).hexdigest()),
                        encoding="utf-8")
    result = build(corpus, tmp_path / "out", cache=folder / "cache", jobs=2)
    assert (result.extracted, result.cached) == (1, 4)
    assert result.documents == cold[1].documents


def test_an_edited_word_of_a_visual_source_redoes_its_part_only(cold, tmp_path):
    """Regression: a word of 004 edited ("الدول" made "البلدان", the benchmark's edit) changed the
    summed lexicon shares, which keyed the parts of every visual source, though the reading-order
    model they make was the same: at ×100 the 200 visual parts were computed again (48 s)."""
    folder, _ = cold
    corpus = tmp_path / "corpus"
    shutil.copytree(default_corpus_dir(), corpus, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    target = corpus / "004_e1b135029fdaca29.txt"
    old = hashlib.sha256(target.read_bytes()).hexdigest()
    text = target.read_text(encoding="utf-8")
    at = text.rindex("الدول")
    target.write_text(text[:at] + "البلدان" + text[at + len("الدول"):], encoding="utf-8")
    manifest = corpus / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(old, hashlib.sha256(target.read_bytes()).hexdigest()),
                        encoding="utf-8")
    result = build(corpus, tmp_path / "out", cache=folder / "cache", jobs=2)
    assert (result.extracted, result.parts) == (1, 1)  # 000, the other visual source, is read back
    assert "البلدان الأعضاء" in (tmp_path / "out" / "graph.nt").read_text(encoding="utf-8")


def test_a_corrupt_or_truncated_entry_is_recomputed_not_trusted(cold, tmp_path):
    folder, first = cold
    cache = tmp_path / "cache"
    shutil.copytree(folder / "cache", cache)
    sources = read_corpus()
    truncated, flipped = (UnitCache(cache).path(key_of(s)) for s in sources[:2])
    truncated.write_bytes(truncated.read_bytes()[:100])
    data = bytearray(flipped.read_bytes())
    data[-10] ^= 0xFF
    flipped.write_bytes(bytes(data))
    assert UnitCache(cache).get(key_of(sources[0]), sources[0]) is None
    result = build(out_dir=tmp_path / "out", cache=cache, jobs=1)
    assert (result.extracted, result.cached) == (2, 3)
    assert (tmp_path / "out" / "graph.nt").read_bytes() == (folder / "out" / "graph.nt").read_bytes()
    assert UnitCache(cache).get(key_of(sources[0]), sources[0]) is not None  # rewritten whole


def test_a_unit_read_back_equals_the_unit_extracted(cold):
    folder, _ = cold
    source = read_corpus()[3]
    assert UnitCache(folder / "cache").get(key_of(source), source) == extract_unit(source)


def test_no_cache_extracts_everything_and_writes_no_cache(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path / "out"), "--no-cache", "--jobs", "1"]) == 0
    assert "sources: 5 extracted, 0 from the cache" in capsys.readouterr().out
    assert not (tmp_path / CACHE_NAME).exists()


def test_the_default_cache_lives_beside_out(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path / "out"), "--quiet"]) == 0
    cache = tmp_path / CACHE_NAME
    assert len([p for p in cache.glob("??/*") if p.is_file() and not p.suffix]) == 5  # one unit per source
    assert len(list(cache.glob("??/*.held"))) == 5  # and what the build's parent keeps of it (tipkg/held.py)
    assert len(list(cache.glob("parts/??/*.part"))) == 5  # and its graph part (graph/parts.py)
    assert len(list(cache.glob("reuse/summaries/??/*"))) == 5  # and its text-reuse summary (network/reuse_index.py)
    assert len(list((cache / "builds").iterdir())) == 1  # the stamp of out


def test_jobs_must_be_positive(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path / "out"), "--jobs", "0"]) == 2
    assert "--jobs 0" in capsys.readouterr().err


def test_two_builds_on_one_cache_at_once(tmp_path):
    """Two `tipkg build` processes share an empty cache: both succeed, with the same graph,
    and every entry they left is whole."""
    cache = tmp_path / "cache"
    command = [sys.executable, "-m", "tipkg", "build", "--quiet", "--jobs", "2", "--cache", str(cache), "--out"]
    runs = [subprocess.Popen([*command, str(tmp_path / f"out{i}")], cwd=ROOT, stderr=subprocess.PIPE, text=True)
            for i in range(2)]
    for run in runs:
        assert run.wait(timeout=300) == 0, run.stderr.read()
    assert (tmp_path / "out0" / "graph.nt").read_bytes() == (tmp_path / "out1" / "graph.nt").read_bytes()
    sources = read_corpus()
    assert all(UnitCache(cache).get(key_of(s), s) is not None for s in sources)
    assert all(PartCache(cache).get(path.name[:-5]) is not None for path in cache.glob("parts/??/*.part"))
    assert len(list(cache.glob("parts/??/*.part"))) == 5
    assert not [p for p in cache.rglob("*.tmp")]


def test_a_build_with_nothing_changed_keeps_the_outputs(tmp_path, capsys):
    """Same corpus, code and settings as the build that wrote OUT: nothing is redone; OUT edited
    by hand, or other settings, and the build runs again."""
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--quiet"]) == 0
    before = (out / "graph.nt").stat().st_mtime_ns
    assert main(["build", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "up to date: nothing changed since the last build" in printed and "sources: 0 extracted, 5 from" in printed
    assert (out / "graph.nt").stat().st_mtime_ns == before
    (out / "graph.nt").write_bytes((out / "graph.nt").read_bytes()[:-200])  # a damaged output is rebuilt
    assert main(["build", "--out", str(out)]) == 0
    assert "up to date" not in capsys.readouterr().out
    assert main(["build", "--out", str(out), "--no-validate"]) == 0  # other settings: built again
    assert "validation: SKIPPED" in capsys.readouterr().out
