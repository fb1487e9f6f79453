"""Build benchmark: the corpus ×1, ×10, ×100 (replicated, shifted identifiers).

Each size is built by the real pipeline (``tipkg.pipeline.build`` into a
temporary --out, store included) in a fresh child process, so its peak memory
(the child's peak resident set, ``ru_maxrss``) is its own; the parent prints
one table with wall time, paragraphs/s, triples and peak memory, and the ratios
against ×1 measured in the same run. Targets: ×1 <= 2 s; ×100 <= 60 s and
growing linearly.

    python benchmarks/bench_build.py            # sizes 1 10 100
    python benchmarks/bench_build.py 1 10 100 1000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import replicate  # noqa: E402


def build_once(corpus: str, out: str) -> dict:
    """One timed build of a replicated corpus (run in the child process)."""
    from tipkg.pipeline import build

    with replicate.replicated_loading():
        start = time.perf_counter()
        result = build(corpus, out)
        wall = time.perf_counter() - start
    return {"wall": wall, "paragraphs": sum(result.documents.values()), "triples": len(result.triples),
            "timings": result.timings, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measure(n: int, workdir: Path) -> dict:
    corpus = replicate.write_corpus(n, workdir / f"corpus-x{n}")
    child = subprocess.run([sys.executable, __file__, "--one", str(corpus), str(workdir / f"out-x{n}")],
                           capture_output=True, text=True, check=True)
    return json.loads(child.stdout.strip().splitlines()[-1])


def table(rows: dict[int, dict]) -> str:
    base = rows[min(rows)]
    head = (f"{'size':>6} {'paragraphs':>10} {'triples':>9} {'wall s':>8} {'x wall':>7} {'para/s':>8} "
            f"{'peak MB':>8} {'x mem':>6}  stages (s)")
    lines = [head, "-" * len(head)]
    for n, r in sorted(rows.items()):
        stages = " ".join(f"{k} {v:.1f}" for k, v in r["timings"].items())
        lines.append(f"{'x' + str(n):>6} {r['paragraphs']:>10} {r['triples']:>9} {r['wall']:>8.2f} "
                     f"{r['wall'] / base['wall']:>7.1f} {r['paragraphs'] / r['wall']:>8.0f} "
                     f"{r['peak_mb']:>8.0f} {r['peak_mb'] / base['peak_mb']:>6.1f}  {stages}")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(build_once(sys.argv[2], sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 10, 100])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tipkg-bench-") as tmp:
        rows = {}
        for n in args.sizes:
            rows[n] = measure(n, Path(tmp))
            print(f"x{n}: {rows[n]['wall']:.2f} s", file=sys.stderr, flush=True)
        print(table(rows))


if __name__ == "__main__":
    main()
