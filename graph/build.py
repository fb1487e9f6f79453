"""Stage 5 — the graph: plain dataclasses in, one set of rdflib triples (``TripleSet``) out.

This is the only stage that knows RDF. Each node gets its canonical
identifier (``dcterms:identifier``), its class, its parent (``eli:is_part_of``),
its position, its text and labels, its date and the sources it was read from.
A document attested by two sources (decision 3/3) is one node derived from
both; the draft of 4/4 and the adopted 4/4 are two nodes linked by
``tip:adoptedAs``.

>>> from tipkg.sources import read_corpus
>>> from tipkg.loaders import load_structure
>>> g = build_graph([load_structure(s) for s in read_corpus()])
>>> len(g) > 1000
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain
from dataclasses import replace

from rdflib import RDF, RDFS, XSD, Graph, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from tipkg import identifiers as ids
from tipkg.model import Document, Meeting, Paragraph, Source, StructuredSource
from tipkg.normalize import search_form
from tipkg.ontology.namespace import ELI, PREFIXES, TIP
from tipkg.tables import load

from .gists import add_gists
from .labels import document_label_en, paragraph_label_ar
from .thematic_index import add_index
from .mandates import add_corpus_mandates
from .triples import LineSet, TripleSet, literal
from .uris import mint


DOCUMENT_CLASSES = {
    "ga-resolution": TIP.GAResolution,
    "cop-decision": TIP.COPDecision,
    "cop-resolution": TIP.COPResolution,
    "draft-decision": TIP.DraftDecision,
    "agenda": TIP.Agenda,
    "compendium": TIP.Compendium,
    "wg-report": TIP.WorkingGroupReport,
    "session-report": TIP.SessionReport,
}
PARAGRAPH_CLASSES = {
    "preambular": TIP.PreambularParagraph,
    "operative": TIP.OperativeParagraph,
    "subparagraph": TIP.SubParagraph,
    "subitem": TIP.SubItem,
    "recommendation": TIP.Recommendation,
    "agenda-item": TIP.AgendaItem,
    "agenda-subitem": TIP.AgendaItem,
}


def search_text(normalized: str) -> str:
    """The search form of a paragraph's working text (what ``tip:searchText`` holds).

    >>> search_text("يؤكّد أنّ الأمانة")
    'يوكد ان الامانه'
    """
    return search_form(normalized)


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the prefixes every serialization of the dataset uses."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)
    return graph


def build_graph(structured: Sequence[StructuredSource], base: str | None = None, references=None,
                index=None, graph: TripleSet | None = None, parts=None, mandates=None, answering=None) -> TripleSet:
    """The RDF graph of every instrument, document, meeting and paragraph read,
    and, given ``references`` and the thematic ``index`` (stage 4), their edges
    with provenance — added to ``graph`` (default: a new ``TripleSet``; ``tipkg build``
    passes a ``SpilledTriples`` that writes sorted chunks as it fills).

    The graph is built source by source (``graph/parts.py``): what a source adds on its own,
    and its claims (labels, texts) resolved in manifest order. ``parts``: those of every
    source already computed (``tipkg build`` computes them in its process pool and caches
    them: ``tipkg.units``); without them they are computed here, in this process. With ``parts``,
    the thematic index is theirs (``index`` is not read). ``mandates``: those of the corpus, if
    already found (``tipkg build`` finds them once for this stage and ``add_repeats``); ``answering``: what
    ``references.answers.find_answers`` is given besides the sources, if known (``tipkg.views``)."""
    from .memo import add_grouped, collected
    from .parts import add_parts, in_memory_parts, index_header, resolve

    graph = graph if graph is not None else TripleSet(PREFIXES)
    tables = Builder(graph, base)
    tables.instruments()
    precomputed = parts is not None
    if parts is None:
        parts = in_memory_parts(structured, base, references, tables)
    add_parts(graph, parts, resolve(graph, chain([tables.claims], (p.claims for p in parts))))
    if references is not None:
        add_corpus_mandates(graph, structured, references, base, mandates, answering)  # graph/mandates.py
    if precomputed:  # the parts hold the index's entries; its scheme, topics and notations are claims
        index = index_header(p.claims for p in parts if p.indexed)
    if index is not None and precomputed and not index.entries:  # the same header after most edits: its lines kept
        # (graph/memo.py); its entries are the parts'
        add_grouped(graph, "index", [index], group=lambda i: i.source_file, base=base,
                    lines=lambda group: collected(lambda g: add_index(g, group[0], base)),  # type: ignore[arg-type]
                    signature=lambda i: (i.source_file, i.span, i.topics, tuple(i.notations.items()),
                                         tuple(i.offsets.items()), i.entries))
    elif index is not None:
        add_index(graph, index, base)
    # last: a gist reads the edges above; each part's gist tables (made in the pool) merged, then let go. A
    # build's SpilledTriples makes them in a forked child: the parent's heap does not grow by the tables
    graph.add_made(add_gists, base, _taken(parts) if precomputed else ())
    return graph


def _taken(parts):
    """The parts' gist tables (``graph.gists.Tables``), read one at a time from the cache as they are merged."""
    from .gists import Tables

    for part in parts:
        if part.facts is not None:
            yield Tables.load(part.facts, part.lines)


