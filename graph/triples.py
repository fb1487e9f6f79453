"""The graph while it is built: a set of pyoxigraph triples, made once for the writers and the store.

The graph stage only ever adds triples. rdflib's ``Graph`` indexes each one
three ways as it is added, and its terms hash and compare in Python; on a large
corpus that was most of the build. So the stage adds into a ``TripleSet``: a
Python set of pyoxigraph ``Triple`` s (hashed and compared in Rust). Subjects
and predicates come as the rdflib terms of the ontology's namespaces and of
``mint`` (each distinct IRI converted once); literals are made as pyoxigraph literals directly
by ``literal``. Readers then take the form they need:

- ``ntriples()``: the sorted N-Triples (``graph.nt``), and ``oxigraph()``
  the triples read back in that order — what the writers use; ``store()``:
  an in-memory pyoxigraph store loaded from them — what validation and the
  dataset description query;
- ``rdflib()``: a full rdflib ``Graph`` with the dataset's prefixes, for
  notebooks, tests and anything that wants rdflib's API (built on request).

>>> from rdflib import URIRef
>>> triples = TripleSet({"ex": "http://example.org/"})
>>> triples.add((URIRef("http://example.org/a"), URIRef("http://example.org/p"), literal("x")))
>>> triples.add((URIRef("http://example.org/a"), URIRef("http://example.org/p"), literal("x")))
>>> len(triples), len(triples.rdflib())
(1, 1)
>>> triples.ntriples().decode()
'<http://example.org/a> <http://example.org/p> "x" .\\n'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

if TYPE_CHECKING:
    from .delta import Delta

_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = _XSD + "string"
_XSD_INTEGER = ox.NamedNode(_XSD + "integer")
_XSD_BOOLEAN = ox.NamedNode(_XSD + "boolean")
_XSD_DECIMAL = _XSD + "decimal"


def literal(value, lang: str | None = None, datatype=None) -> ox.Literal:
    """A literal as rdflib's ``Literal(value, lang=, datatype=)`` would give it, made as a pyoxigraph term.

    >>> literal(5)
    <Literal value=5 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
    >>> literal("نص", lang="ar").language
    'ar'

    An xsd:decimal gets its canonical form: stores disagree on a non-canonical
    one (Oxigraph answers "0.910" as 0.91, Jena as written), so the graph has none.

    >>> literal("0.910", datatype=_XSD_DECIMAL).value, literal("1.000", datatype=_XSD_DECIMAL).value
    ('0.91', '1')
    """
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=_XSD_BOOLEAN)
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=_XSD_INTEGER)
    if lang:
        return ox.Literal(value, language=lang)
    if datatype is not None and str(datatype) == _XSD_DECIMAL:
        return ox.Literal(_canonical_decimal(str(value)), datatype=ox.NamedNode(_XSD_DECIMAL))
    if datatype is not None and str(datatype) != _XSD_STRING:
        return ox.Literal(value, datatype=ox.NamedNode(datatype))
    return ox.Literal(value)


def nt(term) -> str:
    """A term as N-Triples writes it: an IRI (an rdflib ``URIRef``, as ``mint`` makes, or a plain
    string) in angle brackets, a pyoxigraph term (a ``literal``) as pyoxigraph writes it.

    >>> nt("http://x/a"), nt(literal("0.910", datatype=_XSD_DECIMAL)), nt(literal("نص", lang="ar"))
    ('<http://x/a>', '"0.91"^^<http://www.w3.org/2001/XMLSchema#decimal>', '"نص"@ar')
    """
    return str(term) if isinstance(term, (ox.Literal, ox.NamedNode, ox.BlankNode)) else f"<{term}>"


def _canonical_decimal(text: str) -> str:
    """XSD 1.1's canonical decimal: no leading + or zeros, no trailing zeros, no point for a whole number."""
    number = format(Decimal(text), "f")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return "0" if number in ("-0", "") else number


