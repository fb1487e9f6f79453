"""The text dumps and VoID written a segment of graph.nt at a time; a segment unchanged since the
previous build is copied from its files instead of being written again.

Segments. ``graph.nt`` is sorted, so a subject's lines are together. ``cut`` splits it at subject
boundaries: a segment starts at the first line and at every subject whose CRC-32 (of its
N-Triples form, e.g. ``<https://…/id/A/RES/61/180>``) has its low 8 bits zero — one subject in
256, about 2,700 lines on the corpus. Whether a subject starts a segment depends on that subject
alone, so an edit moves no boundary but at the subjects it adds or removes: the segments around
an edit keep their bytes, hence their SHA-256.

Concatenation. Each text dump is its header, each segment's output (with a separator between two)
and its footer, byte for byte what one writer over the whole graph gives:

- ``graph.ttl``: the prefix lines, then each segment's subject blocks (a subject's block is written
  from its own triples, as pyoxigraph's Turtle writer writes it: ``turtle.py``; nothing spans two subjects);
- ``graph.jsonld``: the context, then each segment's node objects, "," between two segments,
  then ``]}`` (``jsonld.py``);
- ``graph.trig``: the prefix lines, then each segment's graph blocks (``dumps.trig_blocks``). A
  graph's block is repeated in every segment that has triples in it — valid TriG (blocks of one
  name are one graph), the same dataset as one block per graph had, in other bytes.
- ``void.ttl`` (``dumps.void_graph``): sums of per-segment counts, and the distinct objects counted
  exactly by a merge of the segments' sorted objects, or from the previous build's figures and the
  delta (``void_stats.py``): in the pool and this module's process, never in the build's parent.

Reuse. Beside the dumps, ``.segments.json`` indexes them: a recipe (the code of ``graph`` and
``ontology``, pyoxigraph's version, the prefixes and the sources TriG places triples in), graph.nt's
size and distinct objects, and per segment its SHA-256, its VoID counts and, in each file, its byte
range and the SHA-256 of those bytes, and (``lengths``) its length in graph.nt, by which the next
build's ``cut`` finds the unchanged segments without matching their lines; sealed by the SHA-256 of
its text. It is the same whether a build copied segments or not (a delta build's OUT equals a full
build's). A segment whose
SHA-256 is in the previous build's index under the same recipe is copied from the previous file
— read, verified against its SHA-256, written: a damaged or edited previous file or index is
never copied, the segment is written anew — and its VoID counts are read from the index. The
other segments are rendered in the standard process pool (``--jobs``), so a first build gains too.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import mmap
import os
import re
import tempfile
import time
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import cast

import pyoxigraph as ox

from tipkg.errors import TipkgError
from tipkg.graph import jsonld, void_stats
from tipkg.graph.dumps import file_source_maps, release_pages, source_maps, trig_blocks, trig_header, write_void
from tipkg.graph.outputs import prefixes_of
from tipkg.graph.previous_segments import INDEX, TEXT, PreviousSegments
from tipkg.graph.triples import TripleSet
from tipkg.graph.turtle import turtle_blocks
from tipkg.parallel import jobs_for, process_pool

NAMES = TEXT + ("void.ttl",)
#: a subject whose CRC-32 has these bits zero starts a segment
MASK = 0xFF
#: segments from which the distinct objects are counted in the process pool (fewer: here)
POOLED = 64
#: a graph.nt smaller than this is rendered in this process: the pool's workers cost more to start than
#: they save (×1, 6 MB, 17 segments: 0.44 CPU s with two workers, 0.35 without, while validation, the
#: store's load and this child already share the two cores)
POOL_BYTES = 16 << 20


@dataclass(frozen=True)
class Segment:
    start: int  # byte range in graph.nt
    end: int
    digest: str  # SHA-256 of those bytes


@dataclass(frozen=True)
class _Context:
    """What a worker needs beyond a segment's bytes: given to each pool worker once (``_worker_context``)."""

    source: str  # the sorted N-Triples file
    names: tuple[str, ...]
    prefixes: dict[str, str]
    written: dict[bytes, str]  # TriG: source nodes by their N-Triples form
    files: dict[str, str]  # TriG: source nodes by file name
    scratch: str
    objects: bool = False  # each segment's distinct objects written to be counted (void_stats.write_objects)


