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
repaired. ``python -m tipkg.reading_order`` measures (tipkg/reading_measure.py).
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .normalize import is_visual_source, normalize, search_form
from .reading_measure import (corpus_lexicon, fragment_rate, fragments, gold_report, lexicon,  # noqa: F401
                              order_agreement, report, words)
from .tables import load

_LETTER = re.compile(r"[\u0621-\u064a]")
#: a comma or parenthesis glued between two words, or between a word and a number, marks a chunk
#: boundary ("الوطنية،لمكافحة", "و،٢٠٠٤" of "٢٠٠٤، و…")
_MARK_GLUE = re.compile(r"(?<=[،؛])(?=[\u0621-\u064a()0-9])|(?<=[\u0621-\u064a])(?=[()]|[،؛][0-9])"
                        r"|(?<=[()])(?=[\u0621-\u064a])")


@lru_cache(maxsize=None)
def _table() -> dict:
    return load("normalization")["reading_order"]


@lru_cache(maxsize=None)
def _proclitic_letters() -> frozenset[str]:
    return frozenset(search_form(c) for c in _table()["proclitics"] if len(c) == 1)


@lru_cache(maxsize=1 << 16)
def _key(token: str) -> str:
    """A token's search form without marks ('' for a number or a mark); kept, as a line's
    reading asks for the same few tokens' keys many times."""
    return search_form(token.strip(_table()["punctuation"])) if _LETTER.search(token) else ""


@lru_cache(maxsize=1 << 16)
def _ends(token: str) -> tuple[str, str] | None:
    """A token's first and last word (``words``), None if it has none; kept, as ``_key``."""
    found = words(token)
    return (found[0], found[-1]) if found else None


class Model:
    """The words and word pairs of the logical-order sources: which pieces make a
    word, and how much better one word follows another than chance (pointwise
    mutual information, smoothed, clipped to ``[pmi_low, pmi_high]``)."""

    def __init__(self, unigrams: Counter, bigrams: Counter, vocabulary: frozenset, stretched: frozenset,
                 spelled: frozenset = frozenset()):
        self.unigrams, self.bigrams = unigrams, bigrams
        self.vocabulary, self.stretched, self.spelled = vocabulary, stretched, spelled
        self.total = sum(unigrams.values())
        t = _table()
        self.alpha, self.low, self.high = float(t["alpha"]), float(t["pmi_low"]), float(t["pmi_high"])

    @classmethod
    def of(cls, summed: "Share") -> "Model":
        """The model of the summed shares of a corpus (``share``, ``total``). The words a join
        may make: every word of the logical-order sources, and the words of the visual ones
        met stretched with a tatweel inside ("الاقتــصادي": stretched, hence whole) and at least
        twice in all — a token met once may be a stretched word glued to a piece
        ("المتجــرينت", 004 pp 11). Every stretched word counts as whole (``whole``)."""
        unigrams, pairs, logical, seen, stretched, known = summed
        joinable = frozenset(unigrams) | logical | {w for w in stretched if seen[w] >= 2}
        return cls(unigrams, pairs, joinable, stretched, known)

    def spelt(self, piece: str) -> bool:
        """A word the spelling dictionary knows (``spelled``), of two letters or more."""
        core = _spelling(piece)
        return len(core) >= 2 and core in self.spelled

    def word(self, key: str) -> bool:
        """A word of the vocabulary (a single letter is a piece, whatever an item label says)."""
        return len(key) >= 2 and key in self.vocabulary

    def proclitic(self, token: str) -> bool:
        """A single letter that is also a word's first letter on its own ("و", "ب", "ل", "ف", "ك")."""
        k = _key(token)
        return len(k) == 1 and k in _proclitic_letters()

    def whole(self, key: str) -> bool:
        """A word, or a word the visual sources print stretched (no piece to cut around)."""
        return self.word(key) or key in self.stretched

    def association(self, x: str, y: str) -> float:
        """How much the model prefers word ``y`` after word ``x`` (0: no evidence)."""
        if not self.unigrams[x] or not self.unigrams[y]:
            return 0.0
        py = (self.unigrams[y] + 0.5) / (self.total + 0.5 * len(self.vocabulary))
        pmi = math.log((self.bigrams[(x, y)] + self.alpha * py) / (self.unigrams[x] + self.alpha)) - math.log(py)
        return max(self.low, min(self.high, pmi))

    def joinable(self, x: str, y: str) -> bool:
        """Whether tokens ``x`` then ``y`` are two pieces of one word."""
        kx, ky = _key(x), _key(y)
        return bool(kx and ky) and (kx + ky) in self.vocabulary and not (self.word(kx) and self.word(ky))

    def pair(self, x: str, y: str) -> float:
        """The score of token ``y`` read right after token ``x``."""
        if self.joinable(x, y):   # a lone proclitic letter ("و", "ب") may as well stand alone: it joins weakly
            return float(_table()["join_letter" if self.proclitic(x) or self.proclitic(y) else "join"])
        wx, wy = _ends(x), _ends(y)
        return self.association(wx[1], wy[0]) if wx and wy else 0.0


