"""The plain data that flows between pipeline stages.

Every stage before ``graph`` speaks in these frozen dataclasses and nothing
else: loaders and extractors never import rdflib, so they can be tested on
text alone, and the graph stage is the one place that knows about RDF.

Spans are always offsets into the *original* text of a source (the file as
read: decoded, without a byte-order mark, line ends as LF, bidi controls
removed — ``sources.clean_text``), so any node or edge can be checked against
the words it came from.

>>> Span(10, 20).length
10
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

#: what a corpus file is (its manifest ``kind``); the loader is chosen by it
SourceKind = Literal["draft-decision", "agenda", "cop-decision", "compendium", "ga-resolution"]
#: what a document is: a source's kind, or a document the compendium prints
DocumentKind = Literal["ga-resolution", "cop-decision", "cop-resolution", "draft-decision", "agenda",
                       "compendium", "wg-report"]
#: what a paragraph-level unit is (the ontology's paragraph classes follow it)
ParagraphKind = Literal["preambular", "operative", "subparagraph", "subitem", "recommendation",
                        "agenda-item", "agenda-subitem"]

SOURCE_KINDS: tuple[str, ...] = get_args(SourceKind)
DOCUMENT_KINDS: tuple[str, ...] = get_args(DocumentKind)
PARAGRAPH_KINDS: tuple[str, ...] = get_args(ParagraphKind)


@dataclass(frozen=True, order=True)
class Span:
    """Half-open character range ``[start, end)`` in a source's original text."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Source:
    """One file of the corpus as described by its manifest entry and read from disk."""

    identifier: str
    kind: SourceKind
    file: str
    path: str
    sha256: str
    date: str
    language: str
    title_ar: str
    title_en: str
    origin: str
    text: str
    manifest_line: int = 0
    extra: tuple[tuple[str, str], ...] = ()

    def get(self, key: str, default: str | None = None) -> str | None:
        return dict(self.extra).get(key, default)

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset in the original text."""
        return self.text.count("\n", 0, max(0, offset)) + 1


@dataclass(frozen=True)
class Footnote:
    """A footnote body, separated from the running text, with the mark that points to it."""

    mark: str
    text: str
    span: Span
    normalized: str = ""
    line: int = 0


@dataclass(frozen=True)
class Paragraph:
    """A paragraph-level unit of a document, addressed by its canonical identifier.

    ``kind`` is one of ``PARAGRAPH_KINDS``.
    ``parent`` is the identifier of the direct parent (the document for top-level
    paragraphs). ``number`` is the local label as the identifier spells it
    (``5``, ``n``, ``b``, ``ii``). ``text`` is the original (extracted) text of
    the paragraph itself, without its children or interleaved footnote bodies
    (the pieces joined by a space); ``normalized`` is the same text as the
    normalizer's working text (Western digits, no tatweel, visual-order lines
    put back in reading order) that extractors read; ``span`` covers the
    paragraph in the original file and ``line`` is its first line (1-based).
    ``footnote_marks`` are the marks ("1", "12") the paragraph bears, which
    point into its document's ``footnotes``.
    """

    identifier: str
    kind: ParagraphKind
    parent: str
    number: str
    position: int
    text: str
    span: Span
    normalized: str = ""
    line: int = 0
    footnote_marks: tuple[str, ...] = ()
    notation: str | None = None
    verb_text: str | None = None
    documents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """A document, instrument text or meeting report attested by a source.

    ``kind`` is one of ``DOCUMENT_KINDS``.
    """

    identifier: str
    kind: DocumentKind
    source: str
    title_ar: str = ""
    title_en: str = ""
    date: str | None = None
    span: Span | None = None
    paragraphs: tuple[Paragraph, ...] = ()
    footnotes: tuple[Footnote, ...] = ()
    part_of: str | None = None
    published_in: str | None = None
    adopted_as: str | None = None
    meeting: int | None = None
    session: int | None = None


@dataclass(frozen=True)
class Meeting:
    """A meeting of the Working Group on Trafficking in Persons (I-IX)."""

    number: int
    date: str
    end_date: str | None
    report: str | None
    title_ar: str
    span: Span


@dataclass(frozen=True)
class StructuredSource:
    """What a structure loader read from one source."""

    source: Source
    documents: tuple[Document, ...]
    meetings: tuple[Meeting, ...] = ()
    index_span: Span | None = None
    warnings: tuple[str, ...] = field(default=())
