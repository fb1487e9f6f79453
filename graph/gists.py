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
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from itertools import chain, islice
from sys import intern
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import DCTERMS

from tipkg.ontology.namespace import TIP
from tipkg.tables import load

from .gist_facts import (CACHED, DATE, EDGES, IDENTIFIER, IN_DOCUMENT, LABELS, PARENT, REPORT_OF, TYPES, VERB, Column,
                         FactStore)
from .gist_facts import longer as _longer
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
_PARTS = frozenset(_PART_CLASSES)


@lru_cache(maxsize=None)
def _verb_relations() -> dict[str, str]:
    """verb name -> the relation whose targets the verb governs (its addressees, or what ``recalls`` recalls)."""
    return {row["name"]: row["relation"] or (row["name"] if row.get("objects") else "")
            for row in load("verbs")["verb"]}


@lru_cache(maxsize=None)
def titles() -> dict[str, str]:
    """English titles of documents by identifier (``tables/titles.toml``)."""
    return {row["identifier"]: row["title_en"] for row in load("titles")["document"]}


def _iris(*iris: str) -> bytes:
    return b"|".join(re.escape(f"<{iri}>".encode()) for iri in iris)


#: the tip: edges a gist reads: to the targets it names (``tables/gists.toml``), to topics, and the single
#: ones (``Tables.read``); the others (``tip:echoes``, ``tip:repeats``, a mandate's edges: ×10 9 in 10 of
#: the parent's tip: edges) are left in the bytes
_TIP_READ = (*(row["name"] for row in load("gists")["relation"]), "indexedUnder", "verb", "reportOf", "inDocument")

#: the N-Triples lines ``_Facts`` reads (found in blocks of bytes, before any parsing; the pattern's
#: group is the line, its leading newline lets the engine jump from line to line): an identifier, a
#: parent, a date, a tip: edge a gist reads (``_TIP_READ``) to a node, an English label, a tip: type but
#: ``tip:Citation`` and ``tip:TextReuse``. Those two type reified edges (``id/edge/…``), typed nothing else,
#: never a paragraph nor the object of a line, so no gist asks for their class; and they are most typed
#: nodes (×10: 26,547 of 33,533 in the parts are citations; 25,516 of 26,190 in the parent's lines are
#: echoes): keeping them made the type table most of the tables.
_READ = re.compile(rb"\n(\S+ (?:(?:" + _iris(_IDENTIFIER, _PART_OF, *_DATES) + rb") .*"
                   rb"|(?:" + _iris(*(_TIP + name for name in _TIP_READ)) + rb") <.*"
                   rb"|(?:" + _iris(*_LABELS) + rb") .*\"@en \."
                   rb"|" + re.escape(f"<{_RDF_TYPE}> <{_TIP}".encode()) + rb"(?!(?:Citation|TextReuse)>).*))$", re.M)


def add_gists(graph: TripleSet, base: str | None = None, known: Iterable[Tables] = (),
              into: TripleSet | None = None) -> int:
    """Add ``dcterms:title`` to the titled documents and ``tip:gist`` to every paragraph; return how many gists.
    ``known``: the ``Tables`` of the lines ``graph.where(…, known=True)`` leaves out (the parts').
    ``into``: where the triples go (default: ``graph`` itself; everything is read before anything is added):
    ``build_graph`` calls it through ``graph.add_made``, so a build's gists are made in a forked child."""
    folder = getattr(into, "folder", None)  # a build's child: beside its chunks
    facts = _Facts(graph, base, known, folder)
    try:
        out = graph if into is None else into
        for identifier, title in titles().items():
            uri = str(mint(identifier, base))
            if uri in facts.identifier:
                out.add((URIRef(uri), DCTERMS.title, literal(title, lang="en")))
        count = 0
        gist_property = TIP.gist
        for uri in facts.paragraphs():
            out.add((URIRef(uri), gist_property, literal(facts.gist(uri), lang="en")))
            count += 1
        return count
    finally:
        facts.close()


def listed(names) -> str:
    """Names joined by commas, each name that has a comma of its own in quotes.

    >>> listed(["Victims, identification", "Children"])
    'Children, “Victims, identification”'
    """
    return ", ".join(f"“{n}”" if ", " in n else n for n in sorted(set(names)))


