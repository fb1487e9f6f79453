"""The text-reuse stage's output kept out of the build's parent: its lines made in the child, its echoes on disk.

Why: the echoes grow with the corpus (up to ``MAX_ECHOES`` for each passage: ×30 has 110,000, ×100
814,000), and the forked reuse child used to send them all to the build's parent through a pipe. Each was
then held twice at once (the child's list, the parent's copy), and the parent kept its copy through the
graph stage to make their lines. Now, when the build keeps its global pass's lines by group
(``graph/memo.py``, always with an OUT), the child makes the echoes' and attestations' lines itself
(the same files, the same keys as ``add_echoes`` in the parent made) and writes the echoes to one file in
the build's scratch folder, in pickled batches. The parent gets the names of the files: it includes the
line files in ``graph.nt`` as they are (``add_spilled``) and reads the echoes once, one batch at a time,
to find the repeated mandates (``graph.mandates.add_repeats``), which keeps the few echoes between two
mandates.

The child announces the echoes' file as soon as it is whole (``tipkg.parallel.announce``), before it makes
their lines: the parent finds the repeated mandates while the child makes the lines, on the core that sat
idle (×1000: the child's lines took a minute after the graph stage, and the repeats half a minute after that).

Nor does the child hold them all: the echoes come one class of identical wordings after another
(``reuse_index.streamed_reuse``), and each goes at once to the parent's file and to a scratch file of its
line group's bucket (``graph.memo.bucket_of``). Then each bucket is read back alone, put in the order
the whole sorted list gave it (``reuse.echo_order``, then its attestations), and its lines made or found
(``graph.memo.pooled_bucket_files``): the child holds one bucket's echoes (a 64th), not every passage's
offers and every echo, which at ×1000 were a gigabyte of its own. On a large corpus the buckets are made by
a pool of the build's ``jobs`` workers, each holding the bucket it makes (``POOL_ECHOES``).
"""

from __future__ import annotations

import pickle
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tipkg.graph.streams import pickled_batches
from tipkg.model import StructuredSource
from tipkg.parallel import announce

from .reuse import Attestation, Echo, echo_group, echo_lines, echo_order, echo_signature
from .reuse_index import streamed_reuse

#: echoes a pickled batch holds (what the parent has in memory at once while reading them back)
BATCH = 20_000
#: echoes of one bucket held before they are written to its scratch file (64 buckets: at most 64 times this)
BUCKET_BATCH = 500
#: echoes from which their buckets' lines are made by a pool of the build's ``jobs`` workers
#: (``memo.pooled_bucket_files``), not one bucket after another in the child. ×100 has 407,206 (and
#: attestations), ×1000 4.2 million. At ×1000 the child's lines were the build's longest chain, the other core
#: idle for 28 s; at ×100 no core sits idle then, and the pool's workers cost 0.3–1.0 CPU s more than the child
#: alone (two interleaved rounds of cold builds), for no time saved
POOL_ECHOES = 1_000_000
STAGE = "echoes"  # the line group's stage name, as ``add_echoes`` names it


@dataclass(frozen=True)
class Spilled:
    """What the reuse child hands back: its line files (``graph/memo.py``), the file of its echoes, their count."""

    groups: tuple[Path, ...]
    echoes: Path
    count: int


def spilled_reuse(structured: Sequence[StructuredSource], keys: Sequence[str] | None, cache: str | Path | None,
                  progress: Callable[[str], None] | None, memo: Path, scratch: Path, base: str | None,
                  jobs: int | None = None) -> Spilled:
    """``reuse_stage``, its lines made into ``memo`` and its echoes written to ``scratch`` (in the forked child);
    ``jobs``: the processes that make the lines of a large corpus's echoes (default: every core)."""
    from tipkg.parallel import jobs_for

    workers = jobs_for(jobs)
    return streamed_reuse(structured, keys, cache, progress,
                          lambda echoes, attested: _spill(echoes, attested, Path(memo), Path(scratch), base, workers))


def _spill(echoes: Iterator[Echo], attested: list[Attestation], memo: Path, scratch: Path, base: str | None,
           jobs: int = 1) -> Spilled:
    """Write ``echoes`` as they come to the parent's file and to their buckets' scratch files, announce the
    parent's file once it is whole (``read_echoes`` may read it from then on), then make (or find) each bucket's
    lines. Called again from the start if the index is rebuilt midway: every file is opened afresh, and the
    parent's is written beside its place and put there whole, so a reader of the first never sees it cut."""
    from tipkg.graph.memo import bucket_of, pooled_bucket_files

    path = scratch / "echoes.pickle"
    writing = scratch / "echoes.pickle.part"
    spill = scratch / "echo-buckets"
    spill.mkdir(exist_ok=True)
    held: dict[int, list[tuple]] = defaultdict(list)
    files: dict[int, BinaryIO] = {}
    count = 0

    def flush(out: BinaryIO, batch: list[tuple]) -> None:
        pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
        batch.clear()

    with open(writing, "wb") as parent:
        batch: list[tuple] = []
        try:
            for echo in echoes:
                fields = (echo.later, echo.earlier, echo.score, echo.later_document, echo.earlier_document)
                batch.append(fields)
                if len(batch) == BATCH:
                    flush(parent, batch)
                number = bucket_of(echo_group(echo))
                held[number].append(fields)
                if len(held[number]) == BUCKET_BATCH:
                    if number not in files:
                        files[number] = open(spill / f"{number}.pickle", "wb")
                    flush(files[number], held[number])
                count += 1
            flush(parent, batch)
        finally:
            for out in files.values():
                out.close()
    writing.replace(path)
    announce(path)  # the parent reads the echoes (graph.mandates.add_repeats) while the lines are made
    attested_in: dict[int, list[Attestation]] = defaultdict(list)
    for item in attested:
        attested_in[bucket_of(echo_group(item))].append(item)

    def members(number: int) -> list[Echo | Attestation]:  # one bucket's, read back in the order the lines take
        found = [Echo(*fields) for fields in pickled_batches(spill / f"{number}.pickle")] if number in files else []
        found += [Echo(*fields) for fields in held.pop(number, ())]
        found.sort(key=echo_order)
        (spill / f"{number}.pickle").unlink(missing_ok=True)
        return [*found, *attested_in[number]]

    groups, _ = pooled_bucket_files(
        memo, STAGE, sorted({*held, *files, *attested_in}), members, base=base, signature=echo_signature,
        lines=lambda group: echo_lines([e for e in group if isinstance(e, Echo)],
                                       [a for a in group if isinstance(a, Attestation)], base),
        jobs=jobs if count >= POOL_ECHOES else 1)
    shutil.rmtree(spill, ignore_errors=True)
    return Spilled(tuple(groups), path, count + len(attested))


def read_echoes(path: Path) -> Iterator[Echo]:
    """The echoes ``spilled_reuse`` wrote (in the order they came, one class after another), one batch in
    memory at a time."""
    return (Echo(*fields) for fields in pickled_batches(path))


def add_spilled(graph, spilled: Spilled) -> int:
    """Include the child's line files in ``graph`` (a ``TripleSet``) as ``add_echoes`` would have; return
    how many echoes and attestations they hold. A ``SpilledTriples`` merges the files in as they are; a
    graph held in memory, as a caller's own graph stage may give, takes their lines."""
    from tipkg.graph.merge import FileLines

    for path in spilled.groups:
        graph.include(FileLines(path))
    return spilled.count
