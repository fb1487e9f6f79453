"""Structure loader for resolutions and decisions: COP decisions, their drafts, GA resolutions.

One source holds one document: a heading (session, agenda item, title), the
enacting formula ("إن مؤتمر الأطراف ..." / "إن الجمعية العامة"), preambular
paragraphs opened by a participle phrase ("إذ يستذكر", "وإذ تشير أيضا"), then
operative paragraphs, numbered ("- ١") or lettered ("(أ)"), with lettered
sub-paragraphs under a numbered one. Footnote bodies and page furniture are
interleaved with the text and are taken out of it.

Why the reading is line-based: in the files extracted in visual order (000,
004) the words of a line are partly reversed and wrapped lines are separated
by blank lines, so neither word order nor blank lines can be trusted. What can
be trusted is that every paragraph begins on a line of its own, and that the
line carries its opener or its number somewhere. A line therefore starts a new
paragraph when it carries the *next* number or letter expected, or (in the
preamble) a preambular opener; any other line continues the paragraph before
it. Expecting the next number keeps stray numbers ("١٧- ٨" in a date) out.

Patterns are data: ``tipkg/tables/resolution_structure.toml``. They are matched
against the folded search form of each normalized line; matches are carried
back to the original text through the normalizer's offset map, so each
paragraph keeps its original text, span and first line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tipkg import identifiers as ids
from tipkg.model import Document, Footnote, Paragraph, Source, Span, StructuredSource
from tipkg.normalize import is_visual_source, normalize, search_form
from tipkg.tables import load as load_table

from .numbering import abjad_letters, latin_letter, month

TABLE = "resolution_structure"
_SESSION_IN_SYMBOL = re.compile(r"^(?:CTOC/COP/(?:DEC|RES)|A/RES)/(\d+)/")


# --- the table, compiled ------------------------------------------------------

def compile_pattern(pattern: str) -> re.Pattern:
    """Compile a table pattern to match the folded search form of a line."""
    letters = "|".join(re.escape(search_form(l)) for l in sorted(abjad_letters(), key=len, reverse=True))
    return re.compile(search_form(pattern.replace("{abjad}", f"(?:{letters})")))


@dataclass(frozen=True)
class Phrase:
    """A table entry: the phrase as spelled and the compiled patterns that find it."""

    phrase: str
    patterns: tuple[re.Pattern, ...]


@lru_cache(maxsize=None)
def rules() -> dict[str, tuple]:
    """All patterns of the table, compiled once: single rules and phrase lists."""
    t = load_table(TABLE)
    out: dict[str, tuple] = {}
    for name, value in t.items():
        if isinstance(value, list):
            out[name] = tuple(Phrase(e["phrase"], tuple(compile_pattern(p) for p in e["patterns"])) for e in value)
        elif name == "separator":  # matched against the raw line
            out[name] = tuple(re.compile(p) for p in value["patterns"])
        else:
            out[name] = tuple(compile_pattern(p) for p in value["patterns"])
    return out


def _first(patterns, text: str) -> re.Match | None:
    found = [m for p in patterns if (m := p.search(text))]
    return min(found, key=lambda m: (m.start(), -m.end())) if found else None


def find_phrase(entries: tuple[Phrase, ...], text: str, *, skip_after_wa: bool = False) -> list[tuple[re.Match, str]]:
    """Every match of every phrase in ``text``, as (match, phrase), in text order.

    With ``skip_after_wa`` a match glued to a preceding conjunction و (verbs.toml
    [grammar]; a later clause of the same paragraph, "وتشجع") is left out.
    """
    out = []
    for entry in entries:
        for pattern in entry.patterns:
            for m in pattern.finditer(text):
                if skip_after_wa and m.start() and text[m.start() - 1] == load_table("verbs")["grammar"]["conjunction"] and (
                        m.start() == 1 or text[m.start() - 2] == " "):
                    continue
                out.append((m, entry.phrase))
    return sorted(out, key=lambda x: (x[0].start(), -x[0].end()))


# --- lines ----------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One physical line: its original text and its working and folded forms.

    ``working``/``folded`` are stripped; ``w_offsets``/``f_offsets`` give the
    original offset of each of their characters.
    """

    number: int
    start: int
    raw: str
    working: str
    w_offsets: tuple[int, ...]
    folded: str
    f_offsets: tuple[int, ...]

    @property
    def blank(self) -> bool:
        return not self.raw.strip()

    @property
    def content(self) -> tuple[int, int]:
        """Original span of the line without its padding."""
        lead = len(self.raw) - len(self.raw.lstrip())
        return self.start + lead, self.start + len(self.raw.rstrip())


