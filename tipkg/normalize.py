"""Stage 2 — normalization of extracted Arabic text, keeping an offset map.

PDF extraction leaves Arabic-Indic digits, tatweel stretches, superscript
footnote marks, digits glued to words and, in some files, whole lines laid out
in visual (right-to-left) order. The normalizer turns a source's text into a
clean *working text* that loaders and extractors read, and keeps, for every
character of it, the offset of the original character it came from. Whatever
is found in the working text can therefore be reported as a span of the
original file.

All character mappings come from ``tables/normalization.toml``.

>>> n = normalize("قــرار ٦١/١٨٠")
>>> n.text
'قرار 61/180'
>>> n.original_span(5, 11)
Span(start=7, end=13)
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache

from .model import Span
from .tables import load


@dataclass(frozen=True)
class Normalized:
    """Working text plus ``offsets[i]`` = original offset of working character ``i``.

    ``offsets`` has one extra trailing entry (the original length) so that an
    end-exclusive working index maps cleanly. ``repaired_lines`` lists the
    1-based original lines that were reordered from visual order.
    """

    text: str
    offsets: tuple[int, ...]
    repaired_lines: tuple[int, ...] = ()

    def original_span(self, start: int, end: int) -> Span:
        """The smallest original span covering working characters ``[start, end)``."""
        if end <= start:
            at = self.offsets[start]
            return Span(at, at)
        chunk = self.offsets[start:end]
        return Span(min(chunk), max(chunk) + 1)


@lru_cache(maxsize=None)
def _tables() -> dict[bool, tuple[Callable[[str], str], re.Pattern[str]]]:
    """For plain and folded normalization: the translation (``translator``) and a pattern of the runs of
    characters it deletes (all mappings are one character to one or none)."""
    t = load("normalization")
    mapping: dict[str, str] = {}
    for section in ("digits", "superscripts", "punctuation"):
        mapping.update(t[section])
    mapping.update({ch: "" for ch in t["deleted"].values()})
    fold = t["fold"]
    lo, hi = t["diacritics"]["range"]
    diacritics = {chr(c) for c in range(ord(lo), ord(hi) + 1)} | set(t["diacritics"]["extra"])
    folded = {**{k: fold.get(v, v) for k, v in mapping.items()}, **{k: v for k, v in fold.items() if k not in mapping},
              **{d: "" for d in diacritics}}
    out = {}
    for is_fold, table in ((False, mapping), (True, folded)):
        dropped = "".join(re.escape(k) for k, v in sorted(table.items()) if not v)
        out[is_fold] = (translator(table), re.compile(f"[{dropped}]+"))
    return out


def translator(table: dict[str, str]) -> Callable[[str], str]:
    """``text.translate`` of ``table`` (each key one character, mapped to one or to none: ""), made by a
    pattern of the keys that stops only at the characters it maps. ``str.translate`` looks every character
    of a non-ASCII text up in the table, one at a time in Python objects: 48 ms for the compendium's
    135,000 characters, against 0.5 ms here (2.7 ms folded, where every diacritic goes).

    >>> translator({"٦": "6", "ـ": ""})("قــرار ٦")
    'قرار 6'
    """
    keys = re.compile("[" + "".join(re.escape(k) for k in sorted(table)) + "]")
    lookup = {k: v or "" for k, v in table.items()}.__getitem__

    def translate(text: str) -> str:
        return keys.sub(lambda m: lookup(m[0]), text)
    return translate


_ARABIC = "\u0600-\u06ff"
_LETTERS = "\u0621-\u064a"
#: a digit before a letter or a letter before a digit: a space goes after it (the match's end). Matched as a
#: character, not as the place between two (a lookbehind at every place of a text took ten times as long)
_GLUED = re.compile(rf"[0-9](?=[{_LETTERS}])|[{_LETTERS}](?=[0-9])")
_RUN_GAP = re.compile(r" {2,}|\t")


@lru_cache(maxsize=16384)
def normalize(text: str, *, visual: bool = False, fold: bool = False) -> Normalized:
    """Normalize ``text``; with ``visual`` reorder visual-order lines; with ``fold``
    also produce the search form (no diacritics, folded alef/yaa/taa marbuta).

    >>> normalize("٢٠٠٦ديسمبر").text
    '2006 ديسمبر'
    >>> normalize("يؤكّد", fold=True).text
    'يوكد'
    """
    translate, dropped = _tables()[fold]
    chars: list[str] = []
    offsets: list[int] = []
    repaired: list[int] = []
    pos = 0
    for lineno, line in enumerate(text.split("\n"), 1):
        pieces = _line_pieces(line, pos, visual)
        if len(pieces) > 1:
            repaired.append(lineno)
        for k, (start, run) in enumerate(pieces):
            if k:
                chars.append(" ")
                offsets.append(start)
            out = translate(run)
            chars.append(out)
            if len(out) == len(run):
                offsets.extend(range(start, start + len(run)))
            else:  # the offsets of the characters kept: the stretches between runs of deleted ones
                last = start
                for gone in dropped.finditer(run):
                    offsets.extend(range(last, start + gone.start()))
                    last = start + gone.end()
                offsets.extend(range(last, start + len(run)))
        chars.append("\n")
        offsets.append(pos + len(line))
        pos += len(line) + 1
    chars.pop()
    offsets.pop()
    offsets.append(len(text))
    working = "".join(chars)
    # Separate digits glued to words ("٢٠٠٦ديسمبر"): insert a space, mapped to
    # the character after the gap.
    if _GLUED.search(working):
        out_chars, out_offsets, last = [], [], 0
        for m in _GLUED.finditer(working):
            at = m.end()
            out_chars.append(working[last:at])
            out_offsets.extend(offsets[last:at])
            out_chars.append(" ")
            out_offsets.append(offsets[at])
            last = at
        out_chars.append(working[last:])
        out_offsets.extend(offsets[last:])
        working, offsets = "".join(out_chars), out_offsets
    return Normalized(working, tuple(offsets), tuple(repaired))


def normalize_whole(text: str, *, fold: bool = False) -> Whole:
    """``normalize`` of a whole source's text (not in visual order), its working text made at once and the
    offsets of a span made when asked (``Whole``), for ``references.answers``' front matter: the search reads
    the whole text and maps back the few spans it finds. Made with every offset (a fifth of a source's view,
    tipkg/views.py), and without ``normalize``'s memo: that kept every source's normalization, an offset per
    character, for the rest of the build and in every process forked after it (×10: 6 MB for its 5 different
    texts; a corpus of 5,000 different sources about 0.6 GB).

    >>> text = "مقدمة" + chr(10) + "  قــرار ٦١/١٨٠ "
    >>> whole = normalize_whole(text, fold=True)
    >>> whole.text == normalize(text, fold=True).text, whole.original_span(6, 10) == normalize(text, fold=True).original_span(6, 10)
    (True, True)
    """
    return Whole(text, _working(text, fold), fold)


@dataclass(frozen=True)
class Whole:
    """A whole text normalized (``normalize_whole``): ``text`` is ``normalize(source, fold=fold).text``, and
    ``original_span`` answers as ``normalize``'s would. Normalization reads one line at a time (no mapping
    reads or makes a newline, a glued digit is one beside a letter of its line), so the offsets of a span are
    those of the lines it covers, each normalized alone and shifted to where it starts."""

    source: str
    text: str
    fold: bool = False

    def original_span(self, start: int, end: int) -> Span:
        """The smallest original span covering working characters ``[start, end)``."""
        first = bisect_right(self._starts[0], start) - 1
        last = max(first, bisect_right(self._starts[0], end - 1) - 1)
        offsets: list[int] = []
        for line in range(first, last + 1):
            at = self._starts[1][line]
            offsets += (at + o for o in normalize.__wrapped__(self._lines[line], fold=self.fold).offsets)
        return Normalized("", tuple(offsets)).original_span(start - self._starts[0][first],
                                                            end - self._starts[0][first])

    @cached_property
    def _lines(self) -> list[str]:
        return self.source.split("\n")

    @cached_property
    def _starts(self) -> tuple[list[int], list[int]]:
        """Where each line starts in the working text and in the source."""
        working, original = [0], [0]
        for line, raw in zip(self.text.split("\n"), self._lines):
            working.append(working[-1] + len(line) + 1)
            original.append(original[-1] + len(raw) + 1)
        return working, original


def _working(text: str, fold: bool) -> str:
    """``normalize(text, fold=fold).text`` (not in visual order), made without the offsets: each line
    stripped of its edge blanks, the lines translated at once (no mapping reads or makes a newline), then
    a digit glued to a letter parted from it by a space."""
    working = _tables()[fold][0]("\n".join(line.strip(" \t") for line in text.split("\n")))
    return _GLUED.sub(r"\g<0> ", working)


def _line_pieces(line: str, pos: int, visual: bool) -> list[tuple[int, str]]:
    """Split a line into runs (start offset, text); reversed if laid out visually."""
    stripped = line.strip(" \t")
    lead = len(line) - len(line.lstrip(" \t"))
    if not visual or not stripped:
        return [(pos + lead, stripped)] if stripped else []
    runs, last = [], 0
    for m in _RUN_GAP.finditer(stripped):
        runs.append((pos + lead + last, stripped[last:m.start()]))
        last = m.end()
    runs.append((pos + lead + last, stripped[last:]))
    runs = [r for r in runs if r[1].strip()]
    if len(runs) > 1 and looks_visual(stripped):
        runs.reverse()
    return [(s, r.strip()) for s, r in runs] if len(runs) > 1 else runs


def looks_visual(line: str) -> bool:
    """Whether a line holds several Arabic runs separated by wide gaps.

    Visual-order extraction pads runs with two or more spaces; a logical line
    of running text does not.

    >>> looks_visual("الدول الأطراف إلى يطلب  - ٣")
    True
    >>> looks_visual("(أ) يرحب بكون معظم الدول الأطراف")
    False
    """
    return bool(_RUN_GAP.search(line.strip())) and bool(re.search(f"[{_ARABIC}]", line))


def is_visual_source(text: str) -> bool:
    """Whether a whole file was extracted in visual order (most lines padded and gapped)."""
    lines = [l for l in text.split("\n") if l.strip()]
    if not lines:
        return False
    padded = sum(1 for l in lines if l.startswith(" ") or l.endswith(" "))
    return padded / len(lines) > 0.6


def western_digits(text: str) -> str:
    """Arabic-Indic and Eastern digits made Western, nothing else changed (one character for one).

    >>> western_digits("٢٠١٠")
    '2010'
    """
    return _section("digits")(text)


def plain_superscripts(text: str) -> str:
    """Superscript digits and parentheses made plain, nothing else changed (one character for one).

    >>> plain_superscripts("⁽¹²⁾")
    '(12)'
    """
    return _section("superscripts")(text)


@lru_cache(maxsize=None)
def _section(name: str) -> Callable[[str], str]:
    return translator(load("normalization")[name])


@lru_cache(maxsize=16384)
def search_form(text: str) -> str:
    """The folded form used to match Arabic patterns and search text: ``normalize(text, fold=True).text``,
    made without the offset of each character, which no caller of it reads (the extraction and the
    parent's mandates pass make it of every paragraph: it was a sixth of the pass's time). Each line is
    stripped of its edge blanks, the lines translated at once (no mapping reads or makes a newline),
    then a digit glued to a letter is parted from it by a space, as ``normalize`` does.

    >>> search_form("الأمانة") == search_form("الامانه")
    True
    >>> text = "  قــرار ٦١/١٨٠ " + chr(9) + chr(10) + "يؤكّد ٢٠٠٦ديسمبر"
    >>> search_form(text) == normalize(text, fold=True).text == "قرار 61/180" + chr(10) + "يوكد 2006 ديسمبر"
    True
    """
    return _working(text, True)


# --- numbers written back to front -------------------------------------------

#: General Assembly resolutions are numbered ``session/n`` from session 31 (1976); session 1 met
#: in 1946 (tables/sessions.toml [ga]).
GA_FIRST_NUMBERED_SESSION = load("sessions")["ga"]["first_numbered_session"]
GA_FIRST_SESSION_YEAR = load("sessions")["ga"]["first_session_year"]
GA_LAST_SESSION_WHEN_UNDATED = load("sessions")["ga"]["last_session_when_undated"]


def ga_session_first(a: int, b: int, *, year: int | None = None, reversed_source: bool | None = None) -> tuple[int, int]:
    """Put a General Assembly resolution number session first.

    Right-to-left extraction prints ``61/144`` as ``144/61``. A session lies in
    the range of numbered GA sessions up to the citing document's year; when
    both orders are possible, the source's known orientation decides.

    >>> ga_session_first(144, 61, year=2010)
    (61, 144)
    >>> ga_session_first(25, 55, year=2006)
    (55, 25)
    >>> ga_session_first(61, 180, year=2006)
    (61, 180)
    """
    last = (year - GA_FIRST_SESSION_YEAR + 1) if year else GA_LAST_SESSION_WHEN_UNDATED

    def ok(s: int) -> bool:
        return GA_FIRST_NUMBERED_SESSION <= s <= last

    if ok(a) and not ok(b):
        return a, b
    if ok(b) and not ok(a):
        return b, a
    if reversed_source:
        return b, a
    return a, b


def cop_session_first(a: int, b: int, *, session_context: int | None = None, max_session: int | None = None,
                      reversed_source: bool | None = None) -> tuple[int, int]:
    """Put a COP (or CCPCJ) decision number session first.

    ``session_context`` is the session a heading places the text in (decision
    "5/1" under the first session is 1/5); ``max_session`` the latest session a
    citing text can refer to.

    >>> cop_session_first(5, 1, session_context=1)
    (1, 5)
    >>> cop_session_first(5, 1, max_session=2)
    (1, 5)
    >>> cop_session_first(1, 4, reversed_source=True)
    (4, 1)
    """
    if session_context is not None:
        if a == session_context:
            return a, b
        if b == session_context:
            return b, a
    if max_session is not None:
        if a <= max_session < b:
            return a, b
        if b <= max_session < a:
            return b, a
    if reversed_source:
        return b, a
    return a, b
