"""When the machine stops a build (``tipkg/faults.py``): a disk that fills up, a folder that is read-only,
a process of the build killed by the kernel's OOM killer or from outside. One line saying which disk,
file or stage, why, and what is free there or whether memory ran out (exit status 4); the previous OUT
and the cache as they were, nothing left beside them.

Real file systems and real kills, not mocks: a disk case runs in a private mount namespace (``unshare
--mount``, as root, which the tests run as) with a small tmpfs mounted on a folder of the test's, so the
disk really fills (the kernel's ENOSPC, RocksDB's and SQLite's words for it) and the mount goes with the
namespace; /dev/full gives a real ENOSPC without a mount. A stage is killed with SIGKILL, and the OOM
killer's kill is the kernel's own, in a memory cgroup of the test's.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tipkg.faults import DiskFault, disk_fault, refusal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import timeline  # noqa: E402  (its ``tree``: a process and every process under it, with their names)

#: the tmpfs a case mounts: room for the bundled corpus's OUT (21 MB), its cache (10 MB) and a rebuild
#: (its peak: 33–40 MB), or a filler
DISK_MB = 100

#: each case: a previous build fills part of the disk, a filler leaves LEAVE MB free, then the rebuild's
#: arguments; ``{disk}`` is the mounted folder
_CASE = """set -e
mount -t tmpfs -o size={size}M tmpfs "{disk}"
cd "{work}"
"{python}" -m tipkg build --out "{disk}/out" --quiet
sums() {{ (cd "{disk}/out" && find . -type f ! -path './store/*' | sort | xargs sha256sum); }}
sums > "{work}/before"
avail=$(df -m --output=avail "{disk}" | tail -1)
dd if=/dev/zero of="{disk}/filler" bs=1M count=$((avail - {leave})) 2>/dev/null
set +e
"{python}" -m tipkg build --out "{disk}/out" --quiet {args} 2> "{work}/stderr"
echo $? > "{work}/rc"
sums > "{work}/after"
ls -A "{disk}" > "{work}/listing"
rm "{disk}/filler"
"{python}" -m tipkg build --out "{disk}/out" --quiet {args} 2> "{work}/stderr-again"
echo $? > "{work}/rc-again"
sums > "{work}/again"
"""


def _in_namespace(script: str, tmp_path: Path) -> None:
    """Run ``script`` with sh in a private mount namespace (its mounts gone with it)."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to mount a small disk for these cases")
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"the case's own steps failed (not the build under test): {done.stderr[-2000:]}"


@pytest.mark.parametrize("leave, args, cache", [
    (1, "--no-cache", None),  # the first write refused: the graph parts, in the build's scratch folder
    (20, "--no-cache", None),  # room for the parts and graph.nt, not for the new store and dumps beside the old
    (8, "--cache {disk}/fresh", "fresh"),  # a fresh cache on the full disk: its entries and SQLite's reuse index
])
def test_a_full_disk_stops_a_rebuild_in_one_line_and_loses_nothing(tmp_path, leave, args, cache):
    disk = tmp_path / "disk"
    disk.mkdir()
    _in_namespace(_CASE.format(size=DISK_MB, disk=disk, work=tmp_path, python=sys.executable, leave=leave,
                               args=args.format(disk=disk)), tmp_path)
    lines = (tmp_path / "stderr").read_text().splitlines()
    assert (tmp_path / "rc").read_text().split() == ["4"], lines
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith(f"tipkg build: error: {disk}: no space left on the device; "), line
    assert re.search(r"; [\d.]+ (GB|MB|kB|bytes) free there; ", line), line
    assert re.search(r"beside the previous one \(2\d\.\d MB\) before it swaps it in: free about [45]\d\.\d MB", line), line
    assert line.endswith(f"; {disk}/out and the cache are as they were" if cache else f"; {disk}/out is as it was"), line
    # as they were: OUT's files the same bytes, and nothing left beside it (no stage, no scratch folder)
    assert (tmp_path / "after").read_text() == (tmp_path / "before").read_text()
    assert sorted((tmp_path / "listing").read_text().split()) == sorted(
        [".tipkg-cache", "filler", "out", *([cache] if cache else [])])
    # and usable: with the room back, the same rebuild (the same cache) succeeds, to the same graph
    assert (tmp_path / "rc-again").read_text().split() == ["0"], (tmp_path / "stderr-again").read_text()
    graph = [line for line in (tmp_path / "before").read_text().splitlines() if line.endswith("./graph.nt")]
    assert graph and graph[0] in (tmp_path / "again").read_text().splitlines()


