"""How the build makes ``OUT/precomputed/`` (the answers ``tipkg query`` pages; format in precomputed.py).

Every catalog query the writer answers has a ``Plan``: the texts it runs on
the store (the whole-graph query; the searched rows of the free-text query;
the query of one actor or topic with its parameter free, plus its default
value run as it stands, the check that the split is its answer). Two things
keep the writer cheap:

* **Fewer, cheaper runs.** A query of one actor or topic is run once for all
  of them, the parameter projected first, and split by value: its VALUES table
  holds every node of the kind (``_kind_values``; free, the parameter's
  pattern would be matched by every identified node), a copy of the plan's
  free text, which names the files and their digest.
  Each run asks for its rows unsorted and sorts them in Python by the query's
  own ORDER BY (ordering.py): Oxigraph's sort re-reads every compared string
  from the store, which was most of the writer's time. Where the keys cannot
  be sorted here, or two different rows tie (the store's choice), the store
  sorts (that value's query run as it stands, or the whole run with its
  ORDER BY).
* **Copied, not re-run, after a small change.** With a ``Delta`` (the lines
  removed from and added to the previous ``graph.nt``), a query none of whose
  patterns can match a changed line (reads.py, from the parsed query) has the
  answer it had: its files are linked from the previous OUT's
  ``precomputed/`` — when the previous ``index.json`` lists them for exactly
  the same texts, and its order there was not the store's choice. A small
  answer (under ``WORTH_COPYING``) is simply run again: that is cheaper than
  parsing the query to find out.
* **Made again value by value.** A query of every actor or topic whose reads
  the delta touches (a gist changed: every topic's answer reads gists) is
  probed (probe.py) for the values whose rows the changed lines can change,
  on the previous OUT's store (removed lines) and the new one (added lines);
  those are run again, the free query restricted to them and split and
  sorted as the whole run would be, and every other value's file is linked.
  Where the probes cannot decide, the whole query is run again. The
  free-text query's rows are made again the same way by their ORDER BY keys
  (a paragraph's document and identifier): those of the changed keys are run
  and put in place among the previous rows' lines, kept as they are.

The store's memory does not pile up from one query to the next: a query leaves the store's caches
full (a block cache and a cache of strings, up to 160 MB) and the memory its joins used free but held by
the allocator, and the next big one took its own on top (×1000: the child's 545 MB after the free-text
query, then 925 MB with the counts per topic and year). So ``write`` lets go of the store, gives the
allocator's free pages back and opens the store again before a query whenever this process has grown by
``REOPEN_GROWTH`` since the store was opened (``reopen``): its peak is then about its largest query's,
not their sum.

A query whose working memory in the store grows with the corpus (the counts per topic and year) is run in
batches of one variable's values, the rows of the batches taken as one run's (batches.py, ``batches.toml``);
and the queries are answered by two processes, each with its own store handle, taking the next query as it
finishes one (shares.py).

``index.json`` lists, per query, the digest of its plan's texts, its files
(sorted by name) and whether its order was determined by its keys alone; it is
the same bytes whichever way a build made the answers.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from collections.abc import Callable, Iterator
from typing import Any
from pathlib import Path

import pyoxigraph

from tipkg.errors import TipkgError
from tipkg.ontology.namespace import PREFIXES
from tipkg.parallel import resident_bytes, trim_heap

from . import precomputed as P
from . import streamed
from .batches import batched
from .shares import order, shared
from .catalog import Query
from .ordering import order_keys, sort_rows, unordered
from .params import CLASSES, KINDS, nodes
from .sparql import Results, run_local

INDEX = "index.json"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: changed lines past which nothing is copied (the changed triples are indexed in memory; a delta
#: this big touches every query anyway)
BIG_DELTA = 1_000_000
#: an answer smaller than this is run again rather than checked against the delta: parsing a query's
#: patterns (rdflib, ~30 ms a text) costs more than running a small one (on the corpus ×10, answers
#: under 60 KB took 20–25 ms; at ×1 checking every query made the writer 0.30 → 0.46 CPU s)
WORTH_COPYING = 64 * 1024
#: growth of this process's resident memory since the store was opened past which ``write`` opens it again
#: before the next query (×100: once the free-text query has filled the store's caches, +214 MB; the small
#: queries before it stay under it, each reopening cost them their warm caches)
REOPEN_GROWTH = 128 << 20


@dataclass(frozen=True)
class Plan:
    """What the writer runs for one query: ``kind`` is whole, search or every (value of ``parameter``)."""

    query: Query
    kind: str
    texts: tuple[str, ...]
    parameter: str | None = None

    @property
    def digest(self) -> str:
        return hashlib.sha256("\n\0".join(self.texts).encode("utf-8")).hexdigest()


def plan(query: Query) -> Plan | None:
    """The plan of ``query``, None when it stays live (it names a node of a big or open kind)."""
    if P.whole_graph(query):
        return Plan(query, "whole", (P.text_of(query),))
    if query.name in P.TEXT_SEARCH:
        return Plan(query, "search", (P.text_view(query),))
    if (parameter := P.every_value(query)) is not None:
        return Plan(query, "every", (P.free_text(query, parameter), P.text_of(query)), parameter)
    return None


@dataclass
class Outcome:
    """What the writer did with one query: ``how`` is ran, copied or live, and the files it left."""

    how: str
    files: list[str]
    determined: bool


def write(store, path: Path, catalog: dict[str, Query], delta=None,
          reopen: Callable[[], Any] | None = None, jobs: int | None = None) -> dict[str, Outcome]:
    """Answer every planned query of ``catalog`` on ``store`` into the folder ``path`` (or copy its
    answer from ``delta.previous`` when the delta cannot change it); write ``index.json``. ``reopen``:
    opens the store, which ``write`` does (``_Reopened``) if ``store`` is None and again once this process
    has grown by ``REOPEN_GROWTH`` (a store given is kept: its caller holds it). With ``store`` None, the
    queries are answered by two processes, each opening the store itself (shares.py; ``jobs`` 1: one)."""
    path.mkdir(parents=True, exist_ok=True)
    previous = _previous(delta)
    plans = {name: p for name, query in catalog.items() if (p := plan(query)) is not None}

    def answered(names: Iterator[str]) -> dict[str, Outcome]:
        current = _Reopened(store, reopen if store is None else None)
        outcomes: dict[str, Outcome] = {}
        for name in names:
            p = plans[name]
            held = current()
            outcome = _copied(p, path, previous, held) if previous else None
            outcomes[name] = outcome or _answer(held, p, path)
            del held  # (held, the last query's store would stay open through a reopen)
        return outcomes

    if store is None and reopen is not None:
        outcomes = shared(order(list(plans)), answered, jobs)
    else:
        outcomes = answered(iter(plans))
    index = {"queries": {name: {"plan": plans[name].digest, "files": sorted(o.files), "determined": o.determined}
                         for name, o in sorted(outcomes.items())}}
    (path / INDEX).write_text(json.dumps(index, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return outcomes


class _Reopened:
    """The store ``write`` queries: called before each query, it gives the store, after letting go of it,
    collecting, giving the allocator's free pages back (``trim_heap``) and opening it again (``reopen``)
    when this process's resident memory has grown by more than ``REOPEN_GROWTH`` since it was opened.
    ``store`` None: opened by ``reopen`` at the first call."""

    def __init__(self, store, reopen: Callable[[], Any] | None) -> None:
        self._store, self._reopen = store, reopen
        self._opened: int | None = None

    def __call__(self):
        if self._reopen is None:
            return self._store
        now = resident_bytes()
        if self._store is None or (now is not None and self._opened is not None and now - self._opened > REOPEN_GROWTH):
            self._store = None  # the store's caches and table readers go with its last reference
            gc.collect()
            trim_heap()
            self._store = self._reopen()
            self._opened = resident_bytes()
        return self._store


def _previous(delta) -> tuple[Path, dict, Any, _Before] | None:
    """(the previous precomputed folder, its index, the changed triples, the previous store), or None
    when there is nothing usable to copy from."""
    if delta is None or delta.removed_count + delta.added_count > BIG_DELTA:
        return None
    folder = Path(delta.previous) / P.FOLDER
    try:
        index = json.loads((folder / INDEX).read_text(encoding="utf-8"))["queries"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    from .reads import Changed  # late: rdflib's SPARQL parser (pyparsing) is a 0.15 s import a cold build never needs

    return folder, index, Changed(delta.removed, delta.added), _Before(Path(delta.previous), delta.record)


class _Before:
    """The previous OUT's store, opened read-only on first use (as ``tipkg query`` opens it), and only if
    its files are those its build recorded (``graph/store.fingerprint``); else None."""

    def __init__(self, out: Path, record: dict):
        self.out, self.record, self._store, self._tried = out, record, None, False

    def store(self):
        if not self._tried:
            self._tried = True
            from tipkg.graph.store import STORE_DIR, fingerprint, open_store

            if self.record.get("store") is not None and fingerprint(self.out / STORE_DIR) == self.record["store"]:
                try:
                    self._store = open_store(self.out)
                except TipkgError:
                    self._store = None
        return self._store


def _copied(p: Plan, path: Path, previous: tuple, store=None) -> Outcome | None:
    """The previous answer of ``p`` linked into ``path``, if the delta cannot have changed it
    (``previous``: what ``_previous`` gives); for a query of every value, the previous files of the
    values the delta cannot change linked and the others' answers made again (``_patched``, on this
    build's ``store``)."""
    from .reads import reads

    folder, index, changed, before = previous

    entry = index.get(p.query.name)
    if not isinstance(entry, dict) or entry.get("plan") != p.digest or entry.get("determined") is not True:
        return None
    files = list(entry.get("files") or [])
    if not all(isinstance(f, str) and "/" not in f and (folder / f).is_file() for f in files):
        return None
    if sum((folder / f).stat().st_size for f in files) < WORTH_COPYING:
        return None  # running it again costs less than reading its patterns
    if p.kind == "every" and p.parameter is not None and changed.touches(_kind_reads(p.parameter)) \
            and not _same_kind(p, before, store):
        return None  # the values answered may not be those of the previous build: all of them again
    if any(changed.touches(reads(text)) for text in p.texts):
        if p.kind == "every" and files and before is not None and store is not None:
            return _patched(p, path, folder, files, changed, before, store)
        if p.kind == "search" and files and before is not None and store is not None:
            return _patched_search(p, path, folder, files, changed, before, store)
        return None
    _link(folder, path, files)
    return Outcome("copied" if files else "live", files, True)


