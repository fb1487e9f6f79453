"""The thematic index in RDF: a SKOS concept scheme, its topics, ``indexedUnder`` edges, notations.

Design (documented here because it is a choice):

- The scheme is the node ``UNODC-TIP-Compendium-2021 index`` (a ``skos:ConceptScheme``
  that ``dcterms:isPartOf`` the compendium): the index belongs to the book that
  prints it, and keeping it out of the ``topic:`` namespace leaves that namespace
  to topics alone.
- Each topic is ``skos:Concept`` and ``tip:Topic`` with ``dcterms:identifier``
  ``topic:<slug>``, ``skos:prefLabel`` in Arabic (the heading as printed) and
  English, ``skos:inScheme``; a "head، sub" topic is ``skos:broader`` its head
  (and the head ``skos:narrower`` it); topics without a head are top concepts.
- Each entry is asserted directly (paragraph ``tip:indexedUnder`` topic) and
  described by a reified citation node (``cito:Citation``, ``tip:Citation``)
  minted from ``edge:<sha1(paragraph|indexedUnder|topic|span)[:16]>`` that carries
  the citing paragraph, the topic, ``rdf:predicate``, the source span and text
  of the reference as the index prints it, ``prov:wasDerivedFrom`` the source
  and ``tip:rule`` — the provenance contract of the references stage, written
  by ``graph.references.add_references`` like every other edge.
- A recommendation whose report paragraph the index reconciles carries it as
  ``skos:notation`` ("CTOC/COP/WG.4/2009/2 para 21").
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from tipkg import identifiers as ids
from tipkg.ontology.namespace import TIP
from tipkg.references.thematic_index import IndexEntry, ThematicIndex
from tipkg.references.types import Reference

from .references import add_references
from .triples import LineSet, TripleSet, literal
from .uris import mint

COMPENDIUM = "UNODC-TIP-Compendium-2021"
SCHEME = COMPENDIUM + " index"


def add_index(graph: TripleSet, index: ThematicIndex, base: str | None = None) -> URIRef:
    """Add the index's scheme, topics, notations and ``indexedUnder`` edges; return the scheme node."""
    source = mint(str(ids.SourceFile(index.source_file)), base)
    scheme = mint(SCHEME, base)
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, DCTERMS.identifier, literal(SCHEME)))
    graph.add((scheme, SKOS.prefLabel, literal("الفهرس المواضيعي للتوصيات وللقرارات والمقررات ذات الصلة", lang="ar")))
    graph.add((scheme, SKOS.prefLabel, literal("Thematic index of recommendations, resolutions and decisions", lang="en")))
    graph.add((scheme, DCTERMS.isPartOf, mint(COMPENDIUM, base)))
    graph.add((scheme, PROV.wasDerivedFrom, source))
    graph.add((scheme, TIP.sourceSpan, literal(f"{index.source_file}#char={index.span.start},{index.span.end}")))
    for topic in index.topics:
        node = mint(topic.identifier, base)
        graph.add((node, RDF.type, SKOS.Concept))
        graph.add((node, RDF.type, TIP.Topic))
        graph.add((node, DCTERMS.identifier, literal(topic.identifier)))
        for text, lang in ((topic.label_ar, "ar"), (topic.label_en, "en")):
            graph.add((node, SKOS.prefLabel, literal(text, lang=lang)))
            graph.add((node, RDFS.label, literal(text, lang=lang)))
        graph.add((node, SKOS.inScheme, scheme))
        if topic.broader:
            head = mint(topic.broader, base)
            graph.add((node, SKOS.broader, head))
            graph.add((head, SKOS.narrower, node))
        else:
            graph.add((node, SKOS.topConceptOf, scheme))
            graph.add((scheme, SKOS.hasTopConcept, node))
    reports: dict[int, str] = {}
    for paragraph, report in index.notations.items():
        graph.add((mint(paragraph, base), SKOS.notation, literal(report)))
        recommendation, report_paragraph = ids.top(ids.parse_part(paragraph)), ids.top(ids.parse_part(report))
        if isinstance(recommendation, ids.Recommendation) and isinstance(report_paragraph, ids.Paragraph):
            reports[recommendation.meeting.number] = str(report_paragraph.document)
    for meeting, offset in index.offsets.items():  # the renumbering the SHACL shapes check notations against
        if meeting in reports:
            graph.add((mint(reports[meeting], base), TIP.numberingOffset, literal(offset)))
    add_entries(graph, index.entries, index.source_file, base)
    return scheme


def add_entry(graph: TripleSet, entry: IndexEntry, file: str, base: str | None = None) -> None:
    """One ``indexedUnder`` edge, asserted and reified with its provenance."""
    add_entries(graph, [entry], file, base)


def add_entries(graph: TripleSet | LineSet, entries: Iterable[IndexEntry], file: str, base: str | None = None) -> None:
    """``add_entry`` of each entry, in one pass (a topic node is described once, not once an entry)."""
    entries = list(entries)
    if not entries:  # an index's header (graph/build.py keeps its lines: graph/memo.py)
        return
    for entry in entries:
        graph.add((mint(entry.paragraph, base), DCTERMS.identifier, literal(entry.paragraph)))
    add_references(graph, [Reference(entry.paragraph, "indexedUnder", entry.topic, "topic", file, entry.span,
                                     entry.text, entry.rule) for entry in entries], base)
