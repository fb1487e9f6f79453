"""A ``sh:sparql`` constraint's triple patterns as hash joins: each its own sub-select.

Oxigraph joins the triple patterns of a group by looking each solution's next pattern
up in an index (a nested loop); over the persistent store (RocksDB) that is a seek per
solution and per pattern, several microseconds each, while reading a predicate's
triples in order costs a fraction of one. A triple pattern in a group of its own,
``{ SELECT * WHERE { s p o } }``, is evaluated once, whole, and joined by hash. The
solutions are the same: a sub-select projecting all of a pattern's variables is the
pattern. Measured on the ×10 corpus over the store: tipsh:RecommendationNumbering 0.26 → 0.14 s,
tipsh:PartExtendsParent 0.10 → 0.05 s; in memory about the same either way (0.06 → 0.045,
0.027 = 0.027).

Only the patterns of a WHERE group are rewritten (the query's, and a sub-select's in it),
never inside FILTER, EXISTS, MINUS, OPTIONAL, GRAPH, SERVICE or VALUES (there the other side
is bound first, and a lookup is what is wanted), nor in a UNION's branches: there the tables
of the joins doubled the peak memory of the query (tipsh:CitationShape at ×30: 66 → 148 MB,
which would be gigabytes at ×1000), for 0.9 of its 2.4 CPU s. And only
a block of plain patterns (subject and objects variables or IRIs, predicates IRIs or
alternatives of IRIs, ``;`` and ``,`` lists): a path with ``*``, ``+`` or ``?`` evaluated
whole would reach every node, and a literal or a blank node is left as written. Anything
the reader does not recognise is left as it is.

>>> hash_joins("SELECT ?this WHERE { ?this a <C> ; <p>|<q> ?v , ?w . FILTER NOT EXISTS { ?v <r> ?x } }")
'SELECT ?this WHERE { { SELECT * WHERE { ?this a <C> } } { SELECT * WHERE { ?this <p>|<q> ?v } } { SELECT * WHERE { ?this <p>|<q> ?w } } FILTER NOT EXISTS { ?v <r> ?x } }'
>>> hash_joins("SELECT ?this WHERE { { ?this <p> ?v . ?v <q> ?w } UNION { ?this <r> ?v } }")
'SELECT ?this WHERE { { ?this <p> ?v . ?v <q> ?w } UNION { ?this <r> ?v } }'
>>> hash_joins('SELECT ?this WHERE { ?this <p>* ?v . ?v <q> "x" . OPTIONAL { ?v <r> ?z } }')
'SELECT ?this WHERE { ?this <p>* ?v . ?v <q> "x" . OPTIONAL { ?v <r> ?z } }'
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r'''
    (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<var>[?$]\w+)
  | (?P<pname>(?:[A-Za-z](?:[\w.-]*[\w-])?)?:(?:[\w.-]*[\w-])?|[A-Za-z_][\w-]*)
  | (?P<number>[0-9][0-9.eE+-]*)
  | (?P<comment>\#[^\n]*)
  | (?P<punct>\S)
''', re.VERBOSE)

_STATEMENT_END = {"}", "{", "FILTER", "BIND", "OPTIONAL", "MINUS", "VALUES", "GRAPH", "SERVICE"}


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) of each token, comments left out; a name without a colon is a ``keyword``."""
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        if kind == "comment":
            continue
        if kind == "pname" and ":" not in m.group():
            kind = "keyword"
        out.append((kind, m.group(), m.start(), m.end()))
    return out


def _term(token) -> bool:
    return token[0] in ("var", "iri", "pname")


def _predicate(tokens, i: int) -> int | None:
    """The end of a predicate starting at ``i``: ``a``, an IRI, or an alternative of IRIs; None otherwise."""
    if i < len(tokens) and tokens[i][0] == "keyword" and tokens[i][1] == "a":
        return i + 1
    while i < len(tokens) and tokens[i][0] in ("iri", "pname"):
        if i + 1 < len(tokens) and tokens[i + 1][1] == "|":
            i += 2
            continue
        return i + 1
    return None


def _block(tokens, i: int) -> tuple[list[tuple[int, int, int, int]], int] | None:
    """The triples of a block of plain patterns starting at ``i`` (each as token ranges: subject,
    predicate start and end, object), and where the block ends; None if it is not one."""
    subject = i
    triples = []
    i += 1
    while True:
        end = _predicate(tokens, i)
        if end is None:
            return None
        predicate = (i, end)
        i = end
        while True:
            if i >= len(tokens) or not _term(tokens[i]):
                return None
            triples.append((subject, *predicate, i))
            i += 1
            if i < len(tokens) and tokens[i][1] == ",":
                i += 1
                continue
            break
        if i < len(tokens) and tokens[i][1] == ";":
            i += 1
            if i < len(tokens) and tokens[i][1] in (".", "}"):
                break
            continue
        break
    if i < len(tokens) and tokens[i][1] == ".":
        return triples, i + 1
    if i >= len(tokens) or tokens[i][1].upper() in _STATEMENT_END:
        return triples, i
    return None


