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
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox
import pytest

from tipkg.graph import delta as delta_module
from tipkg.graph.delta import write_with_delta
from tipkg.graph.store import build_store, fingerprint, store_from_previous
from tipkg.graph.uris import base_iri
from tipkg.pipeline import build
from tipkg.sources import default_corpus_dir
from tipkg.cache_keys import BuildStamp, build_recipe

from replicas import one_word_changed, replicated

EDITED = "004_e1b135029fdaca29.txt"
ROOT = Path(__file__).resolve().parent.parent


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


@pytest.mark.parametrize("seed", range(40))
def test_the_delta_is_the_set_difference_across_block_boundaries(tmp_path, monkeypatch, seed):
    monkeypatch.setattr(delta_module, "BLOCK", 3)  # every kind of block: equal, shifted, at the edges
    rng = random.Random(seed)
    universe = [f"<http://x/{i:04d}> <http://x/p> \"{'x' * rng.randint(0, 30)}\" .\n".encode()  # lines of any length:
                for i in range(60)]  # a block's bytes end anywhere in a previous line
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

def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def store_dump(folder: Path) -> list[bytes]:
    """The store's content as sorted N-Quads lines."""
    store = ox.Store.read_only(str(folder))
    return sorted(store.dump(format=ox.RdfFormat.N_QUADS).splitlines())


def assert_same_outputs(out: Path, other: Path) -> None:
    """Two OUT folders hold the same outputs: every file byte for byte (cmp), the store by its sorted dump."""
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file() and "store" not in p.parts)
    assert files == sorted(p.relative_to(other) for p in other.rglob("*") if p.is_file() and "store" not in p.parts)
    assert "graph.nt" in map(str, files) and len(files) > 6
    for name in files:
        assert (out / name).read_bytes() == (other / name).read_bytes(), name
    assert store_dump(out / "store") == store_dump(other / "store")


@dataclass
class Rebuilt:
    folder: Path
    corpus: Path
    first: object  # BuildResult of the first build
    second: object  # … of the build after the edit, on the same OUT and cache
    full: object  # … of a --no-cache build of the edited corpus into another OUT
    previous: bytes  # the first build's graph.nt
    kept: Path  # hard links to the first build's store files, kept after OUT was replaced
    kept_digests: dict[str, str]  # their SHA-256 before the second build
    memo: set[Path]  # the global pass's line groups in the cache after the first build (graph/memo.py)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Rebuilt:
    """A build of the bundled corpus, then one with a paragraph's text edited on the same OUT and cache
    (a delta build), and a --no-cache build of the edited corpus (a full one) to compare it with."""
    folder = tmp_path_factory.mktemp("delta")
    corpus = copy_corpus(folder)
    out, cache = folder / "out", folder / "cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        first = build(corpus, out, cache=cache, jobs=2)
        kept = folder / "kept-store"  # the first store's files, as a server holding them would
        kept.mkdir()
        for path in (out / "store").iterdir():
            os.link(path, kept / path.name)
        kept_digests = digests(kept)
        previous = (out / "graph.nt").read_bytes()
        shutil.copy(out / "graph.nt", folder / "previous.nt")
        memo = set((cache / "lines").rglob("*.nt"))
        edit_one(corpus)
        second = build(corpus, out, cache=cache, jobs=2)
        full = build(corpus, folder / "full", cache=None, jobs=2)
    return Rebuilt(folder, corpus, first, second, full, previous, kept, kept_digests, memo)


@pytest.mark.slow
def test_a_rebuild_after_an_edit_is_diffed_against_the_previous_graph(rebuilt):
    folder = rebuilt.folder
    assert rebuilt.first.triples.delta is None and rebuilt.full.triples.delta is None  # nothing to start from
    delta = rebuilt.second.triples.delta
    old, new = lines(folder / "previous.nt"), lines(folder / "out" / "graph.nt")
    assert old != new
    assert (delta.removed_count, delta.added_count) == (len(old - new), len(new - old))
    assert delta.previous == (folder / "out").resolve()
    assert delta.record["triples"] == rebuilt.previous.count(b"\n")
    assert delta.record["validation"].startswith("conforms")
    assert not delta.removed.exists()  # the scratch folder went with the build
    from tipkg.commands.build import summary

    assert f"delta: {delta.removed_count} lines removed, {delta.added_count} added" in summary(rebuilt.second, "out")
    assert "delta:" not in summary(rebuilt.full, "full")


