"""Answer files written as the store gives the rows, in memory that does not grow with the corpus.

The build's precomputed answers (precompute.py) are big runs: at ×1000 the
paragraphs filed under every topic are millions of rows, and the free-text
query's rows hold every paragraph's text. Held whole — a tuple of Terms per
row, the sorted copies, every line, then the file's text — they made the
answers' child of a ×1000 build the largest process (~2.7 GB of its own).

Here each row becomes its line as it comes (the terms' JSON made once per
distinct term, in a bounded cache per column), beside its ORDER BY keys
(ordering.py's keys, in one tuple: ``(value, key…, line)``, the value first for
a query of every value). Up to ``BUDGET`` characters of lines are held; past
that, they are sorted and written to disk as one sorted run, and the runs are
merged (``heapq.merge``) into the answer files as they are written. Under the
budget nothing touches the disk (the corpus ×1 … ×10). The row counts of the
files' first lines are counted as the rows come.

The files are the bytes the rows held whole gave: the same lines, in the order
of the same keys. Rows equal on every key are next to each other in the merge:
two different ones are an order the store chooses (a tie), and that answer is
the store's, streamed in its order — as is an answer whose keys are not
ordered here (a term ordering.py does not order, two kinds of literal in one
key), or whose query has no ORDER BY ordering.py reads.
"""

from __future__ import annotations

import heapq
import json
import operator
import pickle
import shutil
import tempfile
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph

from tipkg.errors import TipkgError
from tipkg.graph.streams import pickled_batches

from . import precomputed as P
from .ordering import Key, _term_key
from .sparql import XSD_STRING, _from_oxigraph, syntax_error

#: characters of row lines held before they are sorted and written to disk as a run
BUDGET = 8 << 20
#: distinct terms kept converted per column (their JSON and keys); past this the cache is emptied
CACHE = 20_000
#: characters of lines per pickled block of a run file: the merge holds one block of each run
BLOCK = 64 << 10


_XSD_STRING = pyoxigraph.NamedNode(XSD_STRING)


class _Store(Exception):
    """The rows cannot be ordered here (a term ordering.py does not order): the store orders them."""


class _Desc:
    """A descending key's value: compares the other way round (in a tuple of keys, by ``<`` and ``==``)."""

    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key

    def __lt__(self, other: _Desc) -> bool:
        return other.key < self.key

    def __eq__(self, other) -> bool:
        return isinstance(other, _Desc) and self.key == other.key

    def __reduce__(self):
        return _Desc, (self.key,)

    __hash__ = None  # type: ignore[assignment]


class _Terms(dict):
    """Each term of one column (a pyoxigraph term; None unbound) -> its JSON after the variable's name and
    its keys' values: made on first sight by ``convert`` (None: a key cannot order it), at most CACHE kept."""

    def __init__(self, convert, unbound: tuple):
        super().__init__({None: unbound})
        self.convert, self.unbound = convert, unbound

    def __missing__(self, x):
        if len(self) >= CACHE:
            self.clear()
            self[None] = self.unbound
        info = self[x] = self.convert(x)
        return info


