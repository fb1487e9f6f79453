"""The bundled corpus replicated, and edited as the benchmark edits it, for the tests (``benchmarks/``).

Why a module: many tests build a ×2 or ×3 corpus (the held units, the views, the parts, the delta and
segment rebuilds, the reuse index, the precomputed answers), and a replicated corpus is what exercises
cross-source resolution (a decision printed by two sources, two thematic indexes) that the bundled corpus
alone cannot; and the rebuild tests make the benchmark's one-changed edit. They all take both from here
instead of putting ``benchmarks/`` on the path themselves.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _on_path() -> None:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))


def replicated(copies: int, folder: Path) -> Path:
    """The bundled corpus ×``copies`` written into ``folder``; the folder's path is returned."""
    _on_path()
    import replicate

    return replicate.write_corpus(copies, folder)


def one_word_changed(corpus: Path) -> str:
    """The benchmark's one-changed edit (``bench_build.change_one``): the last "الدول" (States) of the corpus's
    last source becomes "البلدان" (countries), its sha256 updated in the manifest (its entry only: a replicated
    corpus has copies of the same checksum); the source's file name. A paragraph's text, labels, gist and later
    spans change. The source must hold the word (``change_one`` would append a newline instead)."""
    _on_path()
    import bench_build

    last = re.findall(r'^file = "([^"]+)"', (corpus / "manifest.toml").read_text(encoding="utf-8"), re.M)[-1]
    assert "الدول".encode() in (corpus / last).read_bytes(), f"{last} has no word to change"
    return bench_build.change_one(corpus, "word")
