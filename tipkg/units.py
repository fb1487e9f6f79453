"""Per-source work units: what one source yields on its own, computed in parallel and cached on disk.

Structure and references are read from one source alone (plus the small
shared tables: instruments, topics, actors, verbs), so each source is a unit
of work. ``extract_units`` computes the units of a corpus with the standard
library's process pool (``--jobs N``) and keeps each in a cache folder, keyed
by the source's sha256, its manifest entry and the version of the code and
tables (``code_version``: a hash of every module and table the build reads —
when in doubt, all of it). A rebuild with an unchanged corpus reads every unit
back and re-extracts nothing; with one source added or edited it re-extracts
that one only.

Each source's share of the graph (``graph.parts``: its own triples as sorted
N-Triples, its contested texts, its small claims) is computed in the same task
and cached beside the unit (``PartCache``, ``graph_parts``; without a cache, kept
in the build's scratch folder until the build ends) — a visual-order
source's too: its reading order reads that source and the word model shipped
with the code (``reading_order.source_model``), nothing else of the corpus.

A cache entry is one file, written to a unique temporary name and moved into
place (``os.replace``), so two builds sharing a cache never see each other's
half-written files, and a build killed at any moment leaves only whole
entries (and at most a temporary file, which the next build sweeps away). Each entry carries the SHA-256 of its payload and is verified on
read: a corrupt or truncated entry is recomputed, never trusted.

>>> here = Source("X", "agenda", "x.txt", "/a/x.txt", "0" * 64, "2010", "ar", "", "", "", "text")
>>> key_of(here) == key_of(dataclasses.replace(here, path="/b/x.txt", manifest_line=7))
True
>>> key_of(here) == key_of(dataclasses.replace(here, sha256="1" * 64))
False
"""

from __future__ import annotations

import dataclasses
import fcntl
import gc
import hashlib
import json
import os
import pickle
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from tipkg.graph.parts import Claims, FilePart, reading_of, source_chunk
from tipkg.model import Source, StructuredSource
from tipkg.parallel import process_pool
from tipkg.references.thematic_index import ThematicIndex
from tipkg.references.types import Reference, Unresolved
from tipkg.replica import as_original, replica, shifted, shifted_references
from tipkg.sources import with_text

if TYPE_CHECKING:
    from tipkg.held import Tally

#: the sub-packages whose code or tables a unit depends on (hashed into every key)
UNIT_PACKAGES = ("tipkg", "tipkg.references", "tipkg.tables", "tipkg.loaders", "tipkg.ontology", "tipkg.graph")
#: and those the global stages and outputs depend on besides (hashed into a whole build's key)
BUILD_PACKAGES = UNIT_PACKAGES + ("tipkg.network", "tipkg.shapes", "tipkg.queries")  # queries: precomputed answers
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


@lru_cache(maxsize=None)
def code_version(packages: tuple[str, ...] = UNIT_PACKAGES) -> str:
    """A hash of every module and table file of ``packages`` (by default those a unit depends on)."""
    digest = hashlib.sha256()
    for name in packages:
        spec = find_spec(name)
        for folder in spec.submodule_search_locations or ():
            for path in sorted(Path(folder).iterdir()):
                if path.suffix in (".py", ".toml", ".ttl", ".rq") and path.is_file():
                    digest.update(f"{name}/{path.name}\0".encode())
                    digest.update(path.read_bytes())
    return digest.hexdigest()


def key_of(source: Source) -> str:
    """The cache key of a source's unit: its sha256, its manifest entry and the code version
    (not where the corpus folder is, nor the entry's line in the manifest)."""
    entry = dataclasses.replace(source, path="", text="", manifest_line=0)
    return hashlib.sha256(f"{code_version()}\0{entry!r}".encode("utf-8")).hexdigest()


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


def write_atomically(target: Path, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (bytes, or blocks of them as they come: ``graph.memo.LineStore.put``) to ``target``
    through a locked temporary file moved into place: a reader sees the old file or the new one, whole;
    a kill leaves at most an unlocked ``.tmp`` (see ``sweep``)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name[:8]}.", suffix=".tmp", dir=target.parent)
        written = False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with os.fdopen(fd, "wb") as out:  # closing releases the lock, after the rename
                written = True
                if isinstance(data, bytes):
                    out.write(data)
                else:
                    out.writelines(data)
                out.flush()
                os.replace(temporary, target)
            return
        except FileNotFoundError:  # swept by another build between mkstemp and flock: write it again
            if attempt == 2 or (written and not isinstance(data, bytes)):  # blocks are read once
                Path(temporary).unlink(missing_ok=True)
                raise
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def sealed(value, magic: bytes) -> bytes:
    """``value`` as a cache entry: ``magic``, the SHA-256 of the payload, the zlib'd pickle."""
    payload = zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)
    return magic + hashlib.sha256(payload).hexdigest().encode() + payload


