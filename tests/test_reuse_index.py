"""The on-disk text-reuse index gives exactly ``find_reuse``'s answers, however the corpus got there.

Real units of the bundled corpus and of a ×3 replicated one (``benchmarks/replicate.py``);
the index lives in a temporary cache. Every step compares the incremental answer with a
from-scratch ``find_reuse`` on the same sources, and the statistics show that the step
really was incremental (nothing recomputed when nothing changed, boilerplate flips seen).
"""

from __future__ import annotations

import fcntl
import hashlib
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tipkg.network.reuse import find_reuse
from tipkg.network.reuse_index import SummaryCache, indexed_reuse, reuse_stage, summarize
from tipkg.pipeline import build
from tipkg.sources import read_corpus
from tipkg.cache_keys import key_of
from tipkg.units import extract_units

from replicas import replicated

ROOT = Path(__file__).resolve().parent.parent


def units_of(corpus, cache):
    sources = read_corpus(corpus)
    units = extract_units(sources, cache, jobs=2).units
    return [u.structured for u in units], [key_of(s) for s in sources]


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    return units_of(None, tmp_path_factory.mktemp("units") / "cache")


@pytest.fixture(scope="module")
def tripled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("x3")
    corpus = replicated(3, folder / "corpus")
    structured, keys = units_of(corpus, folder / "cache")
    return corpus, folder / "cache", structured, keys


def step(structured, keys, chosen, cache):
    """The index brought to the sources ``chosen`` (in that order), checked against a scratch run."""
    found = indexed_reuse([structured[i] for i in chosen], [keys[i] for i in chosen], cache)
    assert (found.echoes, found.attestations) == find_reuse([structured[i] for i in chosen])
    return found


def test_bundled_corpus_one_source_removed_then_added_back(bundled, tmp_path):
    structured, keys = bundled
    every = list(range(len(keys)))
    cold = step(structured, keys, every, tmp_path)
    assert (cold.stats.added, cold.stats.removed) == (5, 0) and len(cold.echoes) > 50
    warm = step(structured, keys, every, tmp_path)
    assert (warm.stats.added, warm.stats.removed, warm.stats.classified, warm.stats.checked) == (0, 0, 0, 0)
    assert warm.stats.pairs == cold.stats.pairs
    for gone in every:
        less = step(structured, keys, [i for i in every if i != gone], tmp_path)
        assert (less.stats.added, less.stats.removed) == (0, 1)
        back = step(structured, keys, every, tmp_path)
        assert (back.stats.added, back.stats.removed) == (1, 0)
        assert back.echoes == cold.echoes and back.attestations == cold.attestations


def test_replicated_corpus_removed_added_edited_reordered(tripled, tmp_path):
    """×3: one source out and back, one source edited, then random subsets in random orders
    (boilerplate is global: some steps flip shingles, and the flipped passages are reclassified)."""
    corpus, _, structured, keys = tripled
    every = list(range(len(keys)))
    cold = step(structured, keys, every, tmp_path)
    out = step(structured, keys, every[:4] + every[5:], tmp_path)
    assert out.stats.removed == 1 and out.stats.fresh < cold.stats.fresh
    step(structured, keys, every, tmp_path)
    # an edited source: its text changes, so its key changes (the old entry goes, the new one comes)
    edited = corpus.parent / "edited"
    shutil.copytree(corpus, edited)
    target = edited / read_corpus(corpus)[7].file
    old = hashlib.sha256(target.read_bytes()).hexdigest()
    target.write_bytes(target.read_bytes().replace("الدول".encode(), "البلدان".encode(), 3))
    manifest = edited / "manifest.toml"
    entry = f'file = "{target.name}"\nsha256 = "{{}}"'  # the copies share a checksum: edit this entry only
    text = manifest.read_text(encoding="utf-8")
    assert entry.format(old) in text
    manifest.write_text(text.replace(entry.format(old), entry.format(hashlib.sha256(target.read_bytes()).hexdigest())),
                        encoding="utf-8")
    changed_structured, changed_keys = units_of(edited, tmp_path / "units")
    assert sum(a != b for a, b in zip(keys, changed_keys)) == 1
    edit = step(changed_structured, changed_keys, every, tmp_path)
    assert (edit.stats.added, edit.stats.removed) == (1, 1)
    pick = random.Random(11)
    flipped = 0
    for _ in range(6):
        chosen = pick.sample(every, pick.randint(2, len(every)))
        flipped += step(structured, keys, chosen, tmp_path).stats.flipped
    assert flipped > 0
    step(structured, keys, every, tmp_path)


