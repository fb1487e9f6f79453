"""What the build's parent holds of each unit while the global stages run, and how it reads the rest back.

Why: the parent used to keep every unit until the build ended. At ×30 a unit
took about 0.55 MB of the parent's heap, so ×1000 (5,000 sources) held 3.6 GB
before the graph stage began, and every process forked from it started from
that; trimmed to what the global passes read (below), it still held 0.4 MB a
source with its text (2 GB at ×1000). Now the parent holds a ``Brief`` of each
unit (ids, digests and counts, no text), and its global passes read the units
back from the cache one at a time (``StreamedUnits``; the texts from their
files), as ``held`` trims them:

- ``find_mandates`` reads the structure and two relations of the references:
  ``requests`` and each paragraph's first ``verb`` (``references.mandates.mandates_by_source``
  with its own requests, and every paragraph's first verb from the briefs: ``first_verbs``);
- ``find_answers``, ``align`` and the text-reuse child read the structure (the
  reuse child its shingle summaries, from the cache);
- the paragraph counts and ``graph_parts`` read only the briefs.

A build's parent reads most of that from each unit's view instead (``tipkg.views``: the mandates' candidates,
the documents printed, the answers' evidence, made once with the unit), and reads the kept units back only
where a view cannot answer (an agenda's source, a changed source's drafts).

``held`` keeps just that (``GLOBAL_RELATIONS``; the index's header without its
rows; a paragraph's ``normalized`` made the very string of its ``text`` when
the two are equal, as they are for most), and what the summary's reference
counts need of the whole unit (``Tally``, made while it is whole). The kept
unit is cached beside the whole one (``tipkg.units.extract_units``), so a
rebuild's parent reads only it. The whole references — for
``BuildResult.references``, ``tipkg build --report`` and the tests — are read
back from the cache one unit at a time when first asked for
(``StreamedReferences``); the summary's counts combine the tallies and read
nothing back (a warm ×100 rebuild read every unit a second time for them:
5.1 of its 9.3 s).

>>> from tipkg.model import Span
>>> verb = Reference("P 1", "verb", "requests", "verb", "f.txt", Span(0, 1), "x", "r")
>>> [r.relation for r in kept_references([verb, dataclasses.replace(verb, target="urges"),
...                                       dataclasses.replace(verb, relation="recalls")])]
['verb']
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence

from tipkg.model import Document, StructuredSource
from tipkg.references import References
from tipkg.references.thematic_index import ThematicIndex
from tipkg.references.types import Reference, Unresolved
from tipkg.sources import with_text
from tipkg.units import SourceUnit, UnitCache, extract_unit

#: the relations of the references the parent's global passes read (``references.mandates.find_mandates``)
GLOBAL_RELATIONS = frozenset({"requests", "verb"})

#: the relation an unresolved reference of a kind would have had
UNRESOLVED_RELATION = {"article": "citesArticle", "report-paragraph": "refersTo"}


def held(unit: SourceUnit) -> SourceUnit:
    """``unit`` as the parent keeps it once its graph part is made (the module's docstring says what reads what)."""
    index = unit.index
    if index is not None:  # its header: graph_parts asks whether a unit prints one, and which file
        index = dataclasses.replace(index, entries=(), unreconciled=(), unplaced=(), topics=())
    structured = dataclasses.replace(unit.structured, documents=tuple(_shared(d) for d in unit.structured.documents))
    return SourceUnit(structured, kept_references(unit.found), list(unit.unresolved), index,
                      tally=Tally.of(unit.found, unit.unresolved, unit.index))


def kept_references(found: Iterable[Reference]) -> list[Reference]:
    """The references ``find_mandates`` reads: every ``requests``, and a paragraph's first ``verb`` (it keeps
    the first it meets, and the units come in manifest order)."""
    out, verbs = [], set()
    for r in found:
        if r.relation == "verb":
            if r.paragraph in verbs:
                continue
            verbs.add(r.paragraph)
        if r.relation in GLOBAL_RELATIONS:
            out.append(r)
    return out


def _shared(document: Document) -> Document:
    """The document with each paragraph's ``normalized`` the very string of its ``text`` where they are equal
    (the unpickled unit has two equal strings: one is enough)."""
    paragraphs = tuple(dataclasses.replace(p, normalized=p.text) if p.normalized == p.text and p.normalized is not p.text
                       else p for p in document.paragraphs)
    return dataclasses.replace(document, paragraphs=paragraphs)


class StreamedUnits(Sequence[SourceUnit]):
    """The units of a corpus in manifest order, whole or as ``keep`` keeps them (``held``), read back from the
    cache one at a time: what the parent's global passes iterate instead of holding every unit (a unit whose
    entry has gone since is made again). The last few read are kept: an agenda's restatements read the
    sources that print the decisions it names (``references.answers``), which the same pass meets next."""

    #: units kept once read (×30, the compendium each agenda names was read twice in a row: 0.25 CPU s)
    RECENT = 4

    def __init__(self, sources: Sequence, keys: Sequence[str], cache,
                 keep: Callable[[SourceUnit], SourceUnit] | None = None) -> None:
        self.sources, self.keys, self.cache, self.keep = sources, keys, UnitCache(cache), keep
        self.recent: dict[int, SourceUnit] = {}

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = range(len(self))[i]
        if i not in self.recent:
            while len(self.recent) >= self.RECENT:
                del self.recent[next(iter(self.recent))]
            self.recent[i] = self._read(i)
        return self.recent[i]

    def forget(self) -> None:
        """Let go of the units last read (the build's parent, once its global passes are done)."""
        self.recent.clear()

    def _read(self, i: int) -> SourceUnit:
        key, source = self.keys[i], with_text(self.sources[i])  # the build's parent holds no text: read again
        if self.keep is None:
            return self.cache.get(key, source) or extract_unit(source)
        return self.cache.get(key, source, self.keep.__name__) or self.keep(self.cache.get(key, source)
                                                                             or extract_unit(source))

    def __iter__(self) -> Iterator[SourceUnit]:
        return (self[i] for i in range(len(self)))


class Structures(Sequence[StructuredSource]):
    """Each unit's structure, read from ``units`` (a ``StreamedUnits``: one unit at a time) when asked for."""

    def __init__(self, units: Sequence[SourceUnit]) -> None:
        self.units = units

    def __len__(self) -> int:
        return len(self.units)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [u.structured for u in self.units[i]]
        return self.units[i].structured

    def __iter__(self) -> Iterator[StructuredSource]:
        return (u.structured for u in self.units)


class _Whole:
    """A field of ``References`` that a ``StreamedReferences`` reads from the whole references, read back once."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, references, owner=None):
        return self if references is None else getattr(references._read(), self.name)

    def __set__(self, references, value) -> None:
        setattr(references._read(), self.name, value)


class StreamedReferences(References):
    """The corpus's references (``pipeline.merged_references``) read back from the units' cache the first time
    ``found``, ``unresolved`` or ``index`` is asked for, and kept from then on. ``counts`` needs no reading:
    given the tallies that ``held`` made of each whole unit, it combines those (at once: the tallies are not kept)."""

    found = _Whole()  # type: ignore[assignment]
    unresolved = _Whole()  # type: ignore[assignment]
    index = _Whole()  # type: ignore[assignment]

    def __init__(self, units: Iterable[SourceUnit] | Callable[[], Iterable[SourceUnit]],  # noqa: D107
                 tallies: Sequence[Tally | None] = ()) -> None:
        self._units = units
        # the counts, worked out now: the tallies are 5 KB a source (×1000: 25 MB), which the build's parent
        # would hold, and every child it forks inherit, until the summary asks for the counts (0.13 CPU s at ×1000)
        self._counts = Tally.counts(t for t in tallies if t is not None) \
            if tallies and all(t is not None for t in tallies) else None
        self._whole: References | None = None

    def _read(self) -> References:
        if self._whole is None:
            from tipkg.pipeline import merged_references

            self._whole = merged_references(self._units() if callable(self._units) else self._units)
        return self._whole

    def counts(self) -> dict[str, tuple[int, int]]:
        """``reference_counts`` of the whole references: ``Tally.counts`` of the units' tallies when each has one
        (a build's), else of one tally of the whole references (read back if not yet)."""
        if self._whole is None and self._counts is not None:
            return dict(self._counts)
        return reference_counts(self._read())


@dataclasses.dataclass(frozen=True)
class Tally:
    """What the summary's reference counts need of one unit, made while the unit is whole (``held``), so a
    build whose parent keeps units trimmed counts without reading them back.

    ``edges``: per relation, the distinct edges (paragraph, target; an index entry's paragraph and topic)
    as sorted 8-byte BLAKE2b digests. Edges are counted distinct across the corpus, and two sources can
    make the same edge (a decision printed by two sources), so the counts are of the union of the units'
    digests: two different edges counted as one would take a 64-bit collision (about 10^-8 at ×1000).
    ``missed``: unresolved references per relation; ``unplaced``: the unit's index's unplaced rows.
    """

    edges: dict[str, bytes]
    missed: dict[str, int]
    unplaced: int | None = None

    @classmethod
    def of(cls, found: Iterable[Reference], unresolved: Iterable[Unresolved], index: ThematicIndex | None) -> Tally:
        edges: dict[str, set[bytes]] = {}
        for r in found:
            edges.setdefault(r.relation, set()).add(_digest(r.paragraph, r.target))
        if index is not None:
            edges.setdefault("indexedUnder", set()).update(_digest(e.paragraph, e.topic) for e in index.entries)
        missed = Counter(UNRESOLVED_RELATION.get(u.kind, u.kind) for u in unresolved)
        return cls({rel: b"".join(sorted(digests)) for rel, digests in edges.items()}, dict(missed),
                   len(index.unplaced) if index is not None else None)

    @staticmethod
    def counts(tallies: Iterable[Tally]) -> dict[str, tuple[int, int]]:
        """relation -> (distinct edges, unresolved) of the units' tallies in manifest order together (the
        unplaced rows of the first index: the merged index keeps the first one's). The one place the summary's
        reference counts are worked out (``reference_counts`` says from what)."""
        edges: dict[str, list[bytes]] = {}
        missed: Counter = Counter()
        unplaced = None
        for t in tallies:
            for rel, digests in t.edges.items():
                edges.setdefault(rel, []).append(digests)
            missed.update(t.missed)
            if unplaced is None:
                unplaced = t.unplaced
        if unplaced is not None:
            missed["indexedUnder"] = unplaced
        import numpy as np  # here, not at the top: the build's parent imports this module before it forks the
        # extraction pool, which starts without numpy (``tipkg.network.lazily``)

        found = {rel: len(np.unique(np.frombuffer(b"".join(parts), dtype=np.uint64))) for rel, parts in edges.items()}
        return {rel: (found.get(rel, 0), missed.get(rel, 0)) for rel in sorted(set(found) | set(missed))}


@dataclasses.dataclass(frozen=True)
class Brief:
    """What the build's parent holds of each unit from its extraction to the build's end: no text, a few bytes
    a paragraph (×1000 held every unit's structure, 0.4 MB a source with its text, 2 GB, and every process
    forked later inherited it). The passes that need a unit's structure read it back (``StreamedUnits``).

    ``tally``: the summary's reference counts (``Tally``; None for a unit kept whole);
    ``index_file``: the file of the thematic index the unit prints, if it prints one (``units.graph_parts``);
    ``verbs``: each paragraph's first verb, one ``paragraph\tverb`` line each (``first_verbs``);
    ``paragraphs``: per document, its paragraphs' identifiers as 8-byte digests (``paragraph_digests``).
    """

    tally: Tally | None
    index_file: str | None
    verbs: str
    paragraphs: dict[str, bytes]

    @classmethod
    def of(cls, unit: SourceUnit) -> Brief:
        verbs = unit_verbs(unit.found)
        return cls(unit.tally, unit.index.source_file if unit.index is not None else None, "\n".join(f"{p}\t{v}" for p, v in verbs.items()),
                   paragraph_digests(unit.structured))


def unit_verbs(found: Iterable[Reference]) -> dict[str, str]:
    """paragraph -> its first verb among one unit's references (``found``, in their order)."""
    verbs: dict[str, str] = {}
    for r in found:
        if r.relation == "verb":
            verbs.setdefault(r.paragraph, r.target)
    return verbs


def first_verbs(briefs: Iterable[Brief]) -> dict[str, str]:
    """paragraph -> its first verb over the corpus (the first unit in manifest order that gives it one), what
    ``references.mandates`` reads of the verbs: as a merge of the references would give it."""
    verbs: dict[str, str] = {}
    for brief in briefs:
        for line in brief.verbs.split("\n") if brief.verbs else ():
            paragraph, verb = line.split("\t")
            verbs.setdefault(paragraph, sys.intern(verb))
    return verbs


def paragraph_digests(structured: StructuredSource) -> dict[str, bytes]:
    """document -> the distinct identifiers of the paragraphs a source prints of it, as sorted 8-byte digests."""
    seen: dict[str, set[bytes]] = {}
    for document in structured.documents:
        seen.setdefault(document.identifier, set()).update(_digest(p.identifier, "") for p in document.paragraphs)
    return {document: b"".join(sorted(digests)) for document, digests in seen.items()}


def counted_paragraphs(digests: Iterable[dict[str, bytes]]) -> dict[str, int]:
    """Distinct paragraph identifiers per document over all sources, given each source's ``paragraph_digests``
    (most documents are printed by one source: their digests are counted as they are)."""
    seen: dict[str, bytes | set[bytes]] = {}
    for per_source in digests:
        for document, joined in per_source.items():
            have = seen.get(document)
            if have is None:
                seen[document] = joined
                continue
            if isinstance(have, bytes):
                have = seen[document] = set(_chunks(have))
            have.update(_chunks(joined))
    return {document: len(v) // 8 if isinstance(v, bytes) else len(v) for document, v in sorted(seen.items())}


def _chunks(joined: bytes) -> Iterator[bytes]:
    return (joined[i:i + 8] for i in range(0, len(joined), 8))


def _digest(paragraph: str, target: str) -> bytes:
    return hashlib.blake2b(f"{paragraph}\0{target}".encode("utf-8"), digest_size=8).digest()


def reference_counts(references: References) -> dict[str, tuple[int, int]]:
    """relation -> (distinct edges found, references seen but unresolved): the summary of ``tipkg build``.

    For ``indexedUnder`` the second figure counts the index rows left without
    an edge: rows whose topic is not printed (unplaced).

    The figures are always ``Tally.counts``; what it is given depends on what is at hand. A build whose
    parent keeps its units trimmed (``StreamedReferences``) has no whole references to count, only the
    ``Tally`` ``held`` made of each unit while it was whole: their union. References held whole (a build
    without a cache or an OUT, ``extract_references``) are one tally of themselves. The two agree because
    ``Tally.counts`` combines the units' tallies as ``pipeline.merged_references`` merges the units
    (edges and unresolved references of every unit, the unplaced rows of the first index):
    ``tests/test_held.py`` checks it on the bundled corpus and ×3.
    """
    if isinstance(references, StreamedReferences):
        return references.counts()
    return Tally.counts([Tally.of(references.found, references.unresolved, references.index)])
