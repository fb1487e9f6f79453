"""Text reuse: paragraphs that repeat or echo earlier wording.

UN bodies copy formulations from one instrument into the next: decision 4/4
adopts its draft almost word for word, resolution 5/2 repeats 4/4's preamble,
Working Group recommendations repeat earlier ones. This module finds those
echoes so that an analyst can follow a formulation between bodies and years.

How similarity is measured, and why:

- The unit is a **passage**: one paragraph as one source prints it
  (identifier + source file). Texts are compared in their searchable form
  (``tipkg.normalize.search_form``: diacritics, alef/yaa/taa-marbuta folded).
- **Shingles are character 4-grams inside each word** (with word-boundary
  marks), not across words. Several sources were extracted in visual order and
  keep scrambled word order (the draft of 4/4 prints "…المادة المهام التي
  أُسنإذ يستذكر"); word-internal shingles survive reordering, cross-word ones
  do not. Digits and punctuation are dropped (paragraph numbers differ between
  a draft and its adopted text).
- **Boilerplate shingles are dropped**: a shingle found in more than
  ``BOILERPLATE_SHARE`` of all passages (the Protocol's full title, "ينبغي
  للدول الأطراف") says nothing about reuse and would make every paragraph that
  names the Protocol look alike.
- **MinHash + LSH** proposes candidate pairs (``PERMUTATIONS`` hash functions
  in ``BANDS`` bands of ``ROWS``); every candidate is then verified with the
  *exact* Jaccard similarity of the two shingle sets, and kept when it reaches
  ``THRESHOLD``. With 2 rows a band, a pair at the threshold becomes a
  candidate with probability 1-(1-0.3²)^64 > 0.997, so LSH loses nothing the
  threshold would keep.
- An echo joins paragraphs of **different documents**; the later passage
  (by its document's date; a draft before what it became) echoes the earlier.
  Each later paragraph keeps its ``MAX_ECHOES`` best echoes (highest score,
  then the most recent): identical texts are compared once, as one class, so
  the work grows with the number of *distinct* wordings, not with the square
  of the corpus (a corpus that prints the same paragraph a hundred times).

Two kinds of record come out:

- ``Echo`` between two different paragraph nodes — in RDF
  ``later tip:echoes earlier`` plus a reified ``tip:TextReuse`` node carrying
  ``tip:score`` (see ``add_echoes``).
- ``Attestation``: the *same* paragraph printed by two sources (decision 3/3
  in file 002 and in Part B of the compendium). The graph keeps one node (and
  one ``tip:text``) per paragraph, so a paragraph-level self-edge would say
  nothing; instead each paragraph's two texts are compared, and the result is
  summed up per document as a **source-level** edge
  ``source:<later file> tip:echoes source:<earlier file>`` whose reified node
  carries the mean score and ``dcterms:subject`` the document (3/3).

>>> echoes, attestations = find_reuse(_demo())
>>> [(e.later, e.earlier) for e in echoes]
[('B para 1', 'A para 1')]
>>> [(a.document, a.paragraphs, a.score) for a in attestations]
[('A', 1, 1.0)]
"""

from __future__ import annotations

import hashlib
import heapq
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from bisect import bisect_left
from itertools import combinations
from typing import TYPE_CHECKING

from tipkg import identifiers as ids
from tipkg.model import StructuredSource
from tipkg.network import lazily
from tipkg.normalize import search_form

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazily("numpy")  # imported when first used, not by the extraction workers (tipkg.network)

SHINGLE = 4
BOILERPLATE_SHARE = 0.10
MIN_SHINGLES = 15
PERMUTATIONS = 128
BANDS, ROWS = 64, 2
THRESHOLD = 0.30
MAX_ECHOES = 8
SEED = 20080417
RULE = "minhash-jaccard: word-internal char 4-grams, boilerplate share 0.10, threshold 0.30"
_PRIME = (1 << 31) - 1


@dataclass(frozen=True, slots=True)
class Passage:
    """One paragraph as one source prints it."""

    identifier: str
    document: str
    source_file: str
    order: tuple
    text: str


@dataclass(frozen=True, slots=True)  # slots: ×1000 makes millions (network/reuse_spill.py)
class Echo:
    """``later`` repeats wording of ``earlier`` (paragraphs of different documents)."""

    later: str
    earlier: str
    score: float
    later_document: str
    earlier_document: str


@dataclass(frozen=True)
class Attestation:
    """One document printed by two sources: how far their texts agree."""

    document: str
    later_source: str
    earlier_source: str
    paragraphs: int
    score: float
    lowest: float
    lowest_paragraph: str


