"""Sorted N-Triples files merged into one sorted stream without repeats: in Python (``heapq.merge``) or by
GNU sort in C where coreutils is installed.

Every sorted file of the build goes through here: the chunks a ``SpilledTriples`` spills and the parts,
groups and made files it includes are merged into ``graph.nt`` (``sorted_union``: GNU ``sort --merge
--unique`` read through a widened pipe, ``merged`` otherwise); ``early_merge`` merges batches of them while
the build goes on (``merge_command``); validation's scratch files are sorted (``sort_files``,
``external_sort``). Lines are compared as bytes (``sort_env``: the C locale), so both merges give the same
order: no N-Triples line is a prefix of another.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> a = sorted_chunk([b"<x:b> <x:p> <x:o> .", b"<x:a> <x:p> <x:o> ."], folder / "a.nt")
>>> b = sorted_chunk([b"<x:a> <x:p> <x:o> .", b"<x:c> <x:p> <x:o> ."], folder / "b.nt")
>>> b"".join(sorted_union([a, b], folder / "merge")).decode().split("\n")[:3]
['<x:a> <x:p> <x:o> .', '<x:b> <x:p> <x:o> .', '<x:c> <x:p> <x:o> .']
"""

from __future__ import annotations

import ctypes
import ctypes.util
import heapq
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

try:
    import fcntl
    import resource
except ImportError:  # not on Windows: no file limit is read there, no pipe widened
    fcntl = resource = None  # type: ignore[assignment]

#: the read buffer of each file a k-way merge holds open. The merge into graph.nt holds every source's
#: cached part open at once, and a 1 MB buffer fills with 1 MB of the file: ×1000 (5,000 parts) took
#: 2.7 GB of the build's parent for buffers during the merge; with 64 kB, 2,000 of its parts take 140 MB
#: instead of 608 MB, for the same merge time.
MERGE_BUFFER = 1 << 16
#: files GNU sort merges at once (``sorted_union``); a merge of more goes through its temporary files, a
#: batch at a time. Its cost per line grows with the number of files merged at once, so a wide merge is
#: slower than two narrow passes: the part files of the corpus ×1000 (5,257 files, 9.8 GB; merge alone, page
#: cache dropped) took 341.7 s in one pass of 6,000 (its first line out after 329 s), 49.7 s in batches of
#: 2,048 (first line 40.8 s, 0.4 GB), 30.2 at 1,024, 24.2 at 512, 23.5 at 256, 21.9 at 128 (first line 12.5 s,
#: 36 MB) and 33.8 at 64; ×100 (757 files): 2.6 s at 600, 2.1 at 128. The store's load reads graph.nt as the
#: merge writes it, so the first line's wait is the load's too
SORT_BATCH = 128
#: the widest merge into graph.nt once its parts were merged early (``graph/early_merge.py``): their batches'
#: files (×1000: 40) and the global pass's groups (about 260) in one pass, with no temporary file: at
#: ``SORT_BATCH`` sort first merged the smallest 128 through one, before its first line
FINAL_BATCH = 512


def sorted_chunk(lines: Iterable[bytes], path: Path) -> Path:
    """Write ``lines`` (no newlines) sorted and without repeats, one a line, to ``path``."""
    ordered = sorted(set(lines))
    with open(path, "wb") as out:
        out.writelines(line + b"\n" for line in ordered if line)
    return path


def merged(paths: Iterable[str | Path], extra: Iterable[Callable[[], Iterator[bytes]]] = ()) -> Iterator[bytes]:
    """The lines of sorted files (and of the sorted line streams ``extra`` makes), merged k-way into
    one sorted stream without repeats (newlines kept)."""
    with ExitStack() as files:
        streams: list[Iterator[bytes]] = [files.enter_context(open(p, "rb", buffering=MERGE_BUFFER)) for p in paths]
        for make in extra:
            stream = make()
            if hasattr(stream, "close"):
                files.callback(stream.close)
            streams.append(stream)
        previous = None
        for line in heapq.merge(*streams):
            if line != previous:
                yield line
                previous = line