class Run:
    """One run of a query on the store, its rows as sortable entries: ``(value?, key…, line[, text line])``
    — ``value`` the first column's (``group``: a query of every value), ``text`` the first column is the
    searched text (its line apart), ``keys`` over the columns after those (None: the rows' own order, a
    running number). Rows of a value whose key cannot be ordered here are dropped, the value noted in
    ``unordered`` (``group``; else ``_Store`` is raised). ``counts``: rows per value (key None without
    ``group``)."""

    def __init__(self, scratch: Path, group: bool = False, text: bool = False, keys: list[Key] | None = None):
        self.scratch, self.group, self.text, self.keys = scratch, group, text, keys
        self.held: list[tuple] = []
        self.files: list[Path] = []
        self.folder: Path | None = None
        self.counts: dict[str | None, int] = {}
        self.unordered: set[Any] = set()
        self.mixed = False  # two kinds of literal in one key over the whole run
        self.kinds: list[set[str]] | None = None  # the kinds of each key's terms, over every fill of the run
        self.variables: tuple[str, ...] = ()

    # --- filling --------------------------------------------------------------------------------------
    def fill(self, store, text: str, path: str, exact: bool = False) -> None:
        """Run ``text`` and take its rows (``exact``: the kinds of each key checked per value, as ordering.py
        checks each value's rows apart; the whole run's check is enough unless it found two kinds)."""
        try:
            answer = store.query(text)
            if not isinstance(answer, pyoxigraph.QuerySolutions):
                raise TipkgError(path, "the precomputed answers are of SELECT queries")
            self._take(answer, exact)
        except SyntaxError as exc:
            raise syntax_error(text, str(exc), path) from None
        except OSError as exc:
            raise TipkgError(path, f"query failed on the embedded store: {exc}") from None

    def _take(self, answer, exact: bool) -> None:
        variables = tuple(v.value for v in answer.variables)
        self.variables = variables
        first = 1 if self.group or self.text else 0
        names = variables[first:]
        json_columns = [first + i for i in sorted(range(len(names)), key=names.__getitem__)]
        keys = self.keys or []
        shift = 1 if self.group else 0  # a query of every value: its keys are over the columns after the value
        columns = sorted(set(json_columns) | {shift + k.column for k in keys})
        # per column: the (str_of, descending) of each key on it, and where its pair goes in the entry
        on: dict[int, list[tuple[bool, bool]]] = {c: [] for c in columns}
        where: list[tuple[int, int]] = []  # (column, index of its pair in the column's info)
        for k in keys:
            on[shift + k.column].append((k.str_of, k.descending))
            where.append((shift + k.column, len(on[shift + k.column])))
        prefix = {c: P._encode(variables[c]) + ": " for c in json_columns}
        if self.kinds is None:  # (kept over fills: the batches of one query are one run)
            self.kinds = [set() for _ in keys]
        kinds = self.kinds
        by_value: dict[Any, list[set[str]]] = {}
        unbound: dict[int, tuple[Any, ...]] = {c: (None, *[_Desc((0,)) if desc else (0,) for _, desc in on[c]], ("",) * len(on[c]))
                   for c in columns}

        def converter(column: int) -> _Terms:
            slots = [slot for slot, (c, _) in enumerate(where) if c == column]
            strings = ("string",) * len(on[column])
            named = prefix.get(column)

            def convert(x) -> tuple[Any, ...] | None:
                # the common terms, a plain string or a language-tagged one (not under STR): their JSON and
                # keys made here, term_json's and _term_key's without a Term (at ×100 a column of paragraphs
                # or gists misses the bounded cache ~3 times a term)
                if type(x) is pyoxigraph.Literal and ((lang := x.language) is not None or x.datatype == _XSD_STRING):
                    tail, quick = "}", strings
                    if lang is not None:
                        tail, quick = ', "xml:lang": ' + P._encode(lang) + "}", ("@" + lang.lower(),) * len(on[column])
                    if lang is None or not any(str_of for str_of, _ in on[column]):  # (STR of a tagged one: below)
                        v = x.value
                        for slot, kind in zip(slots, quick):
                            kinds[slot].add(kind)
                        return (None if named is None else named + '{"type": "literal", "value": ' + P._encode(v) + tail,
                                *[_Desc((2, v)) if desc else (2, v) for _, desc in on[column]], quick)
                t = _from_oxigraph(x)
                pairs: list[Any] = []
                found_kinds: list[str] = []
                for str_of, desc in on[column]:
                    found = _term_key(t, str_of)
                    if found is None:
                        return None  # a term not ordered here
                    pairs.append(_Desc(found[0]) if desc else found[0])
                    found_kinds.append(found[1])
                for slot, (c, at) in enumerate(where):
                    if c == column and found_kinds[at - 1]:
                        kinds[slot].add(found_kinds[at - 1])
                return (prefix[column] + P.term_json(t) if column in prefix else None, *pairs, tuple(found_kinds))
            return _Terms(convert, unbound[column])

        caches = [converter(c) for c in columns]
        pick = operator.itemgetter(*columns) if len(columns) > 1 else (lambda solution: (solution[columns[0]],))
        pick_parts = operator.itemgetter(*[columns.index(c) for c in json_columns]) if len(json_columns) > 1 \
            else (lambda infos: (infos[columns.index(json_columns[0])],))
        key_at = [(columns.index(c), at) for c, at in where]
        getitem, first_of = operator.getitem, operator.itemgetter(0)
        values: dict = {}
        counts, unordered, held = self.counts, self.unordered, self.held
        group, text, seq = self.group, self.text, self.keys is None
        size, number, value = 0, 0, None
        for solution in answer:
            if group:
                x = solution[0]
                if x is None:
                    continue
                value = values.get(x)
                if value is None:
                    value = values[x] = x.value  # (the value of a literal or an IRI, as Term gives it)
                if value in unordered:
                    continue
            infos = list(map(getitem, caches, pick(solution)))
            if None in infos:  # a term not ordered here
                if not group:
                    raise _Store
                unordered.add(value)
                continue
            line = "{" + ", ".join(filter(None, map(first_of, pick_parts(infos)))) + "}"
            if seq:
                entry: tuple = (value, number, line) if group else (number, line)
                number += 1
            else:
                keyed = [infos[i][at] for i, at in key_at]
                entry = (value, *keyed, line) if group else (*keyed, line)
                if exact:
                    per = by_value.setdefault(value, [set() for _ in keys])
                    for slot, (i, at) in enumerate(key_at):
                        if (kind := infos[i][-1][at - 1]):
                            per[slot].add(kind)
            size += len(line)
            if text:
                x = solution[0]
                searched = P._encode(x.value if x is not None else "")
                entry += (searched,)
                size += len(searched)
            held.append(entry)
            counts[value] = counts.get(value, 0) + 1
            if size > BUDGET:
                self._spill()
                held, size = self.held, 0
        if any(len(found - {"iri"}) > 1 for found in kinds):
            if not group:
                raise _Store
            if not exact:
                self.mixed = True
                return
            for value, per in by_value.items():
                if any(len(found - {"iri"}) > 1 for found in per):
                    unordered.add(value)

    def _spill(self) -> None:
        self.held.sort()
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix=".runs-", dir=self.scratch))
        file = self.folder / str(len(self.files))
        with open(file, "wb") as out:
            block: list[tuple] = []
            size = 0
            for entry in self.held:
                block.append(entry)
                size += len(entry[-1])
                if size >= BLOCK:
                    pickle.dump(block, out, protocol=pickle.HIGHEST_PROTOCOL)
                    block, size = [], 0
            if block:
                pickle.dump(block, out, protocol=pickle.HIGHEST_PROTOCOL)
        self.files.append(file)
        self.held = []

    # --- reading ---------------------------------------------------------------------------------------
    def merged(self) -> Iterator[tuple]:
        """Every entry, in order (held ones sorted, merged with the runs on disk)."""
        self.held.sort()
        if not self.files:
            return iter(self.held)
        return heapq.merge(*(pickled_batches(file) for file in self.files), self.held)

    @property
    def width(self) -> int:
        """How many leading items of an entry are its value and keys."""
        return int(self.group) + (1 if self.keys is None else len(self.keys))

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
        self.held, self.files = [], []

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Tied(Exception):
    """Two different rows equal on every key: their order is the store's choice."""


