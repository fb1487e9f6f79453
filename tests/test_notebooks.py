"""The notebooks run top to bottom on the bundled corpus (so they cannot rot).

Each notebook is executed with nbclient (the engine nbmake uses) in a fresh
temporary working folder, so whatever a notebook writes lands there; the test
also checks that nothing new appeared in the repository. Equivalent by hand:
``pytest -o addopts= --nbmake notebooks`` (addopts ignore notebooks/ for
ordinary collection).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
import nbclient  # noqa: E402  (test extra: nbmake brings nbclient and nbformat)
import nbformat  # noqa: E402


def repo_status() -> str:
    try:
        return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO,
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""


def test_the_tours_are_there():
    assert [p.stem for p in NOTEBOOKS] == ["analyst_network_tour", "data_team_tour", "mandate_review_tour",
                                           "researcher_sparql_tour"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    before = repo_status()
    book = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(book, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for cell in book.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert repo_status() == before, "the notebook wrote into the repository"