def _link(folder: Path, path: Path, files) -> None:
    for f in files:
        try:  # OUT is replaced whole, never written in place: a hard link shares bytes that never change
            os.link(folder / f, path / f)
        except OSError:
            shutil.copyfile(folder / f, path / f)


def _patched(p: Plan, path: Path, folder: Path, files: list[str], changed, before, store) -> Outcome | None:
    """The answers of a query of every value after a delta that touches what it reads: the values whose
    rows the delta can change (probe.py) are run again — the free query restricted to them, split and
    sorted as ``_split`` does — and every other value's file is linked from the previous build. None when
    the changed values cannot be decided, or the answer cannot be made value by value as ``_split`` makes
    it (the whole is then run again)."""
    from .probe import Shape

    query, parameter = p.query, p.parameter
    keys = order_keys(p.texts[1], _projected(p.texts[1]))
    if parameter is None or keys is None:  # without keys the rows are in the store's order: not per value
        return None
    shape = Shape.of(p.texts[0], parameter)
    old = before.store() if shape is not None else None
    found = shape.values(changed, store, old) if shape is not None and old is not None else None
    if found is None or not all(_plain_string(term) for term in found):
        return None
    kind = set(_kind_values(store, parameter))  # (the same in both stores: _copied checked it)
    values = sorted({term.value for term in found} & kind)  # another value is not answered (_split)
    if not values:  # no value's rows can differ
        _link(folder, path, files)
        return Outcome("copied", files, True)
    restricted = P.restricted_text(query, parameter, values)
    bare = unordered(restricted) if restricted is not None else None
    if bare is None:
        return None
    results = run_local(store, bare, query.path)
    variables = results.variables[1:]
    groups: dict[str, list] = {}
    for row in results.rows:
        if row[0] is not None:
            groups.setdefault(row[0].value, []).append(row[1:])
    if not set(groups) <= set(values):
        return None  # the restriction is not the free query's rows of those values: the whole again
    determined, answers = True, {}
    for value in values:
        if value not in groups:
            continue  # no rows: no file, as the free run gives it none
        text = P.text_of(query, {parameter: value})
        done = sort_rows(groups[value], keys)
        if done is not None and not done[1]:
            answers[text] = Results(variables, tuple(done[0]))
        else:  # unsortable here or tied: the store orders this one
            answers[text] = run_local(store, text, query.path)
            determined = False
    default = p.texts[1]  # checked as _split checks it, when its rows were made again (else they are the
    # previous build's, checked then, and its live answer, the same rows in the same order, is too)
    if _default(query, parameter) in values and \
            answers.get(default, Results(variables, ())).rows != sorted_run(store, default, query.path)[0].rows:
        return None
    stale = {P.answer_file(P.text_of(query, {parameter: value})) for value in values}
    kept = [f for f in files if f not in stale]
    _link(folder, path, kept)
    terms: dict = {}
    made = [P.write_answer(path, query.name, text, results, terms) for text, results in answers.items()]
    return Outcome("patched", kept + made, determined)


