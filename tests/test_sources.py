"""read_corpus on bad input: every failure is a TipkgError naming the file (and line) and the cause."""

from __future__ import annotations

import hashlib
import re
import shutil

import pytest

from tipkg.errors import TipkgError
from tipkg.sources import default_corpus_dir, read_corpus

AGENDA = "001_799863f35f69a5cc.txt"
ARABIC = "جدول الأعمال المؤقت وشروحه\nالمسائل التنظيمية\n" * 20


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(default_corpus_dir(), folder, ignore=shutil.ignore_patterns("__*"))
    return folder


def manifest_line(corpus, needle: str) -> int:
    lines = (corpus / "manifest.toml").read_text(encoding="utf-8").splitlines()
    return next(i for i, l in enumerate(lines, 1) if needle in l)


def replace_agenda(corpus, data: bytes) -> None:
    """Write ``data`` as the agenda file and give the manifest its true checksum."""
    old = hashlib.sha256((corpus / AGENDA).read_bytes()).hexdigest()
    (corpus / AGENDA).write_bytes(data)
    manifest = corpus / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(old, hashlib.sha256(data).hexdigest()),
                        encoding="utf-8")


def failure(corpus) -> str:
    with pytest.raises(TipkgError) as info:
        read_corpus(corpus)
    return str(info.value)


def test_the_copied_corpus_reads(corpus):
    assert [s.kind for s in read_corpus(corpus)] == ["draft-decision", "agenda", "cop-decision", "compendium",
                                                    "ga-resolution"]


def test_missing_file(corpus):
    (corpus / AGENDA).unlink()
    message = failure(corpus)
    assert message.startswith(str(corpus / AGENDA)) and "does not exist" in message
    entry = manifest_line(corpus, AGENDA) - 1  # the agenda's [[source]] header
    assert f"line {entry}" in message


def test_checksum_mismatch(corpus):
    (corpus / AGENDA).write_bytes((corpus / AGENDA).read_bytes() + "\nزيادة".encode())
    message = failure(corpus)
    assert message.startswith(str(corpus / AGENDA)) and "checksum mismatch" in message
    assert "a867be69cc518d38a524755c4ead11dcd4e722974b9c458021f8645886ced3fd" in message


def test_windows_1256_file_is_named(corpus):
    replace_agenda(corpus, ("Distr.: General\n" + ARABIC).encode("cp1256"))
    message = failure(corpus)
    assert message.startswith(f"{corpus / AGENDA}:2:")  # the first non-UTF-8 byte is on line 2
    assert "WINDOWS-1256" in message and "iconv" in message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file_is_named(corpus, encoding):
    replace_agenda(corpus, ARABIC.encode(encoding))
    message = failure(corpus)
    assert message.startswith(str(corpus / AGENDA)) and "UTF-16" in message


@pytest.mark.parametrize("content", [b"", b" \n\n\t\n"])
def test_empty_file(corpus, content):
    replace_agenda(corpus, content)
    message = failure(corpus)
    assert message.startswith(str(corpus / AGENDA)) and "empty" in message


def test_bad_toml_gives_the_line(corpus):
    manifest = corpus / "manifest.toml"
    text = manifest.read_text(encoding="utf-8").replace('kind = "agenda"', 'kind = agenda')
    manifest.write_text(text, encoding="utf-8")
    line = manifest_line(corpus, "kind = agenda")
    message = failure(corpus)
    assert message.startswith(f"{manifest}:{line}:") and "not valid TOML" in message


def test_unknown_kind(corpus):
    manifest = corpus / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('kind = "agenda"', 'kind = "minutes"'),
                        encoding="utf-8")
    message = failure(corpus)
    entry = manifest_line(corpus, AGENDA) - 1
    assert message.startswith(f"{manifest}:{entry}:") and "unknown kind 'minutes'" in message


def test_entry_lines_allow_a_comment_on_the_header(corpus):
    manifest = corpus / "manifest.toml"
    text = manifest.read_text(encoding="utf-8").replace("[[source]]", "[[source]]  # one file")
    manifest.write_text(text.replace('kind = "agenda"', 'kind = "minutes"'), encoding="utf-8")
    assert failure(corpus).startswith(f"{manifest}:{manifest_line(corpus, AGENDA) - 1}:")


def test_missing_and_unquoted_keys(corpus):
    manifest = corpus / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('date = "2009-12-10"', "date = 2009-12-10"), encoding="utf-8")
    assert re.search(r"manifest\.toml:\d+: .*date must be quoted strings", failure(corpus))
    manifest.write_text(text.replace('date = "2009-12-10"\n', ""), encoding="utf-8")
    assert re.search(r"manifest\.toml:\d+: \[\[source\]\] entry lacks date", failure(corpus))


def test_no_manifest(tmp_path):
    message = failure(tmp_path)
    assert message.startswith(str(tmp_path / "manifest.toml")) and "no manifest.toml" in message


@pytest.mark.parametrize("wrong, reason", [
    ("ctoc/cop/wg.4/2010/1", "starts upper-case"),            # not the canonical spelling
    ("CTOC/COP/WG.4/2010/1 ", "single spaces"),                # a trailing space
    ("CTOC/COP/WG.4/2010/1 para 1", "kind Paragraph"),      # a paragraph, not a document
    ("TIPP", "kind Instrument"),                             # an instrument code
])
def test_manifest_identifier_outside_the_grammar(corpus, wrong, reason):
    manifest = corpus / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('identifier = "CTOC/COP/WG.4/2010/1"', f'identifier = "{wrong}"'), encoding="utf-8")
    message = failure(corpus)
    assert message.startswith(str(manifest)) and repr(wrong) in message and reason in message
    entry = manifest_line(corpus, AGENDA) - 1
    assert f"manifest.toml:{entry}:" in message and "ontology/identifiers.md" in message
