"""Build benchmark: the corpus ×N (replicated, shifted identifiers) built by `tipkg build` itself.

Every size runs the public command users run — ``python -m tipkg build
--corpus DIR --out DIR --cache DIR`` in a child process, validation and store
included — three times: a cold build (empty cache), a warm rebuild (nothing
changed: nothing is re-extracted) and a rebuild after one source changed (a
word of one paragraph of the last source edited, its manifest checksum
updated; ``--change newline`` appends a newline instead, which changes only
the source's checksum in the graph; ``--change logical`` edits the same word in
the last logical-order source instead, the edit that, while the visual sources'
reading-order model was learned from the corpus, recomputed every visual part). For each, the wall time of the command
and the peak resident set of its largest process (``ru_maxrss`` of the
waited-for children, measured by a wrapper child, so each figure is its own),
and the CPU seconds of all its processes (``cpu_s``: on a shared machine the
wall time says little, the CPU time still does).
In the same run, the time bare pyoxigraph takes to bulk-load the same
``graph.nt`` into a fresh persistent store (the issue's yardstick). A rebuild
whose staged output would not fit on the disk beside the previous one (×1000
needs about 30 GB more) is skipped, said on stderr, and written as null.
The checkout's modules are compiled to bytecode first and every build reads it,
as every run of an installed ``tipkg`` (pip compiles at install) and every run
of a checkout after its first do (``compile_checkout``); ``--from-source``
writes none, so that in a fresh copy (``git archive``) where
``$PYTHONDONTWRITEBYTECODE`` is set — on the machines of these benchmarks it
is — each build compiles the modules it imports (×1: about 0.2 s more in the
build's start, before its pool forks). Bytecode already beside the modules is
read either way.

    python benchmarks/bench_build.py 1 10 100 --json bench.json --keep kept/
    python benchmarks/bench_build.py 10 --jobs 1     # scaling: compare with --jobs 2

``--json FILE`` writes per size ``wall_s``, ``peak_rss_mb``, ``triples``,
``warm_s``, ``one_changed_s`` (and the stage timings, the store load time and
the peak of each rebuild); ``--keep DIR`` keeps the largest size's corpus and
output folder (and its cache) in DIR, so others can check the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import replicate  # noqa: E402


def timed(command: list[str]) -> dict:
    """Run ``command`` in a wrapper child; its wall time, peak RSS (MB) and stdout."""
    child = subprocess.run([sys.executable, __file__, "--wrap", *command], capture_output=True, text=True)
    if child.returncode != 0:
        raise SystemExit(f"failed ({child.returncode}): {' '.join(command)}\n{child.stderr[-3000:]}")
    *lines, last = child.stdout.rstrip("\n").split("\n")
    return {**json.loads(last), "stdout": "\n".join(lines)}


def wrap(command: list[str]) -> None:
    start = time.perf_counter()
    child = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - start
    sys.stderr.write(child.stderr)
    print(child.stdout)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"wall": wall, "peak_mb": usage.ru_maxrss / 1024, "cpu": usage.ru_utime + usage.ru_stime}))
    sys.exit(child.returncode)


def compile_checkout(checkout: Path) -> None:
    """Write the bytecode of every module of ``checkout``, so no timed build compiles any."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-x", r"/(\.git|notebooks|build)/", str(checkout)],
                   check=True, stdout=subprocess.DEVNULL, env={k: v for k, v in os.environ.items()
                                                                if k != "PYTHONDONTWRITEBYTECODE"})


def stages(summary: str) -> dict[str, float]:
    """The stage timings of the build summary's ``time:`` line."""
    line = next((x for x in summary.splitlines() if x.startswith("time: ")), "")
    return {name: float(seconds) for name, seconds in re.findall(r"(\w+) ([\d.]+)s", line.split("(total")[0])}


