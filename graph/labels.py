"""Human-readable labels derived from canonical identifiers and paragraph text.

Analysts read English; the identifiers are ASCII and systematic, so English
labels of documents can be spelled out from them. Patterns are in
``tipkg/tables/labels.toml``.

>>> document_label_en("A/RES/61/180")
'General Assembly resolution 61/180'
>>> document_label_en("CTOC/COP/DEC/4/4")
'Conference of the Parties decision 4/4'
>>> document_label_en("CTOC/COP/2008/19")
'UN document CTOC/COP/2008/19'
"""

from __future__ import annotations

import re
from functools import lru_cache

from tipkg.model import Paragraph
from tipkg.tables import load


@lru_cache(maxsize=None)
def _patterns() -> list[tuple[re.Pattern, str]]:
    return [(re.compile(row["pattern"]), row["label"]) for row in load("labels")["document"]]


def document_label_en(identifier: str) -> str:
    """An English label for a document identifier (a table of identifier patterns)."""
    for pattern, label in _patterns():
        m = pattern.fullmatch(identifier)
        if m:
            return label.format(*m.groups(), id=identifier)
    return identifier


@lru_cache(maxsize=None)
def _marker() -> re.Pattern:
    return re.compile(load("labels")["paragraph"]["marker"])


def paragraph_label_ar(paragraph: Paragraph, words: int = 10) -> str:
    """A short Arabic label: the paragraph's first words (list marker dropped), from its working text."""
    tokens = _marker().sub("", paragraph.normalized or paragraph.text, count=1).split()
    head = " ".join(tokens[:words])
    return head + (" …" if len(tokens) > words else "")