class TripleSet:
    """Triples of pyoxigraph terms, with the prefixes their serializations bind."""

    #: the graph.nt the set is a view of once it is written (a ``SpilledTriples``); None: held in memory
    path: Path | None = None
    #: how that graph.nt differs from the previous build's (``SpilledTriples.against``); None: not diffed
    delta: Delta | None = None

    def __init__(self, prefixes: dict[str, str] | None = None):
        self.prefixes: dict[str, str] = dict(prefixes or {})
        self._triples: set[ox.Triple] = set()
        self._term = OxigraphTerms()
        self._ntriples: bytes | None = None
        self._store: ox.Store | None = None

    @classmethod
    def of(cls, graph) -> TripleSet:
        """``graph`` itself if it is a TripleSet, else its triples and prefixes (an rdflib Graph)."""
        if isinstance(graph, TripleSet):
            return graph
        triples = cls({p: str(ns) for p, ns in graph.namespaces() if p and p != "xml"})
        for triple in graph:
            triples.add(triple)
        return triples

    def add(self, triple: tuple) -> None:
        """Add ``(s, p, o)``: rdflib terms (converted) or pyoxigraph terms."""
        term = self._term
        s, p, o = triple
        self._triples.add(ox.Triple(term(s), term(p), term(o)))
        self._ntriples = self._store = None

    def term(self, t):
        """``t`` as the pyoxigraph term ``add`` would make of it (an IRI converted once per set)."""
        return self._term(t)

    #: a triple of ``term`` s, as ``add_triples`` takes it (``LineSet.triple`` makes its line)
    triple = ox.Triple

    def add_triples(self, triples: Iterable[ox.Triple]) -> None:
        """Add pyoxigraph triples as they are: a hot loop converts its fixed terms once (``term``) and
        makes the triples itself, instead of three conversions a triple in ``add``."""
        self._triples.update(triples)
        self._ntriples = self._store = None

    def add_lines(self, lines: Iterable[bytes]) -> None:
        """Add the triples of N-Triples ``lines`` (without their newlines), in any order. A stage
        with millions of triples of a fixed shape (the echoes, ``network.reuse.echo_lines``) writes
        their lines as text: far cheaper than a term object per position, and a ``SpilledTriples``
        sorts them straight into a chunk file without parsing them at all."""
        batch: list[bytes] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= 50_000:
                self._add_parsed(batch)
                batch = []
        if batch:
            self._add_parsed(batch)
        self._ntriples = self._store = None

    def include(self, lines: Callable[[], Iterator[bytes]], known: bool = False) -> None:
        """Add the triples of the N-Triples lines (newlines kept) ``lines()`` yields: a line file
        made elsewhere (a cached part, a group of lines kept by ``graph/memo.py``, the reuse child's).
        Held in memory, they are parsed and added now; a ``SpilledTriples`` merges the file into
        ``graph.nt`` as it is, and ``known`` tells it the stage reading the graph needs none of them."""
        self.add_lines(line.rstrip(b"\n") for line in lines())

    def _add_parsed(self, batch: list[bytes]) -> None:
        # ``ox.parse`` gives quads (in the default graph): each is kept as its triple, or a triple added
        # both ways (a term object and a line) would be two members of the set, two lines of ntriples()
        self._triples.update(q.triple for q in ox.parse(b"\n".join(batch) + b"\n", format=ox.RdfFormat.N_TRIPLES))

    def __len__(self) -> int:
        return len(self._triples)

    def __iter__(self) -> Iterator[ox.Triple]:
        return iter(self._triples)

    def where(self, keep, known: bool = False) -> Iterator[ox.Triple]:
        """The triples a stage reads, in no particular order (``SpilledTriples`` parses only the lines
        the pattern ``keep`` matches; in memory every triple comes, and the stage looks at each as it
        would anyway)."""
        return iter(self._triples)

    def add_made(self, make: Callable[..., object], *args) -> None:
        """Add the triples ``make(self, *args, into=SET)`` adds to ``SET`` from what it reads of this set, which
        it reads whole before it adds anything (the gists: ``graph.gists.add_gists``). Here ``SET`` is this set;
        a ``SpilledTriples`` runs ``make`` in a forked child and merges in what it made."""
        make(self, *args, into=self)

    def finish(self, path: str | Path) -> int:
        """Write ``ntriples()`` to ``path`` (``graph.nt``); the number of triples. The set stays in memory; a
        ``SpilledTriples`` merges its chunks into the file instead, and is a view of it from then on."""
        Path(path).write_bytes(self.ntriples())
        return len(self)

    def namespaces(self) -> Iterator[tuple[str, str]]:
        """(prefix, namespace) pairs, as rdflib's ``Graph.namespaces`` gives them."""
        return iter(self.prefixes.items())

    def ntriples(self) -> bytes:
        """The triples as N-Triples, one a line, lines sorted (made once, then kept).

        pyoxigraph serializes the set; the lines are sorted as bytes (UTF-8
        byte order is code point order, so this is the order of the text) —
        far cheaper than sorting millions of term objects by their strings.
        """
        if self._ntriples is None:
            lines = ox.serialize(self._triples, format=ox.RdfFormat.N_TRIPLES).split(b"\n")
            lines.sort()
            self._ntriples = b"\n".join(line for line in lines if line) + b"\n" if self._triples else b""
        return self._ntriples

    def lines(self) -> Iterator[bytes]:
        """The lines of ``ntriples()`` (without their newlines), in order."""
        return iter(self.ntriples().split(b"\n")[:-1])

    def oxigraph(self) -> Iterator[ox.Triple]:
        """The triples in N-Triples order, read back from ``ntriples()`` (a fresh iterator each call)."""
        return (t for t in ox.parse(self.ntriples(), format=ox.RdfFormat.N_TRIPLES))

    def store(self) -> ox.Store:
        """An in-memory pyoxigraph store holding the triples in its default graph (made once, then
        kept): what validation and the dataset description query. Read it, do not write to it."""
        if self._store is None:
            self._store = ox.Store()
            self._store.bulk_load(self.ntriples(), format=ox.RdfFormat.N_TRIPLES)
        return self._store

    def rdflib(self) -> Graph:
        """A new rdflib ``Graph`` of the triples, with the prefixes bound."""
        graph = Graph(bind_namespaces="core")
        for prefix, ns in self.prefixes.items():
            graph.bind(prefix, ns, override=True)
        graph.addN((rdflib_term(t.subject), rdflib_term(t.predicate), rdflib_term(t.object), graph)
                   for t in self._triples)
        return graph


