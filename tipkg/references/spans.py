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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tipkg.model import Span
from tipkg.normalize import Normalized, is_visual_source, normalize


@lru_cache(maxsize=64)
def _visual(text: str) -> bool:
    return is_visual_source(text)


@lru_cache(maxsize=4096)
def _renormalized(text: str, start: int, end: int) -> Normalized:
    return normalize(text[start:end], visual=_visual(text))


@dataclass(frozen=True)
class Locator:
    """Maps working-text ranges of one paragraph (or footnote) to original spans."""

    source_text: str
    working: str
    span: Span

    def original(self, start: int, end: int) -> Span:
        """The original span of working characters ``[start, end)``."""
        needle = self.working[start:end].strip()
        if not needle:
            return self.span
        copy = _renormalized(self.source_text, self.span.start, self.span.end)
        nth = self.working.count(needle, 0, start)
        found = _nth(copy.text, re.escape(needle), nth)
        if found is None:
            flexible = r"\s*".join(re.escape(part) for part in needle.split())
            found = _nth(copy.text, flexible, 0)
        if found is None:
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
