"""The one identifier grammar (``tipkg.identifiers``) against the graph, the shapes and the spec.

Three readers of an identifier must agree: the parser, the SHACL shapes'
``sh:pattern`` for the node's class, and ``ontology/identifiers.md``. So every
identifier the build writes parses back to itself and to the kind its node is
typed with; every identifier the constructors make matches its class's
patterns; and strings one slip away from a real identifier (a doubled space,
a leading zero, a capital, an Arabic digit, a part too many) are refused by
the parser exactly when the shapes refuse them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from importlib import resources

import pytest
from rdflib import RDF, RDFS, Graph
from rdflib.namespace import DCTERMS, SH, SKOS

from tipkg.identifiers import (
    Action, Actor, AgendaItem, Article, Document, Edge, Footnote, IdentifierError, IndexScheme, Instrument,
    Mandate, Meeting, Paragraph, PreambularParagraph, Recommendation, Session, SourceFile, SubItem,
    SubParagraph, Topic, Verb, parse, sub_part,
)
from tipkg.ontology.files import ontology_file
from tipkg.ontology.namespace import TIP

#: the classes whose shapes speak for each kind of the grammar
KIND_CLASSES = {
    Instrument: {TIP.Instrument}, Document: {TIP.Document}, Meeting: {TIP.Meeting},
    PreambularParagraph: {TIP.Paragraph, TIP.PreambularParagraph},
    Paragraph: {TIP.Paragraph, TIP.OperativeParagraph},
    SubParagraph: {TIP.Paragraph, TIP.SubParagraph}, SubItem: {TIP.Paragraph, TIP.SubItem},
    Recommendation: {TIP.Paragraph, TIP.Recommendation}, AgendaItem: {TIP.Paragraph, TIP.AgendaItem},
    Footnote: {TIP.Footnote}, Topic: {TIP.Topic}, Actor: {TIP.Actor}, Verb: {TIP.Verb},
    SourceFile: {TIP.SourceText}, Mandate: {TIP.Mandate}, Action: {TIP.MandateAction},
    Session: {TIP.Session}, Edge: {TIP.Citation}, IndexScheme: {SKOS.ConceptScheme},
}

ALL_KIND_CLASSES = set().union(*KIND_CLASSES.values(), {TIP.Article, TIP.ArticleParagraph})


def kind_classes(x) -> set:
    """An article with parts is an article paragraph; an agenda item's lettered part is an agenda item."""
    if isinstance(x, Article):
        return {TIP.ArticleParagraph} if x.parts else {TIP.Article}
    if isinstance(x, SubParagraph) and isinstance(x.parent, AgendaItem):
        return {TIP.Paragraph, TIP.AgendaItem}
    if isinstance(x, Action) and x.slug == "scheme":
        return {SKOS.ConceptScheme}
    return KIND_CLASSES[type(x)]


@lru_cache(maxsize=1)
def patterns() -> dict:
    """Class -> the ``sh:pattern``s the shapes put on its ``dcterms:identifier``."""
    shapes = Graph().parse(str(resources.files("tipkg.shapes").joinpath("tipkg-shapes.ttl")), format="turtle")
    out = defaultdict(list)
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        for prop in shapes.objects(shape, SH.property):
            if (prop, SH.path, DCTERMS.identifier) in shapes:
                for pattern in shapes.objects(prop, SH.pattern):
                    for cls in shapes.objects(shape, SH.targetClass):
                        out[cls].append(str(pattern))
    return out


def shape_refusals(text: str, classes: set) -> list[str]:
    """The patterns of ``classes`` that ``text`` does not match (none: the shapes accept it)."""
    return [p for c in classes for p in patterns().get(c, []) if not re.search(p, text)]


def graph_identifiers(g: Graph) -> dict:
    """Identifier -> the node's tipkg classes, for every node of the built graph with one."""
    ours = {c for c in set(g.objects(None, RDF.type)) if str(c).startswith(str(TIP)) or c == SKOS.ConceptScheme}
    onto = Graph().parse(str(ontology_file("tipkg.ttl")), format="turtle")
    closure = {c: set(onto.transitive_objects(c, RDFS.subClassOf)) for c in ours}
    out = {}
    for node, identifier in g.subject_objects(DCTERMS.identifier):
        out[str(identifier)] = set().union(*(closure[c] for c in g.objects(node, RDF.type) if c in closure))
    return out


