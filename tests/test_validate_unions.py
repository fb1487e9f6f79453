"""A sh:sparql constraint made of a UNION on one class's nodes (tipsh:CitationShape) is run one branch at a
time (shapes/unions.py), each row kept when its ?this is of the class: the rows are exactly the single
query's, on the corpus and on every deliberately broken graph, whether a branch's rows are filtered or it
is given up and run again from the class's members."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

import test_validate as tv
from tipkg.ontology.files import ontology_graph
from tipkg.shapes import unions
from tipkg.shapes.validate import compiled, load_shapes, run_checks, store_of, validate


def split_checks(store: ox.Store):
    return [c for c in compiled(load_shapes(), ontology_graph(), store) if c.parts]


def named(names: list[str], rows) -> list[tuple]:
    """Rows as sorted (variable, term) pairs: the single query names its variables in another order."""
    return sorted(tuple(sorted((n, str(t)) for n, t in zip(names, row))) for row in rows)


def same_rows(store: ox.Store) -> int:
    """Assert each split check's rows (branches filtered, and each run from the members) are its query's; the rows."""
    checks = split_checks(store)
    assert [str(c.shape).rsplit("#", 1)[-1] for c in checks] == ["CitationShape"]
    found = 0
    for check in checks:
        solutions = store.query(check.query)
        expected = named([v.value for v in solutions.variables], solutions)
        got_names, rows = unions.run(store, check.parts, check.member)
        assert named(got_names, rows) == expected
        from_members = [row for _, typed in check.parts for row in store.query(typed)]
        assert named(got_names, from_members) == expected
        found += len(expected)
    return found


def test_the_branches_give_the_query_s_rows_on_the_corpus(store, monkeypatch):
    assert same_rows(store) == 0
    (check,) = split_checks(store)
    assert check.member == "http://purl.org/spar/cito/Citation" and len(check.parts) == 4
    # the relation test is true of every text reuse too: those rows are not kept (not citations), and past
    # REJECTED of them the branch runs again from the citations
    relation = check.parts[2][0]
    assert sum(1 for _ in store.query(relation)) > 50
    monkeypatch.setattr(unions, "REJECTED", 10)
    asked = []
    monkeypatch.setattr(unions, "_members", lambda *a, _f=unions._members: asked.append(r := _f(*a)) or r)
    assert same_rows(store) == 0 and None in asked


@pytest.mark.parametrize("breaker", [b for b, _, _ in tv.BROKEN], ids=[b.__name__ for b, _, _ in tv.BROKEN])
def test_the_branches_give_the_query_s_rows_on_each_break(breaker):
    g = tv.small()
    breaker(g)
    same_rows(store_of(g))


def test_citation_breaks_are_found_by_the_branches_and_by_the_members(monkeypatch):
    """The three citation breaks, together: found by filtering each branch's rows, and found the same when
    every branch is given up at its first row that is not a citation (``REJECTED`` 0)."""
    g = tv.small()
    for breaker in (tv.break_citation_without_its_edge, tv.break_citation_from_a_topic, tv.break_citing_entity_literal):
        breaker(g)
    store = store_of(g)
    assert same_rows(store) >= 3
    (check,) = split_checks(store)
    filtered = sorted(map(str, run_checks(store, [check])))
    monkeypatch.setattr(unions, "REJECTED", 0)
    assert sorted(map(str, run_checks(store, [check]))) == filtered
    assert {r.focus.rsplit("/", 1)[-1] for r in run_checks(store, [check])} >= {"0000000000000003", "0000000000000004"}


def test_a_graph_broken_in_every_way_is_reported_whole():
    """Regression: results of one node with and without a value (or a path) were compared None to text
    when sorted for the report: with every break of test_validate at once, ``text()`` raised TypeError."""
    g = tv.small()
    for breaker, _, _ in tv.BROKEN:
        breaker(g)
    report = validate(g)
    text = report.text(limit=1000)
    assert not report.conforms and text.startswith("DOES NOT CONFORM")
    shapes = set(report.by_shape())  # some breaks undo others (a duplicated identifier removed)
    assert len(shapes) >= 15 and shapes == {r.shape for r in report.results}
    assert all(shape in text for shape in shapes)
    assert len(report.graph()) >= 7 * len(set(report.results))  # each result: its link, type, node, severity, message, shape, …


def test_the_relation_branch_is_answered_by_the_pass_and_by_its_query(tmp_path):
    """tipsh:CitationShape's relation test reads only the citation's own values: the pass over the runs of
    subjects answers it (``unions.local_branch``), the other branches are queried; a relation not of tipkg's
    is reported the same from graph.nt, from the store's runs, and by the queries alone (no pass)."""
    from test_validate_local import sorted_nt

    g = tv.small()
    tv.break_citation_relation(g)
    store = store_of(g)
    (check,) = split_checks(store)
    assert check.local is not None and check.local_parts == (2, 3) and check.local.names == ["this", "value", "reason"]
    assert [one.kind[0] for one in (check.local, *check.local.more)] == ["value", "edge"]
    assert len(check.queried_rest().parts) == 2 and check.queried_rest().local is None
    nt = sorted_nt(store, tmp_path / "graph.nt")

    def found(**kwargs) -> set:
        return {(r.focus.rsplit("/", 1)[-1], r.message, r.value) for r in validate(store, **kwargs).results
                if r.shape == "tipsh:CitationShape"}
    expected = {("0000000000000003", "the relation is not one of the tipkg relations",
                 "http://example.org/mentions")}
    assert found(nt=nt) == found() == expected
    assert {(r.focus.rsplit("/", 1)[-1], r.message, r.value) for r in run_checks(store, [check])} == expected
