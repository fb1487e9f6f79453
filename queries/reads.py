"""Which triples a SPARQL query can read, and whether a delta of the graph touches any of them.

A rebuild after one source changed has a ``Delta`` (graph/delta.py): the
N-Triples lines removed from the previous ``graph.nt`` and those added. The
answer of a query is a function of the triples its patterns can match, so if
no removed or added line can match any pattern of the query, its answer on the
new graph is its answer on the previous one, and the build copies the answer
it wrote last time (precomputed.py) instead of running the query again.

The patterns are read from the parsed query (rdflib's SPARQL algebra, walked
by ``queries/algebra.py``), never from its text, and widened wherever the
query could read more than its triple patterns say, so "cannot be changed" is
sound:

* a triple pattern keeps its constant IRIs (subject, predicate, object); a
  variable, a blank node or a literal matches anything (a literal's equality
  is the store's, so it is not relied on) — except a variable that a VALUES
  table joined with the pattern's basic graph pattern binds to IRIs on every
  row (``VALUES ?class { tip:A tip:B } ?doc a ?class``): a triple with another
  IRI there joins with no row of the table, so only those IRIs are read;
* a property path reads triples whose predicate is one of the IRIs in it, with
  any subject and object; a negated property set reads every predicate;
* a path that can match zero steps (``*``, ``?``) also relates every node of
  the graph to itself, so it depends on which nodes exist — unless one end is
  a constant, or a variable that another triple pattern of the same basic
  graph pattern (an inner join) also binds: that pattern's own triples then
  decide which nodes survive the join; otherwise the query reads everything;
* ``GRAPH``, ``SERVICE``, a ``FROM`` clause, or anything not recognised here:
  everything.

>>> patterns = reads("SELECT ?x WHERE { ?x a <http://e/C> ; <http://e/p>/<http://e/q>* ?y }")
>>> sorted(patterns, key=str)
[(None, 'http://e/p', None), (None, 'http://e/q', None), (None, 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type', 'http://e/C')]
>>> reads("SELECT ?x WHERE { ?x <http://e/q>* ?y }")
[(None, None, None)]
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
from rdflib.term import BNode, Literal, URIRef, Variable

from .algebra import Unreadable, algebra, path, predicates, triples, walk, zero_length

#: (subject, predicate, object): an IRI, or None for "any term"
Pattern = tuple[str | None, str | None, str | None]
EVERYTHING: Pattern = (None, None, None)
#: algebra nodes whose triples are not (only) the store's default graph
_OPAQUE = {"Graph", "GraphGraphPattern", "ServiceGraphPattern", "ServiceGraph", "Load", "DescribeQuery"}


def reads(text: str) -> list[Pattern]:
    """The triple patterns ``text`` can read (``[EVERYTHING]`` when it may read any triple)."""
    found: set[Pattern] = set()
    try:
        query = algebra(text)
        if query.algebra.get("datasetClause"):
            raise Unreadable("a FROM clause")
        walk(query.algebra, lambda node: _visit(node, found))
    except Unreadable:
        return [EVERYTHING]
    return sorted(found, key=lambda p: tuple(x or "" for x in p)) if EVERYTHING not in found else [EVERYTHING]


def _visit(node, found: set) -> bool:
    """Add the patterns of one algebra node to ``found``; whether its parts are still to be read."""
    if node.name in _OPAQUE:
        raise Unreadable(node.name)
    if node.name == "Join":  # VALUES joined with a basic graph pattern: its variables take only those IRIs
        for table, bgp in ((node.p1, node.p2), (node.p2, node.p1)):
            if getattr(bgp, "name", None) == "BGP" and (only := _iris_of(table)):
                _triples(triples(bgp), found, only)
                walk(table, lambda part: _visit(part, found))
                return False
    if node.name in ("BGP", "TriplesBlock"):
        _triples(triples(node), found)
    return True


def _iris_of(table) -> dict:
    """The variables a VALUES table (``ToMultiSet(values)``) binds to an IRI on every row, with those IRIs."""
    if getattr(table, "name", None) != "ToMultiSet" or getattr(table.p, "name", None) != "values":
        return {}
    rows = table.p.get("res") or []
    names = set().union(*(row.keys() for row in rows)) if rows else set()
    return {v: {str(row[v]) for row in rows} for v in names
            if all(isinstance(row.get(v), URIRef) for row in rows)}


def _constant(term) -> str | None:
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, (Variable, BNode, Literal)):
        return None
    raise Unreadable(f"a term {term!r}")  # a parse form not understood here


def _triples(patterns: list[tuple], found: set, only: dict | None = None) -> None:
    """The patterns of one basic graph pattern (a join of its triples); ``only``: variables a VALUES
    table joined with it binds, each to a set of IRIs (its other matches join with no row)."""
    only = only or {}
    bound = set()  # variables a triple of this join binds to nodes of the graph
    for s, p, o in patterns:
        if isinstance(p, (URIRef, Variable)) or not zero_length(path(p)):
            bound |= {x for x in (s, o) if isinstance(x, (Variable, BNode))}
    for s, p, o in patterns:
        if isinstance(p, (URIRef, Variable)):
            for ts in _choices(s, only):
                for tp in _choices(p, only):
                    for to in _choices(o, only):
                        found.add((ts, tp, to))
        else:
            if zero_length(path(p)) and all(isinstance(x, (Variable, BNode)) and x not in bound for x in (s, o)):
                raise Unreadable("a path of zero steps between free ends")  # every node of the graph matches itself
            _constant(s), _constant(o)
            found.update((None, iri, None) for iri in predicates(path(p)))


def _choices(term, only: dict) -> list[str | None]:
    """The IRIs ``term`` can match: itself if a constant IRI, its VALUES if it has them, else any (None)."""
    if isinstance(term, Variable) and term in only:
        return sorted(only[term])
    return [_constant(term)]


class Changed:
    """The triples of a delta (removed and added lines), indexed to ask whether a pattern matches one."""

    def __init__(self, removed: Path, added: Path, keep: int = 20_000):
        self.count = 0
        self._by_predicate: dict[str, list[tuple[str, str]]] = {}
        #: the removed and added triples themselves while there are at most ``keep`` (probe.py), else None
        self.removed: list[pyoxigraph.Triple] | None = []
        self.added: list[pyoxigraph.Triple] | None = []
        for file, kept in ((removed, self.removed), (added, self.added)):
            for triple in pyoxigraph.parse(path=str(file), format=pyoxigraph.RdfFormat.N_TRIPLES):
                self.count += 1
                self._by_predicate.setdefault(triple.predicate.value, []).append(
                    (_iri(triple.subject), _iri(triple.object)))
                if self.count <= keep:
                    kept.append(triple)
        if self.count > keep:
            self.removed = self.added = None

    def touches(self, patterns: list[Pattern]) -> bool:
        """Whether any changed triple matches any of ``patterns``."""
        for s, p, o in patterns:
            groups = self._by_predicate.values() if p is None else [self._by_predicate.get(p, ())]
            for lines in groups:
                if any((s is None or s == ls) and (o is None or o == lo) for ls, lo in lines):
                    return True
        return False


def _iri(term) -> str:
    """An IRI's text; "" for a blank node or literal (never equal to a pattern's constant IRI)."""
    return term.value if isinstance(term, pyoxigraph.NamedNode) else ""
