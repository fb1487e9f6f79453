"""Stage 7 — outputs: write the dumps so that nothing partial ever appears.

Everything is written into a fresh temporary folder beside ``--out``; only
when every file is complete is it exchanged with the old folder in one atomic
rename (``staged_output``). A failed, interrupted or killed run leaves the
previous outputs as they were, and the folders a killed run leaves behind are
removed by the next build. The ``--out`` folder belongs to tipkg: it is
replaced as a whole.

N-Triples are written sorted, line by line, so the same corpus always gives
byte-identical ``graph.nt``; a build's ``SpilledTriples`` (``streams.py``) merge
their sorted chunks straight into the file (diffed against the previous build's on the
way: ``delta.py``). The store is bulk-loaded from that file (or made from the
previous store plus the delta: ``store.py``), and the other writers read the
file and the store as streams.
"""

from __future__ import annotations

import ctypes
import errno as _errno
import fcntl
import glob
import os
import shutil
import tempfile
from collections.abc import Callable, Collection
from contextlib import contextmanager
from dataclasses import replace
from importlib import import_module
from pathlib import Path

from rdflib import Graph

from tipkg.graph.store import READ_SO_FAR, load_progress, marked
from tipkg.graph.streams import SpilledTriples
from tipkg.graph.triples import TripleSet
from tipkg.graph.writers import DumpSettings, Writer, write_segmented, writers
from tipkg.parallel import Forked, forks, name_process


def prefixes_of(graph) -> dict[str, str]:
    """The prefixes bound in a graph, for the writers (sorted, no ``xml``)."""
    return {p: str(ns) for p, ns in sorted(graph.namespaces()) if p and p != "xml"}


def write_ntriples(triples: TripleSet, path: Path, settings=None) -> None:
    """N-Triples, one triple a line, lines sorted (deterministic): ``TripleSet.finish``."""
    triples.finish(path)


@contextmanager
def staged_output(out_dir: str | Path):
    """Yield a temporary folder; on success it replaces ``out_dir`` whole, in one atomic step.

    The stage is ``.NAME.new-XXXX`` beside ``out_dir``, locked (``flock``) for
    as long as this build lives. The swap exchanges the stage and ``out_dir``
    with one ``renameat2(RENAME_EXCHANGE)``, so at every instant ``out_dir`` is
    either the old folder or the new one, whole; the old one, now under the
    stage's name, is removed after. A build killed at any moment leaves at
    most a stage folder, which the next build removes (``clean_stale``).
    Where the exchange is not available (not Linux) the old folder is renamed
    away first and the previous two-step swap is used.
    """
    out = Path(out_dir).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    parent = _lock(out.parent)  # builds beside each other clean and create one at a time
    try:
        clean_stale(out)
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
        held = _lock(stage)
    finally:
        os.close(parent)
    try:
        try:
            yield stage
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        if not out.exists():
            try:
                stage.rename(out)
                return
            except OSError:  # another build put one there meanwhile: exchange with it
                pass
        if _exchange(stage, out):
            shutil.rmtree(stage, ignore_errors=True)  # the stage's name now holds the old outputs
            return
        old = out.parent / f".{out.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if out.exists():
            out.rename(old)
        stage.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        os.close(held)


@contextmanager
def scratch_folder(out_dir: str | Path):
    """Yield a locked working folder ``.NAME.chunks-XXXX`` beside ``out_dir``, removed when the build ends.

    A build's sorted triple chunks live there while ``graph.nt`` is merged. A
    build killed at any moment leaves the folder behind, unlocked; the next
    build's ``clean_stale`` removes it, as it removes stale stages.
    """
    out = Path(out_dir).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    parent = _lock(out.parent)  # made and locked while no other build cleans beside it
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.chunks-", dir=out.parent))
        held = _lock(folder)
    finally:
        os.close(parent)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(held)


