"""The checks answered by one pass over the graph's runs of subjects (shapes/local.py) give
exactly their queries' rows: on the built corpus, on every deliberately broken graph of
tests/test_validate.py, read from a sorted graph.nt and from a store; and what the pass
cannot read as SPARQL does (a pattern, a non-canonical literal, a blank node, lines out of
order) is left to the queries or read the store's way."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

import test_validate as tv
from tipkg.shapes import edges, local, runs, unions
from tipkg.ontology.files import ontology_graph
from tipkg.shapes.validate import compiled, load_shapes, store_of, validate


def sorted_nt(store: ox.Store, path: Path) -> Path:
    """The store's default graph as a build writes graph.nt: one line a triple, sorted by bytes."""
    lines = sorted(f"{q.subject} {q.predicate} {q.object} .\n".encode()
                   for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    path.write_bytes(b"".join(lines))
    return path


def rows(names, solutions) -> set[tuple]:
    return {tuple(str(t) for t in row) for row in solutions}


def agree(store: ox.Store, nt: Path) -> int:
    """Assert every local check's rows from the file and from the store equal its query's; the rows found."""
    checks = [c for c in compiled(load_shapes(), ontology_graph(), store) if c.local is not None]
    assert len(checks) > 150  # the counts, datatypes, patterns, languages … of the shapes
    from_file = local.evaluate([c.local for c in checks], lambda wanted: runs.nt_runs(nt, wanted))
    from_store = local.evaluate([c.local for c in checks], lambda wanted: runs.store_runs(store, wanted))
    found = 0
    for check, (names, a), (_, b) in zip(checks, from_file, from_store):
        alone = check.local_alone()  # a split check's pass answers some branches (unions.local_branch)
        if alone.parts:
            queried, solutions = unions.run(store, alone.parts, alone.member)
        else:
            solutions = store.query(check.query)
            queried = [v.value for v in solutions.variables]
        assert sorted(names) == sorted(v for v in queried if v in check.local.names), check.component
        at = [queried.index(name) for name in names]  # the query's SELECT * may name them in another order
        expected = {tuple(str(row[k]) for k in at) for row in solutions}
        assert rows(names, a) == expected == rows(names, b), (check.shape, check.component, check.path)
        found += len(expected)
    return found


def test_local_checks_agree_with_their_queries_on_the_corpus(built_out, tmp_path):
    store = ox.Store()
    store.bulk_load(path=str(built_out / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    assert agree(store, built_out / "graph.nt") == 0


@pytest.mark.parametrize("breaker", [b for b, _, _ in tv.BROKEN], ids=[b.__name__ for b, _, _ in tv.BROKEN])
def test_local_checks_agree_with_their_queries_on_each_break(breaker, tmp_path):
    g = tv.small()
    breaker(g)
    store = store_of(g)
    agree(store, sorted_nt(store, tmp_path / "graph.nt"))
    report = validate(store, nt=tmp_path / "graph.nt")
    assert {(r.shape, r.focus, r.component, r.path, r.value, r.message) for r in report.results} == \
        {(r.shape, r.focus, r.component, r.path, r.value, r.message) for r in validate(g).results}


def test_the_local_breaks_are_found_by_the_pass(tmp_path):
    """The pass does find violations (not only agree on none): the breaks of local components."""
    g = tv.small()
    for breaker in (tv.break_missing_identifier, tv.break_two_parents, tv.break_date_type, tv.break_identifier_grammar,
                    tv.break_text_language, tv.break_two_english_labels, tv.break_reuse_predicate,
                    tv.break_meeting_number_zero, tv.break_reuse_score, tv.break_no_arabic_label,
                    tv.break_citing_entity_literal):
        breaker(g)
    store = store_of(g)
    assert agree(store, sorted_nt(store, tmp_path / "graph.nt")) >= 11


def test_non_canonical_literals_and_escapes_are_read_as_the_store_keeps_them(tmp_path):
    """"01"^^xsd:integer is "1" in the store, a tag in capitals is in lower case, escapes are decoded."""
    nt = tmp_path / "graph.nt"
    nt.write_text('<https://w3id.org/tipkg/id/TIP-WG_1> <https://w3id.org/tipkg/ontology#meetingNumber> '
                  '"01"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
                  '<https://w3id.org/tipkg/id/TIP-WG_1> <https://w3id.org/tipkg/ontology#meetingNumber> '
                  '"1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
                  '<https://w3id.org/tipkg/id/TIP-WG_1> <http://www.w3.org/2000/01/rdf-schema#label> "a\\"b\\u00e9"@EN .\n',
                  encoding="utf-8")
    ((_, props),) = list(runs.nt_runs(nt, {"https://w3id.org/tipkg/ontology#meetingNumber",
                                            "http://www.w3.org/2000/01/rdf-schema#label"}))
    assert props["https://w3id.org/tipkg/ontology#meetingNumber"] == [
        ("L", "1", "^^http://www.w3.org/2001/XMLSchema#integer")] * 2
    assert props["http://www.w3.org/2000/01/rdf-schema#label"] == [("L", 'a"bé', "@en")]


def test_a_pattern_python_reads_otherwise_stays_a_query():
    assert local.python_pattern("^[0-9]+$", None) == "^[0-9]+\\Z"
    assert local.python_pattern("^\\d+$", None) is None  # \d: Arabic-Indic digits in Python
    assert local.python_pattern("^a", "i") is None
    import re
    assert re.search(local.python_pattern("^[0-9]+$", None), "12\n") is None  # SPARQL: no match either
    assert not bool(ox.Store().query('ASK { FILTER (REGEX("12\\n", "^[0-9]+$")) }'))


def test_unsorted_lines_or_a_blank_node_leave_the_checks_to_their_queries(tmp_path):
    g = tv.small()
    tv.break_two_parents(g)
    store = store_of(g)
    nt = sorted_nt(store, tmp_path / "graph.nt")
    lines = nt.read_bytes().splitlines(keepends=True)
    (tmp_path / "unsorted.nt").write_bytes(b"".join(reversed(lines)))
    with pytest.raises(local.Unsorted):
        list(runs.nt_runs(tmp_path / "unsorted.nt", {runs.RDF_TYPE}))
    (tmp_path / "blank.nt").write_bytes(b"_:b0 <urn:p> <urn:o> .\n" + b"".join(lines))
    with pytest.raises(local.Unsorted):
        list(runs.nt_runs(tmp_path / "blank.nt", {runs.RDF_TYPE}))
    expected = {(r.shape, r.focus, r.component, r.value) for r in validate(store).results}
    assert ("tipsh:ParagraphParent", "https://w3id.org/tipkg/id/CTOC/COP/DEC/3/3_para_a", "MaxCountConstraintComponent",
            None) in expected
    got = {(r.shape, r.focus, r.component, r.value) for r in validate(store, nt=tmp_path / "unsorted.nt").results}
    assert got == expected


def test_a_store_written_to_after_its_load_is_read_by_the_queries():
    """A memory store no longer gives a subject's triples together once a triple is added (a subject seen
    twice): the pass gives way, and the report is the queries' (regression: a duplicated identifier
    read as a missing one)."""
    g = tv.small()
    store = store_of(g)
    before = {(r.shape, r.focus, r.component) for r in validate(store).results}
    para = "https://w3id.org/tipkg/id/CTOC/COP/DEC/3/3_para_a"
    identifier = ox.NamedNode("http://purl.org/dc/terms/identifier")
    for q in list(store.quads_for_pattern(ox.NamedNode(para), identifier, None)):
        store.remove(q)
    store.add(ox.Quad(ox.NamedNode(para), identifier, ox.Literal("CTOC/COP/DEC/3/3 pp 1")))
    try:
        list(runs.store_runs(store, {runs.RDF_TYPE}))
    except local.Unsorted:
        pass
    found = {(r.shape, r.focus, r.component) for r in validate(store).results}
    assert ("tipsh:OperativeIdentifier", para, "PatternConstraintComponent") in found - before
    assert ("tipsh:Identified", para, "MinCountConstraintComponent") not in found


def test_the_parts_of_graph_nt_tile_it(built_out):
    """Two readers (one each side of the fork) read every subject once: their runs are the whole file's."""
    nt = built_out / "graph.nt"
    wanted = {runs.RDF_TYPE, "http://purl.org/dc/terms/identifier"}
    (first, _), (start, stop) = runs.parts(nt, 2, least=0)
    assert first == 0 and start > 0 and stop is not None
    whole = list(runs.nt_runs(nt, wanted))
    assert list(runs.nt_runs(nt, wanted, 0, stop)) + list(runs.nt_runs(nt, wanted, start)) == whole
    assert len(whole) > 1000
    with pytest.raises(local.Unsorted):  # a stop that is not there: the parts would not tile the file
        list(runs.nt_runs(nt, wanted, 0, "<urn:x-not-a-subject>"))


def test_the_answers_asked_of_pyoxigraph_are_remembered_only_for_short_values(monkeypatch):
    """``_Asked`` (the canonical forms and the per-value SPARQL tests) keeps no long value, and no more
    than ``MEMO`` answers, and answers the same whether it remembers or not: "01"^^xsd:integer is "1"
    each time, a long text's lexical test as the query gives it."""
    monkeypatch.setattr(runs.Asked, "MEMO", 4)
    canonical, sparql = runs.Canonical(), local._Sparql()
    integer = "http://www.w3.org/2001/XMLSchema#integer"
    assert [canonical(f"0{n}", integer) for n in range(10)] == [str(n) for n in range(10)]
    assert len(canonical.known) <= 4 and canonical("01", integer) == "1"
    long_text = "الدول الأطراف " * 20
    test = "STRLEN(STR(?value)) > 100"
    assert sparql(test, ("L", long_text, "@ar")) is True and sparql(test, ("L", "قصير", "@ar")) is False
    assert sparql(test, ("L", long_text, "@ar")) is True
    assert (test, ("L", long_text, "@ar")) not in sparql.known and (test, ("L", "قصير", "@ar")) in sparql.known


def test_the_objects_remembered_change_no_answer(built_out, monkeypatch):
    """The pass remembers the short objects as read (``runs._SHORT_OBJECT``, at most ``OBJECTS`` of them): on
    the corpus's graph.nt it gives the same runs and the same rows when it remembers nothing, when its
    memory starts again every few entries, and as it is."""
    nt = built_out / "graph.nt"
    store = ox.Store()
    store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
    locals_ = [c.local for c in compiled(load_shapes(), ontology_graph(), store) if c.local is not None]
    wanted = {runs.RDF_TYPE, *(p for x in locals_ for p in x.path), *(p for x in locals_ for p in x.targets.subjects_of)}

    def both():
        return (list(runs.nt_runs(nt, wanted)),
                local.evaluate(locals_, lambda w: runs.nt_runs(nt, w)))
    as_is = both()
    assert len(as_is[0]) > 3000
    monkeypatch.setattr(runs, "OBJECTS", 3)
    monkeypatch.setattr(local, "OBJECTS", 3)  # the same bound on the pass's memo of shapes by types
    assert both() == as_is
    monkeypatch.setattr(runs, "_SHORT_OBJECT", 0)
    assert both() == as_is


def citation_rows(store: ox.Store, nt: Path) -> set[tuple]:
    """tipsh:CitationShape's rows answered by the pass from ``nt`` (its branches local to a citation)."""
    (check,) = [c for c in compiled(load_shapes(), ontology_graph(), store) if c.parts]
    (answer,) = local.evaluate([check.local], lambda wanted: runs.nt_runs(nt, wanted))
    return {tuple(str(t) for t in row) for row in answer[1]}


def test_an_edge_not_asserted_is_found_by_sort_and_comm_and_by_the_merge_here(tmp_path, monkeypatch):
    """The edge a citation describes is looked up once every run is read: its triple is missing from graph.nt
    (GNU sort and comm, or the merge in Python where they are not installed), or from the store."""
    g = tv.small()
    tv.break_citation_without_its_edge(g)
    store = store_of(g)
    nt = sorted_nt(store, tmp_path / "graph.nt")
    edge = ("<https://w3id.org/tipkg/id/edge/0000000000000003>", "<https://w3id.org/tipkg/ontology#requests>",
            '"the edge it describes is not asserted"')
    assert citation_rows(store, nt) == {edge}
    monkeypatch.setenv("TIPKG_MERGE", "python")  # the merge here, as where GNU sort is not installed
    assert citation_rows(store, nt) == {edge}
    keys = tmp_path / "keys.nt"
    present = next(q for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())
                   if isinstance(q.object, ox.NamedNode))
    lacking = (b"<https://w3id.org/tipkg/id/CTOC/COP/DEC/3/3_para_a> <https://w3id.org/tipkg/ontology#requests> "
               b"<https://w3id.org/tipkg/id/actor/secretariat> .\n")
    keys.write_bytes(f"{present.subject} {present.predicate} {present.object} .\n".encode() + lacking)
    assert edges.missing_in_store(store, keys) == {lacking}


def test_an_edge_written_with_escapes_is_asserted(tmp_path):
    """An IRI of graph.nt may escape a character (``\\u0073`` for ``s``): the same triple, other bytes; the
    edge is found all the same. Lines of a subject out of the order comm reads leave the check to the queries."""
    store = store_of(tv.small())
    nt = sorted_nt(store, tmp_path / "graph.nt")
    lines = nt.read_bytes().splitlines(keepends=True)
    escaped = [line.replace(b"actor/secretariat> .", b"actor/\\u0073ecretariat> .") for line in lines]
    assert escaped != lines
    (tmp_path / "escaped.nt").write_bytes(b"".join(sorted(escaped)))
    assert citation_rows(store, nt) == citation_rows(store, tmp_path / "escaped.nt") == set()
    swapped = lines[1::-1] + lines[2:]  # the first subject's lines out of order: its runs are read all the same
    assert swapped[0].split(b" ", 1)[0] == swapped[1].split(b" ", 1)[0] and swapped[0] > swapped[1]
    (tmp_path / "swapped.nt").write_bytes(b"".join(swapped))
    with pytest.raises(local.Unsorted):
        citation_rows(store, tmp_path / "swapped.nt")


def parent_rows(store: ox.Store, runs) -> dict[str, set[tuple]]:
    """tipsh:PartExtendsParent's and tipsh:InDocumentIsTop's rows answered by the pass (shapes/parents.py)."""
    checks = [c for c in compiled(load_shapes(), ontology_graph(), store)
              if c.local is not None and c.local.kind[0] in ("extends", "top")]
    assert len(checks) == 2
    answers = local.evaluate([c.local for c in checks], runs)
    return {c.local.kind[0]: {tuple(str(t) for t in row) for row in rows} for c, (_, rows) in zip(checks, answers)}


def test_a_part_and_its_document_are_checked_from_the_stack_a_search_of_the_file_and_the_store(tmp_path, monkeypatch):
    """A parent whose IRI begins its part's is on the stack of runs read; any other (a second parent, the report
    of a recommendation) is looked up: a binary search of graph.nt, or the store. Same rows each way."""
    g = tv.small()
    for breaker in (tv.break_two_parents, tv.break_part_not_extending_parent, tv.break_in_document_shortcut):
        breaker(g)
    store = store_of(g)
    nt = sorted_nt(store, tmp_path / "graph.nt")
    para = "<https://w3id.org/tipkg/id/CTOC/COP/DEC/3/3_para_a>"
    expected = {"extends": {(para, '"CTOC/COP/DEC/3/33 para a"', '"CTOC/COP/DEC/3/3"'),
                            (para, '"CTOC/COP/DEC/3/33 para a"', '"A/RES/55/25"')},
                "top": {(para, "<https://w3id.org/tipkg/id/CTOC/COP/WG.4/2009/2>")}}
    from tipkg.shapes import parents
    looked: list[str] = []
    search = parents.file_lookup

    def counted(path):
        found = search(path)
        return lambda node, predicate: looked.append(node) or found(node, predicate)
    monkeypatch.setattr(parents, "file_lookup", counted)
    assert parent_rows(store, lambda wanted: runs.nt_runs(nt, wanted)) == expected
    # looked up: para a's second parent, the recommendation's report (then remembered), the report para a names,
    # and the article of TIPP art 9(5), whose lines come first ("(" sorts before ">")
    assert sorted(set(looked)) == ["https://w3id.org/tipkg/id/A/RES/55/25", "https://w3id.org/tipkg/id/CTOC/COP/WG.4/2009/2",
                                   "https://w3id.org/tipkg/id/TIPP_art_9"]
    assert parent_rows(store, lambda wanted: runs.store_runs(store, wanted)) == expected


def test_a_parent_written_with_escapes_is_found_by_the_search(tmp_path):
    """The report's IRI written with an escape in its own lines (``\\u0057`` for ``W``): not where a binary search
    for its plain bytes looks, found among the lines that escape a character; the same rows."""
    g = tv.small()
    tv.break_offset(g)
    store = store_of(g)
    nt = sorted_nt(store, tmp_path / "graph.nt")
    lines = nt.read_bytes().splitlines(keepends=True)
    escaped = [b"<https://w3id.org/tipkg/id/CTOC/COP/\\u0057G.4/2009/2>" + line[len(b"<https://w3id.org/tipkg/id/CTOC/COP/WG.4/2009/2>"):]
               if line.startswith(b"<https://w3id.org/tipkg/id/CTOC/COP/WG.4/2009/2> ") else line for line in lines]
    assert escaped != lines
    (tmp_path / "escaped.nt").write_bytes(b"".join(sorted(escaped)))
    from tipkg.shapes import parents
    search = parents.file_lookup(tmp_path / "escaped.nt")
    assert search("https://w3id.org/tipkg/id/CTOC/COP/WG.4/2009/2", "http://purl.org/dc/terms/identifier") == \
        [("L", "CTOC/COP/WG.4/2009/2", "")]
    assert parents.file_lookup(nt)("https://w3id.org/tipkg/id/nothing", "http://purl.org/dc/terms/identifier") == []
    assert parent_rows(store, lambda wanted: runs.nt_runs(tmp_path / "escaped.nt", wanted)) == \
        parent_rows(store, lambda wanted: runs.nt_runs(nt, wanted)) == {"extends": set(), "top": set()}


def test_the_search_scans_for_escaped_subjects_once(tmp_path, monkeypatch):
    """Subjects absent from graph.nt as ``<iri>`` writes them are looked for among the escaped lines, which one
    scan of the file gathers at the first miss (a scan each read the whole file again per absent node)."""
    from tipkg.shapes import parents
    nt = tmp_path / "graph.nt"
    nt.write_bytes(b'<urn:\\u0062> <urn:p> "2" .\n<urn:a> <urn:p> "1" .\n<urn:c> <urn:p> "3" .\n')  # sorted: \\ < a
    scans = []
    real = parents._escaped
    monkeypatch.setattr(parents, "_escaped", lambda m: scans.append(1) or real(m))
    search = parents.file_lookup(nt)
    assert search("urn:b", "urn:p") == [("L", "2", "")]
    assert search("urn:nothing", "urn:p") == []
    assert search("urn:a", "urn:p") == [("L", "1", "")]
    assert search("urn:else", "urn:p") == []
    assert len(scans) == 1


def test_the_search_of_a_sorted_file_finds_each_subjects_lines(tmp_path):
    """``parents._run``: every subject's lines, and none of a subject absent, however long a line is and
    wherever the file ends (with or without a last newline)."""
    import mmap
    import random

    from tipkg.shapes import parents
    rng = random.Random(7)
    lines = sorted({f"<urn:s{rng.randrange(300):03d}> <urn:p{k}> \"{'x' * rng.choice((1, 50, 5000, 9000))}\" .\n".encode()
                    for k in range(600)})
    for text in (b"".join(lines), b"".join(lines)[:-1]):
        path = tmp_path / "sorted.nt"
        path.write_bytes(text)
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            for n in range(-1, 301):
                key = f"<urn:s{n:03d}> ".encode()
                expected = [line for line in text.splitlines(keepends=True) if line.startswith(key)]
                assert parents._run(m, key) == expected


def test_what_the_parts_of_a_pass_share_is_found_once(tmp_path):
    """A pass read in parts (each subject its own part here): an identifier shared by nodes of two parts is
    found by sorting the parts' files together (shapes/shared.py), a parent two parts' paragraphs name that is
    not in the graph is reported once (shapes/nodes.py), the classes of the nodes echoed found by sorting the
    parts' files together (nodes.Ends), a recommendation's numbering as many times as the query's solutions
    (shapes/numbering.py); the report is the queries', row for row."""
    from tipkg.shapes.validate import run_checks

    g = tv.small()
    tv.break_duplicate_identifier(g)
    tv.break_parent_not_in_graph(g)
    g.set((tv.mint("CTOC/COP/DEC/3/3 pp 1"), tv.ELI.is_part_of, tv.mint("CTOC/COP/DEC/9/9")))
    g.add((tv.mint("TIPP"), tv.DCTERMS.identifier, tv.Literal("CTOC/COP/DEC/3/3 pp 1")))
    tv.break_offset(g)  # and the report names its meeting twice: the UNION's two solutions, two rows
    g.add((tv.mint("CTOC/COP/WG.4/2009/2"), tv.TIP.reportOf, tv.mint("TIP-WG 1")))
    tv.break_echo_paragraph_to_source(g)  # echoes: one wrong end; one right; a node of both classes, no member whole
    g.add((tv.mint("CTOC/COP/DEC/3/3 pp 1"), tv.TIP.echoes, tv.mint("CTOC/COP/DEC/3/3 para a")))
    for kind in (tv.TIP.Paragraph, tv.TIP.SourceText):
        g.add((tv.mint("TIPP"), tv.RDF.type, kind))
    for end in ("CTOC/COP/DEC/3/3 pp 1", "source:002_62009398838004c9.txt"):
        g.add((tv.mint("TIPP"), tv.TIP.echoes, tv.mint(end)))
    store = store_of(g)
    nt = sorted_nt(store, tmp_path / "graph.nt")
    starts = runs.parts(nt, 1000, least=0)
    assert len(starts) > 10
    ends = [subject for _, subject in starts[1:]] + [None]
    readers = [lambda _store, wanted, start=start, stop=stop: runs.nt_runs(nt, wanted, start, stop)
               for (start, _), stop in zip(starts, ends)]
    checks = compiled(load_shapes(), ontology_graph(), store)
    by_pass, by_queries = run_checks(store, checks, runs=readers), run_checks(store, checks)
    assert sorted(by_pass) == sorted(by_queries)
    assert len([r for r in by_pass if r.shape == "tipsh:UniqueIdentifier"]) == 6
    assert len([r for r in by_pass if r.shape == "tipsh:Exists"]) == 1
    assert len([r for r in by_pass if r.shape == "tipsh:RecommendationNumbering"]) == 2
    assert {r.focus for r in by_pass if r.shape == "tipsh:EchoesEnds"} == {
        str(tv.mint("CTOC/COP/DEC/3/3 para a")), str(tv.mint("TIPP"))}
