"""Reading the cells of one thematic-index row: compendium references and report numbers.

The index (003, lines 898-1112) gives every reference twice: in the compendium's
own numbering ("سادساً-11" = meeting 6, recommendation 11; "ثالثاً (ج)" = Part B,
decision 3/3, paragraph c) and in the numbering of the meeting report or
decision that adopted it ("15" in the report column). This module reads both
kinds of cell into plain records; ``thematic_index`` puts rows together into
topics and reconciles the two numberings.

The extraction runs the PDF's columns right to left and scrambles tokens, so
the reader is a small token scanner (patterns from ``tables/thematic_index.toml``)
with a state machine rather than one big regular expression: an ordinal opens a
reference, numbers, ranges, letters, letter ranges and quoted sub-items attach
to it, and whatever Arabic words are left after the last reference are a topic
heading glued to the cell ("... تاسعاً-16 جهات الاستجابة، العاملون في ...").

>>> refs, tail, noise = read_references("أولاً-16 (ب) سادساً-11", 0, "A")
>>> [(r.section, r.number, r.letter) for r in refs]
[(1, 16, 'b'), (6, 11, None)]
>>> [(r.number) for r in read_references("ثانياً-21-23", 0, "A")[0]]
[21, 22, 23]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from tipkg.loaders.numbering import abjad_letters, latin_letter, ordinal, roman
from tipkg.normalize import western_digits
from tipkg.tables import load



@lru_cache(maxsize=None)
def table() -> dict:
    return load("thematic_index")


@lru_cache(maxsize=None)
def pattern(name: str) -> re.Pattern:
    """The compiled pattern of one table entry."""
    return re.compile(table()[name]["pattern"])


@lru_cache(maxsize=None)
def _scanner() -> re.Pattern:
    t = table()
    parts = [("part_a", t["part_a"]["pattern"]), ("part_b", t["part_b"]["pattern"]),
             ("ord", t["ordinal"]["pattern"]), ("pre", t["preamble"]["pattern"]),
             ("letter", t["letter"]["pattern"]), ("subitem", t["subitem"]["pattern"]),
             ("alef", t["alef_word"]["pattern"])]
    parts += [(name, t["tokens"][name]) for name in ("num", "dash", "waw", "punct", "word")]
    return re.compile("|".join(f"(?P<k_{name}>{body})" for name, body in parts))


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int
    value: object = None


def tokens(cell: str, base: int) -> list[Token]:
    """The tokens of a cell; offsets are ``base`` + position in the cell."""
    text = western_digits(cell)  # one character for one: offsets unchanged
    out = []
    for m in _scanner().finditer(text):
        # the token's kind is the one top-level group that matched (it closes after any group inside it:
        # ``lastgroup``), unless it matched nothing
        name = m.lastgroup
        if name is None or not name.startswith("k_") or not m.group(name):
            continue
        kind = name[2:]
        value: object = None
        if kind == "ord":
            value = ordinal(m.group("word"))
        elif kind == "num":
            value = int(m.group().lstrip(table()["tokens"]["conjunction"]))
        elif kind == "letter":
            value = latin_letter(m.group("letter"))
            if value is None:
                kind = "word"
        elif kind == "subitem":
            value = roman(int(m.group("n") or m.group("m")))
        out.append(Token(kind, cell[m.start():m.end()], base + m.start(), base + m.end(), value))
    return out


@dataclass(frozen=True)
class CompendiumRef:
    """One paragraph named in the compendium's numbering.

    ``part`` "A" (``section`` = meeting) or "B" (``section`` = COP session of
    Part B); ``number`` the recommendation / operative paragraph number (None
    for the lettered paragraphs of decisions 1/5-4/4); ``preamble`` for "ف.د."
    (a preambular paragraph of resolution 5/2); ``rule`` says how it was read.
    """

    part: str
    section: int
    number: int | None
    letter: str | None
    roman: str | None
    preamble: bool
    start: int
    end: int
    rule: str


def letter_range(first: str, last: str) -> list[str]:
    """The Latin letters from ``first`` to ``last`` in abjad order ("a".."h")."""
    order = [latin_letter(a) for a in abjad_letters()]
    i, j = order.index(first), order.index(last)
    return order[i:j + 1] if i <= j else order[j:i + 1]


def read_references(cell: str, base: int, part: str) -> tuple[list[CompendiumRef], tuple[int, int] | None, list[Token]]:
    """The compendium references of a reference cell, the span of a glued topic, stray words.

    ``part`` is the part the row's other columns imply ("A" for report rows,
    "B" for decision rows); a "الجزء ألف/باء" marker in the cell overrides it.
    """
    toks = tokens(cell, base)
    refs: list[CompendiumRef] = []
    noise: list[Token] = []
    section = None
    sec_start = 0
    anchor: CompendiumRef | None = None   # the number letters attach to
    pending_roman = None
    after_ordinal = False
    last_ref_tok = -1
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind in ("part_a", "part_b"):
            part, section, anchor = ("A" if t.kind == "part_a" else "B"), None, None
            last_ref_tok = i
        elif t.kind == "ord":
            section, sec_start, anchor, pending_roman, after_ordinal = t.value, t.start, None, None, True
            last_ref_tok = i
            i += 1
            continue
        elif section is None:
            if t.kind not in ("dash", "waw", "punct"):
                noise.append(t)
        elif t.kind == "pre":
            anchor = CompendiumRef(part, section, None, None, None, True, sec_start, t.end, "preamble")
            last_ref_tok = i
        elif t.kind == "num":
            numbers, end, i, rule = _number_or_range(toks, i, section, after_ordinal)
            preamble = bool(anchor and anchor.preamble and anchor.number is None)
            made = [CompendiumRef(part, section, n, None, None, preamble, sec_start, end, rule) for n in numbers]
            refs += made
            anchor = made[-1] if len(made) == 1 else None
            last_ref_tok = i
        elif t.kind == "letter":
            letters, end, i = _letter_or_range(toks, i)
            number = anchor.number if anchor else None
            preamble = anchor.preamble if anchor else False
            if anchor and refs and refs[-1] == anchor and anchor.letter is None and anchor.number is not None:
                refs.pop()               # "16 (ب)" is rec 16 (b), not rec 16 and 16 (b)
            rule = "letter-range" if len(letters) > 1 else ("letter" if number is not None else "decision-letter")
            made = [CompendiumRef(part, section, number, x, pending_roman, preamble, sec_start, end, rule)
                    for x in letters]
            refs += made
            pending_roman = None
            anchor = replace(made[-1], letter=None) if anchor and number is not None else made[-1]
            if number is None:
                anchor = None
            last_ref_tok = i
        elif t.kind == "subitem":
            if refs and refs[-1].letter and refs[-1].section == section and refs[-1].roman is None \
                    and (i == 0 or toks[i - 1].kind != "ord"):
                refs[-1] = replace(refs[-1], roman=t.value, end=t.end, rule=refs[-1].rule + "+subitem")
            else:
                pending_roman = t.value
            last_ref_tok = i
        elif t.kind == "alef":
            if refs and refs[-1].number is not None and refs[-1].letter is None:
                refs[-1] = replace(refs[-1], letter="a", end=t.end, rule="alef-letter")
                last_ref_tok = i
            else:
                noise.append(t)
        elif t.kind == "word":
            noise.append(t)
        after_ordinal = t.kind == "dash" and after_ordinal
        i += 1
    tail = None
    rest = [t for t in toks[last_ref_tok + 1:] if t.kind == "word"]
    if rest:
        tail = (rest[0].start, toks[-1].end)
        noise = [t for t in noise if t.start < rest[0].start]
    return refs, tail, noise


def _number_or_range(toks: list[Token], i: int, section: int, after_ordinal: bool):
    """A number at ``toks[i]``, or a range "21-23" / "39-خامساً-41"; returns (numbers, end, last index, rule)."""
    t = toks[i]
    kinds = [x.kind for x in toks[i + 1:i + 5]]
    if kinds[:2] == ["dash", "num"] and not toks[i + 2].text.startswith(table()["tokens"]["conjunction"]):
        hi = toks[i + 2]
        return _span(t.value, hi.value), hi.end, i + 2, "range"
    if after_ordinal and kinds[:2] == ["dash", "ord"] and toks[i + 2].value == section:
        k = i + 3
        if k < len(toks) and toks[k].kind == "dash":
            k += 1
        if k < len(toks) and toks[k].kind == "num":
            return _span(t.value, toks[k].value), toks[k].end, k, "range"
    return [t.value], t.end, i, "number"


def _span(a: int, b: int) -> list[int]:
    lo, hi = min(a, b), max(a, b)
    return list(range(lo, hi + 1))


def _letter_or_range(toks: list[Token], i: int):
    t = toks[i]
    if i + 2 < len(toks) and toks[i + 1].kind == "dash" and toks[i + 2].kind == "letter":
        return letter_range(t.value, toks[i + 2].value), toks[i + 2].end, i + 2
    return [t.value], t.end, i


@dataclass(frozen=True)
class ReportNumber:
    """A paragraph number printed in a report column (ranges expanded)."""

    number: int
    start: int
    end: int
    text: str


def read_report_numbers(cell: str, base: int) -> tuple[list[ReportNumber], set[tuple[int, str]]]:
    """Paragraph numbers (ranges "13-11" either way round expanded) and the (number, letter) pairs of a report cell.

    A letter belongs to the number before it ("7 (هـ) و(ح)" -> 7 (e), 7 (h)); a
    letter before any number belongs to the next one ("(i) 17" -> 17 (a)).
    Numbers after "ف.د." are preambular paragraphs of a decision and are left out.
    """
    toks = tokens(cell, base)
    numbers: list[ReportNumber] = []
    pairs: set[tuple[int, str]] = set()
    waiting: list[str] = []
    last: int | None = None
    i = 0
    skip_next = False
    while i < len(toks):
        t = toks[i]
        if t.kind == "pre":
            skip_next = True
        elif t.kind == "num":
            values, end, j, _ = _number_or_range(toks, i, -1, False)
            if not skip_next:
                numbers += [ReportNumber(n, t.start, end, cell[t.start - base:end - base]) for n in values]
                last = values[-1]
                pairs.update((last, x) for x in waiting)
                waiting = []
            skip_next = False
            i = j
        elif t.kind == "letter":
            found, _, i = _letter_or_range(toks, i)
            if last is None:
                waiting += found
            else:
                pairs.update((last, x) for x in found)
        i += 1
    return numbers, pairs
