"""The dumps of a build: the same triples in every format, read back by a
second, independent parser (Debian's rapper, pyoxigraph), JSON-LD round-trips
to the same graph, TriG holds each triple once in the graph of its source, and
void.ttl describes the dataset."""

from __future__ import annotations

import json
import shutil
import subprocess

import pyoxigraph as ox
import pytest
from rdflib import RDF, XSD, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from tipkg.graph.dumps import VOID, source_graphs
from tipkg.ontology.context import CONTEXT_FILE, context_text
from tipkg.graph.uris import mint
from tipkg.ontology.namespace import TIP
from tipkg.graph.outputs import write_dumps
from tipkg.graph.writers import DumpSettings

RAPPER_SYNTAX = {"graph.nt": "ntriples", "graph.ttl": "turtle", "graph.trig": "trig"}


@pytest.fixture(scope="module")
def dumps(lod_graph, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dumps")
    write_dumps(lod_graph, folder, DumpSettings(validated=True))
    return folder


def test_published_context_is_current():
    assert CONTEXT_FILE.read_text(encoding="utf-8") == context_text(), "run `tipkg ontology-doc`"


def test_every_dump_is_written(dumps):
    assert {p.name for p in dumps.iterdir()} == {"graph.nt", "graph.ttl", "graph.jsonld", "graph.trig", "void.ttl", "store",
                                                 "context.jsonld", "precomputed",  # answers of the catalog
                                                 ".segments.json"}  # the text dumps' segments, for the next build


@pytest.mark.parametrize("name", sorted(RAPPER_SYNTAX))
def test_rapper_reads_the_same_number_of_triples(dumps, lod_graph, name):
    # a missing tool FAILS: `bash .ci/run` installs Debian's raptor2-utils
    assert shutil.which("rapper"), "rapper (Debian raptor2-utils) is not installed"
    out = subprocess.run(["rapper", "-i", RAPPER_SYNTAX[name], "-c", str(dumps / name)],
                         capture_output=True, text=True, check=True)
    assert f"returned {len(lod_graph)} triples" in out.stderr, out.stderr


@pytest.mark.parametrize("name, fmt", [("graph.nt", ox.RdfFormat.N_TRIPLES), ("graph.ttl", ox.RdfFormat.TURTLE),
                                       ("graph.trig", ox.RdfFormat.TRIG), ("graph.jsonld", ox.RdfFormat.JSON_LD)])
def test_oxigraph_reads_the_same_number_of_triples(dumps, lod_graph, name, fmt):
    """pyoxigraph is the second parser for JSON-LD (rapper has none)."""
    quads = list(ox.parse(path=str(dumps / name), format=fmt))
    assert len({(q.subject, q.predicate, q.object) for q in quads}) == len(quads) == len(lod_graph)


def test_jsonld_round_trips_to_the_same_graph(dumps, lod_graph):
    back = Graph().parse(str(dumps / "graph.jsonld"), format="json-ld")
    assert isomorphic(back, lod_graph)


def test_jsonld_uses_the_readable_keys(dumps):
    nodes = {n.get("identifier"): n for n in json.loads((dumps / "graph.jsonld").read_text(encoding="utf-8"))["@graph"]}
    para = nodes["A/RES/61/180 para 5"]
    assert para["type"] == "OperativeParagraph"
    assert para["partOf"] == str(mint("A/RES/61/180"))
    assert para["position"] == 16 and "ar" in para["text"]
    assert nodes["TIP-WG 1 rec 5"]["indexedUnder"]
    assert nodes["CTOC/COP/DEC/3/3 para a"]["citesArticle"] == str(mint("TIPP art 9(5)"))


def test_trig_holds_each_triple_once_in_the_graph_of_its_source(dumps, lod_graph):
    ds = Dataset()
    ds.parse(str(dumps / "graph.trig"), format="trig")
    quads = list(ds.quads())
    assert len(quads) == len(lod_graph) == len({q[:3] for q in quads})
    by_graph = {}
    for s, p, o, g in quads:
        by_graph.setdefault(str(g), set()).add((s, p, o))
    agenda = str(mint("source:001_799863f35f69a5cc.txt"))
    item = mint("CTOC/COP/WG.4/2010/1 item 1")
    assert (item, RDF.type, TIP.AgendaItem) in by_graph[agenda]
    # an instrument from the tables is attested by no source: default graph
    (default,) = [name for name in by_graph if not name.startswith(str(mint("source:")))]
    assert (mint("TIPP"), RDF.type, TIP.Instrument) in by_graph[default]
    # decision 3/3 is read from two files: each derivation in the graph of the file it names
    for source in ("source:002_62009398838004c9.txt", "source:003_b6c4df457a9ee32e.txt"):
        from rdflib.namespace import PROV
        assert (mint("CTOC/COP/DEC/3/3"), PROV.wasDerivedFrom, mint(source)) in by_graph[str(mint(source))]


def test_source_graphs_partition_the_graph(lod_graph):
    parts = source_graphs(lod_graph)
    assert sum(len(g) for g in parts.values()) == len(lod_graph)
    assert len(parts) == 6  # five sources and the default graph


def test_void_describes_the_dataset(dumps, lod_graph):
    void = Graph().parse(str(dumps / "void.ttl"), format="turtle")
    ds = mint("dataset")
    assert (ds, RDF.type, VOID.Dataset) in void
    assert void.value(ds, VOID.triples) == Literal(len(lod_graph))
    assert void.value(ds, URIRef("http://purl.org/dc/terms/license")) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert void.value(ds, URIRef("http://purl.org/dc/terms/created")).datatype == XSD.dateTime
    assert len(list(void.objects(ds, URIRef("http://purl.org/dc/terms/source")))) == 5
    partitions = {void.value(p, VOID["class"]): int(void.value(p, VOID.entities)) for p in void.objects(ds, VOID.classPartition)}
    assert partitions[TIP.PreambularParagraph] == len(set(lod_graph.subjects(RDF.type, TIP.PreambularParagraph)))
    links = {void.value(p, VOID.property): int(void.value(p, VOID.triples)) for p in void.objects(ds, VOID.propertyPartition)}
    assert links[TIP.citesArticle] == len(list(lod_graph.triples((None, TIP.citesArticle, None)))) and links[TIP.indexedUnder] == len(list(lod_graph.triples((None, TIP.indexedUnder, None))))
    # dump links are relative to void.ttl: they resolve beside it
    assert {str(o).rsplit("/", 1)[-1] for o in void.objects(ds, VOID.dataDump)} == {"graph.nt", "graph.ttl", "graph.jsonld", "graph.trig"}