@dataclass
class _Piece:
    outputs: dict[str, tuple[int, int, str]]  # file -> (offset in ``rendered``, length, SHA-256)
    stats: dict | None  # its VoID counts as the index keeps them (``asdict`` of its VoidStatistics)
    objects: str | None  # the segment's distinct objects, a file in the scratch folder (void_stats.write_objects)
    rendered: str | None = None  # the outputs' bytes one after another, a file in the scratch folder


def write_segmented(triples, folder: Path, settings, names=NAMES) -> dict[str, int]:
    """Write the files of ``names`` among ``NAMES`` into ``folder`` from the sorted triples, a
    segment at a time (copied from the previous OUT's files, ``settings.delta.previous``, where unchanged), and the
    index of the segments when all three text dumps are written. How many segments there were,
    how many of them were copied, and whether VoID was ``counted`` from the previous figures."""
    triples, folder = TripleSet.of(triples), Path(folder)
    names = tuple(n for n in NAMES if n in names)
    with tempfile.TemporaryDirectory(prefix=".segments-", dir=folder) as scratch:
        source = _sorted_file(triples, Path(scratch))
        delta = getattr(settings, "delta", None)  # set when OUT holds a build of the same code and settings
        waits = getattr(settings, "store_end", None) is not None  # started before the new store is made
        written, files = _source_maps(triples, source, None if waits else delta) if "graph.trig" in names else ({}, {})
        context = _Context(str(source), names, prefixes_of(triples),
                           {k: v.value for k, v in written.items()}, {k: v.value for k, v in files.items()}, scratch)
        recipe = _recipe(context)
        previous = PreviousSegments.read(delta.previous if delta is not None else None, recipe)
        counted = "void.ttl" in names and previous is not None and previous.counted()
        context = replace(context, objects="void.ttl" in names and not counted)
        index = _assemble(context, folder, previous, counted, getattr(settings, "jobs", None))
        stats = index["stats"]
        if "void.ttl" in names:
            if counted:  # from the previous figures and the delta's objects
                # counted: previous read from delta.previous, and previous.counted() checked its figures
                assert previous is not None and previous.void is not None and delta is not None
                try:
                    distinct = void_stats.distinct_after(previous.void["objects"], previous.void["links"],
                                                         delta.removed, delta.added,
                                                         made_store(triples, folder, settings))
                except OSError:  # the delta's files unreadable
                    distinct = None
                if distinct is None:  # a blank node, or no delta to read: count them all
                    context = replace(context, objects=True)
                    distinct = _distinct(_objects_files(_pieces(context, None, False, 1, False)), 1)
            else:
                distinct = _distinct(index["objects"], getattr(settings, "jobs", None))
            stats.objects, stats.links = distinct
            write_void(stats, folder / "void.ttl", settings)
        if all(name in names for name in TEXT):
            record = {"recipe": recipe, "graph.nt": os.path.getsize(source), "segments": index["segments"],
                      "lengths": index["lengths"]}
            if "void.ttl" in names:
                record["void"] = {"objects": stats.objects, "links": stats.links}
            body = json.dumps(record).encode("utf-8")
            (folder / INDEX).write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    return {"segments": len(index["segments"]), "copied": index["copied"], "counted": counted}


def made_store(triples, folder: Path, settings) -> ox.Store:
    """The new store, read-only. A rebuild's text dumps start before it is made from the previous one
    (``outputs.write_dumps``): they wait here for the marker the build leaves once it is (``settings.store_end``)."""
    marker = getattr(settings, "store_end", None)
    if marker is not None:
        while not os.path.exists(marker):
            if os.getppid() == 1 or not os.path.isdir(folder):  # the build is gone, or its staged folder
                raise TipkgError(marker, "the build ended before its store was made")
            time.sleep(STORE_POLL)
        if Path(marker).read_text(encoding="utf-8") != "made":
            raise TipkgError(marker, "the store was not made: VoID, which counts over it, is not written")
        triples.attach_store(Path(folder) / "store")
    return triples.store()


