"""When the machine stops a build, in one line: a write the filesystem refused (``disk_fault``), a process of
the build killed (``killed_fault``), as a ``TipkgError`` of exit status 4.

A build of ×1000 writes some 35 GB of outputs and 12 GB of cache, and a rebuild writes its new OUT
beside the previous one before it swaps it in (``graph.outputs.staged_output``). When a disk fills,
or a folder turns out read-only, the error comes from wherever the write was — the parent, a pool
worker, the store's load in a child, RocksDB itself, SQLite — as an ``OSError`` whose message may not
name the file ("[Errno 28] No space left on device"), as RocksDB's "IO error: No space left on
device: While appending to file: …/store/000010.sst", or as SQLite's "database or disk is full".
Either way the user's question is the same: which disk, how much is free there, and what it would
need. ``disk_fault`` answers it.

A process of the build that dies without a word (``parallel.StageDied``, ``parallel.WorkerDied``) was
killed: at scale most likely by the kernel's OOM killer, which leaves no other trace in the build.
``killed_fault`` names the stage in words and says whether memory ran out, from the OOM killer's count
(``oom_kills``) as the build began and as it failed.

Each gives None for any other error: a program's error keeps its traceback. The build's own
guarantees make the rest of the message true whatever failed: OUT is replaced only by a whole new one,
and a cache entry is written whole or not at all (``cache_entries``), so the previous OUT and the
cache stay usable.

>>> fault = disk_fault(OSError(errno.ENOSPC, "No space left on device", "/dev/full"))
>>> str(fault).split(";")[0], fault.exit_code
('/dev: no space left on the device', 4)
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from pathlib import Path

from tipkg.errors import TipkgError

#: the filesystem's refusals, by errno, in the words the message uses; what RocksDB says of each (its
#: errors carry no errno, only the C library's text)
REFUSALS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EFBIG: "the file is larger than the size limit allows",
    errno.EIO: "the device reported an input/output error",
}
#: the words of each refusal in the errors that carry no errno: the C library's text, as RocksDB's messages
#: quote it ("IO error: No space left on device: While appending to file: …"), and SQLite's
_WORDS = {os.strerror(code): code for code in REFUSALS} | {
    "database or disk is full": errno.ENOSPC,
    "attempt to write a readonly database": errno.EROFS,
}
#: the refusals that free space would cure: the message says how much is free, and what needs it
_SPACE = (errno.ENOSPC, errno.EDQUOT)
#: what a rebuild needs free, in sizes of the previous OUT: its new OUT beside the previous one, and its scratch
#: (measured, a rebuild's peak over its start: ×1 33–40 MB for an OUT of 21 MB, ×100 5.1 GB for 3.6 GB)
REBUILD_ROOM = 2
#: the folders a build makes beside OUT (``.OUT.new-*``: graph.outputs.staged_output; ``.OUT.chunks-*``:
#: graph.outputs.scratch_folder), by the word in their name
_STAGED = {"new": "the new OUT", "chunks": "the build's scratch folder"}
#: the first absolute path in a message ("While appending to file: /x/store/000010.sst: No space …")
_PATH = re.compile(r"(/[^\s:]+)")


class DiskFault(TipkgError):
    """A write the filesystem refused: the folder (or file), why, and what is free there; the reason
    alone when neither the error nor the command says where."""

    exit_code = 4

    def __init__(self, path: str | os.PathLike[str] | None, reason: str) -> None:
        super().__init__(path or "", reason)
        if not path:
            self.args = (reason,)


def refusal(exc: BaseException) -> int | None:
    """The errno of the filesystem's refusal that ``exc`` is: an ``OSError``'s own, or read from the words of
    RocksDB's errors (no errno) and SQLite's (``sqlite3.OperationalError``: the text reuse index); None if
    it is none of ``REFUSALS``."""
    if isinstance(exc, OSError) and exc.errno in REFUSALS:
        return exc.errno
    if not isinstance(exc, OSError) and type(exc).__module__ != "sqlite3":
        return None
    text = str(exc)
    return next((code for words, code in _WORDS.items() if words in text), None)


def disk_fault(exc: BaseException, out: str | Path | None = None, cache: str | Path | None = None) -> DiskFault | None:
    """``exc`` as one line naming where the write was refused, why, and (a full disk) what is free and
    what a build needs there; None if ``exc`` is not such a refusal. ``out``, ``cache``: a build's
    OUT and cache, to say which of them the file belongs to and, when the error names no file, to look
    for the full disk among the places a build writes: them and the temporary folder (the fullest; the
    build's own files are gone by now, so "full" is relative). Without them and without a file named,
    the reason alone: a guess would name a disk that is not full."""
    code = refusal(exc)
    if code is None:
        return None
    filename = getattr(exc, "filename", None)
    named = filename if isinstance(filename, str) else _named(str(exc))
    if not named and out is None and cache is None:  # neither the error nor the command says where
        return DiskFault(None, f"{REFUSALS[code]} (the error names no file)")
    place = Path(named) if named else _fullest(out, cache)
    what = _role(Path(named), out, cache) if named else None
    if code in _SPACE:
        where: Path | str = _mount(place)
    elif what in _STAGED.values() and out is not None:  # a folder of a temporary name: the folder it is in
        where = Path(out).absolute().parent
    else:
        where = named or place
    details = [f"writing {what}" + (f" ({named})" if str(where) != named else "")] if what else []
    if code in _SPACE:
        details.append(f"{size_text(shutil.disk_usage(_existing(place)).free)} free there")
        if out is not None and (previous := _treesize_text(Path(out))):
            details.append(f"a rebuild writes its new OUT beside the previous one ({size_text(previous)}) before it swaps "
                           f"it in: free about {size_text(REBUILD_ROOM * previous)}, or give --out (and --cache) on another disk")
    if out is not None:
        details.append(f"{out} and the cache are as they were" if cache is not None else f"{out} is as it was")
    return DiskFault(where, "; ".join([REFUSALS[code], *details]))


def _named(text: str) -> str | None:
    found = _PATH.search(text)
    return found.group(1) if found else None


def _fullest(*places: str | Path | None) -> Path:
    """Of the places a build writes (OUT's folder, the cache, the temporary folder), the one with the
    least space free: the error did not say which it was."""
    candidates = [Path(p) for p in places if p is not None] + [Path(tempfile.gettempdir())]
    return min(candidates, key=lambda p: shutil.disk_usage(_existing(p)).free)


def _existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (a staged folder is gone once the build failed)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _mount(path: Path) -> Path:
    """The mount point of the file system ``path`` is on."""
    path = _existing(path).resolve()
    while not os.path.ismount(path):
        path = path.parent
    return path


def _role(place: Path, out: str | Path | None, cache: str | Path | None) -> str | None:
    """What of a build ``place`` is: the new OUT (its staged folder beside OUT), the build's scratch
    folder beside OUT, OUT, the cache; None if none of them."""
    place = place.absolute()
    if out is not None:
        out_path = Path(out).absolute()
        for folder in (place, *place.parents):
            if folder == out_path:
                return "OUT"
            if folder.parent == out_path.parent:
                found = next((what for kind, what in _STAGED.items() if folder.name.startswith(f".{out_path.name}.{kind}-")),
                             None)
                if found:
                    return found
    if cache is not None and (place == Path(cache).absolute() or Path(cache).absolute() in place.parents):
        return "the cache"
    return None


def _treesize_text(folder: Path) -> int:
    """The bytes of the files under ``folder`` (0 if there is none)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def size_text(n: int) -> str:
    """Bytes in the unit a person reads them in."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def oom_kills() -> int | None:
    """How many processes the kernel's OOM killer has ended on this machine since it started (``oom_kill``
    of /proc/vmstat, Linux 4.13 on; a container reads the machine's count); None where it is not kept.
    A build reads it as it starts, so that a process of it found killed can be said to be the OOM
    killer's doing, or not."""
    try:
        with open("/proc/vmstat", encoding="ascii") as vmstat:
            for line in vmstat:
                name, _, value = line.partition(" ")
                if name == "oom_kill":
                    return int(value)
    except (OSError, ValueError):
        return None
    return None


#: the stages a process of a build is named after, in words: a pool's stage, ``beside_child``'s role, a forked
#: stage's function (``parallel.StageDied``)
STAGES = {
    "extraction": "extraction", "spilled_reuse": "text reuse", "reuse_stage": "text reuse",
    "echoes lines": "text reuse", "add_gists": "the English gists", "follow_store": "the store's load",
    "local_pass": "validation", "checked_beside": "validation", "checked": "validation",
    "half of checks": "validation", "beside": "the outputs written beside validation",
    "text dumps": "the text dumps", "write_segmented": "the text dumps", "VoID counts": "VoID's counts",
    "precomputed": "the precomputed answers", "answers share": "the precomputed answers",
}

#: what a build holds at its peak, measured (README, Speed): said when the OOM killer ended a process of it
PEAK_MEMORY = "1.3 GB at ×100 and ×1000 below --jobs 4, 2.1 GB from it, the store's load then on two CPUs"


class StageKilled(TipkgError):
    """A process of the build was killed (the kernel's OOM killer, or from outside): which stage, how,
    and whether memory ran out."""

    exit_code = 4


def killed_fault(exc: BaseException, out: str | Path | None = None, cache: str | Path | None = None,
                 oom_before: int | None = None) -> StageKilled | None:
    """``exc`` as one line when a process of the build died without a word (``parallel.StageDied``, a pool's
    ``parallel.WorkerDied``): the stage, how its process ended, and — from the OOM killer's count since
    ``oom_before`` (``oom_kills``) — whether memory ran out or a signal came from outside; None for any other
    error."""
    from tipkg.parallel import StageDied, WorkerDied

    if not isinstance(exc, (StageDied, WorkerDied)):
        return None
    now = oom_kills()
    if oom_before is not None and now is not None and now > oom_before:
        killed = now - oom_before
        cause = (f"memory ran out: the kernel's OOM killer ended {killed} process{'es' if killed > 1 else ''} on this "
                 f"machine while the build ran (a build's peak, measured: {PEAK_MEMORY})")
    elif oom_before is not None and now is not None:
        cause = "a signal from outside the build (the kernel's OOM killer ended no process meanwhile)"
    else:
        cause = "the kernel's OOM killer, or a signal from outside the build"
    tail = [] if out is None else [f"{out} and the cache are as they were" if cache is not None else f"{out} is as it was"]
    stage = f"{STAGES[exc.stage]} ({exc.stage})" if exc.stage in STAGES else exc.stage
    return StageKilled(stage, "; ".join([exc.how, cause, *tail]))

