"""The global pass's lines, remembered by what they are made of: a rebuild redoes the groups that changed.

After the sources' parts (``graph/parts.py``), the build's parent makes lines of its own from records
of the whole corpus: the mandates and what answered them (``graph/mandates.py``, ``graph/answers.py``),
the text-reuse echoes (``network/reuse.py``), the repeats. Each line follows from one record alone
(and the base IRI), so the records are put in groups — by the source file or document they come from,
hashed into ``BUCKETS`` buckets — and each group's lines are kept as one sorted N-Triples file in the
cache (``lines/<stage>/``), named by a hash of its records (``signature``), the code version and the
base IRI. A rebuild after one source changed finds most groups' records unchanged: their files are
merged into ``graph.nt`` as they are (``SpilledTriples.include``), neither made nor sorted again; the
groups whose records changed are made and stored.

The file of a group depends only on the group's records, so what comes out is what making every line
afresh gives (tested against ``--no-cache`` builds, whose groups go to the build's scratch folder).
An entry is a lines file and a sealed record of its SHA-256, written last (as ``tipkg.part_cache.PartCache``
does): a file that is short or altered is made again, never merged.

>>> lines = lambda group: [f"<http://x/{r}> <http://x/p> <http://x/o> .".encode() for r in group]
>>> from tipkg.graph.triples import TripleSet
>>> t = TripleSet()
>>> add_grouped(t, "demo", ["b", "a"], group=str, lines=lines)
2
>>> len(t)
2
"""

from __future__ import annotations

import hashlib
import io
import pickle
import shutil
import tempfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from .merge import FileLines, sorted_chunk, sorted_union

R = TypeVar("R")

#: groups a stage's records fall into (by a CRC-32 of their group's name): an edit redoes the buckets of the
#: records it changed, so more buckets redo less; each bucket is one more stream in graph.nt's k-way merge
BUCKETS = 64
MAGIC = b"TIPKG-LINES 1\n"
#: distinct lines ``LineStore.put`` holds before it writes them, sorted, to a run on disk (~8 MB of lines)
RUN_LINES = 50_000


def add_grouped(graph, stage: str, records: Iterable[R], *, group: Callable[[R], str],
                lines: Callable[[Sequence[R]], Iterable[bytes]], signature: Callable[[R], object] | None = None,
                base: str | None = None) -> int:
    """Add the lines ``lines(records)`` makes to ``graph``; return how many groups were made (not read back).

    ``group(record)``: the name of the record's group (its source file, its document): records of one
    source fall in one bucket. ``signature(record)``: a value (pickled) that changes whenever the record's
    lines would; by default the record itself (frozen dataclasses of strings, numbers and tuples: no sets,
    whose order would vary between runs). The lines of a bucket are those ``lines`` makes of its records,
    any order, no newlines. With a ``SpilledTriples`` whose ``memo`` folder is set, each bucket's sorted
    lines are kept there and merged in; otherwise the lines are added."""
    records = list(records)
    folder = getattr(graph, "memo", None)
    if folder is None:
        if records:
            graph.add_lines(lines(records))
        return len({bucket_of(group(r)) for r in records})
    paths, made = grouped_files(Path(folder), stage, records, group=group, lines=lines, signature=signature,
                                base=base)
    for path in paths:
        graph.include(_reader(path))
    return made


def grouped_files(folder: Path, stage: str, records: Iterable[R], *, group: Callable[[R], str],
                  lines: Callable[[Sequence[R]], Iterable[bytes]], signature: Callable[[R], object] | None = None,
                  base: str | None = None) -> tuple[list[Path], int]:
    """The sorted lines file of each bucket of ``records`` in ``folder`` (read back, or made and stored), and
    how many were made: ``add_grouped`` without the graph, so a forked stage can make its lines where its
    records are and hand the parent file names (``network/reuse_spill.py``)."""
    buckets: dict[int, list[R]] = defaultdict(list)
    for r in records:
        buckets[bucket_of(group(r))].append(r)
    return bucket_files(folder, stage, ((number, buckets[number]) for number in sorted(buckets)), lines=lines,
                        signature=signature, base=base)


