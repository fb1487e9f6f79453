"""CPU of each text dump's rendering of graph.nt's segments, two checkouts interleaved (a same-run ratio).

A cold build renders graph.ttl, graph.jsonld and graph.trig a segment at a time in the process
pool (``graph/segments.py`` ``_work``: the lines split once, then each dump's text). This times
exactly that rendering, in this process's children, on one graph.nt (an OUT of any build, read
only), for the baseline then this checkout, ``--rounds`` times in turn; medians of the CPU
seconds (user + system of the child, after its imports):

- ``split``: the segments' lines split (``jsonld.split_lines``; shared by the dumps and VoID);
- ``graph.ttl``, ``graph.jsonld``: each dump alone;
- ``graph.trig``: TriG beside the Turtle it is cut from (both, less the Turtle alone);
- ``all``: the three together, as ``_work`` renders them (without the split).

No pool, no file written: the writers' own CPU, which a build spreads over ``--jobs`` workers.
Each child also checks that its three texts, joined, are the bodies of the OUT's dumps (the
OUT must then be of the same graph.nt: any build of the same corpus).

    git -C /work/main archive HEAD | tar -x -C /tmp/base
    python benchmarks/bench_writers.py /tmp/base OUT --rounds 3 --json w.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROWS = ("split", "graph.ttl", "graph.jsonld", "graph.trig", "all")

CHILD = r"""
import inspect, json, re, sys, time
from pathlib import Path
root, out = sys.argv[1], Path(sys.argv[2])
sys.path.insert(0, root)
from tipkg.graph import jsonld, segments as S
from tipkg.graph.dumps import file_source_maps
source = str(out / "graph.nt")
written, files = file_source_maps(source)
prefixes = {}
for line in (out / "graph.ttl").read_bytes()[:1 << 16].split(b"\n"):
    m = re.match(rb"@prefix (\S*): <(.*)> \.$", line)
    if m:
        prefixes[m[1].decode()] = m[2].decode()
context = S._Context(source, S.TEXT, prefixes, {k: v.value for k, v in written.items()},
                     {k: v.value for k, v in files.items()}, "/nonexistent")
with_data = "data" in inspect.signature(S._outputs).parameters  # before turtle.py, _outputs took the bytes too
cpu = {row: 0.0 for row in ("split", "graph.ttl", "graph.jsonld", "ttl+trig", "all")}
bodies = {name: [] for name in S.TEXT}
for segment in S.cut(Path(source)):
    data = S._read(source, segment)
    t = time.process_time()
    parts = jsonld.split_lines(data.split(b"\n")[:-1])
    cpu["split"] += time.process_time() - t
    for row, names in (("graph.ttl", ["graph.ttl"]), ("graph.jsonld", ["graph.jsonld"]),
                       ("ttl+trig", ["graph.ttl", "graph.trig"]), ("all", list(S.TEXT))):
        t = time.process_time()
        texts = S._outputs(context, data, parts, names) if with_data else S._outputs(context, parts, names)
        cpu[row] += time.process_time() - t
    for name in S.TEXT:
        bodies[name].append(texts[name])
for name in S.TEXT:
    whole = (out / name).read_bytes()
    body = (jsonld.SEPARATOR if name == "graph.jsonld" else b"").join(bodies[name])
    if whole.find(body) < 0 or len(whole) - len(body) > 1 << 16:
        sys.exit(f"{root}: {name} rendered is not the body of {out / name}")
cpu["graph.trig"] = cpu.pop("ttl+trig") - cpu["graph.ttl"]
print(json.dumps({row: round(cpu[row], 3) for row in cpu}))
"""


def run(root: Path, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(root), str(out)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(root)})
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("baseline", help="the other checkout (a git archive of main, say)")
    parser.add_argument("out", help="an OUT folder: its graph.nt is rendered, its dumps checked")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    checkouts = {"baseline": Path(args.baseline).resolve(), "this": HERE.parent}
    runs: dict[str, list[dict]] = {name: [] for name in checkouts}
    before = load()
    for _ in range(args.rounds):
        for name, root in checkouts.items():
            runs[name].append(run(root, Path(args.out)))
    after = load()
    medians = {name: {row: statistics.median(r[row] for r in rows) for row in ROWS} for name, rows in runs.items()}
    print(f"graph.nt {os.path.getsize(Path(args.out) / 'graph.nt') / 1e6:.0f} MB, {args.rounds} rounds, "
          f"load average {before} -> {after}")
    print(f"{'':<14}{'baseline':>10}{'this':>10}{'ratio':>8}")
    for row in ROWS:
        a, b = medians["baseline"][row], medians["this"][row]
        print(f"{row:<14}{a:>10.2f}{b:>10.2f}{b / a if a else float('nan'):>8.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"out": args.out, "rounds": args.rounds, "load": [before, after],
                                               "medians": medians, "runs": runs}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