#: seconds between two looks for the store's marker
STORE_POLL = 0.02


def _source_maps(triples: TripleSet, source: Path, delta) -> tuple[dict, dict]:
    """TriG's source maps (``dumps.source_maps``). A cold build's are read from graph.nt itself
    (``file_source_maps``): this runs beside the store's load (graph/outputs.py), and beside a rebuild's
    store made from the previous one (``write_segmented`` is given no ``delta`` here then: the store is not
    there yet; ×100, 0.17 s). A delta build's text dumps that start after the store is made (without fork)
    ask its two queries, which give the same maps without a pass over the whole graph.nt (×10 rebuild:
    0.12 CPU s, a fifth of this process's)."""
    if delta is not None:
        return source_maps(triples.store())
    return file_source_maps(source)


#: one subject's run of lines: its first line, then every following line of the same subject
_RUN = re.compile(rb"(\S+) [^\n]*\n(?:\1 [^\n]*\n)*")


#: how far ``cut`` reads past the pages it lets go of (a multiple of the page size; as ``dumps.MAPS_BLOCK``,
#: what the text dumps' process holds of graph.nt at most: one madvise call a block)
RELEASE = 16 << 20


def cut(path: Path, known: Sequence[tuple[str, int]] | None = None) -> Iterator[Segment]:
    """The segments of a sorted N-Triples file, in order (see the module's docstring). The file is
    read a subject's run of lines at a time (``_RUN``, matched over the file mapped in memory).

    ``known``: the previous build's segments (SHA-256 and length in its graph.nt, in order). Where the
    bytes at a segment's start are, for the next known segment's length, that segment's (their
    SHA-256) and a segment starts right after them (``_starts``), they are that segment, whole:
    equal bytes hold the same lines, hence the same subjects and the same segment starts within.
    Only the segments around an edit have their lines matched, and one more after each (whose
    SHA-256, if it is known, says which known segment comes next): a rebuild after one changed source
    reads most of graph.nt through SHA-256 alone (×10: 0.22 → 0.07 CPU s; the lines' match was
    three quarters of the cut).

    Every page of the mapping that was read counts in this process's resident set until it is
    unmapped, so the whole graph.nt did by the end: at ×100 the segments' process reached 2.1 GB,
    the build's largest (0.95 GB of its parent's heap, 1.2 GB of graph.nt). The pages before the
    current segment are let go of (``MADV_DONTNEED``: they stay in the page cache, and would be
    read again from there), every ``RELEASE`` bytes."""
    if os.path.getsize(path) == 0:
        return
    order = {digest: i for i, (digest, _) in enumerate(known or ())}
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        at = released = 0
        following: int | None = 0 if known else None  # the known segment expected at ``at``
        matched: Iterator[Segment] | None = None  # the lines matched from where no known segment was
        try:
            while at < len(data):
                if known and following is not None and following < len(known):
                    digest, length = known[following]
                    end = at + length
                    if end <= len(data) and _starts(data, end) and _sha256(data, at, end) == digest:
                        yield Segment(at, end, digest)
                        at, following, matched = end, following + 1, None
                        if at - released >= RELEASE:
                            released = release_pages(data, released, at)
                        continue
                if matched is None:
                    matched = _matched(path, data, at)
                segment = next(matched)
                yield segment
                at = segment.end
                if known:
                    following = order.get(segment.digest)
                    if following is not None:
                        following, matched = following + 1, None
                if at - released >= RELEASE:
                    released = release_pages(data, released, at)
        finally:
            matched = None  # its match holds the mapping's buffer, which must be let go of before it is closed


