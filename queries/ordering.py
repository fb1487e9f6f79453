"""A query's ORDER BY applied in Python, to rows the store returned unsorted.

Oxigraph 0.5 sorts a solution sequence by evaluating the ORDER BY keys at each
comparison and comparing the strings of stored literals by reading them back
from the store: on the corpus ×10 the answer of topic-paragraphs for every
topic (18,000 rows) took 1.4 s of its 1.8 s to sort, and the sort grows with
n log n string fetches. The build's precomputed answers (precomputed.py) are
made of such big runs, split by a parameter, so they ask for the rows unsorted
and sort them here, by the same keys, in a millisecond per thousand rows.

Only what is unambiguous is sorted here, so that the result is the store's
order exactly:

* the keys are projected variables or ``STR`` of one, ascending or descending
  (a clause of the simple form the catalog writes, read as tokens; anything
  else — an expression, a LIMIT after it — gives ``None``);
* a key's values are unbound, IRIs, and literals of one kind: plain
  (``xsd:string``), ``xsd:integer``, or language-tagged with one same tag
  (Oxigraph orders unbound < IRI < literal, strings and same-tag strings by
  code point, integers by value; it does not order a string against an
  integer or two tags by value — they compare equal) — anything else: ``None``;
* two different rows equal on every key are an order the engine chooses
  (Oxigraph's sort is not stable): ``sort_rows`` says so (``tied``) and the
  caller asks the store instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Key:
    """One ORDER BY condition: a projected variable (its column), through ``STR`` or not, descending or not."""

    column: int
    str_of: bool
    descending: bool


#: one ORDER BY key of the simple forms: ?v, STR(?v), ASC(…) or DESC(…) of either
_KEY = re.compile(r"\s*(?:(?P<dir>ASC|DESC)\s*\(\s*(?:(?P<s1>STR)\s*\(\s*\?(?P<v1>\w+)\s*\)|\?(?P<v2>\w+))\s*\)"
                  r"|(?P<s3>STR)\s*\(\s*\?(?P<v3>\w+)\s*\)|\?(?P<v4>\w+))\s*", re.IGNORECASE)


def order_keys(text: str, variables) -> list[Key] | None:
    """The outer ORDER BY of ``text`` as keys over its projected ``variables`` (the answer's, as the
    store names them); None when it has none, a LIMIT or OFFSET after it, REDUCED, or a key that
    is not ``?v``, ``STR(?v)``, ``ASC(…)`` or ``DESC(…)`` of a projected variable.

    >>> order_keys("SELECT ?a ?n WHERE { } ORDER BY DESC(?n) STR(?a)", ["a", "n"])
    [Key(column=1, str_of=False, descending=True), Key(column=0, str_of=True, descending=False)]
    >>> order_keys("SELECT ?a WHERE { } ORDER BY ?a LIMIT 2", ["a"]) is None
    True
    """
    clause = _clause(text)
    if clause is None or re.search(r"(?i)\bSELECT\s+REDUCED\b", text):
        return None
    columns = {v: i for i, v in enumerate(variables)}
    keys, at = [], 0
    while at < len(clause):
        m = _KEY.match(clause, at)
        name = m and (m["v1"] or m["v2"] or m["v3"] or m["v4"])
        if not m or name not in columns:
            return None  # not a key of the simple forms, or not projected
        keys.append(Key(columns[name], bool(m["s1"] or m["s3"]), (m["dir"] or "").upper() == "DESC"))
        at = m.end()
    return keys or None


def _clause(text: str) -> str | None:
    """What follows the outer ORDER BY (after the last ``}``), comments removed; None if there is none."""
    close = text.rfind("}")
    found = [m for m in _ORDER.finditer(text) if m.start() > close]
    if not found:
        return None
    return re.sub(r"#[^\n]*", " ", text[found[-1].end():]).strip()


_ORDER = re.compile(r"(?i)\bORDER\s+BY\b")


def unordered(text: str) -> str | None:
    """``text`` without its outer ORDER BY clause (the last one, after the last ``}``), or None if
    there is none to remove (the rows then come as the store chooses)."""
    close = text.rfind("}")
    found = [m for m in _ORDER.finditer(text) if m.start() > close]
    return text[:found[-1].start()].rstrip() + "\n" if found else None


def _column_key(values: list, str_of: bool):
    """A sort key for each value of one column, comparable among themselves; None if one cannot be
    ordered here (a blank node, another typed literal, two kinds of literal or two language tags)."""
    kinds: set[str] = set()
    out: list[tuple[int | str, ...]] = []  # (rank of the kind, value): None, then IRIs, then values
    # each distinct term is keyed once, looked up by identity (run_local gives equal terms of one answer
    # one object; ``values`` keeps them alive): a column repeats few terms (topics, documents, years)
    known: dict[int, tuple] = {}
    for term in values:
        key = known.get(id(term))
        if key is None:
            found = _term_key(term, str_of)
            if found is None:
                return None
            key, kind = found
            if kind:
                kinds.add(kind)
            known[id(term)] = key
        out.append(key)
    if len(kinds - {"iri"}) > 1:  # strings with integers, or two language tags: not compared by value
        return None
    return out


def _term_key(term, str_of: bool) -> tuple[tuple, str] | None:
    """One value's sort key and kind ("" for unbound), None if it is not ordered here."""
    if term is None:
        return (0,), ""
    if term.kind == "iri":
        return ((2, term.value), "string") if str_of else ((1, term.value), "iri")
    if term.kind == "literal" and not term.lang and term.datatype in ("", XSD + "string"):
        return (2, term.value), "string"
    if term.kind == "literal" and term.lang and not str_of:
        return (2, term.value), "@" + term.lang.lower()
    if term.kind == "literal" and term.datatype == XSD + "integer" and not str_of \
            and re.fullmatch(r"[+-]?\d+", term.value):
        return (2, int(term.value)), "integer"
    return None


def sort_rows(rows, keys: list[Key]) -> tuple[list, bool] | None:
    """``rows`` sorted by ``keys`` as the store would sort them, and whether two different rows tie
    on every key (their order is then the engine's choice); None if a key's values cannot be ordered
    here."""
    rows = list(rows)
    columns = []
    for key in keys:
        column = _column_key([row[key.column] for row in rows], key.str_of)
        if column is None:
            return None
        columns.append(column)
    order = list(range(len(rows)))
    for key, column in reversed(list(zip(keys, columns))):  # stable passes, the last key first
        order.sort(key=column.__getitem__, reverse=key.descending)
    out = [rows[i] for i in order]
    keyed = list(zip(*columns))
    whole = [keyed[i] for i in order]
    tied = any(a == b and x != y for a, b, x, y in zip(whole, whole[1:], out, out[1:]))
    return out, tied
