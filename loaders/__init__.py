"""Stage 3 — structure: from a source's text to its documents and paragraphs.

One loader per kind of source; each exposes ``load(source) -> StructuredSource``
and returns plain dataclasses (``tipkg.model``), never RDF. ``load_structure``
is the stage's one entry point.

Modules: ``resolution`` (resolutions, COP decisions and their drafts),
``agenda`` (a provisional agenda with annotations), ``compendium`` (the 2021
compendium) with ``compendium_parts`` (its line-level machinery), and
``numbering`` (abjad letters, roman sub-items, ordinals, shared by all).
"""

from __future__ import annotations

from importlib import import_module

from tipkg.errors import TipkgError
from tipkg.model import Source, StructuredSource

#: manifest ``kind`` -> loader module (inside this package)
LOADERS = {
    "draft-decision": "resolution",
    "cop-decision": "resolution",
    "ga-resolution": "resolution",
    "compendium": "compendium",
    "agenda": "agenda",
}


def load_structure(source: Source) -> StructuredSource:
    """Read the documents and paragraphs of one source with the loader for its kind."""
    try:
        module = import_module(f"{__name__}.{LOADERS[source.kind]}")
    except KeyError:
        raise TipkgError(source.path, f"no loader for kind {source.kind!r}", source.manifest_line) from None
    return module.load(source)