def sweep_beside(out_dir: str | Path) -> list[Path]:
    """``clean_stale`` for a build that writes nothing (its outputs are current): what killed
    builds left beside ``out_dir`` goes all the same."""
    out = Path(out_dir).resolve()
    if not out.parent.is_dir():
        return []
    parent = _lock(out.parent)
    try:
        return clean_stale(out)
    finally:
        os.close(parent)


def clean_stale(out: Path) -> list[Path]:
    """Remove the ``.NAME.new-*`` stages, ``.NAME.chunks-*`` scratch folders (and ``.NAME.old``)
    that killed builds left beside ``out``.

    A folder is stale when no process holds its lock: a build that is still
    running (another ``tipkg build`` on the same ``--out``) keeps its own.
    """
    removed = []
    leftovers = [*out.parent.glob(f".{glob.escape(out.name)}.new-*"), *out.parent.glob(f".{glob.escape(out.name)}.chunks-*")]
    for path in sorted(leftovers) + [out.parent / f".{out.name}.old"]:
        if not path.is_dir() or path.is_symlink():
            continue
        try:
            fd = _lock(path, wait=False)
        except BlockingIOError:
            continue  # a live build's stage
        except OSError:
            continue
        try:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        finally:
            os.close(fd)
    return removed


def _lock(path: Path, wait: bool = True) -> int:
    """An exclusive ``flock`` on a folder (released when the fd closes or the process dies)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BaseException:
        os.close(fd)
        raise
    return fd


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2`` with ``RENAME_EXCHANGE``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (_errno.EINVAL, _errno.ENOSYS, _errno.EOPNOTSUPP):
        return False
    raise OSError(errno, f"cannot swap {a.name} into {b}: {os.strerror(errno)}")


def preparations(check: bool = True) -> list[Callable[[], object]]:
    """What the outputs stage would do first, to be done ahead in this process, as steps in order: each
    writer's module imported, then (``check``) the SHACL shapes parsed, the ontology parsed and the checks
    compiled (for a graph whose own ``rdfs:subClassOf`` add no class pair: else validation compiles them
    again, as before). The children that validate and write, forked from this process later, inherit them
    done; on two cores they are the busiest part of a small build (×1: 0.25 CPU s less there). What each
    step makes is kept by this process (the modules, the parses' and the compilation's caches), so a step
    done already costs nothing when the list is run again: a build runs the steps while its extraction pool
    is busy and what is left after the graph stage (``pipeline._ahead``)."""
    from functools import partial

    steps: list[Callable[[], object]] = [partial(import_module, module) for module in
                                         dict.fromkeys(w.function.partition(":")[0] for w in writers())]
    if check:
        import pyoxigraph

        from tipkg.ontology.files import ontology_graph
        from tipkg.shapes.validate import compiled, load_shapes

        steps += [load_shapes, ontology_graph, lambda: compiled(load_shapes(), ontology_graph(), pyoxigraph.Store())]
    return steps


def write_dumps(graph: TripleSet | Graph, folder: Path, settings: DumpSettings = DumpSettings(),
                names: Collection[str] | None = None, check: Callable[[TripleSet], object] | None = None,
                judge: Callable[[object], None] | None = None, fed: Callable[[], None] | None = None,
                early: Callable[[TripleSet], bool] | None = None,
                written: Callable[[TripleSet], None] | None = None,
                say: Callable[[str], None] | None = None) -> list[Path]:
    """Write every output of the writers' table (``writers.py``) into ``folder``; the paths written.

    ``names`` limits the outputs to those named. The writers that feed the
    others (``graph.nt``, the store) run first: ``written(triples)`` is called once graph.nt is whole
    and before the store is begun (what it forks shares no RocksDB state), ``fed()`` after both.
    ``check(triples)`` (the build's validation) runs in a forked child: once
    graph.nt is written if ``early(triples)`` says it reads only that file
    (beside the store's bulk load), else once the store is there. The
    pure-Python writers (JSON-LD, TriG, …) run in a forked child each and the
    others in this process, beside the check: on two cores validation costs
    little wall time of its own. The text dumps' child (``segmented``), which reads graph.nt alone,
    starts as soon as graph.nt is whole, beside the store's load (the load waits on RocksDB's
    syncs; ×1: 0.15 CPU s in about 0.3 s) at a lower priority (``_beside``), also when the check
    waits for the store (a large graph.nt: the load leaves part of a core idle; ×30, 2 pairs: outputs
    13.1 → 8.7 s and 10.8 → 7.5 s, the build 0.90×, the same CPU), unless the check runs at once, in this
    process (without fork), and has still to be judged. Where the previous OUT is diffed, the store is made
    from the previous one and the delta, and the text dumps' VoID counts over it: their child starts beside
    it all the same, and waits for the marker left once the store is made (``STORE_END``, ``made`` or
    ``failed``); without fork, the text dumps are written after the store. When all are done, ``judge(what check
    returned)`` decides: it raises to refuse the outputs, and since ``folder``
    is the build's staged folder, nothing of them is ever seen in ``OUT``.
    Without ``fork`` (or with ``TIPKG_JOBS=1``) the check runs at once, in
    this process, and is judged before anything else is written. With ``settings.lean`` the store is
    loaded in a child too — in a whole build, started before graph.nt's merge and reading the file as it
    is written (``_follows``) — and every child, the check's included, is forked by the lean server
    (``tipkg.parallel``), not by this process: none carries this process's memory (``check`` is then
    picklable). ``say``: where this process says how far that load is while it waits for it (``load_progress``).
    """
    triples = TripleSet.of(graph)
    chosen = [w for w in writers() if names is None or w.name in names]
    judge = judge or (lambda verdict: None)
    spilled = isinstance(triples, SpilledTriples)
    checking: Forked | None = None
    started = False
    children: list[Forked] = []

    def start_check(sharing: list[Writer] | None = None) -> None:
        nonlocal checking, started
        started = True
        running = Forked(_checked_beside, check, triples, sharing, folder, settings, lean=settings.lean) if sharing \
            else Forked(check, triples, lean=settings.lean)
        if running.running:
            checking = running
        else:  # it ran here, at once: judged before anything more is written
            judge(running.result())

    segmented = [w for w in chosen if w.segmented and not w.feeds]
    early_ones: list[Writer] = []  # the writers that query a small graph in memory, started with graph.nt
    store_end: Path | None = None  # the marker a rebuild's text dumps wait for (``DumpSettings.store_end``)
    loading = _follows(triples, chosen, folder, settings)  # the store's load, started with graph.nt's merge
    try:
        try:
            for writer in [w for w in chosen if w.feeds]:
                if loading is not None and writer.name == "graph.nt":
                    _merged_for(loading, triples, folder / writer.name, settings)
                elif loading is not None and writer.name == "store":
                    with load_progress(folder / "graph.nt", say):  # how far the load is, said while it runs
                        loading.result()
                elif settings.lean and triples.path is not None:  # the store, from graph.nt (written here first)
                    Forked(_write_one, writer, triples, folder, settings, lean=True).result()
                else:
                    writer(triples, folder / writer.name, settings)
                if triples.delta is not None:  # graph.nt was diffed against the previous OUT's
                    settings = replace(settings, delta=triples.delta)
                if written is not None and writer.name == "graph.nt":
                    written(triples)
                if writer.name == "graph.nt" and in_memory_queries(triples, settings):
                    # a small whole graph: the writers that query it read graph.nt loaded into memory, not the
                    # store, so they start now, beside the store's load: from the check's child when it validates
                    # that same in-memory graph (one load for both), else in a child of their own
                    settings = replace(settings, memory=True)
                    early_ones = [w for w in chosen if w.queries and w.forked]
                if check is not None and not started and writer.name == "graph.nt" and early is not None \
                        and early(triples):
                    start_check(early_ones)
                elif early_ones and writer.name == "graph.nt":
                    children += [Forked(_write_one, w, triples, folder, settings, lean=settings.lean) for w in early_ones]
                if writer.name == "graph.nt" and segmented and spilled and (check is None or started or forks()) \
                        and (settings.delta is None or (forks() and any(w.name == "store" for w in chosen))):
                    # the text dumps read graph.nt alone, so their child starts beside the store's load,
                    # yielding to it (``_beside``), whether the check started already or starts once the store
                    # is there (a large graph.nt); not before the check is judged where it runs at once, in
                    # this process (without fork). A delta's VoID reads the new store: it waits for the marker
                    # left once the store is made (``store.marked``; ×100, one source changed: the store from the
                    # previous one took 1.5 s, the text dumps' copies 4.5 s after it, one core idle meanwhile)
                    beside = settings
                    if settings.delta is not None:
                        store_end = folder / STORE_END
                        beside = replace(settings, store_end=str(store_end))
                    children.append(Forked(_beside, os.getpid(), segmented, triples, folder, beside,
                                           lean=settings.lean))
                    segmented = []
                if writer.name == "store" and store_end is not None:
                    marked(store_end, "made")
            if spilled and any(w.name == "store" for w in chosen):
                triples.attach_store(folder / "store")
            if fed is not None:
                fed()
            if not spilled:
                triples.ntriples()  # sorted once, before the forks, for every process
            if check is not None and not started:
                start_check()
            rest = [w for w in chosen if not w.feeds and w not in early_ones]
            children += [Forked(_write_one, w, triples, folder, settings, lean=settings.lean)
                         for w in rest if w.forked and not w.segmented]
            if segmented:  # one child, its pool renders the segments (if it did not start beside the store)
                children.append(Forked(write_segmented, segmented, triples, folder, settings, lean=settings.lean))
            rest = [w for w in rest if not w.segmented]
            _write_each([w for w in rest if not w.forked], triples, folder, settings)
        except BaseException:
            if store_end is not None and not store_end.exists():  # the text dumps' child waits for no store
                marked(store_end, "failed")
            raise
        finally:  # every child is waited for, whatever happened here, before the stage can be removed
            if loading is not None:
                _outcome(loading)
                (folder / GRAPH_END).unlink(missing_ok=True)
                (folder / READ_SO_FAR).unlink(missing_ok=True)
            checked = _outcome(checking)
            written = [_outcome(child) for child in children]
            if store_end is not None:
                store_end.unlink(missing_ok=True)
        if checking is not None:
            judge(checked())
        for outcome in written:
            outcome()
    finally:
        if spilled:
            triples.close_store()
    return [folder / w.name for w in chosen]


def _checked_beside(check: Callable[[TripleSet], object], triples: TripleSet, chosen: list[Writer], folder: Path,
                    settings: DumpSettings) -> object:
    """The check's child of a small whole graph: graph.nt loaded into memory once and kept
    (``store.memory_store``), the writers that query it (``chosen``: the precomputed answers) forked from here,
    so that they read the same store, then the check (``check(triples)``, which validates that store); what the
    check returned. The writers' child is waited for, and its failure raised here, as the check's would be."""
    from tipkg.graph.store import memory_store
    from tipkg.parallel import beside_child

    memory_store(Path(triples.path), keep=True)  # type: ignore[arg-type]  # (in_memory_queries: it has a path)
    verdict, _ = beside_child(lambda: check(triples), lambda: _write_each(chosen, triples, folder, settings),
                              chosen[0].name)
    return verdict


def in_memory_queries(triples: TripleSet, settings: DumpSettings) -> bool:
    """Whether the writers that query the graph (``Writer.queries``: the precomputed answers) read the written
    graph.nt loaded into memory rather than the store (``DumpSettings.memory``), and so start as soon as graph.nt
    is whole, beside the store's load: a whole build (no delta: a rebuild's answers start from the previous
    store's), a graph.nt small enough to hold in memory (``shapes.validate.in_memory``: what validation loads so),
    and ``fork`` (without it the writers run in turn, after the store, as before). ×1: the answers waited for
    the store's load, the build's longest chain (merge and load 0.41 s); over memory they take about half
    the CPU (0.33 → 0.18 s), the same files, and the load (0.1 s) is the check's (``_checked_beside``)."""
    from tipkg.shapes.validate import in_memory  # late: the outputs' module does not load the shapes'

    return forks() and settings.delta is None and triples.path is not None and in_memory(triples)


