"""`tipkg build` end to end: outputs, determinism, the summary, and bad input."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, PROV

from tipkg.cli import main
from tipkg.graph.uris import mint
from tipkg.ontology.namespace import TIP
from tipkg.sources import default_corpus_dir


@pytest.fixture(scope="module")
def built(built_out):
    """The session build's folder (conftest.corpus_build): read only."""
    return built_out


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_outputs_written(built):
    assert (built / "graph.nt").stat().st_size > 0
    assert (built / "graph.ttl").stat().st_size > 0
    lines = (built / "graph.nt").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)


@pytest.mark.slow
def test_byte_identical_across_runs_and_summary_table(built, tmp_path, capsys):
    """A second build, through the command line, writes the same bytes and prints its summary."""
    again = tmp_path / "again"
    assert main(["build", "--out", str(again)]) == 0
    assert digest(again / "graph.nt") == digest(built / "graph.nt")
    out = capsys.readouterr().out
    assert "A/RES/61/180" in out and "triples:" in out and "time:" in out


def test_turtle_and_ntriples_hold_the_same_graph(built):
    nt = Graph().parse(built / "graph.nt", format="nt")
    ttl = Graph().parse(built / "graph.ttl", format="turtle")
    assert isomorphic(nt, ttl)


def test_core_nodes(built):
    g = Graph().parse(built / "graph.nt", format="nt")
    ids = {str(o) for o in g.objects(None, DCTERMS.identifier)}
    for identifier in ("UNTOC", "TIPP", "SOMP", "UNODC-TIP-Compendium-2021", "A/RES/61/180", "CTOC/COP/DEC/3/3",
                       "CTOC/COP/DEC/4/4", "CTOC/COP/DEC/4/4 draft", "CTOC/COP/WG.4/2009/2", "CTOC/COP/WG.4/2010/1",
                       "A/RES/61/180 para 5", "CTOC/COP/WG.4/2010/1 item 1 (b)"):
        assert identifier in ids, identifier
    # decision 3/3 is one node attested by two sources
    three = mint("CTOC/COP/DEC/3/3")
    assert {str(s).rsplit("/", 1)[-1] for s in g.objects(three, PROV.wasDerivedFrom)} == {
        "002_62009398838004c9.txt",
        "003_b6c4df457a9ee32e.txt"}
    # the draft of 4/4 and the adopted 4/4 are two nodes, linked
    assert (mint("CTOC/COP/DEC/4/4 draft"), TIP.adoptedAs, mint("CTOC/COP/DEC/4/4")) in g
    # every node with an identifier has exactly one
    for node in set(g.subjects(DCTERMS.identifier, None)):
        assert len(list(g.objects(node, DCTERMS.identifier))) == 1, node


def test_summary_table(build_result, built):
    from tipkg.commands.build import summary

    out = summary(build_result, str(built))
    assert "A/RES/61/180" in out and "triples:" in out and "time:" in out
    assert f"triples: {sum(1 for _ in (built / 'graph.nt').open(encoding='utf-8'))}" in out
    assert "validation: conforms:" in out
    assert len(build_result.documents) == 17 and "more documents" not in out  # every document listed


def test_the_summary_of_a_large_corpus_counts_the_documents_it_does_not_list(build_result, built, monkeypatch):
    """×100 the table had 1,700 lines (×1000 17,000), in the terminal and a scheduled rebuild's log: past
    ``LISTED_DOCUMENTS`` the rest are counted and the query listing them all is named. The corpus's 17 documents
    with 10 listed; the totals are still every document's."""
    from tipkg.commands import build as command

    monkeypatch.setattr(command, "LISTED_DOCUMENTS", 10)
    out = command.summary(build_result, str(built)).splitlines()
    rows = out[2:out.index(next(line for line in out if line.startswith("…")))]
    assert [row.rsplit(maxsplit=1)[0] for row in rows] == list(build_result.documents)[:10]
    assert f"… and 7 more documents: tipkg query documents-overview --out {built} lists them all" in out
    from tipkg.queries.catalog import catalog

    assert command.ALL_DOCUMENTS_QUERY in catalog()  # the query named is one `tipkg query` runs
    total = sum(build_result.documents.values())
    assert any(line.startswith("documents: 17") and line.endswith(f" {total}") for line in out)


@pytest.mark.slow
def test_console_script_runs(tmp_path):
    """The installed ``tipkg`` command (not ``python -m``) builds and writes every output.

    (In a developer's worktree the installed command may run another checkout's code,
    so the graph is checked for what every version holds, not compared byte for byte.)"""
    script = Path(sys.executable).with_name("tipkg")
    command = [str(script)] if script.exists() else [shutil.which("tipkg") or "tipkg"]
    result = subprocess.run([*command, "build", "--out", str(tmp_path / "o"), "--quiet"],
                            capture_output=True, text=True, timeout=900)  # a guard against a hang, not a speed test
    assert result.returncode == 0, result.stderr
    out = tmp_path / "o"
    assert {"graph.nt", "graph.ttl", "graph.jsonld", "graph.trig", "void.ttl", "store"} <= {p.name for p in out.iterdir()}
    assert b'"A/RES/61/180 para 1"' in (out / "graph.nt").read_bytes()


