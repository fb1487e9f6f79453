"""Run a SPARQL query on the embedded store or on a remote SPARQL 1.1 endpoint.

Both paths answer with the same ``Results`` (variables and rows of plain
``Term`` values), so the output formats — and the test that a remote store
answers exactly as the local one — never depend on where the query ran.
Remote errors (refused connection, HTTP 500, timeout, bad query) become one
``TipkgError`` line naming the endpoint.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import urllib.error
from dataclasses import dataclass
from urllib.parse import quote

import pyoxigraph

from tipkg.errors import TipkgError

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
#: queries longer than this (URL-encoded) go to endpoints by POST
GET_LIMIT = 1800


@dataclass(frozen=True, order=True)
class Term:
    """An RDF term as a result value: ``kind`` is ``iri``, ``literal`` or ``bnode``."""

    kind: str
    value: str
    datatype: str = ""
    lang: str = ""

    def sparql_json(self) -> dict:
        if self.kind == "iri":
            return {"type": "uri", "value": self.value}
        if self.kind == "bnode":
            return {"type": "bnode", "value": self.value}
        out = {"type": "literal", "value": self.value}
        if self.lang:
            out["xml:lang"] = self.lang
        elif self.datatype and self.datatype != XSD_STRING:
            out["datatype"] = self.datatype
        return out


@dataclass(frozen=True)
class Results:
    """A SELECT answer (``variables``, ``rows``) or an ASK answer (``boolean``)."""

    variables: tuple[str, ...]
    rows: tuple[tuple[Term | None, ...], ...]
    boolean: bool | None = None

    def comparable(self, bnodes: bool = False) -> list:
        """Rows sorted, blank-node labels erased: what two stores must agree on."""
        def norm(t: Term | None):
            if t is None:
                return ("", "", "", "")
            return (t.kind, "" if t.kind == "bnode" and not bnodes else t.value, t.datatype, t.lang)
        return sorted(tuple(norm(t) for t in row) for row in self.rows)


def _from_oxigraph(term) -> Term | None:
    if term is None:
        return None
    if isinstance(term, pyoxigraph.NamedNode):
        return Term("iri", term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return Term("bnode", term.value)
    if isinstance(term, pyoxigraph.Literal):
        lang = term.language or ""
        return Term("literal", term.value, "" if lang else term.datatype.value, lang)
    return Term("literal", str(term))


def _from_json(binding: dict | None) -> Term | None:
    if binding is None:
        return None
    kind = binding["type"]
    if kind == "uri":
        return Term("iri", binding["value"])
    if kind == "bnode":
        return Term("bnode", binding["value"])
    lang = binding.get("xml:lang", "")
    return Term("literal", binding["value"], "" if lang else binding.get("datatype", XSD_STRING), lang)


def _reason(message: str) -> str:
    """The parser's reason on one short line: an undeclared prefix named as such, the
    list of expected tokens cut to its words (the parser also lists character ranges)."""
    reason = " ".join(re.sub(r"^error at \d+:\d+:\s*", "", message).split())
    if "Prefix not found" in reason:
        return "undeclared prefix"
    m = re.match(r"expected one of (.*)", reason)
    if m:
        words = [w for w in re.findall(r"\b[A-Z][A-Z_0-9]+\b", m[1])]
        return "unexpected token" + (f" (expected e.g. {', '.join(words[:5])})" if words else "")
    return reason[:160]


def syntax_error(query: str, message: str, path: str, line_offset: int = 0) -> TipkgError:
    """One line: the parser's reason at the query's line and column, the offending
    token and the line it stands in. ``line_offset`` lines were prepended (prefixes)."""
    m = re.search(r"(\d+):(\d+)", message)
    if not m:
        return TipkgError(path, f"SPARQL syntax error: {_reason(message)}")
    line_no, column = int(m[1]), int(m[2])
    lines = query.splitlines()
    if line_no > len(lines) or not lines[line_no - 1].strip():  # stopped at the end: show the last words
        line_no = max((i for i, text in enumerate(lines[:line_no], 1) if text.strip()), default=1)
        column = len(lines[line_no - 1]) + 1 if lines else 1
    text = lines[line_no - 1] if lines else ""
    before = re.findall(r"\S+", text[:column - 1])
    after = re.match(r"\s*(\S+)", text[column - 1:])
    token = (before[-1] if before and not text[column - 2:column - 1].isspace() else "") + (after[1] if after and not text[column - 1:column].isspace() else "")
    token = token or (after[1] if after else (before[-1] if before else ""))
    reason = _reason(message)
    if reason == "undeclared prefix" and ":" in token:
        reason = f"undeclared prefix {token.split(':')[0].lstrip('^(!/')}: (declare it with PREFIX)"
    return TipkgError(path, f"SPARQL syntax error at line {line_no - line_offset}, column {column}: {reason} "
                            f"at {token!r} — in: {text.strip()!r}", line=line_no - line_offset)


def check_syntax(query: str, path: str, line_offset: int = 0) -> None:
    """Parse ``query`` (against an empty store) so errors are reported the same everywhere."""
    try:
        answer = pyoxigraph.Store().query(query)
        if isinstance(answer, pyoxigraph.QuerySolutions | pyoxigraph.QueryTriples):
            list(answer)
    except SyntaxError as exc:
        raise syntax_error(query, str(exc), path, line_offset) from None


def with_prefixes(query: str, prefixes: dict[str, str]) -> tuple[str, int]:
    """``query`` with a first line declaring the catalog's prefixes it uses but does not
    declare (a user's query then needs no PREFIX lines); and the number of lines added."""
    declared = {m.lower() for m in re.findall(r"(?im)^\s*PREFIX\s+([\w-]*):", query)}
    body = "\n".join(l for l in query.splitlines() if not l.lstrip().startswith("#"))
    missing = [p for p in prefixes if p.lower() not in declared and re.search(rf"(?<![\w?$]){re.escape(p)}:", body)]
    if not missing:
        return query, 0
    return " ".join(f"PREFIX {p}: <{prefixes[p]}>" for p in missing) + "\n" + query, 1


_LIMITED = re.compile(r"\b(LIMIT|OFFSET)\s+\d+\b", re.IGNORECASE)


def paged(query: str, limit: int | None, offset: int) -> tuple[str, bool]:
    """``query`` asking the store for one page (``limit`` + 1 rows, to know whether more
    follow), and whether it does: a query with its own LIMIT/OFFSET, or one the page
    would not parse in, is paged after it answered."""
    if limit is None and not offset:
        return query, True
    lines = [l for l in query.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    if not lines or _LIMITED.search(lines[-1]) or not re.search(r"(?i)\bSELECT\b", query):
        return query, False
    page = query.rstrip() + "\n" + (f"LIMIT {limit + 1} " if limit is not None else "") + \
        (f"OFFSET {offset}" if offset else "")
    try:
        pyoxigraph.Store().query(page)
    except SyntaxError:
        return query, False
    return page, True


def query_form(query: str) -> str | None:
    """SELECT, ASK or CONSTRUCT (for DESCRIBE too), as pyoxigraph parses ``query``; None if it does not parse.

    SPARQLWrapper guesses the form from the first keyword in the text, and its
    comment stripping keeps every other line of a comment block: a catalog
    header saying "load" or "address" made it send the query as an UPDATE.
    """
    try:
        answer = pyoxigraph.Store().query(query)
    except SyntaxError:
        return None
    if isinstance(answer, pyoxigraph.QueryBoolean):
        return "ASK"
    return "CONSTRUCT" if isinstance(answer, pyoxigraph.QueryTriples) else "SELECT"


def run_local(store: pyoxigraph.Store, query: str, path: str = "query") -> Results:
    """Run ``query`` on an embedded pyoxigraph store."""
    try:
        answer = store.query(query)
        if isinstance(answer, pyoxigraph.QueryBoolean):
            return Results((), (), bool(answer))
        if isinstance(answer, pyoxigraph.QueryTriples):
            rows = tuple(tuple(_from_oxigraph(x) for x in (t.subject, t.predicate, t.object)) for t in answer)
            return Results(("subject", "predicate", "object"), rows)
        variables = tuple(v.value for v in answer.variables)
        # a solution iterates its values in the order of the variables; a term met again (a document,
        # a topic, on thousands of rows) is converted once: a third of a big answer's time was here
        seen: dict = {None: None}
        rows = tuple(tuple([seen[x] if x in seen else seen.setdefault(x, _from_oxigraph(x)) for x in solution])
                     for solution in answer)
        return Results(variables, rows)
    except SyntaxError as exc:
        raise syntax_error(query, str(exc), path) from None
    except OSError as exc:
        raise TipkgError(path, f"query failed on the embedded store: {exc}") from None


def run_remote(endpoint: str, query: str, *, path: str = "query", graph: str | None = None,
               timeout: float = 60.0, user: str | None = None, password: str | None = None) -> Results:
    """Run ``query`` on a SPARQL 1.1 endpoint with SPARQLWrapper (POST when long)."""
    from SPARQLWrapper import JSON, POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    client = SPARQLWrapper(endpoint)
    # SPARQLWrapper guesses the query form from the text with comments removed, but its comment
    # pattern skips every other line of a comment block: "1 | created | …" in a catalog header
    # made it a CREATE request (HTTP 400). The endpoint never needs the comments.
    query = "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))
    client.setQuery(query)
    client.queryType = query_form(query) or client.queryType
    client.setReturnFormat(JSON)
    client.setTimeout(int(timeout) if timeout >= 1 else 1)
    if graph:
        client.addDefaultGraph(graph)
    if len(quote(query)) > GET_LIMIT:
        client.setMethod(POST)
    if user:
        client.setCredentials(user, password or "")
    try:
        answer = client.query()
        payload = json.loads(answer.response.read().decode("utf-8"))
    except SPARQLWrapperException as exc:
        raise TipkgError(endpoint, _remote_reason(exc)) from None
    except urllib.error.HTTPError as exc:
        raise TipkgError(endpoint, f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise TipkgError(endpoint, f"no answer within {timeout:g} s (timeout)") from None
        if isinstance(reason, ConnectionRefusedError):
            raise TipkgError(endpoint, "connection refused (is the server running?)") from None
        raise TipkgError(endpoint, f"cannot reach the endpoint: {reason}") from None
    except (socket.timeout, TimeoutError):
        raise TipkgError(endpoint, f"no answer within {timeout:g} s (timeout)") from None
    except http.client.IncompleteRead as exc:
        raise TipkgError(endpoint, f"the answer was cut off: the connection closed after {len(exc.partial)} bytes, "
                                   f"{exc.expected} more were announced") from None
    except (ConnectionError, http.client.HTTPException) as exc:
        raise TipkgError(endpoint, f"connection failed: {exc.__class__.__name__} {exc}") from None
    except ValueError as exc:
        raise TipkgError(endpoint, f"the endpoint did not answer with SPARQL JSON results: {exc}") from None
    return results_from_json(payload)


def results_from_json(payload: dict) -> Results:
    """SPARQL 1.1 Query Results JSON (any store's, e.g. Jena's command-line tools') as ``Results``."""
    if "boolean" in payload:
        return Results((), (), bool(payload["boolean"]))
    variables = tuple(payload.get("head", {}).get("vars", []))
    rows = tuple(tuple(_from_json(b.get(v)) for v in variables) for b in payload["results"]["bindings"])
    return Results(variables, rows)


def _remote_reason(exc: Exception) -> str:
    """SPARQLWrapper's multi-line messages reduced to one line."""
    kind = {"EndPointInternalError": "HTTP 500 internal server error", "QueryBadFormed": "HTTP 400 bad query",
            "EndPointNotFound": "HTTP 404 not found", "Unauthorized": "HTTP 401 unauthorized",
            "URITooLong": "HTTP 414 URI too long"}.get(type(exc).__name__, type(exc).__name__)
    detail = " ".join(str(getattr(exc, "msg", "") or exc).split())
    detail = re.sub(r"^\w+: ", "", detail)
    detail = re.sub(r"Response:\s*b?['\"]?", "response: ", detail)
    return f"{kind}: {detail[:200]}" if detail else kind


_IDENTIFIED = "<http://purl.org/dc/terms/identifier>"


def data_graph(endpoint: str, graph: str | None = None, **options) -> str | None:
    """Where the tipkg data sits on an endpoint. Given ``graph``: that graph, if it
    holds any (else a one-line error naming the graphs that do). Without: None when
    the default graph holds it; the one named graph that holds it otherwise (a store
    such as Oxigraph keeps named graphs out of its default graph, and every query
    would answer nothing). Several such graphs, or none: a one-line error."""
    def holds(g: str | None) -> bool:
        return bool(run_remote(endpoint, f"ASK {{ ?s {_IDENTIFIED} ?o }}", graph=g, **options).boolean)

    if holds(graph):
        return graph
    rows = run_remote(endpoint, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s {_IDENTIFIED} ?o }} }} "
                                "ORDER BY ?g LIMIT 10", **options).rows
    graphs = [r[0].value for r in rows if r[0] is not None]
    listed = ", ".join(graphs[:4]) + (" …" if len(graphs) > 4 else "")
    if graph:
        raise TipkgError(endpoint, f"the graph <{graph}> holds no tipkg data"
                                   + (f"; graphs that do: {listed}" if graphs else ""))
    if len(graphs) == 1:
        return graphs[0]
    if not graphs:
        raise TipkgError(endpoint, "the endpoint holds no tipkg data (no dcterms:identifier in any graph; "
                                   "load it with `tipkg publish`)")
    raise TipkgError(endpoint, f"the data sits in {len(graphs)} named graphs ({listed}): choose one with --graph IRI")