def unsealed(path: Path, magic: bytes, kind: type):
    """The value of the entry ``sealed`` wrote at ``path``, or None if it is absent, not whole
    (short, altered: its SHA-256 disagrees), unloadable or not a ``kind`` — to be recomputed."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(magic) + 64
    payload = data[head:]
    if not data.startswith(magic) or not payload or hashlib.sha256(payload).hexdigest().encode() != data[len(magic):head]:
        return None
    try:
        value = pickle.loads(zlib.decompress(payload))
    except Exception:  # noqa: BLE001 — a payload that does not load is recomputed
        return None
    return value if isinstance(value, kind) else None


def build_key(sources: Sequence[Source], *settings) -> str:
    """The key of a whole build: every source's unit key, the code of every stage, the settings."""
    parts = [code_version(BUILD_PACKAGES), repr(settings), *(key_of(s) for s in sources)]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def build_recipe(*settings) -> str:
    """What a build is made by, its sources left out: the code of every stage and the settings. Two builds
    with the same recipe differ only by their sources, so the later can start from the earlier's outputs
    (``BuildStamp.previous``, ``graph/delta.py``)."""
    return hashlib.sha256(f"{code_version(BUILD_PACKAGES)}\0{settings!r}".encode("utf-8")).hexdigest()


class BuildStamp:
    """What the last build of an output folder was made from, kept in the cache (``builds/``).

    A build whose key (``build_key``) matches the stamp, while the folder still
    holds every output and the very ``graph.nt`` it wrote (size and modification
    time), has nothing to do: the outputs are current. One whose recipe
    (``build_recipe``: the same code and settings, other sources) matches may
    start from those outputs (``previous``): only its sources changed.
    """

    def __init__(self, cache: str | Path, out_dir: str | Path):
        self.out = Path(out_dir).resolve()
        name = hashlib.sha256(str(self.out).encode("utf-8")).hexdigest()[:32]
        self.path = Path(cache) / "builds" / f"{name}.json"

    def current(self, key: str, names: Sequence[str]) -> dict | None:
        """The stamp's record if the outputs in the folder are those of a build with ``key``, else None."""
        return self._matching("key", key, names)

    def previous(self, recipe: str, names: Sequence[str]) -> dict | None:
        """The stamp's record if the outputs in the folder are those of a build with ``recipe`` (the same
        code and settings; the sources may differ), else None (no stamp: ``--no-cache``; a first build;
        other code or settings; the folder's graph.nt not the one that build wrote; an output missing)."""
        return self._matching("recipe", recipe, names)

    def _matching(self, field: str, value: str, names: Sequence[str]) -> dict | None:
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
            stat = (self.out / "graph.nt").stat()
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get(field) != value \
                or record.get("graph.nt") != [stat.st_size, stat.st_mtime_ns]:
            return None
        return record if all((self.out / name).exists() for name in names) else None

    def record(self, key: str, **facts) -> None:
        """Remember that the folder now holds the outputs of a build with ``key`` (and the ``facts``: its
        ``recipe``, triple count, validation line), written atomically."""
        stat = (self.out / "graph.nt").stat()
        record = {"key": key, "graph.nt": [stat.st_size, stat.st_mtime_ns], **facts}
        write_atomically(self.path, json.dumps(record).encode("utf-8"))


