"""The text dumps and VoID written a segment of graph.nt at a time (``graph/segments.py``).

On the real corpus, bundled (×1) and replicated (×3): a rebuild after one source's text was edited
copies the unchanged segments from the previous OUT and gives, byte for byte, the dumps of a
``--no-cache`` build of the edited corpus. Each dump is checked against an independent reference:
Turtle against pyoxigraph's writer over the whole graph, JSON-LD and TriG read back by rdflib and
pyoxigraph, VoID against the SPARQL queries over the store that made it before. A damaged previous
file or index (truncated, edited, re-sealed with a wrong range) is never copied.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import zlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, RDFS
from rdflib.namespace import DCTERMS

from tipkg.graph import segments, void_stats
from tipkg.graph.delta import Delta
from tipkg.graph.outputs import prefixes_of
from tipkg.graph.dumps import EXAMPLE_CLASSES, VoidStatistics, placed_triples, void_graph
from tipkg.graph.segments import INDEX, MASK, TEXT, cut, write_segmented
from tipkg.graph.store import store_path
from tipkg.graph.streams import SpilledTriples
from tipkg.graph.triples import TripleSet
from tipkg.graph.writers import DumpSettings, dumps
from tipkg.ontology.namespace import PREFIXES, TIP
from tipkg.pipeline import build
from tipkg.sources import default_corpus_dir

from replicas import one_word_changed, replicated

FILES = ("graph.nt", *TEXT, "void.ttl", INDEX)
EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}  # void.ttl's dates


def rebuilt(folder: Path, copies: int) -> Path:
    """``folder`` with: ``before`` (a build of the corpus), ``out`` (that build, then rebuilt on the
    same cache after one source was edited) and ``full`` (the edited corpus built with --no-cache)."""
    if copies == 1:
        corpus = folder / "corpus"
        shutil.copytree(default_corpus_dir(), corpus, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    else:
        corpus = replicated(copies, folder / "corpus")
    with pytest.MonkeyPatch.context() as env:
        for name, value in EPOCH.items():
            env.setenv(name, value)
        build(corpus, folder / "out", cache=folder / "cache")
        shutil.copytree(folder / "out", folder / "before")
        one_word_changed(corpus)
        build(corpus, folder / "out", cache=folder / "cache")
        build(corpus, folder / "full", cache=None)
    return folder


@pytest.fixture(scope="module")
def once(tmp_path_factory) -> Path:
    return rebuilt(tmp_path_factory.mktemp("segments-x1"), 1)


def written(before: Path, full: Path, to: Path, jobs: int | None = None) -> dict:
    """The segmented files of ``full``'s graph.nt written into ``to``, copying from ``before``."""
    to.mkdir(exist_ok=True)
    triples = SpilledTriples.written(PREFIXES, full / "graph.nt", store_path(full), 0)
    delta = delta_between(before, full, to)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOURCE_DATE_EPOCH", EPOCH["SOURCE_DATE_EPOCH"])
        return write_segmented(triples, to, DumpSettings(validated=True, delta=delta, jobs=jobs))


def delta_between(before: Path, after: Path, folder: Path) -> Delta:
    """The lines of ``before``'s graph.nt not in ``after``'s and the reverse (sets, sorted): what
    ``graph/delta.py`` gives a build, made here on its own."""
    old, new = (set(open(f / "graph.nt", "rb")) for f in (before, after))
    (folder / ".removed").write_bytes(b"".join(sorted(old - new)))
    (folder / ".added").write_bytes(b"".join(sorted(new - old)))
    return Delta(before, folder / ".removed", folder / ".added", {}, len(old - new), len(new - old))


def same_files(a: Path, b: Path, names=FILES) -> list[str]:
    return [name for name in names if (a / name).read_bytes() != (b / name).read_bytes()]


def test_a_rebuild_after_one_edit_gives_the_dumps_of_a_full_build(once):
    assert (once / "before" / "graph.nt").read_bytes() != (once / "full" / "graph.nt").read_bytes()
    assert same_files(once / "out", once / "full") == []


