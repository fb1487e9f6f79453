"""The first page of a catalog query without a scan of the whole graph (issue 13).

`tipkg query NAME --param … --limit 20` must answer in ≤ 100 ms on a corpus
×100 (benchmarks/bench_first_page.py measures it). Here: the parameter check
names a node by lookups of one term (identifier, IRI, slug, exact label) and
lists every node of a kind only when those find nothing; and it still
resolves every node of the real build to itself, or says that a label is
shared.
"""

from __future__ import annotations

import json

import pyoxigraph
import pytest

from tipkg.errors import TipkgError
from tipkg.queries import params
from tipkg.queries.sparql import run_local


class Recorder:
    """Runs SPARQL on a real store and keeps the texts it was asked."""

    def __init__(self, store):
        self.store, self.asked = store, []

    def __call__(self, text, path="query"):
        self.asked.append(text)
        return run_local(self.store, text, path)

    def listed_every_node(self) -> bool:
        # params.nodes: every node of a kind with OPTIONAL labels, or every citation's relation
        return any("OPTIONAL" in q or "SELECT DISTINCT ?r" in q for q in self.asked)


@pytest.mark.parametrize("name, value, identifier", [
    ("actor", "United Nations Office on Drugs and Crime", "actor:unodc"),   # English label
    ("actor", "الأمانة", "actor:secretariat"),                                # Arabic label
    ("actor", "UNODC", "actor:unodc"),                                        # the slug
    ("topic", "Children", "topic:children"),
    ("document", "https://w3id.org/tipkg/id/A/RES/61/180", "A/RES/61/180"),  # the IRI
    ("document", "A/RES/61/180", "A/RES/61/180"),                            # the identifier
    ("recommendation", "TIP-WG 1 rec 5", "TIP-WG 1 rec 5"),
    ("relation", "citesArticle", "citesArticle"),
    ("relation", "tip:recalls", "recalls"),
])
def test_a_value_named_exactly_is_looked_up_not_listed(store, name, value, identifier):
    run = Recorder(store)
    assert params.resolve(run, name, value) == identifier
    assert not run.listed_every_node(), run.asked


def test_a_misspelt_value_still_gets_the_closest_from_the_list(store):
    run = Recorder(store)
    with pytest.raises(TipkgError, match="closest: actor:unodc"):
        params.resolve(run, "actor", "actor:unodcc")
    assert run.listed_every_node()


@pytest.mark.parametrize("kind", ["actor", "topic", "document", "instrument", "mandate"])
def test_every_node_is_found_by_its_iri_and_labels(store, kind):
    """The lookups agree with the list: each node of the build, named by its IRI or any of
    its labels, resolves to itself, or (a label two nodes share) to an error naming it."""
    nodes = params.nodes(lambda q, path="query": run_local(store, q, path), kind)
    assert nodes
    for node in nodes:
        run = Recorder(store)
        assert params.resolve(run, kind, node.iri) == node.identifier
        for label in node.labels:
            try:
                assert params.resolve(run, kind, label) == node.identifier, label
            except TipkgError as exc:
                assert "names" in str(exc) and node.identifier in str(exc), (label, str(exc))
        assert not run.listed_every_node(), node


def test_a_label_two_nodes_share_is_ambiguous_without_a_scan():
    store = pyoxigraph.Store()
    tip, dct = "https://w3id.org/tipkg/ontology#", "http://purl.org/dc/terms/"
    rdfs = "http://www.w3.org/2000/01/rdf-schema#"
    for ident in ("actor:bureau-a", "actor:bureau-b"):
        node = pyoxigraph.NamedNode("https://w3id.org/tipkg/id/" + ident.replace(":", "/"))
        store.add(pyoxigraph.Quad(node, pyoxigraph.NamedNode(dct + "identifier"), pyoxigraph.Literal(ident)))
        store.add(pyoxigraph.Quad(node, pyoxigraph.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                  pyoxigraph.NamedNode(tip + "Actor")))
        store.add(pyoxigraph.Quad(node, pyoxigraph.NamedNode(rdfs + "label"),
                                  pyoxigraph.Literal("Bureau", language="en")))
    run = Recorder(store)
    with pytest.raises(TipkgError, match=r"'Bureau' names 2 actors: actor:bureau-a, actor:bureau-b"):
        params.resolve(run, "actor", "Bureau")
    assert not run.listed_every_node()


# --- whole-graph answers precomputed by the build (queries/precomputed.py) --------------------------

def test_the_build_precomputes_each_whole_graph_query_and_the_page_is_the_live_page(built_out, store, capsys):
    from tipkg.commands.query import answer
    from tipkg.queries import precomputed
    from tipkg.queries.catalog import catalog

    ask = lambda text, path="query": run_local(store, text, path)  # noqa: E731
    whole = {name: q for name, q in catalog().items() if precomputed.whole_graph(q)}
    assert {"topic-year-counts", "topics-together", "documents-overview"} <= set(whole)
    assert not {"topic-paragraphs", "requests-to-actor", "search-arabic"} & set(whole)  # a node parameter: live
    heads = [json.loads(f.read_text(encoding="utf-8").splitlines()[0])
             for f in (built_out / precomputed.FOLDER).glob("*.jsonl")]
    assert sorted(h["query"] for h in heads if h["query"] in whole) == sorted(whole)
    for name, q in whole.items():
        text = precomputed.text_of(q)
        live = run_local(store, text, q.path).rows
        assert live and precomputed.lookup(built_out, text).rows == live, name
        for limit, offset in ((3, 0), (4, 2), (5, len(live) - 2)):
            rows, more = answer(ask, q, {}, limit, offset, str(built_out))
            assert rows.rows == live[offset:offset + limit], (name, limit, offset)
            assert more == (offset + limit < len(live)), (name, limit, offset)