def test_a_read_only_cache_or_out_is_named_in_one_line(tmp_path):
    disk = tmp_path / "ro"
    disk.mkdir()
    script = f"""set -e
mount -t tmpfs -o size=1M,ro tmpfs "{disk}"
set +e
"{sys.executable}" -m tipkg build --out "{tmp_path}/out" --cache "{disk}/cache" --quiet 2> "{tmp_path}/cache-stderr"
echo $? > "{tmp_path}/cache-rc"
"{sys.executable}" -m tipkg build --out "{disk}/out" --no-cache --quiet 2> "{tmp_path}/out-stderr"
echo $? > "{tmp_path}/out-rc"
"""
    _in_namespace(script, tmp_path)
    assert (tmp_path / "cache-rc").read_text().split() == ["4"]
    assert (tmp_path / "cache-stderr").read_text().splitlines() == [
        f"tipkg build: error: {disk}/cache: the file system is read-only; writing the cache; "
        f"{tmp_path}/out and the cache are as they were"]
    assert not (tmp_path / "out").exists()
    assert (tmp_path / "out-rc").read_text().split() == ["4"]
    (line,) = (tmp_path / "out-stderr").read_text().splitlines()
    assert line.startswith(f"tipkg build: error: {disk}: the file system is read-only; writing the build's scratch folder ("
                           f"{disk}/.out.chunks-"), line  # the folder it could not make, in the folder the user named
    assert line.endswith(f"; {disk}/out is as it was"), line


def test_a_store_that_fills_its_disk_is_named_from_rocksdbs_words(tmp_path):
    """RocksDB's error carries no errno and no filename, only its words: the file is read from them."""
    disk = tmp_path / "disk"
    disk.mkdir()
    probe = """import sys, pyoxigraph as ox
from tipkg.faults import disk_fault
store = ox.Store(sys.argv[1] + "/store")
lines = "".join(f'<http://x/{i}> <http://x/p> "{"w" * 200} {i}" .\\n' for i in range(200000))
try:
    store.bulk_load(lines.encode(), format=ox.RdfFormat.N_TRIPLES)
    store.flush()
except OSError as exc:
    print(exc)
    print(disk_fault(exc, sys.argv[1] + "/out", None))
"""
    (tmp_path / "probe.py").write_text(probe)
    _in_namespace(f'set -e\nmount -t tmpfs -o size=2M tmpfs "{disk}"\n'
                  f'"{sys.executable}" "{tmp_path}/probe.py" "{disk}" > "{tmp_path}/said"\n', tmp_path)
    rocksdb, fault = (tmp_path / "said").read_text().splitlines()
    assert "No space left on device" in rocksdb and f"{disk}/store/" in rocksdb
    assert fault.startswith(f"{disk}: no space left on the device; ") and "free there" in fault
    assert refusal(OSError(rocksdb)) == errno.ENOSPC


