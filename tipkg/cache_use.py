"""Which cache entries builds still use, and the removal of the others once a build has succeeded.

A cache only grows on its own: a source edited leaves the entries of its old text (its unit, views,
graph part, text-reuse summary: about 340 KB for a resolution of the bundled corpus), and a new
version of tipkg changes every key, so the whole cache of the old one (×1000: 11.8 GB) stays beside
the new. A data team rebuilding each night as documents arrive would fill its disk in time.

So every build marks what it uses, and removes what no build uses any longer:

- **Marked by use.** An entry's modification time is the last time a build used it: a write sets
  it, a verified read sets it again (``cache_entries.used``: ``unsealed``, ``file_digest``), and a
  build also marks the entries of every unit of its corpus that it does not read (a unit that did
  not change is not unpickled whole; its text-reuse summary is read only by a new index): ``keep``.
- **Whose use counts.** Each output folder's stamp (``cache_keys.BuildStamp``, ``builds/``) holds
  the time its last build started, by the clock of the cache's file system (the lock file's
  modification time, set as the build starts: the same clock that dates the entries). An entry
  used since the oldest of those starts, over every output folder that still holds a ``graph.nt``,
  is kept: two output folders sharing a cache (``out`` and ``out-test`` beside it share the default
  one) keep each other's entries. Stamps of a tipkg that did not mark its use, and of output folders
  since removed, do not count (the latter are removed).
- **Never under a running build.** A build holds a shared ``flock`` on ``<cache>/lock`` from its
  start to its end; removal takes it exclusive without waiting, and is skipped if another build holds
  it (the next build removes what was left). A build that starts during a removal waits for it.
- **Never the shared files.** The builds' stamps, the lock files and the text-reuse index (which
  removes the rows of sources gone from the corpus itself) are not entries; the temporary files of
  killed builds are ``UnitCache.sweep``'s.

Removal runs only after a build succeeded: one that wrote OUT, or one whose outputs were current (nothing
changed; its stamp still holds the start of the build that wrote them, which marked what it used).
``tipkg build --no-prune`` keeps everything.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tipkg.cache_entries import used
from tipkg.cache_keys import STAMPS
from tipkg.faults import size_text
from tipkg.network.reuse_index import FOLDER as REUSE, INDEX, LOCK as REUSE_LOCK, SEAL

#: the lock every build holds shared while it runs, and a removal exclusive (its mtime: the build's start)
LOCK = "lock"
#: what a removal never touches: the stamps' folder, lock files, the text-reuse index (with SQLite's journal
#: beside it, which a killed update leaves for the next to roll back) and its seal: paths relative to the
#: cache, '/'-separated, each the start of the paths it covers
NOT_ENTRIES = (f"{STAMPS}/", LOCK, f"{REUSE}/{REUSE_LOCK}", f"{REUSE}/{INDEX}", f"{REUSE}/{SEAL}")
_SHARD = re.compile("[0-9a-f]{2}")


@dataclass(frozen=True)
class Pruned:
    """What a removal did: entries removed and their bytes, what is left; or why it did not run."""

    removed: int = 0
    removed_bytes: int = 0
    kept: int = 0
    kept_bytes: int = 0
    skipped: str = ""  # why nothing was removed (another build on the cache)

    def text(self) -> str:
        """The summary's line: ``cache: 10 entries no build uses removed (340 kB); 89 kept (9.6 MB)``."""
        if self.skipped:
            return f"cache: nothing removed: {self.skipped}"
        return (f"cache: {self.removed:,} entries no build uses removed ({size_text(self.removed_bytes)}); "
                f"{self.kept:,} kept ({size_text(self.kept_bytes)})")


