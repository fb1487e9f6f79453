"""A ``sh:sparql`` constraint on one class's nodes made of independent checks (a UNION), run a branch at a time.

tipsh:CitationShape is ``SELECT $this ?value ?reason WHERE { $this a cito:Citation . { … } UNION
{ … } UNION … }``. Oxigraph joins the class's members with the UNION by hash: it holds every
citation in a table as wide as the query's variables (×10 corpus over the store 40 MB, ×30 64 MB
of which 32 MB are RocksDB's block cache: about 400 bytes a citation, linear, ≈1.1 GB at ×1000).
Each branch alone, without the class, scans its own patterns and keeps nothing but its few rows
(and its MINUS's table: the nodes of a few classes, not the citations): so each branch runs
alone, and each of its rows is kept when its ``?this`` is a member of the class, looked up in the
store. A branch whose rows are mostly not members (tipsh:CitationShape's relation test is also
true of every tip:TextReuse, 111,176 rows at ×30) is given up past ``REJECTED`` of them and
run again with the class first, its triples looked up from each member (a nested loop: no table).

The rows are the query's: the class pattern ``?this a C`` joins each branch's row with the one
triple ``?this rdf:type C`` when there is one (so a row is kept once, or dropped), because every
branch binds ``?this`` with its first triple pattern, the form required here. Anything else
(another projection, ``*``, DISTINCT, a solution modifier, a branch starting otherwise) keeps the
single query. Delta validation (``shapes/affected.py``) starts from a few focus nodes and keeps
the single query; ``shapes/check_reads.py`` reads that query, so what a check reads is unchanged.

>>> branches("SELECT ?this ?v WHERE { ?this a <C> . { ?this <p> ?v } UNION { ?this <q> ?v . FILTER (?v > 1) } }")
('?this ?v', '<C>', ['?this <p> ?v', '?this <q> ?v . FILTER (?v > 1)'])
>>> [branches(q) for q in ("SELECT * WHERE { ?this a <C> . { ?this <p> ?v } UNION { ?this <q> ?v } }",
...     "SELECT ?this WHERE { ?this a <C> . { ?this <p> ?v } UNION { ?s <q> ?this } }",
...     "SELECT ?this WHERE { ?this a <C> . { ?this <p> ?v } } LIMIT 1")]
[None, None, None]
"""

from __future__ import annotations

import re
from typing import Callable, cast

import pyoxigraph as ox

from tipkg.shapes.joins import _tokens

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
#: rows of a branch whose ``?this`` is not a member; past this many it runs again from the members
REJECTED = 1000


def branches(select: str) -> tuple[str, str, list[str]] | None:
    """(projection, class as written, each branch's text) of ``SELECT ?vars WHERE { ?this a C . { B1 } UNION
    { B2 } … }`` (two branches or more, each starting with a triple pattern on ``?this``); None otherwise."""
    tokens = _tokens(select)
    words = [t[1] for t in tokens]
    if len(words) < 4 or words[0].upper() != "SELECT" or "WHERE" not in (w.upper() for w in words):
        return None
    where = next(i for i, w in enumerate(words) if w.upper() == "WHERE")
    projection = tokens[1:where]
    if not projection or any(t[0] != "var" for t in projection) or "?this" not in words[1:where]:
        return None
    head = words[where + 1:where + 5]
    if head[:3] != ["{", "?this", "a"] or tokens[where + 4][0] not in ("iri", "pname") or words[where + 5] != ".":
        return None
    if words[-1] != "}":
        return None
    found: list[str] = []
    i, depth = where + 6, 0
    start: int | None = None
    while i < len(tokens) - 1:
        word = words[i]
        if word == "{":
            if depth == 0:
                if found and words[i - 1].upper() != "UNION":
                    return None
                start = i + 1
            depth += 1
        elif word == "}":
            depth -= 1
            if depth < 0:
                return None
            if depth == 0 and start is not None:
                if words[start] != "?this":
                    return None
                found.append(select[tokens[start][2]:tokens[i - 1][3]])
        elif depth == 0 and word.upper() != "UNION":
            return None
        i += 1
    if depth != 0 or len(found) < 2:
        return None
    return (" ".join(words[1:where]), words[where + 4], found)


def parts(select: str, prefixes: list[str], rewrite: Callable[[str], str]
          ) -> tuple[tuple[tuple[str, str], ...], str] | None:
    """Each branch of ``select`` (``branches``) as a query alone and from the class's members, both
    ``rewrite``-n (the compiler's anti-joins; not its hash joins, whose tables are what this avoids),
    and the class's IRI; None when ``select`` is not of that form."""
    found = branches(select)
    if found is None:
        return None
    projection, kind, texts = found
    if kind.startswith("<"):
        iri = kind[1:-1]
    else:
        declared = dict(re.findall(r"PREFIX (\S*): <([^>]*)>", "\n".join(prefixes)))
        prefix, local = kind.split(":", 1)
        if prefix not in declared:
            return None
        iri = declared[prefix] + local
    head = "\n".join(prefixes) + "\n"
    return tuple((head + rewrite(f"SELECT {projection} WHERE {{ {text} }}"),
                  head + rewrite(f"SELECT {projection} WHERE {{ ?this a {kind} . {text} }}")) for text in texts), iri


def run(where: ox.Store, parts: tuple[tuple[str, str], ...], member: str) -> tuple[list[str], list[tuple]]:
    """The rows of a check split into ``parts`` (each branch's query alone, and with the class first),
    over the store ``where``; ``member``: the class's IRI."""
    kind = ox.NamedNode(member)
    graph = ox.DefaultGraph()

    def is_member(node) -> bool:
        return next(iter(where.quads_for_pattern(node, RDF_TYPE, kind, graph)), None) is not None

    names: list[str] = []
    rows: list[tuple] = []
    for alone, from_members in parts:
        solutions = cast(ox.QuerySolutions, where.query(alone))
        names = [v.value for v in solutions.variables]
        kept = _members(solutions, names.index("this"), is_member)
        if kept is None:
            kept = [tuple(row) for row in cast(ox.QuerySolutions, where.query(from_members))]
        rows += kept
    return names, rows


def _members(solutions, at: int, is_member: Callable[[object], bool]) -> list[tuple] | None:
    """The rows of ``solutions`` whose ``?this`` (column ``at``) is a member of the class; None once more
    than ``REJECTED`` are not (the branch then runs from the members)."""
    kept, rejected = [], 0
    for row in solutions:
        if is_member(row[at]):
            kept.append(tuple(row))
        else:
            rejected += 1
            if rejected > REJECTED:
                return None
    return kept
