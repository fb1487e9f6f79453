"""The SHACL shapes: the built corpus conforms, and each deliberately broken
graph is reported — by the shape meant to catch it, on the node that is wrong.
The sparql engine (the shapes compiled to SPARQL, run in pyoxigraph) and plain
pyshacl agree on (shape, node, component, path) for a broken graph of every
constraint component the shapes use."""

from __future__ import annotations


import pytest
from lod_support import add_sample_edges, node
from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from tipkg.ontology.namespace import ELI
from tipkg.graph.uris import mint
from tipkg.ontology.namespace import TIP
from tipkg.shapes.validate import SH, UnsupportedShape, load_shapes, store_of, validate


def test_corpus_recommendations_carry_report_notations_and_offsets(corpus_graph):
    """The numbering cross-check has something to check on the real corpus."""
    assert len(set(corpus_graph.subject_objects(SKOS.notation))) > 100
    assert corpus_graph.value(mint("CTOC/COP/WG.4/2009/2"), TIP.numberingOffset) == Literal(1)
    assert corpus_graph.value(mint("TIP-WG 1 rec 1"), SKOS.notation) == Literal("CTOC/COP/WG.4/2009/2 para 2")


def test_one_english_rdfs_label_per_node_on_the_corpus(corpus_graph):
    """Issue 13: twelve nodes carried two English rdfs:labels; the second name is now an altLabel."""
    from collections import Counter
    english = Counter(s for s, o in corpus_graph.subject_objects(RDFS_LABEL) if getattr(o, "language", None) == "en")
    assert [s for s, n in english.items() if n > 1] == []
    assert corpus_graph.value(mint("TIPP art 9"), RDFS_LABEL) == Literal("TIPP article 9: Prevention of trafficking in persons", lang="en")
    assert Literal("General Assembly resolution 61/180", lang="en") in set(corpus_graph.objects(mint("A/RES/61/180"), SKOS.altLabel))


def test_built_corpus_conforms(corpus_graph, build_result):
    report = validate(corpus_graph)
    assert report.conforms, report.text()
    assert build_result.validation.conforms and build_result.validation.triples == report.triples


def test_sample_edges_conform(lod_graph):
    report = validate(lod_graph)
    assert report.conforms, report.text()


def small() -> Graph:
    """A small conforming graph: a resolution, a preambular and an operative paragraph, the sample edges' targets."""
    g = Graph()
    doc = node(g, "CTOC/COP/DEC/3/3", TIP.COPDecision, labels={"en": "decision 3/3"})
    node(g, "A/RES/55/25", TIP.GAResolution, labels={"en": "resolution 55/25"})
    for ident, cls, n in (("CTOC/COP/DEC/3/3 pp 1", TIP.PreambularParagraph, "1"),
                          ("CTOC/COP/DEC/3/3 para a", TIP.OperativeParagraph, "a")):
        p = node(g, ident, cls, labels={"en": ident})
        g.add((p, ELI.is_part_of, doc))
        g.add((p, TIP.inDocument, doc))
        g.add((p, ELI.id_local, Literal(n)))
        g.add((p, TIP.gist, Literal(f"decision 3/3, paragraph {n} — recalls …", lang="en")))
    node(g, "TIPP", TIP.Instrument, labels={"en": "Trafficking in Persons Protocol", "ar": "بروتوكول الاتجار بالأشخاص"})
    node(g, "source:002_62009398838004c9.txt", TIP.SourceText)
    g.add((mint("source:002_62009398838004c9.txt"), TIP.sha256, Literal("0" * 64)))
    report = node(g, "CTOC/COP/WG.4/2009/2", TIP.WorkingGroupReport, labels={"en": "report"})
    meeting = node(g, "TIP-WG 1", TIP.Meeting, labels={"en": "meeting 1"})
    g.add((meeting, TIP.meetingNumber, Literal(1)))
    g.add((report, TIP.meeting, meeting))
    rec = node(g, "TIP-WG 1 rec 5", TIP.Recommendation, labels={"en": "TIP-WG 1 rec 5"})
    g.add((rec, ELI.is_part_of, report))
    g.add((rec, TIP.inDocument, report))
    g.add((rec, TIP.gist, Literal("meeting 1, recommendation 5 — States parties should …", lang="en")))
    return add_sample_edges(g)


