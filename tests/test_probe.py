"""The values of a query's parameter a delta can change (queries/probe.py), checked against the answers.

On the bundled graph, deltas of real lines — removed, added, or changed in
their object — are applied to a copy; for each catalog query of every actor or
topic, each value's rows (the free query's rows split by value) are compared on
the graph before and after: every value whose rows differ must be among the
values the probes found. Queries of a shape probes cannot decide (NOT EXISTS,
a path over a changed predicate) give None, never a short answer.
"""

from __future__ import annotations

import random

import pyoxigraph
import pytest

from tipkg.queries import precomputed as P
from tipkg.queries.catalog import catalog
from tipkg.queries.probe import Shape
from tipkg.queries.reads import Changed

TIP = "https://w3id.org/tipkg/ontology#"
#: predicates the catalog's queries of every value read, the ones a delta is drawn from
PREDICATES = [f"<{TIP}gist>", f"<{TIP}indexedUnder>", "<http://purl.org/dc/terms/identifier>", f"<{TIP}requests>",
              f"<{TIP}inDocument>", "<http://www.w3.org/2004/02/skos/core#broader>", f"<{TIP}addressee>",
              f"<{TIP}searchText>", "<http://www.w3.org/2004/02/skos/core#prefLabel>"]


@pytest.fixture(scope="module")
def lines(built_out) -> list[bytes]:
    return (built_out / "graph.nt").read_bytes().splitlines(keepends=True)


def _store(lines) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(b"".join(lines), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def _split(store, text: str) -> dict[str, list]:
    groups: dict[str, list] = {}
    for row in store.query(text):
        if row[0] is not None:
            groups.setdefault(row[0].value, []).append(tuple(str(t) for t in list(row)[1:]))
    return {value: sorted(rows) for value, rows in groups.items()}


def _delta(lines: list[bytes], seed: int, tmp_path) -> tuple[list[bytes], Changed]:
    """A random delta of lines of PREDICATES: some removed, some with another object (a changed gist, a
    paragraph filed under another topic, an identifier renamed), some subjects' lines copied to another."""
    rng = random.Random(seed)
    chosen = [line for line in lines if any(f" {p} ".encode() in line for p in PREDICATES)]
    removed = set(rng.sample(chosen, 6))
    objects = [line.split(b" ", 2)[2] for line in chosen]
    added = set()
    for line in rng.sample(chosen, 6):
        s, p, _ = line.split(b" ", 2)
        added.add(b" ".join([s, p, rng.choice(objects)]))
        removed.add(line)
    added -= set(lines)
    removed &= set(lines)
    after = sorted((set(lines) - removed) | added)
    (tmp_path / "removed.nt").write_bytes(b"".join(sorted(removed)))
    (tmp_path / "added.nt").write_bytes(b"".join(sorted(added)))
    return after, Changed(tmp_path / "removed.nt", tmp_path / "added.nt")


def _every_value_queries():
    for name, query in sorted(catalog().items()):
        if (parameter := P.every_value(query)) is not None:
            yield name, query, parameter


def test_the_catalog_shapes_probes_decide():
    shapes = {name: Shape.of(P.free_text(query, parameter), parameter) for name, query, parameter in
              _every_value_queries()}
    # a topic's paragraphs (a path over skos:broader, an OPTIONAL gist) and an actor's requests (three
    # OPTIONALs along the top, a BIND between them) are decided; NOT EXISTS is not
    assert shapes["topic-paragraphs"] is not None and len(shapes["topic-paragraphs"].optional) == 1
    assert shapes["requests-to-actor"] is not None and len(shapes["requests-to-actor"].optional) == 3
    assert shapes["open-mandates-by-addressee"] is None


@pytest.mark.parametrize("seed", range(6))
def test_every_value_whose_rows_change_is_found(lines, seed, tmp_path):
    after, changed = _delta(lines, seed, tmp_path)
    old, new = _store(lines), _store(after)
    decided, differed = 0, 0
    for name, query, parameter in _every_value_queries():
        text = P.free_text(query, parameter)
        shape = Shape.of(text, parameter)
        found = shape.values(changed, new, old) if shape is not None else None
        if found is None:
            continue
        decided += 1
        before, now = _split(old, text), _split(new, text)
        differ = {v for v in set(before) | set(now) if before.get(v) != now.get(v)}
        assert differ <= {term.value for term in found}, (name, seed)
        differed += len(differ)
    assert decided >= 2 and differed > 0  # the deltas drawn change some value's rows


@pytest.mark.parametrize("seed", range(4))
def test_every_searched_row_that_changes_has_a_key_found(lines, seed, tmp_path):
    """The free-text query's rows by their ORDER BY keys (document, paragraph): each key whose rows differ
    is found (its OPTIONAL prefLabel sits between required triples: read as a well-designed pattern)."""
    after, changed = _delta(lines, 100 + seed, tmp_path)
    old, new = _store(lines), _store(after)
    text = P.text_view(catalog()["search-arabic"])
    shape = Shape.of(text, "document", "paragraph")
    assert shape is not None and len(shape.optional) == 2
    found = {tuple(t.value for t in row) for row in shape.values(changed, new, old)}

    def keyed(store):
        rows: dict[tuple, list] = {}
        for row in store.query(text):
            rows.setdefault((row["document"].value, row["paragraph"].value), []).append(str(list(row)))
        return {k: sorted(v) for k, v in rows.items()}

    before, now = keyed(old), keyed(new)
    differ = {k for k in set(before) | set(now) if before.get(k) != now.get(k)}
    assert differ and differ <= found


def test_a_path_over_a_changed_predicate_is_undecided(lines, tmp_path):
    broader = next(line for line in lines if b"core#broader>" in line)
    (tmp_path / "removed.nt").write_bytes(broader)
    (tmp_path / "added.nt").write_bytes(b"")
    changed = Changed(tmp_path / "removed.nt", tmp_path / "added.nt")
    query = catalog()["topic-paragraphs"]
    shape = Shape.of(P.free_text(query, "topic"), "topic")
    store = _store(lines)
    assert shape is not None and shape.values(changed, store, store) is None


def test_one_changed_gist_finds_the_topics_of_its_paragraph(lines, tmp_path):
    """A gist of a paragraph filed under one topic: that topic and the topics above it, nothing else."""
    store = _store(lines)
    row = next(iter(store.query(
        f"SELECT ?p ?g ?id WHERE {{ ?p <{TIP}indexedUnder> ?t ; <{TIP}gist> ?g . "
        "?t <http://purl.org/dc/terms/identifier> ?id } ORDER BY ?p LIMIT 1")))
    gist = f"{row[0]} <{TIP}gist> {row[1]} .\n".encode()
    (tmp_path / "removed.nt").write_bytes(gist)
    (tmp_path / "added.nt").write_bytes(gist.replace(b'" .', b' (edited)" .'))
    changed = Changed(tmp_path / "removed.nt", tmp_path / "added.nt")
    after = sorted((set(lines) - {gist}) | {gist.replace(b'" .', b' (edited)" .')})
    query = catalog()["topic-paragraphs"]
    shape = Shape.of(P.free_text(query, "topic"), "topic")
    found = {t.value for t in shape.values(changed, _store(after), store)}
    topics = {r[0].value for r in store.query(
        f"SELECT DISTINCT ?id WHERE {{ {row[0]} <{TIP}indexedUnder> ?t . "
        "?t <http://www.w3.org/2004/02/skos/core#broader>* ?h . ?h <http://purl.org/dc/terms/identifier> ?id }")}
    assert row[2].value in found and found == topics
    assert len(found) < len(_split(store, P.free_text(query, "topic")))
