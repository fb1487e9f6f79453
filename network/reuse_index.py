"""Text reuse kept on disk: a MinHash/LSH index that each build brings up to date with what changed.

``find_reuse`` (``network.reuse``) compares every passage of the corpus at
every build. With a cache folder, a build instead keeps the work of the
previous one in a SQLite index (``<cache>/reuse/index.sqlite``) and redoes
only what its changes can affect; the echoes and attestations are the same,
to the byte, as ``find_reuse``'s on the same corpus (``tests/test_reuse_index.py``
compares them after sources are removed, added back and edited).

What is where, and why it stays exact:

- **Per-source summaries.** A passage's shingle set (word-internal 4-grams,
  the slow part: normalization and regular expressions) is computed in the
  extraction worker beside the source's unit and kept as its own verified
  cache entry (``SummaryCache``: magic + SHA-256, ``cache_entries.write_atomically``), keyed
  by the unit's key and the version of this package's code. A build reads the
  summaries of the sources new to the index only, one at a time.
- **The index** holds, per source (by unit key), its passages with their raw
  shingle sets (numbered through a shared vocabulary); per shingle the number of
  *first* passages holding it (the document frequency ``find_reuse`` counts,
  over one passage per paragraph identifier: the first source in manifest
  order) and whether it is boilerplate; the **classes** of identical filtered
  sets with their LSH bands; and the verified **pairs** of classes whose exact
  Jaccard reaches the threshold.
- **What a change can affect.** Removing or adding a source changes which
  passage is first for its identifiers (recomputed in SQL from the manifest
  order), hence the document frequencies and the number of identifiers, hence
  the boilerplate limit. Boilerplate is global, so the index does not assume it
  stays put: the shingles whose verdict flipped are found from the stored
  frequencies, and every first passage holding one is classified again (its
  filtered set changed). Everything else keeps its class. A class's pairs
  depend only on its own set and the other's (exact Jaccard, MinHash bands of
  the same seeded functions), so pairs between two classes that both survive
  are reused as verified; a class that appears is banded and its candidates are
  looked up in the band table (an SQL join) and verified; a class left without
  passages is deleted with its bands and pairs.
- **The echoes** are then drawn from the stored pairs by the same code as
  ``find_reuse`` (``reuse.wording_echoes``: best ``MAX_ECHOES`` per later paragraph,
  identical texts as one class), one class at a time: its passages and those of
  the classes paired with it are read when its turn comes (compact rows:
  identifiers, dates; not shingle sets), and its echoes handed on as they are
  made (``streamed_reuse``), so the reuse child holds no table of every passage.
  The **attestations** come from the raw sets of the paragraphs printed by two
  sources (``reuse.attested``), read one paragraph at a time. Both are redone
  whole at every build (their cost grows with the passages, as their output
  does); what is incremental is the shingling, the frequencies, the banding and
  the verification of pairs.
- **Never trusted blindly.** After every update the file's SHA-256 and the code
  version are written to a seal (``index.seal``, atomically); a build whose index
  does not match its seal (killed mid-update, damaged, written by other code)
  deletes it and rebuilds it from the summaries. Builds sharing a cache take an
  exclusive ``flock`` on ``reuse/lock`` for the whole update, so a second build
  waits for the first and then applies its own changes.

Without a cache (``tipkg build --no-cache``) ``reuse_stage`` is ``find_reuse``
in memory, as before.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import sqlite3
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tipkg.model import StructuredSource
from tipkg.network import lazily
from tipkg.network.reuse import (BANDS, BOILERPLATE_SHARE, MIN_SHINGLES, ROWS, THRESHOLD, Attestation, Echo,
                                 Passage, attested, echo_order, find_reuse, minhash_signatures, passages,
                                 shared_buckets, shingle_hash, shingles, wording_echoes)

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazily("numpy")  # imported when first used, not by the extraction workers (tipkg.network)

T = TypeVar("T")
#: what is done with the echoes (an iterator) and the attestations while the index is open (``streamed_reuse``)
Take = Callable[[Iterator[Echo], list[Attestation]], T]

MAGIC = b"TIPKG-REUSE-SUMMARY 1\n"
FOLDER = "reuse"
#: its files beside the summaries: the index, its seal, the lock a build holds while it updates them
INDEX, SEAL, LOCK = "index.sqlite", "index.seal", "lock"
SCHEMA = """
CREATE TABLE meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE vocab(sid INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE, hash INTEGER NOT NULL,
                   df INTEGER NOT NULL DEFAULT 0, boiler INTEGER NOT NULL DEFAULT 0);
