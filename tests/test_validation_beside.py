"""The output stage made faster gives the same outcomes. Validation runs beside the writers
(``graph.outputs.write_dumps``): a graph that does not conform still never reaches ``OUT`` — the
previous outputs stay as they were, byte for byte, and no staged folder is left. The store a build
validates (in memory for a small graph.nt, the persistent one for a large), the two plans of a value
check, the anti-join form of ``sh:or``, and the checks shared with a forked child all give the same
results; TriG's placement read from bytes is the placement read from parsed terms."""

from __future__ import annotations

import pytest
from test_validate import break_duplicate_identifier, break_orphan, small

import tipkg.pipeline as pipeline
from tipkg.errors import ValidationFailed
from tipkg.graph.streams import SpilledTriples
from tipkg.graph.triples import TripleSet
from tipkg.ontology.namespace import PREFIXES
from tipkg.shapes import validate as validation


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _broken_graph_builder(breaker):
    """A graph stage that adds a small graph, broken by ``breaker``, into the build's own sink."""

    def build_graph(structured, base=None, graph=None, **kwargs):
        g = small()
        breaker(g)
        sink = graph if graph is not None else TripleSet(PREFIXES)
        for triple in g:
            sink.add(triple)
        return sink
    return build_graph


@pytest.mark.parametrize("jobs", ["2", "1"])  # forked beside the writers; TIPKG_JOBS=1: in place, first
def test_a_failed_validation_leaves_the_previous_out_untouched(tmp_path, monkeypatch, jobs):
    out = tmp_path / "out"
    pipeline.build(out_dir=out, cache=None)
    before = _snapshot(out)
    monkeypatch.setenv("TIPKG_JOBS", jobs)
    monkeypatch.setattr(pipeline, "build_graph", _broken_graph_builder(break_orphan))
    with pytest.raises(ValidationFailed) as err:
        pipeline.build(out_dir=out, cache=None)
    assert "tipsh:ParagraphParent" in str(err.value) and err.value.exit_code == 3
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no stage, no chunk folder left


def test_in_memory_and_persistent_stores_report_the_same(tmp_path, monkeypatch):
    """The same broken graph.nt validated in memory and over the RocksDB store: the same results."""
    from tipkg.graph.store import build_store

    g = small()
    break_orphan(g)
    break_duplicate_identifier(g)
    triples = SpilledTriples(PREFIXES, tmp_path / "chunks")
    for triple in g:
        triples.add(triple)
    triples.finish(tmp_path / "graph.nt")
    build_store(tmp_path / "graph.nt", tmp_path / "store")
    triples.attach_store(tmp_path / "store")
    in_memory = validation.validation_store(triples)
    assert in_memory is not triples.store()
    monkeypatch.setattr(validation, "IN_MEMORY_BYTES", 0)
    assert validation.validation_store(triples) is triples.store()
    memory, disk = validation.validate(in_memory), validation.validate(triples.store())
    assert not memory.conforms
    assert sorted(set(memory.results)) == sorted(set(disk.results))
    assert {r.shape for r in memory.results} >= {"tipsh:ParagraphParent", "tipsh:UniqueIdentifier"}
    triples.close_store()


def test_both_plans_of_a_value_check_find_the_same_violations():
    """A value check on a path runs from the values (membership tested on the violating rows) or from
    the focus nodes (``Check.focused``, chosen when they are few): on every break of test_validate, with
    all the breaks at once, both find exactly the same rows."""
    from test_validate import BROKEN

    from tipkg.ontology.files import ontology_graph
    from tipkg.shapes.validate import compiled, load_shapes, store_of

    def rows(store, query):
        return sorted(tuple(str(s[v]) for v in ("this", "value")) for s in store.query(query))

    g = small()
    for breaker, _, _ in BROKEN:
        breaker(g)
    store = store_of(g)
    checks = [c for c in compiled(load_shapes(), ontology_graph(), store) if c.focused is not None]
    assert len(checks) > 50
    found = 0
    for check in checks:
        assert rows(store, check.query) == rows(store, check.focused), check.query
        found += bool(rows(store, check.query))
    assert found >= 5  # the breaks make the value checks find rows, not only agree on none


