"""The bundled corpus replicated for tests that need two sources of each kind (``benchmarks/replicate.py``).

Why a module: many tests build a ×2 or ×3 corpus (the held units, the views, the parts, the delta and
segment rebuilds, the reuse index, the precomputed answers), and a replicated corpus is what exercises
cross-source resolution (a decision printed by two sources, two thematic indexes) that the bundled corpus
alone cannot; they all take it from here instead of putting ``benchmarks/`` on the path themselves.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def replicated(copies: int, folder: Path) -> Path:
    """The bundled corpus ×``copies`` written into ``folder``; the folder's path is returned."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    import replicate

    return replicate.write_corpus(copies, folder)