def _matched(path: Path, data: mmap.mmap, start: int) -> Iterator[Segment]:
    """The segments from byte ``start`` (a segment's start) to the end, each subject's run of lines
    matched (``_RUN``)."""
    offset = start
    for run in _RUN.finditer(data, start):
        if run.start() != offset:
            raise ValueError(f"{path}: no N-Triples line at byte {offset}")
        if offset > start and not zlib.crc32(run[1]) & MASK:
            yield Segment(start, offset, _sha256(data, start, offset))
            start = offset
        offset = run.end()
    if offset != len(data):
        raise ValueError(f"{path}: no N-Triples line at byte {offset}")
    if offset > start:
        yield Segment(start, offset, _sha256(data, start, offset))


def _starts(data: mmap.mmap, at: int) -> bool:
    """Whether a segment starts at byte ``at`` (a line's start): the end of the file, or a subject that
    starts segments and is not the previous line's."""
    if at == len(data):
        return True
    if at == 0 or data[at - 1] != 10:  # not after a newline
        return False
    space = data.find(b" ", at)
    if space < 0:
        return False
    subject = data[at:space]
    if b"\n" in subject or zlib.crc32(subject) & MASK:
        return False
    previous = data.rfind(b"\n", 0, at - 1) + 1
    return data[previous:previous + len(subject) + 1] != subject + b" "


def _sha256(data: mmap.mmap, start: int, end: int) -> str:
    """The SHA-256 of bytes ``start`` to ``end`` of the mapping, read in place."""
    with memoryview(data) as view, view[start:end] as part:
        return hashlib.sha256(part).hexdigest()


def _assemble(context: _Context, folder: Path, previous: PreviousSegments | None, counted: bool, jobs: int | None) -> dict:
    """Write the text dumps; the index entries of their segments, the summed VoID counts and the
    segments' object files (``counted``: a segment the previous build wrote has its counts there).

    Each dump is written by a thread of its own (``_Dump``), a segment's part after the other, while this
    thread cuts graph.nt and takes the pieces from the pool: a rebuild copies nearly every part from the
    previous files, and a copy's read, SHA-256 and write, like the cut's SHA-256, let go of the GIL (×100,
    one source changed: the dumps' 1.4 GB copied in one thread kept one core of two busy for 4.7 s)."""
    text = [n for n in TEXT if n in context.names]
    heads = {"graph.ttl": _turtle_header(context.prefixes), "graph.jsonld": jsonld.jsonld_header(),
             "graph.trig": trig_header(context.prefixes)}
    entries, lengths, sums, objects, copied = [], [], void_stats.Sums(), [], 0
    threads = jobs_for(jobs) > 1
    window: deque = deque()  # (segment, piece, its rendered file's descriptor, each dump's part to come)

    def settle() -> None:  # the oldest segment whose parts were handed to the dumps' threads
        nonlocal copied
        segment, piece, rendered, parts = window.popleft()
        try:
            done = {name: part.result() for name, part in parts.items()}
        finally:
            if rendered is not None:
                os.close(rendered)
                os.unlink(cast(str, piece.rendered))
        entries.append([segment.digest, {name: ranged for name, (ranged, _) in done.items()}, piece.stats])
        lengths.append(segment.end - segment.start)
        copied += bool(text) and not piece.outputs and all(whole for _, whole in done.values())
        if piece.stats is not None:
            sums.add(piece.stats)
        if piece.objects is not None:
            objects.append(piece.objects)

    with ExitStack() as stack:  # left in reverse: the dumps' threads done, then what they read closed
        if previous is not None:
            stack.callback(previous.close)
        stack.callback(_closed, window)  # a failure's unsettled pieces: their descriptors
        dumps = {name: stack.enter_context(_Dump(folder / name, heads[name], context, previous, threads))
                 for name in text}
        for i, (segment, piece) in enumerate(_pieces(context, previous, counted, jobs)):
            rendered = os.open(piece.rendered, os.O_RDONLY) if piece.rendered else None
            parts: dict[str, Future] = {}
            window.append((segment, piece, rendered, parts))  # first: a failure below closes its descriptor
            parts.update((name, dump.part(i, segment, piece, rendered)) for name, dump in dumps.items())
            while len(window) > WINDOW:
                settle()
        while window:
            settle()
        for name, dump in dumps.items():
            dump.end(heads[name] if not entries and name != "graph.ttl" else b"")  # an empty graph: Turtle has no
            # prefix lines either
    return {"segments": entries, "lengths": lengths, "stats": sums.stats, "objects": objects, "copied": copied}


