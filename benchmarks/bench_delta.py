"""Delta benchmark: what the delta build (``graph/delta.py``, ``graph/store.py``) costs against doing it whole.

Given a built OUT folder (read only: its graph.nt is read, its store's table
files hard-linked, nothing in it is written), a new graph.nt is made from its
by an edit of ``--lines`` lines in ``--spots`` places (a literal changed:
each a line removed and one added; a word edited in one source of ×10 changes
about 160 lines in 25 blocks of 4,096 lines), then, in the same run (wall and
CPU seconds, the CPU figures steadier on a shared machine):

- ``write_s``: graph.nt written from the stream of its sorted lines, as
  ``SpilledTriples.finish`` writes it without a previous build (the baseline);
- ``write_with_delta_s``: the same, diffed against the previous graph.nt on the
  way (``write_with_delta``); ``read_previous_s``: one plain read of the
  previous file, what the brief allows the delta to cost;
- ``bulk_load_s``: the store bulk-loaded from the new graph.nt (``build_store``,
  as a build without a usable previous OUT does);
- ``store_delta_s``: the store made from the previous one plus the delta
  (``store_from_previous``), checked equal in count.

    python benchmarks/bench_delta.py OUT [--lines 300] [--spots 25] [--runs 3] [--json FILE]

Each figure is the median of ``--runs``; ratios are against the baseline of the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's tipkg, run as a script
from tipkg.graph.delta import write_with_delta  # noqa: E402
from tipkg.graph.store import build_store, fingerprint, store_from_previous  # noqa: E402


def edited(previous: Path, target: Path, lines: int, spots: int, seed: int = 7) -> None:
    """``previous`` with ``lines`` lines whose object is a literal changed, in runs at ``spots`` places
    (sorted again), into ``target``."""
    with open(previous, "rb") as f:
        text = f.readlines()
    literals = [i for i, line in enumerate(text) if line.endswith(b'" .\n')]
    run = max(1, lines // spots)
    for start in random.Random(seed).sample(range(len(literals) - run), spots):
        for i in literals[start:start + run]:
            text[i] = text[i][:-4] + b' (edited)" .\n'
    text.sort()
    with open(target, "wb") as out:
        out.writelines(text)


def stream(path: Path):
    with open(path, "rb", buffering=1 << 20) as f:
        yield from f


def timed(action, figures: dict, name: str) -> None:
    """Run ``action``; its wall seconds as ``name``_s and CPU seconds (this process) as ``name``_cpu_s."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    figures[f"{name}_s"], figures[f"{name}_cpu_s"] = time.perf_counter() - wall, time.process_time() - cpu


def measure(out: Path, lines: int, spots: int, work: Path) -> dict:
    stat = (out / "graph.nt").stat()
    count = sum(1 for _ in stream(out / "graph.nt"))
    record = {"graph.nt": [stat.st_size, stat.st_mtime_ns], "triples": count, "store": fingerprint(out / "store")}
    new = work / "new.nt"
    edited(out / "graph.nt", new, lines, spots)
    figures = {}

    def plain():
        with open(work / "written.nt", "wb", buffering=1 << 20) as f:
            for line in stream(new):
                f.write(line)

    def diffed():
        with open(work / "written.nt", "wb", buffering=1 << 20) as f:
            figures["delta"] = write_with_delta(stream(new), f, out, record, work / "scratch")[1]

    timed(plain, figures, "write")
    timed(diffed, figures, "write_with_delta")
    timed(lambda: sum(1 for _ in stream(out / "graph.nt")), figures, "read_previous")
    delta = figures.pop("delta")
    assert delta is not None, "the previous OUT is not usable as a base"
    shutil.rmtree(work / "bulk", ignore_errors=True)
    timed(lambda: build_store(new, work / "bulk"), figures, "bulk_load")
    shutil.rmtree(work / "bulk", ignore_errors=True)
    shutil.rmtree(work / "made", ignore_errors=True)
    made = []
    timed(lambda: made.append(store_from_previous(delta, work / "made", count)), figures, "store_delta")
    assert made == [True], "the store was not made from the previous one"
    shutil.rmtree(work / "made", ignore_errors=True)
    figures.update(removed=delta.removed_count, added=delta.added_count)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="a built OUT folder (only read)")
    parser.add_argument("--lines", type=int, default=300, help="lines edited (default 300)")
    parser.add_argument("--spots", type=int, default=25, help="places they are in (default 25)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-delta-") as tmp:  # on /tmp: the table files are linked if OUT is too
        for _ in range(args.runs):
            runs.append(measure(args.out.resolve(), args.lines, args.spots, Path(tmp)))
    result = {key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0]}
    for unit in ("s", "cpu_s"):
        result[f"delta_over_write_{unit}"] = round(result[f"write_with_delta_{unit}"] / result[f"write_{unit}"], 2)
        result[f"delta_cost_over_read_{unit}"] = round((result[f"write_with_delta_{unit}"] - result[f"write_{unit}"])
                                                       / result[f"read_previous_{unit}"], 2)
        result[f"store_delta_over_bulk_load_{unit}"] = round(result[f"store_delta_{unit}"] / result[f"bulk_load_{unit}"], 3)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps({"out": str(args.out), "runs": runs, "median": result}, indent=1))


if __name__ == "__main__":
    main()
