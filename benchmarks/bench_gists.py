"""The gists stage alone, as a build's forked child runs it, for two checkouts in turn: CPU and own memory.

The gists child (``SpilledTriples.add_made(add_gists, …)``) is a few per cent of a build's CPU, too little
to see in a whole build's figures on a shared machine; its memory is what grew with the corpus. This
runs just that stage from a kept build: the cached parts' lines (``<cache>/parts``) included as known,
with their gist tables (``graph.gists.Tables``) handed over as the build hands them; the rest of
``graph.nt`` (the parent's own lines: labels, mandates, the index, the texts) as one more stream. Each run
is a fresh process of one checkout (its own code first on the path); it reports the stage's CPU seconds
and its own memory — the peak RSS (``VmHWM``, reset by ``clear_refs``) less the RSS when the stage
began — and the gists' lines, which must be the same bytes for both checkouts.

    python3 -m tipkg build --corpus C30 --out O30 --cache K30          # a kept build (any checkout)
    python3 benchmarks/bench_gists.py O30 K30 --base /tmp/base --rounds 3
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r'''
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, os.getcwd())
from tipkg.graph.gists import Tables, add_gists
from tipkg.graph.merge import FileLines
from tipkg.graph.streams import SpilledTriples, _made_file
out, cache, scratch = map(Path, sys.argv[1:4])  # sys.argv[4]: graph.nt less the parts' lines
parts = []
for meta in sorted((cache / "parts").glob("*/*.part")):
    lines, facts = meta.with_suffix(".nt"), meta.with_suffix(".gists")
    if lines.exists():
        parts.append((lines, facts if facts.exists() else None))
rest = Path(sys.argv[4])
graph = SpilledTriples({}, scratch / "graph")
for lines, facts in parts:
    graph.include(FileLines(lines), known=facts is not None)
graph.include(FileLines(rest))
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])
rss0 = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")
c0 = time.process_time()
known = (Tables.load(facts, lines) for lines, facts in parts if facts is not None)
made = _made_file(graph, add_gists, (None, known), scratch / "made")  # what the forked child runs
cpu = time.process_time() - c0
os.replace(made, scratch / "made.nt")
count = sum(1 for line in open(scratch / "made.nt", "rb") if b"ontology#gist>" in line)
print(json.dumps({"cpu": cpu, "own_mb": (status("VmHWM") - rss0) / 1024, "rss0_mb": rss0 / 1024, "gists": count}))
'''


def the_rest(out: Path, cache: Path, into: Path) -> Path:
    """``graph.nt`` less the cached parts' own lines and their texts (which a build leaves out of what the
    gists read when every part has its tables: ``graph.parts.add_parts``): what the build's gists read of
    its parent's lines (made here, once, so the measured process never held the parts' lines)."""
    ours: set[bytes] = set()
    metas = [meta for meta in (cache / "parts").glob("*/*.part") if meta.with_suffix(".nt").exists()]
    texts_known = all(meta.with_suffix(".gists").exists() for meta in metas)
    for meta in metas:
        ours.update(meta.with_suffix(".nt").read_bytes().splitlines(keepends=True))
        if texts_known:
            ours.update(meta.with_suffix(".contested.nt").read_bytes().splitlines(keepends=True))
    with open(out / "graph.nt", "rb") as whole, open(into, "wb") as kept:
        kept.writelines(line for line in whole if line not in ours)
    return into


def run(checkout: Path, out: Path, cache: Path, rest: Path) -> tuple[dict, str]:
    scratch = Path(tempfile.mkdtemp(prefix="bench-gists-"))
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(out), str(cache), str(scratch), str(rest)],
                              cwd=checkout,
                              check=True, capture_output=True, text=True)
        digest = hashlib.sha256((scratch / "made.nt").read_bytes()).hexdigest()
        return json.loads(done.stdout.strip().splitlines()[-1]), digest
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="a kept build's OUT (its graph.nt)")
    parser.add_argument("cache", type=Path, help="that build's cache (its parts and their gist tables)")
    parser.add_argument("--base", type=Path, help="a baseline checkout, run in turn with this one")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    mine = Path(__file__).resolve().parent.parent
    checkouts = {"base": args.base, "this": mine} if args.base else {"this": mine}
    results: dict[str, list[dict]] = {name: [] for name in checkouts}
    digests = set()
    rest = the_rest(args.out, args.cache, Path(tempfile.mkdtemp(prefix="bench-gists-rest-")) / "rest.nt")
    for r in range(args.rounds):
        for name, checkout in checkouts.items():
            load = os.getloadavg()[0]
            figures, digest = run(checkout, args.out, args.cache, rest)
            digests.add(digest)
            figures["load"] = load
            results[name].append(figures)
            print(f"round {r + 1} {name}: cpu {figures['cpu']:.2f} s, own {figures['own_mb']:.0f} MB, "
                  f"{figures['gists']} gists, load {load:.1f}", flush=True)
    for name, runs in results.items():
        print(f"{name}: median cpu {statistics.median(f['cpu'] for f in runs):.2f} s, "
              f"median own {statistics.median(f['own_mb'] for f in runs):.0f} MB")
    shutil.rmtree(rest.parent, ignore_errors=True)
    print("gists' lines: " + ("the same bytes" if len(digests) == 1 else f"DIFFER ({len(digests)} digests)"))
    if len(digests) != 1:
        sys.exit(1)


if __name__ == "__main__":
    main()
