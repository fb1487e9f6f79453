"""English gists of paragraphs: what a paragraph does, said in words the graph already holds.

Many of the people who read the graph do not read Arabic, and a paragraph's
English label is its identifier. A gist (``tip:gist "…"@en``, a
sub-property of ``rdfs:comment``) says, for every paragraph, sub-paragraph,
recommendation and agenda item, and for every cited paragraph of a document
outside the corpus:

    <document> (<year>), <part> <number> — <who acts> <verb> …; <relation>
    <targets>; …; topics: <topics>

composed only from triples of the graph being built — the document's class
(hence the adopting body, ``tables/gists.toml``), its English label and date,
the meeting a report is of, the clause verb's English label, the actors,
instruments, articles and documents the paragraph's edges point to (by
English title: ``tables/titles.toml``, the instruments and articles tables,
the labels spelled out from symbols), and the thematic index's English
topics. Nothing is translated or invented: the ``…`` stands for the Arabic
words, which the gist does not pretend to render. A sub-paragraph that has no
verb of its own is read under its parent's clause ("under operative paragraph
3: requests the Secretariat").

The gists are added after the references and the index (``build_graph`` calls
``add_gists`` last), in one pass over the triples.

>>> from tipkg.pipeline import build
>>> graph = build(out_dir=None).graph
>>> from tipkg.ontology.namespace import TIP
>>> from rdflib import URIRef
>>> print(graph.value(URIRef("https://w3id.org/tipkg/id/A/RES/61/180_para_5"), TIP.gist))
General Assembly resolution 61/180 (2006), operative paragraph 5 — the General Assembly recognizes …; encourages Member States
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import DCTERMS

from tipkg.ontology.namespace import TIP
from tipkg.tables import load

from .labels import document_label_en
from .triples import TripleSet, literal
from .uris import mint

_TIP = str(TIP)
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_LABELS = ("http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel")
_PART_OF = "http://data.europa.eu/eli/ontology#is_part_of"
_DATES = ("http://data.europa.eu/eli/ontology#date_document", "http://purl.org/dc/terms/issued")
_IDENTIFIER = "http://purl.org/dc/terms/identifier"
_TITLE = "http://purl.org/dc/terms/title"
_NUMBER = re.compile(r"(?:pp|para|rec|item) (.+)$")
_PART_CLASSES = ("PreambularParagraph", "OperativeParagraph", "SubParagraph", "SubItem", "Recommendation",
                 "AgendaItem", "Paragraph")


@lru_cache(maxsize=None)
def _verb_relations() -> dict[str, str]:
    """verb name -> the relation whose targets the verb governs (its addressees, or what ``recalls`` recalls)."""
    return {row["name"]: row["relation"] or (row["name"] if row.get("objects") else "")
            for row in load("verbs")["verb"]}


@lru_cache(maxsize=None)
def titles() -> dict[str, str]:
    """English titles of documents by identifier (``tables/titles.toml``)."""
    return {row["identifier"]: row["title_en"] for row in load("titles")["document"]}


_TYPE_LINE = f"<{_RDF_TYPE}> <{_TIP}".encode()
_LABEL_LINES = tuple(f"<{p}>".encode() for p in _LABELS)
_KEPT = {f"<{p}>".encode() for p in (_IDENTIFIER, _PART_OF, *_DATES)}
_TIP_IRI = f"<{_TIP}".encode()


def _read(line: bytes) -> bool:
    """Whether ``_Facts`` reads the N-Triples ``line`` (a cheap test on its bytes, before parsing):
    a tip: type, an English label, an identifier, a parent, a date, or a tip: edge to a node."""
    _, predicate, rest = line.split(b" ", 2)
    if predicate in _KEPT:
        return True
    if predicate.startswith(_TIP_IRI):
        return rest.startswith(b"<")
    if predicate in _LABEL_LINES:
        return rest.endswith(b'"@en .\n')
    return (predicate + b" " + rest).startswith(_TYPE_LINE)


def add_gists(graph: TripleSet, base: str | None = None) -> int:
    """Add ``dcterms:title`` to the titled documents and ``tip:gist`` to every paragraph; return how many gists."""
    facts = _Facts(graph, base)
    for identifier, title in titles().items():
        uri = str(mint(identifier, base))
        if uri in facts.identifier:
            graph.add((URIRef(uri), DCTERMS.title, literal(title, lang="en")))
    count = 0
    gist_property = TIP.gist
    for uri in sorted(facts.paragraphs()):
        graph.add((URIRef(uri), gist_property, literal(facts.gist(uri), lang="en")))
        count += 1
    return count


def listed(names) -> str:
    """Names joined by commas, each name that has a comma of its own in quotes.

    >>> listed(["Victims, identification", "Children"])
    'Children, “Victims, identification”'
    """
    return ", ".join(f"“{n}”" if ", " in n else n for n in sorted(set(names)))


class _Facts:
    """What the gists need of the graph, read in one pass over its triples."""

    def __init__(self, graph: TripleSet, base: str | None):
        table = load("gists")
        self.bodies = {row["class"]: row["body_en"] for row in table["body"]}
        self.parts = table["part"]
        self.relations = [(row["name"], row["words"]) for row in table["relation"]]
        self.addressee_first = set(table["addressee_first"])
        self.types: dict[str, set[str]] = defaultdict(set)
        self.labels: dict[str, dict[bool, str]] = defaultdict(dict)
        self.identifier: dict[str, str] = {}
        self.parent: dict[str, str] = {}
        self.date: dict[str, str] = {}
        self.edges: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.report_of: dict[str, str] = {}
        self.verb: dict[str, str] = {}
        self.in_document: dict[str, str] = {}
        wanted = {name for name, _ in self.relations} | {"indexedUnder"}
        for t in graph.where(_read):
            s, p, o = t.subject, t.predicate.value, t.object
            if not isinstance(s, ox.NamedNode):
                continue
            s = s.value
            if p == _RDF_TYPE:
                if o.value.startswith(_TIP):
                    self.types[s].add(o.value[len(_TIP):])
            elif p in _LABELS:
                if isinstance(o, ox.Literal) and o.language == "en":
                    # prefLabel over rdfs:label; of two labels the one that is not the symbol's spelled-out form
                    self.labels[s][p == _LABELS[1]] = max(self.labels[s].get(p == _LABELS[1], ""), o.value, key=len)
            elif p == _IDENTIFIER:
                self.identifier[s] = o.value
            elif p == _PART_OF:
                self.parent[s] = o.value
            elif p in _DATES:
                self.date[s] = o.value
            elif p.startswith(_TIP) and isinstance(o, ox.NamedNode):
                name = p[len(_TIP):]
                if name in wanted:
                    self.edges[s][name].add(o.value)
                elif name == "verb":
                    self.verb[s] = o.value
                elif name == "reportOf":
                    self.report_of[s] = o.value
                elif name == "inDocument":
                    self.in_document[s] = o.value

    def paragraphs(self) -> list[str]:
        return [s for s, types in self.types.items() if types & set(_PART_CLASSES) and s in self.identifier]

    def label(self, uri: str) -> str:
        labels = self.labels.get(uri, {})
        return labels.get(True) or labels.get(False) or self.identifier.get(uri, uri)

    def year(self, uri: str) -> str:
        date = self.date.get(uri) or self.date.get(self.report_of.get(uri, ""), "")
        return date[:4]

    def document(self, uri: str) -> str:
        """A document as the head of a gist: its symbol spelled out (a report: the meeting it is of), and year."""
        identifier = self.identifier.get(uri, uri)
        meeting, spelled = self.report_of.get(uri), document_label_en(identifier)
        if meeting:
            name = f"{self.label(meeting)} ({identifier}"
        elif identifier in spelled and self.label(uri) not in (spelled, identifier):  # a symbol only: the title says more
            name = f"{self.label(uri)} ({identifier}"
            meeting = uri
        else:
            name = f"{spelled} ("
        year = self.year(uri)
        return f"{name}, {year})" if meeting and year else (f"{name})" if meeting else
                                                           (f"{name}{year})" if year else name[:-2]))

    def name(self, uri: str) -> str:
        """A target as a gist names it: by English title where the tables give one."""
        identifier = self.identifier.get(uri, uri)
        types = self.types.get(uri, set())
        if "ArticleParagraph" in types:
            article = uri
            while "ArticleParagraph" in self.types.get(article, set()) and article in self.parent:
                article = self.parent[article]
            label, whole = self.label(article), self.identifier.get(article, "")
            if ":" in label and identifier.startswith(whole):
                head, title = label.split(":", 1)
                return f"{head}{identifier[len(whole):]}:{title}"
            return identifier
        if types & set(_PART_CLASSES):
            document = self.in_document.get(uri) or self.parent.get(uri)
            match = _NUMBER.search(identifier)
            if document and match:
                return f"{self.name(document)}, paragraph {match.group(1)}"
            return identifier
        spelled = document_label_en(identifier)
        title = titles().get(identifier)
        if title is None:
            label = self.label(uri)
            title = label if label not in (spelled, identifier) else None
        if title and spelled != identifier and not spelled.startswith("UN document"):
            return f"{spelled} ({title})"
        return title or spelled

    def clauses(self, uri: str) -> list[str]:
        """The verb, addressee and citation clauses of one paragraph (its topics apart).

        The verb takes the targets of its own relation ("requests the
        Secretariat …", "recalls resolution 58/137 …"); a target named once is
        not named again by a weaker relation (``refersTo`` after ``recalls``).
        """
        edges = self.edges.get(uri, {})
        document = self.in_document.get(uri, "")
        body = next((self.bodies[c] for c in sorted(self.types.get(document, ())) if c in self.bodies), "")
        verb = self.verb.get(uri)
        verb_name = verb.rsplit("/", 1)[-1] if verb else ""
        own = _verb_relations().get(verb_name, "")
        said, named = [], set()
        if verb:
            targets = edges.get(own, set())
            names = listed(self.name(t) for t in targets)
            named |= targets
            if verb_name in self.addressee_first and targets:
                said.append(f"{names} {self.label(verb)} …")
            else:
                words = dict(self.relations).get(verb_name, self.label(verb))
                said.append(" ".join(x for x in (body, words if targets else self.label(verb), names, "…") if x))
        for relation, words in self.relations:
            targets = edges.get(relation, set()) - named
            if targets:
                said.append(f"{words} {listed(self.name(t) for t in targets)}")
                named |= targets
        return said

    def part(self, uri: str) -> str:
        identifier = self.identifier[uri]
        cls = next((c for c in _PART_CLASSES if c in self.types.get(uri, ())), "Paragraph")
        match = _NUMBER.search(identifier)
        return f"{self.parts[cls]} {match.group(1) if match else identifier}"

    def gist(self, uri: str) -> str:
        document = self.in_document.get(uri) or self.parent.get(uri, "")
        said = self.clauses(uri)
        if not said or not self.verb.get(uri):
            # read a sub-paragraph under the clause it continues
            parent = self.parent.get(uri)
            while parent and parent != document and not self.clauses(parent):
                parent = self.parent.get(parent)
            if parent and parent != document and parent in self.identifier:
                said.insert(0, f"under {self.part(parent)}: {'; '.join(self.clauses(parent))}")
        topics = sorted(self.label(t) for t in self.edges.get(uri, {}).get("indexedUnder", ()))
        if topics:
            said.append(f"topics: {listed(topics)}")
        if not said:
            said.append("cited; its text is not in the corpus" if self.types.get(uri) == {"Paragraph"}
                        else "no verb, addressee, citation or topic read in its Arabic text")
        return f"{self.document(document)}, {self.part(uri)} — {'; '.join(said)}"
