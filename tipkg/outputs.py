"""Stage 7 — outputs: write the dumps so that nothing partial ever appears.

Everything is written into a fresh temporary folder beside ``--out``; only
when every file is complete is the old folder moved aside and the new one
moved into place. A failed or interrupted run leaves the previous outputs as
they were. The ``--out`` folder belongs to tipkg: it is replaced as a whole.

N-Triples are written sorted, line by line, so the same corpus always gives
byte-identical ``graph.nt``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef


class OxigraphTerms:
    """rdflib terms to pyoxigraph terms, each converted once.

    rdflib builds the graph; pyoxigraph writes it (its serializers are two
    orders of magnitude faster than rdflib's Turtle and TriG writers here).
    """

    def __init__(self):
        self.terms: dict = {}

    def __call__(self, t):
        o = self.terms.get(t)
        if o is None:
            if isinstance(t, URIRef):
                o = ox.NamedNode(str(t))
            elif isinstance(t, Literal):
                o = (ox.Literal(str(t), language=t.language) if t.language else
                     ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype))) if t.datatype else ox.Literal(str(t)))
            elif isinstance(t, BNode):
                o = ox.BlankNode(str(t))
            else:
                raise TypeError(f"cannot write {t!r}")
            self.terms[t] = o
        return o


def oxigraph_triples(graph: Graph) -> list[ox.Triple]:
    """The graph's triples as pyoxigraph terms, sorted by their N-Triples form."""
    term = OxigraphTerms()
    triples = [ox.Triple(term(s), term(p), term(o)) for s, p, o in graph]
    triples.sort(key=str)
    return triples


def prefixes_of(graph: Graph) -> dict[str, str]:
    """The prefixes bound in a graph, for the writers (sorted, no ``xml``)."""
    return {p: str(ns) for p, ns in sorted(graph.namespaces()) if p and p != "xml"}


def sorted_ntriples(graph: Graph, triples: list[ox.Triple] | None = None) -> str:
    """The graph as N-Triples, one triple a line, lines sorted (deterministic)."""
    data = ox.serialize(triples if triples is not None else oxigraph_triples(graph), format=ox.RdfFormat.N_TRIPLES)
    return "".join(sorted(f"{line}\n" for line in data.decode("utf-8").splitlines() if line.strip()))


def write_turtle(graph: Graph, path: Path, triples: list[ox.Triple] | None = None) -> None:
    """Turtle with the graph's bound prefixes, subjects grouped (sorted)."""
    ox.serialize(triples if triples is not None else oxigraph_triples(graph), output=str(path),
                 format=ox.RdfFormat.TURTLE, prefixes=prefixes_of(graph))


@contextmanager
def staged_output(out_dir: str | Path):
    """Yield a temporary folder; on success it replaces ``out_dir`` whole."""
    out = Path(out_dir).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = out.parent / f".{out.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    stage.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def write_dumps(graph: Graph, folder: Path, writers: dict[str, Callable[[Graph, Path], None]] | None = None) -> list[Path]:
    """Write graph.nt (sorted) and graph.ttl, plus any extra ``writers`` (name -> function)."""
    triples = oxigraph_triples(graph)
    nt = folder / "graph.nt"
    nt.write_text(sorted_ntriples(graph, triples), encoding="utf-8")
    ttl = folder / "graph.ttl"
    write_turtle(graph, ttl, triples)
    written = [nt, ttl]
    for name, writer in (writers or {}).items():
        path = folder / name
        writer(graph, path)
        written.append(path)
    return written