class CacheUse:
    """A build's use of a cache, from its start to its end (``with CacheUse(cache) as use``).

    >>> import tempfile
    >>> with CacheUse(tempfile.mkdtemp()) as use:
    ...     use.started > 0
    True
    """

    def __init__(self, cache: str | Path):
        self.cache = Path(cache)
        self.fd = -1
        self.started = 0  # ns, by the file system's clock

    def __enter__(self) -> CacheUse:
        self.cache.mkdir(parents=True, exist_ok=True)
        lock = self.cache / LOCK
        self.fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_SH)  # waits while a removal runs
        os.utime(self.fd)
        self.started = os.fstat(self.fd).st_mtime_ns
        return self

    def __exit__(self, *exc) -> None:
        os.close(self.fd)  # releases the lock

    def keep(self, folder: str | Path, keys: Iterable[str]) -> None:
        """Mark as used every entry of ``folder`` named by one of ``keys`` (``<key[:2]>/<key>`` and
        ``<key[:2]>/<key>.<anything>``): a unit and what is cached beside it, a text-reuse summary."""
        wanted: dict[str, set[str]] = {}
        for key in keys:
            wanted.setdefault(key[:2], set()).add(key)
        for shard, names in wanted.items():
            try:
                entries = list(os.scandir(Path(folder) / shard))
            except OSError:
                continue
            for entry in entries:
                if entry.name.partition(".")[0] in names and not entry.name.endswith(".tmp"):
                    used(entry.path)

    def prune(self) -> Pruned:
        """Remove the entries no output folder's last build used (see the module's docstring). The caller's
        build has recorded its stamp (with this ``started``) first; or its outputs were current, and the
        build that wrote them, whose start its stamp holds, marked what it used."""
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return Pruned(skipped="another build is using the cache (the next build removes what is left)")
        try:
            return _remove_older(self.cache, self._since(tidy=True))
        except OSError as exc:  # the build is done and OUT written: a file that could not go stays, said
            return Pruned(skipped=f"{exc.filename or self.cache}: {exc.strerror or exc}")
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_SH)

    def unused(self) -> Pruned:
        """What ``prune`` would remove now (nothing is removed): ``tipkg cache``'s count."""
        return _remove_older(self.cache, self._since(), remove=False)

    def _since(self, tidy: bool = False) -> int:
        """The oldest start that counts: this build's and those of every output folder's last build."""
        return min([self.started, *(s.started for s in stamps(self.cache, tidy) if s.counts)])


@dataclass(frozen=True)
class Stamp:
    """An output folder's stamp as removal reads it: the folder, when its last build started (ns, the cache's
    clock; 0: a stamp of a tipkg that did not mark its use), its triples, and whether it counts (its folder
    still holds a graph.nt, and its start is known)."""

    out: str
    started: int
    triples: int
    held: bool  # the folder still holds a graph.nt

    @property
    def counts(self) -> bool:
        return self.held and self.started > 0


def stamps(cache: Path, tidy: bool = False) -> list[Stamp]:
    """The stamps of the output folders whose builds used ``cache`` (``builds/``); ``tidy``: those of folders
    since removed are deleted (under the exclusive lock: no build is reading them)."""
    found = []
    for path in sorted((cache / STAMPS).glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(record, dict):
            continue
        started = record["started"] if isinstance(record.get("started"), int) else 0
        out = str(record.get("out", ""))
        held = not out or (Path(out) / "graph.nt").exists()  # (no folder named: an older tipkg's, kept as it is)
        if tidy and not held and started:
            path.unlink(missing_ok=True)
            continue
        found.append(Stamp(out, started, int(record.get("triples", 0) or 0), held))
    return found


def _remove_older(cache: Path, since: int, remove: bool = True) -> Pruned:
    removed = removed_bytes = kept = kept_bytes = 0
    for folder, _, files in os.walk(cache, topdown=False):
        relative = os.path.relpath(folder, cache).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        if prefix.startswith(NOT_ENTRIES):
            continue
        for name in files:
            if (prefix + name).startswith(NOT_ENTRIES) or name.endswith(".tmp"):
                continue
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
                if stat.st_mtime_ns < since:
                    if remove:
                        os.unlink(path)
                    removed, removed_bytes = removed + 1, removed_bytes + stat.st_size
                else:
                    kept, kept_bytes = kept + 1, kept_bytes + stat.st_size
            except FileNotFoundError:
                continue
        if remove and _SHARD.fullmatch(os.path.basename(folder)) and prefix and not os.listdir(folder):
            os.rmdir(folder)  # an emptied shard (``<key[:2]>``); the kinds' folders stay
    return Pruned(removed, removed_bytes, kept, kept_bytes)

