"""The JSON-LD dump, ``graph.jsonld``.

The graph compacted with the published context (``ontology/context.py``),
embedded so the file parses offline: one node object per subject, written as
the sorted triples stream by (rdflib's compacting writer takes minutes on a
large corpus), a segment of subjects at a time (``graph/segments.py``).

Each node object is written as bytes, as ``json.dumps(node, ensure_ascii=False, sort_keys=True)``
would write it: a value that needs no JSON escape (an IRI, a literal's text without a backslash,
quote or control character) is copied from graph.nt's UTF-8 bytes between quotes, never decoded
into a ``str`` and encoded again; anything else goes through ``json.dumps``. Decoding, escaping
and encoding every value again was about half of this dump's time.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
import pyoxigraph as ox
from rdflib import RDF, XSD

from tipkg.ontology.context import published_context

_RDF_TYPE = str(RDF.type)
_XSD_STRING = str(XSD.string)
_XSD_INTEGER = str(XSD.integer)
_XSD_STRING_BYTES, _XSD_INTEGER_BYTES = _XSD_STRING.encode(), _XSD_INTEGER.encode()


#: node shapes (their keys in order) kept by a compactor, each with its keys sorted
KEPT = 1 << 14
#: between the node objects of two segments (``jsonld_nodes`` joins those of one with ",\n")
SEPARATOR = b","
FOOTER = b"\n]}\n"


def jsonld_header() -> bytes:
    """The file up to its first node object: the published context, embedded, and ``"@graph": [``."""
    return ('{"@context": ' + json.dumps(published_context(), ensure_ascii=False, sort_keys=True)
            + ',\n"@graph": [').encode("utf-8")


def jsonld_nodes(ntriples: bytes) -> bytes:
    """The node objects of whole subjects' sorted N-Triples, each after a newline, joined by commas:
    so header + nodes + (``SEPARATOR`` + nodes)… + ``FOOTER`` is the whole file, one node object
    per subject, subjects sorted.

    Written node by node from the sorted triples (rdflib's compacting writer takes minutes on a
    large corpus). A value that a key's definition cannot carry (a literal without a language
    under a language map) goes under the property's compact IRI instead, in expanded form, so
    nothing is lost."""
    return jsonld_nodes_of(split_lines(ntriples.split(b"\n")[:-1]))


def split_lines(lines) -> list[tuple[bytes, bytes, bytes, bytes]]:
    """Each N-Triples line (no newline) as (subject, predicate, object, line): split at the first two
    spaces (an IRI or blank node label holds none), the `` .`` dropped."""
    return [(*line[:-2].split(b" ", 2), line) for line in lines]


def jsonld_nodes_of(parts) -> bytes:
    """``jsonld_nodes`` of lines already split (``split_lines``): the segments' writer splits each
    line once for all its files."""
    compactor = _compactor()
    out: list[bytes] = []
    separator = b"\n"
    for node in compactor.gathered(parts):
        out.append(separator)
        compactor.write(node, out)
        separator = b",\n"
    return b"".join(out)  # the pieces joined once: no node's bytes made apart, long texts copied once


_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
#: a byte a JSON string cannot hold as it stands (``json``'s escapes with ``ensure_ascii=False``)
_ESCAPED = re.compile(rb'[\x00-\x1f"\\]')


def _json(value) -> bytes:
    """``value`` as ``json.dumps(value, ensure_ascii=False, sort_keys=True)`` writes it, in UTF-8."""
    return _dumps(value).encode("utf-8")


def _string(text: bytes) -> bytes:
    """The JSON string of the UTF-8 ``text`` (a value read from graph.nt's bytes): those bytes between
    quotes when no character needs an escape, else ``json``'s own."""
    if _ESCAPED.search(text) is None:
        return b'"' + text + b'"'
    return _json(text.decode("utf-8"))


@functools.cache
def _compactor() -> _Compactor:
    return _Compactor(published_context())


#: a predicate's shortcut in ``_Compactor.nodes`` (``_Compactor.plan``)
_GENERAL, _TYPE, _LANGUAGE, _ID, _PLAIN, _TYPED, _EXPANDED = range(7)
#: an IRI's N-Triples form ``<x>`` to its JSON string ``"x"`` (an IRI holds no ``<>"``)
_BRACKETS = bytes.maketrans(b"<>", b'""')


#: a term read from its N-Triples form: (kind, value, language, datatype); a literal without a
#: language has its datatype (xsd:string when none is written), one with a language has none
IRI, BLANK, LITERAL = 0, 1, 2
Term = tuple[int, str, "str | None", "str | None"]


def term_of(term: bytes, line: bytes) -> Term:
    """A subject's or object's N-Triples bytes as a ``Term``. Read from the bytes when they need no
    unescaping and the language tag is in lower case (as graph.nt writes them); else, from
    pyoxigraph's parse of the whole ``line`` (the same terms, by the parser of the other dumps)."""
    head = term[:1]
    if b"\\" not in term:
        if head == b"<":
            return IRI, term[1:-1].decode("utf-8"), None, None
        if head == b"_":
            return BLANK, term[2:].decode("utf-8"), None, None
        end = term.rindex(b'"')
        rest = term[end + 1:]
        if not rest:
            return LITERAL, term[1:end].decode("utf-8"), None, _XSD_STRING
        if rest[:3] == b"^^<":
            return LITERAL, term[1:end].decode("utf-8"), None, rest[3:-1].decode("utf-8")
        if rest[:1] == b"@" and rest == rest.lower():
            return LITERAL, term[1:end].decode("utf-8"), rest[1:].decode("utf-8"), None
    (quad,) = ox.parse(line + b"\n", format=ox.RdfFormat.N_TRIPLES)
    return _from_ox(quad.subject if line.startswith(term + b" ") else quad.object)


def _from_ox(term) -> Term:
    if isinstance(term, ox.NamedNode):
        return IRI, term.value, None, None
    if isinstance(term, ox.BlankNode):
        return BLANK, term.value, None, None
    if isinstance(term, ox.Literal):
        return LITERAL, term.value, term.language, None if term.language else term.datatype.value
    raise ValueError(f"a triple term, which graph.nt (RDF 1.1) does not hold: {term}")


class _Compactor:
    """Turns runs of triples sharing a subject into compact JSON-LD node objects, each written as
    bytes (``json.dumps(node, ensure_ascii=False, sort_keys=True)``'s). A node is gathered with each
    value already in JSON (``_string``, ``_json``): a key's values in a list, a language map's texts
    in a list per language."""

    def __init__(self, context: dict, shortcuts: bool = True):
        self.shortcuts = shortcuts  # False: every value read as a term (``term_of``), the reference of the shortcuts
        self.prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v.endswith(("/", "#"))}
        self.keys: dict[str, tuple[str, str | None, str | None]] = {}  # IRI -> (key, container, type)
        self.classes: dict[str, str] = {}
        self.plans: dict[bytes, tuple[int, str, bytes, Callable[[dict, bytes, bytes], None]]] = {}  # by predicate bytes
        self.types: dict[bytes, bytes] = {}  # a class's N-Triples IRI -> its name in JSON
        self.languages: dict[bytes, str] = {}  # a language tag's bytes -> the tag
        self.orders: dict[tuple[str, ...], list[tuple[str, bytes]]] = {}  # a node's keys -> sorted, each in JSON
        self.datatypes: dict[bytes, bytes] = {}  # a datatype's IRI -> the start of an expanded value of it
        for key, value in sorted(context.items()):
            if key.startswith("@") or key in self.prefixes or key in ("id", "type"):
                continue
            if isinstance(value, str):
                self.keys.setdefault(self.expand(value), (key, None, None))
                self.classes.setdefault(self.expand(value), key)
            else:
                kind = value.get("@type")
                self.keys.setdefault(self.expand(value["@id"]), (key, value.get("@container"),
                                                               kind if kind == "@id" or kind is None else self.expand(kind)))

    def expand(self, name: str) -> str:
        prefix, _, local = name.partition(":")
        return self.prefixes[prefix] + local if prefix in self.prefixes and not local.startswith("//") else name

    @functools.lru_cache(maxsize=4096)
    def curie(self, iri: str) -> str:
        for prefix, ns in self.prefixes.items():
            if iri.startswith(ns) and "/" not in iri[len(ns):] and "#" not in iri[len(ns):]:
                return f"{prefix}:{iri[len(ns):]}"
        return iri

    @functools.lru_cache(maxsize=4096)
    def class_name(self, iri: str) -> str:
        return self.classes.get(iri) or self.curie(iri)

    def plan(self, predicate: bytes, line: bytes) -> tuple[int, str, bytes, Callable[[dict, bytes, bytes], None]]:
        """How a predicate's values are put in a node object (kept by its bytes): the shortcut that
        ``nodes`` takes for a value it can read from the bytes (``_TYPE``, ``_LANGUAGE``, ``_ID``,
        ``_PLAIN``, ``_TYPED``, ``_EXPANDED``; ``_GENERAL``: none), the key its values go under, what
        ends a literal of the key's datatype (``_TYPED``), and ``put`` of a value read as a term (the
        way of any value a shortcut does not take)."""
        plan = self.plans.get(predicate)
        if plan is not None:
            return plan
        iri = term_of(predicate, line)[1]
        key, container, kind = self.keys.get(iri, (None, None, None))
        compact = self.curie(iri)
        put = self.put

        def general(node: dict, o: bytes, line: bytes) -> None:
            put(node, iri == _RDF_TYPE, key, container, kind, compact, term_of(o, line))

        code, suffix = _GENERAL, b""
        if not self.shortcuts:
            pass
        elif iri == _RDF_TYPE:
            code, key = _TYPE, "type"
        elif key is not None and container == "@language":
            code = _LANGUAGE
        elif key is not None and container is None and kind == "@id":
            code = _ID
        elif key is not None and container is None and kind is None:
            code = _PLAIN
        elif key is not None and container is None and kind is not None and kind != "@id":
            code, suffix = _TYPED, f'"^^<{kind}>'.encode("utf-8")
        elif key is None:
            code = _EXPANDED
        plan = self.plans[predicate] = (code, key if key is not None else compact, suffix, general)
        return plan

    def typed(self, o: bytes) -> bytes | None:
        """A typed literal's bytes (no backslash) in JSON as ``native`` gives it (a canonical integer
        as a number, a string as a string, else its expanded form); None if it is not read so."""
        end = o.rfind(b'"^^<')
        if end <= 0 or o[:1] != b'"':
            return None
        value, datatype = o[1:end], o[end + 4:-1]
        if datatype == _XSD_STRING_BYTES:
            return _string(value)
        if datatype == _XSD_INTEGER_BYTES and value.lstrip(b"-").isdigit() and str(int(value)).encode() == value:
            return value
        name = self.datatypes.get(datatype)
        if name is None:
            name = self.datatypes[datatype] = b'{"@type": ' + _json(self.curie(datatype.decode("utf-8"))) + b', "@value": '
        return name + _string(value) + b"}"

    def subject(self, s: bytes, line: bytes) -> bytes:
        """A subject's ``id`` in JSON."""
        if 92 not in s:  # no backslash
            if s[:1] == b"<":
                return s.translate(_BRACKETS)
            if s[:2] == b"_:":
                return _string(s)
        return _json(self.node_id(term_of(s, line)))

    @staticmethod
    def node_id(term: Term) -> str:
        return f"_:{term[1]}" if term[0] == BLANK else term[1]

    def expanded(self, term: Term) -> dict:
        kind, value, language, datatype = term
        if kind != LITERAL:
            return {"@id": self.node_id(term)}
        if language:
            return {"@value": value, "@language": language}
        if datatype == _XSD_STRING:
            return {"@value": value}
        return {"@value": value, "@type": self.curie(datatype)}

    def native(self, term: Term):
        """Plain strings and canonical integers as JSON values (what JSON-LD reads back as the same
        literal), anything else in expanded form."""
        kind, value, language, datatype = term
        if kind == LITERAL and not language:
            if datatype == _XSD_STRING:
                return value
            if datatype == _XSD_INTEGER and value.lstrip("-").isdigit() and str(int(value)) == value:
                return int(value)
        return self.expanded(term)

    def put(self, node: dict, typed: bool, key: str | None, container: str | None, kind: str | None,
            compact: str, term: Term) -> None:
        """Put ``term`` in ``node``, in JSON, as a value of a predicate (rdf:type if ``typed``) with the
        context's ``key``, ``container`` and ``kind`` (type) for it, and its ``compact`` IRI."""
        literal = term[0] == LITERAL
        if typed and term[0] == IRI:
            node.setdefault("type", []).append(_json(self.class_name(term[1])))
            return
        if key is not None:
            if container == "@language" and literal and term[2]:
                node.setdefault(key, {}).setdefault(term[2], []).append(_json(term[1]))
                return
            if container is None and kind == "@id" and not literal:
                node.setdefault(key, []).append(_json(self.node_id(term)))
                return
            if container is None and kind is not None and kind != "@id" and literal \
                    and not term[2] and term[3] == kind:
                node.setdefault(key, []).append(_json(term[1]))
                return
            if container is None and kind is None:
                node.setdefault(key, []).append(_json(self.native(term)))
                return
        node.setdefault(compact, []).append(_json(self.expanded(term)))

    def nodes(self, parts):
        """The node objects (bytes) of (subject, predicate, object, line) parts of sorted N-Triples."""
        for node in self.gathered(parts):
            out: list[bytes] = []
            self.write(node, out)
            yield b"".join(out)

    def gathered(self, parts):
        """The node of each subject of (subject, predicate, object, line) parts of sorted N-Triples:
        its keys' values in JSON, in lists (a language map: a list per language), for ``write``.

        One loop over the lines, each value's shortcut (``plan``) taken inline, the common cases read
        from the bytes at once. The lines are canonical N-Triples (pyoxigraph writes graph.nt so):
        a literal's quote, backslash and control characters are escaped, so an object without a
        backslash holds no character JSON escapes — an IRI ``<x>`` is ``"x"`` by one translation
        of its brackets, a plain literal ``"x"`` is its own JSON. (A function call per value, as
        each predicate's rule was, and a search for control characters in each literal were half
        of this dump's time.)"""
        node: dict = {}
        subject = None
        plans, types, languages, typed, class_name = self.plans, self.types, self.languages, self.typed, self.class_name
        brackets, backslash = _BRACKETS, ord("\\")  # an int: ``in`` is memchr
        ID, LANGUAGE, PLAIN, TYPE, TYPED = _ID, _LANGUAGE, _PLAIN, _TYPE, _TYPED
        known_typed: dict[bytes, bytes] = {}
        for s, p, o, line in parts:
            if s != subject:
                if subject is not None:
                    yield node
                subject, node = s, {"id": [self.subject(s, line)]}
            plan = plans.get(p)
            if plan is None:
                plan = self.plan(p, line)
            code, key, suffix, general = plan
            value = None
            if not code or backslash in o:
                pass
            elif code == ID:
                if o[:1] == b"<":
                    value = o.translate(brackets)
            elif code == LANGUAGE:
                end = o.rfind(b'"@')
                if end > 0:
                    tag = o[end + 2:]
                    language = languages.get(tag)
                    if language is None and tag.islower():
                        language = languages[tag] = tag.decode("utf-8")
                    if language is not None:
                        known = node.get(key)
                        if known is None:
                            node[key] = {language: [o[:end + 1]]}
                        elif language in known:
                            known[language].append(o[:end + 1])
                        else:
                            known[language] = [o[:end + 1]]
                        continue
            elif code == PLAIN:
                tail = o[-1:]
                if tail == b'"':
                    value = o
                elif tail == b">":
                    value = known_typed.get(o)
                    if value is None and (value := typed(o)) is not None and len(known_typed) < 4096:
                        known_typed[o] = value  # integers mostly (positions, sessions): few, repeated
                elif (end := o.rfind(b'"@')) > 0 and (tag := o[end + 2:]).islower():  # expanded, keys sorted
                    value = b'{"@language": "' + tag + b'", "@value": ' + o[:end + 1] + b"}"
            elif code == TYPE:
                value = types.get(o)
                if value is None and o[:1] == b"<":
                    value = types[o] = _json(class_name(o[1:-1].decode("utf-8")))
            elif code == TYPED:  # of the key's datatype: its text alone
                if o.endswith(suffix):
                    value = o[:len(o) - len(suffix) + 1]
            elif o[:1] == b"<":  # _EXPANDED
                value = b'{"@id": ' + o.translate(brackets) + b"}"
            if value is None:
                general(node, o, line)
                continue
            values = node.get(key)
            if values is None:
                node[key] = [value]
            else:
                values.append(value)
        if subject is not None:
            yield node

    def write(self, node: dict, out: list[bytes]) -> None:
        """Append a gathered node object's JSON to ``out``, keys sorted; one value stands alone, several
        stay a list (in language maps too). The sorted keys, each in JSON with what comes before it,
        are kept by the keys' order in the node (the nodes of a class gather the same keys in the
        same order)."""
        keys = tuple(node)
        order = self.orders.get(keys)
        if order is None:
            order = [(key, (b'{' if i == 0 else b', ') + _json(key) + b": ") for i, key in enumerate(sorted(keys))]
            if len(self.orders) < KEPT:
                self.orders[keys] = order
        append = out.append
        for key, name in order:
            append(name)
            value = node[key]
            if value.__class__ is dict:
                append(b"{" + b", ".join(_json(language) + b": " + _single(value[language])
                                         for language in sorted(value)) + b"}")
            elif len(value) == 1:
                append(value[0])
            else:
                append(b"[")
                append(b", ".join(value))
                append(b"]")
        append(b"}")


def _single(values: list[bytes]) -> bytes:
    """One value stands alone, several stay a list."""
    return values[0] if len(values) == 1 else b"[" + b", ".join(values) + b"]"
