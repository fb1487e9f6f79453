"""A draft and the text adopted from it, aligned paragraph by paragraph by content.

Pairing by position says "draft para 1 ↔ adopted para a" for unrelated texts:
the revised draft of decision 4/4 had eight preambular paragraphs, the adopted
4/4 turned five of them into operative ones ("para a" is draft "pp 5"). So the
two texts are aligned by what they say:

- similarity is the Jaccard index of the word-internal character 4-grams of
  ``network.reuse`` (order-proof: the draft was extracted in visual order);
- pairs are taken best first, each paragraph at most once, while the score
  reaches ``THRESHOLD`` (draft "para 2" loses "para b" to "pp 6", 0.91, and
  takes "para f", 0.51);
- a draft paragraph left over was **dropped**, an adopted one left over was
  **added**.

In RDF (``add_alignments``): ``draft-paragraph tip:adoptedAs adopted-paragraph``
for each pair, and one ``tip:Alignment`` node per row — ``rdf:subject`` the
draft paragraph, ``rdf:object`` the adopted one (either absent for dropped /
added), ``tip:alignmentStatus`` ``adopted`` / ``dropped`` / ``added``,
``tip:score``, ``tip:position`` (the row's place in draft order, added
paragraphs after the row of the adopted paragraph before them) and
``dcterms:subject`` the draft document.

>>> rows = align_texts([("d1", "يطلب إلى الأمانة أن تساعد الفريق العامل المعني بالاتجار"),
...                     ("d2", "وإذ يستذكر قرار الجمعية العامة المؤرخ")],
...                    [("a1", "يطلب أيضا إلى الأمانة أن تساعد الفريق العامل المعني بالاتجار"),
...                     ("a2", "يحث الدول الأعضاء على التصديق على البروتوكول")])
>>> [(r.draft, r.adopted, r.status) for r in rows]
[('d1', 'a1', 'adopted'), ('', 'a2', 'added'), ('d2', '', 'dropped')]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tipkg.model import Document, StructuredSource

from .reuse import edge_key, jaccard, shingles

THRESHOLD = 0.30
RULE = "alignment: best-first one-to-one Jaccard of word-internal char 4-grams, threshold 0.30"
SKIPPED = ("footnote", "agenda-item", "agenda-subitem")


@dataclass(frozen=True)
class Aligned:
    """One row of an alignment: a pair, a dropped draft paragraph or an added one."""

    draft_document: str
    draft: str          # "" when added
    adopted: str        # "" when dropped
    score: float
    status: str         # adopted | dropped | added
    position: int


def align_texts(draft: Sequence[tuple[str, str]], adopted: Sequence[tuple[str, str]],
                document: str = "", threshold: float = THRESHOLD) -> list[Aligned]:
    """Align two lists of (identifier, text) in reading order."""
    ds = [shingles(t) for _, t in draft]
    as_ = [shingles(t) for _, t in adopted]
    scored = sorted(((jaccard(a, b), i, j) for i, a in enumerate(ds) for j, b in enumerate(as_)),
                    key=lambda x: (-x[0], x[1], x[2]))
    pair_of_draft: dict[int, tuple[int, float]] = {}
    taken: set[int] = set()
    for score, i, j in scored:
        if score < threshold:
            break
        if i in pair_of_draft or j in taken:
            continue
        pair_of_draft[i] = (j, score)
        taken.add(j)
    draft_of_adopted = {j: i for i, (j, _) in pair_of_draft.items()}
    keyed: list[tuple[tuple, Aligned]] = []
    for i, (identifier, _) in enumerate(draft):
        if i in pair_of_draft:
            j, score = pair_of_draft[i]
            keyed.append(((i, 0, j), Aligned(document, identifier, adopted[j][0], round(score, 3), "adopted", 0)))
        else:
            keyed.append(((i, 0, -1), Aligned(document, identifier, "", 0.0, "dropped", 0)))
    for j, (identifier, _) in enumerate(adopted):
        if j in draft_of_adopted:
            continue
        before = max((draft_of_adopted[k] for k in draft_of_adopted if k < j), default=-1)
        keyed.append(((before, 1, j), Aligned(document, "", identifier, 0.0, "added", 0)))
    keyed.sort(key=lambda k: k[0])
    return [Aligned(a.draft_document, a.draft, a.adopted, a.score, a.status, n)
            for n, (_, a) in enumerate(keyed, 1)]


def align(structured: Sequence[StructuredSource]) -> list[Aligned]:
    """Every draft of the corpus against the document it was adopted as (first source of each). One reading
    keeps the drafts and the documents adopted from drafts already met; one adopted before its draft is read
    back from its source's place in ``structured`` (the build's parent reads the sources back one at a time,
    ``tipkg.held``, and holds no other document)."""
    first: dict[str, int] = {}  # every document's first source, by its place in ``structured``
    kept: dict[str, Document] = {}  # the first print of each draft, and of each document adopted from one
    drafts: list[Document] = []
    for i, item in enumerate(structured):
        for document in item.documents:
            if document.identifier in first:
                continue
            first[document.identifier] = i
            if document.adopted_as or document.identifier in kept:
                kept[document.identifier] = document
            if document.adopted_as:
                drafts.append(document)
                kept.setdefault(document.adopted_as, None)  # type: ignore[arg-type]  # wanted, not met yet
    out = []
    for document in drafts:
        target = document.adopted_as or ""
        if target not in first:
            continue
        adopted = kept.get(target) or next(d for d in structured[first[target]].documents if d.identifier == target)
        out += align_documents(document, adopted)
    return out


def align_documents(draft: Document, adopted: Document) -> list[Aligned]:
    """The rows of one draft against the document adopted from it (what ``align`` does for each draft; the
    build's parent caches them by the two sources, ``tipkg.views``)."""
    return align_texts([(p.identifier, p.normalized or p.text) for p in draft.paragraphs if p.kind not in SKIPPED],
                       [(p.identifier, p.normalized or p.text) for p in adopted.paragraphs if p.kind not in SKIPPED],
                       draft.identifier)


def decimal_text(value: float) -> str:
    """A score in the canonical xsd:decimal form ("0.91", not "0.910"): stores that
    canonicalize (Jena) then print the same value as the embedded store.

    >>> decimal_text(0.910), decimal_text(0.345), decimal_text(1.0)
    ('0.91', '0.345', '1.0')
    """
    text = f"{value:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def add_alignments(graph, rows: Iterable[Aligned], base: str | None = None) -> int:
    """Assert the pairs (``tip:adoptedAs``) and one ``tip:Alignment`` node per row."""
    from rdflib import RDF, XSD
    from rdflib.namespace import DCTERMS

    from tipkg.graph.triples import literal
    from tipkg.graph.uris import mint
    from tipkg.ontology.namespace import TIP

    count = 0
    for row in rows:
        node = mint(edge_key(row.draft_document, "adoptedAs", row.draft, row.adopted), base)
        graph.add((node, RDF.type, TIP.Alignment))
        graph.add((node, RDF.predicate, TIP.adoptedAs))
        graph.add((node, DCTERMS.subject, mint(row.draft_document, base)))
        graph.add((node, TIP.alignmentStatus, literal(row.status)))
        graph.add((node, TIP.position, literal(row.position)))
        graph.add((node, TIP.rule, literal(RULE)))
        if row.draft:
            graph.add((node, RDF.subject, mint(row.draft, base)))
        if row.adopted:
            graph.add((node, RDF.object, mint(row.adopted, base)))
        if row.draft and row.adopted:
            graph.add((mint(row.draft, base), TIP.adoptedAs, mint(row.adopted, base)))
            graph.add((node, TIP.score, literal(decimal_text(row.score), datatype=XSD.decimal)))
        count += 1
    return count
