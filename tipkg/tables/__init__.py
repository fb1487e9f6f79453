"""Pattern tables: the project's knowledge of Arabic UN texts, kept as data.

Each table is a TOML file beside this module and quotes real examples from the
corpus; the tests check every pattern against its examples both ways. Code
only loads and compiles them.
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
