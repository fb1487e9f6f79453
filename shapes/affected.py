"""Validation over a delta: only the focus nodes a change of the graph can affect, same report.

When the previous build conformed with no results, the new graph's report is the
results of the focus nodes whose results can differ; every other node's are still
none. Which can differ is read off each compiled check (``shapes/shacl_sparql.py``),
not off the shapes by hand: its query is parsed (rdflib's SPARQL algebra) into the
triple patterns it joins, and from ``?this`` each pattern is reached along a path
(the patterns between, property paths included, inverse steps as ``^p``). A pattern
``x p y`` reached at ``x`` along path P is a *read* (P, p, forward): an added or
removed triple ``s p o`` can change the answer only for the focus nodes ``f`` with
``f P s`` — in the new graph: on the shortest path to the first changed triple of a
solution, all earlier triples are unchanged, so they are there in the new graph too.
Reached at ``y`` it is (P, p, inverse), and ``o`` is looked up. Target membership is
the same thing (``?this a ?_class``: rdf:type read at ``?this``); sh:class on a value,
sh:or, sh:node, qualified counts, ``sh:sparql`` bodies and their EXISTS are just
longer paths. A pattern no path from ``?this`` reaches (``FILTER (?a = ?b)`` joining
parts, GRAPH, SERVICE) cannot be bounded: that check runs whole (``Bounds.whole``).
Sub-selects, EXISTS and MINUS are scoped: their own variables are not the outer ones.

The restricted checks come from the same compiler (``_Restricted``): each shape's focus
nodes become ``VALUES ?this { … }`` tested for membership, and every check starts from
them (a ``sh:sparql`` body gets the VALUES inside its own WHERE, where Oxigraph joins
it first). A change of ``rdfs:subClassOf`` in the data changes the compiled checks
themselves: no delta validation then (``validate_delta`` returns None).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDFS, BNode, Graph, URIRef, Variable
from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, SequencePath

from tipkg.shapes.shacl_sparql import Check, _Compiler

#: where a restricted check's focus nodes go (a comment in SPARQL: a query left unfilled does not parse)
AFFECTED = "#AFFECTED#\n"
_ANY = "urn:x-tipkg:no-such-predicate"  # ``!<this>``: any predicate (a variable predicate's step)
_SUBCLASS = str(RDFS.subClassOf)


class Unbounded(Exception):
    """A check whose affected focus nodes cannot be read off its query."""


@dataclass(frozen=True)
class Read:
    """A triple the check reads: predicate ``predicate`` (None: any) at a node ``path`` leads to from ``?this``
    (a SPARQL property path; "" for ``?this`` itself), the node being the triple's subject when ``forward``."""

    path: str
    predicate: str | None
    forward: bool


# -- paths: tuples ("iri", p) ("inv", p) ("any",) ("anyinv",) ("seq", …) ("alt", …) ("star"|"plus"|"opt", x) --------

EPS = ("seq",)


def _seq(*parts) -> tuple:
    flat = [x for p in parts for x in (p[1:] if p[0] == "seq" else (p,))]
    return flat[0] if len(flat) == 1 else ("seq", *flat)


def _inv(p) -> tuple:
    kind = p[0]
    if kind in ("iri", "inv"):
        return ("inv" if kind == "iri" else "iri", p[1])
    if kind in ("any", "anyinv"):
        return ("anyinv",) if kind == "any" else ("any",)
    if kind == "seq":
        return _seq(*(_inv(x) for x in reversed(p[1:])))
    if kind == "alt":
        return ("alt", *(_inv(x) for x in p[1:]))
    return (kind, _inv(p[1]))


def _path(p) -> tuple:
    """rdflib's predicate or path of a triple pattern as a tuple."""
    if isinstance(p, URIRef):
        return ("iri", str(p))
    if isinstance(p, (Variable, BNode)):
        return ("any",)
    if isinstance(p, InvPath):
        return _inv(_path(p.arg))
    if isinstance(p, SequencePath):
        return _seq(*(_path(x) for x in p.args))
    if isinstance(p, AlternativePath):
        return ("alt", *(_path(x) for x in p.args))
    if isinstance(p, MulPath):
        return ({"*": "star", "+": "plus", "?": "opt"}[p.mod], _path(p.path))
    if isinstance(p, NegatedPath):
        return ("alt", ("any",), ("anyinv",))
    raise Unbounded(f"predicate {p!r}")