def results(g: Graph, engine: str = "sparql") -> set[tuple[str, str]]:
    return {(r.shape, r.identifier or r.focus) for r in validate(g, engine=engine).results}


def detailed(g, engine: str = "sparql", shapes: Graph | None = None) -> set[tuple]:
    return {(r.shape, r.identifier or r.focus, r.component, r.path) for r in validate(g, shapes, engine=engine).results}


def test_small_graph_conforms():
    report = validate(small())
    assert report.conforms, report.text()


def break_missing_identifier(g):
    g.remove((mint("CTOC/COP/DEC/3/3 pp 1"), DCTERMS.identifier, None))


def break_citation_to_topic(g):
    g.add((mint("CTOC/COP/DEC/3/3 para a"), TIP.citesArticle, mint("topic:victims")))


def break_duplicate_identifier(g):
    g.add((mint("CTOC/COP/DEC/3/3 para a"), DCTERMS.identifier, Literal("CTOC/COP/DEC/3/3 pp 1")))
    g.remove((mint("CTOC/COP/DEC/3/3 para a"), DCTERMS.identifier, Literal("CTOC/COP/DEC/3/3 para a")))


def break_orphan(g):
    g.remove((mint("CTOC/COP/DEC/3/3 para a"), ELI.is_part_of, None))


def break_offset(g):
    g.set((mint("CTOC/COP/WG.4/2009/2"), TIP.numberingOffset, Literal(2)))


def break_operative_recalls(g):
    """A preambular clause (وإذ يستذكر) in an operative paragraph."""
    g.add((mint("CTOC/COP/DEC/3/3 para a"), TIP.normalizedText, Literal("وإذ يستذكر قرار الجمعية العامة 55/25", lang="ar")))
    g.add((mint("CTOC/COP/DEC/3/3 para a"), TIP.recalls, mint("A/RES/55/25")))


def test_past_tense_recalling_in_a_lettered_operative_paragraph_conforms():
    """COP decisions 1/5–4/4: '(b) استذكر …' is operative by the spec, and may recall."""
    g = small()
    g.add((mint("CTOC/COP/DEC/3/3 para a"), TIP.normalizedText, Literal("استذكر قرار الجمعية العامة 55/25", lang="ar")))
    g.add((mint("CTOC/COP/DEC/3/3 para a"), TIP.recalls, mint("A/RES/55/25")))
    assert validate(g).conforms


def break_request_to_document(g):
    g.add((mint("CTOC/COP/DEC/3/3 para a"), TIP.requests, mint("A/RES/55/25")))


def break_indexed_under_article(g):
    g.add((mint("TIP-WG 1 rec 5"), TIP.indexedUnder, mint("TIPP art 9")))


def break_identifier_grammar(g):
    g.set((mint("CTOC/COP/DEC/3/3 pp 1"), DCTERMS.identifier, Literal("CTOC/COP/DEC/3/3  pp ١")))


def break_untagged_label(g):
    g.add((mint("TIPP"), SKOS.prefLabel, Literal("TIPP")))


def break_date_type(g):
    g.add((mint("CTOC/COP/DEC/3/3"), ELI.date_document, Literal("2006-10-18")))


def break_year_date_allowed_only_as_issued(g):
    g.add((mint("CTOC/COP/DEC/3/3"), ELI.date_document, Literal("2006", datatype=XSD.gYear)))


def break_citation_without_its_edge(g):
    g.remove((mint("CTOC/COP/DEC/3/3 para a"), TIP.requests, mint("actor:secretariat")))


def break_citation_from_a_topic(g):
    g.set((mint("edge:0000000000000004"), URIRef("http://purl.org/spar/cito/hasCitingEntity"), mint("topic:victims")))


def break_echo_paragraph_to_source(g):
    g.add((mint("CTOC/COP/DEC/3/3 para a"), TIP.echoes, mint("source:002_62009398838004c9.txt")))


