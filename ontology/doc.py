"""HTML documentation of the ontology, generated from ``ontology/tipkg.ttl``.

The page is written by ``tipkg ontology-doc`` to ``ontology/tipkg.html`` and
committed; a test regenerates it and fails if the committed copy is stale, so
the documentation can never drift from the ontology. Output is deterministic
(terms sorted by name), self-contained (inline CSS, no scripts) and lays out
Arabic right-to-left.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from tipkg.ontology.files import ONTOLOGY_HTML, ONTOLOGY_TTL, load_ontology
from tipkg.ontology.namespace import ONTOLOGY_IRI, TIP, curie

NS = str(TIP._NS)

_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
h1,h2{border-bottom:1px solid #ccc}section.term{border-left:3px solid #8ab;padding-left:1rem;margin:1.5rem 0}
code{background:#f4f4f4;padding:0 .2em}[dir=rtl]{font-family:'Noto Naskh Arabic','Amiri',serif;font-size:1.1em}
.ours{background:#fde9c8;padding:0 .4em;border-radius:.3em;font-size:.85em}table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}"""


def _link(term) -> str:
    if isinstance(term, URIRef) and str(term).startswith(NS):
        name = str(term)[len(NS):]
        return f'<a href="#{escape(name)}"><code>tip:{escape(name)}</code></a>'
    if isinstance(term, URIRef):
        return f'<a href="{escape(str(term))}"><code>{escape(curie(term))}</code></a>'
    return "<code>(anonymous)</code>"


def _texts(graph: Graph, term, prop, lang: str) -> list[str]:
    return sorted(str(o) for o in graph.objects(term, prop) if isinstance(o, Literal) and o.language == lang)


def _parent_links(graph: Graph, term, prop) -> list[str]:
    out = []
    for parent in sorted(graph.objects(term, prop), key=str):
        inverse = graph.value(parent, OWL.inverseOf)
        out.append(f"inverse of {_link(inverse)}" if inverse is not None else _link(parent))
    return out


def is_ours(graph: Graph, term) -> bool:
    """A term is ours when no ancestor lies outside the tip namespace."""
    prop = RDFS.subClassOf if (term, RDF.type, OWL.Class) in graph else RDFS.subPropertyOf
    return all(isinstance(a, URIRef) and str(a).startswith(NS)
               for a in graph.transitive_objects(term, prop) if a != term)


def _term(graph: Graph, term, kind: str) -> str:
    name = str(term)[len(NS):]
    rows = [f'<section class="term" id="{escape(name)}">',
            f"<h3><code>tip:{escape(name)}</code> — {escape(', '.join(_texts(graph, term, RDFS.label, 'en')))}"
            + "".join(f' · <span lang="ar" dir="rtl">{escape(t)}</span>' for t in _texts(graph, term, RDFS.label, "ar"))
            + (' <span class="ours">ours</span>' if is_ours(graph, term) else "") + "</h3>",
            f"<p><small>{escape(kind)} · <code>{escape(str(term))}</code></small></p>"]
    rows += [f"<p>{escape(t)}</p>" for t in _texts(graph, term, SKOS.definition, "en")]
    rows += [f'<p lang="ar" dir="rtl">{escape(t)}</p>' for t in _texts(graph, term, SKOS.definition, "ar")]
    facts = []
    for label, prop in (("sub-class of", RDFS.subClassOf), ("sub-property of", RDFS.subPropertyOf),
                        ("domain", RDFS.domain), ("range", RDFS.range)):
        links = _parent_links(graph, term, prop)
        if links:
            facts.append(f"<dt>{label}</dt><dd>{', '.join(links)}</dd>")
    children = sorted(graph.subjects(RDFS.subClassOf, term), key=str) + sorted(graph.subjects(RDFS.subPropertyOf, term), key=str)
    if children:
        facts.append(f"<dt>specialised by</dt><dd>{', '.join(_link(c) for c in children)}</dd>")
    if facts:
        rows.append("<dl>" + "".join(facts) + "</dl>")
    rows += [f"<p><em>{escape(t)}</em></p>" for t in _texts(graph, term, RDFS.comment, "en")]
    rows.append("</section>")
    return "\n".join(rows)


