"""Loader for the 2021 UNODC compendium (manifest kind ``compendium``).

The compendium gathers two kinds of text under one cover, and the graph needs
them as the documents they come from, not as the book:

- Part A ("ألف-") reprints every recommendation of the Working Group on
  Trafficking in Persons, renumbered per meeting. Each meeting becomes a
  ``wg-report`` Document named after its report symbol (the compendium does not
  print the symbols; tables/compendium_structure.toml has them from the index
  rows), with ``TIP-WG <meeting> rec <n>`` paragraphs, and a ``Meeting``.
- Part B ("باء-") reprints the Conference's decisions 1/5, 2/3, 3/3, 4/4 and
  resolution 5/2, numbered back to front in the extraction ("المقرر 5/1");
  the session heading above each one puts the number right.
- The thematic index at the end is not parsed here: only its span is kept.

Footnote bodies are taken out of the flow wherever a page break dropped them
(``compendium_parts.Footnotes``); an unmarked line after them continues the
paragraph that was open (``compendium_parts.Outline``).

Where the extraction ran lettered paragraphs together on one line, a letter
after ":" or "؛" that continues the expected sequence is split off: the
operative paragraphs of decision 3/3 (lines 730 and 734), and the lettered
list of topics of meeting 9, recommendation 17 (line 619: "...المقبلة: (أ) ...؛
(ب) ..."), whose sub-paragraphs (a)-(h) are nodes below ``TIP-WG 9 rec 17``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from tipkg import identifiers as ids
from tipkg.errors import TipkgError
from tipkg.model import Document, Meeting, Source, Span, StructuredSource
from tipkg.normalize import cop_session_first
from tipkg.tables import meeting_reports

from .compendium_parts import (ITEM, SUB, TOP, Footnotes, Line, Outline, Segment, iso_date, leading_segment,
                               lines_of, patterns, table, trimmed)
from .numbering import latin_letter, ordinal


def load(source: Source) -> StructuredSource:
    """Read the meetings, reports, decisions and the index span of the compendium."""
    lines = lines_of(source.text)
    p = patterns()
    part_a = _find(source, lines, "part_a", 0)
    part_b = _find(source, lines, "part_b", part_a + 1)
    index = _find(source, lines, "index", part_b + 1)
    warnings: list[str] = []
    footnotes = Footnotes(source.text)
    meetings, reports = [], []
    for heading, m, body in _sections(lines[part_a + 1:part_b], p["meeting_heading"], warnings):
        meeting, report = _meeting(source, heading, m, body, footnotes, warnings)
        meetings.append(meeting)
        if report:
            reports.append(report)
    instruments = _part_b(source, lines[part_b + 1:index], footnotes, warnings)
    warnings += [f"line {line}: footnote mark {mark} has no footnote body in the text"
                 for mark, line in sorted(footnotes.pending.items(), key=lambda item: int(item[0]))]
    compendium = Document(identifier=source.identifier, kind="compendium", source=source.identifier,
                          title_ar=source.title_ar, title_en=source.title_en, date=source.date,
                          span=Span(0, len(source.text)))
    return StructuredSource(source=source, documents=(compendium, *reports, *instruments),
                            meetings=tuple(meetings), index_span=_index_span(lines, index),
                            warnings=tuple(warnings))


def _find(source: Source, lines: list[Line], name: str, after: int) -> int:
    """Index (0-based) of the first line from ``after`` that matches heading ``name``."""
    pattern = patterns()[name]
    for i in range(after, len(lines)):
        if pattern.match(lines[i].text):
            return i
    raise TipkgError(source.path, f"compendium: no {name.replace('_', ' ')} heading found "
                                  f"(pattern {pattern.pattern!r} in tables/compendium_structure.toml)")


def _sections(lines: list[Line], heading: re.Pattern, warnings: list[str]):
    """Split ``lines`` at headings: yields (heading line, its match, the lines below it)."""
    current: tuple[Line, re.Match, list[Line]] | None = None
    for line in lines:
        m = heading.match(line.text)
        if m:
            if current:
                yield current
            current = (line, m, [])
        elif current:
            current[2].append(line)
        elif line.text:
            warnings.append(f"line {line.number}: text before the first heading ignored")
    if current:
        yield current


def _extent(heading: Line, body: list[Line]) -> Span:
    """From the heading to the end of the last non-blank line below it."""
    last = next((line for line in reversed(body) if line.text), heading)
    return Span(heading.start, last.end)


# --- Part A: Working Group meetings -----------------------------------------

_PART_A_LEVELS = {"number": (TOP, "recommendation", "rec"), "letter": (SUB, "subparagraph", ""),
                  "subitem": (ITEM, "subitem", "")}


def _meeting(source: Source, heading: Line, m: re.Match, body: list[Line], footnotes: Footnotes,
             warnings: list[str]) -> tuple[Meeting, Document | None]:
    """One meeting: its ``Meeting`` and, if it adopted recommendations, its report ``Document``."""
    number = ordinal(m.group("ordinal"))
    if number is None:
        raise TipkgError(source.path, f"compendium: unknown ordinal {m.group('ordinal')!r}", heading.number)
    date, end_date = _meeting_dates(source, heading, m.group("when"))
    report = meeting_reports().get(str(number))
    outline = Outline(report or str(ids.Meeting(number)), ids.Meeting(number), source.text, warnings)
    notes = []
    for line in footnotes.running(body, notes):
        seg = leading_segment(line)
        piece = trimmed(source.text, seg.start, seg.end)
        if seg.marker == "plain":
            if not outline.extend(piece):
                warnings.append(f"line {line.number}: meeting {number} text outside any recommendation (kept out)")
            continue
        level, kind, label = _PART_A_LEVELS[seg.marker]
        outline.open(level, kind, label, seg.number, piece, line.number)
        if level == TOP:
            _split_inline_list(outline, line, seg)
    span = _extent(heading, body)
    meeting = Meeting(number=number, date=date, end_date=end_date, report=report, title_ar=heading.text, span=span)
    paragraphs = outline.paragraphs()
    if report is None:
        if paragraphs:
            warnings.append(f"line {heading.number}: meeting {number} has recommendations but no report symbol")
        return meeting, None
    return meeting, Document(identifier=report, kind="wg-report", source=source.identifier, title_ar=heading.text,
                             date=date, span=span, paragraphs=paragraphs, footnotes=tuple(notes), meeting=number)


def _split_inline_list(outline: Outline, line: Line, seg: Segment) -> None:
    """Open the sub-paragraphs (a), (b), ... of a recommendation printed run together
    on its own line, when the letters follow one another from (a) on."""
    cuts = list(patterns()["inline_letter"].finditer(outline.text, seg.start, line.end))
    letters = [latin_letter(c.group("letter")) for c in cuts]
    if len(cuts) < 2 or letters != [chr(ord("a") + i) for i in range(len(cuts))]:
        return
    draft = outline.current
    draft.pieces[-1] = trimmed(outline.text, draft.pieces[-1][0], cuts[0].start())
    for cut, after in zip(cuts, cuts[1:] + [None]):
        piece = trimmed(outline.text, cut.end(), after.start() if after else line.end)
        outline.open(SUB, "subparagraph", "", cut.group("letter"), piece, line.number)


def _meeting_dates(source: Source, heading: Line, when: str) -> tuple[str, str | None]:
    """First and last day of a meeting (ISO); a one-day meeting has no end date."""
    m = patterns()["meeting_dates"].match(when)
    date = m and iso_date(m.group("day"), m.group("month"), m.group("year"))
    if not date:
        raise TipkgError(source.path, f"compendium: cannot read the meeting dates {when!r}", heading.number)
    end = m.group("end_day") and iso_date(m.group("end_day"), m.group("month"), m.group("year"))
    return date, end


# --- Part B: decisions and resolution of the Conference ----------------------

@dataclass
class _Operative:
    """Where a Part B instrument's reading stands."""

    started: bool = False   # an operative paragraph was met (unmarked lines now continue)
    numbered: bool = False  # operative paragraphs are numbered (5/2): letters are sub-paragraphs


