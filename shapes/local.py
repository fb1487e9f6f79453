"""The checks local to a focus node, answered by one pass over the graph grouped by subject.

Most compiled checks (``shapes/shacl_sparql.py``) read nothing but the focus node's own
triples: its ``rdf:type`` (``sh:targetClass``) or a predicate it has (``sh:targetSubjectsOf``),
and the values of one property (or an alternative of properties) — counts, datatype,
pattern, language, node kind, ranges, ``sh:in``, ``sh:hasValue``, ``sh:uniqueLang``,
qualified counts of such values. Each was a query scanning the members of a class and
looking their values up: 185 of the 231 checks, 13.5 s CPU at ×30 over the persistent
store (RocksDB: ~10 µs a lookup). ``graph.nt`` is sorted, so a subject's triples are one
run of lines: read once (``shapes/runs.py``), each subject's run answers every local check at once.

The answers are the queries' rows, exactly (``Local.rows`` says which): terms compared as
the store compares them (a typed literal canonical as the store keeps it, a language tag in
lower case: both looked up in pyoxigraph once per distinct short literal, ``Asked``); a pattern runs in
Python's ``re`` only when it uses nothing whose meaning differs from SPARQL's (``$`` is
read as ``\\Z``), else the check stays a query; a datatype's lexical test and a range
are the compiled SPARQL expression, evaluated by pyoxigraph once per distinct short value. A
blank node, or lines out of order, and the whole pass gives way to the queries
(``Unsorted``). A check may also ask whether the triple its focus node describes is in the graph
(kind "edge", a ``sh:sparql`` branch: ``shapes/unions.py``): those triples are written to a scratch
file as they are read and looked up at the end, in graph.nt by GNU sort and comm (``Runs.missing``).
And a check may read another node's run: a value's types (``sh:class``), a part's parent
(kinds "extends" and "top", ``sh:sparql`` constraints): ``shapes/parents.py`` finds it among the runs
just read, or looks it up once (``Runs.values``). tests/test_validate_local.py checks every local check against its query on
the corpus and on each deliberately broken graph.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from tipkg.shapes.runs import LANG_STRING, OBJECTS, RDF_TYPE, XSD_STRING, Asked, Term, Unsorted

@dataclass(frozen=True)
class Targets:
    """A shape's focus nodes when each is known from its own triples."""

    classes: frozenset[str]
    subjects_of: tuple[str, ...]
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class Local:
    """A check local to its focus node: ``kind`` over the values of ``path`` (alternative predicates).

    kinds: ("min", n) ("max", n) ("has", term) ("unique",) ("qmin", n, atoms) ("qmax", n, atoms)
    ("value", atoms): rows (this) for the counts, (this, value) for "value". An atom is one
    conjunct of a value condition: ("datatype", iri, sparql or "") ("kind", "ILB"…) ("pattern",
    regex) ("lang", ranges) ("sparql", expression) ("in", terms) ("class", classes: the value's types, read
    by ``parents.Neighbours``) ("or", (atoms, …): one member's atoms all hold). ("extends", …) and ("top", …): ``shapes/parents.py``. ("edge", A, B): rows (this, value) for
    each ?x of A, ?y of B and value of ``path`` with no triple ``?x value ?y`` in the graph (looked up once
    the runs are read: ``Runs.missing``). ``bound``: (variable, constant term) each row ends with (a
    ``sh:sparql`` branch's ``BIND``, ``unions.local_branch``); ``more``: checks of the same focus nodes
    whose rows are this one's too (the branches of one ``sh:sparql`` constraint), with the same names."""

    targets: Targets
    path: tuple[str, ...]
    kind: tuple
    bound: tuple[tuple[str, Term], ...] = ()
    more: tuple["Local", ...] = ()

    @property
    def names(self) -> list[str]:
        kind = self.kind[0] if self.kind[0] != "values" else self.kind[2][0]  # "values": the nested check's rows
        if kind in ("extends", "shared", "numbering"):  # (this, value, the parent's identifier / the other node /
            # the reason, as the constraint names them)
            rows = ["this", "value", self.kind[-1]]
        else:
            rows = ["this", "value"] if kind in ("value", "edge", "top") else ["this"]
        return rows + [name for name, _ in self.bound]


# -- compiling: what the SPARQL compiler hands over ------------------------------------------------

# a pattern is run in Python's re only when made of these: literal characters, classes, groups,
# alternation, quantifiers, anchors, and escaped punctuation
_SAFE_PATTERN = re.compile(r"(?:[^\\$]|\\[\\.()\[\]{}|*+?^$/-]|\$)*")


