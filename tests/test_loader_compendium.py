"""The compendium loader on the real corpus/003 text.

The expected inventories below were written by reading the file line by line
(line numbers of corpus/003 in the comments), not by running the loader.
"""

from __future__ import annotations


import pytest

from tipkg.loaders import load_structure
from tipkg.loaders.compendium_parts import patterns
from tipkg.sources import read_corpus
from tipkg.tables import load as load_table
from tipkg.tables import meeting_reports


@pytest.fixture(scope="module")
def source():
    return next(s for s in read_corpus() if s.kind == "compendium")


@pytest.fixture(scope="module")
def structured(source):
    return load_structure(source)


@pytest.fixture(scope="module")
def docs(structured):
    return {d.identifier: d for d in structured.documents}


@pytest.fixture(scope="module")
def paras(structured):
    return {p.identifier: p for d in structured.documents for p in d.paragraphs}


def line_start(source, n):
    return sum(len(l) + 1 for l in source.text.split("\n")[:n - 1])


# --- expected inventories ----------------------------------------------------

def recommendations(meeting, count, subs=None, items=None):
    """TIP-WG ids: recs 1..count, lettered sub-paragraphs, sub-items under (rec, letter)."""
    out = []
    for n in range(1, count + 1):
        rec = f"TIP-WG {meeting} rec {n}"
        out.append(rec)
        for letter in (subs or {}).get(n, ""):
            out.append(f"{rec} ({letter})")
            for roman in (items or {}).get((n, letter), ()):
                out.append(f"{rec} ({letter}) ({roman})")
    return out


def lettered(doc, letters, items=None, pp=0):
    out = [f"{doc} pp {i}" for i in range(1, pp + 1)]
    for letter in letters:
        out.append(f"{doc} para {letter}")
        out += [f"{doc} para {letter} ({r})" for r in (items or {}).get(letter, ())]
    return out


I4, I6 = ("i", "ii", "iii", "iv"), ("i", "ii", "iii", "iv", "v", "vi")

EXPECTED = {
    # lines 72-171: recs 1-23; (أ)(ب) under 5, 10, 11, 16; 7 (أ)-(د) (78-91, around footnotes 1-2)
    "CTOC/COP/WG.4/2009/2": recommendations(1, 23, {5: "ab", 7: "abcd", 10: "ab", 11: "ab", 12: "abcdefgh",
                                                    16: "ab", 17: "abc", 18: "abc", 19: "abcd", 23: "abc"}),
    # lines 175-284: recs 1-58; 24 (أ)(ب) 224-226, 25 (أ)(ب) 230-231, 50 (أ)(ب) 268-269
    "CTOC/COP/WG.4/2010/6": recommendations(2, 58, {24: "ab", 25: "ab", 50: "ab"}),
    # lines 292-409: recs 1-46; 45 (أ)-(ك); 46 (أ)-(ي), (ط) 1'-3', (ي) 1'-6'
    "CTOC/COP/WG.4/2011/8": recommendations(4, 46, {45: "abcdefghijk", 46: "abcdefghij"},
                                            {(46, "i"): I4[:3], (46, "j"): I6}),
    "CTOC/COP/WG.4/2013/5": recommendations(5, 44),                       # lines 413-481
    "CTOC/COP/WG.4/2015/6": recommendations(6, 22),                       # lines 485-508
    "CTOC/COP/WG.4/2017/4": recommendations(7, 2, {1: "abcdefghij", 2: "abcdefghijklmno"}),   # 512-554
    "CTOC/COP/WG.4/2018/3": recommendations(8, 2, {1: "abcdefghijklmnopq", 2: "abcdefgh"}),   # 558-595
    # lines 599-643; rec 17's "(أ) ... (ح)" run together on line 619: sub-paragraphs (a)-(h)
    "CTOC/COP/WG.4/2019/6": recommendations(9, 39, {17: "abcdefgh"}),
    "CTOC/COP/DEC/1/5": lettered("CTOC/COP/DEC/1/5", "abcdef", {"b": I4}),                   # 656-677
    "CTOC/COP/DEC/2/3": lettered("CTOC/COP/DEC/2/3", "abcdefghijklmnopq", {"m": I4}),        # 688-722
    "CTOC/COP/DEC/3/3": lettered("CTOC/COP/DEC/3/3", "abcdefghijklm", pp=1),                 # 730-762
    "CTOC/COP/DEC/4/4": lettered("CTOC/COP/DEC/4/4", "abcdefghijklmnopqrst", {"o": I4}, pp=1),  # 770-802
    "CTOC/COP/RES/5/2": [f"CTOC/COP/RES/5/2 pp {i}" for i in range(1, 12)] + [
        x for n in range(1, 19) for x in [f"CTOC/COP/RES/5/2 para {n}"] + [
            f"CTOC/COP/RES/5/2 para {n} ({c})" for c in {7: "abcde", 8: "abcde", 9: "ab"}.get(n, "")]],
}

