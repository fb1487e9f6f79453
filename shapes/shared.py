"""The ``sh:sparql`` constraints that join a node's value with other nodes' same value: answered by a sort.

tipsh:UniqueIdentifier (no two nodes share a ``dcterms:identifier``) was a query joining every node's
identifier with every other's over the store: oxigraph holds a hash table of all of them (×1000 in a
forked child: 665 MB of working memory, 10.8 CPU s). The pass over the graph's runs of subjects
(``shapes/local.py``) reads each node's identifiers anyway: ``Shared`` writes one line per (value, node)
to a scratch file as they are read (the pass's memory stays flat), and once every run is read the file
is sorted — by GNU sort in C where it is installed, as the merge into graph.nt (``graph.merge.gnu_sort``;
through chunk files here otherwise) — so the nodes of one value are adjacent lines: a value of two
nodes or more gives the rows, each ordered pair of its nodes. Memory is what the sort is given.

A pass read in parts (``validate.run_checks``: one reader each side of a fork) leaves each part's file in
a folder its caller gives (``spill``), and the rows come from sorting the parts' files together
(``local.joined``): a value may be shared across the parts.

The form recognised (``_FORMS``) is exactly the constraint's, its variables as written; the focus nodes
must be the subjects of the predicate (then ``?other`` is one too). The values are compared as the
store compares them (a typed literal canonical, a tag in lower case: ``runs._object`` reads them so).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path
from typing import TextIO, cast

from tipkg.graph.merge import external_sort, file_lines, gnu_sort, sort_files
from tipkg.shapes.local import Local, Targets

#: the constraints answered here: slots as in ``unions._LOCAL_FORMS``, read by ``unions.matched_forms`` (``!=``
#: written ``! =`` as the tokens come)
_FORMS = {
    "shared": "SELECT ?this ?value var:other WHERE { ?this path:p ?value . var:other2 path:p2 ?value . "
              "FILTER ( var:other3 ! = ?this ) }",
}

#: the scratch file of a pass (in its folder, or the caller's ``spill``)
KEYS = "shared.keys"


def local_constraint(select: str, prefixes: list[str], targets: Targets) -> Local | None:
    """A ``sh:sparql`` constraint's SELECT (``$this`` written ``?this``) as a check of kind "shared" over the
    focus nodes ``targets`` (which must be the subjects of its predicate), when it follows ``_FORMS``.

    >>> found = local_constraint('SELECT ?this ?value ?o WHERE { ?this <id> ?value . ?o <id> ?value . '
    ...     'FILTER (?o != ?this) }', [], Targets(frozenset(), ("id",), ()))
    >>> found.kind, found.names
    (('shared', 'o'), ['this', 'value', 'o'])
    >>> local_constraint('SELECT ?this ?value ?o WHERE { ?this <id> ?value . ?o <id> ?value . '
    ...     'FILTER (?o != ?this) }', [], Targets(frozenset({"C"}), (), ())) is None
    True
    """
    from tipkg.shapes.unions import matched_forms  # unions imports local: imported when used

    for _, paths, names, _ in matched_forms(select, prefixes, _FORMS):
        other = names["other"]
        if (paths["p"] == paths["p2"] and len(paths["p"]) == 1 and names["other2"] == names["other3"] == other
                and other not in ("?this", "?value") and targets == Targets(frozenset(), paths["p"], ())):
            return Local(targets, paths["p"], ("shared", other[1:]))
    return None


class Spilled:
    """A scratch file of lines written as the runs are read (``name`` in ``folder``), whose rows come once every
    run is read, by sorting it (``rows``; ``join`` of the sorted files); with a ``spill`` folder (a pass in parts)
    the file is moved there instead and ``local.joined`` sorts the parts' files together."""

    name = KEYS

    def __init__(self, folder: Path):
        self.folder = folder
        self.file: TextIO | None = None

    def write(self, line: str) -> None:
        if self.file is None:
            self.file = open(self.folder / self.name, "w", encoding="utf-8")
        self.file.write(line)

    def rows(self, found: list[list], spill: Path | None) -> None:
        """The rows into ``found``; with ``spill``, the file is moved there instead (``local.joined``)."""
        if self.file is None:
            return
        self.file.close()
        if spill is not None:
            spill.mkdir(parents=True, exist_ok=True)
            shutil.move(str(self.folder / self.name), str(spill / self.name))
            return
        self.join([self.folder / self.name], self.folder, found)

    @staticmethod
    def join(files: list[Path], folder: Path, found: list[list]) -> None:
        raise NotImplementedError


class Shared(Spilled):
    """The checks of kind "shared": each (value, node) written to ``folder / KEYS`` as the runs are read; the
    rows once every run is read (``rows``)."""

    def check(self, i: int, local: Local) -> Callable[[str, dict, list[list]], None]:
        (predicate,) = local.path

        def run(s: str, props: dict, found: list[list]) -> None:
            values = props.get(predicate)
            if values:
                node = json.dumps(s)
                for v in dict.fromkeys(values):
                    self.write(f"{json.dumps([i, *v])}\t{node}\n")
        return run

    @staticmethod
    def join(files: list[Path], folder: Path, found: list[list]) -> None:
        shared_rows(files, folder, found)


def shared_rows(files: list[Path], folder: Path, found: list[list]) -> None:
    """The rows of the (value, node) lines of ``files`` sorted together: for each value of two nodes or more,
    (node, value, other node) for each ordered pair, into ``found`` by the check's index."""
    key, nodes = b"", cast(list[str], [])
    for line in chain(sorted_lines(files, folder, KEYS), [b"\t"]):  # the last: no key
        k, _, node = line.rstrip(b"\n").partition(b"\t")
        if k != key:
            if len(nodes) > 1:
                i, *term = json.loads(key)
                value = tuple(term)
                for a in nodes:
                    found[i].extend((a, value, b) for b in nodes if b != a)
            key, nodes = k, []
        if node:
            nodes.append(json.loads(node))


def sorted_lines(files: list[Path], folder: Path, name: str) -> Iterator[bytes]:
    """The lines of those of ``files`` that exist, sorted together as bytes: by GNU sort (``merge.sort_files``:
    16 MB of memory, the rest in ``folder``), else through chunk files (``external_sort``)."""
    files = [f for f in files if f.exists()]
    if not files:
        return
    sort = gnu_sort()
    if sort:
        with open(sort_files(sort, files, folder / (name + ".sorted")), "rb") as f:
            yield from f
        return
    lines = (line.rstrip(b"\n") for path in files for line in file_lines(path))
    yield from external_sort(lines, folder / (name + "-sorted"))
