"""How the build makes ``OUT/precomputed/`` (the answers ``tipkg query`` pages; format in precomputed.py).

Every catalog query the writer answers has a ``Plan``: the texts it runs on
the store (the whole-graph query; the searched rows of the free-text query;
the query of one actor or topic with its parameter free, plus its default
value run as it stands, the check that the split is its answer). Two things
keep the writer cheap:

* **Fewer, cheaper runs.** A query of one actor or topic is run once for all
  of them, the parameter left free and projected first, and split by value.
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

``index.json`` lists, per query, the digest of its plan's texts, its files
and whether its order was determined by its keys alone; it is the same bytes
whichever way a build made the answers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

from tipkg.errors import TipkgError

from . import precomputed as P
from .catalog import Query
from .ordering import order_keys, sort_rows, unordered
from .sparql import Results, run_local

INDEX = "index.json"
#: changed lines past which nothing is copied (the changed triples are indexed in memory; a delta
#: this big touches every query anyway)
BIG_DELTA = 1_000_000
#: an answer smaller than this is run again rather than checked against the delta: parsing a query's
#: patterns (rdflib, ~30 ms a text) costs more than running a small one (on the corpus ×10, answers
#: under 60 KB took 20–25 ms; at ×1 checking every query made the writer 0.30 → 0.46 CPU s)
WORTH_COPYING = 64 * 1024


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


def write(store, path: Path, catalog: dict[str, Query], delta=None) -> dict[str, Outcome]:
    """Answer every planned query of ``catalog`` on ``store`` into the folder ``path`` (or copy its
    answer from ``delta.previous`` when the delta cannot change it); write ``index.json``."""
    path.mkdir(parents=True, exist_ok=True)
    previous = _previous(delta)
    outcomes: dict[str, Outcome] = {}
    digests: dict[str, str] = {}
    for name, query in catalog.items():
        p = plan(query)
        if p is None:
            continue
        digests[name] = p.digest
        outcome = _copied(p, path, *previous) if previous else None
        outcomes[name] = outcome or _answer(store, p, path)
    index = {"queries": {name: {"plan": digests[name], "files": o.files, "determined": o.determined}
                         for name, o in sorted(outcomes.items())}}
    (path / INDEX).write_text(json.dumps(index, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return outcomes


def _previous(delta):
    """(the previous precomputed folder, its index, the changed triples), or None when there is
    nothing usable to copy from."""
    if delta is None or delta.removed_count + delta.added_count > BIG_DELTA:
        return None
    folder = Path(delta.previous) / P.FOLDER
    try:
        index = json.loads((folder / INDEX).read_text(encoding="utf-8"))["queries"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    from .reads import Changed  # late: rdflib's SPARQL parser (pyparsing) is a 0.15 s import a cold build never needs

    return folder, index, Changed(delta.removed, delta.added)


def _copied(p: Plan, path: Path, folder: Path, index: dict, changed) -> Outcome | None:
    """The previous answer of ``p`` linked into ``path``, if the delta cannot have changed it
    (``changed``: the delta's triples, a ``reads.Changed``)."""
    from .reads import reads

    entry = index.get(p.query.name)
    if not isinstance(entry, dict) or entry.get("plan") != p.digest or entry.get("determined") is not True:
        return None
    files = list(entry.get("files") or [])
    if not all(isinstance(f, str) and "/" not in f and (folder / f).is_file() for f in files):
        return None
    if sum((folder / f).stat().st_size for f in files) < WORTH_COPYING:
        return None  # running it again costs less than reading its patterns
    if any(changed.touches(reads(text)) for text in p.texts):
        return None
    for f in files:
        try:  # OUT is replaced whole, never written in place: a hard link shares bytes that never change
            os.link(folder / f, path / f)
        except OSError:
            shutil.copyfile(folder / f, path / f)
    return Outcome("copied" if files else "live", files, True)


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
    query = p.query
    if p.kind == "whole":
        results, determined = sorted_run(store, p.texts[0], query.path)
        return Outcome("ran", [P.write_answer(path, query.name, p.texts[0], results)], determined)
    if p.kind == "search":
        results, determined = sorted_run(store, p.texts[0], query.path)
        return Outcome("ran", P.write_text_view(path, query.name, p.texts[0], results), determined)
    answers, determined = _split(store, p)
    if answers is None:
        return Outcome("live", [], determined)
    terms: dict = {}
    return Outcome("ran", [P.write_answer(path, query.name, text, results, terms) for text, results in answers.items()],
                   determined)


def _split(store, p: Plan) -> tuple[dict[str, Results] | None, bool]:
    """The answer of each value of ``p.parameter`` (its query text -> rows), from one run with the
    parameter free; None when the split is not the live answer of the default value (the query is
    not of the shape assumed: parameter joined at the top), so that the query stays live."""
    query, parameter = p.query, p.parameter
    if parameter is None:
        raise ValueError(f"the plan of {query.name} splits by value but names no parameter")
    keys = order_keys(p.texts[1], _projected(p.texts[1]))
    bare = unordered(p.texts[0])
    try:
        results = run_local(store, bare if keys is not None and bare is not None else p.texts[0], query.path)
    except TipkgError:  # e.g. an aggregate, whose free form does not parse: it stays live
        return None, True
    variables = results.variables[1:]
    groups: dict[str, list] = {}
    for row in results.rows:
        if row[0] is not None:
            groups.setdefault(row[0].value, []).append(row[1:])
    determined, answers = True, {}
    for value, rows in groups.items():
        text = P.text_of(query, {parameter: value})
        done = sort_rows(rows, keys) if keys is not None else None
        if done is not None and not done[1]:
            answers[text] = Results(variables, tuple(done[0]))
        elif keys is not None and bare is not None:  # unsortable here or tied: the store orders this one
            answers[text] = run_local(store, text, query.path)
            determined = False
        else:  # the run was the store's own order (grouped by the value first)
            answers[text] = Results(variables, tuple(rows))
            determined = determined and done is not None and not done[1]
    default = p.texts[1]
    if answers.get(default, Results(variables, ())).rows != run_local(store, default, query.path).rows:
        return None, determined
    return answers, determined
