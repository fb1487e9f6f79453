"""Line-level machinery of the compendium loader: patterns, lines, outlines, footnotes.

The compendium prints its paragraphs one per line, marked "1-", "(أ)" or "1'",
with footnote bodies dropped in wherever a PDF page ended — sometimes in the
middle of a paragraph, whose rest follows the footnotes unmarked. An
``Outline`` therefore keeps the path of open paragraphs (recommendation,
sub-paragraph, sub-item) so that an unmarked line can be glued to the
paragraph it continues, and ``Footnotes`` takes the bodies out of the flow.
Both work on offsets into the original file, so every paragraph keeps a span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from tipkg import identifiers as ids
from tipkg.errors import TipkgError
from tipkg.model import Footnote, Paragraph, Span
from tipkg.normalize import normalize, plain_superscripts
from tipkg.tables import load

from .numbering import abjad_letters, latin_letter, month, roman

TABLE = "compendium_structure"

# Outline levels: a recommendation / preambular / operative paragraph, its
# lettered sub-paragraph, and a sub-item 1' 2' of either.
TOP, SUB, ITEM = 0, 1, 2


@lru_cache(maxsize=None)
def patterns() -> dict[str, re.Pattern]:
    """Compile every ``pattern`` of the table, ``{letter}`` = abjad letters, longest first."""
    letters = sorted(abjad_letters(), key=len, reverse=True)
    alternation = "|".join(re.escape(x) for x in letters)
    return {name: re.compile(entry["pattern"].replace("{letter}", alternation))
            for name, entry in load(TABLE).items() if isinstance(entry, dict) and "pattern" in entry}


def table() -> dict:
    """The whole table (its data sections: instrument kinds, where Part B instruments were published)."""
    return load(TABLE)


class Line(NamedTuple):
    """One line of the file: 1-based number and the span of its stripped content."""

    number: int
    start: int
    end: int
    text: str


def lines_of(text: str) -> list[Line]:
    """Every line of ``text`` with the offsets of its content (blanks and tabs stripped).

    >>> lines_of("a\\n - (أ) b ")[1]
    Line(number=2, start=3, end=10, text='- (أ) b')
    """
    out, pos = [], 0
    for number, raw in enumerate(text.split("\n"), 1):
        content = raw.strip(" \t\r")
        lead = len(raw) - len(raw.lstrip(" \t\r"))
        out.append(Line(number, pos + lead, pos + lead + len(content), content))
        pos += len(raw) + 1
    return out




def mark_number(mark: str) -> str:
    """The plain number of a footnote mark.

    >>> mark_number("⁽¹²⁾"), mark_number("(4)")
    ('12', '4')
    """
    return re.sub(r"\D", "", plain_superscripts(mark))


def footnote_marks(text: str) -> tuple[str, ...]:
    """The footnote marks a paragraph's own text bears, in order, as plain numbers."""
    return tuple(mark_number(m.group("superscript")) for m in patterns()["footnote_mark"].finditer(text))


@dataclass
class Footnotes:
    """Footnote bodies found in the flow of text, and the marks still waiting for one.

    A plain "(4)" opening a line is only a body when mark 4 was met before and
    has no body yet; the superscript form is always a body.
    """

    text: str
    pending: dict[str, int] = field(default_factory=dict)  # mark -> line where it was met
    found: set[str] = field(default_factory=set)

    def note_marks(self, line: Line) -> None:
        for mark in footnote_marks(line.text):
            if mark not in self.found:
                self.pending.setdefault(mark, line.number)

    def running(self, body: list[Line], notes: list[Footnote]):
        """The lines of running text of ``body``: blank lines skipped, footnote
        bodies taken out into ``notes``, the marks of the others noted."""
        for line in body:
            if not line.text:
                continue
            note = self.take(line)
            if note:
                notes.append(note)
                continue
            self.note_marks(line)
            yield line

    def take(self, line: Line) -> Footnote | None:
        """The footnote whose body this line is, or None if it is running text."""
        m = patterns()["footnote_body"].match(line.text)
        if not m or (m.group("plain") and m.group("plain") not in self.pending):
            return None
        mark = mark_number(m.group("superscript") or m.group("plain"))
        self.pending.pop(mark, None)
        self.found.add(mark)
        start = line.start + m.end()
        body = self.text[start:line.end]
        return Footnote(mark=mark, text=body, span=Span(start, line.end),
                        normalized=normalize(body).text, line=line.number)


@dataclass
class _Draft:
    identifier: str
    kind: str
    parent: str
    number: str
    position: int
    level: int
    line: int
    pieces: list[tuple[int, int]]
    ref: ids.Part | None = None
    children: int = 0