def _contents(cache: Path) -> tuple:
    """What the index holds, independent of its numbering (of shingles, classes, rows): each
    class as its set of shingle texts, the verified pairs, the frequencies, the passages."""
    db = sqlite3.connect(cache / "reuse" / "index.sqlite")
    text = dict(db.execute("SELECT sid, text FROM vocab"))
    wording = {cid: tuple(sorted(text[s] for s in np.frombuffer(blob, dtype=np.uint32).tolist()))
               for cid, blob in db.execute("SELECT cid, shingles FROM classes")}
    out = (sorted((wording[c], m) for c, m in db.execute("SELECT cid, members FROM classes")),
           sorted((*sorted((wording[x], wording[y])), i, u) for x, y, i, u in db.execute("SELECT x, y, inter, uni FROM pairs")),
           sorted(db.execute("SELECT text, df, boiler FROM vocab WHERE df > 0 OR boiler = 1")),
           sorted((k, s, i, f, wording.get(c, ())) for k, s, i, f, c in db.execute(
               "SELECT key, seq, identifier, first, cid FROM passages JOIN sources USING (src)")))
    db.close()
    return out


def test_index_after_changes_equals_index_built_from_scratch(tripled, tmp_path):
    _, _, structured, keys = tripled
    every = list(range(len(keys)))
    for chosen in (every[::2], every[::-1], every[3:], every):
        step(structured, keys, chosen, tmp_path / "moved")
    step(structured, keys, every, tmp_path / "fresh")
    assert _contents(tmp_path / "moved") == _contents(tmp_path / "fresh")


