"""The precomputed answers made by two processes, each taking the next query as it finishes one.

The answers' process runs after the store is loaded, the last of the build's chain; Oxigraph answers a
query on one core, and at ×1000 the other core was mostly idle while it ran (~250 CPU s). So ``write``
(precompute.py) answers in two processes (``shared``): it forks one child (``parallel.beside_child``:
the answers' process is itself a daemonic child of the build) before either opens the store; each then
opens its own handle, read-only (a small graph's in-memory store, loaded before the fork, is the one both
read: ``precomputed.write_precomputed``), and both take the queries from one list, the most costly first
(``order``: ``batches.toml``'s ``cost``, CPU seconds measured at ×1000), the next one each time one
finishes (a counter in shared memory), so that they finish together. Each query's files are written by
the process that answered it, into the same folder; the outcomes come back to the parent, which writes
``index.json`` as one process would. Without ``fork``, with ``TIPKG_JOBS=1`` or ``--jobs 1``, one
process answers every query, in the same order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from typing import TypeVar

from tipkg.parallel import beside_child, forks

from .batches import table

T = TypeVar("T")

#: processes answering at most: the answers' process and one child (the rest of the outputs stage, the text
#: dumps and validation, runs beside them; each answering process holds its own store's caches)
SHARES = 2


def order(names: list[str]) -> list[str]:
    """``names`` the most costly first (``batches.toml``'s ``cost``), the others after, as given."""
    cost = table().get("cost", {})
    return sorted(names, key=lambda name: -float(cost.get(name, -1)))


def processes(jobs: int | None) -> int:
    """How many processes answer: ``SHARES``, at most ``jobs`` (None: every core), one without ``fork``."""
    if not forks():
        return 1
    return max(1, min(SHARES, jobs if jobs is not None else os.cpu_count() or 1))


def shared(names: list[str], answer: Callable[[Iterator[str]], dict[str, T]], jobs: int | None) -> dict[str, T]:
    """``answer`` (each name it is given -> its outcome) over ``names`` in the given order, split between
    ``processes(jobs)`` processes as each finishes its query: the outcomes of all, by name."""
    if processes(jobs) < 2 or len(names) < 2:
        return answer(iter(names))
    counter = multiprocessing.get_context("fork").Value("i", 0)  # (with its lock) the next name to take

    def taken() -> Iterator[str]:
        while True:
            with counter.get_lock():
                at = counter.value
                counter.value = at + 1
            if at >= len(names):
                return
            yield names[at]

    mine, theirs = beside_child(lambda: answer(taken()), lambda: answer(taken()), "answers share")
    return {**mine, **theirs}
