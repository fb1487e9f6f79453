"""The delta of a build: the lines of ``graph.nt`` it removed and added against the previous build of OUT.

When OUT holds the outputs of a build made by the same code and settings
(``tipkg.cache_keys.BuildStamp.previous``: only the sources differ), the stages
after ``graph.nt`` may start from those outputs and the delta instead of
redoing the whole (the store: ``store.py``). The delta is computed while
``graph.nt`` is merged (``streams.SpilledTriples.finish``): the new lines come
out of the k-way merge sorted, the previous ``graph.nt`` is sorted too, so the
two streams are joined a block of lines at a time — one read of the previous
file, no second pass over the new one. A block whose bytes equal the previous
file's next bytes (nearly all of them after a small edit) costs one bytes
comparison; one that differs, two set differences (in C, not a Python step
per line).

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

import io
from bisect import bisect_right
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
    record: dict  # the previous build's stamp record (tipkg.cache_keys.BuildStamp), incl. its "validation" line
    removed_count: int
    added_count: int


class _Ahead:
    """The previous file read as bytes, with what was read ahead put back (``unread``)."""

    def __init__(self, file: BinaryIO):
        self.file, self.back = file, b""

    def read(self, n: int) -> bytes:
        """The next ``n`` bytes (fewer at the end), whole lines or not."""
        got, self.back = self.back[:n], self.back[n:]
        if len(got) < n:
            got += self.file.read(n - len(got))
        return got

    def lines(self, data: bytes) -> list[bytes]:
        """``data``, just read, completed to the end of its last line, as lines (newlines kept)."""
        if data and not data.endswith(b"\n"):
            cut = self.back.find(b"\n")
            if cut < 0:
                data, self.back = data + self.back + self.file.readline(), b""
            else:
                data, self.back = data + self.back[:cut + 1], self.back[cut + 1:]
        return io.BytesIO(data).readlines()

    def unread(self, lines: list[bytes]) -> None:
        self.back = b"".join(lines) + self.back


class _Unsorted(Exception):
    """The previous graph.nt is not sorted N-Triples: no delta against it."""


def write_with_delta(lines: Iterable[bytes], out: BinaryIO, previous: Path, record: dict,
                     folder: Path) -> tuple[int, Delta | None]:
    """Write the sorted, distinct ``lines`` (newlines kept) to ``out`` and diff them against the previous
    OUT's ``graph.nt`` on the way; the number of lines written and the ``Delta`` (``removed.nt`` and
    ``added.nt`` in ``folder``): ``write_blocks_with_delta`` of the lines joined a ``BLOCK`` at a time."""
    return write_blocks_with_delta(_joined(lines), out, previous, record, folder)


def write_blocks_with_delta(blocks: Iterable[bytes], out: BinaryIO, previous: Path, record: dict,
                            folder: Path) -> tuple[int, Delta | None]:
    """``write_with_delta`` of sorted, distinct lines given as blocks of whole lines (what
    ``merge.sorted_union`` reads from the merge): a block equal to the previous file's next bytes is
    compared and counted in C, never split into lines.

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
        for data in blocks:
            out.write(data)
            count += data.count(b"\n")
        return count, None
    counts = [0, 0, 0]  # removed, added, previous lines
    broken = False
    with old_file, open(removed_path, "wb", buffering=1 << 20) as removed, \
            open(added_path, "wb", buffering=1 << 20) as added:
        old = _Ahead(old_file)
        last = b""
        for data in blocks:
            if not data:
                continue
            out.write(data)
            lines = data.count(b"\n")
            count += lines
            if broken:
                continue
            try:
                last = _compare(data, lines, old, last, removed, added, counts)
            except (_Unsorted, OSError):
                broken = True
        try:
            while not broken and (rest := old.lines(old.read(1 << 20))):  # the previous lines after the last new one
                last = _checked(rest, last)
                removed.writelines(rest)
                counts[0] += len(rest)
                counts[2] += len(rest)
        except (_Unsorted, OSError):
            broken = True
    if broken or counts[2] != record.get("triples"):
        removed_path.unlink(missing_ok=True)
        added_path.unlink(missing_ok=True)
        return count, None
    return count, Delta(previous, removed_path, added_path, record, counts[0], counts[1])


def _joined(lines: Iterable[bytes]) -> Iterator[bytes]:
    stream = iter(lines)
    while block := b"".join(islice(stream, BLOCK)):
        yield block


def _compare(data: bytes, n: int, old: _Ahead, last: bytes, removed: BinaryIO, added: BinaryIO,
             counts: list[int]) -> bytes:
    """Diff one block of new lines (``data``: ``n`` whole lines) against the previous lines up to its last
    one; the last previous line read (each is checked greater than the one before: the previous file
    must be sorted)."""
    ahead = old.read(len(data))
    if ahead == data:  # the usual case: the same lines (sorted, since the new ones are): one comparison
        if data[:data.index(b"\n") + 1] <= last:
            raise _Unsorted
        counts[2] += n
        return data[data.rfind(b"\n", 0, len(data) - 1) + 1:]
    block = io.BytesIO(data).readlines()
    lines, top = old.lines(ahead), block[-1]
    while lines and lines[-1] < top and (more := old.lines(old.read(len(data)))):
        lines += more
    cut = bisect_right(lines, top)
    mine = lines[:cut]  # the previous lines this block stands for: set differences, in C
    old.unread(lines[cut:])
    if mine:
        last = _checked(mine, last)
        removed.writelines(sorted(set(mine).difference(block)))
    fresh = sorted(set(block).difference(mine))
    added.writelines(fresh)
    counts[0] += len(mine) - (len(block) - len(fresh))
    counts[1] += len(fresh)
    counts[2] += len(mine)
    return last


def _checked(lines: list[bytes], last: bytes) -> bytes:
    """The last of ``lines`` if they are strictly increasing after ``last`` and newline-terminated."""
    if lines[0] <= last or not lines[-1].endswith(b"\n") or not all(map(bytes.__lt__, lines, islice(lines, 1, None))):
        raise _Unsorted
    return lines[-1]