def test_a_real_enospc_and_a_real_read_only_database_are_refusals():
    with pytest.raises(OSError) as full:
        with open("/dev/full", "wb") as device:
            device.write(b"x" * 100_000)
    fault = disk_fault(full.value)  # nor the error nor a command says which file: no disk guessed
    assert isinstance(fault, DiskFault) and fault.exit_code == 4
    assert str(fault) == "no space left on the device (the error names no file)"
    fault = disk_fault(full.value, "/dev/out", None)  # a build's: the fullest of the places it writes
    assert isinstance(fault, DiskFault) and re.match(r"/\S*: no space left on the device; [\d.]+ \w+ free there; "
                                                     r"/dev/out is as it was$", str(fault)), str(fault)
    database = sqlite3.connect("file:/dev/null?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as read_only:
        database.execute("CREATE TABLE t (x)")
    assert refusal(read_only.value) == errno.EROFS, read_only.value


def test_a_programs_own_errors_are_not_taken_for_the_disks():
    """A missing file, a bad value: not the disk's refusal, so they keep their traceback (None here)."""
    with pytest.raises(OSError) as missing:
        open("/nonexistent/tipkg/file")
    assert disk_fault(missing.value) is None
    assert disk_fault(ValueError("No space left on device")) is None  # the words alone, in another error
    assert disk_fault(sqlite3.OperationalError("no such table: t")) is None


def test_any_command_says_a_full_disk_in_one_line(tmp_path):
    """The command line's own net (cli.main): an export into a full device, /dev/full under a .graphml name."""
    export = tmp_path / "network.graphml"
    export.symlink_to("/dev/full")
    done = subprocess.run([sys.executable, "-m", "tipkg", "analyze", "--export", str(export)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 4, done.stderr
    assert done.stderr.splitlines() == ["tipkg analyze: error: no space left on the device (the error names no file)"]


def test_a_report_refused_after_the_build_is_the_reports_alone(tmp_path):
    """``--report FILE`` is written once the new OUT is in place: its refused write names its own disk, and
    does not say OUT is as it was (it is the new one)."""
    report = tmp_path / "review.tsv"
    report.symlink_to("/dev/full")
    done = subprocess.run([sys.executable, "-m", "tipkg", "build", "--out", str(tmp_path / "out"), "--quiet",
                           "--report", str(report)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 4, done.stderr
    (line,) = done.stderr.splitlines()
    assert re.fullmatch(r"tipkg build: error: /dev: no space left on the device; [\d.]+ \w+ free there", line), line
    assert (tmp_path / "out" / "graph.nt").stat().st_size > 0


# --- a process of the build killed: by the kernel's OOM killer, or from outside ---------------------------------


def test_a_stage_killed_from_outside_is_named_in_one_line_and_out_kept(tmp_path):
    """A forked stage of a build (validation's companion, ``beside``) killed with SIGKILL from outside: the
    stage in words, its pid and signal, no OOM kill counted, OUT as it was."""
    out = tmp_path / "out"
    first = subprocess.run([sys.executable, "-m", "tipkg", "build", "--out", str(out), "--quiet"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    before = (out / "graph.nt").read_bytes()
    build = subprocess.Popen([sys.executable, "-m", "tipkg", "build", "--out", str(out), "--quiet", "--no-cache"],
                             cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    victim = None
    while victim is None and build.poll() is None:
        victim = next((pid for pid, _, name, _, _ in timeline.tree(build.pid) if name == "beside"), None)
    assert victim is not None, "the build ended before its stage 'beside' was seen"
    os.kill(victim, signal.SIGKILL)
    _, stderr = build.communicate(timeout=600)
    assert build.returncode == 4, stderr
    assert stderr.splitlines() == [
        f"tipkg build: error: the outputs written beside validation (beside): its process ({victim} killed by "
        f"SIGKILL) died without a word; a signal from outside the build (the kernel's OOM killer ended no process "
        f"meanwhile); {out} is as it was"]
    assert (out / "graph.nt").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tipkg-cache", "out"]  # no stage, no scratch left


def _memory_cgroup(tmp_path: Path, limit: int) -> Path:
    """A new memory cgroup limited to ``limit`` bytes (cgroup v1 beside this process's own, or v2 under the
    root); a process joins it by writing its pid into its ``cgroup.procs``."""
    lines = Path("/proc/self/cgroup").read_text().splitlines()
    v1 = next((line.split(":", 2)[2] for line in lines if line.split(":")[1] == "memory"), None)
    if v1 is not None:
        group = Path("/sys/fs/cgroup/memory") / v1.lstrip("/") / f"tipkg-test-{os.getpid()}-{tmp_path.name}"
        group.mkdir()
        (group / "memory.limit_in_bytes").write_text(str(limit))
        if (group / "memory.memsw.limit_in_bytes").exists():
            (group / "memory.memsw.limit_in_bytes").write_text(str(limit))  # no way out through swap
        return group
    root = Path("/sys/fs/cgroup")
    if "memory" not in (root / "cgroup.subtree_control").read_text().split():
        (root / "cgroup.subtree_control").write_text("+memory")
    group = root / f"tipkg-test-{os.getpid()}-{tmp_path.name}"
    group.mkdir()
    (group / "memory.max").write_text(str(limit))
    (group / "memory.swap.max").write_text("0")
    return group


def test_a_stage_the_oom_killer_ended_is_said_to_be_out_of_memory(tmp_path):
    """A real OOM kill: a process in a memory cgroup of 150 MB forks a stage that asks for far more; the kernel
    kills it, the stage's death is raised (``parallel.StageDied``) and said as memory run out."""
    group = _memory_cgroup(tmp_path, 150 << 20)
    probe = tmp_path / "probe.py"
    probe.write_text("""import sys
from tipkg.faults import killed_fault, oom_kills
from tipkg.parallel import Forked, StageDied

def hog():
    held = []
    while True:
        held.append(b"x" * (20 << 20))  # written, so held: 20 MB at a time

before = oom_kills()
try:
    Forked(hog).result()
except StageDied as died:
    print(killed_fault(died, sys.argv[1], None, before))
""")
    try:
        done = subprocess.run(["sh", "-c", f'echo $$ > "{group / "cgroup.procs"}" && exec "{sys.executable}" "{probe}" '
                               f'"{tmp_path / "out"}"'], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    finally:
        group.rmdir()
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"hog: its process \(\d+ killed by SIGKILL\) died without a word; memory ran out: the "
                        r"kernel's OOM killer ended \d+ process(es)? on this machine while the build ran \(a build's "
                        r"peak, measured: 1\.3 GB at ×100 .*\); \S+/out is as it was\n", done.stdout), done.stdout
