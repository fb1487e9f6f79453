"""The word model the reading-order repair reads, shipped as data (tipkg/tables/reading_model.toml).

A visual-order source is repaired with the word model of the bundled corpus's
logical-order sources, kept as a table, and its own words
(``reading_model.source_model``), not with a model learned from the corpus
being built: so its reading does not change when another source is edited or
added, and an edited source recomputes its own graph part only. The table
must be exactly what the bundled corpus gives (it cannot drift), and the build
must repair the bundled corpus as the model learned from the whole corpus does
(graph.nt did not change when the model became a table).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tipkg.normalize import is_visual_source
from tipkg.reading_model import corpus_model, logical_share, shipped_share, source_model, write_model
from tipkg.reading_order import repair, repaired_texts
from tipkg.tables import load
from tipkg.pipeline import build

from replicas import replicated
from test_delta import assert_same_outputs

ROOT = Path(__file__).resolve().parent.parent


def test_the_shipped_model_is_what_the_bundled_corpus_gives(structured, tmp_path):
    """Its counts and words are those of the logical-order sources of the bundled corpus, listed by
    file and sha256; rewritten from the corpus (``--model``) the table is the same bytes."""
    summed, files = logical_share(structured)
    assert shipped_share()[:3] == summed[:3]
    assert [(s["file"], s["sha256"]) for s in load("reading_model")["sources"]] == files
    assert [f for f, _ in files] == [i.source.file for i in structured if not is_visual_source(i.source.text)]
    assert len(summed[0]) > 3000 and len(summed[1]) > 8000
    table = ROOT / "tipkg" / "tables" / "reading_model.toml"
    copy = tmp_path / "reading_model.toml"
    shutil.copy(table, copy)
    write_model(summed, files, copy)
    assert copy.read_bytes() == table.read_bytes()


def test_the_build_repairs_the_bundled_corpus_as_the_whole_corpus_model_does(structured):
    """Every paragraph of 000 and 004: the shipped model and the source's own words give the text the
    model learned from all five sources gives (000 reads none of 004's stretched words, nor 004 000's)."""
    whole = corpus_model(structured)
    visual = [i for i in structured if is_visual_source(i.source.text)]
    assert len(visual) == 2
    expected = {(i.source.file, p.identifier): repair(i.source.text[p.span.start:p.span.end], whole)
                for i in visual for d in i.documents for p in d.paragraphs}
    assert repaired_texts(structured) == expected and len(expected) > 50
    own = source_model(visual[1].source.text)
    assert own.stretched and own.stretched <= whole.stretched and own.total == whole.total


def test_a_visual_source_reads_the_same_whatever_else_the_corpus_holds(structured):
    """The product's promise: 004 read alone, or beside the whole corpus, gives the same texts."""
    ga = next(i for i in structured if i.source.file.startswith("004_"))
    assert repaired_texts([ga]) == {k: v for k, v in repaired_texts(structured).items() if k[0] == ga.source.file}


def edit_word(corpus: Path, suffix: str, old: str = " الدول ", new: str = " البلدان ") -> str:
    """Replace the last ``old`` of the last source whose file name has ``suffix``; update its sha256."""
    manifest = corpus / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    name = [line.split('"')[1] for line in text.splitlines() if line.startswith("file = ") and suffix in line][-1]
    path = corpus / name
    data = path.read_bytes()
    before = hashlib.sha256(data).hexdigest()
    at = data.rindex(old.encode())
    path.write_bytes(data[:at] + new.encode() + data[at + len(old.encode()):])
    at = text.rindex(f'file = "{name}"')
    manifest.write_text(text[:at] + text[at:].replace(before, hashlib.sha256(path.read_bytes()).hexdigest(), 1),
                        encoding="utf-8")
    return name


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    """The bundled corpus ×3 (benchmarks/replicate.py), built cold into OUT with a cache: each part
    computed once, in its extraction task (the visual sources' too; the compendium copies 1 and 2
    guess that copy 0 prints the corpus's first index — before, their parts were computed again)."""
    folder = tmp_path_factory.mktemp("x3")
    corpus = replicated(3, folder / "corpus")
    result = build(corpus, folder / "out", cache=folder / "cache", jobs=2)
    assert result.parts == 15 and result.validation.conforms
    assert len(list((folder / "cache" / "parts").glob("??/*.part"))) == 15
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("suffix", ["_002_", "_004_"], ids=["logical", "visual"])
def test_one_edited_word_at_x3_recomputes_that_sources_part_only(three, tmp_path, monkeypatch, suffix):
    """Regression (×100: 200 visual parts, 20 s of a 103 s rebuild): a word of the last CTOC/COP
    resolution 002 (a logical-order source: the counts a corpus-learned model reads change) or of
    the last GA 61/180 (visual) edited in a ×3 corpus: the rebuild computes that source's part only,
    and its OUT is the OUT of a --no-cache build of the edited corpus, file for file."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # void.ttl's date, the same in both builds
    for name in ("corpus", "out", "cache"):
        shutil.copytree(three / name, tmp_path / name, symlinks=True)
    edited = edit_word(tmp_path / "corpus", suffix)
    assert edited.startswith("r2_")
    parts_before = set((tmp_path / "cache" / "parts").glob("??/*.part"))
    result = build(tmp_path / "corpus", tmp_path / "out", cache=tmp_path / "cache", jobs=2)
    assert (result.extracted, result.parts) == (1, 1)
    assert len(set((tmp_path / "cache" / "parts").glob("??/*.part")) - parts_before) == 1
    assert "البلدان" in (tmp_path / "out" / "graph.nt").read_text(encoding="utf-8")
    build(tmp_path / "corpus", tmp_path / "cold", cache=None, jobs=2)
    assert_same_outputs(tmp_path / "out", tmp_path / "cold")


def test_the_line_scorer_gives_the_scores_pair_gives(structured):
    """``Model.scorer`` (what ``order_line`` reads, each piece's lookups made once per line) gives, for
    every ordered pair of pieces of every line of 000 and 004, the very float ``Model.pair`` gives —
    joins, word pairs the model never met, clipped scores and all; and so does each column its
    ``after`` makes in one loop (piece j read after each later piece)."""
    from tipkg.reading_order import atoms

    seen = {"join": 0, "zero": 0, "other": 0}
    for item in (i for i in structured if is_visual_source(i.source.text)):
        model = source_model(item.source.text)
        for line in item.source.text.split("\n"):
            text = [p for p, _ in atoms(line, model)] if line.strip() else []
            score = model.scorer(text)
            for i in range(len(text)):
                for j in range(len(text)):
                    want = model.pair(text[i], text[j])
                    assert score(i, j) == want and str(score(i, j)) == str(want), (line, text[i], text[j])
                    seen["join" if model.joinable(text[i], text[j]) else "zero" if want == 0 else "other"] += 1
            for j in range(len(text)):
                column = score.after(j, len(text) - 1)
                want_column = [0.0] * (j + 1) + [model.pair(text[i], text[j]) for i in range(j + 1, len(text))]
                assert list(map(repr, column)) == list(map(repr, want_column)), (line, text[j])
                if j + 1 < len(text):  # a column cut short
                    assert list(map(repr, score.after(j, j + 1))) == list(map(repr, want_column[:j + 2]))
    assert min(seen.values()) > 100, seen