def _lines(entries: Iterator[tuple], width: int, ties: bool, equal: bool = False) -> Iterator[tuple]:
    """``entries`` as they come, ``_Tied`` raised at two different ones equal on their first ``width`` items
    (``equal``: at two equal on them, even the same row)."""
    previous = None
    for entry in entries:
        if ties and previous is not None and entry[width - 1] == previous[width - 1] \
                and entry[:width] == previous[:width] and (equal or entry != previous):
            raise _Tied
        previous = entry
        yield entry


class _Answer:
    """One answer file being written: its first line, then the rows' lines (``offsets``: the
    start of each row's line kept, for the free-text query's ``<key>.offsets``)."""

    def __init__(self, path: Path, name: str, text: str, variables, rows: int, offsets: bool = False):
        self.key = P._key(text)
        self.file = path / f"{self.key}.jsonl"
        self.out = open(self.file, "wb")
        head = (P.answer_head(name, text, variables, rows) + "\n").encode("utf-8")
        self.out.write(head)
        self.at, self.starts = len(head), array("Q") if offsets else None

    def add(self, line: str) -> None:
        data = line.encode("utf-8")
        if self.starts is not None:
            self.starts.append(self.at)
            self.at += len(data) + 1
        self.out.write(data)
        self.out.write(b"\n")

    def close(self) -> str:
        self.out.close()
        return self.file.name

    def drop(self) -> None:
        self.out.close()
        self.file.unlink(missing_ok=True)


def write_whole(store, path: Path, name: str, text: str, keys: list[Key] | None, bare: str | None,
                query_path: str, search: bool = False, batches: list[str] | None = None) -> tuple[list[str], bool]:
    """The answer of ``text`` into ``path`` (``search``: the free-text query's three files), and whether
    its order is its keys' alone: the rows of ``bare`` (``text`` without its ORDER BY) sorted here by
    ``keys``, or — keys not ordered here, a tie, no keys — ``text``'s rows in the store's order.
    ``batches``: texts whose rows together are ``bare``'s (batches.py), run in its place; two of their rows
    with the same keys, even equal (a group of the answer split over two batches), and ``bare`` is run."""
    if keys is not None and batches:
        try:
            with Run(path, text=search, keys=keys) as run:
                for batch in batches:
                    run.fill(store, batch, query_path)
                return _written(path, name, text, run, search, ties=True, equal=True), True
        except (_Store, _Tied):
            pass
    if keys is not None and bare is not None:
        try:
            with Run(path, text=search, keys=keys) as run:
                run.fill(store, bare, query_path)
                return _written(path, name, text, run, search, ties=True), True
        except (_Store, _Tied):
            pass
    with Run(path, text=search) as run:
        run.fill(store, text, query_path)
        return _written(path, name, text, run, search, ties=False), False