def test_another_parameter_value_or_text_runs_live(built_out, store, capsys):
    from tipkg.cli import main
    from tipkg.queries import precomputed
    from tipkg.queries.catalog import catalog

    q = catalog()["topics-together"]
    assert precomputed.lookup(built_out, precomputed.text_of(q, {"minimum": "2"})) is not None  # the default
    assert precomputed.lookup(built_out, precomputed.text_of(q, {"minimum": "17"})) is None
    assert precomputed.lookup(built_out, precomputed.text_of(q) + " ") is None
    assert main(["query", "topics-together", "--param", "minimum=17", "--format", "csv", "--out", str(built_out)]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    live = run_local(store, precomputed.text_of(q, {"minimum": "17"})).rows
    assert len(rows) == len(live) == 2 and all(int(r.rsplit(",", 1)[1]) >= 17 for r in rows)


def _every_value_queries():
    from tipkg.queries import precomputed
    from tipkg.queries.catalog import catalog
    return sorted(name for name, q in catalog().items() if precomputed.every_value(q))


def test_the_queries_of_one_actor_or_topic_are_these():
    assert {"requests-to-actor", "open-mandates-by-addressee", "topic-paragraphs"} <= set(_every_value_queries())


@pytest.mark.parametrize("name", _every_value_queries())
def test_a_query_of_one_actor_or_topic_is_precomputed_for_each_and_equals_the_live_answer(built_out, store, name):
    from tipkg.queries import precomputed
    from tipkg.queries.catalog import catalog

    q = catalog()[name]
    parameter = precomputed.every_value(q)
    ask = lambda text, path="query": run_local(store, text, path)  # noqa: E731
    answered = 0
    for node in params.nodes(ask, params.KINDS[parameter]):
        text = precomputed.text_of(q, {parameter: node.identifier})
        live = run_local(store, text, q.path).rows
        found = precomputed.lookup(built_out, text)
        if found is None:  # only a value nothing answers for is left to run live
            assert live == (), (name, node.identifier)
        else:
            assert found.rows == live, (name, node.identifier)
            answered += 1
    assert answered >= 5, name


@pytest.mark.parametrize("phrase", [None, "الاتجار بالأشخاص", "الاتجار  بالاشخاص", "الإتجار", "وإذ تشير إلى قرار",
                                    "ة", "تـشير", "الضحايا", "zzz", 'a"b\\c'])
def test_a_phrase_is_searched_in_the_kept_rows_like_the_live_query(built_out, store, phrase):
    """Spelling variants, tatweel, a letter, a miss, JSON-escaped characters: the whole answer
    and its pages are the live query's, read from the rows the build kept."""
    from tipkg.commands.query import answer
    from tipkg.queries import precomputed
    from tipkg.queries.catalog import catalog

    q = catalog()["search-arabic"]
    ask = lambda text, path="query": run_local(store, text, path)  # noqa: E731
    given = {} if phrase is None else {"phrase": phrase}
    live = run_local(store, precomputed.text_of(q, given), q.path).rows
    kept = precomputed.search(built_out, ask, q, given)
    assert kept is not None and kept.rows == live
    for limit, offset in ((5, 0), (3, 4), (20, max(len(live) - 3, 0))):
        page, more = answer(ask, q, given, limit, offset, str(built_out))
        assert page.rows == live[offset:offset + limit] and more == (offset + limit < len(live))


def test_a_query_whose_split_is_not_its_answer_stays_live(built_out, store, tmp_path, monkeypatch):
    """The free-parameter run assumes each value's rows are its answer. A LIMIT cuts the rows of all
    values at once (here: all of the first topic's and one of the second's), an aggregate's free form
    does not parse: the build compares the split with the live answer of the default value (and
    survives the error) and keeps such a query live."""
    from tipkg.queries import precomputed
    from tipkg.queries.catalog import Query

    body = """PREFIX tip: <https://w3id.org/tipkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT {select} WHERE {{
  VALUES ?topic {{ "{topic}" }}
  ?t dcterms:identifier ?topic . ?p tip:indexedUnder ?t ; dcterms:identifier ?paragraph .
}}
{tail}
"""
    counts = run_local(store, "SELECT ?topic (COUNT(?p) AS ?n) WHERE { ?p <https://w3id.org/tipkg/ontology#indexedUnder> ?t . "
                              "?t <http://purl.org/dc/terms/identifier> ?topic } GROUP BY ?topic ORDER BY ?topic").rows
    (first, n1), (second, n2) = [(t.value, int(n.value)) for t, n in counts[:2]]
    assert n2 >= 2
    limited = Query("limited", "queries/limited.rq",
                    body.format(select="?paragraph", topic=second, tail=f"ORDER BY ?paragraph LIMIT {n1 + 1}"))
    counted = Query("counted", "queries/counted.rq", body.format(select="(COUNT(?p) AS ?n)", topic=second, tail=""))
    whole = Query("whole", "queries/whole.rq", body.format(select="?paragraph", topic=second, tail="ORDER BY ?paragraph"))
    monkeypatch.setattr(precomputed, "catalog", lambda: {"limited": limited, "counted": counted, "whole": whole})
    (tmp_path / "store").symlink_to(built_out / "store")
    precomputed.write_precomputed(None, tmp_path / precomputed.FOLDER)
    assert {precomputed.every_value(q) for q in (limited, counted, whole)} == {"topic"}
    assert precomputed.lookup(tmp_path, precomputed.text_of(limited)) is None   # cut across values: live
    assert precomputed.lookup(tmp_path, precomputed.text_of(counted)) is None   # does not split: live
    assert precomputed.lookup(tmp_path, precomputed.text_of(whole)) is not None  # the control
