"""Run the tours top to bottom and keep their outputs in the notebooks (what is committed).

    python3 notebooks/refresh.py            # execute all three, write them back with their outputs
    python3 notebooks/refresh.py NAME.ipynb # one of them

Each notebook runs with nbclient in a fresh temporary working folder, so what
it writes lands there. The outputs are written back without the volatile
metadata (execution times); ``comparable`` is what tests/test_notebooks.py
compares between a fresh run and the committed file, so a committed output
that no longer matches what the code prints fails the suite.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

import nbclient
import nbformat

FOLDER = Path(__file__).resolve().parent
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
#: what differs between two honest runs: temporary folders, ports, object addresses, timings
VOLATILE = [(re.compile(r"/tmp/[\w./+-]+"), "<tmp>"), (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
            (re.compile(r" at 0x[0-9a-f]+"), " at 0x…"), (re.compile(r"\b\d+(\.\d+)? ?(s|ms|seconds)\b"), "<time>")]


def execute(path: Path, timeout: int = 600) -> nbformat.NotebookNode:
    """The notebook at ``path``, executed top to bottom in a fresh temporary folder.

    The kernel (and every ``python -m tipkg`` a cell starts) imports tipkg from
    this checkout: the repository goes first on its PYTHONPATH, whatever
    checkout an installed tipkg points to.
    """
    book = nbformat.read(path, as_version=4)
    repo = str(FOLDER.parent)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != repo]
    os.environ["PYTHONPATH"] = os.pathsep.join([repo, *paths])
    with tempfile.TemporaryDirectory(prefix="tipkg-notebook-") as cwd:
        nbclient.NotebookClient(book, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": cwd}}).execute()
    for cell in book.cells:
        cell.get("metadata", {}).pop("execution", None)
    book.metadata.pop("widgets", None)
    return book


def _text(value) -> str:
    text = "".join(value) if isinstance(value, list) else str(value)
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def comparable(book: nbformat.NotebookNode) -> list[list[tuple[str, str]]]:
    """Per code cell, its outputs as (kind, text): streams and text results with volatile parts masked,
    errors by name, images by type only (their bytes depend on the fonts of the machine)."""
    cells = []
    for cell in book.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for o in cell.get("outputs", []):
            if o.output_type == "stream":
                outputs.append((o.name, _text(o.text)))
            elif o.output_type == "error":
                outputs.append(("error", o.ename))
            else:
                data = o.get("data", {})
                for kind in ("image/png", "image/svg+xml"):
                    if kind in data:
                        outputs.append((kind, ""))
                if "text/plain" in data and not any(k.startswith("image/") for k in data):
                    outputs.append(("text/plain", _text(data["text/plain"])))
        # a stream may arrive in pieces: join consecutive pieces of the same stream
        joined: list[tuple[str, str]] = []
        for kind, text in outputs:
            if joined and kind in ("stdout", "stderr") and joined[-1][0] == kind:
                joined[-1] = (kind, joined[-1][1] + text)
            else:
                joined.append((kind, text))
        cells.append(joined)
    return cells


def main(argv: list[str]) -> int:
    paths = [FOLDER / a for a in argv] if argv else NOTEBOOKS
    for path in paths:
        book = execute(path)
        nbformat.write(book, path)
        images = sum(1 for cells in comparable(book) for kind, _ in cells if kind.startswith("image/"))
        print(f"{path.name}: {len(book.cells)} cells, {images} figures")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