def test_every_identifier_of_the_built_graph_parses_to_its_kind(corpus_graph):
    found = graph_identifiers(corpus_graph)
    assert len(found) > 800
    wrong = []
    for text, classes in found.items():
        x = parse(text)
        typed = classes & ALL_KIND_CLASSES
        if str(x) != text or not typed or not typed <= kind_classes(x):
            wrong.append((text, type(x).__name__, sorted(c.n3() for c in classes)))
    assert not wrong, wrong[:10]
    kinds = {type(parse(t)).__name__ for t in found}
    assert {"Article", "SubItem", "SubParagraph", "Recommendation", "AgendaItem", "Footnote", "Mandate",
            "Topic", "Actor", "Session", "IndexScheme", "PreambularParagraph"} <= kinds


def test_every_notation_of_the_built_graph_is_a_report_paragraph(corpus_graph):
    notations = [str(n) for r in corpus_graph.subjects(RDF.type, TIP.Recommendation)
                 for n in corpus_graph.objects(r, SKOS.notation)]
    assert len(notations) > 200
    for text in notations:
        x = parse(text)
        while isinstance(x, (SubParagraph, SubItem)):
            x = x.parent
        assert isinstance(x, Paragraph) and isinstance(x.number, int), text
        assert x.document.symbol.startswith("CTOC/COP/WG.4/"), text


DOC = Document("A/RES/61/180")
LETTERED = Paragraph(Document("CTOC/COP/DEC/4/4"), "o")
REC = Recommendation(Meeting(4), 46)
CONSTRUCTED = [
    Instrument("TIPP"), Instrument("COP-RoP"), Instrument("SC-1956"),
    Article(Instrument("TIPP"), 9), Article(Instrument("TIPP"), 9, ("5",)), Article("UNTOC", 33).part(2, "c"),
    Article("COP-RoP", 2, ("2",)), DOC, Document("CTOC/COP/DEC/4/4", draft=True), Document("E/DEC/16(LVI)"),
    Document("E/CN.4/2006/62/Add.1"), Document("UNODC-TIP-Compendium-2021"),
    PreambularParagraph(DOC, 4), Paragraph(DOC, 5), LETTERED, SubParagraph(Paragraph(DOC, 7), "a"),
    SubItem(LETTERED, "ii"), SubItem(SubParagraph(REC, "j"), "iv"), REC, SubParagraph(REC, "i"),
    AgendaItem(Document("CTOC/COP/WG.4/2010/1"), 1), SubParagraph(AgendaItem(Document("CTOC/COP/WG.4/2010/1"), 1), "b"),
    Paragraph(Document("CTOC/COP/DEC/4/4", draft=True), 10), Footnote(DOC, 3), Meeting(9),
    Mandate(Paragraph(DOC, 12)), Mandate(LETTERED), Topic("victims-identification"), Actor("secretary-general"),
    Verb("takesNote"), Action("report"), Session("COP", 3), Session("GA", 63),
    SourceFile("004_e1b135029fdaca29.txt"), Edge("0123456789abcdef"),
]


@pytest.mark.parametrize("x", CONSTRUCTED, ids=str)
def test_constructed_identifier_matches_its_shapes_and_parses_back(x):
    classes = kind_classes(x)
    assert any(patterns().get(c) for c in classes) or classes == {SKOS.ConceptScheme}, f"no pattern speaks for {x}"
    assert shape_refusals(str(x), classes) == []
    assert parse(str(x)) == x


def test_parts_are_sub_paragraphs_or_sub_items_by_where_they_hang():
    assert sub_part(REC, "i") == SubParagraph(REC, "i")
    assert sub_part(SubParagraph(REC, "i"), "i") == SubItem(SubParagraph(REC, "i"), "i")
    assert sub_part(LETTERED, "i") == SubItem(LETTERED, "i")
    assert str(parse("TIP-WG 4 rec 46 (i) (iii)")) == "TIP-WG 4 rec 46 (i) (iii)"


