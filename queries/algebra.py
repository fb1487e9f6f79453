"""A SPARQL query's algebra, read: parsed once, walked node by node, its property paths as tuples.

Three parts of the build ask what a query reads, each for its own reason: which
triples a catalog query can read, so an answer a delta cannot touch is copied
(``queries/reads.py``); which of its parameter's values a delta can change
(``queries/probe.py``); which focus nodes of a validation check a delta can
change (``shapes/check_reads.py``). Each interprets the algebra its own way;
this module is what they share, so the tree is walked and a path is read in one
place: ``parse``/``algebra`` (rdflib's parser and translation), ``walk`` (every
algebra node below a part of the tree), ``variables``, ``triples`` (a basic
graph pattern's), and the paths (``path``: an rdflib predicate or property path
as a tuple; ``predicates``, ``zero_length``, ``sparql_path`` of one). A form
not read here raises ``Unreadable``, and each reader then assumes the worst.

rdflib's SPARQL parser (pyparsing) is a slow import that a build with nothing
to parse never needs, so it is imported only when a query is parsed or walked.

>>> query = algebra("SELECT ?x WHERE { ?x <http://e/p>/^<http://e/q>* ?y FILTER NOT EXISTS { ?y a ?c } }")
>>> nodes = []
>>> walk(query.algebra, lambda node: nodes.append(node) or node.name != "Builtin_NOTEXISTS")
>>> [node.name for node in nodes]
['SelectQuery', 'Project', 'Filter', 'Builtin_NOTEXISTS', 'BGP']
>>> [(str(s), path(p), str(o)) for s, p, o in triples(nodes[-1])]
[('x', ('seq', ('iri', 'http://e/p'), ('star', ('inv', 'http://e/q'))), 'y')]
>>> sorted(predicates(path(triples(nodes[-1])[0][1]))), zero_length(path(triples(nodes[-1])[0][1]))
(['http://e/p', 'http://e/q'], False)
>>> sorted(map(str, variables(nodes[3])))
['c', 'y']
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from rdflib import BNode, URIRef, Variable
from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, SequencePath


class Unreadable(Exception):
    """A form of the algebra this module does not read: the reader cannot bound what the query reads."""


def parse(text: str):
    """``text`` parsed and translated to rdflib's SPARQL algebra (a ``Query``: ``.algebra`` is its tree)."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    return translateQuery(parseQuery(text))


@lru_cache(maxsize=64)
def algebra(text: str):
    """``parse(text)``, once per text: parsing is most of the cost, and the writer asks for the reads and the
    shape (probe.py) of the same texts. The tree is shared: read it, never change it."""
    return parse(text)


def walk(tree, visit: Callable[..., object]) -> None:
    """Call ``visit`` on every algebra node (rdflib's ``CompValue``: a pattern, an expression) below
    ``tree``, parents before their parts and parts in the order the tree holds them; a node's parts are
    walked only when ``visit`` returns a true value. The plain dicts, lists, tuples and sets around the
    nodes are passed through; terms are not visited (``variables`` collects those)."""
    from rdflib.plugins.sparql.parserutils import CompValue

    def down(item) -> None:
        if isinstance(item, dict):  # a CompValue is an OrderedDict
            if isinstance(item, CompValue) and not visit(item):
                return
            for key, part in item.items():
                if key != "_vars":
                    down(part)
        elif isinstance(item, (list, tuple, set)):
            for part in item:
                down(part)

    down(tree)


def variables(tree) -> set[Variable]:
    """Every variable named anywhere below ``tree`` (not the ``_vars`` rdflib notes beside a node: those
    include the variables of parts that are not below it)."""
    found: set[Variable] = set()
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, Variable):
            found.add(item)
        elif isinstance(item, dict):  # CompValue is an OrderedDict
            stack.extend(v for k, v in item.items() if k != "_vars")
        elif isinstance(item, (list, tuple, set)):
            stack.extend(item)
    return found


def triples(bgp) -> list[tuple]:
    """The triple patterns of a basic graph pattern, each ``(subject, predicate or path, object)``."""
    found = [tuple(t) for t in bgp.get("triples") or []]
    if any(len(t) != 3 for t in found):
        raise Unreadable("a triple pattern not of three terms")
    return found


# -- paths as tuples: ("iri", p) ("inv", p) ("any",) ("anyinv",) ("seq", …) ("alt", …) ("star"|"plus"|"opt", x) --

EPS = ("seq",)  # the empty path: a node to itself
_ANY = "urn:x-tipkg:no-such-predicate"  # ``!<this>``: any predicate (a variable predicate's step)


def seq(*parts) -> tuple:
    """The path ``parts`` one after the other (nested sequences flattened, the empty path dropped)."""
    flat = [x for p in parts for x in (p[1:] if p[0] == "seq" else (p,))]
    return flat[0] if len(flat) == 1 else ("seq", *flat)


def inverse(p) -> tuple:
    """The path ``p`` walked backwards."""
    kind = p[0]
    if kind in ("iri", "inv"):
        return ("inv" if kind == "iri" else "iri", p[1])
    if kind in ("any", "anyinv"):
        return ("anyinv",) if kind == "any" else ("any",)
    if kind == "seq":
        return seq(*(inverse(x) for x in reversed(p[1:])))
    if kind == "alt":
        return ("alt", *(inverse(x) for x in p[1:]))
    return (kind, inverse(p[1]))


def path(p) -> tuple:
    """rdflib's predicate or property path of a triple pattern as a tuple (a variable: any predicate)."""
    if isinstance(p, URIRef):
        return ("iri", str(p))
    if isinstance(p, (Variable, BNode)):
        return ("any",)
    if isinstance(p, InvPath):
        return inverse(path(p.arg))
    if isinstance(p, SequencePath):
        return seq(*(path(x) for x in p.args))
    if isinstance(p, AlternativePath):
        return ("alt", *(path(x) for x in p.args))
    if isinstance(p, MulPath):
        return ({"*": "star", "+": "plus", "?": "opt"}[p.mod], path(p.path))
    if isinstance(p, NegatedPath):
        return ("alt", ("any",), ("anyinv",))
    raise Unreadable(f"predicate {p!r}")


def predicates(p) -> set[str]:
    """The predicates the path steps over; ``Unreadable`` when it steps over any (a variable, a negated
    property set)."""
    kind = p[0]
    if kind in ("iri", "inv"):
        return {p[1]}
    if kind in ("any", "anyinv"):
        raise Unreadable("a path over any predicate")
    if kind in ("seq", "alt"):
        return set().union(*(predicates(x) for x in p[1:]))
    return predicates(p[1])  # star, plus, opt


def zero_length(p) -> bool:
    """Whether the path can match zero steps (relate a node to itself)."""
    kind = p[0]
    if kind in ("iri", "inv", "any", "anyinv"):
        return False
    if kind in ("star", "opt"):
        return True
    if kind == "seq":
        return all(zero_length(x) for x in p[1:])
    if kind == "alt":
        return any(zero_length(x) for x in p[1:])
    return zero_length(p[1])  # plus


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
