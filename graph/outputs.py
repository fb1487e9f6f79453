"""Stage 7 — outputs: write the dumps so that nothing partial ever appears.

Everything is written into a fresh temporary folder beside ``--out``; only
when every file is complete is the old folder moved aside and the new one
moved into place. A failed or interrupted run leaves the previous outputs as
they were. The ``--out`` folder belongs to tipkg: it is replaced as a whole.

N-Triples are written sorted, line by line, so the same corpus always gives
byte-identical ``graph.nt``; a build's ``SpilledTriples`` (``streams.py``) merge
their sorted chunks straight into the file. The store is bulk-loaded from that
file, and the other writers read the file and the store as streams.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Collection
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from tipkg.graph.streams import SpilledTriples
from tipkg.graph.triples import TripleSet
from tipkg.graph.writers import DumpSettings, Writer, writers
from tipkg.parallel import Forked


def prefixes_of(graph) -> dict[str, str]:
    """The prefixes bound in a graph, for the writers (sorted, no ``xml``)."""
    return {p: str(ns) for p, ns in sorted(graph.namespaces()) if p and p != "xml"}


def write_ntriples(triples: TripleSet, path: Path, settings=None) -> None:
    """N-Triples, one triple a line, lines sorted (deterministic)."""
    if isinstance(triples, SpilledTriples):
        triples.finish(path)
    else:
        Path(path).write_bytes(triples.ntriples())


def write_turtle(triples: TripleSet, path: Path, settings=None) -> None:
    """Turtle with the graph's bound prefixes, subjects grouped (sorted)."""
    ox.serialize(triples.oxigraph(), output=str(path), format=ox.RdfFormat.TURTLE, prefixes=prefixes_of(triples))


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


def write_dumps(graph: TripleSet | Graph, folder: Path, settings: DumpSettings = DumpSettings(),
                names: Collection[str] | None = None, check: Callable[[TripleSet], None] | None = None) -> list[Path]:
    """Write every output of the writers' table (``writers.py``) into ``folder``; the paths written.

    ``names`` limits the outputs to those named. The writers that feed the
    others (``graph.nt``, the store) run first; then ``check(triples)`` (the
    build's validation, over that store: it raises to stop before anything
    else is written); then the pure-Python writers (JSON-LD, TriG) run in a
    forked child while the parent writes the others (``tipkg.parallel``).
    """
    triples = TripleSet.of(graph)
    chosen = [w for w in writers() if names is None or w.name in names]
    _write_each([w for w in chosen if w.feeds], triples, folder, settings)
    spilled = isinstance(triples, SpilledTriples)
    if spilled and any(w.name == "store" for w in chosen):
        triples.attach_store(folder / "store")
    try:
        if check is not None:
            check(triples)
        rest = [w for w in chosen if not w.feeds]
        if not spilled:
            triples.ntriples()  # sorted once, before the fork, for both processes
        child = Forked(_write_each, [w for w in rest if w.forked], triples, folder, settings)
        _write_each([w for w in rest if not w.forked], triples, folder, settings)
        child.result()
    finally:
        if spilled:
            triples.close_store()
    return [folder / w.name for w in chosen]


def _write_each(chosen: list[Writer], triples: TripleSet, folder: Path, settings: DumpSettings) -> None:
    for writer in chosen:
        writer(triples, folder / writer.name, settings)
