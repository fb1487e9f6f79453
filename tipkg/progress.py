"""What a long build says while it runs: counts with a rate and an ETA, one line rewritten on a terminal.

A build of the corpus ×1000 takes about 14 minutes. Two of its steps are long enough to be counted: the
sources extracted (``tipkg.units``) and ``graph.nt`` read by the store's load (``graph.store.load_progress``,
about 7 minutes at ×1000, where the build printed one line and nothing else). ``Meter`` counts either and says
where it stands about once a second; ``stderr_progress`` prints what the build says. A count — a message
``VERB DONE/TOTAL …`` — rewrites one line on a terminal; in a log (stderr not a terminal) a count is printed
each time it passes another tenth of its total, so that a scheduled rebuild's log holds a dozen lines, not
one a second.

>>> said = []
>>> meter = Meter(4, said.append, "extracted {done}/{total} sources, {rate:.0f}/s, ETA {eta}")
>>> for _ in range(4):
...     meter.tick()
>>> said[-1].startswith("extracted 4/4 sources")
True
>>> counted("loaded 512/1024 MB of graph.nt into the store, 41.0 MB/s, ETA 12s")
('loaded', 512, 1024)
>>> counted("text reuse") is None
True
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable

#: a count: its verb, how far it is and its total (``counted``)
_COUNT = re.compile(r"(\w+) (\d+)/(\d+) ")


class Meter:
    """How far a counted step is, said with its rate and ETA at most about once a second (and at the end).

    ``text`` is the message's template: ``{done}``, ``{total}``, ``{rate}`` (done a second since the meter
    started, from ``done``) and ``{eta}`` (``duration``) are filled in."""

    def __init__(self, total: int, say: Callable[[str], None],
                 text: str = "extracted {done}/{total} sources, {rate:.1f}/s, ETA {eta}", done: int = 0):
        self.total, self.say, self.text = total, say, text
        self.done = self.first = done  # the rate counts from ``done``: what was done before the meter is not
        self.start = self.last = time.perf_counter()

    def tick(self) -> None:
        """One more done."""
        self.advance(self.done + 1)

    def advance(self, done: int) -> None:
        """``done`` of the total done (never more than the total)."""
        self.done = min(done, self.total)
        now = time.perf_counter()
        if self.done < self.total and (now - self.last < 1.0 or self.done == self.first):  # (no rate to tell yet)
            return
        self.last = now
        rate = (self.done - self.first) / max(now - self.start, 1e-9)
        eta = (self.total - self.done) / rate if rate else 0.0
        self.say(self.text.format(done=self.done, total=self.total, rate=rate, eta=duration(eta)))


def duration(seconds: float) -> str:
    """Seconds as a person reads them: ``42s``, ``3m05s``."""
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def counted(message: str) -> tuple[str, int, int] | None:
    """The verb, done and total of a count (``VERB DONE/TOTAL …``); None if the message is not one."""
    found = _COUNT.match(message)
    return (found[1], int(found[2]), int(found[3])) if found else None


#: in a log, by verb, the tenth of its total a count was last printed at and how far it was (``stderr_progress``)
_PRINTED: dict[str, tuple[int, int]] = {}


def stderr_progress(message: str) -> None:
    """Progress on stderr: on a terminal a count (``counted``) rewrites one line; in a log a count is printed
    once it passes another tenth of its total (and at its end), any other message always."""
    count = counted(message)
    if count is None:
        print(f"  … {message}", file=sys.stderr, flush=True)
        return
    verb, done, total = count
    if sys.stderr.isatty():
        print(f"\r\033[K  … {message}", end="\n" if done >= total else "", file=sys.stderr, flush=True)
        return
    tenth = 10 * done // max(total, 1)
    printed, before = _PRINTED.get(verb, (-1, -1))
    if done < total and before <= done and printed >= tenth:  # (a count that went back is another count)
        return
    _PRINTED[verb] = (tenth, done)
    print(f"  … {message}", file=sys.stderr, flush=True)
