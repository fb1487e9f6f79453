"""The tours run top to bottom on the bundled corpus, and what is committed is what they print.

Each notebook is executed with nbclient (the engine nbmake uses) in a fresh
temporary working folder (notebooks/refresh.py), so whatever it writes lands
there; the test also checks that nothing new appeared in the repository. A
cell that errors fails; so does a committed output that no longer matches a
fresh run (``refresh.comparable``: temporary folders, ports and timings
masked, figures by type) — run ``python3 notebooks/refresh.py`` and commit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
import nbformat  # noqa: E402  (test extra: nbmake brings nbclient and nbformat)

sys.path.insert(0, str(REPO / "notebooks"))
import refresh  # noqa: E402  (notebooks/refresh.py)


def repo_status() -> str:
    try:
        return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO,
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""


def test_the_tours_are_there():
    assert [p.stem for p in NOTEBOOKS] == ["analyst_network_tour", "data_team_tour", "mandate_review_tour",
                                           "researcher_sparql_tour"]


def test_committed_notebooks_carry_their_outputs():
    for path in NOTEBOOKS:
        cells = refresh.comparable(nbformat.read(path, as_version=4))
        shown = sum(1 for outputs in cells if outputs)  # set-up cells (imports, helpers) print nothing
        assert shown >= 0.6 * len(cells), f"{path.name}: {shown} of {len(cells)} code cells have committed output " \
                                          f"(run python3 notebooks/refresh.py)"
        assert not any(kind == "error" for outputs in cells for kind, _ in outputs), path.name
    analyst = refresh.comparable(nbformat.read(REPO / "notebooks" / "analyst_network_tour.ipynb", as_version=4))
    assert sum(kind == "image/png" for outputs in analyst for kind, _ in outputs) >= 5, "figures are shown inline"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_its_committed_outputs_are_current(path):
    before = repo_status()
    fresh = refresh.execute(path)
    outputs = refresh.comparable(fresh)
    errors = [text for cell in outputs for kind, text in cell if kind == "error"]
    assert errors == [], f"{path.name}: a cell raised {errors}"
    committed = refresh.comparable(nbformat.read(path, as_version=4))
    assert len(committed) == len(outputs)
    for n, (old, new) in enumerate(zip(committed, outputs)):
        assert old == new, (f"{path.name}, code cell {n + 1}: the committed output is stale "
                            f"(run python3 notebooks/refresh.py)\ncommitted: {old}\nnow:       {new}")
    assert repo_status() == before, "the notebook wrote into the repository"
