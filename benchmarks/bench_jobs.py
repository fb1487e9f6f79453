"""Scaling of a cold ``tipkg build`` with ``--jobs``: per stage, wall and CPU, and the serial fraction.

The issue asks what ``--jobs 16`` would give, measured from 1 to 2 jobs on
this 2-core machine. Each round runs a cold build (empty cache and OUT) per
``--jobs`` value, interleaved, each the public command from this checkout
(``python -m tipkg build --corpus C --out O --cache K --jobs N``); the wall
time of each stage comes from the build's own ``time:`` line, the CPU from
the whole process tree (user + system). Medians over the rounds.

For each stage, from its wall at 1 job (``t1``) and at 2 (``t2``), Amdahl's
law ``t(n) = t1·(s + (1-s)/n)`` gives the serial fraction ``s = 2·t2/t1 - 1``
(clipped to [0, 1]), and from it the projection ``t(16)``. The projection
assumes 16 real cores, as idle as these two, and the stage's work split as it
is split here; a stage ``--jobs`` does not touch (one process; or the forked
children that run beside one another whatever ``--jobs`` says) shows s ≈ 1.

    python benchmarks/bench_jobs.py 10 --rounds 3 --json jobs.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import replicate  # noqa: E402
from bench_against import run  # noqa: E402


def cold(corpus: Path, scratch: Path, jobs: int) -> dict:
    """One cold build with ``jobs``: wall and CPU seconds (whole process tree) and its stages."""
    out, cache = scratch / f"out-{jobs}", scratch / f"cache-{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    return run(ROOT, corpus, out, cache, jobs)  # bench_against's timed build, from this checkout


def serial_fraction(t1: float, t2: float) -> float:
    """Amdahl's serial fraction from the times at 1 and 2 workers (clipped to [0, 1])."""
    return min(1.0, max(0.0, 2 * t2 / t1 - 1)) if t1 > 0 else 1.0


def projected(t1: float, s: float, n: int) -> float:
    return t1 * (s + (1 - s) / n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int, help="the corpus replicated ×SIZE (benchmarks/replicate.py)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--project", type=int, default=16, help="project the times to this many jobs")
    parser.add_argument("--json", type=Path, help="write every run and the medians here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as folder:
        scratch = Path(folder)
        corpus = replicate.write_corpus(args.size, scratch / "corpus")
        load = [os.getloadavg()[0]]
        runs: dict[int, list[dict]] = {j: [] for j in args.jobs}
        for _ in range(args.rounds):
            for jobs in args.jobs:
                runs[jobs].append(cold(corpus, scratch, jobs))
        load.append(os.getloadavg()[0])
    names = list(dict.fromkeys(name for rs in runs.values() for r in rs for name in r["stages"]))
    median = {j: {"wall": statistics.median(r["wall"] for r in rs), "cpu": statistics.median(r["cpu"] for r in rs),
                  "stages": {n: statistics.median(r["stages"].get(n, 0.0) for r in rs) for n in names}}
              for j, rs in runs.items()}
    one, two = median[args.jobs[0]], median[args.jobs[-1]]
    print(f"×{args.size}, cold, medians of {args.rounds} (load average {load[0]:.1f} → {load[1]:.1f})")
    print(f"{'stage':<16}" + "".join(f"{'jobs ' + str(j):>10}" for j in args.jobs)
          + f"{'serial s':>10}{'jobs ' + str(args.project):>10}")
    rows = [(n, {j: median[j]["stages"][n] for j in args.jobs}) for n in names]
    rows.append(("wall", {j: median[j]["wall"] for j in args.jobs}))
    for name, by in rows:
        s = serial_fraction(by[args.jobs[0]], by[args.jobs[-1]])
        print(f"{name:<16}" + "".join(f"{by[j]:>10.2f}" for j in args.jobs)
              + f"{s:>10.2f}{projected(by[args.jobs[0]], s, args.project):>10.2f}")
    print(f"{'cpu (tree)':<16}" + "".join(f"{median[j]['cpu']:>10.2f}" for j in args.jobs))
    if args.json:
        args.json.write_text(json.dumps({"size": args.size, "load": load, "runs": runs, "median": median,
                                         "stage_1": one["stages"], "stage_2": two["stages"]}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