# --- one line -------------------------------------------------------------------------

def tatweel_pairs(pieces: list[tuple[str, str]], model: Model) -> list[tuple[int, int]]:
    """(head, tail) indexes of the words a tatweel stretch cut in a line, from its pieces
    (normalized text, kind): the tails are the pieces that began with a tatweel ("ــضا"),
    the heads those that ended with one ("أيـ") or, where the stretch left no tatweel on the
    head, any other piece that makes a word with the tail ("لملاحق" "ــة"). Heads pair with
    tails in the same order (the k-th head of a line with its k-th tail: "ــضا ــشير أيـ
    ــرار وإذ تـ" pairs أيـ+ــضا, تـ+ــشير), choosing the heads that mark themselves first."""
    tails = [i for i, (_, kind) in enumerate(pieces) if kind == "tail"]
    heads = [i for i, (text, kind) in enumerate(pieces) if kind != "tail" and _LETTER.search(text)]
    if not tails:
        return []
    weight = {"head": 4, "plain": 0}

    def gain(h: int, t: int) -> int:                # a tatweel marks a head even if the word is new
        kh, kt = _key(pieces[h][0]), _key(pieces[t][0])
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


def split_glued(token: str, others: list[str], model: Model) -> list[str]:
    """A token that is no word, split where two chunks were glued, in this order of preference:
    into two words ("يستذكروإذ"), into two pieces of one word written back to front
    ("ةالجريم"), into a word and a piece that makes a word with another piece of the line
    (``others``: "أُسنإذ" → "أُسن" + "إذ", "دت" being on the line), into two words of the
    spelling dictionary ("ولايعوق"). A token the dictionary knows stays whole ("قراراتها")."""
    k = _key(token)
    if not k or model.word(k) or len(k) < 3 or model.spelt(token):
        return [token]

    t = _table()
    proclitics, enclitics = set(map(search_form, t["proclitics"])), set(map(search_form, t["enclitics"]))

    def completes(piece: str) -> bool:                # with another piece of the line, not a whole word
        return any((piece + o) in model.vocabulary or (o + piece) in model.vocabulary
                   for o in others if not model.word(o))
    best, best_score = [token], 0
    for j in range(1, len(token)):
        if unicodedata.combining(token[j]):           # a shadda stays on its letter ("يؤدّأن")
            continue
        a, b = token[:j], token[j:]
        ka, kb = _key(a), _key(b)
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


