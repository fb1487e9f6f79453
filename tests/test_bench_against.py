"""benchmarks/bench_against.py --same: two builds' OUTs compared file by file (the store and the segment index
left out). On the session build's OUT and a copy of it: the same; a dump changed by one byte, or gone, is named."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import bench_against  # noqa: E402


def test_two_outs_are_compared_file_by_file(built_out, tmp_path):
    copy = tmp_path / "out"
    shutil.copytree(built_out, copy)
    base = bench_against.digests(built_out)
    assert {"graph.nt", "graph.ttl", "graph.jsonld", "graph.trig", "void.ttl"} <= set(base)
    assert any(name.startswith("precomputed/") for name in base)  # files in folders too
    assert not any(name.split("/")[0] in ("store", ".segments.json") for name in base)
    assert (built_out / ".segments.json").is_file()  # there, and left out
    assert (built_out / "store").is_dir()  # there, and left out
    assert bench_against.differences(base, bench_against.digests(copy)) == []

    ttl = copy / "graph.ttl"
    text = ttl.read_bytes()
    ttl.write_bytes(text[:-2] + bytes([text[-2] ^ 1]) + text[-1:])
    (copy / "graph.trig").unlink()
    assert bench_against.differences(base, bench_against.digests(copy)) == ["graph.trig", "graph.ttl"]
