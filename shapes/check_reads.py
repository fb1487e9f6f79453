"""What a compiled check reads: the triples whose change can change its answer for a focus node.

A check's query (``shapes/shacl_sparql.py``) is parsed into rdflib's SPARQL algebra
and walked into the triple patterns it joins, one set per UNION branch, with the
scopes of SPARQL kept (a sub-select's, an EXISTS's or a MINUS's own variables are
not the outer ones). From ``?this`` every pattern is reached breadth first; a pattern
``x p y`` reached at ``x`` along path P (property paths and inverse steps included)
is a ``Read`` (P, p, forward): an added or removed triple ``s p o`` can change the
check's answer only for the focus nodes ``f`` with ``f P s`` in the new graph (on the
shortest path to the first changed triple of a solution, the triples before it are
unchanged, so they are in the new graph too). Reached at ``y``: (P, p, inverse), and
``o`` is looked up. A variable predicate reads any predicate. A pattern no path from
``?this`` reaches (parts joined only by a FILTER, GRAPH, SERVICE, too many UNION
branches) cannot be bounded: ``reads`` is None and the check runs whole.

Parsing is slow (rdflib's parser, ~20 ms a query), so constants that read nothing
are blanked first (many checks then share one form), each form is parsed once per
process, and the results are kept in the build's cache folder between builds.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Variable

from tipkg.queries.algebra import EPS, Unreadable, inverse, parse, seq, sparql_path, walk
from tipkg.queries.algebra import path as path_of
from tipkg.shapes.shacl_sparql import Check


class Unbounded(Unreadable):
    """A check whose affected focus nodes cannot be read off its query."""


@dataclass(frozen=True)
class Read:
    """A triple the check reads: predicate ``predicate`` (None: any) at a node ``path`` leads to from ``?this``
    (a SPARQL property path; "" for ``?this`` itself), the node being the triple's subject when ``forward``."""

    path: str
    predicate: str | None
    forward: bool


# -- paths: the tuples of ``queries/algebra.py`` -----------------------------------------------------------------

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
        first, rest = p[1], seq(*p[2:]) if len(p) > 2 else EPS
        return _reads(first) + [(seq(first, prefix), pred, fwd) for prefix, pred, fwd in _reads(rest)]
    if kind == "alt":
        return [r for x in p[1:] for r in _reads(x)]
    if kind == "opt":
        return _reads(p[1])
    return [(seq(("star", p[1]), prefix), pred, fwd) for prefix, pred, fwd in _reads(p[1])]  # star, plus


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
    out: list[list] = [[]]
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

    def visit(e) -> bool:
        if e.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            from rdflib.plugins.sparql.algebra import translateGroupGraphPattern
            found.append(_walk(translateGroupGraphPattern(e.graph), scope.sharing(outer)))
            return False
        return True

    walk(expr, visit)
    return _product(*found)


def _walk(node, scope: _Scope) -> list[list]:
    name = getattr(node, "name", None)
    if name in ("SelectQuery", "Distinct", "Reduced", "OrderBy", "Slice", "ToMultiSet", "Group", "AggregateJoin"):
        return _walk(node.p, scope)
    if name == "Project":
        return _walk(node.p, scope.sharing(str(v) for v in node.PV))
    if name == "BGP":
        return [[(scope.key(s), path_of(p), scope.key(o)) for s, p, o in node.triples]]
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
    """The reads of one alternative: each edge from its endpoint nearer to ``?this`` (breadth first).

    Both endpoints at the same depth (``?this cito:hasCitingEntity ?citing ; cito:hasCitedEntity ?cited``
    then ``?citing ?value ?cited``): either would do, a changed triple reaching a solution through
    both; the subject's is read. A changed triple's subject is mostly the node edited, its object
    often a node much cited (an actor, a document), so the focus nodes found from the subject stay
    as few as the edit's, where those from the object grew with the corpus (×100, one word edited:
    8,864 focus nodes, most of them citations of "Member States", the actor of the removed edge)."""
    adjacent = defaultdict(list)
    for u, p, v in edges:
        adjacent[u].append((p, v))
        adjacent[v].append((inverse(p), u))
    path, depth, order = {root: EPS}, {root: 0}, [root]
    for node in order:
        for p, other in adjacent[node]:
            if other not in path:
                path[other], depth[other] = seq(path[node], p), depth[node] + 1
                order.append(other)
    out = set()
    for u, p, v in edges:
        if u not in path:
            raise Unbounded("a pattern not joined to ?this")
        start, step = (u, p) if depth[u] <= depth[v] else (v, inverse(p))
        for prefix, pred, fwd in _reads(step):
            full = seq(path[start], prefix)
            out.add(Read("" if full == EPS else sparql_path(full), pred, fwd))
    return out


