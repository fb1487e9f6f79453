"""The embedded store: the built graph in a persistent pyoxigraph database.

rdflib's in-memory SPARQL engine answers the catalog queries in seconds on a
large corpus; Oxigraph's compiled engine over indexed RocksDB files answers
them in milliseconds and needs no server. ``tipkg build`` bulk-loads the
sorted N-Triples it has just written into ``OUT/store`` inside the same staged
folder as the other outputs, so the store is replaced together with them or
not at all; ``tipkg query`` opens it read-only (several readers at once, no
lock taken, nothing ever written by a query).

A rebuild of OUT by the same code and settings (``settings.delta``,
``delta.py``) does not load the whole graph again: the new store starts as a
checkpoint of the previous OUT's store — RocksDB's table files (``*.sst``) are
never written once made, so they are hard-linked, and the few small files
(MANIFEST, CURRENT, OPTIONS, the write-ahead log) are copied — then the
removed triples are taken out and the added ones put in, and the store is
flushed and closed, as a bulk load leaves it (RocksDB's own compactions keep
the table files few over rebuild after rebuild; no full ``optimize``). The
previous store is only read, never opened by RocksDB at all: a server may be
reading it. Anything off about it — files not those its build wrote
(``fingerprint``), a triple to remove that it lacks or one to add that it
has, another count than ``graph.nt``'s, an error — and the store is
bulk-loaded whole instead: never a wrong store.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "graph.nt").write_text('<http://x/a> <http://x/p> "1" .\\n')
>>> build_store(folder / "graph.nt", folder / STORE_DIR)
1
>>> len(open_store(folder))
1
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from itertools import islice
from pathlib import Path
from typing import IO, cast

import pyoxigraph

from tipkg.errors import TipkgError
from tipkg.graph.delta import Delta
from tipkg.parallel import jobs_for
from tipkg.progress import Meter

#: name of the store folder inside the build's --out folder
STORE_DIR = "store"


#: why the store's load runs on one CPU (``kept_to``) unless the build has CPUs to spare (``loader_cpus``):
#: pyoxigraph 0.5's ``bulk_load`` sorts a batch of a
#: million triples per thread into table files and ingests them all when the call ends; it starts as many
#: threads as the CPUs its process may use, and sets no batch size or memory bound of its own. On one CPU one
#: call over the whole graph.nt holds about two batches, whatever the graph's size (×100 and ×1000 alike:
#: 1.29 GB), where each further CPU would add a batch (two CPUs: 2.0 GB at ×100). Loading the file in blocks,
#: one call each, held less (80 MB blocks: 0.62 GB at ×1000) but made RocksDB compact the table files of every
#: block into the whole store, whose keys are hashes: ×1000, alone: 890 CPU s in blocks of 80 MB (843 in
#: blocks of 1 GB) against 586 in one call; ×100 (a tenth of that file): 68 against 49
LOADER_CPUS = 1
#: the CPUs the load takes where the build may use ``SPARE_JOBS`` or more (``loader_cpus``): one batch more held,
#: for a faster load. Alone, one CPU against two: ×100 (two rounds) ``bulk_load`` 25.0 → 16.0 s, ``optimize``
#: 5-6 s either way, peak 1.30 → 1.77-1.85 GB; ×1000 (one round, same hour) ``bulk_load`` 349.3 → 179.1 s,
#: ``optimize`` 98.0 → 102.8 s, peak 1.30 → 2.14 GB. Two, not more: each further CPU holds another batch
WIDE_LOADER_CPUS = 2
#: ``--jobs`` from which the load takes ``WIDE_LOADER_CPUS``. Below, on two cores, the build's other stages
#: (validation's pass, the merge, the text dumps) keep both busy while the store loads: a second loader
#: thread would only take their CPU, and hold 0.5 GB more
SPARE_JOBS = 4


#: the marker the store's load of a graph.nt being merged (``follow_store``) keeps beside it: the bytes of it
#: read so far, rewritten about once a second and at its end, which the build's parent says (``load_progress``)
READ_SO_FAR = ".store.read"
#: reads of the loader (about 2 KB each) between two looks at the clock for ``READ_SO_FAR``
READS_BETWEEN = 512


class _Lines:
    """graph.nt as the store's load reads it: a whole file, or one the build's merge still writes
    (``follow_store``). Then, at its current end, a read waits for more until the writer's marker ``end``
    says the file is whole (its final size in bytes) or will not be (``failed``: raised), and the bytes read
    so far are kept in ``READ_SO_FAR`` beside it. ``lines`` counts the lines read."""

    def __init__(self, path: Path, end: Path | None = None):
        self.path, self.end = Path(path), end
        while end is not None and not self.path.exists():  # the merge opens it once the chunks are spilled
            self._ended(0)
            time.sleep(FOLLOW_WAIT)
        self.file = open(self.path, "rb")
        self.lines = self.reads = 0
        self.marked_at = time.monotonic()  # when READ_SO_FAR was last written

    def _ended(self, at: int) -> bool:
        """Whether the file is whole and read up to ``at``; raises if its writer failed."""
        if self.end is None:
            return True
        try:
            text = self.end.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        if text == "failed":
            raise TipkgError(self.path, "the merge writing graph.nt failed: the store's load stops")
        return at >= int(text)

    def read(self, n: int = -1) -> bytes:
        while not (data := self.file.read(n)) and not self._ended(self.file.tell()):
            time.sleep(FOLLOW_WAIT)
        self.lines += data.count(b"\n")
        if self.end is not None:
            self.reads += 1
            if not data or (self.reads % READS_BETWEEN == 0 and time.monotonic() - self.marked_at >= 1.0):
                self.marked_at = time.monotonic()
                marked(self.path.parent / READ_SO_FAR, str(self.file.tell()))
        return data

    def close(self) -> None:
        self.file.close()


def marked(marker: Path, text: str) -> None:
    """Leave ``marker`` holding ``text``, whole (written beside, then renamed over it): a marker another process
    reads is never seen half written."""
    part = marker.with_name(marker.name + ".part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, marker)


#: seconds between two looks at the load's ``READ_SO_FAR`` while the build waits for it (``load_progress``)
PROGRESS_WAIT = 0.5


@contextmanager
def load_progress(ntriples: Path, say: Callable[[str], None] | None) -> Iterator[None]:
    """While the block waits for the store's load of ``ntriples`` (whole by then) in a child (``follow_store``):
    the megabytes of it the load has read, with a rate and an ETA (``tipkg.progress.Meter``), from the child's
    ``READ_SO_FAR``; then, once it has read them all, that its tables are being compacted (``optimize``, about
    a fifth of the load at ×1000). At ×1000 the build waits here about 7 minutes, where it printed nothing.
    The rate counts from the block's start: the load began with the merge, before it."""
    if say is None:
        yield
        return
    mb, size = 1 << 20, ntriples.stat().st_size
    total = -(-size // mb)
    marker = ntriples.parent / READ_SO_FAR
    meter: Meter | None = None  # made at the first look, counting from what was read by then
    stop = threading.Event()

    def look() -> bool:
        """Say how far the load is; whether it has read the whole file."""
        nonlocal meter
        try:
            read = int(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # no marker yet (or none: not a followed load)
            return False
        done = total if read >= size else read // mb
        if meter is None:
            meter = Meter(total, say, "loaded {done}/{total} MB of graph.nt into the store, {rate:.1f} MB/s, "
                                      "ETA {eta}", done=done)
        elif meter.done < total:  # (the whole file's count is said once)
            meter.advance(done)  # said about once a second, and at the end
        return done >= total

    def watch() -> None:
        while not stop.wait(PROGRESS_WAIT):
            if look():
                say("compacting the store's tables (optimize)")
                return

    watcher = threading.Thread(target=watch, name="load progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
        look()  # the last count, if the load ended between two looks


#: seconds between two looks at a graph.nt still being written (``_Lines``): the load is slower than
#: the merge, so it waits only for the merge's first lines
FOLLOW_WAIT = 0.05


def follow_store(ntriples: Path, folder: Path, end: Path, cpus: int | None = None) -> int:
    """``build_store`` of the graph.nt the build's merge is still writing, read as it grows (``_Lines``):
    the load starts with the merge, not after it. ``end`` is the marker the writer leaves once the file is
    whole (its size) or failed. Run in a child of the lean server (``outputs.write_dumps``): the merge runs
    in the build's process and GNU sort, the load here, on the other core (×1000: the merge alone took
    about 230 s before the load began). ``cpus``: the loader's, as ``build_store`` takes them."""
    from tipkg.parallel import name_process

    name_process("store")
    return build_store(ntriples, folder, ours=True, follow=end, cpus=cpus)


def build_store(ntriples: Path, folder: Path, ours: bool = False, follow: Path | None = None,
                cpus: int | None = None) -> int:
    """Bulk-load an N-Triples file into a new store at ``folder`` in one call, the loader on ``cpus`` CPUs
    (default ``loader_cpus()``: one on a machine of two; bounded memory, ``kept_to``); the triple count.

    ``ours``: the file is the graph.nt this build has just written (``write_store``), so it is loaded
    ``lenient`` — without pyoxigraph's IRI and language-tag checks, which cannot fail on it: its IRIs
    are minted (percent-encoded, ``uris.py``) or pyoxigraph's own writing of a term, its literals
    pyoxigraph's writing. ×30: the load's CPU 11.5 → 10.8 s, wall 10.5 → 9.8 s (quiet; 15.0 → 13.1 CPU s at load 15), the same triples stored. A
    graph.nt from elsewhere (``tipkg serve`` of an OUT without a store) is checked. The count of our
    graph.nt is its lines (one distinct triple each), counted as they are read; of another, the
    store's (``len``: a scan of an index, ×100 0.95 CPU s). ``follow``: the marker of a graph.nt still being
    written (``follow_store``).

    The table files of one call are all ingested at its end, then compacted (``optimize``: without it the
    catalog's queries take twice as long). The store is closed before returning (its files are complete on
    disk), so the staged output folder that holds it can be renamed into place.
    """
    folder = Path(folder)
    if folder.exists():
        raise TipkgError(folder, "store folder already exists; a store is only ever built fresh")
    with kept_to(loader_cpus() if cpus is None else cpus):  # the loader's threads, and RocksDB's started meanwhile
        store = pyoxigraph.Store(str(folder))
        try:
            with closing(_Lines(ntriples, follow)) as lines:
                # the stub wants an IO[bytes]; bulk_load only calls read(n), which _Lines has
                store.bulk_load(cast(IO[bytes], lines), format=pyoxigraph.RdfFormat.N_TRIPLES, lenient=ours)
            store.optimize()
            count = lines.lines if ours else len(store)
        finally:
            del store
            gc.collect()  # the Rust side closes RocksDB when the Python object is freed
    return count


def loader_cpus(jobs: int | None = None) -> int:
    """The CPUs the store's load takes in a build that may use ``jobs`` CPUs (``--jobs``; default those this
    process may use; one with ``TIPKG_JOBS=1``): ``LOADER_CPUS``, or ``WIDE_LOADER_CPUS`` from ``SPARE_JOBS``.

    >>> [loader_cpus(n) for n in (1, 2, 3, 4, 16)]
    [1, 1, 1, 2, 2]
    """
    return WIDE_LOADER_CPUS if jobs_for(jobs) >= SPARE_JOBS else LOADER_CPUS


@contextmanager
def kept_to(cpus: int):
    """This thread, and the threads it starts meanwhile, kept to ``cpus`` of the CPUs it may use, then
    given them all back: the store's bulk load starts one thread per CPU it may use, each holding a batch
    (``LOADER_CPUS``, ``loader_cpus``). RocksDB's background threads (its compactions), started as it first needs them,
    keep the CPU they started on for the life of the process; queries run on their caller's thread, so a
    store read later in the same process is read on every CPU. A large build loads its store in a child of
    its own (``follow_store``). Where CPUs cannot be chosen (not Linux), nothing changes."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, sorted(allowed)[-max(1, cpus):])
    try:
        yield
    finally:
        os.sched_setaffinity(0, allowed)


#: the in-memory stores kept by ``memory_store(keep=True)`` in this process (and the children it forks), by file,
#: with the seconds each took to load
_KEPT: dict[str, tuple[pyoxigraph.Store, float]] = {}


def memory_store(ntriples: Path, keep: bool = False) -> pyoxigraph.Store:
    """An N-Triples file (a build's graph.nt) bulk-loaded into an in-memory store: what a small graph is
    validated over (``shapes.validate.validation_store``) and its precomputed answers made over
    (``queries/precomputed.py``), the same triples as the persistent store. ``keep``: kept for the rest of
    this process, whose children inherit it: the check's child of a small whole build loads it once for
    both (``outputs._checked_beside``), and a later call for the same file gives the kept store."""
    name = os.path.realpath(ntriples)
    if name in _KEPT:
        return _KEPT[name][0]
    start = time.perf_counter()
    store = pyoxigraph.Store()
    store.bulk_load(path=name, format=pyoxigraph.RdfFormat.N_TRIPLES)
    if keep:
        _KEPT[name] = store, time.perf_counter() - start
    return store


def kept_seconds(ntriples: Path) -> float:
    """The seconds the kept in-memory store of ``ntriples`` took to load (``memory_store(keep=True)``); 0 if none
    is kept: what a validation over it reports as its store's time, though the load came before."""
    kept = _KEPT.get(os.path.realpath(ntriples))
    return kept[1] if kept else 0.0


def write_store(triples, path: Path, settings=None) -> None:
    """The writers' table entry: the previous OUT's store plus the delta (``settings.delta``) when that
    works out, else ``graph.nt``, written just before, bulk-loaded into ``path``."""
    delta = getattr(settings, "delta", None)
    if delta is not None and store_from_previous(delta, Path(path), len(triples)):
        return
    build_store(Path(path).parent / "graph.nt", Path(path), ours=True,
                cpus=loader_cpus(getattr(settings, "jobs", None)))


#: a delta changing more than this share of the triples is loaded whole (a triple removed or added one
#: at a time costs several times what a bulk load spends on it)
DELTA_SHARE = 0.2
#: triples parsed and applied at a time
BATCH = 20_000


class _Off(Exception):
    """The previous store is not what its build wrote: load the whole graph instead."""


def store_from_previous(delta: Delta, folder: Path, count: int) -> bool:
    """Make the store at ``folder`` from the previous OUT's store plus ``delta``; True if it was, False
    (and nothing left at ``folder``) if the previous store is off or the delta too large: then the
    caller bulk-loads. ``count``: the triples of the new graph.nt, which the new store must hold."""
    if delta.removed_count + delta.added_count > DELTA_SHARE * count:
        return False
    previous = Path(delta.previous)
    graph = previous / "graph.nt"
    try:
        before = os.stat(graph)
        if [before.st_size, before.st_mtime_ns] != delta.record.get("graph.nt") \
                or fingerprint(previous / STORE_DIR) != delta.record.get("store"):
            raise _Off
        _checkpoint(previous / STORE_DIR, folder)
        after = os.stat(graph)  # OUT swapped by another build while we copied: the store may not match
        if (after.st_ino, after.st_mtime_ns) != (before.st_ino, before.st_mtime_ns):
            raise _Off
        store = pyoxigraph.Store(str(folder))
        try:
            _apply(store, delta)
            store.flush()  # into table files, as a bulk load leaves them (no write-ahead log to replay)
            whole = len(store) == count  # a full scan of one index: its blocks' checksums are read too
        finally:
            del store
            gc.collect()  # closed before the folder is moved
        if not whole:
            raise _Off
        return True
    except Exception:  # noqa: BLE001 — whatever is off about the previous store, the graph is loaded whole
        shutil.rmtree(folder, ignore_errors=True)
        return False


def _checkpoint(previous: Path, folder: Path) -> None:
    """A copy of the closed store at ``previous`` in ``folder``: table files hard-linked (copied across
    file systems), the others copied; RocksDB's ``LOCK`` and info logs belong to a folder, not copied."""
    names = sorted(os.listdir(previous))
    if "CURRENT" not in names:
        raise _Off
    folder.mkdir()
    for name in names:
        if name == "LOCK" or name.startswith("LOG"):
            continue
        source, target = previous / name, folder / name
        if name.endswith(".sst"):
            try:
                os.link(source, target)
                continue
            except OSError:
                pass
        shutil.copyfile(source, target)


def _apply(store: pyoxigraph.Store, delta: Delta) -> None:
    """Take the removed triples out of ``store`` and put the added ones in, a batch at a time; each
    removed triple must be there and each added one not, or the store was not the previous graph's."""
    for batch in _quads(delta.removed):
        for quad in batch:
            if quad not in store:
                raise _Off
            store.remove(quad)
    for batch in _quads(delta.added):
        if any(quad in store for quad in batch):
            raise _Off
        store.extend(batch)


def _quads(path: Path):
    triples = pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.N_TRIPLES)
    while batch := [pyoxigraph.Quad(t.subject, t.predicate, t.object) for t in islice(triples, BATCH)]:
        yield batch


def fingerprint(folder: str | Path) -> str | None:
    """The names, sizes and modification times of a store's files (None without the folder): a build
    records it (``BuildStamp``), the next one checks its base is the store that build wrote."""
    try:
        entries = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in Path(folder).iterdir()
                         if p.name != "LOCK" and not p.name.startswith("LOG"))
    except OSError:
        return None
    return hashlib.sha256(repr(entries).encode("utf-8")).hexdigest()


def store_path(out_dir: str | Path) -> Path:
    """Where ``tipkg build --out out_dir`` put its store."""
    return Path(out_dir) / STORE_DIR


def open_store(out_dir: str | Path) -> pyoxigraph.Store:
    """The store built into ``out_dir``, opened read-only."""
    folder = store_path(out_dir)
    if not folder.is_dir():
        raise TipkgError(folder, f"no embedded store here: run `tipkg build --out {out_dir}` first")
    try:
        return pyoxigraph.Store.read_only(str(folder))
    except OSError as exc:
        raise TipkgError(folder, f"cannot open the store: {exc}") from None


def disk_size(folder: str | Path) -> int:
    """Bytes on disk of every file under ``folder`` (the store's footprint)."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
