"""Mandates in the graph: one ``tip:Mandate`` node per creating paragraph, with its
addressees, action, deadline, recurrence, review clause, what answered it and
the earlier mandates it repeats.

Every edge of a mandate is asserted directly (``<m> tip:addressee actor:secretariat``)
and described by a citation node carrying the Arabic words and their span, the
same reification as every other edge (``graph.references.add_citation``)::

    <…/CTOC/COP/DEC/2/3_para_k_mandate> a tip:Mandate ;
        tip:mandatedBy <…/CTOC/COP/DEC/2/3_para_k> ; tip:mandatingBody <…/actor/conference> ;
        tip:addressee <…/actor/secretariat> ; tip:action <…/action/report> ;
        tip:due <…/session/COP-3> ; tip:hasReviewClause false ;
        tip:status "answered (in this corpus)"@en , "…"@ar .

The action scheme (``tables/mandates.toml``) is a SKOS concept scheme; sessions
are nodes (``session:COP-3``) with their number, body and year.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from rdflib import RDF, RDFS, XSD, URIRef
from rdflib.namespace import DCTERMS, SKOS

from tipkg import identifiers as ids
from tipkg.ontology.namespace import TIP
from tipkg.references.mandates import Mandate, Words, table
from tipkg.references.types import Reference
from tipkg.tables import load

from .references import add_citation
from .triples import TripleSet, literal
from .uris import mint

SCHEME = "action:scheme"


def _body(body: str, lang: str) -> str:
    """The name of a body whose session is a deadline (``[body_names]`` of tables/mandates.toml)."""
    return table()["body_names"][body][lang]


@lru_cache(maxsize=None)
def _actors() -> dict[str, dict]:
    return {row["identifier"]: row for row in load("actors")["actor"]}


def status(mandate: Mandate, answered: bool, corpus_year: int | None) -> str:
    """answered / overdue / pending / open, judged against the last year the corpus speaks of."""
    if answered:
        return "answered"
    if mandate.due is not None and mandate.due.year is not None and corpus_year is not None:
        return "overdue" if mandate.due.year <= corpus_year else "pending"
    return "open"


def add_mandates(graph: TripleSet, mandates: Sequence[Mandate], *, answered: Iterable[str] = (),
                 corpus_year: int | None = None, base: str | None = None, scheme: bool = True) -> TripleSet:
    """The mandate nodes, their edges with citations, the action scheme (unless ``scheme`` is false)
    and the sessions.

    ``answered`` holds the identifiers of the mandates something answers (their status).
    """
    done = set(answered)
    if scheme:
        _scheme(graph, base)
    for m in mandates:
        node = mint(m.identifier, base)
        add = graph.add
        add((node, RDF.type, TIP.Mandate))
        add((node, DCTERMS.identifier, literal(m.identifier)))
        en, ar = labels(m)
        for prop in (RDFS.label, SKOS.prefLabel):
            add((node, prop, literal(en, lang="en")))
            add((node, prop, literal(ar, lang="ar")))
        paragraph = mint(m.paragraph, base)
        add((node, TIP.mandatedBy, paragraph))
        _cite(graph, m, node, "mandatedBy", m.paragraph, paragraph, m.ask, "mandate:" + ("request" if m.addressees[0].rule.startswith("requests") else "direction"), base)
        add((node, TIP.mandatingBody, _actor(graph, m.body, base)))
        for a in m.addressees:
            target = _actor(graph, a.actor, base)
            add((node, TIP.addressee, target))
            _cite(graph, m, node, "addressee", a.actor, target, a.words, a.rule, base)
        action_id = str(ids.Action(m.action))
        action = mint(action_id, base)
        add((node, TIP.action, action))
        _cite(graph, m, node, "action", action_id, action, m.action_words, action_id, base)
        if m.due is not None and m.due.identifier:
            session = _session(graph, m.due.body, m.due.session, m.due.year, base)
            add((node, TIP.due, session))
            _cite(graph, m, node, "due", m.due.identifier, session, m.due.words, m.due.rule, base)
        if m.recurrence:
            add((node, TIP.recurrence, literal(m.recurrence)))
        add((node, TIP.hasReviewClause, literal("true" if m.review else "false", datatype=XSD.boolean)))
        if m.review:
            add((node, TIP.reviewClause, literal(m.review.text, lang="ar")))
            where = m.review_paragraph or m.paragraph
            add((node, TIP.reviewedIn, mint(where, base)))
            _cite(graph, m, node, "reviewedIn", where, mint(where, base), m.review, "review", base)
        s = status(m, m.identifier in done, corpus_year)
        add((node, TIP.status, literal(table()["status"][s]["en"], lang="en")))
        add((node, TIP.status, literal(table()["status"][s]["ar"], lang="ar")))
    return graph


def labels(m: Mandate) -> tuple[str, str]:
    """A mandate's English and Arabic labels: who asks whom for what, by when."""
    rows = {row["id"]: row for row in table()["action"]}
    actors = _actors()
    who_en = " and ".join(actors.get(a.actor, {}).get("label_en", a.actor) for a in m.addressees)
    who_ar = " و".join(actors.get(a.actor, {}).get("label_ar", a.actor) for a in m.addressees)
    en = f"{m.paragraph}: {rows[m.action]['label_en']} — {who_en}"
    ar = f"{m.paragraph}: {rows[m.action]['label_ar']} — {who_ar}"
    if m.due is not None and m.due.session:
        en += f", due at session {m.due.session} of the {_body(m.due.body, 'en')}" + (f" ({m.due.year})" if m.due.year else "")
        ar += f"، في الدورة {m.due.session} لـ{_body(m.due.body, 'ar')}" + (f" ({m.due.year})" if m.due.year else "")
    return en, ar


