"""A mandate's life as a short timeline in words, for its node page.

Made (by which body, in which paragraph, asking whom for what), due (which
session, which year), restated, answered, reported done, repeated — each step a
sentence in English with the Arabic words it was read from, newest last, and
the status the corpus supports ("open, overdue — no answer in this corpus").
The page of a paragraph that makes a mandate links to it.

Kept apart from ``pages.py`` (which lays out every node page) so that the page
layout and the mandate vocabulary can change independently; ``pages.node_page``
calls ``timeline_html`` once.
"""

from __future__ import annotations

from html import escape
from typing import Callable

import pyoxigraph as ox

_PREFIXES = ("PREFIX tip: <https://w3id.org/tipkg/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> "
             "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX eli: <http://data.europa.eu/eli/ontology#> "
             "PREFIX cito: <http://purl.org/spar/cito/> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> ")

#: (property, direction, English verb phrase, sort order); "out" = mandate -> node, "in" = node -> mandate
STEPS = (
    ("mandatedBy", "out", "made by", 1),
    ("due", "out", "due at", 2),
    ("restates", "in", "restated by", 4),
    ("answers", "in", "answered by", 4),
    ("reportsAnswer", "in", "reported done by", 4),
    ("reviewedIn", "out", "review or end set by", 3),
    ("repeats", "out", "repeats the earlier", 3),
    ("repeats", "in", "repeated by", 5),
)


def _select(store: ox.Store, query: str) -> ox.QuerySolutions:
    """The solutions of a SELECT (typed: ``Store.query`` answers any query form)."""
    result = store.query(_PREFIXES + query)
    assert isinstance(result, ox.QuerySolutions)
    return result


def _year(store: ox.Store, node: ox.NamedNode) -> str:
    query = f"""SELECT ?d WHERE {{
        {{ <{node.value}> tip:inDocument ?doc }} UNION {{ BIND(<{node.value}> AS ?doc) }}
        UNION {{ <{node.value}> tip:mandatedBy/tip:inDocument ?doc }} UNION {{ <{node.value}> tip:sessionYear ?d }}
        OPTIONAL {{ ?doc eli:date_document|dcterms:issued ?d }} }}"""
    years = sorted(str(row["d"].value)[:4] for row in _select(store, query) if row["d"] is not None)
    return years[0] if years else ""


def timeline_html(store: ox.Store, iri: str, link: Callable[[ox.NamedNode], str]) -> str:
    """The timeline section of a mandate's page ("" for a node that is not a mandate); on the
    page of a paragraph that makes a mandate, a line linking to it."""
    is_mandate = bool(store.query(_PREFIXES + f"ASK {{ <{iri}> a tip:Mandate }}"))
    if not is_mandate:
        made = [row["m"] for row in _select(store, f"SELECT ?m WHERE {{ ?m tip:mandatedBy <{iri}> }}")]
        if not made:
            return ""
        return (f"<p><strong>Makes a mandate</strong> / <span lang='ar' dir='rtl'>ينشئ ولاية</span>: "
                f"{', '.join(link(m) for m in made)}</p>")
    summary = list(_select(store, f"""SELECT ?body ?who ?what ?whatAr ?status ?statusAr WHERE {{
        <{iri}> tip:mandatingBody/skos:prefLabel ?body ; tip:addressee/skos:prefLabel ?who ;
                tip:action/skos:prefLabel ?what , ?whatAr ; tip:status ?status , ?statusAr .
        FILTER (LANG(?body) = "en" && LANG(?who) = "en" && LANG(?what) = "en" && LANG(?whatAr) = "ar"
                && LANG(?status) = "en" && LANG(?statusAr) = "ar") }}"""))
    events: list[tuple[str, int, str]] = []
    for prop, direction, phrase, order in STEPS:
        target = f"<{iri}>"
        if prop == "restates":  # a restatement points at the mandating paragraph, not at the mandate
            made = [row["p"] for row in _select(store, f"SELECT ?p WHERE {{ <{iri}> tip:mandatedBy ?p }}")]
            if not made:
                continue
            target = f"<{made[0].value}>"
        pattern = f"<{iri}> tip:{prop} ?n" if direction == "out" else f"?n tip:{prop} {target}"
        citing, cited = ("<" + iri + ">", "?n") if direction == "out" else ("?n", target)
        query = f"""SELECT ?n ?words WHERE {{ {pattern} .
            OPTIONAL {{ ?c cito:hasCitingEntity {citing} ; cito:hasCitedEntity {cited} ;
                        rdf:predicate tip:{prop} ; tip:text ?words }} }} ORDER BY ?n"""
        for row in _select(store, query):
            words = row["words"].value if row["words"] is not None else ""
            arabic = f' — «<span lang="ar" dir="rtl">{escape(words)}</span>»' if words else ""
            year = _year(store, row["n"])
            events.append((year, order, f"<li>{escape(year) + ': ' if year else ''}{escape(phrase)} "
                                        f"{link(row['n'])}{arabic}</li>"))
    events.sort(key=lambda e: (e[1] > 2, e[0] or "9999", e[1]))  # made, due, then by year
    parts = ["<h2>Life of this mandate <small lang='ar' dir='rtl'>مسار الولاية</small></h2>"]
    if summary:
        s = summary[0]
        who = sorted({row["who"].value for row in summary})
        parts.append(f"<p>The {escape(s['body'].value)} asks the {escape(' and the '.join(who))} for: "
                     f"<strong>{escape(s['what'].value)}</strong> "
                     f"(<span lang='ar' dir='rtl'>{escape(s['whatAr'].value)}</span>).</p>")
    parts.append("<ol>" + "".join(e[2] for e in events) + "</ol>")
    if summary:
        parts.append(f"<p><strong>Status:</strong> {escape(summary[0]['status'].value)} — "
                     f"<span lang='ar' dir='rtl'>{escape(summary[0]['statusAr'].value)}</span></p>")
    return "\n".join(parts)
