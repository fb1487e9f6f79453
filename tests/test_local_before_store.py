"""The local checks answered before the store exists (``shapes.validate.local_pass``): a cold build of a
graph validated over the persistent store forks that pass as graph.nt is whole, so it runs beside the
store's bulk load. Its answers make exactly the report the pass inside the validation makes — on the
built corpus, on every deliberately broken graph of tests/test_validate.py, and through a whole build
— and where the store's class hierarchy is not the one it was compiled for, the validation does not use it."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from test_validate import BROKEN, break_orphan, small
from test_validate_local import sorted_nt
from test_validation_beside import _broken_graph_builder

import tipkg.pipeline as pipeline
from tipkg.errors import ValidationFailed
from tipkg.shapes import validate as validation
from tipkg.shapes.validate import local_pass, store_of, validate

BEFORE = "local pass (before the store)"


def _report(report) -> list[tuple]:
    return sorted({(r.shape, r.focus, r.identifier, r.component, r.path, r.value, r.message, r.severity)
                   for r in report.results})


def test_the_pass_before_the_store_reports_what_the_validation_finds_on_the_corpus(built_out):
    nt = built_out / "graph.nt"
    store = ox.Store()
    store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
    done = local_pass(nt)
    assert done.answers is not None and len(done.answers) > 150
    used = validate(store, nt=nt, done=done)
    assert BEFORE in used.timings
    assert _report(used) == _report(validate(store, nt=nt)) == _report(validate(store))
    assert used.triples == len(store)


@pytest.mark.parametrize("breaker", [b for b, _, _ in BROKEN], ids=[b.__name__ for b, _, _ in BROKEN])
def test_the_pass_before_the_store_finds_each_break(breaker, tmp_path):
    g = small()
    breaker(g)
    store = store_of(g)
    nt = sorted_nt(store, tmp_path / "graph.nt")
    used = validate(store, done=local_pass(nt))
    assert BEFORE in used.timings
    expected = _report(validate(store))
    assert expected and _report(used) == expected


def test_all_local_breaks_at_once_come_from_the_pass(tmp_path):
    g = small()
    for breaker, _, _ in BROKEN:
        breaker(g)
    store = store_of(g)
    done = local_pass(sorted_nt(store, tmp_path / "graph.nt"))
    assert sum(len(rows) for _, rows in done.answers) >= 11  # it finds rows, not only agrees on none
    assert _report(validate(store, done=done)) == _report(validate(store))


def test_a_store_with_classes_of_its_own_is_not_answered_by_the_pass(tmp_path):
    """The pass is compiled with the ontology's classes only; a graph adding rdfs:subClassOf pairs
    reaches other focus nodes, so its checks run in the validation as before."""
    g = small()
    break_orphan(g)
    store = store_of(g)
    nt = sorted_nt(store, tmp_path / "graph.nt")
    done = local_pass(nt)
    store.add(ox.Quad(ox.NamedNode("https://w3id.org/tipkg/ontology#Extra"),
                      ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
                      ox.NamedNode("https://w3id.org/tipkg/ontology#Paragraph")))
    report = validate(store, done=done)
    assert BEFORE not in report.timings
    assert _report(report) == _report(validate(store))


def test_unsorted_lines_leave_the_local_checks_to_the_validation(tmp_path):
    g = small()
    break_orphan(g)
    store = store_of(g)
    nt = sorted_nt(store, tmp_path / "graph.nt")
    (tmp_path / "unsorted.nt").write_bytes(b"".join(reversed(nt.read_bytes().splitlines(keepends=True))))
    done = local_pass(tmp_path / "unsorted.nt")
    assert done.answers is None
    report = validate(store, done=done)
    assert BEFORE not in report.timings and _report(report) == _report(validate(store))


@pytest.mark.parametrize("jobs", ["2", "1"])  # forked before the store's load; TIPKG_JOBS=1: in place
def test_a_build_validated_over_its_store_uses_the_pass_and_reports_the_same(tmp_path, monkeypatch, jobs):
    monkeypatch.setenv("TIPKG_JOBS", jobs)
    in_memory = pipeline.build(out_dir=tmp_path / "memory", cache=None).validation
    monkeypatch.setattr(validation, "IN_MEMORY_BYTES", 0)  # the bundled corpus validated as a large one is
    persistent = pipeline.build(out_dir=tmp_path / "disk", cache=None).validation
    assert BEFORE in persistent.timings and BEFORE not in in_memory.timings
    assert persistent.conforms and _report(persistent) == _report(in_memory)
    assert (tmp_path / "disk" / "graph.nt").read_bytes() == (tmp_path / "memory" / "graph.nt").read_bytes()

    monkeypatch.setattr(pipeline, "build_graph", _broken_graph_builder(break_orphan))
    with pytest.raises(ValidationFailed) as err:
        pipeline.build(out_dir=tmp_path / "broken", cache=None)
    assert BEFORE in err.value.report.timings
    monkeypatch.setattr(validation, "IN_MEMORY_BYTES", 128 << 20)
    with pytest.raises(ValidationFailed) as again:
        pipeline.build(out_dir=tmp_path / "broken", cache=None)
    assert BEFORE not in again.value.report.timings
    assert _report(err.value.report) == _report(again.value.report) and "tipsh:ParagraphParent" in str(err.value)
    assert not (tmp_path / "broken").exists()