def break_parent_not_in_graph(g):
    """eli:is_part_of names a node the graph does not have (no identifier): tipsh:Exists, through sh:node."""
    g.set((mint("CTOC/COP/DEC/3/3 para a"), ELI.is_part_of, mint("CTOC/COP/DEC/9/9")))


def break_topic_in_a_document(g):
    """A topic indexed under is in a 'scheme' that is a document: tipsh:InIndexScheme's sh:class, through sh:node."""
    g.set((mint("topic:victims"), SKOS.inScheme, mint("A/RES/55/25")))


def break_in_document_shortcut(g):
    """tip:inDocument names a document the paragraph is not part of."""
    g.set((mint("CTOC/COP/DEC/3/3 para a"), TIP.inDocument, mint("CTOC/COP/WG.4/2009/2")))


def break_missing_in_document(g):
    g.remove((mint("CTOC/COP/DEC/3/3 pp 1"), TIP.inDocument, None))


def break_two_parents(g):
    g.add((mint("CTOC/COP/DEC/3/3 para a"), ELI.is_part_of, mint("A/RES/55/25")))


def break_part_not_extending_parent(g):
    """A paragraph's identifier names another document than the one it is part of."""
    g.set((mint("CTOC/COP/DEC/3/3 para a"), DCTERMS.identifier, Literal("CTOC/COP/DEC/3/33 para a")))


def break_citing_entity_literal(g):
    g.set((mint("edge:0000000000000003"), URIRef("http://purl.org/spar/cito/hasCitingEntity"), Literal("para a")))


MENTIONS = URIRef("http://example.org/mentions")


def break_citation_relation(g):
    """A citation describing an edge that is asserted, by a relation that is not one of tipkg's."""
    g.add((mint("CTOC/COP/DEC/3/3 para a"), MENTIONS, mint("actor:secretariat")))
    g.set((mint("edge:0000000000000003"), RDF.predicate, MENTIONS))


def break_text_language(g):
    g.add((mint("CTOC/COP/DEC/3/3 para a"), TIP.text, Literal("the text", lang="en")))


def break_two_english_labels(g):
    g.add((mint("TIPP"), SKOS.prefLabel, Literal("Palermo Protocol", lang="en")))


def break_two_english_rdfs_labels(g):
    """Issue 13: TIPP art 9 carried "TIPP art 9" and "TIPP article 9: …" as two English rdfs:labels."""
    g.add((mint("TIPP"), RDFS_LABEL, Literal("TIPP", lang="en")))
    g.add((mint("TIPP"), RDFS_LABEL, Literal("Palermo Protocol", lang="en")))


def break_no_arabic_label(g):
    g.remove((mint("actor:secretariat"), SKOS.prefLabel, Literal("الأمانة", lang="ar")))


def break_meeting_number_zero(g):
    g.set((mint("TIP-WG 1"), TIP.meetingNumber, Literal(0)))


def text_reuse(g, predicate=TIP.echoes, score="0.9"):
    """A reified echo between the two paragraphs (as network/reuse.py writes one)."""
    r = mint("reuse:0001")
    g.add((r, RDF.type, TIP.TextReuse))
    g.add((r, RDF.subject, mint("CTOC/COP/DEC/3/3 para a")))
    g.add((r, RDF.predicate, predicate))
    g.add((r, RDF.object, mint("CTOC/COP/DEC/3/3 pp 1")))
    g.add((r, TIP.score, Literal(score, datatype=XSD.decimal)))
    return r


def break_reuse_predicate(g):
    text_reuse(g, predicate=TIP.recalls)


def break_reuse_score(g):
    text_reuse(g, score="1.5")


def break_span_grammar(g):
    """A paragraph becomes a focus node of tipsh:Provenance (sh:targetSubjectsOf tip:sourceSpan)."""
    g.add((mint("CTOC/COP/DEC/3/3 para a"), TIP.sourceSpan, Literal("002.txt#chars=1-2")))


def break_subclass_target(g):
    """tipsh:Labels targets tip:Document; the node is only typed tip:COPDecision."""
    g.add((mint("CTOC/COP/DEC/3/3"), RDFS_LABEL, Literal("decision without a language")))


RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")

BROKEN = [
    (break_missing_identifier, "tipsh:Identified", "https://w3id.org/tipkg/id/CTOC/COP/DEC/3/3_pp_1"),
    (break_citation_to_topic, "tipsh:CitesArticleTarget", "CTOC/COP/DEC/3/3 para a"),
    (break_duplicate_identifier, "tipsh:UniqueIdentifier", "CTOC/COP/DEC/3/3 pp 1"),
    (break_orphan, "tipsh:ParagraphParent", "CTOC/COP/DEC/3/3 para a"),
    (break_offset, "tipsh:RecommendationNumbering", "TIP-WG 1 rec 5"),
    (break_operative_recalls, "tipsh:PreambularRecalls", "CTOC/COP/DEC/3/3 para a"),
    (break_request_to_document, "tipsh:AddressedTarget", "CTOC/COP/DEC/3/3 para a"),
    (break_indexed_under_article, "tipsh:IndexedUnderTarget", "TIP-WG 1 rec 5"),
    (break_identifier_grammar, "tipsh:Identified", "CTOC/COP/DEC/3/3  pp ١"),
    (break_untagged_label, "tipsh:Labels", "TIPP"),
    (break_date_type, "tipsh:DocumentShape", "CTOC/COP/DEC/3/3"),
    (break_echo_paragraph_to_source, "tipsh:EchoesEnds", "CTOC/COP/DEC/3/3 para a"),
    (break_citation_without_its_edge, "tipsh:CitationShape", "edge:0000000000000003"),
    (break_citation_from_a_topic, "tipsh:CitationShape", "edge:0000000000000004"),
    (break_year_date_allowed_only_as_issued, "tipsh:DocumentShape", "CTOC/COP/DEC/3/3"),
    (break_in_document_shortcut, "tipsh:InDocumentIsTop", "CTOC/COP/DEC/3/3 para a"),
    (break_parent_not_in_graph, "tipsh:Exists", "https://w3id.org/tipkg/id/CTOC/COP/DEC/9/9"),
    (break_topic_in_a_document, "tipsh:InIndexScheme", "topic:victims"),
    (break_missing_in_document, "tipsh:ParagraphParent", "CTOC/COP/DEC/3/3 pp 1"),
    (break_two_parents, "tipsh:ParagraphParent", "CTOC/COP/DEC/3/3 para a"),
    (break_part_not_extending_parent, "tipsh:PartExtendsParent", "CTOC/COP/DEC/3/33 para a"),
    (break_citing_entity_literal, "tipsh:CitationShape", "edge:0000000000000003"),
    (break_citation_relation, "tipsh:CitationShape", "edge:0000000000000003"),
    (break_text_language, "tipsh:ParagraphParent", "CTOC/COP/DEC/3/3 para a"),
    (break_two_english_labels, "tipsh:Labels", "TIPP"),
    (break_two_english_rdfs_labels, "tipsh:Labels", "TIPP"),
    (break_no_arabic_label, "tipsh:Bilingual", "actor:secretariat"),
    (break_meeting_number_zero, "tipsh:MeetingShape", "TIP-WG 1"),
    (break_reuse_predicate, "tipsh:TextReuseShape", "https://w3id.org/tipkg/id/reuse:0001"),
    (break_reuse_score, "tipsh:TextReuseShape", "https://w3id.org/tipkg/id/reuse:0001"),
    (break_span_grammar, "tipsh:Provenance", "CTOC/COP/DEC/3/3 para a"),
    (break_subclass_target, "tipsh:Labels", "CTOC/COP/DEC/3/3"),
]

# Every constraint component the shapes use is exercised by a break above (checked below).
COMPONENTS = {
    "MinCount": break_missing_identifier, "MaxCount": break_two_parents, "Datatype": break_date_type,
    "Class": break_request_to_document, "NodeKind": break_citing_entity_literal, "Pattern": break_identifier_grammar,
    "LanguageIn": break_text_language, "UniqueLang": break_two_english_labels, "HasValue": break_reuse_predicate,
    "MinInclusive": break_meeting_number_zero, "MaxInclusive": break_reuse_score, "Or": break_citation_to_topic,
    "Node": break_indexed_under_article, "QualifiedMinCount": break_no_arabic_label,
    "SPARQL": break_duplicate_identifier,
}