def _patched_search(p: Plan, path: Path, folder: Path, files: list[str], changed, before, store) -> Outcome | None:
    """The free-text query's kept rows after a delta that touches what it reads: the rows whose ORDER BY
    keys (here a paragraph's document and identifier) take values the changed lines can change (probe.py)
    are made again — the query restricted to those keys, sorted here — and put in the previous rows'
    place, the other rows' lines kept as they are. None when that cannot be decided or done exactly as
    the whole run orders the rows (a key not ascending, not a plain string; two rows tied)."""
    from .probe import Shape

    text = p.texts[0]
    variables = _projected(text)
    keys = order_keys(text, variables)
    if keys is None or any(k.str_of or k.descending or k.column == 0 for k in keys):
        return None
    names = [variables[k.column] for k in keys]
    key = P.answer_file(text)[:-len(".jsonl")]
    if len(set(names)) != len(names) or sorted(files) != sorted(f"{key}{x}" for x in (".jsonl", ".text", ".offsets")):
        return None
    shape = Shape.of(text, *names)
    old_store = before.store() if shape is not None else None
    found = shape.values(changed, store, old_store) if shape is not None and old_store is not None else None
    if found is None:
        return None
    rows_found = sorted({(t,) if len(names) == 1 else tuple(t) for t in found}, key=lambda row: [x.value for x in row])
    if not rows_found:
        _link(folder, path, files)
        return Outcome("copied", files, True)
    if not all(_plain_string(t) for row in rows_found for t in row):
        return None
    restricted = P.text_view_restricted(p.query, names, rows_found)
    bare = unordered(restricted) if restricted is not None else None
    if bare is None:
        return None
    results = run_local(store, bare, p.query.path)
    done = sort_rows(results.rows, keys) if list(results.variables) == variables else None
    if done is None or done[1]:
        return None
    try:
        rows_file, texts_file = open(folder / f"{key}.jsonl", "rb"), open(folder / f"{key}.text", "rb")
    except OSError:
        return None
    with rows_file, texts_file:  # read where the keys are sought, copied a block at a time: never held whole
        try:
            rows, texts = P.Lines(rows_file), P.Lines(texts_file)
            if not rows.whole or not texts.whole or len(rows) != len(texts) or not len(rows) \
                    or json.loads(rows[0]).get("rows") != len(rows) - 1 or texts[0] != json.dumps(key).encode():
                return None
        except (OSError, ValueError):
            return None
        old = _Keys(rows, names)
        fresh: dict[tuple, list] = {}
        for row in done[0]:
            fresh.setdefault(tuple(row[k.column].value for k in keys), []).append(row)
        # the previous lines kept (lo, hi) and, after them, the lines of the rows made again
        pieces: list[tuple[int, int, list[bytes], list[bytes]]] = []
        at = 1
        try:
            for wanted in (tuple(x.value for x in row) for row in rows_found):
                lo = old.bisect(wanted, at, left=True)
                hi = old.bisect(wanted, lo, left=False)
                made = fresh.pop(wanted, [])
                pieces.append((at, lo, [line.encode("utf-8") for line in P.row_lines(
                    Results(tuple(variables[1:]), tuple(row[1:] for row in made)))],
                    [P.text_line(row[0]).encode("utf-8") for row in made]))
                at = hi
        except _Unkeyed:
            return None
        if fresh:  # a row of a key not probed: the restriction is not what was assumed
            return None
        pieces.append((at, len(rows), [], []))
        count = sum(hi - lo + len(made) for lo, hi, made, _ in pieces)
        first = P.answer_head(p.query.name, text, variables[1:], count).encode("utf-8")
        with open(path / f"{key}.jsonl", "wb") as rows_out, open(path / f"{key}.text", "wb") as texts_out:
            rows_out.write(first + b"\n")
            texts_out.write(texts[0] + b"\n")
            for lo, hi, made_rows, made_texts in pieces:
                rows.copy(lo, hi, rows_out)
                rows_out.writelines(line + b"\n" for line in made_rows)
                texts.copy(lo, hi, texts_out)
                texts_out.writelines(line + b"\n" for line in made_texts)
    P.write_offsets(path, key)
    return Outcome("patched", files, True)


