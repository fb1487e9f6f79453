"""The normalizer on its table examples, on the corpus's hard lines, and on any text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tipkg.normalize import (_tables, cop_session_first, ga_session_first, is_visual_source, looks_visual, normalize,
                             normalize_whole, plain_superscripts, search_form, western_digits)
from tipkg.tables import load

TABLE = load("normalization")


@pytest.mark.parametrize("example", TABLE["examples"], ids=lambda e: e["raw"][:20])
def test_table_examples(example, sources):
    assert normalize(example["raw"]).text == example["normalized"]
    assert any(example["raw"] in s.text for s in sources.values()), "example must be quoted from the corpus"


@pytest.mark.parametrize("example", TABLE["visual_examples"], ids=lambda e: e["repaired"][:20])
def test_visual_examples(example, sources):
    assert normalize(example["raw"], visual=True).text == example["repaired"]
    assert looks_visual(example["raw"])
    assert any(example["raw"] in s.text for s in sources.values())


def test_every_mapped_character_is_mapped():
    for section in ("digits", "superscripts"):
        for raw, out in TABLE[section].items():
            assert normalize(raw).text == out


def test_visual_sources_are_recognised(sources):
    visual = {ident for ident, s in sources.items() if is_visual_source(s.text)}
    assert visual == {"CTOC/COP/DEC/4/4 draft", "A/RES/61/180"}


def test_scrambled_article_reference_of_000(sources):
    """000 line 57: "from TIPP art 9(5)" comes out as '... ٩ من المادة ٥بما يتّسق مع أحكام الفقرة'."""
    text = sources["CTOC/COP/DEC/4/4 draft"].text
    line = text.split("\n")[56]
    n = normalize(line, visual=True).text
    assert "9 من المادة 5 بما" in n  # digits made Western, glued digit separated
    assert "الفقرة" in n


def test_arabic_indic_dates_of_004(sources):
    text = sources["A/RES/61/180"].text
    n = normalize(text, visual=True)
    assert "٢٠٠٦" not in n.text and "2006" in n.text
    i = n.text.index("2006 ديسمبر") if "2006 ديسمبر" in n.text else n.text.index("2006")
    span = n.original_span(i, i + 4)
    assert text[span.start:span.end] == "٢٠٠٦"


def test_reversed_numbers_of_003_part_b():
    # "المقرر 5/1" under the first session is decision 1/5; "القرار 2/5" under the fifth is 5/2.
    assert cop_session_first(5, 1, session_context=1) == (1, 5)
    assert cop_session_first(2, 5, session_context=5) == (5, 2)
    assert cop_session_first(3, 2, session_context=2) == (2, 3)
    # resolution 5/2 recalls "144/61" and "180/61": GA sessions are numbered from 31.
    assert ga_session_first(144, 61, year=2010) == (61, 144)
    assert ga_session_first(293, 64, year=2010) == (64, 293)
    assert ga_session_first(25, 55, year=2006) == (55, 25)
    assert ga_session_first(58, 137, year=2006) == (58, 137)


def test_search_form_folds_variants():
    assert search_form("الأمانة") == search_form("الامانه")
    assert search_form("يؤكّد") == search_form("يوكد")
    assert search_form("إلى") == search_form("الي")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("أبتثجحخ دذرزسشصضطظعغفقكلمنهوية٠١٢٣٤٥٦٧٨٩0123456789ـ ّ\n\t()⁽¹⁾/-،.abcXYZ")), max_size=200),
       st.booleans(), st.booleans())
def test_never_raises_and_spans_stay_inside(text, visual, fold):
    n = normalize(text, visual=visual, fold=fold)
    assert len(n.offsets) == len(n.text) + 1
    assert all(0 <= o <= len(text) for o in n.offsets)
    for i in range(len(n.text)):
        span = n.original_span(i, i + 1)
        assert 0 <= span.start < span.end <= len(text)
        if n.text[i] not in " \n":
            assert text[span.start:span.end] != ""


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("أبتثجحخ دذرزسشصضطظعغفقكلمنهوية٠١٢٣٤٥٦٧٨٩0123456789ـ ّ\n\t()⁽¹⁾/-،.abcXYZ")), max_size=200),
       st.booleans(), st.data())
def test_a_whole_text_normalized_lazily_maps_back_as_normalize(text, fold, data):
    """``normalize_whole`` (the working text at once, a span's offsets from the lines it covers) gives
    ``normalize``'s working text and spans: any span, across lines, empty, at the very end."""
    n, whole = normalize(text, fold=fold), normalize_whole(text, fold=fold)
    assert whole.text == n.text
    start = data.draw(st.integers(0, len(n.text)))
    end = data.draw(st.integers(0, len(n.text)))
    assert whole.original_span(start, end) == n.original_span(start, end)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("أبتثجحخ دذرزسشصضطظعغفقكلمنهويةؤئإآى٠١٢٣٤٥٦٧٨٩0123456789ـ ًٌٍَُِّْ\n\t()⁽¹⁾/-،.abcXYZ")),
               max_size=200))
