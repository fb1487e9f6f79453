"""Each source's graph part, cached beside its unit and verified on read.

A part (``graph.parts``: the source's own triples as sorted N-Triples, its contested texts,
its small claims) is computed in the extraction task of its source (``units.extract_units``)
or by ``units.graph_parts``, and kept in ``parts/`` of the cache (without a cache, of the
build's scratch folder) under ``part_key``: its unit's key, the base IRI and, for a source
that prints a thematic index, the file of the corpus's first index. Beside a part, what the
gists read of it (``graph.gists.Tables``), so the build's parent merges those tables instead
of reading every part's lines.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tipkg.cache_entries import file_digest, sealed, unsealed, used, write_atomically
from tipkg.graph.parts import Claims, FilePart


PART_MAGIC = b"TIPKG-PART 1\n"


def part_key(unit_key: str, base: str, index_file: str = "") -> str:
    """The key of a source's graph part: its unit's key (the shipped reading-order word model a
    visual source reads is a table of the code version it holds), the base IRI, and for a source
    that prints a thematic index the file of the corpus's first index (``graph.parts``)."""
    return hashlib.sha256(f"{unit_key}\0part\0{base}\0{index_file}".encode("utf-8")).hexdigest()


class PartCache:
    """Graph parts, three files each under ``<key[:2]>/``: ``<key>.nt`` (the source's own triples,
    sorted N-Triples), ``<key>.contested.nt`` (its texts) and ``<key>.part`` (its claims and the
    SHA-256 of both files; written last, so an entry is whole once it is there). Verified on read."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder) / "parts"

    def paths(self, key: str) -> tuple[Path, Path, Path]:
        at = self.folder / key[:2]
        return at / f"{key}.part", at / f"{key}.nt", at / f"{key}.contested.nt"

    def get(self, key: str) -> FilePart | None:
        """The part stored under ``key``, or None if absent or not whole (any file short or altered)."""
        meta, lines, contested = self.paths(key)
        record = unsealed(meta, PART_MAGIC, dict)
        try:
            if record is None or file_digest(lines) != record["nt"] or file_digest(contested) != record["contested"]:
                return None
        except (OSError, KeyError):  # a file of the part absent: recomputed
            return None
        used(lines)  # (the record is marked by ``unsealed``; the gists' tables by theirs)
        used(contested)
        gists = meta.with_name(f"{key}.gists")
        return FilePart(lines, contested, meta, gists if record.get("gists") else None,
                        record["claims"].index is not None)

    def put(self, key: str, lines: bytes, contested: bytes, claims: Claims) -> FilePart:
        """Store a part atomically (each file to a temporary name, then moved into place; the claims last)."""
        meta, lines_path, contested_path = self.paths(key)
        meta.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(lines_path, lines)
        write_atomically(contested_path, contested)
        tables, gists = _gist_tables(lines, contested), meta.with_name(f"{key}.gists")
        if tables is not None:  # apart from the claims: read one part at a time as the gists merge them
            from tipkg.graph.gists import TABLES_MAGIC

            write_atomically(gists, sealed(tables, TABLES_MAGIC))
        record = {"nt": hashlib.sha256(lines).hexdigest(), "contested": hashlib.sha256(contested).hexdigest(),
                  "claims": claims, "gists": tables is not None}
        write_atomically(meta, sealed(record, PART_MAGIC))
        return FilePart(lines_path, contested_path, meta, gists if tables is not None else None, claims.index is not None)


def read_claims(record: Path) -> Claims:
    """The claims of the part whose record is ``record`` (``FilePart.claims``), read back: verified as when the
    part was read (``PartCache.get``); an entry damaged since, within the build, is an error, not trusted."""
    read = unsealed(record, PART_MAGIC, dict)
    if read is None:
        raise RuntimeError(f"the graph part {record} was damaged or removed while the build read it")
    return read["claims"]


def _gist_tables(lines: bytes, contested: bytes):
    """What the gists read of a part (``graph.gists.Tables``), made here so the build's parent merges
    tables instead of reading every part's lines; None (the parent reads them) if its contested texts
    held anything the gists read, which ``first_printers`` would take from the first printer only."""
    from tipkg.graph.gists import Tables

    return None if Tables.of(contested) else Tables.of(lines)
