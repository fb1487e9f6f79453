"""Turtle of sorted N-Triples lines, written from their bytes as pyoxigraph's Turtle writer writes it.

``graph.ttl`` (and TriG's graph blocks, ``dumps.trig_blocks``) were pyoxigraph's Turtle of each
segment: its N-Triples parsed into Python term objects, and those handed back to the writer —
about 1.2 µs a triple, most of it making and reading the objects. The Turtle differs from the
canonical N-Triples of graph.nt in few places, so ``turtle_body`` writes it from the split lines
(``jsonld.split_lines``) directly: a subject's lines become one block, ``S P O , O ;`` then a tab
and ``P O`` per further predicate, `` .`` and a newline at its end (lines sorted: a subject's lines
and a predicate's objects are together). A term is copied as it stands where pyoxigraph writes
it so — a plain or language-tagged literal (the same escapes as canonical N-Triples; graph.nt's
language tags are lower case), an IRI under none of the prefixes — and every other term (a
predicate, an IRI a prefix abbreviates, a typed literal, a blank node) is written by pyoxigraph
itself, once per distinct term, and kept (``_Terms``): the bytes are pyoxigraph's, with no rule
of its (which prefix, which escapes in a local name, which numbers go bare) copied here.
tests/test_segment_render.py checks the result against pyoxigraph's Turtle of every segment of
the corpus and of terms chosen to be awkward.
"""

from __future__ import annotations

import functools
from typing import cast

import pyoxigraph as ox

_TYPE = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
#: terms kept per writer before it starts again (a segment's typed literals and prefixed IRIs: fewer)
KEPT = 1 << 16


def turtle_body(parts, prefixes: dict[str, str]) -> bytes:
    """The Turtle (without prefix lines) of whole subjects' sorted N-Triples lines, split
    (``jsonld.split_lines``): what pyoxigraph's writer gives of them after its prefix lines."""
    return b"".join(block for _, block in turtle_blocks(parts, prefixes))


def turtle_blocks(parts, prefixes: dict[str, str]) -> list[tuple[int, bytes]]:
    """``turtle_body`` by subject: each subject's block (ending `` .`` and a newline) with where its
    lines start in ``parts`` (TriG places a subject's block whole, or its lines: ``dumps.trig_blocks``)."""
    return _terms(tuple(prefixes.items())).blocks(parts)


@functools.cache
def _terms(prefixes: tuple[tuple[str, str], ...]) -> _Terms:
    return _Terms(dict(prefixes))


class _Terms:
    """pyoxigraph's Turtle of the terms of the lines, with the prefixes given."""

    def __init__(self, prefixes: dict[str, str]):
        self.prefixes = prefixes
        #: an IRI starting so is one a prefix may abbreviate: pyoxigraph writes it
        self.namespaced = tuple(f"<{ns}".encode("utf-8") for ns in prefixes.values())
        self.objects: dict[bytes, bytes] = {}
        self.predicates: dict[bytes, bytes] = {}  # a predicate, a space either side: after the subject
        self.continued: dict[bytes, bytes] = {}  # a predicate after another of the same subject
        head = self._line(b'<urn:s> <urn:p> "o" .\n')  # what pyoxigraph writes before an object
        self.head = head[:len(head) - len(b'"o" .\n')]

    def _line(self, ntriples: bytes) -> bytes:
        body = cast(bytes, ox.serialize(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES),
                                        format=ox.RdfFormat.TURTLE, prefixes=self.prefixes))
        while body.startswith(b"@prefix "):
            body = body[body.index(b"\n") + 1:]
        return body

    def object(self, term: bytes) -> bytes:
        """pyoxigraph's Turtle of a subject or an object (as an object: a term is written alike in both places)."""
        line = self._line(b"<urn:s> <urn:p> " + term + b" .\n")
        if not line.startswith(self.head) or not line.endswith(b" .\n"):
            raise ValueError(f"pyoxigraph's Turtle of {term!r} is not one term: {line!r}")
        if len(self.objects) >= KEPT:
            self.objects.clear()
        written = self.objects[term] = line[len(self.head):-3]
        return written

    def predicate(self, term: bytes) -> tuple[bytes, bytes]:
        """pyoxigraph's Turtle of a predicate, as it follows its subject and as it follows another
        predicate's objects (kept so: one piece a line)."""
        line = self._line(b'<urn:s> ' + term + b' "o" .\n')
        subject = self.head.split(b" ", 1)[0] + b" "
        if not line.startswith(subject) or not line.endswith(b' "o" .\n'):
            raise ValueError(f"pyoxigraph's Turtle of {term!r} is not one predicate: {line!r}")
        written = line[len(subject):-len(b' "o" .\n')]
        self.predicates[term] = b" " + written + b" "
        self.continued[term] = b" ;\n\t" + written + b" "
        return self.predicates[term], self.continued[term]

    def blocks(self, parts) -> list[tuple[int, bytes]]:
        blocks: list[tuple[int, bytes]] = []
        out: list[bytes] = []
        append = out.append
        objects, predicates, continued, namespaced = self.objects, self.predicates, self.continued, self.namespaced
        subject = predicate = None
        start = 0
        for i, (s, p, o, _) in enumerate(parts):
            head = o[:1]
            if head == b'"' and o[-1:] != b">" or head == b"<" and not o.startswith(namespaced):
                term = o  # a plain or language-tagged literal; an IRI no prefix abbreviates
            else:
                term = objects.get(o) or self.object(o)
            if s == subject:
                if p == predicate:
                    append(b" , ")
                else:
                    predicate = p
                    append(continued.get(p) or self.predicate(p)[1])
            else:
                if subject is not None:
                    append(b" .\n")
                    blocks.append((start, b"".join(out)))
                    out.clear()
                subject, start, predicate = s, i, p
                append(s if s[:1] == b"<" and not s.startswith(namespaced) else objects.get(s) or self.object(s))
                append(predicates.get(p) or self.predicate(p)[0])
            append(term)
        if subject is not None:
            append(b" .\n")
            blocks.append((start, b"".join(out)))
        return blocks
