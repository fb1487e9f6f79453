"""No silent empty answers from `tipkg query` (issue 13).

Each case of the issue returned zero rows with exit 0: a parameter of the wrong
type, an identifier given as a label, an IRI or a value that does not exist, a
named graph on a remote store. Here each ends in an answer (the value resolved
to what the user meant, said on stderr) or in one line naming the parameter,
the value and the closest existing values, exit 2. Also: --values, prefixes
for user queries, one-line syntax errors, "did you mean", paging, and the
example answers of the catalog headers checked against the real build.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from test_queries import CATALOG, ask, run_cli
from tipkg.commands.publish import DEFAULT_GRAPH
from tipkg.ontology.files import ontology_graph
from tipkg.queries.params import CLASSES, KINDS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(corpus_build):
    """(out folder, BuildResult) of the session build."""
    return corpus_build.out, corpus_build.result


def query(capsys, built, *argv):
    return run_cli(capsys, "query", *argv, "--out", str(built[0]))


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# --- the silent cases of the issue --------------------------------------------------------------

def test_an_integer_parameter_refuses_a_word(built, capsys):
    code, out, err = query(capsys, built, "topics-together", "--param", "minimum=abc")
    assert code == 2 and out == ""
    line = one_line(err)
    assert "'minimum'" in line and "'abc'" in line and "not an integer" in line


@pytest.mark.parametrize("value, identifier", [
    ("UNODC", "actor:unodc"),                                  # the last part of the identifier, any case
    ("United Nations Office on Drugs and Crime", "actor:unodc"),  # the English label
    ("الأمانة", "actor:secretariat"),                            # the Arabic label
    ("https://w3id.org/tipkg/id/actor/secretariat", "actor:secretariat"),  # the IRI
])
def test_an_actor_is_named_by_label_iri_or_identifier(built, capsys, value, identifier):
    _, expected, _ = query(capsys, built, "requests-to-actor", "--param", f"actor={identifier}", "--format", "csv")
    code, out, err = query(capsys, built, "requests-to-actor", "--param", f"actor={value}", "--format", "csv")
    assert code == 0 and f"is {identifier}" in err
    assert len(out.splitlines()) > 1 and out == expected


def test_a_topic_by_its_heading_and_a_document_by_its_iri(built, capsys):
    code, out, err = query(capsys, built, "topic-paragraphs", "--param", "topic=Children", "--format", "csv")
    assert code == 0 and "is topic:children" in err and len(out.splitlines()) > 5
    code, out, err = query(capsys, built, "document-paragraphs", "--param",
                           "document=https://w3id.org/tipkg/id/A/RES/61/180", "--format", "csv")
    assert code == 0 and "is A/RES/61/180" in err and "A/RES/61/180 pp 1" in out


def test_an_unknown_document_names_the_closest(built, capsys):
    code, out, err = query(capsys, built, "document-paragraphs", "--param", "document=A/RES/99/999")
    line = one_line(err)
    assert code == 2 and out == ""
    assert "'document'" in line and "'A/RES/99/999'" in line and "closest: A/RES/" in line


def test_an_ambiguous_value_lists_its_candidates(built, capsys):
    code, _, err = query(capsys, built, "paragraphs-citing-article", "--param", "article=art 9")
    line = one_line(err)
    assert code == 2 and "TIPP art 9" in line and "TIPP art 9(5)" in line


def test_an_empty_answer_for_an_existing_value_says_so(built, capsys):
    code, out, err = query(capsys, built, "requests-to-actor", "--param", "actor=actor:states")
    assert code == 0 and "(0 rows)" in out and "no rows" in err and "actor:states" in err


def test_every_catalog_parameter_has_a_kind():
    for name, q in CATALOG.items():
        for parameter in q.parameters:
            if parameter not in ("class", "kind", "property"):  # enumerations inside the query, not inputs
                assert parameter in KINDS, (name, parameter)


def test_the_kinds_cover_every_subclass_in_the_ontology():
    g = ontology_graph()
    tip = rdflib.Namespace("https://w3id.org/tipkg/ontology#")
    for kind, root in (("document", tip.Document), ("paragraph", tip.Paragraph), ("article", tip.Article)):
        subclasses = {str(c).split("#")[1] for c in g.transitive_subjects(rdflib.RDFS.subClassOf, root)}
        assert subclasses <= set(CLASSES[kind]), (kind, subclasses - set(CLASSES[kind]))


# --- what exists, prefixes, syntax, names, pages -----------------------------------------------

def test_values_lists_the_actors_with_both_labels(built, capsys):
    code, out, _ = query(capsys, built, "--values", "actor", "--format", "tsv")
    rows = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and rows[0] == ["identifier", "label_en", "label_ar"]
    assert ["actor:secretariat", "Secretariat", "الأمانة"] in rows
    code, out, _ = query(capsys, built, "--values", "document", "--format", "tsv")
    assert "A/RES/61/180\t" in out and "CTOC/COP/DEC/4/4 draft\t" in out


def test_a_relation_is_checked_against_the_relations_of_the_graph(built, capsys):
    """The relation kind once crashed sorting its nodes (found by benchmarks/bench_first_page.py)."""
    code, out, _ = query(capsys, built, "--values", "relation", "--format", "tsv")
    assert code == 0 and "\nrequests\t" in out and "\nrecommendsRequest\t" in out
    code, out, err = query(capsys, built, "edge-source-text", "--param", "relation=citesArticel")
    assert code == 2 and "closest: citesArticle" in one_line(err)


def test_a_user_query_gets_the_catalog_prefixes(built, capsys, tmp_path):
    q = tmp_path / "mine.rq"
    q.write_text("# who requests the Secretariat\nSELECT ?id WHERE {\n  ?p tip:requests ?a ; dcterms:identifier ?id .\n"
                 "  ?a dcterms:identifier \"actor:secretariat\" }\n", encoding="utf-8")
    code, out, err = query(capsys, built, str(q), "--format", "csv")
    assert code == 0 and "CTOC/COP/DEC/1/5 para c" in out, err


def test_a_syntax_error_is_one_line_with_line_column_and_token(built, capsys, tmp_path):
    q = tmp_path / "bad.rq"
    q.write_text("SELECT ?p WHERE {\n  ?p foo:bar ?v .\n}\n", encoding="utf-8")
    code, _, err = query(capsys, built, str(q))
    line = one_line(err)
    assert code == 2 and "line 2, column" in line and "undeclared prefix foo:" in line and "'foo:bar'" in line


def test_a_misspelt_query_name_gets_did_you_mean(built, capsys):
    code, _, err = query(capsys, built, "documents-overviw")
    assert code == 2 and "did you mean documents-overview" in one_line(err)


def test_pages_follow_each_other(built, capsys):
    _, whole, _ = query(capsys, built, "topic-paragraphs", "--format", "csv")
    rows = whole.splitlines()[1:]
    code, first, err = query(capsys, built, "topic-paragraphs", "--format", "csv", "--limit", "5")
    assert code == 0 and first.splitlines()[1:] == rows[:5] and "--offset 5" in err
    _, second, _ = query(capsys, built, "topic-paragraphs", "--format", "csv", "--limit", "5", "--offset", "5")
    assert second.splitlines()[1:] == rows[5:10]


# --- the catalog's example answers --------------------------------------------------------------

def _cell(value: str) -> str:
    value = value.replace("\n", " ")
    return value if len(value) <= 40 else value[:39] + "…"


def example(q) -> tuple[int | None, list[list[str]]]:
    """The row count and rows a header's 'Example answer' states."""
    lines = q.header
    start = next(i for i, l in enumerate(lines) if l.startswith("Example answer"))
    count, rows = None, []
    for line in lines[start + 1:]:
        if not line.strip() or line.startswith("Teaches"):
            break
        m = re.match(r"\s*(\d+) rows?\b", line)
        if m and count is None:
            count = int(m[1])
        elif " | " in line:
            rows.append([c.strip() for c in line.lstrip().split(" | ")])
    return count, rows


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_the_header_example_is_the_answer(store, name):
    count, rows = example(CATALOG[name])
    assert rows, f"{name}: the header shows no example rows ('a | b | c' lines)"
    answer = [[_cell(v) for v in row] for row in ask(store, name)]
    if count is not None:
        assert len(answer) == count, name
    assert [r[:len(rows[0])] for r in answer[:len(rows)]] == rows, name


