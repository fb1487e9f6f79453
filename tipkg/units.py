"""Per-source work units: what one source yields on its own, computed in parallel and cached on disk.

Structure and references are read from one source alone (plus the small
shared tables: instruments, topics, actors, verbs), so each source is a unit
of work. ``extract_units`` computes the units of a corpus with the standard
library's process pool (``--jobs N``) and keeps each in a cache folder
(``UnitCache``), keyed by the source's sha256, its manifest entry and the
version of the code and tables (``tipkg.cache_keys``: a hash of every module
and table the build reads — when in doubt, all of it). A rebuild with an
unchanged corpus reads every unit back and re-extracts nothing; with one
source added or edited it re-extracts that one only.

Each source's share of the graph (``graph.parts``: its own triples as sorted
N-Triples, its contested texts, its small claims) is computed in the same task
and cached beside the unit (``tipkg.part_cache``; ``graph_parts`` reads them
back or computes those missing; without a cache, kept in the build's scratch
folder until the build ends) — a visual-order source's too: its reading order
reads that source and the word model shipped with the code
(``reading_order.source_model``), nothing else of the corpus.

Every entry is written atomically and verified on read (``tipkg.cache_entries``):
two builds sharing a cache never see each other's half-written files, a build
killed at any moment leaves only whole entries (and at most a temporary file,
which the next build sweeps away: ``UnitCache.sweep``), and a corrupt or
truncated entry is recomputed, never trusted.
"""

from __future__ import annotations

import dataclasses
import fcntl
import gc
import hashlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from tipkg.cache_entries import sealed, unsealed, write_atomically
from tipkg.cache_keys import key_of
from tipkg.graph.parts import FilePart, reading_of, source_chunk
from tipkg.model import Source, StructuredSource
from tipkg.parallel import default_jobs, process_pool
from tipkg.part_cache import PartCache, part_key
from tipkg.progress import Meter
from tipkg.references.thematic_index import ThematicIndex
from tipkg.references.types import Reference, Unresolved
from tipkg.replica import as_original, replica, shifted, shifted_references
from tipkg.sources import with_text

if TYPE_CHECKING:
    from tipkg.held import Tally

MAGIC = b"TIPKG-UNIT 1\n"
CACHE_NAME = ".tipkg-cache"


@dataclass
class SourceUnit:
    """What one source yields on its own: its structure and the references its paragraphs make."""

    structured: StructuredSource
    found: list[Reference] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    index: ThematicIndex | None = None
    tally: Tally | None = None  # a unit the parent keeps trimmed: what its reference counts need (tipkg.held)


def extract_unit(source: Source) -> SourceUnit:
    """Structure and references of one source (copy k of a replicated corpus read as the original,
    then shifted: ``tipkg.replica``)."""
    from tipkg import loaders, references  # late: the pipeline's own names, so a patch there is seen

    source = with_text(source)  # the build's parent gives its workers sources without their texts
    k = replica(source)
    structured = loaders.load_structure(as_original(source))
    found = references.extract_references([structured])
    structured = shifted(structured, k)
    if k:
        structured = dataclasses.replace(structured, source=source)
    return SourceUnit(structured, *shifted_references(found.found, found.unresolved, found.index, k))


class UnitCache:
    """A folder of units, one verified file each (``<key[:2]>/<key>``); beside it, what a build's parent
    keeps of the unit (``<key>.<kept>``: ``tipkg.held``), read instead of the whole where that is all it keeps."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def path(self, key: str, kept: str = "") -> Path:
        return self.folder / key[:2] / (f"{key}.{kept}" if kept else key)

    def get(self, key: str, source: Source, kept: str = "") -> SourceUnit | None:
        """The unit stored under ``key`` (its ``kept`` form), with ``source`` put back in; None if absent or not whole."""
        unit = unsealed(self.path(key, kept), MAGIC, SourceUnit)
        if unit is None:
            return None
        unit.structured = dataclasses.replace(unit.structured, source=source)
        return unit

    def whole(self, key: str) -> bool:
        """Whether the unit's entry under ``key`` is there and whole (its SHA-256 checked; nothing unpickled)."""
        try:
            data = self.path(key).read_bytes()
        except OSError:
            return False
        head = len(MAGIC) + 64
        return data.startswith(MAGIC) and len(data) > head \
            and hashlib.sha256(memoryview(data)[head:]).hexdigest().encode() == data[len(MAGIC):head]

    def put(self, key: str, unit: SourceUnit, kept: str = "") -> None:
        """Store ``unit`` (its ``kept`` form) under ``key`` atomically (the source text is not stored: the corpus has it)."""
        light = dataclasses.replace(unit, structured=dataclasses.replace(
            unit.structured, source=dataclasses.replace(unit.structured.source, text="", path="")))
        write_atomically(self.path(key, kept), sealed(light, MAGIC))

    def sweep(self) -> int:
        """Remove the temporary files that killed builds left in the cache; return how many.

        A temporary file is held under an exclusive ``flock`` for as long as it
        is being written, so one that can be locked belongs to no live build.
        """
        removed = 0
        for path in self.folder.glob("**/*.tmp"):
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                path.unlink(missing_ok=True)
                removed += 1
            except OSError:
                pass  # a live build is writing it
            finally:
                os.close(fd)
        return removed