#: segments whose parts the dumps' threads may have in hand at once
WINDOW = 64


def _closed(window: deque) -> None:
    for _, _, rendered, _ in window:
        if rendered is not None:
            os.close(rendered)


class _Dump:
    """One text dump, its segments' parts written in order: its head before the first, its separator
    between two, its footer after the last. A part is the previous file's bytes if verified (``PreviousSegments.copy``),
    else the piece's rendered bytes, else rendered here. With ``thread``, the parts are written by a
    thread of this dump's own (a pool of one runs its tasks in the order given), else at once."""

    def __init__(self, path: Path, head: bytes, context: _Context, previous: PreviousSegments | None, thread: bool):
        self.name, self.head, self.context, self.previous = path.name, head, context, previous
        self.separator, self.footer = {"graph.jsonld": (jsonld.SEPARATOR, jsonld.FOOTER)}.get(path.name, (b"", b""))
        # unbuffered: a rendered part goes from the worker's file to the dump in the kernel (_copy_range)
        self.out = open(path, "wb", buffering=0)
        self.at = 0
        self.pool = ThreadPoolExecutor(1, thread_name_prefix=path.name) if thread else None

    def __enter__(self) -> _Dump:
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)
        finally:
            self.out.close()

    def part(self, i: int, segment: Segment, piece: _Piece, rendered: int | None) -> Future:
        """The ``i``-th segment's part, to come: its [offset, length, SHA-256] in this file, and whether
        it was copied from the previous file."""
        if self.pool is not None:
            return self.pool.submit(self._part, i, segment, piece, rendered)
        done: Future = Future()
        done.set_result(self._part(i, segment, piece, rendered))
        return done

    def _part(self, i: int, segment: Segment, piece: _Piece, rendered: int | None) -> tuple[list, bool]:
        self.at += _write(self.out, self.head if i == 0 else self.separator)
        whole = False
        if self.name in piece.outputs and rendered is not None:
            offset, length, sha = piece.outputs[self.name]
            _copy_range(rendered, self.out, offset, length)
        else:
            body: bytes | memoryview | None
            body, sha = (self.previous.copy(segment.digest, self.name) if self.previous else None) or (None, "")
            whole = body is not None
            if body is None:  # its copy is damaged
                body, sha = _rendered(self.context, segment, self.name)
            length = _write(self.out, body)
            body = None  # a copy's view of the previous bytes, let go of before the next
        ranged = [self.at, length, sha]
        self.at += length
        return ranged, whole

    def end(self, head: bytes) -> None:
        """The footer, once every part is settled (``_assemble``); ``head`` first (an empty graph's)."""
        _write(self.out, head + self.footer)


def _write(out, data: bytes | memoryview) -> int:
    """Write all of ``data`` to the unbuffered ``out``; its length."""
    done = 0
    while done < len(data):
        done += out.write(data[done:])
    return done


def _copy_range(source: int, out, offset: int, length: int) -> None:
    """``length`` bytes of the file ``source`` from ``offset`` appended to ``out`` (at its position),
    copied by the kernel where it can."""
    end = offset + length
    kernel = getattr(os, "copy_file_range", None)  # Linux only
    while offset < end:
        try:
            if kernel is None:
                raise OSError("no copy_file_range")
            n = kernel(source, out.fileno(), end - offset, offset)
        except OSError:  # e.g. a file system that cannot: read and write
            n = _write(out, os.pread(source, min(end - offset, 1 << 24), offset))
        if n <= 0:
            raise OSError(f"the rendered part ended {end - offset} bytes early")
        offset += n


