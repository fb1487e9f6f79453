"""Query benchmark: every catalog query per corpus size, on the embedded store,
on bare pyoxigraph and on an rdflib in-memory graph, with ratios.

Per size (the corpus replicated ×N, built by the real pipeline): build time,
store load time (bulk load of graph.nt into a fresh store), store size on disk,
peak memory of the process, then p50/p95 of each catalog query run through
tipkg's embedded-store path (``run_local``: read-only store, results turned
into rows), bare pyoxigraph (``Store.query`` on the same store, solutions
iterated) and rdflib (``Graph.query`` on graph.nt parsed into memory; each run
capped, a query over the cap is reported as ``>cap``). Each size runs in a
fresh child process.

    python benchmarks/bench_queries.py              # sizes 1 10 100
    python benchmarks/bench_queries.py 1 10 --rdflib-cap 20
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import replicate  # noqa: E402


class Capped(Exception):
    pass


def timed(fn, runs: int, cap: float | None = None) -> list[float]:
    """Wall times of ``runs`` calls (stops early past ``cap`` seconds in total)."""
    times, spent = [], 0.0
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        spent += times[-1]
        if cap and spent > cap:
            break
    return times


def pct(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rdflib_times(graph, text: str, name: str, runs: int, cap: float) -> list[float] | None:
    """rdflib's wall times for a query, or None when it runs past ``cap`` seconds or fails."""
    try:
        signal.setitimer(signal.ITIMER_REAL, cap)
        return timed(lambda: list(graph.query(text)), max(3, runs // 4), cap)
    except Capped:
        return None
    except Exception as exc:  # rdflib cannot run it at all
        print(f"rdflib failed on {name}: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def measure_size(corpus: str, out: str, runs: int, cap: float) -> dict:
    import pyoxigraph
    from rdflib import Graph

    from tipkg.queries.catalog import catalog
    from tipkg.pipeline import build
    from tipkg.queries.sparql import run_local
    from tipkg.graph.store import build_store, disk_size, open_store

    with replicate.replicated_loading():
        start = time.perf_counter()
        result = build(corpus, out)
        build_s = time.perf_counter() - start
    nt = Path(out) / "graph.nt"
    scratch = Path(out).parent / (Path(out).name + "-reload")
    start = time.perf_counter()
    build_store(nt, scratch)
    load_s = time.perf_counter() - start
    store = open_store(out)
    bare = pyoxigraph.Store.read_only(str(Path(out) / "store"))
    graph, rdflib_load_s = None, None
    if cap > 0:  # --rdflib-cap 0: rdflib not run (its parse alone takes minutes and gigabytes at x100)
        start = time.perf_counter()
        graph = Graph()
        graph.parse(str(nt), format="nt")
        rdflib_load_s = time.perf_counter() - start

    def alarm(signum, frame):
        raise Capped()

    signal.signal(signal.SIGALRM, alarm)
    queries = {}
    for name, query in catalog().items():
        text = query.text
        run_local(store, text)  # warm-up
        embedded = timed(lambda: run_local(store, text), runs)
        plain = timed(lambda: list(bare.query(text)), runs)
        rd = rdflib_times(graph, text, name, runs, cap) if graph is not None else None
        queries[name] = {"rows": len(run_local(store, text).rows),
                         "embedded": [pct(embedded, 0.5), pct(embedded, 0.95)],
                         "bare": [pct(plain, 0.5), pct(plain, 0.95)],
                         "rdflib": [pct(rd, 0.5), pct(rd, 0.95)] if rd else None}
    return {"build_s": build_s, "load_s": load_s, "rdflib_load_s": rdflib_load_s,
            "store_mb": disk_size(Path(out) / "store") / 2**20, "triples": len(result.triples),
            "paragraphs": sum(result.documents.values()),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "queries": queries}


def report(n: int, r: dict, cap: float) -> str:
    lines = [f"x{n}: {r['paragraphs']} paragraphs, {r['triples']} triples; build {r['build_s']:.2f} s, "
             f"store bulk load {r['load_s']:.2f} s, store {r['store_mb']:.1f} MB on disk, "
             + (f"rdflib parse {r['rdflib_load_s']:.2f} s" if r["rdflib_load_s"] is not None else "rdflib not run")
             + f", peak memory {r['peak_mb']:.0f} MB"]
    head = (f"  {'query':<26} {'rows':>5} {'emb p50':>8} {'emb p95':>8} {'bare p50':>8} {'rdf p50':>9} "
            f"{'rdf p95':>9} {'rdf/emb':>8} {'emb/bare':>8}")
    lines += [head, "  " + "-" * (len(head) - 2)]
    ratios, overheads = [], []
    for name, q in r["queries"].items():
        e50, e95 = (x * 1000 for x in q["embedded"])
        b50 = q["bare"][0] * 1000
        if q["rdflib"]:
            r50, r95 = (x * 1000 for x in q["rdflib"])
            rdf = f"{r50:>9.1f} {r95:>9.1f} {r50 / e50:>8.0f}"
            ratios.append(r50 / e50)
        else:
            rdf = f"{('>' + format(cap, 'g') + 's') if cap > 0 else 'not run':>9} {'':>9} {'':>8}"
        overheads.append(e50 / b50 if b50 else 1.0)
        lines.append(f"  {name:<26} {q['rows']:>5} {e50:>8.2f} {e95:>8.2f} {b50:>8.2f} {rdf} {e50 / b50 if b50 else 1:>8.2f}")
    worst = max(q["embedded"][0] for q in r["queries"].values()) * 1000
    lines.append(f"  worst embedded p50 {worst:.1f} ms; median rdflib/embedded "
                 f"{statistics.median(ratios) if ratios else float('nan'):.0f}x over {len(ratios)} queries "
                 f"rdflib finished; median embedded/bare {statistics.median(overheads):.2f}x (times in ms)")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--one":
        print(json.dumps(measure_size(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 10, 100])
    parser.add_argument("--runs", type=int, default=21, help="runs per query on the stores (default 21)")
    parser.add_argument("--rdflib-cap", type=float, default=30.0,
                        help="seconds per query on rdflib (default 30; 0: do not run rdflib)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tipkg-bench-") as tmp:
        for n in args.sizes:
            corpus = replicate.write_corpus(n, Path(tmp) / f"corpus-x{n}")
            child = subprocess.run([sys.executable, __file__, "--one", str(corpus), str(Path(tmp) / f"out-x{n}"),
                                    str(args.runs), str(args.rdflib_cap)], capture_output=True, text=True)
            if child.returncode:
                print(child.stderr, file=sys.stderr)
                raise SystemExit(child.returncode)
            sys.stderr.write(child.stderr)
            print(report(n, json.loads(child.stdout.strip().splitlines()[-1]), args.rdflib_cap), flush=True)


if __name__ == "__main__":
    main()