#: how many of the parent's own lines' triples are read into one ``Tables`` before it goes to disk
READ_BATCH = 1 << 15
#: the facts of which a node keeps one value: of two, the one whose line sorts after (by predicate where
#: two predicates fill one table, the dates; then by object, as N-Triples writes it)
_SINGLE = ("identifier", "parent", "date", "verb", "report_of", "in_document")
#: the head of a part's cached gist tables (``tipkg.part_cache.PartCache``)
TABLES_MAGIC = b"TIPKG-GIST 1\n"


class Tables:
    """What the gists read of some N-Triples lines, in a form in which the tables of two sets of lines
    merge into those of their union (``merge``), whatever the order: so each source's part has its own,
    made in the process pool and cached with the part (``tipkg.part_cache.PartCache``), and the build's
    parent reads only the lines that are not in a part (labels, mandates, the index) and merges.
    A single value is held as (predicate, object as N-Triples, value), so the one the sorted graph gives
    last is kept; a label kind as the longest value (``_longer``)."""

    def __init__(self) -> None:
        self.types: dict[str, frozenset[str]] = {}  # each set of class names one shared object (``_kinds``)
        self.labels: dict[str, dict[bool, str]] = {}
        self.single: dict[str, dict[str, tuple[str, str, str]]] = {name: {} for name in _SINGLE}
        self.edges: dict[str, dict[str, set[str]]] = {}

    @classmethod
    def load(cls, path: Path, lines: Path) -> Tables:
        """The tables a part's cache entry holds at ``path`` (``tipkg.part_cache.PartCache``), or, if that file
        is not whole (short, altered, gone), those of the part's ``lines`` file read again: never none,
        since the part's lines are left out of what the parent reads (``where(…, known=True)``)."""
        from tipkg.cache_entries import unsealed

        tables = unsealed(path, TABLES_MAGIC, cls)
        return tables if tables is not None else cls.of(lines.read_bytes())

    @classmethod
    def of(cls, lines: bytes) -> Tables:
        """The tables of sorted N-Triples ``lines`` (a part's file)."""
        tables = cls()
        found = _READ.findall(b"\n" + lines)
        if found:
            tables.read(ox.parse(b"\n".join(found) + b"\n", format=ox.RdfFormat.N_TRIPLES))
        return tables

    def __bool__(self) -> bool:
        return bool(self.types or self.labels or self.edges or any(self.single.values()))

    def read(self, triples) -> None:
        """Add what the gists read of ``triples`` (those ``_READ`` finds; others are passed over)."""
        wanted = {row["name"] for row in load("gists")["relation"]} | {"indexedUnder"}
        tip_single = {"verb": self.single["verb"], "reportOf": self.single["report_of"],
                      "inDocument": self.single["in_document"]}
        identifier, parent, date = self.single["identifier"], self.single["parent"], self.single["date"]
        types, labels, edges = self.types, self.labels, self.edges
        for t in triples:
            s, p, o = t.subject, t.predicate.value, t.object
            if not isinstance(s, ox.NamedNode):
                continue
            s = intern(s.value)  # one string per node, whichever tables hold it
            if p == _RDF_TYPE:
                if o.value.startswith(_TIP):
                    types[s] = _kinds(types.get(s, frozenset()) | {o.value[len(_TIP):]})
            elif p in _LABELS:
                if isinstance(o, ox.Literal) and o.language == "en":
                    # prefLabel over rdfs:label; of two labels the one that is not the symbol's spelled-out form
                    kinds = labels.setdefault(s, {})
                    preferred = p == _LABELS[1]
                    if _longer(o.value, kinds.get(preferred)):
                        kinds[preferred] = o.value
            elif p == _IDENTIFIER:
                _offer(identifier, s, ("", str(o), o.value))
            elif p == _PART_OF:
                _offer(parent, s, ("", str(o), o.value))
            elif p in _DATES:
                _offer(date, s, (f"<{p}>", str(o), o.value))
            elif p.startswith(_TIP) and isinstance(o, ox.NamedNode):
                name = p[len(_TIP):]
                if name in wanted:
                    edges.setdefault(s, {}).setdefault(name, set()).add(intern(o.value))
                elif name in tip_single:
                    _offer(tip_single[name], s, ("", str(o), intern(o.value)))

    def merge(self, other: Tables) -> None:
        """Add the tables of other lines (each node's and target's string the interned one: a node is in
        several tables, and the tables of a part read back from the cache have strings of their own)."""
        types, labels, edges = self.types, self.labels, self.edges
        for s, names in other.types.items():
            held = types.get(s)
            types[intern(s)] = _kinds(names if held is None else held | names)
        for s, kinds in other.labels.items():
            mine = labels.get(s)
            if mine is None:
                labels[intern(s)] = dict(kinds)
                continue
            for preferred, value in kinds.items():
                if _longer(value, mine.get(preferred)):
                    mine[preferred] = value
        for name, table in other.single.items():
            into = self.single[name]
            for s, value in table.items():
                _offer(into, intern(s), value if value[2] is intern(value[2]) else (*value[:2], intern(value[2])))
        for s, relations in other.edges.items():
            mine_edges = edges.get(s)
            if mine_edges is None:
                edges[intern(s)] = {name: set(map(intern, targets)) for name, targets in relations.items()}
                continue
            for name, targets in relations.items():
                held = mine_edges.get(name)
                if held is None:
                    mine_edges[name] = set(map(intern, targets))
                else:
                    held |= set(map(intern, targets))


