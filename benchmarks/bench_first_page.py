"""Time to the first page of every catalog query, as `tipkg query NAME --limit 20` gets it.

Per corpus size (the bundled corpus replicated ×N, built by the real
pipeline): for each catalog query, the parameters checked against the graph
(queries/params.py, default values) plus the first page (LIMIT 21) on the
embedded store; p50 and max of ``--runs`` runs, and the ratio to the same
query's time at ×1 in the same run. Issue 13 asks for ≤ 100 ms at ×100.

    python benchmarks/bench_first_page.py            # sizes 1 100
    python benchmarks/bench_first_page.py 1 10 --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import replicate  # noqa: E402

from tipkg.graph.store import open_store  # noqa: E402
from tipkg.ontology.namespace import PREFIXES  # noqa: E402
from tipkg.pipeline import build  # noqa: E402
from tipkg.queries import params  # noqa: E402
from tipkg.queries.catalog import bind, catalog  # noqa: E402
from tipkg.queries.sparql import paged, run_local, with_prefixes  # noqa: E402

PAGE = 20


def first_page_times(out: Path, runs: int) -> dict[str, list[float]]:
    store = open_store(out)
    ask = lambda text, path="query": run_local(store, text, path)  # noqa: E731
    times: dict[str, list[float]] = {}
    for name, query in catalog().items():
        defaults = {k: v.strip('"') for k, v in query.parameters.items()
                    if params.KINDS.get(k) not in (None, "text") and not v.startswith(("tip:", "<", "("))}
        for _ in range(runs):
            start = time.perf_counter()
            given, _ = params.resolve_all(ask, defaults, query.path)
            text, _ = with_prefixes(bind(query.text, given, path=query.path), PREFIXES)
            page, _ = paged(text, PAGE, 0)
            run_local(store, page, query.path)
            times.setdefault(name, []).append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 100])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            corpus = replicate.write_corpus(n, Path(tmp) / f"corpus-x{n}") if n > 1 else None
            out = Path(tmp) / f"out-x{n}"
            start = time.perf_counter()
            with replicate.replicated_loading():
                build(corpus, out) if corpus else build(out_dir=out)
            print(f"x{n}: built in {time.perf_counter() - start:.1f} s", flush=True)
            results[n] = first_page_times(out, args.runs)
    base = results[args.sizes[0]]
    print(f"{'query':<32}" + "".join(f"{'x' + str(n) + ' p50 ms':>14}{'max':>8}" for n in args.sizes) + "   ratio")
    for name in base:
        cells = "".join(f"{statistics.median(results[n][name]) * 1000:>14.1f}{max(results[n][name]) * 1000:>8.1f}"
                        for n in args.sizes)
        ratio = statistics.median(results[args.sizes[-1]][name]) / max(statistics.median(base[name]), 1e-9)
        print(f"{name:<32}{cells}{ratio:>8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