def default_cache(out_dir: str | Path) -> Path:
    """Where ``tipkg build --out OUT`` keeps its cache by default: ``.tipkg-cache`` beside OUT."""
    return Path(out_dir).resolve().parent / CACHE_NAME


@dataclass
class Extraction:
    """The units of a corpus in manifest order, and how many were read back from the cache."""

    units: list[SourceUnit]
    cached: int = 0
    extracted: int = 0
    keys: list[str] = field(default_factory=list)  # each unit's cache key
    fresh: list[int] = field(default_factory=list)  # the units extracted (not read back), by index
    briefs: list = field(default_factory=list)  # ``brief(unit)`` of each (``extract_units(brief=)``)


def _extract_and_store(source: Source, key: str, folder: str | None, base: str | None = None,
                       index_file: str = "", keep: Callable[[SourceUnit], SourceUnit] | None = None,
                       brief: Callable[[SourceUnit], object] | None = None, parts: str | None = None,
                       beside: Callable[[str, str, SourceUnit], None] | None = None):
    unit = extract_unit(source)
    if folder is not None:
        UnitCache(folder).put(key, unit)
        if beside is not None:
            beside(folder, key, unit)
        from tipkg.network.reuse_index import store_summary  # its shingles, for the text-reuse index

        store_summary(folder, key, unit.structured)
    parts = parts or folder
    if parts is not None and base is not None:  # its graph part too, while the unit is here
        # (an index's entries cite the corpus's first index file: ``index_file``, the guess, else this
        # one — checked by ``graph_parts``, which recomputes the part if the guess was wrong)
        own = (index_file or unit.index.source_file) if unit.index is not None else ""
        PartCache(parts).put(part_key(key, base, own), *source_chunk(unit.structured, unit.found, base,
                                                                     reading_of(unit.structured), unit.index,
                                                                     own or None))
    if keep is None:
        return unit
    kept = keep(unit)
    if folder is not None:
        UnitCache(folder).put(key, kept, keep.__name__)
    if brief is None:
        return kept
    made = brief(kept)
    if folder is not None:  # a rebuild's parent reads it instead of the kept unit (``_brief``)
        write_atomically(UnitCache(folder).path(key, BRIEF), sealed(made, MAGIC))
    return made


#: the cyclic collector's thresholds in an extraction worker (``_extraction_collector``)
WORKER_GC_THRESHOLDS = (5000, 20, 10)


def _extraction_collector() -> None:
    """In an extraction worker, as it starts: the heap it inherited from the build's parent (the imported
    modules, the corpus) goes to the collector's permanent generation (``gc.freeze``), and young objects
    are collected 5,000 allocations at a time instead of 700. A task makes hundreds of thousands of
    short-lived containers (terms, spans, matches) and keeps few; the collector, traversing the
    inherited heap at each full collection and the young objects every 700, took 5 % of the task
    (×10 in one process: 0.26 of 5.07 CPU s, 0.09 so). Nothing inherited is garbage of the worker's,
    and a worker's cycles are still collected, a little later."""
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLDS)


