"""Text-reuse benchmark: the reuse stage alone, from scratch (``find_reuse``) and through the on-disk index.

For each size the corpus ×N (``replicate.py``) is extracted once into a unit
cache; then each measurement runs in a fresh child process that reads the units
back (as a build does) and times only the stage, with its peak memory: the
child's high-water mark (``VmHWM``, reset through ``/proc/self/clear_refs``
just before the stage) minus its resident set at that moment — what the stage
itself adds over the units the build already holds.

Scenarios, each repeated ``--runs`` times (interleaved, median reported):

- ``scratch``: ``find_reuse`` over every unit (what a build without the index
  does every time, cold, warm or after one change);
- ``cold``: the index built from nothing (the summaries exist: the extraction
  workers wrote them beside the units);
- ``warm``: the same corpus again, nothing changed;
- ``changed``: the last source edited (a newline appended, checksum updated;
  its unit and summary re-extracted before the clock starts);
- ``summaries``: the shingling the workers now do beside extraction (every
  source's summary computed in one process, for scale).

``--code DIR`` runs the children on another checkout (e.g. ``git archive`` of
main before the index, where only ``scratch`` exists)::

    python benchmarks/bench_reuse.py 1 10 --runs 3 --json reuse.json
    python benchmarks/bench_reuse.py 1 10 --runs 3 --code /tmp/main-src --only scratch
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import replicate  # noqa: E402
from bench_build import change_one  # noqa: E402

CHILD = r"""
import json, sys, time
from pathlib import Path
from tipkg.sources import read_corpus
from tipkg.cache_keys import key_of
from tipkg.units import extract_units
mode, corpus, cache = sys.argv[1:4]
sources = read_corpus(corpus)
units = extract_units(sources, cache, jobs=1).units
structured, keys = [u.structured for u in units], [key_of(s) for s in sources]
from tipkg.network.reuse import find_reuse  # imported before the clock starts
if mode != "scratch":
    from tipkg.network.reuse_index import indexed_reuse, summarize

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024

Path("/proc/self/clear_refs").write_text("5")  # the high-water mark starts again from here
before = status("VmRSS")
start = time.perf_counter()
if mode == "scratch":
    echoes, attested = find_reuse(structured)
elif mode == "summaries":
    echoes, attested = [summarize(item) for item in structured], []
else:
    found = indexed_reuse(structured, keys, cache)
    echoes, attested = found.echoes, found.attestations
seconds = time.perf_counter() - start
print(json.dumps({"s": seconds, "mb": status("VmHWM") - before, "rss_before_mb": before, "echoes": len(echoes)}))
"""


def child(mode: str, corpus: Path, cache: Path, code: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(corpus), str(cache)], capture_output=True, text=True,
                         cwd=code, env={**os.environ, "PYTHONPATH": str(code)})
    if out.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(n: int, runs: int, only: list[str], code: Path, workdir: Path) -> dict:
    found: dict[str, list[dict]] = {mode: [] for mode in only}
    for _ in range(runs):
        corpus = replicate.write_corpus(n, workdir / f"corpus-x{n}")
        cache = workdir / f"cache-x{n}"
        shutil.rmtree(cache, ignore_errors=True)
        child("scratch" if "scratch" in only else "summaries", corpus, cache, code)  # extraction (not timed)
        for mode in only:
            if mode == "changed":
                change_one(corpus)
            if mode in ("scratch", "summaries"):
                found[mode].append(child(mode, corpus, cache, code))
            else:
                found[mode].append(child("index", corpus, cache, code))
    row = {"size": n, "runs": runs}
    for mode, values in found.items():
        row[mode] = {"s": round(statistics.median(v["s"] for v in values), 3),
                     "mb": round(statistics.median(v["mb"] for v in values), 1),
                     "all_s": [round(v["s"], 3) for v in values], "echoes": values[0]["echoes"]}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 10])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="scratch,cold,warm,changed,summaries",
                        help="comma-separated scenarios, in the order they run")
    parser.add_argument("--code", default=str(HERE.parent), help="the checkout the children import tipkg from")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    only = args.only.split(",")
    rows = []
    with tempfile.TemporaryDirectory(prefix="tipkg-bench-reuse-") as tmp:
        for n in args.sizes:
            rows.append(measure(n, args.runs, only, Path(args.code).resolve(), Path(tmp)))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    for row in rows:
        print(f"x{row['size']}: " + ", ".join(f"{m} {row[m]['s']:.2f} s / {row[m]['mb']:.0f} MB" for m in only))


if __name__ == "__main__":
    main()
