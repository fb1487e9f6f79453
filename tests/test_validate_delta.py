"""Validation over a delta (shapes/affected.py) reports exactly what a whole validation reports.

Every break of tests/test_validate.py is applied to the built corpus as a delta (the
lines it adds and removes): the delta validation of the new graph, from the previous
conforming build, gives the same (shape, focus, component, path, value) set as
validating the new graph whole. So does the corpus with one source's text edited
(two real builds). Dropping the inverse steps of the derivation is caught.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

import test_validate as tv
from replicas import one_word_changed, replicated
from tipkg.graph.delta import Delta
from tipkg.graph.triples import OxigraphTerms, rdflib_term
from tipkg.graph.uris import mint
from tipkg.shapes import affected, check_reads
from tipkg.shapes.validate import validate

CONFORMED = {"validation": "conforms: 38598 triples, no violations (sparql (oxigraph) 0.40s)"}


def delta_of(before: set[str], after: set[str], folder: Path, record=CONFORMED) -> Delta:
    removed, added = sorted(before - after), sorted(after - before)
    (folder / "removed.nt").write_text("".join(removed), encoding="utf-8")
    (folder / "added.nt").write_text("".join(added), encoding="utf-8")
    return Delta(folder, folder / "removed.nt", folder / "added.nt", record, len(removed), len(added))


def outcome(report) -> set[tuple]:
    return {(r.shape, r.focus, r.component, r.path, r.value) for r in report.results}


_whole: dict[str, set[tuple]] = {}


def whole_outcome(name: str, store: ox.Store) -> set[tuple]:
    """A whole validation's outcome of the store with the break ``name`` applied (once per break)."""
    if name not in _whole:
        report = validate(store)
        assert not report.conforms, f"{name} breaks nothing on the corpus"
        _whole[name] = outcome(report)
    return _whole[name]


class Recording:
    """What a break of test_validate does (add, remove, set), done to a store and remembered as lines."""

    def __init__(self, store: ox.Store):
        self.store, self.term = store, OxigraphTerms()
        self.added: set[str] = set()
        self.removed: set[str] = set()

    def _quad(self, s, p, o) -> ox.Quad:
        return ox.Quad(self.term(s), self.term(p), self.term(o))

    def add(self, triple) -> None:
        quad = self._quad(*triple)
        if quad not in self.store:
            self.store.add(quad)
            self.added.add(_line(quad))

    def remove(self, pattern) -> None:
        s, p, o = (None if t is None else self.term(t) for t in pattern)
        for quad in list(self.store.quads_for_pattern(s, p, o, ox.DefaultGraph())):
            self.store.remove(quad)
            self.removed.add(_line(quad))

    def set(self, triple) -> None:
        self.remove((triple[0], triple[1], None))
        self.add(triple)

    def objects(self, s, p):
        return [rdflib_term(q.object) for q in self.store.quads_for_pattern(self.term(s), self.term(p), None)]

    def undo(self) -> None:
        for line in self.added:
            self.store.remove(_quad_of(line))
        for line in self.removed:
            self.store.add(_quad_of(line))


def _line(quad) -> str:
    return f"{quad.subject} {quad.predicate} {quad.object} .\n"


def _quad_of(line: str) -> ox.Quad:
    (t,) = ox.parse(line.encode(), format=ox.RdfFormat.N_TRIPLES)
    return ox.Quad(t.subject, t.predicate, t.object)


# the small graph's nodes that the corpus names otherwise (the others are in the corpus as they are)
CORPUS_NODES = {"topic:victims": "topic:victims-protection-and-assistance",
                "source:002_62009398838004c9.txt": "source:000_34c21bad16896e20.txt"}


