"""The gists' facts on disk, grouped by node: so the gists child's memory does not grow with the corpus.

The gists (``graph.gists``) read what a paragraph's graph says of it and of the nodes it names — its
document, its parent clauses, its targets, their documents, the verb, the topics. Held as dicts over
the whole corpus, those facts grew by ~2 MB a copy of the corpus (×100: 189 MB of the child's own,
≈2 GB at ×1000). Here each piece of the graph read (a part's cached ``Tables``, a batch of the
parent's lines) becomes one row per node in an SQLite file beside the child's chunks, indexed by
node; a node's facts are the rows of that node merged as ``Tables.merge`` merges them (so the same
whatever the order the pieces come in), read when a gist asks for them and kept in a bounded LRU
cache. Paragraphs are visited in node order (``paragraphs``), so the nodes a document's gists share
(the document, its clauses, the verbs, actors and topics) stay in the cache while its paragraphs are
written; SQLite's own page cache is bounded too, and its index is made by its external sorter.
"""

from __future__ import annotations

import marshal
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

if TYPE_CHECKING:
    from .gists import Tables

#: how many nodes' merged facts are held at once (×1000: ~700 k nodes; a document's gists read a few dozen)
CACHED = 1 << 13
#: a merged node: types, labels, the six single values (``gists._SINGLE``), edges; index of each
TYPES, LABELS, IDENTIFIER, PARENT, DATE, VERB, REPORT_OF, IN_DOCUMENT, EDGES = range(9)
_NOTHING: tuple = (None,) * 9


def longer(new: str, old: str | None) -> bool:
    """Of two English labels of one kind, the one a node keeps: the longest; of two as long, the one whose
    line sorts first (so the same whatever the order the lines come in)."""
    return old is None or len(new) > len(old) or (
        len(new) == len(old) and str(ox.Literal(new, language="en")) < str(ox.Literal(old, language="en")))


class FactStore:
    """The facts of the pieces ``add`` is given, one SQLite row (node, flags, marshal'd facts) per node
    and piece; ``seal`` indexes them, then ``record`` and ``paragraphs`` read them. ``flags``: 1 if the
    piece types the node as a part (``part_classes``), 2 if it gives its identifier — a paragraph is a
    node of both, found by the index alone."""

    def __init__(self, folder: Path | None, part_classes: frozenset[str]):
        self._temporary = None if folder is not None else Path(tempfile.mkdtemp(prefix="tipkg-gists-"))
        self.folder = Path(folder) if folder is not None else self._temporary
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "gist-facts.sqlite"
        self.path.unlink(missing_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE", "cache_size=-8192"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("BEGIN")
        self.db.execute("CREATE TABLE facts (node TEXT NOT NULL, flags INTEGER NOT NULL, facts BLOB NOT NULL)")
        self.part_classes = part_classes
        self.record = lru_cache(maxsize=CACHED)(self._record)

    def add(self, tables: Tables) -> None:
        """Write the facts of one piece (a ``graph.gists.Tables``), one row per node it holds."""
        from .gists import _SINGLE

        types, labels, edges = tables.types, tables.labels, tables.edges
        columns = [tables.single[name] for name in _SINGLE]
        nodes = set(types).union(labels, edges, *columns)
        parts, dumps = self.part_classes, marshal.dumps
        rows = []
        for s in nodes:
            kinds = types.get(s)
            single = tuple(column.get(s) for column in columns)
            flags = (1 if kinds is not None and not parts.isdisjoint(kinds) else 0) | (2 if single[0] is not None else 0)
            rows.append((s, flags, dumps((kinds, labels.get(s), single, edges.get(s)))))
        self.db.executemany("INSERT INTO facts VALUES (?, ?, ?)", rows)

    def seal(self) -> None:
        """Index the rows by node (SQLite sorts them on disk); nothing is added after."""
        self.db.execute("CREATE INDEX facts_node ON facts (node, flags)")
        self.db.execute("COMMIT")

    def paragraphs(self) -> Iterator[str]:
        """Every node typed as a part and identified, in node order (read off the index, a node at a time)."""
        for (node,) in self.db.execute("SELECT node FROM facts GROUP BY node "
                                       "HAVING max(flags & 1) AND max(flags & 2) ORDER BY node"):
            yield node

    def _record(self, uri: str) -> tuple:
        """The facts of ``uri``, its rows merged (a value of each kind, or None)."""
        rows = self.db.execute("SELECT facts FROM facts WHERE node = ?", (uri,)).fetchall()
        if not rows:
            return _NOTHING
        kinds, labels, single, edges = marshal.loads(rows[0][0])
        if len(rows) > 1:
            kinds, labels, single, edges = (set(kinds or ()), dict(labels or {}), list(single),
                                            {name: set(targets) for name, targets in (edges or {}).items()})
            for (more,) in rows[1:]:
                other_kinds, other_labels, other_single, other_edges = marshal.loads(more)
                kinds.update(other_kinds or ())
                for preferred, value in (other_labels or {}).items():
                    if longer(value, labels.get(preferred)):
                        labels[preferred] = value
                for i, value in enumerate(other_single):
                    if value is not None and (single[i] is None or single[i][:2] < value[:2]):
                        single[i] = value
                for name, targets in (other_edges or {}).items():
                    edges.setdefault(name, set()).update(targets)
            kinds, labels, edges = frozenset(kinds) or None, labels or None, edges or None
        return (kinds, labels, *(None if v is None else v[2] for v in single), edges)

    def close(self) -> None:
        """Close and remove the file (and the folder, if this store made it)."""
        self.record.cache_clear()
        self.db.close()
        self.path.unlink(missing_ok=True)
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)


class Column:
    """One kind of fact of every node, read as a dict is (``get``, ``in``, ``[]``) from the store's
    merged records: what ``graph.gists._Facts`` held as a corpus-wide dict."""

    __slots__ = ("_record", "_at")

    def __init__(self, store: FactStore, at: int):
        self._record, self._at = store.record, at

    def get(self, uri: str, default: Any = None) -> Any:
        value = self._record(uri)[self._at]
        return default if value is None else value

    def __contains__(self, uri: object) -> bool:
        return self._record(uri)[self._at] is not None

    def __getitem__(self, uri: str) -> Any:
        value = self._record(uri)[self._at]
        if value is None:
            raise KeyError(uri)
        return value
