"""The graph while it is built: a set of triples, converted once for the writers and the store.

The graph stage only ever adds triples. rdflib's ``Graph`` indexes each one
three ways as it is added (≈ 10 µs a triple, most of a large build's graph
stage); a Python set of ``(s, p, o)`` rdflib terms takes a fraction of that and
removes duplicates just the same. Readers then take the form they need:

- ``oxigraph()``: the triples as pyoxigraph terms, sorted by their N-Triples
  form, converted once — what the validator, the writers and the embedded
  store use;
- ``rdflib()``: a full rdflib ``Graph`` with the dataset's prefixes, for
  notebooks, tests and anything that wants rdflib's API (built on request).

>>> from rdflib import Literal, URIRef
>>> triples = TripleSet({"ex": "http://example.org/"})
>>> triples.add((URIRef("http://example.org/a"), URIRef("http://example.org/p"), Literal("x")))
>>> triples.add((URIRef("http://example.org/a"), URIRef("http://example.org/p"), Literal("x")))
>>> len(triples), len(triples.rdflib())
(1, 1)
>>> str(triples.oxigraph()[0])
'<http://example.org/a> <http://example.org/p> "x"'
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class TripleSet:
    """Triples of rdflib terms, with the prefixes their serializations bind."""

    def __init__(self, prefixes: dict[str, str] | None = None):
        self.prefixes: dict[str, str] = dict(prefixes or {})
        self._triples: set[tuple] = set()
        self._sorted: list[ox.Triple] | None = None
        self._store: ox.Store | None = None

    @classmethod
    def of(cls, graph) -> TripleSet:
        """``graph`` itself if it is a TripleSet, else its triples and prefixes (an rdflib Graph)."""
        if isinstance(graph, TripleSet):
            return graph
        triples = cls({p: str(ns) for p, ns in graph.namespaces() if p and p != "xml"})
        triples._triples.update(graph)
        return triples

    def add(self, triple: tuple) -> None:
        self._triples.add(triple)
        self._sorted = self._store = None

    def __len__(self) -> int:
        return len(self._triples)

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._triples)

    def __contains__(self, triple) -> bool:
        return triple in self._triples

    def namespaces(self) -> Iterator[tuple[str, str]]:
        """(prefix, namespace) pairs, as rdflib's ``Graph.namespaces`` gives them."""
        return iter(self.prefixes.items())

    def oxigraph(self) -> list[ox.Triple]:
        """The triples as pyoxigraph terms, sorted by their N-Triples text (converted once, then kept)."""
        if self._sorted is None:
            term = OxigraphTerms()
            self._sorted = sorted((ox.Triple(term(s), term(p), term(o)) for s, p, o in self._triples), key=str)
        return self._sorted

    def store(self) -> ox.Store:
        """An in-memory pyoxigraph store holding the triples in its default graph (made once, then
        kept): what validation and the dataset description query. Read it, do not write to it."""
        if self._store is None:
            self._store = ox.Store()
            self._store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in self.oxigraph())
        return self._store

    def rdflib(self) -> Graph:
        """A new rdflib ``Graph`` of the triples, with the prefixes bound."""
        graph = Graph(bind_namespaces="core")
        for prefix, ns in self.prefixes.items():
            graph.bind(prefix, ns, override=True)
        graph.addN((s, p, o, graph) for s, p, o in self._triples)
        return graph


class OxigraphTerms:
    """rdflib terms to pyoxigraph terms, each distinct term converted once."""

    def __init__(self):
        self.terms: dict = {}

    def __call__(self, t):
        o = self.terms.get(t)
        if o is None:
            if isinstance(t, URIRef):
                o = ox.NamedNode(t)
            elif isinstance(t, Literal):
                datatype = t.datatype
                o = (ox.Literal(t, language=t.language) if t.language else
                     ox.Literal(t, datatype=ox.NamedNode(datatype)) if datatype and datatype != _XSD_STRING
                     else ox.Literal(t))
            elif isinstance(t, BNode):
                o = ox.BlankNode(t)
            else:
                raise TypeError(f"cannot convert {t!r} to a pyoxigraph term")
            self.terms[t] = o
        return o


def rdflib_term(term):
    """A pyoxigraph term as the rdflib term it stands for."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return Literal(term.value, datatype=None if datatype == _XSD_STRING else URIRef(datatype))
