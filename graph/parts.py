"""The graph source by source: what one source adds on its own, and its claims, resolved in manifest order.

Most triples of the graph follow from one source alone: its nodes, their
positions, parents, spans, the edges its references make and their citation
nodes. The graph is a set, so the union of each source's triples is the graph,
whatever the order. A few decisions are not the source's to make, because two
sources may speak of the same node and the first one in the manifest wins:

- **labels** — the first text given for a node in a language is its
  ``rdfs:label`` and ``skos:prefLabel``, every other one an ``skos:altLabel``
  (decision 3/3 is titled by 002, then called "Conference of the Parties
  decision 3/3" by the compendium 003);
- **names a reference gives a target** ("General Assembly resolution 61/180")
  — an ``rdfs:label`` unless the node has an English label already, then an
  ``altLabel`` if they differ;
- **texts** — the first source that prints a paragraph or footnote gives its
  ``tip:text``, ``normalizedText``, ``searchText`` and Arabic ``prefLabel``
  (decision 3/3 is printed by 002 and by the compendium).

So each source's part (``source_graph``) is: the triples it adds whatever the
others say; its *contested* triples (the texts of the nodes it prints, each
with that node as subject); and its ``Claims`` (label texts in the order it
makes them, reference names, the nodes whose texts it holds) — small, no
text beyond labels. ``resolve`` reads every source's claims in manifest
order and adds the label triples the old single pass added; of the contested
triples, each node's come from the first source that has any (``first_printers``
reads that off the sorted contested files in a k-way merge, holding no table of
nodes). A source's part can thus be computed in any process, cached as two
sorted N-Triples files and merged into ``graph.nt`` (``tipkg.units``,
``graph.streams``, ``graph.merge``).

The reading order of the visual-order sources (``tipkg.reading_order``) reads a
model of words and word pairs too, but the one shipped with the code
(``tables/reading_model.toml``) and the source's own words, not the corpus's
(``reading_order.source_model``): so a visual source's part also follows from
that source alone, and an edit elsewhere does not recompute it.

>>> c = Claims()
>>> c.label("http://x/n", "en", "A"); c.label("http://x/n", "en", "B"); c.label("http://x/n", "en", "A")
>>> list(c.labels)
[('http://x/n', 'en', 'A'), ('http://x/n', 'en', 'B')]
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import groupby
from operator import itemgetter
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDFS
from rdflib.namespace import SKOS

from tipkg.model import StructuredSource
from tipkg.normalize import is_visual_source
from tipkg.references.thematic_index import ThematicIndex
from tipkg.reading_order import repaired_of, repaired_texts

from .references import add_references
from .merge import FileLines, file_lines
from .thematic_index import add_entries
from .triples import LineSet, TripleSet, literal


@dataclass
class Claims:
    """What a source says that the sources before it may overrule (see the module's docstring)."""

    labels: dict[tuple[str, str, str], None] = field(default_factory=dict)  # (node, lang, text), in order made
    names: set[tuple[str, str]] = field(default_factory=set)  # (node, English name) from a reference
    claimed: list[str] = field(default_factory=list)  # nodes whose texts are in the contested triples
    index: ThematicIndex | None = None  # the thematic index it prints, without its entries (``index_header``)

    def label(self, node: str, lang: str, text: str) -> None:
        self.labels.setdefault((node, lang, text), None)

    def name(self, node: str, text: str) -> None:
        self.names.add((node, text))


def source_graph(graph: TripleSet | LineSet, contested: TripleSet | LineSet, item: StructuredSource, found, base: str | None,
                 reading: dict[tuple[str, str], str], index: ThematicIndex | None = None,
                 index_file: str | None = None) -> Claims:
    """Add what ``item`` (and its references ``found``; None: none at all) says to ``graph``, its
    texts to ``contested``; return its claims. ``reading``: the repaired texts of its paragraphs.

    ``index``: the thematic index the source prints: its entries are added here (their citations
    carry ``index_file``, the file of the corpus's first index, as the merged index of
    ``pipeline.merged_references`` gives them), the rest is a claim (``index_header``)."""
    from .build import Builder

    builder = Builder(graph, base, contested)
    builder.reading = reading
    builder.source(item.source)
    for meeting in item.meetings:
        builder.meeting(meeting, item.source)
    for document in item.documents:
        builder.document(document, item.source)
    if found is not None:
        add_references(graph, found, base, claims=builder.claims)
    if index is not None:
        add_entries(graph, index.entries, index_file or index.source_file, base)
        builder.claims.index = replace(index, entries=(), unreconciled=(), unplaced=(), warnings=())
    return builder.claims


def index_header(claims: Iterable[Claims]) -> ThematicIndex | None:
    """The thematic index as ``pipeline.merged_references`` merges the sources' indexes, without
    its entries (each source's part has its own): the first index's scheme, topics and offsets,
    and the notations of all, a later index's overriding an earlier one's."""
    out = None
    for c in claims:
        if c.index is not None:
            out = c.index if out is None else replace(out, notations={**out.notations, **c.index.notations})
    return out


def resolve(graph: TripleSet, claims: Iterable[Claims]) -> list[set[str]]:
    """Add the label triples the ``claims`` (the tables' first, then every source's in manifest
    order) come to; return, for each source after the first, the nodes whose texts it lost. The claims
    are read once, one at a time (a ``FilePart``'s are read back from its record as they are asked for)."""
    preferred: dict[tuple[str, str], str] = {}
    other: set[tuple[str, str, str]] = set()
    names: list[tuple[str, str]] = []  # read against the labels of every source, after them
    first: dict[str, int] = {}
    lost = []
    for i, c in enumerate(claims):
        for node, lang, text in c.labels:
            if preferred.setdefault((node, lang), text) != text:
                other.add((node, lang, text))
        names += c.names
        lost.append({node for node in c.claimed if first.setdefault(node, i) != i})
    add = graph.add
    for (node, lang), text in preferred.items():
        subject, label = ox.NamedNode(node), literal(text, lang=lang)
        add((subject, RDFS.label, label))
        add((subject, SKOS.prefLabel, label))
    for node, lang, text in other:
        add((ox.NamedNode(node), SKOS.altLabel, literal(text, lang=lang)))
    for node, text in names:
        title = preferred.get((node, "en"))
        if title is None:
            add((ox.NamedNode(node), RDFS.label, literal(text, lang="en")))
        elif title != text:
            add((ox.NamedNode(node), SKOS.altLabel, literal(text, lang="en")))
    return lost[1:]


class MemoryPart:
    """A source's part held in memory (``build_graph`` without precomputed parts)."""

    def __init__(self, contested: TripleSet, claims: Claims):
        self.contested, self.claims = contested, claims

    @property
    def indexed(self) -> bool:
        return self.claims.index is not None

    def add_to(self, graph: TripleSet, lost: set[str]) -> None:
        for t in self.contested:
            if not (isinstance(t.subject, ox.NamedNode) and t.subject.value in lost):
                graph.add((t.subject, t.predicate, t.object))


@dataclass
class FilePart:
    """A source's part as two sorted N-Triples files (the cache's, ``tipkg.units``) and its claims
    (without ``claimed``: who prints a node first is read off the contested files, ``first_printers``),
    read back from the part's ``record`` each time they are asked for: the build's parent held every
    part's claims through the graph stage (×30: 27 KB a source, 0.14 GB at ×1000), and the heap they
    grew stayed with it, and with every child it forked, after they were let go. ``indexed``: whether
    they hold the thematic index it prints (``index_header``)."""

    lines: Path
    contested: Path
    record: Path
    facts: Path | None = None  # what the gists read of its own lines (``graph.gists.Tables``), cached with it
    indexed: bool = False

    @property
    def claims(self) -> Claims:
        from tipkg.part_cache import read_claims  # tipkg.part_cache stores parts, and imports this module

        return read_claims(self.record)

    def add_to(self, graph: TripleSet, lost: set[str]) -> None:
        """Have ``graph`` take in the source's own lines (known to the gists when its tables are here): a
        ``SpilledTriples`` merges the file into graph.nt as it is, a set held in memory parses it."""
        graph.include(FileLines(self.lines), known=self.facts is not None)


def add_parts(graph: TripleSet, parts: Sequence, lost: Sequence[set[str]]) -> None:
    """Add every part's triples to ``graph``: its own, and the texts of the nodes it prints first. Parts
    read from files (``FilePart``) go into any ``TripleSet`` (``TripleSet.include``): a build's
    ``SpilledTriples`` merges them as they are, a set held in memory takes their lines."""
    for part, gone in zip(parts, lost):
        part.add_to(graph, gone)
    files = [p.contested for p in parts if isinstance(p, FilePart)]
    if files:  # texts only: nothing a gist reads (``tipkg.part_cache.PartCache`` checks each file for it)
        graph.include(lambda: first_printers(files), known=all(p.facts is not None for p in parts))


def first_printers(paths: Sequence[Path]) -> Iterator[bytes]:
    """The lines of the contested files (in manifest order), each node's from the first file that has
    it: a k-way merge by subject, so no table of nodes is held (a sorted line is sorted by subject
    first, the subject ending with ``>``). Sorted lines out, newlines kept.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> first, second = folder / "002.nt", folder / "003.nt"  # both print <http://x/p>
    >>> _ = first.write_bytes(b'<http://x/p> <http://x/text> "as 002 prints it" .\\n')
    >>> _ = second.write_bytes(b'<http://x/o> <http://x/text> "only 003" .\\n'
    ...                        b'<http://x/p> <http://x/text> "as 003 prints it" .\\n')
    >>> [line.decode().split('"')[1] for line in first_printers([first, second])]
    ['only 003', 'as 002 prints it']
    """
    def tagged(i: int, path: Path) -> Iterator[tuple[bytes, int, bytes]]:
        for line in file_lines(path):
            yield line[:line.index(b" ")], i, line

    for _, group in groupby(heapq.merge(*(tagged(i, p) for i, p in enumerate(paths))), key=itemgetter(0)):
        first = None
        for _, i, line in group:
            if first is None:
                first = i
            if i == first:
                yield line


def in_memory_parts(structured: Sequence[StructuredSource], base: str | None, references, tables) -> list[MemoryPart]:
    """Every source's part, computed here: unconditional triples straight into ``tables.graph``."""
    graph = tables.graph
    reading = repaired_texts(structured)
    by_file: dict[str, list] = defaultdict(list)
    for r in references or ():
        by_file[r.source_file].append(r)
    files = {item.source.file for item in structured}
    stray = [r for f, rs in by_file.items() if f not in files for r in rs]
    if stray:  # references of no source given: named like any other
        add_references(graph, stray, base, claims=tables.claims)
    parts = []
    for item in structured:
        contested = TripleSet()
        found = by_file.get(item.source.file, []) if references is not None else None
        parts.append(MemoryPart(contested, source_graph(graph, contested, item, found, base, reading)))
    return parts


def source_chunk(item: StructuredSource, found, base: str | None, reading: dict[tuple[str, str], str],
                 index: ThematicIndex | None = None, index_file: str | None = None) -> tuple[bytes, bytes, Claims]:
    """A source's part as sorted N-Triples: (its own lines, its contested lines, its claims); made as
    lines (``LineSet``), as nothing here reads the triples back."""
    graph, contested = LineSet(), LineSet()
    claims = source_graph(graph, contested, item, found, base, reading, index, index_file)
    claims.claimed = []  # read off the contested lines instead (``first_printers``): no list of every node kept
    return graph.ntriples(), contested.ntriples(), claims


def visual(item: StructuredSource) -> bool:
    return is_visual_source(item.source.text)


def reading_of(item: StructuredSource) -> dict[tuple[str, str], str]:
    """The repaired texts of a visual source's paragraphs (``reading_order.repaired_of``: from the
    source and the shipped word model alone), {} for any other source."""
    return repaired_of(item) if visual(item) else {}


LineSource = Callable[[], Iterable[bytes]]