def test_conforming_sets_find_what_the_boolean_form_finds():
    """A node shape's sh:or of class-only shapes (tipsh:EchoesEnds, tipsh:RelationSubject), and a property's
    sh:class, sh:or and sh:node on its values (``nonconforming_values``), are compiled to anti-joins
    (``conforming``) instead of an EXISTS per node or value: on every break of test_validate, and on
    all at once, every check finds exactly the rows (focus node and value) the boolean form finds."""
    from rdflib import RDFS
    from test_validate import BROKEN

    from tipkg.shapes.shacl_sparql import compile_shapes, subclass_closure
    from tipkg.ontology.files import ontology_graph
    from tipkg.shapes.validate import load_shapes, store_of

    closure = subclass_closure((str(s), str(o)) for s, o in ontology_graph().subject_objects(RDFS.subClassOf))
    as_sets, as_booleans = compile_shapes(load_shapes(), closure), compile_shapes(load_shapes(), closure, sets=False)
    changed = [(a, b) for a, b in zip(as_sets, as_booleans) if a.query != b.query]
    assert {(str(a.shape).rsplit("#", 1)[1], a.component) for a, _ in changed} >= {
        ("EchoesEnds", "OrConstraintComponent"), ("RelationSubject", "OrConstraintComponent"),
        ("Provenance", "ClassConstraintComponent"), ("ParagraphParent", "OrConstraintComponent"),
        ("ParagraphParent", "NodeConstraintComponent"), ("IndexedUnderTarget", "NodeConstraintComponent"),
        ("CitedTarget", "OrConstraintComponent"), ("InIndexScheme", "ClassConstraintComponent")}

    def rows(store, query):
        solutions = store.query(query)
        names = [v.value for v in solutions.variables]
        return sorted((str(s["this"]), str(s["value"]) if "value" in names else "") for s in solutions)

    graphs = []
    for breaker, _, _ in BROKEN:
        g = small()
        breaker(g)
        graphs.append(g)
    everything = small()
    for breaker, _, _ in BROKEN:
        breaker(everything)
    found = 0
    for g in [*graphs, everything]:
        store = store_of(g)
        for a, b in changed:
            assert rows(store, a.query) == rows(store, b.query), a.query
            found += bool(rows(store, a.query))
    assert found >= 8  # the breaks of ends, classes and parents are found by the sets, not only agreed on as none


@pytest.mark.parametrize("jobs", ["2", "1"])
def test_checks_shared_with_a_forked_child_report_the_same(monkeypatch, jobs):
    """run_checks gives every other check to a forked child (pyoxigraph holds the GIL: threads ran one
    at a time); with all breaks at once the report is the same as in one process, and TIPKG_JOBS=1 runs
    them here."""
    from test_validate import BROKEN

    from tipkg.shapes.validate import store_of

    monkeypatch.setenv("TIPKG_JOBS", jobs)
    g = small()
    for breaker, _, _ in BROKEN:
        breaker(g)
    store = store_of(g)
    alone, shared = validation.validate(store), validation.validate(store, reopen=lambda: store)
    assert not alone.conforms and len(set(alone.results)) > 10
    assert set(shared.results) == set(alone.results)


def test_trig_placement_read_from_bytes_matches_the_parsed_placement(tmp_path):
    """``placed_lines`` splits N-Triples lines as bytes (only an escaped object is parsed); it places
    every triple where ``placed_triples`` (terms parsed) does — also for a source file whose name needs
    escaping in N-Triples, and for a node attested by two sources."""
    from rdflib import RDF, RDFS, Literal, URIRef
    from rdflib.namespace import PROV

    from tipkg.graph.dumps import placed_lines, placed_triples
    from tipkg.ontology.namespace import TIP

    g = small()
    ids = "https://w3id.org/tipkg/id/"
    for name in ('plain.txt', 'odd "quoted" name\\.txt'):
        source = URIRef(ids + "source/" + name.replace(" ", "_").replace('"', "").replace("\\", ""))
        g.add((source, RDF.type, TIP.SourceText))
        g.add((source, RDFS.label, Literal(name)))
        node = URIRef(ids + "n-" + str(abs(hash(name)) % 1000))
        g.add((node, PROV.wasDerivedFrom, source))
        g.add((node, TIP.sourceSpan, Literal(f"{name}#char=1,2")))
        g.add((node, PROV.wasDerivedFrom, URIRef(ids + "source/plain.txt")))  # attested by two
    triples = SpilledTriples(PREFIXES, tmp_path / "chunks")
    for triple in g:
        triples.add(triple)
    triples.finish(tmp_path / "graph.nt")
    assert b"\\\\" in (tmp_path / "graph.nt").read_bytes()  # an escaped object is there
    by_bytes = [(line, None if n is None else n.value) for line, n in placed_lines(triples)]
    by_terms = [(t, None if n is None else n.value) for t, n in placed_triples(triples)]
    assert len(by_bytes) == len(by_terms) == len(g)
    assert [n for _, n in by_bytes] == [n for _, n in by_terms]
    assert sum(n is not None for _, n in by_bytes) >= 8


def _recording(call, events: list[str], name: str | None = None):
    """``call`` that first appends to ``events`` ``name``, or (``Forked``) the name of the function it is given."""

    def recorded(*args, **kwargs):
        fn = args[0] if args else None
        events.append(name or getattr(fn, "__name__", "") or getattr(getattr(fn, "func", None), "__name__", "forked"))
        return call(*args, **kwargs)
    return recorded