def python_pattern(pattern: str, flags: str | None) -> str | None:
    """The regex as Python's ``re`` reads it the way SPARQL's REGEX does, or None when it cannot be sure.

    >>> python_pattern("^TIP-WG [1-9][0-9]*$", None)
    '^TIP-WG [1-9][0-9]*\\\\Z'
    >>> python_pattern("\\\\d+", None) is None
    True
    """
    if flags or not _SAFE_PATTERN.fullmatch(pattern) or "(?" in pattern:
        return None
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        out.append("\\Z" if c == "$" else c)  # SPARQL's $ is the end of the text (Python's: also before a final newline)
        i += 1
    return "".join(out)


def term_of(t) -> Term | None:
    """An rdflib term of the shapes (``sh:in``, ``sh:hasValue``) as a local term; None when the store
    might keep it otherwise (a typed literal: its canonical form is the store's business)."""
    from rdflib import Literal, URIRef

    if isinstance(t, URIRef):
        return ("I", str(t), "")
    if isinstance(t, Literal):
        if t.language:
            return ("L", str(t), "@" + t.language.lower())
        if t.datatype is None or str(t.datatype) == XSD_STRING:
            return ("L", str(t), "")
    return None


# -- evaluating ------------------------------------------------------------------------------------

def term_from(o) -> str | Term:
    """A pyoxigraph term as a row of ``evaluate`` holds it: an IRI as its text, a literal as a ``Term``."""
    if isinstance(o, ox.NamedNode):
        return o.value
    if isinstance(o, ox.Literal):
        lang, datatype = o.language, o.datatype.value
        return ("L", o.value, "@" + lang if lang else "" if datatype == XSD_STRING else "^^" + datatype)
    raise Unsorted("a blank node")


def ox_term(t: Term):
    kind, value, suffix = t
    if kind == "I":
        return ox.NamedNode(value)
    if suffix.startswith("@"):
        return ox.Literal(value, language=suffix[1:])
    if suffix:
        return ox.Literal(value, datatype=ox.NamedNode(suffix[2:]))
    return ox.Literal(value)


class _Sparql(Asked):
    """A value condition's compiled SPARQL expression (over ``?value``) for one value: datatypes'
    lexical tests and ranges."""

    def __call__(self, expression: str, value: Term) -> bool:
        ok = self.ask((expression, value), len(value[1]),
                      lambda: f"SELECT ({expression} AS ?ok) WHERE {{ VALUES ?value {{ {ox_term(value)} }} }}")
        return ok is not None and ok.value == "true"


def _lang_matches(tag: str, ranges: tuple[str, ...]) -> bool:
    tag = tag.lower()
    return bool(tag) and any(r == "*" or tag == r or tag.startswith(r + "-") for r in ranges)


def _in_kinds(kinds: str) -> Callable[[Term], bool]:
    return lambda v: v[0] in kinds


def _matches(regex: re.Pattern[str]) -> Callable[[Term], bool]:
    return lambda v: regex.search(v[1]) is not None  # STR of an IRI or a literal (no blank node gets here)


def _tagged(ranges: tuple[str, ...]) -> Callable[[Term], bool]:
    return lambda v: v[0] == "L" and v[2].startswith("@") and _lang_matches(v[2][1:], ranges)


def _asked(expression: str, sparql: _Sparql) -> Callable[[Term], bool]:
    return lambda v: sparql(expression, v)


def _among(terms: frozenset) -> Callable[[Term], bool]:
    return lambda v: v in terms


def _classed(classes: frozenset, neighbours) -> Callable[[Term], bool]:
    """Whether a value has one of ``classes`` among its types, each node's answer remembered (a few distinct
    nodes are most values: ×30, 150 sources for 105,653 prov:wasDerivedFrom)."""
    known: dict[str, bool] = {}

    def test(v: Term) -> bool:
        if v[0] != "I":
            return False
        ok = known.get(v[1])
        if ok is None:
            if len(known) >= _KNOWN:
                known.clear()
            ok = known[v[1]] = any(t[0] == "I" and t[1] in classes for t in neighbours.values(v[1], RDF_TYPE))
        return ok
    return test


_KNOWN = 1 << 14


def _either(tests: list[Callable[[Term], bool]]) -> Callable[[Term], bool]:
    return lambda v: any(test(v) for test in tests)


