"""Stage timings that were once wall-clock asserts in the tests, measured here instead.

Each row times one step on the bundled corpus (best of ``--repeat`` runs) and
prints it beside its target and as a ratio of the whole build's time measured
in the same run, so a slower machine shifts every row alike:

- the compendium loader (target 0.3 s) and the three resolution loads (0.2 s);
- SHACL validation of the built corpus graph (10 s);
- each notebook run top to bottom (60 s), with ``--notebooks``.

    python benchmarks/bench_stages.py [--repeat 3] [--notebooks]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def notebook(path: Path) -> None:
    import nbclient
    import nbformat

    with tempfile.TemporaryDirectory(prefix="tipkg-nb-") as tmp:
        book = nbformat.read(path, as_version=4)
        nbclient.NotebookClient(book, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": tmp}}).execute()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--notebooks", action="store_true", help="also run the three notebooks (slow)")
    args = parser.parse_args()

    from tipkg.loaders import compendium, resolution
    from tipkg.pipeline import build
    from tipkg.shapes.validate import validate
    from tipkg.sources import read_corpus

    sources = read_corpus()
    the_compendium = next(s for s in sources if s.kind == "compendium")
    resolutions = [s for s in sources if s.kind in ("draft-decision", "cop-decision", "ga-resolution")]
    graph = build(out_dir=None).graph
    rows = [("whole build, in memory", best(lambda: build(out_dir=None), args.repeat), None),
            ("compendium loader", best(lambda: compendium.load(the_compendium), args.repeat), 0.3),
            ("three resolution loads", best(lambda: [resolution.load(s) for s in resolutions], args.repeat), 0.2),
            ("validation of the corpus graph", best(lambda: validate(graph), args.repeat), 10.0)]
    if args.notebooks:
        for path in sorted((REPO / "notebooks").glob("*.ipynb")):
            rows.append((f"notebook {path.stem}", best(lambda: notebook(path), 1), 60.0))
    base = rows[0][1]
    print(f"{'step':<40} {'seconds':>8} {'x build':>8} {'target':>7}")
    for name, seconds, target in rows:
        verdict = "" if target is None else f"{target:>7.1f} {'ok' if seconds <= target else 'OVER'}"
        print(f"{name:<40} {seconds:>8.3f} {seconds / base:>8.2f} {verdict}")


if __name__ == "__main__":
    main()
