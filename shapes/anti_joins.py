"""A query's ``FILTER NOT EXISTS`` anti-joins on one variable rewritten as ``MINUS`` (``anti_joins``),
where the two give the same solutions: what the compiler (``shacl_sparql``) does to every
``sh:sparql`` constraint's SELECT, and ``unions`` to each branch of a union it runs apart.
"""

from __future__ import annotations

import re


_VAR = re.compile(r"[?$](\w+)")
_NOT_EXISTS = re.compile(r"FILTER\s+NOT\s+EXISTS\s*\{")


def anti_joins(select: str) -> str:
    """``select`` with each ``FILTER NOT EXISTS { P }`` that is an anti-join on one variable as ``MINUS { P }``.

    NOT EXISTS is a lookup per solution; MINUS reads P's matches once and removes by hash (CitationShape
    at ×30 over the persistent store, 95,732 citations: 6.5 s -> 3.2 s). With a property path in P the
    lookup grows with the graph, not only the solutions (tipsh:PreambularRecalls: ×3 -> ×10 -> ×30,
    exponent 1.7); P with a path is rewritten when one of its triple patterns is anchored by a constant
    (``?pp a tip:PreambularParagraph``), so that MINUS starts from it rather than from the path alone.
    The same solutions when: P is one flat block (no braces; a property path only with an anchor), it
    shares exactly one variable x with the rest of the
    query, and the group before the FILTER binds x by a plain triple pattern (no OPTIONAL, UNION, BIND,
    VALUES, GRAPH or SERVICE there) — then every solution has x bound, and MINUS removes exactly those
    with a match of P. SHACL forbids MINUS in the constraint itself (pyshacl refuses it), so the
    rewriting is the compiler's. Not inside another EXISTS (its variables are bound from outside, where
    MINUS would share none). Anything else stays as written.

    >>> anti_joins("SELECT ?this WHERE { ?this <p> ?v . FILTER NOT EXISTS { ?v a ?k } BIND (1 AS ?r) }")
    'SELECT ?this WHERE { ?this <p> ?v . MINUS { ?v a ?k } BIND (1 AS ?r) }'
    >>> anti_joins("SELECT ?this WHERE { ?this <p> ?v FILTER NOT EXISTS { ?this <q>* ?w . ?w a <C> } }")
    'SELECT ?this WHERE { ?this <p> ?v MINUS { ?this <q>* ?w . ?w a <C> } }'
    >>> [anti_joins(q) == q for q in (
    ...     "SELECT ?this WHERE { ?this <p> ?a ; <q> ?b . FILTER NOT EXISTS { ?a ?b ?this } }",
    ...     "SELECT ?this WHERE { OPTIONAL { ?this <p> ?v } FILTER NOT EXISTS { ?v a ?k } }",
    ...     "SELECT ?this WHERE { ?this <p> ?v FILTER NOT EXISTS { ?this <q>* ?w . ?w <r> ?k } }",
    ...     "SELECT ?this WHERE { ?this <p> ?v FILTER NOT EXISTS { ?this <q> ?v . FILTER NOT EXISTS { ?v <q> ?w } } }")]
    [True, True, True, True]
    """
    out, at = select, 0
    while (m := _NOT_EXISTS.search(out, at)) is not None:
        at = m.end()
        close = out.find("}", m.end())
        inner = out[m.end():close]
        if close < 0 or "{" in inner or (re.search(r"[*+|/^]", re.sub(r'<[^<>]*>|"[^"]*"', "", inner))
                                         and not _anchored(inner)):
            continue
        rest = out[:m.start()] + out[close + 1:]
        shared = set(_VAR.findall(inner)) & set(_VAR.findall(rest))
        if len(shared) != 1:
            continue
        (x,) = shared
        depth, start = 0, m.start()  # the group's own text before the FILTER (nested groups left out)
        before: list[str] = []
        while start > 0:
            start -= 1
            c = out[start]
            if c == "}":
                depth += 1
            elif c == "{":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0:
                before.append(c)
        group = "".join(reversed(before))
        if _inside_exists(out, m.start()):
            continue
        if re.search(r"\b(OPTIONAL|UNION|BIND|VALUES|GRAPH|SERVICE)\b", group, re.IGNORECASE) \
                or not re.search(r"[?$]" + x + r"\b", group):
            continue
        out = out[:m.start()] + "MINUS {" + out[m.end():]
        at = m.start() + len("MINUS {")
    return out


_CONSTANT = r'(?:<[^<>\s]*>|[A-Za-z][\w-]*:[\w-]*|"[^"]*")'
_ANCHOR = re.compile(rf"\s*(?:[?$]\w+\s+(?:a|{_CONSTANT})\s+{_CONSTANT}|{_CONSTANT}\s+(?:a|{_CONSTANT})\s+[?$]\w+)\s*")


def _anchored(block: str) -> bool:
    """Whether one of the triple patterns of a flat block (``s p o . s p o``) has a constant predicate
    (no path) and a constant subject or object: its matches are few, found by an index."""
    return any(_ANCHOR.fullmatch(pattern) for pattern in re.split(r"\s\.(?=\s|$)", block))


def _inside_exists(text: str, at: int) -> bool:
    """Whether position ``at`` of a query is within the braces of an EXISTS or NOT EXISTS."""
    frames: list[bool] = []
    for m in re.finditer(r"\bEXISTS\s*\{|\{|\}", text[:at], re.IGNORECASE):
        if m.group(0) == "}":
            if frames:
                frames.pop()
        else:
            frames.append(m.group(0) != "{")
    return any(frames)