def _part_b(source: Source, lines: list[Line], footnotes: Footnotes, warnings: list[str]) -> list[Document]:
    """Every instrument under the session headings; an exact date where the text cites one."""
    p = patterns()
    documents, cited_dates = [], {}
    for heading, m, body in _sections(lines, p["session_heading"], warnings):
        session = ordinal(m.group("ordinal"))
        for line in body:
            for c in p["cited_decision_date"].finditer(line.text):
                number = cop_session_first(int(c.group("a")), int(c.group("b")), max_session=session)
                cited_dates[number] = iso_date(c.group("day"), c.group("month"), c.group("year"))
        for head, hm, inner in _sections(body, p["instrument_heading"], warnings):
            documents.append(_instrument(source, session, m.group("year"), head, hm, inner, footnotes, warnings))
    return [replace(d, date=cited_dates.get(number, d.date)) for number, d in documents]


def _instrument(source: Source, session: int, year: str, heading: Line, m: re.Match, body: list[Line],
                footnotes: Footnotes, warnings: list[str]) -> tuple[tuple[int, int], Document]:
    """One decision or resolution (with its number, session first): title lines, enacting
    formula, preamble, operative part. Its date is the session's year."""
    infix, kind = table()["instrument_kinds"][m.group("kind")]
    s, n = cop_session_first(int(m.group("a")), int(m.group("b")), session_context=session)
    identifier = f"CTOC/COP/{infix}/{s}/{n}"
    outline = Outline(identifier, ids.Document(identifier), source.text, warnings)
    state, title, notes, in_title = _Operative(), [], [], True
    for line in footnotes.running(body, notes):
        start = line.start
        if in_title:
            formula = patterns()["enacting_formula"].match(line.text)
            if not formula:
                title.append(line.text)
                continue
            in_title, start = False, trimmed(source.text, line.start + formula.end(), line.end)[0]
            if start >= line.end:
                continue
        _read_line(outline, line, leading_segment(line, start), state, warnings)
    return (s, n), Document(identifier=identifier, kind=kind, source=source.identifier, title_ar=" ".join(title),
                            date=year, span=_extent(heading, body), paragraphs=outline.paragraphs(),
                            footnotes=tuple(notes), published_in=table()["published_in"].get(f"{s}/{n}"),
                            session=session)


