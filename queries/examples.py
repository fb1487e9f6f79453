"""Write each catalog header's "Example answer" from a build of the bundled corpus.

The header of a catalog query shows its answer on the bundled corpus: the row
count and the first rows, cells cut to 40 characters. tests/test_query_params.py
checks every header against a real build, so a header that drifted fails the
suite; this rewrites the blocks after a change meant to alter the answers:

    python3 -m tipkg build --out out && python3 -m tipkg.queries.examples out
"""

from __future__ import annotations

import sys
from pathlib import Path

from tipkg.graph.store import open_store

from .catalog import catalog_folder, catalog
from .sparql import run_local

SHOWN = 4


def cell(value: str) -> str:
    value = value.replace("\n", " ")
    return value if len(value) <= 40 else value[:39] + "…"


def block(rows: list[list[str]]) -> list[str]:
    """The lines under "Example answer": count, then up to SHOWN rows."""
    head = f"  {len(rows)} row{'s' if len(rows) != 1 else ''}" + ("; the first:" if len(rows) > SHOWN else ":")
    return [head] + ["    " + " | ".join(cell(v) for v in row) for row in rows[:SHOWN]]


def rewrite(text: str, rows: list[list[str]]) -> str:
    lines = text.split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("# Example answer"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() in ("#", "") or not lines[i].startswith("#"))
    title = lines[start].split(":")[0] + ":"
    return "\n".join(lines[:start] + [title] + ["# " + l for l in block(rows)] + lines[end:])


def main(argv: list[str] | None = None) -> int:
    out = Path((argv if argv is not None else sys.argv[1:] or ["out"])[0])
    store = open_store(out)
    folder = Path(str(catalog_folder()))
    for name, query in catalog().items():
        rows = [[t.value if t is not None else "" for t in row] for row in run_local(store, query.text).rows]
        path = folder / f"{name}.rq"
        path.write_text(rewrite(query.text, rows), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
