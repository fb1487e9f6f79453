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


@dataclass
class References:
    found: list[Reference] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)


def extract_references(structured: list[StructuredSource]) -> References:
    """Every reference of every paragraph of every source (empty until extractors land)."""
    return References()


__all__ = ["Context", "Reference", "References", "Unresolved", "extract_references"]
