"""The thematic index of the compendium (003, lines 898-1112), read from its own rows."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from rdflib import RDF, Literal
from rdflib.namespace import DCTERMS, SKOS

from tipkg.graph.thematic_index import SCHEME, add_index
from tipkg.graph.uris import mint
from tipkg.ontology.namespace import TIP
from tipkg.normalize import normalize, search_form
from tipkg.references.evaluate import evaluate, index_references, load_gold
from tipkg.references.index_cells import read_references, read_report_numbers
from tipkg.references.thematic_index import index_report_lines, index_span, parse_index, topic_table
from tipkg.tables import load

GOLD = Path(__file__).parent / "gold" / "index.tsv"


@pytest.fixture(scope="module")
def source(sources):
    return sources["UNODC-TIP-Compendium-2021"]


@pytest.fixture(scope="module")
def index(source, structured):
    loaded = next(s for s in structured if s.source.identifier == "UNODC-TIP-Compendium-2021")
    return parse_index(source, loaded.index_span)


def on_line(index, line):
    return {(e.topic, e.paragraph) for e in index.entries if e.line == line}


# --- tables, both ways ------------------------------------------------------------------

TABLE = load("thematic_index")
PATTERNS = [name for name, entry in TABLE.items() if isinstance(entry, dict) and "pattern" in entry]


@pytest.mark.parametrize("name", PATTERNS)
def test_table_patterns_match_their_examples_and_not_their_counter_examples(name):
    pattern = re.compile(TABLE[name]["pattern"])
    for example in TABLE[name]["examples"]:
        assert pattern.search(example), (name, example)
    for counter in TABLE[name].get("not", []):
        assert not pattern.search(counter), (name, counter)


def test_every_heading_of_the_topics_table_is_printed_in_the_index(source, index):
    text = re.sub(r"\s+", " ", source.text[index.span.start:index.span.end])
    for row in topic_table():
        assert re.sub(r"\s+", " ", row.get("printed", row["ar"])) in text, row["ar"]


def test_every_table_row_is_a_topic_of_the_index_and_back(index):
    parsed = {t.identifier for t in index.topics}
    table = {"topic:" + row["slug"] for row in topic_table()}
    assert parsed == table
    slugs = [row["slug"] for row in topic_table()]
    assert len(slugs) == len(set(slugs))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s) for s in slugs)


def test_topic_count_and_heads(index):
    assert len(index.topics) == 82
    with_entries = {e.topic for e in index.entries}
    heads = {t.identifier for t in index.topics} - with_entries
    assert len(with_entries) == 74
    assert heads == {"topic:responses", "topic:forms-of-trafficking-in-persons", "topic:research",
                     "topic:trafficking-in-persons-protocol", "topic:criminal-justice-responses",
                     "topic:responders", "topic:victims", "topic:conference-of-the-parties-and-working-group"}
    topics = {t.identifier: t for t in index.topics}
    assert topics["topic:responders-private-sector"].broader == "topic:responders"
    assert topics["topic:responders-private-sector"].label_ar == "جهات الاستجابة، القطاع الخاص"
    assert topics["topic:victims-confidentiality-and-privacy"].label_en == "Victims, confidentiality and privacy"
    assert topics["topic:terrorism"].broader is None
    # the comma of a title is not a "head، sub" heading
    assert topics["topic:united-nations-voluntary-trust-fund-for-victims-of-trafficking-in-persons"].broader is None
    # extraction noise cleaned: "لكافة الأتجار" printed, "لمكافحة الاتجار" meant
    assert topics["topic:inter-agency-coordination-group-against-trafficking-in-persons"].label_ar == \
        "فريق التنسيق المشترك بين الوكالات لمكافحة الاتجار بالأشخاص"


# --- rows ----------------------------------------------------------------------------------

def test_index_span_is_the_loaders(source, index):
    assert source.line_of(index.span.start) == 898 and source.line_of(index.span.end) == 1112
    assert index_span(source) == index.span


def test_glued_topic_rows(index):
    assert on_line(index, 1035) == {("topic:responders-peacekeeping-personnel", p)
                                    for p in ("TIP-WG 1 rec 8", "TIP-WG 4 rec 45 (c)", "TIP-WG 9 rec 16")}
    # 1039: the Part B reference printed before the glued heading belongs to that heading
    assert ("topic:responders-prosecutors", "CTOC/COP/DEC/3/3 para d") in on_line(index, 1039)
    assert {t for t, _ in on_line(index, 1040)} == {"topic:responders-teachers-and-educators"}


def test_continued_topic_over_a_page(index):
    assert {t for t, _ in on_line(index, 948)} == {"topic:training-and-capacity-building"}
    assert on_line(index, 949) == {("topic:training-and-capacity-building", f"TIP-WG 6 rec {n}") for n in (9, 10, 19)}
    assert {t for t, _ in on_line(index, 1093)} == {"topic:unodc-and-the-secretariat"}
    assert not index.warnings


def test_rows_whose_heading_was_lost_are_unplaced_not_guessed(index):
    assert [r.line for r in index.unplaced] == list(range(974, 998))
    assert not any(974 <= e.line <= 997 for e in index.entries)
    assert index.unplaced[0].paragraphs == ("TIP-WG 1 rec 16",)


def test_ranges_expand(index):
    from_range = [e.paragraph for e in index.entries if e.line == 907 and e.text.endswith("ثانياً-21-23")]
    assert from_range == ["TIP-WG 2 rec 21", "TIP-WG 2 rec 22", "TIP-WG 2 rec 23"]
    assert {p for _, p in on_line(index, 961)} == {f"TIP-WG 8 rec 2 ({x})" for x in "abcdefgh"}
    # "خامساً-2 وخامساً-11 وخامساً-20 وخامساً-33 وخامساً-39-خامساً-41": the range 39-41, and nothing else of meeting 5
    assert {p for _, p in on_line(index, 1089) if p.startswith("TIP-WG 5 ")} == {
        f"TIP-WG 5 rec {n}" for n in (2, 11, 20, 33, 39, 40, 41)}


@pytest.mark.parametrize("cell, part, expected", [
    ("خامساً- ف.د. 11", "B", ["CTOC/COP/RES/5/2 pp 11"]),
    ("الجزء بء ثانياً '4' (م)", "B", ["CTOC/COP/DEC/2/3 para m (iv)"]),
    ("أولاً (ب) '3' ثالثاً (و) وثالثاً (ط)", "B",
     ["CTOC/COP/DEC/1/5 para b (iii)", "CTOC/COP/DEC/3/3 para f", "CTOC/COP/DEC/3/3 para i"]),
    ("الجزء باء ثالثاً (ج) خامساً-7 (د)", "B", ["CTOC/COP/DEC/3/3 para c", "CTOC/COP/RES/5/2 para 7 (d)"]),
    ("الجزء بء: خامساً-ف.د. 9: خامساً 12 وخامساً 13", "B",
     ["CTOC/COP/RES/5/2 pp 9", "CTOC/COP/RES/5/2 para 12", "CTOC/COP/RES/5/2 para 13"]),
    ("الجزء بء أولاً-(ب) '4' ثانياً-(م) '1' ثالثاً-(ي) رابعاً-(م)", "B",
     ["CTOC/COP/DEC/1/5 para b (iv)", "CTOC/COP/DEC/2/3 para m (i)", "CTOC/COP/DEC/3/3 para j",
      "CTOC/COP/DEC/4/4 para m"]),
    ("أولاً-16 (i)", "A", ["TIP-WG 1 rec 16 (a)"]),
    ("ثانياً-2 و 5 وثانياً-29", "A", ["TIP-WG 2 rec 2", "TIP-WG 2 rec 5", "TIP-WG 2 rec 29"]),
    ("ورابعاً-46-(أ)-(ج)", "A", ["TIP-WG 4 rec 46 (a)", "TIP-WG 4 rec 46 (b)", "TIP-WG 4 rec 46 (c)"]),
    ("وأولاً-17 ألف وأولاً-19 ألف", "A", ["TIP-WG 1 rec 17 (a)", "TIP-WG 1 rec 19 (a)"]),
    ("ثامناً-1 (ن)-(ع)", "A", ["TIP-WG 8 rec 1 (n)", "TIP-WG 8 rec 1 (o)", "TIP-WG 8 rec 1 (p)"]),
    ("ورابعاً-46 (ي) '4 خامساً-28", "A", ["TIP-WG 4 rec 46 (j) (iv)", "TIP-WG 5 rec 28"]),
])
def test_reference_cells(cell, part, expected):
    from tipkg.references.thematic_index import paragraph_identifier
    refs, tail, noise = read_references(cell, 0, part)
    assert [paragraph_identifier(r) for r in refs] == expected
    assert tail is None and not noise


def test_glued_heading_is_split_from_the_reference_cell():
    cell = "أولاً-8 رابعاً-45 (ج) تاسعاً-16 جهات الاستجابة، العاملون في بعثات حفظ السلام"
    refs, tail, _ = read_references(cell, 0, "A")
    assert len(refs) == 3 and cell[tail[0]:tail[1]] == "جهات الاستجابة، العاملون في بعثات حفظ السلام"


def test_report_cells_read_ranges_both_ways_and_arabic_indic_digits():
    numbers, pairs = read_report_numbers("14 و 16-18 و ٤٦", 0)
    assert [n.number for n in numbers] == [14, 16, 17, 18, 46]
    numbers, pairs = read_report_numbers("22-14 و 32 و 50 (i)", 0)
    assert [n.number for n in numbers][:3] == [14, 15, 16] and (50, "a") in pairs
    numbers, pairs = read_report_numbers("7 (هـ) و(ح)", 0)
    assert pairs == {(7, "e"), (7, "h")}


# --- both numberings ----------------------------------------------------------------------

def test_offsets_per_meeting(index):
    assert index.offsets == {1: 1, 2: 7, 4: 5, 5: 4, 6: 4, 7: 6, 8: 6, 9: 0}
    hit, total = index.offset_support[8]
    assert hit == total == 87


def test_report_paragraphs_become_notations(index):
    assert index.notations["TIP-WG 1 rec 20"] == "CTOC/COP/WG.4/2009/2 para 21"
    assert index.notations["TIP-WG 4 rec 45 (d)"] == "CTOC/COP/WG.4/2011/8 para 50 (d)"
    assert index.notations["TIP-WG 8 rec 2 (e)"] == "CTOC/COP/WG.4/2018/3 para 8 (e)"
    assert index.notations["TIP-WG 9 rec 31"] == "CTOC/COP/WG.4/2019/6 para 31"
    assert len(index.notations) == 324


def test_unreconciled_rows_are_listed(index):
    assert len(index.unreconciled) == 50
    by_line = {(u.line, u.side, u.text.strip()) for u in index.unreconciled}
    # the compendium prints (ج) where the report column prints (ح)
    assert (1036, "compendium", "وثامناً-1 (ج)") in by_line
    # "رابعاً-9 و 17" against the report's range "22-14"
    assert (935, "report", "22-14") in by_line
    # the educators' report column is missing altogether
    assert sum(1 for u in index.unreconciled if u.line == 1040) == 6
    lines = index_report_lines(index)
    assert "offset\t1\tCTOC/COP/WG.4/2009/2\t+1\t94\t95" in lines
    assert sum(1 for line in lines if line.startswith("unreconciled-")) == 50
    assert sum(1 for line in lines if line.startswith("unplaced\t")) == 24


def test_entries_name_loaded_paragraphs_and_quote_the_text(index, source, paragraphs):
    assert len(index.entries) == 1105
    assert not [e.paragraph for e in index.entries if e.paragraph not in paragraphs]
    ordinals = {search_form(word): n for word, n in load("numbering")["ordinals"].items()}
    for e in index.entries:
        assert source.text[e.span.start:e.span.end] == e.text
        assert source.line_of(e.span.start) == e.line
        # the printed reference names the recommendation: its meeting's ordinal, its number (or a range over it)
        recommendation = re.fullmatch(r"TIP-WG (\d+) rec (\d+).*", e.paragraph)
        if recommendation:
            meeting, number = map(int, recommendation.groups())
            printed = search_form(normalize(e.text).text)
            words = re.findall(r"[\u0621-\u064a]+", printed)  # "وأولاً-22": the ordinal after its conjunction
            assert meeting in {ordinals.get(w, ordinals.get(w[1:])) for w in words}, (e.paragraph, e.text)
            numbers = [int(n) for n in re.findall(r"\d+", printed)]
            assert number in numbers or min(numbers) < number < max(numbers), (e.paragraph, e.text)


# --- gold -------------------------------------------------------------------------------

def gold(split):
    with GOLD.open(encoding="utf-8") as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        return {(r["paragraph"], r["target"]) for r in rows if r["split"] == split and r["relation"] == "indexedUnder"}


@pytest.mark.parametrize("split", ["dev", "holdout"])
def test_precision_and_recall_against_the_hand_read_sample(index, split):
    """Scored by tipkg.references.evaluate (the gold is complete per topic it covers)."""
    truth = gold(split)
    assert len(truth) >= 60 if split == "holdout" else len(truth) >= 30
    s = evaluate(index_references(index), load_gold(GOLD), split=split, relations=["indexedUnder"])["indexedUnder"]
    assert s.true_positives + s.false_negatives == len(truth)
    assert s.precision >= 0.95 and s.recall >= 0.90, (split, s)


def test_gold_sample_size():
    rows = gold("dev") | gold("holdout")
    assert len(rows) >= 60 and len({t for _, t in rows}) >= 10


# --- graph ------------------------------------------------------------------------------------

def test_graph_scheme_topics_edges_and_provenance(index):
    from tipkg.graph.triples import TripleSet
    triples = TripleSet()
    scheme = add_index(triples, index)
    g = triples.rdflib()
    assert (scheme, RDF.type, SKOS.ConceptScheme) in g
    assert (scheme, DCTERMS.identifier, Literal(SCHEME)) in g
    private, responders = mint("topic:responders-private-sector"), mint("topic:responders")
    assert (private, RDF.type, SKOS.Concept) in g and (private, RDF.type, TIP.Topic) in g
    assert (private, SKOS.broader, responders) in g and (responders, SKOS.narrower, private) in g
    assert (private, SKOS.prefLabel, Literal("جهات الاستجابة، القطاع الخاص", lang="ar")) in g
    assert (private, SKOS.prefLabel, Literal("Responders, private sector", lang="en")) in g
    assert (responders, SKOS.inScheme, scheme) in g and (responders, SKOS.topConceptOf, scheme) in g
    rec = mint("TIP-WG 1 rec 20")
    assert (rec, SKOS.notation, Literal("CTOC/COP/WG.4/2009/2 para 21")) in g
    assert (rec, TIP.indexedUnder, mint("topic:responses-regional")) in g
    assert len(set(g.subject_objects(TIP.indexedUnder))) == len(index.entries)
    citations = list(g.subjects(RDF.predicate, TIP.indexedUnder))
    assert len(citations) == len(index.entries)
    c = next(c for c in citations if (c, TIP.text, Literal("أولاً-20", lang="ar")) in g)
    assert g.value(c, TIP.rule) is not None and str(g.value(c, TIP.sourceSpan)).startswith("003_")


def test_an_unknown_index_heading_is_one_clear_error(source, structured):
    """Regression: a heading the topics table does not know ("التعاون الدولي" made "التعاون البلداني"
    by a word edit, line 955) raised a TypeError (the error was made with one argument) instead of
    the error naming file, line and reason."""
    from dataclasses import replace

    from tipkg.errors import TipkgError

    loaded = next(s for s in structured if s.source.identifier == "UNODC-TIP-Compendium-2021")
    at = source.text.rindex("الدولي")
    assert source.text.count("\n", 0, at) + 1 == 955
    edited = replace(source, text=source.text[:at] + "البلداني" + source.text[at + len("الدولي"):])
    with pytest.raises(TipkgError) as error:
        parse_index(edited, replace(loaded.index_span, end=loaded.index_span.end + 2))
    assert str(error.value).startswith(f"{source.file}:955: index heading not in tables/topics.toml")


def test_entries_added_in_one_pass_are_the_entries_added_one_by_one(index):
    """``add_entries`` (one pass: a topic node described once) gives the triples of ``add_entry`` per entry."""
    from tipkg.graph.thematic_index import add_entries, add_entry
    from tipkg.graph.triples import TripleSet

    one_by_one, at_once = TripleSet(), TripleSet()
    for entry in index.entries:
        add_entry(one_by_one, entry, index.source_file)
    add_entries(at_once, index.entries, index.source_file)
    assert len(index.entries) > 1000 and at_once.ntriples() == one_by_one.ntriples()
