"""The graph on the stores data teams run, each started for real (tests/stores_support.py):
OpenLink Virtuoso loaded by `tipkg publish` through its Graph Store endpoint and asked by
`tipkg query NAME --endpoint`, and Apache Jena's TDB2 loaded by its bulk loader and asked by
its command-line query tool. Every catalog query must give the same rows, in the same order,
as on the embedded store. A store that is not installed fails these tests (.ci/run installs
both from Debian)."""

from __future__ import annotations

from pathlib import Path

import pytest
import stores_support as stores

from tipkg.cli import main
from tipkg.commands.publish import DEFAULT_GRAPH
from tipkg.commands.query import render
from tipkg.graph.store import open_store
from tipkg.queries.catalog import bind, catalog
from tipkg.queries.sparql import results_from_json, run_local, run_remote

CATALOG = catalog()
#: spellings of the default phrase that search-arabic must fold to the same answer
VARIANTS = ("الإتجار بالاشخاص", "الاتّجار بالأشخاص", "الاتجـــار  بالأشخاص", "الاتجار بالأشخاصِ")
STALE = '<urn:tipkg:test:stale> <urn:tipkg:test:p> "from the first publish" .\n'


def require_stores() -> None:
    if stores.missing():
        pytest.fail(f"not installed: {', '.join(stores.missing())} (Debian; .ci/run installs them)", pytrace=False)


@pytest.fixture(scope="module")
def built(built_out) -> Path:
    return built_out  # the session build's folder (conftest): read only


@pytest.fixture(scope="module")
def local(built) -> dict[str, str]:
    """Every catalog query's answer on the embedded store, as `tipkg query --format json` prints it."""
    store = open_store(built)
    return {name: render(run_local(store, q.text, q.path), "json") for name, q in CATALOG.items()}


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- Virtuoso -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    require_stores()
    with stores.virtuoso(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


@pytest.fixture(scope="module")
def published(built, virtuoso, tmp_path_factory):
    """The graph published twice over a stale first version: the state a data team's store is in."""
    stale = tmp_path_factory.mktemp("stale")
    (stale / "graph.nt").write_text(STALE, encoding="utf-8")
    assert main(["publish", "--out", str(stale), "--store", virtuoso.graph_store, "--endpoint", virtuoso.sparql]) == 0
    for _ in range(2):
        assert main(["publish", "--out", str(built), "--store", virtuoso.graph_store, "--endpoint", virtuoso.sparql]) == 0
    return virtuoso


def test_virtuoso_publish_replaces_the_graph(built, published, capsys):
    code, out, err = cli(capsys, "publish", "--out", str(built), "--store", published.graph_store,
                         "--endpoint", published.sparql)
    triples = sum(1 for line in (built / "graph.nt").open("rb") if line.strip())
    assert code == 0 and f"checked: {triples} triples" in out, err
    stale = run_remote(published.sparql, "ASK { <urn:tipkg:test:stale> ?p ?o }", graph=DEFAULT_GRAPH)
    assert stale.boolean is False


def test_virtuoso_publish_answers_the_digest_challenge(built, published, capsys):
    """The authenticated endpoint the README names takes Digest only; a wrong password is one clear line."""
    code, out, err = cli(capsys, "publish", "--out", str(built), "--store", published.graph_store_auth,
                         "--user", "dba", "--password", "dba", "--endpoint", published.sparql)
    assert code == 0 and "checked:" in out, err
    code, out, err = cli(capsys, "publish", "--out", str(built), "--store", published.graph_store_auth,
                         "--user", "dba", "--password", "not-the-password")
    assert code != 0 and err.strip().count("\n") == 0 and "HTTP 401" in err and "'dba'" in err


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_virtuoso_answers_every_catalog_query_like_the_embedded_store(name, published, local, capsys):
    code, out, err = cli(capsys, "query", name, "--endpoint", published.sparql, "--graph", DEFAULT_GRAPH,
                         "--format", "json")
    assert code == 0, err
    assert out == local[name]


def test_a_header_comment_naming_an_update_keyword_stays_a_query(published):
    """SPARQLWrapper sent topic-year-counts as an UPDATE when its header said "load" (queries/sparql.query_form)."""
    text = "# Virtuoso came out in load order\n# at this address\n# and no other\nSELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    rows = run_remote(published.sparql, text, graph=DEFAULT_GRAPH).rows
    assert int(rows[0][0].value) > 30000


def test_virtuoso_folds_arabic_spellings_like_the_embedded_store(built, published):
    query = CATALOG["search-arabic"]
    store = open_store(built)
    plain = run_local(store, query.text).rows
    assert len(plain) == 284  # 280 before issue 13's reading order joined "الاتجـ ار" in 000/004 paragraphs
    for variant in VARIANTS:
        text = bind(query.text, {"phrase": variant}, path=query.path)
        assert run_remote(published.sparql, text, graph=DEFAULT_GRAPH).rows == plain, variant


# --- Jena -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def jena(built, tmp_path_factory) -> dict[str, str]:
    """Every catalog query answered by tdb2.tdbquery over a TDB2 database that tdb2.tdbloader loaded."""
    require_stores()
    folder = tmp_path_factory.mktemp("jena")
    classpath = stores.jena_classpath(folder)
    stores.tdb_load(classpath, folder / "tdb2", built / "graph.nt")

    def answer(name: str) -> str:
        return render(results_from_json(stores.tdb_query(classpath, folder / "tdb2", CATALOG[name].text)), "json")

    answers = {name: answer(name) for name in sorted(CATALOG)}  # one at a time: TDB2 locks its folder to one process
    variants = {v: results_from_json(stores.tdb_query(
        classpath, folder / "tdb2", bind(CATALOG["search-arabic"].text, {"phrase": v}))) for v in VARIANTS[:2]}
    return {**answers, **{f"search-arabic {v}": render(r, "json") for v, r in variants.items()}}


def test_jena_loaded_every_triple(built, jena, local):
    assert jena["documents-overview"] == local["documents-overview"]


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_jena_answers_every_catalog_query_like_the_embedded_store(name, jena, local):
    assert jena[name] == local[name]


def test_jena_folds_arabic_spellings_like_the_embedded_store(jena, local):
    for variant in VARIANTS[:2]:
        assert jena[f"search-arabic {variant}"] == local["search-arabic"], variant
