"""The thematic index of the 2021 compendium: topics, ``indexedUnder`` entries, report notations.

The index is a PDF table extracted row by row, its columns run together right
to left: [meeting-9 report paragraphs, report/decision paragraphs, decisions,
document symbols, compendium references, topic]. ``parse_index`` walks its rows:

- page header rows are skipped; after one, a row continues the previous topic
  only if the topic cell says so with "(تابع)" (that is how the index marks a
  topic running over a page), so rows whose heading the extraction lost are
  *unplaced* and listed, never filed under whatever topic came before;
- a row with no topic of its own belongs to the topic above it; a topic glued
  to the end of the reference cell is split off (``index_cells``);
- every compendium reference becomes an ``IndexEntry`` (paragraph -> topic), ranges
  and letter ranges expanded;
- the report numbering is reconciled with the compendium numbering: for each
  meeting the offset (report paragraph = recommendation + offset) that explains
  most of the index is derived from the data, each recommendation whose report
  paragraph is printed for its topic gets that paragraph as its notation, and
  every reference or printed report number the two numberings do not reconcile
  is listed in ``unreconciled`` (with the offset that *would* explain it, if any).

Topics come from ``tables/topics.toml`` (Arabic heading, English label, slug);
a heading missing from the table is an error, so the table and the index stay
in step.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from tipkg import identifiers as ids
from tipkg.errors import TipkgError
from tipkg.model import Source, Span
from tipkg.tables import load, meeting_reports

from .index_cells import CompendiumRef, ReportNumber, pattern, read_references, read_report_numbers, table


@dataclass(frozen=True)
class Topic:
    """A concept of the index: ``topic:<slug>``, its labels and its head (``broader``)."""

    identifier: str
    label_ar: str
    label_en: str
    broader: str | None = None


@dataclass(frozen=True)
class IndexEntry:
    """The index files ``paragraph`` under ``topic``; ``span``/``text`` are the reference as printed."""

    topic: str
    paragraph: str
    span: Span
    text: str
    rule: str
    line: int


@dataclass(frozen=True)
class Unreconciled:
    """A reference or report number the two numberings of the index do not reconcile."""

    topic: str
    line: int
    side: str          # "compendium" (no matching report paragraph) or "report" (no matching reference)
    text: str
    span: Span
    reason: str


@dataclass(frozen=True)
class UnplacedRow:
    """An index row whose topic heading is not in the extracted text."""

    line: int
    text: str
    span: Span
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class ThematicIndex:
    source_file: str
    span: Span
    topics: tuple[Topic, ...]
    entries: tuple[IndexEntry, ...]
    notations: dict[str, str] = field(default_factory=dict)
    offsets: dict[int, int] = field(default_factory=dict)
    offset_support: dict[int, tuple[int, int]] = field(default_factory=dict)
    unreconciled: tuple[Unreconciled, ...] = ()
    unplaced: tuple[UnplacedRow, ...] = ()
    warnings: tuple[str, ...] = ()


# --- topics table ---------------------------------------------------------------

def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=None)
def topic_table() -> tuple[dict, ...]:
    return tuple(load("topics")["topic"])


@lru_cache(maxsize=None)
def topics_by_heading() -> dict[str, Topic]:
    """Every heading (clean and as printed) -> its Topic; heads computed from "head، sub"."""
    rows = topic_table()
    by_ar = {row["ar"]: row for row in rows}
    out: dict[str, Topic] = {}
    for row in rows:
        broader = None
        separator = load("topics")["head_separator"]
        if separator in row["ar"] and not row.get("whole"):
            head = row["ar"].split(separator, 1)[0]
            if head not in by_ar:
                raise TipkgError("tipkg/tables/topics.toml", f"head {head!r} of {row['ar']!r} has no entry")
            broader = str(ids.Topic(by_ar[head]["slug"]))
        topic = Topic(str(ids.Topic(row["slug"])), row["ar"], row["en"], broader)
        out[row["ar"]] = topic
        if "printed" in row:
            out[_clean(row["printed"])] = topic
    return out


# --- identifiers ---------------------------------------------------------------------

def paragraph_identifier(ref: CompendiumRef) -> str | None:
    """The canonical identifier of the paragraph a compendium reference names (None if impossible)."""
    return _paragraph_identifier(ref.part, ref.section, ref.number, ref.letter, ref.roman, ref.preamble)


@lru_cache(maxsize=1 << 16)
def _paragraph_identifier(part: str, section: int, number: int | None, letter: str | None, roman: str | None,
                          preamble: bool) -> str | None:
    """``paragraph_identifier`` by the reference's numbering (an index names the same paragraph many
    times, and the grammar's objects validate themselves as they are made: once each here)."""
    t = table()
    if part == "A":
        if number is None or preamble or str(section) not in meeting_reports():
            return None
        return _with_parts(ids.Recommendation(ids.Meeting(section), number), letter, roman)
    symbol = t["part_b_sections"].get(str(section))
    if symbol is None:
        return None
    document = ids.parse(symbol)
    if preamble:
        return str(ids.PreambularParagraph(document, number)) if number is not None and not (letter or roman) else None
    if "/RES/" in document.symbol:
        return _with_parts(ids.Paragraph(document, number), letter, roman) if number is not None else None
    if number is not None or letter is None:
        return None
    return _with_parts(ids.Paragraph(document, letter), roman)


