"""The JSON-LD dump, ``graph.jsonld``.

The graph compacted with the published context (``ontology/context.py``),
embedded so the file parses offline: one node object per subject, written as
the sorted triples stream by (rdflib's compacting writer takes minutes on a
large corpus), a segment of subjects at a time (``graph/segments.py``).
"""

from __future__ import annotations

import functools
import json
import pyoxigraph as ox
from rdflib import RDF, XSD

from tipkg.ontology.context import published_context

_RDF_TYPE = str(RDF.type)
_XSD_STRING = str(XSD.string)
_XSD_INTEGER = str(XSD.integer)


#: between the node objects of two segments (``jsonld_nodes`` joins those of one with ",\n")
SEPARATOR = b","
FOOTER = b"\n]}\n"


def jsonld_header() -> bytes:
    """The file up to its first node object: the published context, embedded, and ``"@graph": [``."""
    return ('{"@context": ' + json.dumps(published_context(), ensure_ascii=False, sort_keys=True)
            + ',\n"@graph": [').encode("utf-8")


def jsonld_nodes(ntriples: bytes) -> bytes:
    """The node objects of whole subjects' sorted N-Triples, each after a newline, joined by commas:
    so header + nodes + (``SEPARATOR`` + nodes)… + ``FOOTER`` is the whole file, one node object
    per subject, subjects sorted.

    Written node by node from the sorted triples (rdflib's compacting writer takes minutes on a
    large corpus). A value that a key's definition cannot carry (a literal without a language
    under a language map) goes under the property's compact IRI instead, in expanded form, so
    nothing is lost."""
    nodes = _compactor().nodes(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES))
    return ("\n" + ",\n".join(json.dumps(node, ensure_ascii=False, sort_keys=True) for node in nodes)).encode("utf-8")


@functools.cache
def _compactor() -> _Compactor:
    return _Compactor(published_context())


class _Compactor:
    """Turns runs of triples sharing a subject into compact JSON-LD node objects."""

    def __init__(self, context: dict):
        self.prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v.endswith(("/", "#"))}
        self.keys: dict[str, tuple[str, str | None, str | None]] = {}  # IRI -> (key, container, type)
        self.classes: dict[str, str] = {}
        for key, value in sorted(context.items()):
            if key.startswith("@") or key in self.prefixes or key in ("id", "type"):
                continue
            if isinstance(value, str):
                self.keys.setdefault(self.expand(value), (key, None, None))
                self.classes.setdefault(self.expand(value), key)
            else:
                kind = value.get("@type")
                self.keys.setdefault(self.expand(value["@id"]), (key, value.get("@container"),
                                                               kind if kind == "@id" or kind is None else self.expand(kind)))

    def expand(self, name: str) -> str:
        prefix, _, local = name.partition(":")
        return self.prefixes[prefix] + local if prefix in self.prefixes and not local.startswith("//") else name

    def curie(self, iri: str) -> str:
        for prefix, ns in self.prefixes.items():
            if iri.startswith(ns) and "/" not in iri[len(ns):] and "#" not in iri[len(ns):]:
                return f"{prefix}:{iri[len(ns):]}"
        return iri

    @staticmethod
    def node_id(term) -> str:
        return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value

    def expanded(self, term) -> dict:
        if not isinstance(term, ox.Literal):
            return {"@id": self.node_id(term)}
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value == _XSD_STRING:
            return {"@value": term.value}
        return {"@value": term.value, "@type": self.curie(term.datatype.value)}

    def native(self, term):
        """Plain strings and canonical integers as JSON values (what JSON-LD reads back as the same
        literal), anything else in expanded form."""
        if isinstance(term, ox.Literal) and not term.language:
            if term.datatype.value == _XSD_STRING:
                return term.value
            if term.datatype.value == _XSD_INTEGER and term.value.lstrip("-").isdigit() \
                    and str(int(term.value)) == term.value:
                return int(term.value)
        return self.expanded(term)

    def put(self, node: dict, predicate: str, term) -> None:
        if predicate == _RDF_TYPE and isinstance(term, ox.NamedNode):
            node.setdefault("type", []).append(self.classes.get(term.value) or self.curie(term.value))
            return
        key, container, kind = self.keys.get(predicate, (None, None, None))
        if key is not None:
            if container == "@language" and isinstance(term, ox.Literal) and term.language:
                node.setdefault(key, {}).setdefault(term.language, []).append(term.value)
                return
            if container is None and kind == "@id" and not isinstance(term, ox.Literal):
                node.setdefault(key, []).append(self.node_id(term))
                return
            if container is None and kind is not None and kind != "@id" and isinstance(term, ox.Literal) \
                    and not term.language and term.datatype.value == kind:
                node.setdefault(key, []).append(term.value)
                return
            if container is None and kind is None:
                node.setdefault(key, []).append(self.native(term))
                return
        node.setdefault(self.curie(predicate), []).append(self.expanded(term))

    def nodes(self, triples):
        node, subject = None, None
        for t in triples:
            if t.subject != subject:
                if node is not None:
                    yield _single(node)
                subject, node = t.subject, {"id": self.node_id(t.subject)}
            self.put(node, t.predicate.value, t.object)
        if node is not None:
            yield _single(node)


def _single(node: dict) -> dict:
    """One value stands alone, several stay a list (in language maps too)."""
    out = {}
    for key, value in node.items():
        if isinstance(value, dict):
            out[key] = {lang: texts[0] if len(texts) == 1 else texts for lang, texts in value.items()}
        elif isinstance(value, list):
            out[key] = value[0] if len(value) == 1 else value
        else:
            out[key] = value
    return out
