"""The linked-data dumps beside graph.nt / graph.ttl: JSON-LD, TriG and a VoID + DCAT description.

- ``graph.jsonld``: JSON-LD compacted with the published context
  ``ontology/context.jsonld`` (written by ``tipkg.graph.jsonld``).
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
  example resources, licence, sources, build time and version; the dumps and
  the SPARQL endpoint as absolute URLs beside the URI space
  (``uris.site_iri``), where ``tipkg serve`` answers them too.

The writers are registered in the table of ``writers.py``.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, SKOS

from tipkg import __version__
from tipkg.graph.build import bind_prefixes
from tipkg.graph.uris import base_iri, mint, site_iri
from tipkg.ontology.namespace import CITO, ELI, ELI_DL, ONTOLOGY_IRI, ONTOLOGY_VERSION, TIP
from tipkg.graph.triples import TripleSet, rdflib_term
from tipkg.ontology.context import CONTEXT_FILE
from tipkg.ontology.namespace import curie as _curie
from tipkg.graph.outputs import prefixes_of
from tipkg.graph.streams import external_sort
from tipkg.graph.writers import DumpSettings, dumps, media_type


VOID = Namespace("http://rdfs.org/ns/void#")
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
#: classes whose first node (by IRI) is a void:exampleResource: an instrument, an article, a paragraph, a recommendation
EXAMPLE_CLASSES = (TIP.Instrument, TIP.Article, TIP.OperativeParagraph, TIP.Recommendation)





# -- TriG: one named graph per source -------------------------------------------------------------

def placed_triples(graph: TripleSet | Graph) -> list[tuple[ox.Triple, ox.NamedNode | None]]:
    """Each triple (pyoxigraph terms, sorted) with the source node whose named graph holds it
    (None: the default graph).

    A triple belongs to the source its subject was derived from (the first, by
    IRI, for a node attested by two); a ``prov:wasDerivedFrom`` or span triple
    to the source it names; triples of nodes no source attests (instruments
    from the tables, topics' scheme) to the default graph.
    """
    triples = TripleSet.of(graph)
    store = triples.store()
    sources = {s for (s,) in store.query(f"SELECT ?s WHERE {{ ?s a <{TIP.SourceText}> }}")}
    files = {label.value: s
             for s, label in store.query(f"SELECT ?s ?l WHERE {{ ?s a <{TIP.SourceText}> ; <{RDFS.label}> ?l }}")}
    homes = {s: source for s, source in store.query(
        f"SELECT ?s (MIN(?src) AS ?home) WHERE {{ ?s <{PROV.wasDerivedFrom}> ?src . ?src a <{TIP.SourceText}> }} "
        f"GROUP BY ?s")}
    derived_from = ox.NamedNode(PROV.wasDerivedFrom)
    located = (ox.NamedNode(TIP.sourceSpan), ox.NamedNode(TIP.sourceLine))

    def home(t: ox.Triple):
        subject, predicate = t.subject, t.predicate
        if subject in sources:
            return subject
        if predicate == derived_from and t.object in sources:
            return t.object
        if (predicate == located[0] or predicate == located[1]) and t.object.value.split("#", 1)[0] in files:
            return files[t.object.value.split("#", 1)[0]]
        return homes.get(subject)

    return [(t, home(t)) for t in triples.oxigraph()]


def source_graphs(graph: TripleSet | Graph) -> dict[URIRef | None, Graph]:
    """Split the graph by the source each triple was derived from (None: the default graph)."""
    out: dict[URIRef | None, Graph] = {}
    for t, name in placed_triples(graph):
        name = URIRef(name.value) if name is not None else None
        if name not in out:
            out[name] = bind_prefixes(Graph(identifier=name) if name is not None else Graph())
        out[name].add(tuple(rdflib_term(x) for x in (t.subject, t.predicate, t.object)))
    return out


def write_trig(graph: TripleSet | Graph, path: Path, settings=None) -> None:
    """TriG, one named graph per source (sorted by name, the default graph first), each graph's
    triples sorted and written by pyoxigraph's Turtle writer (rdflib's TriG writer takes
    seconds on the corpus; a graph block of TriG is Turtle without the prefix lines).

    Streamed: the sorted lines are tagged with their graph's name, sorted by name through
    chunk files (``streams.external_sort``), and written one graph at a time."""
    triples = TripleSet.of(graph)
    prefixes = prefixes_of(triples)
    with tempfile.TemporaryDirectory(prefix=".trig-", dir=Path(path).parent) as scratch, \
            open(path, "w", encoding="utf-8") as out:
        out.writelines(f"@prefix {prefix}: <{ns}> .\n" for prefix, ns in prefixes.items())
        tagged = (("" if name is None else name.value).encode("utf-8") + b"\x01" + line
                  for line, name in placed_lines(triples))
        name, block = None, []
        for line in external_sort(tagged, Path(scratch)):
            tag, _, rest = line.partition(b"\x01")
            if tag != name and block:
                _write_block(out, name, block, prefixes)
                block = []
            name = tag
            block.append(rest)
        if block:
            _write_block(out, name, block, prefixes)


def placed_lines(triples: TripleSet):
    """Each N-Triples line (sorted) with the source node whose named graph holds its triple,
    as ``placed_triples`` places it, without holding the graph: lines come grouped by subject,
    so a subject's home is the least source among its own ``prov:wasDerivedFrom`` objects.

    The lines are read as bytes — subject, predicate and object split at the first two
    spaces (an IRI or blank node label holds none) — not parsed into terms: only a line whose
    object needs unescaping (a backslash) is parsed. Same placement, 3× less time."""
    store = triples.store()
    sources = {s for (s,) in store.query(f"SELECT ?s WHERE {{ ?s a <{TIP.SourceText}> }}")}
    files = {label.value: s
             for s, label in store.query(f"SELECT ?s ?l WHERE {{ ?s a <{TIP.SourceText}> ; <{RDFS.label}> ?l }}")}
    written = {f"<{s.value}>".encode("utf-8"): s for s in sources if isinstance(s, ox.NamedNode)}
    derived_from = f"<{PROV.wasDerivedFrom}>".encode()
    located = {f"<{TIP.sourceSpan}>".encode(), f"<{TIP.sourceLine}>".encode()}
    subject, run = None, []

    def file_of(line: bytes, o: bytes) -> str:
        """The object's text up to its ``#`` (an IRI's or a literal's lexical form)."""
        if b"\\" in o:  # an escape: let the parser read it
            (t,) = ox.parse(line + b"\n", format=ox.RdfFormat.N_TRIPLES)
            text = t.object.value
        elif o[:1] == b"<":
            text = o[1:-1].decode("utf-8")
        elif o[:1] == b'"':
            text = o[1:o.rindex(b'"')].decode("utf-8")
        else:
            text = o.decode("utf-8")
        return text.split("#", 1)[0]

    def flush():
        homes = [written[o] for _, p, o in run if p == derived_from and o in written]
        home = min(homes, key=lambda n: n.value) if homes else None
        own = written.get(subject)
        for line, p, o in run:
            if own is not None:
                yield line, own
            elif p == derived_from and o in written:
                yield line, written[o]
            elif p in located and (name := file_of(line, o)) in files:
                yield line, files[name]
            else:
                yield line, home

    for line in triples.lines():
        first = line.index(b" ")
        second = line.index(b" ", first + 1)
        s = line[:first]
        if s != subject:
            yield from flush()
            subject, run = s, []
        run.append((line, line[first + 1:second], line[second + 1:-2]))
    yield from flush()