def sparql_path(p) -> str:
    """The tuple as a SPARQL property path."""
    kind = p[0]
    if kind == "iri":
        return f"<{p[1]}>"
    if kind == "inv":
        return f"^<{p[1]}>"
    if kind == "any":
        return f"!<{_ANY}>"
    if kind == "anyinv":
        return f"!^<{_ANY}>"
    if kind == "seq":
        return "(" + "/".join(sparql_path(x) for x in p[1:]) + ")"
    if kind == "alt":
        return "(" + "|".join(sparql_path(x) for x in p[1:]) + ")"
    return f"({sparql_path(p[1])}){ {'star': '*', 'plus': '+', 'opt': '?'}[kind]}"


def _reads(p) -> list[tuple[tuple, str | None, bool]]:
    """The triples a traversal of path ``p`` reads: (path from its start to the node read, predicate, forward)."""
    kind = p[0]
    if kind in ("iri", "inv"):
        return [(EPS, p[1], kind == "iri")]
    if kind in ("any", "anyinv"):
        return [(EPS, None, kind == "any")]
    if kind == "seq":
        if len(p) == 1:
            return []
        first, rest = p[1], _seq(*p[2:]) if len(p) > 2 else EPS
        return _reads(first) + [(_seq(first, prefix), pred, fwd) for prefix, pred, fwd in _reads(rest)]
    if kind == "alt":
        return [r for x in p[1:] for r in _reads(x)]
    if kind == "opt":
        return _reads(p[1])
    return [(_seq(("star", p[1]), prefix), pred, fwd) for prefix, pred, fwd in _reads(p[1])]  # star, plus


# -- the patterns of a query: alternatives (one per UNION branch) of edges between scoped variables ------------

class _Scope:
    fresh = itertools.count()

    def __init__(self, names: dict[str, str] | None = None):
        self.names = names if names is not None else {}

    def key(self, term) -> str:
        if isinstance(term, (Variable, BNode)):
            name = str(term)
            if name not in self.names:
                self.names[name] = f"{name}#{next(self.fresh)}"
            return self.names[name]
        return "=" + term.n3()  # a constant: the same node everywhere

    def sharing(self, names) -> "_Scope":
        """A scope of its own (a sub-select, EXISTS, MINUS) that shares ``names`` with this one."""
        return _Scope({n: self.key(Variable(n)) for n in names})


_CAP = 4096  # alternatives (UNION branches multiplied out) past which a check is not bounded


def _product(*choices: list[list]) -> list[list]:
    out = [[]]
    for options in choices:
        out = [a + b for a in out for b in options]
        if len(out) > _CAP:
            raise Unbounded("too many UNION branches")
    return out


def _names(node) -> set[str]:
    """The variables a pattern binds (a sub-select: only those it projects)."""
    name = getattr(node, "name", None)
    if name == "BGP":
        return {str(t) for triple in node.triples for t in (triple[0], triple[2], triple[1])
                if isinstance(t, (Variable, BNode))}
    if name == "Project":
        return {str(v) for v in node.PV}
    if name == "values":
        return {str(v) for row in node.res for v in row}
    out = {str(node.var)} if name == "Extend" else set()
    for part in ("p", "p1", "p2"):
        if part in node:
            out |= _names(node[part])
    return out


def _exists(expr, scope: _Scope, outer: set[str]) -> list[list]:
    """The patterns of the EXISTS / NOT EXISTS inside a filter expression, joined."""
    found = []

    def visit(e):
        if getattr(e, "name", None) in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            from rdflib.plugins.sparql.algebra import translateGroupGraphPattern
            found.append(_walk(translateGroupGraphPattern(e.graph), scope.sharing(outer)))
            return
        if hasattr(e, "values"):
            for v in e.values():
                visit(v)
        elif isinstance(e, (list, tuple)):
            for v in e:
                visit(v)

    visit(expr)
    return _product(*found)


