"""Stage 1 — the corpus: read a manifest and the texts it lists, checking each one.

A corpus is a folder with ``manifest.toml`` (one ``[[source]]`` table per file)
and the text files. Every check that can fail names the file, the line and the
reason, so that a user adding documents knows what to fix:

- the manifest must parse and give every required key;
- each listed file must exist, be non-empty, match its sha256, and be UTF-8
  (a Windows-1256 or UTF-16 file is recognised and named as such).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from importlib import resources
from pathlib import Path

from . import identifiers as ids
from .errors import TipkgError
from .model import SOURCE_KINDS, Source

REQUIRED_KEYS = ("file", "sha256", "identifier", "kind", "date", "language",
                 "title_ar", "title_en", "origin")
KINDS = SOURCE_KINDS  # the manifest kinds: tipkg.model.SourceKind
MANIFEST = "manifest.toml"


def default_corpus_dir() -> Path:
    """The bundled corpus, shipped inside the package as ``tipkg.corpus``."""
    return Path(str(resources.files("tipkg.corpus")))


def read_corpus(corpus_dir: str | Path | None = None) -> list[Source]:
    """Read and check every source the manifest of ``corpus_dir`` lists.

    >>> [s.identifier for s in read_corpus()][:2]
    ['CTOC/COP/DEC/4/4 draft', 'CTOC/COP/WG.4/2010/1']
    """
    folder = Path(corpus_dir) if corpus_dir else default_corpus_dir()
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise TipkgError(manifest, "no manifest.toml in the corpus folder")
    raw = manifest.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as exc:
        raise TipkgError(manifest, f"manifest is not UTF-8 ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        raise TipkgError(manifest, f"manifest is not valid TOML: {exc}", line) from exc
    entries = data.get("source")
    if not isinstance(entries, list) or not entries:
        raise TipkgError(manifest, "manifest has no [[source]] entries")
    entry_lines = _entry_lines(raw.decode("utf-8"))
    sources, seen = [], set()
    for n, entry in enumerate(entries):
        line = entry_lines[n] if n < len(entry_lines) else None
        if not isinstance(entry, dict):
            raise TipkgError(manifest, "'source' must be a list of [[source]] tables", line)
        sources.append(_read_source(folder, manifest, entry, line))
        if sources[-1].identifier in seen:
            raise TipkgError(manifest, f"identifier {sources[-1].identifier!r} is listed twice", line)
        seen.add(sources[-1].identifier)
    return sources


def _read_source(folder: Path, manifest: Path, entry: dict, line: int | None) -> Source:
    missing = [k for k in REQUIRED_KEYS if not entry.get(k)]
    if missing:
        raise TipkgError(manifest, f"[[source]] entry lacks {', '.join(missing)}", line)
    unquoted = [k for k in REQUIRED_KEYS if not isinstance(entry[k], str)]
    if unquoted:
        raise TipkgError(manifest, f"[[source]] entry: {', '.join(unquoted)} must be quoted strings", line)
    if entry["kind"] not in KINDS:
        raise TipkgError(manifest, f"unknown kind {entry['kind']!r} (expected one of {', '.join(KINDS)})", line)
    try:
        named = ids.parse(entry["identifier"])
    except ids.IdentifierError as exc:
        raise TipkgError(manifest, f"identifier {exc} (see ontology/identifiers.md)", line) from None
    if not isinstance(named, ids.Document):
        raise TipkgError(manifest, f"identifier {entry['identifier']!r} is of kind {type(named).__name__}, "
                                   "not a document symbol (see ontology/identifiers.md)", line)
    path = folder / entry["file"]
    if not path.is_file():
        raise TipkgError(path, f"file listed in {manifest.name}{f' (line {line})' if line else ''} does not exist")
    data = path.read_bytes()
    if not data.strip():
        raise TipkgError(path, "file is empty")
    text = decode_utf8(path, data)
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry["sha256"].lower():
        raise TipkgError(path, f"checksum mismatch: manifest line {line} says sha256 {entry['sha256']}, "
                               f"the file has {digest}")
    extra = tuple(sorted((k, str(v)) for k, v in entry.items() if k not in REQUIRED_KEYS))
    return Source(identifier=entry["identifier"], kind=entry["kind"], file=entry["file"],
                  path=str(path), sha256=digest, date=entry["date"], language=entry["language"],
                  title_ar=entry["title_ar"], title_en=entry["title_en"], origin=entry["origin"],
                  text=text, manifest_line=line or 0, extra=extra)


def decode_utf8(path: Path | str, data: bytes) -> str:
    """Decode a corpus file, naming the encoding it looks like when it is not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TipkgError(path, "file is UTF-16 (byte-order mark found), not UTF-8; "
                               "convert it with: iconv -f UTF-16 -t UTF-8")
    # UTF-16 without a byte-order mark is valid UTF-8 byte by byte (Arabic
    # U+0627 is 27 06), so it must be caught by its NUL bytes before decoding.
    if looks_utf16(data):
        raise TipkgError(path, "file looks like UTF-16 (NUL bytes, no byte-order mark), not UTF-8; "
                               "convert it with: iconv -f UTF-16LE (or UTF-16BE) -t UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        guess = guess_encoding(data)
        hint = f"; it looks like {guess} (convert it with: iconv -f {guess} -t UTF-8)" if guess else ""
        raise TipkgError(path, f"file is not UTF-8 (invalid byte 0x{data[exc.start]:02x}){hint}", line) from exc
    return text.removeprefix("\ufeff")


def guess_encoding(data: bytes) -> str | None:
    """A best guess among the encodings Arabic texts commonly come in."""
    sample = data[:4000]
    if looks_utf16(sample):
        return "UTF-16"
    try:
        decoded = sample.decode("cp1256")
    except UnicodeDecodeError:
        return None
    arabic = sum(1 for c in decoded if "\u0600" <= c <= "\u06ff")
    return "WINDOWS-1256" if arabic > len(decoded) // 10 else None


def looks_utf16(data: bytes) -> bool:
    """Whether bytes read as UTF-16 text (either byte order), byte-order mark or not.

    NUL bytes never occur in UTF-8 text but do in UTF-16 (every ASCII space
    and newline); the decoded sample must then be mostly letters and spaces.
    """
    sample = data[:4000]
    if b"\x00" not in sample:
        return False
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            decoded = sample[:len(sample) // 2 * 2].decode(encoding)
        except UnicodeDecodeError:
            continue
        textual = sum(1 for c in decoded if c.isprintable() or c in "\n\r\t")
        if textual > 0.9 * len(decoded):
            return True
    return False


def _entry_lines(text: str) -> list[int]:
    """1-based line of each ``[[source]]`` header (spaces and a comment allowed)."""
    header = re.compile(r"^\s*\[\[\s*source\s*\]\]\s*(#.*)?$")
    return [i for i, l in enumerate(text.splitlines(), 1) if header.match(l)]


def _toml_error_line(message: str) -> int | None:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None