def extract_units(sources: Sequence[Source], cache: str | Path | None = None, jobs: int | None = None,
                  progress: Callable[[str], None] | None = None, base: str | None = None,
                  meanwhile: Callable[[Callable[[], bool]], None] | None = None,
                  keep: Callable[[SourceUnit], SourceUnit] | None = None,
                  brief: Callable[[SourceUnit], object] | None = None,
                  parts: str | Path | None = None,
                  beside: Callable[[str, str, SourceUnit], None] | None = None) -> Extraction:
    """The unit of every source: read back from ``cache`` when a whole entry is there, else
    extracted — in a process pool of ``jobs`` workers (1: in this process) — and stored.
    ``meanwhile(busy)`` is called here once a worker of the pool has no task left (this process would only
    wait, and a core is free); ``busy()`` says whether a task still runs (once none does, every core is the
    pool's no more, and this process has the stage's results to go on with).
    Given the ``base`` IRI, a source extracted has its graph part (``graph_parts``) computed
    and cached in the same task; for a source that prints a thematic index, with the guess that the
    corpus's first index is printed by the first source of its kind in the manifest (copy 0 of a
    replicated compendium: at ×N the N-1 other copies' parts were computed twice). ``keep(unit)``: what
    is kept of each unit (``tipkg.held.held``, applied as each arrives, in the worker for one extracted
    there); default, the whole unit. The kept form is cached beside the unit (``<key>.<keep's name>``)
    and read instead of it: a warm build's parent unpickles what it keeps, not every whole unit.
    ``brief(unit)``: what this process holds of each unit (``Extraction.briefs``; ``tipkg.held.Brief``); with
    ``keep`` and a cache, that alone — made in the worker, each kept unit let go once its brief is made, so
    ``Extraction.units`` is empty and the passes read the kept units back (``tipkg.held.StreamedUnits``).
    ``parts``: where the tasks put the graph parts without a cache (the build's scratch folder; with a
    cache, they go in it): computed in a second pool after this one, they made a stage of their own
    that waited on the longest extraction. The brief is cached beside the kept unit (``<key>.brief``) and read
    instead of it by a later build. ``beside(folder, key, unit)``: what else the task caches of the whole unit
    (``tipkg.views.store_view``)."""
    say = progress or (lambda message: None)
    store = UnitCache(cache) if cache is not None else None
    if store is not None:
        store.sweep()
    keys = [key_of(s) for s in sources]
    first_of_kind: dict[str, str] = {}
    for s in sources:
        first_of_kind.setdefault(s.kind, s.file)
    units: list[SourceUnit | None] = [None] * len(sources)
    briefs: list = [None] * len(sources)
    brief_only = brief is not None and keep is not None and store is not None
    name = keep.__name__ if keep is not None else ""
    # the sources without a cache entry are known before any is read: they are extracted in the pool while
    # this process reads the others back (one source edited: its extraction beside reading the rest)
    missing = [i for i, k in enumerate(keys) if store is None
               or not (store.path(k).exists() or (keep is not None and store.path(k, name).exists()))]
    jobs = max(1, jobs or default_jobs())
    folder = str(store.folder) if store else None
    scratch = str(parts) if parts is not None else None
    todo: list[int] = []
    meter = Meter(len(missing), say)
    pooled = jobs > 1 and (len(missing) > 1 or (len(missing) == 1 and len(sources) > 1))
    with ExitStack() as stack:
        futures: dict = {}
        pool = stack.enter_context(process_pool(min(jobs, len(missing)), "extraction", _extraction_collector)) \
            if pooled else None

        def extract(i: int) -> None:
            todo.append(i)
            if pool is None:
                arrived(i, _extract_and_store(sources[i], keys[i], folder, base, first_of_kind[sources[i].kind], keep,
                                              brief if brief_only else None, scratch, beside))
                meter.tick()
            else:
                futures[pool.submit(_extract_and_store, sources[i], keys[i], folder, base,
                                    first_of_kind[sources[i].kind], keep, brief if brief_only else None, scratch,
                                    beside)] = i

        def arrived(i: int, unit) -> None:  # a unit (or, brief_only, its brief) in manifest place
            if brief_only:
                briefs[i] = unit
                return
            unit.structured = dataclasses.replace(unit.structured, source=sources[i])
            units[i] = unit

        # the longest first (the compendium is three quarters of the bundled corpus): the last task
        # to finish is then a short one, and the pool's two workers end together
        for i in sorted(missing, key=lambda i: -_length(sources[i])) if pool is not None else ():
            extract(i)
        gone = set(missing)
        for i, (k, s) in enumerate(zip(keys, sources)):
            if store is not None and i not in gone:
                made = _brief(store, k, name) if brief_only else None
                if made is not None:
                    arrived(i, made)
                    continue
                found = store.get(k, s) if keep is None else _kept(store, k, s, keep)
                if found is not None and brief_only:
                    made = brief(found)  # type: ignore[misc]
                    write_atomically(store.path(k, BRIEF), sealed(made, MAGIC))
                    arrived(i, made)
                elif found is not None:
                    arrived(i, found)
        late = [i for i, (u, b) in enumerate(zip(units, briefs))  # entries not whole: made again
                if u is None and b is None and i not in gone]
        meter.total += len(late)
        for i in (late if pool is not None else [*missing, *late]):
            extract(i)
        pending = len(futures)
        for future in chain([None], as_completed(futures)):  # first: before any task ends
            if future is not None:
                arrived(futures[future], future.result())
                meter.tick()
                pending -= 1
            if pool is not None and meanwhile is not None and pending < jobs:
                # a core has no task left (one source edited: from the start): this process takes it.
                # Called as soon as the tasks were submitted, it took a third of each core from the
                # workers, the compendium's among them, which bounds the stage (×1: 0.15 CPU s of 1.1 in 0.7 s)
                meanwhile(lambda: not all(f.done() for f in futures))
                meanwhile = None
    if brief is not None and not brief_only:
        briefs = [brief(u) for u in units]
    return Extraction([] if brief_only else units, cached=len(sources) - len(todo), extracted=len(todo),  # type: ignore[arg-type]
                      keys=keys, fresh=sorted(todo), briefs=briefs)


