"""The extraction stage's CPU seconds, this checkout against a baseline, interleaved (a same-run ratio).

The extraction stage of a cold build (``tipkg.units.extract_units``) runs one
task per source: its structure and references, its graph part, its view, its
text-reuse summary and the cache entries of all of them. Its CPU is that task's
cost times the corpus's sources. Each round runs, for the baseline then this
checkout (then the other way round), a fresh process that imports the checkout
(its own code first on the path) and runs the stage as a cold cached build's
parent calls it (``tipkg.pipeline.build``: an empty cache, the graph parts, the
kept units, briefs and views), with ``--jobs`` workers (default 1: every task in
that process, the cleanest CPU figure). It prints the CPU seconds of the stage
alone (the process's and its workers', imports and the corpus's reading left
out), medians over the rounds and their ratio; the load average before and after.

    git -C /work/main archive HEAD | tar -x -C /tmp/base     # a frozen baseline
    python benchmarks/bench_extract.py /tmp/base --size 30 --rounds 5
    python benchmarks/bench_extract.py /tmp/base --size 1 --rounds 7
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
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import replicate  # noqa: E402
from bench_against import compile_checkout, interleaved  # noqa: E402

#: the stage, run in a fresh process of the checkout: its CPU seconds (this process and its workers) printed
STAGE = """
import resource, sys
from tipkg.graph.uris import base_iri
from tipkg.held import Brief, held
from tipkg.sources import read_corpus
from tipkg.units import extract_units
from tipkg.views import store_view
sources = read_corpus(sys.argv[1], texts=False)
def cpu():
    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))
before = cpu()
done = extract_units(sources, sys.argv[2], int(sys.argv[3]), base=base_iri(None), keep=held, brief=Brief.of,
                     beside=store_view)
print(cpu() - before, done.extracted)
"""


def run(checkout: Path, corpus: Path, cache: Path, jobs: int) -> float:
    """One cold extraction stage of ``corpus`` by ``checkout`` into the empty ``cache``: its CPU seconds."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the bytecode ``compile_checkout`` wrote is read, no module compiled
    child = subprocess.run([sys.executable, "-c", STAGE, str(corpus), str(cache), str(jobs)], capture_output=True,
                           text=True, cwd=checkout, env=env)
    if child.returncode != 0:
        raise SystemExit(f"{checkout}: failed ({child.returncode})\n{child.stderr[-3000:]}")
    cpu, extracted = child.stdout.split()
    return float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("baseline", help="the root of the checkout to compare with (e.g. a `git archive` of main)")
    parser.add_argument("--size", type=int, default=10, help="the corpus ×N (default 10)")
    parser.add_argument("--rounds", type=int, default=5, help="runs per checkout (default 5)")
    parser.add_argument("--jobs", type=int, default=1, help="extraction workers (default 1: in the stage's process)")
    parser.add_argument("--json", metavar="FILE", help="write every run's figure and the medians as JSON")
    args = parser.parse_args()
    checkouts = {"base": Path(args.baseline).resolve(), "this": ROOT}
    for checkout in checkouts.values():
        compile_checkout(checkout)
    load = [os.getloadavg()[0]]
    runs: dict[str, list[float]] = {name: [] for name in checkouts}
    with tempfile.TemporaryDirectory(prefix="tipkg-extract-") as tmp:
        corpus = replicate.write_corpus(args.size, Path(tmp) / "corpus")
        for r, name, checkout in interleaved(checkouts, args.rounds):
            cache = Path(tmp) / f"cache-{name}-{r}"
            runs[name].append(run(checkout, corpus, cache, args.jobs))
            subprocess.run(["rm", "-rf", str(cache)], check=True)
            if any(len(done) <= r for done in runs.values()):
                continue  # the round's other checkout is still to run
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(f"{name} {runs[name][-1]:.2f} CPU s" for name in checkouts),
                  file=sys.stderr, flush=True)
    load.append(os.getloadavg()[0])
    medians = {name: statistics.median(runs[name]) for name in checkouts}
    print(f"x{args.size} extraction stage, --jobs {args.jobs}, {args.rounds} rounds interleaved, medians; "
          f"load average {load[0]:.1f} before, {load[1]:.1f} after")
    print(f"base {medians['base']:.2f} CPU s, this {medians['this']:.2f} CPU s, ratio {medians['this'] / medians['base']:.3f}"
          f" (per round: {', '.join(f'{t / b:.3f}' for b, t in zip(runs['base'], runs['this']))})")
    if args.json:
        Path(args.json).write_text(json.dumps({"size": args.size, "jobs": args.jobs, "load": load, "medians": medians,
                                               "runs": runs}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