def atoms(line: str, model: Model) -> list[tuple[str, str]]:
    """The normalized pieces of a raw line in extraction order, each with the boundary that
    follows it: "gap" (two spaces or more), "space", "cut" (a boundary there is certain: a
    glued split, a number or mark beside a word) or "end"; the words a tatweel cut are
    joined again (``tatweel_pairs``), at the place of their head."""
    tatweel, marks = _table()["tatweel"], _table()["punctuation"]
    found = list(re.finditer(r"\S+", line))
    pieces: list[list] = []          # [text, boundary after, kind, stretched]
    for i, m in enumerate(found):
        token, core = m.group(), m.group().strip(marks)
        boundary = "end" if i + 1 == len(found) else "gap" if found[i + 1].start() - m.end() >= 2 else "space"
        stretched = tatweel in core.strip(tatweel)             # a tatweel inside: a whole word
        parts = [p for w in normalize(token).text.split(" ") for p in _MARK_GLUE.split(w) if p]
        for k, p in enumerate(parts):
            kind = ("tail" if k == 0 and core.startswith(tatweel) and not stretched else
                    "head" if k == len(parts) - 1 and core.endswith(tatweel) and not stretched else "plain")
            pieces.append([p, "cut" if k < len(parts) - 1 else boundary, kind, stretched])
    keys = [_key(p[0]) for p in pieces]
    split: list[list] = []
    for i, (p, boundary, kind, stretched) in enumerate(pieces):
        parts = [p] if kind != "plain" else split_glued(p, [k for j, k in enumerate(keys) if j != i and k], model)
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
        if out and not _LETTER.search(p) and not _LETTER.search(out[-1][0]) and out[-1][1] != "cut":
            out[-1] = [out[-1][0] + " " + p, boundary]
        else:
            out.append([p, boundary])
    for i in range(len(out) - 1):    # a number is a run of its own
        if (not _LETTER.search(out[i][0]) or not _LETTER.search(out[i + 1][0])) and out[i][1] == "space":
            out[i][1] = "cut"
    return [(p, b) for p, b in out]


def order_line(pieces: list[tuple[str, str]], model: Model) -> list[str]:
    """The pieces of a line in reading order: among the ways to cut the line into chunks
    and read them last to first, the one with the best score (word pairs and joins minus
    the cost of the boundaries, ``[reading_order]``)."""
    t = _table()
    n = len(pieces)
    if n < 2 or n > int(t["longest_line"]):
        return [p for p, _ in pieces]
    text = [p for p, _ in pieces]
    is_piece = [bool(k) and not model.whole(k) for k in map(_key, text)]
    scored: dict[tuple[int, int], float] = {}      # the DP asks for the same pair of pieces n times

    def pair(i: int, j: int) -> float:             # the score of piece j read right after piece i
        if (v := scored.get((i, j))) is None:
            v = scored[(i, j)] = model.pair(text[i], text[j])
        return v
    inner = [0.0]
    for i in range(n - 1):
        inner.append(inner[-1] + pair(i, i + 1))
    certain = [0]
    for i in range(n - 1):
        certain.append(certain[-1] + (pieces[i][1] == "cut"))

    def chunk(s: int, e: int) -> float | None:     # pieces s..e read as they stand
        return None if certain[e] - certain[s] else inner[e] - inner[s]

    def cost(i: int) -> float:                     # a boundary between pieces i-1 and i
        kind = pieces[i - 1][1]
        if kind == "cut":
            return 0.0
        c = float(t["gap"] if kind == "gap" else t["space"])
        return min(c, float(t["piece"])) if is_piece[i - 1] or is_piece[i] else c

    # best[(s, e)]: the line read from its end down to chunk s..e, which is read last so far
    best: dict[tuple[int, int], tuple[float, tuple[int, int] | None]] = {}
    starting: list[list[tuple[tuple[int, int], float]]] = [[] for _ in range(n)]  # best's keys by start
    for s in range(n):
        if (v := chunk(s, n - 1)) is not None:
            best[(s, n - 1)] = (v, None)
            starting[s].append(((s, n - 1), v))
    for e in range(n - 2, -1, -1):
        before = starting[e + 1]
        for s in range(e, -1, -1):
            if (v := chunk(s, e)) is None or not before:
                continue
            score, prev = max((sc + pair(k[1], s), k) for k, sc in before)
            best[(s, e)] = (score + v - cost(e + 1), prev)
            starting[s].append(((s, e), best[(s, e)][0]))
    key = max((k for k in best if k[0] == 0), key=lambda k: best[k][0], default=None)
    if key is None:
        return text
    chunks = []                                    # collected from the last read to the first
    while key is not None:
        chunks.append(text[key[0]:key[1] + 1])
        key = best[key][1]
    return [p for c in reversed(chunks) for p in c]