def bucket_files(folder: Path, stage: str, buckets: Iterable[tuple[int, Sequence[R]]], *,
                 lines: Callable[[Sequence[R]], Iterable[bytes]], signature: Callable[[R], object] | None = None,
                 base: str | None = None) -> tuple[list[Path], int]:
    """``grouped_files`` of records already put in their buckets (``bucket_of``): ``(number, records)``, one
    bucket in memory at a time, so a stage whose records outgrow memory can spill them by bucket
    and hand them over one bucket after another (``network/reuse_spill.py``)."""
    store = LineStore(folder, stage)
    found = [_bucket_file(store, stage, base, number, members, lines, signature) for number, members in buckets]
    return [path for path, _ in found], sum(made for _, made in found)


def pooled_bucket_files(folder: Path, stage: str, numbers: Sequence[int], members: Callable[[int], Sequence[R]], *,
                        lines: Callable[[Sequence[R]], Iterable[bytes]], signature: Callable[[R], object] | None = None,
                        base: str | None = None, jobs: int = 1) -> tuple[list[Path], int]:
    """``bucket_files`` of the buckets ``numbers``, each bucket's records read by ``members(number)`` (from a
    spill file), made by ``jobs`` forked workers at once: the same files, in the order of ``numbers``.

    Why: the text reuse's child makes its 64 buckets' lines after its index is read, and at ×1000 that
    minute was the build's longest chain, the other core idle for 28 s (the parent done with the graph stage,
    the store's load waiting for graph.nt's merge, which waits for the echoes' lines). The buckets are
    independent, so workers take them as a core frees up. Where processes cannot be forked (the workers
    inherit ``members`` and ``lines``, closures over the child's state), or with one job, one bucket after
    another, as ``bucket_files``."""
    from tipkg.parallel import forks, process_pool

    jobs = min(jobs, len(numbers))
    if jobs < 2 or not forks():
        return bucket_files(folder, stage, ((number, members(number)) for number in numbers), lines=lines,
                            signature=signature, base=base)
    global _POOLED
    _POOLED = (LineStore(folder, stage), stage, base, members, lines, signature)
    try:
        with process_pool(jobs, f"{stage} lines") as pool:
            found = list(pool.map(_pooled_bucket, numbers))
    finally:
        _POOLED = None
    return [path for path, _ in found], sum(made for _, made in found)


#: what ``pooled_bucket_files``'s forked workers read (set before the pool forks them; never pickled)
_POOLED: tuple | None = None


def _pooled_bucket(number: int) -> tuple[Path, bool]:
    """One bucket's file, in a worker of ``pooled_bucket_files``."""
    assert _POOLED is not None, "a worker of pooled_bucket_files forked without its work"
    store, stage, base, members, lines, signature = _POOLED
    return _bucket_file(store, stage, base, number, members(number), lines, signature)


def _bucket_file(store: LineStore, stage: str, base: str | None, number: int, members: Sequence[R],
                 lines: Callable[[Sequence[R]], Iterable[bytes]], signature: Callable[[R], object] | None
                 ) -> tuple[Path, bool]:
    """The sorted lines file of one bucket's ``members``, read back or made and stored; and whether it was made."""
    key = _key(stage, base, number, members, signature)
    path = store.get(key)
    if path is not None:
        return path, False
    return store.put(key, lines(members)), True


def _reader(path: Path) -> Callable[[], Iterator[bytes]]:
    return FileLines(path)


def bucket_of(name: str) -> int:
    """The bucket of a group's records: a CRC-32 of the group's name, modulo ``BUCKETS``."""
    return zlib.crc32(name.encode("utf-8")) % BUCKETS


def _key(stage: str, base: str | None, number: int, members: Sequence, signature: Callable | None) -> str:
    from tipkg.cache_keys import BUILD_PACKAGES, code_version

    digest = hashlib.sha256(f"{code_version(BUILD_PACKAGES)}\0{stage}\0{base}\0{number}\0".encode("utf-8"))
    digest.update(_content(members if signature is None else [signature(m) for m in members]))
    return digest.hexdigest()


