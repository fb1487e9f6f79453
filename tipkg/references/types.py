"""What the reference extractors return: plain frozen dataclasses, no RDF."""

from __future__ import annotations

from dataclasses import dataclass

from tipkg import identifiers as ids
from tipkg.model import Document, Footnote, Paragraph, Source, Span


@dataclass(frozen=True)
class Context:
    """Everything an extractor may use to resolve a reference in one paragraph.

    ``reversed_numbers`` says whether the source prints "a/b" numbers back to
    front (decided per source by the unambiguous cases it holds).
    """

    source: Source
    document: Document
    paragraph: Paragraph
    footnotes: tuple[Footnote, ...]
    year: int | None
    reversed_numbers: bool = False


@dataclass(frozen=True)
class Found:
    """What an extractor found in the text it read, before it is resolved to the file:
    ``[start, end)`` index that text (``spans.Locator.reference`` makes the ``Reference``)."""

    relation: str
    target: str
    target_kind: str
    start: int
    end: int
    rule: str


@dataclass(frozen=True)
class Reference:
    """One edge read from the text.

    ``relation`` is the local name of the ontology property (``recalls``,
    ``requests``, ``citesArticle``, ``refersTo``, ``urges``, ...); ``target`` the
    canonical identifier of what is referred to (``TIPP art 9(5)``,
    ``actor:secretariat``, ``A/RES/61/144``). ``span`` and ``text`` are the
    original words it came from, in ``source_file``; ``rule`` names the table
    pattern that produced it; ``via_footnote`` is the footnote mark when the
    reference was carried from a footnote to the paragraph bearing its mark.

    ``target`` stays the canonical string: it is what the gold files, the
    per-source cache and the citation node's hash (``graph.references.citation_id``)
    are keyed on, and a verb's target there is its bare name (``requests``).
    ``identifier`` is the same target as the grammar reads it, structured.
    """

    paragraph: str
    relation: str
    target: str
    target_kind: str
    source_file: str
    span: Span
    text: str
    rule: str
    via_footnote: str | None = None

    @property
    def identifier(self) -> ids.Identifier | None:
        """The target as ``tipkg.identifiers`` reads it (a verb's name as ``ids.Verb``); None if it is none."""
        return ids.Verb(self.target) if self.target_kind == "verb" else ids.try_parse(self.target)


@dataclass(frozen=True)
class Unresolved:
    """A reference seen in the text but not resolved to a target, kept for review."""

    paragraph: str
    kind: str
    source_file: str
    span: Span
    text: str
    reason: str
