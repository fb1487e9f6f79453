"""CPU of each writer of the outputs stage in a real build, cold and after one changed source, two
checkouts interleaved (a same-run ratio).

``tipkg build`` writes OUT through ``graph/outputs.py`` ``write_dumps``: graph.nt and the store in the
build's process, then each forked writer (the text dumps and VoID, the precomputed answers) and the
validation in a child of its own, beside the others. The stage's wall time says which is the longest
of them on an idle machine only; this says what each costs. It runs the build in a child process per
checkout with ``tipkg.parallel._run`` wrapped so that every forked child records its own CPU (user +
system, with the pool workers it waited for) under the name of what it ran, and ``Writer.__call__``
wrapped in the build's process (graph.nt, the store, context.jsonld). Rows:

- ``segments``: the text dumps and VoID (``graph/segments.py``; started beside the store's load in a
  cold build, after the store in a rebuild), its pool workers included;
- ``precomputed``, ``context.jsonld``, ``graph.nt``, ``store``: each writer;
- ``check``/``local_pass``: validation (helper rows: they run beside the writers);
- ``build``: the whole build's CPU (its process tree).

Each round builds ``--corpus`` into a fresh OUT with a warm cache (so the outputs stage does what a cold
build's does: there is no previous OUT), then, on a copy of the corpus with one word changed
(``bench_build.change_one``), rebuilds that OUT. The cache is made once per checkout, before the rounds.

    git -C /work/main archive HEAD | tar -x -C /tmp/base
    python benchmarks/bench_outputs.py /tmp/base CORPUS WORKDIR --rounds 3 --json o.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, os, resource, sys, time
root, log = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
import tipkg.parallel as P
from tipkg.graph import writers as W

def cpu(who):
    u = resource.getrusage(who)
    return u.ru_utime + u.ru_stime

def record(name, seconds, wall):
    with open(log, "a") as f:
        f.write(json.dumps({"name": name, "cpu": seconds, "wall": wall}) + "\n")

def label(fn, args):
    name = getattr(fn, "__name__", str(fn))
    if name == "_write_each":
        return "+".join(w.name for w in args[0])
    if name in ("_beside", "write_segmented"):
        return "segments"
    return name

run = P._run
def timed_run(send, fn, args, parent):
    start, wall = cpu(resource.RUSAGE_SELF) + cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    try:
        return run(send, fn, args, parent)
    finally:
        record(label(fn, args), cpu(resource.RUSAGE_SELF) + cpu(resource.RUSAGE_CHILDREN) - start,
               time.perf_counter() - wall)
P._run = timed_run

call = W.Writer.__call__
def timed_call(self, triples, path, settings):
    if self.forked:  # in its own child: recorded by timed_run
        return call(self, triples, path, settings)
    start, wall = time.process_time(), time.perf_counter()
    try:
        return call(self, triples, path, settings)
    finally:
        record(self.name, time.process_time() - start, time.perf_counter() - wall)
W.Writer.__call__ = timed_call

from tipkg.cli import main
code = main(sys.argv[3:])
record("build", cpu(resource.RUSAGE_SELF) + cpu(resource.RUSAGE_CHILDREN), 0.0)
sys.exit(code)
"""


def build(root: Path, corpus: Path, out: Path, cache: Path, log: Path) -> dict[str, float]:
    """One build in a child from checkout ``root``; CPU seconds by row (summed where a row ran twice)."""
    log.unlink(missing_ok=True)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-c", CHILD, str(root), str(log), "build", "--corpus", str(corpus), "--out",
                    str(out), "--cache", str(cache), "--quiet"], check=True, env=env, cwd=root,
                   stdout=subprocess.DEVNULL)
    rows: dict[str, float] = {}
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        rows[entry["name"]] = rows.get(entry["name"], 0.0) + entry["cpu"]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", type=Path, help="the baseline checkout (e.g. a git archive of main)")
    parser.add_argument("corpus", type=Path)
    parser.add_argument("workdir", type=Path, help="scratch: caches, corpora and OUTs of both checkouts")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from bench_build import change_one

    checkouts = {"base": args.base.resolve(), "this": HERE.parent}
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    changed = work / "corpus-changed"
    shutil.rmtree(changed, ignore_errors=True)
    shutil.copytree(args.corpus, changed)
    change_one(changed)
    results: dict[str, dict[str, list[dict[str, float]]]] = {k: {"cold": [], "changed": []} for k in checkouts}
    for name, root in checkouts.items():  # the caches, once: every round's build then reads them
        build(root, args.corpus, work / f"out-{name}", work / f"cache-{name}", work / "log")
    for _ in range(args.rounds):
        for name, root in checkouts.items():
            out = work / f"out-{name}"
            shutil.rmtree(out, ignore_errors=True)
            results[name]["cold"].append(build(root, args.corpus, out, work / f"cache-{name}", work / "log"))
            results[name]["changed"].append(build(root, changed, out, work / f"cache-{name}", work / "log"))
            print(name, json.dumps({k: {r: round(s, 2) for r, s in v[-1].items()} for k, v in results[name].items()}),
                  flush=True)
    for name in checkouts:
        shutil.rmtree(work / f"out-{name}", ignore_errors=True)
    print(f"{'':>8} {'row':<24} {'base':>8} {'this':>8} {'ratio':>6}   (median CPU s of {args.rounds})")
    summary = {}
    for kind in ("cold", "changed"):
        rows = sorted({r for runs in results.values() for run in runs[kind] for r in run})
        for row in rows:
            med = {n: statistics.median(run.get(row, 0.0) for run in results[n][kind]) for n in checkouts}
            summary[f"{kind} {row}"] = med
            ratio = med["this"] / med["base"] if med["base"] else float("nan")
            print(f"{kind:>8} {row:<24} {med['base']:>8.2f} {med['this']:>8.2f} {ratio:>6.2f}")
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "medians": summary}, indent=1))


if __name__ == "__main__":
    main()
