"""Mandates: the pattern table against its own corpus examples (both ways), the
agenda's paraphrases of decision 4/4 (one test per link), what answered which
mandate, spans that give back the words, and precision/recall on the hand-read
gold (tests/gold/mandates.tsv, dev and holdout)."""

from __future__ import annotations

import re

import pytest

from tipkg.normalize import is_visual_source, search_form
from tipkg.references import extract_references
from tipkg.references.answers import find_answers
from tipkg.references.mandates import actions, classify, find_due, find_mandates, ordinal, table, words_at

T = table()


def _quote(example: str) -> str:
    return search_form(example.split(": ", 1)[1])


@pytest.fixture(scope="module")
def refs(structured):
    return extract_references(structured).found


@pytest.fixture(scope="module")
def mandates(structured, refs):
    return {m.paragraph: m for m in find_mandates(structured, refs)}


@pytest.fixture(scope="module")
def answers(structured, mandates):
    return find_answers(structured, list(mandates.values()))


# --- the table, both ways --------------------------------------------------------

@pytest.mark.parametrize("row,example", [(r, e) for r in T["action"] for e in r["examples"]],
                         ids=lambda x: x if isinstance(x, str) else x["id"])
def test_every_action_example_is_classified_as_its_action(row, example):
    action, _ = classify(_quote(example))
    assert action == row["id"]


@pytest.mark.parametrize("row", [r for r in T["action"] if r["pattern"]], ids=lambda r: r["id"])
def test_no_action_pattern_matches_the_examples_of_a_later_row(row):
    order = [a for a, _ in actions()]
    later = [r for r in T["action"] if order.index(r["id"]) > order.index(row["id"])]
    pattern = dict(actions())[row["id"]]
    for other in later:
        for example in other["examples"]:
            assert not pattern.search(_quote(example)), (row["id"], example)


@pytest.mark.parametrize("example", T["due"]["examples"])
def test_due_examples_give_a_session(example):
    found = find_due(_quote(example))
    assert found is not None and found[1] in (2, 3, 6)


@pytest.mark.parametrize("example", T["due"]["counter_examples"])
def test_a_session_that_guided_is_not_a_deadline(example):
    assert find_due(_quote(example)) is None


def test_ordinals():
    assert ordinal("الثالثه") == 3
    assert ordinal("الثالثه والستين") == 63
    assert ordinal("السادسه، التي") == 6
    assert ordinal("الخامس،") == 5


def test_session_years_agree_with_the_corpus(paragraphs):
    from tipkg.references.mandates import session_year
    assert "2012" in paragraphs["CTOC/COP/DEC/4/4 para t"].normalized and session_year("conference", 6) == 2012
    assert session_year("general-assembly", 63) == 2008 and session_year("general-assembly", 61) == 2006


# --- mandates on the corpus -------------------------------------------------------

def test_a_report_to_the_third_session(mandates):
    k = mandates["CTOC/COP/DEC/2/3 para k"]
    assert (k.action, k.due.identifier, k.due.year) == ("report", "session:COP-3", 2006)
    assert [a.actor for a in k.addressees] == ["actor:secretariat"]


def test_the_general_assembly_63rd_session(mandates):
    m = mandates["A/RES/61/180 para 19"]
    assert (m.body, m.action, m.due.identifier, m.due.year) == ("actor:general-assembly", "report", "session:GA-63", 2008)


def test_a_direction_to_the_working_group_with_a_review_clause(mandates):
    m = mandates["CTOC/COP/RES/5/2 para 15"]
    assert [a.actor for a in m.addressees] == ["actor:working-group"]
    assert m.action == "meeting" and m.due.identifier == "session:COP-6"
    assert m.review is not None and "يواصل" in m.review.text


def test_no_mandate_from_a_draft_or_a_proposal(mandates):
    assert not any(p.startswith("CTOC/COP/DEC/4/4 draft") for p in mandates)
    for proposal in ("TIP-WG 1 rec 17 (c)", "TIP-WG 1 rec 19 (d)", "TIP-WG 4 rec 10", "TIP-WG 8 rec 1 (j)"):
        assert proposal not in mandates
    assert "TIP-WG 5 rec 41" in mandates  # "طلب الفريق العامل ... إلى الأمانة": a request made


