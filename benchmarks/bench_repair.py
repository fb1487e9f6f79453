"""The visual-order repair alone (``tipkg.reading_order``): its CPU seconds, and its output, this checkout against a baseline.

The repair of the visual sources (000, 004) runs in the extraction stage, once per
copy of each in a replicated corpus (``graph/parts.py``, ``reading_of``). This
times it as one extraction worker meets it: a fresh process of the checkout
(its own code first on the path) reads the corpus ×N, loads the structure of
its sources as ``tipkg.units.extract_unit`` does (copy k read as the
original), then repairs every paragraph of each in manifest order
(``repaired_of``: the model made once per text, then the paragraphs) and prints
the CPU seconds of that alone; ``--split`` also prints the model's part and the
repair's (``atoms``, ``order_line``, ``join_pieces``) of the first copy of each,
warm. Rounds interleave the two checkouts (A B, B A, …); medians and their ratio.

``--check`` compares the output instead, and exits 1 on any difference: every
paragraph and every line of the visual sources of the corpus ×N repaired by
each checkout (a line alone, as ``repair`` reads a one-line paragraph), the
build's ``repaired_of`` of each copy, and, for a wider net, every line of the
first copy's logical-order sources as it stands and with its words reversed, repaired with
each visual source's model (lines the search has not met, up to its
``longest_line``).

    git -C /work/main archive HEAD | tar -x -C /tmp/base     # a frozen baseline
    python benchmarks/bench_repair.py /tmp/base --size 3 --rounds 5
    python benchmarks/bench_repair.py /tmp/base --size 3 --check
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import replicate  # noqa: E402
from bench_against import compile_checkout, interleaved  # noqa: E402

#: the structure of a corpus's sources, as an extraction worker reads it (copy k as the original)
LOAD = """
import sys, time
from tipkg.loaders import load_structure
from tipkg.normalize import is_visual_source
from tipkg.replica import as_original
from tipkg.sources import read_corpus
from tipkg import reading_model, reading_order
structured = [load_structure(as_original(s)) for s in read_corpus(sys.argv[1])]
"""

#: the repair of every visual source in manifest order: its CPU seconds
TIME = LOAD + """
visual = [i for i in structured if is_visual_source(i.source.text)]
before = time.process_time()
for item in visual:
    reading_order.repaired_of(item)
print(time.process_time() - before)
if len(sys.argv) > 2:   # --split: the first copy of each visual text again, warm, by part
    def cpu(f, rounds=5):
        start = time.process_time()
        for _ in range(rounds):
            f()
        return (time.process_time() - start) / rounds
    firsts = list({i.source.text: i for i in visual}.values())
    texts = [(reading_model.source_model(i.source.text), i.source.text[p.span.start:p.span.end])
             for i in firsts for d in i.documents for p in d.paragraphs]
    lines = [(m, line) for m, raw in texts for line in raw.split(chr(10)) if line.strip()]
    atoms = [(m, reading_order.atoms(line, m)) for m, line in lines]
    ordered = [(m, [t for line in raw.split(chr(10)) if line.strip()
                    for t in reading_order.order_line(reading_order.atoms(line, m), m)]) for m, raw in texts]
    def models():
        reading_model.source_model.cache_clear()
        return [reading_model.source_model(i.source.text) for i in firsts]
    print(cpu(models),
          cpu(lambda: [reading_order.atoms(line, m) for m, line in lines]),
          cpu(lambda: [reading_order.order_line(a, m) for m, a in atoms]),
          cpu(lambda: [reading_order.join_pieces(t, m) for m, t in ordered]))