class OxigraphTerms:
    """rdflib terms to pyoxigraph terms; pyoxigraph terms pass through.

    Each distinct IRI is converted once (cached by its text: rdflib's own hash
    and equality run in Python); literals are converted each time they come.
    """

    def __init__(self):
        self.iris: dict[str, ox.NamedNode] = {}

    def __call__(self, t):
        if isinstance(t, URIRef):
            key = str(t)
            o = self.iris.get(key)
            if o is None:
                o = self.iris[key] = ox.NamedNode(key)
            return o
        if isinstance(t, (ox.NamedNode, ox.Literal, ox.BlankNode)):
            return t
        if isinstance(t, Literal):
            return literal(str(t), lang=t.language, datatype=t.datatype)
        if isinstance(t, BNode):
            return ox.BlankNode(t)
        raise TypeError(f"cannot convert {t!r} to a pyoxigraph term")


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


class LineSet:
    """What a ``TripleSet`` is while a source's part is made (``graph.parts.source_chunk``), held as the
    N-Triples lines of its triples: ``add``, ``term``, ``triple`` and ``add_triples`` as a ``TripleSet``
    takes them, ``ntriples()`` the same bytes.

    A part is only ever written out, as sorted N-Triples (its cache files). As a set of pyoxigraph
    ``Triple`` s it cost a term object per position, the set's hashing, then ``ox.serialize`` and a
    split: two thirds of making a part, a sixth of a source's extraction task. Here each triple is its
    line, made of the terms' N-Triples text as pyoxigraph writes each term (``str`` of a pyoxigraph
    term: the serializer writes the same), so ``ntriples()`` gives the bytes a ``TripleSet`` of the same
    triples gives: one line per distinct triple (the text of a term is one-to-one with the term), sorted
    as UTF-8 bytes. Each distinct IRI still passes through
    ``ox.NamedNode`` once, so an IRI pyoxigraph refuses is refused here too.

    >>> lines, triples = LineSet(), TripleSet()
    >>> for graph in (lines, triples):
    ...     graph.add((URIRef("http://x/a"), URIRef("http://x/p"), literal('a "quoted"\\nline', lang="ar")))
    ...     graph.add_triples([graph.triple(graph.term(URIRef("http://x/a")), ox.NamedNode("http://x/q"), literal(5))])
    >>> lines.ntriples() == triples.ntriples() and len(lines) == 2
    True
    """

    def __init__(self) -> None:
        self._lines: set[str] = set()
        self._terms = OxigraphTerms()
        self._iris: dict[URIRef, str] = {}

    def term(self, t) -> str:
        """``t`` as N-Triples text (an IRI's converted once per set). The exact types come first: ``URIRef`` is
        an ABC, and ``isinstance`` of anything else against it is a slow check, made for every term."""
        kind = type(t)
        if kind is URIRef:
            text = self._iris.get(t)
            if text is None:
                text = self._iris[t] = str(ox.NamedNode(str(t)))
            return text
        if kind is ox.Literal or kind is ox.NamedNode:
            return str(t)
        if isinstance(t, URIRef):
            return self.term(URIRef(str(t)))
        return str(self._terms(t))

    @staticmethod
    def triple(s, p, o) -> str:
        """The line of a triple of terms (``term``'s texts, or pyoxigraph terms), without its newline."""
        return f"{s} {p} {o} ."

    def add(self, triple: tuple) -> None:
        s, p, o = triple
        self._lines.add(f"{self.term(s)} {self.term(p)} {self.term(o)} .")

    def add_triples(self, triples: Iterable[str]) -> None:
        """Add lines made by ``triple``."""
        self._lines.update(triples)

    def __len__(self) -> int:
        return len(self._lines)

    def ntriples(self) -> bytes:
        """The lines sorted, as ``TripleSet.ntriples`` gives them: encoded at once, then sorted as bytes (a
        line holds no newline: N-Triples escapes it), which compares faster than the texts would."""
        if not self._lines:
            return b""
        lines = "\n".join(self._lines).encode("utf-8").split(b"\n")
        lines.sort()
        return b"\n".join(lines) + b"\n"