def test_every_span_gives_back_its_words(mandates, sources):
    texts = {s.file: s.text for s in sources.values()}
    for m in mandates.values():
        for w in [m.ask, m.action_words] + [a.words for a in m.addressees] + ([m.due.words] if m.due else []):
            assert texts[w.source_file][w.span.start:w.span.end] == w.text


def test_a_paragraph_printed_twice_makes_one_mandate(structured, refs):
    found = [m.paragraph for m in find_mandates(structured, refs)]
    assert found.count("CTOC/COP/DEC/3/3 para i") == 1


# --- the agenda's paraphrases of decision 4/4: one test per link -----------------

ITEM = "CTOC/COP/WG.4/2010/1 item"
RESTATED = [
    (f"{ITEM} 1 (b)", "CTOC/COP/DEC/4/4 para d", "سلم المؤتمر"),
    (f"{ITEM} 1 (b)", "CTOC/COP/DEC/4/4 para e", "وأكَّدَ أن"),
    (f"{ITEM} 1 (b)", "CTOC/COP/DEC/4/4 para g", "وطلب إلى الدول الأطراف"),
    (f"{ITEM} 1 (b)", "CTOC/COP/DEC/4/4 para h", "وشجّع الدول الأعضاء"),
    (f"{ITEM} 1 (b)", "CTOC/COP/DEC/4/4 para n", "إنشاء فريق عامل"),
    (f"{ITEM} 1 (b)", "CTOC/COP/DEC/4/4 para p", "في المقرر ذاته أن يجتمع"),
    (f"{ITEM} 1 (b)", "CTOC/COP/DEC/4/4 para s", "أن يقدم رئيس الفريق العامل"),
    (f"{ITEM} 1 (b)", "CTOC/COP/DEC/4/4 para t", "أن يقدم رئيس الفريق العامل"),
    (f"{ITEM} 2", "CTOC/COP/DEC/4/4 para o (i)", "أن على الفريق العامل أن يتولى تيسير"),
    (f"{ITEM} 4", "CTOC/COP/DEC/4/4 para i", "دعا مؤتمر الأطراف"),
    (f"{ITEM} 6", "CTOC/COP/DEC/4/4 para k", "حثّ مؤتمر الأطراف"),
]


@pytest.mark.parametrize("item,target,words", RESTATED, ids=[f"{i[-7:]}->{t[-6:]}" for i, t, _ in RESTATED])
def test_paraphrase_restates_its_paragraph(answers, item, target, words):
    links = [r for r in answers.restatements if (r.paragraph, r.target) == (item, target)]
    assert len(links) == 1
    assert words in links[0].words.text


def test_no_other_restatement(answers):
    assert {(r.paragraph, r.target) for r in answers.restatements} == {(i, t) for i, t, _ in RESTATED}


# --- what answered which mandate --------------------------------------------------

def _answer(answers, subject, mandate):
    return [a for a in answers.answers if a.subject == subject and a.mandate == f"{mandate} mandate"]


def test_the_compendium_answers_the_fifth_meetings_request(answers):
    (a,) = _answer(answers, "UNODC-TIP-Compendium-2021", "TIP-WG 5 rec 41")
    assert "مراعاة لذلك الطلب" in a.words.text


def test_papers_by_the_secretariat_answer_its_mandate_to_assist_the_working_group(answers):
    for symbol in ("CTOC/COP/WG.4/2010/1", "CTOC/COP/WG.4/2010/2", "CTOC/COP/WG.4/2010/5"):
        assert _answer(answers, symbol, "CTOC/COP/DEC/4/4 para r")


