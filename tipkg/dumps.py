"""The linked-data dumps beside graph.nt / graph.ttl: JSON-LD, TriG and a VoID + DCAT description.

- ``graph.jsonld``: JSON-LD compacted with the published context
  ``ontology/context.jsonld`` (short keys: ``identifier``, ``partOf``,
  ``recalls``, language maps for labels and texts). The context is embedded in
  the dump, so the file parses offline, and published as its own file.
- ``graph.trig``: one named graph per source file, named by the source's URI
  (``…/id/source/<file>``), holding the triples derived from that file. A
  subject derived from one source puts all its triples there; a subject
  derived from several (decision 3/3 is read from two files) puts each
  ``prov:wasDerivedFrom`` and span/line triple in the graph of the file it
  names, its other triples in the graph of the first of its sources (by URI).
  Triples of subjects read from no source (instruments from the tables,
  article and actor targets) are in the default graph. Every triple is in
  exactly one graph, so the dump holds the same triples as graph.nt.
- ``void.ttl``: VoID + DCAT: triples, entities, entities per class, triples
  and distinct objects ("links") per property, vocabularies, URI space,
  licence, sources, dumps, build time and version.

The writers follow ``write_dumps``' ``writers`` hook: ``name -> f(graph, path)``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, SKOS

from tipkg import __version__
from tipkg.graph.build import CITO, ELI, ELI_DL, bind_prefixes
from tipkg.graph.uris import base_iri, mint
from tipkg.ontodoc import ONTOLOGY_DIR, load_ontology
from tipkg.ontology.namespace import ONTOLOGY_IRI, ONTOLOGY_VERSION, TIP
from tipkg.outputs import OxigraphTerms, prefixes_of

VOID = Namespace("http://rdfs.org/ns/void#")
CONTEXT_FILE = ONTOLOGY_DIR / "context.jsonld"
CONTEXT_URL = ONTOLOGY_IRI + "/context.jsonld"
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
MEDIA_TYPES = {"graph.nt": "application/n-triples", "graph.ttl": "text/turtle", "graph.jsonld": "application/ld+json",
               "graph.trig": "application/trig"}

#: keys of the JSON-LD context for terms of other vocabularies: key -> (IRI, kind)
_EXTERNAL_KEYS = {
    "identifier": (DCTERMS.identifier, None),
    "label": (RDFS.label, "@language"),
    "prefLabel": (SKOS.prefLabel, "@language"),
    "altLabel": (SKOS.altLabel, "@language"),
    "notation": (SKOS.notation, None),
    "inScheme": (SKOS.inScheme, "@id"),
    "broader": (SKOS.broader, "@id"),
    "narrower": (SKOS.narrower, "@id"),
    "topConceptOf": (SKOS.topConceptOf, "@id"),
    "hasTopConcept": (SKOS.hasTopConcept, "@id"),
    "partOf": (ELI.is_part_of, "@id"),
    "localId": (ELI.id_local, None),
    "date": (ELI.date_document, XSD.date),
    "issued": (DCTERMS.issued, None),
    "isPartOf": (DCTERMS.isPartOf, "@id"),
    "relatedTo": (DCTERMS.relation, "@id"),
    "language": (DCTERMS.language, None),
    "description": (DCTERMS.description, "@language"),
    "derivedFrom": (PROV.wasDerivedFrom, "@id"),
    "citingEntity": (CITO.hasCitingEntity, "@id"),
    "citedEntity": (CITO.hasCitedEntity, "@id"),
    "predicate": (RDF.predicate, "@id"),
}
_PREFIXES = {"tip": str(TIP._NS), "eli": str(ELI), "eli-dl": str(ELI_DL), "cito": str(CITO), "dcterms": str(DCTERMS),
             "skos": str(SKOS), "prov": str(PROV), "rdf": str(RDF), "rdfs": str(RDFS), "xsd": str(XSD), "owl": str(OWL)}


def _curie(iri: URIRef) -> str:
    for prefix, ns in _PREFIXES.items():
        if str(iri).startswith(ns):
            return f"{prefix}:{str(iri)[len(ns):]}"
    return str(iri)


def jsonld_context() -> dict:
    """The published JSON-LD context: readable keys for every tip term and the other terms the graph uses."""
    onto = load_ontology()
    ctx: dict = {"@version": 1.1, **_PREFIXES, "id": "@id", "type": "@type"}
    language = {TIP.text, TIP.normalizedText}
    for name in sorted(TIP.__annotations__):
        term = TIP[name]
        if (term, RDF.type, OWL.Class) in onto:
            ctx[name] = _curie(term)
        elif (term, RDF.type, OWL.ObjectProperty) in onto:
            ctx[name] = {"@id": _curie(term), "@type": "@id"}
        elif term in language:
            ctx[name] = {"@id": _curie(term), "@container": "@language"}
        elif onto.value(term, RDFS.range) == XSD.date:
            ctx[name] = {"@id": _curie(term), "@type": "xsd:date"}
        else:
            ctx[name] = _curie(term)
    for key, (iri, kind) in _EXTERNAL_KEYS.items():
        if kind is None:
            ctx[key] = _curie(iri)
        elif kind == "@language":
            ctx[key] = {"@id": _curie(iri), "@container": "@language"}
        else:
            ctx[key] = {"@id": _curie(iri), "@type": kind if kind == "@id" else _curie(kind)}
    return {"@context": ctx}


def context_text() -> str:
    return json.dumps(jsonld_context(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_context(path: str | Path = CONTEXT_FILE) -> Path:
    Path(path).write_text(context_text(), encoding="utf-8")
    return Path(path)


@lru_cache(maxsize=1)
def _published_context() -> dict:
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]


def write_jsonld(graph: Graph, path: Path) -> None:
    graph.serialize(destination=str(path), format="json-ld", context=_published_context(), auto_compact=True,
                    encoding="utf-8")


# -- TriG: one named graph per source -------------------------------------------------------------

def placed_triples(graph: Graph):
    """Each triple with the source node whose named graph holds it (None: the default graph).

    A triple belongs to the source its subject was derived from (the first, by
    IRI, for a node attested by two); a ``prov:wasDerivedFrom`` or span triple
    to the source it names; triples of nodes no source attests (instruments
    from the tables, topics' scheme) to the default graph.
    """
    sources = set(graph.subjects(RDF.type, TIP.SourceText))
    files = {str(graph.value(s, RDFS.label) or ""): s for s in sources}
    derived: dict = {}
    for s, o in graph.subject_objects(PROV.wasDerivedFrom):
        if o in sources:
            derived.setdefault(s, set()).add(o)
    homes = {s: min(own, key=str) for s, own in derived.items()}

    def home(s, p, o):
        if s in sources:
            return s
        if p == PROV.wasDerivedFrom and o in sources:
            return o
        if p in (TIP.sourceSpan, TIP.sourceLine) and str(o).split("#", 1)[0] in files:
            return files[str(o).split("#", 1)[0]]
        return homes.get(s)

    for triple in graph:
        yield triple, home(*triple)


def source_graphs(graph: Graph) -> dict[URIRef | None, Graph]:
    """Split the graph by the source each triple was derived from (None: the default graph)."""
    out: dict[URIRef | None, Graph] = {}
    for triple, name in placed_triples(graph):
        if name not in out:
            out[name] = bind_prefixes(Graph(identifier=name) if name is not None else Graph())
        out[name].add(triple)
    return out


def write_trig(graph: Graph, path: Path) -> None:
    """TriG, one named graph per source (written by pyoxigraph: rdflib's TriG writer
    takes seconds on the corpus)."""
    term = OxigraphTerms()
    quads = [ox.Quad(term(s), term(p), term(o), term(name) if name is not None else ox.DefaultGraph())
             for (s, p, o), name in placed_triples(graph)]
    quads.sort(key=str)
    ox.serialize(quads, output=str(path), format=ox.RdfFormat.TRIG, prefixes=prefixes_of(graph))


# -- VoID + DCAT --------------------------------------------------------------------------------

def build_time() -> datetime:
    """Now, or ``$SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    return moment.replace(microsecond=0)


def void_graph(graph: Graph, *, base: str | None = None, dumps: list[str] | None = None,
               validated: bool = False, when: datetime | None = None) -> Graph:
    """The VoID + DCAT description of ``graph``."""
    v = bind_prefixes(Graph())
    v.bind("void", VOID)
    v.bind("dcat", DCAT)
    ds = mint("dataset", base)
    add = v.add
    add((ds, RDF.type, VOID.Dataset))
    add((ds, RDF.type, DCAT.Dataset))
    add((ds, DCTERMS.title, Literal("tipkg: UN instruments on trafficking in persons and their cross-references", lang="en")))
    add((ds, DCTERMS.title, Literal("tipkg: صكوك الأمم المتحدة المتعلقة بالاتجار بالأشخاص والإحالات فيما بينها", lang="ar")))
    add((ds, DCTERMS.description, Literal("Documents, paragraphs, instruments, articles, topics and actors of five Arabic "
                                          "UN texts, and who recalls, requests, cites and is indexed under what.", lang="en")))
    add((ds, DCTERMS.license, LICENSE))
    add((ds, DCTERMS.created, Literal((when or build_time()).isoformat(), datatype=XSD.dateTime)))
    add((ds, OWL.versionInfo, Literal(__version__)))
    add((ds, URIRef(str(DCAT) + "version"), Literal(__version__)))  # DCAT 3 term, not in rdflib's DCAT
    add((ds, DCTERMS.conformsTo, URIRef(f"{ONTOLOGY_IRI}/{ONTOLOGY_VERSION}")))
    if validated:
        add((ds, DCTERMS.conformsTo, URIRef("https://w3id.org/tipkg/shapes")))
    add((ds, VOID.uriSpace, Literal(base_iri(base))))
    for ns in (TIP._NS, ELI, ELI_DL, CITO, DCTERMS, SKOS, PROV):
        add((ds, VOID.vocabulary, URIRef(str(ns))))
    add((ds, VOID.triples, Literal(len(graph))))
    add((ds, VOID.entities, Literal(len(set(graph.subjects(DCTERMS.identifier, None))))))
    add((ds, VOID.distinctSubjects, Literal(len(set(graph.subjects())))))
    add((ds, VOID.distinctObjects, Literal(len(set(graph.objects())))))
    classes = Counter(o for _, o in graph.subject_objects(RDF.type))
    properties = Counter(p for p in graph.predicates())
    add((ds, VOID.classes, Literal(len(classes))))
    add((ds, VOID.properties, Literal(len(properties))))
    for cls, n in sorted(classes.items()):
        part = URIRef(mint("dataset", base) + f"#class-{_curie(cls).replace(':', '-')}")
        add((ds, VOID.classPartition, part))
        add((part, VOID["class"], cls))
        add((part, VOID.entities, Literal(n)))
    for prop, n in sorted(properties.items()):
        part = URIRef(mint("dataset", base) + f"#property-{_curie(prop).replace(':', '-')}")
        add((ds, VOID.propertyPartition, part))
        add((part, VOID.property, prop))
        add((part, VOID.triples, Literal(n)))
        links = {o for o in graph.objects(None, prop) if isinstance(o, URIRef)}
        if links:
            add((part, VOID.distinctObjects, Literal(len(links))))
    for source in sorted(graph.subjects(RDF.type, TIP.SourceText)):
        add((ds, DCTERMS.source, source))
        add((source, RDFS.label, graph.value(source, RDFS.label) or Literal(str(source))))
    for name in dumps or []:
        dist = URIRef(mint("dataset", base) + f"#dump-{name.replace('.', '-')}")
        add((ds, VOID.dataDump, URIRef(name)))
        add((ds, DCAT.distribution, dist))
        add((dist, RDF.type, DCAT.Distribution))
        add((dist, DCAT.downloadURL, URIRef(name)))
        add((dist, DCAT.mediaType, Literal(MEDIA_TYPES.get(name, "text/turtle"))))
        add((dist, DCTERMS.license, LICENSE))
    return v


def lod_writers(*, base: str | None = None, validated: bool = False) -> dict[str, Callable[[Graph, Path], None]]:
    """The extra dumps of a build, for ``write_dumps(graph, folder, writers=…)``."""
    dumps = ["graph.nt", "graph.ttl", "graph.jsonld", "graph.trig"]

    def void(graph: Graph, path: Path) -> None:
        void_graph(graph, base=base, dumps=dumps, validated=validated).serialize(
            destination=str(path), format="turtle", encoding="utf-8")

    def context(graph: Graph, path: Path) -> None:
        path.write_text(CONTEXT_FILE.read_text(encoding="utf-8"), encoding="utf-8")

    return {"graph.jsonld": write_jsonld, "graph.trig": write_trig, "void.ttl": void, "context.jsonld": context}