def _glue(x: str, y: str) -> str:
    """Two pieces made one word; a mark before the second piece goes after the word ("يؤدّ" ":ي")."""
    marks = _table()["punctuation"]
    rest = y.lstrip(marks)
    return x + rest + y[:len(y) - len(rest)]


def join_pieces(tokens: list[str], model: Model) -> list[str]:
    """Neighbours that are pieces of one word made one ("ت" "سلم" → "تسلم", "ب" "الج" "هود"
    → "بالجهود"); then a piece that is still alone joins the nearest other lone piece
    (within ``reach`` tokens) with which it makes a word of ``shortest`` letters or more —
    only pieces, so a whole word is never taken ("ت" + "بين")."""
    out: list[str] = []
    for token in tokens:
        out.append(token)
        while len(out) >= 2 and model.joinable(out[-2], out[-1]):
            out[-2:] = [_glue(out[-2], out[-1])]
    reach, shortest = int(_table()["reach"]), int(_table()["shortest"])
    keys = [_key(t) for t in out]
    alone = [bool(k) and not model.word(k) for k in keys]
    removed = [False] * len(out)
    for i in range(len(out)):
        if removed[i] or not alone[i]:
            continue
        for d in range(2, reach + 1):
            hit = next(((f, g) for j in (i + d, i - d) if 0 <= j < len(out) and not removed[j] and alone[j]
                        for f, g in ((min(i, j), max(i, j)), (max(i, j), min(i, j)))
                        if len(keys[f] + keys[g]) >= shortest and keys[f] + keys[g] in model.vocabulary), None)
            if hit:
                f, g = hit
                keep, drop = min(f, g), max(f, g)
                out[keep], keys[keep], alone[keep] = _glue(out[f], out[g]), keys[f] + keys[g], False
                removed[drop] = True
                break
    return [t for i, t in enumerate(out) if not removed[i]]


def repair(raw: str, model: Model) -> str:
    """A paragraph's working text in reading order, from its raw visual-order text."""
    tokens: list[str] = []
    for line in raw.split("\n"):
        if line.strip():
            tokens += order_line(atoms(line, model), model)
    return " ".join(join_pieces(tokens, model))


# --- over the corpus -------------------------------------------------------------------

#: a source's share of the model, additive over sources: word counts and word-pair counts of
#: a logical-order source's paragraphs, the words of its text (a join may make them); for a
#: visual source, how often each word is met, the words met stretched, and which of its
#: tokens and of their two-part splits the Arabic spelling dictionary knows (``Model.of``)
Share = tuple[Counter, Counter, frozenset, Counter, frozenset, frozenset]

_MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")


def _spelling(text: str) -> str:
    """A piece as the spelling dictionary is asked about it: no marks, tatweel or punctuation."""
    return _MARKS.sub("", text.strip(_table()["punctuation"]))


def spelled(candidates: Iterable[str]) -> frozenset[str]:
    """Those of ``candidates`` that the Arabic spelling dictionary knows (a word with its clitics,
    "بتقارير", "قراراتها", is a word; two words glued, "ولايعوق", are not): its verdicts are kept
    in ``tables/spelling.toml``, so the build runs no spelling checker.

    >>> sorted(spelled(["قراراتها", "ولايعوق", "ولا", "يعوق"]))
    ['قراراتها', 'ولا', 'يعوق']
    """
    return frozenset(c for c in candidates if c in _dictionary_words())


@lru_cache(maxsize=1)
def _dictionary_words() -> frozenset[str]:
    return frozenset(load("spelling")["words"])