class _Unkeyed(Exception):
    """A previous row whose keys are not plain strings: not merged here."""


class _Keys:
    """The ORDER BY keys of the previous rows (the lines of an answer's file, the head first: ``P.Lines``),
    decoded as a search reaches them."""

    def __init__(self, rows: P.Lines, names: list[str]):
        self.rows, self.names = rows, names
        self.known: dict[int, tuple] = {}

    def __getitem__(self, i: int) -> tuple:
        if (got := self.known.get(i)) is None:
            row = json.loads(self.rows[i])
            values = []
            for name in self.names:
                term = row.get(name)
                if not isinstance(term, dict) or term.get("type") != "literal" or "xml:lang" in term or \
                        term.get("datatype", "http://www.w3.org/2001/XMLSchema#string") != \
                        "http://www.w3.org/2001/XMLSchema#string":
                    raise _Unkeyed
                values.append(term["value"])
            got = self.known[i] = tuple(values)
        return got

    def bisect(self, wanted: tuple, lo: int, left: bool) -> int:
        """The first row from ``lo`` whose keys are not below ``wanted`` (``left``) or above it."""
        hi = len(self.rows)
        while lo < hi:
            mid = (lo + hi) // 2
            if self[mid] < wanted or (not left and self[mid] == wanted):
                lo = mid + 1
            else:
                hi = mid
        return lo


