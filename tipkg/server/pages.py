"""The HTML the server shows a person: pages made of words.

Node pages lead with the English label and gist, then the Arabic (laid out
right-to-left); linked nodes are named by their English label (the
identifier in the tooltip), properties by the ontology's English label, and
a node's incoming citations read "cited by <paragraph> — <its gist> —
'<the original words>'" instead of the URIs of citation records. The home
page gives titles and entries for documents, instruments, topics and actors
and the map; ``/sparql`` in a browser is a form with the catalog's prefixes
and queries whose answer comes back as an HTML table (``/sparql/table``).
Every page is self-contained (inline CSS).
"""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from rdflib import URIRef

from tipkg.ontology.namespace import PREFIXES, curie
from tipkg.server.mandate_timeline import timeline_html
from tipkg.server.linked_data import IDENTIFIER, LABELS, NORMALIZED, TEXT, LinkedData

_CSS = ("body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3em;vertical-align:top;text-align:start}"
        "[dir=rtl]{font-family:'Noto Naskh Arabic','Amiri',serif;font-size:1.15em;line-height:1.8}"
        ".text{background:#f7f7f2;padding:1em;border-radius:.4em}code{background:#f1f1f1}"
        ".gist{font-size:1.1em;border-left:4px solid #1f77b4;padding:.3em .8em;background:#f3f8fc}"
        ".muted{color:#666}ul.cols{columns:2}nav a{margin-right:1em}")
_TIP = "https://w3id.org/tipkg/ontology#"
GIST = ox.NamedNode(_TIP + "gist")
_CITO = "http://purl.org/spar/cito/"
_EN_LABELS = ("http://www.w3.org/2004/02/skos/core#prefLabel", "http://www.w3.org/2000/01/rdf-schema#label",
              "http://purl.org/dc/terms/title")
_NAV = ('<nav><a href="/">home</a><a href="/viz/">map</a><a href="/sparql">SPARQL</a>'
        '<a href="/ontology">ontology</a><a href="/void">dataset</a></nav>')