#: the edit ``change_one`` makes: a word of a paragraph (the realistic case: a text, its labels, search
#: form and gist change, an edge may go, the spans after it shift) or a newline appended (sha256 only);
#: "logical": the word " الدول " of the last logical-order source's paragraphs (the compendium's
#: "يدعو الدول الأعضاء", 003 line 896): it changes the word counts of the logical-order sources
#: (before tables/reading_model.toml, the reading-order model of every visual source)
CHANGES = {"word": ("الدول", "البلدان"), "newline": None, "logical": (" الدول ", " البلدان ")}


def change_one(corpus: Path, how: str = "word") -> str:
    """Edit the last source of the corpus and update its checksum; its name. ``how="word"`` replaces
    the last "الدول" (States) of its text by "البلدان" (countries); where it has none, or with
    ``how="newline"``, a newline is appended. ``how="logical"`` edits the last logical-order source
    instead (``tipkg.normalize.is_visual_source``)."""
    manifest = corpus / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    names = re.findall(r'^file = "([^"]+)"', text, re.M)
    if how == "logical":
        from tipkg.normalize import is_visual_source
        names = [n for n in names if not is_visual_source((corpus / n).read_text(encoding="utf-8"))]
    name = names[-1]
    path = corpus / name
    data = path.read_bytes()
    old = hashlib.sha256(data).hexdigest()
    word = CHANGES[how]
    at = data.rfind(word[0].encode("utf-8")) if word else -1
    if at >= 0:
        data = data[:at] + word[1].encode("utf-8") + data[at + len(word[0].encode("utf-8")):]
    else:
        data += b"\n"
    path.write_bytes(data)
    at = text.rindex(f'file = "{name}"')  # the last entry only: every copy of a file has the same checksum
    text = text[:at] + text[at:].replace(old, hashlib.sha256(data).hexdigest(), 1)
    manifest.write_text(text, encoding="utf-8")
    return name


def store_load(ntriples: Path, folder: Path) -> float:
    """Seconds bare pyoxigraph takes to bulk-load ``ntriples`` into a new persistent store (in a child)."""
    code = ("import sys, time, pyoxigraph as ox\n"
            "s = ox.Store(sys.argv[2]); t = time.perf_counter()\n"
            "s.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_TRIPLES); s.optimize()\n"
            "print(time.perf_counter() - t)")
    shutil.rmtree(folder, ignore_errors=True)
    out = subprocess.run([sys.executable, "-c", code, str(ntriples), str(folder)], capture_output=True, text=True,
                         check=True)
    shutil.rmtree(folder, ignore_errors=True)
    return float(out.stdout.strip())


def measure(n: int, workdir: Path, jobs: int | None, change: str = "word") -> dict:
    corpus = replicate.write_corpus(n, workdir / f"corpus-x{n}")
    out, cache = workdir / f"out-x{n}", workdir / f"cache-x{n}"
    shutil.rmtree(cache, ignore_errors=True)
    command = [sys.executable, "-m", "tipkg", "build", "--corpus", str(corpus), "--out", str(out), "--cache", str(cache)]
    if jobs:
        command += ["--jobs", str(jobs)]
    cold = timed(command)
    triples = sum(1 for _ in open(out / "graph.nt", "rb"))
    warm = timed(command)
    needed, free = rebuild_space(out)
    if free < needed:  # the staged OUT of a rebuild sits beside the previous one until it replaces it
        print(f"x{n}: the one-changed rebuild is skipped: it needs about {needed / 1e9:.1f} GB beside "
              f"{out} and {free / 1e9:.1f} GB are free", file=sys.stderr, flush=True)
        changed, one = None, {"wall": None, "peak_mb": None, "cpu": None, "stdout": ""}
    else:
        changed = change_one(corpus, change)
        one = timed(command)
    return {"size": n, "paragraphs": _paragraphs(cold["stdout"]), "triples": triples,
            "wall_s": round(cold["wall"], 2), "cpu_s": round(cold["cpu"], 1), "peak_rss_mb": round(cold["peak_mb"]),
            "stages": stages(cold["stdout"]),
            "warm_s": round(warm["wall"], 2), "warm_peak_rss_mb": round(warm["peak_mb"]), "warm_stages": stages(warm["stdout"]),
            "one_changed_s": _round(one["wall"]), "one_changed_cpu_s": _round(one.get("cpu"), 1), "one_changed_peak_rss_mb": _round(one["peak_mb"], 0),
            "one_changed_stages": stages(one["stdout"]), "changed_source": changed, "change": change,
            "store_load_s": round(store_load(out / "graph.nt", workdir / "bare-store"), 2), "jobs": jobs}