def _length(source: Source) -> int:
    """How long a source is: its text's length, or its file's size where the text was let go (``read_corpus``)."""
    return len(source.text) or os.path.getsize(source.path)


#: the name of a unit's brief beside it in the cache (``<key>.brief``)
BRIEF = "brief"


def _brief(store: UnitCache, key: str, kept: str):
    """The brief cached beside the unit under ``key`` (``extract_units(brief=)``), if it and the whole unit's
    and the kept unit's entries are there (the whole's checked, not read, as ``_kept`` checks it): a rebuild's
    parent read every kept unit back (×100, 0.76 CPU s) only to make a brief of each."""
    made = unsealed(store.path(key, BRIEF), MAGIC, object)
    if made is None or not store.path(key, kept).exists() or not store.whole(key):
        return None
    return made


def _kept(store: UnitCache, key: str, source: Source, keep: Callable[[SourceUnit], SourceUnit]) -> SourceUnit | None:
    """What ``keep`` keeps of the unit cached under ``key``: its kept form if cached (stored by the task that
    extracted it) and the whole unit's entry is whole too (checked, not read: a damaged entry is extracted
    again, as it would be if read), else made of the whole unit (one at a time) and stored for the next build."""
    unit = store.get(key, source, keep.__name__)
    if unit is not None and not store.whole(key):
        return None
    if unit is None and (whole := store.get(key, source)) is not None:
        unit = keep(whole)
        store.put(key, unit, keep.__name__)
    return unit


# --- graph parts: each source's share of the graph, cached beside its unit -----------------------

def _part(unit: SourceUnit, key: str, folder: str, base: str, index_file: str) -> FilePart:
    return PartCache(folder).put(key, *source_chunk(unit.structured, unit.found, base, reading_of(unit.structured),
                                                    unit.index, index_file or None))


@dataclass
class Parts:
    """Every source's graph part in manifest order, and how many this build computed."""

    parts: list[FilePart]
    computed: int = 0


def graph_parts(briefs: Sequence, keys: Sequence[str], folder: str | Path, base: str, whole: Callable[[int], SourceUnit],
                jobs: int | None = None, progress: Callable[[str], None] | None = None,
                fresh: Sequence[int] = ()) -> Parts:
    """The graph part of every unit (``graph.parts``): read back from ``folder`` when a whole entry
    is there, else computed — in a process pool of ``jobs`` workers — and stored there. A part
    follows from its source alone (and the first index's file, for a source that prints an index),
    so an edited source recomputes its own part only. ``fresh``: the units extracted by this build
    (their parts were computed with them). ``briefs``: what the parent holds of each unit (``tipkg.held.Brief``:
    the file of the index it prints); ``whole(i)``: unit ``i`` whole, read back (a part
    needs the references and index rows the parent's kept units leave out)."""
    say = progress or (lambda message: None)
    store = PartCache(folder)
    first_index = next((b.index_file for b in briefs if b.index_file is not None), "")
    part_keys = [part_key(k, base, first_index if b.index_file is not None else "") for k, b in zip(keys, briefs)]
    parts: list[FilePart | None] = [store.get(k) for k in part_keys]
    todo = [i for i, p in enumerate(parts) if p is None]
    if todo:
        say(f"graph parts of {len(todo)} sources")
    unit = whole
    jobs = max(1, jobs or default_jobs())
    if jobs == 1 or len(todo) <= 1:
        for i in todo:
            parts[i] = _part(unit(i), part_keys[i], folder, base, first_index)
    else:
        with process_pool(min(jobs, len(todo)), "graph parts") as pool:
            read = {i: unit(i) for i in todo}
            longest_first = sorted(todo, key=lambda i: -len(read[i].structured.source.text))  # as extract_units
            futures = {pool.submit(_part, _light(read.pop(i)), part_keys[i], str(folder), base, first_index): i
                       for i in longest_first}
            for future in as_completed(futures):
                parts[futures[future]] = future.result()
    return Parts(parts, computed=len(set(todo) | set(fresh)))


def _light(unit: SourceUnit) -> SourceUnit:
    """The unit as a part needs it (its unresolved references left behind)."""
    return dataclasses.replace(unit, unresolved=[])