def page(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{_CSS}</style></head><body>\n{_NAV}\n{body}\n</body></html>\n").encode("utf-8")


def href(ld: LinkedData, iri: str) -> str:
    return escape(quote(ld.local(iri) or iri, safe="/:#()%,.~-_!*+=@"))


def english(ld: LinkedData, term: ox.NamedNode) -> str | None:
    """The English name of a node: its title, else its prefLabel, else its rdfs:label; None if it has none."""
    found = {}
    for q in ld.store.quads_for_pattern(term, None, None):
        if q.predicate.value in _EN_LABELS and isinstance(q.object, ox.Literal) and q.object.language == "en":
            found.setdefault(q.predicate.value, q.object.value)
    title = found.get(_EN_LABELS[2])
    label = found.get(_EN_LABELS[0]) or found.get(_EN_LABELS[1])
    return title if title and label and label in title else (f"{label} — {title}" if title and label else title or label)


def name_of(ld: LinkedData, term) -> str:
    """What a page calls a node: its English name, else its identifier, else a CURIE."""
    if not isinstance(term, ox.NamedNode):
        return str(term)
    return english(ld, term) or ld.identifier(term) or curie(URIRef(term.value))


@lru_cache(maxsize=1)
def _property_words() -> dict[str, str]:
    """The ontology's English label of each of its terms (what a property is called on a page)."""
    from rdflib import RDFS

    from tipkg.ontology.files import ontology_graph

    onto = ontology_graph()
    return {str(s): str(o) for s, o in onto.subject_objects(RDFS.label) if getattr(o, "language", None) == "en"}


def property_html(iri: str) -> str:
    words = _property_words().get(iri)
    short = curie(URIRef(iri))
    return f'<span title="{escape(short)}">{escape(words)}</span>' if words else f"<code>{escape(short)}</code>"


def value_html(ld: LinkedData, term) -> str:
    if isinstance(term, ox.NamedNode):
        words = _property_words().get(term.value) if ld.local(term.value) is None else None
        if words:  # a class or property of the ontology: its English label
            return f'<a href="{escape(term.value)}" title="{escape(curie(URIRef(term.value)))}">{escape(words)}</a>'
        ident = ld.identifier(term)
        name = name_of(ld, term)
        tip = f' title="{escape(ident)}"' if ident and ident != name else ""
        return f'<a href="{href(ld, term.value)}"{tip}>{escape(name)}</a>'
    if isinstance(term, ox.Literal):
        if term.language == "ar":
            return f'<span lang="ar" dir="rtl">{escape(term.value)}</span>'
        lang = f' lang="{escape(term.language)}"' if term.language else ""
        return f"<span{lang}>{escape(term.value)}</span>"
    return escape(str(term))


def citations(ld: LinkedData, iri: str, incoming: bool) -> list[dict]:
    """A node's citations, in words: who cites it (``incoming``: the citing paragraph and its gist)
    or what it cites (the target); each with the relation and the original words."""
    this, other = ("hasCitedEntity", "hasCitingEntity") if incoming else ("hasCitingEntity", "hasCitedEntity")
    query = f"""SELECT ?o ?rel ?words ?gist WHERE {{
        ?c <{_CITO}{this}> <{iri}> ; <{_CITO}{other}> ?o ;
           <http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> ?rel .
        OPTIONAL {{ ?c <{_TIP}text> ?words }}
        {f"OPTIONAL {{ ?o <{_TIP}gist> ?gist }}" if incoming else ""}
    }}"""
    rows = [{"node": s["o"], "relation": s["rel"].value, "words": s["words"].value if s["words"] else "",
             "gist": s["gist"].value if incoming and s["gist"] else ""} for s in ld.store.query(query)]
    rows.sort(key=lambda r: (r["relation"], ld.identifier(r["node"]) or "", r["words"]))
    return rows


def _citation_list(ld: LinkedData, rows: list[dict], anchor: str, heading: str, css: str) -> list[str]:
    """A section of ``citations()`` rows: what a node cites ("requests actor:unodc — <words>") or who
    cites it ("cited by <paragraph> (requests) — <its gist> — <words>"); nothing when there are none."""
    if not rows:
        return []
    items = [f"<h2 id='{anchor}'>{heading}</h2><ul class='{css}'>"]
    for c in rows[:500]:
        words = f" — <q lang='ar' dir='rtl'>{escape(c['words'])}</q>" if c["words"] else ""
        if anchor == "cited-by":
            said = f" — {escape(c['gist'])}" if c["gist"] else ""
            items.append(f"<li>cited by {value_html(ld, c['node'])} <small class='muted'>"
                         f"({property_html(c['relation'])})</small>{said}{words}</li>")
        else:
            items.append(f"<li>{property_html(c['relation'])} {value_html(ld, c['node'])}{words}</li>")
    return items + ["</ul>"]


def node_page(ld: LinkedData, iri: str, out: list[ox.Quad], into: list[ox.Quad]) -> bytes:
    """The HTML page of a node: its name, gist and text, what it says of itself, and who cites it, in words."""
    node = ox.NamedNode(iri)
    ident = next((q.object.value for q in out if q.predicate == IDENTIFIER), iri)
    name = english(ld, node)
    title = name if name and name != ident else ident
    parts = [f"<h1>{escape(title)}</h1>",
             f"<p class='muted'>identifier <code>{escape(ident)}</code> · <small>{escape(iri)}</small></p>"]
    gist = next((q.object.value for q in out if q.predicate == GIST), None)
    if gist:
        parts.append(f'<p class="gist" id="gist">{escape(gist)}</p>')
    seen = {(title, "en")}
    for lab in (q.object for q in out if q.predicate in LABELS):
        if (lab.value, lab.language) in seen or lab.value == ident:
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
    parts.append(f"<p><small>Other formats: {formats} · <a href='/viz/?{urlencode({'focus': ident})}'>on the map</a>"
                 f"</small></p>")
    parts.append(timeline_html(ld.store, iri, lambda term: value_html(ld, term)))  # mandates (mandate_timeline.py)
    parts.append("<h2>Statements</h2><table><tr><th>property</th><th>value</th></tr>")
    for q in sorted(out, key=lambda q: (q.predicate.value, str(q.object))):
        if q.predicate not in (TEXT, NORMALIZED, GIST):
            parts.append(f"<tr><td>{property_html(q.predicate.value)}</td><td>{value_html(ld, q.object)}</td></tr>")
    parts.append("</table>")
    cites = citations(ld, iri, incoming=False)
    parts += _citation_list(ld, cites, "cites", f"What it cites, in its words ({len(cites)})", "cites")
    cited = citations(ld, iri, incoming=True)
    parts += _citation_list(ld, cited, "cited-by", f"Cited by ({len(cited)})", "citations")
    records = {q.subject for q in into if q.predicate.value.startswith(_CITO)}
    others = [q for q in into if q.subject not in records and not q.predicate.value.startswith(_CITO)
              and not (cited and q.predicate.value.startswith(_TIP) and q.subject in {c["node"] for c in cited})]
    if others:
        parts.append(f"<h2>Other links in ({len(others)})</h2><table><tr><th>from</th><th>relation</th></tr>")
        for q in sorted(others, key=lambda q: (q.predicate.value, ld.identifier(q.subject) or ""))[:500]:
            gist_of = next((g.object.value for g in ld.store.quads_for_pattern(q.subject, GIST, None)), "")
            extra = f" <span class='muted'>— {escape(gist_of)}</span>" if gist_of else ""
            parts.append(f"<tr><td>{value_html(ld, q.subject)}{extra}</td><td>{property_html(q.predicate.value)}</td></tr>")
        parts.append("</table>")
    return page(title, "\n".join(parts))


_ENTRIES = [
    ("Documents", "documents", """SELECT ?n ?id WHERE { ?n <http://purl.org/dc/terms/identifier> ?id .
        ?p <https://w3id.org/tipkg/ontology#inDocument> ?n } GROUP BY ?n ?id ORDER BY ?id"""),
    ("Instruments", "instruments", """SELECT ?n ?id WHERE { ?n a <https://w3id.org/tipkg/ontology#Instrument> ;
        <http://purl.org/dc/terms/identifier> ?id } ORDER BY ?id"""),
    ("Topics of the thematic index", "topics", """SELECT ?n ?id WHERE { ?n a <https://w3id.org/tipkg/ontology#Topic> ;
        <http://purl.org/dc/terms/identifier> ?id } ORDER BY ?id"""),
    ("Actors asked to act", "actors", """SELECT ?n ?id WHERE { ?n a <https://w3id.org/tipkg/ontology#Actor> ;
        <http://purl.org/dc/terms/identifier> ?id } ORDER BY ?id"""),
]


def _arabic(ld: LinkedData, term: ox.NamedNode) -> str:
    for q in ld.store.quads_for_pattern(term, LABELS[0], None):
        if isinstance(q.object, ox.Literal) and q.object.language == "ar":
            return q.object.value
    return ""


def home_page(ld: LinkedData) -> bytes:
    """Entry points in words: documents by title, instruments, topics and actors by name, the map, the endpoint."""
    body = ["<h1>tipkg — United Nations instruments on trafficking in persons</h1>",
            "<p>Documents, their paragraphs and what they recall, cite, request and are indexed under, "
            "from the Arabic texts, with English names and gists. "
            "<a href='/viz/'>The map</a> shows documents, instruments and topics at a glance; "
            "<a href='/sparql'>SPARQL</a> asks anything.</p>",
            f"<p class='muted'><small>Nodes are served under <code>/id/</code> for the URIs "
            f"<code>{escape(ld.base)}…</code>.</small></p>"]
    for heading, anchor, query in _ENTRIES:
        rows = list(ld.store.query(query))
        body.append(f"<h2 id='{anchor}'>{escape(heading)} ({len(rows)})</h2><ul class='{anchor}'>")
        for s in rows:
            node, ident = s["n"], s["id"].value
            name = english(ld, node) or ident
            arabic = _arabic(ld, node)
            extra = f" <code>{escape(ident)}</code>" if name != ident else ""
            topic = f" · <a href='/viz/?{urlencode({'topic': ident})}'>map</a>" if anchor == "topics" else ""
            ar = f" · <span lang='ar' dir='rtl'>{escape(arabic)}</span>" if arabic and anchor != "documents" else ""
            body.append(f"<li><a href='{href(ld, node.value)}'>{escape(name)}</a>{extra}{ar}{topic}</li>")
        body.append("</ul>")
    return page("tipkg", "\n".join(body))


# -- SPARQL in a browser ----------------------------------------------------------------------------

def prefix_lines() -> str:
    return "\n".join(f"PREFIX {p}: <{ns}>" for p, ns in sorted(PREFIXES.items()))


def sparql_form(query: str | None = None) -> bytes:
    """The /sparql page a browser gets when it sends no query: the catalog's prefixes and queries."""
    from tipkg.queries.catalog import catalog

    text = query or (prefix_lines() + "\n\nSELECT ?paragraph ?gist WHERE {\n  ?p tip:requests ?actor ; "
                     "dcterms:identifier ?paragraph ; tip:gist ?gist .\n  ?actor skos:prefLabel \"Secretariat\"@en .\n}"
                     " ORDER BY ?paragraph")
    items = "".join(f"<li><a href='/sparql/table?{urlencode({'name': name})}'>{escape(q.question)}</a> "
                    f"<code class='muted'>{escape(name)}</code></li>" for name, q in sorted(catalog().items()))
    form = ("<h1>SPARQL</h1>"
            '<form method="get" action="/sparql/table"><textarea name="query" rows="16" cols="100" '
            f'spellcheck="false">{escape(text)}</textarea><br>'
            "<button>Run — results as a table</button></form>"
            '<p class="muted"><small>Programs post to <code>/sparql</code> (SPARQL 1.1 Protocol); '
            "this form shows the answer as a table.</small></p>"
            f"<h2>The catalog</h2><ul>{items}</ul>")
    return page("SPARQL", form)


def results_page(ld: LinkedData, query: str, answer_body: bytes, status: int, title: str = "SPARQL results") -> bytes:
    """A SPARQL JSON results document (or an error) as an HTML table; IRIs of nodes link to their pages."""
    head = (f"<h1>{escape(title)}</h1><details><summary>query</summary><pre>{escape(query)}</pre></details>"
            f"<p><a href='/sparql/form?{urlencode({'query': query})}'>edit this query</a></p>")
    if status != 200:
        return page(title, head + f"<p class='error'>Error {status}: {escape(answer_body.decode('utf-8', 'replace'))}</p>")
    try:
        data = json.loads(answer_body)
    except ValueError:
        return page(title, head + f"<pre>{escape(answer_body.decode('utf-8', 'replace'))}</pre>")
    if "boolean" in data:
        return page(title, head + f"<p>Answer: <strong>{'yes' if data['boolean'] else 'no'}</strong></p>")
    columns = data["head"]["vars"]
    rows = data["results"]["bindings"]
    out = [head, f"<p>{len(rows)} row{'s' if len(rows) != 1 else ''}</p><table class='results'><tr>"]
    out += [f"<th>{escape(c)}</th>" for c in columns] + ["</tr>"]
    for row in rows[:5000]:
        out.append("<tr>")
        for c in columns:
            cell = row.get(c)
            if cell is None:
                out.append("<td></td>")
            elif cell["type"] == "uri":
                out.append(f"<td>{value_html(ld, ox.NamedNode(cell['value']))}</td>")
            else:
                lang = cell.get("xml:lang", "")
                attrs = ' lang="ar" dir="rtl"' if lang == "ar" else (f' lang="{escape(lang)}"' if lang else "")
                out.append(f"<td{attrs}>{escape(cell['value'])}</td>")
        out.append("</tr>")
    out.append("</table>")
    return page(title, "".join(out))


# -- the map ----------------------------------------------------------------------------------------

@lru_cache(maxsize=2)
def _index(graph_file: str, mtime: float):
    from tipkg.network.network import load_rdf
    from tipkg.network.projections import Index

    return Index(load_rdf(graph_file))


def viz_html(ld: LinkedData, params: dict[str, list[str]]) -> bytes:
    """/viz/: the overview; ``?focus=`` a node and ``?topic=`` a topic (identifier or label) open the paragraphs;
    ``?projection=`` another projection. Raises TipkgError for a name that names nothing."""
    from tipkg.network.network import annotated
    from tipkg.network.viz import describe, page as viz_page, parse_years, select

    graph_file = ld.out / "graph.nt"
    index = _index(str(graph_file), graph_file.stat().st_mtime)
    get = lambda key: (params.get(key) or [None])[0]  # noqa: E731
    focus, topic, projection = get("focus"), get("topic"), get("projection") or "overview"
    if projection == "overview" and (focus or topic):
        projection = "full"
    g = annotated(index, projection)
    depth = int(get("depth") or 1)
    shown, said = select(g, focus, depth, topic, parse_years(get("years")))
    title, subtitle = describe(projection, shown, said, "pagerank")
    return viz_page(shown, title, subtitle).encode("utf-8")
