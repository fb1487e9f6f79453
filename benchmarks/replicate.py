"""Synthetic corpora: the bundled corpus replicated ×N with shifted identifiers and dates.

``write_corpus(n, folder)`` copies each source file n times and writes a valid
manifest: copy k (0 = the original) gets the file name ``r<k>_<file>``, a
manifest identifier shifted as below, ``replica = k`` and ``original = <the
original's identifier>``. The texts are copied
byte for byte (their sha256 stays valid), so every copy holds exactly the
shape of paragraphs, footnotes and references of the original.

Most identifiers of the graph are read from the texts and the pattern tables
(meeting numbers from Arabic ordinals, decision numbers from "المقرر 5/1"), so
rewriting Arabic text consistently would mean re-deriving what the loaders
do. Instead ``shifted(structured, k)`` shifts every identifier, symbol and
date of what the loaders read from copy k — session numbers by 100·k, the
years of document symbols by k and their numbers by 1000·k (symbols stay
four-digit-year valid for the shapes), dates by k years — and
``replicated_loading()`` installs it into the pipeline for the duration of a
benchmark: sources with ``replica = k`` are loaded and their references
extracted by the real code, then structure, references and index entries are
shifted together (a copy's decisions cite the copy's decisions). Shared targets (instruments, articles, actors, topics) stay
shared, as in a real larger corpus.

>>> shift_identifier("A/RES/61/180 para 5", 2)
'A/RES/261/180 para 5'
>>> shift_identifier("CTOC/COP/WG.4/2010/1 item 2 (b)", 1)
'CTOC/COP/WG.4/2011/1001 item 2 (b)'
>>> shift_identifier("TIP-WG 7 rec 2 (n)", 1)
'TIP-WG 107 rec 2 (n)'
>>> shift_identifier("TIPP art 9(5)", 3)
'TIPP art 9(5)'
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import re
import shutil
from pathlib import Path

from tipkg.model import StructuredSource
from tipkg.sources import read_corpus

_SESSION = re.compile(r"^(A/RES/|E/CN\.15/RES/|CTOC/COP/DEC/|CTOC/COP/RES/|TIP-WG )(\d+)")
_YEAR = re.compile(r"^(CTOC/COP/WG\.4/|CTOC/COP/|E/RES/|E/DEC/)(\d{4})/(\d+)")
_EDITION = re.compile(r"^(UNODC-TIP-Compendium-)(\d{4})")
_DATE = re.compile(r"^(\d{4})")


def shift_identifier(identifier: str | None, k: int) -> str | None:
    """The identifier copy ``k`` uses for what the original calls ``identifier``."""
    if not identifier or k == 0:
        return identifier
    out = _SESSION.sub(lambda m: f"{m[1]}{int(m[2]) + 100 * k}", identifier)
    out = _EDITION.sub(lambda m: f"{m[1]}{int(m[2]) + k}", out)
    return _YEAR.sub(lambda m: f"{m[1]}{int(m[2]) + k}/{int(m[3]) + 1000 * k}", out)


def shift_date(date: str | None, k: int) -> str | None:
    return _DATE.sub(lambda m: str(int(m[1]) + k), date) if date and k else date


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


def write_corpus(n: int, folder: str | Path, corpus: str | Path | None = None) -> Path:
    """Write the corpus replicated ``n`` times into ``folder`` (replaced) with its manifest."""
    folder = Path(folder)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    entries = []
    for k in range(n):
        for source in read_corpus(corpus):
            name = f"r{k}_{source.file}"
            data = Path(source.path).read_bytes()
            (folder / name).write_bytes(data)
            fields = {"file": name, "sha256": hashlib.sha256(data).hexdigest(),
                      "identifier": shift_identifier(source.identifier, k), "kind": source.kind,
                      "date": shift_date(source.date, k), "language": source.language,
                      "title_ar": source.title_ar, "title_en": source.title_en, "origin": source.origin}
            for key, value in source.extra:
                fields[key] = shift_identifier(value, k) if key == "adopted_as" else value
            fields["replica"] = str(k)
            fields["original"] = source.identifier
            entries.append("[[source]]\n" + "".join(f"{key} = {_toml(v)}\n" for key, v in fields.items()))
    (folder / "manifest.toml").write_text(f"# the bundled corpus replicated x{n} (benchmarks/replicate.py)\n\n"
                                          + "\n".join(entries), encoding="utf-8")
    return folder


def _unshift(identifier: str, k: int) -> str:
    out = _SESSION.sub(lambda m: f"{m[1]}{int(m[2]) - 100 * k}", identifier)
    out = _EDITION.sub(lambda m: f"{m[1]}{int(m[2]) - k}", out)
    return _YEAR.sub(lambda m: f"{m[1]}{int(m[2]) - k}/{int(m[3]) - 1000 * k}", out)


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextlib.contextmanager
def replicated_loading():
    """Within the block, the pipeline treats a source with ``replica = k`` as copy k.

    Its loaders and reference extractors run on the copy exactly as on the
    original (same identifiers, so the same references resolve); then the
    structure, the references and the thematic index of copy k are shifted
    together, before the graph is built.
    """
    from tipkg import pipeline
    from tipkg.references import References

    load_original, extract_original = pipeline.load_structure, pipeline.extract_references

    def load(source):
        extra = tuple((key, _unshift(value, _k(source)) if key == "adopted_as" else value)
                      for key, value in source.extra)
        return load_original(dataclasses.replace(source, identifier=source.get("original", source.identifier),
                                                 date=shift_date(source.date, -_k(source)), extra=extra))

    def extract(structured):
        out = References()
        copies: dict[int, list[int]] = {}
        for i, item in enumerate(structured):
            copies.setdefault(_k(item.source), []).append(i)
        for k, positions in sorted(copies.items()):
            found = extract_original([structured[i] for i in positions])
            sid = lambda x: shift_identifier(x, k)  # noqa: E731
            out.found += [dataclasses.replace(r, paragraph=sid(r.paragraph), target=sid(r.target)) for r in found.found]
            out.unresolved += [dataclasses.replace(u, paragraph=sid(u.paragraph)) for u in found.unresolved]
            if found.index is not None:
                entries = tuple(dataclasses.replace(e, paragraph=sid(e.paragraph)) for e in found.index.entries)
                notations = {sid(key): sid(value) for key, value in found.index.notations.items()}
                if out.index is None:
                    out.index = dataclasses.replace(found.index, entries=entries, notations=notations)
                else:
                    out.index = dataclasses.replace(out.index, entries=out.index.entries + entries,
                                                    notations={**out.index.notations, **notations})
            for i in positions:  # the pipeline builds the graph from this same list
                structured[i] = shifted(structured[i], k)
        return out

    pipeline.load_structure, pipeline.extract_references = load, extract
    try:
        yield
    finally:
        pipeline.load_structure, pipeline.extract_references = load_original, extract_original


def _k(source) -> int:
    return int(source.get("replica", "0") or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, help="number of copies")
    parser.add_argument("folder", help="corpus folder to write (replaced)")
    args = parser.parse_args()
    print(write_corpus(args.n, args.folder))


if __name__ == "__main__":
    main()
