"""The graph source by source (graph/parts.py): each source's part computed from that source alone,
cached beside its unit, its claims resolved in manifest order — and the same graph.nt whatever was
cached, on the bundled corpus.

Real builds (``tipkg.pipeline.build``) with the cache in a temporary folder; validation is left to
the other tests (``check=False``) so that the many builds stay quick."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tipkg.graph.build import build_graph
from tipkg.graph.parts import FilePart, reading_of, source_chunk, visual
from tipkg.graph.streams import SpilledTriples
from tipkg.graph.triples import TripleSet
from tipkg.graph.uris import base_iri
from tipkg.held import Brief
from tipkg.loaders import load_structure
from tipkg.ontology.namespace import PREFIXES
from tipkg.pipeline import build, merged_references
from tipkg.reading_order import corpus_model, repair
from tipkg.sources import default_corpus_dir, read_corpus
from tipkg.cache_keys import key_of
from tipkg.part_cache import PartCache, part_key
from tipkg.units import extract_units, graph_parts

from replicas import replicated

AGENDA, GA = "001_799863f35f69a5cc.txt", "004_e1b135029fdaca29.txt"


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """A first build into a fresh cache: every source's unit and part computed, in two processes."""
    folder = tmp_path_factory.mktemp("parts")
    result = build(out_dir=folder / "out", cache=folder / "cache", jobs=2, check=False)
    return folder, result


def graph_nt(folder: Path) -> bytes:
    return (folder / "graph.nt").read_bytes()


def edited(tmp_path: Path, name: str, tail: bytes) -> Path:
    """A copy of the corpus with ``tail`` appended to source ``name`` and its checksum updated."""
    corpus = tmp_path / "corpus"
    shutil.copytree(default_corpus_dir(), corpus, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    target = corpus / name
    old = hashlib.sha256(target.read_bytes()).hexdigest()
    target.write_bytes(target.read_bytes() + tail)
    manifest = corpus / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(old, hashlib.sha256(target.read_bytes()).hexdigest()),
                        encoding="utf-8")
    return corpus


def test_cold_build_computes_and_keeps_every_part(cold):
    folder, result = cold
    assert result.parts == 5
    assert len(list((folder / "cache" / "parts").glob("??/*.part"))) == 5


def test_warm_build_computes_no_part_and_writes_the_same_graph(cold, tmp_path):
    folder, _ = cold
    again = build(out_dir=tmp_path / "out", cache=folder / "cache", jobs=2, check=False)
    assert (again.extracted, again.parts) == (0, 0)
    assert graph_nt(tmp_path / "out") == graph_nt(folder / "out")


def test_the_parts_give_the_graph_the_single_pass_gives(cold):
    """The cached-parts path of ``tipkg build`` and the in-memory ``build_graph`` (all sources in one
    process, the old single pass's order) give the same bytes: the claims are resolved as it decided."""
    folder, _ = cold
    assert build(out_dir=None).triples.ntriples() == graph_nt(folder / "out")


def test_parts_read_from_files_go_into_a_graph_held_in_memory(cold, tmp_path):
    """Review item: ``add_parts`` raised a TypeError when the cached parts (``FilePart``: two sorted files each)
    were added to a graph held in memory. Any ``TripleSet`` takes them now: from the same cached parts, a set
    in memory and a build's ``SpilledTriples`` give the same graph, which is the single in-memory pass's."""
    folder, _ = cold
    units = extract_units(read_corpus(), folder / "cache", jobs=1, brief=Brief.of)
    assert units.cached == 5
    structured = [u.structured for u in units.units]
    references = merged_references(units.units)
    parts = graph_parts(units.briefs, units.keys, folder / "cache", base_iri(), units.units.__getitem__).parts
    assert len(parts) == 5 and all(isinstance(p, FilePart) for p in parts)

    def graph(into: TripleSet, parts=None) -> TripleSet:
        return build_graph(structured, base_iri(), references=references.found, index=references.index,
                           graph=into, parts=parts)

    held = graph(TripleSet(PREFIXES), parts).ntriples()
    spilled = graph(SpilledTriples(PREFIXES, tmp_path / "chunks"), parts)
    assert spilled.finish(tmp_path / "graph.nt") > 30_000
    assert held == (tmp_path / "graph.nt").read_bytes()
    assert held == graph(TripleSet(PREFIXES)).ntriples()  # the parts computed here, in memory
    assert held.count(b"<https://w3id.org/tipkg/ontology#gist>") > 500  # the gists, made last, are there


