"""Labels spelled out from identifiers and paragraph text (tables/labels.toml)."""

import re

import pytest

from tipkg.graph.labels import document_label_en, paragraph_label_ar
from tipkg.model import Paragraph, Span
from tipkg.tables import load


@pytest.mark.parametrize("row", load("labels")["document"], ids=lambda r: r["example"])
def test_document_patterns_match_their_examples(row):
    assert re.fullmatch(row["pattern"], row["example"])
    assert document_label_en(row["example"]) != row["example"] or row["label"] == "{id}"


@pytest.mark.parametrize("example", load("labels")["paragraph"]["examples"])
def test_marker_is_dropped(example):
    p = Paragraph("x", "operative", "d", "1", 1, example, Span(0, 1), normalized=example)
    label = paragraph_label_ar(p)
    assert not re.match(r"[-(\d]", label) and label.split()[0] in example


def test_labels_of_real_paragraphs(paragraphs):
    assert paragraph_label_ar(paragraphs["A/RES/61/180 para 12"]).startswith("إلى تطلب الأمين العام")
    assert paragraph_label_ar(paragraphs["CTOC/COP/DEC/3/3 para a"]).startswith("يرحب")
