"""The benchmark's replicated corpus builds like a bigger real corpus: each copy's
paragraphs under shifted identifiers, and text reuse linking a copy to the earlier one.

Regression: text reuse, forked before the references stage, once read the structure
before the harness shifted copy 1 — the copies then shared identifiers and a third
of the ×10 graph (the echoes between copies) silently disappeared."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tipkg.graph.uris import mint
from tipkg.ontology.namespace import TIP

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import replicate  # noqa: E402

pytestmark = pytest.mark.slow  # builds a corpus twice the size of the bundled one


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    from tipkg.pipeline import build

    corpus = replicate.write_corpus(2, tmp_path_factory.mktemp("x2") / "corpus")
    with replicate.replicated_loading():
        return build(corpus, out_dir=None)


def test_each_copy_is_read_under_its_own_identifiers(twice):
    assert twice.documents["A/RES/61/180"] == twice.documents["A/RES/161/180"] == 30
    assert sum(twice.documents.values()) == 2 * 541


def test_a_copy_echoes_the_earlier_copy(twice):
    g = twice.graph
    assert (mint("A/RES/161/180 para 5"), TIP.echoes, mint("A/RES/61/180 para 5")) in g
    echoes = list(g.subject_objects(TIP.echoes))
    assert len(echoes) > 541  # about one per paragraph of copy 1, besides each copy's own
