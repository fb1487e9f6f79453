"""The reuse child's lines and echoes on disk (network/reuse_spill.py) are what the parent made of them before:
the same line files as ``add_echoes``, the same echoes read back, on the bundled corpus ×2; a graph held in
memory takes the same triples from those files. The echoes' file the child announces is whole when announced."""

from __future__ import annotations

import pytest

from tipkg.graph.streams import SpilledTriples
from tipkg.graph.triples import TripleSet
from tipkg.network.reuse import add_echoes, echo_order
from tipkg.network.reuse_index import reuse_stage
from tipkg.network.reuse_spill import BATCH, add_spilled, read_echoes, spilled_reuse
from tipkg.ontology.namespace import PREFIXES
from tipkg.parallel import Forked, process_pool
from tipkg.sources import read_corpus
from tipkg.units import extract_units

from replicas import replicated

BASE = "https://example.org/id/"


@pytest.mark.parametrize("pooled", [False, True], ids=["one bucket after another", "buckets in a pool of two"])
def test_spilled_reuse_gives_the_parent_the_same_lines_and_echoes(tmp_path, monkeypatch, pooled):
    """Both ways the child makes its buckets' lines (``memo.pooled_bucket_files``) give ``add_echoes``'s lines."""
    monkeypatch.delenv("TIPKG_JOBS", raising=False)
    pools: list[str] = []
    if pooled:  # the bundled corpus ×2 has far fewer echoes than a corpus whose buckets go to the pool
        monkeypatch.setattr("tipkg.network.reuse_spill.POOL_ECHOES", 1)

        def recorded(jobs, stage, *then):
            pools.append(f"{stage} ×{jobs}")
            return process_pool(jobs, stage, *then)
        monkeypatch.setattr("tipkg.parallel.process_pool", recorded)
    sources = read_corpus(replicated(2, tmp_path / "corpus"))
    extraction = extract_units(sources, tmp_path / "cache", jobs=2)
    structured = [u.structured for u in extraction.units]
    echoes, attested = reuse_stage(structured, extraction.keys, tmp_path / "cache")
    assert len(echoes) > 500 and attested

    assert BATCH > 333
    monkeypatch.setattr("tipkg.network.reuse_spill.BATCH", 333)  # several batches in the file
    monkeypatch.setattr("tipkg.network.reuse_spill.BUCKET_BATCH", 20)  # and in the buckets' scratch files
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with monkeypatch.context() as runs:  # the child's buckets sorted in runs on disk, the parent's at once
        runs.setattr("tipkg.graph.memo.RUN_LINES", 50)
        spilled = spilled_reuse(structured, extraction.keys, tmp_path / "cache", None, tmp_path / "memo", scratch,
                                BASE, jobs=2 if pooled else 1)
    assert pools == (["echoes lines ×2"] if pooled else [])
    assert sorted(read_echoes(spilled.echoes), key=echo_order) == echoes  # written as they came, class by class
    assert spilled.count == len(echoes) + len(attested)

    def lines(made_by) -> list[bytes]:
        (tmp_path / "chunks").mkdir(exist_ok=True)
        graph = SpilledTriples(PREFIXES, tmp_path / "chunks")
        graph.memo = tmp_path / "memo-parent"
        made_by(graph)
        assert not graph.chunks and not graph._lines  # noqa: SLF001 — every line is in an included file
        return sorted(line for lines in graph.extra for line in lines())

    parent = lines(lambda g: add_echoes(g, echoes, attested, BASE))
    child = lines(lambda g: add_spilled(g, spilled))
    assert child == parent and len(child) > 5 * len(echoes)

    # a graph held in memory (``TripleSet.include``) parses the child's files into the triples add_echoes adds
    held, made = TripleSet(PREFIXES), TripleSet(PREFIXES)
    add_spilled(held, spilled)
    add_echoes(made, echoes, attested, BASE)
    assert held.ntriples() == made.ntriples() and len(held) == len(set(child))


def test_the_echoes_announced_are_all_there_while_the_child_makes_their_lines(tmp_path, monkeypatch):
    monkeypatch.delenv("TIPKG_JOBS", raising=False)  # forked, whatever the caller's environment says
    sources = read_corpus(replicated(2, tmp_path / "corpus"))
    extraction = extract_units(sources, tmp_path / "cache", jobs=2)
    structured = [u.structured for u in extraction.units]
    echoes, _ = reuse_stage(structured, extraction.keys, tmp_path / "cache")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    # its buckets' lines made by a pool, as a large corpus's are: the child is daemonic, and multiprocessing let
    # no daemonic process start one ("daemonic processes are not allowed to have children", ×1000's first run)
    monkeypatch.setattr("tipkg.network.reuse_spill.POOL_ECHOES", 1)
    job = Forked(spilled_reuse, structured, extraction.keys, tmp_path / "cache", None, tmp_path / "memo", scratch, BASE,
                 2)
    announced = job.announced()
    assert sorted(read_echoes(announced), key=echo_order) == echoes  # read at once: every echo is in it
    spilled = job.result()
    assert spilled.echoes == announced and spilled.groups
    assert sorted(p.name for p in scratch.iterdir()) == ["echoes.pickle"]  # nothing half-written left beside it