@dataclass(frozen=True)
class FileLines:
    """The lines of a sorted N-Triples file as a stream to merge (``SpilledTriples.include``): called, it reads
    them (``file_lines``); knowing its ``path``, the merge into graph.nt hands the file itself to
    ``sorted_union``. A cached part (``graph/parts.py``), a group of lines (``graph/memo.py``), the reuse
    child's files and what a forked pass made (``SpilledTriples.add_made``) are included so."""

    path: Path

    def __call__(self) -> Iterator[bytes]:
        return file_lines(self.path)


def file_lines(path: Path) -> Iterator[bytes]:
    """The lines of a sorted N-Triples file (newlines kept), through a small buffer: the merge into
    graph.nt holds every part open at once (``MERGE_BUFFER``)."""
    with open(path, "rb", buffering=MERGE_BUFFER) as lines:
        yield from lines


def sorted_union(paths: Sequence[Path], folder: Path, widest: int | None = None) -> Iterator[bytes]:
    """The lines of the sorted N-Triples files ``paths`` merged into one sorted stream without repeats, as
    blocks of whole lines (newlines kept): what ``merged`` gives, but merged by GNU sort in C
    (``sort --merge --unique``, C locale: the lines compared as bytes) where it is installed, which takes
    about a third of the CPU of ``heapq.merge`` (×100: 3.1 M lines of 501 parts, 0.9 against 3.1 s).
    ``widest``: the most files sort merges at once (``sort_batch``; default ``SORT_BATCH``).
    Both orders agree because no N-Triples line is a prefix of another (sort compares lines without
    their newline, Python with it). ``folder``: its list of files and its temporary files."""
    sort = gnu_sort()
    if sort is None or not paths:
        lines = merged(paths)
        while block := b"".join(islice(lines, 4096)):
            yield block
        return
    folder.mkdir(parents=True, exist_ok=True)
    listing = folder / "merge.files"
    errors = folder / "merge.errors"
    command = merge_command(sort, paths, listing, sort_batch(len(paths), widest))
    with open(errors, "wb") as stderr, subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, env=sort_env(),
            preexec_fn=dies_with_us(os.getpid())) as child:
        assert child.stdout is not None
        widen_pipe(child.stdout.fileno())
        try:
            while block := child.stdout.read(1 << 20):
                yield block + child.stdout.readline()
        finally:
            child.stdout.close()
    if child.returncode != 0:
        raise RuntimeError(f"merging {len(paths)} sorted files into graph.nt: sort exited with {child.returncode}: "
                           + errors.read_text(errors="replace").strip()[-2000:])
    listing.unlink(missing_ok=True)
    errors.unlink(missing_ok=True)


def sort_env() -> dict[str, str]:
    """The environment of GNU sort (and comm): this process's, in the C locale, so lines are compared as bytes,
    as Python compares them."""
    return {**os.environ, "LC_ALL": "C"}


def merge_command(sort: str, paths: Sequence[Path], listing: Path, batch: int) -> list[str]:
    """GNU sort's command merging the sorted files ``paths`` without repeats, ``batch`` at a time, to its standard
    output; their names written to ``listing`` (no limit on the command's length), its temporary files beside it.
    ``sorted_union`` reads its output through a pipe, ``early_merge`` gives it an ``--output`` file."""
    listing.write_bytes(b"".join(os.fsencode(p) + b"\0" for p in paths))
    return [sort, "--merge", "--unique", f"--batch-size={batch}", f"--temporary-directory={listing.parent}",
            f"--files0-from={listing}"]


#: the bytes the pipe from GNU sort to this process holds (``widen_pipe``): a block this process reads
#: (1 MiB), which is what Linux lets any process ask (``/proc/sys/fs/pipe-max-size``)
PIPE_BYTES = 1 << 20