def render_html(graph: Graph) -> str:
    """The documentation page of the ontology in ``graph``."""
    onto = URIRef(ONTOLOGY_IRI)
    title = _texts(graph, onto, DCTERMS.title, "en")[0]
    title_ar = _texts(graph, onto, DCTERMS.title, "ar")[0]
    kinds = [("Classes", OWL.Class), ("Object properties", OWL.ObjectProperty), ("Datatype properties", OWL.DatatypeProperty)]
    body = [f"<h1>{escape(title)}</h1>", f'<p lang="ar" dir="rtl">{escape(title_ar)}</p>', "<dl>",
            f"<dt>IRI</dt><dd><code>{escape(ONTOLOGY_IRI)}</code> (prefix <code>tip:</code> = <code>{escape(NS)}</code>)</dd>",
            f"<dt>Version IRI</dt><dd><code>{escape(str(graph.value(onto, OWL.versionIRI)))}</code></dd>",
            f"<dt>Version</dt><dd>{escape(str(graph.value(onto, OWL.versionInfo)))}</dd>",
            f"<dt>Licence</dt><dd>{_link(graph.value(onto, DCTERMS.license))}</dd></dl>"]
    body += [f"<p>{escape(t)}</p>" for t in _texts(graph, onto, DCTERMS.description, "en")]
    body += [f'<p lang="ar" dir="rtl">{escape(t)}</p>' for t in _texts(graph, onto, DCTERMS.description, "ar")]
    body.append("<p>Terms marked <span class=\"ours\">ours</span> have no parent in an established vocabulary: "
                "nothing there says <em>recalls</em>, <em>requests</em> or preambular/operative; the comment "
                "of each says why.</p>")
    sections = []
    for heading, kind in kinds:
        terms = sorted((t for t in graph.subjects(RDF.type, kind) if str(t).startswith(NS)), key=str)
        sections.append((heading, kind, terms))
        body.append(f"<h2>{heading}</h2><p>" + " · ".join(_link(t) for t in terms) + "</p>")
    body.append("<h2>Alignment</h2><table><tr><th>term</th><th>parents outside tip:</th></tr>")
    for _, kind, terms in sections:
        for t in terms:
            prop = RDFS.subClassOf if kind == OWL.Class else RDFS.subPropertyOf
            outside = [p for p in _parent_links(graph, t, prop) if "tip:" not in p.split("</code>")[0]]
            inside = [p for p in _parent_links(graph, t, prop) if p not in outside]
            cell = (", ".join(outside) or ('<span class="ours">ours</span>' if is_ours(graph, t)
                                           else "through " + ", ".join(inside)))
            body.append(f"<tr><td>{_link(t)}</td><td>{cell}</td></tr>")
    body.append("</table>")
    for heading, kind, terms in sections:
        body.append(f"<h2>{heading} in detail</h2>")
        body += [_term(graph, t, curie(kind)) for t in terms]
    external = sorted((s for s in graph.subjects(RDFS.isDefinedBy, None) if isinstance(s, URIRef)), key=curie)
    body.append("<h2>Terms of other vocabularies used by the graph</h2><ul>")
    body += [f"<li>{_link(t)} — {escape(', '.join(_texts(graph, t, RDFS.label, 'en')))}</li>" for t in external]
    body.append("</ul>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def write_html(path: str | Path = ONTOLOGY_HTML, source: str | Path = ONTOLOGY_TTL) -> Path:
    """Regenerate the HTML documentation file."""
    Path(path).write_text(render_html(load_ontology(source)), encoding="utf-8")
    return Path(path)
