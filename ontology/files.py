"""The ontology folder's data files, found as package resources.

Read through ``importlib.resources`` so that an installed wheel finds them as
well as a checkout does; nothing here depends on where the source tree is.
Validation, the server and the writers import these, never the docs generator.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from rdflib import Graph


def ontology_file(name: str) -> Path:
    """A file of ``ontology/`` (``tipkg.ttl``, ``tipkg.html``, ``context.jsonld``) as a path."""
    return Path(str(resources.files("tipkg.ontology").joinpath(name)))


ONTOLOGY_TTL = ontology_file("tipkg.ttl")
ONTOLOGY_HTML = ontology_file("tipkg.html")


def load_ontology(path: str | Path | None = None) -> Graph:
    """The ontology as an rdflib graph (the packaged ``tipkg.ttl`` unless a path is given)."""
    return Graph().parse(str(path or ONTOLOGY_TTL), format="turtle")


@lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    """The packaged ontology, parsed once per process: the one cache of that parse (shared: do not modify it).
    Validation follows its ``rdfs:subClassOf`` (as do delta validation, ``shapes/affected.py``, and the checks'
    reads, ``shapes/check_reads.py``), the server's pages read its labels, and the build parses it ahead,
    before it forks (``graph.outputs.preparations``), so the children forked after inherit it parsed."""
    return load_ontology()
