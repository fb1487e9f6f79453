"""A build killed at any moment, or two builds at once, never leave ``--out`` broken or missing.

Real ``tipkg build`` processes are killed with SIGKILL at moments spread over
a build; the swap itself is aimed at by a child whose exchange is slowed down
(the test patches it, the code is the shipped one) and killed just before and
just after it; a reader polling ``OUT`` while hundreds of swaps run must
never find it missing. Stale staging folders are removed by the next build.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from tipkg.graph.outputs import clean_stale, scratch_folder, staged_output
from tipkg.units import UnitCache

ROOT = Path(__file__).resolve().parents[1]
FILES = {"graph.nt", "graph.ttl", "graph.jsonld", "graph.trig", "void.ttl", "context.jsonld", "store"}


def build(out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tipkg", "build", "--out", str(out), "--quiet", "--jobs", "1",
                             "--no-cache", *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stages(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def assert_whole(out: Path, reference: bytes) -> None:
    """OUT holds a complete build: every output, the same graph, a store that opens and counts it."""
    assert FILES <= {p.name for p in out.iterdir()}, sorted(p.name for p in out.iterdir())
    assert (out / "graph.nt").read_bytes() == reference
    store = ox.Store.read_only(str(out / "store"))
    assert len(store) == reference.count(b"\n")


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """A first, uninterrupted build: its graph and how long it took."""
    out = tmp_path_factory.mktemp("killed") / "out"
    start = time.monotonic()
    proc = build(out)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()
    return out, (out / "graph.nt").read_bytes(), time.monotonic() - start


def test_a_build_killed_at_any_moment_then_two_builds_at_once(first):
    out, reference, took = first
    for fraction in (0.2, 0.6, 0.9):
        proc = build(out)
        time.sleep(took * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert_whole(out, reference)
    # two builds at once on the same OUT: both succeed (neither takes the other's stage for litter),
    # OUT is whole, and what the killed builds left is gone
    procs = [build(out), build(out)]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()
    assert_whole(out, reference)
    assert stages(out) == []


SWAP_CHILD = """
import sys, time
from pathlib import Path
import tipkg.graph.outputs as outputs
out, flag, where, version = sys.argv[1:5]
real = outputs._exchange
def exchange(a, b):
    if where == "before":
        Path(flag).touch(); time.sleep(60)
    done = real(a, b)
    if where == "after":
        Path(flag).touch(); time.sleep(60)
    return done
outputs._exchange = exchange
with outputs.staged_output(out) as stage:
    for name in ("graph.nt", "void.ttl"):
        (stage / name).write_text(f"{version} {name}\\n" * 1000)