class Outline:
    """The paragraphs of one document, opened and continued line by line.

    ``base`` is what top-level paragraphs hang below (``TIP-WG 2`` for "rec 6",
    ``CTOC/COP/DEC/1/5`` for "para a"); lower levels are its sub-paragraphs and
    sub-items, all spelled by ``tipkg.identifiers``. Numbers that break the
    expected sequence are reported as warnings.
    """

    def __init__(self, document: str, base: ids.Meeting | ids.Document, text: str, warnings: list[str]):
        self.document, self.base, self.text, self.warnings = document, base, text, warnings
        self.drafts: list[_Draft] = []
        self.path: list[_Draft] = []
        self.top_children = 0
        self.counters: dict[tuple[str, str], int] = {}

    @property
    def current(self) -> _Draft | None:
        return self.path[-1] if self.path else None

    def top(self) -> _Draft | None:
        return self.path[0] if self.path else None

    def open(self, level: int, kind: str, label: str, number: str, piece: tuple[int, int], line: int) -> _Draft:
        """Open a paragraph below the deepest open one of a lower level.

        ``label`` is the identifier word of a top-level paragraph ("rec", "pp",
        "para"); ``number`` its local number as printed ("5", "ب", "2").
        """
        while self.path and self.path[-1].level >= level:
            self.path.pop()
        parent = self.path[-1] if self.path else None
        if level > TOP and parent is None:
            self.warnings.append(f"line {line}: sub-paragraph {number} outside any paragraph")
            level = TOP
        series = f"{kind} {label}" if level == TOP else f"level {level}"
        local = self._local(series, number, level, parent, line)
        try:
            ref = ids.top_paragraph(self.base, label, local) if parent is None else ids.sub_part(parent.ref, local)
        except ids.IdentifierError as exc:
            raise TipkgError(self.document, f"line {line}: {exc}", line) from None
        if parent is None:
            self.top_children += 1
            position, parent_id = self.top_children, self.document
        else:
            parent.children += 1
            position, parent_id = parent.children, parent.identifier
        draft = _Draft(str(ref), kind, parent_id, local, position, level, line, [piece], ref)
        self.drafts.append(draft)
        self.path.append(draft)
        return draft

    def _local(self, series: str, number: str, level: int, parent: _Draft | None, line: int) -> str:
        """The identifier's local number: abjad letter -> Latin, sub-item -> roman; checked in sequence."""
        key = (parent.identifier if parent else self.document, series)
        expected = self.counters.get(key, 0) + 1
        self.counters[key] = expected
        if number.isdigit():
            got = int(number)
            if got != expected:
                self.warnings.append(f"line {line}: {series} {got} where {expected} was expected")
            return roman(got) if level == ITEM else str(got)
        letter = latin_letter(number) or number
        order = [latin_letter(x) for x in abjad_letters()]
        if expected > len(order) or order[expected - 1] != letter:
            self.warnings.append(f"line {line}: letter ({number}) out of abjad order")
        return letter

    def count(self, series: str) -> int:
        """How many top-level paragraphs of a series ("preambular pp") were opened."""
        return self.counters.get((self.document, series), 0)

    def next_letter(self) -> str:
        """The abjad letter the next lettered top-level paragraph would carry."""
        n = self.count("operative para")
        letters = abjad_letters()
        return letters[n] if n < len(letters) else ""

    def extend(self, piece: tuple[int, int]) -> bool:
        """Add a continuation piece to the deepest open paragraph; False if none is open."""
        if not self.path:
            return False
        self.path[-1].pieces.append(piece)
        return True

    def paragraphs(self) -> tuple[Paragraph, ...]:
        return tuple(self._freeze(d) for d in self.drafts)

    def _freeze(self, d: _Draft) -> Paragraph:
        text = " ".join(self.text[s:e] for s, e in d.pieces)
        return Paragraph(identifier=d.identifier, kind=d.kind, parent=d.parent, number=d.number,
                         position=d.position, text=text, span=Span(d.pieces[0][0], d.pieces[-1][1]),
                         normalized=normalize(text).text, line=d.line, footnote_marks=footnote_marks(text))


class Segment(NamedTuple):
    """A marked (or unmarked) stretch of a line: marker kind, its number, body offsets."""

    marker: str  # "number", "letter", "subitem" or "plain"
    number: str
    start: int
    end: int


def leading_segment(line: Line, start: int | None = None) -> Segment:
    """Read the paragraph marker at the start of a line (or of the rest of it from ``start``)."""
    start = line.start if start is None else start
    content = line.text[start - line.start:]
    p = patterns()
    for marker, name in (("number", "number_marker"), ("subitem", "subitem_marker"), ("letter", "letter_marker")):
        m = p[name].match(content)
        if m:
            return Segment(marker, m.group(marker if marker == "letter" else "number"), start + m.end(), line.end)
    return Segment("plain", "", start, line.end)


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets of ``text[start:end]`` without surrounding blanks."""
    while start < end and text[start] in " \t":
        start += 1
    while end > start and text[end - 1] in " \t":
        end -= 1
    return start, end


def iso_date(day: str, month_names: str, year: str) -> str | None:
    """ISO date from a day, a month printed as "نيسان/أبريل" (either name) and a year.

    >>> iso_date("3", "تموز/يوليه", "2018")
    '2018-07-03'
    """
    for name in month_names.split("/"):
        number = month(name)
        if number:
            return f"{int(year):04d}-{number:02d}-{int(day):02d}"
    return None