def _test(atoms: tuple, sparql: _Sparql, neighbours=None) -> Callable[[Term], bool]:
    """The value condition (all atoms) as a Python function of a term (a class: the value's types, read by
    ``neighbours``, ``shapes/parents.py``)."""
    tests: list[Callable[[Term], bool]] = []
    for atom in atoms:
        kind = atom[0]
        if kind == "datatype":
            datatype, expression = atom[1], atom[2]
            suffix = "" if datatype == XSD_STRING else "^^" + datatype

            def dt(v: Term, datatype=datatype, suffix=suffix, expression=expression) -> bool:
                if v[0] != "L":
                    return False
                same = v[2] == suffix if datatype != LANG_STRING else v[2].startswith("@")
                return same and (not expression or sparql(expression, v))
            tests.append(dt)
        elif kind == "kind":
            tests.append(_in_kinds(atom[1]))
        elif kind == "pattern":
            tests.append(_matches(re.compile(atom[1])))
        elif kind == "lang":
            tests.append(_tagged(atom[1]))
        elif kind == "sparql":
            tests.append(_asked(atom[1], sparql))
        elif kind == "in":
            tests.append(_among(atom[1]))
        elif kind == "class":
            tests.append(_classed(atom[1], neighbours))
        elif kind == "or":
            tests.append(_either([_test(member, sparql, neighbours) for member in atom[1]]))
        elif kind == "node":  # the value's own shape (shapes/nodes.py): all its atoms
            tests.append(_test(atom[1], sparql, neighbours) if atom[1] else _always)
        elif kind in ("all", "count"):
            from tipkg.shapes.nodes import atom_test

            tests.append(atom_test(atom, lambda atoms: _test(atoms, sparql, neighbours) if atoms else _always,
                                   neighbours))
        else:
            raise ValueError(f"unknown local atom {atom!r}")
    if len(tests) == 1:
        return tests[0]
    return lambda v: all(t(v) for t in tests)


def _always(v: Term) -> bool:
    return True


def _kind_test(kind: tuple, sparql: _Sparql, neighbours=None):
    """(code, count, test) of one check: what ``_property`` runs on a focus node's values."""
    name = kind[0]
    if name in ("min", "max"):
        return (name, kind[1], None)
    if name == "has":
        return (name, 0, kind[1])
    if name == "unique":
        return (name, 0, None)
    if name in ("qmin", "qmax", "value"):
        return (name, kind[1] if name != "value" else 0, _test(kind[-1], sparql, neighbours))
    raise ValueError(f"unknown local check {kind!r}")


def _property(path: tuple[str, ...], checks: list[tuple[int, tuple]]) -> Callable[[str, dict, list[list]], None]:
    """The local checks of one target set on one path, as one function of a focus node (its IRI, its
    {predicate: values}, the rows found so far): the values read once, each check run. The checks are
    sorted by what they do when made, not tested by name for each node; the counts first against the
    narrowest bounds (most nodes are within them: then no minimum nor maximum is looked at one by one).
    It runs about eight times a node (×10: 515,201 calls for 61,056 nodes). Each check's rows come in the
    order of the nodes, then of a node's values."""
    single = path[0] if len(path) == 1 else None

    def of(*codes: str) -> list[tuple[int, int, Any]]:
        return [(i, n, test) for i, (code, n, test) in checks if code in codes]
    tests, mins, maxs = of("value"), of("min"), of("max")
    rest = [(i, code, n, test) for i, (code, n, test) in checks if code in ("has", "unique", "qmin", "qmax")]
    low = max((n for _, n, _ in mins), default=0)  # within [low, high] no minimum nor maximum has a row
    high = min((n for _, n, _ in maxs), default=1 << 62)
    # with no values only these can have rows (a value test, a maximum, uniqueLang have none)
    bare = [i for i, (code, n, _) in checks if code == "has" or (code in ("min", "qmin") and n > 0)]

    def run(s: str, props: dict, found: list[list]) -> None:
        if single is not None:
            values = props.get(single)
        else:
            values = [v for p in path for v in props.get(p, ())] or None
        if not values:
            for i in bare:
                found[i].append((s,))
            return
        if len(values) > 1:
            values = list(dict.fromkeys(values))
        for i, _, test in tests:
            for v in values:
                if not test(v):
                    found[i].append((s, v))
        count = len(values)
        if not low <= count <= high:
            for i, n, _ in maxs:
                if count > n:
                    found[i].append((s,))
            for i, n, _ in mins:
                if count < n:
                    found[i].append((s,))
        for i, code, n, test in rest:
            if code == "has":
                if test not in values:
                    found[i].append((s,))
            elif code == "unique":
                langs = [v[2] for v in values if v[0] == "L" and v[2].startswith("@")]
                if len(langs) != len(set(langs)):
                    found[i].append((s,))
            else:
                conforming = sum(1 for v in values if test(v))
                if (conforming < n) if code == "qmin" else (conforming > n):
                    found[i].append((s,))
    return run


