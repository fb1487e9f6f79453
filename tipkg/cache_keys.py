"""What the build's caches are keyed by: the code version, a unit's key, a whole build's key and
recipe, and the stamp of the build an output folder holds.

``code_version`` is a hash of every module and table file the keyed thing depends on
(``UNIT_PACKAGES`` for a unit, ``BUILD_PACKAGES`` for a whole build — when in doubt, all of
it), so changed code or tables make new keys. A source's unit (``tipkg.units``) is keyed by
its sha256, its manifest entry and the code version (``key_of``); a whole build by every
unit's key, the code of every stage and the settings (``build_key``), and the same with the
sources left out is its recipe (``build_recipe``). ``BuildStamp`` keeps in the cache which
build an output folder holds: with the same key there is nothing to do, with the same recipe
a rebuild starts from those outputs (``graph/delta.py``).

>>> here = Source("X", "agenda", "x.txt", "/a/x.txt", "0" * 64, "2010", "ar", "", "", "", "text")
>>> key_of(here) == key_of(dataclasses.replace(here, path="/b/x.txt", manifest_line=7))
True
>>> key_of(here) == key_of(dataclasses.replace(here, sha256="1" * 64))
False
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from tipkg.cache_entries import write_atomically
from tipkg.model import Source

#: the sub-packages whose code or tables a unit depends on (hashed into every key)
UNIT_PACKAGES = ("tipkg", "tipkg.references", "tipkg.tables", "tipkg.loaders", "tipkg.ontology", "tipkg.graph")
#: and those the global stages and outputs depend on besides (hashed into a whole build's key)
BUILD_PACKAGES = UNIT_PACKAGES + ("tipkg.network", "tipkg.shapes", "tipkg.queries")  # queries: precomputed answers


@lru_cache(maxsize=None)
def code_version(packages: tuple[str, ...] = UNIT_PACKAGES) -> str:
    """A hash of every module and table file of ``packages`` (by default those a unit depends on)."""
    digest = hashlib.sha256()
    for name in packages:
        spec = find_spec(name)
        for folder in spec.submodule_search_locations or ():
            for path in sorted(Path(folder).iterdir()):
                if path.suffix in (".py", ".toml", ".ttl", ".rq") and path.is_file():
                    digest.update(f"{name}/{path.name}\0".encode())
                    digest.update(path.read_bytes())
    return digest.hexdigest()


def key_of(source: Source) -> str:
    """The cache key of a source's unit: its sha256, its manifest entry and the code version
    (not where the corpus folder is, nor the entry's line in the manifest)."""
    entry = dataclasses.replace(source, path="", text="", manifest_line=0)
    return hashlib.sha256(f"{code_version()}\0{entry!r}".encode("utf-8")).hexdigest()


def build_key(sources: Sequence[Source], *settings) -> str:
    """The key of a whole build: every source's unit key, the code of every stage, the settings."""
    parts = [code_version(BUILD_PACKAGES), repr(settings), *(key_of(s) for s in sources)]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def build_recipe(*settings) -> str:
    """What a build is made by, its sources left out: the code of every stage and the settings. Two builds
    with the same recipe differ only by their sources, so the later can start from the earlier's outputs
    (``BuildStamp.previous``, ``graph/delta.py``)."""
    return hashlib.sha256(f"{code_version(BUILD_PACKAGES)}\0{settings!r}".encode("utf-8")).hexdigest()


#: the folder of a cache that holds each output folder's stamp (``BuildStamp``)
STAMPS = "builds"


class BuildStamp:
    """What the last build of an output folder was made from, kept in the cache (``builds/``).

    A build whose key (``build_key``) matches the stamp, while the folder still
    holds every output and the very ``graph.nt`` it wrote (size and modification
    time), has nothing to do: the outputs are current. One whose recipe
    (``build_recipe``: the same code and settings, other sources) matches may
    start from those outputs (``previous``): only its sources changed.
    """

    def __init__(self, cache: str | Path, out_dir: str | Path):
        self.out = Path(out_dir).resolve()
        name = hashlib.sha256(str(self.out).encode("utf-8")).hexdigest()[:32]
        self.path = Path(cache) / STAMPS / f"{name}.json"

    def current(self, key: str, names: Sequence[str]) -> dict | None:
        """The stamp's record if the outputs in the folder are those of a build with ``key``, else None."""
        return self._matching("key", key, names)

    def previous(self, recipe: str, names: Sequence[str]) -> dict | None:
        """The stamp's record if the outputs in the folder are those of a build with ``recipe`` (the same
        code and settings; the sources may differ), else None (no stamp: ``--no-cache``; a first build;
        other code or settings; the folder's graph.nt not the one that build wrote; an output missing)."""
        return self._matching("recipe", recipe, names)

    def _matching(self, field: str, value: str, names: Sequence[str]) -> dict | None:
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
            stat = (self.out / "graph.nt").stat()
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get(field) != value \
                or record.get("graph.nt") != [stat.st_size, stat.st_mtime_ns]:
            return None
        return record if all((self.out / name).exists() for name in names) else None

    def record(self, key: str, **facts) -> None:
        """Remember that the folder now holds the outputs of a build with ``key`` (and the ``facts``: its
        ``recipe``, triple count, validation line), written atomically."""
        stat = (self.out / "graph.nt").stat()
        record = {"key": key, "graph.nt": [stat.st_size, stat.st_mtime_ns], **facts}
        write_atomically(self.path, json.dumps(record).encode("utf-8"))