def _broken_corpus(tmp_path: Path, how: str) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(default_corpus_dir(), corpus, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    target = corpus / "004_e1b135029fdaca29.txt"
    if how == "missing":
        target.unlink()
    elif how == "checksum":
        target.write_text(target.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    elif how == "cp1256":
        target.write_bytes(target.read_text(encoding="utf-8").replace("ـ", "").encode("cp1256", errors="replace"))
    elif how == "empty":
        target.write_bytes(b"")
    return corpus


@pytest.mark.parametrize("how, words", [("missing", "does not exist"), ("checksum", "checksum mismatch"),
                                         ("cp1256", "WINDOWS-1256"), ("empty", "empty")])
def test_bad_input_leaves_previous_output_untouched(built, tmp_path, capsys, how, words):
    out = tmp_path / "out"
    shutil.copytree(built, out)
    before = {p.name: digest(p) for p in out.iterdir() if p.is_file()}
    code = main(["build", "--corpus", str(_broken_corpus(tmp_path, how)), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code != 0
    assert "004_e1b135029fdaca29.txt" in err and words in err
    assert len(err.strip().splitlines()) == 1
    assert {p.name: digest(p) for p in out.iterdir() if p.is_file()} == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]


def test_no_partial_output_on_failure(tmp_path, capsys):
    out = tmp_path / "fresh"
    code = main(["build", "--corpus", str(_broken_corpus(tmp_path, "checksum")), "--out", str(out), "--quiet"])
    assert code != 0 and not out.exists()


def test_labels_in_both_languages(built):
    g = Graph().parse(built / "graph.nt", format="nt")
    from rdflib import RDFS
    labels = set(g.objects(mint("A/RES/61/180"), RDFS.label))
    assert {l.language for l in labels if isinstance(l, Literal)} >= {"en", "ar"}


def test_in_document_is_the_top_of_the_part_of_chain(built):
    """tip:inDocument (the shortcut the counting queries join on) names, for every
    paragraph and footnote, the node its eli:is_part_of chain ends at."""
    from tipkg.ontology.namespace import ELI
    g = Graph().parse(built / "graph.nt", format="nt")
    assert g.value(mint("TIP-WG 1 rec 7 (b)"), TIP.inDocument) == mint("CTOC/COP/WG.4/2009/2")
    assert g.value(mint("CTOC/COP/DEC/4/4 draft para 10 (a)"), TIP.inDocument) == mint("CTOC/COP/DEC/4/4 draft")
    shortcuts = list(g.subject_objects(TIP.inDocument))
    assert len(shortcuts) >= 541  # every paragraph read, and the footnotes
    for node, document in shortcuts:
        top = node
        while (parent := g.value(top, ELI.is_part_of)) is not None:
            top = parent
        assert top == document, node


def test_no_alternative_label_repeats_the_preferred_one(built):
    """Decision 3/3 is read from two sources that give it the same Arabic title: one
    skos:prefLabel, no altLabel repeating it (regression: 8 such duplicates)."""
    from rdflib.namespace import SKOS
    g = Graph().parse(built / "graph.nt", format="nt")
    assert len(list(g.objects(mint("CTOC/COP/DEC/3/3"), SKOS.prefLabel))) >= 1
    assert not [(s, o) for s, o in g.subject_objects(SKOS.altLabel) if (s, SKOS.prefLabel, o) in g]


def test_lean_outputs_write_the_same_files(built, tmp_path, monkeypatch):
    """``$TIPKG_LEAN=1``: the store loaded and the outputs' children (validation, the precomputed answers, the
    dumps) forked by the lean server, as a large build's are (``pipeline.lean_outputs``), on the bundled
    corpus: the same files as the session's build, whose children were forked from the build itself."""
    monkeypatch.setenv("TIPKG_LEAN", "1")
    monkeypatch.delenv("TIPKG_JOBS", raising=False)
    lean = tmp_path / "lean"
    assert main(["build", "--out", str(lean), "--quiet"]) == 0
    files = sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file() and "store" not in p.parts
                   and p.name != ".segments.json")
    assert files and files == sorted(p.relative_to(lean) for p in lean.rglob("*") if p.is_file()
                                     and "store" not in p.parts and p.name != ".segments.json")
    differ = [str(p) for p in files if digest(built / p) != digest(lean / p)]
    assert not differ or differ == ["void.ttl"]  # VoID says when it was made (without SOURCE_DATE_EPOCH)
    assert len(open_store_of(lean)) == len(open_store_of(built))


def open_store_of(out: Path):
    from tipkg.graph.store import open_store

    return open_store(out)
