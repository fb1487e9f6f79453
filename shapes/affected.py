"""Validation over a delta: only the focus nodes a change of the graph can affect, same report.

When the previous build conformed with no results, the new graph's report is the
results of the focus nodes whose results can differ; every other node's are still
none. Which can differ is read off each compiled check (``check_reads.reads``: the
triples it reads, at the end of which path from ``?this``), not off the shapes by
hand: a changed triple ``s p o`` and a read (P, p, forward) give the focus nodes
``f`` with ``f P s`` in the new graph (inverse: ``f P o``). Target membership is the
same thing (``?this a ?_class``: rdf:type read at ``?this``); sh:class on a value,
sh:or, sh:node, qualified counts and ``sh:sparql`` bodies are longer paths. A check
that cannot be bounded runs whole.

The restricted checks come from the same compiler (``_Restricted``): each shape's focus
nodes become ``VALUES ?this { … }`` tested for membership, and every check starts from
them (a ``sh:sparql`` body gets the VALUES inside its own WHERE, where Oxigraph joins
it first). A change of ``rdfs:subClassOf`` in the data changes the compiled checks
themselves: no delta validation then (``validate_delta`` returns None).
"""


from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyoxigraph as ox
from rdflib import RDFS, Graph

from tipkg.shapes.check_reads import Read, Unbounded, derive_reads, load_reads, reads, save_reads
from tipkg.shapes import check_reads
from tipkg.shapes.shacl_sparql import Check, Compiler

if TYPE_CHECKING:
    from tipkg.shapes.validate import ValidationReport

#: where a restricted check's focus nodes go (a comment in SPARQL: a query left unfilled does not parse)
AFFECTED = "#AFFECTED#\n"
_SUBCLASS = str(RDFS.subClassOf)


# -- the restricted checks ------------------------------------------------------------------------------

class _Restricted(Compiler):
    """The compiler with each focus set cut to ``VALUES ?this { AFFECTED }`` (tested for membership),
    so every check starts from the few focus nodes, and looks their values up (NOT EXISTS, not MINUS:
    Oxigraph evaluates MINUS's right side whole); a ``sh:sparql`` body binds ``?this`` itself."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.whole: dict[str, str] = {}  # restricted focus -> the shape's whole focus (for sh:node's values)
        self.members: dict[str, str] = {}  # restricted focus -> its membership test of a bound ?this

    def focus(self, shape) -> tuple[str, None]:
        select, member = super().focus(shape)
        assert member is not None  # Compiler.focus always gives a membership test (only this override gives None)
        restricted = f"{{ SELECT DISTINCT ?this WHERE {{ VALUES ?this {{ {AFFECTED} }} FILTER ({member}) }} }}"
        self.whole[restricted], self.members[restricted] = select, member
        return restricted, None  # no membership test: every check starts from the focus nodes

    def values_focus(self, shape, focus: str) -> str:
        """The values that are the focus nodes of a ``sh:node``, restricted: from the values back to a
        focus node of the shape (its membership test on ``?_f``), or else joined with its whole focus."""
        whole = self.whole.get(focus, focus)
        back = self.triple(shape, "?_f", "?this")
        if focus in self.members:
            member = re.sub(r"\?this\b", "?_f", self.members[focus])
            select = f"{{ SELECT DISTINCT ?this WHERE {{ VALUES ?this {{ {AFFECTED} }} {back} FILTER ({member}) }} }}"
        else:
            select = (f"{{ SELECT DISTINCT ?this WHERE {{ VALUES ?this {{ {AFFECTED} }} "
                      f"{{ SELECT (?this AS ?_f) WHERE {{ {whole} }} }} {back} }} }}")
        self.whole[select] = super().values_focus(shape, whole)
        return select

    def without(self, pattern: str) -> str:
        return f"FILTER NOT EXISTS {pattern}"  # a lookup per focus node: there are few

    def implied(self, shape, select: str, prefixes: list[str]) -> bool:
        return False  # the restricted focus nodes are what the check runs over: always joined

    def constraint_body(self, body: str) -> str:
        return re.sub(r"\bWHERE\s*\{", lambda m: f"{m.group(0)} VALUES ?this {{ {AFFECTED} }} ", body, count=1,
                      flags=re.IGNORECASE)


def restricted_checks(shapes: Graph, closure: dict[str, set[str]]) -> list[Check]:
    """``compile_shapes`` with every focus set left to fill in (``AFFECTED``), in the same order."""
    return _Restricted(shapes, closure, False).compile()  # sh:or as a test per focus node, not sets MINUS sets


# -- the changed triples, the focus nodes they reach, the validation --------------------------------------

@dataclass
class Changes:
    """The subjects and objects of the added and removed triples, by predicate."""

    subjects: dict[str, set] = field(default_factory=lambda: defaultdict(set))
    objects: dict[str, set] = field(default_factory=lambda: defaultdict(set))
    count: int = 0

    @classmethod
    def of(cls, *files: Path) -> "Changes":
        out = cls()
        for path in files:
            for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
                out.subjects[t.predicate.value].add(t.subject)
                out.objects[t.predicate.value].add(t.object)
                out.count += 1
        return out

    def at(self, read: Read) -> set:
        """The nodes where ``read`` may see a changed triple."""
        by = self.subjects if read.forward else self.objects
        if read.predicate is not None:
            return by.get(read.predicate, set())
        return set().union(*by.values())


def _values(nodes) -> str:
    if any(isinstance(n, ox.BlankNode) for n in nodes):
        raise Unbounded("a blank node")  # not a constant in a query: the check runs whole
    return " ".join(str(n) for n in nodes)


def focus_nodes(store: ox.Store, found: frozenset[Read], changes: Changes, memo: dict) -> set:
    """The focus nodes whose results of a check reading ``found`` may differ: those that reach, along a
    read's path in the new graph, a node where the read sees a changed triple."""
    out: set = set()
    for read in found:
        key = (read.path, read.predicate, read.forward)
        if key not in memo:
            at = changes.at(read)
            if not read.path or not at:
                memo[key] = at
            else:
                memo[key] = set()
                nodes = sorted(at, key=str)
                for i in range(0, len(nodes), 2000):
                    query = (f"SELECT DISTINCT ?f WHERE {{ VALUES ?x {{ {_values(nodes[i:i + 2000])} }} "
                             f"?f {read.path} ?x }}")
                    rows = cast(ox.QuerySolutions, store.query(query))  # a SELECT: its solutions
                    memo[key] |= {row[0] for row in rows}
        out |= memo[key]
    return out


