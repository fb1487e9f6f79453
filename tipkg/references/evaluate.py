"""Precision and recall of the reference extractors against hand-checked gold:
the ONE scorer, used by every test that measures an extractor and by this command.

Gold files are TSV in ``tests/gold/`` with the columns ``paragraph``,
``relation``, ``target``, ``split`` (``dev`` or ``holdout``) and ``note``; one
row per edge a careful reader draws from the paragraph. A paragraph that is in
the sample but draws no edge of a relation is listed with relation ``none``
(or ``-``, as tests/gold/citations.tsv writes it; target ``-``), so that whatever an extractor claims there counts as a false
positive. Only paragraphs named in the gold are scored: the sample is what was
read, the rest of the corpus is not judged.

Run ``python -m tipkg.references.evaluate [GOLD.tsv ...]`` for a report over the
bundled corpus (defaults to every ``tests/gold/*.tsv``).
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .types import Reference

GOLD_DIR = Path(__file__).resolve().parents[2] / "tests" / "gold"
COLUMNS = ("paragraph", "relation", "target", "split", "note")
SPLITS = ("dev", "holdout")


@dataclass(frozen=True)
class GoldEdge:
    paragraph: str
    relation: str
    target: str
    split: str
    note: str = ""


@dataclass(frozen=True)
class Score:
    relation: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


def load_gold(path: str | Path) -> list[GoldEdge]:
    """Read a gold TSV (header line required; lines starting with # are comments)."""
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [l for l in fh if l.strip() and not l.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t")
    missing = set(COLUMNS[:4]) - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    for n, row in enumerate(reader, 2):
        split = row["split"].strip()
        if split not in SPLITS:
            raise ValueError(f"{path}:{n}: split must be dev or holdout, not {split!r}")
        relation = row["relation"].strip()
        rows.append(GoldEdge(row["paragraph"].strip(), "none" if relation == "-" else relation, row["target"].strip(),
                             split, (row.get("note") or "").strip()))
    return rows


def evaluate(found: Iterable[Reference], gold: Iterable[GoldEdge], *, split: str | None = None,
             relations: Iterable[str] | None = None) -> dict[str, Score]:
    """Per relation: edges found vs. edges in the gold, over the gold's paragraphs.

    ``split`` restricts to one split; ``relations`` to some relations (default:
    every relation the gold names). Duplicate edges (one paragraph attested by
    two sources) count once.
    """
    gold = [g for g in gold if split is None or g.split == split]
    wanted = set(relations) if relations is not None else {g.relation for g in gold} - {"none"}
    expected = {(g.paragraph, g.relation, g.target) for g in gold if g.relation in wanted}
    got = _in_sample(found, gold, wanted)
    scores = {}
    for rel in sorted(wanted):
        e = {x for x in expected if x[1] == rel}
        g = {x for x in got if x[1] == rel}
        scores[rel] = Score(rel, len(e & g), len(g - e), len(e - g))
    return scores


def differences(found: Iterable[Reference], gold: Iterable[GoldEdge], *, split: str | None = None
                ) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(false positives, false negatives) as (paragraph, relation, target), for review."""
    gold = [g for g in gold if split is None or g.split == split]
    wanted = {g.relation for g in gold} - {"none"}
    expected = {(g.paragraph, g.relation, g.target) for g in gold if g.relation in wanted}
    got = _in_sample(found, gold, wanted)
    return sorted(got - expected), sorted(expected - got)


def _in_sample(found: Iterable[Reference], gold: list[GoldEdge], wanted: set[str]) -> set[tuple[str, str, str]]:
    """The found edges the gold can judge: the index gold is complete per topic it
    covers, the others per paragraph read."""
    sample = {g.paragraph for g in gold}
    topics = {g.target for g in gold if g.relation == "indexedUnder"}
    return {(r.paragraph, r.relation, r.target) for r in found if r.relation in wanted and
            (r.target in topics if r.relation == "indexedUnder" else r.paragraph in sample)}


def report(found: list[Reference], gold: list[GoldEdge]) -> str:
    """A plain-text table: relation, split, TP/FP/FN, precision, recall; then the misses."""
    lines = [f"{'relation':<18} {'split':<8} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}"]
    for split in SPLITS:
        for rel, s in evaluate(found, gold, split=split).items():
            lines.append(f"{rel:<18} {split:<8} {s.true_positives:>4} {s.false_positives:>4} "
                         f"{s.false_negatives:>4} {s.precision:>9.3f} {s.recall:>7.3f}")
    for split in SPLITS:
        fps, fns = differences(found, gold, split=split)
        for p, r, t in fps:
            lines.append(f"FP {split}: {p} | {r} | {t}")
        for p, r, t in fns:
            lines.append(f"FN {split}: {p} | {r} | {t}")
    return "\n".join(lines)


def index_references(index) -> list[Reference]:
    """The thematic index's entries as ``indexedUnder`` references (what the graph draws)."""
    if index is None:
        return []
    return [Reference(e.paragraph, "indexedUnder", e.topic, "topic", index.source_file, e.span, e.text, e.rule)
            for e in index.entries]


def corpus_references() -> list[Reference]:
    """Every reference the extractors find in the bundled corpus, the thematic
    index's ``indexedUnder`` entries and the mandates' records included."""
    from tipkg.loaders import load_structure
    from tipkg.sources import read_corpus

    from . import extract_references

    structured = [load_structure(s) for s in read_corpus()]
    refs = extract_references(structured)
    index = index_references(refs.index)
    from .mandate_quality import mandate_records  # tests/gold/mandates.tsv scores these
    from .mandates import find_mandates
    return refs.found + index + mandate_records(find_mandates(structured, refs.found))


def main(argv: list[str] | None = None) -> int:
    paths = [Path(a) for a in (argv if argv is not None else sys.argv[1:])] or sorted(GOLD_DIR.glob("*.tsv"))
    found = corpus_references()
    for path in paths:
        print(f"== {path}")
        print(report(found, load_gold(path)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
