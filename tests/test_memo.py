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