@pytest.fixture(scope="module")
def corpus_store(built_out):
    store = ox.Store()
    store.bulk_load(path=str(built_out / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    assert validate(store).conforms
    return store


@pytest.fixture(scope="module")
def citations(corpus_store):
    """Two citation nodes of the corpus whose edge is asserted (for the small graph's edge:…3 and edge:…4):
    their names for ``mint`` and the ends of the edge."""
    rows = corpus_store.query("""SELECT ?c ?s ?o WHERE { ?c a <http://purl.org/spar/cito/Citation> ;
        <http://purl.org/spar/cito/hasCitingEntity> ?s ; <http://purl.org/spar/cito/hasCitedEntity> ?o ;
        <http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> <https://w3id.org/tipkg/ontology#requests> .
        ?s <https://w3id.org/tipkg/ontology#requests> ?o } ORDER BY ?c LIMIT 2""")
    return [("edge:" + row["c"].value.rsplit("/", 1)[1], rdflib_term(row["s"]), rdflib_term(row["o"])) for row in rows]


def breaks_on_the_corpus(monkeypatch, citations):
    """test_validate's breaks, their nodes mapped to the corpus's."""
    names = {**CORPUS_NODES, "edge:0000000000000003": citations[0][0], "edge:0000000000000004": citations[1][0]}
    monkeypatch.setattr(tv, "mint", lambda identifier: mint(names.get(identifier, identifier)))
    return [breaker for breaker, _, _ in tv.BROKEN]


def corpus_break(breaker, store, folder: Path, citations):
    """Apply ``breaker`` to the store as a delta; the Recording (to undo) and the Delta."""
    recording = Recording(store)
    if breaker is tv.break_citation_without_its_edge:  # the edge the first citation describes
        _, s, o = citations[0]
        recording.remove((s, tv.TIP.requests, o))
    else:
        breaker(recording)
    return recording, delta_of(recording.removed, recording.added, folder)


@pytest.mark.parametrize("name", [b.__name__ for b, _, _ in tv.BROKEN])
def test_each_break_as_a_delta_gives_the_whole_report(name, corpus_store, citations, monkeypatch, tmp_path):
    breaker = {b.__name__: b for b in breaks_on_the_corpus(monkeypatch, citations)}[name]
    recording, delta = corpus_break(breaker, corpus_store, tmp_path, citations)
    try:
        assert delta.removed_count + delta.added_count > 0
        report = affected.validate_delta(corpus_store, delta)
        assert outcome(report) == whole_outcome(name, corpus_store)
        assert "delta validation" in report.text().splitlines()[0]
    finally:
        recording.undo()


WEAKENED = {
    "no neighbours": lambda r: r.path == "",  # only triples of the focus node itself
    "no inverse reads": lambda r: r.forward,  # never the focus nodes that point at a changed object
    "one step at most": lambda r: not any(c in r.path for c in "/*+"),  # not the meeting of a recommendation's report
}


@pytest.mark.parametrize("weakening", sorted(WEAKENED))
def test_a_derivation_missing_a_step_is_caught(weakening, corpus_store, citations, monkeypatch, tmp_path):
    """The equality above can fail: with reads dropped from the derivation, some break's delta report
    misses results the whole validation has."""
    keep = WEAKENED[weakening]
    full = affected.reads
    monkeypatch.setattr(affected, "reads", lambda query: None if (found := full(query)) is None else
                        frozenset(r for r in found if keep(r)))
    missed = []
    for breaker in breaks_on_the_corpus(monkeypatch, citations):
        recording, delta = corpus_break(breaker, corpus_store, tmp_path, citations)
        try:
            if outcome(affected.validate_delta(corpus_store, delta)) != whole_outcome(breaker.__name__, corpus_store):
                missed.append(breaker.__name__)
        finally:
            recording.undo()
    assert missed, weakening


@pytest.mark.slow
def test_one_source_edited_delta_gives_the_whole_report(built_out, tmp_path):
    from tipkg.pipeline import build
    from tipkg.sources import default_corpus_dir

    corpus = tmp_path / "corpus"
    shutil.copytree(default_corpus_dir(), corpus)
    one_word_changed(corpus)
    build(corpus, tmp_path / "out", cache=None, check=False)
    new = tmp_path / "out" / "graph.nt"
    delta = delta_of(set(open(built_out / "graph.nt", encoding="utf-8")), set(open(new, encoding="utf-8")), tmp_path)
    assert delta.removed_count > 5 and delta.added_count > 5
    store = ox.Store()
    store.bulk_load(path=str(new), format=ox.RdfFormat.N_TRIPLES)
    whole = validate(store)
    report = affected.validate_delta(store, delta)
    assert outcome(report) == outcome(whole) and whole.conforms
    # the same edit breaking the graph: the paragraph's gist goes too
    (gist,) = store.query("SELECT ?p ?g WHERE { ?p <https://w3id.org/tipkg/ontology#gist> ?g } ORDER BY ?p LIMIT 1")
    removed = f"{gist['p']} <https://w3id.org/tipkg/ontology#gist> {gist['g']} .\n"
    store.remove(ox.Quad(gist["p"], ox.NamedNode("https://w3id.org/tipkg/ontology#gist"), gist["g"]))
    new_lines = set(open(new, encoding="utf-8")) - {removed}
    delta = delta_of(set(open(built_out / "graph.nt", encoding="utf-8")), new_lines, tmp_path)
    whole = validate(store)
    assert not whole.conforms and outcome(affected.validate_delta(store, delta)) == outcome(whole)


@pytest.mark.slow
def test_a_rebuild_after_an_edit_validates_the_delta(tmp_path):
    """The build wires it: the rebuild of OUT after one source changed validates only the focus nodes the
    delta reaches (its report and the stamp say so), and its report is the whole validation's."""
    from tipkg.pipeline import build
    from tipkg.sources import default_corpus_dir

    corpus, out, cache = tmp_path / "corpus", tmp_path / "out", tmp_path / "cache"
    shutil.copytree(default_corpus_dir(), corpus)
    first = build(corpus, out, cache=cache)
    assert not first.validation.scope
    one_word_changed(corpus)
    second = build(corpus, out, cache=cache)
    line = second.validation.text().splitlines()[0]
    assert re.match(r"conforms: \d+ triples, no violations \(delta validation of \d+ changed triples: \d+ focus nodes, "
                    r"\d+ of \d+ checks;", line), line
    assert (cache / check_reads._READS_FILE).is_file()
    store = ox.Store()
    store.bulk_load(path=str(out / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    assert outcome(validate(store)) == outcome(second.validation) == set()
    assert second.validation.triples == len(store) == sum(1 for _ in open(out / "graph.nt", "rb"))


@pytest.mark.parametrize("breaker", [b for b, _, _ in tv.BROKEN], ids=[b.__name__ for b, _, _ in tv.BROKEN])
def test_both_plans_of_each_check_agree_on_each_break(breaker):
    """Every check with two plans (``Check.focused``: value checks, and the counts that would read every
    value of a shared property) finds the same rows both ways on each break of test_validate alone."""
    from tipkg.ontology.files import ontology_graph
    from tipkg.shapes.validate import compiled, load_shapes, store_of

    g = tv.small()
    breaker(g)
    store = store_of(g)
    checks = [c for c in compiled(load_shapes(), ontology_graph(), store) if c.focused is not None]
    assert {"MinCountConstraintComponent", "MaxCountConstraintComponent"} <= {c.component for c in checks}
    for check in checks:
        rows = [sorted(tuple(str(v) for v in s) for s in store.query(q)) for q in (check.query, check.focused)]
        assert rows[0] == rows[1], check.focused


def test_each_plan_count_is_made_once_per_process(corpus_store):
    """run_checks counts a shape's focus nodes and a path's values once, for all the checks that choose
    their plan by them (regression: a solver made per check counted them again for each: ×10, 416 COUNT
    queries where 106 patterns were distinct, 40 % of the validation's time)."""
    from tipkg.ontology.files import ontology_graph
    from tipkg.shapes.validate import compiled, load_shapes, run_checks

    class Counting:
        def __init__(self, store):
            self.store, self.counted = store, []

        def query(self, query):
            if query.startswith("SELECT (COUNT(*) AS ?n)"):
                self.counted.append(query)
            return self.store.query(query)

        def __getattr__(self, name):
            return getattr(self.store, name)

    checks = compiled(load_shapes(), ontology_graph(), corpus_store)
    patterns = {p for c in checks if c.focused is not None and c.sizes is not None for p in c.sizes}
    store = Counting(corpus_store)
    assert run_checks(store, checks) == []
    assert len(store.counted) == len(set(store.counted)) == len(patterns) > 50


@pytest.mark.slow
def test_at_x3_the_rebuild_validates_the_delta_and_reports_what_the_whole_does(tmp_path, monkeypatch):
    """The corpus ×3 (benchmarks/replicate.py), a word of its last source edited: the rebuild validates the
    delta and reports what validating its graph whole reports; so does the same delta with a required line
    (a paragraph's gist) removed and a bad one (an untyped label) added."""
    from tipkg.pipeline import build

    corpus, out, cache = replicated(3, tmp_path / "corpus"), tmp_path / "out", tmp_path / "cache"
    build(corpus, out, cache=cache)
    before = set(open(out / "graph.nt", encoding="utf-8"))
    one_word_changed(corpus)
    again = build(corpus, out, cache=cache)
    assert again.validation.scope.startswith("delta validation") and again.validation.conforms
    store = ox.Store()
    store.bulk_load(path=str(out / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    assert outcome(validate(store)) == outcome(again.validation) == set()
    after = set(open(out / "graph.nt", encoding="utf-8"))
    (gist,) = store.query("SELECT ?p ?g WHERE { ?p <https://w3id.org/tipkg/ontology#gist> ?g } ORDER BY DESC(?p) LIMIT 1")
    store.remove(ox.Quad(gist["p"], ox.NamedNode("https://w3id.org/tipkg/ontology#gist"), gist["g"]))
    label = ox.Quad(gist["p"], ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("no language"))
    store.add(label)
    after = (after - {f"{gist['p']} <https://w3id.org/tipkg/ontology#gist> {gist['g']} .\n"}) | {_line(label)}
    delta = delta_of(before, after, tmp_path)
    whole = validate(store)
    assert {r.shape for r in whole.results} == {"tipsh:Gist", "tipsh:Labels"}
    assert outcome(affected.validate_delta(store, delta)) == outcome(whole)


def test_no_delta_validation_when_it_cannot_be_trusted_or_pays_less(corpus_store, tmp_path):
    """None (the build validates whole): the previous build was not validated, or had results; a class
    hierarchy in the data changed (compiled into the checks); more than a tenth of the triples changed."""
    lines = {f"<https://w3id.org/tipkg/id/x{i}> <http://www.w3.org/2000/01/rdf-schema#label> \"x\"@en .\n" for i in range(20)}
    for record in ({"validation": "SKIPPED"}, {"validation": "conforms: 3 results in 1 shapes, 9 triples ()"},
                   {**CONFORMED, "triples": 150}):
        assert affected.validate_delta(corpus_store, delta_of(set(), lines, tmp_path, record)) is None
    assert affected.validate_delta(corpus_store, delta_of(set(), lines, tmp_path, {**CONFORMED, "triples": 250})) is not None
    hierarchy = {"<https://w3id.org/tipkg/id/C> <http://www.w3.org/2000/01/rdf-schema#subClassOf> "
                 "<https://w3id.org/tipkg/ontology#Paragraph> .\n"}
    assert affected.validate_delta(corpus_store, delta_of(set(), hierarchy, tmp_path)) is None


def test_an_edge_between_two_nodes_at_one_depth_is_read_from_its_subject():
    """Regression: CitationShape's "the edge it describes is not asserted" (``?citing ?value ?cited``,
    both ends one step from ``?this``) was read from its object, so a removed "invites Member
    States" edge made every citation of Member States a focus node: 944 at ×10, 8,864 at ×100 for
    one edited word (36 s of a ×100 rebuild's validation). Read from the subject: the citations of
    the edited paragraph."""
    from tipkg.ontology.files import ontology_graph
    from tipkg.shapes.validate import compiled, load_shapes

    check = next(c for c in compiled(load_shapes(), ontology_graph(), ox.Store())
                 if c.shape.endswith("CitationShape") and c.component == "SPARQLConstraintComponent")
    found = check_reads.reads(check.query)
    citing, cited = "<http://purl.org/spar/cito/hasCitingEntity>", "<http://purl.org/spar/cito/hasCitedEntity>"
    assert check_reads.Read(citing, None, True) in found  # any triple whose subject is the citing paragraph
    assert check_reads.Read(cited, None, False) not in found  # not: any triple whose object is the cited node


def test_the_shipped_reads_are_current_and_spare_a_first_rebuild_the_parsing(corpus_store, monkeypatch):
    """shapes/check-reads.json holds what parsing the bundled shapes' checks gives (else: rewrite it with
    ``python3 -m tipkg.shapes.check_reads``), and a process that has it parses no check of the corpus."""
    import json
    from importlib import resources

    from tipkg.ontology.files import ontology_graph
    from tipkg.shapes.validate import compiled, load_shapes

    shipped = json.loads(resources.files("tipkg.shapes").joinpath(check_reads.SHIPPED).read_text(encoding="utf-8"))
    assert shipped == json.loads(check_reads._encoded(check_reads.derived(check_reads.shipped_checks()))), \
        "the shipped reads are stale: python3 -m tipkg.shapes.check_reads"
    monkeypatch.setattr(check_reads, "known_reads", {})
    monkeypatch.setattr(check_reads, "_shipped_loaded", False)
    monkeypatch.setattr(check_reads, "_reads_of", lambda template: pytest.fail(f"parsed {template[:80]}"))
    checks = compiled(load_shapes(), ontology_graph(), corpus_store)
    check_reads.derive_reads(checks)
    assert all(check_reads.reads(c.query) is not None or c.component == "SPARQLConstraintComponent" for c in checks)