def hash_joins(select: str) -> str:
    """``select`` with each block of plain triple patterns of its joined groups as one sub-select a pattern."""
    tokens = _tokens(select)
    frames: list[bool] = []  # per open '{': whether its patterns are rewritten
    parens = 0
    out, at = [], 0
    i, start = 0, True  # start: a triple block may begin here
    while i < len(tokens):
        kind, text, _, end = tokens[i]
        if text == "{":
            before = tokens[i - 1][1].upper() if i else ""
            frames.append((not frames or frames[-1]) and before == "WHERE" and parens == 0)
            i, start = i + 1, True
            continue
        if text == "}":
            if frames:
                frames.pop()
            i, start = i + 1, True
            continue
        if text == "(":
            parens += 1
        elif text == ")":
            parens -= 1
            start = parens == 0  # after FILTER (…) or BIND (…)
            i += 1
            continue
        if start and parens == 0 and frames and frames[-1] and _term(tokens[i]):
            found = _block(tokens, i)
            if found is not None:
                triples, after = found
                out.append(select[at:tokens[i][2]])
                out.append(" ".join(
                    f"{{ SELECT * WHERE {{ {tokens[s][1]} {''.join(t[1] for t in tokens[p:q])} {tokens[o][1]} }} }}"
                    for s, p, q, o in triples))
                at = tokens[after - 1][3]  # the block's last object, or its '.'
                i, start = after, True
                continue
        start = text == "." and parens == 0
        i += 1
    out.append(select[at:])
    return "".join(out)


_FLAT = re.compile(r"\{([^{}]*)\}")
_IN = re.compile(r"FILTER\s*\(\s*(\?\w+)\s+IN\s*\(([^()]*)\)\s*\)", re.IGNORECASE)
_IRIS = re.compile(r"\s*(?:(?:<[^<>\s]*>|[A-Za-z][\w-]*:[\w-]*)\s*,\s*)*(?:<[^<>\s]*>|[A-Za-z][\w-]*:[\w-]*)\s*")


def values_for_in(select: str) -> str:
    """``select`` with each ``FILTER (?k IN (IRIs))`` of a flat group (no braces inside) that binds ``?k`` in a
    triple pattern as ``VALUES ?k { IRIs }`` opening the group.

    The same solutions: ``?k`` bound by a pattern, ``IN`` over IRIs is ``sameTerm`` with one of them, and
    joining with VALUES keeps exactly those. Oxigraph reads a ``MINUS { ?v a ?k FILTER (?k IN (…)) }``
    whole — every ``rdf:type`` triple of the graph, then the filter — and the members of the classes
    listed with VALUES (tipsh:CitationShape's citing entities, ×10 over the store: 0.115 → 0.05 s).

    >>> values_for_in("SELECT ?x WHERE { ?x <p> ?v MINUS { ?v a ?k . FILTER (?k IN (<A>, t:B)) } }")
    'SELECT ?x WHERE { ?x <p> ?v MINUS { VALUES ?k { <A> t:B } ?v a ?k .  } }'
    >>> [values_for_in(q) == q for q in ("SELECT ?x WHERE { ?x <p> ?v FILTER (?v IN (<A>, 1)) }",
    ...                                   "SELECT ?x WHERE { ?x <p> ?v FILTER (?k IN (<A>)) }")]
    [True, True]
    """
    def group(m: re.Match) -> str:
        body, opened = m.group(1), []
        if '"' in body or "'" in body:
            return m.group(0)  # a string could hold braces: the group may not be what it seems

        def one(f: re.Match) -> str:
            var, items = f.group(1), f.group(2)
            rest = body[:f.start()] + body[f.end():]
            if not _IRIS.fullmatch(items) or not re.search(rf"(?<![\w?$]){re.escape(var)}\b", _patterns(rest)):
                return f.group(0)
            opened.append(f"VALUES {var} {{ {' '.join(x.strip() for x in items.split(','))} }}")
            return ""
        body = _IN.sub(one, body)
        return "{ " + " ".join(opened) + " " + body.lstrip() + "}" if opened else m.group(0)
    return _FLAT.sub(group, select)


def _patterns(block: str) -> str:
    """A flat group's text without its FILTER and BIND expressions: where its triple patterns bind variables."""
    return re.sub(r"\b(?:FILTER|BIND)\s*\((?:[^()]|\([^()]*\))*\)", " ", block, flags=re.IGNORECASE)