def ask_hunspell(candidates: Iterable[str]) -> frozenset[str]:
    """Those of ``candidates`` that hunspell's Arabic dictionary (Debian ``hunspell-ar``) knows,
    in one run of ``hunspell -l``: how ``tables/spelling.toml`` is made (``--spelling``)."""
    asked = sorted({c for c in candidates if c})
    if not asked:
        return frozenset()
    exe = shutil.which("hunspell")
    if exe is None:
        raise RuntimeError("reading order: the hunspell command is missing (it makes tables/spelling.toml "
                           "from the visual-order sources): apt-get install hunspell hunspell-ar")
    run = subprocess.run([exe, "-d", "ar", "-l"], input="\n".join(asked), capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"reading order: hunspell -d ar failed ({run.stderr.strip()}): "
                           "apt-get install hunspell-ar")
    return frozenset(asked) - frozenset(run.stdout.split())


def spelling_words(structured) -> frozenset[str]:
    """The dictionary's verdict (``ask_hunspell``) on every candidate of the visual sources of ``structured``."""
    return ask_hunspell(set().union(*(_candidates(i.source.text) for i in structured
                                      if is_visual_source(i.source.text))))


def write_spelling(words: Iterable[str], path) -> None:
    """Rewrite the word list of ``tables/spelling.toml`` at ``path``, keeping its comments and examples."""
    text = Path(path).read_text(encoding="utf-8")
    head = text[:text.index("words = [")]
    body = "".join(f'  "{w}",\n' for w in sorted(set(words)))
    Path(path).write_text(f"{head}words = [\n{body}]\n", encoding="utf-8")


def _candidates(text: str) -> set[str]:
    """The tokens of a visual source as ``atoms`` cuts them, and their two-part splits."""
    out = set()
    for token in set(text.split()):  # each distinct token once: a set comes out
        for w in normalize(token).text.split(" "):
            for piece in _MARK_GLUE.split(w):
                core = _spelling(piece)
                if len(core) >= 2 and _LETTER.search(core):
                    out.add(core)
                    out.update(core[:j] for j in range(2, len(core) - 1))
                    out.update(core[j:] for j in range(2, len(core) - 1))
    return out


def share(text: str, paragraphs: Iterable[str], visual: bool) -> Share:
    """What one source (its ``text``, its ``paragraphs``' working texts) adds to the model."""
    if not visual:
        unigrams, pairs = Counter(), Counter()
        for paragraph in paragraphs:
            w = words(paragraph)
            unigrams.update(w)
            pairs.update(zip(w, w[1:]))
        return unigrams, pairs, frozenset(words(text)), Counter(), frozenset(), frozenset()
    tatweel, marks = _table()["tatweel"], _table()["punctuation"]
    seen, stretched = Counter(), set()
    for token, times in Counter(text.split()).items():  # each distinct token once, counted as often as met
        core = token.strip(marks)
        found = words(core)
        for w in found:
            seen[w] += times
        if tatweel in core.strip(tatweel) and not core.startswith(tatweel) and not core.endswith(tatweel):
            stretched.update(found)
    return Counter(), Counter(), frozenset(), seen, frozenset(stretched), _spelled_in(text)


@lru_cache(maxsize=64)
def _spelled_in(text: str) -> frozenset[str]:
    """``spelled`` over a visual source's candidates, once per text (a replicated corpus repeats it)."""
    return spelled(_candidates(text))


def total(shares: Iterable[Share]) -> Share:
    """The shares of several sources summed."""
    unigrams, pairs, logical, seen, stretched, known = Counter(), Counter(), set(), Counter(), set(), set()
    for one, two, words_of, met, long, dictionary in shares:
        unigrams.update(one)
        pairs.update(two)
        logical |= words_of
        seen.update(met)
        stretched |= long
        known |= dictionary
    return unigrams, pairs, frozenset(logical), seen, frozenset(stretched), frozenset(known)


