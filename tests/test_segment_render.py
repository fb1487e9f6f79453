"""The segments' writer reads each line's bytes once for all four files (``graph/segments.py``
``_outputs``): JSON-LD from the split bytes, TriG from the Turtle already written, VoID counted by
columns. Each shortcut is checked, on the bundled corpus's graph.nt, against the longer way it
replaces: pyoxigraph's parse of every term, each TriG graph block written whole, every JSON-LD
value read as a term. (That the files equal a full build's and read back to the graph is
tests/test_segments.py.)"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict

import pyoxigraph as ox
import pytest

from tipkg.graph import jsonld, void_stats
from tipkg.graph.dumps import MAPS_BLOCK, file_source_maps, placed_runs, source_maps, subject_blocks, trig_blocks
from tipkg.graph.outputs import prefixes_of
from tipkg.graph.segments import _turtle, _without_prefixes, cut
from tipkg.graph.store import store_path
from tipkg.graph.streams import SpilledTriples
from tipkg.graph.turtle import turtle_blocks
from tipkg.ontology.context import published_context
from tipkg.ontology.namespace import PREFIXES


@pytest.fixture(scope="module")
def graph(built_out):
    triples = SpilledTriples.written(PREFIXES, built_out / "graph.nt", store_path(built_out), 0)
    written, files = source_maps(triples.store())
    data = (built_out / "graph.nt").read_bytes()
    segments = [data[s.start:s.end] for s in cut(built_out / "graph.nt")]
    return {"data": data, "segments": segments, "prefixes": prefixes_of(triples),
            "written": {k: v.value for k, v in written.items()}, "files": {k: v.value for k, v in files.items()}}


def test_every_term_read_from_its_bytes_is_the_parsed_term(graph):
    lines = graph["data"].split(b"\n")[:-1]
    escaped = [line for line in lines if b"\\" in line]
    assert escaped, "the corpus has escaped literals: the parsed way is exercised"
    # a language tag in capitals (as another writer may give it) is read by the parser too
    tagged = next(line for line in lines if line.endswith(b'"@ar .'))
    for line in [*lines, tagged[:-6] + b'"@AR .']:
        s, _, o, _ = jsonld.split_lines([line])[0]
        (quad,) = ox.parse(line + b"\n", format=ox.RdfFormat.N_TRIPLES)
        assert jsonld.term_of(s, line) == jsonld._from_ox(quad.subject), line
        assert jsonld.term_of(o, line) == jsonld._from_ox(quad.object), line


def test_jsonld_shortcuts_give_what_terms_give(graph):
    reference = jsonld._Compactor(published_context(), shortcuts=False)
    for segment in graph["segments"]:
        parts = jsonld.split_lines(segment.split(b"\n")[:-1])
        assert list(jsonld._compactor().nodes(parts)) == list(reference.nodes(parts))


def test_trig_from_the_turtle_pieces_is_trig_written_per_graph(graph):
    split = 0
    for segment in graph["segments"]:
        parts = jsonld.split_lines(segment.split(b"\n")[:-1])
        turtle = _without_prefixes(_turtle(ox.parse(segment, format=ox.RdfFormat.N_TRIPLES), graph["prefixes"]))
        runs = list(placed_runs(parts, graph["written"], graph["files"]))
        assert len(subject_blocks(turtle)) == len(runs)
        split += sum(len({node for _, node in run}) > 1 for run in runs)
        whole = trig_blocks([line for *_, line in parts], graph["written"], graph["files"], graph["prefixes"])
        assert trig_blocks(parts, graph["written"], graph["files"], graph["prefixes"], turtle) == whole
        blocks = turtle_blocks(parts, graph["prefixes"])  # as the segments' writer gives them
        assert [block for _, block in blocks] == subject_blocks(turtle)
        assert trig_blocks(parts, graph["written"], graph["files"], graph["prefixes"], blocks) == whole
    assert split > 0, "subjects whose triples go to several graphs: their blocks are written again"


def test_void_counts_by_columns_are_the_line_by_line_counts(graph):
    for segment in graph["segments"]:
        parts = jsonld.split_lines(segment.split(b"\n")[:-1])
        stats, (objects, links) = void_stats.count(parts)
        assert stats.triples == len(parts)
        subjects: dict[bytes, list] = {}
        for s, p, o, line in parts:
            subjects.setdefault(s, []).append((p, o, line))
        assert stats.subjects == len(subjects)
        identifier, label = (f"<{p}>".encode() for p in ("http://purl.org/dc/terms/identifier",
                                                          "http://www.w3.org/2000/01/rdf-schema#label"))
        assert stats.entities == sum(any(p == identifier for p, _, _ in run) for run in subjects.values())
        assert objects == {o for _, _, o, _ in parts}
        assert links == {p + b" " + o for _, p, o, _ in parts if o.startswith(b"<")}
        for source, least in stats.sources.items():
            run = subjects[f"<{source}>".encode()]
            labels = [void_stats._term(line).value for p, _, line in run if p == label]
            assert least == (min(labels) if labels else None)


def test_distinct_objects_counted_by_partitions_are_the_distinct_objects(graph, tmp_path):
    """Objects repeat across segments; each partition is counted apart and the counts add up."""
    files, every, linked = [], set(), set()
    for i, segment in enumerate(graph["segments"]):
        parts = jsonld.split_lines(segment.split(b"\n")[:-1])
        _, (objects, links) = void_stats.count(parts)
        files.append(str(tmp_path / f"objects-{i}"))
        void_stats.write_objects(objects, links, files[-1])
        every |= objects
        linked |= links
    assert sum(len(void_stats.count(jsonld.split_lines(s.split(b"\n")[:-1]))[1][0]) for s in graph["segments"]) \
        > len(every), "some object is in two segments"
    by_property = Counter(link.split(b" ", 1)[0] for link in linked)
    counted = void_stats.summed_distinct(void_stats.partition_distinct(files, p) for p in range(void_stats.PARTITIONS))
    assert counted == (len(every), {void_stats._value(p): n for p, n in sorted(by_property.items())})
    assert list(counted[1]) == sorted(counted[1], key=lambda p: f"<{p}>".encode())


def test_a_graph_nt_cut_short_is_an_error_naming_the_byte(built_out, tmp_path):
    """The subjects' runs are matched over the file: a last line without its newline is no line."""
    data = (built_out / "graph.nt").read_bytes()
    short = tmp_path / "graph.nt"
    short.write_bytes(data[:-1])
    last = data.rindex(b"\n", 0, len(data) - 1) + 1  # where the last line starts
    with pytest.raises(ValueError, match=f"no N-Triples line at byte {last}$"):
        list(cut(short))
    assert [s.end for s in cut(built_out / "graph.nt")][-1] == len(data)


