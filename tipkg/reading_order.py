"""Text in reading order for the visual-order sources, and how far from it a text is.

Seeds 000 (the draft of decision 4/4) and 004 (GA resolution 61/180) were
extracted in visual order: the runs of a line come right to left, and a word
stretched with tatweel is cut at the stretch into fragments that land in
different runs ("ــضا    ــشير أيـ ــرار وإذ تـ" is "وإذ تشير أيضا إلى قرار").
``repair`` puts a paragraph back in reading order for ``tip:normalizedText``
(and the label and search text built from it): it joins the fragments of a
split word — a piece ending in tatweel ("تـ") with a piece starting with one
("ــشير") — choosing, among the pieces of the same line, the join that makes a
word of the lexicon (the words of the logical-order sources), and keeps the
rest of the order the normalizer gave. ``tip:text`` keeps the extraction, and
the extractors' spans are computed on it as before.

Two measures (``python -m tipkg.reading_order``):

* **fragment rate** per source: the share of a source's paragraph words that
  are not words of the lexicon but make one when joined to another word of the
  same paragraph ("الاقت" + "صادي");
* **word-order agreement** between two texts of the same paragraph: over the
  words both hold once, the share of word pairs that come in the same order in
  both (Kendall's concordance: 1 same order, 0.5 no relation, 0 reversed). It
  is computed between the draft of 4/4 (000) and the adopted 4/4 in the
  compendium for the pairs ``tip:echoes`` links, and, as the level to aim at,
  between two logical-order printings of decision 3/3 (002 and the compendium).

The lexicon holds the search forms met at least twice in the logical-order
sources (001, 002, 003).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import combinations

from .normalize import is_visual_source, looks_visual, normalize, search_form
from .tables import load

_WORD = re.compile(r"[\u0621-\u064a]+")


def words(text: str) -> list[str]:
    """The Arabic words of a text in search form, in order (digits and marks dropped)."""
    return _WORD.findall(search_form(text))


def lexicon(texts: Iterable[str], minimum: int = 2) -> frozenset[str]:
    """The words met at least ``minimum`` times in ``texts``."""
    counts = Counter(w for t in texts for w in words(t))
    return frozenset(w for w, n in counts.items() if n >= minimum)


def fragments(tokens: Sequence[str], known: frozenset[str]) -> list[str]:
    """The tokens that are no word of ``known`` but make one joined to another token."""
    present = set(tokens)
    out = []
    for t in tokens:
        if t in known:
            continue
        if any((t + u) in known or (u + t) in known for u in present if u != t or tokens.count(t) > 1):
            out.append(t)
    return out


def fragment_rate(paragraph_texts: Iterable[str], known: frozenset[str]) -> tuple[int, int]:
    """(fragment words, words) over paragraphs."""
    frag = total = 0
    for text in paragraph_texts:
        tokens = words(text)
        total += len(tokens)
        frag += len(fragments(tokens, known))
    return frag, total


def order_agreement(a: str, b: str) -> tuple[int, int]:
    """(concordant pairs, pairs) over the words ``a`` and ``b`` both hold exactly once."""
    wa, wb = words(a), words(b)
    ca, cb = Counter(wa), Counter(wb)
    common = [w for w in wa if ca[w] == 1 and cb.get(w) == 1]
    where = {w: i for i, w in enumerate(wb)}
    concordant = sum(1 for x, y in combinations(common, 2) if where[x] < where[y])
    return concordant, len(common) * (len(common) - 1) // 2


# --- the repair ----------------------------------------------------------------------

@lru_cache(maxsize=None)
def _table() -> dict:
    return load("normalization")["reading_order"]


def _pieces(line: str) -> tuple[list[str], list[str]]:
    """The heads ("تـ": a word's first piece) and tails ("ــشير": its last) of a raw line."""
    tatweel = _table()["tatweel"]
    heads, tails = [], []
    for token in line.split():
        core = token.strip(_table()["punctuation"])
        if not core.strip(tatweel):
            continue
        if core.endswith(tatweel) and not core.startswith(tatweel):
            heads.append(core)
        elif core.startswith(tatweel) and not core.endswith(tatweel):
            tails.append(core)
    return heads, tails


def vocabulary(logical: Iterable[str], visual: Iterable[str]) -> frozenset[str]:
    """The words a join may make (search form): every word of the logical-order
    sources, and the words of the visual ones that carry a tatweel inside
    ("الاقتــصادي": stretched, hence whole). A bare token of a visual source may
    itself be a fragment ("الاقت"), so it does not count."""
    tatweel = _table()["tatweel"]
    out = {w for text in logical for w in words(text)}
    for text in visual:
        for token in text.split():
            core = token.strip(_table()["punctuation"])
            if tatweel in core.strip(tatweel) and not core.startswith(tatweel) and not core.endswith(tatweel):
                out.update(words(core))
    return frozenset(out)


def joins(raw: str, known: frozenset[str]) -> list[tuple[str, str]]:
    """(head, tail) pairs of the split words of a raw paragraph, line by line: the k-th
    head of a line with its k-th tail when they are as many (the layout of 000 and 004:
    "ــضا ــشير أيـ ــرار وإذ تـ" pairs أيـ+ــضا, تـ+ــشير); otherwise each head with the first
    free tail that makes a word of ``known``."""
    out = []
    for line in raw.split("\n"):
        heads, tails = _pieces(line)
        if not heads or not tails:
            continue
        if len(heads) == len(tails):
            out += list(zip(heads, tails))
            continue
        free = list(tails)
        for head in heads:
            tail = next((t for t in free if search_form(head + t) in known), None)
            if tail is not None:
                free.remove(tail)
                out.append((head, tail))
    return out


def repair(raw: str, known: frozenset[str], pairs: frozenset[tuple[str, str]] = frozenset(), *,
           verbs: bool = True, chunks: bool = False) -> str:
    """A paragraph's working text in reading order, from its ``raw`` visual-order text:
    each line's runs right to left (as ``normalize`` does), a run that ends with its
    verb read from the verb (``front_verb``; with ``chunks`` every run cut into
    reversed chunks, ``order_line``), the tatweel-split words joined (``joins``),
    then the pieces cut without a tatweel (``join_nonwords``)."""
    tokens: list[str] = []
    for line in raw.split("\n"):
        stripped = line.strip(" \t")
        if not stripped:
            continue
        runs = [r for r in re.split(r" {2,}|\t", stripped) if r.strip()]
        if len(runs) > 1 and looks_visual(stripped):
            runs.reverse()
        for run in runs:
            run_tokens = normalize(run).text.split()
            if chunks:
                run_tokens = order_line(run_tokens, pairs)
            tokens += front_verb(run_tokens, pairs) if verbs else run_tokens
    punctuation = _table()["punctuation"]
    removed = [False] * len(tokens)
    for head, tail in ((normalize(h).text, normalize(t).text) for h, t in joins(raw, known)):
        at_head = next((i for i, tok in enumerate(tokens) if not removed[i] and tok.strip(punctuation) == head), None)
        at_tail = next((i for i, tok in enumerate(tokens) if not removed[i] and i != at_head
                        and tok.strip(punctuation) == tail), None)
        if at_head is None or at_tail is None:
            continue
        tokens[at_head] = tokens[at_head].replace(head, head + tail, 1) + \
            "".join(ch for ch in tokens[at_tail] if ch in punctuation)
        removed[at_tail] = True
    return join_nonwords(" ".join(t for i, t in enumerate(tokens) if not removed[i] and t), known)


def bigrams(texts: Iterable[str]) -> frozenset[tuple[str, str]]:
    """The word pairs (search form) that follow each other in ``texts``."""
    out = set()
    for text in texts:
        w = words(text)
        out.update(zip(w, w[1:]))
    return frozenset(out)


def _key(token: str) -> tuple[str, str]:
    """A token's first and last word (search form), for the bigram test."""
    w = words(token)
    return (w[0], w[-1]) if w else ("", "")


def order_line(tokens: list[str], pairs: frozenset[tuple[str, str]]) -> list[str]:
    """A visual line's tokens in reading order.

    The extraction prints a line as chunks in reverse order, each chunk's words
    in reading order ("الدول الأطراف أن تواصل … الوطنية إلى يطلب" is [يطلب] [إلى]
    [الدول الأطراف …]); the chunk boundaries are not marked. Among all ways to cut
    the line into chunks and reverse them, the one whose word pairs the
    logical-order sources know best is kept (``pairs``); each cut costs a little,
    so a line no pair speaks for stays as it is."""
    n = len(tokens)
    if n < 2 or n > int(_table()["longest_line"]):
        return tokens
    cost = float(_table()["cut_cost"])
    keys = [_key(t) for t in tokens]

    def bg(i: int, j: int) -> float:   # token i followed by token j
        return 1.0 if (keys[i][1], keys[j][0]) in pairs else 0.0

    inner = [0.0] * (n + 1)            # inner[k] = pairs known inside tokens[0:k]
    for k in range(1, n):
        inner[k + 1] = inner[k] + bg(k - 1, k)

    def internal(a: int, b: int) -> float:   # chunk tokens[a..b] inclusive
        return inner[b + 1] - inner[a + 1]

    # ending[e] = {s: (score, previous chunk)}: tokens[0..e] cut into chunks, the last [s..e]
    ending: list[dict[int, tuple[float, tuple[int, int] | None]]] = [dict() for _ in range(n)]
    for e in range(n):
        ending[e][0] = (internal(0, e), None)
        for s in range(1, e + 1):
            chunk = internal(s, e) - cost
            score, prev = max(((sc + chunk + bg(e, ps), (ps, s - 1)) for ps, (sc, _) in ending[s - 1].items()),
                              key=lambda o: (o[0], -o[1][0]))
            ending[e][s] = (score, prev)
    start = max(ending[n - 1], key=lambda s: (ending[n - 1][s][0], s == 0))
    chunks, key = [], (start, n - 1)
    while key is not None:
        s, e = key
        chunks.append(tokens[s:e + 1])
        key = ending[e][s][1]
    # chunks were collected last to first: the last visual chunk reads first
    return [t for chunk in chunks for t in chunk]


@lru_cache(maxsize=None)
def _verb_words() -> frozenset[str]:
    """The first words of the operative verb forms of tables/verbs.toml (search form)."""
    return frozenset(search_form(row["form"]).split(" ")[0] for row in load("verbs")["form"]
                     if not row.get("negative"))


def front_verb(tokens: list[str], pairs: frozenset[tuple[str, str]]) -> list[str]:
    """A visual run that ends with its paragraph's verb ("الدول الأطراف أن تواصل … إلى
    يطلب") read from the verb: the last ``k`` tokens reversed, then the rest; ``k``
    (1 to 3) is the one whose word pairs the logical sources know best, 1 if none."""
    if len(tokens) < 3 or _key(tokens[-1])[1] not in _verb_words():
        return tokens
    keys = [_key(t) for t in tokens]

    def score(k: int) -> int:
        order = list(range(len(tokens) - 1, len(tokens) - 1 - k, -1)) + list(range(len(tokens) - k))
        return sum((keys[a][1], keys[b][0]) in pairs for a, b in zip(order, order[1:]))

    k = max((1, 2, 3), key=lambda k: (score(k), -k))
    return tokens[:len(tokens) - k - 1:-1] + tokens[:len(tokens) - k]


def join_nonwords(text: str, known: frozenset[str]) -> str:
    """Join the pieces of words cut without a tatweel ("للضح" … "ايا،", "الاقت" … "صادي"):
    a token that is no word of ``known`` is joined to the nearest token of the
    paragraph (within ``reach`` tokens) with which it makes one, at least ``shortest``
    letters long; the word stands where its first piece stood."""
    reach, shortest = int(_table()["reach"]), int(_table()["shortest"])
    punctuation = _table()["punctuation"]
    tokens = text.split(" ")
    bare = [search_form(t.strip(punctuation)) for t in tokens]

    def word(b: str) -> bool:
        return not b or b in known or not _WORD.fullmatch(b)

    removed = [False] * len(tokens)
    for i in range(len(tokens)):
        if removed[i] or word(bare[i]):
            continue
        for d in range(1, reach + 1):
            hit = None
            for j in (i + d, i - d):
                if 0 <= j < len(tokens) and not removed[j] and _WORD.fullmatch(bare[j] or "-"):
                    for first, second in ((i, j), (j, i)):
                        joined = bare[first] + bare[second]
                        if len(joined) >= shortest and joined in known:
                            hit = (first, second)
                            break
                if hit:
                    break
            if hit:
                first, second = hit
                a, b = tokens[first].strip(punctuation), tokens[second].strip(punctuation)
                keep, drop = min(first, second), max(first, second)
                marks = "".join(ch for ch in tokens[drop] if ch in punctuation)
                tokens[keep] = (tokens[first].replace(a, a + b, 1) if keep == first else
                                tokens[second].replace(b, a + b, 1)) + marks
                removed[drop] = True
                bare[keep] = bare[first] + bare[second] if keep == first else bare[first] + bare[second]
                break
    return " ".join(t for i, t in enumerate(tokens) if not removed[i] and t)


# --- the measures over the corpus -----------------------------------------------------

def corpus_lexicon(structured) -> frozenset[str]:
    return lexicon(p.normalized or p.text for item in structured if not is_visual_source(item.source.text)
                   for d in item.documents for p in d.paragraphs)


def repaired_texts(structured, *, verbs: bool = True, held_out: bool = False,
                   chunks: bool = False) -> dict[tuple[str, str], str]:
    """(source file, paragraph) -> the repaired working text, for the visual sources.

    ``verbs``: a run that ends with its verb is read from the verb (``front_verb``);
    ``chunks``: every run is cut into reversed chunks (``order_line``) — measured, it did
    not bring the draft of 4/4 closer to the adopted text, so the build does not;
    ``held_out``: the word pairs leave adopted 4/4 out, so that measuring the draft
    against it does not give the answer away (the build keeps every pair)."""
    structured = list(structured)
    logical = [i for i in structured if not is_visual_source(i.source.text)]
    known = vocabulary((i.source.text for i in logical),
                       (i.source.text for i in structured if is_visual_source(i.source.text)))
    pairs = bigrams(p.normalized or p.text for i in logical for d in i.documents for p in d.paragraphs
                    if not (held_out and p.identifier.startswith("CTOC/COP/DEC/4/4 p"))) \
        if verbs or chunks else frozenset()
    out = {}
    for item in structured:
        if not is_visual_source(item.source.text):
            continue
        for d in item.documents:
            for p in d.paragraphs:
                out[(item.source.file, p.identifier)] = repair(item.source.text[p.span.start:p.span.end], known,
                                                               pairs, verbs=verbs, chunks=chunks)
    return out


def report(structured, texts=None) -> list[str]:
    """Lines of the report: fragment rate per source, agreement of 4/4 and of 3/3.

    ``texts``: paragraph identifier -> the text to measure (default: its normalized text)."""
    structured = list(structured)
    known = corpus_lexicon(structured)
    lines = ["source                  fragments   words   rate"]
    by_source: dict[str, dict[str, str]] = {}
    for item in structured:
        paragraphs = {p.identifier: (texts or {}).get((item.source.file, p.identifier), p.normalized or p.text)
                      for d in item.documents for p in d.paragraphs}
        by_source[item.source.file] = paragraphs
        f, n = fragment_rate(paragraphs.values(), known)
        lines.append(f"{item.source.file:<22} {f:>10} {n:>7} {f / max(n, 1):>6.2%}")
    for label, a_file, b_file, match in (
            ("4/4 draft (000) vs adopted (003)", "000", "003", _draft_pairs),
            ("3/3 (002) vs 3/3 (003), the level to aim at", "002", "003", _same_pairs)):
        a = next(v for k, v in by_source.items() if k.startswith(a_file))
        b = next(v for k, v in by_source.items() if k.startswith(b_file))
        c = t = 0
        for x, y in match(a, b):
            cc, tt = order_agreement(a[x], b[y])
            c, t = c + cc, t + tt
        lines.append(f"word-order agreement, {label}: {c / max(t, 1):.3f} ({c}/{t} word pairs)")
    return lines


def _draft_pairs(a: dict, b: dict) -> list[tuple[str, str]]:
    """Draft 4/4 paragraph -> adopted paragraph, by content (network.alignment)."""
    from tipkg.network.alignment import align_texts
    draft = [(k, v) for k, v in a.items() if k.startswith("CTOC/COP/DEC/4/4 draft")]
    adopted = [(k, v) for k, v in b.items() if k.startswith("CTOC/COP/DEC/4/4 p")]
    return [(r.draft, r.adopted) for r in align_texts(draft, adopted) if r.status == "adopted"]


def _same_pairs(a: dict, b: dict) -> list[tuple[str, str]]:
    return [(k, k) for k in a if k in b and k.startswith("CTOC/COP/DEC/3/3")]


def main(argv: list[str] | None = None) -> int:
    """``python -m tipkg.reading_order [--chunks]``: the measures before and after the repair."""
    from tipkg.loaders import load_structure
    from tipkg.sources import read_corpus
    argv = sys.argv[1:] if argv is None else argv
    structured = [load_structure(s) for s in read_corpus()]
    print("== as extracted (tip:normalizedText before issue 13)")
    print("\n".join(report(structured)))
    print("== the build's repair (split words joined; a run ending with its verb read from the verb, "
          "word pairs of every logical source, adopted 4/4 included)")
    print("\n".join(report(structured, repaired_texts(structured))))
    print("== the same with adopted 4/4 left out of the word pairs (the honest order figure)")
    print("\n".join(report(structured, repaired_texts(structured, held_out=True))[-2:]))
    print("== split words joined only (no reordering)")
    print("\n".join(report(structured, repaired_texts(structured, verbs=False))[-2:]))
    if "--chunks" in argv:
        print("== with every run cut into reversed chunks (adopted 4/4 held out; not used by the build)")
        print("\n".join(report(structured, repaired_texts(structured, held_out=True, chunks=True))[-2:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