def corpus_model(structured, *, held_out: bool = False) -> Model:
    """The model of ``structured`` (every source's share summed); ``held_out``: its word pairs
    without the adopted 4/4, so that measuring the draft against it does not give the answer away.
    What the measures read; the build reads ``source_model`` instead."""
    return Model.of(total(share(i.source.text, [p.normalized or p.text for d in i.documents for p in d.paragraphs
                                                if not (held_out and p.identifier.startswith("CTOC/COP/DEC/4/4 p"))],
                                is_visual_source(i.source.text)) for i in structured))


# --- the model the build reads: the shipped word model and the source's own share ------------------

def logical_share(structured) -> tuple[Share, list[tuple[str, str]]]:
    """The shares of the logical-order sources of ``structured`` summed, and their (file, sha256):
    what ``tables/reading_model.toml`` holds (``python -m tipkg.reading_order --model``)."""
    logical = [i for i in structured if not is_visual_source(i.source.text)]
    return (total(share(i.source.text, [p.normalized or p.text for d in i.documents for p in d.paragraphs], False)
                  for i in logical), [(i.source.file, i.source.sha256) for i in logical])


def write_model(summed: Share, sources: Iterable[tuple[str, str]], path) -> None:
    """Rewrite the word model of ``tables/reading_model.toml`` at ``path`` (its comments kept): one
    "word count" or "word word count" line each, in a literal string (read in a few milliseconds,
    where an array of 12,000 entries takes tomllib a quarter of a second)."""
    unigrams, pairs, logical = summed[:3]
    if any(not w or set(w) & set(" \n'") for w in logical | set(unigrams)):
        raise ValueError("reading model: a word with a space, newline or quote cannot be written")
    text = Path(path).read_text(encoding="utf-8")
    head = text[:text.index("sources = [")]
    rows = "".join(f'  {{file = "{f}", sha256 = "{h}"}},\n' for f, h in sources)
    body = (f"sources = [\n{rows}]\n"
            f"unigrams = '''\n{''.join(f'{w} {n}{chr(10)}' for w, n in sorted(unigrams.items()))}'''\n"
            f"bigrams = '''\n{''.join(f'{x} {y} {n}{chr(10)}' for (x, y), n in sorted(pairs.items()))}'''\n"
            f"words = '''\n{''.join(f'{w}{chr(10)}' for w in sorted(logical - set(unigrams)))}'''\n")
    Path(path).write_text(head + body, encoding="utf-8")


@lru_cache(maxsize=1)
def shipped_share() -> Share:
    """The word model of the bundled corpus's logical-order sources, as ``tables/reading_model.toml``
    keeps it (tests check it is what the bundled corpus gives): the build's logical-order half of
    every visual source's model, whatever corpus it builds."""
    table = load("reading_model")
    unigrams = Counter({w: int(n) for w, n in (row.split(" ") for row in table["unigrams"].splitlines())})
    pairs = Counter({(x, y): int(n) for x, y, n in (row.split(" ") for row in table["bigrams"].splitlines())})
    logical = frozenset(unigrams) | frozenset(table["words"].splitlines())
    return unigrams, pairs, logical, Counter(), frozenset(), frozenset()


@lru_cache(maxsize=4)
def source_model(text: str) -> Model:
    """The model the build repairs the visual source ``text`` with: the shipped word model of the
    logical-order sources (``shipped_share``) and the source's own share (its stretched words, the
    dictionary's verdicts on its tokens). It reads nothing else of the corpus, so a source's
    reading does not change when another source is edited or added, and its graph part is
    computed beside its extraction, from it alone. (On the bundled corpus it repairs every
    paragraph as ``corpus_model`` does: tests/test_reading_order.py.)"""
    return Model.of(total([shipped_share(), share(text, (), True)]))


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
        write_spelling(_dictionary_words() | known, table)
        print(f"{table}: {len(known)} words of this corpus known to the dictionary, "
              f"{len(known - _dictionary_words())} new")
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
