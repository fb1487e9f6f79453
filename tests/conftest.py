"""Shared fixtures: the bundled corpus, read and structured once per session."""

from __future__ import annotations

import pytest

from tipkg.loaders import load_structure
from tipkg.sources import read_corpus


@pytest.fixture(scope="session")
def sources():
    return {s.identifier: s for s in read_corpus()}


@pytest.fixture(scope="session")
def structured(sources):
    return [load_structure(s) for s in sources.values()]


@pytest.fixture(scope="session")
def paragraphs(structured):
    """Every paragraph read, by identifier (first source wins, as in the graph)."""
    out = {}
    for item in structured:
        for document in item.documents:
            for p in document.paragraphs:
                out.setdefault(p.identifier, p)
    return out
