"""Parameters checked against the graph before a catalog query runs.

A query that matches ``dcterms:identifier "actor:unodc"`` answers nothing when
it is given ``UNODC``, an IRI, a label or an identifier that does not exist —
zero rows, exit 0, no hint. So each parameter has a kind (``KINDS``, by the
parameter's name), and before the query runs its value is

* checked for its type (``minimum`` must be an integer);
* for an identifier kind (actor, topic, document, paragraph, article,
  instrument), resolved to one node of the graph: by identifier, by IRI, by
  the identifier's last part ("unodc"), by an English or Arabic label (Arabic
  compared in search form), or by a unique part of one; the node's identifier
  replaces the value. Several candidates, or none, end the run with one line
  naming the parameter, the value and the closest existing values.

Lookups go through ``run`` (a callable taking SPARQL text and returning
``Results``), so the same checks hold on the embedded store and on an endpoint.
The common case — the value is an identifier — costs one small query.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Callable

from tipkg.errors import TipkgError
from tipkg.normalize import search_form
from tipkg.ontology.namespace import PREFIXES

from .sparql import Results

Run = Callable[[str], Results]

#: identifier kinds -> the classes (tip: local names) of their nodes. The store holds no
#: inference, so every subclass is listed; tests/test_queries.py checks the lists
#: against the ontology.
CLASSES = {
    "actor": ("Actor",),
    "topic": ("Topic",),
    "document": ("Document", "Resolution", "GAResolution", "ECOSOCResolution", "ECOSOCDecision",
                 "CCPCJResolution", "COPDecision", "COPResolution", "DraftDecision", "Agenda", "Compendium",
                 "WorkingGroupReport", "SessionReport", "UNDocument"),
    "paragraph": ("Paragraph", "PreambularParagraph", "OperativeParagraph", "SubParagraph", "SubItem",
                  "Recommendation", "AgendaItem", "Footnote"),
    "article": ("Article", "ArticleParagraph"),
    "instrument": ("Instrument",),
    "mandate": ("Mandate",),
}
#: parameter name (as in the catalog's VALUES blocks) -> kind
KINDS = {
    "actor": "actor", "topic": "topic",
    "document": "document", "draft": "document", "recalled": "document", "symbol": "document",
    "paragraph": "paragraph", "recommendation": "paragraph",
    "article": "article", "instrument": "instrument",
    "relation": "relation", "minimum": "integer", "phrase": "text",
    "mandate": "mandate", "addressee": "actor",
}
#: what ``tipkg query --values`` lists
LISTABLE = ("actor", "topic", "document", "article", "instrument", "relation", "mandate")

_PREFIX = "PREFIX tip: <{tip}> PREFIX dcterms: <{dcterms}> PREFIX rdfs: <{rdfs}> PREFIX skos: <{skos}> ".format(
    **PREFIXES)


@dataclass(frozen=True)
class Node:
    """A node a parameter may name: its identifier, IRI and labels."""

    identifier: str
    iri: str
    labels: tuple[str, ...] = ()

    @property
    def label_en(self) -> str:
        return next((l for l in self.labels if not _is_arabic(l)), "")

    @property
    def label_ar(self) -> str:
        return next((l for l in self.labels if _is_arabic(l)), "")


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def _key(text: str) -> str:
    """How a value is compared with identifiers and labels: Arabic in search form,
    other text case-folded with runs of spaces and hyphens as one space."""
    if _is_arabic(text):
        return search_form(text)
    return re.sub(r"[\s_-]+", " ", text.casefold()).strip()


def _classes(kind: str) -> str:
    return " ".join(f"tip:{c}" for c in CLASSES[kind])


def nodes(run: Run, kind: str) -> list[Node]:
    """Every node of a kind with its labels (English and Arabic), by identifier."""
    if kind == "relation":
        rows = run(_PREFIX + "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
                   "SELECT DISTINCT ?r WHERE { ?c a tip:Citation ; rdf:predicate ?r }").rows
        tip = PREFIXES["tip"]
        return sorted((Node(r[0].value[len(tip):], r[0].value) for r in rows
                       if r[0] is not None and r[0].value.startswith(tip)), key=lambda n: n.identifier)
    query = (_PREFIX + "SELECT ?n ?id ?label WHERE { VALUES ?c { " + _classes(kind) + " } "
             "?n a ?c ; dcterms:identifier ?id . "
             "OPTIONAL { ?n rdfs:label|skos:prefLabel|skos:altLabel ?label "
             "FILTER (LANG(?label) IN ('en', 'ar')) } }")
    found: dict[str, tuple[str, list[str]]] = {}
    for n, ident, label in run(query).rows:
        iri, labels = found.setdefault(ident.value, (n.value, []))
        if label is not None and label.value not in labels:
            labels.append(label.value)
    return [Node(i, iri, tuple(sorted(labels, key=lambda l: (_is_arabic(l), len(l), l))))
            for i, (iri, labels) in sorted(found.items())]


def _typed(run: Run, kind: str, where: str) -> list[tuple[str, str]]:
    """(IRI, identifier) of the nodes of ``kind`` that the pattern ``where`` binds to ``?n``.

    The types are checked here, not in the query: ``VALUES ?c {…} ?n … ; a ?c``
    made Oxigraph join every node of each class (0.3 s for a paragraph at ×100),
    while ``?n a ?c`` after a bound ``?n`` is one index lookup."""
    wanted = {PREFIXES["tip"] + c for c in CLASSES[kind]}
    rows = run(_PREFIX + f"SELECT ?n ?id ?c WHERE {{ {where} ?n dcterms:identifier ?id ; a ?c }}").rows
    return sorted({(n.value, i.value) for n, i, c in rows if c is not None and c.value in wanted},
                  key=lambda row: row[1])


def _exists(run: Run, kind: str, identifier: str) -> bool:
    from .catalog import escape_literal
    return bool(_typed(run, kind, f"?n dcterms:identifier {escape_literal(identifier)} ."))


def _exact(run: Run, kind: str, value: str) -> list[str]:
    """The identifiers of the nodes ``value`` names exactly — its IRI, ``kind:value`` as a
    slug ("UNODC" → actor:unodc, "Children" → topic:children), or one of their labels
    word for word (English, Arabic or plain) — each an indexed lookup of one term, so a
    label costs no scan of every node (0.7 s for a document at ×100). Empty: the scan
    of ``nodes`` decides (other spellings, parts of labels, the closest values)."""
    from .catalog import escape_literal
    text = value.strip()
    if not text:
        return []
    found: set[tuple[str, str]] = set()
    iri = text.strip("<>")
    if re.fullmatch(r'https?://[^\s<>"{}|^`\\]+', iri):
        found.update(_typed(run, kind, f"BIND(<{iri}> AS ?n)"))
    slug = re.sub(r"[\s_-]+", "-", text.casefold()).strip("-")
    slugs = {slug, f"{kind}:{slug}"} - {text}
    for ident in sorted(slugs):
        found.update(_typed(run, kind, f"?n dcterms:identifier {escape_literal(ident)} ."))
    literal = escape_literal(text)
    found.update(_typed(run, kind, f"VALUES ?l {{ {literal}@en {literal}@ar {literal} }} "
                                   "?n rdfs:label|skos:prefLabel|skos:altLabel ?l ."))
    return sorted({ident for _, ident in found})


def _exact_relation(run: Run, value: str) -> str | None:
    """A relation named by its local name, ``tip:`` name or IRI that some citation states:
    one lookup (the list of every relation is a scan of every citation, 3 s at ×100)."""
    tip = PREFIXES["tip"]
    text = value.strip().strip("<>")
    name = text[len(tip):] if text.startswith(tip) else text.removeprefix("tip:")
    if not re.fullmatch(r"[A-Za-z][\w-]*", name):
        return None
    rows = run(_PREFIX + "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
               f"SELECT ?c WHERE {{ ?c rdf:predicate <{tip}{name}> ; a tip:Citation }} LIMIT 1").rows
    return name if rows else None


def _closest(value: str, candidates: list[Node], n: int = 3) -> list[str]:
    names = {}
    for node in candidates:
        for name in (node.identifier, *node.labels):
            names.setdefault(_key(name), node.identifier)
    near = difflib.get_close_matches(_key(value), list(names), n=10, cutoff=0.4)
    out: list[str] = []
    for name in near:
        if names[name] not in out:
            out.append(names[name])
    return out[:n] or [c.identifier for c in candidates[:n]]


def resolve(run: Run, name: str, value: str, path: str = "query") -> str:
    """The identifier the value of parameter ``name`` stands for, or a TipkgError."""
    kind = KINDS.get(name)
    if kind == "integer":
        if not re.fullmatch(r"\s*[+-]?\d+\s*", value):
            raise TipkgError(path, f"parameter {name!r}: {value!r} is not an integer (e.g. --param {name}=2)")
        return value.strip()
    if kind is None or kind == "text":
        return value
    # first the lookups of one term each (identifier, IRI, slug, exact label); the scan of
    # every node of the kind only when they find nothing
    if kind == "relation":
        local = _exact_relation(run, value)
        if local is not None:
            return local
    else:
        if not value.startswith("<") and _exists(run, kind, value):
            return value
        exact = _exact(run, kind, value)
        if len(exact) == 1:
            return exact[0]
        if exact:
            raise _ambiguous(name, value, kind, exact, path)
    candidates = nodes(run, kind)
    if not candidates:
        raise TipkgError(path, f"parameter {name!r}: the graph holds no {kind} at all (is this the tipkg graph?)")
    iri = value.strip("<>")
    key = _key(value)
    exact = [c for c in candidates
             if c.iri == iri or c.identifier == value or _key(c.identifier) == key
             or _key(c.identifier.split(":", 1)[-1]) == key or any(_key(l) == key for l in c.labels)]
    partial = exact or [c for c in candidates if key and (key in _key(c.identifier)
                                                          or any(key in _key(l) for l in c.labels))]
    if len(partial) == 1:
        return partial[0].identifier
    if len(partial) > 1:
        raise _ambiguous(name, value, kind, [c.identifier for c in partial], path)
    close = ", ".join(_closest(value, candidates))
    raise TipkgError(path, f"parameter {name!r}: no {kind} {value!r} in the graph; closest: {close} "
                           f"(tipkg query --values {kind})")


def _ambiguous(name: str, value: str, kind: str, identifiers: list[str], path: str) -> TipkgError:
    shown = ", ".join(identifiers[:6]) + (" …" if len(identifiers) > 6 else "")
    return TipkgError(path, f"parameter {name!r}: {value!r} names {len(identifiers)} {kind}s: {shown} "
                            f"— give one identifier (tipkg query --values {kind})")


def resolve_all(run: Run, params: dict[str, str], path: str = "query") -> tuple[dict[str, str], list[str]]:
    """Every parameter resolved; and a note for each value that was changed."""
    out, notes = {}, []
    for name, value in params.items():
        out[name] = resolve(run, name, value, path)
        if out[name] != value.strip():
            notes.append(f"{name} {value!r} is {out[name]}")
    return out, notes
