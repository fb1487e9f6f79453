"""From a match in a paragraph's working text back to the original file.

Extractors read ``Paragraph.normalized`` (or ``Footnote.normalized``), which the
loaders built from pieces of the file joined by spaces, footnote bodies and page
furniture left out. There is no offset map stored on the paragraph, so the
original span of a match is found by re-normalizing the original text the
paragraph covers (same ``visual`` setting) — that copy keeps an offset map —
and locating the matched words in it. The k-th occurrence in the working text
is taken to be the k-th occurrence in the re-normalized copy; where the two
copies differ (interleaved footnotes, page furniture), the words are looked for
with flexible whitespace, then by the numbers they contain, and last the whole
paragraph span is returned, so a span always exists and always covers the
words' paragraph.

This is the ONE path from text to reference, in two steps: an extractor FINDS
what a paragraph says (a ``types.Found``: relation, target, offsets in the text
it read), then ``Locator.reference`` RESOLVES it to the file (original span and
words). The citations extractor reads the working text (``Locator.of``), the
verbs, mandates and answers extractors its search form (``folded=True``: the
copy is then folded the same way); both go through ``original``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tipkg.model import Footnote, Paragraph, Source, Span
from tipkg.normalize import Normalized, is_visual_source, normalize, search_form

from .types import Found, Reference


@lru_cache(maxsize=64)
def _visual(text: str) -> bool:
    return is_visual_source(text)


@lru_cache(maxsize=4096)
def _renormalized(text: str, start: int, end: int, fold: bool = False) -> Normalized:
    return normalize(text[start:end], visual=_visual(text), fold=fold)


@dataclass(frozen=True)
class Locator:
    """Maps ranges of one paragraph's (or footnote's) working text — or, ``folded``,
    of its search form — to original spans."""

    source_text: str
    working: str
    span: Span
    folded: bool = False
    source_file: str = ""

    @classmethod
    def of(cls, source: Source, paragraph: Paragraph | Footnote, *, folded: bool = False) -> Locator:
        """The locator of a paragraph or footnote; ``folded``: offsets index ``search_form(normalized)``."""
        working = paragraph.normalized or paragraph.text
        return cls(source.text, search_form(working) if folded else working, paragraph.span, folded, source.file)

    def reference(self, paragraph: str, found: Found, via: str | None = None) -> Reference:
        """The second step of every extractor: what it found in the text, as a ``Reference`` to the file."""
        span = self.original(found.start, found.end)
        return Reference(paragraph, found.relation, found.target, found.target_kind, self.source_file, span,
                         self.source_text[span.start:span.end], found.rule, via)

    def original(self, start: int, end: int) -> Span:
        """The original span of working characters ``[start, end)``."""
        needle = self.working[start:end]
        needle = needle if self.folded else needle.strip()  # (a folded range keeps its spaces, as the graph's spans do)
        if not needle:
            return self.span
        copy = _renormalized(self.source_text, self.span.start, self.span.end, self.folded)
        nth = self.working.count(needle, 0, start)
        found = _nth_literal(copy.text, needle, nth)
        if found is None and self.folded:
            # the search form's words, not found as often as before them: their first occurrence
            # (the graph's verb and mandate spans were made so; the two fallbacks below would move 7)
            found = _nth_literal(copy.text, needle, 0)
        if found is None and not self.folded:
            flexible = r"\s*".join(re.escape(part) for part in needle.split())
            found = _nth(copy.text, flexible, 0)
        if found is None and not self.folded:
            numbers = re.findall(r"\d+", needle)
            hits = [h for n in numbers if (h := _nth(copy.text, rf"(?<!\d){n}(?!\d)", 0)) is not None]
            if hits:
                found = (min(h[0] for h in hits), max(h[1] for h in hits))
        if found is None:
            return self.span
        local = copy.original_span(*found)
        return Span(self.span.start + local.start, self.span.start + local.end)


def _nth(text: str, pattern: str, n: int) -> tuple[int, int] | None:
    for i, m in enumerate(re.finditer(pattern, text)):
        if i == n:
            return m.start(), m.end()
    return None


def _nth_literal(text: str, needle: str, n: int) -> tuple[int, int] | None:
    """``_nth(text, re.escape(needle), n)`` with ``str.find``: the matches of a literal are its
    non-overlapping occurrences from the left. Every reference's span is found so, each with a
    needle of its own: as a regex, each compiled anew (re's cache of 512 overflows), they cost
    the extraction more than the finding did."""
    at, end = -1, 0
    for _ in range(n + 1):
        at = text.find(needle, end)
        if at < 0:
            return None
        end = at + len(needle)
    return at, end
