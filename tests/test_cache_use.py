"""The cache keeps what builds use and loses the rest (``tipkg/cache_use.py``), on real builds of the corpus.

A paragraph of the General Assembly resolution edited (its last ``الدول``, "States", made ``البلدان``,
"countries": ``test_delta.edit_one``) leaves the entries of the old text behind: the rebuild removes
them, leaving the very files a first build of the edited corpus makes, and every entry it keeps is
used (a rebuild without OUT extracts nothing and computes no graph part). Two output folders sharing
a cache keep each other's entries; a running build holds removal off; ``--no-prune`` keeps all.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

from tipkg.cache_use import LOCK, NOT_ENTRIES, CacheUse
from tipkg.cli import main
from test_delta import copy_corpus, edit_one

#: files of a cache that are no build's entries: the stamps, the locks, the text-reuse index and its seal
#: (and what only a rebuild writes: the validation's derived reads, shapes/check_reads.py)
NOT_COMPARED = (*NOT_ENTRIES, "validation-reads.v3.json")


def names(cache: Path) -> set[str]:
    """The cache's files, relative, the shared ones left out."""
    found = {p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file()}
    return {n for n in found if not n.startswith(NOT_COMPARED)}


def built(capsys, corpus: Path, out: Path, cache: Path, *more: str) -> str:
    assert main(["build", "--corpus", str(corpus), "--out", str(out), "--cache", str(cache), *more]) == 0
    return capsys.readouterr().out


def test_a_rebuild_after_an_edit_leaves_the_cache_a_first_build_of_the_edited_corpus_makes(tmp_path, capsys):
    corpus, cache, out = copy_corpus(tmp_path), tmp_path / "cache", tmp_path / "out"
    first = built(capsys, corpus, out, cache)
    assert "cache: 0 entries no build uses removed" in first
    before = names(cache)
    edit_one(corpus)
    printed = built(capsys, corpus, out, cache)
    assert "sources: 1 extracted, 4 from the cache; graph parts: 1 computed" in printed
    line = next(x for x in printed.splitlines() if x.startswith("cache: "))
    gone = before - names(cache)
    assert gone and line.startswith(f"cache: {len(gone)} entries no build uses removed (")
    # what went is the old text's: its unit and what is kept beside it, its graph part, its reuse summary
    assert {n.split("/")[0] for n in gone} >= {"parts", "reuse"} and any(n.count("/") == 1 for n in gone)

    fresh = tmp_path / "fresh"
    shutil.copytree(corpus, fresh / "corpus")
    built(capsys, fresh / "corpus", fresh / "out", fresh / "cache")
    assert names(cache) == names(fresh / "cache")
    shutil.rmtree(out)  # every entry kept is one the build uses: nothing to extract or compute again
    again = built(capsys, corpus, out, cache)
    assert "sources: 0 extracted, 5 from the cache; graph parts: 0 computed" in again
    assert (out / "graph.nt").read_bytes() == (fresh / "out" / "graph.nt").read_bytes()


def test_two_output_folders_on_one_cache_keep_each_others_entries(tmp_path, capsys):
    """``a`` is built from the corpus, ``b`` from the corpus with the resolution edited, on one cache: each
    keeps the other's entries (its old text is ``a``'s current one). Once ``b`` is removed, the next build
    of ``a`` removes ``b``'s stamp and the entries of ``b`` alone."""
    cache = tmp_path / "cache"
    a, b = copy_corpus(tmp_path / "a"), copy_corpus(tmp_path / "b")
    edit_one(b)
    built(capsys, a, tmp_path / "a" / "out", cache)
    only_a = names(cache)
    assert "cache: 0 entries no build uses removed" in built(capsys, b, tmp_path / "b" / "out", cache)
    shutil.rmtree(tmp_path / "a" / "out")
    assert "sources: 0 extracted, 5 from the cache; graph parts: 0 computed" in built(capsys, a, tmp_path / "a" / "out", cache)
    assert len(list((cache / "builds").glob("*.json"))) == 2

    shutil.rmtree(tmp_path / "b" / "out")
    printed = built(capsys, a, tmp_path / "a" / "out", cache)
    assert "up to date" in printed and "cache: " in printed and " 0 entries" not in printed
    assert len(list((cache / "builds").glob("*.json"))) == 1
    assert names(cache) == only_a