def split_lines(text: str, visual: bool) -> list[Line]:
    """The lines of ``text`` with their normalized forms (visual lines reordered)."""
    work = normalize(text, visual=visual)
    fold = normalize(text, visual=visual, fold=True)
    w_lines = _split(work.text, work.offsets)
    f_lines = _split(fold.text, fold.offsets)
    lines, pos = [], 0
    for i, raw in enumerate(text.split("\n")):
        (w, wo), (f, fo) = w_lines[i], f_lines[i]
        lines.append(Line(i + 1, pos, raw, w, wo, f, fo))
        pos += len(raw) + 1
    return lines


def _split(text: str, offsets: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
    out, at = [], 0
    for part in text.split("\n"):
        lead = len(part) - len(part.lstrip())
        body = part.strip()
        out.append((body, tuple(offsets[at + lead: at + lead + len(body)])))
        at += len(part) + 1
    return out


# --- paragraphs under construction ---------------------------------------------

@dataclass(frozen=True)
class _Draft:
    """A paragraph being read: its identity and the original pieces (start, end, line).

    ``pieces`` grows as continuation lines are read.
    """

    kind: str
    number: str
    parent: str
    identifier: str
    verb_text: str | None
    pieces: list[tuple[int, int, Line]]


def _piece_working(line: Line, start: int, end: int) -> str:
    return "".join(c for c, o in zip(line.working, line.w_offsets) if start <= o < end).strip()


def _operative_verb(line: Line, marker: re.Match | None) -> str | None:
    """The operative verb phrase of a paragraph's first line, nearest to its marker."""
    r = rules()
    text = line.folded
    found = find_phrase(r["operative"], text, skip_after_wa=True)
    if not found:
        return None
    at = marker.start() if marker else 0
    m, phrase = min(found, key=lambda x: abs(x[0].start() - at))
    for adverb in r["adverb"]:
        for p in adverb.patterns:
            after = re.match(rf" (?:{p.pattern})", text[m.end():])
            before = re.search(rf"(?:^|\s)(?:{p.pattern}) $", text[:m.start()])
            if after or before:
                return f"{phrase} {adverb.phrase}"
    return phrase


# --- the loader -----------------------------------------------------------------

def load(source: Source) -> StructuredSource:
    """Read the one document of a resolution, decision or draft decision source."""
    reader = _Reader(source)
    return StructuredSource(source=source, documents=(reader.document(),), warnings=tuple(reader.warnings))


class _Reader:
    """One pass over the lines of a source, collecting paragraphs and footnotes."""

    def __init__(self, source: Source):
        self.source = source
        self.doc = source.identifier
        self.doc_id = ids.parse(source.identifier)  # a document: tipkg.sources checked the manifest
        self.visual = is_visual_source(source.text)
        self.lines = split_lines(source.text, self.visual)
        self.rules = rules()
        self.warnings: list[str] = []
        self.drafts: list[_Draft] = []
        self.footnotes: list[Footnote] = []
        self.title_ar = source.title_ar
        self.date = source.date
        self._read()

    # the pass ---------------------------------------------------------------
    def _read(self) -> None:
        r = self.rules
        enacting = next((i for i, l in enumerate(self.lines) if _first(r["enacting"], l.folded)), None)
        if enacting is None:
            self.warnings.append(f"{self.source.file}: no enacting formula found; reading from the first line")
        else:
            self._heading(self.lines[:enacting])
        number, letter, sub_letter = 0, 0, 0   # last numbered para, last top-level letter, last sub-letter
        in_preamble, in_notes = True, False
        current: _Draft | None = None
        for i, line in enumerate(self.lines[enacting or 0:], start=enacting or 0):
            if i == enacting:   # the enacting line may also open the preamble (002)
                formula = _first(r["enacting"], line.folded)
                opener = self._opener(line.folded, formula.end())
                if opener:
                    start = line.f_offsets[opener[0].start()]
                    current = self._new("preambular", None, opener[1], line, start)
                continue
            if any(p.search(line.raw) for p in r["separator"]):
                in_notes = True
                continue
            if line.blank:
                continue
            note = _first(r["footnote_body"], line.folded)
            if note and (in_notes or not self.visual):
                self._footnote(line, note)
                continue
            if _first(r["furniture"], line.folded):
                continue
            if _first(r["closing"], line.folded):
                break
            in_notes = False
            marker = self._number(line, number + 1)
            lettered = _first(r["letter_marker"], line.folded)
            latin = latin_letter(lettered.group("letter")) if lettered else None
            if marker:
                number, sub_letter, in_preamble = number + 1, 0, False
                current = self._new("operative", str(number), _operative_verb(line, marker), line)
            elif latin and number == 0 and latin == _letter(letter + 1):
                letter, in_preamble = letter + 1, False
                current = self._new("operative", latin, _operative_verb(line, lettered), line)
            elif latin and number and latin == _letter(sub_letter + 1):
                sub_letter += 1
                current = self._new("subparagraph", latin, _operative_verb(line, lettered), line,
                                    parent=ids.Paragraph(self.doc_id, number))
            elif in_preamble and (opener := self._opener(line.folded, 0)):
                current = self._new("preambular", None, opener[1], line)
            elif current is not None:
                current.pieces.append((*line.content, line))
            else:
                self.warnings.append(f"{self.source.file}:{line.number}: text outside any paragraph")

    def _opener(self, folded: str, after: int) -> tuple[re.Match, str] | None:
        found = [x for x in find_phrase(self.rules["preambular"], folded) if x[0].start() >= after]
        return found[0] if found else None

    def _number(self, line: Line, expected: int) -> re.Match | None:
        for p in self.rules["operative_number"]:
            for m in p.finditer(line.folded):
                if int(m.group("number")) == expected:
                    return m
        return None

    def _new(self, kind: str, number: str | None, verb: str | None, line: Line, start: int | None = None,
             parent: ids.Paragraph | None = None) -> _Draft:
        if kind == "preambular":
            number = str(sum(1 for d in self.drafts if d.kind == "preambular") + 1)
            identifier = str(ids.top_paragraph(self.doc_id, "pp", number))
        elif kind == "operative":
            identifier = str(ids.top_paragraph(self.doc_id, "para", number))
        else:
            identifier = str(ids.sub_part(parent, number))
        lo, hi = line.content
        draft = _Draft(kind, number, str(parent) if parent else self.doc, identifier, verb,
                       [(start if start is not None else lo, hi, line)])
        self.drafts.append(draft)
        return draft

    def _footnote(self, line: Line, m: re.Match) -> None:
        mark = m.group("mark")
        lo, hi = line.content
        mark_lo, mark_hi = line.f_offsets[m.start()], line.f_offsets[m.end() - 1] + 1
        if mark_lo - lo <= hi - mark_hi:    # mark first in the original line
            lo = mark_hi
        else:
            hi = mark_lo
        raw = self.source.text[lo:hi]
        lo += len(raw) - len(raw.lstrip())
        hi -= len(raw) - len(raw.rstrip())
        normalized = " ".join(_piece_working(line, lo, hi).split())
        self.footnotes.append(Footnote(mark, self.source.text[lo:hi], Span(lo, hi), normalized, line.number))

    # the heading ------------------------------------------------------------
    def _heading(self, heading: list[Line]) -> None:
        """Title and date from the lines above the enacting formula."""
        block: list[Line] = []
        for line in reversed(heading):
            if line.blank and block:
                break
            if not line.blank:
                block.insert(0, line)
        printed = " ".join(l.working for l in block)
        for p in self.rules["title_strip"]:
            printed = p.sub(" ", printed)
        printed = " ".join(printed.split())
        printed_form, listed_form = search_form(printed), search_form(self.source.title_ar)
        if printed and (printed_form in listed_form or listed_form in printed_form):
            self.title_ar = printed
        elif printed:
            self.warnings.append(f"{self.source.file}:{block[0].number}: printed title is not in reading order "
                                 f"({printed!r}); the manifest's title is used")
        for line in heading:
            if _first(self.rules["adoption_date"], line.folded):
                found = _date(line.working)
                if found and found != self.source.date:
                    self.warnings.append(f"{self.source.file}:{line.number}: adopted {found}, "
                                         f"manifest says {self.source.date}")
                self.date = found or self.date

    # the result -------------------------------------------------------------
    def document(self) -> Document:
        marks = {f.mark for f in self.footnotes}
        siblings: dict[str, int] = {}
        paragraphs = []
        for d in self.drafts:
            siblings[d.parent] = siblings.get(d.parent, 0) + 1
            text = " ".join(self.source.text[a:b] for a, b, _ in d.pieces)
            normalized = " ".join(_piece_working(l, a, b) for a, b, l in d.pieces)
            found = sorted((m.start(), m.group("mark")) for p in self.rules["footnote_mark"]
                           for m in p.finditer(normalized))
            borne = tuple(dict.fromkeys(mark for _, mark in found))
            for mark in borne:
                if mark not in marks:
                    self.warnings.append(f"{self.source.file}: {d.identifier} bears mark ({mark}) with no footnote body")
            paragraphs.append(Paragraph(
                identifier=d.identifier, kind=d.kind, parent=d.parent, number=d.number,
                position=siblings[d.parent], text=text,
                span=Span(min(a for a, _, _ in d.pieces), max(b for _, b, _ in d.pieces)),
                normalized=normalized, line=d.pieces[0][2].number,
                footnote_marks=tuple(m for m in borne if m in marks), verb_text=d.verb_text))
        text = self.source.text
        match = _SESSION_IN_SYMBOL.match(self.doc)
        return Document(
            identifier=self.doc, kind=self.source.kind, source=self.source.file, title_ar=self.title_ar,
            title_en=self.source.title_en, date=self.date,
            span=Span(len(text) - len(text.lstrip()), len(text.rstrip())),
            paragraphs=tuple(paragraphs), footnotes=tuple(self.footnotes),
            published_in=self.source.get("published_in"), adopted_as=self.source.get("adopted_as"),
            session=int(match.group(1)) if match else None)


def _letter(n: int) -> str:
    """The Latin letter of the n-th abjad letter (1-based)."""
    letters = abjad_letters()
    return latin_letter(letters[n - 1]) if 0 < n <= len(letters) else ""


def _date(working: str) -> str | None:
    """An ISO date from a line giving day, month name and year in any order.

    >>> _date("2006 ديسمبر / كانون الأول 20 قرار اتخذته الجمعية العامة في")
    '2006-12-20'
    """
    names = sorted(load_table("numbering")["months"], key=len, reverse=True)
    m_name = re.search("|".join(map(re.escape, names)), working)
    year = re.search(r"(?<![\d/])(\d{4})(?![\d/])", working)
    day = re.search(r"(?<![\d/])(\d{1,2})(?![\d/])", working)
    if not (m_name and year and day):
        return None
    return f"{year.group(1)}-{month(m_name.group(0)):02d}-{int(day.group(1)):02d}"