def notation(meeting: int, number: int, ref: CompendiumRef) -> str:
    """The report paragraph a recommendation was first numbered as (``skos:notation``)."""
    report = ids.parse(meeting_reports()[str(meeting)])
    return _with_parts(ids.Paragraph(report, number), ref.letter, ref.roman)


def _with_parts(paragraph: ids.Part, *parts: str | None) -> str:
    """``paragraph`` with its sub-paragraph and sub-item, as the grammar nests them."""
    for part in filter(None, parts):
        paragraph = ids.sub_part(paragraph, part)
    return str(paragraph)


# --- rows ------------------------------------------------------------------------------

@dataclass
class _Row:
    line: int
    start: int
    end: int
    text: str
    refs: list[CompendiumRef]
    report: list[ReportNumber]
    letters: set[tuple[int, str]]
    topic_text: str | None


def index_span(source: Source) -> Span:
    """The index: from its heading (the last one in the file) to the end of its last table row."""
    heads = list(pattern("heading").finditer(source.text))
    if not heads:
        raise TipkgError(source.file, "no thematic index heading")
    start = source.text.rfind("\n", 0, heads[-1].start()) + 1
    end = start
    pos = start
    for line in source.text[start:].splitlines(keepends=True):
        if "\t" in line:
            end = pos + len(line.rstrip())
        pos += len(line)
    return Span(start, end)


def _rows(source: Source, span: Span):
    """(line, start, end, text) of each line of the span."""
    pos = span.start
    first = source.line_of(span.start)
    for n, line in enumerate(source.text[span.start:span.end].split("\n")):
        yield first + n, pos, pos + len(line), line
        pos += len(line) + 1


def _read_row(line: int, start: int, end: int, text: str) -> _Row | None:
    cells, pos = [], start
    for cell in text.split("\t"):
        cells.append((cell, pos))
        pos += len(cell) + 1
    sym = next((k for k, (c, _) in enumerate(cells) if pattern("symbol").search(c)), None)
    if sym is None:
        return None
    has_wg = any(pattern("wg_symbol").search(c) for c, _ in cells)
    part = "A" if has_wg else "B"
    after = cells[sym + 1:]
    ref_idx = next((k for k, (c, _) in enumerate(after) if c.strip()
                    and (pattern("ordinal").search(c) or pattern("part_a").search(c) or pattern("part_b").search(c))), None)
    refs, topic_text = [], None
    if ref_idx is not None:
        cell, base = after[ref_idx]
        refs, tail, _noise = read_references(cell, base, part)
        if tail:
            topic_text = cell[tail[0] - base:tail[1] - base]
        later = [c for c, _ in after[ref_idx + 1:] if c.strip()]
    else:
        later = [c for c, _ in after if c.strip()]
    if later:
        topic_text = later[-1]
    report: list[ReportNumber] = []
    letters: set[tuple[int, str]] = set()
    for k, (cell, base) in enumerate(cells[:sym]):
        if pattern("decision").search(cell) or (k > 0 and not has_wg):
            continue   # decision paragraphs: Part B numbering, nothing to reconcile
        numbers, found = read_report_numbers(cell, base)
        report += numbers
        letters |= found
    return _Row(line, start, end, text, refs, report, letters, _clean(topic_text) if topic_text else None)