"""


def write_version(out: Path, version: str) -> None:
    with staged_output(out) as stage:
        for name in ("graph.nt", "void.ttl"):
            (stage / name).write_text(f"{version} {name}\n" * 1000)


def version_of(out: Path) -> set[str]:
    return {(out / name).read_text().split()[0] for name in ("graph.nt", "void.ttl")}


@pytest.mark.parametrize("where, survivor", [("before", "old"), ("after", "new")])
def test_a_kill_in_the_swap_window(tmp_path, where, survivor):
    out = tmp_path / "out"
    write_version(out, "old")
    flag = tmp_path / "flag"
    proc = subprocess.Popen([sys.executable, "-c", SWAP_CHILD, str(out), str(flag), where, "new"], cwd=ROOT)
    for _ in range(300):
        if flag.exists() or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert flag.exists(), "the child never reached the swap"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert version_of(out) == {survivor}  # whole: both files of one version, never a mix or nothing
    assert len(stages(out)) == 1  # the killed swap's leftover (the new or the old folder) …
    write_version(out, "next")  # … is removed by the next build
    assert version_of(out) == {"next"} and stages(out) == []


def test_readers_never_find_out_missing_during_swaps(tmp_path):
    out = tmp_path / "out"
    write_version(out, "v0")
    missing, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                (out / "graph.nt").read_bytes()
            except OSError as exc:
                missing.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(300):
            write_version(out, f"v{n + 1}")
    finally:
        stop.set()
        reader.join()
    assert missing == [] and version_of(out) == {"v300"} and stages(out) == []


def test_a_live_stage_is_not_taken_for_litter(tmp_path):
    """A build cleaning stale stages must not remove the stage of a build still running beside it."""
    out = tmp_path / "out"
    write_version(out, "old")
    with staged_output(out) as slow_stage:
        (slow_stage / "graph.nt").write_text("slow graph.nt\n")
        (slow_stage / "void.ttl").write_text("slow void.ttl\n")
        write_version(out, "fast")  # a second build, started and finished meanwhile
        assert slow_stage.is_dir() and os.listdir(slow_stage)
    assert version_of(out) == {"slow"} and stages(out) == []


def test_builds_killed_with_a_cache_leave_it_usable_and_no_litter(first, tmp_path):
    """Killed while extracting into the cache, merging chunks or writing dumps: the next build on the
    same cache sweeps the killed builds' temporary files and chunk folders and writes the same graph —
    also when a killed build had finished its outputs and the next one has nothing to do."""
    _, reference, took = first
    out, cache = tmp_path / "out", tmp_path / "cache"
    for fraction in (0.1, 0.35, 0.6, 0.85):
        proc = subprocess.Popen([sys.executable, "-m", "tipkg", "build", "--out", str(out), "--quiet",
                                 "--cache", str(cache), "--jobs", "2"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(took * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finished = subprocess.run([sys.executable, "-m", "tipkg", "build", "--out", str(out), "--quiet",
                               "--cache", str(cache)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    assert_whole(out, reference)
    assert stages(out) == []  # no stage, no .out.chunks-* folder left beside OUT
    assert sorted(p.name for p in cache.glob("**/*.tmp")) == []
    entries = [p for p in cache.glob("??/*") if p.is_file() and not p.suffix]
    assert len(entries) == 5  # one whole unit per source of the corpus
    assert len(list(cache.glob("??/*.held"))) == 5  # and what the build's parent keeps of it (tipkg/held.py)


def test_a_live_scratch_folder_is_not_taken_for_litter(tmp_path):
    """The chunk folder of a build still running is kept by another build's clean-up; an unlocked one goes."""
    out = tmp_path / "out"
    with scratch_folder(out) as live:
        (live / "chunk-0.nt").write_text("<a> <b> <c> .\n")
        dead = tmp_path / ".out.chunks-dead"
        dead.mkdir()
        assert clean_stale(out.resolve()) == [dead]
        assert live.is_dir()
    assert not live.exists()


def test_a_killed_cache_write_is_swept_and_a_live_one_kept(tmp_path):
    cache = UnitCache(tmp_path)
    dead = tmp_path / "ab" / ".abcdef12.x.tmp"
    dead.parent.mkdir()
    dead.write_bytes(b"half an entry")
    live = tmp_path / "ab" / ".abcdef12.y.tmp"
    live.write_bytes(b"being written")
    fd = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as write_atomically holds it
        assert cache.sweep() == 1
        assert live.exists() and not dead.exists()
    finally:
        os.close(fd)


def test_a_build_with_nothing_to_do_still_sweeps_what_killed_builds_left(tmp_path):
    """Regression: an up-to-date build returned before the clean-up, leaving a killed build's
    ``.out.chunks-*`` folder (seen at load 10 in the test above)."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    command = [sys.executable, "-m", "tipkg", "build", "--out", str(out), "--quiet", "--cache", str(cache)]
    assert subprocess.run(command, cwd=ROOT, capture_output=True, timeout=600).returncode == 0
    litter = tmp_path / ".out.chunks-killed"
    litter.mkdir()
    (litter / "chunk-0.nt").write_text("<a> <b> <c> .\n")
    again = subprocess.run([*command[:-5], "--out", str(out), "--cache", str(cache)], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "outputs are current" in again.stderr, again.stderr
    assert stages(out) == []


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_the_children_of_a_killed_build_die_with_it(tmp_path):
    """Regression: pool workers of a SIGKILLed build lived on for hours, holding the lock of its chunk
    folder (so the next build kept the folder as live litter). Every child now dies with its parent."""
    proc = subprocess.Popen([sys.executable, "-m", "tipkg", "build", "--out", str(tmp_path / "out"), "--quiet",
                             "--cache", str(tmp_path / "cache"), "--jobs", "2"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: list[int] = []
    for _ in range(600):  # until the build has started its worker processes
        children = _children(proc.pid)
        if len(children) >= 2 or proc.poll() is not None:
            break
        time.sleep(0.02)
    assert len(children) >= 2, "the build never started its workers"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{c}").exists() for c in children):
        time.sleep(0.05)
    alive = [c for c in children if Path(f"/proc/{c}").exists()
             and Path(f"/proc/{c}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    assert alive == [], f"children of the killed build still running: {alive}"


# --- the delta build (graph/delta.py, graph/store.py): killed, it leaves the previous OUT as it was ---------

STORE_KILL_CHILD = """
import sys, time
from pathlib import Path
import tipkg.graph.store as store
flag = sys.argv[1]
real = store._apply
def applied_then_wait(target, delta):  # the new store half made: links to the previous one, the delta in
    real(target, delta)
    Path(flag).touch(); time.sleep(60)