@pytest.mark.parametrize("breaker, shape, where", BROKEN, ids=[b.__name__ for b, _, _ in BROKEN])
def test_each_break_is_reported(breaker, shape, where):
    g = small()
    breaker(g)
    report = validate(g)
    assert not report.conforms
    assert (shape, where) in results(g), report.text()
    text = report.text()
    assert shape in text and where.split("/")[-1] in text


def test_wrong_offset_message_names_the_numbers():
    g = small()
    break_offset(g)
    (r,) = [r for r in validate(g).results if r.shape == "tipsh:RecommendationNumbering"]
    assert r.message == ("CTOC/COP/WG.4/2009/2 para 6: paragraph 6 is not rec 5 + offset 2 "
                         "of CTOC/COP/WG.4/2009/2")
    assert r.value == "CTOC/COP/WG.4/2009/2 para 6"


def test_notation_naming_no_report_is_reported():
    """The named report is compared with the one the recommendation is part of (regression:
    looking the named report up among all identifiers, per notation, was quadratic: 3 minutes
    of validation at x100)."""
    g = small()
    g.set((mint("TIP-WG 1 rec 5"), SKOS.notation, Literal("CTOC/COP/WG.4/2099/9 para 6")))
    (r,) = [r for r in validate(g).results if r.shape == "tipsh:RecommendationNumbering"]
    assert r.message == ("CTOC/COP/WG.4/2099/9 para 6: names report CTOC/COP/WG.4/2099/9, but the "
                         "recommendation is part of CTOC/COP/WG.4/2009/2")
    assert {(x.shape, x.identifier) for x in validate(g, engine="pyshacl").results} == {
        ("tipsh:RecommendationNumbering", "TIP-WG 1 rec 5")}


def test_notation_of_another_meetings_report_is_reported():
    g = small()
    g.set((mint("TIP-WG 1 rec 5"), SKOS.notation, Literal("CTOC/COP/WG.4/2010/6 para 6")))
    assert ("tipsh:RecommendationNumbering", "TIP-WG 1 rec 5") in results(g)


def test_gyear_is_allowed_for_issued():
    g = small()
    g.add((mint("CTOC/COP/DEC/3/3"), DCTERMS.issued, Literal("2006", datatype=XSD.gYear)))
    assert validate(g).conforms


@pytest.mark.parametrize("breaker", [b for b, _, _ in BROKEN], ids=[b.__name__ for b, _, _ in BROKEN])
def test_sparql_engine_agrees_with_pyshacl(breaker):
    """The compiled queries, run once over all focus nodes, report what pyshacl's per-node evaluation reports."""
    g = small()
    breaker(g)
    assert detailed(g, "sparql") == detailed(g, "pyshacl")


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_each_component_is_reported(component):
    g = small()
    COMPONENTS[component](g)
    assert component + "ConstraintComponent" in {r.component for r in validate(g).results}


def test_every_component_of_the_shapes_has_a_break():
    used = {str(p).rsplit("#", 1)[1] for p in load_shapes().predicates() if str(p).startswith(str(SH))}
    params = {"class": "Class", "datatype": "Datatype", "nodeKind": "NodeKind", "pattern": "Pattern",
              "languageIn": "LanguageIn", "uniqueLang": "UniqueLang", "hasValue": "HasValue",
              "minInclusive": "MinInclusive", "maxInclusive": "MaxInclusive", "or": "Or", "node": "Node",
              "qualifiedMinCount": "QualifiedMinCount", "minCount": "MinCount", "maxCount": "MaxCount", "sparql": "SPARQL"}
    assert {params[p] for p in used if p in params} == set(COMPONENTS)


