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

from rdflib import Graph


def sorted_ntriples(graph: Graph) -> str:
    """The graph as N-Triples, one triple a line, lines sorted (deterministic)."""
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return "".join(sorted(f"{line}\n" for line in lines if line.strip()))


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
    nt = folder / "graph.nt"
    nt.write_text(sorted_ntriples(graph), encoding="utf-8")
    ttl = folder / "graph.ttl"
    graph.serialize(destination=str(ttl), format="turtle", encoding="utf-8")
    written = [nt, ttl]
    for name, writer in (writers or {}).items():
        path = folder / name
        writer(graph, path)
        written.append(path)
    return written
