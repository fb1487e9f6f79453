"""A forked stage gives what the same call gives in the parent, errors included."""

from __future__ import annotations

import os
import pickle
import signal
from concurrent.futures.process import BrokenProcessPool

import pytest

from tipkg.network.reuse import find_reuse
from tipkg.loaders import load_structure
from tipkg.parallel import Forked, StageDied, WorkerDied, announce, beside_child, process_pool, resident_bytes
from tipkg.sources import read_corpus


def fail(message: str):
    raise ValueError(message)


@pytest.mark.parametrize("jobs", ["1", ""])
def test_value_and_error_come_back(monkeypatch, jobs):
    monkeypatch.setenv("TIPKG_JOBS", jobs)
    assert Forked(sorted, [3, 1, 2]).result() == [1, 2, 3]
    with pytest.raises(ValueError, match="bad row"):
        Forked(fail, "bad row").result()


def announcing(values: list[str], ending: str) -> str:
    for value in values:
        announce(value)
    if ending == "fail":
        raise ValueError("after announcing")
    if ending == "die":
        os._exit(3)
    return "done"


@pytest.mark.parametrize("lean", [False, True])
@pytest.mark.parametrize("jobs", ["1", ""])
def test_values_announced_come_in_order_before_the_result(monkeypatch, jobs, lean):
    monkeypatch.setenv("TIPKG_JOBS", jobs)
    job = Forked(announcing, ["echoes written", "second"], "return", lean=lean)
    assert job.announced() == "echoes written"
    assert job.result() == "done"  # the value not taken is kept, not taken for the result
    assert job.announced() == "second" and job.announced() is None
    quiet = Forked(announcing, [], "return", lean=lean)
    assert quiet.announced() is None and quiet.result() == "done"
    failed = Forked(announcing, ["first"], "fail", lean=lean)
    assert failed.announced() == "first" and failed.announced() is None
    with pytest.raises(ValueError, match="after announcing"):
        failed.result()


def test_a_child_that_dies_before_announcing_is_said_to_have_died(monkeypatch):
    monkeypatch.delenv("TIPKG_JOBS", raising=False)
    job = Forked(announcing, [], "die")
    assert job.announced() is None
    with pytest.raises(StageDied, match=r"^announcing: its process \(\d+ exited with 3\) died without a word$"):
        job.result()


def test_resident_bytes_counts_the_pages_this_process_touches():
    before = resident_bytes()
    held = bytearray(64 << 20)  # zeroed: every page written
    after = resident_bytes()
    assert before is not None and after is not None and after - before >= 60 << 20
    del held


def test_child_is_a_separate_process(monkeypatch):
    monkeypatch.delenv("TIPKG_JOBS", raising=False)  # forking on, whatever the caller's environment says
    assert Forked(os.getpid).result() != os.getpid()


def test_text_reuse_of_the_corpus_is_the_same_forked():
    structured = [load_structure(s) for s in read_corpus()]
    forked = Forked(find_reuse, structured).result()
    assert forked == find_reuse(structured)
    echoes, attested = forked
    assert echoes and attested  # the corpus has both: 4/4 echoes its draft, 3/3 is printed twice


def test_children_forked_in_a_frozen_heap_leave_the_parents_objects_alone(monkeypatch):
    """Inside ``frozen_heap`` a child's collector never visits what it inherited (so it does not copy those
    pages): the structures of the real corpus are in the child's permanent generation; after the block the
    parent's objects are back with its collector."""
    import gc

    from tipkg.parallel import frozen_heap

    monkeypatch.delenv("TIPKG_JOBS", raising=False)
    structured = [load_structure(s) for s in read_corpus()]
    paragraphs = [p for item in structured for d in item.documents for p in d.paragraphs]
    with frozen_heap():
        frozen, tracked = Forked(lambda: (gc.get_freeze_count(), gc.is_tracked(paragraphs[0]))).result()
        assert frozen >= len(paragraphs) and tracked  # the paragraphs are frozen in the child, not untracked
        assert Forked(gc.get_freeze_count).result() >= len(paragraphs)  # and so does a second fork
    assert gc.get_freeze_count() == 0
    assert Forked(gc.get_freeze_count).result() == 0  # outside the block a fork freezes nothing


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer, or a kill from outside, ends a worker


