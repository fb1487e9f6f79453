"""The validation's largest check and its local pass: CPU seconds and peak memory, this checkout against a baseline.

For each built OUT folder (its graph.nt and store/), each measure runs in a fresh
process, the baseline's then this checkout's, interleaved over ``--rounds``:

- ``citation``: tipsh:CitationShape's SPARQL check as ``run_checks`` solves it, over the
  store read-only (``--store persistent``, as a build validates above ``IN_MEMORY_BYTES``) or
  graph.nt loaded into memory (``--store memory``): its CPU seconds, and the peak growth of
  the process's anonymous memory while it runs, sampled every 5 ms from another process (the
  query holds the GIL). Over RocksDB about 32 MB of that is the block cache, filled by any
  query that reads enough; in memory there is none.
- ``local``: the one pass over graph.nt answering the checks local to a focus node
  (``validate.local_pass``, shapes/local.py): its CPU seconds and how much it raised the
  process's peak RSS.

- ``whole``: the whole validation as a cold build runs it over the persistent store (``local_pass``
  over graph.nt, then ``validate`` with its answers, half of the queried checks in a forked child):
  CPU seconds of the process and its child together, the larger peak RSS of the two, and the report
  (its results must be the same in both checkouts).

Medians, with the ratio this / baseline and the load average. Build the folders first, e.g.
``python3 benchmarks/replicate.py 30 C30 && python3 -m tipkg build --no-cache --corpus C30 --out O30``.

    git -C /work/main archive 3396434 | tar -x -C /tmp/base
    python3 benchmarks/bench_validate_memory.py /tmp/base O10 O30 --rounds 3 --json vm.json
    python3 benchmarks/bench_validate_memory.py /tmp/base O30 --what whole --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

# run inside the measured process: argv = checkout, OUT, store kind; prints one JSON line
CITATION = r'''
import json, os, subprocess, sys, time
checkout, out, kind = sys.argv[1:4]
sys.path.insert(0, checkout)
import pyoxigraph as ox
import tipkg
from tipkg.ontology.files import ontology_graph
from tipkg.shapes.validate import class_pairs, compiled, load_shapes, run_checks
if kind == "memory":
    store = ox.Store()
    store.bulk_load(path=out + "/graph.nt", format=ox.RdfFormat.N_TRIPLES)
else:
    store = ox.Store.read_only(out + "/store")
(check,) = [c for c in compiled(load_shapes(), ontology_graph(), store)
            if str(c.shape).endswith("#CitationShape") and c.component == "SPARQLConstraintComponent"]
sampler = subprocess.Popen([sys.executable, "-c", SAMPLER, str(os.getpid())], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
def anon():
    return int(open("/proc/self/status").read().split("RssAnon:")[1].split()[0])
time.sleep(0.1)
base = anon()
sampler.stdin.write("\n"); sampler.stdin.flush(); sampler.stdout.readline()  # the peak from here
start = time.process_time()
results = run_checks(store, [check])
cpu = time.process_time() - start
time.sleep(0.03)
sampler.stdin.write("\n"); sampler.stdin.flush()
peak = int(sampler.stdout.readline())
sampler.kill()
print(json.dumps({"cpu": cpu, "mb": (peak - base) / 1024, "results": len(results)}))
'''

SAMPLER = r'''
import select, sys
pid, peak = sys.argv[1], 0
while True:
    try:
        status = open(f"/proc/{pid}/status").read()
    except OSError:
        break
    peak = max(peak, int(status.split("RssAnon:")[1].split()[0]))
    if select.select([sys.stdin], [], [], 0.005)[0]:
        sys.stdin.readline()
        print(peak, flush=True)
        peak = 0
'''

LOCAL = r'''
import json, resource, sys, time
checkout, out = sys.argv[1:3]
sys.path.insert(0, checkout)
import tipkg
from tipkg.ontology.files import ontology_graph
from tipkg.shapes.validate import load_shapes, local_pass
load_shapes(); ontology_graph()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
done = local_pass(out + "/graph.nt")
cpu = time.process_time() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"cpu": cpu, "mb": (after - before) / 1024, "results": sum(len(rows) for _, rows in done.answers or [])}))
'''


WHOLE = r'''
import hashlib, json, resource, sys, time
checkout, out = sys.argv[1:3]
sys.path.insert(0, checkout)
import pyoxigraph as ox
import tipkg
from tipkg.ontology.files import ontology_graph
from tipkg.shapes.validate import load_shapes, local_pass, validate
load_shapes(); ontology_graph()
def cpu():
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))
start = cpu()
done = local_pass(out + "/graph.nt")
store = ox.Store.read_only(out + "/store")
report = validate(store, reopen=lambda: ox.Store.read_only(out + "/store"), triples=1, nt=out + "/graph.nt", done=done)
used = cpu() - start
mb = max(resource.getrusage(r).ru_maxrss for r in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
text = "\n".join(report.text(limit=10 ** 9).splitlines()[1:])
print(json.dumps({"cpu": used, "mb": mb, "results": hashlib.sha256(text.encode()).hexdigest()[:12] + f" ({len(set(report.results))})"}))
'''


def measure(what: str, checkout: Path, out: Path, kind: str) -> dict:
    code = CITATION.replace("SAMPLER", repr(SAMPLER)) if what == "citation" else LOCAL if what == "local" else WHOLE
    args = [sys.executable, "-c", code, str(checkout), str(out)] + ([kind] if what == "citation" else [])
    done = subprocess.run(args, capture_output=True, text=True, check=True, cwd=str(checkout))
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("baseline", type=Path, help="a checkout to compare with (e.g. a git archive of main)")
    parser.add_argument("outs", type=Path, nargs="+", help="built OUT folders (graph.nt and store/)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--store", choices=("persistent", "memory"), default="persistent")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--what", nargs="+", choices=("citation", "local", "whole"), default=["citation", "local"])
    args = parser.parse_args()
    report: list[dict] = []
    for out in args.outs:
        for what in args.what:
            runs: dict[str, list[dict]] = {"baseline": [], "this": []}
            for _ in range(args.rounds):
                for name, checkout in (("baseline", args.baseline), ("this", HERE)):
                    runs[name].append(measure(what, checkout.resolve(), out.resolve(), args.store))
            row = {"out": str(out), "what": what, "store": args.store if what == "citation" else "graph.nt" if what == "local" else "persistent",
                   "load": os.getloadavg()[0]}
            for name, found in runs.items():
                row[name] = {"cpu": statistics.median(r["cpu"] for r in found),
                             "mb": statistics.median(r["mb"] for r in found), "results": found[0]["results"]}
            if row["baseline"]["results"] != row["this"]["results"]:
                raise SystemExit(f"{out} {what}: {row['baseline']['results']} results against {row['this']['results']}")
            row["cpu ratio"] = row["this"]["cpu"] / row["baseline"]["cpu"]
            row["pairs"] = [(a["cpu"], b["cpu"], b["cpu"] / a["cpu"]) for a, b in zip(runs["baseline"], runs["this"])]
            report.append(row)
            print(f"{out.name:>10} {what:8} {row['store']:10} CPU {row['baseline']['cpu']:6.2f} -> {row['this']['cpu']:6.2f} s "
                  f"({row['cpu ratio']:.2f}x)  memory +{row['baseline']['mb']:6.1f} -> +{row['this']['mb']:6.1f} MB  "
                  f"results {row['this']['results']}  load {row['load']:.1f}", flush=True)
            print("    each round (baseline, this, ratio): " + "; ".join(f"{a:.2f} {b:.2f} {r:.3f}" for a, b, r in row["pairs"]),
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