def _classes(kind: tuple) -> bool:
    """Whether a check of ``kind`` tests a value's class (reads the value's run: ``shapes/parents.py``)."""
    return kind[0] in ("value", "qmin", "qmax") and _reads_classes(kind[-1])


def _reads_classes(atoms: tuple) -> bool:
    """Whether the atoms read another node's run (a value's types, its values: ``parents.Neighbours``)."""
    return any(atom[0] in ("class", "all", "count") or (atom[0] == "or" and any(_reads_classes(m) for m in atom[1]))
               or (atom[0] == "node" and _reads_classes(atom[1])) for atom in atoms)


def _others(kind: tuple) -> set[str]:
    """The predicates a check of ``kind`` reads of other nodes' runs (``shapes/nodes.py``: a value's values)."""
    from tipkg.shapes.nodes import paths

    if kind[0] == "values":
        return set(kind[1]) | _others(kind[2])
    if kind[0] == "numbering":  # the focus node's predicates, its document's and meeting's
        return {p for _, p in kind[1]}
    return paths(kind[-1]) if kind[0] in ("node", "value", "qmin", "qmax") else set()


#: the kinds of check that read more than the focus node's own run: "edge" (``shapes/edges.py``),
#: "extends" and "top" (``shapes/parents.py``), "node" and "values" (``shapes/nodes.py``), "shared"
#: (``shapes/shared.py``), "numbering" (``shapes/numbering.py``)
_ACROSS = ("edge", "extends", "top", "node", "values", "shared", "numbering")