COUNTS = {"CTOC/COP/WG.4/2009/2": 56, "CTOC/COP/WG.4/2010/6": 64, "CTOC/COP/WG.4/2011/8": 76,
          "CTOC/COP/WG.4/2013/5": 44, "CTOC/COP/WG.4/2015/6": 22, "CTOC/COP/WG.4/2017/4": 27,
          "CTOC/COP/WG.4/2018/3": 27, "CTOC/COP/WG.4/2019/6": 47, "CTOC/COP/DEC/1/5": 10,
          "CTOC/COP/DEC/2/3": 21, "CTOC/COP/DEC/3/3": 14, "CTOC/COP/DEC/4/4": 25, "CTOC/COP/RES/5/2": 41}


# --- documents -----------------------------------------------------------------

def test_documents_and_their_kinds(structured):
    got = [(d.identifier, d.kind, d.meeting, d.session, d.published_in) for d in structured.documents]
    assert got == [
        ("UNODC-TIP-Compendium-2021", "compendium", None, None, None),
        ("CTOC/COP/WG.4/2009/2", "wg-report", 1, None, None),
        ("CTOC/COP/WG.4/2010/6", "wg-report", 2, None, None),
        ("CTOC/COP/WG.4/2011/8", "wg-report", 4, None, None),
        ("CTOC/COP/WG.4/2013/5", "wg-report", 5, None, None),
        ("CTOC/COP/WG.4/2015/6", "wg-report", 6, None, None),
        ("CTOC/COP/WG.4/2017/4", "wg-report", 7, None, None),
        ("CTOC/COP/WG.4/2018/3", "wg-report", 8, None, None),
        ("CTOC/COP/WG.4/2019/6", "wg-report", 9, None, None),
        ("CTOC/COP/DEC/1/5", "cop-decision", None, 1, "CTOC/COP/2004/6"),
        ("CTOC/COP/DEC/2/3", "cop-decision", None, 2, "CTOC/COP/2005/8"),
        ("CTOC/COP/DEC/3/3", "cop-decision", None, 3, "CTOC/COP/2006/14"),
        ("CTOC/COP/DEC/4/4", "cop-decision", None, 4, "CTOC/COP/2008/19"),
        ("CTOC/COP/RES/5/2", "cop-resolution", None, 5, "CTOC/COP/2010/17"),
    ]
    assert all(d.part_of is None and d.source == "UNODC-TIP-Compendium-2021" for d in structured.documents)


def test_document_dates_and_titles(docs):
    assert docs["UNODC-TIP-Compendium-2021"].date == "2021"
    assert docs["CTOC/COP/WG.4/2009/2"].date == "2009-04-14"
    assert docs["CTOC/COP/WG.4/2009/2"].title_ar == "أولا- الاجتماع الأول، يومي 14 و15 نيسان/أبريل 2009"
    # year from the session heading; 4/4's day is printed where 5/2 recalls it (line 814)
    assert [docs[f"CTOC/COP/{x}"].date for x in ("DEC/1/5", "DEC/2/3", "DEC/3/3", "DEC/4/4", "RES/5/2")] == \
        ["2004", "2005", "2006", "2008-10-17", "2010"]
    assert docs["CTOC/COP/DEC/4/4"].title_ar == "الاتجار بالبشر"
    assert docs["CTOC/COP/DEC/1/5"].title_ar == ("بروتوكول منع وقمع ومكافحة الاتجار بالأشخاص، وبخاصة النساء والأطفال، "
                                                 "المكمل لاتفاقية الأمم المتحدة لمكافحة الجريمة المنظمة عبر الوطنية")
    assert docs["CTOC/COP/RES/5/2"].title_ar.startswith("تنفيذ بروتوكول منع وقمع ومعاقبة")


