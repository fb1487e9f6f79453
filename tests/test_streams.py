"""The streamed build: many small chunks merged give the very files the one in-memory set gives (the merge
itself: test_merge.py)."""

from __future__ import annotations

import pytest

import tipkg.graph.streams as streams
from tipkg.pipeline import build


@pytest.fixture(scope="module")
def one_chunk(tmp_path_factory):
    out = tmp_path_factory.mktemp("one") / "out"
    build(out_dir=out, cache=None)
    return out


def test_many_chunks_merge_into_the_same_dumps(one_chunk, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setattr(streams, "CHUNK_TRIPLES", 3000)  # the corpus's ~36,000 triples in a dozen chunks
    result = build(out_dir=tmp_path / "out", cache=None)
    for name in ("graph.nt", "graph.ttl", "graph.jsonld", "graph.trig"):
        assert (tmp_path / "out" / name).read_bytes() == (one_chunk / name).read_bytes(), name
    assert len(result.triples) == len((one_chunk / "graph.nt").read_bytes().splitlines())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tipkg-chunks-")]  # chunks cleaned up


def test_the_python_merge_gives_the_same_dumps(one_chunk, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("TIPKG_MERGE", "python")
    build(out_dir=tmp_path / "out", cache=None)
    for name in ("graph.nt", "graph.ttl", "graph.jsonld", "graph.trig"):
        assert (tmp_path / "out" / name).read_bytes() == (one_chunk / name).read_bytes(), name


def test_a_written_set_goes_to_another_process_as_a_view_of_its_files(tmp_path):
    """A lean child of the build (``tipkg.parallel``) is sent the triples pickled: once written, as graph.nt,
    its store, count and delta; before, nothing (what is held to make it stays in the build)."""
    import pickle

    from tipkg.graph.streams import SpilledTriples

    triples = SpilledTriples({"ex": "http://x/"}, tmp_path)
    triples.add_lines([b'<http://x/a> <http://x/p> "1" .'])
    with pytest.raises(TypeError, match="not written out yet"):
        pickle.dumps(triples)
    triples.finish(tmp_path / "graph.nt")
    triples.attach_store(tmp_path / "store")
    view = pickle.loads(pickle.dumps(triples))
    assert (view.path, len(view), view.prefixes, view.delta) == (tmp_path / "graph.nt", 1, {"ex": "http://x/"}, None)
    assert view._store_folder == tmp_path / "store"
    assert list(view.lines()) == [b'<http://x/a> <http://x/p> "1" .']


def _gist_of_labels(graph, go: str, into) -> None:
    """A made pass (as ``add_gists``): waits until the test says ``go`` (a file), then adds, for each
    English label it reads, a ``tip:gist`` that repeats it."""
    import time
    from pathlib import Path

    from rdflib import Literal, URIRef

    from tipkg.ontology.namespace import TIP

    waited = time.monotonic()
    while not Path(go).exists():
        if time.monotonic() - waited > 60:
            raise RuntimeError("the set never went on while its made pass ran")
        time.sleep(0.01)
    for triple in graph:
        if triple.predicate.value.endswith("#label"):
            into.add((URIRef(triple.subject.value), TIP.gist, Literal(f"gist: {triple.object.value}", lang="en")))


def test_a_made_pass_runs_while_the_set_goes_on(tmp_path):
    """``add_made`` forks its pass and returns: the build adds the drafts' alignments, the echoes and the
    repeats while the gists are made (×100, one source changed: 2 s of the gists alone, then 1.1 s of the
    parent alone, before). The pass reads what was added before the call, not after; what it made is in
    graph.nt all the same. Here the pass waits for a file the test writes only once ``add_made`` returned
    and the set took another triple: a pass run at once would never see it."""
    from rdflib import RDFS, Literal, URIRef

    from tipkg.ontology.namespace import PREFIXES

    base = "https://w3id.org/tipkg/id/"
    graph = streams.SpilledTriples(PREFIXES, tmp_path / "chunks")
    graph.add((URIRef(base + "A/RES/61/180"), RDFS.label,
               Literal("General Assembly resolution 61/180", lang="en")))
    go = tmp_path / "go"
    graph.add_made(_gist_of_labels, str(go))
    assert graph.making  # forked, not waited for
    graph.add((URIRef(base + "A/RES/64/293"), RDFS.label,
               Literal("General Assembly resolution 64/293", lang="en")))  # after the call: not read by the pass
    go.touch()
    assert graph.finish(tmp_path / "graph.nt") == 3
    lines = (tmp_path / "graph.nt").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if "#gist>" in line] == [
        f'<{base}A/RES/61/180> <https://w3id.org/tipkg/ontology#gist> '
        '"gist: General Assembly resolution 61/180"@en .']
    assert not graph.making


def test_a_made_pass_that_fails_fails_the_merge(tmp_path):
    from rdflib import RDFS, Literal, URIRef

    from tipkg.ontology.namespace import PREFIXES

    graph = streams.SpilledTriples(PREFIXES, tmp_path / "chunks")
    graph.add((URIRef("https://w3id.org/tipkg/id/A/RES/61/180"), RDFS.label, Literal("General Assembly resolution 61/180")))
    graph.add_made(_gist_of_labels, 42)  # not a path: the pass raises in its child
    with pytest.raises(TypeError):
        graph.finish(tmp_path / "graph.nt")
