"""The SPARQL 1.1/1.2 Protocol, read side: what a request to ``/sparql`` asks.

``read_request`` turns a GET or POST into a ``QueryRequest`` (the query, the
protocol's dataset, the result formats wanted) or refuses it with a
``ProtocolError`` (status, one-line reason). The handler (``handler.py``)
answers it with the query pool. It follows the Protocol as the W3C test suite
(``tests/protocol_suite.py``) checks it:

* the query arrives once: in the URL of a GET (which must have no body), in an
  ``application/sparql-query`` body, or in a form body; a body must be UTF-8
  (another ``charset`` is 415, undecodable bytes 400), never a dropped connection;
* ``default-graph-uri`` / ``named-graph-uri`` (URL or form) make the dataset;
  when either is given it replaces the query's own ``FROM``/``FROM NAMED``
  (Protocol §2.1.4), when neither is, the query's ``FROM`` stands;
* ``version`` (SPARQL 1.2, parameter or media-type parameter) at most once, and
  one this endpoint speaks;
* updates are refused: the endpoint is read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from tipkg.queries.querypool import FORMAT_PARAMS

#: methods /sparql answers (PUT, DELETE … get 405 with this list)
ALLOW = "GET, HEAD, POST, OPTIONS"
#: SPARQL versions a request may announce
VERSIONS = ("1.1", "1.2")
FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
READ_ONLY = "this endpoint is read-only: SPARQL Update is refused"


class ProtocolError(Exception):
    """A request the endpoint refuses: an HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class QueryRequest:
    query: str
    #: the protocol's dataset; None when the request names none (the query's FROM then stands)
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    preferences: tuple[str, ...]
    params: dict


def parse_media(value: str | None) -> tuple[str, dict[str, str]]:
    """``type/subtype`` (lower case) and its parameters (names lower case, quotes removed)."""
    parts = (value or "").split(";")
    params = {}
    for part in parts[1:]:
        name, _, val = part.partition("=")
        params[name.strip().lower()] = val.strip().strip('"')
    return parts[0].strip().lower(), params


def decode_params(text: str, where: str) -> dict[str, list[str]]:
    """Percent-decoded ``name=value`` pairs; %-escapes that are not UTF-8 are refused, not replaced."""
    try:
        return parse_qs(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"the {where} has percent-escaped bytes that are not UTF-8 ({exc.reason})") from None


def _utf8(body: bytes, media: str, charset: str | None) -> str:
    if charset is not None and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ProtocolError(415, f"charset {charset} is not supported: send the {media} body as UTF-8")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"the {media} body is not UTF-8: byte 0x{body[exc.start]:02X} at offset {exc.start}") from None


def read_request(method: str, target: str, headers, body: bytes) -> QueryRequest | None:
    """The query a request to /sparql asks (None: no query, show the form), or ProtocolError."""
    params = decode_params(urlsplit(target).query, "URL")
    if method in ("GET", "HEAD"):
        if body:
            raise ProtocolError(400, "a GET carries its query in the URL and must have no body")
    elif method == "POST":
        media, mparams = parse_media(headers.get("Content-Type"))
        if media == UPDATE:
            raise ProtocolError(403, READ_ONLY)
        if media == QUERY:
            if "query" in params:
                raise ProtocolError(400, "the query is in the body: the URL must not have a query parameter too")
            params["query"] = [_utf8(body, media, mparams.get("charset"))]
            if "version" in mparams:
                params.setdefault("version", []).append(mparams["version"])
        elif media == FORM:
            for key, values in decode_params(_utf8(body, media, mparams.get("charset")), "form body").items():
                params.setdefault(key, []).extend(values)
        else:
            raise ProtocolError(415, f"POST a query as {QUERY} or {FORM}" + (f", not {media}" if media else
                                                                                 " (no Content-Type was sent)"))
    else:
        raise ProtocolError(405, f"{method} is not a SPARQL Protocol operation; /sparql allows {ALLOW}")
    return _query_request(params, headers.get("Accept"))


def _query_request(params: dict[str, list[str]], accept: str | None) -> QueryRequest | None:
    if "update" in params or any(k.startswith("using-") for k in params):
        raise ProtocolError(403, READ_ONLY)
    versions = params.get("version", [])
    if len(versions) > 1:
        raise ProtocolError(400, f"version given {len(versions)} times ({', '.join(versions)}): at most once")
    if versions and versions[0] not in VERSIONS:
        raise ProtocolError(400, f"SPARQL version {versions[0]!r} is not spoken here; this endpoint speaks {', '.join(VERSIONS)}")
    queries = params.get("query", [])
    if len(queries) > 1:
        raise ProtocolError(400, f"the query parameter is given {len(queries)} times: exactly one query, please")
    if not queries:
        if params.get("default-graph-uri") or params.get("named-graph-uri"):
            raise ProtocolError(400, "a dataset but no query: add the query parameter")
        return None
    graphs = {}
    for key in ("default-graph-uri", "named-graph-uri"):
        for iri in params.get(key, []):
            if not urlsplit(iri).scheme or any(c in iri for c in ' <>"{}|^`\\'):
                raise ProtocolError(400, f"{key} {iri!r} is not an absolute IRI")
        graphs[key] = tuple(dict.fromkeys(params.get(key, [])))
    given = any(graphs.values())
    return QueryRequest(queries[0], graphs["default-graph-uri"] if given else None,
                        graphs["named-graph-uri"] if given else None,
                        tuple(result_preferences(params, accept)), params)


def result_preferences(params: dict[str, list[str]], accept: str | None) -> list[str]:
    """Media types the client asks for, best first."""
    preferences = []
    for key in ("format", "output"):
        for value in params.get(key, []):
            preferences.append(FORMAT_PARAMS.get(value.lower(), value.lower()))
    accept = accept or ""
    ranked = sorted((-_q(p), n, p.split(";")[0].strip().lower()) for n, p in enumerate(accept.split(",")) if p.strip())
    preferences += [media for negq, _, media in ranked if negq < 0]
    return preferences


def _q(part: str) -> float:
    for field in part.split(";")[1:]:
        field = field.strip()
        if field.startswith("q="):
            try:
                return float(field[2:])
            except ValueError:
                return 0.0
    return 1.0