@pytest.mark.parametrize("identifier", sorted(EXPECTED))
def test_paragraph_inventory(docs, identifier):
    got = [p.identifier for p in docs[identifier].paragraphs]
    assert got == EXPECTED[identifier]
    assert len(got) == COUNTS[identifier] == len(set(got))


SUBITEMS = {f"TIP-WG 4 rec 46 (i) ({r})" for r in I4[:3]} | {f"TIP-WG 4 rec 46 (j) ({r})" for r in I6} | {
    f"CTOC/COP/DEC/{d} para {x} ({r})" for d, x in (("1/5", "b"), ("2/3", "m"), ("4/4", "o")) for r in I4}


def test_paragraph_kinds_parents_positions(docs, paras):
    assert len(SUBITEMS) == 21
    for doc in docs.values():
        top = [p for p in doc.paragraphs if p.parent == doc.identifier]
        for p in doc.paragraphs:
            if p.parent == doc.identifier:
                assert p.kind == ("recommendation" if doc.kind == "wg-report" else
                                  "preambular" if " pp " in p.identifier else "operative"), p.identifier
            else:
                assert p.identifier.startswith(p.parent + " ("), p.identifier
                assert p.kind == ("subitem" if p.identifier in SUBITEMS else "subparagraph"), p.identifier
        assert [p.position for p in top] == list(range(1, len(top) + 1))
    p = paras["TIP-WG 4 rec 46 (j) (vi)"]
    assert (p.kind, p.parent, p.number, p.position, p.line) == ("subitem", "TIP-WG 4 rec 46 (j)", "vi", 6, 409)
    p = paras["TIP-WG 1 rec 5 (b)"]
    assert (p.kind, p.parent, p.number, p.position, p.line) == ("subparagraph", "TIP-WG 1 rec 5", "b", 2, 78)
    p = paras["CTOC/COP/DEC/4/4 para o (ii)"]
    assert (p.kind, p.parent, p.number, p.line) == ("subitem", "CTOC/COP/DEC/4/4 para o", "ii", 794)
    assert paras["CTOC/COP/RES/5/2 para 7 (a)"].kind == "subparagraph"
    assert paras["CTOC/COP/RES/5/2 pp 11"].kind == "preambular"
    assert (paras["CTOC/COP/RES/5/2 para 1"].kind, paras["CTOC/COP/RES/5/2 para 1"].position) == ("operative", 12)
    assert paras["TIP-WG 9 rec 39"].parent == "CTOC/COP/WG.4/2019/6"


# --- texts -------------------------------------------------------------------

def test_named_texts(paras):
    assert "CTOC/COP/WG.4/2009/2" in paras["TIP-WG 2 rec 8"].normalized
    assert "غسل" in paras["TIP-WG 1 rec 5 (b)"].text
    assert paras["CTOC/COP/DEC/4/4 para o (ii)"].text.startswith("تقديم توصيات إلى المؤتمر")
    assert paras["CTOC/COP/RES/5/2 para 7 (a)"].text.startswith("تكفل كل دولة طرف احتواء نظامها")
    assert paras["TIP-WG 1 rec 1"].text.startswith("فيما يتعلق بالولاية العامة")  # the "- 1- " marker is not text
    assert paras["TIP-WG 4 rec 46 (i) (iii)"].text.startswith("وجود أحكام تنشئ صناديق")


@pytest.mark.parametrize("identifier, first_line, continuation", [
    ("TIP-WG 2 rec 6", 180, "الجهود في التحقيق في جرائم الاتجار"),          # after footnote 3, line 184
    ("TIP-WG 2 rec 16", 204, "كما ينبغي أن ينظر المؤتمر في دعوة المكتب"),  # line 206
    ("TIP-WG 2 rec 55", 274, "للضحايا وأن يشتمل على التوعية"),          # after footnote 5, line 278
    ("TIP-WG 4 rec 22", 325, "والجريمة لمكافحة الاتجار بالبشر الموجه"),      # line 327
    ("TIP-WG 5 rec 30", 454, "على التوعية بما لزبائن الاتجار"),             # line 456
    ("CTOC/COP/DEC/3/3 para j", 750, "فضلاً عن التدابير المتصلة بإعادتهم"),  # after footnotes 12-13, line 756
    ("CTOC/COP/RES/5/2 para 12", 882, "قبل انعقاد دورة المؤتمر السادسة"),    # line 884
])
def test_continuations_are_merged(source, paras, identifier, first_line, continuation):
    p = paras[identifier]
    assert p.line == first_line
    assert continuation in p.text
    assert continuation in source.text[p.span.start:p.span.end]