@pytest.mark.slow
def test_the_delta_build_writes_what_a_full_build_writes(rebuilt):
    """graph.nt and every dump byte for byte, the store by its sorted dump."""
    assert_same_outputs(rebuilt.folder / "out", rebuilt.folder / "full")


@pytest.mark.slow
def test_the_rebuild_makes_only_the_line_groups_whose_records_changed(rebuilt):
    """The global pass's lines kept by group (graph/memo.py): the edit changed some mandates' or echoes'
    records, so some groups are made again, and most are read back; what they give is the full build's
    (``test_the_delta_build_writes_what_a_full_build_writes``)."""
    after = set((rebuilt.folder / "cache" / "lines").rglob("*.nt"))
    stages = {p.parent.parent.name for p in rebuilt.memo}
    assert stages == {"mandates", "answers", "echoes", "repeats", "index"}
    made = after - rebuilt.memo
    assert made, "the edit changes the records of some group"
    assert len(made) < len(rebuilt.memo) / 4, sorted(p.parent.parent.name for p in made)


@pytest.mark.slow
def test_the_delta_store_starts_from_the_previous_one_which_is_untouched(rebuilt):
    """The new store shares the previous one's table files (hard links: the delta path was taken); the
    previous store's files are byte for byte what they were, and it still opens and answers."""
    new = {p.stat().st_ino for p in (rebuilt.folder / "out" / "store").iterdir()}
    assert new & {p.stat().st_ino for p in rebuilt.kept.iterdir()}
    assert digests(rebuilt.kept) == rebuilt.kept_digests
    store = ox.Store.read_only(str(rebuilt.kept))
    assert len(store) == rebuilt.previous.count(b"\n")
    held = {(q.subject, q.predicate, q.object) for q in store}
    assert held == {(t.subject, t.predicate, t.object) for t in ox.parse(rebuilt.previous, format=ox.RdfFormat.N_TRIPLES)}


@pytest.mark.slow
def test_the_stamp_offers_the_previous_out_only_for_the_same_recipe(rebuilt):
    folder = rebuilt.folder
    out = folder / "out"
    stamp = BuildStamp(folder / "cache", out)
    names = [p.name for p in out.iterdir()]
    recipe = build_recipe(base_iri(None), True)  # what tipkg build records: the code, the base, validated
    record = stamp.previous(recipe, names)
    assert record is not None and record["recipe"] == recipe and record["triples"] == len(rebuilt.second.triples)
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


# --- a previous store that is off: loaded whole, never wrong ------------------------------------------

def _small_out(folder: Path, triples: list[bytes]) -> dict:
    """An OUT folder with graph.nt and its bulk-loaded store, and the stamp record a build would write."""
    folder.mkdir(parents=True)
    (folder / "graph.nt").write_bytes(b"".join(triples))
    build_store(folder / "graph.nt", folder / "store")
    stat = (folder / "graph.nt").stat()
    return {"graph.nt": [stat.st_size, stat.st_mtime_ns], "triples": len(triples),
            "store": fingerprint(folder / "store")}


TRIPLES = [f"<http://x/{i:03d}> <http://x/p> \"{i}\" .\n".encode() for i in range(100)]


def _delta_of(tmp_path: Path, previous: Path, record: dict, new: list[bytes]):
    with open(tmp_path / "new.nt", "wb") as out:
        count, delta = write_with_delta(iter(new), out, previous, record, tmp_path / "scratch")
    return count, delta


@pytest.mark.parametrize("damage", ["none", "sst truncated", "sst removed", "CURRENT removed", "other store",
                                    "other store, same fingerprint", "graph.nt replaced",
                                    "every sst damaged in place"])
