"""A forked stage gives what the same call gives in the parent, errors included."""

from __future__ import annotations

import os

import pytest

from tipkg.network.reuse import find_reuse
from tipkg.loaders import load_structure
from tipkg.parallel import Forked
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
