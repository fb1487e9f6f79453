"""English gists (graph/gists.py): one per paragraph, made of what the graph knows, true to the Arabic.

Ten gists are read against their paragraph's Arabic text: each row names the
Arabic words that carry the verb, the addressee and what is cited (read by a
person in the corpus and checked here to stand in the text), and the English
words the gist must say for them.
"""

from __future__ import annotations

import re

import pytest
from rdflib import RDF, RDFS, Literal
from rdflib.namespace import DCTERMS

from tipkg.graph.gists import listed, titles
from tipkg.ontology.namespace import TIP
from tipkg.tables import load

PARAGRAPH_CLASSES = (TIP.PreambularParagraph, TIP.OperativeParagraph, TIP.SubParagraph, TIP.SubItem,
                     TIP.Recommendation, TIP.AgendaItem, TIP.Paragraph)

# identifier, Arabic words in its text (verb, addressee, citations), English words its gist must say
READ = [
    ("A/RES/61/180 para 19", ["تطلب", "إلى الأمين العام"], ["the General Assembly requests Secretary-General"]),
    ("A/RES/61/180 pp 1", ["إذ تشير", "55/25", "58/137", "59/166"],
     ["the General Assembly recalls", "General Assembly resolution 55/25 (United Nations Convention against",
      "General Assembly resolution 58/137 (Strengthening international cooperation",
      "General Assembly resolution 59/166 (Trafficking in women and girls)"]),
    ("A/RES/61/180 para 3", ["تحث الدول الأعضاء", "بروتوكول منع وقمع الاتجار بالأشخاص",
                             "اتفاقية الأمم المتحدة لمكافحة الجريمة المنظمة"],   # in reading order (issue 13)
     ["urges Member States", "Protocol to Prevent, Suppress and Punish Trafficking in Persons",
      "United Nations Convention against Transnational Organized Crime"]),
    ("A/RES/61/180 para 15", ["تدعو فريق التنسيق المشترك بين الوكالات"],
     ["invites Inter-Agency Coordination Group against Trafficking in Persons"]),
    ("CTOC/COP/DEC/4/4 para q", ["طلب إلى الأمانة", "بروتوكول الاتجار بالأشخاص"],
     ["the Conference of the Parties requests Secretariat", "Protocol to Prevent, Suppress and Punish"]),
    ("CTOC/COP/DEC/4/4 para i", ["دعا الدول", "بروتوكول الاتجار بالأشخاص"],
     ["the Conference of the Parties invites States", "Protocol to Prevent, Suppress and Punish"]),
    ("CTOC/COP/DEC/3/3 para l", ["يطلب كذلك إلى أمانته", "المادة 6 من بروتوكول مكافحة تهريب المهاجرين"],
     ["requests Secretariat", "SOMP art 6", "Protocol against the Smuggling of Migrants by Land, Sea and Air"]),
    ("CTOC/COP/DEC/4/4 draft para 5", ["يدعو", "الدول", "الأعضاء", "الفقرة 5 من المادة 9 من بروتوكول الاتجار"],
     ["invites Member States", "TIPP article 9(5): Prevention of trafficking in persons"]),
    ("CTOC/COP/RES/5/2 para 14", ["يقرّر", "مقرّر المؤتمر 4/4"],
     ["the Conference of the Parties decides", "Conference of the Parties decision 4/4 (Trafficking in human beings)"]),
    ("TIP-WG 5 rec 40", ["ينبغي للمكتب", "بروتوكول الاتجار بالأشخاص"],
     ["United Nations Office on Drugs and Crime should", "Protocol to Prevent, Suppress and Punish"]),
    ("TIP-WG 2 rec 4", ["شجعت الدول الأطراف"], ["Working Group on Trafficking in Persons encourages States parties"]),
]


@pytest.fixture(scope="module")
def graph(corpus_graph):
    return corpus_graph  # the session build's (conftest)


@pytest.fixture(scope="module")
def by_identifier(graph):
    return {str(o): s for s, o in graph.subject_objects(DCTERMS.identifier)}


def test_every_paragraph_has_exactly_one_english_gist_that_says_more_than_its_identifier(graph):
    nodes = {s for cls in PARAGRAPH_CLASSES for s in graph.subjects(RDF.type, cls)}
    assert len(nodes) > 500
    for node in nodes:
        gists = list(graph.objects(node, TIP.gist))
        identifier = str(graph.value(node, DCTERMS.identifier))
        assert len(gists) == 1, identifier
        gist = gists[0]
        assert isinstance(gist, Literal) and gist.language == "en"
        head, _, said = str(gist).partition(" — ")
        assert said and identifier not in said, (identifier, str(gist))
        assert not re.search(r"[\u0600-\u06ff]", str(gist)), "a gist is English"


@pytest.mark.parametrize("identifier, arabic, english", READ, ids=[r[0] for r in READ])
def test_gist_names_the_verb_addressee_and_citations_of_the_arabic(graph, by_identifier, identifier, arabic, english):
    node = by_identifier[identifier]
    text = str(graph.value(node, TIP.normalizedText))
    for words in arabic:
        assert words in text, f"{identifier}: the reading expects {words!r} in the Arabic"
    gist = str(graph.value(node, TIP.gist))
    for words in english:
        assert words in gist, f"{identifier}: {words!r} not in gist {gist!r}"


def test_gist_is_part_of_rdfs_comment_in_the_ontology():
    from tipkg.ontology.files import ontology_graph

    onto = ontology_graph()
    assert (TIP.gist, RDFS.subPropertyOf, RDFS.comment) in onto


def test_titles_come_from_the_table_with_their_source(graph, by_identifier):
    for row in load("titles")["document"]:
        assert row["source"].strip(), row["identifier"]
        node = by_identifier.get(row["identifier"])
        assert node is not None, f"{row['identifier']}: titled but not in the graph"
        assert graph.value(node, DCTERMS.title) == Literal(row["title_en"], lang="en")
    assert load("gists")["source"]
    # a gist names a cited resolution by its title
    assert titles()["A/RES/58/137"] in str(graph.value(by_identifier["A/RES/61/180 pp 1"], TIP.gist))


def test_a_shape_rejects_a_paragraph_without_gist(graph, by_identifier):
    from tipkg.shapes.validate import validate

    node = by_identifier["A/RES/61/180 para 5"]
    broken = graph.__class__()
    for t in graph:
        broken.add(t)
    broken.remove((node, TIP.gist, None))
    report = validate(broken)
    assert not report.conforms
    text = report.text()
    assert "tipsh:Gist" in text and "A/RES/61/180 para 5" in text


def test_listed_quotes_names_with_commas():
    assert listed(["B", "A, b", "B"]) == "“A, b”, B"