def _walk(node, scope: _Scope) -> list[list]:
    name = getattr(node, "name", None)
    if name in ("SelectQuery", "Distinct", "Reduced", "OrderBy", "Slice", "ToMultiSet", "Group", "AggregateJoin"):
        return _walk(node.p, scope)
    if name == "Project":
        return _walk(node.p, scope.sharing(str(v) for v in node.PV))
    if name == "BGP":
        return [[(scope.key(s), _path(p), scope.key(o)) for s, p, o in node.triples]]
    if name == "values":
        return [[]]
    if name == "Join":
        return _product(_walk(node.p1, scope), _walk(node.p2, scope))
    if name == "Union":
        return _walk(node.p1, scope) + _walk(node.p2, scope)
    if name == "LeftJoin":
        return _product(_walk(node.p1, scope), _walk(node.p2, scope),
                        _exists(node.expr, scope, _names(node.p1) | _names(node.p2)))
    if name == "Minus":
        return _product(_walk(node.p1, scope), _walk(node.p2, scope.sharing(_names(node.p1))))
    if name == "Filter":
        return _product(_walk(node.p, scope), _exists(node.expr, scope, _names(node.p)))
    if name == "Extend":
        alias = [[(scope.key(node.var), EPS, scope.key(node.expr))]] if isinstance(node.expr, Variable) else \
            _exists(node.expr, scope, _names(node.p))
        return _product(_walk(node.p, scope), alias)
    raise Unbounded(f"a {name} pattern")


def _alternative_reads(edges: list, root: str) -> set[Read]:
    """The reads of one alternative: each edge from its endpoint nearer to ``?this`` (breadth first)."""
    adjacent = defaultdict(list)
    for u, p, v in edges:
        adjacent[u].append((p, v))
        adjacent[v].append((_inv(p), u))
    path, order = {root: EPS}, [root]
    for node in order:
        for p, other in adjacent[node]:
            if other not in path:
                path[other] = _seq(path[node], p)
                order.append(other)
    rank = {n: i for i, n in enumerate(order)}
    out = set()
    for u, p, v in edges:
        if u not in path:
            raise Unbounded("a pattern not joined to ?this")
        start, step = (u, p) if rank[u] <= rank[v] else (v, _inv(p))
        for prefix, pred, fwd in _reads(step):
            full = _seq(path[start], prefix)
            out.add(Read("" if full == EPS else sparql_path(full), pred, fwd))
    return out


# literals (each its own: a constant in a pattern is a node), IN lists and VALUES rows read nothing
_CONSTANTS = [(re.compile(r'"(?:[^"\\]|\\.)*"(?!\^\^)'), None),
              (re.compile(r"\bIN \((?:\s*<[^>]*>\s*,?)*\)"), "IN (<urn:x>)"),
              (re.compile(r"(\bVALUES \?\w+ \{)(?:\s*<[^>]*>)*\s*\}"), r"\1 <urn:x> }")]


def _reads_of(normalized: str) -> frozenset[Read] | None:
    from rdflib.plugins.sparql.algebra import translateQuery  # a slow import: only when a check is new
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        scope = _Scope({"this": "this"})
        alternatives = _walk(translateQuery(parseQuery(normalized)).algebra, scope)
        return frozenset(r for edges in alternatives for r in _alternative_reads(edges, "this"))
    except Unbounded:
        return None


#: reads by the SHA-1 of the normalized query: parsed once per process, and kept in the build's cache
#: folder across builds (``load_reads``/``save_reads``): rdflib's parser takes ~20 ms a check, 3 s in all
_known: dict[str, frozenset[Read] | None] = {}
_READS_FILE = "validation-reads.json"


def _normalized(query: str) -> tuple[str, str]:
    """(key, query) with the constants that read nothing blanked: the parser is slow, and many checks become one."""
    for pattern, blank in _CONSTANTS:
        number = itertools.count()
        query = pattern.sub(blank or (lambda m: f'"{next(number)}"'), query)
    return hashlib.sha1(query.encode()).hexdigest(), query


def reads(query: str) -> frozenset[Read] | None:
    """What a check's query reads, relative to ``?this``; None when it cannot be bounded."""
    key, query = _normalized(query)
    if key not in _known:
        _known[key] = _reads_of(query)
    return _known[key]


def derive_reads(checks: list[Check]) -> None:
    """The reads of every check not known yet, half of them in a forked child (``validate._share``)."""
    from tipkg.shapes.validate import _share

    missing = dict(_normalized(c.query) for c in checks)
    missing = sorted((k, q) for k, q in missing.items() if k not in _known)
    found = _share([q for _, q in missing], lambda part: [_reads_of(q) for q in part],
                   lambda part: [_reads_of(q) for q in part])
    _known.update(zip((k for k, _ in missing), found))