def test_inline_list_of_meeting_9_rec_17_is_split(paras):
    """Regression (audit of line 619): the topics (أ)-(ح) run together on one line are sub-paragraphs."""
    rec = paras["TIP-WG 9 rec 17"]
    assert rec.text.endswith("في اجتماعاته المقبلة:") and "(أ)" not in rec.text
    a, h = paras["TIP-WG 9 rec 17 (a)"], paras["TIP-WG 9 rec 17 (h)"]
    assert a.text.startswith("الاستراتيجيات الفعالة لدعم الضحايا") and a.parent == "TIP-WG 9 rec 17"
    assert h.text.startswith("إدراج المدخلات") and h.position == 8 and h.line == 619


def test_enacting_formula_and_shared_lines_of_decision_3_3(paras):
    pp1, a, b = (paras[f"CTOC/COP/DEC/3/3 {x}"] for x in ("pp 1", "para a", "para b"))
    assert pp1.text.startswith("إذ يستذكر المهام") and pp1.text.endswith("أثناء دورته الثالثة:")
    assert (pp1.line, a.line, b.line) == (730, 730, 734)
    assert a.text.startswith("يرحّب بكون معظم الدول الأطراف")
    assert a.text.endswith("المكمّلين لاتفاقية الأمم المتحدة لمكافحة الجريمة المنظمة عبر الوطنية؛")
    assert b.text.startswith("يبحث الدول الأطراف التي لم تقدّم بعد")
    pp = paras["CTOC/COP/DEC/4/4 pp 1"]
    assert pp.line == 770 and pp.text.startswith("إذ استذكر المهام") and pp.text.endswith("في حزيران/يونيه 2008:")
    assert all("إن مؤتمر الأطراف" not in p.text for p in paras.values())


def test_resolution_5_2_preamble(paras):
    lines = [paras[f"CTOC/COP/RES/5/2 pp {i}"].line for i in range(1, 12)]
    assert lines == [812, 814, 822, 824, 826, 828, 830, 832, 834, 836, 838]
    assert "وإذ يشدّد على ضرورة" in paras["CTOC/COP/RES/5/2 pp 6"].text  # two clauses, one paragraph
    assert "بغرض نزع أعضائهم" in paras["CTOC/COP/RES/5/2 pp 9"].text   # the index's "ف.د. 9"
    assert "حظر عمل السخرة" in paras["CTOC/COP/RES/5/2 pp 11"].text    # the index's "ف.د. 11"


# --- footnotes -----------------------------------------------------------------

def test_footnote_bodies_are_out_of_the_paragraphs(paras):
    for p in paras.values():
        for body in ("Treaty Series", "منشورات الأمم المتحدة، فيينا", "E/2002/68/Add.1", "E/CN.15/2006/10",
                     "Council of Europe and the United Nations", "المرجع نفسه", "قرار الجمعية العامة 25/55، المرفق"):
            assert body not in p.text, (p.identifier, body)


def test_footnotes_per_document(source, docs):
    got = {i: [(f.mark, f.line) for f in d.footnotes] for i, d in docs.items() if d.footnotes}
    assert got == {
        "CTOC/COP/WG.4/2009/2": [("1", 83), ("2", 85)],
        "CTOC/COP/WG.4/2010/6": [("3", 182), ("4", 260), ("5", 276)],
        "CTOC/COP/DEC/1/5": [("6", 671), ("7", 673), ("8", 675)],
        "CTOC/COP/DEC/2/3": [("9", 708), ("10", 710)],
        "CTOC/COP/DEC/3/3": [("11", 732), ("12", 752), ("13", 754)],
        "CTOC/COP/DEC/4/4": [("14", 776), ("15", 777), ("16", 778)],
        "CTOC/COP/RES/5/2": [("17", 816), ("18", 818), ("19", 820), ("20", 842), ("21", 844), ("22", 846)],
    }
    note = docs["CTOC/COP/WG.4/2010/6"].footnotes[1]
    assert note.text == "منشورات الأمم المتحدة، فيينا، 2010."
    for d in docs.values():
        for f in d.footnotes:
            assert source.text[f.span.start:f.span.end] == f.text and source.line_of(f.span.start) == f.line