def evaluate(checks: list[Local], runs: Callable[[set[str]], Iterable[tuple[str, dict[str, list[Term]]]]],
             spill: Path | None = None) -> list[tuple[list[str], list[tuple]]]:
    """Every local check's (names, rows) — as its query's solutions: pyoxigraph terms — from one pass
    over ``runs(wanted predicates)`` (a check's ``more`` rows after its own). ``spill``: the runs are a part
    of the graph; the checks joined by a sort leave their files there, and ``joined`` gives their rows."""
    whose, locals_ = _flat(checks)
    sparql = _Sparql()
    by_targets: dict[Targets, list[int]] = {}
    for i, local in enumerate(locals_):
        by_targets.setdefault(local.targets, []).append(i)
    groups = list(by_targets.items())
    classes: dict[str, list[int]] = {}
    subjects_of: dict[str, list[int]] = {}
    nodes: dict[str, list[int]] = {}
    for g, (targets, _) in enumerate(groups):
        for c in targets.classes:
            classes.setdefault(c, []).append(g)
        for p in targets.subjects_of:
            subjects_of.setdefault(p, []).append(g)
        for n in targets.nodes:
            nodes.setdefault(n, []).append(g)
    from tipkg.shapes import nodes as node_checks, numbering
    from tipkg.shapes.edges import Edges
    from tipkg.shapes.parents import Neighbours
    from tipkg.shapes.shared import Shared

    with tempfile.TemporaryDirectory(prefix="tipkg-edges-") as scratch:
        edges, neighbours, shared = Edges(Path(scratch)), Neighbours(), Shared(Path(scratch))
        ends = node_checks.Ends(Path(scratch))
        last: list[Callable[[list[list]], None]] = []  # what gives the rows held back until every run is read

        def numbered(i: int, local: Local) -> Callable[[str, dict, list[list]], None]:
            run, flush = numbering.check(i, local, neighbours)
            last.append(flush)
            return run
        properties = []
        for _, members in groups:
            by_path: dict[tuple[str, ...], list] = {}
            for i in members:
                if locals_[i].kind[0] not in _ACROSS:
                    by_path.setdefault(locals_[i].path, []).append((i, _kind_test(locals_[i].kind, sparql, neighbours)))
            properties.append([_property(path, checks) for path, checks in by_path.items()]
                              + [edges.check(i, local) for i in members if (local := locals_[i]).kind[0] == "edge"]
                              + [neighbours.check(i, local) for i in members if (local := locals_[i]).kind[0] in _ACROSS[1:3]]
                              + [ends.check(i, form) for i in members
                                 if (local := locals_[i]).kind[0] == "node" and (form := node_checks.ends_form(local.kind[1]))]
                              + [node_checks.check(i, local, lambda atoms: _test(atoms, sparql, neighbours),
                                                   lambda kind: _kind_test(kind, sparql, neighbours), neighbours)
                                 for i in members if (local := locals_[i]).kind[0] in _ACROSS[3:5]
                                 and not (local.kind[0] == "node" and node_checks.ends_form(local.kind[1]))]
                              + [shared.check(i, local) for i in members if (local := locals_[i]).kind[0] == "shared"]
                              + [numbered(i, local) for i in members if (local := locals_[i]).kind[0] == "numbering"])
        wanted = {RDF_TYPE, *subjects_of, *(p for local in locals_ for p in local.path),
                  *(p for local in locals_ if local.kind[0] == "edge" for p in (*local.kind[1], *local.kind[2])),
                  *(p for local in locals_ if local.kind[0] == "extends" for p in local.kind[1:4]),
                  *(local.kind[2] for local in locals_ if local.kind[0] == "top"),
                  *(p for local in locals_ for p in _others(local.kind))}
        see = neighbours.see if any(local.kind[0] in _ACROSS[1:] or _classes(local.kind) for local in locals_) else None
        found: list[list[tuple]] = [[] for _ in locals_]
        memo: dict[tuple, list] = {}
        seen: dict[tuple, list] = {}  # a node's types and predicates as read -> its checks (few kinds of node)
        read = runs(wanted)
        neighbours.lookup = getattr(read, "values", None)
        watch = ends.see if ends.forms else None
        for s, props in read:
            if see is not None:
                see(s, props)
            if watch is not None:
                watch(s, props)
            types = props.get(RDF_TYPE)
            shape = (tuple(types) if types else (), tuple(props))
            todo = seen.get(shape)
            if todo is None:
                key = (tuple(t[1] for t in types if t[1] in classes) if types else (),
                       tuple(p for p in props if p in subjects_of))
                todo = memo.get(key)
                if todo is None:
                    matched = {g for c in key[0] for g in classes[c]} | {g for p in key[1] for g in subjects_of[p]}
                    todo = memo[key] = [prop for g in sorted(matched) for prop in properties[g]]
                if len(seen) >= OBJECTS:
                    seen.clear()
                seen[shape] = todo
            if s in nodes:
                todo = todo + [prop for g in nodes[s] for prop in properties[g] if prop not in todo]
            for prop in todo:
                prop(s, props, found)
        edges.rows(getattr(read, "missing", None), found)  # closes its files (also when reading failed: below)
        shared.rows(found, spill)
        ends.rows(found, spill)
        for flush in last:
            flush(found)
    return _answers(checks, whose, locals_, found)


def joined(checks: list[Local], spills: list[Path]) -> list[tuple[list[str], list[tuple]]]:
    """The rows of the checks joined by a sort (kind "shared", ``shapes/shared.py``; the values' classes of
    ``nodes.Ends``) from the files the parts of a pass left in
    ``spills`` (``evaluate(…, spill=)``), sorted together; every other check's rows empty."""
    from tipkg.shapes.nodes import ENDS, ends_rows
    from tipkg.shapes.shared import KEYS, shared_rows

    whose, locals_ = _flat(checks)
    found: list[list[tuple]] = [[] for _ in locals_]
    with tempfile.TemporaryDirectory(prefix="tipkg-shared-") as scratch:
        shared_rows([folder / KEYS for folder in spills], Path(scratch), found)
        ends_rows([folder / ENDS for folder in spills], Path(scratch), found)
    return _answers(checks, whose, locals_, found)


def _flat(checks: list[Local]) -> tuple[list[int], list[Local]]:
    """Each check and its ``more``, in order, and the index of the check each one is of."""
    return ([k for k, check in enumerate(checks) for _ in (check, *check.more)],
            [one for check in checks for one in (check, *check.more)])


def _answers(checks: list[Local], whose: list[int], locals_: list[Local], found: list[list[tuple]]
             ) -> list[tuple[list[str], list[tuple]]]:
    out: list[tuple[list[str], list[tuple]]] = [(check.names, []) for check in checks]
    for k, local, rows in zip(whose, locals_, found):
        bound = tuple(ox_term(term) for _, term in local.bound)
        out[k][1].extend(tuple(ox.NamedNode(x) if isinstance(x, str) else ox_term(x) for x in row) + bound
                         for row in rows)
    return out
