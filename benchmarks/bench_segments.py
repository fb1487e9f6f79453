"""CPU of the text dumps and VoID at ×N: each writer alone, all together, and after one source changed.

The corpus ×N (``replicate.py``) is built twice with ``tipkg build --no-cache``: as is (``before``)
and after one word of its last source was edited (``after``, as ``bench_build.py``'s
``change_one``). Then, each in a fresh child process, the files are written from ``after``'s
graph.nt and store, and the child's CPU (user + system, its own after its imports plus that of
the processes it waited for: the pool's workers) and wall time are measured:

- ``alone NAME``: one file (``graph.ttl``, ``graph.jsonld``, ``graph.trig``, ``void.ttl``) by itself;
- ``all``: the four together (with ``--jobs``), as a cold build writes them;
- ``all, one changed``: the four together, the unchanged segments copied from ``before`` and
  VoID from its figures and the delta (only where ``graph/segments.py`` exists).

``--root TREE`` measures the writers of another checkout (a ``git archive`` of main, say), so
that before and after are measured in the same run; a tree without segments writes each file
with its own writer from the writers' table.

    python benchmarks/bench_segments.py 10 --json seg.json
    python benchmarks/bench_segments.py 10 --root /tmp/main-tree --work /tmp/w   # the same corpus
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import replicate  # noqa: E402
from bench_build import change_one  # noqa: E402

NAMES = ("graph.ttl", "graph.jsonld", "graph.trig", "void.ttl")

CHILD = r"""
import json, os, resource, sys, time
from pathlib import Path
root, graph, out, names, previous, jobs = sys.argv[1:7]
sys.path.insert(0, root)
from tipkg.graph.store import store_path
from tipkg.graph.streams import SpilledTriples
from tipkg.graph.writers import DumpSettings, writers
from tipkg.ontology.namespace import PREFIXES
try:
    from tipkg.graph.segments import write_segmented
    from tipkg.graph.delta import Delta
except ImportError:
    write_segmented = None
names = names.split(",")
triples = SpilledTriples.written(PREFIXES, Path(graph) / "graph.nt", store_path(graph), 0)
def cpu(who):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime
start, own = time.perf_counter(), cpu(resource.RUSAGE_SELF)
copied = None
if write_segmented is not None:
    delta = Delta(Path(previous), Path(previous).parent / "removed.nt", Path(previous).parent / "added.nt",
                  {}, 0, 0) if previous != "-" else None
    counts = write_segmented(triples, Path(out), DumpSettings(validated=True, delta=delta, jobs=int(jobs)), names)
    copied = f"{counts['copied']}/{counts['segments']}"
else:
    for writer in writers():
        if writer.name in names:
            writer(triples, Path(out) / writer.name, DumpSettings(validated=True))
print(json.dumps({"wall_s": round(time.perf_counter() - start, 2),
                  "cpu_s": round(cpu(resource.RUSAGE_SELF) - own + cpu(resource.RUSAGE_CHILDREN), 2),
                  "copied": copied}))
"""


def run(root: Path, graph: Path, names, previous: Path | None, jobs: int, scratch: Path) -> dict:
    out = scratch / "written"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    done = subprocess.run([sys.executable, "-c", CHILD, str(root), str(graph), str(out), ",".join(names),
                           str(previous) if previous else "-", str(jobs)],
                          capture_output=True, text=True, env={"SOURCE_DATE_EPOCH": "1700000000", "PATH": "/usr/bin:/bin"})
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(n: int, work: Path, root: Path) -> tuple[Path, Path]:
    before, after = work / f"before-x{n}", work / f"after-x{n}"
    if not (after / "graph.nt").exists():
        corpus = replicate.write_corpus(n, work / f"corpus-x{n}")
        build = [sys.executable, "-m", "tipkg", "build", "--corpus", str(corpus), "--no-cache", "--quiet"]
        subprocess.run([*build, "--out", str(before)], check=True, cwd=root)
        change_one(corpus)
        subprocess.run([*build, "--out", str(after)], check=True, cwd=root)
        old, new = (set(open(f / "graph.nt", "rb")) for f in (before, after))  # the delta, as graph/delta.py gives it
        (work / "removed.nt").write_bytes(b"".join(sorted(old - new)))
        (work / "added.nt").write_bytes(b"".join(sorted(new - old)))
    return before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("size", type=int)
    parser.add_argument("--root", default=str(HERE.parent), help="the checkout whose writers are measured")
    parser.add_argument("--work", help="keep the built corpora here (reused by a later run)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    with tempfile.TemporaryDirectory(prefix="tipkg-segbench-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        before, after = prepare(args.size, work, root)
        rows = {f"alone {name}": run(root, after, [name], None, 1, Path(tmp)) for name in NAMES}
        rows["all"] = run(root, after, NAMES, None, args.jobs, Path(tmp))
        rows["all, one changed"] = run(root, after, NAMES, before, args.jobs, Path(tmp))
    for what, row in rows.items():
        print(f"{what:<22} cpu {row['cpu_s']:>7.2f} s  wall {row['wall_s']:>7.2f} s"
              + (f"  copied {row['copied']}" if row["copied"] else ""))
    if args.json:
        Path(args.json).write_text(json.dumps({"size": args.size, "root": str(root), "jobs": args.jobs, **rows},
                                              indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
