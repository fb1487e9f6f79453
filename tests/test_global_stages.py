"""The build's global pass on compact data (issue 11): what the parent process does over the whole
corpus between extraction and the outputs, made cheaper without changing a byte of ``graph.nt``.

- The echoes are written as N-Triples lines (``network.reuse.echo_lines``), not added triple by
  triple: the lines must be the very triples the old reification added, on the real corpus.
"""

from __future__ import annotations

from rdflib import RDF, XSD
from rdflib.namespace import DCTERMS

from tipkg import identifiers as ids
from tipkg.graph.streams import SpilledTriples
from tipkg.graph.triples import TripleSet, literal
from tipkg.graph.uris import base_iri, mint
from tipkg.network.reuse import RULE, add_echoes, edge_key, find_reuse
from tipkg.ontology.namespace import TIP


def reified_as_before(echoes, attested, base) -> TripleSet:
    """The echoes reified triple by triple, as ``add_echoes`` did before it wrote lines (the spec)."""
    graph = TripleSet()

    def reified(subject, obj, score, rule, key):
        graph.add((subject, TIP.echoes, obj))
        node = mint(key, base)
        graph.add((node, RDF.type, TIP.TextReuse))
        graph.add((node, RDF.subject, subject))
        graph.add((node, RDF.predicate, TIP.echoes))
        graph.add((node, RDF.object, obj))
        graph.add((node, TIP.score, literal(f"{score:.3f}", datatype=XSD.decimal)))
        graph.add((node, TIP.rule, literal(rule)))
        return node

    for echo in echoes:
        reified(mint(echo.later, base), mint(echo.earlier, base), echo.score, RULE,
                edge_key(echo.later, "echoes", echo.earlier))
    for item in attested:
        node = reified(mint(str(ids.SourceFile(item.later_source)), base),
                       mint(str(ids.SourceFile(item.earlier_source)), base), item.score,
                       f"attestation: mean Jaccard over {item.paragraphs} paragraphs",
                       edge_key(item.later_source, "echoes", item.earlier_source, item.document))
        graph.add((node, DCTERMS.subject, mint(item.document, base)))
    return graph


def test_echo_lines_are_the_reified_triples(structured, tmp_path):
    echoes, attested = find_reuse(structured)
    assert len(echoes) > 50 and attested  # the corpus has both: 4/4 echoes its draft, 3/3 is printed twice
    scores = [f"{x.score:.3f}" for x in [*echoes, *attested]]
    assert any(s.endswith("0") for s in scores)  # "0.910" is written "0.91": the canonical decimal
    base = base_iri(None)
    expected = reified_as_before(echoes, attested, base).ntriples()
    in_memory = TripleSet()
    assert add_echoes(in_memory, echoes, attested, base) == len(echoes) + len(attested)
    assert in_memory.ntriples() == expected
    spilled = SpilledTriples({}, tmp_path / "chunks", limit=100)  # several chunk files
    add_echoes(spilled, echoes, attested, base)
    spilled.spill()
    assert len(spilled.chunks) > 1
    spilled.finish(tmp_path / "graph.nt")
    assert (tmp_path / "graph.nt").read_bytes() == expected


def test_gist_facts_do_not_depend_on_the_order_triples_come_in(tmp_path):
    """The gists read the graph without merging its sorted parts (``SpilledTriples.where``); where a
    node has two values, the one kept is the one a pass over the sorted lines kept: the last line
    for a single value, the longest label (the first of two as long)."""
    from rdflib import URIRef
    from rdflib.namespace import DCTERMS, RDFS, SKOS

    from tipkg.graph.gists import _Facts
    from tipkg.ontology.namespace import ELI

    x = URIRef("http://x/doc")
    triples = [(x, DCTERMS.identifier, literal("B/2")), (x, DCTERMS.identifier, literal("A/1")),
               (x, ELI.date_document, literal("2010-05-01", datatype=XSD.date)),
               (x, DCTERMS.issued, literal("2009", datatype=XSD.gYear)),
               (x, SKOS.prefLabel, literal("Beta", lang="en")), (x, SKOS.prefLabel, literal("Alfa", lang="en")),
               (x, RDFS.label, literal("short", lang="en")), (x, RDFS.label, literal("the longer one", lang="en")),
               (x, ELI.is_part_of, URIRef("http://x/a/b")), (x, ELI.is_part_of, URIRef("http://x/a")),
               (x, RDF.type, TIP.GAResolution)]
    for n, order in enumerate((triples, triples[::-1])):
        spilled = SpilledTriples({}, tmp_path / f"chunks{n}", limit=1)  # a chunk per triple
        for t in order:
            spilled.add(t)
        facts = _Facts(spilled, None)
        got = (facts.identifier[str(x)], facts.date[str(x)], facts.labels[str(x)], facts.parent[str(x)])
        facts.close()
        # sorted lines: "A/1" < "B/2"; dc:issued after eli:date_document; "Alfa" first of two as long;
        # <http://x/a/b> sorts before <http://x/a> ("/" < ">"), so the last is http://x/a
        assert got == ("B/2", "2009", {True: "Alfa", False: "the longer one"}, "http://x/a")


def test_citation_lines_are_the_citation_triples(references, tmp_path):
    """``add_citation`` writes a citation node's nine triples as lines: the triples it added one by one
    before, for the references of the real corpus (Arabic words, spans, rules), in memory and spilled."""
    from rdflib.namespace import PROV

    from tipkg.graph.references import add_citation, citation_id
    from tipkg.ontology.namespace import CITO

    base = base_iri(None)
    expected, in_memory = TripleSet(), TripleSet()
    spilled = SpilledTriples({}, tmp_path / "chunks", limit=200)
    assert len(references.found) > 1000
    for ref in references.found:
        subject, target = mint(ref.paragraph, base), mint(ref.target, base)
        c = mint(citation_id(ref), base)
        for triple in ((c, RDF.type, CITO.Citation), (c, RDF.type, TIP.Citation),
                       (c, CITO.hasCitingEntity, subject), (c, CITO.hasCitedEntity, target),
                       (c, RDF.predicate, getattr(TIP, ref.relation)),
                       (c, TIP.sourceSpan, literal(f"{ref.source_file}#char={ref.span.start},{ref.span.end}")),
                       (c, TIP.text, literal(ref.text, lang="ar")), (c, TIP.rule, literal(ref.rule)),
                       (c, PROV.wasDerivedFrom, mint(str(ids.SourceFile(ref.source_file)), base))):
            expected.add(triple)
        for graph in (in_memory, spilled):
            assert add_citation(graph, ref, subject, target, base) == c
    assert in_memory.ntriples() == expected.ntriples()
    spilled.spill()
    assert len(spilled.chunks) > 1
    spilled.finish(tmp_path / "graph.nt")
    assert (tmp_path / "graph.nt").read_bytes() == expected.ntriples()
