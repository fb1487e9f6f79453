"""A forked stage gives what the same call gives in the parent, errors included."""

from __future__ import annotations

import os
import signal
from concurrent.futures.process import BrokenProcessPool

import pytest

from tipkg.network.reuse import find_reuse
from tipkg.loaders import load_structure
from tipkg.parallel import Forked, process_pool
from tipkg.sources import read_corpus


def fail(message: str):
    raise ValueError(message)


@pytest.mark.parametrize("jobs", ["1", ""])
def test_value_and_error_come_back(monkeypatch, jobs):
    monkeypatch.setenv("TIPKG_JOBS", jobs)
    assert Forked(sorted, [3, 1, 2]).result() == [1, 2, 3]
    with pytest.raises(ValueError, match="bad row"):
        Forked(fail, "bad row").result()


def test_child_is_a_separate_process(monkeypatch):
    monkeypatch.delenv("TIPKG_JOBS", raising=False)  # forking on, whatever the caller's environment says
    assert Forked(os.getpid).result() != os.getpid()


def test_text_reuse_of_the_corpus_is_the_same_forked():
    structured = [load_structure(s) for s in read_corpus()]
    forked = Forked(find_reuse, structured).result()
    assert forked == find_reuse(structured)
    echoes, attested = forked
    assert echoes and attested  # the corpus has both: 4/4 echoes its draft, 3/3 is printed twice


def test_children_forked_in_a_frozen_heap_leave_the_parents_objects_alone(monkeypatch):
    """Inside ``frozen_heap`` a child's collector never visits what it inherited (so it does not copy those
    pages): the structures of the real corpus are in the child's permanent generation; after the block the
    parent's objects are back with its collector."""
    import gc

    from tipkg.parallel import frozen_heap

    monkeypatch.delenv("TIPKG_JOBS", raising=False)
    structured = [load_structure(s) for s in read_corpus()]
    paragraphs = [p for item in structured for d in item.documents for p in d.paragraphs]
    with frozen_heap():
        frozen, tracked = Forked(lambda: (gc.get_freeze_count(), gc.is_tracked(paragraphs[0]))).result()
        assert frozen >= len(paragraphs) and tracked  # the paragraphs are frozen in the child, not untracked
        assert Forked(gc.get_freeze_count).result() >= len(paragraphs)  # and so does a second fork
    assert gc.get_freeze_count() == 0
    assert Forked(gc.get_freeze_count).result() == 0  # outside the block a fork freezes nothing


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer, or a kill from outside, ends a worker


def test_a_worker_killed_in_a_task_is_said_with_its_stage_and_signal():
    """Regression: round 7's one-off BrokenProcessPool (``test_one_edited_word_at_x3[visual]``, at load 27) said
    only "a process in the process pool was terminated abruptly". A pool worker killed in its task breaks the
    pool as that one was; the error now names the stage and how the worker ended."""
    with pytest.raises(BrokenProcessPool, match=r"^extraction: a worker process died in a task \(.*killed by SIGKILL"):
        with process_pool(2, "extraction") as pool:
            pool.submit(_killed).result()
    with process_pool(2, "graph parts") as pool:  # a pool whose workers live gives its answers as before
        assert sorted(pool.map(abs, [-2, 1])) == [1, 2]