_KINDS: dict[frozenset[str], frozenset[str]] = {}


def _kinds(names: frozenset[str] | set[str]) -> frozenset[str]:
    """The one shared frozenset of these class names (a corpus has a few dozen sets of classes, and
    hundreds of thousands of nodes typed by them)."""
    names = frozenset(names)
    return _KINDS.setdefault(names, names)


def _offer(table: dict[str, tuple[str, str, str]], s: str, value: tuple[str, str, str]) -> None:
    old = table.get(s)
    if old is None or old[:2] < value[:2]:
        table[s] = value


class _Facts:
    """What the gists need of the graph, read in one pass over its triples (and the tables ``known``
    of the parts whose lines ``where`` leaves out: ``Tables``), written to disk by node
    (``graph.gist_facts``) and read back a node at a time, so nothing here grows with the corpus.
    ``folder``: where the store's file goes (default: a temporary folder); ``close`` removes it."""

    def __init__(self, graph: TripleSet, base: str | None, known: Iterable[Tables] = (),
                 folder: Path | None = None):
        table = load("gists")
        self.bodies = {row["class"]: row["body_en"] for row in table["body"]}
        self.parts = table["part"]
        self.relations = [(row["name"], row["words"]) for row in table["relation"]]
        self.addressee_first = set(table["addressee_first"])
        # The triples come in no particular order (``where``: no merge of the sorted parts), so where
        # a node has two values the one kept is the one the sorted graph gives last (single values)
        # or the longest, then first (labels): ``Tables``, merged so by the store. The same gists either way.
        store = self.store = FactStore(folder, _PARTS)
        merged = False
        for part in known:
            store.add(part)
            merged = True
        triples = iter(graph.where(_READ, known=merged))
        for first in triples:  # the parent's own lines, read a batch at a time as they are parsed
            tables = Tables()
            tables.read(chain((first,), islice(triples, READ_BATCH - 1)))
            store.add(tables)
        store.seal()
        # read as dicts (``add_gists`` asks ``identifier``; tests/test_global_stages.py the others); the
        # gists themselves read ``record`` (every kind of a node at once)
        self.identifier = Column(store, IDENTIFIER)
        self.labels = Column(store, LABELS)
        self.parent = Column(store, PARENT)
        self.date = Column(store, DATE)
        self.record = store.record
        self.relation_words = dict(self.relations)
        # what several gists say alike (a target's name, a label, a document's head, a parent's clauses),
        # made once while it is in use: bounded caches, as the store's
        self.name: Callable[[str], str] = lru_cache(maxsize=CACHED)(self._name)
        self.label: Callable[[str], str] = lru_cache(maxsize=CACHED)(self._label)
        self.document: Callable[[str], str] = lru_cache(maxsize=CACHED)(self._document)
        self._clauses: Callable[[str], tuple[str, ...]] = lru_cache(maxsize=CACHED)(self._said)

    def close(self) -> None:
        self.store.close()

    def paragraphs(self) -> Iterator[str]:
        """Every identified node typed as a part, in order (``FactStore.paragraphs``)."""
        return self.store.paragraphs()

    def _label(self, uri: str) -> str:
        r = self.record(uri)
        labels = r[LABELS] or {}
        return labels.get(True) or labels.get(False) or (uri if r[IDENTIFIER] is None else r[IDENTIFIER])

    def year(self, uri: str) -> str:
        r = self.record(uri)
        date = r[DATE] or self.record(r[REPORT_OF] or "")[DATE] or ""
        return date[:4]

    def _document(self, uri: str) -> str:
        """A document as the head of a gist: its symbol spelled out (a report: the meeting it is of), and year."""
        r = self.record(uri)
        identifier = uri if r[IDENTIFIER] is None else r[IDENTIFIER]
        meeting, spelled = r[REPORT_OF], document_label_en(identifier)
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

    def _name(self, uri: str) -> str:
        """A target as a gist names it: by English title where the tables give one."""
        r = self.record(uri)
        identifier = uri if r[IDENTIFIER] is None else r[IDENTIFIER]
        types = r[TYPES] or frozenset()
        if "ArticleParagraph" in types:
            article = uri
            while "ArticleParagraph" in (self.record(article)[TYPES] or ()) and self.record(article)[PARENT] is not None:
                article = self.record(article)[PARENT]
            label, whole = self.label(article), self.record(article)[IDENTIFIER] or ""
            if ":" in label and identifier.startswith(whole):
                head, title = label.split(":", 1)
                return f"{head}{identifier[len(whole):]}:{title}"
            return identifier
        if not _PARTS.isdisjoint(types):
            document = r[IN_DOCUMENT] or r[PARENT]
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
        return list(self._clauses(uri))

    def _said(self, uri: str) -> tuple[str, ...]:
        r = self.record(uri)
        edges = r[EDGES] or {}
        document = r[IN_DOCUMENT] or ""
        body = next((self.bodies[c] for c in sorted(self.record(document)[TYPES] or ()) if c in self.bodies), "")
        verb = r[VERB]
        verb_name = verb.rsplit("/", 1)[-1] if verb else ""
        own = _verb_relations().get(verb_name, "")
        said: list[str] = []
        named: set[str] = set()
        if verb:
            targets = edges.get(own, set())
            names = listed(self.name(t) for t in targets)
            named |= targets
            if verb_name in self.addressee_first and targets:
                said.append(f"{names} {self.label(verb)} …")
            else:
                words = self.relation_words.get(verb_name, self.label(verb))
                said.append(" ".join(x for x in (body, words if targets else self.label(verb), names, "…") if x))
        for relation, words in self.relations:
            targets = edges.get(relation, set()) - named
            if targets:
                said.append(f"{words} {listed(self.name(t) for t in targets)}")
                named |= targets
        return tuple(said)

    def part(self, uri: str) -> str:
        r = self.record(uri)
        identifier = r[IDENTIFIER]
        if identifier is None:
            raise KeyError(uri)
        types = r[TYPES] or ()
        cls = next((c for c in _PART_CLASSES if c in types), "Paragraph")
        match = _NUMBER.search(identifier)
        return f"{self.parts[cls]} {match.group(1) if match else identifier}"

    def gist(self, uri: str) -> str:
        r = self.record(uri)
        document = r[IN_DOCUMENT] or r[PARENT] or ""
        said = self.clauses(uri)
        if not said or not r[VERB]:
            # read a sub-paragraph under the clause it continues
            parent = r[PARENT]
            while parent and parent != document and not self._clauses(parent):
                parent = self.record(parent)[PARENT]
            if parent and parent != document and self.record(parent)[IDENTIFIER] is not None:
                said.insert(0, f"under {self.part(parent)}: {'; '.join(self._clauses(parent))}")
        topics = sorted(self.label(t) for t in (r[EDGES] or {}).get("indexedUnder", ()))
        if topics:
            said.append(f"topics: {listed(topics)}")
        if not said:
            said.append("cited; its text is not in the corpus" if r[TYPES] == {"Paragraph"}
                        else "no verb, addressee, citation or topic read in its Arabic text")
        return f"{self.document(document)}, {self.part(uri)} — {'; '.join(said)}"