def footnote_id(document: str, mark: str) -> str:
    """``<document> fn <mark>``, the identifier of a document's footnote."""
    return str(ids.Footnote(ids.parse_as(document, ids.Document), int(mark)))


class Builder:
    """What one source adds (or the tables, ``instruments``): the triples it adds whatever the other
    sources say go to ``graph``; the texts of the nodes it prints first go to ``contested`` (the
    first source that prints a node gives its text), and its labels are claims (``Claims``), both
    resolved in manifest order by ``graph.parts.resolve``. Here it adds the tables; a source's graph
    is made with it by ``graph.parts.source_graph``."""

    def __init__(self, graph: TripleSet | LineSet, base: str | None, contested: TripleSet | LineSet | None = None):
        from .parts import Claims

        self.graph = graph
        self.contested = contested if contested is not None else graph
        self.base = base
        self.texts_seen: set[URIRef] = set()
        self.claims = Claims()
        self.reading: dict[tuple[str, str], str] = {}

    def uri(self, identifier: str) -> URIRef:
        return mint(identifier, self.base)

    def node(self, identifier: str, cls: URIRef) -> URIRef:
        node = self.uri(identifier)
        self.graph.add((node, RDF.type, cls))
        self.graph.add((node, DCTERMS.identifier, literal(identifier)))
        return node

    def label(self, node: URIRef, text: str | None, lang: str) -> None:
        if text:
            # one rdfs:label and one prefLabel per language; a second source's other
            # name ("Conference of the Parties decision 3/3" beside its title) is an altLabel
            self.claims.label(str(node), lang, text)

    def date(self, node: URIRef, value: str | None) -> None:
        if not value:
            return
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            self.graph.add((node, ELI.date_document, literal(value, datatype=XSD.date)))
        elif re.fullmatch(r"\d{4}", value):
            self.graph.add((node, DCTERMS.issued, literal(value, datatype=XSD.gYear)))

    def instruments(self) -> None:
        for row in load("instruments")["instrument"]:
            node = self.node(row["identifier"], TIP.Instrument)
            self.label(node, row["label_en"], "en")
            self.label(node, row["label_ar"], "ar")
            if "adopted_by" in row:
                resolution = self.node(row["adopted_by"], TIP.GAResolution)
                self.label(resolution, document_label_en(row["adopted_by"]), "en")
                self.graph.add((node, DCTERMS.isPartOf, resolution))
            if "supplements" in row:
                self.graph.add((node, DCTERMS.relation, self.uri(row["supplements"])))
        for row in load("articles")["article"]:
            # every article of TIPP is a node, so "what does nothing cite?" has an answer
            article = self.node(str(ids.Article(row["instrument"], row["number"])), TIP.Article)
            self.graph.add((article, ELI.is_part_of, self.uri(row["instrument"])))
            self.graph.add((article, TIP.position, literal(row["number"])))
            labels = load("articles")  # "TIPP article 9: …", "المادة 9: …"
            self.label(article, labels["label_en"].format(**row, title=row["title_en"]), "en")
            self.label(article, labels["label_ar"].format(**row, title=row["title_ar"]), "ar")

    def source(self, source: Source) -> None:
        node = self.node(str(ids.SourceFile(source.file)), TIP.SourceText)
        self.graph.add((node, RDFS.label, literal(source.file)))
        self.graph.add((node, TIP.sha256, literal(source.sha256)))
        self.graph.add((node, DCTERMS.language, literal(source.language)))
        self.graph.add((node, DCTERMS.description, literal(source.origin, lang="en")))

    def derived(self, node: URIRef, source: Source, span=None, line: int = 0) -> None:
        self.graph.add((node, PROV.wasDerivedFrom, self.uri(str(ids.SourceFile(source.file)))))
        if span is not None:
            self.graph.add((node, TIP.sourceSpan, literal(f"{source.file}#char={span.start},{span.end}")))
        if line:
            self.graph.add((node, TIP.sourceLine, literal(f"{source.file}#line={line}")))

    def meeting(self, meeting: Meeting, source: Source) -> None:
        node = self.node(str(ids.Meeting(meeting.number)), TIP.Meeting)
        self.graph.add((node, TIP.meetingNumber, literal(meeting.number)))
        self.label(node, f"Working Group on Trafficking in Persons, meeting {meeting.number}", "en")
        self.label(node, meeting.title_ar, "ar")
        self.date(node, meeting.date)
        if meeting.end_date:
            self.graph.add((node, TIP.endDate, literal(meeting.end_date, datatype=XSD.date)))
        if meeting.report:
            self.graph.add((self.uri(meeting.report), TIP.reportOf, node))
        self.derived(node, source, meeting.span)

    def document(self, document: Document, source: Source) -> None:
        node = self.node(document.identifier, DOCUMENT_CLASSES[document.kind])
        self.label(node, document.title_en or document_label_en(document.identifier), "en")
        self.label(node, document.title_ar, "ar")
        self.date(node, document.date)
        self.derived(node, source, document.span)
        if document.kind != "compendium" and source.kind == "compendium":
            self.graph.add((node, TIP.compiledIn, self.uri(source.identifier)))
        if document.session:
            self.graph.add((node, TIP.session, literal(document.session)))
        if document.meeting:
            self.graph.add((node, TIP.meeting, self.uri(str(ids.Meeting(document.meeting)))))
        if document.published_in:
            report = self.node(document.published_in, TIP.SessionReport)
            self.label(report, document_label_en(document.published_in), "en")
            self.graph.add((node, TIP.publishedIn, report))
        if document.adopted_as:
            adopted = self.node(document.adopted_as, DOCUMENT_CLASSES["cop-decision"])
            self.graph.add((node, TIP.adoptedAs, adopted))
        for footnote in document.footnotes:
            fn = self.node(footnote_id(document.identifier, footnote.mark), TIP.Footnote)
            self.graph.add((fn, ELI.is_part_of, node))
            self.graph.add((fn, TIP.inDocument, node))
            self.graph.add((fn, TIP.footnoteMark, literal(footnote.mark)))
            self.text(fn, footnote.text, footnote.normalized)
            self.derived(fn, source, footnote.span, footnote.line)
        for paragraph in document.paragraphs:
            self.paragraph(paragraph, document, source)

    def text(self, node: URIRef, text: str, normalized: str) -> None:
        if node in self.texts_seen:
            return
        self.texts_seen.add(node)
        self.claims.claimed.append(str(node))
        self.contested.add((node, TIP.text, literal(text, lang="ar")))
        if normalized:
            self.contested.add((node, TIP.normalizedText, literal(normalized, lang="ar")))
            # folded once here, so an Arabic search is a CONTAINS, not a REPLACE chain per paragraph
            self.contested.add((node, TIP.searchText, literal(search_text(normalized))))

    def paragraph(self, paragraph: Paragraph, document: Document, source: Source) -> None:
        repaired = self.reading.get((source.file, paragraph.identifier))
        if repaired is not None:  # tip:text keeps the extraction; normalizedText, label, search read in order
            paragraph = replace(paragraph, normalized=repaired)
        node = self.node(paragraph.identifier, PARAGRAPH_CLASSES[paragraph.kind])
        self.graph.add((node, ELI.is_part_of, self.uri(paragraph.parent)))
        self.graph.add((node, TIP.inDocument, self.uri(document.identifier)))
        self.graph.add((node, TIP.position, literal(paragraph.position)))
        self.graph.add((node, ELI.id_local, literal(paragraph.number)))
        self.graph.add((node, RDFS.label, literal(paragraph.identifier, lang="en")))
        if node not in self.texts_seen:
            self.contested.add((node, SKOS.prefLabel, literal(paragraph_label_ar(paragraph), lang="ar")))
        self.text(node, paragraph.text, paragraph.normalized)
        self.derived(node, source, paragraph.span, paragraph.line)
        if paragraph.notation:
            self.graph.add((node, SKOS.notation, literal(paragraph.notation)))
        bodies = {footnote.mark for footnote in document.footnotes}
        for mark in paragraph.footnote_marks:
            if mark in bodies:  # a mark whose body the extracted text lost links nowhere
                self.graph.add((node, TIP.footnote, self.uri(footnote_id(document.identifier, mark))))
        for symbol in paragraph.documents:
            listed = self.node(symbol, TIP.UNDocument)
            self.label(listed, document_label_en(symbol), "en")
            self.graph.add((node, TIP.listsDocument, listed))
