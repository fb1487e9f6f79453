"""The precomputed answers made in batches of a query's values and by two processes (queries/batches.py, shares.py).

* The batches of a query (``batches.toml``) give, together, exactly the rows of the whole query on the
  bundled corpus's store (each once; ×3 in test_precompute's x3 test): a batch that dropped a value, or
  gave a value twice, fails here. The writer's file made from many batches is the build's, and was made
  from the batches, not from the whole query run again.
* Batches whose groups are split (batched by a variable that does not decide the answer's rows) give two
  rows with the same keys: the writer notices and runs the whole query; the file is the build's.
* Two processes answer the queries, each taking the next as it finishes one: the files and ``index.json``
  are those of one process, byte for byte; with ``TIPKG_JOBS=1`` or ``jobs=1`` one process answers all.
"""

from __future__ import annotations

import filecmp
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from tipkg.queries import batches, precompute, precomputed, shares, streamed
from tipkg.queries.catalog import catalog
from tipkg.queries.ordering import unordered
from tipkg.ontology.namespace import PREFIXES
from tipkg.queries.sparql import run_local, with_prefixes


def whole_rows_in_batches(store, name: str, rows: int) -> list[str]:
    """Assert that the batches of ``name`` (``rows`` of the pattern each) give, together, exactly the whole
    query's rows, each value of the pattern in one batch; the batches' texts."""
    bare = unordered(precomputed.text_of(catalog()[name]))
    texts = batches.batched(store, name, bare, rows=rows)
    assert texts is not None and len(texts) > 1, name
    found = batches.entry(name)
    values = [re.search(rf"VALUES \?{found['variable']} \{{ (.*?) \}}", text)[1].split(" ") for text in texts]
    every = store.query(with_prefixes(f"SELECT DISTINCT ?{found['variable']} WHERE {{ {found['pattern']} }}",
                                      PREFIXES)[0])
    assert sorted(v for vs in values for v in vs) == sorted(str(row[0]) for row in every)  # each value once
    together = Counter(row for text in texts for row in run_local(store, text, name).rows)
    assert together == Counter(run_local(store, bare, name).rows), name
    return texts


@pytest.mark.parametrize("name", sorted(batches.table()["batch"]))
@pytest.mark.parametrize("rows", [1, 200])
def test_the_batches_together_are_the_whole_query(store, name, rows):
    whole_rows_in_batches(store, name, rows)


def test_an_entrys_own_rows_decide_its_batches(store, monkeypatch):
    """``rows`` in an entry of ``batches.toml`` overrides ``ROWS``: the Arabic search, whose batches each read
    every paragraph's text (×1000: 62.4 CPU s in three batches, 44.9 whole), runs whole up to a million
    paragraphs, while an entry without its own (the counts per topic and year) is batched by ``ROWS``."""
    assert batches.entry("search-arabic")["rows"] == 1_000_000
    monkeypatch.setattr(batches, "ROWS", 1)
    for name, split in (("search-arabic", False), ("topic-year-counts", True)):
        bare = unordered(precomputed.text_of(catalog()[name]))
        assert (batches.batched(store, name, bare) is not None) is split, name
    assert len(batches.batched(store, "search-arabic", unordered(precomputed.text_of(catalog()["search-arabic"])),
                               rows=200)) > 1


def _only(name: str) -> dict:
    return {name: catalog()[name]}


def test_the_answer_made_from_batches_is_the_builds(store, built_out, tmp_path, monkeypatch):
    fills = []
    fill = streamed.Run.fill
    monkeypatch.setattr(streamed.Run, "fill", lambda run, s, text, *a, **k: fills.append(text) or fill(run, s, text, *a, **k))
    monkeypatch.setattr(batches, "ROWS", 200)
    for entry in batches.table()["batch"].values():  # an entry's own rows too (the Arabic search's)
        if "rows" in entry:
            monkeypatch.setitem(entry, "rows", 200)
    for name in batches.table()["batch"]:
        fills.clear()
        folder = tmp_path / name
        outcome = precompute.write(store, folder, _only(name))[name]
        assert outcome.determined and len(fills) > 1 and all("VALUES ?" in text for text in fills), name
        for file in outcome.files:
            assert filecmp.cmp(folder / file, built_out / precomputed.FOLDER / file, shallow=False), name


def test_batches_that_split_a_group_are_noticed_and_the_whole_query_run(store, built_out, tmp_path, monkeypatch):
    """topic-year-counts batched by document: a topic's count of one year is split over the batches of its
    documents, and the rows of one (topic, year) come twice."""
    name = "topic-year-counts"
    wrong = {"batch": {name: {"variable": "doc", "pattern": "?p tip:inDocument ?doc", "why": "(wrong)"}}}
    monkeypatch.setattr(batches, "table", lambda: wrong)
    monkeypatch.setattr(batches, "ROWS", 50)
    fills = []
    fill = streamed.Run.fill
    monkeypatch.setattr(streamed.Run, "fill", lambda run, s, text, *a, **k: fills.append(text) or fill(run, s, text, *a, **k))
    outcome = precompute.write(store, tmp_path, _only(name))[name]
    assert sum("VALUES ?doc" in text for text in fills) > 1 and "VALUES ?doc" not in fills[-1]
    (file,) = outcome.files
    assert filecmp.cmp(tmp_path / file, built_out / precomputed.FOLDER / file, shallow=False)


def open_store_of(scratch: Path):
    from tipkg.graph.store import open_store

    return lambda: open_store(scratch)


def _pids(log: Path, run) -> set[int]:
    run()
    return {int(line) for line in log.read_text(encoding="utf-8").split()}


def test_two_processes_write_the_files_one_process_writes(built_out, tmp_path, monkeypatch):
    made = {}
    for jobs, env in ((2, None), (1, None), (None, "1")):
        scratch = tmp_path / f"out-{jobs}-{env}"
        scratch.mkdir()
        os.symlink(built_out / "store", scratch / "store")
        log = tmp_path / f"pids-{jobs}-{env}"
        answer = precompute._answer

        def logged(store, p, path, answer=answer, log=log):
            with open(log, "a", encoding="utf-8") as out:
                out.write(f"{os.getpid()}\n")
            return answer(store, p, path)

        with monkeypatch.context() as patch:
            if env is not None:
                patch.setenv("TIPKG_JOBS", env)
            patch.setattr(precompute, "_answer", logged)
            folder = scratch / precomputed.FOLDER
            pids = _pids(log, lambda: precompute.write(None, folder, catalog(), reopen=open_store_of(scratch),
                                                       jobs=jobs))
        made[jobs, env] = folder
        assert len(pids) == (2 if jobs == 2 else 1), (jobs, env)
        assert os.getpid() in pids  # the process called answers too
    names = sorted(os.listdir(built_out / precomputed.FOLDER))
    for folder in made.values():
        assert sorted(os.listdir(folder)) == names
        assert all(filecmp.cmp(folder / f, built_out / precomputed.FOLDER / f, shallow=False) for f in names)


def test_the_most_costly_queries_are_taken_first():
    cost = batches.table()["cost"]
    order = shares.order(list(catalog()))
    listed = [name for name in order if name in cost]
    assert listed == sorted(cost, key=lambda name: -cost[name]) and set(order) == set(catalog())
    assert order[len(listed):] == [name for name in catalog() if name not in cost]