@pytest.mark.slow
def test_a_rebuild_after_one_edit_gives_the_dumps_of_a_full_build_at_x3(tmp_path):
    folder = rebuilt(tmp_path, 3)
    assert same_files(folder / "out", folder / "full") == []
    counts = written(folder / "before", folder / "full", tmp_path / "again")
    assert 0 < counts["segments"] - counts["copied"] < counts["segments"] / 3  # a ninth of the sources changed


@pytest.mark.parametrize("jobs", [1, 2])
def test_unchanged_segments_are_copied(once, tmp_path, jobs, monkeypatch):
    # the bundled graph.nt is rendered in the build's own process (segments.POOL_BYTES); two jobs here
    # take the pool all the same
    monkeypatch.setattr(segments, "POOL_BYTES", 0)
    counts = written(once / "before", once / "full", tmp_path, jobs)
    assert 0 < counts["copied"] < counts["segments"] and counts["counted"]  # VoID from the delta
    assert same_files(tmp_path, once / "full", FILES[1:]) == []


def test_the_pool_is_given_the_context_once_not_with_each_segment(once, tmp_path, monkeypatch):
    # TriG's maps in the context hold two entries per source: sent with every segment's task, they were
    # pickled once a segment, so that the whole grew as the square of the corpus (×1000: ~1.2 MB a
    # task, 28 k tasks, ~110 CPU s)
    monkeypatch.setattr(segments, "POOL_BYTES", 0)
    sent: list[tuple] = []
    submit = ProcessPoolExecutor.submit

    def spy(self, fn, /, *args, **kwargs):
        sent.append(args)
        return submit(self, fn, *args, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", spy)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH["SOURCE_DATE_EPOCH"])
    triples = SpilledTriples.written(PREFIXES, once / "full" / "graph.nt", store_path(once / "full"), 0)
    counts = write_segmented(triples, tmp_path, DumpSettings(validated=True, jobs=2))
    assert len(sent) == counts["segments"] > 1
    assert not any(isinstance(arg, segments._Context) for args in sent for arg in args)
    assert max(len(pickle.dumps(args)) for args in sent) < 512  # a segment's place, not the sources
    assert same_files(tmp_path, once / "full", FILES[1:]) == []


def _damage_file(before: Path, name: str) -> None:
    """Truncate graph.ttl at its half; in another file, change one byte in the middle of every
    segment's range (as the index gives them)."""
    data = bytearray((before / name).read_bytes())
    if name == "graph.ttl":
        (before / name).write_bytes(bytes(data[:len(data) // 2]))
        return
    _, _, body = (before / INDEX).read_bytes().partition(b"\n")
    for _, ranges, _ in json.loads(body)["segments"]:
        offset, length, _ = ranges[name]
        data[offset + length // 2] ^= 1
    (before / name).write_bytes(bytes(data))


def _damage_index(before: Path, how: str) -> None:
    seal, _, body = (before / INDEX).read_bytes().partition(b"\n")
    index = json.loads(body)
    if how == "edited":  # the seal no longer holds
        (before / INDEX).write_bytes(seal + b"\n" + body.replace(b'"graph.jsonld": [', b'"graph.jsonld": [1', 1))
        return
    for _, ranges, _ in index["segments"]:  # re-sealed, each range one byte off: the bytes' SHA-256 disagrees
        for name in ranges:
            ranges[name][0] += 1
    body = json.dumps(index).encode()
    (before / INDEX).write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)


@pytest.mark.parametrize("damage", ["graph.ttl", "graph.jsonld", "graph.trig", "index edited", "index re-sealed"])
def test_a_damaged_previous_file_or_index_is_never_copied(once, tmp_path, damage):
    before = tmp_path / "before"
    shutil.copytree(once / "before", before)
    if damage.startswith("index"):
        _damage_index(before, damage.split()[1])
    else:
        _damage_file(before, damage)
    clean = written(once / "before", once / "full", tmp_path / "clean")["copied"]
    counts = written(before, once / "full", tmp_path / "to")
    assert same_files(tmp_path / "to", once / "full", FILES[1:]) == []
    if damage == "graph.ttl":  # the segments in its first half are still copied whole
        assert 0 < counts["copied"] < clean
    else:
        assert counts["copied"] == 0 < clean


def test_a_damaged_previous_file_is_rewritten_by_the_build(once, tmp_path):
    """Through ``tipkg build``: OUT's graph.trig edited by hand (its graph.nt untouched, so the build
    starts from OUT); without the SHA-256 of each copied range the edits would be copied."""
    corpus = tmp_path / "corpus"
    shutil.copytree(default_corpus_dir(), corpus, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOURCE_DATE_EPOCH", EPOCH["SOURCE_DATE_EPOCH"])
        build(corpus, tmp_path / "out", cache=tmp_path / "cache")
        _damage_file(tmp_path / "out", "graph.trig")
        one_word_changed(corpus)
        build(corpus, tmp_path / "out", cache=tmp_path / "cache")
    assert same_files(tmp_path / "out", once / "full") == []


def test_turtle_is_the_whole_graph_written_at_once(once):
    whole = ox.serialize(ox.parse(path=str(once / "full" / "graph.nt"), format=ox.RdfFormat.N_TRIPLES),
                         format=ox.RdfFormat.TURTLE, prefixes=prefixes_of(TripleSet(PREFIXES)))
    assert (once / "full" / "graph.ttl").read_bytes() == whole


def test_jsonld_and_trig_read_back_to_the_graph_and_its_placement(once):
    full = once / "full"
    triples = set(ox.parse(path=str(full / "graph.nt"), format=ox.RdfFormat.N_TRIPLES))
    assert set(ox.parse(path=str(full / "graph.jsonld"), format=ox.RdfFormat.JSON_LD)) == triples
    graph = SpilledTriples.written(PREFIXES, full / "graph.nt", store_path(full), len(triples))
    placed = {(t.subject.value, t.predicate.value, t.object.value, "" if g is None else g.value)
              for t, g in placed_triples(graph)}
    by_oxigraph = {(q.subject.value, q.predicate.value, q.object.value,
                    "" if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name.value)
                   for q in ox.parse(path=str(full / "graph.trig"), format=ox.RdfFormat.TRIG)}
    dataset = Dataset()
    dataset.parse(str(full / "graph.trig"), format="trig")
    by_rdflib = {(str(s), str(p), str(o), "" if str(g).startswith("urn:x-rdflib:") else str(g))
                 for s, p, o, g in dataset.quads()}
    assert by_oxigraph == by_rdflib == placed and len(placed) == len(triples)
    # the byte change: a graph's block repeats in each segment holding triples of it
    blocks = re.findall(rb"^(<[^>]+>|) ?\{$", (full / "graph.trig").read_bytes(), re.M)
    assert len(blocks) > len(set(blocks)) == len({g for *_, g in placed})


def store_statistics(store: ox.Store) -> VoidStatistics:
    """VoID's figures as the SPARQL queries over the store gave them before segments (the reference)."""
    def rows(query: str) -> list[tuple]:
        return [tuple(solution) for solution in store.query(query)]

    ((t, s, o),) = rows("SELECT (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?ds) (COUNT(DISTINCT ?o) AS ?do) WHERE { ?s ?p ?o }")
    ((entities,),) = rows(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{DCTERMS.identifier}> ?i }}")
    properties = rows("SELECT ?p (COUNT(*) AS ?n) (COUNT(DISTINCT ?link) AS ?links) "
                      "WHERE { ?s ?p ?o BIND(IF(isIRI(?o), ?o, ?unbound) AS ?link) } GROUP BY ?p")
    examples = {str(c): e.value for c in EXAMPLE_CLASSES
                for (e,) in rows(f"SELECT (MIN(?s) AS ?e) WHERE {{ ?s a <{c}> FILTER(isIRI(?s)) }}") if e is not None}
    sources = rows(f"SELECT ?s (MIN(?l) AS ?label) WHERE {{ ?s a <{TIP.SourceText}> OPTIONAL {{ ?s <{RDFS.label}> ?l }} }} "
                   f"GROUP BY ?s")
    return VoidStatistics(
        triples=int(t.value), subjects=int(s.value), objects=int(o.value), entities=int(entities.value),
        classes={c.value: int(n.value) for c, n in rows("SELECT ?c (COUNT(*) AS ?n) WHERE { ?s a ?c } GROUP BY ?c")},
        properties={p.value: int(n.value) for p, n, _ in properties},
        links={p.value: int(n.value) for p, _, n in properties if int(n.value)},
        examples=examples, sources={s.value: None if label is None else label.value for s, label in sources})


@pytest.mark.parametrize("build_", ["full", "out"])
def test_void_from_segments_is_void_from_the_store(once, build_):
    """void.ttl, cold and copied, is what the store's queries give (dates from SOURCE_DATE_EPOCH)."""
    folder = once / build_
    stats = store_statistics(ox.Store.read_only(str(store_path(folder))))
    assert stats.objects > stats.subjects > 1000 and stats.links  # not additive: merged from the segments
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOURCE_DATE_EPOCH", EPOCH["SOURCE_DATE_EPOCH"])
        expected = void_graph(stats, dumps=dumps(), validated=True).serialize(format="turtle", encoding="utf-8")
    assert (folder / "void.ttl").read_bytes() == expected


def test_segments_are_cut_at_subjects_by_their_own_hash(once):
    data = (once / "full" / "graph.nt").read_bytes()
    segments = list(cut(once / "full" / "graph.nt"))
    assert segments[0].start == 0 and segments[-1].end == len(data) and len(segments) > 5
    assert all(a.end == b.start for a, b in zip(segments, segments[1:]))
    for before, segment in zip(segments, segments[1:]):
        last = data[before.start:before.end].rstrip(b"\n").rsplit(b"\n", 1)[-1]
        first = data[segment.start:data.index(b"\n", segment.start)]
        subject = first[:first.index(b" ")]
        assert last[:last.index(b" ")] != subject and not zlib.crc32(subject) & MASK
        assert hashlib.sha256(data[segment.start:segment.end]).hexdigest() == segment.digest
    lines = sum(1 for _ in open(once / "full" / "graph.nt", "rb"))
    assert 1000 < lines / len(segments) < 10_000  # some thousands of lines each
    previous = {s.digest for s in cut(once / "before" / "graph.nt")}
    assert sum(s.digest in previous for s in segments) >= len(segments) // 3  # the edit kept the others whole


def _subject_of_crc(boundary: bool, after: bytes) -> bytes:
    """An IRI subject sorting right after ``after`` whose CRC-32 makes it start a segment (or not)."""
    for i in range(100_000):
        subject = after[:-1] + b"_%d>" % i
        if (not zlib.crc32(subject) & MASK) == boundary:
            return subject
    raise AssertionError("no such subject")


def _edited(data: bytes, segments: list, how: str) -> bytes:
    """graph.nt bytes edited at the end of a middle segment (where ``cut``'s known segments could be
    taken for more than they are), or ``how`` else."""
    segment = segments[len(segments) // 2]
    body = data[segment.start:segment.end]
    last = body.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    subject = last[:last.index(b" ")]
    line = lambda s: s + b" <https://example.org/p> \"x\" .\n"  # noqa: E731
    at = segment.end
    if how == "line added to the last subject":  # the segment's bytes, then more of its last subject
        return data[:at] + line(subject) + data[at:]
    if how == "subject added, not starting a segment":
        return data[:at] + line(_subject_of_crc(False, subject)) + data[at:]
    if how == "subject added, starting a segment":
        return data[:at] + line(_subject_of_crc(True, subject)) + data[at:]
    if how == "next segment's first subject removed":
        following = segments[len(segments) // 2 + 1]
        first = data[following.start:data.index(b" ", following.start)]
        end = following.start
        while data.startswith(first + b" ", end):
            end = data.index(b"\n", end) + 1
        return data[:following.start] + data[end:]
    if how == "first and last segments changed":
        return line(b"<https://example.org/a>") + data + line(b"<https://example.org/zzz>")
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["line added to the last subject", "subject added, not starting a segment",
                                 "subject added, starting a segment", "next segment's first subject removed",
                                 "first and last segments changed", "the edited corpus"])
def test_cut_with_the_previous_segments_gives_the_same_segments(once, tmp_path, how, monkeypatch):
    """``cut``'s ``known`` (the previous build's segments) takes unchanged segments whole on their
    SHA-256: the same segments as matching every line, also where an edit next to a known segment's
    bytes leaves them equal but moves its end, and fewer lines matched."""
    before = once / "before" / "graph.nt" if how == "the edited corpus" else once / "full" / "graph.nt"
    old = list(cut(before))
    known = [(s.digest, s.end - s.start) for s in old]
    if how == "the edited corpus":
        path = once / "full" / "graph.nt"
    else:
        path = tmp_path / "graph.nt"
        path.write_bytes(_edited(before.read_bytes(), old, how))
    expected = list(cut(path))
    matched = []
    real = segments._matched

    def counted(*args):
        for segment in real(*args):
            matched.append(segment)
            yield segment
    monkeypatch.setattr(segments, "_matched", counted)
    assert list(cut(path, known)) == expected and len(expected) > 5
    changed = len({s.digest for s in expected} - {s.digest for s in old})
    # the segments around each edit, and one after each: two for one changed (a known one tried first)
    assert 0 < changed and 0 < len(matched) <= 2 * changed + 1 and len(matched) < len(expected), \
        (changed, len(matched), len(expected))


def test_cut_with_wrong_previous_segments_gives_the_same_segments(once):
    """Known segments that are not this graph.nt's (lengths off by one, another file's) change nothing."""
    path = once / "full" / "graph.nt"
    expected = list(cut(path))
    off = [(s.digest, s.end - s.start + 1) for s in expected]
    other = [(s.digest, s.end - s.start) for s in cut(once / "before" / "graph.nt")][::-1]
    assert list(cut(path, off)) == expected == list(cut(path, other))


def _mapped_file_kb() -> int:
    """This process's resident pages of mapped files (Linux ``RssFile``), in kB."""
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith("RssFile:"):
            return int(line.split()[1])
    raise AssertionError("no RssFile in /proc/self/status")


def test_cutting_lets_go_of_the_pages_it_has_read(once, monkeypatch):
    """The mapped graph.nt's pages are let go of as ``cut`` goes (at ×100 they kept 1.2 GB in the
    segments' process, the build's largest): the same segments, while the resident pages of mapped
    files stay far below the file's size, where without letting go they grow by about all of it."""
    import mmap

    from tipkg.graph import segments as module

    path = once / "full" / "graph.nt"
    size_kb = os.path.getsize(path) // 1024

    def grown(release: int) -> tuple[list, int]:
        monkeypatch.setattr(module, "RELEASE", release)
        before, most, found = _mapped_file_kb(), 0, []
        for segment in cut(path):
            found.append(segment)
            most = max(most, _mapped_file_kb() - before)
        return found, most

    kept, kept_kb = grown(1 << 62)  # never let go
    let_go, let_go_kb = grown(16 * mmap.PAGESIZE)
    assert let_go == kept and size_kb > 2000
    assert kept_kb > size_kb * 3 // 4 and let_go_kb < size_kb // 2, (size_kb, kept_kb, let_go_kb)


def test_source_maps_are_read_where_graph_nt_is_mapped(once, monkeypatch):
    """TriG's source maps are searched for in graph.nt where it is mapped: no copy of the file on the heap
    (read a block at a time, each block joined to the tail of the one before, the copies were ×30 0.40
    CPU s of 0.48 and half the text dumps' process's peak, 239 MB), the same maps whatever the block,
    and the pages searched let go of as the search goes."""
    import mmap
    import tracemalloc

    from tipkg.graph import dumps as module

    path = once / "full" / "graph.nt"
    size = os.path.getsize(path)
    tracemalloc.start()
    try:
        maps = module.file_source_maps(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(maps[0]) == len(maps[1]) == 5 and size > 4 << 20
    assert peak < size // 8, (peak, size)
    before, most = _mapped_file_kb(), [0]
    release = module.release_pages

    def sampled(*args):
        most[0] = max(most[0], _mapped_file_kb() - before)
        return release(*args)

    monkeypatch.setattr(module, "release_pages", sampled)
    assert module.file_source_maps(path, 16 * mmap.PAGESIZE) == maps
    assert most[0] < size // 1024 // 2, (most[0], size // 1024)


def test_an_empty_graph(tmp_path):
    counts = write_segmented(TripleSet(PREFIXES), tmp_path, DumpSettings())
    assert counts["segments"] == 0 and (tmp_path / "graph.ttl").read_bytes() == b""
    assert json.loads((tmp_path / "graph.jsonld").read_text(encoding="utf-8"))["@graph"] == []
    assert list(ox.parse(path=str(tmp_path / "graph.trig"), format=ox.RdfFormat.TRIG)) == []
    assert os.path.getsize(tmp_path / "void.ttl") > 0


@pytest.mark.parametrize("seed", range(8))
def test_distinct_objects_after_a_delta_are_the_counted_ones(tmp_path, seed):
    """``void_stats.distinct_after`` (previous figures + delta + new store) equals counting the new
    graph's distinct objects and links, on random edits of a small graph: objects shared by several
    triples, some all removed, some new, some moved from one property to another."""
    import random

    rng = random.Random(seed)
    terms = [f"<http://x/o{i}>" for i in range(8)] + [f'"v{i}"' for i in range(4)] + ['"v"@ar']
    universe = [f"<http://x/s{s}> <http://x/p{p}> {o} .\n".encode() for s in range(6) for p in range(3) for o in terms]
    old = set(rng.sample(universe, 60))
    new = (old - set(rng.sample(sorted(old), 25))) | set(rng.sample(universe, 25))

    def figures(lines):
        triples = [void_stats.split(line.rstrip(b"\n")) for line in lines]
        links = Counter(void_stats._value(p) for p, o in {(p, o) for _, p, o in triples if o[:1] == b"<"})
        return len({o for *_, o in triples}), dict(links)

    store = ox.Store()
    store.load(b"".join(sorted(new)), format=ox.RdfFormat.N_TRIPLES)
    (tmp_path / "removed").write_bytes(b"".join(sorted(old - new)))
    (tmp_path / "added").write_bytes(b"".join(sorted(new - old)))
    assert void_stats.distinct_after(*figures(old), tmp_path / "removed", tmp_path / "added", store) == figures(new)


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_text_dump_is_written_by_a_thread_of_its_own(once, tmp_path, jobs, monkeypatch):
    """A rebuild copies nearly every part of the three dumps: each dump's parts are written, in order, by a
    thread of its own while this one cuts graph.nt (×100, one source changed: the copies in one thread kept
    one core of two busy for 4.7 s); with one job, here. The files are a full build's all the same."""
    import threading

    writers: dict[str, set[str]] = {}
    part = segments._Dump._part

    def spy(self, *args):
        writers.setdefault(self.name, set()).add(threading.current_thread().name)
        return part(self, *args)

    monkeypatch.setattr(segments._Dump, "_part", spy)
    counts = written(once / "before", once / "full", tmp_path, jobs)
    assert 0 < counts["copied"] < counts["segments"]
    assert set(writers) == set(TEXT)
    if jobs == 1:
        assert all(names == {threading.main_thread().name} for names in writers.values())
    else:
        assert all(len(names) == 1 and threading.main_thread().name not in names for names in writers.values())
        assert len(set.union(*writers.values())) == 3
    assert same_files(tmp_path, once / "full", FILES[1:]) == []


def _rebuild_with(tmp_path: Path, monkeypatch, write_store) -> tuple[Path, Path]:
    """The bundled corpus built into OUT, one word changed, and rebuilt with the store made by ``write_store``
    (the build's children are forked from this process: they run it too); (OUT, a copy of its first build)."""
    from tipkg.graph import store

    corpus = tmp_path / "corpus"
    shutil.copytree(default_corpus_dir(), corpus, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH["SOURCE_DATE_EPOCH"])
    monkeypatch.setenv("TIPKG_LEAN", "0")
    build(corpus, tmp_path / "out", cache=tmp_path / "cache")
    shutil.copytree(tmp_path / "out", tmp_path / "before", symlinks=True)
    one_word_changed(corpus)
    monkeypatch.setattr(store, "write_store", write_store)
    return tmp_path / "out", tmp_path / "before"


def test_a_rebuilds_text_dumps_start_before_its_store_is_made(once, tmp_path, monkeypatch):
    """A rebuild makes its store from the previous one (``store.store_from_previous``; ×100: 1.5 s with one
    core idle); the text dumps, which read graph.nt, start beside it, and their VoID, which counts over the
    new store, waits for the marker the build leaves once the store is made."""
    import time

    from tipkg.graph import store

    seen = tmp_path / "seen.json"
    made = store.write_store
    write = segments.write_segmented

    def slow_store(*args, **kwargs):
        time.sleep(1.0)
        made(*args, **kwargs)

    def spy(triples, folder, settings, *args, **kwargs):
        marker = settings.store_end
        seen.write_text(json.dumps({"marker": marker, "made": marker is not None and os.path.exists(marker)}))
        return write(triples, folder, settings, *args, **kwargs)

    monkeypatch.setattr(segments, "write_segmented", spy)
    out, _ = _rebuild_with(tmp_path, monkeypatch, slow_store)
    result = build(tmp_path / "corpus", out, cache=tmp_path / "cache")
    assert result.triples.delta is not None  # a rebuild from the previous OUT
    dumps_started = json.loads(seen.read_text())
    assert dumps_started["marker"] is not None and not dumps_started["made"]
    assert same_files(out, once / "full") == []
    assert not [p.name for p in out.iterdir() if p.name.startswith(".store.end")]


def test_a_rebuild_whose_store_fails_fails_whole_and_does_not_wait(tmp_path, monkeypatch):
    """The text dumps' child waits for the store's marker: a store that fails leaves ``failed``, so the
    child stops and the build raises the store's error, OUT left as it was."""
    import signal

    def broken_store(*args, **kwargs):
        raise OSError("the store's disk is full")

    out, before = _rebuild_with(tmp_path, monkeypatch, broken_store)
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("the rebuild waits forever")))
    signal.alarm(120)
    try:
        with pytest.raises(OSError, match="disk is full"):
            build(tmp_path / "corpus", out, cache=tmp_path / "cache")
    finally:
        signal.alarm(0)
    assert same_files(out, before) == []
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.new")]


def test_the_store_a_rebuilds_void_waits_for(once, tmp_path):
    """``segments.made_store``: the marker's ``made`` opens the new store; ``failed`` is an error naming it."""
    import threading

    from tipkg.errors import TipkgError

    marker = tmp_path / ".store.end"
    triples = SpilledTriples.written(PREFIXES, once / "full" / "graph.nt", None, 0)
    settings = DumpSettings(store_end=str(marker))
    shutil.copytree(store_path(once / "full"), tmp_path / "store")
    threading.Timer(0.3, marker.write_text, ["made"]).start()
    assert len(segments.made_store(triples, tmp_path, settings)) == len((once / "full" / "graph.nt").read_bytes().splitlines())
    triples.close_store()
    marker.write_text("failed")
    with pytest.raises(TipkgError, match=r"\.store\.end"):
        segments.made_store(triples, tmp_path, settings)
