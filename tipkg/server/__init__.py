"""The linked-data server: every minted URI dereferences, and /sparql answers queries.

Behind it is a persistent pyoxigraph store, ``<out>/store``, loaded from
``<out>/graph.nt`` the first time the server runs on a build (``tipkg build``
replaces ``<out>`` whole, so a new build always gets a fresh store). The
server only reads it.

URIs. The server rewrites nothing in the data: minted URIs keep the base the
graph was built with (``void:uriSpace`` in ``void.ttl``, by default
``https://w3id.org/tipkg/id/``). A request for ``/id/<path>`` (or for the
base's own path, e.g. ``/tipkg/id/<path>``) is answered for the URI
``<base><path>``; HTML pages link to other nodes by those local paths, so the
graph can be browsed locally while the data stays canonical.

Modules: ``linked_data`` (store, base, negotiation), ``handler`` (routes),
``protocol`` (the SPARQL Protocol's requests), ``pages`` (HTML),
``mandate_timeline`` (a mandate's life in words, on its node page).

Limits: ``SERVICE`` is refused (``outbound``: no outbound requests), idle
connections time out and concurrent ones are capped (``limits``).

Routes: ``/id/…`` (content negotiation: text/turtle, application/ld+json,
application/n-triples, text/html; ``?format=ttl|jsonld|nt|html`` overrides),
``/sparql`` (SPARQL 1.1 Protocol, GET and POST, read-only, time limit),
``/void``, ``/ontology``, ``/ontology/context.jsonld``, and the dump files
(``/graph.nt`` …) that void.ttl links to.
"""

from __future__ import annotations

from pathlib import Path

from tipkg.server.handler import Handler
from tipkg.server.limits import MAX_CONNECTIONS, READ_TIMEOUT, GuardedServer
from tipkg.server.linked_data import LinkedData, ensure_store, negotiate, uri_space

__all__ = ["Handler", "LinkedData", "ensure_store", "make_server", "negotiate", "uri_space"]


def make_server(out_dir: str | Path, host: str = "127.0.0.1", port: int = 8000, *,
                timeout: float = 10.0, workers: int = 2, read_timeout: float = READ_TIMEOUT,
                max_connections: int = MAX_CONNECTIONS) -> GuardedServer:
    """A ready server (call ``serve_forever``); its ``ld.pool`` must be closed after.

    ``timeout`` limits a SPARQL query; ``read_timeout`` and ``max_connections``
    bound what idle or half-open connections can hold (``limits.py``).
    """
    ld = LinkedData(out_dir, timeout=timeout, workers=workers)
    handler = type("TipkgHandler", (Handler,), {"ld": ld, "timeout": read_timeout})
    server = GuardedServer((host, port), handler, max_connections=max_connections)
    server.ld = ld
    return server

