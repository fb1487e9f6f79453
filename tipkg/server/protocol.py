"""The SPARQL 1.1 Protocol, read side: what a request to ``/sparql`` asks.

``post_params`` reads a POST body (``application/sparql-query`` or a form)
into the query parameters; ``result_preferences`` ranks the result formats
the client wants (``format``/``output`` parameters first, then ``Accept``).
The handler (``handler.py``) answers with the query pool.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from tipkg.queries.querypool import FORMAT_PARAMS


class ProtocolError(Exception):
    """A request the endpoint refuses: an HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def post_params(content_type: str | None, body: bytes, params: dict[str, list[str]]) -> dict[str, list[str]]:
    """The parameters of a POST to /sparql: the URL's, plus the query or form of the body."""
    media = (content_type or "").split(";")[0].strip().lower()
    data = body.decode("utf-8")
    if media == "application/sparql-update":
        raise ProtocolError(403, "this endpoint is read-only: SPARQL Update is refused")
    if media == "application/sparql-query":
        params["query"] = [data]
    elif media == "application/x-www-form-urlencoded":
        for key, values in parse_qs(data).items():
            params.setdefault(key, []).extend(values)
    else:
        raise ProtocolError(415, "POST a query as application/sparql-query or application/x-www-form-urlencoded")
    return params


def result_preferences(params: dict[str, list[str]], accept: str | None) -> list[str]:
    """Media types the client asks for, best first."""
    preferences = []
    for key in ("format", "output"):
        for value in params.get(key, []):
            preferences.append(FORMAT_PARAMS.get(value.lower(), value.lower()))
    accept = accept or ""
    preferences += [m[1] for m in sorted((-_q(p), p.split(";")[0].strip().lower()) for p in accept.split(",") if p.strip())]
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