def test_a_previous_store_that_is_off_is_not_used(tmp_path, damage):
    previous = tmp_path / "previous"
    record = _small_out(previous, TRIPLES[:60])
    new = TRIPLES[5:65]
    count, delta = _delta_of(tmp_path, previous, record, new)
    assert (delta.removed_count, delta.added_count) == (5, 5)
    store = previous / "store"
    sst = sorted(store.glob("*.sst"), key=lambda p: p.stat().st_size)[-1]
    if damage == "sst truncated":
        sst.write_bytes(sst.read_bytes()[:100])
    elif damage == "sst removed":
        sst.unlink()
    elif damage == "every sst damaged in place":  # size and mtime kept: the stamp cannot tell, the reads must
        for path in store.glob("*.sst"):
            stat, data = path.stat(), bytearray(path.read_bytes())
            data[len(data) // 4: len(data) // 2] = bytes(len(data) // 2 - len(data) // 4)
            path.write_bytes(bytes(data))
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    elif damage == "CURRENT removed":
        (store / "CURRENT").unlink()
    elif damage.startswith("other store"):  # a store of another graph with as many triples
        shutil.rmtree(store)
        build_store_from(TRIPLES[40:100], store)
        if damage.endswith("same fingerprint"):  # the stamp cannot tell: the triples checks must
            delta = replace(delta, record={**delta.record, "store": fingerprint(store)})
    elif damage == "graph.nt replaced":  # OUT swapped by another build since the delta was made
        (previous / "graph.nt").write_bytes(b"".join(TRIPLES[:60]))
    made = store_from_previous(delta, tmp_path / "made", count)
    assert made == (damage == "none")
    assert (tmp_path / "made").exists() == made  # nothing half-made is left for the bulk load
    if made:
        assert sorted(ox.Store.read_only(str(tmp_path / "made")).dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).splitlines(
            keepends=True)) == new


def build_store_from(triples: list[bytes], folder: Path) -> None:
    (folder.parent / "other.nt").write_bytes(b"".join(triples))
    build_store(folder.parent / "other.nt", folder)


def test_a_large_delta_is_loaded_whole(tmp_path):
    previous = tmp_path / "previous"
    record = _small_out(previous, TRIPLES[:60])
    count, delta = _delta_of(tmp_path, previous, record, TRIPLES[20:80])
    assert not store_from_previous(delta, tmp_path / "made", count)  # 40 of 60 changed: a bulk load is cheaper


@pytest.mark.slow
def test_a_delta_build_over_a_corrupted_store_loads_it_whole(tmp_path):
    """Regression guard at the level users see: a build after an edit, its previous store's largest table
    file cut short, succeeds and writes the store a full load writes (not a failure, not wrong data)."""
    corpus = copy_corpus(tmp_path)
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(corpus, out, cache=cache, jobs=2)
    sst = sorted((out / "store").glob("*.sst"), key=lambda p: p.stat().st_size)[-1]
    sst.write_bytes(sst.read_bytes()[: sst.stat().st_size // 2])
    edit_one(corpus)
    again = build(corpus, out, cache=cache, jobs=2)
    assert again.triples.delta is not None  # graph.nt was diffed; the store was not trusted
    store = ox.Store.read_only(str(out / "store"))
    assert sorted(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).splitlines(keepends=True)) \
        == (out / "graph.nt").read_bytes().splitlines(keepends=True)


@pytest.mark.slow
def test_at_x3_the_delta_build_writes_what_a_full_build_writes(tmp_path, monkeypatch):
    """The corpus ×3 (``benchmarks/replicate.py``), a word of its last source edited (``bench_build``'s
    ``change_one``): the delta build's OUT equals a --no-cache build's, file for file."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    corpus = replicated(3, tmp_path / "corpus")
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(corpus, out, cache=cache, jobs=2)
    kept = tmp_path / "kept"
    kept.mkdir()
    for path in (out / "store").iterdir():
        os.link(path, kept / path.name)
    one_word_changed(corpus)
    again = build(corpus, out, cache=cache, jobs=2)
    assert again.triples.delta is not None and again.triples.delta.added_count > 0
    assert {p.stat().st_ino for p in (out / "store").iterdir()} & {p.stat().st_ino for p in kept.iterdir()}
    build(corpus, tmp_path / "full", cache=None, jobs=2)
    assert_same_outputs(out, tmp_path / "full")


def test_store_after_store_from_deltas_stays_right_and_compact(tmp_path):
    """Twenty rebuilds in a row, each store made from the one before plus a delta: the last holds exactly
    the last graph, and RocksDB's own compactions keep its table files few (no full ``optimize`` needed)."""
    universe = [f"<http://x/{i:05d}> <http://x/p> \"{i}\" .\n".encode() for i in range(4000)]
    previous = tmp_path / "o0"
    record = _small_out(previous, universe[:3000])
    first = len(list((previous / "store").glob("*.sst")))
    graph = set(universe[:3000])
    for n in range(1, 21):
        graph ^= set(universe[n * 50:n * 50 + 20]) | set(universe[3000 + n * 40:3000 + n * 40 + 20])
        out = tmp_path / f"o{n}"
        out.mkdir()
        with open(out / "graph.nt", "wb") as f:
            count, delta = write_with_delta(iter(sorted(graph)), f, previous, record, tmp_path / "scratch")
        assert store_from_previous(delta, out / "store", count)
        stat = (out / "graph.nt").stat()
        record = {"graph.nt": [stat.st_size, stat.st_mtime_ns], "triples": count, "store": fingerprint(out / "store")}
        shutil.rmtree(previous)
        previous = out
    store = ox.Store.read_only(str(previous / "store"))
    assert sorted(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).splitlines(keepends=True)) \
        == sorted(graph)
    assert len(list((previous / "store").glob("*.sst"))) <= first + 10