def _pieces(context: _Context, previous: PreviousSegments | None, counted: bool, jobs: int | None,
            render: bool = True) -> Iterator[tuple[Segment, _Piece]]:
    """Each segment with its piece, in order: rendered in the pool if it is new; if the previous
    files hold it (its copy is read and verified when it is written), its VoID counts are read from
    the previous index (``counted``) or counted in the pool."""
    jobs = jobs_for(jobs) if os.path.getsize(context.source) >= POOL_BYTES else 1
    void = "void.ttl" in context.names

    def tasks():
        for i, segment in enumerate(cut(Path(context.source), previous.known if previous is not None else None)):
            held = previous is not None and previous.holds(segment.digest)
            if held and (not void or counted):
                yield segment, _Piece({}, previous.stats(segment.digest) if void else None, None)
            else:
                yield segment, (context, i, segment, render and not held)

    if jobs == 1:
        for segment, task in tasks():
            yield segment, task if isinstance(task, _Piece) else _work(*task)
        return
    # in a Forked child of the build, which is daemonic: process_pool lets it start a pool
    with process_pool(jobs, "text dumps", _worker_context, context) as pool:
        window: deque = deque()
        for segment, task in tasks():
            window.append((segment, task if isinstance(task, _Piece) else pool.submit(_pooled, *task[1:])))
            while len(window) > 4 * jobs or (window and isinstance(window[0][1], _Piece)):
                done, piece = window.popleft()
                yield done, piece if isinstance(piece, _Piece) else piece.result()
        while window:
            done, piece = window.popleft()
            yield done, piece if isinstance(piece, _Piece) else piece.result()


def _distinct(paths: list[str], jobs: int | None) -> tuple[int, dict[str, int]]:
    """The distinct objects and links of the segments' object files: each partition counted apart
    (``void_stats.partition_distinct``), in the process pool when there are many segments."""
    jobs = jobs_for(jobs)
    partitions = range(void_stats.PARTITIONS)
    if jobs == 1 or len(paths) < POOLED:
        return void_stats.summed_distinct(void_stats.partition_distinct(paths, p) for p in partitions)
    with process_pool(jobs, "VoID counts") as pool:
        return void_stats.summed_distinct(pool.map(void_stats.partition_distinct, itertools.repeat(paths), partitions))


def _objects_files(pieces: Iterable[tuple[Segment, _Piece]]) -> list[str]:
    """The sorted objects' file of each piece (pieces counted with ``context.objects``: each has one)."""
    files = []
    for segment, piece in pieces:
        if piece.objects is None:
            raise ValueError(f"the segment at bytes {segment.start}-{segment.end} of graph.nt wrote no objects' file")
        files.append(piece.objects)
    return files


#: a pool worker's ``_Context``, given once by the pool's initializer (``_worker_context``)
_CONTEXT: _Context | None = None


def _worker_context(context: _Context) -> None:
    """In a new pool worker: keep the context every task of the pool shares. Sent with each task, it was
    pickled once a segment, and it holds two entries per source (TriG's maps): it grew with the corpus
    as the segments did — ×1000, ~1.2 MB a task, 28 k tasks: ~110 CPU s of pickling, 33 GB piped."""
    global _CONTEXT
    _CONTEXT = context


def _pooled(i: int, segment: Segment, render: bool) -> _Piece:
    """``_work`` in a pool worker, with the context its initializer kept."""
    if _CONTEXT is None:
        raise RuntimeError("a text dumps' task ran in a process the pool did not start")
    return _work(_CONTEXT, i, segment, render)


