"""What the build's parent keeps of each unit (tipkg/held.py) gives the global passes what the whole units give,
and the whole references, read back from the cache, are the corpus's (on the bundled corpus, ×2 replicated)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tipkg.errors import TipkgError
from tipkg.held import (Brief, StreamedReferences, StreamedUnits, Structures, Tally, counted_paragraphs, first_verbs,
                        held, reference_counts)
from tipkg.network.alignment import align
from tipkg.pipeline import merged_references, paragraph_counts
from tipkg.references.answers import find_answers
from tipkg.references.mandates import find_mandates, mandates_by_source, requests_by_paragraph
from tipkg.sources import read_corpus, with_text, without_text
from tipkg.units import UnitCache, extract_units

from replicas import replicated


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The ×2 corpus (two thematic indexes, decisions printed by two sources), its units whole and held."""
    folder = tmp_path_factory.mktemp("held")
    sources = read_corpus(replicated(2, folder / "corpus"))
    cache = folder / "cache"
    whole = extract_units(sources, cache, jobs=2)
    kept = extract_units(sources, cache, jobs=1, keep=held)  # read back from the cache, kept as the parent keeps
    return sources, cache, whole, kept


def test_the_parent_keeps_less(corpus):
    _, _, whole, kept = corpus
    assert kept.cached == len(kept.units) and kept.extracted == 0
    found = sum(len(u.found) for u in whole.units)
    assert sum(len(u.found) for u in kept.units) < found / 2
    assert all(u.index is None or not u.index.entries for u in kept.units)
    assert sum(1 for u in whole.units if u.index is not None and u.index.entries) == 2
    assert [u.index.source_file if u.index else None for u in kept.units] == \
        [u.index.source_file if u.index else None for u in whole.units]


def test_global_passes_read_the_same(corpus):
    _, _, whole, kept = corpus
    full = [u.structured for u in whole.units]
    light = [u.structured for u in kept.units]
    assert light == full  # the structure is whole (equal strings made one where a paragraph's two texts agree)
    mandates = find_mandates(full, merged_references(whole.units).found)
    assert len(mandates) > 50
    assert find_mandates(light, merged_references(kept.units).found) == mandates
    assert find_answers(light, mandates) == find_answers(full, mandates)
    assert align(light) == align(full)
    assert paragraph_counts(light) == paragraph_counts(full)


def test_references_read_back_are_the_corpus_references(corpus):
    sources, cache, whole, _ = corpus
    merged = merged_references(whole.units)
    counts = reference_counts(merged)
    assert counts["indexedUnder"][0] > 1000 and counts["requests"][0] > 50
    assert StreamedReferences(StreamedUnits(sources, whole.keys, cache)).counts() == counts  # streamed
    streamed = StreamedReferences(StreamedUnits(sources, whole.keys, cache))
    assert streamed.found == merged.found and streamed.unresolved == merged.unresolved
    assert streamed.index == merged.index
    assert reference_counts(streamed) == counts  # read once, then counted from what was read