CREATE TABLE sources(src INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE TABLE passages(pid INTEGER PRIMARY KEY, src INTEGER NOT NULL, seq INTEGER NOT NULL,
                      identifier TEXT NOT NULL, document TEXT NOT NULL, source_file TEXT NOT NULL,
                      ord TEXT NOT NULL, raw BLOB NOT NULL, first INTEGER NOT NULL DEFAULT 0, cid INTEGER);
CREATE INDEX passages_src ON passages(src);
CREATE INDEX passages_identifier ON passages(identifier);
CREATE INDEX passages_cid ON passages(cid);
CREATE TABLE classes(cid INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE, members INTEGER NOT NULL,
                     shingles BLOB NOT NULL);
CREATE TABLE bands(band INTEGER NOT NULL, bucket INTEGER NOT NULL, cid INTEGER NOT NULL);
CREATE INDEX bands_bucket ON bands(band, bucket);
CREATE INDEX bands_cid ON bands(cid);
CREATE TABLE pairs(x INTEGER NOT NULL, y INTEGER NOT NULL, inter INTEGER NOT NULL, uni INTEGER NOT NULL,
                   PRIMARY KEY (x, y)) WITHOUT ROWID;
CREATE INDEX pairs_y ON pairs(y);
"""


def version() -> str:
    """The code the summaries and the index depend on: every module of ``tipkg.network`` (when in
    doubt, all), beside what the unit keys already cover (normalization, loaders)."""
    from tipkg.cache_keys import code_version

    return code_version(("tipkg.network",))


# --- per-source summaries ------------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    """One source's passages as the index needs them: identifier, document, date order, and the raw
    shingle set as sorted numbers into the source's own word list ``shingles`` (each shingle text is
    stored and looked up once per source, not once per passage)."""

    source_file: str
    shingles: tuple[str, ...]
    passages: tuple[tuple[str, str, tuple, bytes], ...]

    def sets(self) -> list[set[str]]:
        """Each passage's shingle texts (what ``reuse.shingles`` gives for its text)."""
        return [{self.shingles[i] for i in _array(local).tolist()} for *_, local in self.passages]


def summarize(item: StructuredSource) -> Summary:
    """The summary of one structured source (the shingling ``find_reuse`` would do for it)."""
    found = passages([item])
    sets = [shingles(p.text) for p in found]
    words = tuple(sorted(set().union(*sets)))
    number = {w: i for i, w in enumerate(words)}
    return Summary(item.source.file, words, tuple(
        (p.identifier, p.document, p.order, _sorted_numbers(map(number.__getitem__, grams)))
        for p, grams in zip(found, sets)))


def _sorted_numbers(numbers) -> bytes:
    """The numbers, sorted, as the bytes of a uint32 array (``_array`` reads them back; "I" is 4 bytes
    wherever CPython runs, in the machine's order as numpy's uint32). Without numpy,
    which the extraction workers that summarise do not import (``tipkg.network``): 2.7 ms more than
    numpy's sort for the compendium's 474 passages, against ~70 ms of import."""
    return array("I", sorted(numbers)).tobytes()


class SummaryCache:
    """Verified summary files beside the units: ``<cache>/reuse/summaries/<key[:2]>/<key>``."""

    def __init__(self, cache: str | Path):
        self.folder = Path(cache) / FOLDER / "summaries"

    def path(self, unit_key: str) -> Path:
        key = hashlib.sha256(f"{unit_key}\0{version()}".encode()).hexdigest()
        return self.folder / key[:2] / key

    def get(self, unit_key: str) -> Summary | None:
        """The summary stored for the unit ``unit_key``, or None if absent or not whole."""
        from tipkg.cache_entries import unsealed  # verified: magic, SHA-256, loadable, a Summary

        return unsealed(self.path(unit_key), MAGIC, Summary)

    def put(self, unit_key: str, summary: Summary) -> None:
        """Store ``summary`` atomically (``tipkg.cache_entries.write_atomically``)."""
        from tipkg.cache_entries import sealed, write_atomically  # locked temporary file, swept if a kill leaves it

        write_atomically(self.path(unit_key), sealed(summary, MAGIC))