def slips(text: str) -> set[str]:
    """Strings one slip away from a real identifier."""
    out = {text + ".", text + " ", " " + text, text.replace(" ", "  ", 1), text + " (a)", text + " (ii)",
           text + "(a)", text + " (A)", text + " (ab)", text + " ()", text.upper(), text.lower(),
           re.sub(r"\d+", "0", text, count=1), re.sub(r"(\d+)$", r"0\1", text), re.sub(r"\d+$", "", text),
           re.sub(r"\d", "\u0665", text, count=1), re.sub(r"\(([a-z])\)", r"(\1\1)", text),
           re.sub(r" \(", "(", text), re.sub(r"\((\d+)\)", r" (\1)", text), text.replace(" para ", " Para "),
           text.replace(" art ", " art. "), text + " draft", text + " fn 1", text + " para 1", text + " pp 2",
           text + " item 3", text + " rec 4", text + " index", text + " mandate", text.replace(":", ": "),
           text.replace("-", "_"), text.replace("/", " /", 1), text.replace(" (", " (\u0628", 1)}
    out.discard(text)
    return out


def disagreements(found: dict) -> list[tuple]:
    """Slips that one reader takes and the other refuses.

    Taken by the parser: the shapes of the kind it parsed to must take it too.
    Refused by the parser: some pattern of the original's kind must refuse it.
    """
    out = []
    for text in found:
        kind = kind_classes(parse(text))
        for slip in slips(text):
            try:
                x = parse(slip)
            except IdentifierError as exc:
                if not shape_refusals(slip, kind):
                    out.append((slip, "refused by the grammar only", exc.reason))
                continue
            if refused := shape_refusals(slip, kind_classes(x)):
                out.append((slip, "refused by the shapes only", refused))
    return out


def test_slips_are_refused_by_the_grammar_and_the_shapes_alike(corpus_graph):
    found = graph_identifiers(corpus_graph)
    wrong = disagreements(found)
    assert not wrong, f"{len(wrong)} disagreements, e.g. {wrong[:8]}"


@pytest.mark.parametrize("text", [
    "A/RES/61/180 para", "A/RES/61/180 para 05", "A/RES/61/180 para 5 (A)", "A/RES/61/180  para 5",
    "TIPP art", "TIPP art 9 (5)", "TIPP art 9(5", "tipp art 9", "TIP-WG 1 rec", "TIP-WG one",
    "TIP-WG 1 rec 5 (b) (ii) (a)", "A/RES/61/180 pp 1 (a)", "actor:Secretariat", "topic:victims identification",
    "A/RES/61/180 item 1 (b) (i)", "\u0627\u0644\u0623\u0645\u0627\u0646\u0629", "CTOC/COP/DEC/4/4 para o (ب)",
    "A/RES/٦١/180", "A/RES/61/180 fn", "session:COP-0", "A/RES/61/180 para 5.",
])
def test_malformed_identifier_is_refused_with_its_reason(text):
    with pytest.raises(IdentifierError) as exc:
        parse(text)
    assert repr(text) in str(exc.value) and exc.value.reason


def test_every_example_of_the_spec_parses():
    """``ontology/identifiers.md`` and the grammar say the same: each example in it parses back to itself."""
    spec = ontology_file("identifiers.md").read_text(encoding="utf-8")
    examples = {x for x in re.findall(r"`([^`]+)`", spec)
                if "<" not in x and re.match(r"^([A-Z][!-~]*( [!-~]+)*|(actor|topic|verb|source|edge|session|action):[!-~]+)$", x)
                and not x.startswith(("E/RES/<", "GA "))}
    assert len(examples) > 40
    wrong = []
    for x in sorted(examples):
        try:
            if str(parse(x)) != x:
                wrong.append((x, str(parse(x))))
        except IdentifierError as exc:
            wrong.append((x, exc.reason))
    assert not wrong, wrong


def test_every_reference_target_of_the_corpus_is_an_identifier(references):
    """The references stage writes each target in the grammar: its structured form reads back to it."""
    found = references.found
    assert len(found) > 1000
    wrong = [(r.paragraph, r.relation, r.target) for r in found
             if r.identifier is None or str(r.identifier) != (f"verb:{r.target}" if r.target_kind == "verb" else r.target)]
    assert not wrong, wrong[:10]
    kinds = {type(r.identifier).__name__ for r in found}
    assert {"Article", "Document", "Paragraph", "Actor", "Verb", "Instrument"} <= kinds, kinds
    assert {type(r.identifier) for r in found if r.relation == "citesArticle"} == {Article}