# --- the parse -----------------------------------------------------------------------

def parse_index(source: Source, span: Span | None = None) -> ThematicIndex:
    """Read the thematic index of ``source`` (``span``: the loader's index_span, else found here)."""
    span = span or index_span(source)
    headings = topics_by_heading()
    warnings: list[str] = []
    by_topic: dict[str, list[_Row]] = defaultdict(list)
    used: dict[str, Topic] = {}
    unplaced: list[UnplacedRow] = []
    current: Topic | None = None
    previous: Topic | None = None
    for line, start, end, text in _rows(source, span):
        if "\t" not in text:
            continue
        if pattern("header_row").search(text):
            previous, current = current or previous, None
            continue
        row = _read_row(line, start, end, text)
        if row is None:
            warnings.append(f"line {line}: index row without a document symbol skipped")
            continue
        if row.topic_text:
            name = _clean(pattern("continued").sub("", row.topic_text))
            topic = headings.get(name)
            if topic is None:
                raise TipkgError(source.file, f"index heading not in tables/topics.toml: {name!r}", line=line)
            if pattern("continued").search(row.topic_text) and previous is not topic:
                warnings.append(f"line {line}: '(تابع)' continues {name!r} but the page before ended with "
                                f"{previous.label_ar if previous else None!r}")
            current = topic
        if current is None:
            named = tuple(filter(None, (paragraph_identifier(r) for r in row.refs)))
            unplaced.append(UnplacedRow(line, text, Span(start, end), named))
            continue
        used[current.identifier] = current
        by_topic[current.identifier].append(row)
    entries, unparsed = _entries(source, by_topic)
    offsets, support = _derive_offsets(by_topic)
    notations, unreconciled = _reconcile(source, by_topic, offsets)
    topics = _with_heads(used)
    return ThematicIndex(source.file, span, topics, tuple(entries), notations, offsets, support,
                         tuple(unparsed + unreconciled), tuple(unplaced), tuple(warnings))


def _with_heads(used: dict[str, Topic]) -> tuple[Topic, ...]:
    """The topics filed under, plus the head of every "head، sub" topic (in table order)."""
    wanted = set(used) | {t.broader for t in used.values() if t.broader}
    out, seen = [], set()
    for topic in topics_by_heading().values():
        if topic.identifier in wanted and topic.identifier not in seen:
            out.append(topic)
            seen.add(topic.identifier)
    return tuple(out)


def _entries(source: Source, by_topic: dict[str, list[_Row]]):
    entries, problems, seen = [], [], set()
    for topic, rows in by_topic.items():
        for row in rows:
            for ref in row.refs:
                text = source.text[ref.start:ref.end]
                identifier = paragraph_identifier(ref)
                if identifier is None:
                    problems.append(Unreconciled(topic, row.line, "compendium", text, Span(ref.start, ref.end),
                                                 f"no paragraph of Part {ref.part} answers to this reference"))
                    continue
                if (topic, identifier) in seen:
                    continue
                seen.add((topic, identifier))
                entries.append(IndexEntry(topic, identifier, Span(ref.start, ref.end), text,
                                          f"index:part-{ref.part.lower()}:{ref.rule}", row.line))
    return entries, problems


def _part_a(rows: list[_Row]) -> list[tuple[_Row, CompendiumRef]]:
    return [(row, r) for row in rows for r in row.refs if r.part == "A" and r.number is not None and not r.preamble]


def _printed(rows: list[_Row]) -> tuple[Counter, set[tuple[int, str]]]:
    numbers = Counter(n.number for row in rows for n in row.report)
    letters = set().union(*(row.letters for row in rows)) if rows else set()
    return numbers, letters


