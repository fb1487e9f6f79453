"""No outbound requests: a query sent to the public ``/sparql`` may not use ``SERVICE``.

A SPARQL engine answers ``SERVICE <http://host/…> { … }`` by sending a query to
that host itself, so anyone who can reach a public endpoint could make the
server call hosts inside the network it runs in (server-side request forgery).
``tipkg serve`` does not federate: a query holding ``SERVICE`` is refused with a
400 that says why, before any worker sees it.

Two independent readings of the query decide, and either finding ``SERVICE`` is
enough to refuse:

* the parsed query (rdflib's SPARQL 1.1 parser): every ``ServiceGraphPattern``
  of the syntax tree, however deeply nested (``OPTIONAL``, ``UNION``,
  sub-queries, ``EXISTS`` …);
* a lexical reading that skips what cannot hold a keyword — string literals,
  comments, IRIs — and looks for ``SERVICE`` as a keyword, not as part of a
  prefixed name or variable. It also covers queries rdflib cannot parse
  (SPARQL 1.2 syntax the store accepts).

Both read the query after SPARQL's ``\\uXXXX``/``\\UXXXXXXXX`` escapes are
expanded, since the grammar applies them before parsing (``\\u0053ERVICE`` is
``SERVICE``). The query workers also run without network access where the
system allows it (``querypool``), so a query that slipped through still could
not connect anywhere.
"""

from __future__ import annotations

import re

#: a SPARQL token that cannot contain the SERVICE keyword, or the keyword itself
_TOKENS = re.compile(r"""
    (?P<long>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
  | (?P<short>'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<comment>\#[^\n\r]*)
  | (?P<word>[?$]?[A-Za-z0-9_\u00b7\u00c0-\uffff][\w\u00b7\u00c0-\uffff.\-]*(?::[^\s{}()<>,;]*)?|:[^\s{}()<>,;]*)
""", re.VERBOSE | re.DOTALL)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def expand_escapes(query: str) -> str:
    """The query with SPARQL's codepoint escapes applied (SPARQL 1.1 §19.2)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), query)


def lexical_services(query: str) -> int:
    """How many times the keyword ``SERVICE`` occurs outside strings, IRIs and comments."""
    count = 0
    for m in _TOKENS.finditer(query):
        word = m.group("word")
        if word is not None and word.rstrip(".").upper() == "SERVICE":
            count += 1
    return count


def parsed_services(query: str) -> list[str] | None:
    """The target (IRI or variable) of each SERVICE in the parsed query; None when rdflib cannot parse it."""
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        tree = parseQuery(query)
    except Exception:  # noqa: BLE001 — a parse failure only means this reading cannot decide
        return None
    found: list[str] = []
    stack: list = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                found.append(str(node.get("term")))
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)) or hasattr(node, "asList"):
            stack.extend(node)
    return found


def service_refusal(query: str) -> str | None:
    """Why the query must be refused (it would make the server call another host), or None."""
    text = expand_escapes(query)
    if "service" not in text.lower():  # neither reading can find the keyword without its letters
        return None
    parsed = parsed_services(text) or []
    if not parsed and not lexical_services(text):
        return None
    target = f" ({', '.join(sorted(set(parsed)))})" if parsed else ""
    return (f"SERVICE{target} is refused: this public endpoint does not send queries to other hosts "
            f"(federated queries are off); run the query against each endpoint yourself")
