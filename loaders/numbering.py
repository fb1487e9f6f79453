"""Paragraph numbering shared by the loaders: abjad letters, roman sub-items, ordinals.

The mappings are data (``tipkg/tables/numbering.toml``); this module only
looks them up.

>>> latin_letter("هـ"), latin_letter("س")
('e', 'o')
>>> roman(2), roman(14)
('ii', 'xiv')
>>> ordinal("خامساً")
5
"""

from __future__ import annotations

from functools import lru_cache

from tipkg.tables import load

_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
          (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


@lru_cache(maxsize=None)
def _letters() -> dict[str, str]:
    t = load("numbering")
    return {**t["abjad_variants"], **t["abjad"]}


def latin_letter(arabic: str) -> str | None:
    """The Latin letter for an abjad sub-paragraph letter, or None if it is not one."""
    key = arabic.strip().strip("()").replace("\u0640", "")
    letters = _letters()
    return letters.get(key) or letters.get(key + "ـ")  # "(ه)" is a variant of the table


def abjad_letters() -> tuple[str, ...]:
    """The abjad letters in order (for building regular expressions)."""
    return tuple(load("numbering")["abjad"])


def roman(n: int) -> str:
    """Lower-case roman numeral of a sub-item number."""
    out = []
    for value, numeral in _ROMAN:
        while n >= value:
            out.append(numeral)
            n -= value
    return "".join(out)


def ordinal(word: str) -> int | None:
    """The number of an Arabic ordinal heading word ("أولاً", "رابعا")."""
    key = word.strip().replace("\u064b", "").replace("ً", "").rstrip("-").strip()
    return load("numbering")["ordinals"].get(key)


def month(name: str) -> int | None:
    """The month number of an Arabic month name (either naming tradition)."""
    return load("numbering")["months"].get(name.strip())
