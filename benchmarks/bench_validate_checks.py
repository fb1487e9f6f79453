"""Each compiled validation check's time, as ``run_checks`` solves it (one core, CPU seconds), per size.

For each size ×N the replicated corpus (benchmarks/replicate.py) is built without
validation (``tipkg build --no-validate``, into ``--workdir``), then each check's
query runs alone over the store a build of that size validates (the graph.nt
loaded into memory up to ``validate.IN_MEMORY_BYTES``, else the persistent store
read-only), its plan chosen as ``run_checks`` chooses it; the checks local to a focus node
(shapes/local.py) as the one pass over graph.nt's runs that answers them all. CPU seconds
(``time.process_time``), so the figures stand while the machine is shared.
Prints the checks ranked by time at the largest size, with the growth exponent
between the two largest sizes (log(t2/t1) / log(n2/n1); > 1: grows faster than
the corpus), and the total per size.

    python3 benchmarks/bench_validate_checks.py 3 10 30 --top 25 --json /tmp/checks.json
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's tipkg, run as a script
import pyoxigraph as ox  # noqa: E402

import replicate  # noqa: E402
from tipkg.shapes import local, runs  # noqa: E402
from tipkg.ontology.files import ontology_graph  # noqa: E402
from tipkg.shapes.validate import IN_MEMORY_BYTES, compiled, load_shapes, run_checks  # noqa: E402


def store_of(out: Path, kind: str = "build") -> ox.Store:
    """The store validated: as a build of that size chooses (``build``), or always ``memory`` or ``persistent``
    (a size's growth is comparable only over one kind: ×10 is validated in memory, ×30 over RocksDB)."""
    nt = out / "graph.nt"
    if kind == "memory" or (kind == "build" and nt.stat().st_size <= IN_MEMORY_BYTES):
        store = ox.Store()
        store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
        return store
    return ox.Store.read_only(str(out / "store"))


def per_check(out: Path, kind: str = "build") -> dict[str, float]:
    """{check name: CPU seconds} over the built OUT folder (names numbered where a shape repeats one)."""
    store = store_of(out, kind)
    checks = compiled(load_shapes(), ontology_graph(), store)
    passed = [c for c in checks if c.local is not None]
    start = time.process_time()
    starts = runs.parts(out / "graph.nt", 2)
    for (offset, _), stop in zip(starts, [s for _, s in starts[1:]] + [None]):
        local.evaluate([c.local for c in passed if c.local is not None],
                       lambda wanted, offset=offset, stop=stop: runs.nt_runs(out / "graph.nt", wanted, offset, stop))
    times: dict[str, float] = {f"(the local pass: {len(passed)} checks)": time.process_time() - start}
    for check in checks:
        if check.local is not None:
            if check.queried_rest() is None:
                continue
            check = check.queried_rest()  # the branches of a split check the pass does not answer
        name = f"{str(check.shape).rsplit('#', 1)[-1]} {check.component} {check.path or ''}".strip()
        while name in times:
            name += "'"
        start = time.process_time()
        run_checks(store, [check])
        times[name] = time.process_time() - start
    return times


def built(n: int, workdir: Path) -> Path:
    out = workdir / f"out-x{n}"
    if not (out / "graph.nt").exists():
        corpus = replicate.write_corpus(n, workdir / f"corpus-x{n}")
        subprocess.run([sys.executable, "-m", "tipkg", "build", "--corpus", str(corpus), "--out", str(out),
                        "--cache", str(workdir / f"cache-x{n}"), "--no-validate", "--quiet"], check=True,
                       cwd=Path(__file__).resolve().parent.parent)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--workdir", default="/tmp/tipkg-bench-checks")
    parser.add_argument("--json", help="write {size: {check: seconds}} here")
    parser.add_argument("--store", choices=("build", "memory", "persistent"), default="build",
                        help="the store the checks run over: as a build of each size, or one kind for all sizes")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = sorted(args.sizes)
    found = {n: per_check(built(n, workdir), args.store) for n in sizes}
    last = found[sizes[-1]]
    before = found[sizes[-2]] if len(sizes) > 1 else None
    print("  ".join(f"x{n}: {sum(t.values()):.2f}s CPU" for n, t in found.items()))
    for name, t in sorted(last.items(), key=lambda kv: -kv[1])[:args.top]:
        growth = ""
        if before is not None and before.get(name, 0) > 0.001:
            growth = f"  growth exponent {math.log(t / before[name]) / math.log(sizes[-1] / sizes[-2]):.2f}"
        print(f"  {t:8.3f}s  {name}{growth}")
    if args.json:
        Path(args.json).write_text(json.dumps({str(n): t for n, t in found.items()}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
