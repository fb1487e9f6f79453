"""The checks of a node's own shape, and of the shapes its values must have, answered by the pass over the runs.

Three kinds of check were still queries over the store, each holding a table of every node it joined
(measured at ×1000 in a forked child, the growth of its peak RSS): tipsh:EchoesEnds 942 MB (an
``sh:or`` on the node whose members read the classes of the echoed paragraphs), tipsh:Exists 357 MB and
tipsh:InIndexScheme 104 MB (the shapes a value must have, ``sh:node``: their focus nodes are the values
of ``eli:is_part_of`` or ``tip:indexedUnder``, a ``SELECT DISTINCT`` over all of them). The pass over the
graph's runs of subjects (``shapes/local.py``) reads each focus node's run anyway; what it needs of
another node — a value's types, its own values of a predicate — is read by ``parents.Neighbours`` (the
stack of prefix runs: a paragraph's parent; else one lookup, remembered), so memory stays bounded.

The forms (``shapes/local_forms.py`` makes them from the shapes): a node shape's constraints on the node
itself, ``Local`` kind ("node", atoms) with rows (this); an atom ("node", atoms) for a value's
``sh:node``; in those, a property shape's constraints on the node's values as atoms ("all", path,
atoms) and ("count", path, least, most) — what ``conditions.conforms`` asks of them: every value holds,
and so many distinct values; and the checks of a ``sh:node`` shape on the values of a local property,
kind ("values", path, kind): the nested check run on each distinct value's run, its rows once each (the
query's ``SELECT DISTINCT``). A literal value has no run: no values, no types.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tipkg.shapes.local import Local
from tipkg.shapes.runs import RDF_TYPE, Term
from tipkg.shapes.shared import Spilled


def distinct(props: dict, path) -> list[Term]:
    """The distinct values of ``path`` in a run's {predicate: values}, in the order read (a query's ``DISTINCT``)."""
    return list(dict.fromkeys(x for p in path for x in props.get(p, ())))


def values_of(v: Term, path: tuple[str, ...], neighbours) -> list[Term]:
    """The distinct values of ``path`` on the node ``v`` (read by ``neighbours``; none for a literal)."""
    if v[0] != "I":
        return []
    return list(dict.fromkeys(x for p in path for x in neighbours.values(v[1], p)))


def atom_test(atom: tuple, inner: Callable[[tuple], Callable[[Term], bool]], neighbours) -> Callable[[Term], bool]:
    """The test of an atom that reads the node's own values: ("all", path, atoms) (``inner(atoms)`` tests each
    value) and ("count", path, least, most)."""
    if atom[0] == "all":
        _, path, atoms = atom
        each = inner(atoms)
        return lambda v: all(each(x) for x in values_of(v, path, neighbours))
    _, path, least, most = atom

    def counted(v: Term) -> bool:
        n = len(values_of(v, path, neighbours))  # read once: each read may be a lookup of graph.nt
        return least <= n and (most is None or n <= most)
    return counted


def check(i: int, local: Local, test: Callable[[tuple], Callable[[Term], bool]], kind_test: Callable[[tuple], tuple],
          neighbours) -> Callable[[str, dict, list[list]], None]:
    """One check of kind "node" (``test(atoms)`` on the focus node) or "values" (the nested check on each
    distinct value of ``local.path``: ``kind_test`` makes it, as ``local._property`` runs it)."""
    if local.kind[0] == "node":
        holds = own(local.kind[1], test)

        def node(s: str, props: dict, found: list[list]) -> None:
            if not holds(s, props):
                found[i].append((s,))
        return node
    from tipkg.shapes.local import _property

    _, inner_path, inner_kind = local.kind
    nested = _property(inner_path, [(0, kind_test(inner_kind))])
    seen: set[tuple] = set()  # the rows found (few: violations), each given once

    def values(s: str, props: dict, found: list[list]) -> None:
        for v in distinct(props, local.path):
            rows: list[list] = [[]]
            if v[0] == "I":
                nested(v[1], {p: neighbours.values(v[1], p) for p in inner_path}, rows)
            else:
                nested(v, {}, rows)  # type: ignore[arg-type]  # a literal: rows name the term itself
            for row in rows[0]:
                if row not in seen:
                    seen.add(row)
                    found[i].append(row)
    return values


def own(atoms: tuple, test: Callable[[tuple], Callable[[Term], bool]]) -> Callable[[str, dict], bool]:
    """The atoms tested on a focus node from its own run (its IRI, its {predicate: values}): its types and
    values as read, not looked up again (``test`` makes the tests of values, and of atoms on the node's IRI)."""
    tests = [_own(atom, test) for atom in atoms]
    return lambda s, props: all(t(s, props) for t in tests)


def _own(atom: tuple, test: Callable[[tuple], Callable[[Term], bool]]) -> Callable[[str, dict], bool]:
    kind = atom[0]
    if kind == "class":
        def typed(s: str, props: dict) -> bool:
            return any(t[0] == "I" and t[1] in atom[1] for t in props.get(RDF_TYPE, ()))
        return typed
    if kind == "all":
        each = test(atom[2])

        def every(s: str, props: dict) -> bool:
            return all(each(v) for v in distinct(props, atom[1]))
        return every
    if kind == "count":
        def counted(s: str, props: dict) -> bool:
            n = len(distinct(props, atom[1]))
            return atom[2] <= n and (atom[3] is None or n <= atom[3])
        return counted
    if kind in ("or", "node"):
        members = [own(m, test) for m in (atom[1] if kind == "or" else (atom[1],))]

        def either(s: str, props: dict) -> bool:
            return any(m(s, props) for m in members)
        return either
    one = test((atom,))

    def itself(s: str, props: dict) -> bool:
        return one(("I", s, ""))
    return itself


def paths(atoms: tuple) -> set[str]:
    """The predicates the atoms read of a node's run (they must be among the pass's wanted predicates: the
    runs on ``Neighbours``' stack hold only those)."""
    out: set[str] = set()
    for atom in atoms:
        if atom[0] in ("all", "count"):
            out |= set(atom[1])
        if atom[0] == "all":
            out |= paths(atom[2])
        elif atom[0] == "node":
            out |= paths(atom[1])
        elif atom[0] == "or":
            for member in atom[1]:
                out |= paths(member)
    return out


#: the scratch file of the "node" checks whose values' classes are joined by a sort (``Ends``)
ENDS = "ends.keys"


def ends_form(atoms: tuple) -> tuple[tuple[str, ...], list[tuple[frozenset, frozenset]]] | None:
    """(path, (the node's classes, its values' classes) of each member) when ``atoms`` are an ``sh:or`` of members
    each a class of the node and a class of every value of one path (tipsh:EchoesEnds); None otherwise. Any number
    of members: a node's members are the bits of a Python int, written in decimal on its line."""
    if len(atoms) != 1 or atoms[0][0] != "or":
        return None
    path, members = None, []
    for member in atoms[0][1]:
        kinds = sorted(a[0] for a in member)
        if kinds != ["all", "class"]:
            return None
        (own,) = [a[1] for a in member if a[0] == "class"]
        (_, where, inner) = next(a for a in member if a[0] == "all")
        if len(inner) != 1 or inner[0][0] != "class" or (path is not None and where != path):
            return None
        path = where
        members.append((own, inner[0][1]))
    return (path, members) if path is not None else None


class Ends(Spilled):
    """The "node" checks of ``ends_form``: a value's classes are not looked up (one binary search of graph.nt per
    echoed paragraph, ×100: 52,000, 3.7 CPU s for tipsh:EchoesEnds) but joined by a sort. As the runs are read,
    each node whose types meet a member's value classes is written (its node, "0", which members it satisfies as
    a value), and each focus node's values (the value, "1", the focus node, the members still possible: its own
    classes); sorted, a value's own line comes before the lines asking for it. A focus node all of whose members
    a value fails is a row. What is held: the focus nodes with a failing value (few: violations)."""

    name = ENDS

    def __init__(self, folder: Path):
        super().__init__(folder)
        self.forms: dict[int, tuple[tuple[str, ...], list[tuple[frozenset, frozenset]]]] = {}
        self.masks: dict[tuple, list[tuple[int, int]]] = {}  # a node's types as read -> (check, members) it satisfies

    def see(self, s: str, props: dict) -> None:
        """Every run: the members a node satisfies as a value, for each check (written when any)."""
        types = props.get(RDF_TYPE)
        if types:
            key = tuple(types)
            masks = self.masks.get(key)
            if masks is None:
                names = {t[1] for t in types if t[0] == "I"}
                if len(self.masks) >= 1 << 12:
                    self.masks.clear()
                masks = self.masks[key] = [
                    (i, mask) for i, (_, members) in self.forms.items()
                    if (mask := sum(1 << k for k, (_, classes) in enumerate(members) if names & classes))]
            for i, mask in masks:
                self.write(f"{i} {_text(s)}\t0\t{mask}\n")

    def check(self, i: int, form: tuple) -> Callable[[str, dict, list[list]], None]:
        self.forms[i] = form
        path, members = form

        def run(s: str, props: dict, found: list[list]) -> None:
            types = {t[1] for t in props.get(RDF_TYPE, ()) if t[0] == "I"}
            alive = sum(1 << k for k, (classes, _) in enumerate(members) if types & classes)
            values = distinct(props, path)
            if any(v[0] != "I" for v in values):
                alive = 0  # a literal has no class: every member fails
            if not alive:
                found[i].append((s,))
                return
            focus = _text(s)
            for v in values:
                self.write(f"{i} {_text(v[1])}\t1\t{focus}\t{alive}\n")
        return run

    @staticmethod
    def join(files: list[Path], folder: Path, found: list[list]) -> None:
        ends_rows(files, folder, found)


def _text(iri: str) -> str:
    """An IRI as a line of ``Ends`` holds it: as it is, or JSON when it has a tab, a newline or another character
    that is not printable, or starts with a quote (then ``_read`` knows it)."""
    return iri if iri.isprintable() and not iri.startswith('"') else json.dumps(iri)


def _read(text: bytes) -> str:
    return json.loads(text) if text.startswith(b'"') else text.decode("utf-8")


def ends_rows(files: list[Path], folder: Path, found: list[list]) -> None:
    """The rows of ``Ends``' lines in ``files`` sorted together (``shared.sorted_lines``)."""
    from tipkg.shapes.shared import sorted_lines

    key, satisfied = b"", 0
    failing: dict[tuple[int, str], list[int]] = {}  # (check, focus node) -> [members possible, members failed]
    for line in sorted_lines(files, folder, ENDS):
        k, what, rest = line.rstrip(b"\n").split(b"\t", 2)
        if k != key:
            key, satisfied = k, 0
        if what == b"0":
            satisfied = int(rest)
            continue
        node, possible = rest.rsplit(b"\t", 1)
        failed = int(possible) & ~satisfied
        if failed:
            known = failing.setdefault((int(k.split(b" ", 1)[0]), _read(node)), [int(possible), 0])
            known[1] |= failed
    for (i, focus), (alive, lost) in failing.items():
        if not alive & ~lost:
            found[i].append((focus,))
