"""Stage 4 — references: read every cross-reference a paragraph makes.

In the spirit of eyecite: the working text of each paragraph is scanned with
patterns compiled from the tables (``tipkg/tables/``), each match is resolved
to a canonical identifier using the paragraph's context, and the result is a
list of plain ``Reference`` records (plus the ``Unresolved`` ones, for review).
``extract_references`` is the stage's one entry point: one shared loop over
every paragraph of every document, calling each extractor in turn.

A footnote's references are carried to every paragraph bearing its mark
(``Reference.via_footnote``); footnotes are read in order so that "ibid."
(المرجع نفسه) can point to the previous footnote's resolution.

Modules: ``citations`` (instruments, articles, resolutions, symbols),
``verbs`` (operative and preambular verbs, addressees, recalls),
``thematic_index`` and ``index_cells`` (the compendium's thematic index and its
cells), ``spans`` (a match back to its place in the file), ``types`` (the
records returned), ``evaluate`` (precision and recall against the gold),
``mandates`` (who was asked to do what, by when), ``answers`` (what answered a
mandate) and ``mandate_quality`` (their precision and recall).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tipkg.model import Document, Source, StructuredSource
from tipkg.normalize import ga_session_first, is_visual_source
from tipkg.tables import load

from .citations import CitationContext, find_citations, footnote_resolution, is_year
from .spans import Locator
from .thematic_index import ThematicIndex, parse_index
from .types import Context, Reference, Unresolved
from .verbs import extract_verbs


@dataclass
class References:
    """What stage 4 read: edges, references left unresolved, and the thematic index."""

    found: list[Reference] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    index: ThematicIndex | None = None


def extract_references(structured: list[StructuredSource]) -> References:
    """Every reference of every paragraph (and carried footnote) of every source."""
    out = References()
    for item in structured:
        source = item.source
        visual = is_visual_source(source.text)
        reversed_numbers = numbers_reversed(item)
        for document in item.documents:
            year = document_year(document, source)
            base = CitationContext(document_kind=document.kind, year=year, reversed_numbers=reversed_numbers, visual=visual)
            carried = footnote_citations(document, source, base)
            for paragraph in document.paragraphs:
                context = Context(source, document, paragraph, document.footnotes, year, reversed_numbers)
                _paragraph_citations(context, base, carried, out)
        if item.index_span is not None:
            out.index = parse_index(source, item.index_span)
    out.found.extend(extract_verbs(structured, out.found))  # verbs, addressees, recalls from citations
    return out


def _paragraph_citations(context: Context, base: CitationContext, carried: dict, out: References) -> None:
    source, paragraph = context.source, context.paragraph
    locator = Locator.of(source, paragraph)
    found, seen = find_citations(paragraph.normalized, base)
    out.found += [locator.reference(paragraph.identifier, c) for c in found]
    out.unresolved += [Unresolved(paragraph.identifier, s.kind, source.file, locator.original(s.start, s.end),
                                  paragraph.normalized[s.start:s.end], s.reason) for s in seen]
    for mark in paragraph.footnote_marks:
        for citation, locator_fn in carried.get(mark, ()):
            out.found.append(locator_fn.reference(paragraph.identifier, citation, via=mark))


def footnote_citations(document: Document, source: Source, base: CitationContext) -> dict[str, list]:
    """mark -> [(citation, locator)] for each footnote of a document, read in order."""
    carried: dict[str, list] = {}
    previous = None
    for footnote in document.footnotes:
        ctx = CitationContext(base.document_kind, base.year, base.reversed_numbers, base.visual, True, previous)
        found, _ = find_citations(footnote.normalized, ctx)
        locator = Locator.of(source, footnote)
        carried.setdefault(footnote.mark, []).extend((c, locator) for c in found)
        previous = footnote_resolution(footnote.normalized, ctx) or previous
    return carried


def document_year(document: Document, source: Source) -> int | None:
    """The year a document speaks from (its date, else its source's)."""
    for value in (document.date, source.date):
        if value and re.match(r"\d{4}", value):
            return int(value[:4])
    return None


def numbers_reversed(item: StructuredSource) -> bool:
    """Whether a source prints "a/b" numbers back to front, by vote over the
    General Assembly numbers whose order is unambiguous (one order only gives
    a numbered session up to the document's year)."""
    straight = backward = 0
    cues = load("citations")["orientation"]
    for document in item.documents:
        year = document_year(document, item.source)
        texts = [p.normalized for p in document.paragraphs] + [f.normalized for f in document.footnotes]
        for text in texts:
            if not any(w in _fold(text) for w in cues["folded"]) and not any(w in text for w in cues["printed"]):
                continue
            for m in re.finditer(cues["pair"], text):
                a, b = int(m.group(1)), int(m.group(2))
                if is_year(a) or is_year(b):
                    continue
                s, _ = ga_session_first(a, b, year=year)
                t, _ = ga_session_first(b, a, year=year)
                if s == t:  # only one order is a session
                    if s == a:
                        straight += 1
                    else:
                        backward += 1
    return backward > straight


def _fold(text: str) -> str:
    from tipkg.normalize import search_form
    return search_form(text)


__all__ = ["Context", "Reference", "References", "Unresolved", "extract_references"]
