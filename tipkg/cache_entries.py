"""Cache entries on disk: written atomically, sealed with their SHA-256, verified on read.

A cache entry is one file, written to a unique temporary name and moved into place
(``os.replace``) while an exclusive ``flock`` holds it (``write_atomically``), so two builds
sharing a cache never see each other's half-written files, and a build killed at any moment
leaves only whole entries (and at most a temporary file, which the next build sweeps away:
``units.UnitCache.sweep``). A value is stored ``sealed`` — a magic line, the SHA-256 of its
payload, the zlib'd pickle — and ``unsealed`` gives it back only when it is whole, loads and is
of the kind asked for: a corrupt or truncated entry is recomputed, never trusted. Each verified read
of an entry marks it as used (its modification time: ``used``), so that what no build uses can go
(``tipkg.cache_use``). A lines file
kept beside a sealed record is checked against the SHA-256 the record holds (``file_digest``).

Every cache of a build writes through here: the units and their views (``tipkg.units``,
``tipkg.views``), the graph parts (``tipkg.part_cache``), the builds' stamps
(``tipkg.cache_keys``), the memo (``graph.memo``), the text-reuse summaries
(``network.reuse_index``), the checks' reads (``shapes.check_reads``).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import tempfile
import zlib
from collections.abc import Iterable
from pathlib import Path


def write_atomically(target: Path, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (bytes, or blocks of them as they come: ``graph.memo.LineStore.put``) to ``target``
    through a locked temporary file moved into place: a reader sees the old file or the new one, whole;
    a kill leaves at most an unlocked ``.tmp`` (see ``units.UnitCache.sweep``)."""
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
        except BaseException as exc:
            Path(temporary).unlink(missing_ok=True)
            if isinstance(exc, OSError) and exc.filename is None:  # a write refused (a disk full): say where
                exc.filename = str(target)
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
    if not isinstance(value, kind):
        return None
    used(path)
    return value


def used(path: str | Path) -> None:
    """Mark an entry as used now (its modification time): a build that removes what no build uses keeps
    it (``tipkg.cache_use``). A write does; a verified read of a sealed value marks it here (``unsealed``),
    of a lines file checked against its record where it is checked (``PartCache.get``, ``LineStore.get``):
    not in ``file_digest``, which also hashes files that are not the cache's (an OUT's)."""
    try:
        os.utime(path)
    except OSError:  # gone meanwhile, or a read-only cache: nothing to keep
        pass


def file_digest(path: Path) -> str:
    """The SHA-256 of a file (hex), read in 1 MiB blocks, never whole: what a cached part's lines
    files (``PartCache``) and the memo's lines files (``graph.memo``) are checked against before
    either is reused, so a file cut short or altered is made again, not read."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
