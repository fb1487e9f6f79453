"""Two checkouts' `tipkg build` of one corpus, run in turn: cold, warm and one-changed, medians (a same-run ratio).

On a shared machine a figure alone says little; the ratio of two checkouts'
figures measured in the same minutes, runs interleaved, says what a change
did. Each round runs, for the baseline then this checkout, the three builds
``bench_build.py`` times — a cold build (empty cache and OUT), a warm rebuild
(nothing changed) and a rebuild after one word of the last source changed —
each the public command (``python -m tipkg build --corpus C --out O --cache K``,
from the checkout's root, its own code first on the path), validation
included. For each, the wall time and the CPU seconds of the whole process
tree (user + system of the waited-for children, so pools and forked stages
count; less sensitive to the other jobs on the machine than the wall time).
Medians over the rounds; the load average before and after.

    git -C /work/main archive HEAD | tar -x -C /tmp/base     # a frozen baseline
    python benchmarks/bench_against.py /tmp/base --size 1 --rounds 5
    python benchmarks/bench_against.py /tmp/base --size 10 --rounds 3 --cold-only --json ab.json
    python benchmarks/bench_against.py /tmp/base --rounds 7 --cold-only --compiled   # the x1 <= 2 s target

The corpus is written once (``replicate.py``) and copied for each build that
edits it, so both checkouts build the very same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import replicate  # noqa: E402
from bench_build import change_one, compile_checkout, stages  # noqa: E402

KINDS = ("cold", "warm", "one_changed")


def digests(out: Path) -> dict[str, str]:
    """The SHA-256 of every file of a build's OUT, by path in OUT (``--same``), but the store's RocksDB files (the
    same triples, not the same bytes) and the text dumps' segment index (its recipe is a hash of the code that
    wrote it, so two checkouts' differ): ``cache_entries.file_digest``, in blocks (×1000's graph.nt is 11 GB)."""
    from tipkg.cache_entries import file_digest
    from tipkg.graph.previous_segments import INDEX
    from tipkg.graph.store import STORE_DIR

    return {name: file_digest(path) for path in sorted(out.rglob("*"))
            if path.is_file() and (name := path.relative_to(out).as_posix()).split("/")[0] not in (STORE_DIR, INDEX)}


def differences(base: dict[str, str], this: dict[str, str]) -> list[str]:
    """The files of two OUTs (``digests``) that are not the same bytes, or not in both."""
    return sorted(name for name in base.keys() | this.keys() if base.get(name) != this.get(name))


def run(checkout: Path, corpus: Path, out: Path, cache: Path | None, jobs: int | None, compiled: bool = False) -> dict:
    """One ``tipkg build`` from ``checkout``: wall and CPU seconds (its whole process tree), its stages.
    ``cache`` None: ``--no-cache``. ``compiled``: the modules' bytecode is read (PYTHONDONTWRITEBYTECODE
    unset; ``compile_checkout`` wrote it), as an installed package's is."""
    command = [sys.executable, "-m", "tipkg", "build", "--corpus", str(corpus), "--out", str(out),
               *(["--cache", str(cache)] if cache is not None else ["--no-cache"])]
    if jobs:
        command += ["--jobs", str(jobs)]
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    if compiled:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.run(command, capture_output=True, text=True, cwd=checkout, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode != 0:
        raise SystemExit(f"{checkout}: failed ({child.returncode})\n{child.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "stages": stages(child.stdout)}


def interleaved(checkouts: dict[str, Path], rounds: int):
    """(round, name, checkout) for every round and checkout, the checkouts' order reversed every other
    round (A B, B A, A B, …), so that neither always runs first after a change of the machine's load."""
    for r in range(rounds):
        for name, checkout in (checkouts.items() if r % 2 == 0 else reversed(checkouts.items())):
            yield r, name, checkout


def one_round(checkout: Path, corpus: Path, work: Path, jobs: int | None, kinds=KINDS, compiled: bool = False,
              cached: bool = True, same: dict | None = None) -> dict[str, dict]:
    """Cold, warm, one-changed (those of ``kinds``) of ``checkout`` on a fresh copy of ``corpus`` in ``work``;
    ``same``: filled with each build's OUT (``digests``), by kind."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    mine = work / "corpus"
    shutil.copytree(corpus, mine)
    out, cache = work / "out", (work / "cache" if cached else None)
    figures = {}
    for kind in kinds:
        if kind == "one_changed":
            change_one(mine)
        figures[kind] = run(checkout, mine, out, cache, jobs, compiled)
        if same is not None:
            same[kind] = digests(out)
    shutil.rmtree(work, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("baseline", help="the root of the checkout to compare with (e.g. a `git archive` of main)")
    parser.add_argument("--size", type=int, default=1, help="the corpus ×N (default 1: the bundled corpus)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the three builds per checkout (default 5)")
    parser.add_argument("--jobs", type=int, help="passed to tipkg build --jobs (default: every core)")
    parser.add_argument("--cold-only", action="store_true", help="the cold build only (a large size, a loaded machine)")
    parser.add_argument("--compiled", action="store_true", help="compile both checkouts first and time the builds "
                        "reading the bytecode, as an installed package runs (the x1 <= 2 s target is timed so)")
    parser.add_argument("--no-cache", action="store_true", help="cold builds with --no-cache (implies --cold-only)")
    parser.add_argument("--json", metavar="FILE", help="write every run's figures and the medians as JSON")
    parser.add_argument("--same", action="store_true", help="check that both checkouts' builds write the same bytes "
                        "(every file of OUT but the store and the segment index; SOURCE_DATE_EPOCH set): a change "
                        "that only makes the build faster; exit 1 if not")
    args = parser.parse_args()
    if args.same:
        os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")  # the dumps' build time, as the builds' children read it
    checkouts = {"base": Path(args.baseline).resolve(), "this": ROOT}
    kinds = ("cold",) if args.cold_only or args.no_cache else KINDS
    if args.compiled:
        for checkout in checkouts.values():
            compile_checkout(checkout)
    load = [os.getloadavg()[0]]
    runs: dict[str, list[dict]] = {name: [] for name in checkouts}
    outs: dict[str, dict] = {name: {} for name in checkouts}  # the last round's OUTs (--same)
    unlike: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tipkg-ab-") as tmp:
        corpus = replicate.write_corpus(args.size, Path(tmp) / "corpus")
        for r, name, checkout in interleaved(checkouts, args.rounds):
            runs[name].append(one_round(checkout, corpus, Path(tmp) / name, args.jobs, kinds, args.compiled,
                                        not args.no_cache, outs[name] if args.same else None))
            if any(len(done) <= r for done in runs.values()):
                continue  # the round's other checkout is still to run
            for kind in kinds if args.same else ():
                unlike += [f"round {r + 1}, {kind}: {name}" for name in differences(outs["base"][kind],
                                                                                   outs["this"][kind])]
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(
                f"{name} cold {runs[name][-1]['cold']['wall']:.2f} s" for name in checkouts), file=sys.stderr, flush=True)
    load.append(os.getloadavg()[0])
    medians = {name: {kind: {what: statistics.median(x[kind][what] for x in runs[name]) for what in ("wall", "cpu")}
                      for kind in kinds} for name in checkouts}
    print(f"x{args.size}, {args.rounds} rounds interleaved, medians" + (", bytecode compiled" if args.compiled else "")
          + (", --no-cache" if args.no_cache else "") + f"; load average {load[0]:.1f} before, {load[1]:.1f} after")
    print(f"{'build':<12} {'base wall':>9} {'this wall':>9} {'ratio':>6}   {'base CPU':>8} {'this CPU':>8} {'ratio':>6}")
    for kind in kinds:
        b, t = medians["base"][kind], medians["this"][kind]
        print(f"{kind:<12} {b['wall']:>9.2f} {t['wall']:>9.2f} {t['wall'] / b['wall']:>6.2f}   "
              f"{b['cpu']:>8.2f} {t['cpu']:>8.2f} {t['cpu'] / b['cpu']:>6.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"size": args.size, "load": load, "medians": medians, "runs": runs,
                                               **({"unlike": unlike} if args.same else {})},
                                              indent=1) + "\n", encoding="utf-8")
    if args.same:
        print("outputs: " + ("the same bytes in every build" if not unlike else
                             f"{len(unlike)} files differ: " + "; ".join(unlike[:20])))
        if unlike:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