def passages(structured: Iterable[StructuredSource]) -> list[Passage]:
    """Every paragraph of every source, in reading order, with a sort key for 'earlier'."""
    out = []
    for item in structured:
        for document in item.documents:
            date = document.date or item.source.date or ""
            # a draft precedes the decision it became, even within the same year
            order = (date[:4], 0 if document.adopted_as else 1, date)
            for p in document.paragraphs:
                out.append(Passage(p.identifier, document.identifier, item.source.file, order,
                                   p.normalized or p.text))
    return out


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    """Word-internal character n-grams of the searchable form (order-proof).

    >>> sorted(shingles("يطلب إلى", 4))
    ['<الي', '<يطل', 'الي>', 'طلب>', 'يطلب']
    """
    words = set(_NON_WORD.sub(" ", search_form(text)).split())  # each word once (a paragraph repeats its own)
    return set().union(*(_word_shingles(word, size) for word in words))


_NON_WORD = re.compile(r"[\W\d_]+")


@lru_cache(maxsize=1 << 16)
def _word_shingles(word: str, size: int) -> frozenset[str]:
    """One word's n-grams, with its edges marked (kept: a corpus repeats its words)."""
    marked = f"<{word}>"
    return frozenset(marked[i:i + size] for i in range(max(1, len(marked) - size + 1)))