def test_paragraphs_bear_their_marks(docs, paras):
    assert paras["TIP-WG 1 rec 2"].footnote_marks == ("1", "2")
    assert paras["TIP-WG 2 rec 44"].footnote_marks == ("4",)
    assert paras["CTOC/COP/DEC/3/3 para a"].footnote_marks == ("12", "13")
    assert paras["CTOC/COP/RES/5/2 para 5"].footnote_marks == ("23",)  # no body in the text: a warning
    assert "(1)" in paras["TIP-WG 1 rec 2"].normalized
    for d in docs.values():
        marks = {f.mark for f in d.footnotes}
        for p in d.paragraphs:
            assert set(p.footnote_marks) <= marks | {"23"}, p.identifier


def test_warnings(structured):
    assert structured.warnings == ("line 288: meeting 3 text outside any recommendation (kept out)",
                                   "line 851: footnote mark 23 has no footnote body in the text")


# --- spans, meetings, index ----------------------------------------------------------

def test_spans(source, docs):
    for d in docs.values():
        assert 0 <= d.span.start < d.span.end <= len(source.text)
        for p in d.paragraphs:
            assert d.span.start <= p.span.start < p.span.end <= d.span.end, p.identifier
            original = source.text[p.span.start:p.span.end]
            assert all(word in original for word in p.text.split()), p.identifier
            assert source.line_of(p.span.start) == p.line, p.identifier
            assert original.startswith(p.text.split()[0]), p.identifier


def test_meetings(source, structured):
    got = [(m.number, m.date, m.end_date, m.report, source.line_of(m.span.start)) for m in structured.meetings]
    assert got == [
        (1, "2009-04-14", "2009-04-15", "CTOC/COP/WG.4/2009/2", 70),
        (2, "2010-01-27", "2010-01-29", "CTOC/COP/WG.4/2010/6", 173),
        (3, "2010-10-19", None, None, 286),
        (4, "2011-10-10", "2011-10-12", "CTOC/COP/WG.4/2011/8", 290),
        (5, "2013-11-06", "2013-11-08", "CTOC/COP/WG.4/2013/5", 411),
        (6, "2015-11-16", "2015-11-18", "CTOC/COP/WG.4/2015/6", 483),
        (7, "2017-09-06", "2017-09-08", "CTOC/COP/WG.4/2017/4", 510),
        (8, "2018-07-02", "2018-07-03", "CTOC/COP/WG.4/2018/3", 556),
        (9, "2019-09-09", "2019-09-11", "CTOC/COP/WG.4/2019/6", 597),
    ]
    assert structured.meetings[5].title_ar == "سادساً - الاجتماع السادس، من 16 إلى 18 تشرين الثاني/نوفمبر 2015"
    assert source.line_of(structured.meetings[2].span.end) == 288


def test_index_span(source, structured):
    span = structured.index_span
    assert span.start == line_start(source, 898)
    assert source.text[span.start:].startswith("الفهرس المواضيي")
    assert source.line_of(span.end) == 1112 and source.text[span.end:].lstrip("\t ").startswith("\n")
    assert "UNODC" not in source.text[span.start:span.end]
    assert all(d.span.end <= span.start for d in structured.documents[1:])


# --- the pattern table -------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(n for n, e in load_table("compendium_structure").items()
                                        if isinstance(e, dict) and "pattern" in e))
def test_table_examples_both_ways(name):
    entry = load_table("compendium_structure")[name]
    pattern = patterns()[name]
    find = pattern.search if entry.get("search") else pattern.match
    assert entry["examples"] and entry["counter_examples"]
    for example in entry["examples"]:
        assert find(example), (name, example)
    for example in entry["counter_examples"]:
        assert not find(example), (name, example)


def test_table_examples_are_quoted_from_the_corpus(source):
    text = source.text
    for name, entry in load_table("compendium_structure").items():
        if isinstance(entry, dict) and "examples" in entry:
            for example in entry["examples"] + entry["counter_examples"]:
                assert example.replace("\t", "").strip() in text.replace("\t", ""), (name, example)


def test_report_symbols_are_printed_in_the_index(source, structured):
    index = source.text[structured.index_span.start:structured.index_span.end]
    table = load_table("compendium_structure")
    assert all(symbol in index for symbol in meeting_reports().values())
    rows = index.split("\n")
    for number, report in table["published_in"].items():
        session, n = number.split("/")
        printed = f"{'القرار' if number == '5/2' else 'المقرر'} {n}/{session}"  # back to front, as printed
        assert any(printed in row and report in row for row in rows), number
