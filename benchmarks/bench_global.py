"""The build's global pass (issue 11): what the PARENT process of `tipkg build` spends between extraction and
the outputs — CPU seconds per stage and its resident memory — for the corpus ×N, in this checkout and in
others (``--root``), interleaved, so two versions are compared in the same window on a shared machine.

    python benchmarks/bench_global.py 30 --root /tmp/before --root . --runs 3 --json global.json

Each run is a child process that runs ``tipkg.pipeline.build`` of the checkout it is given, with the
outputs left out (the writers are another stage's), and reports per stage the parent's own CPU time
(``time.process_time``: the forked reuse child and the pools are not in it, so the figure is the parent's
work, little moved by the load of other processes), and the parent's peak RSS (``VmHWM``) when the global
pass ends, and its CPU time from the build's start to the outputs (``parent_cpu_s``). Each checkout keeps
its own cache (its code version differs): a first, unmeasured run fills it.
With ``--change``, a word of the corpus's last source is edited before each round of runs (``bench_build``'s
``change_one``): the figures are then those of a rebuild after one source changed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import replicate  # noqa: E402

#: the parent's stages between extraction and the outputs (names in tipkg.pipeline)
#: (``find_mandates`` before the parent read its units back one at a time, ``mandates_by_source`` since: a
#: checkout is timed by the names it has)
#: (``Views.mandates`` … since the parent reads each unit's view instead, ``tipkg.views``: a method of a class
#: of ``tipkg.pipeline``'s namespace is timed as ``Class.method``)
STAGES = ("extract_units", "graph_parts", "find_mandates", "mandates_by_source", "Views.mandates", "Views.printed",
          "build_graph", "add_echoes", "add_repeats", "align", "Views.aligned", "add_alignments")

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, os.getcwd())
import tipkg.pipeline as P
cpu, stages = {}, json.loads(sys.argv[4])
def timed(name, fn):
    def inner(*a, **k):
        start = time.process_time()
        try:
            return fn(*a, **k)
        finally:
            cpu[name] = cpu.get(name, 0.0) + time.process_time() - start
    return inner
for name in stages:
    owner, _, attr = name.rpartition(".")
    owner = getattr(P, owner, None) if owner else P
    if owner is not None and hasattr(owner, attr):
        setattr(owner, attr, timed(name, getattr(owner, attr)))
class Done(Exception):
    pass
def stop(result, *args, **kwargs):
    hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
    print(json.dumps({"cpu": cpu, "peak_mb": hwm // 1024, "triples_in_memory": len(result.triples._triples),
                      "parent_cpu": time.process_time() - began}))
    raise Done
P._write = stop
began = time.process_time()
try:
    P.build(sys.argv[1], sys.argv[2], cache=sys.argv[3])
except Done:
    pass
"""


def run(root: Path, corpus: Path, work: Path, cache: Path) -> dict:
    out = Path(tempfile.mkdtemp(dir=work)) / "out"
    child = subprocess.run([sys.executable, "-c", CHILD, str(corpus), str(out), str(cache), json.dumps(STAGES)],
                           cwd=root, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(root)})
    if child.returncode != 0:
        raise SystemExit(f"failed in {root}:\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", type=int)
    parser.add_argument("--root", action="append", type=Path, help="a checkout to measure (default: this one)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--change", action="store_true", help="edit one word before each round (a rebuild)")
    args = parser.parse_args()
    roots = [r.resolve() for r in (args.root or [HERE.parent])]
    with tempfile.TemporaryDirectory(prefix="tipkg-global-") as tmp:
        work = Path(tmp)
        corpus = replicate.write_corpus(args.size, work / "corpus")
        caches = {root: work / f"cache-{n}" for n, root in enumerate(roots)}
        for root in roots:  # fill each checkout's cache: extraction and parts are not what is measured
            run(root, corpus, work, caches[root])
        results: dict[Path, list[dict]] = {root: [] for root in roots}
        for _ in range(args.runs):
            if args.change:
                import bench_build

                bench_build.change_one(corpus)
            for root in roots:
                results[root].append(run(root, corpus, work, caches[root]))
    report = {}
    for root, runs in results.items():
        cpu = {s: round(statistics.median(r["cpu"].get(s, 0.0) for r in runs), 2) for s in STAGES}
        report[str(root)] = {"cpu_s": cpu, "global_cpu_s": round(sum(v for k, v in cpu.items()
                                                                       if k not in ("extract_units", "graph_parts")), 2),
                             "parent_cpu_s": round(statistics.median(r.get("parent_cpu", 0.0) for r in runs), 2),
                             "peak_mb": statistics.median(r["peak_mb"] for r in runs), "runs": runs}
        print(f"{str(root):40s} global pass {report[str(root)]['global_cpu_s']:6.2f} CPU s (parent up to the "
              f"outputs {report[str(root)]['parent_cpu_s']:6.2f}), parent peak "
              f"{report[str(root)]['peak_mb']:.0f} MB  " + "  ".join(f"{k} {v}" for k, v in cpu.items()))
    if args.json:
        args.json.write_text(json.dumps({"size": args.size, "results": report}, indent=1))


if __name__ == "__main__":
    main()
