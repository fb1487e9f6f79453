"""Which values of a query's parameter a delta of the graph can change.

A catalog query of one actor or topic is answered for every value at build
time, one file per value (precompute.py). After a small edit, a changed line
usually touches a predicate such a query reads (a paragraph's gist is read
under every topic), yet changes the rows of one or two values only; this
module finds those values, so that the others' files are linked from the
previous OUT and only these are run again.

How: the query with its parameter free is read as a *required* part (its
basic graph patterns, joined) and *optional* parts (the right sides of its
``OPTIONAL``s along the top), from the parsed algebra. A row of value ``v``
differs between the previous graph and this one only if a solution of the
required part, or of the required part joined with one optional part, uses a
changed triple: a removed one in the previous graph, an added one in this
graph. So each pattern that can match changed triples is *probed*: the required
part (plus that pattern's optional part) with the pattern's variables bound to
the changed triples (``VALUES``), projecting the parameter, run on the store
where those triples are (the previous OUT's store for removed lines, the new
one for added lines). Dropping the query's FILTERs, BINDs and VALUES only
widens a probe, never narrows it, so the values found include every value
whose rows can differ.

Anything this reasoning does not cover makes the answer None (run the whole
query again): an ``EXISTS``/``NOT EXISTS``, ``MINUS``, ``UNION``, a
subquery, an aggregate, ``LIMIT``, ``GRAPH`` or ``SERVICE``; an ``OPTIONAL``
not on the top's left spine or holding more than triples; a property path
whose predicates a changed line carries (a path is not one triple); a blank
node among the changed terms; a parameter no required pattern binds.

>>> text = "SELECT ?t ?x WHERE { ?x <http://e/in> ?t . OPTIONAL { ?x <http://e/g> ?g } }"
>>> shape = Shape.of(text, "t")
>>> len(shape.required), len(shape.optional)
(1, 1)
>>> Shape.of("SELECT ?t WHERE { ?x <http://e/in> ?t FILTER NOT EXISTS { ?x <http://e/n> 1 } }", "t") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph
from rdflib.paths import Path as RdfPath
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import BNode, Literal, URIRef, Variable

from .algebra import Unreadable, algebra, path, predicates, triples, variables, walk

#: changed triples past which no values are probed (the whole query is run again)
MOST_CHANGED = 20_000
#: changed triples bound in one probe (one VALUES table)
PROBE_ROWS = 2_000
#: algebra nodes passed through on the way from the top to the patterns (their rows are a function of
#: the rows below, value by value)
_THROUGH = {"SelectQuery", "Project", "OrderBy", "Distinct", "Reduced", "Filter", "Extend"}


class _Undecided(Unreadable):
    """The query is not of a shape whose changed values can be probed."""


Triple = tuple  # (subject, predicate or path, object) as rdflib terms


@dataclass(frozen=True)
class Shape:
    """A query as probes see it: required triples, optional groups, and the variables probed (the
    parameter; or the keys of the rows, precompute._patched_search)."""

    variables: tuple[str, ...]
    required: tuple[Triple, ...]
    optional: tuple[tuple[Triple, ...], ...]

    @classmethod
    def of(cls, text: str, *variables: str) -> Shape | None:
        """The shape of ``text``, probed for ``variables`` (each bound by a required triple), None when
        it is not one probes can decide."""
        try:
            query = algebra(text)
            if query.algebra.get("datasetClause"):
                raise _Undecided
            required: list = []
            optional: list = []
            _spine(query.algebra, required, optional)
        except Exception:  # noqa: BLE001 — not parsed, or a form not read here: not decided
            return None
        for name in variables:
            variable = Variable(name)
            if not any(variable in (t[0], t[2]) or t[1] == variable for t in required):
                return None
        return cls(tuple(variables), tuple(required), tuple(tuple(group) for group in optional))

    def values(self, changed, new_store, old_store) -> set | None:
        """The values of the variables (a term, or a tuple of terms for more than one) whose rows the
        changed triples (``changed``: a ``reads.Changed`` holding them, ``removed`` and ``added``) can
        change; None when that cannot be decided."""
        if changed.removed is None or changed.added is None or \
                len(changed.removed) + len(changed.added) > MOST_CHANGED:
            return None
        found: set = set()
        try:
            for group in ((), *self.optional):
                for pattern in group or self.required:
                    if not _plain(pattern):
                        carried = _carried(pattern[1])
                        if any(carried(t) for t in (*changed.removed, *changed.added)):
                            return None  # a path over a changed predicate is not one triple: undecided
                        continue
                    for store, changes in ((old_store, changed.removed), (new_store, changed.added)):
                        rows = [row for t in changes if (row := _binding(pattern, t)) is not None]
                        for at in range(0, len(rows), PROBE_ROWS):
                            found |= self._probe(store, group, pattern, rows[at:at + PROBE_ROWS])
        except _Undecided:
            return None
        return found

    def _probe(self, store, group: tuple, pattern: Triple, rows: list[dict]) -> set:
        names = sorted({name for row in rows for name in row})
        body = [_render(t) for t in (*self.required, *group)]
        if names:
            table = " ".join("(" + " ".join(row[n] for n in names) + ")" for row in rows)
            body.append(f"VALUES ({' '.join('?' + n for n in names)}) {{ {table} }}")
        text = f"SELECT DISTINCT {' '.join('?' + v for v in self.variables)} WHERE {{\n" + " .\n".join(body) + "\n}"
        if len(self.variables) == 1:
            return {solution[0] for solution in store.query(text) if solution[0] is not None}
        return {tuple(solution) for solution in store.query(text)}


def _spine(node, required: list, optional: list) -> None:
    """Split the algebra below ``node`` into the required triples and the optional groups of the
    OPTIONALs on the top's left spine; raise _Undecided on anything else."""
    if not isinstance(node, CompValue):
        raise _Undecided
    name = node.name
    if name in _THROUGH:
        _no_exists(node.get("expr"))
        _spine(node.p, required, optional)
    elif name == "LeftJoin":
        _no_exists(node.get("expr"))
        optional.append(_bgp(node.p2))
        _spine(node.p1, required, optional)
    else:
        _joined(node, required, optional, set())


