"""The word model the reading-order repair reads (``reading_order``), and where its words come from.

The repair of a visual-order source reads each line's chunks in the order a
``Model`` likes best: the words and word pairs of the logical-order sources
(pointwise mutual information), which pieces make a word, and which tokens the
Arabic spelling dictionary knows. ``reading_order.py`` searches the orders;
this module holds the model and its data:

- each source's ``share`` of the model, additive over sources (``total``): a
  logical-order source's words and word pairs; a visual source's words met
  stretched and the dictionary's verdicts on its tokens;
- the model the build reads (``source_model``): the word model of the bundled
  corpus's logical-order sources, shipped as tables/reading_model.toml
  (``shipped_share``), with the source's own share, so a source reads the same
  in any corpus; the measures read the corpus's own (``corpus_model``);
- the dictionary's verdicts, kept as data in tables/spelling.toml (``spelled``):
  only remaking that table runs hunspell (``ask_hunspell``, ``spelling_words``);
- the writers of both tables (``write_model``, ``write_spelling``), which
  ``python -m tipkg.reading_order --model`` / ``--spelling`` run;
- the token helpers the model and the repair share: ``reading_table`` (the
  weights and marks of ``[reading_order]`` in tables/normalization.toml),
  ``token_key``, ``LETTER``, ``MARK_GLUE``.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .normalize import is_visual_source, normalize, search_form
from .reading_measure import words
from .tables import load

LETTER = re.compile(r"[\u0621-\u064a]")
#: a comma or parenthesis glued between two words, or between a word and a number, marks a chunk
#: boundary ("الوطنية،لمكافحة", "و،٢٠٠٤" of "٢٠٠٤، و…")
MARK_GLUE = re.compile(r"(?<=[،؛])(?=[\u0621-\u064a()0-9])|(?<=[\u0621-\u064a])(?=[()]|[،؛][0-9])"
                        r"|(?<=[()])(?=[\u0621-\u064a])")


@lru_cache(maxsize=None)
def reading_table() -> dict:
    """The ``[reading_order]`` table of tables/normalization.toml: the repair's weights and the marks it knows."""
    return load("normalization")["reading_order"]


@lru_cache(maxsize=None)
def _proclitic_letters() -> frozenset[str]:
    return frozenset(search_form(c) for c in reading_table()["proclitics"] if len(c) == 1)


@lru_cache(maxsize=1 << 16)
def token_key(token: str) -> str:
    """A token's search form without marks ('' for a number or a mark); kept, as a line's
    reading asks for the same few tokens' keys many times."""
    return search_form(token.strip(reading_table()["punctuation"])) if LETTER.search(token) else ""


@lru_cache(maxsize=1 << 16)
def _ends(token: str) -> tuple[str, str] | None:
    """A token's first and last word (``words``), None if it has none; kept, as ``token_key``."""
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
        t = reading_table()
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
        k = token_key(token)
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
        return self.joins(token_key(x), token_key(y))

    def joins(self, kx: str, ky: str) -> bool:
        """``joinable`` of two tokens' keys (``token_key``): what the repair asks of keys it keeps."""
        return bool(kx and ky) and (kx + ky) in self.vocabulary and not (self.word(kx) and self.word(ky))

    def pair(self, x: str, y: str) -> float:
        """The score of token ``y`` read right after token ``x``."""
        if self.joinable(x, y):   # a lone proclitic letter ("و", "ب") may as well stand alone: it joins weakly
            return float(reading_table()["join_letter" if self.proclitic(x) or self.proclitic(y) else "join"])
        wx, wy = _ends(x), _ends(y)
        return self.association(wx[1], wy[0]) if wx and wy else 0.0

    def scorer(self, tokens: list[str]) -> "LineScores":
        """``pair`` by position over the tokens of one line: ``scorer(tokens)(i, j) == pair(tokens[i], tokens[j])``,
        and ``scorer(tokens).after(j, stop)`` those that read token ``j`` after a later one (``LineScores``)."""
        return LineScores(self, tokens)