"""

#: every repair ``--check`` compares, one JSON row each
DUMP = LOAD + """
import json
visual = [i for i in structured if is_visual_source(i.source.text)]
models = [reading_model.source_model(i.source.text) for i in visual]
with open(sys.argv[2], "w", encoding="utf-8") as out:
    def put(*row):
        out.write(json.dumps(row, ensure_ascii=False) + chr(10))
    for item, model in zip(visual, models):
        text = item.source.text
        for d in item.documents:
            for p in d.paragraphs:
                raw = text[p.span.start:p.span.end]
                put(item.source.file, p.identifier, reading_order.repair(raw, model))
                for k, line in enumerate(raw.split(chr(10))):
                    put(item.source.file, p.identifier, k, reading_order.repair(line, model))
        put(item.source.file, sorted(reading_order.repaired_of(item).items()))
    for item in structured:   # the logical sources of the first copy (replicate.py's r0_)
        if is_visual_source(item.source.text) or not item.source.file.startswith("r0_"):
            continue
        for m, model in enumerate(models[:2]):
            for d in item.documents:
                for p in d.paragraphs:
                    for k, line in enumerate(item.source.text[p.span.start:p.span.end].split(chr(10))):
                        put(item.source.file, p.identifier, m, k, reading_order.repair(line, model),
                            reading_order.repair(" ".join(line.split()[::-1]), model))
"""


def child(checkout: Path, script: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the bytecode ``compile_checkout`` wrote is read
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=checkout, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: failed ({done.returncode})\n{done.stderr[-3000:]}")
    return done.stdout


def check(checkouts: dict[str, Path], corpus: Path, tmp: Path) -> int:
    """Both checkouts' repairs of ``corpus`` compared row by row: the number of rows that differ."""
    rows = {}
    for name, checkout in checkouts.items():
        child(checkout, DUMP, str(corpus), str(tmp / f"{name}.jsonl"))
        rows[name] = (tmp / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    base, this = rows["base"], rows["this"]
    differ = [(a, b) for a, b in zip(base, this) if a != b] + [("", "")] * abs(len(base) - len(this))
    kinds = [len(json.loads(r)) for r in base]
    print(f"{len(base)} rows ({kinds.count(3)} paragraphs and {kinds.count(4)} lines of the visual sources, "
          f"{kinds.count(6)} lines of the logical ones), {len(differ)} differ")
    for a, b in differ[:5]:
        print(f"  base {a[:200]}\n  this {b[:200]}")
    return len(differ)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("baseline", help="the root of the checkout to compare with (e.g. a `git archive` of main)")
    parser.add_argument("--size", type=int, default=3, help="the corpus ×N (default 3)")
    parser.add_argument("--rounds", type=int, default=5, help="runs per checkout (default 5)")
    parser.add_argument("--split", action="store_true", help="also the model's and each part's CPU, warm")
    parser.add_argument("--check", action="store_true", help="compare the output instead; exit 1 if any differs")
    args = parser.parse_args()
    checkouts = {"base": Path(args.baseline).resolve(), "this": ROOT}
    for checkout in checkouts.values():
        compile_checkout(checkout)
    with tempfile.TemporaryDirectory(prefix="tipkg-repair-") as tmp:
        corpus = replicate.write_corpus(args.size, Path(tmp) / "corpus")
        if args.check:
            raise SystemExit(1 if check(checkouts, corpus, Path(tmp)) else 0)
        load = [os.getloadavg()[0]]
        runs: dict[str, list[list[float]]] = {name: [] for name in checkouts}
        for r, name, checkout in interleaved(checkouts, args.rounds):
            runs[name].append([float(x) for x in child(checkout, TIME, str(corpus),
                                                       *(["split"] if args.split else [])).split()])
            if all(len(done) > r for done in runs.values()):
                print(f"round {r + 1}/{args.rounds}: " + ", ".join(f"{n} {runs[n][-1][0]:.3f}" for n in checkouts),
                      file=sys.stderr, flush=True)
        load.append(os.getloadavg()[0])
    medians = {name: [statistics.median(column) for column in zip(*runs[name])] for name in checkouts}
    print(f"x{args.size} repair of the visual sources in one process, {args.rounds} rounds interleaved, medians; "
          f"load average {load[0]:.1f} before, {load[1]:.1f} after")
    labels = ["repair CPU s", "models (warm tables)", "atoms", "order_line", "join_pieces"]
    for k, label in enumerate(labels[:len(medians["base"])]):
        b, t = medians["base"][k], medians["this"][k]
        print(f"  {label}: base {b:.4f}, this {t:.4f}, ratio {t / b:.3f}")


if __name__ == "__main__":
    main()