def _work(context: _Context, i: int, segment: Segment, render: bool) -> _Piece:
    """In a worker: a segment's outputs (if ``render``; in a file of the scratch folder, so that only
    its name goes back through the pool's pipe), its VoID counts and its objects' file. Its lines are
    split once for all of them, and its Turtle serves TriG too (``dumps.trig_blocks``)."""
    data = _read(context.source, segment)
    parts = jsonld.split_lines(data.split(b"\n")[:-1])
    bodies = _outputs(context, parts, [n for n in TEXT if n in context.names] if render else [])
    outputs, rendered, at = {}, None, 0
    if bodies:
        rendered = os.path.join(context.scratch, f"rendered-{i:07d}")
        with open(rendered, "wb") as out:
            for name, body in bodies.items():
                out.write(body)
                outputs[name] = (at, len(body), hashlib.sha256(body).hexdigest())
                at += len(body)
    if "void.ttl" not in context.names:
        return _Piece(outputs, None, None, rendered)
    stats, (objects, links) = void_stats.count(parts, context.objects)
    if not context.objects:
        return _Piece(outputs, asdict(stats), None, rendered)
    path = os.path.join(context.scratch, f"objects-{i:07d}")
    void_stats.write_objects(objects, links, path)
    return _Piece(outputs, asdict(stats), path, rendered)


def _rendered(context: _Context, segment: Segment, name: str) -> tuple[bytes, str]:
    """A segment's output in ``name`` written here: its copy was damaged."""
    data = _read(context.source, segment)
    body = _outputs(context, jsonld.split_lines(data.split(b"\n")[:-1]), [name])[name]
    return body, hashlib.sha256(body).hexdigest()


def _outputs(context: _Context, parts: list, names: list[str]) -> dict[str, bytes]:
    """A segment's text in each of ``names`` (its lines split)."""
    out: dict[str, bytes] = {}
    turtle = None
    if "graph.ttl" in names or "graph.trig" in names:
        # from the split lines, each term as pyoxigraph's writer gives it (turtle.py): half the time of
        # pyoxigraph's parse of the lines into term objects and its writer over them
        turtle = turtle_blocks(parts, context.prefixes)
    if "graph.ttl" in names and turtle is not None:
        out["graph.ttl"] = b"".join(block for _, block in turtle)
    if "graph.jsonld" in names:
        out["graph.jsonld"] = jsonld.jsonld_nodes_of(parts)
    if "graph.trig" in names:
        out["graph.trig"] = trig_blocks(parts, context.written, context.files, context.prefixes, turtle)
    return out


def _read(path: str, segment: Segment) -> bytes:
    with open(path, "rb") as f:
        return os.pread(f.fileno(), segment.end - segment.start, segment.start)


def _turtle_header(prefixes: dict[str, str]) -> bytes:
    """The prefix lines pyoxigraph's Turtle writer puts before the first triple."""
    one = ox.Triple(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal("o"))
    body = _turtle([one], prefixes)
    return body[:len(body) - len(_without_prefixes(body))]


def _turtle(triples: Iterable[ox.Triple] | Iterable[ox.Quad], prefixes: dict[str, str]) -> bytes:
    """``triples`` in Turtle: bytes, since no output is given (the stub says ``bytes | None`` whatever the call)."""
    return cast(bytes, ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes))


def _without_prefixes(body: bytes) -> bytes:
    while body.startswith(b"@prefix "):
        body = body[body.index(b"\n") + 1:]
    return body


# -- the previous build's segments --------------------------------------------------------------

def _recipe(context: _Context) -> str:
    """What a segment's outputs depend on besides its lines."""
    from tipkg.cache_keys import code_version

    facts = [code_version(("tipkg.graph", "tipkg.ontology")), ox.__version__, sorted(context.prefixes.items()),
             sorted((k.decode("utf-8"), v) for k, v in context.written.items()), sorted(context.files.items())]
    return hashlib.sha256(json.dumps(facts).encode("utf-8")).hexdigest()


def _sorted_file(triples: TripleSet, scratch: Path) -> Path:
    """The graph's sorted N-Triples as a file: the build's graph.nt, else one written in ``scratch``."""
    if triples.path is not None:
        return triples.path
    (scratch / "graph.nt").write_bytes(triples.ntriples())
    return scratch / "graph.nt"
