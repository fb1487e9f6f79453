"""Odd files in a corpus: line ends, byte-order marks, truncated UTF-8, NUL, bidi controls,
paths outside the folder, symbolic links, duplicate identifiers.

Line ends and a byte-order mark must not change what is read: the corpus
rebuilt with every source in CRLF, and with a BOM, gives the same graph but
for the files' checksums (and spans, which the test forgives). Everything else
is refused with the file, line and a true reason, and a file outside the
corpus folder is refused before it is opened (an audit hook watches every
``open``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys

import pytest

from tipkg.errors import TipkgError
from tipkg.pipeline import build
from tipkg.sources import default_corpus_dir, read_corpus

AGENDA = "001_799863f35f69a5cc.txt"
RLO, PDF = "\u202e", "\u202c"


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(default_corpus_dir(), folder, ignore=shutil.ignore_patterns("__*"))
    return folder


def rewrite(folder, name: str, data: bytes) -> None:
    """Write ``data`` as the file ``name`` and give the manifest its true checksum."""
    old = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    (folder / name).write_bytes(data)
    manifest = folder / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(old, hashlib.sha256(data).hexdigest()),
                        encoding="utf-8")


def rename_entry(folder, name: str, new: str) -> None:
    manifest = folder / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(f'file = "{name}"', f'file = "{new}"'),
                        encoding="utf-8")


def failure(folder) -> str:
    with pytest.raises(TipkgError) as info:
        read_corpus(folder)
    return str(info.value)


def graph_lines(folder=None, result=None) -> list[str]:
    """The sorted N-Triples of a build, with checksums and character spans blanked."""
    result = result or build(folder, out_dir=None, jobs=1, cache=None)
    nt = result.triples.ntriples().decode("utf-8")
    nt = re.sub(r'(ontology#sha256> )"[0-9a-f]{64}"', r'\1"…"', nt)
    return sorted(re.sub(r"#char=\d+,\d+", "#char=…", nt).splitlines())


@pytest.fixture(scope="module")
def plain_graph(build_result):
    return graph_lines(result=build_result)


@pytest.mark.parametrize("variant", ["crlf", "bom"])
def test_crlf_and_bom_copies_give_the_same_graph(tmp_path, plain_graph, variant):
    folder = tmp_path / "corpus"
    shutil.copytree(default_corpus_dir(), folder, ignore=shutil.ignore_patterns("__*"))
    names = sorted(p.name for p in folder.glob("*.txt"))
    assert len(names) == 5
    for name in names:
        data = (folder / name).read_bytes()
        rewrite(folder, name, data.replace(b"\n", b"\r\n") if variant == "crlf" else b"\xef\xbb\xbf" + data)
    got = graph_lines(folder)
    assert len(got) == len(plain_graph)
    assert got == plain_graph


def test_old_mac_line_ends_read_as_lf(corpus):
    plain = {s.identifier: s.text for s in read_corpus(corpus)}
    rewrite(corpus, AGENDA, (corpus / AGENDA).read_bytes().replace(b"\n", b"\r"))
    assert {s.identifier: s.text for s in read_corpus(corpus)} == plain


def test_truncated_utf8_is_called_truncated_not_windows_1256(corpus):
    data = (corpus / AGENDA).read_bytes().rstrip()
    cut = data[:-1] if data[-1] >= 0x80 else data + "ة".encode()[:1]  # end inside a two-byte Arabic letter
    rewrite(corpus, AGENDA, cut)
    message = failure(corpus)
    assert AGENDA in message and "truncated" in message and "WINDOWS-1256" not in message


def test_one_damaged_byte_is_called_damage(corpus):
    data = (corpus / AGENDA).read_bytes()
    middle = data.index("المسائل".encode())
    rewrite(corpus, AGENDA, data[:middle] + b"\xff" + data[middle + 1:])
    message = failure(corpus)
    line = data.count(b"\n", 0, middle) + 1
    assert f"{AGENDA}:{line}:" in message and "damaged" in message and "WINDOWS-1256" not in message


def test_a_real_windows_1256_file_is_still_named(corpus):
    rewrite(corpus, AGENDA, (corpus / AGENDA).read_text(encoding="utf-8").encode("cp1256", "replace"))
    assert "WINDOWS-1256" in failure(corpus)


def test_nul_is_refused_with_its_line(corpus):
    text = (corpus / AGENDA).read_text(encoding="utf-8")
    at = text.index("المسائل")
    rewrite(corpus, AGENDA, (text[:at] + "\x00" + text[at:]).encode())
    message = failure(corpus)
    assert f"{AGENDA}:{text.count(chr(10), 0, at) + 1}:" in message and "NUL" in message


def test_bidi_controls_are_removed_with_a_warning_naming_file_and_line(corpus, capsys):
    text = (corpus / AGENDA).read_text(encoding="utf-8")
    words = "سوف يفتح الفريق"  # a sentence the graph holds as a literal: without the fix, U+202E reaches graph.nt
    at = text.index(words)
    line = text.count("\n", 0, at) + 1
    rewrite(corpus, AGENDA, (text[:at] + RLO + words + PDF + text[at + len(words):]).encode())
    result = build(corpus, out_dir=None, jobs=1, cache=None)
    warning = capsys.readouterr().err
    assert f"{AGENDA}:{line}: warning: removed bidirectional control characters" in warning
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in warning
    nt = result.triples.ntriples().decode("utf-8")
    assert RLO not in nt and PDF not in nt and "\\u202E" not in nt.upper()
    agenda = next(s for s in read_corpus(corpus) if s.file == AGENDA)
    assert agenda.text == text


class Opened:
    """Every path Python opens while it is armed (audit hooks cannot be removed: it is disarmed instead)."""
    armed = False
    paths: list[str] = []

    @classmethod
    def hook(cls, event, args):
        if cls.armed and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            cls.paths.append(os.fsdecode(args[0]))


sys.addaudithook(Opened.hook)


def refused_unopened(folder, target) -> str:
    Opened.paths, Opened.armed = [], True
    try:
        message = failure(folder)
    finally:
        Opened.armed = False
    assert not [p for p in Opened.paths if os.path.realpath(p) == os.path.realpath(target)], Opened.paths
    return message


@pytest.mark.parametrize("name", ["../outside.txt", "../../outside.txt", "ABSOLUTE", "sub/../../outside.txt"])
def test_a_path_outside_the_folder_is_refused_before_it_is_opened(corpus, name):
    outside = corpus.parent / "outside.txt"
    outside.write_bytes((corpus / AGENDA).read_bytes())
    name = str(outside) if name == "ABSOLUTE" else name
    rename_entry(corpus, AGENDA, name)
    message = refused_unopened(corpus, outside)
    assert "outside the corpus folder" in message and "manifest.toml:" in message


@pytest.mark.parametrize("target", ["outside", "/etc/passwd"])
def test_a_symlink_out_of_the_folder_is_refused_before_it_is_opened(corpus, target):
    outside = corpus.parent / "outside.txt"
    outside.write_bytes((corpus / AGENDA).read_bytes())
    real = outside if target == "outside" else target
    (corpus / "link.txt").symlink_to(real)
    rename_entry(corpus, AGENDA, "link.txt")
    message = refused_unopened(corpus, real)
    assert "symbolic link" in message and "outside the corpus folder" in message


def test_a_symlink_inside_the_folder_is_read(corpus):
    (corpus / "texts").mkdir()
    (corpus / AGENDA).rename(corpus / "texts" / AGENDA)
    (corpus / "link.txt").symlink_to(corpus / "texts" / AGENDA)
    rename_entry(corpus, AGENDA, "link.txt")
    assert any(s.file == "link.txt" for s in read_corpus(corpus))


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_what_is_not_a_regular_file_is_refused(corpus, kind):
    odd = corpus / "odd.txt"
    odd.mkdir() if kind == "folder" else os.mkfifo(odd)  # a FIFO, if opened, would block the build
    rename_entry(corpus, AGENDA, "odd.txt")
    assert "not a regular file" in refused_unopened(corpus, odd)


def test_duplicate_identifiers_are_refused(corpus):
    manifest = corpus / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    first = re.findall(r'identifier = "([^"]+)"', text)
    manifest.write_text(text.replace(f'identifier = "{first[1]}"', f'identifier = "{first[0]}"'), encoding="utf-8")
    message = failure(corpus)
    assert f"identifier {first[0]!r} is listed twice" in message and "manifest.toml:" in message