def test_a_worker_killed_in_a_task_is_said_with_its_stage_and_signal():
    """Regression: round 7's one-off BrokenProcessPool (``test_one_edited_word_at_x3[visual]``, at load 27) said
    only "a process in the process pool was terminated abruptly". A pool worker killed in its task breaks the
    pool as that one was; the error now names the stage and how the worker ended."""
    with pytest.raises(BrokenProcessPool, match=r"^extraction: a worker process died in a task \(.*killed by SIGKILL"):
        with process_pool(2, "extraction") as pool:
            pool.submit(_killed).result()
    with process_pool(2, "graph parts") as pool:  # a pool whose workers live gives its answers as before
        assert sorted(pool.map(abs, [-2, 1])) == [1, 2]


def _status() -> dict[str, int]:
    """This process's resident memory (VmRSS) and its parent's pid, from /proc."""
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return {"rss_kb": int(fields["VmRSS"].split()[0]), "ppid": os.getppid()}


linux = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc (Linux)")


@linux
def test_a_lean_child_does_not_carry_the_parents_memory(monkeypatch):
    """What ``lean=True`` is for: the outputs of a large build ran in children forked from a parent holding
    ~650 MB (×1000), which each carried. The parent here holds 200 MB of its own; a forked child's resident
    memory counts it (the test's control: it can fail), a lean child's does not, and its parent is the
    lean server, not this process."""
    monkeypatch.delenv("TIPKG_JOBS", raising=False)
    held = b"x" * (200 << 20)  # written: resident in this process
    forked, lean = Forked(_status).result(), Forked(_status, lean=True).result()
    assert forked["ppid"] == os.getpid() and forked["rss_kb"] > 200 << 10
    assert lean["ppid"] != os.getpid() and lean["rss_kb"] < 150 << 10
    assert len(held) == 200 << 20


@pytest.mark.parametrize("jobs", ["1", ""])
def test_a_lean_child_gives_its_value_and_error_back(monkeypatch, jobs):
    monkeypatch.setenv("TIPKG_JOBS", jobs)
    assert Forked(sorted, [3, 1, 2], lean=True).result() == [1, 2, 3]
    with pytest.raises(ValueError, match="bad row"):
        Forked(fail, "bad row", lean=True).result()


def _environment(name: str) -> str | None:
    return os.environ.get(name)


def test_a_lean_child_sees_the_environment_of_its_start(monkeypatch):
    """The server is a process started earlier, with the environment of that moment: a lean child runs with
    the build's as it is when the child starts, as a forked child does (``$TIPKG_MERGE``, …)."""
    from tipkg.parallel import lean_server

    monkeypatch.delenv("TIPKG_JOBS", raising=False)
    lean_server()
    monkeypatch.setenv("TIPKG_LEAN_TEST", "set after the server started")
    assert Forked(_environment, "TIPKG_LEAN_TEST", lean=True).result() == "set after the server started"


