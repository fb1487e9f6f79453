"""Precision and recall of mandate detection, addressee, action and deadline
against the hand-read gold (tests/gold/mandates.tsv, dev and holdout splits).

A mandate becomes four kinds of record in the gold's own schema (paragraph,
relation, target): ``mandate yes``, ``addressee <actor>``, ``action
action:<id>``, ``due session:<body>-<n>``; ``tipkg.references.evaluate`` scores
them like any other relation, over the paragraphs the gold names.

Run ``python3 -m tipkg.references.mandate_quality`` for the table.
"""

from __future__ import annotations

import sys
from typing import Iterable

from tipkg import identifiers as ids
from tipkg.model import Span

from .evaluate import GOLD_DIR, evaluate, load_gold, report
from .mandates import Mandate
from .types import Reference

GOLD = GOLD_DIR / "mandates.tsv"
RELATIONS = ("mandate", "addressee", "action", "due")


def mandate_records(mandates: Iterable[Mandate]) -> list[Reference]:
    """The records a set of mandates scores as (see the module docstring)."""
    out = []
    for m in mandates:
        def rec(relation: str, target: str) -> Reference:
            return Reference(m.paragraph, relation, target, "mandate", m.source_file, Span(0, 0), "", "mandate")
        out.append(rec("mandate", "yes"))
        out += [rec("addressee", a.actor) for a in m.addressees]
        out.append(rec("action", str(ids.Action(m.action))))
        if m.due is not None and m.due.identifier:
            out.append(rec("due", m.due.identifier))
    return out


def corpus_mandate_records() -> list[Reference]:
    from tipkg.loaders import load_structure
    from tipkg.sources import read_corpus

    from . import extract_references
    from .mandates import find_mandates

    structured = [load_structure(s) for s in read_corpus()]
    return mandate_records(find_mandates(structured, extract_references(structured).found))


def scores(split: str, records: list[Reference] | None = None):
    found = records if records is not None else corpus_mandate_records()
    return evaluate(found, load_gold(GOLD), split=split, relations=RELATIONS)


def main(argv: list[str] | None = None) -> int:
    print(report(corpus_mandate_records(), load_gold(GOLD)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
