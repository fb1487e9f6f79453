"""The build's precomputed answers made cheaply and incrementally (queries/precompute.py, ordering.py, reads.py).

* Rows sorted in Python by the query's ORDER BY are the store's order, on the
  real answers of the bundled corpus; a tie among different rows, or a key
  Python does not order (a language-tagged label), is left to the store.
* What a query reads is taken from its parsed algebra: the catalog's paths,
  NOT EXISTS and type constants are in it; what could read any triple (a
  zero-step path between unbound nodes, GRAPH) reads everything.
* After one source is edited, a build into the same OUT (a delta build, the
  real pipeline) re-runs the queries the changed lines can touch and links the
  others' files from the previous OUT; either way ``precomputed/`` is byte for
  byte the full build's (×1 here, ×3 marked slow).
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tipkg.graph.delta import Delta
from tipkg.graph.writers import DumpSettings
from tipkg.queries import precomputed
from tipkg.queries.catalog import catalog
from tipkg.queries.ordering import order_keys, sort_rows, unordered
from tipkg.queries import batches, precompute
from tipkg.queries.precompute import _projected, plan, sorted_run
from tipkg.queries.reads import EVERYTHING, Changed, reads
from tipkg.queries.sparql import run_local

from replicas import replicated
from test_batches import whole_rows_in_batches

TIP = "https://w3id.org/tipkg/ontology#"
DCT = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: one word of one paragraph of the bundled corpus (a decision's draft, paragraph 7), and another
WORD, OTHER = "الاتصالات", "المواصلات"


@pytest.fixture
def every_answer_checked(monkeypatch):
    """Check every answer against the delta, however small (the bundled corpus's answers are)."""
    monkeypatch.setattr(precompute, "WORTH_COPYING", 0)


@pytest.fixture(scope="module")
def store(built_out):
    from tipkg.graph.store import open_store
    return open_store(built_out)


# --- the order of the rows ----------------------------------------------------------------------------

def _planned_texts():
    return [(name, text) for name, q in catalog().items() if (p := plan(q)) is not None for text in p.texts]


@pytest.mark.parametrize("name,text", _planned_texts(), ids=lambda v: v if "\n" not in str(v) else "")
def test_rows_sorted_here_are_the_stores_order(store, name, text):
    expected = run_local(store, text).rows
    results, determined = sorted_run(store, text)
    assert results.rows == expected, name
    keys = order_keys(text, _projected(text))
    rows = run_local(store, unordered(text)).rows
    done = sort_rows(rows, keys) if keys else None
    assert determined == (done is not None and not done[1]), name
    if done is not None and not done[1]:
        assert tuple(done[0]) == expected, name


def test_labels_in_two_languages_are_left_to_the_store(store):
    """@en and @ar labels in one key are not ordered by value by the store (they compare equal): not here either."""
    text = (f"PREFIX skos: <{SKOS}>\nSELECT ?label WHERE {{ ?c a skos:Concept ; skos:prefLabel ?label }}\n"
            "ORDER BY ?label\n")
    rows = run_local(store, unordered(text)).rows
    assert {t.lang for (t,) in rows} >= {"en", "ar"}
    assert sort_rows(rows, order_keys(text, ["label"])) is None
    results, determined = sorted_run(store, text)
    assert results.rows == run_local(store, text).rows and not determined


def test_labels_of_one_language_are_sorted_here(store):
    text = precomputed.text_of(catalog()["mandates-by-action-year"])  # ORDER BY ?year ?action (@en labels)
    results, determined = sorted_run(store, text)
    assert determined and results.rows == run_local(store, text).rows


def test_rows_that_tie_on_every_key_are_left_to_the_store(store):
    text = (f"PREFIX tip: <{TIP}> PREFIX dcterms: <{DCT}>\nSELECT ?document ?paragraph WHERE {{\n"
            "  ?p tip:inDocument ?d . ?d dcterms:identifier ?document . ?p dcterms:identifier ?paragraph }\n"
            "ORDER BY ?document\n")
    keys = order_keys(text, _projected(text))
    sorted_here, tied = sort_rows(run_local(store, unordered(text)).rows, keys)
    assert tied  # many paragraphs per document: their order is the store's choice
    results, determined = sorted_run(store, text)
    assert results.rows == run_local(store, text).rows and not determined


def test_each_terms_json_is_json_dumps_of_its_sparql_json(store):
    """The answers' lines are written from each term's JSON made directly (precomputed.term_json): it is
    byte for byte json.dumps(sparql_json, sort_keys) on every term of every planned answer, and on the
    kinds the corpus lacks (a blank node, a typed literal, quotes and control characters)."""
    from tipkg.queries.sparql import Term

    terms = {t for _, text in _planned_texts() for row in run_local(store, text).rows for t in row if t is not None}
    assert any(t.lang for t in terms) and any(t.datatype.endswith("#integer") for t in terms)  # (no IRI: identifiers)
    terms |= {Term("bnode", "b0"), Term("literal", "3", "http://www.w3.org/2001/XMLSchema#decimal"),
              Term("literal", 'a "b"\n\x00\u0627\\', "http://www.w3.org/2001/XMLSchema#string"),
              Term("literal", "x", "", "ar"), Term("iri", "https://e/\u0627?q=\"")}
    for t in terms:
        assert precomputed.term_json(t) == json.dumps(t.sparql_json(), ensure_ascii=False, sort_keys=True), t


def test_answers_of_every_topic_are_copied_only_between_stores_of_the_same_topics(built_out, store, tmp_path):
    """A query of every topic is run for the nodes typed tip:Topic (precompute._kind_values): a delta build
    copies or patches its answers only if the previous store holds the same topics — a node that lost its
    type changes which values are answered even where the query reads no type."""
    import pyoxigraph

    from tipkg.queries.precompute import _kind_reads, _kind_values, _same_kind

    class Before:  # the previous build's store, as precompute._Before gives it
        def __init__(self, kept):
            self.kept = kept

        def store(self):
            return self.kept

    p = plan(catalog()["topic-paragraphs"])
    topics = _kind_values(store, "topic")
    assert "topic:victims" in topics and len(topics) >= 50
    assert _same_kind(p, Before(store), store)
    other = pyoxigraph.Store()
    other.bulk_load(path=str(built_out / "graph.nt"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    victims = next(iter(other.query(f'SELECT ?t WHERE {{ ?t <{DCT}identifier> "topic:victims" }}')))[0]
    other.remove(pyoxigraph.Quad(victims, pyoxigraph.NamedNode(RDF_TYPE), pyoxigraph.NamedNode(TIP + "Topic")))
    assert _kind_values(other, "topic") == [t for t in topics if t != "topic:victims"]
    assert not _same_kind(p, Before(other), store) and not _same_kind(p, Before(None), store)
    # only a delta with a type or an identifier line needs the previous store to tell (else: the same topics)
    typed = f'<{victims.value}> <{RDF_TYPE}> <{TIP}Topic> .\n'
    assert typed.encode() in (built_out / "graph.nt").read_bytes()
    (tmp_path / "typed.nt").write_text(typed, encoding="utf-8")
    (tmp_path / "none.nt").write_text("", encoding="utf-8")
    assert Changed(tmp_path / "typed.nt", tmp_path / "none.nt").touches(_kind_reads("topic"))
    assert not Changed(tmp_path / "none.nt", tmp_path / "none.nt").touches(_kind_reads("topic"))


# --- what a query reads ----------------------------------------------------------------------------------

def _predicates(name):
    return {p for s, p, o in reads(precomputed.text_of(catalog()[name]))}


def test_the_predicates_a_catalog_query_reads_come_from_its_algebra():
    assert _predicates("topic-paragraphs") == {DCT + "identifier", SKOS + "broader", TIP + "gist",
                                               TIP + "indexedUnder"}
    mandates = reads(precomputed.text_of(catalog()["open-mandates-by-addressee"]))
    assert (None, RDF_TYPE, TIP + "Mandate") in mandates  # the type is a constant object
    found = {p for s, p, o in mandates}
    assert {TIP + "answers", TIP + "reportsAnswer"} <= found  # FILTER NOT EXISTS { ?a tip:answers|tip:reportsAnswer ?m }
    assert {TIP + "action", SKOS + "prefLabel", TIP + "mandatedBy", TIP + "inDocument"} <= found  # sequence paths


def test_a_values_table_of_iris_narrows_the_pattern_it_joins():
    overview = reads(precomputed.text_of(catalog()["documents-overview"]))  # VALUES ?class {…} ?doc a ?class
    assert (None, RDF_TYPE, TIP + "GAResolution") in overview and (None, RDF_TYPE, None) not in overview
    # a row that leaves the variable UNDEF, or binds it to a literal, narrows nothing
    undef = "SELECT * WHERE { VALUES (?c ?d) { (<http://e/A> UNDEF) (<http://e/B> 2) } ?x a ?c ; <http://e/q> ?d }"
    assert set(reads(undef)) == {(None, RDF_TYPE, "http://e/A"), (None, RDF_TYPE, "http://e/B"),
                                 (None, "http://e/q", None)}
    assert (None, RDF_TYPE, None) in reads("SELECT * WHERE { VALUES ?c { 1 } ?x a ?c }")


def test_what_could_read_any_triple_reads_everything():
    zero = "SELECT ?x ?y WHERE { ?x <http://e/broader>* ?y }"  # every node of the graph matches itself
    assert reads(zero) == [EVERYTHING]
    joined = "SELECT ?x ?y WHERE { ?x <http://e/broader>* ?y . ?y <http://e/id> ?i }"  # ?y's nodes: by http://e/id
    assert EVERYTHING not in reads(joined)
    assert reads("SELECT * WHERE { GRAPH ?g { ?s <http://e/p> ?o } }") == [EVERYTHING]
    assert reads("SELECT * WHERE { ?s !<http://e/p> ?o }") == [EVERYTHING]
    assert reads("SELECT * WHERE { <http://e/s> ?p ?o }") == [("http://e/s", None, None)]


# --- copied after one source changed -----------------------------------------------------------------------

def _edit(corpus: Path, name: str, words: tuple[str, str] = (WORD, OTHER)) -> None:
    """Replace WORD (``words[0]``) in source file ``name`` (once) by OTHER and update its checksum in
    the manifest."""
    path = corpus / name
    old = hashlib.sha256(path.read_bytes()).hexdigest()
    text = path.read_text(encoding="utf-8")
    assert text.count(words[0]) == 1
    path.write_text(text.replace(*words), encoding="utf-8")
    manifest = corpus / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    at = text.index(f'file = "{name}"')  # this entry only: the replicas of a file share its checksum
    manifest.write_text(text[:at] + text[at:].replace(old, hashlib.sha256(path.read_bytes()).hexdigest(), 1),
                        encoding="utf-8")


def _files_by_query(folder: Path) -> dict[str, list[str]]:
    return json.loads((folder / precomputed.FOLDER / "index.json").read_text(encoding="utf-8"))["queries"]


def _delta_build(corpus: Path, edited_file: str, work: Path, words: tuple[str, str] = (WORD, OTHER)):
    """Build ``corpus`` into OUT, edit one source, build it into OUT again (a delta build) and into another
    folder (a full build); (OUT, the full OUT, inode of each previous precomputed file by name)."""
    from tipkg.pipeline import build

    out, full, cache = work / "out", work / "full", work / "cache"
    build(corpus, out, cache=cache)
    before = {f.name: f.stat().st_ino for f in (out / precomputed.FOLDER).iterdir()}
    _edit(corpus, edited_file, words)
    build(corpus, out, cache=cache)
    build(corpus, full, cache=None)
    return out, full, before


def _check(out: Path, full: Path, before: dict[str, int]) -> dict[str, set[str]]:
    """Assert OUT's answers are the full build's, byte for byte; the queries copied and re-run."""
    match, mismatch, errors = filecmp.cmpfiles(out / precomputed.FOLDER, full / precomputed.FOLDER,
                                               sorted(f.name for f in (full / precomputed.FOLDER).iterdir()),
                                               shallow=False)
    assert not mismatch and not errors, (mismatch, errors)
    assert {f.name for f in (out / precomputed.FOLDER).iterdir()} == set(match)
    how: dict[str, set[str]] = {"copied": set(), "ran": set(), "patched": set()}
    for name, entry in _files_by_query(out).items():
        linked = [before.get(f) == (out / precomputed.FOLDER / f).stat().st_ino for f in entry["files"]]
        if entry["files"]:  # a query's files are copied together, made again together, or (a query of every
            # value) some values' made again and the others' copied
            how["copied" if all(linked) else "ran" if not any(linked) else "patched"].add(name)
    assert not how["patched"] - {n for n, q in catalog().items() if precomputed.every_value(q)}
    return how


@pytest.mark.slow
def test_after_one_edited_source_untouched_answers_are_copied_and_equal_a_full_build(tmp_path, every_answer_checked):
    corpus = tmp_path / "corpus"  # the bundled corpus, copied
    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", corpus,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    out, full, before = _delta_build(corpus, "000_34c21bad16896e20.txt", tmp_path)
    how = _check(out, full, before)
    # the edit changed a paragraph's text, hence its searched text: the search is re-run …
    assert "search-arabic" in how["ran"]
    # … while the queries of topics, actors and counts read nothing the edit changed: copied
    assert {"topic-paragraphs", "topics-together", "topic-year-counts", "requests-to-actor",
            "open-mandates-by-addressee", "documents-overview"} <= how["copied"]


@pytest.mark.slow
def test_after_an_edit_under_one_topic_only_its_topics_answers_are_made_again(tmp_path, every_answer_checked):
    """A paragraph filed under "Legislation" now cites article 7 of the Protocol, not 5: its gist changes,
    which every topic's answer reads, but only the answers of its topics are made again (queries/probe.py);
    the others are linked, and the whole is the full build's, byte for byte."""
    corpus = tmp_path / "corpus"
    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", corpus,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    words = ("تنفيذ المادة 5 من البروتوكول؛", "تنفيذ المادة 7 من البروتوكول؛")
    out, full, before = _delta_build(corpus, "003_b6c4df457a9ee32e.txt", tmp_path, words)
    how = _check(out, full, before)
    assert "topic-paragraphs" in how["patched"] and "articles-ranked" in how["ran"]
    query = catalog()["topic-paragraphs"]
    made = {f for f in _files_by_query(out)["topic-paragraphs"]["files"]
            if before.get(f) != (out / precomputed.FOLDER / f).stat().st_ino}
    assert made == {precomputed.answer_file(precomputed.text_of(query, {"topic": t}))
                    for t in ("topic:legislation",)}


@pytest.mark.slow
def test_rows_made_again_by_their_keys_equal_the_whole_run(tmp_path, every_answer_checked):
    """Two full builds, before and after an edit of one paragraph's text, and the delta between their
    graphs: the writer, given the previous OUT, makes the searched rows of the edited paragraph again and
    keeps the others' lines (search-arabic), and a topic's answers value by value (topic-paragraphs);
    every file equals the later full build's, byte for byte."""
    from tipkg.graph.store import fingerprint, open_store
    from tipkg.pipeline import build

    corpus = tmp_path / "corpus"
    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", corpus,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    build(corpus, tmp_path / "before", cache=None)
    _edit(corpus, "003_b6c4df457a9ee32e.txt", ("تنفيذ المادة 5 من البروتوكول؛", "تنفيذ المادة 7 من البروتوكول؛"))
    build(corpus, tmp_path / "after", cache=None)
    old, new = (set(open(tmp_path / f / "graph.nt", "rb")) for f in ("before", "after"))
    (tmp_path / "removed.nt").write_bytes(b"".join(sorted(old - new)))
    (tmp_path / "added.nt").write_bytes(b"".join(sorted(new - old)))
    delta = Delta(tmp_path / "before", tmp_path / "removed.nt", tmp_path / "added.nt",
                  {"store": fingerprint(tmp_path / "before" / "store")}, len(old - new), len(new - old))
    outcomes = precompute.write(open_store(tmp_path / "after"), tmp_path / "made", catalog(), delta)
    assert outcomes["search-arabic"].how == "patched" and outcomes["topic-paragraphs"].how == "patched"
    assert outcomes["topics-together"].how == "copied" and outcomes["articles-ranked"].how == "ran"
    names = sorted(f.name for f in (tmp_path / "after" / precomputed.FOLDER).iterdir())
    assert sorted(f.name for f in (tmp_path / "made").iterdir()) == names
    assert filecmp.cmpfiles(tmp_path / "made", tmp_path / "after" / precomputed.FOLDER, names, shallow=False)[1:] == ([], [])
    # without the previous store (its files not those recorded) nothing is patched: the whole is run
    other = Delta(delta.previous, delta.removed, delta.added, {"store": "0" * 64}, delta.removed_count, delta.added_count)
    again = precompute.write(open_store(tmp_path / "after"), tmp_path / "again", catalog(), other)
    assert again["search-arabic"].how == "ran" and again["topic-paragraphs"].how == "ran"
    assert filecmp.cmpfiles(tmp_path / "again", tmp_path / "after" / precomputed.FOLDER, names, shallow=False)[1:] == ([], [])


def test_the_copy_rule_on_a_delta_made_here(built_out, tmp_path, every_answer_checked):
    """Without a build: the session build is the previous OUT, the delta one searchText line changed and
    one indexedUnder line removed; the writer re-runs exactly the queries reading those predicates."""
    lines = (built_out / "graph.nt").read_bytes().splitlines(keepends=True)
    search = next(l for l in lines if f"<{TIP}searchText>".encode() in l)
    indexed = next(l for l in lines if f"<{TIP}indexedUnder>".encode() in l)
    (tmp_path / "removed.nt").write_bytes(b"".join(sorted([search, indexed])))
    (tmp_path / "added.nt").write_bytes(search.replace(b'" .', b' x" .'))
    delta = Delta(built_out, tmp_path / "removed.nt", tmp_path / "added.nt", {}, 2, 1)
    changed = Changed(delta.removed, delta.added)
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "store").symlink_to(built_out / "store")  # the same store: only the copy rule is tested
    outcomes = precomputed.write_precomputed(None, tmp_path / "new" / precomputed.FOLDER, DumpSettings(delta=delta))
    for name, outcome in outcomes.items():
        p = plan(catalog()[name])
        touched = any(changed.touches(reads(text)) for text in p.texts)
        previous = _files_by_query(built_out)[name]
        assert (outcome.how in ("copied", "live")) == (not touched and previous["determined"]), name
    assert outcomes["search-arabic"].how == "ran" and outcomes["topic-paragraphs"].how == "ran"
    assert outcomes["requests-to-actor"].how == "copied"
    # an index whose plan digest is not this query's (another query text) is never copied from
    index = json.loads((built_out / precomputed.FOLDER / "index.json").read_text())
    index["queries"]["requests-to-actor"]["plan"] = "0" * 64
    (tmp_path / "prev" / precomputed.FOLDER).mkdir(parents=True)
    for f in (built_out / precomputed.FOLDER).iterdir():
        (tmp_path / "prev" / precomputed.FOLDER / f.name).write_bytes(f.read_bytes())
    (tmp_path / "prev" / precomputed.FOLDER / "index.json").write_text(json.dumps(index))
    other = Delta(tmp_path / "prev", delta.removed, delta.added, {}, 2, 1)
    again = precomputed.write_precomputed(None, tmp_path / "new" / "again", DumpSettings(delta=other))
    assert again["requests-to-actor"].how == "ran" and again["open-mandates-by-addressee"].how == "copied"
    assert filecmp.dircmp(tmp_path / "new" / "again", built_out / precomputed.FOLDER).diff_files == []


def test_a_small_answer_is_run_again_rather_than_checked(built_out, tmp_path, monkeypatch):
    """Parsing a query costs more than running a small one: under WORTH_COPYING it is re-run, delta or not."""
    (tmp_path / "removed.nt").write_bytes(b"")
    (tmp_path / "added.nt").write_bytes(b"")
    delta = Delta(built_out, tmp_path / "removed.nt", tmp_path / "added.nt", {}, 0, 0)
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "store").symlink_to(built_out / "store")
    sizes = {name: sum((built_out / precomputed.FOLDER / f).stat().st_size for f in entry["files"])
             for name, entry in _files_by_query(built_out).items()}
    monkeypatch.setattr(precompute, "WORTH_COPYING", sorted(sizes.values())[len(sizes) // 2])
    outcomes = precomputed.write_precomputed(None, tmp_path / "new" / precomputed.FOLDER, DumpSettings(delta=delta))
    for name, outcome in outcomes.items():  # an empty delta touches nothing: only the size decides
        assert outcome.how == ("copied" if sizes[name] >= precompute.WORTH_COPYING else "ran"), name
    assert {o.how for o in outcomes.values()} == {"copied", "ran"}


@pytest.mark.slow
def test_after_one_edited_source_at_x3_the_answers_equal_a_full_build(tmp_path, every_answer_checked):
    corpus = tmp_path / "corpus"
    replicated(3, corpus)
    out, full, before = _delta_build(corpus, "r1_000_34c21bad16896e20.txt", tmp_path)
    how = _check(out, full, before)
    assert "search-arabic" in how["ran"] and "topic-paragraphs" in how["copied"]
    # and each answer is the live one at ×3 too (three times the rows sorted here; every actor and topic)
    from tipkg.graph.store import open_store
    from tipkg.queries import params

    store = open_store(out)
    ask = lambda text, path="query": run_local(store, text, path)  # noqa: E731
    for name, q in catalog().items():
        p = plan(q)
        if p is None or p.kind == "search":
            continue
        values = [None] if p.parameter is None else \
            [n.identifier for n in params.nodes(ask, params.KINDS[p.parameter])]
        for value in values:
            text = precomputed.text_of(q, {} if value is None else {p.parameter: value})
            live = run_local(store, text, q.path).rows
            found = precomputed.lookup(out, text)
            assert (found.rows if found is not None else ()) == live, (name, value)
    for name in batches.table()["batch"]:  # and the batches of a query together are the whole query at ×3 too
        whole_rows_in_batches(store, name, rows=500)
    search = catalog()["search-arabic"]
    for phrase in (None, "الإتجار", "الاتصالات", "المواصلات"):  # the default, a variant, the edited word and its replacement
        given = {} if phrase is None else {"phrase": phrase}
        kept = precomputed.search(out, ask, search, given)
        assert kept is not None and kept.rows == run_local(store, precomputed.text_of(search, given)).rows, phrase


def test_an_answers_lines_are_read_and_copied_a_block_at_a_time(built_out, tmp_path, monkeypatch):
    """The free-text answer's files of the session build read with blocks of 7 bytes, so that lines are cut
    across blocks (a rebuild patches them so at ×1000, where they are 570 MB): the same lines as the file
    split whole, a range of them copied byte for byte, the offsets the build wrote; a file cut short is not
    whole (it is then made again, never patched)."""
    monkeypatch.setattr(precomputed, "BLOCK", 7)
    key = precomputed.answer_file(precomputed.text_view(catalog()["search-arabic"]))[:-len(".jsonl")]
    folder = built_out / precomputed.FOLDER
    for suffix in (".jsonl", ".text"):
        data = (folder / f"{key}{suffix}").read_bytes()
        assert data.count(b"\n") > 500  # the 541 paragraphs' rows
        with open(folder / f"{key}{suffix}", "rb") as file:
            lines = precomputed.Lines(file)
            assert lines.whole and [lines[i] for i in range(len(lines))] == data.split(b"\n")[:-1]
            with open(tmp_path / "copy", "wb") as out:
                lines.copy(3, len(lines) - 2, out)
        assert (tmp_path / "copy").read_bytes() == b"".join(line + b"\n" for line in data.split(b"\n")[3:-3])
        (tmp_path / "short").write_bytes(data[:-1])
        with open(tmp_path / "short", "rb") as file:
            short = precomputed.Lines(file)
            assert not short.whole and short[len(short) - 1] == data.split(b"\n")[-2]
    shutil.copyfile(folder / f"{key}.jsonl", tmp_path / f"{key}.jsonl")
    precomputed.write_offsets(tmp_path, key)
    assert (tmp_path / f"{key}.offsets").read_bytes() == (folder / f"{key}.offsets").read_bytes()
