"""VoID's figures counted from graph.nt's segments, without holding the graph or querying the store whole.

Most figures add up over segments (``count`` one, ``Sums`` many): triples; subjects and entities (a
subject's lines are all in one segment); triples per class and per property; the least IRI of
each example class and each source's least label (minima). Two do not: the distinct objects, and
per property the distinct IRI objects ("links"). They are counted exactly either way:

- ``partition_distinct``: each segment's distinct objects in a file, grouped into ``PARTITIONS``
  by their CRC-32 (``write_objects``); each partition of all segments is then counted with a set
  of its own, the partitions in the process pool (an object is in one partition whatever its
  segment, so the counts add up). A pass over the objects of every segment, in C (sets, counters)
  rather than a merge line by line, and never in the build's parent;
- ``distinct_after``: from the previous build's figures and the delta (the lines removed from and
  added to graph.nt, ``graph/delta.py``): an object ``o`` changed is present now if the new store
  has a triple with it, and was present before if it has more than ``added(o) − removed(o)`` such
  triples; so each figure moves by (now − before) over the objects of the delta alone — at most
  ``added(o) − removed(o) + 1`` of their triples looked at. O(delta), not O(graph).
"""

from __future__ import annotations

import itertools
import os
import zlib
from collections import Counter
from operator import itemgetter
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS
from rdflib.namespace import DCTERMS

from tipkg.graph.dumps import EXAMPLE_CLASSES, VoidStatistics
from tipkg.ontology.namespace import TIP

#: the distinct objects are counted in this many parts (each part's set is about 1/PARTITIONS of them)
PARTITIONS = 32
#: the most an objects' file's first line can take: 2 × PARTITIONS + 1 offsets of up to 20 digits, spaced
HEADER = (2 * PARTITIONS + 1) * 21

_TYPE, _IDENTIFIER, _LABEL = (f"<{p}>".encode() for p in (RDF.type, DCTERMS.identifier, RDFS.label))
_SOURCE_TEXT = f"<{TIP.SourceText}>".encode()
_EXAMPLES = {f"<{c}>".encode(): str(c) for c in EXAMPLE_CLASSES}
_SPECIAL = {_TYPE, _IDENTIFIER, _LABEL}


def split(line: bytes) -> tuple[bytes, bytes, bytes]:
    """Subject, predicate and object of an N-Triples line (no newline): split at the first two spaces
    (an IRI or blank node label holds none), the `` .`` dropped."""
    first = line.index(b" ")
    second = line.index(b" ", first + 1)
    return line[:first], line[first + 1:second], line[second + 1:-2]


def count(parts, objects: bool = True) -> tuple[VoidStatistics, tuple[set[bytes], set[bytes]]]:
    """A segment's VoID counts (whole subjects' sorted lines, split: ``jsonld.split_lines``), and if
    ``objects`` its distinct objects and its distinct links (``PROPERTY OBJECT`` for an IRI object). Counted over columns (``Counter``, sets) rather than line by line; only the lines
    of rdf:type, dcterms:identifier and rdfs:label are looked at one by one."""
    stats = VoidStatistics(triples=len(parts), subjects=len(set(map(itemgetter(0), parts))))
    stats.properties = {_value(p): n for p, n in Counter(map(itemgetter(1), parts)).items()}
    special = [part for part in parts if part[1] in _SPECIAL]
    types = [(s, o) for s, p, o, _ in special if p == _TYPE]
    stats.classes = {_value(c): n for c, n in Counter(map(itemgetter(1), types)).items()}
    stats.entities = len({s for s, p, _, _ in special if p == _IDENTIFIER})
    for s, o in types:
        if o in _EXAMPLES and s[:1] == b"<":
            iri = s[1:-1].decode("utf-8")
            stats.examples[_EXAMPLES[o]] = min(iri, stats.examples.get(_EXAMPLES[o], iri))
    sources = {s for s, o in types if o == _SOURCE_TEXT}
    if sources:
        labels: dict[bytes, list[str]] = {}
        for s, p, _, line in special:
            if p == _LABEL and s in sources:
                labels.setdefault(s, []).append(_term(line).value)
        stats.sources = {_value(s): min(labels[s]) if s in labels else None for s in sorted(sources)}
    if not objects:
        return stats, (set(), set())
    # ``PROPERTY OBJECT`` is the line without its subject and its `` .``: cut from it, no pair made and
    # joined (×30, the links: 0.43 → 0.26 µs a line; an object is never empty, ``o[0]`` is its first byte)
    links = {line[len(s) + 1:-2] for s, _, o, line in parts if o[0] == 60}  # "<": an IRI
    return stats, (set(map(itemgetter(2), parts)), links)


class Sums:
    """The counts of runs of whole subjects added up (not the distinct objects), in place: a build adds
    one segment's at a time, thousands at ×100, each as the index keeps them (``asdict`` of a
    ``VoidStatistics``: a copied segment's are read from the previous index as they stand). Adding
    two VoidStatistics into a third, with Counters, cost ×10 rebuild 0.04 CPU s (×100 0.4) in the
    text dumps' process, with the ``asdict`` back of the index's counts."""

    def __init__(self) -> None:
        self.stats = VoidStatistics()

    def add(self, counts: dict) -> None:
        stats = self.stats
        stats.triples += counts["triples"]
        stats.entities += counts["entities"]
        stats.subjects += counts["subjects"]
        for mine, theirs in ((stats.classes, counts["classes"]), (stats.properties, counts["properties"])):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n
        for cls, iri in counts["examples"].items():
            if cls not in stats.examples or iri < stats.examples[cls]:
                stats.examples[cls] = iri
        stats.sources.update(counts["sources"])


