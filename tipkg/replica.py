"""Replicated sources: copy k of a corpus file, read under shifted identifiers.

The scale corpus of the benchmarks (``benchmarks/replicate.py``) copies each
source file n times byte for byte (the sha256 stays valid) and lists copy k in
the manifest with ``replica = "k"`` and ``original = "<the original's
identifier>"``. Most identifiers of the graph are read from the texts and the
pattern tables, so rewriting the Arabic text consistently would mean
re-deriving what the loaders do; instead the build reads copy k as the
original (same identifiers, so the same references resolve) and then shifts
every identifier, symbol and date of what it read: session numbers by 100·k,
the years of document symbols by k and their numbers by 1000·k (symbols stay
four-digit-year valid for the shapes), dates by k years. Shared targets
(instruments, articles, actors, topics) stay shared, as in a real larger
corpus. Because this happens inside the per-source work unit
(``tipkg.units``), a replicated corpus goes through exactly the path of
``tipkg build`` that any corpus takes.

>>> shift_identifier("A/RES/61/180 para 5", 2)
'A/RES/261/180 para 5'
>>> shift_identifier("CTOC/COP/WG.4/2010/1 item 2 (b)", 1)
'CTOC/COP/WG.4/2011/1001 item 2 (b)'
>>> shift_identifier("TIP-WG 7 rec 2 (n)", 1)
'TIP-WG 107 rec 2 (n)'
>>> shift_identifier("TIPP art 9(5)", 3)
'TIPP art 9(5)'
>>> unshift_identifier(shift_identifier("CTOC/COP/DEC/4/4", 3), 3)
'CTOC/COP/DEC/4/4'
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

from tipkg import identifiers as ids
from tipkg.model import Source, StructuredSource

# UN symbol formats whose numbers a copy shifts: session first, or year first.
_SESSION = re.compile(r"^(A/RES/|E/CN\.15/RES/|CTOC/COP/DEC/|CTOC/COP/RES/)(\d+)")
_YEAR = re.compile(r"^(CTOC/COP/WG\.4/|CTOC/COP/|E/RES/|E/DEC/)(\d{4})/(\d+)")
_EDITION = re.compile(r"^(UNODC-TIP-Compendium-)(\d{4})")
_DATE = re.compile(r"^(\d{4})")


def shift_identifier(identifier: str | None, k: int) -> str | None:
    """The identifier copy ``k`` uses for what the original calls ``identifier``.

    The grammar finds the document or meeting an identifier hangs below
    (``A/RES/61/180 para 5 mandate``, ``TIP-WG 7 rec 2 (n)``), which it starts
    with; the rest is kept. What has none (an article, an actor, a verb's name
    as a reference target) is left as it is.
    """
    if not identifier or k == 0:
        return identifier
    lead, rest = _rooted(identifier)
    return identifier if lead is None else _shifted(lead, k) + rest


def unshift_identifier(identifier: str, k: int) -> str:
    """The original's identifier for what copy ``k`` calls ``identifier``."""
    return shift_identifier(identifier, -k)


@lru_cache(maxsize=1 << 16)
def _rooted(identifier: str) -> tuple[ids.Document | ids.Meeting | None, str]:
    """The identifier's root and what follows it, parsed once: every copy shifts the same identifiers."""
    named = ids.try_parse(identifier)
    lead = ids.root(named) if named is not None else None
    return (lead, identifier[len(str(lead)):]) if lead is not None else (None, identifier)


@lru_cache(maxsize=1 << 16)
def _shifted(x: ids.Document | ids.Meeting, k: int) -> str:
    """Copy ``k``'s spelling of a document or meeting (a few dozen per corpus: cached)."""
    if isinstance(x, ids.Meeting):
        return str(ids.Meeting(x.number + 100 * k))
    symbol = _SESSION.sub(lambda m: f"{m[1]}{int(m[2]) + 100 * k}", x.symbol)
    symbol = _EDITION.sub(lambda m: f"{m[1]}{int(m[2]) + k}", symbol)
    symbol = _YEAR.sub(lambda m: f"{m[1]}{int(m[2]) + k}/{int(m[3]) + 1000 * k}", symbol)
    return str(ids.Document(symbol, x.draft))


def shift_date(date: str | None, k: int) -> str | None:
    return _DATE.sub(lambda m: str(int(m[1]) + k), date) if date and k else date


def replica(source: Source) -> int:
    """k for copy k of a replicated corpus, 0 for an ordinary source."""
    return int(source.get("replica", "0") or 0)


def as_original(source: Source) -> Source:
    """Copy k's manifest entry as the original's (what the loaders read it as)."""
    k = replica(source)
    if not k:
        return source
    extra = tuple((key, unshift_identifier(value, k) if key == "adopted_as" else value) for key, value in source.extra)
    return dataclasses.replace(source, identifier=source.get("original", source.identifier),
                               date=shift_date(source.date, -k), extra=extra)


def shifted(structured: StructuredSource, k: int) -> StructuredSource:
    """What the loaders read from copy ``k``, with identifiers, symbols and dates shifted."""
    if k == 0:
        return structured
    sid = lambda x: shift_identifier(x, k)  # noqa: E731
    documents = []
    for d in structured.documents:
        paragraphs = tuple(dataclasses.replace(p, identifier=sid(p.identifier), parent=sid(p.parent),
                                               notation=sid(p.notation),
                                               documents=tuple(sid(x) for x in p.documents))
                           for p in d.paragraphs)
        documents.append(dataclasses.replace(
            d, identifier=sid(d.identifier), date=shift_date(d.date, k), paragraphs=paragraphs,
            part_of=sid(d.part_of), published_in=sid(d.published_in), adopted_as=sid(d.adopted_as),
            meeting=d.meeting + 100 * k if d.meeting else d.meeting))
    meetings = tuple(dataclasses.replace(m, number=m.number + 100 * k, date=shift_date(m.date, k),
                                         end_date=shift_date(m.end_date, k), report=sid(m.report))
                     for m in structured.meetings)
    return dataclasses.replace(structured, documents=tuple(documents), meetings=meetings)


def shifted_references(found, unresolved, index, k: int):
    """The references and thematic index read from copy ``k``, shifted with its structure."""
    if k == 0:
        return found, unresolved, index
    sid = lambda x: shift_identifier(x, k)  # noqa: E731
    found = [dataclasses.replace(r, paragraph=sid(r.paragraph), target=sid(r.target)) for r in found]
    unresolved = [dataclasses.replace(u, paragraph=sid(u.paragraph)) for u in unresolved]
    if index is not None:
        index = dataclasses.replace(index, entries=tuple(dataclasses.replace(e, paragraph=sid(e.paragraph))
                                                         for e in index.entries),
                                    notations={sid(key): sid(value) for key, value in index.notations.items()})
    return found, unresolved, index
