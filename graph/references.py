"""References in the graph: each edge asserted, and described by a citation node.

Design (reification with CiTO + PROV): for every ``Reference`` the edge
``paragraph --tip:<relation>--> target`` is asserted directly, so queries stay
simple, and a node typed ``cito:Citation`` (and ``tip:Citation``) tells where
it came from:

    <edge/…> a cito:Citation, tip:Citation ;
        cito:hasCitingEntity <paragraph> ; cito:hasCitedEntity <target> ;
        rdf:predicate tip:<relation> ;
        tip:sourceSpan "file#char=a,b" ; tip:text "original words"@ar ;
        tip:rule "table rule" ; prov:wasDerivedFrom <source/file> ;
        tip:footnoteMark "3" .          # when carried from a footnote

One citation per mention: an edge read twice (two sources, or a name and a
footnote) has two citation nodes and one asserted triple. The citation's URI
is minted from ``edge:`` + a hash of paragraph, relation, target and span, so
it is stable across builds. Target nodes are created with their identifier,
class, labels and containment (``TIPP art 9(5)`` part of ``TIPP art 9`` part
of ``TIPP``; ``X para 17`` part of ``X``).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from tipkg import identifiers as ids
from tipkg.ontology.namespace import CITO, ELI, TIP
from tipkg.references.citations import symbol_kind
from tipkg.references.types import Reference
from tipkg.tables import load

from .labels import document_label_en
from .triples import LineSet, TripleSet, literal, nt
from .uris import mint

TARGET_CLASSES = {
    "instrument": TIP.Instrument,
    "ga-resolution": TIP.GAResolution,
    "ecosoc-resolution": TIP.ECOSOCResolution,
    "ecosoc-decision": TIP.ECOSOCDecision,
    "ccpcj-resolution": TIP.CCPCJResolution,
    "cop-decision": TIP.COPDecision,
    "cop-resolution": TIP.COPResolution,
    "wg-report": TIP.WorkingGroupReport,
    "document": TIP.UNDocument,
    "actor": TIP.Actor,
    "topic": TIP.Topic,
}


def citation_id(reference: Reference) -> str:
    """The identifier of a reference's citation node (stable across builds)."""
    key = "|".join((reference.paragraph, reference.relation, reference.target,
                    f"{reference.source_file}#char={reference.span.start},{reference.span.end}"))
    return str(ids.Edge(hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]))


def add_references(graph: TripleSet | LineSet, references: Iterable[Reference], base: str | None = None,
                   labelled: Mapping[URIRef, str] | None = None, claims=None) -> TripleSet | LineSet:
    """Assert every reference's edge, its target node and its citation node.

    ``labelled``: nodes that already carry an English ``rdfs:label`` -> that label (a document's
    title, an article's heading); the name a reference gives them ("General Assembly
    resolution 61/180", "TIPP art 9") becomes a ``skos:altLabel``, so that each node
    has one ``rdfs:label`` per language. ``claims`` (a ``graph.parts.Claims``): the names are
    claims instead, resolved once every source's labels are known (``graph.parts.resolve``)."""
    targets = _Targets(graph, base, labelled, claims)
    # a hot loop: triples made here, fixed terms once; pyoxigraph terms and triples for a TripleSet, their
    # N-Triples texts for a LineSet (a source's part), so the three are typed by what both take
    term: Callable[[Any], Any] = graph.term
    put: Callable[[Iterable[Any]], None] = graph.add_triples
    Triple: Callable[..., Any] = graph.triple
    # the fixed terms as the graph takes them (a LineSet's texts: a pyoxigraph term was written out in each line)
    a, citation, tip_citation, citing, cited, predicate, span, text, rule, derived, mark = map(term, _FIXED)
    files: dict[str, Any] = {}
    for ref in references:
        paragraph = term(mint(ref.paragraph, base))
        target = term(targets.node(str(ids.Verb(ref.target)) if ref.target_kind == "verb" else ref.target,
                                   ref.target_kind))
        relation = term(tip(ref.relation))
        c = term(mint(citation_id(ref), base))
        if (file := files.get(ref.source_file)) is None:
            file = files[ref.source_file] = term(mint(str(ids.SourceFile(ref.source_file)), base))
        put((Triple(paragraph, relation, target), Triple(c, a, citation), Triple(c, a, tip_citation),
             Triple(c, citing, paragraph), Triple(c, cited, target), Triple(c, predicate, relation),
             Triple(c, span, literal(f"{ref.source_file}#char={ref.span.start},{ref.span.end}")),
             Triple(c, text, literal(ref.text, lang="ar")), Triple(c, rule, literal(ref.rule)),
             Triple(c, derived, file)))
        if ref.via_footnote:
            put((Triple(c, mark, literal(ref.via_footnote)),))
    return graph


def add_citation(graph: TripleSet, ref: Reference, subject: URIRef, target: URIRef, base: str | None = None) -> URIRef:
    """Describe one edge ``subject --tip:<ref.relation>--> target`` by its citation node
    (the same node ``add_references`` makes), for edges whose subject is not a
    paragraph (a mandate's addressee, action, deadline). Its nine triples go in as N-Triples lines
    (``TripleSet.add_lines``): the global pass makes one per mandate edge and answer, tens of
    thousands on a large corpus, and lines cost a fraction of term objects."""
    c = mint(citation_id(ref), base)
    node = nt(c)
    graph.add_lines(f"{node} {p} {o} .".encode() for p, o in (
        (_TYPE, _CITO_CITATION), (_TYPE, _TIP_CITATION), (_CITING, nt(subject)), (_CITED, nt(target)),
        (_PREDICATE, nt(tip(ref.relation))),
        (_SPAN, nt(literal(f"{ref.source_file}#char={ref.span.start},{ref.span.end}"))),
        (_TEXT, nt(literal(ref.text, lang="ar"))), (_RULE, nt(literal(ref.rule))),
        (_DERIVED, nt(mint(str(ids.SourceFile(ref.source_file)), base)))))
    return c


