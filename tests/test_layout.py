"""The layout stays true: each folder says what it holds, and the README shows every folder.

A newcomer reads a folder's ``__init__.py`` docstring and the README's layout
table to find where a capability lives; these tests fail as soon as a module
is added, moved or renamed without them.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def package_dir(package: str) -> Path:
    """The folder of a package of ``pyproject.toml``, through its ``package-dir`` mapping."""
    mapping = SETUPTOOLS["package-dir"]
    if package in mapping:
        return ROOT / mapping[package]
    parent, _, leaf = package.rpartition(".")
    return package_dir(parent) / leaf


def parts(folder: Path) -> list[str]:
    """The modules and sub-packages of a folder, by the name a docstring would use."""
    modules = [p.stem for p in folder.glob("*.py") if not p.stem.startswith("__")]
    packages = [p.name for p in folder.iterdir() if (p / "__init__.py").is_file()]
    return sorted(modules + packages)


def named(docstring: str) -> set[str]:
    return set(re.findall(r"``([A-Za-z_][A-Za-z0-9_]*)``", docstring))


@pytest.mark.parametrize("package", SETUPTOOLS["packages"])
def test_each_folder_docstring_names_its_modules(package):
    folder = package_dir(package)
    init = folder / "__init__.py"
    assert init.is_file(), f"{folder.relative_to(ROOT)}/ has no __init__.py (a package of pyproject.toml)"
    docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    missing = [name for name in parts(folder) if name not in named(docstring)]
    assert not missing, (f"{init.relative_to(ROOT)}: its docstring does not name {missing} "
                         f"(write each module as ``name`` with what it holds)")


def test_parts_sees_modules_and_subpackages():
    """The check above looks at real modules: the package ``tipkg`` has both kinds."""
    found = parts(ROOT / "tipkg")
    assert {"pipeline", "cli", "references", "server", "tables"} <= set(found)
    assert "__init__" not in found and "__main__" not in found


def test_readme_layout_shows_every_folder():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    shown = set(re.findall(r"^\| `([a-z]+)/`", layout, flags=re.M))
    folders = {p.name for p in ROOT.iterdir()
               if p.is_dir() and not p.name.startswith((".", "_")) and not p.name.endswith(".egg-info")
               and p.name not in {"build", "dist", "out", "test-output"}}  # outputs (.gitignore)
    assert folders - shown == set(), f"README layout lacks {sorted(folders - shown)}"
    assert shown - folders == set(), f"README layout shows missing folders {sorted(shown - folders)}"


def test_readme_stage_table_paths_exist():
    """Every path the README names in backquotes (``dir/file.py``) exists in the checkout."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:[a-z_]+/)+[A-Za-z0-9_.-]+\.(?:py|ttl|rq|toml|md|html|jsonld))`", readme))
    assert paths, "the README names no file paths"
    missing = sorted(p for p in paths if not (ROOT / p).exists() and "*" not in p)
    assert not missing, f"README names files that do not exist: {missing}"