def conformed(record: dict | None) -> bool:
    """Whether the build that wrote the previous OUT was validated and had no results at all (its stamp's
    validation line, ``ValidationReport.text``'s first): then only the affected focus nodes can have any.

    >>> conformed({"validation": "conforms: 10 triples, no violations (sparql (oxigraph) 0.10s)"})
    True
    >>> [conformed({"validation": v}) for v in ("SKIPPED", "conforms: 2 results in 1 shapes, 10 triples ()")]
    [False, False]
    """
    line = (record or {}).get("validation") or ""
    return line.startswith("conforms:") and "no violations" in line


_restricted: dict[tuple, list[Check]] = {}
LARGE = 10  # a delta of more than a tenth of the graph's triples is validated whole
MANY = 20_000  # a check whose affected focus nodes are more runs whole (one VALUES list that long is no gain)


def validate_delta(store: ox.Store, delta, shapes: Graph | None = None, ontology: Graph | None = None, *,
                   reopen=None, cache: Path | None = None) -> "ValidationReport | None":
    """The report of validating ``store`` (the new graph: the previous one plus ``delta``, a
    ``graph.delta.Delta``), from the checks restricted to the focus nodes the delta can affect; the
    same as ``validate(store)``'s when the previous build conformed. None when it cannot be done so
    (the previous build did not conform or was not validated; ``rdfs:subClassOf`` changed; more than a
    ``LARGE``-th of the triples changed): validate whole.
    ``cache``: the build's cache folder, where the checks' reads are kept between builds."""
    from tipkg.ontology.files import ontology_graph
    from tipkg.shapes.validate import (ValidationReport, class_pairs, compiled, default_graph_size, load_shapes,
                                       run_checks)
    from tipkg.shapes.shacl_sparql import subclass_closure

    if not conformed(delta.record):
        return None
    clock = time.perf_counter()
    total = delta.record.get("triples")
    if total is not None and (delta.removed_count + delta.added_count) * LARGE > int(total):
        return None  # a large part of the graph changed: the whole validation costs less than the lookups
    changes = Changes.of(delta.removed, delta.added)
    if changes.subjects.get(_SUBCLASS):
        return None  # the class hierarchy is compiled into the checks
    shapes = shapes if shapes is not None else load_shapes()
    ontology = ontology if ontology is not None else ontology_graph()
    checks = compiled(shapes, ontology, store)
    key = (id(shapes), len(shapes), class_pairs(ontology, store))
    if key not in _restricted:
        _restricted.clear()
        _restricted[key] = restricted_checks(shapes, subclass_closure(key[2]))
    timings = {"changes, compile": time.perf_counter() - clock}
    clock = time.perf_counter()
    kept = load_reads(cache) if cache is not None else set()
    derive_reads(checks)
    chosen, nodes, whole = [], set(), []
    memo: dict[tuple[str, str | None, bool], set] = {}  # a read -> the focus nodes it leads to
    for check, restricted in zip(checks, _restricted[key]):
        found = reads(check.query)
        try:
            if found is None:
                raise Unbounded("not bounded")
            focus = focus_nodes(store, found, changes, memo)
            if len(focus) > MANY:
                raise Unbounded("too many focus nodes")  # the check over all of them, as a whole validation
            if focus:
                values = _values(sorted(focus, key=str))
                chosen.append(replace(restricted, query=restricted.query.replace(AFFECTED, values), focused=None, sizes=None))
                nodes |= focus
        except Unbounded:
            chosen.append(check)
            whole.append(check)
    if cache is not None and set(check_reads.known_reads) - kept:
        save_reads(cache)
    timings["focus nodes"] = time.perf_counter() - clock
    clock = time.perf_counter()
    results = run_checks(store, chosen, reopen)
    timings["sparql (oxigraph)"] = time.perf_counter() - clock
    scope = (f"delta validation of {changes.count} changed triples: {len(nodes)} focus nodes, "
             f"{len(chosen)} of {len(checks)} checks" + (f" ({len(whole)} whole)" if whole else ""))
    count = delta.record.get("triples")  # the store is the previous one plus the delta (graph/delta.py)
    count = default_graph_size(store) if count is None else int(count) - delta.removed_count + delta.added_count
    return ValidationReport(results, timings, count, scope=scope)
