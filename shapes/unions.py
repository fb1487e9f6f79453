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

Two kinds of branch are answered instead by the pass over the graph's runs of subjects with the checks
local to a focus node (``shapes/local.py``, ``local_branch``): a test of the member's own values
(``?this P ?value . FILTER (!REGEX(STR(?value), "…"))``) and "the edge the member describes is
asserted" (``?this A ?x ; B ?y ; P ?value . FILTER NOT EXISTS { ?x ?value ?y }``: each triple written
to a scratch file as the citation's run is read, then looked up in graph.nt by one merge). These were
tipsh:CitationShape's dearest branches, a few lookups per citation in the store (×100: 11.7 CPU s for
the check, growth exponent 1.12 from ×30).

>>> branches("SELECT ?this ?v WHERE { ?this a <C> . { ?this <p> ?v } UNION { ?this <q> ?v . FILTER (?v > 1) } }")
('?this ?v', '<C>', ['?this <p> ?v', '?this <q> ?v . FILTER (?v > 1)'])
>>> [branches(q) for q in ("SELECT * WHERE { ?this a <C> . { ?this <p> ?v } UNION { ?this <q> ?v } }",
...     "SELECT ?this WHERE { ?this a <C> . { ?this <p> ?v } UNION { ?s <q> ?this } }",
...     "SELECT ?this WHERE { ?this a <C> . { ?this <p> ?v } } LIMIT 1")]
[None, None, None]
"""

from __future__ import annotations

import re
from typing import Callable, Iterator, cast

import pyoxigraph as ox

from tipkg.shapes.joins import _tokens
from tipkg.shapes.local import Local, Targets, python_pattern

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


#: the branches ``local_branch`` answers by the pass: a slot ``path:x`` is a predicate or an alternative of
#: predicates, ``var:x`` a variable, ``text:x`` a plain string; every other token is as written
_LOCAL_FORMS = {
    "value": "SELECT ?this ?value var:r WHERE { ?this path:p ?value . FILTER ( ! REGEX ( STR ( ?value ) , text:re ) ) "
             "BIND ( text:t AS var:r2 ) }",
    "edge": "SELECT ?this ?value var:r WHERE { ?this path:a var:x ; path:b var:y ; path:p ?value . "
            "FILTER NOT EXISTS { var:x2 ?value var:y2 } BIND ( text:t AS var:r2 ) }",
}


def local_branch(select: str, prefixes: list[str], member: str) -> Local | None:
    """The branch of a split query (``select``: its query alone, ``parts``) as a check local to the members
    of ``member`` (``shapes/local.py``), when it is one of two forms, P, A, B each a predicate or an
    alternative of predicates, the strings plain (no escape), ``?r`` bound to a constant:

    - ``SELECT ?this ?value ?r WHERE { ?this P ?value . FILTER (!REGEX(STR(?value), "re")) BIND ("t" AS ?r) }``,
      the regex one Python reads alike (``local.python_pattern``): a test of the member's own values;
    - ``SELECT ?this ?value ?r WHERE { ?this A ?x ; B ?y ; P ?value . FILTER NOT EXISTS { ?x ?value ?y }
      BIND ("t" AS ?r) }``: the edge the member describes is asserted, the triple looked up in the graph
      once the pass has read every member (``local.evaluate``, kind "edge").

    None for anything else.

    >>> found = local_branch('SELECT ?this ?value ?r WHERE { ?this <p>|x:q ?value . FILTER (!REGEX(STR(?value), '
    ...                      '"^a$")) BIND ("no" AS ?r) }', ["PREFIX x: <urn:x#>"], "urn:C")
    >>> found.targets.classes, found.path, found.names, found.bound
    (frozenset({'urn:C'}), ('p', 'urn:x#q'), ['this', 'value', 'r'], (('r', ('L', 'no', '')),))
    >>> local_branch('SELECT ?this ?value ?r WHERE { ?this <a> ?s ; <b> ?o ; <p> ?value . FILTER NOT EXISTS '
    ...              '{ ?s ?value ?o } BIND ("no" AS ?r) }', [], "urn:C").kind
    ('edge', ('a',), ('b',))
    >>> [local_branch(q, [], "urn:C") for q in (
    ...     'SELECT ?this ?value ?r WHERE { ?this <p>* ?value . FILTER (!REGEX(STR(?value), "a")) BIND ("no" AS ?r) }',
    ...     'SELECT ?this ?value ?r WHERE { ?this <a> ?s ; <b> ?o ; <p> ?value . FILTER NOT EXISTS '
    ...     '{ ?o ?value ?s } BIND ("no" AS ?r) }')]
    [None, None]
    """
    for name, paths, names, texts in matched_forms(select, prefixes, _LOCAL_FORMS):
        if names["r"] != names["r2"] or names["r"] in ("?this", "?value"):
            continue
        bound = ((names["r"][1:], ("L", texts["t"], "")),)
        targets = Targets(frozenset({member}), (), ())
        if name == "value":
            regex = python_pattern(texts["re"], None)
            if regex is not None:
                return Local(targets, paths["p"], ("value", (("pattern", regex),)), bound)
        elif (names["x"], names["y"]) == (names["x2"], names["y2"]) and len({names["x"], names["y"], "?this", "?value"}) == 4:
            return Local(targets, paths["p"], ("edge", paths["a"], paths["b"]), bound)
    return None


def matched_forms(select: str, prefixes: list[str], forms: dict[str, str]
                  ) -> Iterator[tuple[str, dict[str, tuple[str, ...]], dict[str, str], dict[str, str]]]:
    """(name, paths, variables, strings) of each of ``forms`` (slots as in ``_LOCAL_FORMS``) that the query
    ``select`` follows, its prefixes declared by ``prefixes`` (lines ``PREFIX p: <…>``, also read off its head)."""
    declared = dict(re.findall(r"PREFIX (\S*): <([^>]*)>", "\n".join(prefixes)))
    tokens = _tokens(re.sub(r"\A(?:\s*PREFIX[^\n]*\n)*", "", select))
    for name, form in forms.items():
        found = _matched(tokens, form.split(), declared)
        if found is not None:
            yield (name, *found)


def _matched(tokens: list, form: list[str], declared: dict[str, str]
             ) -> tuple[dict[str, tuple[str, ...]], dict[str, str], dict[str, str]] | None:
    """The slots of ``form`` (``_LOCAL_FORMS``) as ``tokens`` fill them: (paths, variables, strings); None when
    they do not follow the form."""
    paths: dict[str, tuple[str, ...]] = {}
    names: dict[str, str] = {}
    texts: dict[str, str] = {}
    i = 0
    for want in form:
        if i >= len(tokens):
            return None
        kind, word = tokens[i][0], tokens[i][1]
        slot, _, key = want.partition(":")
        if slot == "path" and key:
            preds = []
            while True:
                kind, word = tokens[i][0], tokens[i][1]
                prefix, _, local = word.partition(":")
                if kind == "iri":
                    preds.append(word[1:-1])
                elif kind == "pname" and prefix in declared:
                    preds.append(declared[prefix] + local)
                else:
                    return None
                if i + 1 >= len(tokens) or tokens[i + 1][1] != "|":
                    break
                i += 2
            paths[key] = tuple(preds)
        elif slot == "var" and key:
            if kind != "var":
                return None
            names[key] = word
        elif slot == "text" and key:
            if kind != "string" or not word.startswith('"') or word.startswith('"""') or "\\" in word:
                return None
            texts[key] = word[1:-1]
        elif (word.upper() if want.isalpha() else word) != want:
            return None
        i += 1
    return (paths, names, texts) if i == len(tokens) else None


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