@pytest.mark.parametrize("jobs", ["2", "1"])
def test_the_text_dumps_start_beside_the_store_when_the_check_waits_for_it(tmp_path, monkeypatch, jobs):
    """A graph.nt validated over the persistent store (large: here the bundled corpus, as one) has its check
    start once the store is there; the text dumps' child reads graph.nt alone, so it is forked before the
    store's load begins all the same (before, it waited for the store: at ×30 and ×100 the load left part of
    the second core idle). With TIPKG_JOBS=1 nothing is forked: the store, the check, then the dumps, in
    turn. The same outputs either way."""
    import tipkg.graph.outputs as outputs
    import tipkg.graph.store as store

    events: list[str] = []
    recorded, loading = _recording(outputs.Forked, events), _recording(store.write_store, events, "store")

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # VoID's date
    pipeline.build(out_dir=tmp_path / "memory", cache=None)
    monkeypatch.setenv("TIPKG_JOBS", jobs)
    monkeypatch.setattr(validation, "IN_MEMORY_BYTES", 0)
    monkeypatch.setattr(outputs, "Forked", recorded)
    monkeypatch.setattr(store, "write_store", loading)
    pipeline.build(out_dir=tmp_path / "disk", cache=None)
    if jobs == "2":
        assert events.index("_beside") < events.index("store") < events.index("_checked")
        assert "write_segmented" not in events
    else:
        assert "_beside" not in events
        assert events.index("store") < events.index("_checked") < events.index("write_segmented")
    for name in ("graph.nt", "graph.ttl", "graph.jsonld", "graph.trig", "void.ttl"):
        assert (tmp_path / "disk" / name).read_bytes() == (tmp_path / "memory" / name).read_bytes(), name


