"""The text-reuse stage's output kept out of the build's parent: its lines made in the child, its echoes on disk.

Why: the echoes grow with the corpus (up to ``MAX_ECHOES`` for each passage: ×30 has 110,000, ×100
814,000), and the forked reuse child used to send them all to the build's parent through a pipe. Each was
then held twice at once (the child's list, the parent's copy), and the parent kept its copy through the
graph stage to make their lines. Now, when the build keeps its global pass's lines by group
(``graph/memo.py``, always with an OUT), the child makes the echoes' and attestations' lines itself
(``grouped_files``: the same files, the same keys as ``add_echoes`` in the parent made) and writes the
echoes to one file in the build's scratch folder, in pickled batches. The parent gets the names of the
files: it includes the line files in ``graph.nt`` as they are (``add_spilled``) and reads the echoes once,
one batch at a time, to find the repeated mandates (``graph.mandates.add_repeats``), which keeps the few
echoes between two mandates.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tipkg.model import StructuredSource

from .reuse import Attestation, Echo, echo_group, echo_lines
from .reuse_index import reuse_stage

#: echoes a pickled batch holds (what the parent has in memory at once while reading them back)
BATCH = 20_000
STAGE = "echoes"  # the line group's stage name, as ``add_echoes`` names it


@dataclass(frozen=True)
class Spilled:
    """What the reuse child hands back: its line files (``graph/memo.py``), the file of its echoes, their count."""

    groups: tuple[Path, ...]
    echoes: Path
    count: int


def spilled_reuse(structured: Sequence[StructuredSource], keys: Sequence[str] | None, cache: str | Path | None,
                  progress: Callable[[str], None] | None, memo: Path, scratch: Path, base: str | None) -> Spilled:
    """``reuse_stage``, its lines made into ``memo`` and its echoes written to ``scratch`` (in the forked child)."""
    from tipkg.graph.memo import grouped_files

    echoes, attested = reuse_stage(structured, keys, cache, progress)
    records: list[Echo | Attestation] = [*echoes, *attested]
    groups, _ = grouped_files(memo, STAGE, records, group=echo_group, base=base,
                              lines=lambda group: echo_lines([e for e in group if isinstance(e, Echo)],
                                                             [a for a in group if isinstance(a, Attestation)], base))
    path = Path(scratch) / "echoes.pickle"
    with open(path, "wb") as out:
        for start in range(0, len(echoes), BATCH):
            pickle.dump([(e.later, e.earlier, e.score, e.later_document, e.earlier_document)
                         for e in echoes[start:start + BATCH]], out, protocol=pickle.HIGHEST_PROTOCOL)
    return Spilled(tuple(groups), path, len(echoes) + len(attested))


def read_echoes(path: Path) -> Iterator[Echo]:
    """The echoes ``spilled_reuse`` wrote, in its order, one batch in memory at a time."""
    with open(path, "rb") as data:
        while True:
            try:
                batch = pickle.load(data)
            except EOFError:
                return
            yield from (Echo(*fields) for fields in batch)


def add_spilled(graph, spilled: Spilled) -> int:
    """Include the child's line files in ``graph`` (a ``TripleSet``) as ``add_echoes`` would have; return
    how many echoes and attestations they hold. A ``SpilledTriples`` merges the files in as they are; a
    graph held in memory, as a caller's own graph stage may give, takes their lines."""
    from tipkg.graph.streams import FileLines

    for path in spilled.groups:
        graph.include(FileLines(path))
    return spilled.count
