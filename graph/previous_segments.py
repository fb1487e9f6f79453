"""The previous build's text dumps, by segment (``graph/segments.py``): a segment whose SHA-256 is in the
previous build's index, under the same recipe, is copied from the previous files once its bytes are
verified, and its VoID counts are read from the index.

The index (``.segments.json``, written by ``segments.write_segmented``) is sealed by the SHA-256 of its
text; each segment's range in each file carries the SHA-256 of those bytes. A damaged or edited file or
index is never copied from: the segment is rendered anew.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

#: the text dumps a segment is copied into
TEXT = ("graph.ttl", "graph.jsonld", "graph.trig")
#: the index of the segments, beside the dumps
INDEX = ".segments.json"


class PreviousSegments:
    """The segments of the previous build's text dumps, by SHA-256: copied once verified; their VoID
    counts, and the previous graph's distinct objects (``void``)."""

    def __init__(self, folder: Path, index: dict):
        self.folder = folder
        self.files: dict[str, int] = {}  # file name -> an open descriptor (``copy``)
        self.buffers: dict[str, bytearray] = {}  # what ``copy`` reads into, one per file (each its own thread)
        self.segments = {digest: (ranges, stats) for digest, ranges, stats in index["segments"]}
        self.void, self.graph = index.get("void"), index.get("graph.nt")
        lengths = index.get("lengths")
        #: each segment's SHA-256 and length in the previous graph.nt, in order (``cut``'s ``known``)
        self.known: list[tuple[str, int]] | None = None
        if isinstance(lengths, list) and len(lengths) == len(index["segments"]) \
                and all(isinstance(n, int) and n > 0 for n in lengths):
            self.known = [(digest, n) for (digest, _, _), n in zip(index["segments"], lengths)]

    @classmethod
    def read(cls, folder: Path | None, recipe: str) -> PreviousSegments | None:
        """The index in ``folder`` if it is whole (its seal holds) and of the same recipe, else None."""
        if folder is None:
            return None
        try:
            seal, _, body = (Path(folder) / INDEX).read_bytes().partition(b"\n")
            if hashlib.sha256(body).hexdigest().encode() != seal:
                return None
            index = json.loads(body)
            if index.get("recipe") != recipe:
                return None
            return cls(Path(folder), index)
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def holds(self, digest: str) -> bool:
        return digest in self.segments and all(name in self.segments[digest][0] for name in TEXT)

    def counted(self) -> bool:
        """Whether the index has every segment's counts and the distinct objects of the graph.nt beside it,
        from which the delta leads to the new graph's. (That graph.nt is the one its build wrote is the
        build stamp's check, ``BuildStamp.previous``; its size is checked here too.)"""
        try:
            size = os.path.getsize(self.folder / "graph.nt")
        except OSError:
            return False
        return self.void is not None and self.graph == size and all(s is not None for _, s in self.segments.values())

    def stats(self, digest: str) -> dict:
        """The segment's VoID counts as the index keeps them."""
        return self.segments[digest][1]

    def copy(self, digest: str, name: str) -> tuple[memoryview, str] | None:
        """The segment's bytes in the previous ``name``, if they are there as indexed (SHA-256): a view of
        this object's buffer for ``name``, valid until the next call for ``name`` (each file is copied by a
        thread of its own: ``_Dump``). One buffer per file is read into for every copy (a rebuild copies nearly
        every segment of three files: a new bytes object each, of some hundred kB, was memory mapped, faulted
        in and unmapped each time)."""
        if digest not in self.segments or name not in self.segments[digest][0]:
            return None
        offset, length, sha = self.segments[digest][0][name]
        try:
            if name not in self.files:
                self.files[name] = os.open(self.folder / name, os.O_RDONLY)
            if not isinstance(length, int) or length < 0 or not isinstance(offset, int) or offset < 0:
                return None
            buffer = self.buffers.get(name, bytearray())
            if len(buffer) < length:
                buffer = self.buffers[name] = bytearray(max(length, 2 * len(buffer)))
            body = memoryview(buffer)[:length]
            if length and os.preadv(self.files[name], [body], offset) != length:
                return None
        except (OSError, ValueError, OverflowError, TypeError):
            return None
        return (body, sha) if hashlib.sha256(body).hexdigest() == sha else None

    def close(self) -> None:
        for fd in self.files.values():
            os.close(fd)
        self.files = {}
