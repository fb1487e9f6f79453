"""The HTML the server shows a person: node pages and the home page.

Arabic is laid out right-to-left; every page is self-contained (inline CSS).
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import URIRef

from tipkg.ontology.namespace import curie
from tipkg.server.mandate_timeline import timeline_html
from tipkg.server.linked_data import IDENTIFIER, LABELS, NORMALIZED, TEXT, LinkedData

_CSS = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3em;vertical-align:top;text-align:start}"
        "[dir=rtl]{font-family:'Noto Naskh Arabic','Amiri',serif;font-size:1.15em;line-height:1.8}"
        ".text{background:#f7f7f2;padding:1em;border-radius:.4em}code{background:#f1f1f1}")


def page(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n").encode("utf-8")


def value_html(ld: LinkedData, term) -> str:
    if isinstance(term, ox.NamedNode):
        ident = ld.identifier(term)
        href = ld.local(term.value) or term.value
        return f'<a href="{escape(quote(href, safe="/:#()%,.~-_!*+=@"))}">{escape(ident or curie(URIRef(term.value)))}</a>'
    if isinstance(term, ox.Literal):
        if term.language == "ar":
            return f'<span lang="ar" dir="rtl">{escape(term.value)}</span>'
        lang = f' lang="{escape(term.language)}"' if term.language else ""
        return f"<span{lang}>{escape(term.value)}</span>"
    return escape(str(term))


def node_page(ld: LinkedData, iri: str, out: list[ox.Quad], into: list[ox.Quad]) -> bytes:
    """The HTML page of a node: identifier, labels, Arabic text right-to-left, links out and in."""
    ident = next((q.object.value for q in out if q.predicate == IDENTIFIER), iri)
    parts = [f"<h1><code>{escape(ident)}</code></h1>", f"<p><small>{escape(iri)}</small></p>"]
    labels = [q.object for q in out if q.predicate in LABELS]
    seen = set()
    for lab in labels:
        if (lab.value, lab.language) in seen:
            continue
        seen.add((lab.value, lab.language))
        if lab.language == "ar":
            parts.append(f'<p lang="ar" dir="rtl"><strong>{escape(lab.value)}</strong></p>')
        else:
            parts.append(f'<p><strong>{escape(lab.value)}</strong>{f" <small>({escape(lab.language)})</small>" if lab.language else ""}</p>')
    texts = {q.predicate: q.object.value for q in out if q.predicate in (TEXT, NORMALIZED)}
    if NORMALIZED in texts:  # reading order (visual-order extractions put back), then the original
        parts.append(f'<div class="text" lang="ar" dir="rtl">{escape(texts[NORMALIZED])}</div>')
    if TEXT in texts:
        parts.append(f'<details><summary>original text as extracted</summary>'
                     f'<div class="text" lang="ar" dir="rtl">{escape(texts[TEXT])}</div></details>')
    formats = " · ".join(f'<a href="?format={f}">{f}</a>' for f in ("ttl", "jsonld", "nt"))
    parts.append(f"<p><small>Other formats: {formats}</small></p>")
    parts.append(timeline_html(ld.store, iri, lambda term: value_html(ld, term)))  # mandates (mandate_timeline.py)
    parts.append("<h2>Statements</h2><table><tr><th>property</th><th>value</th></tr>")
    for q in sorted(out, key=lambda q: (q.predicate.value, str(q.object))):
        if q.predicate not in (TEXT, NORMALIZED):
            parts.append(f"<tr><td><code>{escape(curie(URIRef(q.predicate.value)))}</code></td><td>{value_html(ld, q.object)}</td></tr>")
    parts.append("</table>")
    parts.append(f"<h2>Links in ({len(into)})</h2><table><tr><th>from</th><th>property</th></tr>")
    for q in sorted(into, key=lambda q: (q.predicate.value, str(q.subject)))[:500]:
        parts.append(f"<tr><td>{value_html(ld, q.subject)}</td><td><code>{escape(curie(URIRef(q.predicate.value)))}</code></td></tr>")
    parts.append("</table>")
    return page(ident, "\n".join(parts))


def home_page(ld: LinkedData) -> bytes:
    """Entry points: the description, the ontology, the endpoint, and the nodes that have parts."""
    query = ("SELECT DISTINCT ?d ?id WHERE { ?p <http://data.europa.eu/eli/ontology#is_part_of> ?d . "
             "?d <http://purl.org/dc/terms/identifier> ?id "
             "FILTER NOT EXISTS { ?d <http://data.europa.eu/eli/ontology#is_part_of> ?up } } ORDER BY ?id")
    docs = "".join(f"<li>{value_html(ld, s['d'])}</li>" for s in ld.store.query(query))
    body = ("<h1>tipkg linked data</h1><ul><li><a href='/void'>dataset description (VoID)</a></li>"
            "<li><a href='/ontology'>ontology</a></li><li><a href='/sparql'>SPARQL endpoint</a></li></ul>"
            f"<p>Nodes are served under <code>/id/</code> for the URIs <code>{escape(ld.base)}…</code>.</p>"
            f"<h2>Documents and instruments</h2><ul>{docs}</ul>")
    return page("tipkg", body)


def sparql_form() -> bytes:
    """The /sparql page a browser gets when it sends no query."""
    form = ('<h1>SPARQL</h1><form method="post" action="/sparql"><textarea name="query" rows="12" cols="80">'
            "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n)</textarea><br>"
            '<select name="format"><option>json</option><option>xml</option><option>csv</option></select> '
            '<button>Run</button></form>')
    return page("SPARQL", form)
