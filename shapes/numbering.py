"""The ``sh:sparql`` constraints that read the document a node is in and that document's meeting, answered by the pass.

tipsh:RecommendationNumbering (a recommendation's compendium number and its report paragraph agree)
joined every notation's node with its report's identifier, offset and meeting over the store: oxigraph held
hash tables of all of them (×1000 in a forked child: 532 MB of working memory, 29 CPU s). The pass over the
graph's runs of subjects (``shapes/local.py``) reads each recommendation's run anyway; its report's and the
meeting's values are read by ``parents.Neighbours`` (a few nodes, shared by every recommendation of a
report: looked up once and remembered). The join is made here, each solution exactly as the query's
patterns give it (the OPTIONALs unbound where they find nothing, one solution per meeting a UNION
finds); what the constraint computes of them — its FILTER and its BINDs, ``REPLACE``, ``xsd:integer``,
the chain of ``IF`` — is its own text, evaluated by pyoxigraph over the solutions given as ``VALUES``,
``BATCH`` at a time (memory bounded by a batch).

The form recognised (``_FORMS``) is the constraint's graph pattern up to its first ``BIND``; the rest of its
WHERE is taken as written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import pyoxigraph as ox

from tipkg.shapes.local import Local, Targets, ox_term, term_from
from tipkg.shapes.runs import Term

#: the constraints answered here, up to the first BIND: slots as in ``unions._LOCAL_FORMS``
_FORMS = {
    "numbering": "SELECT ?this ?value var:reason WHERE { ?this path:id var:id ; path:notation ?value ; "
                 "path:in var:report . FILTER ( REGEX ( var:id2 , text:re ) ) var:report2 path:rid var:rid . "
                 "OPTIONAL { var:report3 path:offset var:offset } OPTIONAL { { var:report4 path:m1 var:mtg } "
                 "UNION { var:report5 path:m2 var:mtg2 } var:mtg3 path:num var:rm } }",
}

#: solutions evaluated by pyoxigraph in one query
BATCH = 512


def local_constraint(select: str, prefixes: list[str], targets: Targets) -> Local | None:
    """A ``sh:sparql`` constraint's SELECT (``$this`` written ``?this``) as a check of kind "numbering" over the
    focus nodes ``targets``, when its pattern follows ``_FORMS``: ("numbering", the predicates by slot, the
    variables by slot, the query evaluating a batch of solutions, ``{values}`` where they go)."""
    from tipkg.shapes.joins import _tokens
    from tipkg.shapes.unions import matched_forms

    tokens = _tokens(select)
    binds = [k for k, t in enumerate(tokens) if t[0] == "keyword" and t[1].upper() == "BIND"]
    if not binds or tokens[-1][1] != "}":
        return None
    head = select[:tokens[binds[0]][2]] + "}"
    rest = select[tokens[binds[0]][2]:tokens[-1][2]]
    for _, paths, names, texts in matched_forms(head, prefixes, _FORMS):
        same = (names["id"] == names["id2"] and names["mtg"] == names["mtg2"] == names["mtg3"]
                and all(names[f"report{k}"] == names["report"] for k in (2, 3, 4, 5)))
        variables = ["?this", "?value", *(names[k] for k in ("reason", "id", "report", "rid", "offset", "mtg", "rm"))]
        if not same or len(set(variables)) != len(variables) or any(len(p) != 1 for p in paths.values()):
            continue
        bound = " ".join(variables[:2] + variables[3:])
        query = "\n".join(prefixes) + (f"\nSELECT ?this ?value {names['reason']} WHERE {{ VALUES ({bound}) {{ {{values}} }} "
                                       f"FILTER (REGEX({names['id']}, \"{texts['re']}\")) {rest} }}")
        return Local(targets, paths["notation"], ("numbering", tuple(sorted((k, p[0]) for k, p in paths.items())),
                                                   query, names["reason"][1:]))
    return None


def check(i: int, local: Local, neighbours) -> tuple[Callable[[str, dict, list[list]], None], Callable[[list[list]], None]]:
    """The check as the pass runs it on a focus node, and what gives the last batch's rows once every run is read."""
    _, slots, query, _ = local.kind
    p = dict(slots)
    batch: list[str] = []

    def values(node: Term, predicate: str) -> list[Term]:
        return neighbours.values(node[1], predicate) if node[0] == "I" else []

    def flush(found: list[list]) -> None:
        if batch:
            solutions = cast(ox.QuerySolutions, ox.Store().query(query.replace("{values}", " ".join(batch))))
            found[i].extend(tuple(term_from(t) for t in row) for row in solutions)
            batch.clear()

    def run(s: str, props: dict, found: list[list]) -> None:
        this = str(ox.NamedNode(s))
        for report in dict.fromkeys(props.get(p["in"], ())):
            reported = values(report, p["rid"])
            if not reported:
                continue
            offsets: list[Term | None] = [*values(report, p["offset"])] or [None]
            meetings = [*values(report, p["m1"]), *values(report, p["m2"])]  # the UNION: one solution each
            numbered: list[tuple[Term | None, Term | None]] = [
                (m, n) for m in meetings for n in values(m, p["num"])] or [(None, None)]
            for ident in dict.fromkeys(props.get(p["id"], ())):
                for value in dict.fromkeys(props.get(p["notation"], ())):
                    for rid in reported:
                        for offset in offsets:
                            for meeting, number in numbered:
                                batch.append("(" + " ".join(
                                    "UNDEF" if t is None else str(ox_term(t))
                                    for t in (value, ident, report, rid, offset, meeting, number)).join((this + " ", ")")))
        if len(batch) >= BATCH:
            flush(found)
    return run, flush
