"""The checks of kind "edge" (``shapes/local.py``): is the triple a focus node describes in the graph?

tipsh:CitationShape's ``FILTER NOT EXISTS { ?citing ?value ?cited }`` asked the store once per
citation, a few RocksDB lookups each (×30: 1.9 CPU s; ×100 the check took 11.7 s, growth exponent
1.12). The pass over graph.nt's runs reads each citation's run anyway: ``Edges`` writes the triple it
describes to a scratch file (the pass's memory stays flat), and when every run is read the triples the
graph lacks are found at once: for graph.nt by GNU sort and comm (C, one read of the sorted file;
a merge here where they are not installed or ``$TIPKG_MERGE=python``), for a store by a lookup each (``runs.Runs.missing``).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from tipkg.graph.merge import external_sort, file_lines, gnu_sort, sort_env, sort_files
from tipkg.shapes.local import Local
from tipkg.shapes.runs import Unsorted, read_iri


def missing_in_file(nt: Path, keys: Path) -> set[bytes]:
    """The lines of ``keys`` (``<s> <p> <o> .``, IRIs as read) that the sorted N-Triples file ``nt`` lacks:
    ``keys`` sorted and compared with ``nt`` by GNU sort and comm (C, one read of ``nt``; ×30: 0.45 CPU s
    for 87,112 citations, where their query looked each up in the store: 1.9 s), else merged here. A line
    found missing is looked for once more among the lines of ``nt`` that escape a character (an IRI may
    be written so: the same triple, other bytes); lines out of order: ``Unsorted``."""
    sort = gnu_sort()  # GNU sort, as the merge into graph.nt uses it (None: $TIPKG_MERGE=python, or none here)
    if sort and shutil.which("comm"):
        ordered = sort_files(sort, [keys], keys.with_name(keys.name + ".sorted"), unique=True)
        done = subprocess.run(["comm", "-23", "--check-order", str(ordered), str(nt)], env=sort_env(), capture_output=True)
        if done.returncode != 0:
            raise Unsorted(f"graph.nt: not sorted as comm reads it ({done.stderr.decode('utf-8', 'replace').strip()})")
        missing = set(done.stdout.splitlines(keepends=True))
    else:  # the keys sorted through chunk files (memory bounded), merged with graph.nt here
        missing = set()
        wanted = external_sort((line.rstrip(b"\n") for line in file_lines(keys)), keys.parent / "keys-sorted")
        key, previous = next(wanted, None), b""
        with open(nt, "rb", buffering=1 << 20) as f:
            for line in f:
                if line < previous:
                    raise Unsorted("graph.nt: a line out of order")
                previous = line
                while key is not None and key < line:
                    missing.add(key)
                    key = next(wanted, None)
                if key == line:
                    key = next(wanted, None)
        missing.update(([key] if key is not None else []) + list(wanted))
    if missing:  # the same triples written with escapes
        with open(nt, "rb", buffering=1 << 20) as f:
            for line in f:
                if b"\\" in line and line.count(b" <") >= 2 and line.rstrip().endswith(b"> ."):
                    s, p, o = line.rstrip()[:-2].split(b" ", 2)
                    missing.discard(f"<{read_iri(s.decode())}> <{read_iri(p.decode())}> <{read_iri(o.decode())}> .\n".encode())
    return missing


def missing_in_store(store: ox.Store, keys: Path) -> set[bytes]:
    """The lines of ``keys`` (``<s> <p> <o> .``) whose triple ``store``'s default graph lacks."""
    out = set()
    with open(keys, "rb") as f:
        for line in f:
            s, p, o = (ox.NamedNode(x) for x in line.decode("utf-8")[1:-4].split("> <"))
            if ox.Quad(s, p, o, ox.DefaultGraph()) not in store:
                out.add(line)
    return out


class Edges:
    """The checks of kind "edge": each (?x, value, ?y) a focus node describes is written to a file in
    ``folder`` as it is read (the runs' memory stays flat), and once every run is read, the triples the
    graph lacks (``Runs.missing``) are the rows. An ?x or a value that is a literal is never a triple's
    subject or predicate: a row at once; an ?y that is a literal is left to the queries (``Unsorted``:
    its triple might be written otherwise than the focus node's value)."""

    def __init__(self, folder: Path):
        self.keys, self.pending = folder / "keys.nt", folder / "pending.tsv"
        self.files: tuple | None = None

    def check(self, i: int, local: Local) -> Callable[[str, dict, list[list]], None]:
        _, starts, ends = local.kind

        def run(s: str, props: dict, found: list[list]) -> None:
            values = [v for p in local.path for v in props.get(p, ())]
            xs = [v for p in starts for v in props.get(p, ())]
            ys = [v for p in ends for v in props.get(p, ())]
            for value in dict.fromkeys(values):
                for x in dict.fromkeys(xs):
                    for y in dict.fromkeys(ys):
                        if x[0] != "I" or value[0] != "I":
                            found[i].append((s, value))
                        elif y[0] != "I":
                            raise Unsorted("an edge ending at a literal: the queries look it up")
                        else:
                            self.add(i, s, x[1], value[1], y[1])
        return run

    def add(self, i: int, s: str, x: str, p: str, y: str) -> None:
        if self.files is None:
            self.files = (open(self.keys, "w", encoding="utf-8"), open(self.pending, "w", encoding="utf-8"))
        self.files[0].write(f"<{x}> <{p}> <{y}> .\n")
        self.files[1].write(f"{i}\t{s}\t{x}\t{p}\t{y}\n")

    def rows(self, missing: Callable[[Path], set[bytes]] | None, found: list[list]) -> None:
        if self.files is None:
            return
        for f in self.files:
            f.close()
        if missing is None:
            raise Unsorted("runs that cannot say which triples they lack: the queries look the edges up")
        lacking = missing(self.keys)
        if not lacking:
            return
        with open(self.pending, encoding="utf-8") as f:
            for line in f:
                i, s, x, p, y = line.rstrip("\n").split("\t")
                if f"<{x}> <{p}> <{y}> .\n".encode() in lacking:
                    found[int(i)].append((s, ("I", p, "")))