def test_store_input_gives_the_same_report_and_is_left_alone():
    g = small()
    break_two_parents(g)
    store = store_of(g)
    before = len(store)
    report = validate(store)
    assert len(store) == before and report.triples == len(g)
    assert {(r.shape, r.identifier or r.focus, r.component, r.path) for r in report.results} == detailed(g)
    assert detailed(g, "pyshacl") == {(r.shape, r.identifier or r.focus, r.component, r.path)
                                      for r in validate(store, engine="pyshacl").results}


def test_split_is_the_sparql_engine():
    g = small()
    break_orphan(g)
    assert detailed(g, "split") == detailed(g, "sparql")


def test_unsupported_component_is_a_clear_error():
    shapes = Graph()
    shape = URIRef("https://w3id.org/tipkg/shapes#Closed")
    shapes.add((shape, RDF.type, SH.NodeShape))
    shapes.add((shape, SH.targetClass, TIP.Document))
    prop = BNode()
    shapes.add((shape, SH.property, prop))
    shapes.add((prop, SH.path, DCTERMS.identifier))
    shapes.add((prop, SH.minLength, Literal(3)))
    with pytest.raises(UnsupportedShape, match=r"(anonymous shape).*sh:minLength"):
        validate(small(), shapes)
    shapes.remove((shape, SH.property, prop))
    shapes.add((shape, SH.closed, Literal(True)))
    with pytest.raises(UnsupportedShape, match=r"shape .*Closed: sh:closed is not supported"):
        validate(small(), shapes)


def core_shapes() -> Graph:
    """The shapes without their sh:sparql constraints (pyshacl runs those once per focus node: minutes on the corpus)."""
    shapes = load_shapes()
    constraints = set(shapes.objects(None, SH.sparql))
    core = Graph()
    for s, p, o in shapes:
        if p != SH.sparql and s not in constraints:
            core.add((s, p, o))
    return core


def test_corpus_conforms_under_both_engines(corpus_graph):
    assert validate(corpus_graph, engine="sparql").conforms
    assert validate(corpus_graph, core_shapes(), engine="pyshacl").conforms


def test_build_refuses_to_write_non_conforming_data(tmp_path, monkeypatch):
    import tipkg.pipeline as pipeline
    from tipkg.errors import ValidationFailed

    def broken(structured, base=None, **kwargs):
        from tipkg.graph.triples import TripleSet
        g = small()
        break_orphan(g)
        return TripleSet.of(g)

    monkeypatch.setattr(pipeline, "build_graph", broken)
    out = tmp_path / "out"
    with pytest.raises(ValidationFailed) as err:
        pipeline.build(out_dir=out)
    assert not out.exists()
    assert "tipsh:ParagraphParent" in str(err.value) and err.value.exit_code == 3
    result = pipeline.build(out_dir=out, check=False)
    assert (out / "graph.nt").is_file() and result.validation is None


def test_validate_command_exit_status(tmp_path, capsys):
    from tipkg.cli import main

    good, bad = tmp_path / "good.ttl", tmp_path / "bad.nt"
    small().serialize(str(good), format="turtle")
    g = small()
    break_duplicate_identifier(g)
    g.serialize(str(bad), format="nt")
    assert main(["validate", "--data", str(good)]) == 0
    assert "conforms" in capsys.readouterr().out
    assert main(["validate", "--data", str(good), str(bad)]) == 3
    out = capsys.readouterr().out
    assert "DOES NOT CONFORM" in out and "tipsh:UniqueIdentifier" in out and "CTOC/COP/DEC/3/3 pp 1" in out


def test_citation_check_lists_every_paragraph_class():
    """The CitationShape query names the paragraph classes (no property path there): keep it complete."""
    from rdflib import RDFS

    from tipkg.ontology.files import load_ontology
    from tipkg.shapes.validate import SHAPES_TTL
    onto = load_ontology()
    classes = set(onto.transitive_subjects(RDFS.subClassOf, TIP.Paragraph)) | {TIP.Footnote}
    text = SHAPES_TTL.read_text(encoding="utf-8")
    listed = text[text.index("FILTER (?k IN ("):].split("))", 1)[0]
    assert {f"tip:{str(c).rsplit('#', 1)[1]}" for c in classes} == {w.strip(" ,\n") for w in listed[len("FILTER (?k IN ("):].split(",")}