def test_working_group_reports_answer_the_conferences_directions(answers):
    assert _answer(answers, "CTOC/COP/WG.4/2009/2", "CTOC/COP/DEC/4/4 para p")
    assert _answer(answers, "CTOC/COP/WG.4/2010/6", "CTOC/COP/DEC/4/4 para p")
    assert not _answer(answers, "CTOC/COP/WG.4/2011/8", "CTOC/COP/DEC/4/4 para p")  # after the fifth session
    assert _answer(answers, "CTOC/COP/WG.4/2011/8", "CTOC/COP/RES/5/2 para 15")


def test_a_direction_continued_in_other_words_stays_answered(answers):
    """Resolution 5/2 para 14 continues decision 4/4 para o in other words ("يقرّر أن يواصل الفريق العامل
    ... أداء المهام المنصوص عليها في مقرّر المؤتمر 4/4"): not a re-issue, so every later report answers both."""
    later = ("CTOC/COP/WG.4/2011/8", "CTOC/COP/WG.4/2013/5", "CTOC/COP/WG.4/2015/6", "CTOC/COP/WG.4/2017/4",
             "CTOC/COP/WG.4/2018/3", "CTOC/COP/WG.4/2019/6")
    for report in ("CTOC/COP/WG.4/2009/2", "CTOC/COP/WG.4/2010/6") + later:
        assert _answer(answers, report, "CTOC/COP/DEC/4/4 para o")
    for report in later:
        assert _answer(answers, report, "CTOC/COP/RES/5/2 para 14")
    assert not _answer(answers, "CTOC/COP/WG.4/2010/6", "CTOC/COP/RES/5/2 para 14")  # made that year


def test_a_later_decision_reports_the_analytical_report_done(answers):
    (a,) = _answer(answers, "CTOC/COP/DEC/2/3 para e", "CTOC/COP/DEC/1/5 para f")
    assert a.relation == "reportsAnswer" and "أعدته الأمانة" in a.words.text
    assert _answer(answers, "CTOC/COP/DEC/2/3 para j", "CTOC/COP/DEC/1/5 para c")


# --- quality on the hand-read gold ------------------------------------------------

@pytest.fixture(scope="module")
def records(mandates):
    from tipkg.references.mandate_quality import mandate_records
    return mandate_records(mandates.values())


@pytest.mark.parametrize("relation", ["mandate", "addressee", "action", "due"])
def test_dev_floors(records, relation):
    from tipkg.references.mandate_quality import scores
    s = scores("dev", records)[relation]
    assert s.precision >= 0.98 and s.recall >= 0.95, s


@pytest.mark.parametrize("relation", ["mandate", "addressee", "due"])
def test_holdout_floors(records, relation):
    from tipkg.references.mandate_quality import scores
    s = scores("holdout", records)[relation]
    assert s.precision >= 0.98 and s.recall >= 0.95, s


def test_holdout_action_as_measured(records):
    """The holdout's one action error is A/RES/61/180 para 17: "التقارير" is split by the visual-order
    extraction ("التق ة ل ” ارير"), so "continue preparing these periodic reports" reads as `other`.
    Not tuned away (it is the holdout); the floor is the measured 4/5 until the reading order is restored."""
    from tipkg.references.mandate_quality import scores
    s = scores("holdout", records)["action"]
    assert s.true_positives >= 4 and s.precision >= 0.8 and s.recall >= 0.8, s


# --- duplication flags -------------------------------------------------------------

def test_repeated_requests_across_the_conferences_decisions(structured, mandates):
    """Found, not listed by hand: every pair echoes (tip:echoes >= the reuse threshold), asks the
    same addressee for the same action, from another decision."""
    from tipkg.network.reuse import THRESHOLD, find_reuse
    from tipkg.references.mandates import find_repeats
    echoes, _ = find_reuse(structured)
    found = find_repeats(mandates.values(), echoes)
    pairs = {(r.later.paragraph, r.earlier.paragraph) for r in found}
    assert ("CTOC/COP/DEC/2/3 para q", "CTOC/COP/DEC/1/5 para f") in pairs  # the analytical report, asked twice
    assert ("CTOC/COP/DEC/2/3 para n", "CTOC/COP/DEC/1/5 para c") in pairs  # the questionnaire, asked twice
    assert ("CTOC/COP/RES/5/2 para 17", "CTOC/COP/DEC/4/4 para r") in pairs  # assist the Working Group
    for r in found:
        assert r.score >= THRESHOLD and r.later.action == r.earlier.action and r.later.document != r.earlier.document