def rebuild_space(out: Path) -> tuple[int, int]:
    """(bytes a rebuild's staged OUT needs, bytes free on its disk). The staged OUT holds new copies of every
    file but the store, whose files are hard-linked from the previous one (graph/store.py); a margin of a
    tenth is kept for the cache and the scratch chunks."""
    needed = sum(f.stat().st_size for f in out.rglob("*") if f.is_file() and "store" not in f.relative_to(out).parts)
    return int(needed * 1.1), shutil.disk_usage(out).free


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits) if digits else round(value)


def _paragraphs(summary: str) -> int:
    m = re.search(r"^documents: \d+\s+(\d+)$", summary, re.M)
    return int(m.group(1)) if m else 0


def table(rows: list[dict]) -> str:
    base = rows[0]
    head = (f"{'size':>6} {'paragraphs':>10} {'triples':>9} {'wall s':>8} {'x wall':>7} {'peak MB':>8} "
            f"{'warm s':>7} {'1 chg s':>7} {'load s':>7}  stages of the cold build (s)")
    lines = [head, "-" * len(head)]
    for r in rows:
        st = " ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
        lines.append(f"{'x' + str(r['size']):>6} {r['paragraphs']:>10} {r['triples']:>9} {r['wall_s']:>8.2f} "
                     f"{r['wall_s'] / base['wall_s']:>7.1f} {r['peak_rss_mb']:>8} {r['warm_s']:>7.2f} "
                     f"{_cell(r['one_changed_s'])} {r['store_load_s']:>7.2f}  {st}")
    return "\n".join(lines)


def _cell(seconds: float | None) -> str:
    return f"{'skipped':>7}" if seconds is None else f"{seconds:>7.2f}"


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--wrap":
        wrap(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 10, 100])
    parser.add_argument("--json", metavar="FILE", help="write the figures of every size as JSON")
    parser.add_argument("--keep", metavar="DIR", help="keep the largest size's corpus, output and cache in DIR")
    parser.add_argument("--jobs", type=int, help="passed to tipkg build --jobs (default: every core)")
    parser.add_argument("--change", choices=sorted(CHANGES), default="word",
                        help="the one-source edit of the third build (default: a word of a paragraph)")
    parser.add_argument("--from-source", action="store_true",
                        help="no bytecode written first (in a fresh copy with $PYTHONDONTWRITEBYTECODE set, "
                             "each build compiles the modules it imports)")
    args = parser.parse_args()
    if not args.from_source:  # the builds read the bytecode, as an installed package's is read
        compile_checkout(ROOT)
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="tipkg-bench-") as tmp:
        for n in args.sizes:
            rows.append({**measure(n, Path(tmp), args.jobs, args.change), "from_source": args.from_source})
            print(f"x{n}: {rows[-1]['wall_s']:.2f} s, warm {rows[-1]['warm_s']:.2f} s, "
                  f"one changed {_cell(rows[-1]['one_changed_s']).strip()} s", file=sys.stderr, flush=True)
            if args.json:
                Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
            if n != max(args.sizes):
                for name in (f"out-x{n}", f"cache-x{n}", f"corpus-x{n}"):
                    shutil.rmtree(Path(tmp) / name, ignore_errors=True)
        if args.keep:
            n = max(args.sizes)
            keep = Path(args.keep)
            keep.mkdir(parents=True, exist_ok=True)
            for name in (f"out-x{n}", f"cache-x{n}", f"corpus-x{n}"):
                shutil.rmtree(keep / name, ignore_errors=True)
                shutil.move(str(Path(tmp) / name), str(keep / name))
    print(table(rows))


if __name__ == "__main__":
    main()