def widen_pipe(fd: int) -> None:
    """The pipe ``fd`` made to hold ``PIPE_BYTES`` (``F_SETPIPE_SZ``), where the system allows it.

    Linux's pipe holds 64 KiB. This process reads sort's lines 1 MiB at a time and then works on them
    (the delta against the previous graph.nt, the file's writing): with 64 KiB in the pipe, sort waited on
    this process's work and this process on sort's, one core in use between them. ×1000, one source
    changed: the merge took 48 s at 0.9 cores (sort 24.4 CPU s). A sort's merge of 2 GB of graph.nt read
    by a loop that splits and writes it: 5.4-6.8 s with 64 KiB, 4.0-4.2 s with 1 MiB."""
    if fcntl is None or not hasattr(fcntl, "F_SETPIPE_SZ"):
        return
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:  # a lower pipe-max-size: the pipe stays as it is
        pass


def sort_batch(files: int, widest: int | None = None) -> int:
    """How many of ``files`` files GNU sort merges at once: ``widest`` (default ``SORT_BATCH``), fewer if there
    are fewer, and never more than this process may open (its soft ``RLIMIT_NOFILE``, which sort inherits, less
    the three it keeps for itself): sort refuses a larger ``--batch-size`` outright (``maximum --batch-size
    argument with current rlimit is 1021`` under the usual 1,024), where a smaller one only merges through its
    temporary files.

    >>> sort_batch(5) <= 5, sort_batch(100_000) <= SORT_BATCH
    (True, True)
    """
    most = SORT_BATCH if widest is None else widest
    if resource is not None:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY:
            most = min(most, soft - 3)
    return max(2, min(files, most))


def dies_with_us(parent: int) -> Callable[[], None] | None:
    """What the sort child runs before it starts: ask the kernel to kill it when the build dies, as every child
    of a build does (``tipkg.parallel.die_with_parent``; Linux ``PR_SET_PDEATHSIG``). The C library is loaded
    here, in the parent: the child only calls into it."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl

    def before_exec() -> None:
        prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the build died before the request was made
            os._exit(1)
    return before_exec


_SORT: list[str | None] = []


def sort_files(sort: str, files: list[Path], out: Path, unique: bool = False) -> Path:
    """``files`` sorted together into ``out`` by GNU sort ``sort`` (``gnu_sort``), bytewise (``sort_env``), in
    16 MB of memory, its temporary files beside ``out``; ``unique`` drops repeated lines. The scratch files of
    validation's pass are sorted so (``shapes/edges.py``, ``shapes/shared.py``)."""
    subprocess.run([sort, *(["-u"] if unique else []), "-S", "16M", "-T", str(out.parent), "-o", str(out),
                    *map(str, files)], env=sort_env(), check=True)
    return out


def gnu_sort() -> str | None:
    """The path of GNU sort (coreutils), or None: then the merge is ``heapq.merge`` (``$TIPKG_MERGE=python``
    chooses that too)."""
    if os.environ.get("TIPKG_MERGE") == "python":
        return None
    if not _SORT:
        found = shutil.which("sort")
        try:
            version = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout \
                if found else ""
        except (OSError, subprocess.CalledProcessError):
            version = ""
        _SORT.append(found if "GNU coreutils" in version else None)
    return _SORT[0]


def external_sort(lines: Iterable[bytes], folder: Path, limit: int = 800_000) -> Iterator[bytes]:
    """``lines`` (no newlines) sorted without repeats, through chunk files in ``folder`` (newlines kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    chunks: list[Path] = []
    batch: list[bytes] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= limit:
            chunks.append(sorted_chunk(batch, folder / f"sort-{len(chunks):05d}"))
            batch = []
    chunks.append(sorted_chunk(batch, folder / f"sort-{len(chunks):05d}"))
    try:
        yield from merged(chunks)
    finally:
        for chunk in chunks:
            chunk.unlink(missing_ok=True)
