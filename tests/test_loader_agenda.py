"""The agenda loader on the real agenda (corpus 001, CTOC/COP/WG.4/2010/1)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from tipkg.errors import TipkgError
from tipkg.loaders import load_structure
from tipkg.loaders.agenda import load, patterns
from tipkg.sources import read_corpus
from tipkg.tables import load as load_table

DOC = "CTOC/COP/WG.4/2010/1"


@pytest.fixture(scope="module")
def source():
    return next(s for s in read_corpus() if s.identifier == DOC)


@pytest.fixture(scope="module")
def agenda(source):
    structured = load_structure(source)
    assert len(structured.documents) == 1
    return structured.documents[0]


@pytest.fixture(scope="module")
def by_id(agenda):
    return {p.identifier: p for p in agenda.paragraphs}


def test_exactly_the_ten_items_and_subitems(agenda):
    expected = [f"{DOC} item 1", f"{DOC} item 1 (a)", f"{DOC} item 1 (b)"] + [f"{DOC} item {n}" for n in range(2, 9)]
    assert [p.identifier for p in agenda.paragraphs] == expected


def test_kinds_parents_numbers_positions(by_id):
    for n in range(1, 9):
        item = by_id[f"{DOC} item {n}"]
        assert (item.kind, item.parent, item.number, item.position) == ("agenda-item", DOC, str(n), n)
    for pos, letter in enumerate("ab", 1):
        sub = by_id[f"{DOC} item 1 ({letter})"]
        assert (sub.kind, sub.parent, sub.number, sub.position) == ("agenda-subitem", f"{DOC} item 1", letter, pos)


def test_document_metadata(agenda, source):
    assert (agenda.identifier, agenda.kind, agenda.date, agenda.meeting) == (DOC, "agenda", "2009-12-10", 2)
    assert agenda.title_ar.startswith("جدول الأعمال المؤقت وشروحه")
    assert agenda.title_en == source.title_en
    assert agenda.paragraphs and not agenda.footnotes


def test_documents_listed_per_item(by_id):
    documents = {p.identifier: p.documents for p in by_id.values()}
    assert documents == {
        f"{DOC} item 1": (), f"{DOC} item 1 (a)": (), f"{DOC} item 1 (b)": (),
        f"{DOC} item 2": ("CTOC/COP/WG.4/2009/2",), f"{DOC} item 3": ("CTOC/COP/WG.4/2010/2",),
        f"{DOC} item 4": ("CTOC/COP/WG.4/2010/3",), f"{DOC} item 5": ("CTOC/COP/WG.4/2010/4",),
        f"{DOC} item 6": ("CTOC/COP/WG.4/2010/5",), f"{DOC} item 7": (), f"{DOC} item 8": (),
    }


def test_annotations_belong_to_their_item(by_id):
    assert "بروتوكول منع وقمع" in by_id[f"{DOC} item 2"].normalized
    assert "تبادل التجارب والممارسات" in by_id[f"{DOC} item 2"].normalized
    sub_b = by_id[f"{DOC} item 1 (b)"]
    assert sub_b.normalized.startswith("إقرار جدول الأعمال وتنظيم الأعمال")
    assert "المقرر 4/4" in sub_b.normalized and "المقرر ٤/٤" in sub_b.text
    assert sub_b.normalized.endswith("بلغات الأمم المتحدة الرسمية الست.")  # line 54, last of (b)
    assert by_id[f"{DOC} item 1 (a)"].normalized.endswith("يوم الأربعاء 27 كانون الثاني/يناير 2010.")
    # the item keeps its own title only; its sub-items' annotations are theirs
    assert by_id[f"{DOC} item 1"].text == "المسائل التنظيمية"
    assert by_id[f"{DOC} item 7"].text == "مسائل أخرى"
    assert by_id[f"{DOC} item 8"].text.endswith("وسوف تتولى الأمانة إعداد مشروعه.")
    # annotation text split by a page break (lines 87 and 89) stays one item
    assert "من أجل تحسين مقدمة أجهزة إنفاذ القانون" in by_id[f"{DOC} item 6"].text


def test_spans_lines_and_words(agenda, source, by_id):
    for p in agenda.paragraphs:
        at_span = source.text[p.span.start:p.span.end]
        assert 0 <= p.span.start < p.span.end <= len(source.text)
        assert all(word in at_span for word in p.text.split()), p.identifier
        assert p.line == source.line_of(p.span.start)
    assert [by_id[f"{DOC} item {n}"].line for n in range(1, 9)] == [34, 56, 64, 72, 79, 86, 95, 97]
    assert source.text[by_id[f"{DOC} item 3"].span.end - 22:by_id[f"{DOC} item 3"].span.end] == "(CTOC/COP/WG.4/2010/2)"
    spans = [p.span for p in agenda.paragraphs]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def test_masthead_and_annex_stay_out_of_the_items(agenda):
    everything = " ".join(p.text for p in agenda.paragraphs)
    for furniture in ("Distr.", "December", "Original", "تنظيم الأعمال المقترن", "١٣/٠٠-١٠/٠٠", "(تابع)", "الشروع"):
        assert furniture not in everything


def test_an_agenda_without_annotations_keeps_its_list(source):
    bare = source.text[:source.text.index("الشروع")]
    doc = load(dataclasses.replace(source, text=bare)).documents[0]
    assert len(doc.paragraphs) == 10
    item2 = next(p for p in doc.paragraphs if p.identifier == f"{DOC} item 2")
    assert item2.line == 22 and item2.text.startswith("تنفيذ بروتوكول") and item2.documents == ()


def test_no_agenda_title_is_an_error(source):
    with pytest.raises(TipkgError, match=re.escape(source.path)):
        load(dataclasses.replace(source, text="Distr.: General\n\nنص بلا جدول أعمال\n"))


# --- the table: every pattern against its examples ---------------------------

TABLE = load_table("agenda_structure")


@pytest.mark.parametrize("name", ["title", "annotations", "documents", "annex"])
def test_heading_examples(name, source):
    for example in TABLE["headings"][f"{name}_examples"]:
        assert patterns()[name].match(example)
        assert example in source.text.split("\n") or example == "الشروح"  # the correct spelling of "الشروع"
    assert not patterns()[name].match("- دعا مؤتمر الأطراف، في مقرره ٤/٤")


@pytest.mark.parametrize("form", TABLE["item"], ids=lambda f: f["form"])
def test_item_form_examples(form, source):
    lines = [l.strip() for l in source.text.split("\n")]
    for example in form["examples"]:
        m = re.match(form["pattern"], example)
        assert m and m["title"][0] not in "- " and example in lines
    for not_an_item in ("- دعا مؤتمر الأطراف، في مقرره ٤/٤، الدول إلى اتخاذ تدابير", "(أ) افتتاح الاجتماع", "الوثائق"):
        assert not re.match(form["pattern"], not_an_item)


def test_subitem_symbol_date_venue_examples(source):
    lines = [l.strip() for l in source.text.split("\n")]
    for name in ("subitem", "symbol", "date", "venue"):
        for example in TABLE[name]["examples"]:
            assert patterns()[name].search(example) and example in lines, (name, example)
    assert [patterns()["subitem"].match(e)["letter"] for e in TABLE["subitem"]["examples"]] == ["أ", "ب"]
    assert not patterns()["subitem"].match("- ٤- الممارسات الجيدة")
    assert not patterns()["symbol"].search("(تابع)")
    assert not patterns()["date"].match("Distr.: General")