def write_objects(objects: set[bytes], links: set[bytes], path: str) -> None:
    """A segment's distinct objects and links (``count``'s) in ``path``, one a line, grouped by
    partition (the objects' then the links'): its first line is the 2 × ``PARTITIONS`` + 1 offsets
    of the groups in the rest."""
    groups: list[list[bytes]] = [[] for _ in range(2 * PARTITIONS)]
    crc32 = zlib.crc32
    for base, values in ((0, objects), (PARTITIONS, links)):
        appends = [group.append for group in groups[base:base + PARTITIONS]]
        for value in values:
            appends[crc32(value) % PARTITIONS](value)
    bodies = [b"\n".join(group) + b"\n" if group else b"" for group in groups]  # ×10: 0.17 → 0.14 s
    offsets = [0, *itertools.accumulate(map(len, bodies))]
    with open(path, "wb") as out:
        out.write(" ".join(map(str, offsets)).encode() + b"\n")
        out.writelines(bodies)


def partition_distinct(paths: list[str], partition: int) -> tuple[int, Counter[bytes]]:
    """The distinct objects of one partition of the segments' object files (``write_objects``), and
    its distinct links per property (N-Triples form). Each file is read with two or three ``pread``
    and only the four offsets of the partition's groups are read from its first line: every
    partition reads every file, thousands at ×100 (a buffered file object and all of its offsets
    each time were 40 % of this count, ×10: 0.23 → 0.14 CPU s)."""
    objects: set[bytes] = set()
    links: set[bytes] = set()
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            head = os.pread(fd, HEADER, 0)
            end = head.find(b"\n") + 1
            offsets = head[:end].split()
            if not end or len(offsets) != 2 * PARTITIONS + 1:
                raise ValueError(f"{path}: not an objects' file of {PARTITIONS} partitions")
            for into, group in ((objects, partition), (links, PARTITIONS + partition)):
                start, stop = int(offsets[group]), int(offsets[group + 1])
                if stop > start:
                    into.update(os.pread(fd, stop - start, end + start).split(b"\n")[:-1])
        finally:
            os.close(fd)
    properties = Counter(map(itemgetter(0), map(bytes.partition, links, itertools.repeat(b" "))))
    return len(objects), properties


def summed_distinct(counts) -> tuple[int, dict[str, int]]:
    """The distinct objects and links (by property IRI) of the graph: its partitions' summed."""
    objects, links = 0, Counter[bytes]()
    for n, properties in counts:
        objects += n
        links.update(properties)
    return objects, {_value(p): n for p, n in sorted(links.items())}


def distinct_after(objects: int, links: dict[str, int], removed: Path, added_lines: Path,
                   store: ox.Store) -> tuple[int, dict[str, int]] | None:
    """The distinct objects and links of the new graph (its ``store``) from the previous graph's
    and the delta's sorted lines; None if the delta has a blank node (a store is not asked about one)."""
    changes: dict[bytes, list[int]] = {}  # object -> [removed, added]; (property, object) alike
    pairs: dict[tuple[bytes, bytes], list[int]] = {}
    for side, path in ((0, removed), (1, added_lines)):
        with open(path, "rb", buffering=1 << 20) as lines:
            for line in lines:
                s, p, o = split(line.rstrip(b"\n"))
                if s[:1] == b"_" or o[:1] == b"_":
                    return None
                changes.setdefault(o, [0, 0])[side] += 1
                if o[:1] == b"<":
                    pairs.setdefault((p, o), [0, 0])[side] += 1
    links = Counter(links)
    for o, (gone, new) in changes.items():
        objects += _moved(store, None, o, gone, new)
    for (p, o), (gone, new) in pairs.items():
        links[_value(p)] += _moved(store, p, o, gone, new)
    return objects, {p: n for p, n in links.items() if n}


def _moved(store: ox.Store, p: bytes | None, o: bytes, gone: int, new: int) -> int:
    """+1 if the object (with that property) appears now and did not before, -1 if the reverse, else 0:
    before = now − new + gone, so only whether now is 0 and whether it exceeds new − gone matter."""
    term = _object(b"<x:s> <x:p> " + o + b" .").object
    predicate = ox.NamedNode(p[1:-1].decode("utf-8")) if p is not None else None
    limit = max(new - gone, 0) + 1
    now = sum(1 for _ in itertools.islice(store.quads_for_pattern(None, predicate, term, ox.DefaultGraph()), limit))
    before = now > new - gone if now < limit else True
    return (now > 0) - before


def _object(line: bytes) -> ox.Quad:
    (triple,) = ox.parse(line + b"\n", format=ox.RdfFormat.N_TRIPLES)
    return triple


def _term(line: bytes) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The object of an N-Triples line: never a triple term in graph.nt (RDF 1.1), which would have no value."""
    term = _object(line).object
    if isinstance(term, ox.Triple):
        raise ValueError(f"a triple term as an object, which VoID does not count: {line!r}")
    return term


def _value(term: bytes) -> str:
    """The value of an N-Triples IRI (or other term, parsed)."""
    if term[:1] == b"<":
        return term[1:-1].decode("utf-8")
    return _term(b"<x:s> <x:p> " + term + b" .").value