# literals (each its own: a constant in a pattern is a node), IN lists and VALUES rows read nothing
_CONSTANTS = [(re.compile(r'"(?:[^"\\]|\\.)*"(?!\^\^)'), None),
              (re.compile(r"\bIN \((?:\s*<[^>]*>\s*,?)*\)"), "IN (<urn:x>)"),
              (re.compile(r"(\bVALUES \?\w+ \{)(?:\s*<[^>]*>)*\s*\}"), r"\1 <urn:x> }")]


def _reads_of(normalized: str) -> frozenset[Read] | None:
    try:
        scope = _Scope({"this": "this"})
        alternatives = _walk(parse(normalized).algebra, scope)  # parsed here: only when a check is new
        return frozenset(r for edges in alternatives for r in _alternative_reads(edges, "this"))
    except Unreadable:  # Unbounded, or a path not read (``queries.algebra.path``)
        return None


#: reads by the SHA-1 of the normalized query: parsed once per process, and kept in the build's cache
#: folder across builds (``load_reads``/``save_reads``): rdflib's parser takes ~20 ms a check, 3 s in all.
#: Delta validation (``shapes.affected``) saves them when it found any not loaded from there; the
#: benchmark (``benchmarks/bench_validate.py``) empties it before it times the first delta validation.
known_reads: dict[str, frozenset[Read] | None] = {}
_READS_FILE = "validation-reads.v3.json"  # by template (v1: by query; v2: an equal-depth edge read from its object)


_IRI = re.compile(r"<([^<>\s]*)>")
_SLOT = "urn:x-tipkg:iri:"  # the n-th IRI of a query in its template: <urn:x-tipkg:iri:n:>
_SLOTTED = re.compile(re.escape(_SLOT) + r"(\d+):")


def _normalized(query: str) -> tuple[str, str, list[str]]:
    """(key, template, its IRIs): the constants that read nothing blanked, and each IRI a numbered slot
    (PREFIX declarations too: ``tip:recalls`` becomes slot n + "recalls"). The parser is slow; the ~230
    checks are a few dozen templates (one per kind of check, whatever its class and property)."""
    for pattern, blank in _CONSTANTS:
        number = itertools.count()
        query = pattern.sub(blank or (lambda m: f'"{next(number)}"'), query)
    iris: list[str] = []
    index: dict[str, int] = {}

    def slot(m) -> str:
        if m.group(1) not in index:
            index[m.group(1)] = len(iris)
            iris.append(m.group(1))
        return f"<{_SLOT}{index[m.group(1)]}:>"

    query = _IRI.sub(slot, query)
    return hashlib.sha1(query.encode()).hexdigest(), query, iris


def _filled(found: frozenset[Read] | None, iris: list[str]) -> frozenset[Read] | None:
    """A template's reads with its slots back to the query's IRIs."""
    if found is None:
        return None
    fill = lambda text: _SLOTTED.sub(lambda m: iris[int(m.group(1))], text)  # noqa: E731
    return frozenset(Read(fill(r.path), None if r.predicate is None else fill(r.predicate), r.forward) for r in found)


def reads(query: str) -> frozenset[Read] | None:
    """What a check's query reads, relative to ``?this``; None when it cannot be bounded."""
    key, template, iris = _normalized(query)
    if key not in known_reads:
        known_reads[key] = _reads_of(template)
    return _filled(known_reads[key], iris)


