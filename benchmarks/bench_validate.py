"""Validation of a rebuild after one source changed: over the delta (shapes/affected.py) against whole.

For each size ×N: the bundled corpus replicated (benchmarks/replicate.py) is built,
a copy with one word of its last source edited (tests/test_validate_delta.py's
``edit_one_word``, as bench_build's one-changed rebuild) is built too, and the
delta between the two ``graph.nt`` is taken. Over the new graph, loaded into an
in-memory store as a build of that size validates it, the same process then times,
interleaved, ``repeat`` times each (median): the whole validation
(``validate``, both cores) and the delta validation (``validate_delta``, both cores,
its reads derived once beforehand as a build finds them in its cache folder), and
checks that both report the same. Also the first delta validation of a process
without the reads (parsing every check) and the cold per-check times
(``--checks``: each compiled check alone, one core, the slowest listed).

    python3 benchmarks/bench_validate.py 3 10 --repeat 3 --checks 10
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's tipkg, run as a script
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import pyoxigraph as ox  # noqa: E402

import replicate  # noqa: E402
from test_validate_delta import edit_one_word  # noqa: E402
from tipkg.graph.delta import Delta  # noqa: E402
from tipkg.shapes import affected, check_reads  # noqa: E402
from tipkg.ontology.files import ontology_graph  # noqa: E402
from tipkg.shapes.validate import compiled, load_shapes, validate  # noqa: E402


def outcome(report) -> set:
    return {(r.shape, r.focus, r.component, r.path, r.value) for r in report.results}


def built(n: int, workdir: Path) -> tuple[Path, Path, Delta]:
    """(previous graph.nt, new graph.nt, their delta) for ×n with one word edited."""
    from tipkg.pipeline import build

    corpus = replicate.write_corpus(n, workdir / f"corpus-x{n}")
    build(corpus, workdir / f"before-x{n}", cache=workdir / f"cache-x{n}", check=False)
    edit_one_word(corpus)
    build(corpus, workdir / f"after-x{n}", cache=workdir / f"cache-x{n}", check=False)
    before, after = workdir / f"before-x{n}" / "graph.nt", workdir / f"after-x{n}" / "graph.nt"
    old, new = set(open(before, encoding="utf-8")), set(open(after, encoding="utf-8"))
    folder = workdir / f"delta-x{n}"
    folder.mkdir(exist_ok=True)
    removed, added = sorted(old - new), sorted(new - old)
    (folder / "removed.nt").write_text("".join(removed), encoding="utf-8")
    (folder / "added.nt").write_text("".join(added), encoding="utf-8")
    record = {"validation": "conforms: 0 triples, no violations ()"}
    return before, after, Delta(folder, folder / "removed.nt", folder / "added.nt", record, len(removed), len(added))


def per_check(store: ox.Store, slowest: int) -> list[tuple[float, str]]:
    checks = compiled(load_shapes(), ontology_graph(), store)
    times = []
    for check in checks:
        start = time.perf_counter()
        list(store.query(check.query))
        times.append((time.perf_counter() - start, f"{check.shape.rsplit('#', 1)[-1]} {check.component} {check.path}"))
    return sorted(times, reverse=True)[:slowest] + [(sum(t for t, _ in times), "all checks")]


def measure(n: int, workdir: Path, repeat: int, checks: int) -> dict:
    _, after, delta = built(n, workdir)
    store = ox.Store()
    store.bulk_load(path=str(after), format=ox.RdfFormat.N_TRIPLES)
    reopen = lambda: store  # noqa: E731 — as the build validates an in-memory store: the fork inherits it
    check_reads.known_reads.clear()
    start = time.perf_counter()
    first = affected.validate_delta(store, delta, reopen=reopen)
    first_s = time.perf_counter() - start
    whole_s, delta_s = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        whole = validate(store, reopen=reopen)
        whole_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        report = affected.validate_delta(store, delta, reopen=reopen)
        delta_s.append(time.perf_counter() - start)
        assert outcome(report) == outcome(whole) == outcome(first), "the delta report differs from the whole one"
    row = {"size": n, "triples": len(store), "removed": delta.removed_count, "added": delta.added_count,
           "scope": report.scope, "whole_s": round(statistics.median(whole_s), 3),
           "delta_s": round(statistics.median(delta_s), 3), "first_delta_s": round(first_s, 3),
           "ratio": round(statistics.median(delta_s) / statistics.median(whole_s), 3)}
    if checks:
        row["slowest_checks"] = [(round(t, 3), name) for t, name in per_check(store, checks)]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--checks", type=int, default=0, help="list the N slowest checks (cold, one core)")
    parser.add_argument("--workdir", default="/tmp/tipkg-bench-validate")
    parser.add_argument("--json", help="write the rows here")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    rows = [measure(n, workdir, args.repeat, args.checks) for n in args.sizes]
    for row in rows:
        print(f"x{row['size']}: {row['triples']} triples, -{row['removed']} +{row['added']} lines; whole {row['whole_s']}s, "
              f"delta {row['delta_s']}s (x{row['ratio']}), first delta of a process {row['first_delta_s']}s; "
              f"{row['scope']}")
        for t, name in row.get("slowest_checks", []):
            print(f"    {t:8.3f}s  {name}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    shutil.rmtree(workdir / "delta-x0", ignore_errors=True)


if __name__ == "__main__":
    main()
