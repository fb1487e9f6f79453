"""The units' views (tipkg/views.py) give the parent's global passes what the units give, read back only where a
view cannot answer; a rebuild reads each kept unit back at most once (on the bundled corpus ×2 replicated)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from tipkg import pipeline
from tipkg.held import Brief, StreamedUnits, first_verbs, held
from tipkg.network.alignment import align, align_documents
from tipkg.pipeline import merged_references
from tipkg.references.answers import _printed, _text_read, find_answers
from tipkg.references.mandates import find_mandates, mandates_by_source, requests_by_paragraph
from tipkg.sources import read_corpus
from tipkg.units import extract_units
from tipkg.views import View, ViewCache, Views, store_view


def replicated(copies: int, folder: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import replicate

    return replicate.write_corpus(copies, folder)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The ×2 corpus extracted as a build with a cache extracts it: kept units, briefs and views cached."""
    folder = tmp_path_factory.mktemp("views")
    sources = read_corpus(replicated(2, folder / "corpus"), texts=False)
    cache = folder / "cache"
    made = extract_units(sources, cache, jobs=2, keep=held, brief=Brief.of, beside=store_view)
    whole = [u.structured for u in StreamedUnits(sources, made.keys, cache)]
    references = merged_references(StreamedUnits(sources, made.keys, cache))
    return sources, cache, made, whole, references


def passes(sources, cache, made, verbs=None):
    units = StreamedUnits(sources, made.keys, cache, keep=held)
    views = Views(made.keys, cache, units)
    mandates = views.mandates(verbs if verbs is not None else first_verbs(made.briefs))
    return views, mandates, views.printed(mandates, made.briefs), views.aligned(align_documents)


def test_views_give_what_the_units_give(corpus):
    sources, cache, made, whole, references = corpus
    assert all(ViewCache(cache).get(k) is not None for k in made.keys)  # made in the extraction tasks
    views, mandates, printed, aligned = passes(sources, cache, made)
    assert len(mandates) > 50
    assert mandates == find_mandates(whole, references.found)
    assert printed == _printed(whole, {m.paragraph for m in mandates if _text_read(m)})
    assert printed[1] and printed[2] is not None  # some texts the evidence reads; the corpus's last year
    assert find_answers(whole, mandates, printed) == find_answers(whole, mandates)
    assert aligned == align(whole) and len(aligned) > 20
    assert views.remade == 0 and views.read_back == 0  # nothing read back


def test_other_verbs_remake_the_candidates(corpus):
    """A paragraph whose first verb over the corpus is not the one its source's view was made with."""
    sources, cache, made, whole, references = corpus
    verbs = first_verbs(made.briefs)
    mandates = find_mandates(whole, references.found)
    paragraph = next(m.paragraph for m in mandates if verbs.get(m.paragraph) != "decides")
    verbs[paragraph] = "decides"  # as if another source printed it first with another verb
    views, changed, _, _ = passes(sources, cache, made, verbs)
    assert 1 <= views.remade <= 2  # the sources that print it (a decision is printed by two)
    units = StreamedUnits(sources, made.keys, cache, keep=held)
    assert changed == mandates_by_source(((u.structured, requests_by_paragraph(u.found)) for u in units), verbs)


def test_a_view_without_the_texts_reads_the_unit_back(corpus, tmp_path):
    sources, cache, made, whole, _ = corpus
    _, mandates, printed, _ = passes(sources, cache, made)
    with_texts = [i for i, k in enumerate(made.keys) if ViewCache(cache).get(k).texts]
    assert with_texts
    for i in with_texts:
        ViewCache(cache).put(made.keys[i], dataclasses.replace(ViewCache(cache).get(made.keys[i]), texts=()))
    try:
        views, again, text_read, _ = passes(sources, cache, made)
        assert again == mandates and text_read == printed
        assert views.read_back == len(with_texts)
    finally:
        for i in with_texts:
            ViewCache(cache).path(made.keys[i]).unlink()


def test_damaged_views_and_alignments_are_made_again(corpus):
    sources, cache, made, whole, _ = corpus
    path = ViewCache(cache).path(made.keys[0])
    path.write_bytes(path.read_bytes()[:-5])
    aligned = sorted((cache / "aligned").glob("*/*"))
    assert aligned
    aligned[0].write_bytes(b"not an entry")
    _, mandates, _, rows = passes(sources, cache, made)
    assert isinstance(ViewCache(cache).get(made.keys[0]), View)  # stored again
    assert rows == align(whole)


def test_briefs_are_read_not_made_again(corpus):
    sources, cache, made, _, _ = corpus
    again = extract_units(sources, cache, jobs=1, keep=held, brief=Brief.of, beside=store_view)
    assert again.cached == len(sources) and again.briefs == made.briefs
    assert again.briefs == [Brief.of(u) for u in StreamedUnits(sources, made.keys, cache, keep=held)]


def test_a_rebuild_reads_each_unit_back_at_most_once(tmp_path, monkeypatch):
    """After one changed word, the parent's global passes read the kept units back once, for the answers (they
    read each four times, with its text: ×100 one-changed went from 17 % of a cold build to 23 %); and the
    rebuild's graph is the one a build without a cache makes."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import bench_build

    corpus = replicated(2, tmp_path / "corpus")
    pipeline.build(corpus, tmp_path / "out", cache=tmp_path / "cache", jobs=2)
    bench_build.change_one(corpus)
    reads: list[int] = []
    real = StreamedUnits._read
    monkeypatch.setattr(StreamedUnits, "_read", lambda self, i: reads.append(i) or real(self, i))
    pipeline.build(corpus, tmp_path / "out", cache=tmp_path / "cache", jobs=2)
    sources = len(read_corpus(corpus, texts=False))
    assert sources <= len(reads) <= sources + 4, len(reads)
    monkeypatch.undo()
    pipeline.build(corpus, tmp_path / "fresh", cache=None, jobs=2)
    assert (tmp_path / "out" / "graph.nt").read_bytes() == (tmp_path / "fresh" / "graph.nt").read_bytes()
