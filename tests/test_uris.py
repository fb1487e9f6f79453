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
