"""Structure loader for a provisional agenda with annotations (manifest kind ``agenda``).

An agenda prints its items twice: a bare list under the title, then each item
again under the annotations heading ("الشروح"), followed by its explanatory
text and the documents before the meeting ("الوثائق"). The spec makes the
annotations and the documents part of the item's node, so each item (and
sub-item) is ONE paragraph: when it is annotated, its text is the annotation
block — the repeated title, the annotation paragraphs and the documents lines,
one contiguous stretch of the file, so the span holds every word of the text;
an item that is only listed keeps its list line. The list is still read, to
check that both printings agree on the items. The annex (the proposed
organization of work, a timetable repeating the item titles) is left out:
it adds no text of its own, only times.

Item numbers, headings and symbols are patterns in
``tipkg/tables/agenda_structure.toml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from tipkg import identifiers as ids
from tipkg.errors import TipkgError
from tipkg.loaders.numbering import abjad_letters, latin_letter, month
from tipkg.model import Document, Paragraph, Source, Span, StructuredSource
from tipkg.normalize import normalize, western_digits
from tipkg.tables import load as load_table
from tipkg.tables import meetings_by_date



@lru_cache(maxsize=None)
def patterns() -> dict[str, object]:
    """The compiled patterns of the agenda table."""
    t = load_table("agenda_structure")
    return {
        **{name: re.compile(t["headings"][name]) for name in ("title", "annotations", "documents", "annex")},
        "items": tuple(re.compile(form["pattern"]) for form in t["item"]),
        **{name: re.compile(t[name]["pattern"]) for name in ("subitem", "symbol", "date", "venue")},
        "meetings": meetings_by_date(),
    }


@dataclass
class _Block:
    """One printing of an item or sub-item: pieces of the file and documents listed."""

    key: tuple[str, str | None]
    pieces: list[tuple[int, int]] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)


def load(source: Source) -> StructuredSource:
    """Read the agenda's items and sub-items, with their annotations, from ``source``."""
    p = patterns()
    warnings: list[str] = []
    listed: dict[tuple, _Block] = {}
    annotated: dict[tuple, _Block] = {}
    section, current, in_documents = "masthead", None, False
    date = venue = None
    offset = 0
    for line in source.text.split("\n"):
        start, stripped = offset + len(line) - len(line.lstrip()), line.strip()
        offset += len(line) + 1
        if not stripped:
            continue
        end = start + len(stripped)
        if section == "masthead":
            date = date or p["date"].match(stripped)
            venue = venue or p["venue"].match(stripped)
            if p["title"].match(stripped):
                section, blocks = "list", listed
            continue
        if p["annotations"].match(stripped):
            section, blocks, current = "annotations", annotated, None
            continue
        if p["annex"].match(stripped):
            break
        heading = _heading(stripped, blocks, current)
        if heading:
            key, title_at = heading
            current, in_documents = blocks.setdefault(key, _Block(key)), False
            current.pieces.append((start + title_at, end))
        elif current is not None and section == "annotations":
            current.pieces.append((start, end))
            in_documents = in_documents or bool(p["documents"].match(stripped))
            if in_documents:
                current.documents += [m["symbol"] for m in p["symbol"].finditer(stripped)]
    if not listed and not annotated:
        raise TipkgError(source.path, "no agenda items found (expected a list under 'جدول الأعمال المؤقت')")
    if listed and annotated and list(listed) != list(annotated):
        warnings.append(f"{source.path}: the agenda list gives items {list(listed)}, the annotations {list(annotated)}")
    order = list(listed) + [k for k in annotated if k not in listed]
    paragraphs = tuple(_paragraph(source, annotated.get(k) or listed[k], order) for k in order)
    document = Document(
        identifier=source.identifier, kind="agenda", source=source.path,
        title_ar=source.title_ar, title_en=source.title_en,
        date=_date(source, date, warnings), span=Span(0, len(source.text)),
        paragraphs=paragraphs, meeting=_meeting(venue, p["meetings"], source, warnings))
    return StructuredSource(source=source, documents=(document,), warnings=tuple(warnings))


def _heading(line: str, blocks: dict, current: _Block | None) -> tuple[tuple, int] | None:
    """The (key, offset of the title) of an item or sub-item heading, if ``line`` is the next one.

    Only the next number in sequence counts as an item, and only the next
    abjad letter as a sub-item, so annotation text that happens to open with a
    digit or a parenthesis is not taken for a heading.
    """
    p = patterns()
    items = [k[0] for k in blocks if k[1] is None]
    expected = str(int(items[-1]) + 1) if items else "1"
    for form in p["items"]:
        m = form.match(line)
        if m and western_digits(m["number"]) == expected:
            return (expected, None), m.start("title")
    m = p["subitem"].match(line)
    if m and items:
        taken = [k[1] for k in blocks if k[0] == items[-1] and k[1]]
        letters = [latin_letter(a) for a in abjad_letters()]
        if len(taken) < len(letters) and latin_letter(m["letter"]) == letters[len(taken)]:
            return (items[-1], letters[len(taken)]), m.start("title")
    return None


def _paragraph(source: Source, block: _Block, order: list[tuple]) -> Paragraph:
    number, letter = block.key
    item = ids.top_paragraph(ids.parse(source.identifier), "item", number)
    siblings = [k for k in order if (k[1] is None) == (letter is None) and (letter is None or k[0] == number)]
    text = " ".join(source.text[s:e] for s, e in block.pieces)
    span = Span(block.pieces[0][0], block.pieces[-1][1])
    return Paragraph(
        identifier=str(ids.sub_part(item, letter)) if letter else str(item),
        kind="agenda-subitem" if letter else "agenda-item",
        parent=str(item) if letter else source.identifier,
        number=letter or number, position=siblings.index(block.key) + 1,
        text=text, span=span, normalized=normalize(text).text, line=source.line_of(span.start),
        documents=tuple(dict.fromkeys(block.documents)))


def _date(source: Source, found: re.Match | None, warnings: list[str]) -> str:
    """The date the masthead prints ("10 December 2009"); the manifest's when none is printed."""
    if not found:
        warnings.append(f"{source.path}: no date line in the masthead; using the manifest date {source.date}")
        return source.date
    date = datetime.strptime(found.group(0), "%d %B %Y").date().isoformat()
    if date != source.date:
        warnings.append(f"{source.path}: masthead date {date} differs from the manifest date {source.date}")
    return date


def _meeting(venue: re.Match | None, meetings: dict, source: Source, warnings: list[str]) -> int | None:
    """The Working Group meeting the agenda is for, from the opening date under the masthead."""
    if venue and month(venue["month"]):
        day, year = (int(western_digits(venue[g])) for g in ("day", "year"))
        opening = f"{year:04d}-{month(venue['month']):02d}-{day:02d}"
        if opening in meetings:
            return meetings[opening]
        warnings.append(f"{source.path}: no Working Group meeting opened on {opening}")
    else:
        warnings.append(f"{source.path}: no venue and opening date found under the masthead")
    return None
