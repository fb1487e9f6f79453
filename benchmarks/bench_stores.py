"""Load benchmark: the time each store takes to load the built graph, per corpus size.

Per size (the corpus replicated ×N by ``replicate.py``, built by ``tipkg build``
as users run it): the embedded store's bulk load of graph.nt (the baseline),
OpenLink Virtuoso loaded by ``tipkg publish`` through its Graph Store endpoint
(one PUT, then the triple count checked remotely) and loaded again (the PUT
replaces the graph), and Apache Jena's ``tdb2.tdbloader`` into a fresh TDB2
database (JVM start included), each with its ratio to the baseline of the same
run. Virtuoso and Jena are started as tests/stores_support.py starts them.

    python benchmarks/bench_stores.py          # sizes 1 10
    python benchmarks/bench_stores.py 1 10 100
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import replicate  # noqa: E402
import stores_support as stores  # noqa: E402


def tipkg(*argv: str) -> float:
    """Run ``python -m tipkg ARGV`` from this checkout; its wall time."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "tipkg", *argv], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"tipkg {' '.join(argv)} failed: {done.stderr}")
    return time.perf_counter() - start


def measure(n: int, tmp: Path, classpath: str) -> dict:
    from tipkg.graph.store import build_store

    corpus = replicate.write_corpus(n, tmp / f"corpus-x{n}")
    out = tmp / f"out-x{n}"
    build_s = tipkg("build", "--corpus", str(corpus), "--out", str(out))
    nt = out / "graph.nt"
    triples = sum(1 for line in nt.open("rb") if line.strip())
    start = time.perf_counter()
    build_store(nt, tmp / f"embedded-x{n}")
    embedded_s = time.perf_counter() - start
    with stores.virtuoso(tmp / f"virtuoso-x{n}") as server:
        publish = ["publish", "--out", str(out), "--store", server.graph_store, "--endpoint", server.sparql]
        virtuoso_s = tipkg(*publish)
        virtuoso_again_s = tipkg(*publish)
    start = time.perf_counter()
    stores.tdb_load(classpath, tmp / f"tdb2-x{n}", nt)
    jena_s = time.perf_counter() - start
    return {"triples": triples, "mb": nt.stat().st_size / 2**20, "build_s": build_s, "embedded_s": embedded_s,
            "virtuoso_s": virtuoso_s, "virtuoso_again_s": virtuoso_again_s, "jena_s": jena_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 10])
    args = parser.parse_args()
    if stores.missing():
        raise SystemExit(f"not installed: {', '.join(stores.missing())}")
    print("| size | triples | graph.nt | tipkg build | embedded bulk load | Virtuoso publish | Virtuoso re-publish "
          "| Jena tdb2.tdbloader |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="tipkg-bench-stores-") as folder:
        tmp = Path(folder)
        classpath = stores.jena_classpath(tmp)
        for n in args.sizes:
            r = measure(n, tmp, classpath)
            base = r["embedded_s"]
            print(f"| ×{n} | {r['triples']:,} | {r['mb']:.0f} MB | {r['build_s']:.1f} s | {base:.2f} s (1×) "
                  f"| {r['virtuoso_s']:.1f} s ({r['virtuoso_s'] / base:.1f}×) "
                  f"| {r['virtuoso_again_s']:.1f} s ({r['virtuoso_again_s'] / base:.1f}×) "
                  f"| {r['jena_s']:.1f} s ({r['jena_s'] / base:.1f}×) |", flush=True)


if __name__ == "__main__":
    main()