#: the fixed terms of ``add_references``' triples, as pyoxigraph terms
_FIXED = tuple(ox.NamedNode(str(t)) for t in (
    RDF.type, CITO.Citation, TIP.Citation, CITO.hasCitingEntity, CITO.hasCitedEntity, RDF.predicate,
    TIP.sourceSpan, TIP.text, TIP.rule, PROV.wasDerivedFrom, TIP.footnoteMark))


@lru_cache(maxsize=None)
def tip(name: str) -> URIRef:
    """``TIP.<name>``, looked up once: rdflib's ``DefinedNamespace`` checks every attribute access in
    Python (×30, the global pass spent 2.8 s in it)."""
    return getattr(TIP, name)


#: the fixed terms of a citation node's lines, as N-Triples
_TYPE, _CITO_CITATION, _TIP_CITATION = nt(RDF.type), nt(CITO.Citation), nt(TIP.Citation)
_CITING, _CITED, _PREDICATE = nt(CITO.hasCitingEntity), nt(CITO.hasCitedEntity), nt(RDF.predicate)
_SPAN, _TEXT, _RULE, _DERIVED = nt(TIP.sourceSpan), nt(TIP.text), nt(TIP.rule), nt(PROV.wasDerivedFrom)


class _Targets:
    def __init__(self, graph: TripleSet | LineSet, base: str | None, labelled: Mapping[URIRef, str] | None = None,
                 claims=None):
        self.graph, self.base = graph, base
        self.done: set[str] = set()
        self.labelled = dict(labelled or {})
        self.claims = claims

    def label_en(self, node: URIRef, text: str) -> None:
        """The node's English label, or an altLabel when it has one already."""
        if self.claims is not None:
            self.claims.name(str(node), text)
        elif node in self.labelled:
            if self.labelled[node] != text:
                self.graph.add((node, SKOS.altLabel, literal(text, lang="en")))
        else:
            self.graph.add((node, RDFS.label, literal(text, lang="en")))

    def typed(self, identifier: str, *classes: URIRef) -> URIRef:
        node = mint(identifier, self.base)
        for cls in classes:
            self.graph.add((node, RDF.type, cls))
        self.graph.add((node, DCTERMS.identifier, literal(identifier)))
        return node

    def node(self, identifier: str, kind: str) -> URIRef:
        node = mint(identifier, self.base)
        if identifier in self.done:
            return node
        self.done.add(identifier)
        named = ids.try_parse(identifier) if kind in ("article", "paragraph") else None
        if kind == "article" and isinstance(named, ids.Article):
            self.article(named)
        elif kind == "paragraph" and isinstance(named, ids.Paragraph) and not named.document.draft:
            self.typed(identifier, TIP.Paragraph)
            symbol = str(named.document)
            document = self.node(symbol, symbol_kind(symbol))
            self.graph.add((node, ELI.is_part_of, document))
            self.graph.add((node, TIP.inDocument, document))
            self.label_en(node, identifier)
        elif kind == "verb":
            self.typed(identifier, TIP.Verb)
            row = _verbs().get(identifier.removeprefix("verb:"), {})
            self.graph.add((node, RDFS.label, literal(row.get("label_en", identifier[5:]), lang="en")))
            self.graph.add((node, SKOS.prefLabel, literal(row.get("label_en", identifier[5:]), lang="en")))
        elif kind == "actor":
            self.typed(identifier, TIP.Actor)
            for lang, text in _actor_labels().get(identifier, {}).items():
                self.graph.add((node, SKOS.prefLabel, literal(text, lang=lang)))
                self.graph.add((node, RDFS.label, literal(text, lang=lang)))
        elif kind == "instrument" or kind == "topic":
            self.typed(identifier, TARGET_CLASSES[kind])
        else:
            cls = TARGET_CLASSES.get(kind, TIP.UNDocument)
            self.typed(identifier, TIP.UNDocument, cls) if cls != TIP.UNDocument else self.typed(identifier, cls)
            self.label_en(node, document_label_en(identifier))
        return node

    def article(self, article: ids.Article) -> None:
        """``TIPP art 9(5)(c)`` part of ``TIPP art 9(5)`` part of ``TIPP art 9`` part of ``TIPP``."""
        parent = self.typed(str(article.instrument), TIP.Instrument)
        for k in range(len(article.parts) + 1):
            name = str(ids.Article(article.instrument, article.number, article.parts[:k]))
            node = self.typed(name, TIP.ArticleParagraph if k else TIP.Article)
            self.graph.add((node, ELI.is_part_of, parent))
            self.label_en(node, name)
            self.done.add(name)
            parent = node


@lru_cache(maxsize=None)
def _actor_labels() -> dict[str, dict[str, str]]:
    """English and Arabic labels of actors, if the actors table exists (refs-verbs owns it); made once (it
    was made again for every actor node of every source). Read it, do not change it."""
    try:
        rows = load("actors").get("actor", [])
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    return {r["identifier"]: {k: r[f"label_{k}"] for k in ("en", "ar") if f"label_{k}" in r} for r in rows}


@lru_cache(maxsize=None)
def _verbs() -> dict[str, dict]:
    """The verbs table by name (for the labels of verb nodes)."""
    return {row["name"]: row for row in load("verbs")["verb"]}
