"""One function mints every URI; identifiers round-trip through it."""

import pytest

from tipkg.graph.uris import identifier_of, mint

IDENTIFIERS = ["A/RES/61/180 para 5", "A/RES/61/180 pp 4", "TIPP art 9(5)", "UNTOC art 33(2)(c)",
               "TIP-WG 1 rec 5 (b)", "CTOC/COP/DEC/4/4 para o (ii)", "CTOC/COP/DEC/4/4 draft",
               "E/CN.4/2006/62/Add.1", "E/DEC/16(LVI)", "topic:victims-confidentiality-and-privacy",
               "actor:secretariat", "source:000_34c21bad16896e20.txt", "CTOC/COP/WG.4/2010/1 item 1 (b)"]


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_round_trip(identifier):
    base = "https://example.org/id/"
    uri = mint(identifier, base)
    assert " " not in uri and str(uri).startswith(base)
    assert identifier_of(str(uri), base) == identifier


def test_distinct_identifiers_get_distinct_uris():
    assert len({mint(i) for i in IDENTIFIERS}) == len(IDENTIFIERS)


def test_base_from_environment(monkeypatch):
    monkeypatch.setenv("TIPKG_BASE_IRI", "http://localhost:8080/id")
    assert str(mint("TIPP")) == "http://localhost:8080/id/TIPP"


def test_mint_memory_is_bounded():
    """A worker minting more distinct URIs than the memo holds keeps at most MINT_MEMORY of them
    (a million were ~0.85 GB per extraction worker at ×1000), and every URI is still the right one."""
    from tipkg.graph.uris import MINT_MEMORY, _mint

    base = "https://example.org/bounded/"
    paragraphs = [f"A/RES/{60 + k // 900}/{k % 900} para {k % 37}" for k in range(MINT_MEMORY + 5000)]
    uris = [mint(p, base) for p in paragraphs]
    assert _mint.cache_info().currsize <= MINT_MEMORY < len(set(paragraphs))
    assert [identifier_of(str(u), base) for u in uris[:3] + uris[-3:]] == paragraphs[:3] + paragraphs[-3:]
    assert mint(paragraphs[0], base) == uris[0]  # dropped from the memo, minted again the same


@pytest.mark.parametrize("base", ["https://example.org/id/", "https://example.org/data#", "https://example.org/id", None])
def test_the_echoes_edge_nodes_are_the_uris_mint_gives(base, monkeypatch):
    """``echo_lines`` spells each echo's edge node from ``minted_root`` instead of minting it: the bundled
    corpus's echoes (4/4 echoes its draft) get the node ``mint`` gives their ``edge_key``, with any base, the
    environment's too."""
    from tipkg.graph.triples import nt
    from tipkg.loaders import load_structure
    from tipkg.network.reuse import echo_lines, edge_key, find_reuse
    from tipkg.sources import read_corpus

    monkeypatch.setenv("TIPKG_BASE_IRI", "https://example.org/env/")
    echoes, _ = find_reuse([load_structure(s) for s in read_corpus()])
    assert echoes
    lines = list(echo_lines(echoes, [], base))
    nodes = [line.decode().split(" ")[0] for line in lines if b"#TextReuse>" in line]
    assert nodes == [nt(mint(edge_key(e.later, "echoes", e.earlier), base)) for e in echoes]
    assert all(node.startswith("<" + (base or "https://example.org/env/").rstrip("/#")) for node in nodes)
