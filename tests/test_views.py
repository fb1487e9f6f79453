"""The units' views (tipkg/views.py) give the parent's global passes what the units give, read back only where a
view cannot answer; a rebuild reads each kept unit back at most once (on the bundled corpus ×2 replicated)."""

from __future__ import annotations

import dataclasses

import pytest

from tipkg import pipeline
from tipkg.held import Brief, StreamedUnits, first_verbs, held
from tipkg.network.alignment import align, align_documents
from tipkg.pipeline import merged_references
from tipkg.references.answers import _printed, _text_read, find_answers
from tipkg.references.mandates import find_mandates, mandates_by_source, requests_by_paragraph
from tipkg.sources import read_corpus
from tipkg.cache_entries import sealed, unsealed
from tipkg.units import extract_units
from tipkg.views import RESTATED_MAGIC, View, ViewCache, Views, store_view

from replicas import one_word_changed, replicated


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
    views.answers = views.answering(mandates, made.briefs)
    return views, mandates, views.answers["printed"], views.aligned(align_documents)


class Counted(list):
    """The units' structures, each read noted."""

    def __init__(self, items):
        super().__init__(items)
        self.read: list[int] = []

    def __getitem__(self, i):
        self.read.append(i)
        return super().__getitem__(i)


def test_views_give_what_the_units_give(corpus):
    sources, cache, made, whole, references = corpus
    assert all(ViewCache(cache).get(k) is not None for k in made.keys)  # made in the extraction tasks
    views, mandates, printed, aligned = passes(sources, cache, made)
    assert len(mandates) > 50
    assert mandates == find_mandates(whole, references.found)
    assert printed == _printed(whole, {m.paragraph for m in mandates if _text_read(m)})  # answers' first reading
    assert printed[1] and printed[2] is not None  # some texts the evidence reads; the corpus's last year
    assert find_answers(whole, mandates, printed) == find_answers(whole, mandates)
    assert aligned == align(whole) and len(aligned) > 20
    assert views.remade == 0 and views.read_back == 0  # nothing read back
    answers = find_answers(whole, mandates)
    assert len(answers.answers) > 20 and len(answers.restatements) > 5
    read = Counted(whole)
    assert find_answers(read, mandates, **views.answers) == answers  # restatements made, and cached
    agendas = {i for i, s in enumerate(whole) if any(d.kind == "agenda" for d in s.documents)}
    assert agendas and agendas <= set(read.read) and len(set(read.read)) < len(whole)
    read = Counted(whole)
    assert find_answers(read, mandates, **views.answers) == answers
    assert set(read.read) == agendas  # the restatements' decisions were not read again


def test_restatements_are_made_again_when_the_decisions_sources_change(corpus):
    sources, cache, made, whole, _ = corpus
    views, mandates, _, _ = passes(sources, cache, made)
    answers = find_answers(whole, mandates)
    entries = sorted((cache / "restated").glob("*/*"))
    assert entries
    for entry in entries:  # as if a decision's source had changed since: its key is another
        looked, rows = unsealed(entry, RESTATED_MAGIC, tuple)
        assert looked
        entry.write_bytes(sealed((tuple((d, ("another",)) for d, _ in looked), ()), RESTATED_MAGIC))
    assert find_answers(whole, mandates, **views.answers) == answers
    assert all(unsealed(e, RESTATED_MAGIC, tuple)[0][0][1] != ("another",) for e in entries)  # stored again


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
    """After one changed word, the parent's global passes read back only the changed source's unit and the
    agendas' (they read each unit four times, with its text: ×100 one-changed went from 17 % of a cold build
    to 23 %); and the rebuild's graph is the one a build without a cache makes."""
    corpus = replicated(2, tmp_path / "corpus")
    pipeline.build(corpus, tmp_path / "out", cache=tmp_path / "cache", jobs=2)
    one_word_changed(corpus)
    reads: list[int] = []
    real = StreamedUnits._read
    monkeypatch.setattr(StreamedUnits, "_read", lambda self, i: reads.append(i) or real(self, i))
    pipeline.build(corpus, tmp_path / "out", cache=tmp_path / "cache", jobs=2)
    sources = read_corpus(corpus, texts=False)
    agendas = sum(1 for s in sources if s.kind == "agenda")
    assert agendas and len(set(reads)) <= agendas + 2, reads  # the agendas, the changed source and its draft
    assert any((tmp_path / "cache" / "lines" / "index").glob("*/*.nt"))  # the index's header lines, kept
    monkeypatch.undo()
    pipeline.build(corpus, tmp_path / "fresh", cache=None, jobs=2)
    assert (tmp_path / "out" / "graph.nt").read_bytes() == (tmp_path / "fresh" / "graph.nt").read_bytes()
