"""Fault probe: try every fault of the reliability suite on a checkout, black-box, and print what happened.

Not a test (pytest does not collect it): it reports rather than asserts, so the
same probe can be run on the code before and after a fix and the two compared
(the table in /work/notes/reliab.md). Run it from the checkout to probe:

    cd CHECKOUT && python3 /path/to/tests/fault_probe.py [--only server,build,files,stores] > probe.json

Everything runs on 127.0.0.1 and in temporary folders; each probe has a time
limit, so a fault that hangs the old code is reported as a hang.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

TREE = Path.cwd()
sys.path.insert(0, str(TREE))
sys.path.insert(1, str(Path(__file__).resolve().parent))
from lod_support import free_port, serve  # noqa: E402
from reliability_support import FakeStore, Listener, raw, request, threads_of  # noqa: E402

AGENDA = "001_799863f35f69a5cc.txt"


def tipkg(*args, timeout=120) -> tuple[int, str]:
    try:
        p = subprocess.run([sys.executable, "-m", "tipkg", *args], cwd=TREE, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, f"no exit within {timeout} s (hangs)"
    return p.returncode, (p.stderr.strip().splitlines() or [""])[-1][:220]


def short(status, headers, body) -> str:
    allow = f" Allow: {headers['allow']}" if "allow" in headers else ""
    return f"{status}{allow} {body[:110].decode('utf-8', 'replace').strip()}" if status else "no answer (connection closed)"


def limited(fn, seconds: float):
    box = []
    t = threading.Thread(target=lambda: box.append(fn()), daemon=True)
    t.start()
    t.join(seconds)
    return box[0] if box else f"no answer within {seconds:g} s (hangs)"


def probe_server(out: Path) -> dict:
    r = {}
    proc, url = serve(out, "--timeout", "5")
    try:
        probe = Listener()
        for name, q in (("SERVICE <loopback>", f"SELECT * WHERE {{ SERVICE <{probe.url}> {{ ?s ?p ?o }} }}"),
                        ("\\u0053ERVICE escape", f"SELECT * WHERE {{ \\u0053ERVICE <{probe.url}> {{ ?s ?p ?o }} }}"),
                        ("SERVICE ?var (VALUES)", f"SELECT * WHERE {{ VALUES ?v {{ <{probe.url}> }} SERVICE ?v {{ ?s ?p ?o }} }}")):
            got = limited(lambda: raw(url, request("GET", "/sparql?query=" + urllib.parse.quote(q))), 20)
            time.sleep(0.3)
            r[name] = (short(*got) if isinstance(got, tuple) else got) + f" | listener: {probe.connections} connection(s), {len(probe.received)} bytes"
        probe.close()
        cases = {
            "update (sparql-update)": request("POST", "/sparql", {"Content-Type": "application/sparql-update"}, b"DROP ALL"),
            "traversal /../../etc/passwd": request("GET", "/../../../../etc/passwd"),
            "traversal %2e%2e": request("GET", "/%2e%2e/%2e%2e/etc/passwd"),
            "12 MB body announced": request("POST", "/sparql", {"Content-Type": "application/sparql-query", "Content-Length": str(12 << 20)}),
            "UTF-16 body": request("POST", "/sparql", {"Content-Type": "application/sparql-query; charset=UTF-16"}, "ASK {}".encode("utf-16")),
            "form body with 0xE9": request("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, b"query=ASK \xe9"),
            "100 KB URL": request("GET", "/sparql?query=" + "A" * 100_000),
            "PUT /sparql": request("PUT", "/sparql", {}, b"x"),
            "DELETE /sparql": request("DELETE", "/sparql"),
            "OPTIONS /sparql": request("OPTIONS", "/sparql"),
        }
        for name, req in cases.items():
            got = limited(lambda: raw(url, req), 20)
            r[name] = short(*got) if isinstance(got, tuple) else got
        start = time.monotonic()
        got = limited(lambda: raw(url, request("POST", "/sparql", {"Content-Type": "application/sparql-query",
                                                                   "Content-Length": "100"}, b"ASK"), timeout=40), 40)
        r["body that stops arriving"] = (short(*got) if isinstance(got, tuple) else got) + f" after {time.monotonic() - start:.1f} s"
        host, port = url.split("//")[1].split(":")
        before = threads_of(proc.pid)
        idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(400)]
        time.sleep(1)
        during = threads_of(proc.pid)
        t0 = time.monotonic()
        got = limited(lambda: raw(url, request("GET", "/sparql?query=ASK%7B%7D")), 10)
        answered = f"{got[0]} in {time.monotonic() - t0:.2f} s" if isinstance(got, tuple) else got
        time.sleep(22)
        later = threads_of(proc.pid)
        for s in idle:
            s.close()
        r["400 half-open connections"] = (f"server threads {before} -> {during} while open, {later} after 23 s; "
                                          f"a request meanwhile: {answered}")
    finally:
        proc.terminate()
        proc.wait(10)
    return r


SWAP_CHILD = """
import sys, time, pathlib
import tipkg.graph.outputs as o
out, flag = sys.argv[1:3]
real_rename = pathlib.Path.rename
def rename(self, target):
    result = real_rename(self, target)
    if pathlib.Path(self).resolve() == pathlib.Path(out).resolve():  # OUT moved away: the old swap's window
        pathlib.Path(flag).touch(); time.sleep(60)
    return result
