"""Projections of the RDF graph that an analyst asks for by name (networkx).

The RDF graph holds everything — containment, provenance, reified citations,
text. An analyst wants one question at a time: who cites whom, which articles
are leaned on, which topics go together, who is asked to act. Each projection
is a networkx graph keyed by canonical identifier (what Gephi shows and what
researchers type), with node attributes carried over from the RDF in one pass
over the triples: ``kind`` (instrument, article, document, paragraph, topic,
actor, meeting, footnote), ``cls`` (the class's local name), ``identifier``,
``label_en``, ``label_ar``, ``year`` (own date, else the enclosing document's
or meeting's) and, for paragraphs, ``text``.

===========  ==============================================================
name         nodes and edges
===========  ==============================================================
documents    document/instrument -> document/instrument: the citation network,
             from every paragraph edge whose target rolls up to a document
             or instrument (recalls, refersTo, other verbs, listed
             documents, and citesArticle rolled up to the article's
             instrument — citing ``TIPP art 6`` leans on ``TIPP``); topics
             and actors excluded. ``weight`` = number of paragraph edges.
articles     paragraph -> article (``citesArticle``, and ``recalls`` of an
             article), targets rolled up to the article (``TIPP art 9(5)`` ->
             ``TIPP art 9``), and article -> instrument (``isPartOf``).
topics       topic — topic (undirected), ``weight`` = paragraphs indexed
             under both; node attribute ``paragraphs``.
actors       document -> actor, from ``requests`` and the other verbs whose
             target is an actor; ``weight`` = paragraphs.
reuse        paragraph -> paragraph ``echoes`` (later -> earlier), ``weight``
             = similarity score (network/reuse.py).
overview     documents, instruments and topics; paragraph-level edges
             aggregated into weighted document-level edges (citations as in
             ``documents``, ``indexedUnder`` as document -> topic, ``weight``
             = paragraphs), and topic -> broader topic: the default page,
             readable without zooming.
mandates     mandating body -> addressee, one edge per action (a multigraph:
             the Conference asks the Secretariat for reports and for
             assistance), ``relation`` = the action's English label,
             ``count`` = ``weight`` = mandates (graph/mandates.py).
full         every identified node except source files, reified edges, verb
             nodes and the topic scheme; every edge between them
             (containment included).
===========  ==============================================================

>>> from tipkg.pipeline import build
>>> g = project(build(out_dir=None).graph, "documents")
>>> g.nodes["A/RES/61/180"]["kind"], g.nodes["A/RES/61/180"]["year"]
('document', 2006)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import networkx as nx
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from tipkg.errors import TipkgError

from tipkg.ontology.namespace import ELI, TIP

PROJECTIONS = ("overview", "documents", "articles", "topics", "actors", "reuse", "mandates", "full")

#: class local name -> coarse kind used for colours, shapes and filters
KINDS = {
    "Instrument": "instrument", "Article": "article", "ArticleParagraph": "article",
    "Document": "document", "Resolution": "document", "GAResolution": "document", "ECOSOCResolution": "document",
    "ECOSOCDecision": "document", "CCPCJResolution": "document", "COPDecision": "document",
    "COPResolution": "document", "DraftDecision": "document", "Agenda": "document", "Compendium": "document",
    "WorkingGroupReport": "document", "SessionReport": "document", "UNDocument": "document",
    "Paragraph": "paragraph", "PreambularParagraph": "paragraph", "OperativeParagraph": "paragraph",
    "SubParagraph": "paragraph", "SubItem": "paragraph", "Recommendation": "paragraph", "AgendaItem": "paragraph",
    "Footnote": "footnote", "Topic": "topic", "Concept": "topic", "Actor": "actor", "Meeting": "meeting",
    "SourceText": "source", "TextReuse": "edge", "Citation": "edge", "Verb": "verb", "ConceptScheme": "scheme",
    "Mandate": "mandate",
}
#: the more specific class wins when a node has several
_RANK = {"edge": 0, "source": 1, "verb": 1, "scheme": 1, "instrument": 2, "article": 3, "document": 4, "paragraph": 5, "footnote": 6,
         "meeting": 7, "topic": 8, "actor": 9, "mandate": 9, "other": 10}
#: predicates that carry structure or provenance, never a reference (tip:inDocument: a shortcut, not an edge to draw)
STRUCTURE = {ELI.is_part_of, DCTERMS.isPartOf, PROV.wasDerivedFrom, TIP.footnote, TIP.compiledIn, TIP.meeting,
             TIP.reportOf, TIP.publishedIn, TIP.adoptedAs, DCTERMS.relation, RDF.type, SKOS.broader,
             SKOS.narrower, SKOS.inScheme, DCTERMS.subject, TIP.inDocument}
_NOT_DOCUMENT_CITATION = {TIP.indexedUnder, TIP.echoes}
#: classes that say less than a sibling class of the same kind
_GENERIC = {"Document", "Resolution", "UNDocument", "Paragraph", "Concept"}
_DATES = {ELI.date_document, DCTERMS.issued, DCTERMS.date}
#: vocabulary and bookkeeping, not things of the corpus: the verb nodes (every paragraph links its
#: verb), the topic scheme, source files and reified edge records stay out of the "full" projection
_NOT_IN_FULL = {"edge", "source", "verb", "scheme"}


@dataclass
class Node:
    identifier: str
    kind: str = "other"
    cls: str = ""
    label_en: str = ""
    label_ar: str = ""
    text: str = ""
    date: str = ""
    parent: URIRef | None = None
    meeting: URIRef | None = None
    gist: str = ""


def local_name(uri: URIRef) -> str:
    """``…/ontology#recalls`` -> ``recalls``."""
    text = str(uri)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