def _cite(graph: TripleSet, m: Mandate, node: URIRef, relation: str, target_id: str, target: URIRef,
          words: Words, rule: str, base: str | None) -> None:
    ref = Reference(m.identifier, relation, target_id, "mandate", words.source_file, words.span, words.text, rule)
    add_citation(graph, ref, node, target, base)


def _actor(graph: TripleSet, identifier: str, base: str | None) -> URIRef:
    """The actor node, labelled as the references stage labels it (a set: no duplicates)."""
    node = mint(identifier, base)
    graph.add((node, RDF.type, TIP.Actor))
    graph.add((node, DCTERMS.identifier, literal(identifier)))
    row = _actors().get(identifier, {})
    for lang in ("en", "ar"):
        if f"label_{lang}" in row:
            graph.add((node, SKOS.prefLabel, literal(row[f"label_{lang}"], lang=lang)))
            graph.add((node, RDFS.label, literal(row[f"label_{lang}"], lang=lang)))
    return node


def _session(graph: TripleSet, body: str, number: int, year: int | None, base: str | None) -> URIRef:
    identifier = str(ids.Session("GA" if body == "general-assembly" else "COP", number))
    node = mint(identifier, base)
    graph.add((node, RDF.type, TIP.Session))
    graph.add((node, DCTERMS.identifier, literal(identifier)))
    graph.add((node, TIP.sessionNumber, literal(str(number), datatype=XSD.integer)))
    graph.add((node, TIP.sessionOf, _actor(graph, str(ids.Actor(body)), base)))
    suffix = f" ({year})" if year else ""
    graph.add((node, RDFS.label, literal(f"{_body(body, 'en')}, session {number}{suffix}", lang="en")))
    graph.add((node, RDFS.label, literal(f"{_body(body, 'ar')}، الدورة {number}{suffix}", lang="ar")))
    if year:
        graph.add((node, TIP.sessionYear, literal(str(year), datatype=XSD.gYear)))
    return node