def test_counts_from_the_tallies_need_no_reading_back(corpus):
    """The ×2 corpus prints decisions in two sources each, so edges repeat across units: the tallies'
    union counts them once, as the merged references do."""
    sources, cache, whole, kept = corpus
    counts = reference_counts(merged_references(whole.units))
    apart = sum(len(u.tally.edges.get("refersTo", b"")) // 8 for u in kept.units)  # each unit's own, added
    assert apart > counts["refersTo"][0] > 100
    streamed = StreamedReferences(StreamedUnits(sources, whole.keys, cache), [u.tally for u in kept.units])
    assert streamed.counts() == counts
    assert streamed._whole is None  # nothing read back
    assert StreamedReferences(lambda: iter(()), [u.tally for u in kept.units]).counts() == counts


@pytest.mark.parametrize("copies", [1, 3])
def test_the_two_ways_to_count_give_the_same_figures(tmp_path, copies):
    """The summary's reference counts (``reference_counts``) are worked out from the tallies ``held`` made of
    each unit (a build with a cache and an OUT) or from one tally of the whole references (a build without):
    on the bundled corpus and ×3 (three thematic indexes, each decision printed by three sources) both give
    the same figures, relation by relation."""
    sources = read_corpus(None if copies == 1 else replicated(copies, tmp_path / "corpus"))
    whole = extract_units(sources, tmp_path / "cache", jobs=2)
    kept = extract_units(sources, tmp_path / "cache", jobs=1, keep=held)
    merged = merged_references(whole.units)
    counts = reference_counts(merged)
    assert Tally.counts(u.tally for u in kept.units if u.tally is not None) == counts
    assert all(u.tally is not None for u in kept.units)
    assert reference_counts(StreamedReferences(lambda: iter(()), [u.tally for u in kept.units])) == counts
    assert counts["indexedUnder"][1] == len(merged.index.unplaced) > 0  # the first index's unplaced rows
    assert counts["citesArticle"][1] == copies * 1  # each copy's one unresolved article
    assert counts["refersTo"][0] > 100


def test_the_kept_form_is_cached_and_a_bad_one_is_made_again(corpus, tmp_path):
    sources, cache, whole, kept = corpus
    store = UnitCache(cache)
    path = store.path(whole.keys[1], "held")
    assert path.exists()  # written by the build that read the whole unit
    path.write_bytes(path.read_bytes()[:-10])  # truncated: made again from the whole unit
    again = extract_units(sources, cache, jobs=1, keep=held)
    assert again.extracted == 0
    assert [u.structured for u in again.units] == [u.structured for u in kept.units]
    assert [u.found for u in again.units] == [u.found for u in kept.units]
    assert [u.tally for u in again.units] == [u.tally for u in kept.units]
    assert store.get(whole.keys[1], sources[1], "held") is not None


def test_a_unit_extracted_with_keep_caches_its_kept_form(tmp_path):
    sources = read_corpus()[:2]
    fresh = extract_units(sources, tmp_path, jobs=1, keep=held)
    assert fresh.extracted == 2
    assert all(UnitCache(tmp_path).path(k, "held").exists() for k in fresh.keys)
    again = extract_units(sources, tmp_path, jobs=1, keep=held)
    assert again.cached == 2 and [u.tally for u in again.units] == [u.tally for u in fresh.units]


def test_a_build_parent_holds_briefs_and_reads_units_back(corpus, tmp_path):
    """With ``brief`` the parent holds no unit (``Extraction.units`` is empty) and no text; the passes read the
    kept units back one at a time and find what the units held in memory give."""
    sources, cache, whole, kept = corpus
    briefs = extract_units(sources, cache, jobs=1, keep=held, brief=Brief.of)
    assert briefs.units == [] and len(briefs.briefs) == len(sources) and briefs.extracted == 0
    assert [b.tally for b in briefs.briefs] == [u.tally for u in kept.units]
    assert [b.index_file for b in briefs.briefs] == [u.index.source_file if u.index else None for u in whole.units]
    streamed = StreamedUnits([without_text(s) for s in sources], briefs.keys, cache, keep=held)
    assert [u.structured for u in streamed] == [u.structured for u in kept.units]  # texts read again from the files
    assert list(Structures(streamed)) == [u.structured for u in whole.units]
    full = [u.structured for u in whole.units]
    merged = merged_references(whole.units)
    mandates = mandates_by_source(((u.structured, requests_by_paragraph(u.found)) for u in streamed),
                                  first_verbs(briefs.briefs))
    assert mandates == find_mandates(full, merged.found)
    assert find_answers(Structures(streamed), mandates) == find_answers(full, mandates)
    assert align(Structures(streamed)) == align(full)
    assert counted_paragraphs(b.paragraphs for b in briefs.briefs) == paragraph_counts(full)
    assert paragraph_counts(full)["A/RES/61/180"] == 30  # the bundled resolution's 30 paragraphs


def test_workers_read_the_texts_the_parent_let_go(corpus, tmp_path):
    """``read_corpus(texts=False)`` keeps no text; the extraction workers read each again from its file and
    make the same units (a cold cache, two workers)."""
    sources, cache, _, kept = corpus
    light = read_corpus(Path(sources[0].path).parent, texts=False)
    assert [without_text(s) for s in sources] == light and not any(s.text for s in light)
    briefs = extract_units(light, tmp_path, jobs=2, keep=held, brief=Brief.of)
    assert briefs.extracted == len(sources)
    assert [b.tally for b in briefs.briefs] == [u.tally for u in kept.units]
    assert [u.structured for u in StreamedUnits(light, briefs.keys, tmp_path, keep=held)] == \
        [u.structured for u in kept.units]


def test_first_verbs_are_the_merged_references_first(corpus):
    """A paragraph printed by two sources takes the first source's verb, as a merge of the references does."""
    _, _, whole, _ = corpus
    verbs: dict[str, str] = {}
    for r in merged_references(whole.units).found:
        if r.relation == "verb":
            verbs.setdefault(r.paragraph, r.target)
    assert first_verbs(Brief.of(u) for u in whole.units) == verbs
    assert len(verbs) > 1000


def test_a_source_changed_during_the_build_is_an_error(tmp_path):
    """A text let go after extraction is read again only if the file still has the manifest's sha256."""
    source = read_corpus()[3]  # the compendium, which prints "يطلب"
    copy = tmp_path / "x.txt"
    copy.write_bytes(Path(source.path).read_bytes())
    light = without_text(dataclasses.replace(source, path=str(copy)))
    assert with_text(light).text == source.text
    changed = copy.read_bytes().replace("يطلب".encode(), "يرجو".encode(), 1)
    assert changed != copy.read_bytes()
    copy.write_bytes(changed)
    with pytest.raises(TipkgError, match="changed during the build"):
        with_text(light)


def test_the_parent_lets_go_of_the_graph_stage_before_the_store(tmp_path, monkeypatch):
    """When graph.nt and the store are written (``pipeline._write``: the store's load, then the children forked
    after it), the build's parent holds no brief, tally, part claims, unit or minted URI: only the graph stage
    and text reuse read them (×30 they were 35 % of its Python heap there, and the heap they grew stayed with every child)."""
    import gc

    from tipkg import pipeline
    from tipkg.graph import uris
    from tipkg.graph.parts import Claims, FilePart
    from tipkg.units import SourceUnit

    seen: dict[str, int] = {}
    write = pipeline._write
    kinds = (Brief, Tally, Claims, FilePart, SourceUnit)

    def alive() -> list:
        frozen = gc.get_freeze_count()  # the build's objects are frozen (tipkg.parallel.frozen_heap): not listed
        gc.unfreeze()
        gc.collect()
        found = [o for o in gc.get_objects() if type(o) in kinds]
        if frozen:
            gc.freeze()
        return found

    before = {id(o) for o in alive()}  # other tests' (a module's fixture): not the build's

    def looked(result, *args, **kwargs):
        made = [o for o in alive() if id(o) not in before]
        for kind in kinds:
            seen[kind.__name__] = sum(1 for o in made if type(o) is kind)
        del made
        seen["minted"] = uris._mint.cache_info().currsize
        return write(result, *args, **kwargs)

    monkeypatch.setattr(pipeline, "_write", looked)
    result = pipeline.build(out_dir=tmp_path / "out", cache=tmp_path / "cache")
    assert result.parts == 5 and result.documents["A/RES/61/180"] == 30
    assert seen == {"Brief": 0, "Tally": 0, "Claims": 0, "FilePart": 0, "SourceUnit": 0, "minted": 0}
    assert reference_counts(result.references)["requests"][0] > 30  # counted when the tallies were let go
