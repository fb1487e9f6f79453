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


def test_a_direction_given_again_word_for_word_is_answered_until_then(twice):
    """Regression (×1000 stopped at 10 GB in add_answers): a Working Group report answered every
    earlier never-due direction of every copy, so the answers grew with the square of the corpus.
    Copy 1 re-issues decision 4/4 para o ("قرّر أيضاً أن يؤدّي الفريق العامل المهام التالية") in 2009:
    copy 0's is answered by the 2009 report only, copy 1's by every later report of both copies."""
    g = twice.graph
    first, again = mint("CTOC/COP/DEC/4/4 para o mandate"), mint("CTOC/COP/DEC/104/4 para o mandate")
    assert set(g.subjects(TIP.answers, first)) == {mint("CTOC/COP/WG.4/2009/2")}
    later = set(g.subjects(TIP.answers, again))
    assert {mint("CTOC/COP/WG.4/2010/6"), mint("CTOC/COP/WG.4/2019/6"),  # copy 0's later reports
            mint("CTOC/COP/WG.4/2010/1002"), mint("CTOC/COP/WG.4/2020/1006")} <= later  # copy 1's
    assert mint("CTOC/COP/WG.4/2009/2") not in later  # the re-issue's own year
