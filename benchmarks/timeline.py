"""Where a command's cores go: its process tree's CPU sampled every tenth of a second (Linux, ``/proc``).

A build's stages run in many processes at once — the extraction's pool, the text reuse's child, the store's
loader, validation, the text dumps, the precomputed answers — each named after what it does
(``tipkg.parallel.name_process``). Stage timings say how long a stage took, not whether both cores were busy
meanwhile; this says which processes ran when, how much CPU each took, and how many core-seconds sat idle.
It found, at ×1000, the store's load waiting 27 s for the first line of ``graph.nt``'s merge (then GNU sort's
two wide batches: ``graph.merge.SORT_BATCH``) and the build busy for all but 93 of its 1,645 core-seconds.

    python benchmarks/timeline.py --log tl.tsv -- python -m tipkg build --corpus C --out O
    python benchmarks/timeline.py --report tl.tsv --bin 20     # the report again, other bins

The log has one line per process per sample: seconds since the start, pid, parent pid, name, CPU ticks (user +
system, ``os.sysconf('SC_CLK_TCK')`` a second), resident KB. The report: each process that took a second of
CPU (``--least``) or 200 MB (name, first and last seen, CPU seconds, peak MB), then each bin's cores in use and its busiest
processes, then the command's CPU seconds and its idle core-seconds (cores × wall − CPU). A process seen once
has no CPU of its own here; one that ends between two samples loses at most a sample's CPU.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's tipkg, run as a script
from tipkg.parallel import default_jobs  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE_KB = (os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096) // 1024


def _stat(pid: int) -> tuple[int, str, int, int] | None:
    """(parent pid, name, CPU ticks, resident KB) of ``pid``, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    close = text.rfind(")")
    fields = text[close + 2:].split()
    return int(fields[1]), text[text.find("(") + 1:close], int(fields[11]) + int(fields[12]), int(fields[21]) * PAGE_KB


def tree(root: int) -> list[tuple[int, int, str, int, int]]:
    """``root`` and every process under it: (pid, parent pid, name, CPU ticks, resident KB)."""
    children: dict[int, list[tuple[int, int, str, int, int]]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (found := _stat(int(entry))) is not None:
            children[found[0]].append((int(entry), *found))
    top = _stat(root)
    out = [] if top is None else [(root, *top)]
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child[0])
    return out


def record(command: list[str], log: Path, every: float = 0.1) -> int:
    """Run ``command``, writing its tree's samples to ``log``; its exit status."""
    start = time.perf_counter()
    child = subprocess.Popen(command)
    with open(log, "w", encoding="utf-8") as out:
        while child.poll() is None:
            now = time.perf_counter() - start
            for pid, ppid, name, ticks, rss in tree(child.pid):
                out.write(f"{now:.2f}\t{pid}\t{ppid}\t{name}\t{ticks}\t{rss}\n")
            time.sleep(every)
        out.write(f"# end\t{time.perf_counter() - start:.2f}\t{child.returncode}\n")
    return child.returncode


def report(log: Path, width: float = 20.0, cores: int | None = None, least: float = 1.0) -> str:
    """The report of a log (module docstring): the processes that took ``least`` CPU seconds or 200 MB, bins of
    ``width`` seconds, idle core-seconds."""
    seen: dict[str, dict] = {}
    end = 0.0
    for line in log.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if fields[0] == "# end":
            end = float(fields[1])
            continue
        at, pid, _, name, ticks, rss = float(fields[0]), fields[1], fields[2], fields[3], int(fields[4]), int(fields[5])
        p = seen.setdefault(pid, {"name": name, "samples": [], "peak": 0})
        p["name"] = name  # a forked child names itself after its first sample
        p["samples"].append((at, ticks / TICK))
        p["peak"] = max(p["peak"], rss)
        end = max(end, at)
    lines = ["process              first    last   CPU s  peak MB"]
    bins: dict[int, Counter] = defaultdict(Counter)
    total = 0.0
    for p in sorted(seen.values(), key=lambda p: p["samples"][0][0]):
        samples = p["samples"]
        used = samples[-1][1] - samples[0][1]
        total += used
        for (t0, c0), (_, c1) in zip(samples, samples[1:]):
            bins[int(t0 // width)][p["name"]] += c1 - c0
        if used >= least or p["peak"] >= 200 * 1024:
            lines.append(f"{p['name'][:18]:18} {samples[0][0]:7.1f} {samples[-1][0]:7.1f} {used:7.1f} "
                         f"{p['peak'] // 1024:8d}")
    lines.append("\n    from  cores  busiest (cores)")
    for b in sorted(bins):
        busy = bins[b]
        top = "  ".join(f"{name} {cpu / width:.2f}" for name, cpu in busy.most_common(4) if cpu >= 0.02 * width)
        lines.append(f"{b * width:8.0f}  {sum(busy.values()) / width:5.2f}  {top}")
    cores = cores or default_jobs()
    lines.append(f"\nwall {end:.1f} s, CPU {total:.1f} s, {cores} cores: {max(cores * end - total, 0):.1f} "
                 f"core-seconds idle ({100 * total / (cores * end) if end else 0:.0f} % busy)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, help="where the samples go (with a command) or come from")
    parser.add_argument("--report", type=Path, help="print the report of an existing log, run nothing")
    parser.add_argument("--every", type=float, default=0.1, help="seconds between samples")
    parser.add_argument("--bin", type=float, default=20.0, help="seconds per line of the report's bins")
    parser.add_argument("--cores", type=int, help="cores the idle figure counts (default: the CPUs this process may use)")
    parser.add_argument("--least", type=float, default=1.0, help="CPU seconds a process takes to be listed")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the command to run")
    args = parser.parse_args(argv)
    if not Path("/proc/self/stat").exists():
        parser.error("this needs Linux's /proc")
    if args.report:
        print(report(args.report, args.bin, args.cores, args.least))
        return 0
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command or args.log is None:
        parser.error("give --log LOG -- COMMAND…, or --report LOG")
    status = record(command, args.log, args.every)
    print(report(args.log, args.bin, args.cores, args.least), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
