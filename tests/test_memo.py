"""The global pass's lines kept by group (``graph/memo.py``): what a group gives is what its records make,
whether made or read back, and an entry that is short or altered is made again, never merged."""

from __future__ import annotations

import pytest
from tipkg.graph import memo
from tipkg.graph.memo import LineStore, add_grouped
from tipkg.graph.streams import SpilledTriples
from tipkg.network.reuse import Attestation, Echo, add_echoes


def _lines(group):
    return [f'<http://x/{r}> <http://x/p> "{r}" .'.encode() for r in group]


def _graph(tmp_path, name: str) -> SpilledTriples:
    graph = SpilledTriples({}, tmp_path / name)
    graph.memo = tmp_path / "cache"
    return graph


def test_groups_read_back_give_what_making_them_gives(tmp_path):
    records = [f"r{i}" for i in range(300)]
    first = _graph(tmp_path, "a")
    assert add_grouped(first, "demo", records, group=str, lines=_lines) == memo.BUCKETS
    assert first.finish(tmp_path / "a.nt") == 300
    again = _graph(tmp_path, "b")
    assert add_grouped(again, "demo", records, group=str, lines=_lines) == 0  # every group read back
    again.finish(tmp_path / "b.nt")
    changed = _graph(tmp_path, "c")  # one record changed: its group alone is made
    assert add_grouped(changed, "demo", [*records[:-1], "other"], group=str, lines=_lines) == 2
    changed.finish(tmp_path / "c.nt")
    assert (tmp_path / "a.nt").read_bytes() == (tmp_path / "b.nt").read_bytes()
    expected = sorted(line + b"\n" for line in _lines([*records[:-1], "other"]))
    assert (tmp_path / "c.nt").read_bytes() == b"".join(expected)


@pytest.mark.parametrize("damage", ["cut", "altered", "sum"])
def test_a_damaged_entry_is_made_again(tmp_path, damage):
    store = LineStore(tmp_path, "demo")
    path = store.put("ab" * 32, _lines(["x", "y"]))
    assert store.get("ab" * 32) == path
    good = path.read_bytes()
    if damage == "cut":
        path.write_bytes(good[:-5])
    elif damage == "altered":
        path.write_bytes(good.replace(b"x", b"z"))
    else:
        store.paths("ab" * 32)[1].write_bytes(b"TIPKG-LINES 1\n" + b"0" * 64)
    assert store.get("ab" * 32) is None
    graph = _graph(tmp_path, "g")
    graph.memo = tmp_path
    add_grouped(graph, "demo", ["x", "y"], group=lambda r: "one", lines=_lines)
    graph.finish(tmp_path / "g.nt")
    assert (tmp_path / "g.nt").read_bytes() == good  # made again, whatever the damaged entry held


def test_the_base_iri_keys_the_groups(tmp_path):
    """Echo lines hold minted IRIs: a build with another base must not read the first one's groups."""
    echoes = [Echo("A/RES/1/1 para 1", "A/RES/0/1 para 1", 0.5, "A/RES/1/1", "A/RES/0/1")]
    attested = [Attestation("A/RES/1/1", "b.txt", "a.txt", 3, 0.9, 0.8, "A/RES/1/1 para 2")]
    outputs = []
    for name, base in (("one", "https://one.example/"), ("two", "https://two.example/")):
        graph = _graph(tmp_path, name)
        add_echoes(graph, echoes, attested, base)
        graph.finish(tmp_path / f"{name}.nt")
        outputs.append((tmp_path / f"{name}.nt").read_text())
    assert "one.example" in outputs[0] and "one.example" not in outputs[1] and "two.example" in outputs[1]


def test_without_a_memo_folder_the_lines_are_added(tmp_path):
    """A plain TripleSet (``build(out_dir=None)``) gets the same triples, nothing written."""
    from tipkg.graph.triples import TripleSet

    plain, spilled = TripleSet(), _graph(tmp_path, "s")
    for graph in (plain, spilled):
        add_grouped(graph, "demo", ["p", "q"], group=str, lines=_lines)
    spilled.finish(tmp_path / "s.nt")
    assert plain.ntriples() == (tmp_path / "s.nt").read_bytes()


def _tables_state(t) -> tuple:
    return (t.types, t.labels, t.single, t.edges)


def test_gist_tables_of_parts_merge_into_those_of_the_whole_graph(tmp_path):
    """Each part's gist tables are made in the pool (``graph.gists.Tables``, cached with the part) and
    merged in the parent: on the real corpus's graph.nt cut into pieces (by line, so one node's values
    fall in several pieces) and merged in either order, they are the tables of the whole file."""
    from tipkg.graph.gists import Tables
    from tipkg.pipeline import build

    build(None, tmp_path / "out", cache=None, check=False)
    lines = (tmp_path / "out" / "graph.nt").read_bytes().splitlines(keepends=True)
    whole = Tables.of(b"".join(lines))
    assert len(whole.types) > 900 and whole.labels and all(whole.single.values()) and whole.edges
    assert not any('Citation' in kinds for kinds in whole.types.values())  # never read by a gist: not kept
    pieces = [Tables.of(b"".join(lines[i::7])) for i in range(7)]  # every 7th line: values of a node scattered
    for order in (pieces, pieces[::-1]):
        merged = Tables()
        for piece in order:
            merged.merge(piece)
        assert _tables_state(merged) == _tables_state(whole)


