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


def syntax_error(query: str, message: str, path: str) -> TipkgError:
    """The parser's message located at the query line, with that line shown."""
    m = re.search(r"(\d+):(\d+)", message)
    if not m:
        return TipkgError(path, f"SPARQL syntax error: {message}")
    line_no, column = int(m[1]), int(m[2])
    lines = query.splitlines()
    if line_no > len(lines) or not lines[line_no - 1].strip():  # stopped at the end: show the last words
        line_no = max((i for i, text in enumerate(lines[:line_no], 1) if text.strip()), default=1)
        column = len(lines[line_no - 1]) + 1 if lines else 1
    line = lines[line_no - 1].strip() if lines else ""
    reason = re.sub(r"^error at \d+:\d+:\s*", "", message)
    return TipkgError(path, f"SPARQL syntax error at column {column}: {reason} — in: {line!r}", line=line_no)


def check_syntax(query: str, path: str) -> None:
    """Parse ``query`` (against an empty store) so errors are reported the same everywhere."""
    try:
        answer = pyoxigraph.Store().query(query)
        if isinstance(answer, pyoxigraph.QuerySolutions | pyoxigraph.QueryTriples):
            list(answer)
    except SyntaxError as exc:
        raise syntax_error(query, str(exc), path) from None


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
        rows = tuple(tuple(_from_oxigraph(solution[v]) for v in variables) for solution in answer)
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
    client.setQuery(query)
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