def test_the_translation_is_str_translate(text):
    """The normalizer's translation (a pattern of the table's keys, ``translator``) is ``str.translate`` of the
    table, folded or not, and so are ``western_digits`` and ``plain_superscripts`` of theirs."""
    for fold in (False, True):
        table = {ord(k): v or None for k, v in _table(fold).items()}
        assert _tables()[fold][0](text) == text.translate(table)
    assert western_digits(text) == text.translate({ord(k): v for k, v in TABLE["digits"].items()})
    assert plain_superscripts(text) == text.translate({ord(k): v for k, v in TABLE["superscripts"].items()})


def test_the_translation_is_str_translate_on_the_corpus(sources):
    for source in sources.values():
        for fold in (False, True):
            assert _tables()[fold][0](source.text) == source.text.translate({ord(k): v or None
                                                                              for k, v in _table(fold).items()})


def test_a_whole_source_normalized_lazily_maps_back_as_normalize(sources):
    """On every source of the corpus (the compendium's front matter is where ``references.answers`` reads
    it), every line's span and spans across lines, folded or not."""
    for source in sources.values():
        for fold in (False, True):
            n, whole = normalize(source.text, fold=fold), normalize_whole(source.text, fold=fold)
            assert whole.text == n.text
            breaks = [i for i, ch in enumerate(n.text) if ch == "\n"][::7]
            for a, b in zip([0, *breaks], [*breaks, len(n.text)]):
                for start, end in ((a, b), (a + 1, b + 40), (b, b), (max(0, a - 3), a + 3)):
                    end = min(end, len(n.text))
                    assert whole.original_span(start, end) == n.original_span(start, end), (source.file, start, end)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_unicode_text(text):
    n = normalize(text, visual=True)
    assert len(n.offsets) == len(n.text) + 1
    assert all(0 <= o <= len(text) for o in n.offsets)


def _maps_back(text: str, visual: bool, fold: bool) -> None:
    """Each character of the working text comes from the original character its offset names, as the
    table maps it (or is a blank put between runs or after a glued digit); in a text read in logical order
    the offsets rise, and every original character they skip is one the table deletes or a blank at a
    line's edge (or within a gap, visually)."""
    table = {ord(k): v for k, v in _table(fold).items()}
    n = normalize(text, visual=visual, fold=fold)
    for ch, at in zip(n.text, n.offsets):
        assert ch == " " or (table.get(ord(text[at]), text[at]) or None) == ch, (ch, at)
    if not n.repaired_lines:
        kept = n.offsets[:-1]
        assert all(a < b for a, b in zip(kept, kept[1:]) if a != b) and sorted(kept) == list(kept)
        skipped = set(range(len(text))) - set(kept)
        assert all(text[i] in " \t" or table.get(ord(text[i]), text[i]) in ("", None) for i in skipped)


def _table(fold: bool) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for section in ("digits", "superscripts", "punctuation"):
        mapping.update(TABLE[section])
    mapping.update({ch: "" for ch in TABLE["deleted"].values()})
    if fold:
        lo, hi = TABLE["diacritics"]["range"]
        mapping = {**{k: TABLE["fold"].get(v, v) for k, v in mapping.items()},
                   **{k: v for k, v in TABLE["fold"].items() if k not in mapping},
                   **{chr(c): "" for c in range(ord(lo), ord(hi) + 1)}, **{c: "" for c in TABLE["diacritics"]["extra"]}}
    return mapping


def test_the_offsets_and_the_search_form_on_the_corpus(sources):
    """On every source's whole text and every line of it, plain, folded and in visual order: each working
    character maps back to its original (``normalize`` finds the offsets of runs with deleted characters
    (tatweel, diacritics) by the runs deleted), and ``search_form``, made without offsets, is the folded
    working text."""
    deleting = 0
    for source in sources.values():
        for text in (source.text, *source.text.split("\n")):
            assert search_form(text) == normalize(text, fold=True).text
            for visual in (False, True):
                for fold in (False, True):
                    _maps_back(text, visual, fold)
            deleting += any(_table(True).get(ch) == "" for ch in text)
    assert deleting > 100  # the corpus has runs with deleted characters: the path above was taken
