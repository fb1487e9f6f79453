"""Text in reading order for the visual-order sources (seeds 000 and 004).

How these two PDFs were extracted (read off their lines against the adopted
4/4 in the compendium, which is in logical order): a printed line was written
as a few *chunks* — pieces of text in reading order, cut where the font changes
(the italic verb), where a number or mark sits in the Arabic (a bidi run), and
wherever the justification moved a piece — and the extraction wrote the chunks
of a line last-to-first. A chunk may end in the middle of a word; its rest
then starts the chunk that comes next in reading order, which the extraction
wrote just before it, so the pieces are glued to a neighbour or stand alone:

    raw   "من اتفاقية الأمم المتحدة لمكافحة ٣٢دت إليه في المادة المهام التي أُسنإذ يستذكر"
    read  [إذ يستذكر] [المهام التي أُسن][دت إليه في المادة] [٣٢] [من اتفاقية … لمكافحة]

In the lines justified with tatweel (most of 004) a stretched word is cut at the
stretch into a head ("تـ") and a tail ("ــشير"); the k-th head of a line goes
with its k-th tail.

``repair`` undoes this, line by line: it joins the tatweel heads and tails,
splits a glued token where a chunk boundary explains it ("أُسنإذ" → "أُسن" +
"إذ": one part a word, the other a piece that makes a word with another token of
the line), then chooses the chunk boundaries: reading the chunks in reverse,
the order that a word-pair model of the logical-order sources (001–003) likes
best, where a boundary at a wide gap costs nothing, one at a single space
costs ``space`` unless a piece of a word stands beside it (``piece``), a glued
split or a number is always one, and two pieces that meet and make a word
(``join``) are one word. The weights are in ``[reading_order]`` of
tables/normalization.toml; the build's word model is the bundled corpus's, shipped
as tables/reading_model.toml, with the source's own words (``source_model``), so a
source reads the same in any corpus. ``tip:text`` keeps the extraction; only the
paragraph's normalized text (hence its Arabic label and search text) is
repaired. The model and where its words come from are in reading_model.py;
``python -m tipkg.reading_order`` measures (tipkg/reading_measure.py) and remakes
the model's tables.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable
from operator import add
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .normalize import is_visual_source, normalize, search_form
from .reading_measure import (corpus_lexicon, fragment_rate, fragments, gold_report, lexicon,  # noqa: F401
                              order_agreement, report, words)
from .reading_model import (LETTER, MARK_GLUE, Model, corpus_model, dictionary_words, logical_share, reading_table,
                            source_model, spelling_words, token_key, write_model, write_spelling)

# --- one line -------------------------------------------------------------------------

def tatweel_pairs(pieces: list[tuple[str, str]], model: Model) -> list[tuple[int, int]]:
    """(head, tail) indexes of the words a tatweel stretch cut in a line, from its pieces
    (normalized text, kind): the tails are the pieces that began with a tatweel ("ــضا"),
    the heads those that ended with one ("أيـ") or, where the stretch left no tatweel on the
    head, any other piece that makes a word with the tail ("لملاحق" "ــة"). Heads pair with
    tails in the same order (the k-th head of a line with its k-th tail: "ــضا ــشير أيـ
    ــرار وإذ تـ" pairs أيـ+ــضا, تـ+ــشير), choosing the heads that mark themselves first."""
    tails = [i for i, (_, kind) in enumerate(pieces) if kind == "tail"]
    heads = [i for i, (text, kind) in enumerate(pieces) if kind != "tail" and LETTER.search(text)]
    if not tails:
        return []
    weight = {"head": 4, "plain": 0}

    def gain(h: int, t: int) -> int:                # a tatweel marks a head even if the word is new
        kh, kt = token_key(pieces[h][0]), token_key(pieces[t][0])
        known = bool(kh and kt) and (kh + kt) in model.vocabulary
        if not known and pieces[h][1] != "head":
            return 0
        return weight[pieces[h][1]] + (2 if known else 0) + (0 if model.word(kh) else 1)
    # best[k][j]: the best pairing of the first k tails with heads among the first j candidates
    n, m = len(tails), len(heads)
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for k in range(1, n + 1):
        for j in range(1, m + 1):
            g = gain(heads[j - 1], tails[k - 1])
            best[k][j] = max(best[k - 1][j], best[k][j - 1], best[k - 1][j - 1] + g if g else 0)
    out, k, j = [], n, m
    while k and j:
        g = gain(heads[j - 1], tails[k - 1])
        if g and best[k][j] == best[k - 1][j - 1] + g:
            out.append((heads[j - 1], tails[k - 1]))
            k, j = k - 1, j - 1
        elif best[k][j] == best[k - 1][j]:
            k -= 1
        else:
            j -= 1
    return out[::-1]


def split_glued(token: str, others: Iterable[str], model: Model) -> list[str]:
    """A token that is no word, split where two chunks were glued, in this order of preference:
    into two words ("يستذكروإذ"), into two pieces of one word written back to front
    ("ةالجريم"), into a word and a piece that makes a word with another piece of the line
    (``others``: "أُسنإذ" → "أُسن" + "إذ", "دت" being on the line), into two words of the
    spelling dictionary ("ولايعوق"). A token the dictionary knows stays whole ("قراراتها")."""
    k = token_key(token)
    if not k or model.word(k) or len(k) < 3 or model.spelt(token):
        return [token]

    proclitics, enclitics = _clitics()

    def completes(piece: str) -> bool:                # with another piece of the line, not a whole word
        return any((piece + o) in model.vocabulary or (o + piece) in model.vocabulary
                   for o in others if not model.word(o))
    best, best_score = [token], 0
    for j in range(1, len(token)):
        if unicodedata.combining(token[j]):           # a shadda stays on its letter ("يؤدّأن")
            continue
        a, b = token[:j], token[j:]
        ka, kb = token_key(a), token_key(b)
        if not ka or not kb or (ka in proclitics and model.word(kb)) or (kb in enclitics and model.word(ka)):
            continue                                   # "بتقارير", "قراراتها": a word with its clitic
        if model.word(ka) and model.word(kb):
            score = 100 + len(ka) + len(kb)
        elif (kb + ka) in model.vocabulary:
            score = 80 + len(ka) + len(kb)
        elif model.word(ka) and completes(kb):
            score = 70 + len(ka)
        elif model.word(kb) and completes(ka):
            score = 70 + len(kb)
        elif model.spelt(a) and model.spelt(b) and min(len(ka), len(kb)) >= 3:
            score = 60 + len(ka) + len(kb)             # "ولا|يعوق", "خطيرا|يزال": two words of the dictionary
        else:
            continue
        if score > best_score:
            best, best_score = [a, b], score
    return best


@lru_cache(maxsize=None)
def _clitics() -> tuple[frozenset[str], frozenset[str]]:
    """The search forms of ``[reading_order]``'s proclitics and enclitics, made once (``split_glued`` reads
    them for every token that is no word)."""
    t = reading_table()
    return frozenset(map(search_form, t["proclitics"])), frozenset(map(search_form, t["enclitics"]))


def atoms(line: str, model: Model) -> list[tuple[str, str]]:
    """The normalized pieces of a raw line in extraction order, each with the boundary that
    follows it: "gap" (two spaces or more), "space", "cut" (a boundary there is certain: a
    glued split, a number or mark beside a word) or "end"; the words a tatweel cut are
    joined again (``tatweel_pairs``), at the place of their head."""
    found = list(re.finditer(r"\S+", line))
    pieces: list[list] = []          # [text, boundary after, kind]
    for i, m in enumerate(found):
        boundary = "end" if i + 1 == len(found) else "gap" if found[i + 1].start() - m.end() >= 2 else "space"
        if parts := _pieces(m.group()):            # none: a token normalizing leaves nothing of
            pieces += [[p, "cut", kind] for p, kind in parts]
            pieces[-1][1] = boundary
    keys = [token_key(p[0]) for p in pieces]
    split: list[list] = []
    for i, (p, boundary, kind) in enumerate(pieces):
        parts = [p] if kind != "plain" else split_glued(p, _Others(keys, i), model)
        split += [[q, "cut", kind if k == 0 or kind != "tail" else "plain"] for k, q in enumerate(parts)]
        split[-1][1] = boundary
    dropped = set()
    for h, t in tatweel_pairs([(p[0], p[2]) for p in split], model):
        split[h][0] = _glue(split[h][0], split[t][0])
        dropped.add(t)
    out: list[list[str]] = []        # numbers and marks next to each other make one piece
    for i, (p, boundary, _) in enumerate(split):
        if i in dropped:
            if out and boundary != "cut":
                out[-1][1] = boundary if out[-1][1] == "cut" else out[-1][1]
            continue
        if out and not LETTER.search(p) and not LETTER.search(out[-1][0]) and out[-1][1] != "cut":
            out[-1] = [out[-1][0] + " " + p, boundary]
        else:
            out.append([p, boundary])
    for i in range(len(out) - 1):    # a number is a run of its own
        if (not LETTER.search(out[i][0]) or not LETTER.search(out[i + 1][0])) and out[i][1] == "space":
            out[i][1] = "cut"
    return [(p, b) for p, b in out]


@lru_cache(maxsize=1 << 16)
def _pieces(token: str) -> tuple[tuple[str, str], ...]:
    """A raw token's normalized pieces (a mark glued between two words parts them: ``MARK_GLUE``), each
    with its kind: "tail" (the first, if the token began with a tatweel), "head" (the last, if it ended
    with one), else "plain" — a token stretched with a tatweel inside is a whole word, all plain. Kept,
    as a source's lines repeat most of their tokens (a quarter of ``atoms``' time was these, token by token)."""
    tatweel, marks = reading_table()["tatweel"], reading_table()["punctuation"]
    core = token.strip(marks)
    stretched = tatweel in core.strip(tatweel)             # a tatweel inside: a whole word
    parts = [p for w in normalize(token).text.split(" ") for p in MARK_GLUE.split(w) if p]
    return tuple((p, "tail" if k == 0 and core.startswith(tatweel) and not stretched else
                  "head" if k == len(parts) - 1 and core.endswith(tatweel) and not stretched else "plain")
                 for k, p in enumerate(parts))


class _Others:
    """The keys of a line's other pieces (not the ``i``-th, none empty), read only if ``split_glued`` gets to
    ``completes`` (a token that is no word): a list of them made for every piece made the line's atoms
    quadratic in its pieces."""

    def __init__(self, keys: list[str], i: int):
        self.keys, self.i = keys, i

    def __iter__(self):
        return (k for j, k in enumerate(self.keys) if j != self.i and k)


def order_line(pieces: list[tuple[str, str]], model: Model) -> list[str]:
    """The pieces of a line in reading order: among the ways to cut the line into chunks
    and read them last to first, the one with the best score (word pairs and joins minus
    the cost of the boundaries, ``[reading_order]``).

    The search is cubic in the pieces (every chunk s..e against every chunk read before it), and
    it was an eighth of a source's extraction. A chunk may not cross a certain boundary, so the
    chunks that start at a piece end at each piece from the next certain boundary (``run``) back to
    it: their scores are a list in that order (``scores``), and the scores of reading piece s after
    each of their ends a slice of one column (``LineScores.after``, made once per piece). Its
    innermost step maps ``add`` over the two. Ties go as ``max`` of (score, chunk) broke them: to
    the longest chunk."""
    t = reading_table()
    n = len(pieces)
    if n < 2 or n > int(t["longest_line"]):
        return [p for p, _ in pieces]
    text = [p for p, _ in pieces]
    is_piece = [bool(k) and not model.whole(k) for k in map(token_key, text)]
    run = [n - 1] * n                              # [s]: the last piece a chunk from s may end with
    for i in range(n - 2, -1, -1):
        run[i] = i if pieces[i][1] == "cut" else run[i + 1]
    pair = model.scorer(text)                      # model.pair(text[i], text[j]) as pair(i, j)
    # [s][i]: the score of piece s read right after piece i > s, up to the last end a chunk read before s has
    after = [pair.after(s, run[min(run[s], n - 2) + 1]) for s in range(n - 1)]
    inner = [0.0]
    for i in range(n - 1):
        inner.append(inner[-1] + pair(i, i + 1))
    gap, space, piece = float(t["gap"]), float(t["space"]), float(t["piece"])

    def cost(i: int) -> float:                     # a boundary between pieces i-1 and i
        kind = pieces[i - 1][1]
        if kind == "cut":
            return 0.0
        c = gap if kind == "gap" else space
        return min(c, piece) if is_piece[i - 1] or is_piece[i] else c

    # scores[s][k]: the line read from its end down to chunk s..run[s]-k, which is read last so far;
    # read[s][k]: the end of the chunk read before that chunk (it starts where that one ends), -1: none
    scores: list[list[float]] = [[inner[n - 1] - inner[s]] if run[s] == n - 1 else [] for s in range(n)]
    read: list[list[int]] = [[-1] if run[s] == n - 1 else [] for s in range(n)]
    for e in range(n - 2, -1, -1):
        before, last = scores[e + 1], run[e + 1]   # the chunks read before: e+1..last, e+1..last-1, …
        boundary, at = cost(e + 1), inner[e]
        s = e
        while s >= 0 and run[s] >= e:
            totals = list(map(add, before, after[s][last:e:-1]))
            top = max(totals)
            k = totals.index(top)                  # ties: the first, the longest chunk (as max of (score, key))
            scores[s].append(top + (at - inner[s]) - boundary)
            read[s].append(last - k)
            s -= 1
    # the best reading of the whole line: of the chunks that start it, the first best in the order made
    top = max(scores[0])
    s, e = 0, run[0] - scores[0].index(top)
    chunks = []                                    # collected from the last read to the first
    while e >= 0:
        chunks.append(text[s:e + 1])
        s, e = e + 1, read[s][run[s] - e]
    return [p for c in reversed(chunks) for p in c]


def _glue(x: str, y: str) -> str:
    """Two pieces made one word; a mark before the second piece goes after the word ("يؤدّ" ":ي")."""
    marks = reading_table()["punctuation"]
    rest = y.lstrip(marks)
    return x + rest + y[:len(y) - len(rest)]


def join_pieces(tokens: list[str], model: Model) -> list[str]:
    """Neighbours that are pieces of one word made one ("ت" "سلم" → "تسلم", "ب" "الج" "هود"
    → "بالجهود"); then a piece that is still alone joins the nearest other lone piece
    (within ``reach`` tokens) with which it makes a word of ``shortest`` letters or more —
    only pieces, so a whole word is never taken ("ت" + "بين"). (Each token's key is kept beside
    it, and the search for a partner is plain loops over the lone pieces: with ``Model.joinable``
    asked of each pair and a generator made per distance, it took two thirds more time.)"""
    out: list[str] = []
    keys: list[str] = []
    vocabulary, word = model.vocabulary, model.word
    for token in tokens:
        out.append(token)
        keys.append(token_key(token))
        while len(out) >= 2 and model.joins(keys[-2], keys[-1]):
            out[-2:] = [glued := _glue(out[-2], out[-1])]
            keys[-2:] = [token_key(glued)]
    reach, shortest = int(reading_table()["reach"]), int(reading_table()["shortest"])
    alone = [bool(k) and not word(k) for k in keys]
    removed = [False] * len(out)
    for i in [i for i, lone in enumerate(alone) if lone]:
        if removed[i] or not alone[i]:
            continue
        hit = None
        for d in range(2, reach + 1):
            for j in (i + d, i - d):                 # at each distance, the later piece first
                if not (0 <= j < len(out) and alone[j] and not removed[j]):
                    continue
                if len(keys[i]) + len(keys[j]) >= shortest:
                    f, g = min(i, j), max(i, j)  # in the order read, then the other way
                    hit = (f, g) if keys[f] + keys[g] in vocabulary else (g, f) if keys[g] + keys[f] in vocabulary \
                        else None
                if hit:
                    break
            if hit:
                break
        if hit:
            f, g = hit
            keep, drop = min(f, g), max(f, g)
            out[keep], keys[keep], alone[keep] = _glue(out[f], out[g]), keys[f] + keys[g], False
            removed[drop] = True
    return [t for i, t in enumerate(out) if not removed[i]]


def repair(raw: str, model: Model) -> str:
    """A paragraph's working text in reading order, from its raw visual-order text.

    Not kept per paragraph: in a real corpus a visual source's model meets each of its paragraphs once;
    only the ×N benchmark's copies repeat them, and a repair kept for them would make the benchmark say
    less about a corpus of distinct documents (×10, in one process: 0.72 CPU s against 0.12)."""
    tokens: list[str] = []
    for line in raw.split("\n"):
        if line.strip():
            tokens += order_line(atoms(line, model), model)
    return " ".join(join_pieces(tokens, model))


def repaired_of(item) -> dict[tuple[str, str], str]:
    """(source file, paragraph) -> the repaired working text, for one visual source (``source_model``)."""
    model, text = source_model(item.source.text), item.source.text
    return {(item.source.file, p.identifier): repair(text[p.span.start:p.span.end], model)
            for d in item.documents for p in d.paragraphs}


def repaired_texts(structured, *, held_out: bool = False) -> dict[tuple[str, str], str]:
    """(source file, paragraph) -> the repaired working text, for the visual sources: as the build
    repairs them (``source_model``), or ``held_out``: with the corpus's model without adopted 4/4."""
    structured = list(structured)
    if not held_out:
        return {k: v for item in structured if is_visual_source(item.source.text) for k, v in repaired_of(item).items()}
    model = corpus_model(structured, held_out=True)
    return {(item.source.file, p.identifier): repair(item.source.text[p.span.start:p.span.end], model)
            for item in structured if is_visual_source(item.source.text)
            for d in item.documents for p in d.paragraphs}


def main(argv: list[str] | None = None) -> int:
    """``python -m tipkg.reading_order``: the measures before and after the repair;
    ``--spelling [--corpus DIR]`` adds the dictionary's verdicts on that corpus's visual sources to
    ``tables/spelling.toml`` (in this checkout; needs hunspell); ``--model [--corpus DIR]`` rewrites
    ``tables/reading_model.toml`` from that corpus's logical-order sources."""
    import argparse

    from tipkg.loaders import load_structure
    from tipkg.sources import read_corpus
    parser = argparse.ArgumentParser(prog="python -m tipkg.reading_order")
    parser.add_argument("--spelling", action="store_true", help="update tables/spelling.toml with hunspell")
    parser.add_argument("--model", action="store_true", help="rewrite tables/reading_model.toml from the corpus")
    parser.add_argument("--corpus", default=None, help="corpus folder (default: the bundled corpus)")
    args = parser.parse_args(argv)
    structured = [load_structure(s) for s in read_corpus(args.corpus)]
    if args.model:
        table = Path(str(resources.files("tipkg.tables").joinpath("reading_model.toml")))  # a checkout's file
        summed, files = logical_share(structured)
        write_model(summed, files, table)
        print(f"{table}: the words of {len(files)} logical-order sources, {len(summed[0])} words, {len(summed[1])} pairs")
        return 0
    if args.spelling:
        table = Path(str(resources.files("tipkg.tables").joinpath("spelling.toml")))  # a checkout's file
        known = spelling_words(structured)
        write_spelling(dictionary_words() | known, table)
        print(f"{table}: {len(known)} words of this corpus known to the dictionary, "
              f"{len(known - dictionary_words())} new")
        return 0
    print("== as extracted (tip:normalizedText before issue 13)")
    print("\n".join(report(structured)))
    print("\n".join(gold_report(structured, lambda line: normalize(line, visual=True).text)))
    print("== repaired, the model without adopted 4/4 (the honest order figure; 000 is held out: the weights"
          " were tuned on 004's first half)")
    print("\n".join(report(structured, repaired_texts(structured, held_out=True))))
    model = corpus_model(structured, held_out=True)
    print("\n".join(gold_report(structured, lambda line: repair(line, model))))
    print("== repaired as the build does (the model with every logical source)")
    print("\n".join(report(structured, repaired_texts(structured))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