class Index:
    """Every identified node of an RDF graph with its attributes, read in one pass over the triples."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.nodes: dict[URIRef, Node] = {}
        self.edges: list[tuple[URIRef, URIRef, URIRef]] = []
        info: dict[URIRef, dict] = defaultdict(dict)
        for s, p, o in graph:
            if not isinstance(s, URIRef):
                continue
            slot = info[s]
            if p == DCTERMS.identifier:
                slot["identifier"] = str(o)
            elif p == RDF.type:
                slot.setdefault("types", []).append(local_name(o))
            elif p in (RDFS.label, SKOS.prefLabel) and isinstance(o, Literal):
                key = {"en": "label_en", "ar": "label_ar"}.get(o.language or "")
                if key:
                    slot.setdefault("labels", []).append((key, p == SKOS.prefLabel, str(o)))
            elif p == TIP.text:
                slot["text"] = str(o)
            elif p == TIP.gist:
                slot["gist"] = str(o)
            elif p in _DATES:
                slot["date"] = str(o)
            elif p == ELI.is_part_of:
                slot["parent"] = o
            elif p == TIP.meeting:
                slot["meeting"] = o
            if isinstance(o, URIRef) and p != RDF.type and p not in (RDF.subject, RDF.object, RDF.predicate):
                self.edges.append((s, p, o))
        for uri, slot in info.items():
            if "identifier" not in slot:
                continue
            # skos:prefLabel over rdfs:label; of two (3/3 titled by each of its sources) the fuller one
            for key, _, text in sorted(slot.get("labels", []), key=lambda x: (x[1], len(x[2]), x[2])):
                slot[key] = text
            # the triples come in no fixed order: the choice of kind and class must not depend on it
            kinds = sorted((KINDS.get(t, "other"), t) for t in slot.get("types", []))
            kind = max((k for k, _ in kinds), key=_RANK.__getitem__, default="other")
            # the most specific class of that kind (GAResolution, not UNDocument), by name for ties
            cls = min((t for k, t in kinds if k == kind), key=lambda t: (t in _GENERIC, t), default="")
            if any(k == "edge" for k, _ in kinds):
                kind, cls = "edge", min(t for k, t in kinds if k == "edge")
            self.nodes[uri] = Node(slot["identifier"], kind, cls, slot.get("label_en", ""), slot.get("label_ar", ""),
                                   slot.get("text", ""), slot.get("date", ""), slot.get("parent"), slot.get("meeting"),
                                   slot.get("gist", ""))
        self._years: dict[URIRef, int | None] = {}
        self.by_identifier = {node.identifier: uri for uri, node in self.nodes.items()}
        self.edges = [(s, p, o) for s, p, o in self.edges if s in self.nodes and o in self.nodes]

    def year(self, uri: URIRef) -> int | None:
        """The node's year: its own date, else its meeting's, else its parent's."""
        if uri not in self._years:
            self._years[uri] = None
            node = self.nodes.get(uri)
            year = None
            if node is not None:
                if node.date[:4].isdigit():
                    year = int(node.date[:4])
                elif node.meeting is not None:
                    year = self.year(node.meeting)
                if year is None and node.parent is not None:
                    year = self.year(node.parent)
            self._years[uri] = year
        return self._years[uri]

    def container(self, uri: URIRef) -> URIRef | None:
        """The document or instrument a node belongs to (itself if it is one)."""
        seen = set()
        while uri is not None and uri not in seen:
            seen.add(uri)
            node = self.nodes.get(uri)
            if node is None:
                return None
            if node.kind in ("document", "instrument"):
                return uri
            uri = node.parent
        return None

    def container_identifier(self, identifier: str) -> str | None:
        """The identifier of the document or instrument holding the node ``identifier``."""
        uri = self.container(self.by_identifier.get(identifier))
        return self.nodes[uri].identifier if uri is not None else None

    def article(self, uri: URIRef) -> URIRef | None:
        """The whole article a node stands in (``TIPP art 9(5)`` -> ``TIPP art 9``), or None."""
        node = self.nodes.get(uri)
        if node is None or node.kind != "article":
            return None
        while node.parent in self.nodes and self.nodes[node.parent].kind == "article":
            uri, node = node.parent, self.nodes[node.parent]
        return uri

    def attributes(self, uri: URIRef, *, text: bool = True) -> dict:
        """The node attributes a projection carries (GraphML-safe: no None values)."""
        node = self.nodes[uri]
        out = {"identifier": node.identifier, "kind": node.kind, "cls": node.cls,
               "label_en": node.label_en or node.identifier, "label_ar": node.label_ar}
        year = self.year(uri)
        if year is not None:
            out["year"] = year
        if text and node.text:
            out["text"] = node.text
        if node.gist:
            out["gist"] = node.gist
        return out

    def add_node(self, g: nx.Graph, uri: URIRef, **extra) -> str:
        key = self.nodes[uri].identifier
        if key not in g:
            g.add_node(key, **self.attributes(uri), **extra)
        return key


