"""The gists' facts on disk (``graph.gist_facts``): read back a node at a time, they are the tables of the
whole graph, whatever pieces they were written in and in whatever order."""

from __future__ import annotations

from tipkg.graph.gist_facts import CACHED, EDGES, IDENTIFIER, LABELS, TYPES, Column, FactStore
from tipkg.graph.gists import _PART_CLASSES, _SINGLE, Tables


def test_the_store_merges_pieces_of_the_real_graph_as_the_tables_of_the_whole(built_out, tmp_path):
    lines = (built_out / "graph.nt").read_bytes().splitlines(keepends=True)
    whole = Tables.of(b"".join(lines))
    nodes = set(whole.types).union(whole.labels, whole.edges, *whole.single.values())
    assert len(nodes) > 900
    paragraphs = sorted(s for s, kinds in whole.types.items()
                        if kinds & set(_PART_CLASSES) and s in whole.single["identifier"])
    assert len(paragraphs) > 500
    pieces = [Tables.of(b"".join(lines[i::7])) for i in range(7)]  # a node's values scattered over pieces
    merged_somewhere = 0
    for n, order in enumerate((pieces, pieces[::-1])):
        store = FactStore(tmp_path / f"store{n}", frozenset(_PART_CLASSES))
        for piece in order:
            store.add(piece)
        store.seal()
        assert list(store.paragraphs()) == paragraphs
        for s in sorted(nodes):
            record = store.record(s)
            assert record[TYPES] == whole.types.get(s)
            assert record[LABELS] == whole.labels.get(s)
            assert record[EDGES] == whole.edges.get(s)
            assert record[IDENTIFIER:EDGES] == tuple(
                None if (v := whole.single[name].get(s)) is None else v[2] for name in _SINGLE)
            merged_somewhere += store.db.execute("SELECT count(*) FROM facts WHERE node = ?", (s,)).fetchone()[0] > 1
        assert store.record.cache_info().currsize <= CACHED  # bounded, however many nodes were read
        identifiers = Column(store, IDENTIFIER)
        assert paragraphs[0] in identifiers and identifiers[paragraphs[0]] == whole.single["identifier"][paragraphs[0]][2]
        assert "https://w3id.org/tipkg/id/no-such-node" not in identifiers
        assert identifiers.get("https://w3id.org/tipkg/id/no-such-node", "x") == "x"
        store.close()
        assert not store.path.exists()
    assert merged_somewhere > 1000  # the merge was exercised, not only nodes of one row