def _scheme(graph: TripleSet, base: str | None) -> None:
    scheme = mint(SCHEME, base)
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, DCTERMS.identifier, literal(SCHEME)))
    graph.add((scheme, SKOS.prefLabel, literal("What mandates ask for", lang="en")))
    graph.add((scheme, SKOS.prefLabel, literal("ما تطلبه الولايات", lang="ar")))
    for row in table()["action"]:
        identifier = str(ids.Action(row["id"]))
        node = mint(identifier, base)
        graph.add((node, RDF.type, TIP.MandateAction))
        graph.add((node, RDF.type, SKOS.Concept))
        graph.add((node, DCTERMS.identifier, literal(identifier)))
        for lang in ("en", "ar"):
            graph.add((node, SKOS.prefLabel, literal(row[f"label_{lang}"], lang=lang)))
            graph.add((node, RDFS.label, literal(row[f"label_{lang}"], lang=lang)))
        graph.add((node, SKOS.definition, literal(row["definition_en"], lang="en")))
        graph.add((node, SKOS.inScheme, scheme))
        graph.add((node, SKOS.topConceptOf, scheme))
        graph.add((scheme, SKOS.hasTopConcept, node))


def add_corpus_mandates(graph: TripleSet, structured, references: Sequence[Reference], base: str | None = None,
                        mandates: Sequence[Mandate] | None = None, answering=None) -> list[Mandate]:
    """Read the mandates of a corpus (and what answered them) and add them to ``graph``:
    the one call ``graph.build`` makes (``answering``: what ``find_answers`` is given besides, if known)."""
    from tipkg.references.answers import Answer, Answers, Restatement, find_answers
    from tipkg.references.mandates import find_mandates
    from .answers import add_answers
    from .memo import add_grouped, collected

    mandates = list(mandates) if mandates is not None else find_mandates(structured, references)
    found = find_answers(structured, mandates, **(answering or {}))
    year = found.year  # the corpus's last year, read with the answers (one reading of the sources fewer)
    done = {a.mandate for a in found.answers}
    _scheme(graph, base)
    # kept by group of the source that asks (graph/memo.py): a rebuild makes the lines of the groups that changed;
    # a mandate's lines are its record's and its status's
    add_grouped(graph, "mandates", [(m, status(m, m.identifier in done, year)) for m in mandates],
                group=lambda r: r[0].source_file, base=base,
                lines=lambda group: collected(lambda g: add_mandates(
                    g, [m for m, _ in group], answered=[m.identifier for m, s in group if s == "answered"],
                    corpus_year=year, base=base, scheme=False)))
    add_grouped(graph, "answers", [*found.restatements, *found.answers], group=lambda r: r.words.source_file,
                base=base, lines=lambda group: collected(lambda g: add_answers(g, Answers(
                    tuple(r for r in group if isinstance(r, Restatement)),
                    tuple(a for a in group if isinstance(a, Answer))), base)))
    return mandates


def add_repeats(graph: TripleSet, structured, references: Sequence[Reference], echoes, base: str | None = None,
                mandates: Sequence[Mandate] | None = None) -> int:
    """``later tip:repeats earlier`` for every duplication flag (``find_repeats``),
    each with a citation node holding the later mandate's request words and the
    echo score in its rule; called by the pipeline once text reuse is known."""
    from tipkg.references.mandates import find_mandates, find_repeats

    from .memo import add_grouped, collected

    found = find_repeats(mandates if mandates is not None else find_mandates(structured, references), echoes)

    def lines(group) -> list[bytes]:
        def fill(graph) -> None:
            for r in group:
                later, earlier = mint(r.later.identifier, base), mint(r.earlier.identifier, base)
                graph.add((later, TIP.repeats, earlier))
                _cite(graph, r.later, later, "repeats", r.earlier.identifier, earlier, r.later.ask,
                      f"repeats: same addressee and action, tip:echoes {r.score:.2f}", base)
        return collected(fill)

    # kept by group of the later mandate's source (graph/memo.py); its lines read only what the signature holds
    add_grouped(graph, "repeats", found, group=lambda r: r.later.source_file, lines=lines, base=base,
                signature=lambda r: (r.later.identifier, r.earlier.identifier, r.later.ask, r.score))
    return len(found)
