"""Synthetic corpora: the bundled corpus replicated ×N with shifted identifiers and dates.

``write_corpus(n, folder)`` copies each source file n times and writes a valid
manifest: copy k (0 = the original) gets the file name ``r<k>_<file>``, a
manifest identifier shifted as below, ``replica = k`` and ``original = <the
original's identifier>``. The texts are copied byte for byte (their sha256
stays valid), so every copy holds exactly the shape of paragraphs, footnotes
and references of the original.

``tipkg build`` itself reads copy k as the original and shifts every
identifier, symbol and date of what it read (``tipkg.replica``: session
numbers by 100·k, symbol years by k and numbers by 1000·k, dates by k years),
so a replicated corpus is built by exactly the command users run
(``tipkg build --corpus DIR``) — no in-process patching.

>>> shift_identifier("A/RES/61/180 para 5", 2)
'A/RES/261/180 para 5'
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's tipkg, run as a script
from tipkg.replica import shift_date, shift_identifier, shifted, unshift_identifier  # noqa: E402,F401 — re-exported
from tipkg.sources import read_corpus  # noqa: E402


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


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextlib.contextmanager
def replicated_loading():
    """Kept for callers of the former in-process harness: the build now reads replicated
    manifests itself (``tipkg.replica``), so there is nothing left to install."""
    yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, help="number of copies")
    parser.add_argument("folder", help="corpus folder to write (replaced)")
    args = parser.parse_args()
    print(write_corpus(args.n, args.folder))


if __name__ == "__main__":
    main()