def store_summary(cache: str | Path, unit_key: str, item: StructuredSource) -> None:
    """Called by the extraction worker (``tipkg.units``) beside the unit it just stored."""
    SummaryCache(cache).put(unit_key, summarize(item))


# --- the stage -----------------------------------------------------------------------------------

@dataclass
class Stats:
    """What an update of the index did (for tests and the benchmark)."""

    rebuilt: bool = False          # an index that did not match its seal was thrown away
    added: int = 0                 # sources new to the index
    removed: int = 0               # sources no longer in the corpus
    summarized: int = 0            # summaries computed here (no cache entry)
    first_changed: int = 0         # passages that became / stopped being their paragraph's first
    flipped: int = 0               # shingles whose boilerplate verdict changed
    classified: int = 0            # first passages whose filtered set was (re)computed
    fresh: int = 0                 # classes created
    dead: int = 0                  # classes deleted
    checked: int = 0               # candidate pairs verified (exact Jaccard)
    pairs: int = 0                 # verified pairs in the index after the update
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Reuse:
    echoes: list[Echo]
    attestations: list[Attestation]
    stats: Stats


class IndexCorrupt(Exception):
    """The index contradicts itself: it is rebuilt, never trusted."""


def reuse_stage(structured: Sequence[StructuredSource], keys: Sequence[str] | None, cache: str | Path | None,
                progress: Callable[[str], None] | None = None) -> tuple[list[Echo], list[Attestation]]:
    """The build's text-reuse stage: through the on-disk index when there is a cache, else in memory;
    the echoes sorted (``reuse.echo_order``)."""
    return streamed_reuse(structured, keys, cache, progress, listed)


def streamed_reuse(structured: Sequence[StructuredSource], keys: Sequence[str] | None, cache: str | Path | None,
                   progress: Callable[[str], None] | None, take: Take[T]) -> T:
    """``take(echoes, attestations)`` of the corpus's text reuse: the echoes as an iterator, one class of
    identical wordings after another (``reuse.class_echoes``), for ``take`` to write out as they come
    (``network/reuse_spill.py``) rather than hold. ``take`` may be called a second time, from the start,
    if the index proves damaged while it is read (the index is then rebuilt)."""
    if cache is None or keys is None or len(set(keys)) != len(keys):
        echoes, attested = find_reuse(structured)
        return take(iter(echoes), attested)
    return _indexed(structured, keys, cache, progress, Stats(), take)


def listed(echoes: Iterable[Echo], attested: list[Attestation]) -> tuple[list[Echo], list[Attestation]]:
    """The echoes as one sorted list (``reuse.echo_order``), and the attestations: a ``take`` of ``streamed_reuse``."""
    return sorted(echoes, key=echo_order), attested


def indexed_reuse(structured: Sequence[StructuredSource], keys: Sequence[str], cache: str | Path,
                  progress: Callable[[str], None] | None = None) -> Reuse:
    """Bring ``<cache>/reuse/index.sqlite`` up to the corpus (``keys[i]``: the unit key of
    ``structured[i]``, in manifest order) and read its echoes and attestations."""
    stats = Stats()
    echoes, attested = _indexed(structured, keys, cache, progress, stats, listed)
    return Reuse(echoes, attested, stats)


def _indexed(structured: Sequence[StructuredSource], keys: Sequence[str], cache: str | Path,
             progress: Callable[[str], None] | None, stats: Stats, take: Take[T]) -> T:
    """``indexed_reuse``, its echoes and attestations given to ``take`` while the index is open."""
    say = progress or (lambda message: None)
    folder = Path(cache) / FOLDER
    summaries = SummaryCache(cache)

    def summary_of(i: int) -> Summary:
        found = summaries.get(keys[i])
        if found is None:
            found = summarize(structured[i])
            summaries.put(keys[i], found)
            stats.summarized += 1
        return found

    with _locked(folder, say):
        for attempt in (1, 2):
            index = None
            try:
                index = _Index(folder)
                stats.rebuilt = stats.rebuilt or index.fresh_after_damage
                result = index.update(keys, summary_of, stats, take)
            except (sqlite3.DatabaseError, IndexCorrupt):
                _Index.remove(folder) if index is None else index.discard()
                if attempt == 2:
                    raise
                stats.rebuilt = True
                continue
            index.seal()
            return result
    raise AssertionError("unreachable")


