"""Pattern tables: the project's knowledge of Arabic UN texts, kept as data.

Each table is a TOML file beside this module and quotes real examples from the
corpus; the tests check every pattern against its examples both ways. Code
only loads and compiles them. Each table has a JSON Schema in ``schemas/``
(tests/test_tables.py): a new key goes into the schema with the table.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    """Load the table ``<name>.toml`` (cached; tables are read-only)."""
    with resources.files(__name__).joinpath(f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


# --- views of the meetings table (meetings.toml), for the loaders and the references ---------

@lru_cache(maxsize=None)
def meeting_reports() -> dict[str, str]:
    """Working Group meeting number (as a string) -> the symbol of its report."""
    return {str(m["number"]): m["report"] for m in load("meetings")["meeting"] if "report" in m}


@lru_cache(maxsize=None)
def meetings_by_date() -> dict[str, int]:
    """The day a meeting opened (ISO) -> its number."""
    return {m["opened"]: m["number"] for m in load("meetings")["meeting"]}


@lru_cache(maxsize=None)
def reports_by_year() -> dict[str, str]:
    """A year in which exactly one meeting opened, and it has a report -> that report."""
    by_year: dict[str, list[dict]] = {}
    for m in load("meetings")["meeting"]:
        by_year.setdefault(m["opened"][:4], []).append(m)
    return {year: ms[0]["report"] for year, ms in by_year.items() if len(ms) == 1 and "report" in ms[0]}