def _derive_offsets(by_topic: dict[str, list[_Row]]) -> tuple[dict[int, int], dict[int, tuple[int, int]]]:
    """Per meeting, the offset under which most references find their report paragraph in their topic."""
    t = table()["offsets"]
    scores: dict[int, Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    shifts = range(t["low"], t["high"] + 1)
    for rows in by_topic.values():
        numbers, _ = _printed(rows)
        printed = {n for n, times in numbers.items() if times}  # a set: a Counter's miss is a Python call
        for _, ref in _part_a(rows):
            totals[ref.section] += 1
            for d in shifts:
                if ref.number + d in printed:
                    scores[ref.section][d] += 1
    offsets, support = {}, {}
    for meeting in sorted(totals):
        if scores[meeting]:
            best = max(scores[meeting].items(), key=lambda kv: (kv[1], -abs(kv[0])))
            offsets[meeting] = best[0]
            support[meeting] = (best[1], totals[meeting])
    return offsets, support


def _reconcile(source: Source, by_topic: dict[str, list[_Row]], offsets: dict[int, int]):
    notations: dict[str, str] = {}
    problems: list[Unreconciled] = []
    for topic, rows in by_topic.items():
        numbers, letters = _printed(rows)
        explained: set[int] = set()
        for row in rows:   # numbered paragraphs of resolution 5/2 are printed in the same columns
            explained |= {r.number for r in row.refs if r.part == "B" and r.number is not None}
        for row, ref in _part_a(rows):
            if ref.section not in offsets:
                continue
            expected = ref.number + offsets[ref.section]
            explained.add(expected)
            text = source.text[ref.start:ref.end]
            if numbers[expected] and (ref.letter is None or (expected, ref.letter) in letters):
                notations.setdefault(paragraph_identifier(ref), notation(ref.section, expected, ref))
                continue
            missing = f"{expected}" + (f" ({ref.letter})" if ref.letter else "")
            tried = table()["offsets"]
            other = [d for d in range(tried["low"], tried["high"] + 1)
                     if numbers[ref.number + d] and d != offsets[ref.section]]
            hint = f"; offset {other[0]:+d} would match" if other else ""
            problems.append(Unreconciled(topic, row.line, "compendium", text, Span(ref.start, ref.end),
                                         f"{paragraph_identifier(ref)}: report paragraph {missing} "
                                         f"(offset {offsets[ref.section]:+d}) not printed for this topic{hint}"))
        for row in rows:
            for n in row.report:
                if n.number not in explained:
                    problems.append(Unreconciled(topic, row.line, "report", n.text, Span(n.start, n.end),
                                                 f"report paragraph {n.number} printed without a compendium "
                                                 "reference that maps to it"))
                    explained.add(n.number)
    return notations, problems


def index_report_lines(index: ThematicIndex) -> list[str]:
    """The index section of the build report: counts, offsets per meeting, every unreconciled/unplaced row."""
    heads = sum(1 for t in index.topics if not any(e.topic == t.identifier for e in index.entries))
    out = [f"# thematic index ({index.source_file}): {len(index.topics)} topics "
           f"({len(index.topics) - heads} with entries, {heads} heads only), {len(index.entries)} indexedUnder "
           f"entries, {len(index.notations)} report notations, {len(index.unreconciled)} unreconciled, "
           f"{len(index.unplaced)} unplaced rows",
           "kind\tmeeting\treport\toffset\treconciled\treferences"]
    reports = meeting_reports()
    for meeting, offset in sorted(index.offsets.items()):
        hit, total = index.offset_support[meeting]
        out.append(f"offset\t{meeting}\t{reports[str(meeting)]}\t{offset:+d}\t{hit}\t{total}")
    out.append("kind\ttopic\tline\ttext\treason\tspan")
    for u in index.unreconciled:
        out.append(f"unreconciled-{u.side}\t{u.topic}\t{u.line}\t{u.text}\t{u.reason}\t"
                   f"{index.source_file}#char={u.span.start},{u.span.end}")
    for row in index.unplaced:
        out.append(f"unplaced\t\t{row.line}\t{row.text.replace(chr(9), ' | ')}\ttopic heading missing from "
                   f"the extracted text ({len(row.paragraphs)} references)\t"
                   f"{index.source_file}#char={row.span.start},{row.span.end}")
    out += [f"warning\t\t\t\t{w}\t" for w in index.warnings]
    return out
