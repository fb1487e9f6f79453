"""What the build's parent's global passes read of each unit, made once per unit and cached beside it.

Why: the parent holds no unit (``tipkg.held``), and its passes read every kept unit back from the cache,
each time with its text read and checked again: the mandates, the answers' first reading (which documents
each source prints, the corpus's last year, a few paragraphs' texts) and the alignment of drafts with what
was adopted. At ×100 a rebuild after one changed word read each of the 500 units four times: its global pass
took 10.9 CPU s, 5.1 before the parent let the units go (one changed ×100 went from 17 % of a cold build to
23 %). Each source's share of those passes depends on the source alone, so it is made with the unit, in the
extraction task, and cached beside it (``<key>.view``): a ``View``. A rebuild reads the views, a few hundred
bytes to a few kilobytes each, and reads back a unit only where a view cannot answer (a rebuild after one
changed word reads back the agendas' units and the changed source's):

- ``mandates``: each source's ``Candidates`` (``references.mandates.merged_mandates``). They are made with the
  source's own first verbs; a paragraph whose first verb over the corpus comes from another source with
  another verb has the source's candidates made again from its unit (``Candidates.fits``).
- ``printed``: the answers' first reading (``references.answers.find_answers(printed=)``): the documents
  each source prints, their years, and the texts of the paragraphs whose mandates' evidence reads them —
  those the view holds (the source's own candidates that read their text), the rest read back from the
  units whose paragraph digests (``held.Brief``) show they print one.
- ``answers``: what the source gives the answers whatever the mandates (``references.answers.Local``:
  evidence hits, the front matter's requests, the Working Group's reports); only the sources that print an
  agenda are read back, and an agenda's restatements are cached with the unit keys of the sources that
  print the decisions it names (``<cache>/restated/``), so the compendium that prints them is not read.
- ``aligned``: ``network.alignment.align``: the documents and what each draft was adopted as come from the
  views; each draft's rows are cached by the unit keys of the draft's source and of the adopted text's
  (``<cache>/aligned/``), made from those two units when absent.

Every result is the one the passes over the units give (``tests/test_views.py`` compares them on ×2).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from tipkg.held import Brief, _chunks, _digest, unit_verbs
from tipkg.model import Document, Source
from tipkg.references.answers import Local, Restatement, _FirstPrints, _text_read, local_answers
from tipkg.references.mandates import Candidates, Mandate, merged_mandates, requests_by_paragraph, source_candidates
from tipkg.cache_entries import sealed, unsealed, write_atomically
from tipkg.units import SourceUnit

MAGIC = b"TIPKG-VIEW 1\n"
ALIGNED_MAGIC = b"TIPKG-ALIGNED 1\n"
RESTATED_MAGIC = b"TIPKG-RESTATED 1\n"


@dataclasses.dataclass(frozen=True)
class View:
    """One source's share of the parent's global passes (the module's docstring says which).

    ``candidates``: its mandates' candidates, made with its own first verbs;
    ``documents``: each document it prints, in order: (identifier, whether a draft, the year of its date or
    None, what it was adopted as or "");
    ``texts``: (document, paragraph, working text) of the paragraphs whose candidate mandate's evidence reads
    the text (``answers._text_read``), first print in the source first;
    ``answers``: what it gives the answers whatever the mandates (``references.answers.Local``).
    """

    candidates: Candidates
    documents: tuple[tuple[str, bool, int | None, str], ...]
    texts: tuple[tuple[str, str, str], ...]
    answers: Local


def view_of(unit: SourceUnit) -> View:
    """The view of a unit (whole, or as ``held`` keeps it: both have the structure, requests and verbs)."""
    structured = unit.structured
    candidates = source_candidates(structured, requests_by_paragraph(unit.found), unit_verbs(unit.found))
    read = {paragraph for _, found, _ in candidates.documents for paragraph, m in found
            if m is not None and _text_read(m)}
    documents = tuple((d.identifier, d.kind == "draft-decision",
                       int(d.date[:4]) if d.date and d.date[:4].isdigit() else None, d.adopted_as or "")
                      for d in structured.documents)
    texts = _first_texts(structured.documents, read)
    return View(candidates, documents, tuple((d, p, t) for (d, p), t in texts.items()), local_answers(structured))


def _first_texts(documents: Sequence[Document], wanted: set[str]) -> dict[tuple[str, str], str]:
    """(document, paragraph) -> the working text at its first print, of the ``wanted`` paragraphs printed in
    ``documents`` other than drafts."""
    texts: dict[tuple[str, str], str] = {}
    for d in documents:
        if d.kind != "draft-decision":
            for p in d.paragraphs:
                if p.identifier in wanted:
                    texts.setdefault((d.identifier, p.identifier), p.normalized or p.text)
    return texts


class ViewCache:
    """Views beside the units in the units' folder (``<key[:2]>/<key>.view``), sealed like them."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.view"

    def get(self, key: str) -> View | None:
        return unsealed(self.path(key), MAGIC, View)

    def put(self, key: str, view: View) -> None:
        write_atomically(self.path(key), sealed(view, MAGIC))


def store_view(folder: str, key: str, unit: SourceUnit) -> None:
    """Cache the view of ``unit`` under ``key`` (called in the extraction task, where the unit is whole)."""
    ViewCache(folder).put(key, view_of(unit))


class Views:
    """The global passes of a build's parent over the views of its units (``StreamedUnits`` ``units``, read
    back only where a view is missing or cannot answer). ``mandates`` reads every view once and keeps what the
    other passes need of them: the documents (ids and years), a few texts and the answers' local part, not the
    candidates."""

    def __init__(self, keys: Sequence[str], cache: str | Path, units: Sequence[SourceUnit]) -> None:
        self.keys, self.cache, self.units = keys, ViewCache(cache), units
        self.folder = Path(cache)
        self.documents: list[tuple[tuple[str, bool, int | None, str], ...]] = []
        self.texts: list[dict[tuple[str, str], str]] = []
        self.local: list[Local] = []
        self.places: dict[str, list[int]] = {}  # document -> the places of the sources that print it (``printed``)
        self.remade = 0  # sources whose candidates were made again (another source's first verb)
        self.read_back = 0  # units read back for a text

    def _view(self, i: int) -> View:
        view = self.cache.get(self.keys[i])
        if view is None:
            view = view_of(self.units[i])
            self.cache.put(self.keys[i], view)
        return view

    def mandates(self, verbs: dict[str, str]) -> list[Mandate]:
        """``mandates_by_source`` of every unit (with ``verbs``, the corpus's first verbs), from the views."""
        def candidates() -> Iterator[Candidates]:
            for i in range(len(self.keys)):
                view = self._view(i)
                self.documents.append(view.documents)
                self.texts.append({(d, p): t for d, p, t in view.texts})
                self.local.append(view.answers)
                if view.candidates.fits(verbs):
                    yield view.candidates
                else:
                    self.remade += 1
                    unit = self.units[i]
                    yield source_candidates(unit.structured, requests_by_paragraph(unit.found), verbs)
        return merged_mandates(candidates())

    def printed(self, mandates: Sequence[Mandate], briefs: Sequence[Brief]
                ) -> tuple[dict[str, list[int]], dict[str, str], int | None]:
        """What ``references.answers._printed`` gives over the units, from the views (after ``mandates``)."""
        years: list[int] = []
        printed: dict[str, list[int]] = {}
        rank: dict[str, int] = {}
        for i, documents in enumerate(self.documents):
            for identifier, draft, year, _ in documents:
                if year is not None:
                    years.append(year)
                if draft:
                    continue
                places = printed.setdefault(identifier, [])
                if not places or places[-1] != i:
                    places.append(i)
                rank.setdefault(identifier, len(rank))
        wanted = {m.paragraph for m in mandates if _text_read(m)}
        texts: dict[str, tuple[int, str]] = {}
        seen: set[tuple[str, str]] = set()
        digests = {_digest(p, ""): p for p in wanted}
        for i, brief in enumerate(briefs):
            # (document, paragraph) of a wanted paragraph the source may print (its paragraphs' digests)
            hits = {(document, digests[c]) for document, joined in brief.paragraphs.items()
                    for c in _chunks(joined) if c in digests}
            if not hits:
                continue
            known = self.texts[i]
            if not all(hit in known for hit in hits if not _draft(self.documents[i], hit[0])):
                known = self._texts(i, wanted)
            for document, draft, _, _ in self.documents[i]:
                if draft:
                    continue
                for (d, p), text in known.items():
                    if d != document or p not in wanted or (d, p) in seen:
                        continue
                    seen.add((d, p))
                    order = rank[d]
                    if p not in texts or texts[p][0] < order:
                        texts[p] = (order, text)
        self.places = printed
        return printed, {p: text for p, (_, text) in texts.items()}, max(years, default=None)

    def answering(self, mandates: Sequence[Mandate], briefs: Sequence[Brief]) -> dict:
        """What ``find_answers`` is given besides the units (after ``mandates``): it reads back only the sources
        that print an agenda, and an agenda's restatements are kept (``restate``)."""
        return {"printed": self.printed(mandates, briefs), "local": self.local, "restate": self.restate}

    def restate(self, i: int, source: Source, document: Document, paragraphs: _FirstPrints) -> list[Restatement]:
        """``answers._restatements`` of an agenda of source ``i``, cached with the decisions' prints it looked up
        (document -> the unit keys of the sources that print it): used again while those are the same, so a
        rebuild reads back the agenda's source, not the compendium that prints the decisions it names."""
        from tipkg.references.answers import _restatements
        from tipkg.cache_keys import BUILD_PACKAGES, code_version

        key = hashlib.sha256(f"{code_version(BUILD_PACKAGES)}\0{self.keys[i]}\0{document.identifier}\0"
                             f"{source.file}".encode("utf-8")).hexdigest()
        path = self.folder / "restated" / key[:2] / key
        entry = unsealed(path, RESTATED_MAGIC, tuple)
        if entry is not None and all(self._printers(d) == keys for d, keys in entry[0]):
            return list(entry[1])
        looked = _Looked(paragraphs)
        rows = _restatements(source, document.paragraphs, looked)  # type: ignore[arg-type]
        write_atomically(path, sealed((tuple((d, self._printers(d)) for d in looked.asked), tuple(rows)),
                                      RESTATED_MAGIC))
        return rows

    def _printers(self, document: str) -> tuple[str, ...] | None:
        places = self.places.get(document)
        return None if places is None else tuple(self.keys[j] for j in places)

    def _texts(self, i: int, wanted: set[str]) -> dict[tuple[str, str], str]:
        """``_first_texts`` of unit ``i``, read back."""
        self.read_back += 1
        return _first_texts(self.units[i].structured.documents, wanted)

    def aligned(self, align_pair: Callable[[object, object], list]) -> list:
        """``network.alignment.align`` over the units: each draft (at its first print) aligned with the first
        print of what it was adopted as, by ``align_pair(draft, adopted)``; each draft's rows cached by the
        two sources' unit keys, so only a changed source's drafts are aligned again."""
        from tipkg.cache_keys import BUILD_PACKAGES, code_version

        first: dict[str, int] = {}
        drafts: list[tuple[int, str, str]] = []
        for i, documents in enumerate(self.documents):
            for identifier, _, _, adopted_as in documents:
                if identifier in first:
                    continue
                first[identifier] = i
                if adopted_as:
                    drafts.append((i, identifier, adopted_as))
        out: list = []
        for i, identifier, target in drafts:
            if target not in first:
                continue
            j = first[target]
            key = hashlib.sha256(f"{code_version(BUILD_PACKAGES)}\0{self.keys[i]}\0{self.keys[j]}\0{identifier}\0"
                                 f"{target}".encode("utf-8")).hexdigest()
            path = self.folder / "aligned" / key[:2] / key
            rows = unsealed(path, ALIGNED_MAGIC, list)
            if rows is None:
                draft = next(d for d in self.units[i].structured.documents if d.identifier == identifier)
                adopted = next(d for d in self.units[j].structured.documents if d.identifier == target)
                rows = align_pair(draft, adopted)
                write_atomically(path, sealed(rows, ALIGNED_MAGIC))
            out += rows
        return out


def _draft(documents: tuple[tuple[str, bool, int | None, str], ...], identifier: str) -> bool:
    """Whether every print of ``identifier`` in a source is a draft's (a hit there needs no text)."""
    return all(draft for d, draft, _, _ in documents if d == identifier)


class _Looked:
    """The decisions' first prints (``answers._FirstPrints``), with the documents asked for noted."""

    def __init__(self, paragraphs: _FirstPrints) -> None:
        self.paragraphs = paragraphs
        self.asked: dict[str, None] = {}

    def __contains__(self, document: object) -> bool:
        if isinstance(document, str):
            self.asked.setdefault(document, None)
        return document in self.paragraphs

    def __getitem__(self, document: str) -> list:
        self.asked.setdefault(document, None)
        return self.paragraphs[document]