def jaccard(a: set, b: set) -> float:
    """|A ∩ B| / |A ∪ B| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def shingle_hash(shingle: str) -> int:
    """A shingle's number below the MinHash prime: CRC-32 of its UTF-8, the same on every run and machine
    (Python's ``hash`` of a string is salted per process). ``reuse_index`` hashes the shingles it keeps on
    disk with it, so the index and a build in memory agree."""
    return zlib.crc32(shingle.encode("utf-8")) % _PRIME


def minhash_signatures(sets: Sequence[Iterable], hashes: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
    """MinHash signatures, one row per set: min over shingles of (a·h + b) mod p (``hashes[i]``
    is h of shingle number i when the sets hold shingle numbers, as ``find_reuse``'s do)."""
    rng = np.random.default_rng(SEED)
    a = rng.integers(1, _PRIME, PERMUTATIONS, dtype=np.int64)
    b = rng.integers(0, _PRIME, PERMUTATIONS, dtype=np.int64)
    out = np.full((len(sets), PERMUTATIONS), _PRIME, dtype=np.int64)
    for row, items in enumerate(sets):
        if items:
            h = np.fromiter((hashes[s] for s in items) if hashes is not None else (shingle_hash(s) for s in items),
                            dtype=np.int64)
            out[row] = ((a[:, None] * h[None, :] + b[:, None]) % _PRIME).min(axis=1)
    return out


def shared_buckets(buckets: np.ndarray) -> Iterator[tuple[int, int]]:
    """The pairs of rows (i < j) that have the same bucket in some band (``buckets``: one row per set,
    one column per band); a pair sharing several bands is given once for each.

    >>> sorted(shared_buckets(np.array([[1, 5], [2, 5], [1, 7], [1, 5]])))
    [(0, 1), (0, 2), (0, 3), (0, 3), (1, 3), (2, 3)]
    """
    for band in range(buckets.shape[1]):
        column = buckets[:, band]
        order = np.argsort(column, kind="stable")
        ranked = column[order]
        starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
        ends = np.r_[starts[1:], len(ranked)]
        for start, end in zip(starts[ends - starts > 1].tolist(), ends[ends - starts > 1].tolist()):
            yield from combinations(sorted(order[start:end].tolist()), 2)


def candidate_pairs(sets: Sequence[set], hashes: Sequence[int] | None = None) -> set[tuple[int, int]]:
    """Index pairs that share at least one LSH band of their MinHash signatures."""
    signatures = minhash_signatures(sets, hashes)
    pairs: set[tuple[int, int]] = set()
    for band in range(BANDS):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        block = signatures[:, band * ROWS:(band + 1) * ROWS]
        for row, key in enumerate(block):
            if sets[row]:
                buckets[key.tobytes()].append(row)
        for rows in buckets.values():
            pairs.update(combinations(rows, 2))
    return pairs


def find_reuse(structured: Iterable[StructuredSource] | Sequence[Passage],
               threshold: float = THRESHOLD) -> tuple[list[Echo], list[Attestation]]:
    """The echoes between paragraphs of different documents, and the two-source attestations."""
    items = list(structured)
    found = items if items and isinstance(items[0], Passage) else passages(items)
    # each distinct shingle numbered once: a passage's set holds the vocabulary's int objects, not strings
    # (a quarter of the memory on a large corpus; the same sets, so the same answers)
    vocabulary: dict[str, int] = {}
    raw = [{vocabulary.setdefault(x, len(vocabulary)) for x in shingles(p.text)} for p in found]
    hashes = [0] * len(vocabulary)
    for text, number in vocabulary.items():
        hashes[number] = shingle_hash(text)
    del vocabulary
    # one passage per paragraph node: the first source's text, as in the graph
    first: dict[str, int] = {}
    for index, passage in enumerate(found):
        first.setdefault(passage.identifier, index)
    frequency = Counter(s for i in first.values() for s in raw[i])
    limit = max(2, BOILERPLATE_SHARE * len(first))
    sets = [{s for s in group if frequency[s] <= limit} for group in raw]
    usable = [i for i in first.values() if len(sets[i]) >= MIN_SHINGLES]
    classes: dict[frozenset, list[int]] = defaultdict(list)   # identical wordings -> passages
    for i in usable:
        classes[frozenset(sets[i])].append(i)
    keys = list(classes)
    scored = [(x, y, jaccard(keys[x], keys[y])) for x, y in candidate_pairs([set(k) for k in keys], hashes)]
    return echoes_of(found, list(classes.values()), scored, threshold), attestations(found, raw)


def echoes_of(found: Sequence[Passage], classes: Sequence[list[int]], scored: Iterable[tuple[int, int, float]],
              threshold: float = THRESHOLD) -> list[Echo]:
    """The echoes, sorted (highest score first), given the classes of identical wordings (``classes[c]``:
    indexes into ``found``) and the verified candidate pairs of classes ``(x, y, score)``: ``class_echoes``
    with the pairs held in memory, as ``find_reuse`` has them."""
    partners: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for x, y, score in scored:
        partners[x].append((y, score))
        if x != y:
            partners[y].append((x, score))
    return sorted(class_echoes(found, classes, lambda x: partners.get(x, ()), threshold), key=echo_order)


def echo_order(echo: Echo) -> tuple:
    """The order of a list of echoes: highest score first, then by the later and the earlier paragraph."""
    return -echo.score, echo.later, echo.earlier


def class_echoes(found: Sequence[Passage], classes: Sequence[list[int]],
                 partners: Callable[[int], Iterable[tuple[int, float]]],
                 threshold: float = THRESHOLD) -> Iterator[Echo]:
    """The echoes of every class of identical wordings held in memory (``classes[c]``: indexes into
    ``found``), one class after another (``wording_echoes``): ``partners(x)`` gives the classes verified
    against class ``x`` (either side of the pair) with their score."""
    for members in classes:
        members.sort(key=lambda i: (found[i].order, found[i].identifier))
    for x, members in enumerate(classes):
        later = [found[i] for i in members]
        yield from wording_echoes(later, [([found[i] for i in classes[y]], score) for y, score in partners(x)
                                          if score >= threshold])


def wording_echoes(later: Sequence[Passage], paired: Iterable[tuple[Sequence[Passage], float]]) -> Iterator[Echo]:
    """The echoes of the passages of one class of identical wordings (``later``, sorted by date order, then
    identifier): from each class verified against it (``paired``: its passages, sorted likewise, and the
    pair's score), and from itself (score 1) when it has two passages or more. Shared by ``find_reuse``
    (``class_echoes``) and the on-disk index (``network.reuse_index``), which reads one class and its
    partners at a time: both give the same echoes from the same pairs.

    Only the offers to one class's passages are held at once, and its echoes are given when it is done:
    a passage's offers all come from its own class's pairs, so its ``MAX_ECHOES`` best are final then.
    ×1000 has half a million passages, and the offers of them all, then the list of every echo, were the
    reuse child's largest tables (network/reuse_spill.py writes the echoes out as they come)."""
    best: dict[int, list[tuple[float, tuple, Passage]]] = defaultdict(list)
    for earlier, score in [*paired, *(((later, 1.0),) if len(later) > 1 else ())]:
        _offer(later, earlier, score, best)
    for n, a in enumerate(later):
        for score, _, b in sorted(best.get(n, ()), reverse=True)[:MAX_ECHOES]:
            yield Echo(a.identifier, b.identifier, round(score, 3), a.document, b.document)


def _offer(later: Sequence[Passage], earlier: Sequence[Passage], score: float,
           best: dict[int, list[tuple[float, tuple, Passage]]]) -> None:
    """Offer each passage of ``later`` (``best`` by its position there) the most recent passages of
    ``earlier`` that precede it in another document (at most ``MAX_ECHOES`` of them: one score).

    A passage keeps only its ``MAX_ECHOES`` best offers (a min-heap: the offers of one passage are
    distinct, so the best are the same whatever the order they come in; two never tie on (score, date
    order, identifier), since a paragraph identifier has one first passage). ``earlier`` is walked by
    position, not sliced (a class of identical texts has one member per copy of the corpus)."""
    keys = [(p.order, p.identifier) for p in earlier]
    for n, a in enumerate(later):
        at = bisect_left(keys, (a.order, a.identifier))
        taken = 0
        offers = best[n]
        for k in range(at - 1, -1, -1):
            if taken == MAX_ECHOES:
                break
            b = earlier[k]
            if b.document != a.document:
                if len(offers) < MAX_ECHOES:
                    heapq.heappush(offers, (score, keys[k], b))
                else:
                    heapq.heappushpop(offers, (score, keys[k], b))
                taken += 1


def attestations(found: Sequence[Passage], sets: Sequence[set]) -> list[Attestation]:
    """Per document printed by two sources, the agreement of its paragraphs' texts (``sets[i]``: the
    shingles of ``found[i]``): ``attested`` of the paragraphs' prints, grouped by identifier."""
    by_id: dict[str, list[int]] = defaultdict(list)
    for index, passage in enumerate(found):
        by_id[passage.identifier].append(index)
    return attested((identifier, [(found[i], sets[i]) for i in indexes]) for identifier, indexes in by_id.items())


def attested(printed: Iterable[tuple[str, Sequence[tuple[Passage, set]]]]) -> list[Attestation]:
    """The attestations, given each paragraph printed more than once with its prints and their shingle
    sets, in reading order (the paragraphs in the order their first print comes, which the mean's sum
    follows). One paragraph's sets are needed at a time: the on-disk index (``network.reuse_index``)
    reads them so, not all at once."""
    scores: dict[tuple[str, str, str], list[tuple[float, str]]] = defaultdict(list)
    for identifier, prints in printed:
        for (a, one), (b, other) in combinations(prints, 2):
            if a.source_file == b.source_file:
                continue
            later, earlier = sorted((a.source_file, b.source_file), reverse=True)
            scores[(a.document, later, earlier)].append((jaccard(one, other), identifier))
    out = []
    for (document, later, earlier), values in sorted(scores.items()):
        lowest, where = min(values)
        out.append(Attestation(document, later, earlier, len(values),
                               round(sum(v for v, _ in values) / len(values), 3), round(lowest, 3), where))
    return out


def edge_key(*parts: str) -> str:
    """The identifier of a reified edge node: ``edge:`` + 16 hex digits of a SHA-1 (``edge_digest``)."""
    return str(ids.Edge(edge_digest(*parts)))


def edge_digest(*parts: str) -> str:
    """The 16 hex digits of an edge node's identifier (``edge_key``), which ``echo_lines`` puts after the
    node's minted root (``graph.uris.minted_root``) instead of minting each node."""
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]


def add_echoes(graph, echoes: Iterable[Echo], attested: Iterable[Attestation], base: str | None = None) -> int:
    """Assert the echoes in ``graph``: direct ``tip:echoes`` edges and reified ``tip:TextReuse`` nodes
    (seven triples an echo, eight an attestation: ``echo_lines``); return how many edges. The lines are
    kept by group of the later document (``graph.memo``): a rebuild makes those of the groups that changed."""
    from tipkg.graph.memo import add_grouped

    records: list[Echo | Attestation] = [*echoes, *attested]
    add_grouped(graph, "echoes", records, group=echo_group, base=base, signature=echo_signature,
                lines=lambda group: echo_lines([e for e in group if isinstance(e, Echo)],
                                               [a for a in group if isinstance(a, Attestation)], base))
    return len(records)


def echo_signature(record: Echo | Attestation) -> tuple:
    """What the key of an echo's line group holds of it (``graph.memo``'s ``signature``): its fields as a
    plain tuple. A slotted dataclass pickles through ``dataclasses``' ``__getstate__``, which looked up its
    fields once per echo: the keys of ×30's 110,000 echoes took an eighth of the reuse child's time.
    ``add_echoes`` and ``reuse_spill`` key their groups by it alike."""
    if isinstance(record, Echo):
        return ("echo", record.later, record.earlier, record.score, record.later_document, record.earlier_document)
    return ("attestation", record.document, record.later_source, record.earlier_source, record.paragraphs,
            record.score, record.lowest, record.lowest_paragraph)


def echo_group(record: Echo | Attestation) -> str:
    """The group of an echo's lines (``graph.memo``): the later paragraph's document, an attestation's.
    The lines are kept per group so a rebuild makes again only those of the documents that changed;
    ``add_echoes`` here and ``reuse_spill`` (where the reuse child makes the same line files under the
    same keys) both group by it."""
    return record.later_document if isinstance(record, Echo) else record.document


_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_DCTERMS_SUBJECT = "<http://purl.org/dc/terms/subject>"


def echo_lines(echoes: Iterable[Echo], attested: Iterable[Attestation], base: str | None = None) -> Iterator[bytes]:
    """The triples of ``add_echoes`` as N-Triples lines (without newlines, unsorted): an echo is
    ``later tip:echoes earlier`` and its ``tip:TextReuse`` node (``rdf:subject``, ``rdf:predicate``,
    ``rdf:object``, ``tip:score``, ``tip:rule``); an attestation the same between two source files,
    with ``dcterms:subject`` the document. Written as text because a large corpus has millions of
    them (×100: 2 M triples; one ``TripleSet.add`` each took 29 CPU s of the build's parent); each
    term is spelled as pyoxigraph writes it (``graph.triples.nt``), so ``graph.nt`` is the same bytes."""
    from tipkg.graph.triples import literal, nt
    from tipkg.graph.uris import mint, minted_root
    from tipkg.ontology.namespace import TIP

    tip = str(TIP)
    echoes_p, a, reuse = f"<{tip}echoes>", f"<{_RDF}type>", f"<{tip}TextReuse>"
    head = (f" {a} {reuse}", f" <{_RDF}subject> ", f" <{_RDF}predicate> {echoes_p}", f" <{_RDF}object> ",
            f" <{tip}score> ", f" <{tip}rule> ")
    scores: dict[float, str] = {}
    rules: dict[str, str] = {}
    terms: dict[str, str] = {}  # a paragraph's term, kept: an echo's earlier paragraph is that of many echoes

    def term(identifier: str) -> str:
        spelled = terms.get(identifier)
        if spelled is None:
            if len(terms) >= TERMS_KEPT:
                terms.clear()
            spelled = terms[identifier] = nt(mint(identifier, base))
        return spelled

    edges = "<" + minted_root("edge:", base)  # an echo's node: this, its digest (``edge_digest``) and ">"

    def reified(subject: str, obj: str, score: float, rule: str, node: str) -> tuple[str, list[bytes]]:
        if score not in scores:
            scores[score] = nt(literal(f"{score:.3f}", datatype=XSD_DECIMAL))
        if rule not in rules:
            rules[rule] = nt(literal(rule))
        return node, [f"{subject} {echoes_p} {obj} .".encode(), f"{node}{head[0]} .".encode(),
                      f"{node}{head[1]}{subject} .".encode(), f"{node}{head[2]} .".encode(),
                      f"{node}{head[3]}{obj} .".encode(), f"{node}{head[4]}{scores[score]} .".encode(),
                      f"{node}{head[5]}{rules[rule]} .".encode()]

    for echo in echoes:
        yield from reified(term(echo.later), term(echo.earlier), echo.score, RULE,
                           f"{edges}{edge_digest(echo.later, 'echoes', echo.earlier)}>")[1]
    for item in attested:
        node, lines = reified(nt(mint(str(ids.SourceFile(item.later_source)), base)),
                              nt(mint(str(ids.SourceFile(item.earlier_source)), base)), item.score,
                              f"attestation: mean Jaccard over {item.paragraphs} paragraphs",
                              nt(mint(edge_key(item.later_source, "echoes", item.earlier_source, item.document), base)))
        yield from lines
        yield f"{node} {_DCTERMS_SUBJECT} {nt(mint(item.document, base))} .".encode()


XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"
#: paragraph terms ``echo_lines`` keeps spelled (then starts afresh): a bucket of ×1000's echoes names ~250,000
TERMS_KEPT = 1 << 16


def _demo() -> list[Passage]:
    text = "يطلب إلى الأمانة أن تساعد الفريق العامل المعني بالاتجار بالأشخاص في أداء مهامه"
    other = "يحث الدول الأعضاء على النظر في التصديق على الاتفاقية وبروتوكولاتها"
    return [Passage("A para 1", "A", "1.txt", ("2006", 1, "2006"), text),
            Passage("A para 2", "A", "1.txt", ("2006", 1, "2006"), other),
            Passage("A para 1", "A", "2.txt", ("2006", 1, "2006"), text),
            Passage("B para 1", "B", "2.txt", ("2008", 1, "2008"), "قرر أيضا أن " + text)]
