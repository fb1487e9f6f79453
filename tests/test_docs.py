"""The documentation that travels with the code stays true to the tables it describes."""

from __future__ import annotations

import re
from pathlib import Path

from tipkg.ontology.files import ontology_file
from tipkg.ontology.instruments import INSTRUMENTS_MD, instruments_markdown
from tipkg.tables import load


def test_committed_instrument_table_is_current():
    assert INSTRUMENTS_MD.read_text(encoding="utf-8") == instruments_markdown(), (
        "ontology/instruments.md is stale: run `tipkg ontology-doc`")


def test_instrument_table_has_every_code_with_both_titles():
    rows = {m[0]: m for m in re.findall(r"^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$",
                                          instruments_markdown(), flags=re.M)}
    table = load("instruments")["instrument"]
    assert set(rows) == {r["identifier"] for r in table}
    for r in table:
        _, en, ar, _source = rows[r["identifier"]]
        assert en.strip() == r["label_en"] and ar.strip() == r["label_ar"]
        assert re.search("[\u0600-\u06ff]", ar) and not re.search("[\u0600-\u06ff]", en)
    assert "`A/RES/55/25`, annex II; UNTS vol. 2237, No. 39574" in rows["TIPP"][3]


def test_identifier_grammar_names_every_instrument_code():
    grammar = ontology_file("identifiers.md").read_text(encoding="utf-8")
    missing = [r["identifier"] for r in load("instruments")["instrument"] if f"`{r['identifier']}`" not in grammar]
    assert not missing, f"ontology/identifiers.md does not name {missing}"
    assert "../shared" not in grammar


def test_readme_links_the_docs_and_nothing_outside_the_repository():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)\)", readme)
    assert "ontology/identifiers.md" in links and "ontology/instruments.md" in links
    outside = [x for x in links if x.startswith("..") or x.startswith("/")]
    assert not outside, f"README links outside the repository: {outside}"
