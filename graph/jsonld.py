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
    return b"\n" + b",\n".join(_compactor().nodes(parts))


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
        self.rules: dict[bytes, Callable[[dict, bytes, bytes], None]] = {}  # by predicate bytes: ``rule``
        self.types: dict[bytes, bytes] = {}  # a class's N-Triples IRI -> its name in JSON
        self.languages: dict[bytes, str] = {}  # a language tag's bytes -> the tag
        self.names: dict[str, bytes] = {}  # a node object's key -> it in JSON, with the ": " after it
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

    def rule(self, predicate: bytes, line: bytes) -> Callable[[dict, bytes, bytes], None]:
        """How a predicate's values are put in a node object: ``put`` of a value's bytes and line,
        with the common cases (an IRI, a plain or language-tagged literal that needs no unescaping)
        taken from the bytes at once."""
        if predicate in self.rules:
            return self.rules[predicate]
        iri = term_of(predicate, line)[1]
        key, container, kind = self.keys.get(iri, (None, None, None))
        compact = self.curie(iri)
        put = self.put

        def general(node: dict, o: bytes, line: bytes) -> None:
            put(node, iri == _RDF_TYPE, key, container, kind, compact, term_of(o, line))

        rule = general
        if not self.shortcuts:
            pass
        elif iri == _RDF_TYPE:
            types, names = self.types, self.class_name

            def rule(node: dict, o: bytes, line: bytes) -> None:
                name = types.get(o)
                if name is None:
                    if o[:1] != b"<" or b"\\" in o:
                        general(node, o, line)
                        return
                    name = types[o] = _json(names(o[1:-1].decode("utf-8")))
                node.setdefault("type", []).append(name)
        elif key is not None and container == "@language":
            languages = self.languages

            def rule(node: dict, o: bytes, line: bytes) -> None:
                end = o.rfind(b'"@')
                if end > 0 and b"\\" not in o:
                    tag = o[end + 2:]
                    language = languages.get(tag)
                    if language is None and tag.islower():
                        language = languages[tag] = tag.decode("utf-8")
                    if language is not None:
                        node.setdefault(key, {}).setdefault(language, []).append(_string(o[1:end]))
                        return
                general(node, o, line)
        elif key is not None and container is None and kind == "@id":
            def rule(node: dict, o: bytes, line: bytes) -> None:
                if o[:1] == b"<" and b"\\" not in o:
                    node.setdefault(key, []).append(_string(o[1:-1]))
                else:
                    general(node, o, line)
        elif key is not None and container is None and kind is None:
            typed = self.typed

            def rule(node: dict, o: bytes, line: bytes) -> None:
                if b"\\" not in o:
                    if o[-1:] == b'"':
                        node.setdefault(key, []).append(_string(o[1:-1]))
                        return
                    if o[-1:] == b">" and (value := typed(o)) is not None:
                        node.setdefault(key, []).append(value)
                        return
                general(node, o, line)
        elif key is None:
            def rule(node: dict, o: bytes, line: bytes) -> None:
                if o[:1] == b"<" and b"\\" not in o:
                    node.setdefault(compact, []).append(b'{"@id": ' + _string(o[1:-1]) + b"}")
                else:
                    general(node, o, line)
        self.rules[predicate] = rule
        return rule

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
        if b"\\" not in s:
            if s[:1] == b"<":
                return _string(s[1:-1])
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
        node, subject, rules = None, None, self.rules
        for s, p, o, line in parts:
            if s != subject:
                if node is not None:
                    yield self.written(node)
                subject, node = s, {"id": [self.subject(s, line)]}
            rule = rules.get(p)
            if rule is None:
                rule = self.rule(p, line)
            rule(node, o, line)
        if node is not None:
            yield self.written(node)

    def written(self, node: dict) -> bytes:
        """A gathered node object in JSON, keys sorted; one value stands alone, several stay a list
        (in language maps too)."""
        names = self.names
        out = []
        for key in sorted(node):
            name = names.get(key)
            if name is None:
                name = names[key] = _json(key) + b": "
            value = node[key]
            if value.__class__ is dict:
                out.append(name + b"{" + b", ".join(_json(language) + b": " + _single(value[language])
                                                      for language in sorted(value)) + b"}")
            elif len(value) == 1:
                out.append(name + value[0])
            else:
                out.append(name + b"[" + b", ".join(value) + b"]")
        return b"{" + b", ".join(out) + b"}"


def _single(values: list[bytes]) -> bytes:
    """One value stands alone, several stay a list."""
    return values[0] if len(values) == 1 else b"[" + b", ".join(values) + b"]"
