"""Run a pure-Python stage in a forked child process while the parent goes on.

The extraction stages are Python code, so the GIL keeps each on one core; a
build has independent stages (text reuse does not need the references; the
JSON-LD dump does not need the store). ``Forked(fn, *args)`` starts ``fn`` in
a child made by ``fork`` — it sees the parent's data as it was, nothing is
pickled on the way in — and ``result()`` waits for its return value (pickled
back through a pipe) or re-raises its exception. Where ``fork`` is not
available, or ``TIPKG_JOBS=1``, ``fn`` simply runs at once in the parent:
the result is the same either way.

A stage whose first part the parent can use before the rest is done says so with ``announce(value)``;
``announced()`` waits for that value alone. Why: text reuse writes its echoes, then makes their lines
(×1000: a minute); the parent, done with the graph stage, sat idle that minute, then read the echoes for
the repeated mandates alone, with the other core idle. Now it reads them as soon as they are written.

A child must not outlive a build killed with SIGKILL (it would go on writing
into the build's folders and holding their locks, so the next build would take
them for live): every child of a build — ``Forked`` children and the workers of
the process pools (``initializer=die_with_parent``) — asks the kernel to kill it
when its parent dies (``die_with_parent``; Linux ``PR_SET_PDEATHSIG``).

A forked child starts with the parent's whole resident memory. The outputs of a large graph run late,
when the build's parent holds what it kept of every source (×1000: about 650 MB), so
``Forked(fn, *args, lean=True)`` starts ``fn`` from the *lean server* instead (``lean_server``):
``multiprocessing``'s fork server, a fresh interpreter with the outputs' modules imported
(``LEAN_PRELOAD``) and nothing of the build's data, which forks each such child. ``fn`` and its
arguments are pickled to it (module-level functions; a written ``SpilledTriples`` goes as a view of its
files), and it runs with the parent's environment as it is at that moment. The server leaves when the
build's process does (it reads the end of a pipe the build holds), and each of its children asks to
die with it, so a build killed with SIGKILL takes them along too.

A forked child shares the parent's memory until one of them writes a page.
The cyclic garbage collector writes into the header of every object it
visits, so a child's first full collection used to copy nearly the whole
inherited heap: at ×1000 each of the two parts workers, forked from a parent
holding 4 GB of units, reached 2.2 GB of memory of its own. Inside
``frozen_heap()`` (the build wraps its stages in it) every fork first moves
the parent's objects to the collector's permanent generation (``gc.freeze``),
which no collection visits, in the child or in the parent; leaving it puts
them back (``gc.unfreeze``), once the children are gone.

>>> Forked(sum, [1, 2, 3]).result()
6
>>> def halves(n):
...     announce(n // 2)
...     return n
>>> job = Forked(halves, 10)
>>> job.announced(), job.result()
(5, 10)
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")


_freezing = 0  # how many frozen_heap() blocks are open
#: where ``announce`` sends: the pipe to the parent in a forked child (``_run``), a list where ``Forked``
#: runs its function in this process, None elsewhere (a value announced there goes nowhere)
_announce: Connection | list | None = None


def _freeze_before_fork() -> None:
    if _freezing:
        gc.freeze()
        trim_heap()


def _c_library() -> ctypes.CDLL | None:
    """The C library's functions this module calls (``prctl``, ``malloc_trim``), from the symbols this
    process already has loaded: opened once, in the parent, so that no child looks the library up again
    (``ctypes.util.find_library`` runs ``ldconfig``)."""
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _c_library()
_trim = getattr(_LIBC, "malloc_trim", None)  # glibc; elsewhere there is nothing to give back this way


def trim_heap() -> None:
    """Give the pages the C allocator keeps free back to the kernel (glibc's ``malloc_trim``). A forked
    child's resident memory counts every page it inherits, live or not: after the store's load the
    build's parent kept ~110 MB of RocksDB's freed buffers (×30: 206 MB resident, 98 MB after the
    trim, in 16 ms), which each child forked after it carried. ``frozen_heap`` trims before every fork."""
    if _trim is not None:
        _trim(0)


def resident_bytes() -> int | None:
    """This process's resident memory now, in bytes (Linux ``/proc/self/statm``); None where unknown."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


os.register_at_fork(before=_freeze_before_fork)


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Within this block, every ``fork`` (``Forked``, the process pools, ``os.fork``) freezes the parent's
    heap first (``gc.freeze``), so the children's collections do not copy the pages they inherit, and
    gives the allocator's free pages back (``trim_heap``), so they do not inherit dead ones; on
    leaving it the objects go back to the collector (``gc.unfreeze``), and are freed if unreachable.
    Garbage the parent made before a fork waits for the end of the block to be collected."""
    global _freezing
    _freezing += 1
    try:
        yield
    finally:
        _freezing -= 1
        if not _freezing:
            gc.unfreeze()


def _forking() -> bool:
    return os.environ.get("TIPKG_JOBS") != "1" and "fork" in multiprocessing.get_all_start_methods()


def default_jobs() -> int:
    """The CPUs this process may run on (its affinity), the default of ``--jobs``."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def jobs_for(jobs: int | None) -> int:
    """How many processes (or threads) a stage may use: ``jobs`` (``--jobs``), else ``default_jobs()``; one
    with ``TIPKG_JOBS=1``."""
    return 1 if os.environ.get("TIPKG_JOBS") == "1" else max(1, jobs or default_jobs())


def forks() -> bool:
    """Whether ``Forked`` runs its function in a child process; False where ``fork`` is missing or with
    ``TIPKG_JOBS=1``, where it runs the function at once, in this process."""
    return _forking()


#: what the lean server imports before it forks anything: the modules of the outputs stage's children
#: (the store's load, validation, the precomputed answers, the dumps), imported once, not by each child
LEAN_PRELOAD = ("tipkg.graph.outputs", "tipkg.graph.store", "tipkg.graph.segments", "tipkg.shapes.validate",
                "tipkg.shapes.affected", "tipkg.queries.precomputed", "tipkg.pipeline")


def lean_server() -> bool:
    """Start the lean server, if this platform has one and it is not running yet (``multiprocessing``'s
    fork server; its preloaded modules, ``LEAN_PRELOAD``, load in its own process, so this returns at
    once); True if there is one. A build starts it as it starts, when it will use it (the server is a
    fresh interpreter, whenever it starts: started early, its imports are off the path of the first
    lean child). Not with ``TIPKG_JOBS=1``, where ``Forked`` runs its function in this process."""
    if not _forking() or "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    from multiprocessing import forkserver

    multiprocessing.set_forkserver_preload(list(LEAN_PRELOAD))
    forkserver.ensure_running()
    return True


def stop_lean_server(wait: float = 10.0) -> None:
    """Stop the lean server, if one runs, and wait for it (up to ``wait`` seconds): a build stops the one it
    started once its outputs are written, so that the server's and its children's CPU time and peak memory
    are counted among this process's children (``getrusage(RUSAGE_CHILDREN)``, ``time -v``) as a forked
    child's are. The server leaves once every holder of its pipe's end has closed it (this process, and any
    child forked from it since the server started)."""
    from multiprocessing import forkserver, util

    server: Any = forkserver._forkserver  # the module's own server: its state is private
    pid, alive = getattr(server, "_forkserver_pid", None), getattr(server, "_forkserver_alive_fd", None)
    if pid is None or alive is None:
        return
    os.close(alive)
    server._forkserver_alive_fd = server._forkserver_pid = None
    address, server._forkserver_address = server._forkserver_address, None
    if address and not util.is_abstract_socket_namespace(address):
        try:
            os.unlink(address)
        except OSError:
            pass
        _remove_empty_temp_dir(os.path.dirname(address))
    deadline = time.monotonic() + wait
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            return  # a process still holds the pipe: the server leaves with it, uncounted
        time.sleep(0.005)


def _remove_empty_temp_dir(folder: str) -> None:
    """Remove ``multiprocessing``'s temporary folder (``/tmp/pymp-*``, where the server's socket was) if it is
    that and now empty, by its own finalizer, which would run only at an ordinary exit: ``tipkg build`` ends
    with ``os._exit`` (``cli.exit_now``), and each large build left one such folder behind."""
    from multiprocessing import util

    config: dict = getattr(multiprocessing.current_process(), "_config", {})  # where multiprocessing keeps it
    if folder != config.get("tempdir"):
        return
    try:
        if os.listdir(folder):
            return
    except OSError:
        return
    for finalizer in list(getattr(util, "_finalizer_registry", {}).values()):
        if getattr(finalizer, "_callback", None) is getattr(util, "_remove_temp_dir", None):
            finalizer()  # removes the folder and forgets it (the next server makes a new one)


class StageDied(RuntimeError):
    """A stage's forked child ended without a word (killed: by the kernel's OOM killer, or from outside):
    its name, its pid and how it ended (``ended``), said where the build fails (``tipkg.faults``)."""

    def __init__(self, stage: str, pid: int, code: int | None) -> None:
        self.stage, self.pid, self.code = stage, pid, code
        self.how = f"its process ({ended(pid, code)}) died without a word"  # as ``WorkerDied.how`` is said
        super().__init__(f"{stage}: {self.how}")

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:  # raised in a child whose parent is a stage too: it crosses a pipe
        return StageDied, (self.stage, self.pid, self.code)


def ended(pid: int, code: int | None) -> str:
    """How process ``pid`` ended, from its exit code: ``pid killed by SIGNAL`` or ``pid exited with CODE``."""
    if code is None:
        return f"{pid} still running"
    if code < 0:
        return f"{pid} killed by {signal.Signals(-code).name}"
    return f"{pid} exited with {code}"


class Forked(Generic[T]):
    """``fn(*args)`` running in a forked child (``lean``: forked by the lean server, ``fn`` and ``args``
    picklable); ``result()`` gives its value."""

    def __init__(self, fn: Callable[..., T], *args: Any, lean: bool = False) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._process: Any = None
        self._announced: list = []  # announce()'s values not yet taken by announced()
        self._stage = _stage(fn)
        if not _forking():
            global _announce
            outer, _announce = _announce, self._announced
            try:
                self._value = fn(*args)
            except Exception as exc:  # noqa: BLE001 — re-raised by result(), as from a child
                self._error = exc
            finally:
                _announce = outer
            return
        lean = lean and lean_server()
        context: Any = multiprocessing.get_context("forkserver" if lean else "fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_run_lean if lean else _run, daemon=True,
                                        args=(send, fn, args, os.getpid(),
                                              *([dict(os.environ), multiprocessing.get_start_method()] if lean else [])))
        self._process.start()
        send.close()

    @property
    def running(self) -> bool:
        """True while ``fn`` runs in a child (False: it already ran here, in this process)."""
        return self._process is not None

    def announced(self) -> Any:
        """The next value ``fn`` gave ``announce``, as soon as it is given; None if ``fn`` ended (or died)
        without giving another (``result()`` then says how it ended)."""
        while self._process is not None and not self._announced:
            self._take()
        return self._announced.pop(0) if self._announced else None

    def result(self) -> T:
        while self._process is not None:
            self._take()
        if self._error is not None:
            raise self._error
        return cast(T, self._value)

    def _take(self) -> None:
        """The child's next message: a value it announced (kept for ``announced``), or its last, its value or
        its exception (it has ended; dead without a word, it has the error of a stage that died)."""
        try:
            ok, value = self._receive.recv()
        except EOFError:
            self._end(False, StageDied(self._stage, self._process.pid, self._join()))
            return
        if ok is None:
            self._announced.append(value)
        else:
            self._end(ok, value)

    def _join(self) -> int | None:
        self._process.join()
        self._receive.close()
        code: int | None = self._process.exitcode
        self._process = None
        return code

    def _end(self, ok: bool, value: Any) -> None:
        """The child's last message: its value (``ok``) or its exception."""
        if self._process is not None:
            self._join()
        if ok:
            self._value = value
        else:
            self._error = value


def announce(value: Any) -> None:
    """In ``fn`` of a ``Forked``: hand ``value`` to the parent now (``Forked.announced``), before ``fn``
    returns. Elsewhere it goes nowhere."""
    if isinstance(_announce, list):
        _announce.append(value)
    elif _announce is not None:
        _announce.send((None, value))


U = TypeVar("U")


def beside_child(here: Callable[[], T], there: Callable[[], U], role: str) -> tuple[T, U]:
    """``here()`` in this process and ``there()`` at the same time in a child made by ``os.fork``: both values
    (the child's pickled back through a pipe). Unlike ``Forked``, it works in a daemonic process too (a lean
    child: ``multiprocessing`` lets no daemonic process start a ``Process``). The child is named ``role``
    (``name_process``), dies with this process (``die_with_parent``) and leaves with ``os._exit``, without
    this process's clean-up; it is waited for even when ``here()`` fails. Its exception is raised here as a
    ``RuntimeError`` naming ``role`` (as text: an exception need not pickle); its death without a word, as
    ``StageDied``. The caller decides whether to
    fork at all (``forks()``)."""
    parent = os.getpid()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its value handed over, then out without running the parent's clean-up
        code = 0
        try:
            os.close(read)
            name_process(role)
            die_with_parent(parent)
            try:
                data = pickle.dumps((True, there()), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # noqa: BLE001 — handed to the parent: a stage's death as it is, else as text
                data = pickle.dumps((False, exc if isinstance(exc, StageDied) else f"{type(exc).__name__}: {exc}"))
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    try:
        mine = here()
    finally:
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
    if not data:  # killed (the OOM killer, or from outside) before it said anything
        raise StageDied(role, pid, os.waitstatus_to_exitcode(status))
    ok, theirs = pickle.loads(data)
    if not ok:
        if isinstance(theirs, StageDied):  # a process of the child's own died (``answers share`` in ``precomputed``)
            raise theirs
        raise RuntimeError(f"{role}: {theirs}")
    return mine, cast(U, theirs)


_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15


def name_process(role: str) -> None:
    """Name this process ``role`` (its ``comm``, 15 bytes at most: what ``ps -o comm``, ``top`` and
    ``/proc/PID/status`` show), on Linux: a forked child keeps its parent's command line, so without it
    every process of a build reads ``python3 -m tipkg build`` and a sampler cannot tell which stage
    holds the memory."""
    if sys.platform.startswith("linux") and _LIBC is not None:
        _LIBC.prctl(_PR_SET_NAME, role.encode()[:15], 0, 0, 0)


def die_with_parent(parent: int | None = None, *then: Any) -> None:
    """In a child: be killed (SIGKILL) when the parent process dies, on Linux; if it is already
    gone, exit now. ``parent`` is the parent's pid as the parent saw it (default: the current one).
    Further arguments: an initializer to chain, and its arguments (for a pool's ``initializer``)."""
    parent = os.getppid() if parent is None else parent
    if sys.platform.startswith("linux") and _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request was made
            os._exit(1)
    if then:
        then[0](*then[1:])


@contextmanager
def process_pool(jobs: int, stage: str, *then: Any) -> Iterator[ProcessPoolExecutor]:
    """A process pool of ``jobs`` workers that die with this process (``die_with_parent``), for ``stage``;
    ``then``: an initializer each worker runs next, and its arguments. The workers are forked where
    ``fork`` is, whatever the default start method: a lean child's is the fork server's (its workers were
    the server's children, not its own, and died at once, taking their parent for dead).

    A worker that dies in a task breaks the pool, and ``concurrent.futures`` says only that "a process in
    the process pool was terminated abruptly". Raised through this block, the error names the stage and
    how each worker ended. Why: round 7's one-off ``BrokenProcessPool`` in a test build could not be
    explained from its message. No OOM kill happened on the machine that day (``/proc/vmstat``), and a
    helper's ``pkill -f -n`` aimed at its own pytest run killed another run's process at the time: the
    newest process matching a pytest command line is a pool worker of that run, since a forked worker
    keeps its parent's command line. Killing a worker so gives that very error
    (``tests/test_parallel.py``); now it says "killed by SIGKILL"."""
    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    # a build's stage in a Forked child (the text dumps, VoID's counts, the text reuse's lines) is daemonic, and
    # multiprocessing lets no daemonic process start a pool: this one may, since each worker dies with it
    process: Any = multiprocessing.current_process()  # _config is private: not in typeshed
    process._config["daemon"] = False
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_pool_worker,
                               initargs=(stage, os.getpid(), *then))
    workers: dict = getattr(pool, "_processes", {})  # filled as workers start; shutdown lets go of it, not we
    try:
        with pool:
            yield pool
    except BrokenProcessPool as exc:
        raise WorkerDied(stage, _ended(workers)) from exc


class WorkerDied(BrokenProcessPool):
    """A pool's worker died in a task: the stage, and how each worker ended (``ended``), as ``StageDied``
    says its one process's."""

    def __init__(self, stage: str, how: str) -> None:
        self.stage, self.ended = stage, how
        self.how = f"a worker process died in a task ({how})"
        super().__init__(f"{stage}: a worker process died in a task ({how}; the pool stops the others). A signal "
                         "from outside the build ends a worker so: the kernel's OOM killer, or a kill")

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:  # the text dumps' pool runs in a forked stage: it crosses a pipe
        return WorkerDied, (self.stage, self.ended)


def _ended(workers: dict) -> str:
    """How each worker process of a pool ended: ``pid killed by SIGNAL`` or ``pid exited with CODE``."""
    return ", ".join(ended(pid, process.exitcode) for pid, process in sorted(workers.items())) or "no worker had started"


def _stage(fn: Callable[..., Any]) -> str:
    """The name a forked child of ``fn`` takes (``name_process``), until it names itself."""
    name = getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", "forked")  # or a partial's
    return str(name).strip("_")


def _pool_worker(stage: str, parent: int, *then: Any) -> None:
    """A pool worker's initializer: named after its ``stage`` (``name_process``), then ``die_with_parent``."""
    name_process(stage)
    die_with_parent(parent, *then)


def _run(send: Connection, fn: Callable[..., Any], args: tuple[Any, ...], parent: int | None,
         build: int | None = None) -> None:
    name_process(_stage(fn))
    die_with_parent(parent)
    if build is not None:  # a lean child, whose parent is the server: the build may be gone already
        try:
            os.kill(build, 0)
        except ProcessLookupError:
            os._exit(1)
    global _announce
    _announce = send
    try:
        outcome = (True, fn(*args))
    except Exception as exc:  # noqa: BLE001 — handed to the parent
        outcome = (False, exc)
    send.send(outcome)
    send.close()


def _run_lean(send: Connection, fn: Callable[..., Any], args: tuple[Any, ...], build: int,
              environ: dict[str, str], method: str) -> None:
    """``_run`` in a child of the lean server: it dies with the server, which leaves with the ``build``'s
    process (if that is gone already, it leaves now), and runs with the build's environment of the moment
    (the server's is that of its start) and its default start ``method`` (``multiprocessing`` makes a
    child's the one it was started by: here the fork server's). What it holds as it starts is frozen
    (``gc.freeze``), as a child forked inside ``frozen_heap`` holds its inheritance: its full collections
    then visit only what it makes, not the preloaded modules (rdflib, the shapes, …), and so do its own
    forks' (the text dumps' pool, validation's second half). It lets go of the server's pipe, which every child of the server
    is given (so that it may start children of its own there, which it never does): held, it would keep the
    server up after the build died, and this child with it."""
    from multiprocessing import forkserver

    server: Any = forkserver._forkserver
    alive = getattr(server, "_forkserver_alive_fd", None)
    if alive is not None:
        os.close(alive)
        server._forkserver_alive_fd = None
    global _freezing
    os.environ.clear()
    os.environ.update(environ)
    multiprocessing.set_start_method(method, force=True)
    _freezing += 1  # as in a child forked inside the build's frozen_heap: what it forks freezes its heap first
    gc.freeze()  # and the modules the server loaded, its arguments, are out of its own collections' way
    _run(send, fn, args, None, build)  # None: its parent as it is now, the server