def _add_edge(g: nx.Graph, a: str, b: str, relation: str, weight: float = 1.0) -> None:
    """Add or strengthen the edge a-b; ``by_relation`` keeps the count per relation ("recalls:2,refersTo:5")."""
    if g.has_edge(a, b):
        data = g.edges[a, b]
        data["weight"] += weight
        data["count"] += 1
        counts = dict(item.rsplit(":", 1) for item in data["by_relation"].split(","))
        counts[relation] = str(int(counts.get(relation, 0)) + 1)
        data["by_relation"] = ",".join(f"{r}:{counts[r]}" for r in sorted(counts))
        data["relations"] = ",".join(sorted(counts))
        data["relation"] = max(sorted(counts), key=lambda r: int(counts[r]))
    else:
        g.add_edge(a, b, relation=relation, relations=relation, weight=weight, count=1, by_relation=f"{relation}:1")


def project(graph: Graph | Index, name: str = "full") -> nx.Graph:
    """The named projection (see the module docstring) of an RDF graph."""
    index = graph if isinstance(graph, Index) else Index(graph)
    try:
        builder = _BUILDERS[name]
    except KeyError:
        raise TipkgError("--projection", f"unknown projection {name!r}; choose one of {', '.join(PROJECTIONS)}") from None
    return _in_order(builder(index), name)


def _in_order(g: nx.Graph, name: str) -> nx.Graph:
    """The same graph with nodes and edges inserted in identifier order.

    rdflib hands triples out in no fixed order; networkx algorithms that are
    seeded (Louvain) still depend on insertion order, so a projection is
    rebuilt sorted to give the same communities on every run.
    """
    out = g.__class__()
    out.graph["projection"] = name
    out.add_nodes_from(sorted(g.nodes(data=True), key=lambda n: n[0]))
    if g.is_multigraph():  # keep the keys (the mandates projection keys parallel edges by action)
        out.add_edges_from(sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2]))))
    else:
        out.add_edges_from(sorted(g.edges(data=True), key=lambda e: (e[0], e[1])))
    return out


def _documents(ix: Index) -> nx.DiGraph:
    g = nx.DiGraph()
    for uri, node in ix.nodes.items():
        if node.kind in ("document", "instrument"):
            ix.add_node(g, uri)
    for s, p, o in ix.edges:
        if p in STRUCTURE or p in _NOT_DOCUMENT_CITATION or ix.nodes[s].kind not in ("paragraph", "footnote"):
            continue
        if ix.nodes[o].kind not in ("document", "instrument", "paragraph", "article"):
            continue
        source, target = ix.container(s), ix.container(o)
        if source is not None and target is not None and source != target:
            _add_edge(g, ix.add_node(g, source), ix.add_node(g, target), local_name(p))
    return g