def _write_block(out, name: bytes, lines: list[bytes], prefixes: dict[str, str]) -> None:
    body = ox.serialize(ox.parse(b"\n".join(lines) + b"\n", format=ox.RdfFormat.N_TRIPLES),
                        format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode("utf-8")
    while body.startswith("@prefix "):
        body = body[body.index("\n") + 1:]
    out.write(f"\n<{name.decode('utf-8')}> {{\n" if name else "\n{\n")
    out.write(body.lstrip("\n"))
    out.write("}\n")


# -- VoID + DCAT --------------------------------------------------------------------------------

def build_time() -> datetime:
    """Now, or ``$SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    return moment.replace(microsecond=0)


def void_graph(graph: TripleSet | Graph, *, base: str | None = None, dumps: list[str] | None = None,
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
    add((ds, VOID.sparqlEndpoint, site_iri("sparql", base)))
    for ns in (TIP._NS, ELI, ELI_DL, CITO, DCTERMS, SKOS, PROV):
        add((ds, VOID.vocabulary, URIRef(str(ns))))
    store = TripleSet.of(graph).store()

    def rows(query: str) -> list[tuple]:
        return [tuple(solution) for solution in store.query(query)]

    ((triples, subjects, objects),) = rows(
        "SELECT (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?ds) (COUNT(DISTINCT ?o) AS ?do) WHERE { ?s ?p ?o }")
    ((entities,),) = rows(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{DCTERMS.identifier}> ?i }}")
    classes = rows(f"SELECT ?c (COUNT(*) AS ?n) WHERE {{ ?s <{RDF.type}> ?c }} GROUP BY ?c")
    properties = rows("SELECT ?p (COUNT(*) AS ?n) (COUNT(DISTINCT ?link) AS ?links) "
                      "WHERE { ?s ?p ?o BIND(IF(isIRI(?o), ?o, ?unbound) AS ?link) } GROUP BY ?p")
    sources = rows(f"SELECT ?s (MIN(?l) AS ?label) WHERE {{ ?s a <{TIP.SourceText}> OPTIONAL {{ ?s <{RDFS.label}> ?l }} }} "
                   f"GROUP BY ?s")

    def number(term) -> Literal:
        return Literal(int(term.value))

    add((ds, VOID.triples, number(triples)))
    add((ds, VOID.entities, number(entities)))
    add((ds, VOID.distinctSubjects, number(subjects)))
    add((ds, VOID.distinctObjects, number(objects)))
    add((ds, VOID.classes, Literal(len(classes))))
    add((ds, VOID.properties, Literal(len(properties))))
    for cls, n in sorted((URIRef(c.value), n) for c, n in classes):
        part = URIRef(mint("dataset", base) + f"#class-{_curie(cls).replace(':', '-')}")
        add((ds, VOID.classPartition, part))
        add((part, VOID["class"], cls))
        add((part, VOID.entities, number(n)))
    for prop, n, links in sorted((URIRef(p.value), n, links) for p, n, links in properties):
        part = URIRef(mint("dataset", base) + f"#property-{_curie(prop).replace(':', '-')}")
        add((ds, VOID.propertyPartition, part))
        add((part, VOID.property, prop))
        add((part, VOID.triples, number(n)))
        if int(links.value):
            add((part, VOID.distinctObjects, number(links)))
    for cls in EXAMPLE_CLASSES:
        for (example,) in rows(f"SELECT (MIN(?s) AS ?e) WHERE {{ ?s a <{cls}> FILTER(isIRI(?s)) }}"):
            if example is not None:
                add((ds, VOID.exampleResource, URIRef(example.value)))
    for source, label in sorted((URIRef(s.value), label) for s, label in sources):
        add((ds, DCTERMS.source, source))
        add((source, RDFS.label, Literal(label.value) if label is not None else Literal(str(source))))
    for name in dumps or []:
        dist = URIRef(mint("dataset", base) + f"#dump-{name.replace('.', '-')}")
        add((ds, VOID.dataDump, site_iri(name, base)))
        add((ds, DCAT.distribution, dist))
        add((dist, RDF.type, DCAT.Distribution))
        add((dist, DCAT.downloadURL, site_iri(name, base)))
        add((dist, DCAT.mediaType, Literal(media_type(name) or "text/turtle")))
        add((dist, DCTERMS.license, LICENSE))
    return v


def write_void(graph: TripleSet | Graph, path: Path, settings: DumpSettings) -> None:
    """``void.ttl``: the VoID + DCAT description of the dumps of the writers' table."""
    void_graph(graph, base=settings.base, dumps=dumps(), validated=settings.validated).serialize(
        destination=str(path), format="turtle", encoding="utf-8")


def write_context(graph, path: Path, settings=None) -> None:
    """``context.jsonld``: the published JSON-LD context, beside the dump that uses it."""
    path.write_text(CONTEXT_FILE.read_text(encoding="utf-8"), encoding="utf-8")
