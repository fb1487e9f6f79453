"""Graphs for the linked-data tests: the built corpus, plus a hand-built sample
of reference edges in the shape the references stage writes them (reified
citations, articles, actors, topics of the index scheme, a recommendation with
its report notation and the report's offset), so the shapes, dumps and server
are exercised on every kind of node even where the corpus build has none yet.

The fixtures built from them (``corpus_graph``, ``lod_graph``) are in conftest.py. The servers the
tests talk to are started here too: ``serve`` (``tipkg serve`` on a free loopback port, the one way every
test starts it) and ``free_port``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal
from rdflib.namespace import DCTERMS, PROV, SKOS

from tipkg.ontology.namespace import CITO, ELI
from tipkg.graph.uris import mint
from tipkg.ontology.namespace import TIP

SOURCE_002 = "source:002_62009398838004c9.txt"
SCHEME = "UNODC-TIP-Compendium-2021 index"


def node(g: Graph, identifier: str, *classes, labels: dict[str, str] | None = None):
    n = mint(identifier)
    for cls in classes:
        g.add((n, RDF.type, cls))
    g.add((n, DCTERMS.identifier, Literal(identifier)))
    for lang, text in (labels or {}).items():
        if any(o.language == lang for o in g.objects(n, SKOS.prefLabel)):
            continue  # the built graph already names it (one prefLabel per language)
        g.add((n, SKOS.prefLabel, Literal(text, lang=lang)))
        g.add((n, RDFS.label, Literal(text, lang=lang)))
    return n


def cite(g: Graph, paragraph: str, relation, target: str, key: str, text: str = "نص"):
    """Assert the edge and its reified citation, as graph/references.py does."""
    p, t = mint(paragraph), mint(target)
    g.add((p, relation, t))
    c = node(g, f"edge:{key:0>16}", CITO.Citation, TIP.Citation)
    g.add((c, CITO.hasCitingEntity, p))
    g.add((c, CITO.hasCitedEntity, t))
    g.add((c, RDF.predicate, relation))
    g.add((c, TIP.sourceSpan, Literal(f"002_62009398838004c9.txt#char=100,{100 + len(text)}")))
    g.add((c, TIP.text, Literal(text, lang="ar")))
    g.add((c, TIP.rule, Literal("sample")))
    g.add((c, PROV.wasDerivedFrom, mint(SOURCE_002)))
    return c


def add_sample_edges(g: Graph) -> Graph:
    """One of each kind of reference node and edge, attached to real corpus paragraphs."""
    tipp = mint("TIPP")
    art = node(g, "TIPP art 9", TIP.Article, labels={"en": "TIPP art 9"})
    g.add((art, ELI.is_part_of, tipp))
    art95 = node(g, "TIPP art 9(5)", TIP.ArticleParagraph, labels={"en": "TIPP art 9(5)"})
    g.add((art95, ELI.is_part_of, art))
    node(g, "actor:secretariat", TIP.Actor, labels={"en": "Secretariat", "ar": "الأمانة"})
    scheme = node(g, SCHEME, SKOS.ConceptScheme, labels={"en": "Thematic index"})
    topic = node(g, "topic:victims", TIP.Topic, SKOS.Concept, labels={"en": "Victims", "ar": "الضحايا"})
    g.add((topic, SKOS.inScheme, scheme))
    cite(g, "CTOC/COP/DEC/3/3 pp 1", TIP.recalls, "A/RES/55/25", "1")
    cite(g, "CTOC/COP/DEC/3/3 para a", TIP.citesArticle, "TIPP art 9(5)", "2")
    cite(g, "CTOC/COP/DEC/3/3 para a", TIP.requests, "actor:secretariat", "3")
    cite(g, "TIP-WG 1 rec 5", TIP.indexedUnder, "topic:victims", "4")
    if g.value(mint("TIP-WG 1 rec 5"), SKOS.notation) is None:  # as the thematic index writes them
        g.add((mint("TIP-WG 1 rec 5"), SKOS.notation, Literal("CTOC/COP/WG.4/2009/2 para 6")))
        g.set((mint("CTOC/COP/WG.4/2009/2"), TIP.numberingOffset, Literal(1)))
    return g


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oxigraph_cli() -> str | None:
    """The `oxigraph` console script of the PyPI package (venv or base interpreter)."""
    for folder in (Path(sys.executable).parent, Path(sys.base_prefix) / "bin"):
        if (folder / "oxigraph").exists():
            return str(folder / "oxigraph")
    return shutil.which("oxigraph")


def serve(out: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """``tipkg serve --out OUT ARGS`` as a real subprocess on a free loopback port: (the process, its base URL
    without the trailing slash). The server prints its URL once it listens; any other first line (it could
    not start) fails the caller, with what it wrote."""
    proc = subprocess.Popen([sys.executable, "-m", "tipkg", "serve", "--out", str(out), "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    line = proc.stdout.readline()
    if not line.startswith("tipkg serve: http://127.0.0.1:"):
        proc.kill()
        raise AssertionError(line + proc.stderr.read())
    return proc, line.split()[2].rstrip("/")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server ``serve`` started, and wait for it."""
    proc.terminate()
    proc.wait(10)


@contextmanager
def served(out: Path, *args: str) -> Iterator[str]:
    """``serve`` for a fixture: its base URL while the block runs, the server stopped after."""
    proc, url = serve(out, *args)
    try:
        yield url
    finally:
        stop(proc)