def test_the_parents_gists_read_no_part_twice_and_miss_none(tmp_path):
    """With the parts' tables known, ``where(…, known=True)`` leaves out exactly the parts' streams and the
    contested texts: the gists are those of reading every line (the bundled graph: byte-identical to main,
    checked by ``cmp`` in the report; here: the gists of a build equal those of its graph.nt read whole)."""
    from tipkg.graph.gists import _READ
    from tipkg.pipeline import build

    result = build(None, tmp_path / "out", cache=tmp_path / "cache", check=False)
    nt = (tmp_path / "out" / "graph.nt").read_bytes()
    gists = sorted(line for line in nt.splitlines() if b"<https://w3id.org/tipkg/ontology#gist>" in line)
    assert len(gists) > 500
    graph = SpilledTriples({}, tmp_path / "again")  # the gists again from the lines they read, whole
    graph.add_lines(line for line in nt.splitlines() if _READ.fullmatch(b"\n" + line))
    from tipkg.graph.gists import add_gists

    add_gists(graph, None)
    graph.finish(tmp_path / "again.nt")
    again = sorted(line for line in (tmp_path / "again.nt").read_bytes().splitlines()
                   if b"<https://w3id.org/tipkg/ontology#gist>" in line)
    assert again == gists
    assert result.parts > 0  # the parts were computed by this build, with their tables


def test_a_triple_added_as_a_term_and_as_a_line_is_one_triple():
    """Regression: ``TripleSet.add_lines`` kept the quads ``ox.parse`` gives, so the actors a mandate names
    (added as lines by its group, graph/memo.py) and the same actors a reference names (added as terms)
    were two members of the set: ``build(out_dir=None)`` gave 38,646 lines for the bundled corpus's
    38,598 triples (``test_parts``'s single-pass comparison caught it)."""
    from rdflib import URIRef

    from tipkg.graph.triples import TripleSet, literal

    graph = TripleSet()
    graph.add((URIRef("https://w3id.org/tipkg/id/actor/conference"), URIRef("http://purl.org/dc/terms/identifier"),
               literal("actor:conference")))
    graph.add_lines([b'<https://w3id.org/tipkg/id/actor/conference> <http://purl.org/dc/terms/identifier> '
                     b'"actor:conference" .'])
    assert len(graph) == 1 and graph.ntriples().count(b"\n") == 1


def test_a_parts_damaged_gist_tables_are_read_from_its_lines(tmp_path):
    """A part's gist tables are a cache file of their own (read one part at a time); one that is cut or
    gone is made again from the part's lines, so the gists, whose parent leaves those lines out, are
    the same."""
    from tipkg.pipeline import build

    cache = tmp_path / "cache"
    build(None, tmp_path / "one", cache=cache, check=False)
    tables = sorted((cache / "parts").rglob("*.gists"))
    assert len(tables) >= 5
    biggest = max(tables, key=lambda p: p.stat().st_size)
    biggest.write_bytes(biggest.read_bytes()[:-100])
    tables[0].unlink() if tables[0] != biggest else tables[1].unlink()
    build(None, tmp_path / "two", cache=cache, check=False)
    assert (tmp_path / "one" / "graph.nt").read_bytes() == (tmp_path / "two" / "graph.nt").read_bytes()


def test_a_group_past_its_run_size_is_sorted_on_disk_to_the_same_bytes(built_out, tmp_path, monkeypatch):
    """``LineStore.put`` holds at most ``RUN_LINES`` distinct lines: past them it writes sorted runs and
    merges them as the file is written. On the real graph's lines (shuffled, every line given twice so
    repeats fall in different runs) the file and its sum are those of sorting all at once, and the
    runs' scratch folder is gone."""
    import random
    import tempfile

    from tipkg.cache_entries import file_digest

    lines = (built_out / "graph.nt").read_bytes().splitlines()[:20_000]
    given = lines + lines[::3] + [b""]
    random.Random(7).shuffle(given)
    whole = LineStore(tmp_path / "whole", "demo").put("k" * 64, iter(given))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    monkeypatch.setattr(memo, "RUN_LINES", 1_000)  # 20 runs and more
    store = LineStore(tmp_path / "runs", "demo")
    in_runs = store.put("k" * 64, iter(given))
    assert in_runs.read_bytes() == whole.read_bytes() == b"\n".join(sorted(set(lines))) + b"\n"
    assert store.get("k" * 64) == in_runs and file_digest(in_runs) == file_digest(whole)
    assert not list((tmp_path / "scratch").iterdir())  # the runs removed