def test_no_header_speaks_of_an_extractor_still_to_land():
    for name, q in CATALOG.items():
        assert not re.search(r"\blands?\b", "\n".join(q.header)), name


# --- a remote store whose data sits in a named graph --------------------------------------------

def test_named_graph_data_is_found_on_a_real_oxigraph_server(built, oxigraph_server, capsys):
    out = str(built[0])
    code, _, err = run_cli(capsys, "publish", "--out", out, "--store", oxigraph_server + "/store")
    assert code == 0, err
    endpoint = oxigraph_server + "/query"
    code, text, err = run_cli(capsys, "query", "topics-together", "--endpoint", endpoint, "--format", "csv")
    assert code == 0 and f"<{DEFAULT_GRAPH}>" in err and len(text.splitlines()) > 100
    code, text, err = run_cli(capsys, "query", "requests-to-actor", "--param", "actor=UNODC",
                              "--endpoint", endpoint, "--format", "csv")
    assert code == 0 and "A/RES/61/180 para 17" in text
    code, text, err = run_cli(capsys, "query", "topics-together", "--endpoint", endpoint, "--graph",
                              "https://example.org/empty")
    line = one_line(err)
    assert code == 2 and text == "" and "https://example.org/empty" in line and DEFAULT_GRAPH in line


# --- analyze | head ---------------------------------------------------------------------------

def test_analyze_into_a_closed_pipe_keeps_its_export(built, tmp_path):
    export = tmp_path / "net.graphml"
    cmd = [sys.executable, "-m", "tipkg", "analyze", "--graph", str(built[0] / "graph.nt"), "--top", "0",
           "--export", str(export)]
    proc = subprocess.run(" ".join(f"'{c}'" for c in cmd) + " | head -1", shell=True, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert export.stat().st_size > 1000


def test_analyze_prints_counts_as_integers(built, capsys):
    code, out, _ = run_cli(capsys, "analyze", "--graph", str(built[0] / "graph.nt"), "--top", "5", "--format", "csv")
    rows = list(csv.DictReader(out.splitlines()))
    assert code == 0 and rows and all(re.fullmatch(r"\d+", r["citations"]) for r in rows), rows
    code, out, _ = run_cli(capsys, "analyze", "--graph", str(built[0] / "graph.nt"), "--top", "3")
    assert code == 0 and ".0000" not in out.splitlines()[2]