#: the reads of the bundled shapes' templates, shipped with them (``python3 -m tipkg.shapes.check_reads``
#: writes it; tests/test_validate_delta.py checks it is current): a first rebuild parses nothing (×100:
#: 5.3 s of CPU in rdflib's parser)
SHIPPED = "check-reads.json"
_shipped_loaded = False


def load_shipped() -> None:
    """The shipped reads into ``known_reads`` (once per process; a file missing or unreadable: none)."""
    global _shipped_loaded
    if _shipped_loaded:
        return
    _shipped_loaded = True
    from importlib import resources

    try:
        data = json.loads(resources.files("tipkg.shapes").joinpath(SHIPPED).read_text(encoding="utf-8"))
        found = {k: None if v is None else frozenset(Read(*r) for r in v) for k, v in data.items()}
    except (OSError, ValueError, TypeError):
        return
    known_reads.update({k: v for k, v in found.items() if k not in known_reads})


def _encoded(found: dict[str, frozenset[Read] | None]) -> str:
    return json.dumps({k: None if v is None else sorted(([r.path, r.predicate, r.forward] for r in v), key=json.dumps)
                       for k, v in found.items()}, sort_keys=True, indent=0)


def derived(checks: list[Check]) -> dict[str, frozenset[Read] | None]:
    """The reads of every template of ``checks``, each parsed here (what ``SHIPPED`` holds for the shapes)."""
    templates = {key: template for key, template, _ in map(_normalized, (c.query for c in checks))}
    return {key: _reads_of(template) for key, template in sorted(templates.items())}


def derive_reads(checks: list[Check]) -> None:
    """The reads of every template not known yet (nor shipped), half of them in a forked child (``validate.share_with_child``)."""
    from tipkg.shapes.validate import share_with_child

    load_shipped()
    templates = {key: template for key, template, _ in map(_normalized, (c.query for c in checks))}
    missing = sorted((k, q) for k, q in templates.items() if k not in known_reads)
    found = share_with_child([q for _, q in missing], lambda part: [_reads_of(q) for q in part],
                   lambda part: [_reads_of(q) for q in part])
    known_reads.update(zip((k for k, _ in missing), found))


def load_reads(folder: Path | None) -> set[str]:
    """What earlier builds derived (``save_reads``), if the file is there and readable; its keys."""
    if folder is None:
        return set()
    try:
        data = json.loads((Path(folder) / _READS_FILE).read_text(encoding="utf-8"))
        found = {k: None if v is None else frozenset(Read(*r) for r in v) for k, v in data.items()}
    except (OSError, ValueError, TypeError):
        return set()
    known_reads.update({k: v for k, v in found.items() if k not in known_reads})
    from tipkg.cache_entries import used  # kept while builds read it (tipkg/cache_use.py)

    used(Path(folder) / _READS_FILE)
    return set(found)


def save_reads(folder: Path | None) -> None:
    """Keep the derived reads for the next build, as every cache entry is kept (``cache_entries.write_atomically``:
    never half a file, and a killed build's temporary file is swept by the next)."""
    from tipkg.cache_entries import write_atomically  # the cache's writer

    if folder is None or not Path(folder).is_dir():
        return
    try:
        write_atomically(Path(folder) / _READS_FILE, _encoded(known_reads).encode("utf-8"))
    except OSError:  # a cache that cannot be written costs the next build the parsing, nothing else
        pass




def shipped_checks() -> list[Check]:
    """The bundled shapes' checks as a build compiles them (the ontology's class hierarchy; the data adds none)."""
    import pyoxigraph as ox

    from tipkg.ontology.files import ontology_graph
    from tipkg.shapes.validate import compiled, load_shapes

    return compiled(load_shapes(), ontology_graph(), ox.Store())


if __name__ == "__main__":  # python3 -m tipkg.shapes.check_reads: rewrite the shipped reads
    target = Path(__file__).resolve().parent / SHIPPED
    target.write_text(_encoded(derived(shipped_checks())) + "\n", encoding="utf-8")
    print(f"wrote {target}")