def default_cache(out_dir: str | Path) -> Path:
    """Where ``tipkg build --out OUT`` keeps its cache by default: ``.tipkg-cache`` beside OUT."""
    return Path(out_dir).resolve().parent / CACHE_NAME


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


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
                  meanwhile: Callable[[], None] | None = None,
                  keep: Callable[[SourceUnit], SourceUnit] | None = None,
                  brief: Callable[[SourceUnit], object] | None = None,
                  parts: str | Path | None = None,
                  beside: Callable[[str, str, SourceUnit], None] | None = None) -> Extraction:
    """The unit of every source: read back from ``cache`` when a whole entry is there, else
    extracted — in a process pool of ``jobs`` workers (1: in this process) — and stored.
    ``meanwhile()`` is called here once a worker of the pool has no task left (this process would only
    wait, and a core is free).
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
                meanwhile()
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


class Meter:
    """Sources done / total, with a rate and an ETA, said at most about once a second (and at the end)."""

    def __init__(self, total: int, say: Callable[[str], None]):
        self.total, self.say, self.done = total, say, 0
        self.start = self.last = time.perf_counter()

    def tick(self) -> None:
        self.done += 1
        now = time.perf_counter()
        if now - self.last < 1.0 and self.done < self.total:
            return
        self.last = now
        rate = self.done / max(now - self.start, 1e-9)
        eta = (self.total - self.done) / rate if rate else 0.0
        self.say(f"extracted {self.done}/{self.total} sources, {rate:.1f}/s, ETA {_duration(eta)}")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


# --- graph parts: each source's share of the graph, cached beside its unit -----------------------

PART_MAGIC = b"TIPKG-PART 1\n"


def part_key(unit_key: str, base: str, index_file: str = "") -> str:
    """The key of a source's graph part: its unit's key (the shipped reading-order word model a
    visual source reads is a table of the code version it holds), the base IRI, and for a source
    that prints a thematic index the file of the corpus's first index (``graph.parts``)."""
    return hashlib.sha256(f"{unit_key}\0part\0{base}\0{index_file}".encode("utf-8")).hexdigest()


class PartCache:
    """Graph parts, three files each under ``<key[:2]>/``: ``<key>.nt`` (the source's own triples,
    sorted N-Triples), ``<key>.contested.nt`` (its texts) and ``<key>.part`` (its claims and the
    SHA-256 of both files; written last, so an entry is whole once it is there). Verified on read."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder) / "parts"

    def paths(self, key: str) -> tuple[Path, Path, Path]:
        at = self.folder / key[:2]
        return at / f"{key}.part", at / f"{key}.nt", at / f"{key}.contested.nt"

    def get(self, key: str) -> FilePart | None:
        """The part stored under ``key``, or None if absent or not whole (any file short or altered)."""
        meta, lines, contested = self.paths(key)
        record = unsealed(meta, PART_MAGIC, dict)
        try:
            if record is None or file_digest(lines) != record["nt"] or file_digest(contested) != record["contested"]:
                return None
        except (OSError, KeyError):  # a file of the part absent: recomputed
            return None
        gists = meta.with_name(f"{key}.gists")
        return FilePart(lines, contested, record["claims"], gists if record.get("gists") else None)

    def put(self, key: str, lines: bytes, contested: bytes, claims: Claims) -> FilePart:
        """Store a part atomically (each file to a temporary name, then moved into place; the claims last)."""
        meta, lines_path, contested_path = self.paths(key)
        meta.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(lines_path, lines)
        write_atomically(contested_path, contested)
        tables, gists = _gist_tables(lines, contested), meta.with_name(f"{key}.gists")
        if tables is not None:  # apart from the claims: read one part at a time as the gists merge them
            from tipkg.graph.gists import TABLES_MAGIC

            write_atomically(gists, sealed(tables, TABLES_MAGIC))
        record = {"nt": hashlib.sha256(lines).hexdigest(), "contested": hashlib.sha256(contested).hexdigest(),
                  "claims": claims, "gists": tables is not None}
        write_atomically(meta, sealed(record, PART_MAGIC))
        return FilePart(lines_path, contested_path, claims, gists if tables is not None else None)


def _gist_tables(lines: bytes, contested: bytes):
    """What the gists read of a part (``graph.gists.Tables``), made here so the build's parent merges
    tables instead of reading every part's lines; None (the parent reads them) if its contested texts
    held anything the gists read, which ``first_printers`` would take from the first printer only."""
    from tipkg.graph.gists import Tables

    return None if Tables.of(contested) else Tables.of(lines)


def file_digest(path: Path) -> str:
    """The SHA-256 of a file (hex), read in 1 MiB blocks, never whole: what a cached part's lines
    files (``PartCache``) and the memo's lines files (``graph.memo``) are checked against before
    either is reused, so a file cut short or altered is made again, not read."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


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
