"""The delta of a build: the lines of ``graph.nt`` it removed and added against the previous build of OUT.

When OUT holds the outputs of a build made by the same code and settings
(``tipkg.units.BuildStamp.previous``: only the sources differ), the stages
after ``graph.nt`` may start from those outputs and the delta instead of
redoing the whole (the store: ``store.py``). The delta is computed while
``graph.nt`` is merged (``streams.SpilledTriples.finish``): the new lines come
out of the k-way merge sorted, the previous ``graph.nt`` is sorted too, so one
merge-join of the two streams finds the lines only one side has — about one
read of the previous file, no second pass over the new one. Lines are compared
a block at a time, and a block equal to the previous file's next block (nearly
all of them after a small edit) costs one list comparison, not a Python step
per line.

``removed`` and ``added`` are sorted N-Triples files (newline-terminated
lines) in the build's scratch folder (``.OUT.chunks-*``, ``outputs.scratch_folder``),
gone when the build ends. The previous OUT is only read.

>>> import io, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> (folder / "out").mkdir()
>>> _ = (folder / "out" / "graph.nt").write_bytes(b"<a> <p> 1 .\\n<b> <p> 2 .\\n<c> <p> 3 .\\n")
>>> new = io.BytesIO()
>>> count, delta = write_with_delta([b"<a> <p> 1 .\\n", b"<c> <p> 3 .\\n", b"<d> <p> 4 .\\n"], new,
...                                 folder / "out", {"triples": 3}, folder)
>>> count, delta.removed.read_bytes(), delta.added.read_bytes(), delta.removed_count, delta.added_count
(3, b'<b> <p> 2 .\\n', b'<d> <p> 4 .\\n', 1, 1)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import BinaryIO

#: lines compared at a time (a block equal to the previous file's next one is one list comparison)
BLOCK = 4096


@dataclass(frozen=True)
class Delta:
    """How this build's ``graph.nt`` differs from the previous build's (of the same code and settings)."""

    previous: Path  # the previous OUT folder (read only)
    removed: Path  # sorted N-Triples lines (newline-terminated) in the previous graph.nt, not in the new one
    added: Path  # sorted N-Triples lines in the new graph.nt, not in the previous one
    record: dict  # the previous build's stamp record (tipkg.units.BuildStamp), incl. its "validation" line
    removed_count: int
    added_count: int


class _Ahead:
    """The previous file's lines, with lines read ahead put back (``unread``)."""

    def __init__(self, lines: Iterator[bytes]):
        self.lines, self.back = lines, deque()

    def take(self, n: int) -> list[bytes]:
        got = [self.back.popleft() for _ in range(min(n, len(self.back)))]
        got += islice(self.lines, n - len(got))
        return got

    def unread(self, lines: list[bytes]) -> None:
        self.back.extendleft(reversed(lines))

    def next(self) -> bytes | None:
        return self.back.popleft() if self.back else next(self.lines, None)


class _Unsorted(Exception):
    """The previous graph.nt is not sorted N-Triples: no delta against it."""


def write_with_delta(lines: Iterable[bytes], out: BinaryIO, previous: Path, record: dict,
                     folder: Path) -> tuple[int, Delta | None]:
    """Write the sorted, distinct ``lines`` (newlines kept) to ``out`` and diff them against the previous
    OUT's ``graph.nt`` on the way; the number of lines written and the ``Delta`` (``removed.nt`` and
    ``added.nt`` in ``folder``).

    The delta is None — and every line is written all the same — when the previous file cannot be read,
    is not sorted, or holds another number of lines than its build's ``record`` says: a stage given no
    delta redoes its whole, never works from a base that is off.
    """
    previous = Path(previous)
    folder.mkdir(parents=True, exist_ok=True)
    removed_path, added_path = folder / "removed.nt", folder / "added.nt"
    count = 0
    try:
        old_file = open(previous / "graph.nt", "rb", buffering=1 << 20)
    except OSError:
        old_file = None
    if old_file is None:
        for block in _blocks(lines):
            out.writelines(block)
            count += len(block)
        return count, None
    counts = [0, 0, 0]  # removed, added, previous lines
    broken = False
    with old_file, open(removed_path, "wb", buffering=1 << 20) as removed, \
            open(added_path, "wb", buffering=1 << 20) as added:
        old = _Ahead(iter(old_file))
        last = b""
        for block in _blocks(lines):
            out.writelines(block)
            count += len(block)
            if broken:
                continue
            try:
                last = _compare(block, old, last, removed, added, counts)
            except (_Unsorted, OSError):
                broken = True
        if not broken:
            try:
                while (line := old.next()) is not None:
                    if line <= last or not line.endswith(b"\n"):
                        raise _Unsorted
                    removed.write(line)
                    counts[0] += 1
                    counts[2] += 1
                    last = line
            except (_Unsorted, OSError):
                broken = True
    if broken or counts[2] != record.get("triples"):
        removed_path.unlink(missing_ok=True)
        added_path.unlink(missing_ok=True)
        return count, None
    return count, Delta(previous, removed_path, added_path, record, counts[0], counts[1])


def _blocks(lines: Iterable[bytes]) -> Iterator[list[bytes]]:
    stream = iter(lines)
    while block := list(islice(stream, BLOCK)):
        yield block


def _compare(block: list[bytes], old: _Ahead, last: bytes, removed: BinaryIO, added: BinaryIO,
             counts: list[int]) -> bytes:
    """Merge-join one block of new lines with the previous file's lines; the last previous line read."""
    ahead = old.take(len(block))
    if ahead == block:  # the usual case: nothing changed here (sorted, since the new lines are)
        if ahead[0] <= last:
            raise _Unsorted
        counts[2] += len(block)
        return block[-1]
    old.unread(ahead)
    line_old = old.next()
    for line in block:
        while line_old is not None and line_old < line:
            last = _checked(line_old, last)
            removed.write(line_old)
            counts[0] += 1
            counts[2] += 1
            line_old = old.next()
        if line_old == line:
            last = _checked(line_old, last)
            counts[2] += 1
            line_old = old.next()
        else:
            added.write(line)
            counts[1] += 1
    if line_old is not None:
        old.unread([line_old])
    return last


def _checked(line: bytes, last: bytes) -> bytes:
    if line <= last or not line.endswith(b"\n"):
        raise _Unsorted
    return line
