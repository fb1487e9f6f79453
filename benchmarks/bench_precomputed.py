"""CPU cost of the build's precomputed answers (``OUT/precomputed/``), per catalog query.

The writer (queries/precomputed.py) runs on the store of a build; this times it
on the store of an output folder already built (opened read-only, through a
symlink in a scratch folder, so the folder is never written), once per catalog
query (the writer is given a catalog of that one query) and once whole. Each
figure is the median of ``--runs`` runs of process CPU time (user + system),
with the wall time beside it; the load average is printed, since the machine is
shared. Run it from two checkouts in the same window to compare before/after:

    python3 benchmarks/bench_precomputed.py /tmp/out-x10 --runs 3
    python3 benchmarks/bench_precomputed.py /tmp/out-x10 --runs 3 --json before.json

A query the writer leaves live costs what its attempt costs (its check).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's tipkg, run as a script
from tipkg.queries import precomputed  # noqa: E402
from tipkg.queries.catalog import catalog  # noqa: E402


def _timed(only: dict | None, out: Path) -> tuple[float, float, int]:
    """(CPU s, wall s, files written) of one run of the writer on ``out``'s store."""
    with tempfile.TemporaryDirectory(prefix="bench-precomputed-") as scratch:
        os.symlink(out.resolve() / "store", Path(scratch) / "store")
        saved = precomputed.catalog
        if only is not None:
            precomputed.catalog = lambda: only
        try:
            cpu, wall = time.process_time(), time.perf_counter()
            precomputed.write_precomputed(None, Path(scratch) / "precomputed")
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        finally:
            precomputed.catalog = saved
        return cpu, wall, len(list((Path(scratch) / "precomputed").iterdir()))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="an output folder of `tipkg build` (only read)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", action="append", help="time only these queries (and not the whole)")
    parser.add_argument("--whole", action="store_true", help="time only the whole writer")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    print(f"# {args.out}  load average {os.getloadavg()}", flush=True)
    _timed({}, args.out)  # imports and the store's first opening, not counted
    figures = {}
    for name, query in catalog().items():
        if (args.only and name not in args.only) or args.whole:
            continue
        runs = [_timed({name: query}, args.out) for _ in range(args.runs)]
        figures[name] = {"cpu_s": statistics.median(r[0] for r in runs),
                         "wall_s": statistics.median(r[1] for r in runs), "files": runs[0][2]}
        print(f"{name:32} cpu {figures[name]['cpu_s']:8.3f} s  wall {figures[name]['wall_s']:8.3f} s  "
              f"files {figures[name]['files']}", flush=True)
    if not args.only:
        runs = [_timed(None, args.out) for _ in range(args.runs)]
        figures["(whole writer)"] = {"cpu_s": statistics.median(r[0] for r in runs),
                                     "wall_s": statistics.median(r[1] for r in runs), "files": runs[0][2]}
        print(f"{'(whole writer)':32} cpu {figures['(whole writer)']['cpu_s']:8.3f} s  "
              f"wall {figures['(whole writer)']['wall_s']:8.3f} s  files {runs[0][2]}", flush=True)
    print(f"# load average after {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps({"out": str(args.out), "figures": figures}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