@contextmanager
def _locked(folder: Path, say: Callable[[str], None]):
    """An exclusive lock on the index for the whole update (a second build waits for the first)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"text reuse: waiting for another build to release {folder / INDEX}")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _array(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.uint32)


class _Changes:
    """Changes of the document frequencies, one counter per shingle number (a passage's set holds
    each number once, so adding its array to the counters is exact)."""

    def __init__(self):
        self.counts = np.zeros(1 << 12, dtype=np.int64)

    def add(self, sids: np.ndarray, sign: int) -> None:
        if len(sids) and int(sids[-1]) >= len(self.counts):  # sorted: the last is the largest
            grown = np.zeros(max(2 * len(self.counts), int(sids[-1]) + 1), dtype=np.int64)
            grown[:len(self.counts)] = self.counts
            self.counts = grown
        self.counts[sids] += sign

    def items(self) -> list[tuple[int, int]]:
        """(change, sid) for every shingle whose frequency changed."""
        changed = np.flatnonzero(self.counts)
        return list(zip(self.counts[changed].tolist(), changed.tolist()))


class _Index:
    """The SQLite file, opened only if it matches its seal (else replaced by an empty one)."""

    def __init__(self, folder: Path):
        self.path, self.seal_path = folder / INDEX, folder / SEAL
        self.fresh_after_damage = False
        if self.path.exists() and not self._sealed():
            self.fresh_after_damage = True
            self.discard()
        new = not self.path.exists()
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=MEMORY")  # the seal, not a journal, guards against a kill
        self.db.execute("PRAGMA synchronous=OFF")
        if new:
            self.db.executescript(SCHEMA)
            self.db.execute("INSERT INTO meta VALUES ('version', ?)", (version(),))
        elif self.db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone() != (version(),):
            raise IndexCorrupt("the index was written by other code")

    def _sealed(self) -> bool:
        try:
            return self.seal_path.read_text(encoding="ascii") == f"{version()} {_sha256(self.path)}\n"
        except (OSError, UnicodeDecodeError):
            return False

    def discard(self) -> None:
        self.close()
        self.remove(self.path.parent)

    def close(self) -> None:
        db: sqlite3.Connection | None = getattr(self, "db", None)
        if db is not None:
            db.close()
        self.db = None  # type: ignore[assignment]  # closed: no update may follow

    @staticmethod
    def remove(folder: Path) -> None:
        (folder / SEAL).unlink(missing_ok=True)
        for suffix in ("", "-journal", "-wal", "-shm"):
            (folder / f"{INDEX}{suffix}").unlink(missing_ok=True)

    def seal(self) -> None:
        self.close()
        from tipkg.cache_entries import write_atomically

        write_atomically(self.seal_path, f"{version()} {_sha256(self.path)}\n".encode("ascii"))

    # -- the update -----------------------------------------------------------------------------

    def update(self, keys: Sequence[str], summary_of: Callable[[int], Summary], stats: Stats, take: Take[T]) -> T:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            df = _Changes()                  # sid -> change of its document frequency
            members: Counter = Counter()     # cid -> change of its number of passages
            self._sources(keys, summary_of, df, members, stats)
            classify = self._firsts(keys, df, members, stats)
            boiler, flipped = self._boilerplate(df, stats)
            fresh = self._classify(classify, boiler, flipped, members, stats)
            self._pairs(fresh, members, stats)
            attested = self._attestations()
            result = take(self._echoes(), attested)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return result

    def _sources(self, keys, summary_of, df: _Changes, members: Counter, stats: Stats) -> None:
        """Delete the passages of sources no longer in the corpus; insert those of new sources."""
        db = self.db
        current = set(keys)
        known = dict(db.execute("SELECT key, src FROM sources"))
        for key, src in known.items():
            if key in current:
                continue
            stats.removed += 1
            for raw, first, cid in db.execute("SELECT raw, first, cid FROM passages WHERE src = ?", (src,)):
                if first:
                    df.add(_array(raw), -1)
                if cid is not None:
                    members[cid] -= 1
            db.execute("DELETE FROM passages WHERE src = ?", (src,))
            db.execute("DELETE FROM sources WHERE src = ?", (src,))
        added = [i for i, key in enumerate(keys) if key not in known]
        if not added:
            return
        vocabulary = dict(db.execute("SELECT text, sid FROM vocab"))
        for i in added:
            stats.added += 1
            summary = summary_of(i)
            src = db.execute("INSERT INTO sources(key) VALUES (?)", (keys[i],)).lastrowid
            words, rows = [], []
            sids = np.empty(len(summary.shingles), dtype=np.uint32)  # the source's word list -> the index's
            for local, gram in enumerate(summary.shingles):
                sid = vocabulary.get(gram)
                if sid is None:
                    sid = vocabulary[gram] = len(vocabulary) + 1
                    words.append((sid, gram, shingle_hash(gram)))
                sids[local] = sid
            for seq, (identifier, document, order, local) in enumerate(summary.passages):
                rows.append((src, seq, identifier, document, summary.source_file, json.dumps(order),
                             np.sort(sids[_array(local)]).tobytes()))
            db.executemany("INSERT INTO vocab(sid, text, hash) VALUES (?, ?, ?)", words)
            db.executemany("INSERT INTO passages(src, seq, identifier, document, source_file, ord, raw)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def _firsts(self, keys, df: _Changes, members: Counter, stats: Stats) -> set[int]:
        """Recompute which passage is first for its identifier (manifest order, then reading order);
        the passages that change side move the document frequencies. Returns those to classify."""
        db = self.db
        position = {key: i for i, key in enumerate(keys)}
        db.execute("DROP TABLE IF EXISTS temp.position")
        db.execute("CREATE TEMP TABLE position(src INTEGER PRIMARY KEY, pos INTEGER NOT NULL)")
        db.executemany("INSERT INTO temp.position VALUES (?, ?)",
                       [(src, position[key]) for key, src in db.execute("SELECT key, src FROM sources")])
        rows = db.execute("""
            SELECT c.pid, c.now, p.raw, p.cid FROM (
              SELECT p.pid, p.first,
                     row_number() OVER (PARTITION BY p.identifier ORDER BY o.pos, p.seq) = 1 AS now
              FROM passages p JOIN temp.position o ON o.src = p.src) c
            JOIN passages p ON p.pid = c.pid
            WHERE c.first != c.now""")  # the window sorts small columns; each set is read by its row
        classify, changed = set(), []
        for pid, now, raw, cid in rows:  # streamed: one passage's set at a time
            stats.first_changed += 1
            changed.append((now, pid))
            if now:
                df.add(_array(raw), 1)
                classify.add(pid)
            else:
                df.add(_array(raw), -1)
                if cid is not None:
                    members[cid] -= 1
        db.executemany("UPDATE passages SET first = ?, cid = NULL WHERE pid = ?", changed)
        return classify

    def _boilerplate(self, df: _Changes, stats: Stats) -> tuple[np.ndarray, np.ndarray]:
        """Apply the frequency changes; the boilerplate shingles now, and those whose verdict flipped
        (two masks over the shingle numbers)."""
        db = self.db
        db.executemany("UPDATE vocab SET df = df + ? WHERE sid = ?", df.items())
        count = db.execute("SELECT count(*) FROM passages WHERE first = 1").fetchone()[0]
        limit = max(2, BOILERPLATE_SHARE * count)
        flipped = [s for (s,) in db.execute("SELECT sid FROM vocab WHERE boiler != (df > ?)", (limit,))]
        db.executemany("UPDATE vocab SET boiler = 1 - boiler WHERE sid = ?", [(s,) for s in flipped])
        if db.execute("SELECT count(*) FROM vocab WHERE df < 0").fetchone()[0]:
            raise IndexCorrupt("a negative document frequency")
        stats.flipped = len(flipped)
        size = db.execute("SELECT coalesce(max(sid), 0) + 1 FROM vocab").fetchone()[0]
        boiler, changed = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)  # indexed by shingle number
        boiler[[s for (s,) in db.execute("SELECT sid FROM vocab WHERE boiler = 1")]] = True
        changed[flipped] = True
        return boiler, changed

    def _classify(self, classify: set[int], boiler: np.ndarray, flipped: np.ndarray, members: Counter,
                  stats: Stats) -> dict[int, np.ndarray]:
        """The class of every first passage whose filtered set may have changed. Returns the classes
        created (cid -> filtered set)."""
        db = self.db
        if not classify and not flipped.any():
            return {}
        fresh: dict[int, np.ndarray] = {}
        known: dict[bytes, int] = {}
        updates = []
        for pid, raw, old in db.execute("SELECT pid, raw, cid FROM passages WHERE first = 1"):
            raw = _array(raw)
            if pid not in classify and not flipped[raw].any():
                continue
            kept = raw[~boiler[raw]]  # still sorted
            stats.classified += 1
            if old is not None:
                members[old] -= 1
            cid = None
            if len(kept) >= MIN_SHINGLES:
                blob = kept.tobytes()
                digest = hashlib.blake2b(blob, digest_size=16).digest()
                cid = known.get(digest)
                if cid is None:
                    row = db.execute("SELECT cid FROM classes WHERE digest = ?", (digest,)).fetchone()
                    if row is None:
                        new = db.execute("INSERT INTO classes(digest, members, shingles) VALUES (?, 0, ?)",
                                         (digest, blob)).lastrowid
                        assert new is not None
                        cid = fresh_cid = new
                        fresh[fresh_cid] = kept
                    else:
                        cid = row[0]
                    known[digest] = cid
                members[cid] += 1
            updates.append((cid, pid))
        db.executemany("UPDATE passages SET cid = ? WHERE pid = ?", updates)
        return fresh

    def _pairs(self, fresh: dict[int, np.ndarray], members: Counter, stats: Stats) -> None:
        """Drop the classes left without passages; band the new ones and verify their candidates."""
        db = self.db
        db.executemany("UPDATE classes SET members = members + ? WHERE cid = ?",
                       [(d, c) for c, d in members.items() if d])
        dead = [(c,) for (c,) in db.execute("SELECT cid FROM classes WHERE members <= 0")]
        if any(c in fresh for (c,) in dead):
            raise IndexCorrupt("a class created without passages")
        stats.dead = len(dead)
        for table, where in (("bands", "cid = ?"), ("pairs", "x = ?"), ("pairs", "y = ?"), ("classes", "cid = ?")):
            db.executemany(f"DELETE FROM {table} WHERE {where}", dead)
        stats.fresh = len(fresh)
        if fresh:
            hashes = np.zeros(db.execute("SELECT max(sid) FROM vocab").fetchone()[0] + 1, dtype=np.int64)
            for sid, value in db.execute("SELECT sid, hash FROM vocab"):
                hashes[sid] = value
            cids = list(fresh)
            signatures = minhash_signatures([fresh[c].tolist() for c in cids], hashes)
            assert ROWS == 2, "a band's bucket packs its two rows into one integer"
            buckets = signatures[:, 0::ROWS] * (1 << 31) + signatures[:, 1::ROWS]
            db.execute("DROP TABLE IF EXISTS temp.fresh")
            db.execute("CREATE TEMP TABLE fresh(cid INTEGER PRIMARY KEY)")
            db.executemany("INSERT INTO temp.fresh VALUES (?)", [(c,) for c in cids])
            older = db.execute("SELECT EXISTS (SELECT 1 FROM bands)").fetchone()[0]  # classes of earlier updates
            db.executemany("INSERT INTO bands VALUES (?, ?, ?)",
                           [(band, int(buckets[row, band]), c) for row, c in enumerate(cids) for band in range(BANDS)])
            # two new classes sharing a bucket are found here, from the buckets in memory (a self-join of
            # the bands table cost ×1's cold build 0.05 CPU s of 0.3); a new class and an older one, by SQL
            candidates = {(cids[i], cids[j]) if cids[i] < cids[j] else (cids[j], cids[i])
                          for i, j in shared_buckets(buckets)}
            if older:
                candidates.update((min(a, b), max(a, b)) for a, b in db.execute("""
                    SELECT DISTINCT f.cid, o.cid FROM temp.fresh n
                    JOIN bands f ON f.cid = n.cid
                    JOIN bands o ON o.band = f.band AND o.bucket = f.bucket AND o.cid != f.cid
                    WHERE o.cid NOT IN temp.fresh"""))
            sets = dict(fresh)
            kept = []
            for x, y in sorted(candidates):
                for c in (x, y):
                    if c not in sets:
                        sets[c] = _array(db.execute("SELECT shingles FROM classes WHERE cid = ?", (c,)).fetchone()[0])
                inter = len(np.intersect1d(sets[x], sets[y], assume_unique=True))
                union = len(sets[x]) + len(sets[y]) - inter
                stats.checked += 1
                if inter / union >= THRESHOLD:
                    kept.append((x, y, inter, union))
            db.executemany("INSERT INTO pairs VALUES (?, ?, ?, ?)", kept)
        stats.pairs = db.execute("SELECT count(*) FROM pairs").fetchone()[0]

    def _echoes(self) -> Iterator[Echo]:
        """The echoes from the stored classes and pairs (``reuse.wording_echoes``, as ``find_reuse``), one
        class at a time: its passages and those of the classes paired with it are read when its turn
        comes (``passages`` is indexed by class, ``pairs`` both ways), so what is held does not grow with
        the corpus (a class of identical texts apart: one passage per copy). Only the classes with an
        echo to give are read: those of two passages or more, and those in a pair."""
        db = self.db
        if db.execute("""
                SELECT EXISTS (SELECT 1 FROM classes c WHERE members !=
                               (SELECT count(*) FROM passages p WHERE p.cid = c.cid AND p.first = 1))
                    OR EXISTS (SELECT 1 FROM passages p WHERE p.cid IS NOT NULL AND p.first = 1
                               AND p.cid NOT IN (SELECT cid FROM classes))""").fetchone()[0]:
            raise IndexCorrupt("class sizes disagree with the passages")
        orders: dict[str, tuple] = {}  # one tuple per distinct date order

        def passages_of(cid: int) -> list[Passage]:
            found = []
            for identifier, document, order in db.execute(
                    "SELECT identifier, document, ord FROM passages WHERE cid = ? AND first = 1", (cid,)):
                kept = orders.get(order)
                if kept is None:
                    kept = orders[order] = tuple(json.loads(order))
                found.append(Passage(identifier, document, "", kept, ""))
            found.sort(key=lambda p: (p.order, p.identifier))
            return found

        cids = [c for (c,) in db.execute("""
            SELECT cid FROM classes WHERE members > 1 OR cid IN (SELECT x FROM pairs) OR cid IN (SELECT y FROM pairs)
            ORDER BY cid""")]
        for cid in cids:
            partners = db.execute("SELECT y, inter, uni FROM pairs WHERE x = ?1"
                                  " UNION ALL SELECT x, inter, uni FROM pairs WHERE y = ?1", (cid,)).fetchall()
            yield from wording_echoes(passages_of(cid), [(passages_of(other), inter / union)
                                                         for other, inter, union in partners
                                                         if inter / union >= THRESHOLD])

    def _attestations(self) -> list[Attestation]:
        """The attestations from the raw sets of the paragraphs printed more than once (``reuse.attested``),
        read one paragraph at a time: its prints come together, the paragraphs in the order of their
        first print (manifest order, then reading order), as ``reuse.attestations`` takes them."""
        rows = self.db.execute("""
            SELECT identifier, document, source_file, raw FROM (
              SELECT p.identifier, p.document, p.source_file, p.raw, o.pos, p.seq,
                     min(o.pos * 4294967296 + p.seq) OVER (PARTITION BY p.identifier) AS head
              FROM passages p JOIN temp.position o ON o.src = p.src
              WHERE p.identifier IN (SELECT identifier FROM passages GROUP BY identifier HAVING count(*) > 1))
            ORDER BY head, pos, seq""")
        return attested((identifier, [(Passage(identifier, document, source_file, (), ""), set(_array(raw).tolist()))
                                      for _, document, source_file, raw in prints])
                        for identifier, prints in groupby(rows, key=itemgetter(0)))