store._apply = applied_then_wait
from tipkg.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _edited_corpus(folder: Path) -> tuple[Path, Path, bytes, bytes]:
    """A copy of the bundled corpus and the bytes of one source before and after a word of it is edited."""
    import shutil

    from tipkg.sources import default_corpus_dir

    corpus = folder / "corpus"
    shutil.copytree(default_corpus_dir(), corpus, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    source = corpus / "004_e1b135029fdaca29.txt"
    original = source.read_bytes()
    at = original.rindex("الدول".encode())
    return corpus, source, original, original[:at] + "البلدان".encode() + original[at + len("الدول".encode()):]


def _use(corpus: Path, source: Path, data: bytes) -> None:
    """Put ``data`` in ``source`` and its sha256 in the manifest."""
    import hashlib
    import re

    source.write_bytes(data)
    manifest = corpus / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    at = text.index(f'file = "{source.name}"')
    text = text[:at] + re.sub(r'sha256 = "[0-9a-f]{64}"', f'sha256 = "{hashlib.sha256(data).hexdigest()}"',
                              text[at:], count=1)
    manifest.write_text(text, encoding="utf-8")


def _digests(folder: Path) -> dict[str, str]:
    import hashlib

    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow  # builds eight times
def test_delta_builds_killed_at_any_moment_leave_the_previous_out_untouched(tmp_path):
    """A rebuild after an edit starts from OUT (its store hard-linked). Killed at moments spread over it,
    and once in the middle of the store's delta (the new store half made of links to the old one): OUT
    is whole, the previous build's, its store files byte for byte as they were; the next build finishes
    from the same base and writes the graph of the corpus as it is, nothing left beside OUT or in the cache."""
    corpus, source, original, edited = _edited_corpus(tmp_path)
    out, cache = tmp_path / "out", tmp_path / "cache"
    command = [sys.executable, "-m", "tipkg", "build", "--corpus", str(corpus), "--out", str(out), "--quiet",
               "--cache", str(cache), "--jobs", "2"]

    def run(data: bytes) -> float:
        _use(corpus, source, data)
        start = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return time.monotonic() - start

    def based_on_edited(n: int) -> tuple[Path, dict[str, str]]:
        """OUT built from the edited corpus (a delta build), the corpus put back to the original (so the
        next build is a delta against it); links to OUT's store files and their digests."""
        run(edited)
        kept = tmp_path / f"kept-{n}"
        kept.mkdir()
        for path in (out / "store").iterdir():
            os.link(path, kept / path.name)
        _use(corpus, source, original)
        return kept, _digests(kept)

    run(original)
    before = (out / "graph.nt").read_bytes()
    run(edited)
    reference = (out / "graph.nt").read_bytes()
    assert reference != before
    took = run(original)  # as long as a killed build would take (the same delta, the same cache)
    kept, digests = based_on_edited(0)
    for n, fraction in enumerate((0.25, 0.5, 0.75, 0.9)):
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(took * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        graph = (out / "graph.nt").read_bytes()
        assert graph in (reference, before)  # the previous build's OUT, or (finished before the kill) the new
        assert_whole(out, graph)
        assert _digests(kept) == digests
        if graph == before:
            kept, digests = based_on_edited(n + 1)
    flag = tmp_path / "flag"
    proc = subprocess.Popen([sys.executable, "-c", STORE_KILL_CHILD, str(flag), *command[3:]], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for _ in range(1200):
        if flag.exists() or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert flag.exists(), "the build never reached the store's delta: " + proc.communicate()[1].decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert_whole(out, reference)
    assert _digests(kept) == digests
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    assert_whole(out, before)  # the original corpus's graph again, its store by the delta from the edited one
    assert {p.stat().st_ino for p in (out / "store").iterdir()} & {p.stat().st_ino for p in kept.iterdir()}
    assert _digests(kept) == digests
    store = ox.Store.read_only(str(out / "store"))
    assert sorted(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).splitlines(keepends=True)) \
        == before.splitlines(keepends=True)
    assert stages(out) == [] and sorted(p.name for p in cache.glob("**/*.tmp")) == []