#: how much lower the priority of the text dumps' child started beside the store's load is (``os.nice``)
BESIDE_NICE = 10


def _beside(parent: int, chosen: list[Writer], triples: TripleSet, folder: Path, settings: DumpSettings) -> None:
    """``write_segmented`` in the child started beside the store's load, at a lower priority: the store's
    load, then the precomputed answers over it, are the build's longest chain (a small whole graph's answers,
    over memory, run beside the load: ``in_memory_queries``); the text dumps are not, and take the cores
    those leave (×1, same window: 2.10 s median with the dumps after the store,
    1.96 s beside it at the same priority, 1.84 s beside it niced). Not in ``parent`` itself (no fork)."""
    if os.getpid() != parent and hasattr(os, "nice"):
        try:
            os.nice(BESIDE_NICE)
        except OSError:
            pass
    write_segmented(chosen, triples, folder, settings)


#: the marker the merge leaves beside graph.nt for the store's load that reads it as it grows
#: (``store.follow_store``): the file's final size, or ``failed``; removed once the load is done
GRAPH_END = ".graph.nt.end"


def _follows(triples: TripleSet, chosen: list[Writer], folder: Path, settings: DumpSettings) -> Forked | None:
    """The store's load, started in a child of the lean server before graph.nt's merge, reading the file as
    the merge writes it (``store.follow_store``): the load is the longest stage of a large build, and the
    merge no longer comes before it. Only for a whole build with the lean server (a large corpus): a
    rebuild's store may start from the previous one (``store_from_previous``, after the merge's delta)."""
    names = [w.name for w in chosen]
    if not (settings.lean and forks() and isinstance(triples, SpilledTriples) and triples.previous is None
            and "graph.nt" in names and "store" in names):
        return None  # (without a child the load would wait here for a merge that never starts)
    from tipkg.graph.store import follow_store, loader_cpus

    return Forked(follow_store, folder / "graph.nt", folder / "store", folder / GRAPH_END,
                  loader_cpus(settings.jobs), lean=True)