def load_reads(folder: Path | None) -> set[str]:
    """What earlier builds derived (``save_reads``), if the file is there and readable; its keys."""
    try:
        data = json.loads((Path(folder) / _READS_FILE).read_text(encoding="utf-8"))
        found = {k: None if v is None else frozenset(Read(*r) for r in v) for k, v in data.items()}
    except (OSError, ValueError, TypeError):
        return set()
    _known.update({k: v for k, v in found.items() if k not in _known})
    return set(found)


def save_reads(folder: Path | None) -> None:
    """Keep the derived reads for the next build (written whole, then renamed: never half a file)."""
    if folder is None or not Path(folder).is_dir():
        return
    path = Path(folder) / _READS_FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    data = {k: None if v is None else sorted(([r.path, r.predicate, r.forward] for r in v), key=json.dumps)
            for k, v in _known.items()}
    try:
        tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a cache that cannot be written costs the next build the parsing, nothing else
        tmp.unlink(missing_ok=True)


# -- the restricted checks ------------------------------------------------------------------------------

class _Restricted(_Compiler):
    """The compiler with each focus set cut to ``VALUES ?this { AFFECTED }`` (tested for membership),
    so every check starts from the few focus nodes, and looks their values up (NOT EXISTS, not MINUS:
    Oxigraph evaluates MINUS's right side whole); a ``sh:sparql`` body binds ``?this`` itself."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.whole: dict[str, str] = {}  # restricted focus -> the shape's whole focus (for sh:node's values)
        self.members: dict[str, str] = {}  # restricted focus -> its membership test of a bound ?this

    def focus(self, shape) -> tuple[str, None]:
        select, member = super().focus(shape)
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
                    memo[key] |= {row[0] for row in store.query(query)}
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


def validate_delta(store: ox.Store, delta, shapes: Graph | None = None, ontology: Graph | None = None, *,
                   reopen=None, cache: Path | None = None) -> "ValidationReport | None":
    """The report of validating ``store`` (the new graph: the previous one plus ``delta``, a
    ``graph.delta.Delta``), from the checks restricted to the focus nodes the delta can affect; the
    same as ``validate(store)``'s when the previous build conformed. None when it cannot be done so
    (the previous build did not conform or was not validated; ``rdfs:subClassOf`` changed): validate whole.
    ``cache``: the build's cache folder, where the checks' reads are kept between builds."""
    from tipkg.shapes.validate import (ValidationReport, _ontology, _triples, class_pairs, compiled, load_shapes,
                                       run_checks)
    from tipkg.shapes.shacl_sparql import subclass_closure

    if not conformed(delta.record):
        return None
    clock = time.perf_counter()
    changes = Changes.of(delta.removed, delta.added)
    if changes.subjects.get(_SUBCLASS):
        return None  # the class hierarchy is compiled into the checks
    shapes = shapes if shapes is not None else load_shapes()
    ontology = ontology if ontology is not None else _ontology()
    checks = compiled(shapes, ontology, store)
    key = (id(shapes), len(shapes), class_pairs(ontology, store))
    if key not in _restricted:
        _restricted.clear()
        _restricted[key] = restricted_checks(shapes, subclass_closure(key[2]))
    timings = {"changes, compile": time.perf_counter() - clock}
    clock = time.perf_counter()
    kept = load_reads(cache) if cache is not None else set()
    derive_reads(checks)
    chosen, nodes, whole, memo = [], set(), [], {}
    for check, restricted in zip(checks, _restricted[key]):
        found = reads(check.query)
        try:
            if found is None:
                raise Unbounded("not bounded")
            focus = focus_nodes(store, found, changes, memo)
            if focus:
                values = _values(sorted(focus, key=str))
                chosen.append(replace(restricted, query=restricted.query.replace(AFFECTED, values), focused=None, sizes=None))
                nodes |= focus
        except Unbounded:
            chosen.append(check)
            whole.append(check)
    if cache is not None and set(_known) - kept:
        save_reads(cache)
    timings["focus nodes"] = time.perf_counter() - clock
    clock = time.perf_counter()
    results = run_checks(store, chosen, reopen)
    timings["sparql (oxigraph)"] = time.perf_counter() - clock
    scope = (f"delta validation of {changes.count} changed triples: {len(nodes)} focus nodes, "
             f"{len(chosen)} of {len(checks)} checks" + (f" ({len(whole)} whole)" if whole else ""))
    count = delta.record.get("triples")  # the store is the previous one plus the delta (graph/delta.py)
    count = _triples(store) if count is None else int(count) - delta.removed_count + delta.added_count
    return ValidationReport(results, timings, count, scope=scope)
