"""The precomputed answers written as the rows come (queries/streamed.py), on the bundled corpus's store.

* Past the budget the rows go to disk in sorted runs and are merged: with a
  budget of a few thousand characters (every answer in many runs, a tiny cache
  of terms, tiny blocks) ``precomputed/`` is byte for byte the build's.
* Each planned answer streamed is the live answer's file, in the store's order;
  rows that tie on every key, keys ordered only by the store (two languages),
  and a query of every topic whose order ties within each topic are the store's
  order, streamed, and said not determined.
"""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest

from tipkg.queries import precompute, precomputed, streamed
from tipkg.queries.catalog import Query, catalog
from tipkg.queries.ordering import order_keys, unordered
from tipkg.queries.precompute import _projected, plan, sorted_run
from tipkg.queries.sparql import run_local

TIP = "https://w3id.org/tipkg/ontology#"
DCT = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"


@pytest.fixture(scope="module")
def store(built_out):
    from tipkg.graph.store import open_store
    return open_store(built_out)


@pytest.fixture
def tiny(monkeypatch):
    """A budget of a few rows, a cache of a few terms, blocks of a few lines: everything spilled and merged."""
    monkeypatch.setattr(streamed, "BUDGET", 2000)
    monkeypatch.setattr(streamed, "CACHE", 5)
    monkeypatch.setattr(streamed, "BLOCK", 300)
    spills = []
    spill = streamed.Run._spill
    monkeypatch.setattr(streamed.Run, "_spill", lambda run: spills.append(1) or spill(run))
    return spills


def _live(folder: Path, name: str, text: str, store, search: bool = False) -> list[str]:
    """The files of ``text``'s live answer (the store's order), written whole as before streaming."""
    results = run_local(store, text)
    if search:
        return precomputed.write_text_view(folder, name, text, results)
    return [precomputed.write_answer(folder, name, text, results)]


def test_answers_spilled_in_many_runs_are_the_builds_bytes(built_out, store, tmp_path, tiny):
    folder = tmp_path / "precomputed"
    precompute.write(store, folder, catalog())
    made, built = sorted(p.name for p in folder.iterdir()), sorted(p.name for p in (built_out / "precomputed").iterdir())
    assert made == built and len(made) > 100
    assert all(filecmp.cmp(folder / f, built_out / "precomputed" / f, shallow=False) for f in made)
    assert len(tiny) > 100  # (spilled: the merge made the files)


def _whole_texts():
    return [(name, text) for name, q in catalog().items() if (p := plan(q)) is not None and p.kind != "every"
            for text in p.texts]


@pytest.mark.parametrize("name,text", _whole_texts(), ids=lambda v: v if "\n" not in str(v) else "")
def test_each_answer_streamed_is_the_live_answers_file(store, tmp_path, tiny, name, text):
    search = name in precomputed.TEXT_SEARCH
    (tmp_path / "live").mkdir()
    (tmp_path / "streamed").mkdir()
    live = _live(tmp_path / "live", name, text, store, search)
    made, determined = streamed.write_whole(store, tmp_path / "streamed", name, text,
                                            order_keys(text, _projected(text)), unordered(text), "q", search)
    assert made == live
    assert all(filecmp.cmp(tmp_path / "live" / f, tmp_path / "streamed" / f, shallow=False) for f in made)
    assert determined == sorted_run(store, text)[1]
    assert [p.name for p in (tmp_path / "streamed").iterdir() if p.name.startswith(".")] == []  # runs removed