def _content(value) -> bytes:
    """``value`` pickled by content alone: no memo, so an object met twice is written twice and the bytes
    do not depend on which equal objects happen to be one object (a tenth of ``repr``'s time).

    >>> a = "x" * 3
    >>> _content([a, a]) == _content(["x" * 3, "".join("xxx")])
    True
    """
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo (records hold no cycles)
    pickler.dump(value)
    return out.getvalue()


class LineStore:
    """Sorted line files of one stage under ``<folder>/lines/<stage>/<key[:2]>/``: ``<key>.nt`` and
    ``<key>.sum`` (its SHA-256, sealed; written last, so an entry is whole once it is there)."""

    def __init__(self, folder: Path, stage: str):
        self.folder = folder / "lines" / stage

    def paths(self, key: str) -> tuple[Path, Path]:
        at = self.folder / key[:2]
        return at / f"{key}.nt", at / f"{key}.sum"

    def get(self, key: str) -> Path | None:
        """The lines file stored under ``key``, or None if absent or not whole."""
        from tipkg.cache_entries import file_digest, unsealed, used

        path, check = self.paths(key)
        record = unsealed(check, MAGIC, str)
        try:
            if record is None or file_digest(path) != record:
                return None
        except OSError:
            return None
        used(path)  # kept while builds read it (tipkg/cache_use.py); the record is marked by ``unsealed``
        return path

    def put(self, key: str, lines: Iterable[bytes]) -> Path:
        """Store ``lines`` sorted, without repeats, atomically (the lines file first, its sum last). At most
        ``RUN_LINES`` distinct lines are held: past them, each run goes sorted to a scratch file and the
        runs are merged (``merge.sorted_union``: GNU sort in C) as they are written (a reuse bucket at
        ×1000 is ~0.9 M lines, and sorting it whole held it two or three times)."""
        from tipkg.cache_entries import sealed, write_atomically

        path, check = self.paths(key)
        held: set[bytes] = set()
        runs: list[Path] = []
        scratch = None
        try:
            for line in lines:
                held.add(line)
                if len(held) >= RUN_LINES:
                    if scratch is None:
                        scratch = Path(tempfile.mkdtemp(prefix="tipkg-lines-"))
                    runs.append(sorted_chunk(held, scratch / f"run-{len(runs):05d}.nt"))
                    held = set()
            digest = hashlib.sha256()
            if scratch is None:  # all held: sorted and written at once
                held.discard(b"")
                ordered = sorted(held)
                del held  # the lines are held once or twice at a time, not three times
                data = b"\n".join(ordered) + b"\n" if ordered else b""
                digest.update(data)
                write_atomically(path, data)
            else:
                runs.append(sorted_chunk(held, scratch / f"run-{len(runs):05d}.nt"))
                del held

                def blocks() -> Iterator[bytes]:
                    for block in sorted_union(runs, scratch):
                        digest.update(block)
                        yield block
                write_atomically(path, blocks())
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
        write_atomically(check, sealed(digest.hexdigest(), MAGIC))
        return path


class Collected:
    """A ``TripleSet`` stand-in that keeps what a stage adds as N-Triples lines: lines added as text as
    they came (as ``SpilledTriples`` keeps them), triples as pyoxigraph writes them — what a group's
    file holds, the same bytes the stage's lines would have had in ``graph.nt``."""

    def __init__(self) -> None:
        from .triples import TripleSet

        self.terms = TripleSet()
        self.raw: list[bytes] = []

    def add(self, triple: tuple) -> None:
        self.terms.add(triple)

    def add_lines(self, lines: Iterable[bytes]) -> None:
        self.raw.extend(lines)

    def lines(self) -> list[bytes]:
        import pyoxigraph as ox

        if not len(self.terms):
            return self.raw
        text = ox.serialize(self.terms, format=ox.RdfFormat.N_TRIPLES)
        return self.raw + (text.split(b"\n") if text else [])


def collected(fill: Callable[[Collected], object]) -> list[bytes]:
    """The lines ``fill(graph)`` adds to a graph."""
    graph = Collected()
    fill(graph)
    return graph.lines()