def test_a_build_without_a_cache_makes_the_parts_in_its_extraction_tasks(cold, tmp_path):
    """Review item: ``--no-cache`` computed every part in a second process pool after the extraction's (×1: a
    stage of 0.45 s). The extraction tasks make them now, into the build's scratch folder, as they do into a
    cache: no source's part is left for ``graph_parts`` to compute, and the graph is the cached build's."""
    folder, _ = cold
    said: list[str] = []
    result = build(out_dir=tmp_path / "out", cache=None, jobs=2, check=False, progress=said.append)
    assert (result.extracted, result.parts) == (5, 5)
    assert not [m for m in said if m.startswith("graph parts of")], said
    assert graph_nt(tmp_path / "out") == graph_nt(folder / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the scratch folder, parts and all, is gone


@pytest.mark.parametrize("name", [AGENDA, GA])
def test_one_changed_source_recomputes_only_its_part(cold, tmp_path, name):
    """A logical-order source (the agenda) and a visual-order one (GA 61/180) edited in turn: only
    that source's unit and part are computed again, and graph.nt is that of a build without cache."""
    folder, _ = cold
    cache = tmp_path / "cache"
    shutil.copytree(folder / "cache", cache)
    corpus = edited(tmp_path, name, b"\n")
    result = build(corpus, tmp_path / "out", cache=cache, jobs=2, check=False)
    assert (result.extracted, result.parts) == (1, 1)
    build(corpus, tmp_path / "cold", cache=None, jobs=1, check=False)
    assert graph_nt(tmp_path / "out") == graph_nt(tmp_path / "cold")


def test_a_new_word_in_a_logical_source_redoes_its_part_only(cold, tmp_path):
    """Regression: the visual-order sources read their text with a word model learned from the whole
    corpus, so a source that brought new words (a word of the agenda) changed it and the parts of
    000 and 004 were computed again (×100: 200 parts, 20 s of a 103 s rebuild). They read the
    shipped model now (``reading_order.source_model``): the agenda's part only."""
    folder, _ = cold
    cache = tmp_path / "cache"
    shutil.copytree(folder / "cache", cache)
    corpus = edited(tmp_path, AGENDA, "\nكلمةجديدة\n".encode("utf-8"))
    result = build(corpus, tmp_path / "out", cache=cache, jobs=2, check=False)
    assert (result.extracted, result.parts) == (1, 1)
    build(corpus, tmp_path / "cold", cache=None, jobs=1, check=False)
    assert graph_nt(tmp_path / "out") == graph_nt(tmp_path / "cold")


def test_a_corrupt_or_truncated_part_is_recomputed_not_trusted(cold, tmp_path):
    folder, _ = cold
    cache = tmp_path / "cache"
    shutil.copytree(folder / "cache", cache)
    sources = read_corpus()
    agenda = next(s for s in sources if s.file == AGENDA)
    compendium = next(s for s in sources if s.kind == "compendium")
    store = PartCache(cache)
    _, lines, _ = store.paths(part_key(key_of(agenda), base_iri()))
    compendium_key = part_key(key_of(compendium), base_iri(), compendium.file)  # it prints the index
    meta, _, contested = store.paths(compendium_key)
    data = bytearray(lines.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one triple
    lines.write_bytes(bytes(data))
    contested.write_bytes(contested.read_bytes()[:-300])  # a text cut short
    assert store.get(part_key(key_of(agenda), base_iri())) is None
    result = build(out_dir=tmp_path / "out", cache=cache, jobs=1, check=False)
    assert (result.extracted, result.parts) == (0, 2)
    assert graph_nt(tmp_path / "out") == graph_nt(folder / "out")
    assert store.get(part_key(key_of(agenda), base_iri())) is not None  # rewritten whole
    meta.write_bytes(meta.read_bytes()[:50])  # the claims cut short: recomputed too
    assert store.get(compendium_key) is None


def test_the_repair_read_source_by_source_is_the_corpus_repair():
    """A visual source's repaired texts as its part reads them (from the source and the shipped word
    model alone) are, on the bundled corpus, those the model of the whole corpus gives: graph.nt
    did not change when the model became a table."""
    structured = [load_structure(s) for s in read_corpus()]
    whole = corpus_model(structured)
    per_source = {}
    for item in structured:
        per_source.update(reading_of(item))
    assert sum(visual(item) for item in structured) == 2
    expected = {(item.source.file, p.identifier): repair(item.source.text[p.span.start:p.span.end], whole)
                for item in structured if visual(item) for d in item.documents for p in d.paragraphs}
    assert per_source == expected and len(per_source) > 50


def test_two_copies_give_the_single_pass_graph(tmp_path):
    """×2 replicated: two thematic indexes (the second's entries cite the first index's file, as the
    merged index does), decision 3/3 and 103/3 each printed by two sources, the visual sources of
    both copies. The cached parts (the second index's part computed once the first is known) give
    the graph of the single in-memory pass, byte for byte."""
    corpus = replicated(2, tmp_path / "corpus")
    result = build(corpus, tmp_path / "out", cache=tmp_path / "cache", jobs=2, check=False)
    assert result.parts == 10
    assert sum(1 for u in result.references.index.entries) > 2 * 1000  # both indexes' entries
    single = build(corpus, out_dir=None)
    assert single.triples.ntriples() == graph_nt(tmp_path / "out")


def test_a_cached_part_reads_its_claims_back_when_asked(cold, tmp_path):
    """The build's parent holds no part's claims (``FilePart``: ×30, 27 KB a source, through the graph stage):
    each part reads them back from its record when asked, the ones it was stored with; ``indexed`` says, without
    reading them, whether they hold the thematic index (``index_header`` reads those only). A record damaged
    since it was read is an error, never claims taken on trust."""
    folder, _ = cold
    units = extract_units(read_corpus(), folder / "cache", jobs=1, brief=Brief.of)
    parts = graph_parts(units.briefs, units.keys, folder / "cache", base_iri(), units.units.__getitem__).parts
    assert all("claims" not in vars(p) for p in parts)
    made = [source_chunk(u.structured, u.found, base_iri(), reading_of(u.structured), u.index,
                         u.index.source_file if u.index is not None else None)[2] for u in units.units]
    assert [p.claims for p in parts] == made
    assert [p.indexed for p in parts] == [c.index is not None for c in made] and sum(p.indexed for p in parts) == 1
    copy = tmp_path / "record.part"
    copy.write_bytes(parts[1].record.read_bytes()[:-5])
    with pytest.raises(RuntimeError, match="damaged"):
        FilePart(parts[1].lines, parts[1].contested, copy).claims
