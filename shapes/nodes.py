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

from collections.abc import Callable

from tipkg.shapes.local import RDF_TYPE, Local, Term


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
    return lambda v: least <= len(values_of(v, path, neighbours)) and (most is None or len(values_of(v, path, neighbours)) <= most)


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
        for v in dict.fromkeys(x for p in local.path for x in props.get(p, ())):
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
    tests: list[Callable[[str, dict], bool]] = []
    for atom in atoms:
        if atom[0] == "class":
            tests.append(lambda s, props, classes=atom[1]: any(
                t[0] == "I" and t[1] in classes for t in props.get(RDF_TYPE, ())))
        elif atom[0] in ("all", "count"):
            path = atom[1]
            if atom[0] == "all":
                each = test(atom[2])
                tests.append(lambda s, props, path=path, each=each: all(
                    each(v) for v in dict.fromkeys(v for p in path for v in props.get(p, ()))))
            else:
                tests.append(lambda s, props, path=path, least=atom[2], most=atom[3]: least <= len(
                    dict.fromkeys(v for p in path for v in props.get(p, ()))) <= (most if most is not None else 1 << 62))
        elif atom[0] in ("or", "node"):
            members = [own(m, test) for m in (atom[1] if atom[0] == "or" else (atom[1],))]
            tests.append((lambda s, props, members=members: any(m(s, props) for m in members)) if atom[0] == "or"
                         else members[0])
        else:
            one = test((atom,))
            tests.append(lambda s, props, one=one: one(("I", s, "")))
    return lambda s, props: all(t(s, props) for t in tests)


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