pathlib.Path.rename = rename
if hasattr(o, "_exchange"):
    real = o._exchange
    def exchange(a, b):
        done = real(a, b)
        pathlib.Path(flag).touch(); time.sleep(60)
        return done
    o._exchange = exchange
with o.staged_output(out) as stage:
    (stage / "graph.nt").write_text("new\\n")
"""


def write_version(out: Path, text: str) -> None:
    from tipkg.graph.outputs import staged_output
    with staged_output(out) as stage:
        (stage / "graph.nt").write_text(text)


def probe_build(tmp: Path) -> dict:
    r = {}
    out = tmp / "swap" / "out"
    write_version(out, "old\n")
    flag = tmp / "flag"
    proc = subprocess.Popen([sys.executable, "-c", SWAP_CHILD, str(out), str(flag)], cwd=TREE)
    for _ in range(200):
        if flag.exists():
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    state = (out / "graph.nt").read_text().strip() if (out / "graph.nt").exists() else "OUT MISSING"
    r["kill in the swap window"] = f"OUT after the kill: {state}; beside it: {sorted(p.name for p in out.parent.iterdir() if p.name != 'out')}"
    missing, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                (out / "graph.nt").read_bytes()
            except OSError:
                missing.append(1)
    write_version(out, "v\n")
    reader = threading.Thread(target=read)
    reader.start()
    for n in range(300):
        write_version(out, f"v{n}\n")
    stop.set()
    reader.join()
    r["reader during 300 swaps"] = f"OUT missing {len(missing)} times"
    bout = tmp / "b" / "out"
    code, err = tipkg("build", "--out", str(bout), "--quiet", "--no-cache", timeout=300)
    ref = (bout / "graph.nt").read_bytes()
    took = []
    for fraction in (0.3, 0.6, 0.85):
        p = subprocess.Popen([sys.executable, "-m", "tipkg", "build", "--out", str(bout), "--quiet", "--no-cache"],
                             cwd=TREE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(8 * fraction)
        p.send_signal(signal.SIGKILL)
        p.wait()
        took.append((bout / "graph.nt").read_bytes() == ref)
    litter = sorted(p.name for p in bout.parent.iterdir() if p.name.startswith(".out."))
    ps = [subprocess.Popen([sys.executable, "-m", "tipkg", "build", "--out", str(bout), "--quiet", "--no-cache"],
                           cwd=TREE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    codes = [p.wait(300) for p in ps]
    after = sorted(p.name for p in bout.parent.iterdir() if p.name.startswith(".out."))
    r["3 builds killed (8 s x 0.3/0.6/0.85)"] = f"OUT intact each time: {took}; litter after: {len(litter)} folder(s)"
    r["then two builds at once"] = (f"exits {codes}; OUT same graph: {(bout / 'graph.nt').read_bytes() == ref}; "
                                   f"litter left: {len(after)}")
    return r


def corpus_copy(tmp: Path, name: str) -> Path:
    from tipkg.sources import default_corpus_dir
    folder = tmp / name / "corpus"
    shutil.copytree(default_corpus_dir(), folder, ignore=shutil.ignore_patterns("__*"))
    return folder


def rewrite(folder: Path, name: str, data: bytes) -> None:
    old = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    (folder / name).write_bytes(data)
    m = folder / "manifest.toml"
    m.write_text(m.read_text("utf-8").replace(old, hashlib.sha256(data).hexdigest()), "utf-8")


def triples(folder: Path | None, tmp: Path, name: str) -> tuple[int, str, int]:
    out = tmp / name / "out"
    args = ["build", "--out", str(out), "--quiet", "--no-cache", "--no-validate"] + (["--corpus", str(folder)] if folder else [])
    code, err = tipkg(*args, timeout=300)
    if code != 0:
        return code, err, 0
    return code, err, (out / "graph.nt").read_bytes().count(b"\n")


def probe_files(tmp: Path) -> dict:
    r = {}
    _, _, plain = triples(None, tmp, "plain")
    for variant in ("crlf", "bom"):
        folder = corpus_copy(tmp, variant)
        for p in sorted(folder.glob("*.txt")):
            data = p.read_bytes()
            rewrite(folder, p.name, data.replace(b"\n", b"\r\n") if variant == "crlf" else b"\xef\xbb\xbf" + data)
        code, err, n = triples(folder, tmp, variant + "-out")
        r[f"{variant.upper()} copy of every source"] = f"exit {code}, {n} triples (plain: {plain})" + (f": {err}" if code else "")
    text = (corpus_copy(tmp, "x") / AGENDA).read_text("utf-8")
    at = text.index("سوف يفتح الفريق") + 4  # inside a sentence the graph holds as a literal
    odd = {
        "truncated UTF-8": text.encode().rstrip()[:-1] if text.encode().rstrip()[-1] >= 0x80 else text.encode() + "ة".encode()[:1],
        "NUL character": (text[:at] + "\x00" + text[at:]).encode(),
        "bidi override (U+202E)": (text[:at] + "\u202e" + text[at:]).encode(),
    }
    for name, data in odd.items():
        folder = corpus_copy(tmp, name.split()[0])
        rewrite(folder, AGENDA, data)
        out = tmp / (name.split()[0] + "-out")
        code, err = tipkg("build", "--corpus", str(folder), "--out", str(out), "--quiet", "--no-cache", timeout=300)
        mark = ""
        if code == 0:
            nt = (out / "graph.nt").read_text("utf-8")
            nul = "\\u0000" in nt or chr(0) in nt
            rlo = "\\u202E" in nt.upper() or chr(0x202E) in nt
            mark = f"; graph.nt holds NUL: {nul}, U+202E: {rlo}"
        r[name] = f"exit {code} {err}{mark}"
    outside = tmp / "outside.txt"
    for name, how in (("manifest file = ../outside.txt", "dotdot"), ("manifest file = absolute path", "abs"),
                      ("source is a symlink to /etc/passwd", "link"), ("source is a FIFO", "fifo"),
                      ("duplicate identifier", "dup")):
        folder = corpus_copy(tmp, how)
        outside.write_bytes((folder / AGENDA).read_bytes())
        m = folder / "manifest.toml"
        t = m.read_text("utf-8")
        if how == "dotdot":
            t = t.replace(f'file = "{AGENDA}"', 'file = "../../outside.txt"')
        elif how == "abs":
            t = t.replace(f'file = "{AGENDA}"', f'file = "{outside}"')
        elif how == "link":
            (folder / "link.txt").symlink_to("/etc/passwd")
            t = t.replace(f'file = "{AGENDA}"', 'file = "link.txt"')
        elif how == "fifo":
            os.mkfifo(folder / "odd.txt")
            t = t.replace(f'file = "{AGENDA}"', 'file = "odd.txt"')
        else:
            import re
            ids = re.findall(r'identifier = "([^"]+)"', t)
            t = t.replace(f'identifier = "{ids[1]}"', f'identifier = "{ids[0]}"')
        m.write_text(t, "utf-8")
        code, err = tipkg("build", "--corpus", str(folder), "--out", str(tmp / (how + "-out")), "--quiet", "--no-cache", timeout=60)
        r[name] = f"exit {code} {err}"
    return r


def probe_stores(tmp: Path) -> dict:
    r = {}
    out = tmp / "big"
    out.mkdir()
    line = '<https://w3id.org/tipkg/id/x> <http://purl.org/dc/terms/title> "' + "ن" * 60 + '" .\n'
    (out / "graph.nt").write_text(line * (16_000_000 // len(line.encode())), encoding="utf-8")
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    r["publish: store down"] = "exit %s %s" % tipkg("publish", "--out", str(out), "--store", down + "/store")
    for mode in ("401", "500", "500-late", "slow", "early-200", "cut"):
        fake = FakeStore(mode, delay=8)
        code, err = tipkg("publish", "--out", str(out), "--store", fake.url + "/store", "--timeout", "4")
        r[f"publish: store {mode} (16 MB graph)"] = f"exit {code} {err}"
        if mode in ("401", "500", "slow", "cut"):
            code, err = tipkg("query", "documents-overview", "--endpoint", fake.url + "/query", "--timeout", "4")
            r[f"query: endpoint {mode}"] = f"exit {code} {err}"
        fake.close()
    return r


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="server,build,files,stores")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="fault-probe-") as name:
        tmp = Path(name)
        parts = args.only.split(",")
        if "server" in parts:
            out = tmp / "served"
            tipkg("build", "--out", str(out), "--quiet", "--no-cache", timeout=300)
            results["server"] = probe_server(out)
        if "build" in parts:
            results["build"] = probe_build(tmp)
        if "files" in parts:
            results["files"] = probe_files(tmp)
        if "stores" in parts:
            results["stores"] = probe_stores(tmp)
    print(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
