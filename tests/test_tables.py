"""The pattern tables as data (tipkg/tables): each has a JSON Schema that it
validates against (tipkg/tables/schemas/, in the manner of reporters-db), and
the tables that quote the corpus by place are checked against it: the words
are on that line, and the code reads them as the table says — both ways.
"""

from __future__ import annotations

import json
import re
import tomllib
from importlib import resources
from typing import get_args

import jsonschema
import pytest

from tipkg.model import DocumentKind
from tipkg.normalize import is_visual_source, normalize
from tipkg.references.citations import CitationContext, find_citations
from tipkg.tables import load, meeting_reports, meetings_by_date, reports_by_year

TABLES = resources.files("tipkg.tables")
NAMES = sorted(p.name[:-5] for p in TABLES.iterdir() if p.name.endswith(".toml"))
SCHEMAS = sorted(p.name[:-12] for p in TABLES.joinpath("schemas").iterdir() if p.name.endswith(".schema.json"))


def schema(name: str) -> dict:
    return json.loads(TABLES.joinpath("schemas", f"{name}.schema.json").read_text(encoding="utf-8"))


def test_every_table_has_a_schema_and_every_schema_a_table():
    assert NAMES == SCHEMAS


@pytest.mark.parametrize("name", NAMES)
def test_table_conforms_to_its_schema(name):
    s = schema(name)
    jsonschema.Draft202012Validator.check_schema(s)
    data = tomllib.loads(TABLES.joinpath(f"{name}.toml").read_text(encoding="utf-8"))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in jsonschema.Draft202012Validator(s).iter_errors(data)]
    assert errors == [], f"{name}.toml does not match tipkg/tables/schemas/{name}.schema.json: fix the table, or the schema"
    # a schema that lets any section in would check nothing: unknown keys are refused
    assert s.get("additionalProperties") is False, name


def test_a_misspelt_key_is_refused():
    """The schemas bite: one wrong key name in a copy of a table fails it."""
    data = load("meetings")
    broken = {"meeting": [{**data["meeting"][0], "reprot": "CTOC/COP/WG.4/2009/2"}]}
    assert list(jsonschema.Draft202012Validator(schema("meetings")).iter_errors(broken))


def test_example_context_kinds_are_the_models():
    kinds = {row["document_kind"] for row in load("citations")["example_context"].values()}
    assert kinds <= set(get_args(DocumentKind))


# --- examples quoted by place -------------------------------------------------------------------

def line_of(sources, place: str) -> tuple[str, str]:
    """("003 line 70") -> (the source's text, that line)."""
    prefix, line = re.fullmatch(r"(\d{3}) line (\d+)", place).groups()
    (source,) = [s for s in sources.values() if s.file.startswith(prefix + "_")]
    return source.text, source.text.split("\n")[int(line) - 1]


def meeting_examples():
    for m in load("meetings")["meeting"]:
        for i, example in enumerate(m["example"]):
            yield pytest.param(m, example, id=f"meeting-{m['number']}-{i}")


@pytest.mark.parametrize("meeting, example", list(meeting_examples()))
def test_meeting_example_is_on_its_line_and_shows_what_it_says(sources, meeting, example):
    _, line = line_of(sources, example["place"])
    assert example["text"] in line
    words = normalize(example["text"]).text
    if example["shows"] == "report":
        assert meeting["report"] in words
    elif example["shows"] == "year":
        assert meeting["opened"][:4] in words
    else:  # the opening day, as the heading or the agenda prints it
        year, month, day = (int(x) for x in meeting["opened"].split("-"))
        assert str(year) in words and re.search(rf"(?<!\d){day}(?!\d)", words), words


def test_meetings_as_the_compendium_reads_them(structured):
    """Both ways: the compendium's meeting headings give the table's numbers and days, and
    the report of each meeting is the one the table names (none for meeting 3)."""
    (compendium,) = [item for item in structured if item.source.kind == "compendium"]
    assert {m.number: m.date for m in compendium.meetings} == {n: d for d, n in meetings_by_date().items()}
    assert {str(m.number): m.report for m in compendium.meetings if m.report} == meeting_reports()


def test_a_report_is_named_by_a_year_with_one_meeting_only():
    assert reports_by_year() == {"2009": "CTOC/COP/WG.4/2009/2", "2011": "CTOC/COP/WG.4/2011/8",
                                 "2013": "CTOC/COP/WG.4/2013/5", "2015": "CTOC/COP/WG.4/2015/6",
                                 "2017": "CTOC/COP/WG.4/2017/4", "2018": "CTOC/COP/WG.4/2018/3",
                                 "2019": "CTOC/COP/WG.4/2019/6"}
    said = "بناء على التوصيات الواردة في الفقرة 19 من تقرير اجتماع الفريق العامل لعام {}، ينبغي"
    found, seen = find_citations(said.format(2009), CitationContext(year=2010))
    assert [c.target for c in found] == ["CTOC/COP/WG.4/2009/2 para 19"] and not seen
    found, seen = find_citations(said.format(2010), CitationContext(year=2011))  # meetings 2 and 3 met in 2010
    assert found == [] and [s.kind for s in seen] == ["report-paragraph"]


def session_examples():
    for body, section in load("sessions").items():
        for i, example in enumerate(section.get("example", [])):
            yield pytest.param(example, id=f"{body}-{i}")


@pytest.mark.parametrize("example", list(session_examples()))
def test_session_example_is_on_its_line_and_resolves(sources, example):
    text, line = line_of(sources, example["place"])
    assert example["text"] in line
    context = {**load("citations")["example_context"][example["place"][:3]], "year": example["year"]}
    assert context["visual"] == is_visual_source(text)
    working = normalize(example["text"], visual=context["visual"]).text
    found, _ = find_citations(working, CitationContext(**context, footnote=example.get("footnote", False)))
    assert {c.target for c in found if c.target_kind != "instrument"} == set(example["expect"])
