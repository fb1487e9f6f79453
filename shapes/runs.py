"""Reading the graph as runs of subjects: each subject with its {predicate: objects}, from a sorted graph.nt or a store.

The single pass of validation (``shapes/local.py``) answers most checks from a focus node's own triples.
``graph.nt`` is sorted, so a subject's triples are one run of lines: ``nt_runs`` reads them once, splitting
lines as bytes and decoding only the predicates wanted; ``parts`` cuts the file at subjects' first lines
so that two readers can share it; ``store_runs`` gives the same runs from a store. Terms are read as the
store keeps them (``Term``): a typed literal canonical (asked of pyoxigraph once per distinct short
literal, ``Canonical``), a language tag in lower case. A blank node, or lines out of order: ``Unsorted``,
and validation asks the queries instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import cast

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

# a term: ("I", iri, "") or ("L", lexical form, "" | "@lang" | "^^datatype"), canonical as the store keeps it
Term = tuple[str, str, str]


class Unsorted(Exception):
    """The graph cannot be read as runs of subjects here (out of order, or a blank node): use the queries."""



_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_SIMPLE = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)) if (m.group(1) or m.group(2))
                       else _SIMPLE[m.group(3)], text)


class Asked:
    """One question about one value put to an empty pyoxigraph store (``SELECT … WHERE { VALUES … }``);
    its answer, the first cell, remembered for a short value. What is asked: the canonical form of each
    distinct typed literal (``Canonical``) and each datatype's lexical test or range per distinct value
    (``_Sparql``) — at ×100, 7,408 answers, about 1 MB, over a 1.2 GB graph.nt (the validation's
    memory is elsewhere). A value's text has no bound, though, and a long one is asked about once: only
    values of at most ``SHORT`` characters are remembered, and at most ``MEMO`` answers (then the memory
    starts again empty). The answers are the same either way."""

    SHORT = 64
    MEMO = 1 << 14

    def __init__(self) -> None:
        self.known: dict[tuple, object] = {}
        self.store = ox.Store()

    def ask(self, key: tuple, length: int, query: Callable[[], str]):
        found = self.known.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            ((found,),) = cast(ox.QuerySolutions, self.store.query(query()))
            if length <= self.SHORT:
                if len(self.known) >= self.MEMO:
                    self.known.clear()
                self.known[key] = found
        return found


_UNKNOWN = object()


class Canonical(Asked):
    """Typed literals as the store keeps them ("01"^^xsd:integer is "1")."""

    def __call__(self, lexical: str, datatype: str) -> str:
        def query() -> str:
            return f"SELECT ?v WHERE {{ VALUES ?v {{ {ox.Literal(lexical, datatype=ox.NamedNode(datatype))} }} }}"
        return self.ask((lexical, datatype), len(lexical), query).value


def parts(path: str | Path, count: int, least: int = 8 << 20) -> list[tuple[int, str | None]]:
    """Where ``count`` readers of a sorted N-Triples file start, each at a subject's first line:
    (byte offset, that subject as written; None for the first). A file under ``least`` bytes is one part."""
    size = Path(path).stat().st_size
    out: list[tuple[int, str | None]] = [(0, None)]
    with open(path, "rb") as f:
        for k in range(1, count if size >= least else 1):
            f.seek(max(size * k // count, out[-1][0]))
            f.readline()  # the rest of the line the offset fell in
            first = f.readline().split(b" ", 1)[0]
            while True:
                at, line = f.tell(), f.readline()
                if not line:
                    return out
                subject = line.split(b" ", 1)[0]
                if subject != first:
                    out.append((at, subject.decode("utf-8")))
                    break
    return out


class Runs:
    """Runs of subjects (iterated: (subject IRI, {predicate: its objects})), which of some triples the
    graph they are read from lacks (``missing``: a file of N-Triples lines of IRIs -> those lines not in the
    graph), what a check of kind "edge" asks once every run is read, and one node's values of a predicate
    (``values``), what the checks of ``shapes/parents.py`` ask of a node not among the runs just read."""

    def __init__(self, items: Iterable[tuple[str, dict[str, list[Term]]]], missing: Callable[[Path], set[bytes]],
                 values: Callable[[str, str], list[Term]] | None = None):
        self.items, self.missing, self.values = items, missing, values

    def __iter__(self) -> Iterator[tuple[str, dict[str, list[Term]]]]:
        return iter(self.items)


def nt_runs(path: str | Path, wanted: set[str], start: int = 0, stop: str | None = None) -> Runs:
    """The runs of a sorted N-Triples file (``_nt_runs``); its missing triples found by one merge with it."""
    from tipkg.shapes.edges import missing_in_file  # edges and parents read local's terms: imported when used
    from tipkg.shapes.parents import file_lookup

    return Runs(_nt_runs(path, wanted, start, stop), lambda keys: missing_in_file(Path(path), keys),
                file_lookup(Path(path)))


def _nt_runs(path: str | Path, wanted: set[str], start: int = 0, stop: str | None = None
             ) -> Iterator[tuple[str, dict[str, list[Term]]]]:
    """(subject IRI, {predicate: its objects}) for each subject of a sorted N-Triples file, the
    predicates restricted to ``wanted``; from the byte offset ``start`` (a subject's first line) up to
    the subject ``stop`` as written (``parts``). Raises ``Unsorted`` on a blank node or a subject out of
    order (or ``stop`` never met: then the parts do not tile the file). The lines are split as bytes and
    only what is kept is decoded (a subject once, the objects of wanted predicates): decoding every
    line first was a third of the pass (×30: 2.5 of 4.9 CPU s in this function)."""
    canonical = Canonical()
    subject, previous, iri = None, b"", ""
    props: dict[str, list[Term]] = {}
    tokens = {f"<{p}>".encode("utf-8"): p for p in wanted}  # a predicate as written -> as read
    end_at = stop.encode("utf-8") if stop is not None else None
    terms: dict[bytes, Term] = {}  # an object as written (with its " .\n") -> as read, for short ones
    short, most = _SHORT_OBJECT, OBJECTS
    with open(path, "rb", buffering=1 << 20) as f:
        f.seek(start)
        for line in f:
            s, p, rest = line.split(b" ", 2)
            if s != subject:
                if subject is not None:
                    yield iri, props
                if s < previous or s[:1] != b"<":
                    raise Unsorted(f"graph.nt: subject {s.decode('utf-8')} out of order or a blank node")
                if s == end_at:
                    return
                subject, props, previous, iri = s, {}, s, read_iri(s.decode("utf-8"))
            predicate = tokens.get(p)
            if predicate is None:
                continue
            if len(rest) <= short:
                term = terms.get(rest)
                if term is None:
                    if len(terms) >= most:
                        terms.clear()
                    term = terms[rest] = _object(rest, canonical)
            else:
                term = _object(rest, canonical)
            found = props.get(predicate)
            if found is None:
                props[predicate] = [term]
            else:
                found.append(term)
    if stop is not None:
        raise Unsorted(f"graph.nt: {stop} not found after byte {start}")
    if subject is not None:
        yield iri, props


#: an object of at most this many bytes as written is read once and remembered (at most ``OBJECTS`` of
#: them, then the memory starts again): the classes, sources, citing documents, relations and short values
#: repeat on most lines (×10: 504,760 objects read, 56,498 distinct), a text is seldom read twice. The
#: bound keeps the pass's memory flat (×30: +5 MB peak for the whole pass, as before; remembering 65,536
#: objects and each value's verdicts grew it by 48 MB for about the same CPU)
_SHORT_OBJECT = 120
OBJECTS = 1 << 12


def _object(rest: bytes, canonical: Canonical) -> Term:
    """The object of an N-Triples line (``rest``: what follows the predicate, `` .\n`` included) as a term."""
    o = rest[:rest.rfind(b" .")].decode("utf-8")
    first = o[0]
    if first == "<":
        return ("I", read_iri(o), "")
    if first != '"':
        raise Unsorted("graph.nt: a blank node")
    end = o.rfind('"')
    lexical, suffix = o[1:end], o[end + 1:]
    if "\\" in lexical:
        lexical = _unescape(lexical)
    if suffix.startswith("^^"):
        datatype = read_iri(suffix[2:])
        if datatype == XSD_STRING:
            suffix = ""
        else:
            lexical, suffix = canonical(lexical, datatype), "^^" + datatype
    elif suffix:
        suffix = suffix.lower()
    return ("L", lexical, suffix)


def read_iri(token: str) -> str:
    """An IRI as N-Triples writes it (``<…>``, maybe with escapes) read."""
    iri = token[1:-1]
    return _unescape(iri) if "\\" in iri else iri


def store_runs(store: ox.Store, wanted: set[str]) -> Runs:
    """The runs of a store's default graph (``_store_runs``); its missing triples looked up in it."""
    from tipkg.shapes.edges import missing_in_store
    from tipkg.shapes.parents import store_lookup

    return Runs(_store_runs(store, wanted), lambda keys: missing_in_store(store, keys), store_lookup(store))


def _store_runs(store: ox.Store, wanted: set[str]) -> Iterator[tuple[str, dict[str, list[Term]]]]:
    """The same runs from a store's default graph, in the order it gives them: a subject's triples are
    together in a persistent store's subject-first index, and in a memory store as loaded, but not always
    once it was written to (a subject seen again: ``Unsorted``)."""
    subject, seen = None, set()
    props: dict[str, list[Term]] = {}
    for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        s = q.subject
        if s != subject:
            if subject is not None:
                yield subject.value, props
            if not isinstance(s, ox.NamedNode) or s in seen:
                raise Unsorted("a blank node, or a subject's triples not together")
            seen.add(s)
            subject, props = s, {}
        p = q.predicate.value
        if p not in wanted:
            continue
        o = q.object
        if isinstance(o, ox.NamedNode):
            term: Term = ("I", o.value, "")
        elif isinstance(o, ox.Literal):
            lang, datatype = o.language, o.datatype.value
            term = ("L", o.value, "@" + lang if lang else "" if datatype == XSD_STRING else "^^" + datatype)
        else:
            raise Unsorted("a blank node")
        props.setdefault(p, []).append(term)
    if subject is not None:
        yield subject.value, props