# --- review and end clauses ----------------------------------------------------------

@pytest.mark.parametrize("example", T["review"]["examples"])
def test_review_examples_match(example):
    from tipkg.references.mandates import _compiled
    assert _compiled("review").search(_quote(example))


@pytest.mark.parametrize("example", T["review"]["counter_examples"])
def test_a_bare_hatta_is_no_end(example):
    from tipkg.references.mandates import _compiled
    assert not _compiled("review").search(_quote(example))


def test_a_review_set_by_another_paragraph_of_the_same_decision(mandates):
    """4/4 (t) "قرّر أن يستعرض فعالية الفريق العامل ومستقبله" provides for the review of 4/4's mandates to
    the Working Group, not of its mandates to the Secretariat."""
    for p in ("CTOC/COP/DEC/4/4 para o", "CTOC/COP/DEC/4/4 para p", "CTOC/COP/DEC/4/4 para s"):
        assert mandates[p].review_paragraph == "CTOC/COP/DEC/4/4 para t" and "يستعرض" in mandates[p].review.text
    assert mandates["CTOC/COP/DEC/4/4 para r"].review is None
    assert mandates["CTOC/COP/RES/5/2 para 14"].review_paragraph == "CTOC/COP/RES/5/2 para 15"
    assert mandates["CTOC/COP/RES/5/2 para 15"].review_paragraph is None  # its own words
    assert sum(m.review is not None for m in mandates.values()) == 5


def test_words_at_quotes_the_file_where_the_search_form_matched(structured):
    """Every "الأمانة" (the Secretariat) found in a paragraph's search form is quoted as the file prints it,
    inside the paragraph: in the logical-order sources and in the visual-order ones (000: the draft 4/4),
    whose working text is put back in reading order."""
    secretariat = re.compile(search_form("الأمانة"))
    quoted = {True: 0, False: 0}
    for item in structured:
        for d in item.documents:
            for p in d.paragraphs:
                for hit in secretariat.finditer(search_form(p.normalized or p.text)):
                    words = words_at(item.source, p)(hit.start(), hit.end())
                    assert words.text == "الأمانة" == item.source.text[words.span.start:words.span.end], p.identifier
                    assert words.source_file == item.source.file
                    assert p.span.start <= words.span.start < words.span.end <= p.span.end
                    quoted[is_visual_source(item.source.text)] += 1
    assert quoted[True] >= 4 and quoted[False] >= 50


def test_the_latest_mandate_to_the_secretariat_is_the_one_a_walk_back_finds(mandates):
    """``_Mandates.latest_to_secretariat`` (a bisection over the mandates sorted by year) gives what walking
    ``to_secretariat[action]`` back from its end gives (what ``_evidenced`` did: quadratic in the corpus), for
    the bundled corpus's mandates, copies of them made by other documents and dated later (as the replicated
    scale corpus's are), and every year and document a hit can have."""
    import dataclasses

    from tipkg.references.answers import _Mandates

    made = list(mandates.values())
    made += [dataclasses.replace(m, document=f"{m.document} copy", year=(m.year or 0) + 3) for m in made[::2]]
    made += [dataclasses.replace(m, year=None) for m in made[1::7]]
    index = _Mandates(made, {})
    documents = sorted({m.document for m in made}) + ["elsewhere"]
    years = sorted({m.year or 0 for m in made}) + [-1, 9999]
    asked = found = 0
    for action, listed in index.to_secretariat.items():
        for document in documents:
            for year in years:
                walked = next((m for m in reversed(listed) if m.document != document and (m.year or 0) <= year), None)
                assert index.latest_to_secretariat(action, document, year) is walked
                asked += 1
                found += walked is not None
    assert asked > 500 and 0 < found < asked