@linux
def test_a_lean_child_dies_with_the_build_killed(tmp_path):
    """A build killed with SIGKILL takes its lean children along, as its forked ones: the child dies with
    the server, which leaves once the build's process is gone (the child let go of the server's pipe)."""
    import subprocess
    import sys
    import time

    script = ("import sys, time\nfrom tipkg.parallel import Forked\n"
              "child = Forked(time.sleep, 600, lean=True)\nprint(child._process.pid, flush=True)\ntime.sleep(600)\n")
    build = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,  # its server's
                             env={**{k: v for k, v in os.environ.items() if k != "TIPKG_JOBS"},  # socket folder
                                  "TMPDIR": str(tmp_path)})  # (pymp-*), which a killed build leaves, in tmp_path
    child = int(build.stdout.readline())
    os.kill(child, 0)  # running
    build.kill()
    build.wait()
    for _ in range(2000):  # the kernel's SIGKILL of the child is not instant: wait for it, without a clock
        try:
            with open(f"/proc/{child}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
        except FileNotFoundError:
            break
        time.sleep(0.01)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the lean child outlived the build")


@linux
def test_the_lean_servers_children_are_counted_once_it_stops(tmp_path):
    """``stop_lean_server`` waits for the server, so a lean child's peak memory (and CPU time) is among the
    build's children's (``getrusage(RUSAGE_CHILDREN)``, what the benchmark and ``time -v`` read), as a forked
    child's is; a process that let the server go uncounted would report a peak it never saw."""
    import subprocess
    import sys

    script = ("import resource\nfrom tipkg.parallel import Forked, stop_lean_server\n"
              "import multiprocessing, os\n"
              "Forked(bytes, 300 << 20, lean=True).result()\nfolder = multiprocessing.util.get_temp_dir()\n"
              "stop_lean_server()\n"
              "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, os.path.exists(folder))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={k: v for k, v in os.environ.items() if k != "TIPKG_JOBS"})
    peak, left = done.stdout.split()
    assert int(peak) > 300 << 10
    assert left == "False"  # nor is multiprocessing's temporary folder (/tmp/pymp-*, the server's socket) left


def _pooled(values: list[int]) -> tuple[str, list[int]]:
    import multiprocessing

    multiprocessing.current_process()._config["daemon"] = False  # as graph/segments.py's pool does
    with process_pool(2, "text dumps") as pool:
        return multiprocessing.get_start_method(), sorted(pool.map(abs, values))


def test_a_lean_child_runs_a_process_pool_as_a_forked_one(monkeypatch):
    """Regression (a ×30 build with the lean server failed: "text dumps: a worker process died in a task
    (… exited with 1 …)"): ``multiprocessing`` gives a child the start method it was started by, so the text
    dumps' pool in a lean child started its workers from a fork server of its own; each, not its child, took
    its parent for dead (``die_with_parent``) and left. A lean child now forks its pool's workers, as a
    forked child does, and keeps the build's default start method."""
    import multiprocessing

    monkeypatch.delenv("TIPKG_JOBS", raising=False)
    assert Forked(_pooled, [-2, 1], lean=True).result() == (multiprocessing.get_start_method(), [1, 2])


def _frozen() -> tuple[int, int]:
    import gc
    import multiprocessing

    multiprocessing.current_process()._config["daemon"] = False  # may fork, as graph/segments.py's pool does
    return gc.get_freeze_count(), Forked(gc.get_freeze_count).result()


def test_a_lean_child_freezes_what_it_starts_with_as_a_forked_child_does(monkeypatch):
    """A child forked inside the build's ``frozen_heap`` has its inheritance frozen, and so do its own forks;
    a lean child likewise freezes what it starts with (the server's modules: without it, its collections and
    its forks' visited them all) and its own forks freeze theirs."""
    monkeypatch.delenv("TIPKG_JOBS", raising=False)
    mine, its_fork = Forked(_frozen, lean=True).result()
    assert mine > 10_000 and its_fork >= mine


def _fails():
    raise ValueError("no such topic")


def _two_processes() -> bool:
    mine, theirs = beside_child(os.getpid, os.getpid, "beside")
    return mine == os.getpid() and theirs != mine


def test_a_child_beside_runs_in_a_daemonic_child_too_and_its_error_is_raised_here():
    """``beside_child`` forks with ``os.fork``: the precomputed answers' process, a daemonic child of the
    build, starts its second process so (``multiprocessing`` would refuse: "daemonic processes are not
    allowed to have children")."""
    assert Forked(_two_processes).result() is True
    with pytest.raises(RuntimeError, match=r"^beside: ValueError: no such topic$"):
        beside_child(lambda: 1, _fails, "beside")


def test_a_child_beside_killed_is_a_stage_that_died_and_crosses_a_pipe_whole():
    """The precomputed answers' share (``beside_child``) killed: ``StageDied`` naming its role and signal,
    which a stage around it hands on as itself (pickled), not as text (tipkg/faults.py reads it)."""
    with pytest.raises(StageDied, match=r"^answers share: its process \(\d+ killed by SIGKILL\) died without a word$") as died:
        beside_child(lambda: 1, lambda: os.kill(os.getpid(), signal.SIGKILL), "answers share")
    again = pickle.loads(pickle.dumps(died.value))
    assert (type(again), str(again), again.stage, again.code) == (StageDied, str(died.value), "answers share", -9)
    worker = pickle.loads(pickle.dumps(WorkerDied("text dumps", "12 killed by SIGKILL")))
    assert isinstance(worker, BrokenProcessPool) and worker.stage == "text dumps" and str(worker).startswith(
        "text dumps: a worker process died in a task (12 killed by SIGKILL;")
