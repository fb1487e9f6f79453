"""The store loaded while graph.nt is still being written (graph/store.py ``LoadBeside``) is the store a
load of the finished file makes; a writer that stops half-way stops the load with an error."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from tipkg.errors import TipkgError
from tipkg.graph import store as store_module
from tipkg.graph.store import LoadBeside, build_store
from tipkg.pipeline import build


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("beside") / "out"
    build(out_dir=out, cache=None)
    return out


def quads(folder: Path) -> list[str]:
    store = ox.Store.read_only(str(folder))
    try:
        return sorted(str(q) for q in store)
    finally:
        del store


def write_slowly(lines: list[bytes], path: Path, pieces: int, stop: int | None = None) -> None:
    """``lines`` written in ``pieces`` flushed writes cut in the middle of lines (the first ``stop`` only)."""
    data = b"".join(lines)
    cut = [len(data) * k // pieces for k in range(pieces + 1)]
    with open(path, "wb") as out:
        for k in range(pieces if stop is None else stop):
            out.write(data[cut[k]:cut[k + 1]])
            out.flush()
            time.sleep(0.01)


def test_a_store_loaded_beside_the_writing_equals_the_store_of_the_whole_file(built, tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "LOAD_BYTES", 200_000)  # several blocks, each ending inside a write
    lines = (built / "graph.nt").read_bytes().splitlines(keepends=True)
    loading = LoadBeside(tmp_path / "graph.nt", tmp_path / "store")
    write_slowly(lines, tmp_path / "graph.nt", pieces=37)
    loading.written()
    loading.result()
    assert quads(tmp_path / "store") == quads(built / "store")
    assert len(lines) == len(quads(tmp_path / "store")) == 38598


def test_a_writing_that_stops_half_way_stops_the_load(built, tmp_path):
    lines = (built / "graph.nt").read_bytes().splitlines(keepends=True)
    loading = LoadBeside(tmp_path / "graph.nt", tmp_path / "store")
    write_slowly(lines, tmp_path / "graph.nt", pieces=20, stop=7)
    loading.abandon()
    with pytest.raises(TipkgError, match="not written to their end"):
        loading.result()


def test_the_store_of_a_finished_file_is_loaded_as_before(built, tmp_path):
    build_store(built / "graph.nt", tmp_path / "store")
    assert quads(tmp_path / "store") == quads(built / "store")


def test_a_cold_build_loads_its_store_beside_the_merge(tmp_path, monkeypatch):
    """The build with no previous OUT takes the path beside the merge: the loading thread is started."""
    started = []
    real = threading.Thread.start

    def start(self):
        started.append(getattr(self, "_target", None))
        return real(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    build(out_dir=tmp_path / "out", cache=tmp_path / "cache")
    assert any(getattr(t, "__self__", None).__class__ is LoadBeside for t in started)
    assert len(quads(tmp_path / "out" / "store")) == 38598