@pytest.mark.parametrize("text", [
    # many paragraphs per document: their order is the store's choice
    f"PREFIX tip: <{TIP}> PREFIX dcterms: <{DCT}>\nSELECT ?document ?paragraph WHERE {{\n"
    "  ?p tip:inDocument ?d . ?d dcterms:identifier ?document . ?p dcterms:identifier ?paragraph }\nORDER BY ?document\n",
    # @en and @ar labels in one key: not ordered by value by the store, nor here
    f"PREFIX skos: <{SKOS}>\nSELECT ?label WHERE {{ ?c a skos:Concept ; skos:prefLabel ?label }}\nORDER BY ?label\n",
    # a descending count, ties broken by the document
    f"PREFIX tip: <{TIP}> PREFIX dcterms: <{DCT}>\nSELECT ?document (COUNT(?p) AS ?n) WHERE {{\n"
    "  ?p tip:inDocument ?d . ?d dcterms:identifier ?document }\nGROUP BY ?document ORDER BY DESC(?n) ?document\n",
], ids=["tied", "two-languages", "descending"])
def test_an_order_left_to_the_store_is_streamed_in_its_order(store, tmp_path, tiny, text):
    (tmp_path / "live").mkdir()
    (tmp_path / "streamed").mkdir()
    (live,) = _live(tmp_path / "live", "q", text, store)
    (made,), determined = streamed.write_whole(store, tmp_path / "streamed", "q", text,
                                               order_keys(text, _projected(text)), unordered(text), "q")
    assert made == live and filecmp.cmp(tmp_path / "live" / live, tmp_path / "streamed" / made, shallow=False)
    assert determined == ("DESC" in text)
    assert json.loads((tmp_path / "streamed" / made).read_text(encoding="utf-8").split("\n", 1)[0])["rows"] > 5


def test_a_query_of_every_topic_tied_within_each_is_the_stores_order(built_out, store, tmp_path, tiny, monkeypatch):
    """Paragraphs of a topic ordered by their document alone: within a topic, rows tie; each topic's file
    is its own query's live answer, and the query's order is not determined."""
    q = Query("by-document", "queries/by-document.rq", f"""PREFIX tip: <{TIP}>
PREFIX dcterms: <{DCT}>
SELECT ?document ?paragraph WHERE {{
  VALUES ?topic {{ "topic:victims" }}
  ?t dcterms:identifier ?topic . ?p tip:indexedUnder ?t ; dcterms:identifier ?paragraph ; tip:inDocument ?d .
  ?d dcterms:identifier ?document .
}}
ORDER BY ?document
""")
    monkeypatch.setattr(precomputed, "catalog", lambda: {q.name: q})
    (tmp_path / "store").symlink_to(built_out / "store")
    folder = tmp_path / precomputed.FOLDER
    precomputed.write_precomputed(None, folder)
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))["queries"][q.name]
    assert index["determined"] is False and len(index["files"]) >= 20
    for topic in precompute._kind_values(store, "topic"):
        text = precomputed.text_of(q, {"topic": topic})
        live = run_local(store, text).rows
        found = precomputed.lookup(tmp_path, text)
        assert (found.rows if found is not None else ()) == live, topic


@pytest.mark.parametrize("growth, opens", [(-1, "every query"), (1 << 40, "once")])
def test_the_store_opened_again_as_the_writer_grows_gives_the_builds_bytes(built_out, tmp_path, monkeypatch,
                                                                           growth, opens):
    """``write(None, reopen=, jobs=1)``: the writer (one process: two would count their openings apart) opens
    the store, and lets go of it and opens it again before a query once its process has grown by
    REOPEN_GROWTH (-1: before every query; a terabyte: never again); the files are the build's either way,
    byte for byte."""
    from tipkg.graph.store import open_store

    opened = []
    monkeypatch.setattr(precompute, "REOPEN_GROWTH", growth)
    folder = tmp_path / "precomputed"
    precompute.write(None, folder, catalog(), reopen=lambda: opened.append(1) or open_store(built_out), jobs=1)
    planned = sum(plan(q) is not None for q in catalog().values())
    assert len(opened) == (planned if opens == "every query" else 1) and planned > 5
    made, built = sorted(p.name for p in folder.iterdir()), sorted(p.name for p in (built_out / "precomputed").iterdir())
    assert made == built
    assert all(filecmp.cmp(folder / f, built_out / "precomputed" / f, shallow=False) for f in made)
