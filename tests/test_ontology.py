"""The ontology file and the TIP namespace stay in step, every term is
documented in English and Arabic, and every term the built graph uses is
declared; the committed HTML documentation is the one the generator writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from tipkg.ontology.doc import render_html
from tipkg.ontology.files import ONTOLOGY_HTML, ONTOLOGY_TTL, load_ontology
from tipkg.ontology.namespace import ONTOLOGY_IRI, ONTOLOGY_VERSION, TIP

NS = str(TIP._NS)
ELI = "http://data.europa.eu/eli/ontology#"


@pytest.fixture(scope="module")
def onto() -> Graph:
    return load_ontology()


def tip_terms(graph: Graph) -> set[str]:
    return {str(s)[len(NS):] for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(NS)}


def test_every_namespace_term_is_declared_and_nothing_else(onto):
    assert tip_terms(onto) == set(TIP.__annotations__)
    for name in TIP.__annotations__:
        types = set(onto.objects(TIP[name], RDF.type))
        assert types & {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}, name


def test_classes_and_properties_are_named_like_classes_and_properties(onto):
    for name in TIP.__annotations__:
        is_class = (TIP[name], RDF.type, OWL.Class) in onto
        assert is_class == name[0].isupper(), name


@pytest.mark.parametrize("name", sorted(TIP.__annotations__))
def test_term_has_english_and_arabic_label_and_definition(onto, name):
    term = TIP[name]
    for prop in (RDFS.label, SKOS.definition):
        langs = {o.language for o in onto.objects(term, prop) if isinstance(o, Literal)}
        assert {"en", "ar"} <= langs, (name, prop)
        arabic = [str(o) for o in onto.objects(term, prop) if isinstance(o, Literal) and o.language == "ar"]
        assert all(any("\u0600" <= ch <= "\u06ff" for ch in text) for text in arabic), (name, arabic)


def test_versioned_ontology_iri(onto):
    ontology = URIRef(ONTOLOGY_IRI)
    assert (ontology, RDF.type, OWL.Ontology) in onto
    assert onto.value(ontology, OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/{ONTOLOGY_VERSION}")
    assert str(onto.value(ontology, OWL.versionInfo)) == ONTOLOGY_VERSION


@pytest.mark.parametrize("term, parent, how", [
    ("GAResolution", "http://data.europa.eu/eli/ontology#Work", RDFS.subClassOf),
    ("COPDecision", "http://data.europa.eu/eli/ontology#Work", RDFS.subClassOf),
    ("Instrument", ELI + "LegalResource", RDFS.subClassOf),
    ("Paragraph", ELI + "LegalResourceSubdivision", RDFS.subClassOf),
    ("Article", ELI + "LegalResourceSubdivision", RDFS.subClassOf),
    ("Citation", "http://purl.org/spar/cito/Citation", RDFS.subClassOf),
    ("Topic", str(SKOS.Concept), RDFS.subClassOf),
    ("recalls", ELI + "cites", RDFS.subPropertyOf),
    ("citesArticle", ELI + "cites", RDFS.subPropertyOf),
    ("recalls", "http://purl.org/spar/cito/cites", RDFS.subPropertyOf),
    ("indexedUnder", ELI + "is_about", RDFS.subPropertyOf),
    ("indexedUnder", "http://purl.org/dc/terms/subject", RDFS.subPropertyOf),
    ("requests", str(TIP.addressedTo), RDFS.subPropertyOf),
])
def test_alignment_by_subclass_and_subproperty(onto, term, parent, how):
    """Transitively: GAResolution is an eli:Work through tip:Document."""
    assert URIRef(parent) in set(onto.transitive_objects(TIP[term], how))


def test_adopted_as_is_the_inverse_of_eli_dl_adopts(onto):
    (parent,) = onto.objects(TIP.adoptedAs, RDFS.subPropertyOf)
    assert onto.value(parent, OWL.inverseOf) == URIRef("http://data.europa.eu/eli/eli-draft-legislation-ontology#adopts")


def test_no_twins(onto):
    """Aligned by sub-class/sub-property, never by equivalence."""
    assert not list(onto.triples((None, OWL.equivalentClass, None)))
    assert not list(onto.triples((None, OWL.equivalentProperty, None)))


def test_our_own_terms_say_why(onto):
    """A tip term with no parent outside tip: is ours; the core ones carry a comment saying so."""
    for name in ("recalls", "requests", "PreambularParagraph", "OperativeParagraph", "verb", "numberingOffset"):
        comments = " ".join(str(c) for c in onto.objects(TIP[name], RDFS.comment))
        assert "Ours" in comments, name


def declared(onto: Graph) -> set[URIRef]:
    return {s for s in onto.subjects(RDF.type, None) if isinstance(s, URIRef)}


def test_every_class_and_property_of_a_built_graph_is_declared(onto, lod_graph):
    terms = declared(onto)
    used_props = set(lod_graph.predicates()) - {RDF.type}
    used_classes = set(lod_graph.objects(None, RDF.type))
    assert used_props - terms == set()
    assert used_classes - terms == set()


def test_committed_html_documentation_is_current(onto):
    assert Path(ONTOLOGY_HTML).read_text(encoding="utf-8") == render_html(onto), \
        "ontology/tipkg.html is stale: run `tipkg ontology-doc`"


def test_html_documentation_lays_out_arabic_right_to_left(onto):
    html = render_html(onto)
    assert '<span lang="ar" dir="rtl">يستذكر</span>' in html
    assert 'id="recalls"' in html and "<script" not in html
    assert Path(ONTOLOGY_TTL).name == "tipkg.ttl"