def _plain_string(term) -> bool:
    return isinstance(term, pyoxigraph.Literal) and term.language is None and \
        term.datatype.value == "http://www.w3.org/2001/XMLSchema#string"


def _default(query: Query, parameter: str) -> str:
    """The default value of ``parameter`` (its VALUES term in the query file), as the store gives it."""
    rows = pyoxigraph.Store().query(f"SELECT ?v WHERE {{ VALUES ?v {{ {query.parameters[parameter]} }} }}")
    assert isinstance(rows, pyoxigraph.QuerySolutions)
    return next(rows)[0].value


def _kind_values(store, parameter: str) -> list[str]:
    """The identifiers of every node of ``parameter``'s kind (every actor, every topic): the values a query
    of every value is answered for. Its run is the free query restricted to them (a VALUES table at the
    top of its WHERE group, ``P.restricted_text``), not the query with the parameter free: free, the
    parameter's pattern (``?head dcterms:identifier ?topic``) is matched by every identified node of the
    graph, each then joined on (topic-paragraphs at ×30: 1.66 CPU s free, 1.20 restricted to the 82
    topics, the same rows). A value of no node of the kind is never asked: ``tipkg query`` resolves a
    parameter to a node of its kind before it makes the text (params.resolve)."""
    return [node.identifier for node in nodes(lambda text: run_local(store, text), KINDS[parameter])]


