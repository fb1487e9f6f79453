"""How far a text is from reading order: the two measures of issue 13.

* **fragment rate** per source: the share of a source's paragraph words that
  are not words of the lexicon but make one when joined to another word of the
  same paragraph ("الاقت" + "صادي");
* **word-order agreement** between two texts of the same paragraph: over the
  words both hold once, the share of word pairs that come in the same order in
  both (Kendall's concordance: 1 same order, 0.5 no relation, 0 reversed). It
  is computed between the draft of 4/4 (000) and the adopted 4/4 in the
  compendium for the paragraph pairs of the content alignment, and, as the
  level to aim at, between two logical-order printings of decision 3/3 (002 and
  the compendium).

The lexicon holds the search forms met at least twice in the logical-order
sources (001, 002, 003). ``report`` prints both, per source and, for 004, per
half (the repair's weights were tuned looking at the first half only).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import combinations

from .normalize import is_visual_source, search_form

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


def corpus_lexicon(structured) -> frozenset[str]:
    return lexicon(p.normalized or p.text for item in structured if not is_visual_source(item.source.text)
                   for d in item.documents for p in d.paragraphs)


def report(structured, texts=None) -> list[str]:
    """Lines of the report: fragment rate per source (and per half of 004), agreement of 4/4 and of 3/3.

    ``texts``: (source file, paragraph identifier) -> the text to measure (default: its normalized text)."""
    structured = list(structured)
    known = corpus_lexicon(structured)
    lines = ["source                         fragments   words   rate"]
    by_source: dict[str, dict[str, str]] = {}
    for item in structured:
        paragraphs = {p.identifier: (texts or {}).get((item.source.file, p.identifier), p.normalized or p.text)
                      for d in item.documents for p in d.paragraphs}
        by_source[item.source.file] = paragraphs
        parts = [(item.source.file, list(paragraphs.values()))]
        if item.source.file.startswith("004"):
            half = len(paragraphs) // 2
            values = list(paragraphs.values())
            parts += [("  004 first half (tuned on)", values[:half]), ("  004 second half (held out)", values[half:])]
        for label, values in parts:
            f, n = fragment_rate(values, known)
            lines.append(f"{label:<29} {f:>10} {n:>7} {f / max(n, 1):>6.2%}")
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


def gold_lines(split: str | None = None) -> list[dict]:
    """The hand-read lines of 004 (tests/gold/reading_order_004.toml), of one ``split`` or all."""
    import tomllib
    from tipkg.references.evaluate import GOLD_DIR
    rows = tomllib.loads((GOLD_DIR / "reading_order_004.toml").read_text(encoding="utf-8"))["line"]
    return [r for r in rows if split in (None, r["split"])]


def gold_report(structured, read) -> list[str]:
    """Per split of the hand-read 004 lines: word-order agreement of ``read(raw line)`` with the
    hand reading (over the words both hold once), the share of the hand reading's words that
    ``read`` gives whole, and both at once: of the pairs of words the reading holds once, the
    share that ``read`` holds whole and in the same order (a word left in pieces loses its pairs)."""
    source = next(i for i in structured if i.source.file.startswith("004")).source.text.split("\n")
    out = []
    for split in sorted({r["split"] for r in gold_lines()}):
        c = t = hit = total = right = pairs = 0
        for row in gold_lines(split):
            got = read(source[row["line"] - 1])
            cc, tt = order_agreement(got, row["reads"])
            have = Counter(words(got))
            want = words(row["reads"])
            c, t, total = c + cc, t + tt, total + len(want)
            hit += sum(min(n, have[w]) for w, n in Counter(want).items())
            once = [w for w in want if want.count(w) == 1]
            pairs += len(once) * (len(once) - 1) // 2
            right += cc
        out.append(f"004 hand-read lines ({split}, {len(gold_lines(split))}): word-order agreement "
                   f"{c / max(t, 1):.3f} ({c}/{t}), words whole {hit / max(total, 1):.1%} ({hit}/{total}), "
                   f"pairs of the reading's words whole and in order {right / max(pairs, 1):.3f} ({right}/{pairs})")
    return out