def _store_lines(folder) -> list[bytes]:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(folder))
    lines = sorted(f"{q.subject} {q.predicate} {q.object} .\n".encode("utf-8")
                   for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    del store
    return lines


def test_the_store_loads_graph_nt_as_the_merge_writes_it(built_out, tmp_path):
    """``store.follow_store`` reads a graph.nt still being written: the corpus's graph.nt written in pieces
    that cut lines in two, a pause between them, the end marker last; the load waits at each end, reads
    on across the cut lines, and stores exactly the file's triples. A merge that fails
    leaves ``failed``: the load stops with an error instead of waiting for ever."""
    import threading
    import time

    import tipkg.graph.store as store
    from tipkg.errors import TipkgError

    data = (built_out / "graph.nt").read_bytes()
    nt, end = tmp_path / "graph.nt", tmp_path / ".end"

    def write(pieces: int, last: str | None = None) -> None:
        time.sleep(0.2)  # the load starts before the file exists
        with open(nt, "wb") as out:
            for k in range(pieces):
                out.write(data[len(data) * k // pieces:len(data) * (k + 1) // pieces])
                out.flush()
                time.sleep(0.1)
        end.write_text(last or str(len(data)), encoding="utf-8")

    writer = threading.Thread(target=write, args=(7,))
    writer.start()
    count = store.follow_store(nt, tmp_path / "store", end)
    writer.join()
    assert data.count(b"\n") == count > 30_000
    assert (tmp_path / store.READ_SO_FAR).read_text(encoding="utf-8") == str(len(data))  # the last it said: all
    assert _store_lines(tmp_path / "store") == data.splitlines(keepends=True)

    nt.unlink()
    end.unlink()
    writer = threading.Thread(target=write, args=(3, "failed"))
    writer.start()
    with pytest.raises(TipkgError, match="the merge writing graph.nt failed"):
        store.follow_store(nt, tmp_path / "failed", end)
    writer.join()


def test_the_build_says_how_far_the_load_of_the_store_is(tmp_path, monkeypatch):
    """While the build waits for the store's load (×1000: about 7 minutes, and nothing said), it says the
    megabytes of graph.nt the load has read (``store.load_progress``, from the load's ``READ_SO_FAR``), with a
    rate and an ETA, then that the tables are being compacted. The load's marker written here as the load
    writes it; the counts said are those it passed, the last the whole file, and the meter stops with the block."""
    import threading
    import time

    import tipkg.graph.store as store

    monkeypatch.setattr(store, "PROGRESS_WAIT", 0.01)
    nt = tmp_path / "graph.nt"
    nt.write_bytes(b"x" * (3 << 20))  # 3 MB
    said: list[str] = []
    lock = threading.Lock()

    def say(message: str) -> None:
        with lock:
            said.append(message)

    def until(text: str) -> None:
        deadline = time.monotonic() + 20  # a guard against a hang: the meter says a count at most once a second
        while not any(text in message for message in list(said)):
            assert time.monotonic() < deadline, (text, said)
            time.sleep(0.01)

    with store.load_progress(nt, say):
        store.marked(tmp_path / store.READ_SO_FAR, str(1 << 19))  # half a megabyte: none done yet
        time.sleep(0.05)
        store.marked(tmp_path / store.READ_SO_FAR, str(1 << 20))
        until("loaded 1/3 MB of graph.nt into the store")
        store.marked(tmp_path / store.READ_SO_FAR, str(3 << 20))
        until("compacting the store's tables")
    assert said[-2].startswith("loaded 3/3 MB of graph.nt into the store, ") and " MB/s, ETA 0s" in said[-2]
    assert [m.split()[1] for m in said[:-1]] == ["1/3", "3/3"]
    with store.load_progress(nt, None):  # nothing said without a say
        pass


@pytest.mark.parametrize("jobs", ["2", "1"])
def test_a_lean_build_starts_the_store_before_the_merge(tmp_path, monkeypatch, jobs):
    """A whole build with the lean server forks the store's load before graph.nt's merge begins (the load
    follows the file), leaves no marker in OUT, and writes the same files, the store holding graph.nt's
    triples; with TIPKG_JOBS=1 nothing is forked and the load comes after the merge, as before."""
    import tipkg.graph.outputs as outputs

    events: list[str] = []
    recorded, merging = _recording(outputs.Forked, events), _recording(outputs.write_ntriples, events, "merge")

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("TIPKG_LEAN", "0")
    pipeline.build(out_dir=tmp_path / "plain", cache=None)
    monkeypatch.setenv("TIPKG_LEAN", "1")
    monkeypatch.setenv("TIPKG_JOBS", jobs)
    monkeypatch.setattr(outputs, "Forked", recorded)
    monkeypatch.setattr(outputs, "write_ntriples", merging)
    pipeline.build(out_dir=tmp_path / "lean", cache=None)
    if jobs == "2":
        assert events.index("follow_store") < events.index("merge")
    else:
        assert "follow_store" not in events
    lean = tmp_path / "lean"
    assert not list(lean.glob(".graph.nt*")) and not list(lean.glob(".store.read*"))
    for name in ("graph.nt", "graph.ttl", "graph.jsonld", "graph.trig", "void.ttl"):
        assert (lean / name).read_bytes() == (tmp_path / "plain" / name).read_bytes(), name
    assert _store_lines(lean / "store") == (lean / "graph.nt").read_bytes().splitlines(keepends=True)


@pytest.mark.parametrize("jobs", ["2", "1"])
def test_the_answers_of_a_small_graph_start_beside_the_store(tmp_path, monkeypatch, jobs):
    """A whole build whose graph.nt is small enough to hold in memory (the bundled corpus) makes its precomputed
    answers over graph.nt loaded into memory, in a child forked before the store's load begins (over the store,
    they waited for its load: ×1, merge and load 0.41 s of a 2.3 s build): forked by the check's child, which
    loads the file once for both — the same files as a build that makes them over the store (graph.nt taken
    for large: ``IN_MEMORY_BYTES`` 0). Unvalidated, they start in a child of their own, still before the
    store. With TIPKG_JOBS=1 nothing is forked: the store, then the answers over it, as before."""
    import tipkg.graph.outputs as outputs
    import tipkg.graph.store as store

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("TIPKG_JOBS", jobs)
    events: list[str] = []
    unchecked: list[str] = []
    forked, loading = outputs.Forked, store.write_store
    with monkeypatch.context() as patched:
        patched.setattr(outputs, "Forked", _recording(forked, events))
        patched.setattr(store, "write_store", _recording(loading, events, "store"))
        pipeline.build(out_dir=tmp_path / "memory", cache=None)
        patched.setattr(outputs, "Forked", _recording(forked, unchecked))
        patched.setattr(store, "write_store", _recording(loading, unchecked, "store"))
        pipeline.build(out_dir=tmp_path / "unchecked", cache=None, check=False)
    if jobs == "2":
        assert events.index("_checked_beside") < events.index("store")  # the check's child forks the answers'
        assert "_write_one" not in events
        assert unchecked.index("_write_one") < unchecked.index("store")  # the answers' child (no other is so)
    else:
        assert events.index("store") < events.index("_write_one")
        assert unchecked.index("store") < unchecked.index("_write_one")
    monkeypatch.setattr(validation, "IN_MEMORY_BYTES", 0)
    pipeline.build(out_dir=tmp_path / "disk", cache=None)
    answers = _snapshot(tmp_path / "memory" / "precomputed")
    assert len(answers) > 50
    assert answers == _snapshot(tmp_path / "disk" / "precomputed") == _snapshot(tmp_path / "unchecked" / "precomputed")
