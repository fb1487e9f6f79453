"""graph.nt's merge begun early: the files already in the graph merged in batches while the build goes on.

``graph.nt`` is GNU sort's merge of every sorted file the build made: each source's part (×1000: 5,000 of
them, 9.8 GB) and a few hundred of the global pass. Sort merges more than ``merge.SORT_BATCH`` files
through temporary files, a batch at a time, before it writes its first line, and the store's load, which
reads ``graph.nt`` as it is written (``store.follow_store``), waited for that first pass: at ×1000 12 s
with one core idle, and the core before that idle too (the gists' child ending alone).

The parts are whole long before ``graph.nt`` can be (it waits for the text reuse and the gists), so once
the graph stage has included them, ``EarlyMerge`` merges their batches in a thread of the build's
process, one niced sort at a time: on the core the rest of the build leaves idle. At ``finish``
(``SpilledTriples.finish``) each batch's file stands for its files, and the merge takes up to
``merge.FINAL_BATCH`` files at once: the batches' files (×1000: 40) and the global pass's groups (about
260) in one pass, its first line out at once (beyond that, sort's own batches take the small files, put
first, and its last pass reads each large file once). A sorted union of sorted unions is the sorted union
of them all: ``graph.nt`` is the same bytes. ×1000, cold (one run each, under ``benchmarks/timeline.py``):
from the end of extraction to the store's first line 115 s before, 90 s with the early merge (its
extraction 11 % faster: about 13 s of the chain), 75.8 against 59.5 idle core-seconds.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> files = []
>>> for i in range(5):
...     files.append(folder / f"{i}.nt")
...     _ = files[-1].write_text(f"<http://x/{i % 3}> <http://x/p> <http://x/o> .\\n")
>>> early = EarlyMerge(files, folder / "early", batch=2)
>>> standing = early.standing_for()
>>> sorted({path.name for path in standing.values()}) if standing else "no GNU sort here"
['early-00000.nt', 'early-00001.nt']
>>> files[4] in standing  # the last, alone in its batch, is merged as it is
False
>>> early.close()
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

from .merge import dies_with_us, gnu_sort, merge_command, sort_batch, sort_env

#: how much lower the early merge's sort runs than the build (os.nice): it takes the cores the build leaves
#: idle, and slows no stage that another waits for
NICENESS = 19


class EarlyMerge:
    """Files merged in batches into ``folder`` by a thread of this process, one niced GNU sort after another.
    Nothing is merged where there is no GNU sort, or no more files than sort merges in one pass."""

    def __init__(self, paths: Sequence[Path], folder: Path, batch: int | None = None):
        sort = gnu_sort()
        size = batch or sort_batch(len(paths))
        self.batches: list[list[Path]] = []
        self.files: list[Path] = []
        self.error: str | None = None
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        if sort is None or len(paths) <= size:
            return
        folder.mkdir(parents=True, exist_ok=True)
        # a last batch of one file is no batch: that file is merged as it is
        self.batches = [group for i in range(0, len(paths), size) if len(group := list(paths[i:i + size])) > 1]
        self.files = [folder / f"early-{i:05d}.nt" for i in range(len(self.batches))]
        self._thread = threading.Thread(target=self._merge, args=(sort,), name="early merge", daemon=True)
        self._thread.start()

    def _merge(self, sort: str) -> None:
        die = dies_with_us(os.getpid())

        def before_exec() -> None:
            os.nice(NICENESS)
            if die is not None:
                die()

        for batch, out in zip(self.batches, self.files):
            if self._stopped.is_set():
                return
            listing = out.with_suffix(".files")
            command = [*merge_command(sort, batch, listing, len(batch)), f"--output={out}"]
            done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=sort_env(),
                                  preexec_fn=before_exec)
            listing.unlink(missing_ok=True)
            if done.returncode != 0:
                self.error = (f"merging {len(batch)} parts into {out.name}: sort exited with {done.returncode}: "
                              + done.stderr.decode(errors="replace").strip()[-500:])
                return

    def standing_for(self) -> dict[Path, Path] | None:
        """Once every batch is merged: each merged file's batch file (what stands for it in graph.nt's merge).
        None if nothing was merged early, or a batch failed: then the files are merged as they are."""
        if self._thread is None:
            return None
        self._thread.join()
        if self.error is not None:
            return None
        return {path: out for batch, out in zip(self.batches, self.files) for path in batch}

    def close(self) -> None:
        """Stop after the batch being merged, and remove the batches' files."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
        for out in self.files:
            out.unlink(missing_ok=True)