def test_without_the_kernel_copy_the_dumps_are_the_same(built_out, tmp_path, monkeypatch):
    """A rendered part is copied into its dump by ``os.copy_file_range`` where there is one (Linux),
    else read and written: the same bytes either way."""
    from tipkg.graph.segments import TEXT, write_segmented
    from tipkg.graph.writers import DumpSettings

    monkeypatch.delattr(os, "copy_file_range")
    triples = SpilledTriples.written(PREFIXES, built_out / "graph.nt", store_path(built_out), 0)
    counts = write_segmented(triples, tmp_path, DumpSettings(validated=True, jobs=1), TEXT)
    assert counts["segments"] > 1
    for name in TEXT:
        assert (tmp_path / name).read_bytes() == (built_out / name).read_bytes(), name


def test_source_maps_read_from_graph_nt_are_the_stores(built_out):
    """The text dumps' child reads the source nodes and their file names from graph.nt, beside the
    store's load (``file_source_maps``): the same maps as the store's queries give, also when the
    blocks read cut a source's lines apart (or are shorter than a line)."""
    triples = SpilledTriples.written(PREFIXES, built_out / "graph.nt", store_path(built_out), 0)
    expected = source_maps(triples.store())
    assert len(expected[0]) == len(expected[1]) == 5  # the bundled corpus's five source files
    for block in (MAPS_BLOCK, 4096, 300, 64):
        assert file_source_maps(built_out / "graph.nt", block) == expected