@pytest.mark.parametrize("ours, cpus", [(False, None), (True, None), (True, 2)])
def test_a_store_loaded_on_the_loaders_cpus_holds_what_a_checked_load_holds(built_out, tmp_path, monkeypatch, ours,
                                                                             cpus):
    """``build_store`` loads graph.nt in one call kept to the loader's CPUs (``store.kept_to``: the loader holds
    one batch per CPU it may use, so its memory grows with them): by default one on a machine of two or three
    (``loader_cpus``), two given two; the load reads the file on those, the caller has all its CPUs back after,
    and the bundled corpus's graph gives the store one checked ``bulk_load`` of the file on every CPU gives —
    also loaded as the build loads its own graph.nt (``ours``: lenient, without pyoxigraph's IRI and
    language-tag checks), counted by its lines."""
    import os

    import tipkg.graph.store as store_module

    seen: set[int] = set()
    read = store_module._Lines.read

    def spied(self, n=-1):
        seen.add(len(os.sched_getaffinity(0)))
        return read(self, n)

    monkeypatch.setattr(store_module._Lines, "read", spied)
    before = os.sched_getaffinity(0)
    graph = built_out / "graph.nt"
    assert build_store(graph, tmp_path / "one", ours=ours, cpus=cpus) == graph.read_bytes().count(b"\n") > 30_000
    assert seen == {min(cpus or store_module.loader_cpus(), len(before))}
    assert os.sched_getaffinity(0) == before
    whole = ox.Store()
    whole.bulk_load(path=str(graph), format=ox.RdfFormat.N_TRIPLES)
    assert store_dump(tmp_path / "one") == sorted(whole.dump(format=ox.RdfFormat.N_QUADS).splitlines())


@pytest.mark.parametrize("jobs, cpus", [(2, 1), (4, 2)])
def test_the_build_gives_its_store_two_cpus_from_four_jobs(tmp_path, monkeypatch, jobs, cpus):
    """``tipkg build --jobs N`` loads its store on ``loader_cpus(N)`` CPUs: one below four jobs (on two cores the
    other stages keep both busy meanwhile), two from four (the load alone at ×100 1.56× as fast, for one batch
    more held). The CPUs asked are recorded in a file: the store may be written by a child of the build."""
    import tipkg.graph.store as store_module
    from tipkg.pipeline import build

    asked = tmp_path / "asked"
    kept_to = store_module.kept_to

    def recorded(n):
        with open(asked, "a", encoding="ascii") as out:
            out.write(f"{n}\n")
        return kept_to(n)

    monkeypatch.setattr(store_module, "kept_to", recorded)
    build(out_dir=tmp_path / "out", cache=None, jobs=jobs)
    assert asked.read_text(encoding="ascii").split() == [str(cpus)]
    assert len(ox.Store.read_only(str(tmp_path / "out" / "store"))) > 30_000


def test_a_graph_nt_from_elsewhere_is_loaded_checked(tmp_path):
    """Only the build's own graph.nt is loaded leniently: one that ``tipkg serve`` finds without a store
    (written by anyone) is checked, and an IRI with a space is refused, naming its line."""
    graph = tmp_path / "graph.nt"
    graph.write_bytes(b'<http://x/a> <http://x/p> "1" .\n<http://x/a b> <http://x/p> "2" .\n')
    with pytest.raises(SyntaxError, match="line 2"):
        build_store(graph, tmp_path / "store")