def test_a_running_build_holds_removal_off_and_no_prune_keeps_everything(tmp_path, capsys):
    corpus, cache, out = copy_corpus(tmp_path), tmp_path / "cache", tmp_path / "out"
    built(capsys, corpus, out, cache)
    before = names(cache)
    edit_one(corpus)
    with open(cache / LOCK) as other:  # another build on the cache: its shared lock
        fcntl.flock(other, fcntl.LOCK_SH)
        printed = built(capsys, corpus, out, cache)
    assert "cache: nothing removed: another build is using the cache" in printed
    assert before <= names(cache)
    edit_one(corpus, "البلدان", "الدول")  # back to the original text: its entries are all there
    printed = built(capsys, corpus, out, cache, "--no-prune")
    assert "sources: 0 extracted, 5 from the cache" in printed and "cache: " not in printed
    edited_too = names(cache)
    assert before < edited_too
    printed = built(capsys, corpus, out, cache)  # nothing changed since: what the edited text left goes
    assert "up to date" in printed
    assert names(cache) == before


def test_a_stamp_of_an_older_tipkg_does_not_count_and_the_lock_dates_the_start(tmp_path):
    """A stamp without the start of its build (written before builds marked their use) keeps nothing; the
    start is the lock file's modification time, by the cache's own clock."""
    cache = tmp_path / "cache"
    (cache / "builds").mkdir(parents=True)
    (cache / "builds" / "old.json").write_text(json.dumps({"key": "k", "graph.nt": [1, 2]}), encoding="utf-8")
    entry = cache / "ab" / ("ab" + "0" * 62)
    entry.parent.mkdir()
    entry.write_bytes(b"an entry no build uses")
    os.utime(entry, ns=(1, 1))
    with CacheUse(cache) as use:
        assert use.started == (cache / LOCK).stat().st_mtime_ns
        pruned = use.prune()
    assert (pruned.removed, pruned.removed_bytes) == (1, len(b"an entry no build uses"))
    assert not entry.parent.exists() and (cache / "builds" / "old.json").exists()


def test_tipkg_cache_shows_the_folders_that_use_it_and_prunes_what_none_uses(tmp_path, capsys):
    """After an edit built with --no-prune, ``tipkg cache`` counts as unused exactly the files a first build
    of the edited corpus does not make (the old text's), and --prune removes those."""
    corpus, cache, out = copy_corpus(tmp_path), tmp_path / "cache", tmp_path / "out"
    built(capsys, corpus, out, cache)
    edit_one(corpus)
    built(capsys, corpus, out, cache, "--no-prune")
    fresh = tmp_path / "fresh"
    shutil.copytree(corpus, fresh / "corpus")
    built(capsys, fresh / "corpus", fresh / "out", fresh / "cache")
    unused = names(cache) - names(fresh / "cache")
    assert unused
    assert main(["cache", "--cache", str(cache)]) == 0
    head, folder = capsys.readouterr().out.splitlines()
    assert head.startswith(f"cache: {cache}: ") and " entries (" in head
    assert f"of which {len(unused):,} (" in head
    assert head.endswith("tipkg cache --prune removes them; a build does once it succeeded")
    triples = len((out / "graph.nt").read_bytes().splitlines())  # the edited corpus's count
    assert folder.startswith(f"  {out.resolve()}: last build started ") and folder.endswith(f", {triples:,} triples")
    assert main(["cache", "--cache", str(cache), "--prune"]) == 0
    removed, head = capsys.readouterr().out.splitlines()[:2]
    assert removed.startswith(f"cache: {len(unused):,} entries no build uses removed (")
    assert "of which" not in head and names(cache) == names(fresh / "cache")


def test_tipkg_cache_names_a_folder_without_a_cache_and_the_caches_beside_it(tmp_path, capsys):
    (tmp_path / "a" / "builds").mkdir(parents=True)
    assert main(["cache", "--cache", str(tmp_path / "b")]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"tipkg cache: error: {tmp_path / 'b'}: no build cache here (a build with --cache DIR, or --out DIR for the "
        f"one beside it, makes one); caches beside it: {tmp_path / 'a'}"]


def test_hashing_an_outs_files_marks_nothing_and_leaves_it_current(tmp_path, capsys):
    """``file_digest`` hashes files that are not the cache's too (``bench_against.digests`` every file of an OUT):
    it must not date them as a use, or graph.nt's time no longer matches its stamp and the next build of
    nothing changed builds again (it did, while ``file_digest`` marked what it read)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import bench_against

    corpus, cache, out = copy_corpus(tmp_path), tmp_path / "cache", tmp_path / "out"
    built(capsys, corpus, out, cache)
    before = (out / "graph.nt").stat().st_mtime_ns
    assert "graph.nt" in bench_against.digests(out)
    assert (out / "graph.nt").stat().st_mtime_ns == before
    assert "up to date: nothing changed since the last build" in built(capsys, corpus, out, cache)
