"""The data behind the server: the read-only store, the base of its URIs, negotiation, serialization.

The server rewrites nothing in the data: minted URIs keep the base the graph
was built with (``void:uriSpace`` in ``void.ttl``); ``LinkedData.iri_for``
maps a request path (``/id/<path>``, or the base's own path) to ``<base><path>``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pyoxigraph as ox
from rdflib import Graph

from tipkg.errors import TipkgError
from tipkg.graph.dumps import VOID
from tipkg.graph.store import build_store, store_path
from tipkg.graph.writers import writers
from tipkg.graph.uris import base_iri, identifier_of, mint, site_iri
from tipkg.ontology.context import published_context
from tipkg.ontology.namespace import PREFIXES
from tipkg.queries.querypool import QueryPool

RDF_TYPES = {"text/turtle": ox.RdfFormat.TURTLE, "application/ld+json": ox.RdfFormat.JSON_LD,
             "application/n-triples": ox.RdfFormat.N_TRIPLES}
PAGE_TYPES = ["text/html", *RDF_TYPES]
#: files of OUT the server hands out, with their media types (the writers' table)
DUMPS = {w.name: w.media_type for w in writers() if w.media_type}
IDENTIFIER = ox.NamedNode("http://purl.org/dc/terms/identifier")
TEXT = ox.NamedNode("https://w3id.org/tipkg/ontology#text")
NORMALIZED = ox.NamedNode("https://w3id.org/tipkg/ontology#normalizedText")
LABELS = [ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")]



def ensure_store(out_dir: str | Path) -> Path:
    """``<out>/store``: the store ``tipkg build`` loads; built here from graph.nt if the folder lacks one."""
    out = Path(out_dir)
    nt = out / "graph.nt"
    if not nt.is_file():
        raise TipkgError(str(nt), "no built graph here: run `tipkg build --out DIR` first")
    path = store_path(out)
    if not path.is_dir():
        build_store(nt, path)
    return path


def uri_space(out_dir: str | Path) -> str:
    """The base the graph was built with, from void.ttl (else the configured base)."""
    void = Path(out_dir) / "void.ttl"
    if void.is_file():
        g = Graph().parse(str(void), format="turtle")
        value = next(g.objects(None, VOID.uriSpace), None)
        if value is not None:
            return str(value)
    return base_iri()


def negotiate(accept: str | None, offered: list[str]) -> str | None:
    """The offered media type the Accept header prefers (q-values honoured; */* means the first offered)."""
    if not accept:
        return offered[0]
    ranked = []
    for n, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        ranked.append((-q, n, fields[0].lower()))
    for negq, _, media in sorted(ranked):
        if negq == 0:
            break
        if media in offered:
            return media
        if media in ("*/*", "application/*", "text/*"):
            prefix = media.split("/")[0]
            return next((o for o in offered if prefix == "*" or o.startswith(prefix + "/")), None)
    return None


class LinkedData:
    """What the handler needs: the store, the base, the query pool, the out folder."""

    def __init__(self, out_dir: str | Path, *, timeout: float = 10.0, workers: int = 2):
        self.out = Path(out_dir)
        self.store_path = ensure_store(self.out)
        self.store = ox.Store.read_only(str(self.store_path))
        self.base = uri_space(self.out)
        self.prefixes = [urlparse(self.base).path, "/id/"]
        #: where void.ttl says the dumps and the endpoint are; served under this server's root
        self.site = str(site_iri("", self.base))
        self.pool = QueryPool(str(self.store_path), workers=workers, timeout=timeout, isolated=True)

    def iri_for(self, path: str) -> str | None:
        """The minted URI a request path stands for, or None."""
        for prefix in self.prefixes:
            if prefix and path.startswith(prefix) and len(path) > len(prefix):
                identifier = identifier_of(self.base + path[len(prefix):], self.base)
                return str(mint(identifier, self.base)) if identifier else None
        return None

    def local(self, iri: str) -> str | None:
        return "/id/" + iri[len(self.base):] if iri.startswith(self.base) else None

    def describe(self, iri: str) -> tuple[list[ox.Quad], list[ox.Quad]]:
        node = ox.NamedNode(iri)
        out = list(self.store.quads_for_pattern(node, None, None))
        into = list(self.store.quads_for_pattern(None, None, node))
        return out, into

    def identifier(self, term) -> str | None:
        if not isinstance(term, ox.NamedNode):
            return None
        for q in self.store.quads_for_pattern(term, IDENTIFIER, None):
            return q.object.value
        return None


def serialize(quads: list[ox.Quad], media: str) -> bytes:
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    if media == "application/ld+json":
        g = Graph()
        g.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
        return g.serialize(format="json-ld", context=published_context(), auto_compact=True).encode("utf-8")
    return ox.serialize(triples, format=RDF_TYPES[media], prefixes=PREFIXES if media == "text/turtle" else None)
