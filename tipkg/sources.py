"""Stage 1 — the corpus: read a manifest and the texts it lists, checking each one.

A corpus is a folder with ``manifest.toml`` (one ``[[source]]`` table per file)
and the text files. Every check that can fail names the file, the line and the
reason, so that a user adding documents knows what to fix:

- the manifest must parse and give every required key;
- each listed file must be a regular file inside the corpus folder (no
  ``..``, no absolute path, no symbolic link out), refused before it is opened;
- it must be non-empty, match its sha256, and be UTF-8 (a Windows-1256 or
  UTF-16 file is recognised and named as such; a truncated or damaged UTF-8
  file is called that);
- its text is what loaders read whatever the line ends: a byte-order mark is
  dropped, CRLF and CR become LF, bidi override controls are removed with a
  warning, and a NUL character is refused with its line (``clean_text``).
  Spans count characters of that text.
"""

from __future__ import annotations

import hashlib
import re
import stat
import sys
import tomllib
import unicodedata
from dataclasses import replace
from importlib import resources
from pathlib import Path, PurePosixPath, PureWindowsPath

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


def read_corpus(corpus_dir: str | Path | None = None, *, texts: bool = True) -> list[Source]:
    """Read and check every source the manifest of ``corpus_dir`` lists. ``texts=False``: each text is let go
    once its file is checked (``without_text``; ``with_text`` reads it again): the build's parent, whose
    extraction workers read their sources' texts themselves, never holds the corpus's texts at once.

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
        if not texts:
            sources[-1] = without_text(sources[-1])
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
    path = confined(folder, manifest, entry["file"], line)
    data = path.read_bytes()
    if not data.strip():
        raise TipkgError(path, "file is empty")
    text = clean_text(path, decode_utf8(path, data))
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry["sha256"].lower():
        raise TipkgError(path, f"checksum mismatch: manifest line {line} says sha256 {entry['sha256']}, "
                               f"the file has {digest}")
    extra = tuple(sorted((k, str(v)) for k, v in entry.items() if k not in REQUIRED_KEYS))
    return Source(identifier=entry["identifier"], kind=entry["kind"], file=entry["file"],
                  path=str(path), sha256=digest, date=entry["date"], language=entry["language"],
                  title_ar=entry["title_ar"], title_en=entry["title_en"], origin=entry["origin"],
                  text=text, manifest_line=line or 0, extra=extra)


def without_text(source: Source) -> Source:
    """``source`` without its text, which ``with_text`` reads again when it is needed (the build's parent
    holds no source's text after extraction: ×1000, 5,000 texts held 0.3 GB in it and in every child it forked)."""
    return replace(source, text="")


def with_text(source: Source) -> Source:
    """``source`` with its text: as it is if it has one, else read again from its file, which must still hold
    the bytes the manifest's SHA-256 names (a file changed during the build is an error, never read silently)."""
    if source.text:
        return source
    path = Path(source.path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TipkgError(path, f"file could not be read again during the build ({exc.strerror})") from None
    if hashlib.sha256(data).hexdigest() != source.sha256:
        raise TipkgError(path, "file changed during the build: its sha256 is no longer the manifest's; "
                               "build again once it is final")
    return replace(source, text=clean_text(path, decode_utf8(path, data), warn=lambda message: None))


def confined(folder: Path, manifest: Path, name: str, line: int | None) -> Path:
    """The path of a listed file, refused before it is opened unless it is a regular file inside the folder.

    A manifest comes with the documents and may be hostile: ``../../etc/passwd``,
    an absolute path or a symbolic link pointing out of the folder would make a
    build read (and hash, and publish) a file that is not part of the corpus.
    """
    where = f"{manifest.name} line {line}" if line else manifest.name
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or PureWindowsPath(name).drive or ".." in pure.parts:
        raise TipkgError(manifest, f"file {name!r} is outside the corpus folder: a manifest may only name "
                                   f"files inside its own folder (no absolute paths, no '..')", line)
    path = folder / name
    if not path.exists() and not path.is_symlink():
        raise TipkgError(path, f"file listed in {where} does not exist")
    real, home = path.resolve(), folder.resolve()
    if not real.is_relative_to(home):
        raise TipkgError(manifest, f"file {name!r} is a symbolic link to {real}, outside the corpus folder: "
                                   f"a manifest may only name files inside its own folder", line)
    if not stat.S_ISREG(real.stat().st_mode):
        raise TipkgError(path, f"file listed in {where} is not a regular file")
    return path


#: bidirectional embedding, override and isolate controls: they reorder how text is displayed
#: ("Trojan Source") and are never part of the words; removed with a warning
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean_text(path: Path | str, text: str, warn=None) -> str:
    """The text loaders read: Windows (CRLF) and old Mac (CR) line ends made LF, bidi controls removed,
    a NUL character refused with its line.

    Line ends must not change what is read: loaders split on ``\\n`` and anchor
    patterns at line ends, so a CRLF copy of a source would otherwise give a
    smaller graph without a word.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        at = text.index("\x00")
        line = text.count("\n", 0, at) + 1
        raise TipkgError(path, f"NUL character (U+0000) at column {at - text.rfind(chr(10), 0, at)}: "
                               f"the file is binary or damaged, remove it", line)
    found = list(_BIDI.finditer(text))
    if found:
        lines = sorted({text.count("\n", 0, m.start()) + 1 for m in found})
        names = sorted({f"U+{ord(m.group()):04X} {unicodedata.name(m.group())}" for m in found})
        shown = ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")
        (warn or _warn)(f"{path}:{lines[0]}: warning: removed bidirectional control characters "
                        f"({', '.join(names)}) on line{'s' if len(lines) > 1 else ''} {shown}: "
                        f"they reorder how text is displayed and are not part of it")
        text = text.translate(BIDI_CONTROLS)
    return text


def _warn(message: str) -> None:
    print(message, file=sys.stderr)


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
        raise TipkgError(path, not_utf8(data, exc), line) from exc
    return text.removeprefix("\ufeff")


def not_utf8(data: bytes, exc: UnicodeDecodeError) -> str:
    """Why bytes are not UTF-8, truthfully: cut short, damaged in one place, or another encoding."""
    byte = f"invalid byte 0x{data[exc.start]:02x}"
    if exc.reason == "unexpected end of data" and exc.end >= len(data):
        return (f"file is not UTF-8: it ends in the middle of a character ({len(data) - exc.start} byte(s) of a "
                f"multi-byte sequence at offset {exc.start}); the file looks truncated (an interrupted copy?)")
    decoded = data.decode("utf-8", "replace")
    damaged = decoded.count("\ufffd")
    if sum(1 for c in decoded if ord(c) > 127) - damaged > damaged:
        return (f"file is not UTF-8 ({byte} at offset {exc.start}, {damaged} bad sequence(s) in all); the rest "
                f"of the file is UTF-8, so it is damaged there, not in another encoding")
    guess = guess_encoding(data)
    hint = f"; it looks like {guess} (convert it with: iconv -f {guess} -t UTF-8)" if guess else ""
    return f"file is not UTF-8 ({byte}){hint}"


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
