"""Load benchmark: `tipkg serve` under a bounded loopback load, against a bare Python server.

A real ``tipkg serve`` (a child process, default limits) on 127.0.0.1 is hit
for ``--seconds`` by ``--clients`` threads, each sending one request per
connection (HTTP/1.0, as the server speaks), in a fixed round-robin mix:

* dereferences of minted URIs (``/id/…``) in three media types — Turtle,
  JSON-LD and HTML — for a sample of nodes of every kind in the graph;
* the catalog queries (``queries/*.rq``, default parameters) on ``/sparql``,
  JSON results.

It reports requests/s, p50 and p99 latency per kind and overall, errors (any
non-2xx answer or failed connection), and the resident memory of the server
and its query workers before the load (after one warm-up pass) and after.
The baseline, in the same run with the same clients, is Python's own
``http.server`` handing out a static file of the same folder (``void.ttl``):
``ratio`` is tipkg's requests/s over the baseline's.

    python benchmarks/bench_load.py                       # builds the bundled corpus into a temp folder
    python benchmarks/bench_load.py --out out --clients 8 --seconds 20 --json load.json
    python benchmarks/bench_load.py --exclude search-arabic   # without the one slow catalog query
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MEDIA = {"ttl": "text/turtle", "jsonld": "application/ld+json", "html": "text/html"}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def tree_rss_mb(pid: int) -> tuple[float, float]:
    """Resident memory of the server process and of it with its children (query workers), in MB."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        path = task / "children"
        if path.is_file():
            children += [int(c) for c in path.read_text().split()]
    own = rss_kib(pid)
    return own / 1024, (own + sum(rss_kib(c) for c in children)) / 1024


def node_paths(out: Path, per_kind: int = 8) -> list[str]:
    """Request paths of a sample of minted nodes: up to ``per_kind`` of each class."""
    import pyoxigraph as ox

    from tipkg.server.linked_data import uri_space
    base = uri_space(out)
    store = ox.Store.read_only(str(out / "store"))
    rows = store.query(f"""SELECT ?s WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), "{base}")) }} ORDER BY ?c ?s""")
    paths, seen = [], {}
    for row in rows:
        iri = row["s"].value
        kind = iri[len(base):].split("/")[0]
        if seen.get(kind, 0) < per_kind and "/id/" + iri[len(base):] not in paths:
            seen[kind] = seen.get(kind, 0) + 1
            paths.append("/id/" + quote(iri[len(base):], safe="/:()%,.~-_!*+=@'"))
    return paths


def catalog_requests(exclude: list[str]) -> list[tuple[str, str, str]]:
    from tipkg.queries.catalog import catalog
    return [("query", f"/sparql?query={quote(q.text)}", "application/sparql-results+json")
            for name, q in sorted(catalog().items()) if name not in exclude]


def fetch(port: int, kind: str, path: str, accept: str) -> str | None:
    """One request on its own connection; None when it got a 2xx answer, else what went wrong."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", path, headers={"Accept": accept})
        response = conn.getresponse()
        response.read()
        conn.close()
    except OSError as exc:
        return f"{exc.__class__.__name__} {kind} {path[:80]}"
    return None if 200 <= response.status < 300 else f"{response.status} {kind} {path[:80]}"


def load(port: int, mix: list[tuple[str, str, str]], clients: int, seconds: float) -> dict:
    """``clients`` threads for ``seconds``: latency per kind, errors, requests/s."""
    latencies: dict[str, list[float]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(offset: int) -> None:
        n = offset
        while time.monotonic() < stop:
            kind, path, accept = mix[n % len(mix)]
            n += 1
            start = time.perf_counter()
            problem = fetch(port, kind, path, accept)
            took = time.perf_counter() - start
            with lock:
                latencies.setdefault(kind, []).append(took)
                if problem is not None:
                    errors.append(problem)

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(i * len(mix) // clients,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    every = [x for xs in latencies.values() for x in xs]
    return {"requests": len(every), "seconds": round(elapsed, 2), "rps": round(len(every) / elapsed, 1),
            "p50_ms": pct(every, 50), "p99_ms": pct(every, 99), "errors": len(errors), "error_sample": errors[:5],
            "by_kind": {k: {"requests": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99)}
                        for k, v in sorted(latencies.items())}}


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))], 2)


def start(args: list[str], cwd: Path) -> tuple[subprocess.Popen, int]:
    """A server child and its port; its log goes to a file (a pipe nobody reads would fill and stall it)."""
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=log, text=True)
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        log.seek(0)
        raise SystemExit(f"server did not start: {line}{log.read().decode()}")
    return proc, int(line.split("http://")[1].split("/")[0].split(":")[1].rstrip(")"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="a built OUT folder (default: build the bundled corpus into a temp folder)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2, help="query worker processes of the server")
    parser.add_argument("--exclude", action="append", default=[], metavar="QUERY",
                        help="leave this catalog query out of the mix (repeatable)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="bench-load-")
    out = Path(args.out) if args.out else Path(tmp.name) / "out"
    if not args.out:
        subprocess.run([sys.executable, "-m", "tipkg", "build", "--out", str(out), "--quiet", "--no-cache"],
                       cwd=ROOT, check=True)
    paths = node_paths(out)
    derefs = [(f"deref-{fmt}", path, media) for path in paths for fmt, media in MEDIA.items()]
    queries = catalog_requests(args.exclude)
    # interleave: after every three dereferences one catalog query (the catalog cycles): a quarter are queries
    mix = []
    for i, request in enumerate(derefs):
        mix.append(request)
        if i % 3 == 2:
            mix.append(queries[(i // 3) % len(queries)])

    proc, port = start([sys.executable, "-m", "tipkg", "serve", "--out", str(out), "--port", "0",
                        "--workers", str(args.workers)], ROOT)
    try:
        warm = [problem[:120] for problem in (fetch(port, *request) for request in mix) if problem]  # every request once
        before = tree_rss_mb(proc.pid)
        tipkg = load(port, mix, args.clients, args.seconds)
        after = tree_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    base_proc, base_port = start([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                                  "--directory", str(out)], ROOT)
    try:
        baseline = load(base_port, [("static", "/void.ttl", "text/turtle")], args.clients, args.seconds)
    finally:
        base_proc.terminate()
        base_proc.wait(10)
    figures = {"clients": args.clients, "seconds": args.seconds, "workers": args.workers,
               "mix": {"dereferences": len(derefs), "nodes": len(paths), "queries": len(queries), "excluded": args.exclude,
                       "queries_share": round(sum(1 for m in mix if m[0] == "query") / len(mix), 2)},
               "warmup_errors": warm, "tipkg": tipkg, "baseline_static_http_server": baseline,
               "ratio_rps_vs_baseline": round(tipkg["rps"] / baseline["rps"], 3) if baseline["rps"] else None,
               "server_rss_mb": {"before": round(before[0], 1), "after": round(after[0], 1)},
               "server_and_workers_rss_mb": {"before": round(before[1], 1), "after": round(after[1], 1)}}
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
