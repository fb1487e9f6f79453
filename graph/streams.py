"""The graph as a stream: triples spilled to sorted chunk files, merged k-way into ``graph.nt``.

A large corpus has more triples than fit comfortably in memory, so the graph
stage of ``tipkg build`` adds into a ``SpilledTriples``: a ``TripleSet`` that,
every ``limit`` triples, writes its triples as sorted N-Triples lines to a
chunk file and starts afresh. ``finish(path)`` merges the chunks and the sorted files included
(``merge.sorted_union``: GNU sort's k-way merge where coreutils is installed, ``heapq.merge`` otherwise;
one line of each file in memory at a time), drops the lines repeated across them, and writes ``graph.nt``
— byte for byte the file the in-memory set gives (the same set of lines, sorted as bytes). From
then on the set is a view of that file: ``oxigraph()`` parses it as a stream
for the writers, ``lines()`` reads its lines, and ``store()`` is the persistent
store bulk-loaded from it (``attach_store``), opened read-only — what
validation, VoID and TriG placement query. Given the previous build of OUT
(``against``), ``finish`` also computes the ``delta`` against its ``graph.nt``
on the way (``delta.py``).

>>> import tempfile, pathlib
>>> from rdflib import URIRef
>>> from tipkg.graph.triples import literal
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> triples = SpilledTriples({}, folder / "chunks", limit=2)
>>> for o in ("c", "a", "b", "a"):
...     triples.add((URIRef("http://x/s"), URIRef("http://x/p"), literal(o)))
>>> triples.finish(folder / "graph.nt")
3
>>> (folder / "graph.nt").read_text()
'<http://x/s> <http://x/p> "a" .\\n<http://x/s> <http://x/p> "b" .\\n<http://x/s> <http://x/p> "c" .\\n'
"""

from __future__ import annotations

import gc
import os
import pickle
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from tipkg.parallel import Forked, name_process

from .delta import Delta, write_blocks_with_delta
from .merge import FINAL_BATCH, FileLines, merged, sorted_chunk, sorted_union
from .triples import OxigraphTerms, TripleSet

if TYPE_CHECKING:
    from .early_merge import EarlyMerge

#: triples held in memory before a chunk is written (about 40 MB of pyoxigraph triples; 400,000 held
#: 165 MB and more in the parent's peak than the chunk files cost in the merge)
CHUNK_TRIPLES = 100_000
#: N-Triples lines (bytes: about a quarter of a triple's memory) per chunk file, for each triple held
LINES_PER_TRIPLE = 4
#: triples a forked pass (``SpilledTriples.add_made``) holds before it writes a sorted chunk: what it makes
#: grows with the corpus (the gists: a long literal a paragraph, ×100 55 k) and its child should not
MADE_TRIPLES = 10_000


def pickled_batches(path: Path) -> Iterator:
    """The records of a scratch file of pickled batches (lists written one ``pickle.dump`` after another),
    one batch in memory at a time: how the reuse child's echoes and the precomputed answers' sorted runs
    are read back."""
    with open(path, "rb") as data:
        while True:
            try:
                batch = pickle.load(data)
            except EOFError:
                return
            yield from batch


def _parsed(lines: Iterable[bytes], batch: int = 20_000) -> Iterator[ox.Triple]:
    """The triples of N-Triples lines (newlines kept), parsed a batch at a time."""
    block = []
    for line in lines:
        block.append(line)
        if len(block) >= batch:
            yield from ox.parse(b"".join(block), format=ox.RdfFormat.N_TRIPLES)
            block = []
    if block:
        yield from ox.parse(b"".join(block), format=ox.RdfFormat.N_TRIPLES)


def _blocks(stream: Path | Callable[[], Iterable[bytes]], size: int = 1 << 22) -> Iterator[bytes]:
    """A file (or the lines a callable yields) in blocks of whole lines of about ``size`` bytes: a stream
    that is a file (``FileLines``) read as one, others counted by their lines' bytes (a block and the
    copies made of it are what a reader of the graph holds at once; 4 MB: as fast as 16, a quarter
    of the memory; a count of lines made a block of the texts' long lines 100 MB)."""
    path = stream if isinstance(stream, Path) else getattr(stream, "path", None)
    if isinstance(path, Path):
        with open(path, "rb") as f:
            while block := f.read(size):
                yield block + f.readline()
        return
    assert callable(stream)
    held: list[bytes] = []
    count = 0
    for line in stream():
        held.append(line)
        count += len(line)
        if count >= size:
            yield b"".join(held)
            held, count = [], 0
    if held:
        yield b"".join(held)


