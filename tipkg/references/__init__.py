"""Stage 4 — references: read every cross-reference a paragraph makes.

In the spirit of eyecite: the working text of each paragraph is scanned with
patterns compiled from the tables (``tipkg/tables/``), each match is resolved
to a canonical identifier using the paragraph's context, and the result is a
list of plain ``Reference`` records (plus the ``Unresolved`` ones, for review).
``extract_references`` is the stage's one entry point.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tipkg.model import StructuredSource

from .types import Context, Reference, Unresolved
from .verbs import extract_verbs


@dataclass
class References:
    found: list[Reference] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)


def extract_references(structured: list[StructuredSource]) -> References:
    """Every reference of every paragraph of every source."""
    found = References()
    found.found.extend(extract_verbs(structured, found.found))  # verbs, addressees, recalls (refs-verbs)
    return found


__all__ = ["Context", "Reference", "References", "Unresolved", "extract_references"]