class LineScores:
    """``Model.pair`` by position over the tokens of one line.

    The repair's search asks for the score of every ordered pair of a line's pieces (``order_line``),
    a tenth of a source's extraction when each asked ``pair`` anew: what ``pair`` reads of one
    token (its key, whether it is a word or a lone proclitic letter, its end words, their counts)
    is read here once per token, and ``after`` makes a column of scores in one loop, not a call per
    pair (with the slices ``order_line`` reads them by, the search over the bundled corpus's visual
    lines went from 39 to 29 ms: ``benchmarks/bench_repair.py --split``). The arithmetic is
    ``association``'s, step for step, so the scores are the same floats."""

    def __init__(self, model: Model, tokens: list[str]):
        self.keys = keys = [token_key(t) for t in tokens]
        self.whole = [model.word(k) for k in keys]
        letters = _proclitic_letters()
        self.proclitic = [len(k) == 1 and k in letters for k in keys]
        ends = [_ends(t) for t in tokens]
        unigrams = model.unigrams
        self.last = [e[1] if e else "" for e in ends]
        self.first = [e[0] if e else "" for e in ends]
        self.counted_last = [unigrams[w] if w else 0 for w in self.last]
        counted_first = [unigrams[w] if w else 0 for w in self.first]
        self.counted_first = counted_first
        size = model.total + 0.5 * len(model.vocabulary)
        self.chance = chance = [(n + 0.5) / size for n in counted_first]  # association's py
        self.log_chance = [math.log(p) for p in chance]
        self.join, self.join_letter = float(reading_table()["join"]), float(reading_table()["join_letter"])
        self.model = model

    def __call__(self, i: int, j: int) -> float:
        """The score of token ``j`` read right after token ``i``."""
        kx, ky, model = self.keys[i], self.keys[j], self.model
        if kx and ky and (kx + ky) in model.vocabulary and not (self.whole[i] and self.whole[j]):  # joinable
            return self.join_letter if self.proclitic[i] or self.proclitic[j] else self.join
        if not self.counted_last[i] or not self.counted_first[j]:  # no end word, or one the model never met
            return 0.0
        py, alpha = self.chance[j], model.alpha
        pmi = math.log((model.bigrams[(self.last[i], self.first[j])] + alpha * py) / (self.counted_last[i] + alpha)) \
            - self.log_chance[j]
        return max(model.low, min(model.high, pmi))

    def after(self, j: int, stop: int) -> list[float]:
        """``[self(i, j) for i]`` for the later tokens ``j < i <= stop`` (0.0 at ``i <= j``): token ``j`` read after each."""
        keys, whole, proclitic, last, counted_last = self.keys, self.whole, self.proclitic, self.last, self.counted_last
        model = self.model
        vocabulary, count, alpha, low, high, log = model.vocabulary, model.bigrams.get, model.alpha, model.low, \
            model.high, math.log
        ky, whole_y, join = keys[j], whole[j], self.join_letter if proclitic[j] else self.join
        met, y = self.counted_first[j], self.first[j]
        chance, log_py = alpha * self.chance[j], self.log_chance[j]
        column = [0.0] * (j + 1)
        for i in range(j + 1, stop + 1):
            kx = keys[i]
            if kx and ky and not (whole[i] and whole_y) and (kx + ky) in vocabulary:
                column.append(self.join_letter if proclitic[i] else join)
            elif not counted_last[i] or not met:
                column.append(0.0)
            else:
                pmi = log((count((last[i], y), 0) + chance) / (counted_last[i] + alpha)) - log_py
                column.append(max(low, min(high, pmi)))
        return column


#: a source's share of the model, additive over sources: word counts and word-pair counts of
#: a logical-order source's paragraphs, the words of its text (a join may make them); for a
#: visual source, how often each word is met, the words met stretched, and which of its
#: tokens and of their two-part splits the Arabic spelling dictionary knows (``Model.of``)
Share = tuple[Counter, Counter, frozenset, Counter, frozenset, frozenset]

_MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")


def _spelling(text: str) -> str:
    """A piece as the spelling dictionary is asked about it: no marks, tatweel or punctuation."""
    return _MARKS.sub("", text.strip(reading_table()["punctuation"]))


def spelled(candidates: Iterable[str]) -> frozenset[str]:
    """Those of ``candidates`` that the Arabic spelling dictionary knows (a word with its clitics,
    "بتقارير", "قراراتها", is a word; two words glued, "ولايعوق", are not): its verdicts are kept
    in ``tables/spelling.toml``, so the build runs no spelling checker.

    >>> sorted(spelled(["قراراتها", "ولايعوق", "ولا", "يعوق"]))
    ['قراراتها', 'ولا', 'يعوق']
    """
    return frozenset(c for c in candidates if c in dictionary_words())


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """The words of tables/spelling.toml: the dictionary's verdicts on the visual sources' candidates."""
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
            for piece in MARK_GLUE.split(w):
                core = _spelling(piece)
                if len(core) >= 2 and LETTER.search(core):
                    out.add(core)
                    out.update(core[:j] for j in range(2, len(core) - 1))
                    out.update(core[j:] for j in range(2, len(core) - 1))
    return out


def share(text: str, paragraphs: Iterable[str], visual: bool) -> Share:
    """What one source (its ``text``, its ``paragraphs``' working texts) adds to the model."""
    if not visual:
        unigrams: Counter[str] = Counter()
        pairs: Counter[tuple[str, str]] = Counter()
        for paragraph in paragraphs:
            said = words(paragraph)
            unigrams.update(said)
            pairs.update(zip(said, said[1:]))
        return unigrams, pairs, frozenset(words(text)), Counter(), frozenset(), frozenset()
    tatweel, marks = reading_table()["tatweel"], reading_table()["punctuation"]
    seen: Counter[str] = Counter()
    stretched: set[str] = set()
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
    unigrams: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    seen: Counter[str] = Counter()
    logical: set[str] = set()
    stretched: set[str] = set()
    known: set[str] = set()
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
