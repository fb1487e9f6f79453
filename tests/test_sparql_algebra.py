"""The one reader of SPARQL algebra (queries/algebra.py), on the catalog's queries and the shapes' checks."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from rdflib import Variable

from tipkg.queries.algebra import Unreadable, algebra, parse, path, predicates, sparql_path, triples, variables, walk, \
    zero_length
from tipkg.shapes import check_reads

ELI = "http://data.europa.eu/eli/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TIP = "https://w3id.org/tipkg/ontology#"
CATALOG = sorted((f.name, f.read_text(encoding="utf-8"))
                 for f in resources.files("tipkg.queries").iterdir() if f.name.endswith(".rq"))


def catalog(name: str) -> str:
    return dict(CATALOG)[name]


def patterns(text: str) -> list[tuple]:
    """Every triple pattern of the query's graph patterns (walked whole, EXISTS groups included)."""
    found: list[tuple] = []
    walk(parse(text).algebra, lambda node: found.extend(triples(node)) if node.name in ("BGP", "TriplesBlock") else True)
    return found


def test_paths_of_the_catalog_are_read_as_written():
    paths = {name: [path(p) for _, p, _ in patterns(text) if not isinstance(p, str)] for name, text in CATALOG}
    broader = ("star", ("iri", SKOS + "broader"))
    assert paths["topic-paragraphs.rq"] == [broader]
    assert zero_length(broader) and predicates(broader) == {SKOS + "broader"}
    # ``?art ^eli:is_part_of* ?target`` inside the FILTER NOT EXISTS: reached, backwards
    assert ("star", ("inv", ELI + "is_part_of")) in paths["uncited-articles.rq"]
    steps = ("seq", ("iri", TIP + "action"), ("iri", SKOS + "prefLabel"))  # tip:action/skos:prefLabel
    assert steps in paths["open-mandates-by-addressee.rq"] and not zero_length(steps)
    assert predicates(steps) == {TIP + "action", SKOS + "prefLabel"}


def test_every_path_of_the_catalog_and_the_checks_writes_back_as_itself():
    texts = [text for _, text in CATALOG] + [check.query for check in check_reads.shipped_checks()]
    paths = {path(p) for text in texts for _, p, _ in patterns(text) if not isinstance(p, str)}
    kinds = {p[0] for p in paths}
    assert {"star", "plus", "seq", "alt"} <= kinds, kinds  # the shapes' checks have the rest
    for p in paths:
        (_, again, _), = patterns(f"SELECT * WHERE {{ ?a {sparql_path(p)} ?b }}")
        assert path(again) == p


def test_walk_goes_parents_first_and_stops_where_told():
    text = catalog("uncited-articles.rq")
    everything: list[str] = []
    walk(algebra(text).algebra, lambda node: everything.append(node.name) or True)
    assert everything[:3] == ["SelectQuery", "Project", "OrderBy"] and "Builtin_NOTEXISTS" in everything
    assert everything.index("Builtin_NOTEXISTS") < everything.index("TriplesBlock")  # the group inside it
    outside: list[str] = []
    walk(algebra(text).algebra, lambda node: outside.append(node.name) or node.name != "Builtin_NOTEXISTS")
    assert "Builtin_NOTEXISTS" in outside and "TriplesBlock" not in outside
    assert [n for n in everything if n != "TriplesBlock" and n != "GroupGraphPatternSub"] == outside


def test_variables_are_those_the_query_names():
    for name, text in CATALOG:
        if "EXISTS" in text:
            continue  # rdflib keeps only part of an EXISTS group in the algebra
        named = set(re.findall(r"[?$](\w+)", re.sub(r"#.*", "", text)))
        found = {str(v) for v in variables(algebra(text).algebra)}
        assert {v for v in found if not v.startswith("__agg_")} == named, name


def test_a_variable_predicate_steps_over_any_predicate():
    assert path(Variable("value")) == ("any",) and not zero_length(("any",))
    with pytest.raises(Unreadable):
        predicates(path(Variable("value")))


def test_algebra_parses_a_text_once():
    text = catalog("topic-paragraphs.rq")
    assert algebra(text) is algebra(text) and parse(text) is not algebra(text)