def test_source_maps_read_from_graph_nt_unescape_a_file_name(tmp_path):
    """A source file whose name needs escaping in N-Triples (and a node typed a source text twice over,
    by two lines of another subject around it) has the name the store reads."""
    from rdflib import RDF, RDFS, Literal, URIRef

    from tipkg.ontology.namespace import TIP

    ids = "https://w3id.org/tipkg/id/"
    graph = SpilledTriples(PREFIXES, tmp_path / "chunks")
    for name in ("plain.txt", 'odd "quoted" name\\.txt', "ترجمة.txt"):
        source = URIRef(ids + "source/" + str(abs(hash(name)) % 1000))
        graph.add((source, RDF.type, TIP.SourceText))
        graph.add((source, RDFS.label, Literal(name)))
        graph.add((source, TIP.sha256, Literal("0" * 64)))
        graph.add((URIRef(ids + "n"), RDFS.label, Literal(name)))  # a label, but not of a source
    graph.finish(tmp_path / "graph.nt")
    assert b"\\\\" in (tmp_path / "graph.nt").read_bytes()  # the escaped name is there
    store = ox.Store()
    store.bulk_load(path=str(tmp_path / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    expected = source_maps(store)
    assert set(expected[1]) == {"plain.txt", 'odd "quoted" name\\.txt', "ترجمة.txt"}
    for block in (MAPS_BLOCK, 100, 10):
        assert file_source_maps(tmp_path / "graph.nt", block) == expected


def test_jsonld_node_bytes_are_what_json_writes_of_them(graph):
    """Each node object is written as bytes, values copied from graph.nt's where they need no escape:
    read back, every one is written again by ``json.dumps`` to the very same bytes."""
    import json

    nodes = 0
    for segment in graph["segments"]:
        for node in jsonld._compactor().nodes(jsonld.split_lines(segment.split(b"\n")[:-1])):
            assert json.dumps(json.loads(node), ensure_ascii=False, sort_keys=True).encode("utf-8") == node
            nodes += 1
    assert nodes > 1000


def test_a_jsonld_string_copied_from_bytes_is_escaped_where_json_escapes():
    """Bytes holding a character JSON escapes (a quote, a backslash, a control character) go through
    ``json``; the others are copied between quotes."""
    import json

    for text in ["الاتجار بالأشخاص", "https://w3id.org/tipkg/id/A/RES/61/180", 'say "no"', "a\\b", "tab\there",
                 "line\nbreak", "\x7f", "\u2028"]:
        assert jsonld._string(text.encode("utf-8")) == json.dumps(text, ensure_ascii=False).encode("utf-8")


def test_jsonld_values_with_characters_json_escapes_are_escaped():
    """The JSON-LD writer copies a value's bytes when its N-Triples form has no backslash: graph.nt is
    pyoxigraph's canonical N-Triples, where a literal's quote, backslash and every control character
    are escaped. Literals holding each of them, under each kind of key (plain, language map, plain
    with a language, typed, an IRI and a class), are read back as the same text."""
    import json

    from tipkg.graph.triples import TripleSet, literal
    from tipkg.ontology.namespace import TIP

    tip = "https://w3id.org/tipkg/ontology#"
    nasty = "".join(map(chr, range(32))) + '\x7f "quoted" back\\slash \u2028 نص'
    node = ox.NamedNode("https://w3id.org/tipkg/id/X/1")
    triples = TripleSet(PREFIXES)
    for predicate, value in [("searchText", literal(nasty)), ("text", literal(nasty, lang="ar")),
                             ("gist", literal(nasty, lang="en")), ("gist", literal("plain, in English", lang="en")),
                             ("position", literal(3)), ("echoes", ox.NamedNode("https://w3id.org/tipkg/id/X/2"))]:
        triples.add((node, ox.NamedNode(tip + predicate), value))
    triples.add((node, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(str(TIP.Paragraph))))
    data = triples.ntriples()
    assert all(32 <= b or b == 10 for b in data), "pyoxigraph escapes every control character"
    (written,) = jsonld._compactor().nodes(jsonld.split_lines(data.split(b"\n")[:-1]))
    (reference,) = jsonld._Compactor(published_context(), shortcuts=False).nodes(jsonld.split_lines(data.split(b"\n")[:-1]))
    assert written == reference
    node = json.loads(written)
    assert node["searchText"] == nasty and node["text"] == {"ar": nasty}
    assert {"@language": "en", "@value": nasty} in node["gist"] and {"@language": "en", "@value": "plain, in English"} in node["gist"]
    assert (node["position"], node["echoes"], node["type"]) == (3, "https://w3id.org/tipkg/id/X/2", "Paragraph")


def test_turtle_from_the_lines_is_pyoxigraphs_turtle(graph):
    """graph.ttl's segments are written from the split lines (``graph/turtle.py``), each term as
    pyoxigraph writes it: the same bytes as pyoxigraph's Turtle writer over the parsed lines."""
    from tipkg.graph.turtle import turtle_body

    for segment in graph["segments"]:
        parts = jsonld.split_lines(segment.split(b"\n")[:-1])
        assert turtle_body(parts, graph["prefixes"]) == \
            _without_prefixes(_turtle(ox.parse(segment, format=ox.RdfFormat.N_TRIPLES), graph["prefixes"]))


def test_turtle_of_awkward_terms_is_pyoxigraphs_turtle():
    """Terms the corpus has few of or none: numbers pyoxigraph writes bare or not, booleans, dates,
    blank nodes, escaped and language-tagged literals, IRIs whose local names need escapes or that
    two prefixes could abbreviate, a subject a prefix abbreviates, rdf:type."""
    from tipkg.graph.turtle import turtle_body

    xsd = "http://www.w3.org/2001/XMLSchema#"
    prefixes = {**PREFIXES, "ex": "http://example.org/", "exb": "http://example.org/b"}
    typed = [("5", "integer"), ("-5", "integer"), ("+5", "integer"), ("05", "integer"), ("x", "integer"),
             ("", "integer"), ("1.0", "decimal"), ("1", "decimal"), (".5", "decimal"), ("1.", "decimal"),
             ("true", "boolean"), ("1", "boolean"), ("1e5", "double"), ("INF", "double"), ("NaN", "double"),
             ("2016", "gYear"), ("2016-01-01", "date"), ("a b", "token")]
    objects: list = [ox.Literal(v, datatype=ox.NamedNode(xsd + d)) for v, d in typed]
    objects += [ox.Literal("".join(map(chr, range(32))) + '\x7f "q" \\ \u2028 نص'), ox.Literal("نص", language="ar"),
                ox.Literal("x", language="en-gb"), ox.Literal("x", datatype=ox.NamedNode("http://example.org/dt")),
                ox.BlankNode("b1"), ox.NamedNode("http://example.org/b/c"), ox.NamedNode("http://example.org/b.c"),
                ox.NamedNode("http://example.org/-x"), ox.NamedNode("http://example.org/"), ox.NamedNode("http://example.org/é"),
                ox.NamedNode("https://w3id.org/tipkg/ontology#Paragraph"), ox.NamedNode("urn:x:y")]
    subjects = [ox.NamedNode("http://example.org/s"), ox.NamedNode("https://w3id.org/tipkg/id/A/RES/61/180"), ox.BlankNode("b1")]
    predicates = [ox.NamedNode("http://example.org/p"), ox.NamedNode("http://example.org/b%20q"),
                  ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode("urn:p")]
    triples = [ox.Triple(s, p, o) for s in subjects for p in predicates for o in objects]
    data = b"".join(sorted(line + b"\n" for line in ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).split(b"\n") if line))
    expected = _without_prefixes(_turtle(ox.parse(data, format=ox.RdfFormat.N_TRIPLES), prefixes))
    assert turtle_body(jsonld.split_lines(data.split(b"\n")[:-1]), prefixes) == expected
    assert b" 05 " in expected and b'"x"^^xsd:integer' in expected and b"exb:\\.c" in expected  # pyoxigraph's own rules


def test_segments_counts_summed_are_the_whole_graphs_counts(graph):
    """``void_stats.Sums`` of every segment's counts (as the index keeps them) are the counts of the
    whole graph.nt as one run of subjects: triples, subjects, entities, per class and property, the
    least example IRIs and each source's least label."""
    sums = void_stats.Sums()
    for segment in graph["segments"]:
        sums.add(asdict(void_stats.count(jsonld.split_lines(segment.split(b"\n")[:-1]), objects=False)[0]))
    whole, _ = void_stats.count(jsonld.split_lines(graph["data"].split(b"\n")[:-1]), objects=False)
    assert len(graph["segments"]) > 5 and whole.sources and whole.examples
    assert sums.stats == whole
