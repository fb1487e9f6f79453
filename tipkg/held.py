"""What the build's parent keeps of each unit while the global stages run; the rest stays in the cache.

Why: the parent used to keep every unit whole until the build ended. At ×30 a
unit takes about 0.55 MB of the parent's heap (its thematic index's entries a
third, its references a third, its paragraphs' texts the rest), so ×1000
(5,000 sources) held 3.6 GB before the graph stage began, and every process
forked from it started from that. Once each source's graph part is computed
(in its extraction task: ``tipkg.units``), the parent's global passes read
only part of a unit:

- ``find_mandates`` reads the structure and two relations of the references:
  ``requests`` and each paragraph's first ``verb``;
- ``find_answers``, ``align``, the paragraph counts and the text-reuse child
  read the structure (the reuse child its shingle summaries, from the cache);
- ``graph_parts`` reads whether a unit prints a thematic index and its file
  (its entries only to compute a part the extraction task did not).

``held`` keeps just that (``GLOBAL_RELATIONS``; the index's header without its
rows; a paragraph's ``normalized`` made the very string of its ``text`` when
the two are equal, as they are for most). The whole references — for
``BuildResult.references``, ``tipkg build --report`` and the tests — are read
back from the cache one unit at a time when first asked for
(``StreamedReferences``); the summary's counts stream without keeping them
(``reference_counts``).

>>> from tipkg.model import Span
>>> verb = Reference("P 1", "verb", "requests", "verb", "f.txt", Span(0, 1), "x", "r")
>>> [r.relation for r in kept_references([verb, dataclasses.replace(verb, target="urges"),
...                                       dataclasses.replace(verb, relation="recalls")])]
['verb']
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence

from tipkg.model import Document
from tipkg.references import References
from tipkg.references.thematic_index import ThematicIndex
from tipkg.references.types import Reference, Unresolved
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
    return SourceUnit(structured, kept_references(unit.found), list(unit.unresolved), index)


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


class StreamedUnits:
    """The whole units of a corpus in manifest order, read back from the cache one at a time (a unit whose entry
    has gone since is extracted again)."""

    def __init__(self, sources: Sequence, keys: Sequence[str], cache) -> None:
        self.sources, self.keys, self.cache = sources, keys, UnitCache(cache)

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, i: int) -> SourceUnit:
        return self.cache.get(self.keys[i], self.sources[i]) or extract_unit(self.sources[i])

    def __iter__(self) -> Iterator[SourceUnit]:
        return (self[i] for i in range(len(self)))


class StreamedReferences(References):
    """The corpus's references (``pipeline.merged_references``) read back from the units' cache the first time
    ``found``, ``unresolved`` or ``index`` is asked for, and kept from then on; ``counts`` streams."""

    def __init__(self, units: Iterable[SourceUnit] | Callable[[], Iterable[SourceUnit]]) -> None:  # noqa: D107
        self._units = units
        self._whole: References | None = None

    def _read(self) -> References:
        if self._whole is None:
            from tipkg.pipeline import merged_references

            self._whole = merged_references(self._stream())
        return self._whole

    @property
    def found(self) -> list[Reference]:
        return self._read().found

    @found.setter
    def found(self, value: list[Reference]) -> None:
        self._read().found = value

    @property
    def unresolved(self) -> list[Unresolved]:
        return self._read().unresolved

    @unresolved.setter
    def unresolved(self, value: list[Unresolved]) -> None:
        self._read().unresolved = value

    @property
    def index(self) -> ThematicIndex | None:
        return self._read().index

    @index.setter
    def index(self, value: ThematicIndex | None) -> None:
        self._read().index = value

    def _stream(self) -> Iterable[SourceUnit]:
        return self._units() if callable(self._units) else self._units

    def counts(self) -> dict[str, tuple[int, int]]:
        """``reference_counts`` of the whole references, one unit in memory at a time (unless already read)."""
        if self._whole is not None:
            return reference_counts(self._whole)
        tally = _Tally()
        for unit in self._stream():
            tally.add(unit.found, unit.unresolved, unit.index)
        return tally.counts()


class _Tally:
    """Distinct edges per relation and unresolved references, added unit by unit."""

    def __init__(self) -> None:
        self.edges: dict[str, set] = {}
        self.missed: Counter = Counter()
        self.unplaced: int | None = None  # the first index's unplaced rows (the merged index keeps its own)

    def add(self, found, unresolved, index) -> None:
        for r in found:
            self.edges.setdefault(r.relation, set()).add((r.paragraph, r.target))
        self.missed.update(UNRESOLVED_RELATION.get(u.kind, u.kind) for u in unresolved)
        if index is not None:
            self.edges.setdefault("indexedUnder", set()).update((e.paragraph, e.topic) for e in index.entries)
            if self.unplaced is None:
                self.unplaced = len(index.unplaced)

    def counts(self) -> dict[str, tuple[int, int]]:
        edges, missed = self.edges, Counter(self.missed)
        if self.unplaced is not None:
            missed["indexedUnder"] = self.unplaced
        return {rel: (len(edges.get(rel, ())), missed.get(rel, 0)) for rel in sorted(set(edges) | set(missed))}


def reference_counts(references: References) -> dict[str, tuple[int, int]]:
    """relation -> (distinct edges found, references seen but unresolved).

    For ``indexedUnder`` the second figure counts the index rows left without
    an edge: rows whose topic is not printed (unplaced).
    """
    if isinstance(references, StreamedReferences):
        return references.counts()
    tally = _Tally()
    tally.add(references.found, references.unresolved, references.index)
    return tally.counts()