def _kind_reads(parameter: str) -> list[tuple[str | None, str | None, str | None]]:
    """The triples ``_kind_values`` reads (reads.Pattern): which nodes are of the kind, and their identifiers.
    A delta none of whose lines is one of these leaves the values answered as they were."""
    typed = [(None, RDF_TYPE, PREFIXES["tip"] + c) for c in CLASSES[KINDS[parameter]]]
    return typed + [(None, PREFIXES["dcterms"] + "identifier", None)]


def _same_kind(p: Plan, before, store) -> bool:
    """Whether the previous build's store and this one hold the same nodes of ``p``'s parameter's kind:
    then the previous build answered the values this one answers (a node that gained or lost the type,
    or whose identifier changed, would make the sets differ, even where the query reads neither)."""
    if before is None or p.parameter is None or store is None or (old := before.store()) is None:
        return False
    return _kind_values(old, p.parameter) == _kind_values(store, p.parameter)


def sorted_run(store, text: str, path: str = "query") -> tuple[Results, bool]:
    """``text``'s answer, the rows fetched unsorted and sorted here when its ORDER BY allows, and
    whether its order is its keys' alone (no two different rows tie)."""
    keys, bare = order_keys(text, _projected(text)), unordered(text)
    if keys is not None and bare is not None:
        results = run_local(store, bare, path)
        done = sort_rows(results.rows, keys)
        if done is not None and not done[1]:
            return Results(results.variables, tuple(done[0])), True
    results = run_local(store, text, path)
    done = sort_rows(results.rows, keys) if keys is not None else None
    return results, done is not None and not done[1]


def _projected(text: str) -> list[str]:
    """The variables ``text`` projects, as the store names them (asked of an empty store)."""
    try:
        results = pyoxigraph.Store().query(text)
    except SyntaxError:
        return []
    if not isinstance(results, pyoxigraph.QuerySolutions):  # not a SELECT: nothing to sort here
        return []
    return [v.value for v in results.variables]


def _answer(store, p: Plan, path: Path) -> Outcome:
    """Run ``p`` and write its answer files as the rows come (streamed.py: the rows are never held whole)."""
    query = p.query
    if p.kind in ("whole", "search"):
        text = p.texts[0]
        keys, bare = order_keys(text, _projected(text)), unordered(text)
        batches = batched(store, query.name, bare) if keys is not None else None
        files, determined = streamed.write_whole(store, path, query.name, text, keys, bare, query.path,
                                                 search=p.kind == "search", batches=batches)
        return Outcome("ran", files, determined)
    made, determined = _split(store, p, path)
    if made is None:
        return Outcome("live", [], determined)
    return Outcome("ran", list(made.values()), determined)


def _split(store, p: Plan, path: Path) -> tuple[dict[str, str] | None, bool]:
    """The answer of each value of ``p.parameter`` (its query text -> its file in ``path``), from one run
    with the parameter free but for its VALUES of every node of the kind (``_kind_values``); None (no
    file left) when the split is not the live answer of the default value (the query is not of the shape
    assumed: parameter joined at the top), so that the query stays live."""
    query, parameter = p.query, p.parameter
    if parameter is None:
        raise ValueError(f"the plan of {query.name} splits by value but names no parameter")
    keys = order_keys(p.texts[1], _projected(p.texts[1]))
    free = P.restricted_text(query, parameter, _kind_values(store, parameter)) or p.texts[0]
    bare = unordered(free)
    sortable = keys is not None and bare is not None
    made, determined = streamed.write_every(store, path, query, parameter, bare if sortable and bare else free,
                                            keys, sortable)
    if made is None:
        return None, determined
    default = p.texts[1]  # its live answer, the store's order (sorted here, as the answers are, where the keys
    # decide it: Oxigraph's own sort of topic-paragraphs' default at ×30 cost 0.41 CPU s, 0.16 unsorted)
    check = streamed.scratch_folder(path)
    try:
        (live,), _ = streamed.write_whole(store, check, query.name, default,
                                          order_keys(default, _projected(default)), unordered(default), query.path)
        same = streamed.same_rows(path, made.get(default), check / live)
    finally:
        shutil.rmtree(check, ignore_errors=True)
    if not same:
        for file in made.values():
            (path / file).unlink(missing_ok=True)
        return None, determined
    return made, determined