def _overview(ix: Index) -> nx.DiGraph:
    g = _documents(ix)
    for s, p, o in ix.edges:
        if p == TIP.indexedUnder and ix.nodes[o].kind == "topic":
            document = ix.container(s)
            if document is not None:
                _add_edge(g, ix.add_node(g, document), ix.add_node(g, o), "indexedUnder")
        elif p == SKOS.broader and ix.nodes[s].kind == "topic" and ix.nodes[o].kind == "topic":
            _add_edge(g, ix.add_node(g, s), ix.add_node(g, o), "broader")
    isolated = [n for n in g if g.degree(n) == 0]
    g.remove_nodes_from(isolated)  # instruments and cited documents nothing links to say nothing here
    return g


def _articles(ix: Index, level: str = "article") -> nx.DiGraph:
    g = nx.DiGraph()
    for s, p, o in ix.edges:
        if p in STRUCTURE or ix.nodes[o].kind != "article" or ix.nodes[s].kind not in ("paragraph", "footnote"):
            continue
        target = ix.article(o) if level == "article" else o
        _add_edge(g, ix.add_node(g, s), ix.add_node(g, target), local_name(p))
    for uri, node in ix.nodes.items():
        if node.kind == "article" and node.identifier in g:
            instrument = ix.container(uri)
            if instrument is not None:
                _add_edge(g, node.identifier, ix.add_node(g, instrument), "isPartOf")
    return g


def _topics(ix: Index) -> nx.Graph:
    g = nx.Graph()
    by_paragraph: dict[URIRef, set[URIRef]] = defaultdict(set)
    for s, p, o in ix.edges:
        if p == TIP.indexedUnder:
            by_paragraph[s].add(o)
    counts = Counter(t for topics in by_paragraph.values() for t in topics)
    for topic, count in counts.items():
        ix.add_node(g, topic, paragraphs=count)
    for topics in by_paragraph.values():
        names = sorted(ix.nodes[t].identifier for t in topics)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                _add_edge(g, a, b, "coIndexed")
    return g


def _actors(ix: Index) -> nx.DiGraph:
    g = nx.DiGraph()
    for s, p, o in ix.edges:
        if ix.nodes[o].kind != "actor" or ix.nodes[s].kind not in ("paragraph", "footnote"):
            continue
        document = ix.container(s)
        if document is not None:
            _add_edge(g, ix.add_node(g, document), ix.add_node(g, o), local_name(p))
    return g


def _reuse(ix: Index) -> nx.DiGraph:
    g = nx.DiGraph()
    scores = {}
    for node in ix.graph.subjects(RDF.type, TIP.TextReuse):
        subject, obj = ix.graph.value(node, RDF.subject), ix.graph.value(node, RDF.object)
        score = ix.graph.value(node, TIP.score)
        if score is not None:
            scores[(subject, obj)] = float(score)
    for s, p, o in ix.edges:
        if p == TIP.echoes and ix.nodes[s].kind == "paragraph" and ix.nodes[o].kind == "paragraph":
            _add_edge(g, ix.add_node(g, s), ix.add_node(g, o), "echoes", scores.get((s, o), 1.0))
    return g


def _mandates(ix: Index) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for m in ix.graph.subjects(RDF.type, TIP.Mandate):
        body, action = ix.graph.value(m, TIP.mandatingBody), ix.graph.value(m, TIP.action)
        if body not in ix.nodes or action not in ix.nodes:
            continue
        label = ix.nodes[action].label_en or ix.nodes[action].identifier
        for addressee in ix.graph.objects(m, TIP.addressee):
            if addressee not in ix.nodes:
                continue
            a, b = ix.add_node(g, body), ix.add_node(g, addressee)
            if g.has_edge(a, b, key=label):
                g.edges[a, b, label]["count"] += 1
                g.edges[a, b, label]["weight"] += 1.0
            else:
                g.add_edge(a, b, key=label, relation=label, relations=label, weight=1.0, count=1)
    return g


def _full(ix: Index) -> nx.DiGraph:
    g = nx.DiGraph()
    for uri, node in ix.nodes.items():
        if node.kind not in _NOT_IN_FULL:
            ix.add_node(g, uri)
    for s, p, o in ix.edges:
        a, b = ix.nodes[s], ix.nodes[o]
        if a.identifier in g and b.identifier in g and s != o and p not in (RDF.type, PROV.wasDerivedFrom, TIP.inDocument):
            _add_edge(g, a.identifier, b.identifier, local_name(p))
    return g


_BUILDERS = {"overview": _overview, "documents": _documents, "articles": _articles, "topics": _topics,
             "actors": _actors, "reuse": _reuse, "mandates": _mandates, "full": _full}
assert tuple(_BUILDERS) == PROJECTIONS
