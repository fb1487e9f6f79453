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

import mmap
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, SKOS

from tipkg import __version__
from tipkg.graph.build import bind_prefixes
from tipkg.graph.jsonld import split_lines
from tipkg.graph.uris import base_iri, mint, site_iri
from tipkg.ontology.namespace import CITO, ELI, ELI_DL, ONTOLOGY_IRI, ONTOLOGY_VERSION, TIP
from tipkg.graph.triples import TripleSet, rdflib_term
from tipkg.graph.turtle import turtle_blocks
from tipkg.ontology.context import CONTEXT_FILE
from tipkg.ontology.namespace import curie as _curie
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


def placed_lines(triples: TripleSet):
    """Each N-Triples line (sorted) with the source node whose named graph holds its triple,
    as ``placed_triples`` places it, without holding the graph (``place`` over ``source_maps``)."""
    return place(triples.lines(), *source_maps(triples.store()))


def source_maps(store: ox.Store) -> tuple[dict[bytes, ox.NamedNode], dict[str, ox.NamedNode]]:
    """The source nodes by their N-Triples form, and by their file name (``rdfs:label``): all that
    ``place`` needs of the whole graph."""
    sources = {s for (s,) in store.query(f"SELECT ?s WHERE {{ ?s a <{TIP.SourceText}> }}")}
    files = {label.value: s
             for s, label in store.query(f"SELECT ?s ?l WHERE {{ ?s a <{TIP.SourceText}> ; <{RDFS.label}> ?l }}")}
    return {f"<{s.value}>".encode("utf-8"): s for s in sources if isinstance(s, ox.NamedNode)}, files


#: what ends the line typing a subject as a source text, in a build's sorted N-Triples
_SOURCE_TYPED = f" <{RDF.type}> <{TIP.SourceText}> .\n".encode()
#: how far ``file_source_maps`` reads graph.nt past the pages it lets go of
MAPS_BLOCK = 64 << 20


