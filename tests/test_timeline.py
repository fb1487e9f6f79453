"""benchmarks/timeline.py: a command's process tree sampled, its CPU told per process and its idle core-seconds.

A real command: a parent that forks a child, which names itself (as a build's stages do, ``name_process``) and
spins for half a CPU second while the parent sleeps; the report must name the child with about that CPU, the
parent with almost none, and the exit status must be the command's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import timeline  # noqa: E402

SPIN = """
import os, sys, time
from tipkg.parallel import name_process
pid = os.fork()
if pid == 0:
    name_process("spinning")
    end = time.process_time() + 0.6
    while time.process_time() < end:
        pass
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(0.3)
sys.exit(3)
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the timeline reads Linux's /proc")
def test_a_timeline_names_the_process_that_took_the_cpu(tmp_path, capsys):
    log = tmp_path / "tl.tsv"
    # --least 0.3: the parent's own CPU is Python's start and tipkg's import, 0.1 s on a slow minute of this machine
    assert timeline.main(["--log", str(log), "--every", "0.02", "--least", "0.3", "--", sys.executable, "-c", SPIN]) == 3
    rows = [line.split("\t") for line in log.read_text().splitlines() if not line.startswith("#")]
    assert {row[3] for row in rows} >= {"spinning"}
    shown = capsys.readouterr().err
    spun = [line.split() for line in shown.splitlines() if line.startswith("spinning")]
    assert len(spun) == 1 and 0.4 <= float(spun[0][3]) <= 0.8, shown
    assert not [line for line in shown.splitlines() if line.startswith("python")]  # the parent slept: not listed
    assert "core-seconds idle" in shown.splitlines()[-1]
    again = timeline.report(log, width=0.5, cores=2)
    wall = float(again.splitlines()[-1].split()[1])
    assert wall >= 0.8  # the child's spin and the parent's sleep after it
    assert again.splitlines()[-1].startswith("wall")