def _merged_for(loading: Forked, triples: TripleSet, path: Path, settings: DumpSettings) -> None:
    """graph.nt merged by this process while ``loading`` reads it: then the marker of its end, its size
    (written whole, by a rename), or ``failed``, so the load never waits for a file that will not come."""
    end = path.parent / GRAPH_END
    try:
        write_ntriples(triples, path, settings)
        text = str(path.stat().st_size)
    except BaseException:
        text = "failed"
        raise
    finally:
        marked(end, text)


#: the marker a rebuild leaves in the staged folder once its store is made, for the text dumps' child started
#: before it (``DumpSettings.store_end``, ``segments.made_store``): ``made`` or ``failed``; removed when all are done
STORE_END = ".store.end"


def _outcome(forked: Forked | None) -> Callable[[], object]:
    """Wait for ``forked``; a function giving its value or raising its exception."""
    if forked is None:
        return lambda: None
    try:
        value = forked.result()
    except BaseException as exc:  # noqa: BLE001 — raised again by the caller, in its order
        error = exc

        def fail():
            raise error
        return fail
    return lambda: value


def _write_each(chosen: list[Writer], triples: TripleSet, folder: Path, settings: DumpSettings) -> None:
    for writer in chosen:
        writer(triples, folder / writer.name, settings)


def _write_one(writer: Writer, triples: TripleSet, folder: Path, settings: DumpSettings) -> None:
    """One writer in its forked child, the child named after the file (``name_process``)."""
    name_process(writer.name)
    writer(triples, folder / writer.name, settings)