def file_source_maps(path: str | Path, block: int = MAPS_BLOCK) -> tuple[dict[bytes, ox.NamedNode], dict[str, ox.NamedNode]]:
    """``source_maps`` read from a build's sorted N-Triples file, with no store: the text dumps' writer
    starts on graph.nt while the store is still being loaded from it (``graph/outputs.py``).

    The file, mapped in memory, is searched for the lines that type a subject ``tip:SourceText``
    (graph.nt writes every IRI one way). A subject's lines are together, sorted, so its
    ``rdfs:label`` lines follow that line (``…/1999/02/22-rdf-syntax-ns#type`` sorts before
    ``…/2000/01/rdf-schema#label``); they are parsed (``ox.parse``: escapes read as the store reads
    them). The pages searched are let go of every ``block`` bytes (``release_pages``), so the resident
    set stays bounded. (Read a block at a time, each block joined to the tail of the one before, the
    copies cost ×30 0.40 CPU s of the text dumps' process; searched where it is mapped, 0.07.)"""
    label = f" <{RDFS.label}> ".encode()
    sources: set[ox.NamedNode | ox.BlankNode] = set()
    files: dict[str, ox.NamedNode] = {}

    def parsed(line: bytes) -> ox.Triple:
        (triple,) = ox.parse(line + b"\n", format=ox.RdfFormat.N_TRIPLES)
        return triple

    if os.path.getsize(path) == 0:
        return {}, {}
    with open(path, "rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end = data.rfind(b"\n") + 1  # whole lines only (a last line without its newline types nothing)
        at = released = 0
        while at < end:
            upto = min(end, at + block)  # the next block searched (a line that starts in it, wholly)
            found = data.find(_SOURCE_TYPED, at, min(end, upto + len(_SOURCE_TYPED) - 1))
            if found < 0:
                at = upto
            else:
                start = data.rfind(b"\n", 0, found) + 1
                subject = data[start:found]
                run = subject + b" "
                at = found + len(_SOURCE_TYPED)
                while at < end and data[at:at + len(run)] == run:  # the subject's lines after its type
                    at = data.find(b"\n", at) + 1
                node = parsed(data[start:found + len(_SOURCE_TYPED) - 1]).subject
                sources.add(node)
                for line in data[found:at].split(b"\n")[1:]:
                    if line.startswith(subject + label):
                        files[parsed(line).object.value] = node
            released = release_pages(data, released, at)
    return {f"<{s.value}>".encode("utf-8"): s for s in sources if isinstance(s, ox.NamedNode)}, files


def release_pages(data: mmap.mmap, released: int, upto: int) -> int:
    """Let go of the pages of the mapped file ``data`` from byte ``released`` to ``upto`` (rounded down to
    a page): they stay in the page cache, but no longer count in this process's resident set. Where the
    pages let go of now end."""
    end = upto - upto % mmap.PAGESIZE
    if end > released and hasattr(data, "madvise") and hasattr(mmap, "MADV_DONTNEED"):  # Linux, Python ≥ 3.8
        data.madvise(mmap.MADV_DONTNEED, released, end - released)
        return end
    return released


def place(lines, written: dict[bytes, ox.NamedNode], files: dict[str, ox.NamedNode]):
    """Each of the sorted N-Triples ``lines`` (no newlines) with its graph's source node (None: default).

    Lines come grouped by subject, so a subject's home is the least source among its own
    ``prov:wasDerivedFrom`` objects: any run of whole subjects (a segment) is placed alone.
    The lines are read as bytes — subject, predicate and object split at the first two
    spaces (an IRI or blank node label holds none) — not parsed into terms: only a line whose
    object needs unescaping (a backslash) is parsed. Same placement, 3× less time."""
    nodes = {n.value: n for n in (*written.values(), *files.values())}
    for run in placed_runs(split_lines(lines), {k: v.value for k, v in written.items()},
                           {k: v.value for k, v in files.items()}):
        for line, name in run:
            yield line, None if name is None else nodes[name]


_DERIVED_FROM = f"<{PROV.wasDerivedFrom}>".encode()
_LOCATED = frozenset((f"<{TIP.sourceSpan}>".encode(), f"<{TIP.sourceLine}>".encode()))
_PLACING = _LOCATED | {_DERIVED_FROM}


def _file_of(line: bytes, o: bytes) -> str:
    """The object's text up to its ``#`` (an IRI's or a literal's lexical form)."""
    if 92 in o:  # a backslash, an escape: let the parser read it
        (t,) = ox.parse(line + b"\n", format=ox.RdfFormat.N_TRIPLES)
        return t.object.value.split("#", 1)[0]
    if o[:1] == b"<":
        o = o[1:-1]
    elif o[:1] == b'"':
        o = o[1:o.rindex(b'"')]
    cut = o.find(b"#")
    return (o if cut < 0 else o[:cut]).decode("utf-8")


def placed_runs(parts, written: dict[bytes, str], files: dict[str, str]):
    """``place`` of lines already split (``jsonld.split_lines``), the source nodes by IRI: a list of
    (line, the IRI of its graph or None) per subject."""
    derived_from, located, file_of = _DERIVED_FROM, _LOCATED, _file_of
    subject, run = None, []

    def flush():
        homes = [written[o] for _, p, o, _ in run if p == derived_from and o in written]
        home = min(homes) if homes else None
        own = written.get(subject)
        if own is not None:
            return [(line, own) for *_, line in run]
        out = []
        for _, p, o, line in run:
            if p == derived_from and o in written:
                out.append((line, written[o]))
            elif p in located and (name := file_of(line, o)) in files:
                out.append((line, files[name]))
            else:
                out.append((line, home))
        return out

    for part in parts:
        if part[0] != subject:
            if run:
                yield flush()
            subject, run = part[0], []
        run.append(part)
    if run:
        yield flush()


def trig_blocks(lines, written: dict[bytes, str], files: dict[str, str],
                prefixes: dict[str, str], turtle: bytes | list[tuple[int, bytes]] | None = None) -> bytes:
    """The TriG graph blocks of some whole subjects' sorted lines: one block per graph they touch
    (the default graph first, then by name), each the graph's lines in order, in Turtle. The source
    nodes are given by IRI (``source_maps``' values' ``value``).

    ``lines`` may come split (``jsonld.split_lines``) with ``turtle``, the same lines in Turtle
    without prefix lines — the text, or its subject blocks with where each subject's lines start
    (``turtle.turtle_blocks``): a graph's block is then made of those subject blocks (a subject's
    block is written from its own triples alone, ``_graphs_of_blocks``), and only a subject whose
    triples go to several graphs has its triples of each written again."""
    parts = lines if turtle is not None else split_lines(lines)
    graphs = None
    if turtle is not None:
        if isinstance(turtle, bytes):  # cut into blocks, each matched to its subject's first line
            starts = [i for i, (a, b) in enumerate(zip(parts, parts[1:]), 1) if a[0] != b[0]]
            turtle = list(zip([0, *starts], subject_blocks(turtle))) if parts else []
            if len(turtle) != len(starts) + bool(parts):
                turtle = None
        if turtle is not None:
            graphs = _graphs_of_blocks(parts, written, files, prefixes, turtle)
    if graphs is not None:
        return b"".join(_head(name) + b"".join(graphs[name]) + b"}\n"
                        for name in sorted(graphs, key=lambda n: n.encode("utf-8")))
    lines_of: dict[str, list[bytes]] = {}  # no Turtle given (or not cut as expected): each graph written whole
    for run in placed_runs(parts, written, files):
        for line, node in run:
            lines_of.setdefault(node or "", []).append(line)
    return b"".join(_block(name, lines_of[name], prefixes) for name in sorted(lines_of, key=lambda n: n.encode("utf-8")))


def _graphs_of_blocks(parts, written: dict[bytes, str], files: dict[str, str], prefixes: dict[str, str],
                      blocks: list[tuple[int, bytes]]) -> dict[str, list[bytes]] | None:
    """Each graph's Turtle subject blocks (by IRI, "" the default graph), from the subjects' blocks
    with where their lines start in ``parts``; None if a split subject's blocks come out otherwise.

    Placed as ``placed_runs`` places the lines, without going through every line in Python: a
    subject's lines all go where its home is (the least source it is derived from; none: the
    default graph) but for its ``prov:wasDerivedFrom`` and span/line lines, so those lines are
    picked out and looked at alone. A subject none of them sends elsewhere is its block, whole, in
    its home's graph; the others (a node read from two files: a few in a hundred) have their lines
    split by graph and each graph's written in Turtle (``turtle.turtle_body``)."""
    special: dict[bytes, list[tuple[bytes, bytes, bytes]]] = {}
    for s, p, o, line in [part for part in parts if part[1] in _PLACING]:
        special.setdefault(s, []).append((p, o, line))
    graphs: dict[str, list[bytes | None]] = {}  # None: a subject split among graphs, written below
    split: dict[str, list] = {}  # a graph's lines (split) of those subjects
    ends = [start for start, _ in blocks[1:]] + [len(parts)]
    for (start, block), end in zip(blocks, ends):
        subject = parts[start][0]
        mine = special.get(subject)
        own = written.get(subject)
        if own is not None or mine is None:
            graphs.setdefault(own or "", []).append(block)
            continue
        homes = [written[o] for p, o, _ in mine if p == _DERIVED_FROM and o in written]
        home = min(homes) if homes else None
        away: dict[bytes, str] = {}
        for p, o, line in mine:
            name = written.get(o) if p == _DERIVED_FROM else files.get(_file_of(line, o))
            if name is not None and name != home:
                away[line] = name
        if not away:
            graphs.setdefault(home or "", []).append(block)
            continue
        placed: dict[str, list] = {}
        for part in parts[start:end]:
            placed.setdefault(away.get(part[3], home) or "", []).append(part)
        if len(placed) == 1:  # every line sent to one graph
            graphs.setdefault(next(iter(placed)), []).append(block)
            continue
        for name, own_lines in placed.items():
            graphs.setdefault(name, []).append(None)
            split.setdefault(name, []).extend(own_lines)
    for name, own_lines in split.items():
        again = [block for _, block in turtle_blocks(own_lines, prefixes)]
        if len(again) != graphs[name].count(None):
            return None
        again.reverse()
        graphs[name] = [block if block is not None else again.pop() for block in graphs[name]]
    return cast(dict[str, list[bytes]], graphs)


def subject_blocks(turtle: bytes) -> list[bytes]:
    """pyoxigraph's Turtle (no prefix lines) cut into its subject blocks: each ends with `` .`` and a
    newline, where no other line ends so (a subject's other lines end with `` ;``; a literal's line
    breaks are escaped, and blank nodes are written by label, never nested in ``[]``)."""
    if not turtle:
        return []
    pieces = turtle.split(b" .\n")
    if pieces[-1]:  # not Turtle as pyoxigraph ends it: one block, which matches no subject count
        return [turtle]
    return [piece + b" .\n" for piece in pieces[:-1]]


def trig_header(prefixes: dict[str, str]) -> bytes:
    return "".join(f"@prefix {prefix}: <{ns}> .\n" for prefix, ns in prefixes.items()).encode("utf-8")


def _turtle_body(lines: list[bytes], prefixes: dict[str, str]) -> bytes:
    body = cast(bytes, ox.serialize(ox.parse(b"\n".join(lines) + b"\n", format=ox.RdfFormat.N_TRIPLES, lenient=True),
                                    format=ox.RdfFormat.TURTLE, prefixes=prefixes))
    while body.startswith(b"@prefix "):
        body = body[body.index(b"\n") + 1:]
    return body.lstrip(b"\n")


def _head(name: str) -> bytes:
    return (f"\n<{name}> {{\n" if name else "\n{\n").encode("utf-8")


def _block(name: str, lines: list[bytes], prefixes: dict[str, str]) -> bytes:
    return _head(name) + _turtle_body(lines, prefixes) + b"}\n"


# -- VoID + DCAT --------------------------------------------------------------------------------

def build_time() -> datetime:
    """Now, or ``$SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    return moment.replace(microsecond=0)


@dataclass
class VoidStatistics:
    """What VoID says of a graph, by value: counts, per class and per property, the least IRI of
    each example class, each source's least label (None: it has none). Made by ``graph/segments.py``
    from per-segment counts (sums) and one merge of the segments' sorted objects (distinct counts)."""

    triples: int = 0
    entities: int = 0  # distinct subjects with a dcterms:identifier
    subjects: int = 0
    objects: int = 0  # distinct objects
    classes: dict[str, int] = field(default_factory=dict)  # class IRI -> rdf:type triples
    properties: dict[str, int] = field(default_factory=dict)  # property IRI -> triples
    links: dict[str, int] = field(default_factory=dict)  # property IRI -> distinct IRI objects
    examples: dict[str, str] = field(default_factory=dict)  # class IRI -> its least IRI node
    sources: dict[str, str | None] = field(default_factory=dict)  # source IRI -> its least label


def void_graph(stats: VoidStatistics, *, base: str | None = None, dumps: list[str] | None = None,
               validated: bool = False, when: datetime | None = None) -> Graph:
    """The VoID + DCAT description of a graph of which ``stats`` were counted."""
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
    add((ds, VOID.triples, Literal(stats.triples)))
    add((ds, VOID.entities, Literal(stats.entities)))
    add((ds, VOID.distinctSubjects, Literal(stats.subjects)))
    add((ds, VOID.distinctObjects, Literal(stats.objects)))
    add((ds, VOID.classes, Literal(len(stats.classes))))
    add((ds, VOID.properties, Literal(len(stats.properties))))
    for cls, n in sorted((URIRef(c), n) for c, n in stats.classes.items()):
        part = URIRef(mint("dataset", base) + f"#class-{_curie(cls).replace(':', '-')}")
        add((ds, VOID.classPartition, part))
        add((part, VOID["class"], cls))
        add((part, VOID.entities, Literal(n)))
    for prop, n in sorted((URIRef(p), n) for p, n in stats.properties.items()):
        part = URIRef(mint("dataset", base) + f"#property-{_curie(prop).replace(':', '-')}")
        add((ds, VOID.propertyPartition, part))
        add((part, VOID.property, prop))
        add((part, VOID.triples, Literal(n)))
        if stats.links.get(str(prop)):
            add((part, VOID.distinctObjects, Literal(stats.links[str(prop)])))
    for cls in EXAMPLE_CLASSES:
        if str(cls) in stats.examples:
            add((ds, VOID.exampleResource, URIRef(stats.examples[str(cls)])))
    for source, label in sorted((URIRef(s), label) for s, label in stats.sources.items()):
        add((ds, DCTERMS.source, source))
        add((source, RDFS.label, Literal(label) if label is not None else Literal(str(source))))
    for name in dumps or []:
        dist = URIRef(mint("dataset", base) + f"#dump-{name.replace('.', '-')}")
        add((ds, VOID.dataDump, site_iri(name, base)))
        add((ds, DCAT.distribution, dist))
        add((dist, RDF.type, DCAT.Distribution))
        add((dist, DCAT.downloadURL, site_iri(name, base)))
        add((dist, DCAT.mediaType, Literal(media_type(name) or "text/turtle")))
        add((dist, DCTERMS.license, LICENSE))
    return v


def write_void(stats: VoidStatistics, path: Path, settings: DumpSettings) -> None:
    """``void.ttl``: the VoID + DCAT description of the dumps of the writers' table."""
    void_graph(stats, base=settings.base, dumps=dumps(), validated=settings.validated).serialize(
        destination=str(path), format="turtle", encoding="utf-8")


def write_context(graph, path: Path, settings=None) -> None:
    """``context.jsonld``: the published JSON-LD context, beside the dump that uses it."""
    path.write_text(CONTEXT_FILE.read_text(encoding="utf-8"), encoding="utf-8")
