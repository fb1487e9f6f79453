"""The table of instrument codes (``ontology/instruments.md``), generated from ``tipkg/tables/instruments.toml``.

A code such as ``TIPP`` or ``SC-1956`` is what a reader meets first, in every
article identifier (``TIPP art 9(5)``); this page says what each stands for,
in English and Arabic, and where the instrument comes from. It is written from
the same table the extractors compile, so it cannot drift: a test fails when
the committed page differs from what this module writes.
"""

from __future__ import annotations

from pathlib import Path

from tipkg.tables import load

from .files import ontology_file

INSTRUMENTS_MD = ontology_file("instruments.md")

_HEAD = """\
# Instrument codes

<!-- Generated from tipkg/tables/instruments.toml by `tipkg ontology-doc`; do not edit by hand. -->

Every treaty or other instrument the corpus cites is a node whose canonical
identifier is the code below; its articles hang below it as `<code> art <n>`
(`TIPP art 9(5)`; see [identifiers.md](identifiers.md)). The titles are the
instrument's `skos:prefLabel` in English and Arabic. Source: the resolution
that adopted it (and the annex), and its volume and registration number in the
United Nations Treaty Series.

| code | English title | Arabic title | source |
|---|---|---|---|
"""


def source(row: dict) -> str:
    """Where an instrument comes from: adopting resolution (annex) and Treaty Series entry."""
    parts = []
    if "adopted_by" in row:
        annex = f", annex {row['annex']}" if "annex" in row else ""
        parts.append(f"`{row['adopted_by']}`{annex}")
    if "treaty_series" in row:
        volume, number = row["treaty_series"]
        parts.append(f"UNTS vol. {volume}, No. {number}")
    return "; ".join(parts) or "—"


def instruments_markdown() -> str:
    """The page, one row per instrument of the table, in the table's order."""
    rows = [f"| `{r['identifier']}` | {r['label_en']} | {r['label_ar']} | {source(r)} |"
            for r in load("instruments")["instrument"]]
    return _HEAD + "\n".join(rows) + "\n"


def write_instruments(path: str | Path = INSTRUMENTS_MD) -> Path:
    path = Path(path)
    path.write_text(instruments_markdown(), encoding="utf-8")
    return path
