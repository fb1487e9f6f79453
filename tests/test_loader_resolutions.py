"""The resolution loader on the real corpus: 000 (draft of decision 4/4), 002
(decision 3/3) and 004 (GA resolution 61/180).

The expected inventories were written by reading the three files line by line
(see the line numbers in the comments); they are not derived from the loader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tipkg.loaders import load_structure
from tipkg.loaders.resolution import compile_pattern, load, rules
from tipkg.normalize import is_visual_source, normalize, search_form
from tipkg.sources import default_corpus_dir, read_corpus
from tipkg.tables import load as load_table

DRAFT, DEC, GA = "CTOC/COP/DEC/4/4 draft", "CTOC/COP/DEC/3/3", "A/RES/61/180"
KINDS = ("draft-decision", "cop-decision", "ga-resolution")


@pytest.fixture(scope="module")
def sources():
    return {s.identifier: s for s in read_corpus() if s.kind in KINDS}


@pytest.fixture(scope="module")
def docs(sources):
    out = {}
    for identifier, source in sources.items():
        structured = load_structure(source)
        assert len(structured.documents) == 1
        out[identifier] = structured.documents[0]
    return out


@pytest.fixture(scope="module")
def paras(docs):
    return {p.identifier: p for d in docs.values() for p in d.paragraphs}


def ids(doc, *tails):
    return {f"{doc} {t}" for t in tails}


EXPECTED = {
    # 000: preamble lines 15, 18, 21, 26, 29, 30, 35, 38; "- ١" .. "- ١٥" at lines 41-108;
    # (أ)-(د) under paragraph 10 (lines 83, 88, 91, 94).
    DRAFT: ids(DRAFT, *(f"pp {n}" for n in range(1, 9)), *(f"para {n}" for n in range(1, 16)),
               *(f"para 10 ({x})" for x in "abcd")),
    # 002: one preambular sentence on line 5, then (أ)..(م) = a..m.
    DEC: ids(DEC, "pp 1", *(f"para {x}" for x in "abcdefghijklm")),
    # 004: openers at lines 10, 15, 21, 36, 41, 46, 49, 53, 59, 64, 69; "- ١" .. "- ١٩" at 79-199.
    GA: ids(GA, *(f"pp {n}" for n in range(1, 12)), *(f"para {n}" for n in range(1, 20))),
}


@pytest.mark.parametrize("doc,count", [(DRAFT, 27), (DEC, 14), (GA, 30)])
def test_inventory_is_exactly_the_paragraphs_of_the_text(docs, doc, count):
    found = [p.identifier for p in docs[doc].paragraphs]
    assert len(found) == len(set(found)) == count
    assert set(found) == EXPECTED[doc]


def test_parents_positions_and_kinds(paras):
    p = paras[f"{DRAFT} para 10 (c)"]
    assert (p.kind, p.parent, p.number, p.position) == ("subparagraph", f"{DRAFT} para 10", "c", 3)
    assert paras[f"{DRAFT} para 10"].parent == DRAFT
    # position counts every sibling under the document: 8 preambular paragraphs come first
    assert (paras[f"{DRAFT} pp 8"].position, paras[f"{DRAFT} para 1"].position) == (8, 9)
    assert paras[f"{DRAFT} para 15"].position == 23
    assert (paras[f"{DEC} para m"].kind, paras[f"{DEC} para m"].number, paras[f"{DEC} para m"].position) == \
        ("operative", "m", 14)
    assert (paras[f"{GA} pp 11"].kind, paras[f"{GA} pp 11"].number) == ("preambular", "11")
    assert (paras[f"{GA} para 19"].kind, paras[f"{GA} para 19"].position) == ("operative", 30)


def test_first_lines(paras):
    assert paras[f"{DRAFT} pp 1"].line == 15       # line 14 is the enacting formula
    assert paras[f"{DRAFT} para 10 (a)"].line == 83
    assert paras[f"{DRAFT} para 14"].line == 107
    assert paras[f"{DEC} pp 1"].line == 5
    assert paras[f"{DEC} para e"].line == 21       # after the footnotes of lines 15-19
    assert paras[f"{GA} pp 1"].line == 10
    assert paras[f"{GA} para 13"].line == 162


def test_document_fields(docs):
    d = docs[DRAFT]
    assert (d.kind, d.source, d.date, d.session) == ("draft-decision", "000_34c21bad16896e20.txt", "2008", 4)
    assert d.adopted_as == "CTOC/COP/DEC/4/4" and d.published_in is None
    assert d.title_ar.startswith("الاتجار بالبشر")   # the printed title is word-scrambled: manifest's
    d = docs[DEC]
    assert (d.kind, d.session, d.published_in, d.adopted_as) == ("cop-decision", 3, "CTOC/COP/2006/14", None)
    assert d.title_ar.startswith("تنفيذ بروتوكول منع وقمع ومعاقبة الاتجار بالأشخاص")
    d = docs[GA]
    assert (d.kind, d.date, d.session) == ("ga-resolution", "2006-12-20", 61)
    assert d.title_ar == "تحسين تنسيق الجهود المبذولة لمكافحة الاتجار بالأشخاص"
    assert d.title_en == "Improving the coordination of efforts against trafficking in persons"


def test_warnings(sources):
    assert load(sources[DEC]).warnings == () and load(sources[GA]).warnings == ()
    (only,) = load(sources[DRAFT]).warnings
    assert "title" in only


def test_footnotes_are_separated(docs, sources):
    assert [f.mark for f in docs[DRAFT].footnotes] == ["1", "2", "3", "4"]
    assert [f.mark for f in docs[DEC].footnotes] == ["1", "2", "3"]
    assert [f.mark for f in docs[GA].footnotes] == [str(n) for n in range(1, 8)]
    assert [f.line for f in docs[DRAFT].footnotes] == [25, 61, 62, 63]
    assert [f.line for f in docs[GA].footnotes] == [32, 33, 34, 35, 74, 75, 118]
    ga = {f.mark: f for f in docs[GA].footnotes}
    assert ga["6"].text == "A/HRC/Sub.1/58/25."
    assert "55/25" in ga["1"].normalized and "المرفق الأول" in ga["1"].normalized
    assert docs[DEC].footnotes[2].text == "المرفق الثالث بقرار الجمعية العامة 25/55."
    for doc in docs.values():
        text = sources[doc.identifier].text
        for f in doc.footnotes:
            assert text[f.span.start:f.span.end] == f.text
            assert sources[doc.identifier].line_of(f.span.start) == f.line
            # the body is not left in any paragraph
            assert all(f.text not in p.text for p in doc.paragraphs)


MARKS = {
    f"{DRAFT} pp 1": ("1",), f"{DRAFT} pp 6": ("2",), f"{DRAFT} para 2": ("3", "4"),
    f"{DEC} pp 1": ("1",), f"{DEC} para a": ("2", "3"),
    f"{GA} pp 3": ("1", "2", "3", "4"), f"{GA} pp 10": ("5", "6"),
    f"{GA} para 3": ("1", "2"), f"{GA} para 4": ("3", "4", "7"),
}


def test_footnote_marks_on_the_right_paragraphs(paras):
    borne = {i: tuple(sorted(p.footnote_marks)) for i, p in paras.items() if p.footnote_marks}
    assert borne == MARKS


def test_page_furniture_and_closing_lines_are_dropped(paras):
    p = paras[f"{GA} para 6"]   # runs over the page break (lines 111-127)
    assert "المتعدد الأطراف" in p.normalized and "A/RES" not in p.text
    assert not re.search(r"(^|\s)4(\s|$)", p.normalized)
    assert "الجلسة العامة" not in paras[f"{GA} para 19"].normalized


def test_enacting_formula_and_heading_are_not_paragraphs(paras, docs):
    p = paras[f"{DEC} pp 1"]
    assert p.text.startswith("إذ يستذكر المهام") and p.text.endswith("أثناء دورته الثالثة:")
    assert "وإذ يرحب" in p.text           # one physical paragraph, two clauses
    for doc in docs.values():
        for p in doc.paragraphs:
            assert "مؤتمر الأطراف في اتفاقية الأمم المتحدة إن" not in p.normalized
            assert not p.normalized.startswith("إن ")
            assert "الدورة" not in p.normalized[:20]


def test_named_paragraph_texts(paras):
    p = paras[f"{GA} para 12"]
    assert "الأمين العام" in p.normalized and "فريق التنسيق" in p.normalized
    p = paras[f"{DRAFT} para 5"]
    assert re.search(r"(^|\s)9(\s|$)", p.normalized) and re.search(r"(^|\s)5(\s|$)", p.normalized)
    assert "المادة" in p.normalized and "٩" in p.text
    assert "وإذ تقر" in paras[f"{GA} pp 7"].normalized
    assert "الناجحة في مجالي التدريب" in paras[f"{DEC} para l"].text   # continues after a blank line
    assert "CTOC/COP/2008/11" in paras[f"{DRAFT} pp 3"].text
    assert "المتجرين" in paras[f"{GA} pp 11"].normalized             # continues after footnotes 5-6
    assert paras[f"{DRAFT} para 10"].normalized.endswith("يقرّر")     # its own line, without (a)-(d)
    assert "تيسير تنفيذ" not in paras[f"{DRAFT} para 10"].normalized
    # visual lines come back in reading order
    assert paras[f"{GA} pp 4"].normalized.startswith("وإذ ترحب بالتقدم")
    assert paras[f"{GA} para 1"].normalized.startswith("- 1 تسلم بأن")


VERBS = {
    DRAFT: {"pp 1": "إذ يستذكر", "pp 2": "وإذ يستذكر أيضاً", "pp 3": "وقد نظر في", "pp 4": "وإذ يضع في اعتباره",
            "pp 5": "وإذ يرحّب", "pp 6": "وإذ يستذكر", "pp 7": "وإذ يؤكّد", "pp 8": "وإذ يسلّم",
            "para 1": "يؤكّد", "para 2": "يحثّ", "para 7": "يطلب", "para 10": "يقرّر أيضا",
            "para 11": "يقرّر كذلك", "para 13": "يطلب أيضا", "para 15": "يقرّر", "para 10 (a)": None},
    DEC: {"pp 1": "إذ يستذكر", "para a": "يرحب", "para e": "يبحث أيضا", "para h": "يذكر", "para l": "يطلب كذلك"},
    GA: {"pp 1": "إذ تشير", "pp 2": "وإذ تشير أيضا", "pp 3": "وإذ تشير كذلك", "pp 4": "وإذ ترحب",
         "pp 5": "وإذ تسلم", "pp 6": "وإذ تسلم أيضا", "pp 7": "وإذ تسلم كذلك", "pp 8": "وإذ ترحب",
         "pp 9": "وإذ ترحب أيضا", "pp 10": "وإذ تحيط علما", "pp 11": "وإذ تشدد",
         "para 1": "تسلم", "para 2": "تؤكد", "para 5": "تعترف", "para 6": "تعترف أيضا", "para 9": "تدعو كذلك",
         "para 11": "ترحب", "para 13": "تطلب أيضا", "para 17": "ترحب", "para 19": "تطلب"},
}


@pytest.mark.parametrize("doc", [DRAFT, DEC, GA])
def test_verb_text(paras, doc):
    assert {tail: paras[f"{doc} {tail}"].verb_text for tail in VERBS[doc]} == VERBS[doc]


def test_every_preambular_and_numbered_paragraph_has_a_verb(paras):
    for p in paras.values():
        if p.kind in ("preambular", "operative"):
            assert p.verb_text, p.identifier


def test_spans_cover_the_paragraph_words(docs, sources):
    for doc in docs.values():
        source = sources[doc.identifier]
        for p in doc.paragraphs:
            assert 0 <= p.span.start < p.span.end <= len(source.text)
            covered = source.text[p.span.start:p.span.end]
            assert all(word in covered for word in p.text.split()), p.identifier
            assert covered.startswith(p.text.split()[0])
            assert source.line_of(p.span.start) == p.line


def test_normalized_is_the_working_text(paras):
    p = paras[f"{GA} para 11"]
    assert "٢٠٠٦" in p.text and "2006" in p.normalized and "\u0640" not in p.normalized
    assert "ــ" in paras[f"{GA} para 1"].text          # the original keeps its tatweel


# --- the table, both ways ----------------------------------------------------

TABLE = load_table("resolution_structure")
CORPUS = Path(str(default_corpus_dir()))


def _file(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


def _form(example: dict) -> str:
    return search_form(normalize(example["text"], visual=is_visual_source(_file(example["source"]))).text)


def _cases():
    for name, value in TABLE.items():
        for entry in (value if isinstance(value, list) else [value]):
            label = f"{name}:{entry.get('phrase', '')}"
            for ex in entry["examples"]:
                yield pytest.param(name, entry, ex, True, id=f"{label}+{ex['text'][:12]}")
            for ex in entry.get("counter_examples", []):
                yield pytest.param(name, entry, ex, False, id=f"{label}-{ex['text'][:12]}")


@pytest.mark.parametrize("name,entry,example,matches", list(_cases()))
def test_table_examples(name, entry, example, matches):
    assert example["text"] in _file(example["source"]), "example not quoted from its file"
    if name == "separator":
        found = any(re.search(p, example["text"]) for p in entry["patterns"])
    else:
        found = any(compile_pattern(p).search(_form(example)) for p in entry["patterns"])
    assert found is matches


def test_every_rule_has_examples_and_compiles():
    compiled = rules()
    for name, value in TABLE.items():
        for entry in (value if isinstance(value, list) else [value]):
            assert entry["examples"], name
        assert compiled[name]
    assert compile_pattern(TABLE["letter_marker"]["patterns"][0]).search(search_form("(ط) يطلب"))


def test_a_text_without_enacting_formula_is_still_read_and_warned_about(sources):
    from dataclasses import replace
    source = sources[DEC]
    altered = replace(source, text=source.text.replace("إن مؤتمر الأطراف", "مؤتمر الأطراف", 1))
    structured = load(altered)
    assert {p.identifier for p in structured.documents[0].paragraphs} == EXPECTED[DEC]
    assert any("no enacting formula" in w for w in structured.warnings)
    assert any(":3: text outside any paragraph" in w for w in structured.warnings)   # the title line