@pytest.mark.parametrize("damage", ["truncate", "flip a byte", "edit a row", "lose the seal"])
def test_a_damaged_index_is_rebuilt_not_trusted(bundled, tmp_path, damage):
    structured, keys = bundled
    cold = step(structured, keys, range(len(keys)), tmp_path)
    index = tmp_path / "reuse" / "index.sqlite"
    if damage == "truncate":
        index.write_bytes(index.read_bytes()[: index.stat().st_size // 3])
    elif damage == "flip a byte":
        data = bytearray(index.read_bytes())
        data[len(data) // 2] ^= 0x40
        index.write_bytes(bytes(data))
    elif damage == "edit a row":  # a well-formed file that lies: only the seal can tell
        db = sqlite3.connect(index)
        db.execute("UPDATE pairs SET inter = uni")
        db.commit()
        db.close()
    else:
        (tmp_path / "reuse" / "index.seal").unlink()
    again = step(structured, keys, range(len(keys)), tmp_path)
    assert again.stats.rebuilt and again.stats.added == len(keys)
    assert again.echoes == cold.echoes
    assert not step(structured, keys, range(len(keys)), tmp_path).stats.rebuilt


def test_a_damaged_summary_is_recomputed(bundled, tmp_path):
    structured, keys = bundled
    summaries = SummaryCache(tmp_path)
    for item, key in zip(structured, keys):
        summaries.put(key, summarize(item))
    path = summaries.path(keys[2])
    path.write_bytes(path.read_bytes()[:-5])
    found = step(structured, keys, range(len(keys)), tmp_path)
    assert found.stats.summarized == 1
    assert summaries.get(keys[2]) == summarize(structured[2])


def test_the_build_worker_writes_the_summaries(tmp_path):
    build(out_dir=tmp_path / "out", cache=tmp_path / "cache", jobs=2, check=False)
    sources = read_corpus()
    structured = [u.structured for u in extract_units(sources, tmp_path / "cache").units]
    summaries = SummaryCache(tmp_path / "cache")
    assert [summaries.get(key_of(s)) for s in sources] == [summarize(item) for item in structured]
    assert (tmp_path / "cache" / "reuse" / "index.seal").exists()


def test_without_a_cache_reuse_runs_in_memory(bundled, tmp_path, monkeypatch):
    structured, keys = bundled
    monkeypatch.chdir(tmp_path)
    assert reuse_stage(structured, None, None) == find_reuse(structured)
    assert list(tmp_path.iterdir()) == []


_CHILD = """
import hashlib, sys
from tipkg.network.reuse_index import indexed_reuse
from tipkg.sources import read_corpus
from tipkg.cache_keys import key_of
from tipkg.units import extract_units
corpus, units, cache, drop = sys.argv[1:]
sources = [s for i, s in enumerate(read_corpus(None if corpus == '-' else corpus)) if str(i) != drop]
structured = [u.structured for u in extract_units(sources, units, jobs=1).units]
found = indexed_reuse(structured, [key_of(s) for s in sources], cache, lambda m: print(m, file=sys.stderr, flush=True))
print(hashlib.sha256(repr((found.echoes, found.attestations)).encode()).hexdigest())
"""


def _digest(structured) -> str:
    return hashlib.sha256(repr(find_reuse(structured)).encode()).hexdigest()


def _child(corpus, units, cache, drop=-1) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(corpus), str(units), str(cache), str(drop)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_second_build_waits_for_the_index_lock(tripled, tmp_path):
    corpus, units, structured, keys = tripled
    step(structured, keys, range(len(keys)), tmp_path)
    index = tmp_path / "reuse" / "index.sqlite"
    before = index.read_bytes()
    with open(tmp_path / "reuse" / "lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        child = _child(corpus, units, tmp_path, drop=4)
        assert "waiting for another build" in child.stderr.readline()
        time.sleep(0.5)
        assert child.poll() is None and index.read_bytes() == before  # it waits, touching nothing
        fcntl.flock(lock, fcntl.LOCK_UN)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert out.strip() == _digest([s for i, s in enumerate(structured) if i != 4])


def test_builds_on_one_index_at_once_stay_exact(tripled, tmp_path):
    """Several processes update one index at the same time with different corpora: each gets
    the scratch answer for its own corpus, and the index they leave is whole and sealed."""
    corpus, units, structured, keys = tripled
    drops = [-1, 4, 9, -1, 2]
    children = [_child(corpus, units, tmp_path, drop) for drop in drops]
    for drop, child in zip(drops, children):
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        assert out.strip() == _digest([s for i, s in enumerate(structured) if i != drop])
    last = step(structured, keys, range(len(keys)), tmp_path)
    assert not last.stats.rebuilt


def test_an_update_killed_midway_is_rebuilt_by_the_next_build(tripled, tmp_path):
    """SIGKILL while the index is being filled (file there, seal not yet): the next build
    does not trust the half-written file, rebuilds it, and answers as from scratch."""
    corpus, units, structured, keys = tripled
    child = _child(corpus, units, tmp_path)  # an empty cache: it summarizes 15 sources inside the update
    index, seal = tmp_path / "reuse" / "index.sqlite", tmp_path / "reuse" / "index.seal"
    deadline = time.monotonic() + 120
    while not (index.exists() and index.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.005)
    child.kill()
    child.communicate()
    assert index.exists() and not seal.exists(), "the child was not caught in the middle of its update"
    again = step(structured, keys, range(len(keys)), tmp_path)
    assert again.stats.rebuilt and seal.exists()
