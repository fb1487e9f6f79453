"""The first page of a catalog query without a scan of the whole graph (issue 13).

`tipkg query NAME --param … --limit 20` must answer in ≤ 100 ms on a corpus
×100 (benchmarks/bench_first_page.py measures it). Here: the parameter check
names a node by lookups of one term (identifier, IRI, slug, exact label) and
lists every node of a kind only when those find nothing; and it still
resolves every node of the real build to itself, or says that a label is
shared.
"""

from __future__ import annotations

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