def _joined(node, required: list, optional: list, around: set) -> None:
    """Required triples of a part joined on the spine, ``around``: the variables of what it is joined
    with. An OPTIONAL below a join is read as one on the spine only when the variables its group shares
    with that are all bound by its own left side (a well-designed pattern: ``{A OPTIONAL {O} B}`` is
    then ``{A B OPTIONAL {O}}``); else which optional rows survive would depend on the join."""
    name = getattr(node, "name", None)
    if name == "BGP":
        required.extend(_checked(node))
    elif name == "ToMultiSet":  # a VALUES table: dropped, which only widens the probe
        pass
    elif name == "Join":
        _joined(node.p1, required, optional, around | variables(node.p2))
        _joined(node.p2, required, optional, around | variables(node.p1))
    elif name in ("Filter", "Extend"):
        _no_exists(node.get("expr"))
        _joined(node.p, required, optional, around)
    elif name == "LeftJoin":
        _no_exists(node.get("expr"))
        group = _bgp(node.p2)
        if (variables(node.p2) & around) - variables(node.p1):
            raise _Undecided
        optional.append(group)
        _joined(node.p1, required, optional, around)
    else:
        raise _Undecided


def _bgp(node) -> list:
    """The triples of an OPTIONAL's group: a basic graph pattern, perhaps filtered."""
    if getattr(node, "name", None) == "Filter":
        _no_exists(node.get("expr"))
        node = node.p
    if getattr(node, "name", None) != "BGP":
        raise _Undecided
    return _checked(node)


def _checked(bgp) -> list:
    """The triples of a basic graph pattern, each of terms (or a path) probes can bind and write."""
    out = triples(bgp)
    for s, p, o in out:
        for term in (s, o):
            if not isinstance(term, (URIRef, Variable, BNode, Literal)):
                raise _Undecided
        if not isinstance(p, (URIRef, Variable, RdfPath)):
            raise _Undecided
    return out


def _no_exists(expr) -> None:
    """An expression reading the graph itself (EXISTS, NOT EXISTS) is not a function of the row."""
    walk(expr, _not_exists)


def _not_exists(node) -> bool:
    if "EXISTS" in node.name.upper() or "graph" in node:
        raise _Undecided
    return True


def _plain(pattern: Triple) -> bool:
    return isinstance(pattern[1], (URIRef, Variable))


def _carried(rdf_path):
    """Whether a changed triple has a predicate the property path steps over (a test of the triple)."""
    try:
        over = predicates(path(rdf_path))
    except Unreadable:  # a negated property set: any predicate
        return lambda triple: True
    return lambda triple: triple.predicate.value in over


def _binding(pattern: Triple, triple: pyoxigraph.Triple) -> dict[str, str] | None:
    """The pattern's variables bound to ``triple``'s terms (as SPARQL), or None if it cannot match."""
    row: dict[str, str] = {}
    for term, value in zip(pattern, (triple.subject, triple.predicate, triple.object)):
        if isinstance(value, (pyoxigraph.BlankNode, pyoxigraph.Triple)):
            raise _Undecided  # not writable in a VALUES table
        if isinstance(term, URIRef):
            if not isinstance(value, pyoxigraph.NamedNode) or value.value != str(term):
                return None
        elif isinstance(term, (Variable, BNode)):
            name = _name(term)
            if row.setdefault(name, str(value)) != str(value):
                return None
        # a literal constant: left to the store (its equality is the store's), the probe only widens
    return row


def _name(term) -> str:
    return str(term) if isinstance(term, Variable) else "_b" + str(term)


def _render(pattern: Triple) -> str:
    s, p, o = pattern
    return " ".join("?" + _name(t) if isinstance(t, (Variable, BNode)) else t.n3() for t in (s, p, o))