def _read_line(outline: Outline, line: Line, seg: Segment, state: _Operative, warnings: list[str]) -> None:
    """Place a line's segment, splitting off lettered operative paragraphs run into it."""
    text = outline.text
    while True:
        if not _place(outline, line, seg, state, warnings) or state.numbered:
            return
        cut = next((c for c in patterns()["inline_letter"].finditer(text, seg.start, line.end)
                    if latin_letter(c.group("letter")) == latin_letter(outline.next_letter())), None)
        if cut is None:
            return
        draft = outline.current
        draft.pieces[-1] = trimmed(text, draft.pieces[-1][0], cut.start())
        seg = Segment("letter", cut.group("letter"), cut.end(), line.end)


def _place(outline: Outline, line: Line, seg: Segment, state: _Operative, warnings: list[str]) -> bool:
    """Open or continue the paragraph a segment belongs to; False if it belongs to none."""
    piece = trimmed(outline.text, seg.start, seg.end)
    if seg.marker == "number":
        state.started = state.numbered = True
        outline.open(TOP, "operative", "para", seg.number, piece, line.number)
    elif seg.marker == "letter" and state.numbered:
        outline.open(SUB, "subparagraph", "", seg.number, piece, line.number)
    elif seg.marker == "letter":
        state.started = True
        outline.open(TOP, "operative", "para", seg.number, piece, line.number)
    elif seg.marker == "subitem":
        outline.open(ITEM, "subitem", "", seg.number, piece, line.number)
    elif not state.started and patterns()["preambular_opener"].match(outline.text[piece[0]:piece[1]]):
        outline.open(TOP, "preambular", "pp", str(outline.count("preambular pp") + 1), piece, line.number)
    elif not outline.extend(piece):
        warnings.append(f"line {line.number}: {outline.document} text outside any paragraph (kept out)")
        return False
    return True


# --- the thematic index -------------------------------------------------------

def _index_span(lines: list[Line], index: int) -> Span:
    """From the index heading to the end of its last table row (the back cover follows)."""
    row = patterns()["index_row"]
    last = next((line for line in reversed(lines[index:]) if row.search(line.text)), lines[index])
    return Span(lines[index].start, last.end)
