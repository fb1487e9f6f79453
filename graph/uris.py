"""The one function that mints every URI of the dataset, and its inverse.

A URI is the base IRI followed by the canonical identifier with spaces made
underscores (identifiers never contain ``_``), the ``topic:``/``actor:``/
``source:``/``verb:``/``edge:``/``action:``/``session:`` prefixes made path segments, and anything outside the safe set
percent-encoded. The mapping is reversible, so the linked-data server can turn
a requested path back into the identifier it stands for.

>>> mint("A/RES/61/180 para 5", "https://example.org/id/")
rdflib.term.URIRef('https://example.org/id/A/RES/61/180_para_5')
>>> mint("TIPP art 9(5)", "https://example.org/id/")
rdflib.term.URIRef('https://example.org/id/TIPP_art_9(5)')
>>> identifier_of("https://example.org/id/topic/terrorism", "https://example.org/id/")
'topic:terrorism'
"""

from __future__ import annotations

import os
from functools import lru_cache
from urllib.parse import quote, unquote

from rdflib import URIRef

DEFAULT_BASE = "https://w3id.org/tipkg/id/"
_PREFIXES = ("topic:", "actor:", "source:", "verb:", "edge:", "action:", "session:")
_SAFE = "/()-.,'!*+=@~"


def base_iri(base: str | None = None) -> str:
    """The base IRI in force: the argument, else ``$TIPKG_BASE_IRI``, else the default."""
    iri = base or os.environ.get("TIPKG_BASE_IRI") or DEFAULT_BASE
    return iri if iri.endswith(("/", "#")) else iri + "/"


def site_iri(path: str = "", base: str | None = None) -> URIRef:
    """The URL of what the site publishes beside its nodes: a dump, the SPARQL endpoint.

    Its root is the base without its final ``id/`` (``https://w3id.org/tipkg/id/``
    gives ``https://w3id.org/tipkg/``), else the base's origin; ``tipkg serve``
    answers the same paths under its own root (``/graph.nt``, ``/sparql``).

    >>> site_iri("graph.nt", "https://example.org/tipkg/id/"), site_iri("sparql", "https://example.org/data/")
    (rdflib.term.URIRef('https://example.org/tipkg/graph.nt'), rdflib.term.URIRef('https://example.org/sparql'))
    """
    iri = base_iri(base)
    if iri.endswith("/id/"):
        root = iri[:-3]
    else:
        scheme, _, rest = iri.partition("://")
        root = f"{scheme}://{rest.split('/', 1)[0]}/"
    return URIRef(root + path)


def mint(identifier: str, base: str | None = None) -> URIRef:
    """The URI of the node whose canonical identifier is ``identifier``."""
    return _mint(identifier, base or os.environ.get("TIPKG_BASE_IRI") or DEFAULT_BASE)


#: How many minted URIs ``_mint`` remembers. A process mints each node's URI several times close together
#: (its triples, the citations and labels that name it), so a short memory catches nearly every repeat: at
#: ×10 an extraction worker's hit rate is 0.718 with 4,096 entries and 0.719 with a million; the graph
#: stage's, over the whole corpus, 0.634 from 65,536 up. The memory it bounds is ~300–850 bytes an entry
#: (the key's text kept alive with the URI): a million entries were ~0.85 GB per worker at ×1000.
MINT_MEMORY = 1 << 16


@lru_cache(maxsize=MINT_MEMORY)
def _mint(identifier: str, base: str) -> URIRef:
    path = identifier
    for prefix in _PREFIXES:
        if identifier.startswith(prefix):
            path = prefix[:-1] + "/" + identifier[len(prefix):]
            break
    return URIRef(base_iri(base) + quote(path.replace(" ", "_"), safe=_SAFE + ":"))


def minted_root(prefix: str, base: str | None = None) -> str:
    """What ``mint`` makes of the identifiers ``prefix`` + a name with nothing to encode (letters and digits),
    but for the name: ``mint(prefix + name, base) == minted_root(prefix, base) + name``. Why: text reuse spells
    an edge node (``edge:`` and 16 hex digits) for each of its millions of echoes, each minted once; through
    ``mint``, each cost a percent-encoding, an rdflib term and a place in ``_mint``'s memory, which pushed out
    the URIs that are minted again (×10: ``echo_lines`` of 25,506 echoes, 0.19–0.20 CPU s, now 0.13–0.16).

    >>> minted_root("edge:", "https://example.org/id/") + "0123456789abcdef"
    'https://example.org/id/edge/0123456789abcdef'
    >>> _ == str(mint("edge:0123456789abcdef", "https://example.org/id/"))
    True
    """
    return str(mint(prefix + "x", base))[:-1]


def forget_minted() -> None:
    """Empty ``_mint``'s memory: what the build's parent does once its graph is made, so that the processes
    it forks later (the store's readers, the writers) do not inherit up to ``MINT_MEMORY`` URIs it will not
    mint again (×1000: ~26 MB each)."""
    _mint.cache_clear()


def identifier_of(uri: str, base: str | None = None) -> str | None:
    """The identifier a minted URI stands for, or None if it is not under the base."""
    root = base_iri(base)
    if not uri.startswith(root):
        return None
    path = unquote(uri[len(root):])
    for prefix in _PREFIXES:
        head = prefix[:-1] + "/"
        if path.startswith(head):
            return prefix + path[len(head):]
    return path.replace("_", " ")