class SpilledTriples(TripleSet):
    """A ``TripleSet`` that keeps at most ``limit`` triples in memory, then the file it was merged into."""

    def __init__(self, prefixes: dict[str, str] | None, folder: str | Path, limit: int | None = None):
        super().__init__(prefixes)
        self.folder = Path(folder)
        self.limit = limit or CHUNK_TRIPLES
        self.chunks: list[Path] = []
        self.extra: list[Callable[[], Iterator[bytes]]] = []  # sorted line streams merged in (``include``)
        self.known: set[int] = set()  # of those, the ones ``where(…, known=True)`` leaves out (their places)
        self._lines: list[bytes] = []  # N-Triples lines added as text (``add_lines``), not yet in a chunk
        self.path: Path | None = None
        self.count = 0
        self._store_folder: Path | None = None
        self._opened: tuple[int, ox.Store] | None = None
        self.previous: tuple[Path, dict] | None = None  # the previous OUT and its stamp record (``against``)
        self.delta: Delta | None = None  # how graph.nt differs from the previous one (``finish``)
        self.memo: Path | None = None  # where the global pass keeps its lines by group (``graph/memo.py``)
        self.making: list[Forked[Path]] = []  # the passes ``add_made`` forked, their files not yet merged in
        self.early: EarlyMerge | None = None  # the merge of the files included so far, begun (``merge_early``)

    @classmethod
    def written(cls, prefixes: dict[str, str] | None, path: str | Path, store: str | Path | None,
                count: int) -> SpilledTriples:
        """A view of a ``graph.nt`` already written (and of its store), holding ``count`` triples."""
        triples = cls(prefixes, Path(path).parent)
        triples.path, triples.count = Path(path), count
        triples._store_folder = Path(store) if store is not None else None
        return triples

    def add(self, triple: tuple) -> None:
        if self.path is not None:
            raise RuntimeError("the graph was already written out; nothing can be added")
        super().add(triple)
        if len(self._triples) >= self.limit:
            self.spill()

    def add_triples(self, triples) -> None:
        if self.path is not None:
            raise RuntimeError("the graph was already written out; nothing can be added")
        super().add_triples(triples)
        if len(self._triples) >= self.limit:
            self.spill()

    def include(self, lines: Callable[[], Iterator[bytes]], known: bool = False) -> None:
        """Merge in the sorted N-Triples lines (newlines kept) ``lines()`` yields — a source's part
        read from the cache (``graph/parts.py``) — as if its triples had been added. ``known``: what
        the stage that reads the graph needs of them is known already (a part's gist tables, cached with
        it: ``graph.gists.Tables``), so ``where(…, known=True)`` leaves them out."""
        if self.path is not None:
            raise RuntimeError("the graph was already written out; nothing can be added")
        if known:
            self.known.add(len(self.extra))
        self.extra.append(lines)

    def add_made(self, make: Callable[..., object], *args) -> None:
        """``TripleSet.add_made`` in a forked child: ``make`` adds into a ``SpilledTriples`` of its own, whose
        sorted file this set then merges in. The tables such a pass builds as it reads grow with the corpus
        (the gists': ×10 8 MB, and as much again while reading); made in the child, they are never in this
        process, whose heap every child forked later inherits. The triples held are spilled first: the child
        reads what is written, and adds nothing to this set. This process goes on meanwhile: what the child
        made is merged in when the graph is next read or written (``_made``), so whatever is added after
        this call is not read by ``make`` (a build's gists read none of the edges added after them: the
        drafts' alignments, the echoes, the repeats; ×100, one source changed: the gists' child alone
        took 2 s of one core while this process waited, then this process 1.1 s alone)."""
        self._made()  # a pass reads what the passes before it made
        self.spill()
        folder = self.folder / f"{make.__name__}-{len(self.extra):05d}"
        self.making.append(Forked(_made_file, self, make, args, folder))

    def merge_early(self) -> None:
        """Begin merging the files included so far (the sources' parts, the groups of the global pass made
        so far) in batches, beside what the build does next (``graph/early_merge.py``): ``finish`` merges
        their batches' files instead."""
        from .early_merge import EarlyMerge

        if self.early is None:
            files = [path for stream in self.extra if isinstance(path := getattr(stream, "path", None), Path)]
            self.early = EarlyMerge(files, self.folder / "early")

    def _made(self) -> None:
        """Wait for what the passes ``add_made`` forked make, and merge it in."""
        while self.making:
            self.include(FileLines(self.making.pop(0).result()))

    def _gathered(self) -> None:
        """All that was added, on disk: what the forked passes made merged in, the triples held spilled."""
        self._made()
        self.spill()

    def add_lines(self, lines: Iterable[bytes]) -> None:
        """Add N-Triples ``lines`` (without their newlines): held as bytes and written, sorted, to a
        chunk file of their own once ``LINES_PER_TRIPLE × limit`` are held (or at ``spill``), then
        merged into ``graph.nt`` with the rest — never parsed, no term objects made."""
        if self.path is not None:
            raise RuntimeError("the graph was already written out; nothing can be added")
        held, most = self._lines, LINES_PER_TRIPLE * self.limit
        for line in lines:
            held.append(line)
            if len(held) >= most:
                self._write_lines()
                held = self._lines

    def _write_lines(self) -> None:
        if self._lines:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.chunks.append(sorted_chunk(self._lines, self.folder / f"chunk-{len(self.chunks):05d}.nt"))
            self._lines = []

    def spill(self) -> None:
        """Write the triples (and lines) in memory to sorted chunks and forget them (and the IRIs converted)."""
        self._write_lines()
        if not self._triples:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        text = ox.serialize(self._triples, format=ox.RdfFormat.N_TRIPLES)
        assert text is not None  # no output given: serialize returns the bytes
        self._triples.clear()
        self._term = OxigraphTerms()
        self.chunks.append(sorted_chunk(text.split(b"\n"), self.folder / f"chunk-{len(self.chunks):05d}.nt"))

    def against(self, previous: str | Path, record: dict) -> None:
        """Diff ``graph.nt`` against the previous OUT's when it is written (``finish``): ``record`` is the
        stamp of the build that wrote ``previous`` (``tipkg.cache_keys.BuildStamp.previous``)."""
        self.previous = (Path(previous), record)

    def finish(self, path: str | Path) -> int:
        """Merge every chunk into the sorted N-Triples file ``path``; the number of triples. With a
        previous OUT (``against``), ``delta`` is how the file differs from the previous one (None if
        that one is off), its two files in this set's scratch folder."""
        self._gathered()
        files = [*self.chunks]
        for i, stream in enumerate(self.extra):  # a file is merged as it is; a stream is written to one first
            known = getattr(stream, "path", None)
            if isinstance(known, Path):
                files.append(known)
                continue
            self.folder.mkdir(parents=True, exist_ok=True)
            made = self.folder / f"stream-{i:05d}.nt"
            with open(made, "wb", buffering=1 << 20) as written:
                written.writelines(stream())
            self.chunks.append(made)  # removed with the chunks
            files.append(made)
        standing = self.early.standing_for() if self.early is not None else None
        if standing:  # each batch merged early stands for its files, last (``graph/early_merge.py``)
            files = [f for f in files if f not in standing] + list(dict.fromkeys(standing[f] for f in files
                                                                                 if f in standing))
        with open(path, "wb", buffering=1 << 20) as out:
            blocks = sorted_union(files, self.folder, FINAL_BATCH if standing else None)
            if self.previous is not None:
                count, self.delta = write_blocks_with_delta(blocks, out, *self.previous, self.folder)
            else:
                count = 0
                for block in blocks:
                    out.write(block)
                    count += block.count(b"\n")
        for chunk in self.chunks:
            chunk.unlink(missing_ok=True)
        if self.early is not None:
            self.early.close()
            self.early = None
        self.chunks, self.extra, self.path, self.count = [], [], Path(path), count
        self.known = set()
        return count

    def relocate(self, path: str | Path, store: str | Path | None = None) -> None:
        """The file (and store) now live at ``path`` (``store``): the staged folder was moved into place."""
        self.close_store()
        self.path = Path(path)
        self._store_folder = Path(store) if store is not None else None

    def _written(self) -> Path:
        if self.path is None:
            raise RuntimeError("the graph is not written out yet: call finish(path) first")
        return self.path

    def __len__(self) -> int:
        if self.path is not None:
            return self.count
        self._gathered()
        return sum(1 for _ in merged(self.chunks, self.extra))

    def __iter__(self) -> Iterator[ox.Triple]:
        """Every triple, in N-Triples order: from the file once written, else from the chunks (the
        triples in memory spilled first), so a stage that reads the graph built so far can."""
        if self.path is not None:
            return self.oxigraph()
        self._gathered()
        return _parsed(merged(self.chunks, self.extra))

    def where(self, keep: re.Pattern[bytes], known: bool = False) -> Iterator[ox.Triple]:
        """The triples of the N-Triples lines the pattern ``keep`` finds (``findall``: the whole match,
        or its one group), in no particular order: the file once written, else each chunk and each
        stream merged in (``include``), searched a block of whole lines at a time, the block preceded
        by a newline (so every line is, and a pattern that starts with one is fast). The pattern
        runs in C, the lines it leaves are never parsed, nothing is merged: a stage that needs a few
        predicates of a large graph (the gists) reads them so (×30: 2.0 M lines, 0.5 M kept).
        ``known``: the streams included as known are left out (the caller has what it needs of them)."""
        if self.path is not None:
            streams: list = [self.path]
        else:
            self._gathered()
            streams = [*self.chunks, *(e for i, e in enumerate(self.extra) if not (known and i in self.known))]
        for stream in streams:
            for block in _blocks(stream):
                found = keep.findall(b"\n" + block)
                if found:
                    yield from ox.parse(b"\n".join(found) + b"\n", format=ox.RdfFormat.N_TRIPLES)

    def lines(self) -> Iterator[bytes]:
        """The lines of ``graph.nt`` (without their newlines)."""
        with open(self._written(), "rb", buffering=1 << 20) as f:
            for line in f:
                yield line[:-1]

    def ntriples(self) -> bytes:
        """The whole of ``graph.nt`` (prefer ``lines()`` or the file itself on a large corpus)."""
        return self._written().read_bytes()

    def oxigraph(self) -> Iterator[ox.Triple]:
        return ox.parse(path=str(self._written()), format=ox.RdfFormat.N_TRIPLES)

    def __reduce__(self):
        """A written set goes to another process (a child of the lean server: ``tipkg.parallel``) as a view of
        its files — graph.nt, its store, its count and delta — not with what made it (chunks, lines held)."""
        if self.path is None:
            raise TypeError("a SpilledTriples not written out yet cannot go to another process")
        return _view, (self.prefixes, self.path, self._store_folder, self.count, self.delta)

    def attach_store(self, folder: str | Path) -> None:
        """The persistent store bulk-loaded from ``graph.nt`` is at ``folder``: ``store()`` opens it."""
        self.close_store()
        self._store_folder = Path(folder)

    def store(self) -> ox.Store:
        """The persistent store opened read-only (once per process: a forked child opens its own);
        without one, an in-memory store loaded from the file."""
        if self._opened is None or self._opened[0] != os.getpid():
            if self._store_folder is not None:
                store = ox.Store.read_only(str(self._store_folder))
            else:
                store = ox.Store()
                store.bulk_load(path=str(self._written()), format=ox.RdfFormat.N_TRIPLES)
            self._opened = (os.getpid(), store)
        return self._opened[1]

    def close_store(self) -> None:
        """Close the store this process opened (before its folder is moved)."""
        if self._opened is not None and self._opened[0] == os.getpid():
            self._opened = None
            gc.collect()

    def rdflib(self):
        from rdflib import Graph

        graph = Graph(bind_namespaces="core")
        for prefix, ns in self.prefixes.items():
            graph.bind(prefix, ns, override=True)
        graph.parse(str(self._written()), format="nt")
        return graph


def _view(prefixes: dict[str, str], path: Path, store: Path | None, count: int, delta: Delta | None) -> SpilledTriples:
    """What ``SpilledTriples.__reduce__`` sends, made again: ``written`` with its delta."""
    triples = SpilledTriples.written(prefixes, path, store, count)
    triples.delta = delta
    return triples


def _made_file(graph: SpilledTriples, make: Callable[..., object], args: tuple, folder: Path) -> Path:
    """In the child of ``SpilledTriples.add_made``: what ``make`` adds, written to a sorted file in ``folder``."""
    name_process(make.__name__)  # not "made_file": which pass holds the memory
    into = SpilledTriples({}, folder, limit=MADE_TRIPLES)
    make(graph, *args, into=into)
    path = folder / "made.nt"
    into.finish(path)
    return path
