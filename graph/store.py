"""The embedded store: the built graph in a persistent pyoxigraph database.

rdflib's in-memory SPARQL engine answers the catalog queries in seconds on a
large corpus; Oxigraph's compiled engine over indexed RocksDB files answers
them in milliseconds and needs no server. ``tipkg build`` bulk-loads the
sorted N-Triples it has just written into ``OUT/store`` inside the same staged
folder as the other outputs, so the store is replaced together with them or
not at all; ``tipkg query`` opens it read-only (several readers at once, no
lock taken, nothing ever written by a query).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "graph.nt").write_text('<http://x/a> <http://x/p> "1" .\\n')
>>> build_store(folder / "graph.nt", folder / STORE_DIR)
1
>>> len(open_store(folder))
1
"""

from __future__ import annotations

import gc
from pathlib import Path

import pyoxigraph

from tipkg.errors import TipkgError

#: name of the store folder inside the build's --out folder
STORE_DIR = "store"


def build_store(ntriples: Path, folder: Path) -> int:
    """Bulk-load an N-Triples file into a new store at ``folder``; the triple count.

    The store is closed before returning (its files are complete on disk), so
    the staged output folder that holds it can be renamed into place.
    """
    folder = Path(folder)
    if folder.exists():
        raise TipkgError(folder, "store folder already exists; a store is only ever built fresh")
    store = pyoxigraph.Store(str(folder))
    try:
        store.bulk_load(path=str(ntriples), format=pyoxigraph.RdfFormat.N_TRIPLES)
        store.optimize()
        count = len(store)
    finally:
        del store
        gc.collect()  # the Rust side closes RocksDB when the Python object is freed
    return count


def write_store(triples, path: Path, settings=None) -> None:
    """The writers' table entry: bulk-load ``graph.nt``, written just before, into ``path``."""
    build_store(Path(path).parent / "graph.nt", Path(path))


def store_path(out_dir: str | Path) -> Path:
    """Where ``tipkg build --out out_dir`` put its store."""
    return Path(out_dir) / STORE_DIR


def open_store(out_dir: str | Path) -> pyoxigraph.Store:
    """The store built into ``out_dir``, opened read-only."""
    folder = store_path(out_dir)
    if not folder.is_dir():
        raise TipkgError(folder, f"no embedded store here: run `tipkg build --out {out_dir}` first")
    try:
        return pyoxigraph.Store.read_only(str(folder))
    except OSError as exc:
        raise TipkgError(folder, f"cannot open the store: {exc}") from None


def disk_size(folder: str | Path) -> int:
    """Bytes on disk of every file under ``folder`` (the store's footprint)."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