def _written(path: Path, name: str, text: str, run: Run, search: bool, ties: bool, equal: bool = False) -> list[str]:
    first = 1 if search else 0
    answer = _Answer(path, name, text, run.variables[first:], run.counts.get(None, 0), offsets=search)
    texts = open(path / f"{answer.key}.text", "w", encoding="utf-8", newline="\n") if search else None
    try:
        if texts is not None:
            texts.write(json.dumps(answer.key) + "\n")
        for entry in _lines(run.merged(), run.width, ties, equal):
            if texts is not None:
                answer.add(entry[-2])
                texts.write(entry[-1])
                texts.write("\n")
            else:
                answer.add(entry[-1])
    except BaseException:
        answer.drop()
        if texts is not None:
            texts.close()
        raise
    made = [answer.close()]
    if texts is not None and answer.starts is not None:
        texts.close()
        (path / f"{answer.key}.offsets").write_bytes(answer.starts.tobytes())
        made += [f"{answer.key}.text", f"{answer.key}.offsets"]
    return made


def write_every(store, path: Path, query, parameter: str, run_text: str, keys: list[Key] | None,
                sortable: bool) -> tuple[dict[str, str] | None, bool]:
    """The answer of each value of ``parameter`` (its query text -> its file in ``path``) from one run of
    ``run_text`` (the value projected first; ``sortable``: without ORDER BY, its rows sorted here by
    ``keys`` within each value; else in the store's order, grouped by value), and whether every order is
    the keys' alone. A value whose rows cannot be ordered here, or tie, is the store's answer of its own
    text. None when the run fails (an aggregate's free form does not parse)."""
    made: dict[str, str] = {}
    determined = True
    run = Run(path, group=True, keys=keys if sortable else None)
    try:
        try:
            run.fill(store, run_text, query.path)
        except TipkgError:  # e.g. an aggregate, whose free form does not parse
            return None, True
        if run.mixed:  # two kinds of literal in a key over the whole run: checked again value by value
            run.close()
            run = Run(path, group=True, keys=keys)
            run.fill(store, run_text, query.path, exact=True)
        variables = run.variables[1:]
        store_order = set(run.unordered)
        answer: _Answer | None = None
        value, previous, text = None, None, ""
        width = run.width
        for entry in run.merged():
            if entry[0] != value:
                if answer is not None:
                    made[text] = answer.close()
                value, previous, answer = entry[0], None, None
                if value in store_order:
                    continue
                text = P.text_of(query, {parameter: value})
                answer = _Answer(path, query.name, text, variables, run.counts[value])
            elif answer is None:
                continue
            if sortable and previous is not None and entry[width - 1] == previous[width - 1] \
                    and entry[:width] == previous[:width] and entry != previous:
                answer.drop()  # a tie: this value is the store's
                answer = None
                store_order.add(value)
                continue
            previous = entry
            answer.add(entry[-1])
        if answer is not None:
            made[text] = answer.close()
    finally:
        run.close()
    if not sortable:
        determined = False
    for value in sorted(store_order):
        text = P.text_of(query, {parameter: value})
        made[text] = write_whole(store, path, query.name, text, None, None, query.path)[0][0]
        determined = False
    return made, determined


def same_rows(path: Path, file: str | None, other: Path) -> bool:
    """Whether the answer file ``file`` in ``path`` (None: no file, no rows) has the rows of the answer
    file ``other``, in the same order (their first lines aside)."""
    def rows(at: Path | None):
        if at is None:
            return
        with open(at, "rb") as lines:
            next(lines, None)
            yield from lines
    mine, theirs = rows(path / file if file else None), rows(other)
    sentinel = object()
    while True:
        a, b = next(mine, sentinel), next(theirs, sentinel)
        if a != b:
            return False
        if a is sentinel:
            return True


def scratch_folder(path: Path) -> Path:
    """A folder for one answer made only to be compared, inside ``path`` (removed by the caller)."""
    return Path(tempfile.mkdtemp(prefix=".check-", dir=path))
