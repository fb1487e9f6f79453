"""What a long build says (tipkg/progress.py): a count rewrites one line on a terminal, and in a log (stderr not a
terminal, as under pytest) it is printed once a tenth of the way, not once a second: ×1000 extracts 5,000
sources for about 3 minutes and loads its store for 7, and a scheduled rebuild's log got a line a second."""

from __future__ import annotations

from tipkg.progress import Meter, stderr_progress


def test_a_count_in_a_log_is_printed_once_a_tenth(capsys):
    for done in range(1, 501):
        stderr_progress(f"extracted {done}/500 sources, 20.0/s, ETA 5s")
    stderr_progress("building graph")
    for done in range(1, 4):  # the next build's count starts afresh
        stderr_progress(f"extracted {done}/3 sources, 2.0/s, ETA 1s")
    printed = capsys.readouterr().err.splitlines()
    assert [line.split()[2] for line in printed[:11]] == ["1/500", *(f"{50 * k}/500" for k in range(1, 11))]
    assert printed[11] == "  … building graph"
    assert [line.split()[2] for line in printed[12:]] == ["1/3", "2/3", "3/3"]


def test_a_meter_counts_its_rate_from_where_it_started():
    """The store's load began before the build waits for it: what it read before is not in the rate."""
    said: list[str] = []
    meter = Meter(100, said.append, "loaded {done}/{total} MB, {rate:.0f} MB/s, ETA {eta}", done=90)
    meter.advance(100)
    (line,) = said
    rate = float(line.split(", ")[1].split()[0])
    assert line.startswith("loaded 100/100 MB, ") and line.endswith("ETA 0s")
    assert rate > 0 and meter.first == 90 and meter.done == 100
