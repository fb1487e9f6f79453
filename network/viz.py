r"""An interactive page of a projection: pyvis data, vis-network drawing, no network needed.

What the page must do, and how:

- **Work offline.** vis-network's script and style come from the pyvis
  package's own bundled copy (``pyvis/templates/lib/vis-9.1.2``) and are
  inlined into the page. pyvis's stock template links Bootstrap from a CDN
  whatever ``cdn_resources`` says, so pyvis builds the node/edge/options data
  and our own template (``viz_template.html``) renders the page; no pyvis
  filter or select menu is used.
- **Read at a glance.** Nodes are coloured and shaped by kind, sized by a
  metric (``pagerank`` by default), labelled in English; the tooltip gives the
  identifier, the English label, the year and the Arabic label and text.
  Edges are coloured by relation; a legend lists both.
- **Settle, then stop.** Physics runs a bounded number of stabilization
  iterations (no "improved layout", which is slow beyond a few hundred
  nodes), then ``stabilizationIterationsDone`` turns physics off.
- **Find things.** A search box selects and focuses the nodes whose
  identifier or label contains the query.

>>> import networkx as nx
>>> g = nx.DiGraph()
>>> g.add_node("TIPP", kind="instrument", label_en="Trafficking in Persons Protocol", identifier="TIPP")
>>> g.add_node("X para 1", kind="paragraph", label_en="X para 1", identifier="X para 1", text="نص")
>>> g.add_edge("X para 1", "TIPP", relation="recalls")
>>> html = page(g, "demo")
>>> import re
>>> re.findall(r'(?:src|href)\s*=\s*["\']?https?:', html)
[]
>>> "stabilizationIterationsDone" in html and "vis.Network" in html
True
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import networkx as nx
from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from tipkg.errors import TipkgError
from tipkg.tables import load

#: kind -> colour and vis-network shape (the legend draws the same shape in the same colour)
KIND_STYLES = {
    "instrument": {"color": "#d62728", "shape": "star"},
    "article": {"color": "#ff7f0e", "shape": "diamond"},
    "document": {"color": "#1f77b4", "shape": "square"},
    "paragraph": {"color": "#6baed6", "shape": "dot"},
    "footnote": {"color": "#a0a0a0", "shape": "dot"},
    "topic": {"color": "#2ca02c", "shape": "triangle"},
    "actor": {"color": "#9467bd", "shape": "triangleDown"},
    "meeting": {"color": "#8c564b", "shape": "hexagon"},
    "mandate": {"color": "#e377c2", "shape": "box"},
    "other": {"color": "#7f7f7f", "shape": "ellipse"},
}
#: relation -> edge colour, every one distinct; relations not listed get an unused colour of PALETTE
RELATION_COLORS = {
    "is_part_of": "#c7c7c7", "isPartOf": "#8c8c8c", "footnote": "#e0d0b0",
    "recalls": "#1f77b4", "refersTo": "#17becf", "citesArticle": "#ff7f0e", "requests": "#9467bd",
    "indexedUnder": "#2ca02c", "echoes": "#e377c2", "coIndexed": "#74c476",
    "recommends": "#bcbd22", "encourages": "#8c564b", "invites": "#393b79", "urges": "#d62728",
    "reminds": "#637939", "broader": "#a1d99b", "narrower": "#31a354", "listsDocument": "#7b4173",
    "publishedIn": "#e6550d", "recommendsRequest": "#843c39", "compiledIn": "#8c6d31", "meeting": "#3182bd",
    "reportOf": "#6b6ecf", "adoptedAs": "#ce6dbd", "relation": "#b5cf6b", "restates": "#e7ba52",
    # the mandates projection: one colour per action of the action scheme (tables/mandates.toml)
    "report": "#ad494a", "study or analysis": "#08519c", "questionnaire or information gathering": "#fd8d3c",
    "meeting or working group": "#006d2c", "technical assistance": "#756bb1", "dissemination or tools": "#9edae5",
    "other action": "#636363",
}
#: how the legend and tooltips name a relation whose local name says little
RELATION_WORDS = {"relation": "supplements", "isPartOf": "adopted by", "is_part_of": "is part of",
                  "indexedUnder": "indexed under", "coIndexed": "indexed together", "broader": "broader topic",
                  "narrower": "narrower topic", "citesArticle": "cites article", "refersTo": "refers to",
                  "listsDocument": "lists document", "recommendsRequest": "recommends requesting",
                  "publishedIn": "published in", "compiledIn": "compiled in", "reportOf": "report of",
                  "adoptedAs": "adopted as"}
PALETTE = ["#5254a3", "#8ca252", "#bd9e39", "#ad494a", "#a55194", "#6baed6", "#fd8d3c", "#969696",
           "#9e9ac8", "#fdae6b", "#e7969c", "#de9ed6", "#c49c94", "#dbdb8d", "#9edae5", "#393939"]
STABILIZATION_ITERATIONS = 200
LABEL_CHARS = 30


def _vis_files() -> tuple[str, str]:
    import pyvis

    lib = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    try:
        return (lib / "vis-network.min.js").read_text(encoding="utf-8"), (lib / "vis-network.css").read_text(encoding="utf-8")
    except OSError as exc:
        raise TipkgError(str(lib), f"pyvis's bundled vis-network is missing ({exc})") from None


def relation_colors(relations) -> dict[str, str]:
    """A distinct colour for each relation: its listed colour, else the first unused one of PALETTE.

    >>> relation_colors(["recalls", "zzz", "yyy"])["yyy"] != relation_colors(["recalls", "zzz", "yyy"])["zzz"]
    True
    """
    colors = {r: RELATION_COLORS[r] for r in relations if r in RELATION_COLORS}
    free = [c for c in PALETTE if c not in colors.values()]
    for r in sorted(set(relations) - set(colors)):
        colors[r] = free.pop(0) if free else "#%06x" % (sum(map(ord, r)) * 2654435761 % 0xFFFFFF)
    return colors


def relation_color(relation: str) -> str:
    """The colour of one relation on its own (stable across runs)."""
    return relation_colors([relation])[relation]


def short_label(node: str, data: dict) -> str:
    """What a node is called on the map: short, and different from its neighbours' names.

    Documents by their symbol's short form (``GA 61/180``, ``COP dec. 4/4``,
    ``WG 2009/2``: tables/labels.toml ``[[short]]``), paragraphs by that form
    and their number, topics, actors and instruments by their English name
    (an instrument by its code), cut at a word.

    >>> short_label("CTOC/COP/WG.4/2010/6", {"kind": "document"})
    'WG 2010/6'
    >>> short_label("A/RES/61/180 para 5", {"kind": "paragraph"})
    'GA 61/180 para 5'
    """
    kind = data.get("kind")
    if kind in ("document", "paragraph", "footnote"):
        document, rest = (node, "") if kind == "document" else _split_document(node)
        return f"{short_document(document)} {rest}".strip()
    if kind in ("instrument", "article", "meeting"):
        return node
    label = data.get("label_en") or node
    if len(label) <= LABEL_CHARS:
        return label
    if kind == "topic" and ", " in label:  # "Head, narrower": the narrower part tells it from its siblings
        label = "…, " + label.split(", ", 1)[1]
        if len(label) <= LABEL_CHARS:
            return label
    return label[:LABEL_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def short_labels(g: nx.Graph) -> dict[str, str]:
    """Every node's short label; where two would read the same, both read their whole English label."""
    labels = {n: short_label(n, d) for n, d in g.nodes(data=True)}
    seen: dict[str, list[str]] = {}
    for n, label in labels.items():
        seen.setdefault(label, []).append(n)
    for label, same in seen.items():
        if len(same) > 1:
            for n in same:
                labels[n] = g.nodes[n].get("label_en") or n
    return labels


def _split_document(identifier: str) -> tuple[str, str]:
    """``A/RES/61/180 para 5 (a)`` -> (``A/RES/61/180``, ``para 5 (a)``)."""
    import re

    m = re.match(r"^(.+?(?: draft)?) ((?:pp|para|item|fn|rec) .+)$", identifier)
    return (m.group(1), m.group(2)) if m else (identifier, "")


def short_document(identifier: str) -> str:
    """``A/RES/61/180`` -> ``GA 61/180`` (tables/labels.toml ``[[short]]``; the identifier if no row fits)."""
    import re

    for row in load("labels").get("short", []):
        m = re.fullmatch(row["pattern"], identifier)
        if m:
            return row["label"].format(*m.groups(), id=identifier)
    return identifier


def _resolve_in(g: nx.Graph, text: str, option: str, kinds: tuple[str, ...] = ()) -> str:
    from .lookup import resolve

    return resolve(g, text, option, kinds)


def topic_and_narrower(g: nx.Graph, topic: str) -> set[str]:
    """``topic`` and every topic below it (skos:narrower, transitively), as the projection's edges say."""
    found, todo = {topic}, [topic]
    while todo:
        t = todo.pop()
        for a, b, data in list(g.in_edges(t, data=True)) if g.is_directed() else []:
            if "broader" in data.get("relations", "").split(",") and a not in found:
                found.add(a)
                todo.append(a)
        for a, b, data in list(g.out_edges(t, data=True)) if g.is_directed() else []:
            if "narrower" in data.get("relations", "").split(",") and b not in found:
                found.add(b)
                todo.append(b)
    return found


def select(g: nx.Graph, focus: str | None = None, depth: int = 1, topic: str | None = None,
           years: tuple[int, int] | None = None) -> tuple[nx.Graph, list[str]]:
    """The part of ``g`` to show, and the words that say what was kept.

    ``focus`` and ``topic`` are read as identifiers or English/Arabic labels
    (network/lookup.py); a topic brings its narrower topics.
    """
    said = []
    keep = set(g.nodes)
    if focus:
        focus = _resolve_in(g, focus, "--focus")
        undirected = g.to_undirected(as_view=True) if g.is_directed() else g
        keep &= set(nx.ego_graph(undirected, focus, radius=depth))
        g.nodes[focus]["focus"] = True
        said.append(f"around {g.nodes[focus].get('label_en') or focus} ({focus}), "
                    f"within {depth} step{'s' if depth != 1 else ''}")
    if topic:
        wanted = _resolve_in(g, topic, "--topic", ("topic",))
        topics = topic_and_narrower(g, wanted)
        indexed = set()
        for t in topics:
            indexed |= {n for n in g.predecessors(t) if g.nodes[n].get("kind") != "topic"} if g.is_directed() \
                else {n for n in g.neighbors(t) if g.nodes[n].get("kind") != "topic"}
        around = set(indexed) | topics
        for n in indexed:
            around |= set(g.successors(n)) if g.is_directed() else set(g.neighbors(n))
        keep &= around
        g.nodes[wanted]["focus"] = True
        narrower = f" and its {len(topics) - 1} narrower topics" if len(topics) > 1 else ""
        said.append(f"what is indexed under {g.nodes[wanted].get('label_en') or wanted}{narrower}, and what it links to")
    if years:
        low, high = years
        dated = {n for n in keep if "year" in g.nodes[n]}
        in_range = {n for n in dated if low <= g.nodes[n]["year"] <= high}
        undated_linked = {m for n in in_range for m in nx.all_neighbors(g, n) if m in keep and m not in dated}
        keep = in_range | undated_linked
        said.append(f"dated {low}-{high}")
    return g.subgraph(keep).copy(), said


def _tooltip(node: str, data: dict, kind: str, size_by: str, value: float) -> tuple[str, str]:
    label = data.get("label_en") or node
    lines = [label if label != node else "", node, data.get("gist", ""), f"kind: {kind}",
             f"year: {data['year']}" if "year" in data else "", f"{size_by}: {value:.4g}"]
    arabic, text = data.get("label_ar", ""), data.get("text", "")
    tip_ar = "\n".join(x for x in (arabic, text if text and text != arabic else "") if x)
    return "\n".join(x for x in lines if x), tip_ar[:1200]


def page(g: nx.Graph, title: str, subtitle: str = "", size_by: str = "pagerank", height: str = "78vh") -> str:
    """The HTML page drawing ``g`` (self-contained: every script and style inline)."""
    from pyvis.network import Network

    net = Network(height=height, width="100%", directed=g.is_directed(), notebook=False,
                  cdn_resources="in_line", heading=title)
    values = [float(d.get(size_by, 0) or 0) for _, d in g.nodes(data=True)]
    top = max(values) if values and max(values) > 0 else 1.0
    kinds_seen, relations_seen = set(), set()
    names = short_labels(g)
    for node, data in sorted(g.nodes(data=True)):
        kind = data.get("kind", "other") if data.get("kind") in KIND_STYLES else "other"
        kinds_seen.add(kind)
        style = KIND_STYLES[kind]
        value = float(data.get(size_by, 0) or 0)
        tip_en, tip_ar = _tooltip(node, data, kind, size_by, value)
        focus = bool(data.get("focus"))
        extra = {"borderWidth": 5, "color": {"background": style["color"], "border": "#000000"}} if focus else \
            {"color": style["color"]}
        if style["shape"] == "box":  # labels are the page's, so a box gets its size from constraints
            extra.update(widthConstraint={"minimum": 16, "maximum": 16}, heightConstraint={"minimum": 12})
        net.add_node(node, label=names[node], shape=style["shape"], size=8 + 22 * math.sqrt(value / top),
                     kind=kind, tip_en=tip_en, tip_ar=tip_ar, label_en=data.get("label_en") or node,
                     label_ar=data.get("label_ar", ""), gist=data.get("gist", ""), year=data.get("year"),
                     focus=focus, value=round(value, 6), **extra)
    edges = sorted(g.edges(data=True), key=lambda e: (e[0], e[1], e[2].get("relation", "")))
    for _, _, data in edges:
        relations_seen.update(_by_relation(data))
    colors = relation_colors(relations_seen)
    max_weight = 1
    parallel: dict[tuple[str, str], int] = {}
    for a, b, data in edges:
        counts = _by_relation(data)
        # a multigraph (the mandates projection: one edge per action) bends its parallel edges apart
        k = parallel[(a, b)] = parallel.get((a, b), -1) + 1
        bend = {"smooth": {"enabled": True, "type": "curvedCW", "roundness": 0.12 * k}} if k else {}
        max_weight = max(max_weight, sum(counts.values()))
        dominant = max(sorted(counts), key=counts.__getitem__)
        words = ", ".join(f"{RELATION_WORDS.get(r, r)} ×{n}" for r, n in sorted(counts.items()))
        net.add_edge(a, b, color=colors[dominant], title=f"{a} → {b}: {words}", relation=dominant, weights=counts,
                     width=1 + min(5.0, 1.5 * math.log1p(sum(counts.values()) - 1)), **bend)
    net.options = {
        "nodes": {"font": {"size": 0}, "borderWidth": 1},
        "edges": {"smooth": False, "arrows": {"to": {"enabled": g.is_directed(), "scaleFactor": 0.4}}},
        "layout": {"improvedLayout": False, "randomSeed": 6180},
        "physics": {"enabled": True, "solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -90, "springLength": 110, "avoidOverlap": 0.6},
                    "stabilization": {"enabled": True, "iterations": STABILIZATION_ITERATIONS,
                                      "updateInterval": 50, "fit": True}},
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": True},
    }
    nodes, edges_data, _heading, height, _width, options = net.get_network_data()
    vis_js, vis_css = _vis_files()
    template = resources.files("tipkg.network").joinpath("viz_template.html").read_text(encoding="utf-8")
    env = Environment(autoescape=select_autoescape(["html"], default_for_string=True))
    years = sorted({d["year"] for _, d in g.nodes(data=True) if "year" in d})
    return env.from_string(template).render(
        title=title, subtitle=subtitle, height=height, nodes=nodes, edges=edges_data, options=options,
        vis_js=vis_js, vis_css=vis_css, max_weight=max_weight,
        year_low=years[0] if years else "", year_high=years[-1] if years else "",
        kinds=[(k, KIND_STYLES[k], Markup(legend_shape(KIND_STYLES[k]))) for k in KIND_STYLES if k in kinds_seen],
        relations=[(r, RELATION_WORDS.get(r, r), colors[r]) for r in sorted(relations_seen)])


def _by_relation(data: dict) -> dict[str, int]:
    text = data.get("by_relation")
    if text:
        return {r: int(n) for r, n in (item.rsplit(":", 1) for item in text.split(","))}
    count = int(data.get("count", 1))
    return {r: count for r in (data.get("relations") or data.get("relation") or "link").split(",")}


def legend_shape(style: dict) -> str:
    """An SVG of the shape vis-network draws for a kind, in its colour (``data-shape`` names it)."""
    c, shape = style["color"], style["shape"]
    body = {
        "dot": f'<circle cx="8" cy="8" r="6" fill="{c}"/>',
        "ellipse": f'<ellipse cx="8" cy="8" rx="7" ry="4.5" fill="{c}"/>',
        "square": f'<rect x="2" y="2" width="12" height="12" fill="{c}"/>',
        "diamond": f'<polygon points="8,1 15,8 8,15 1,8" fill="{c}"/>',
        "triangle": f'<polygon points="8,1 15,14 1,14" fill="{c}"/>',
        "triangleDown": f'<polygon points="1,2 15,2 8,15" fill="{c}"/>',
        "box": f'<rect x="1" y="3" width="14" height="10" rx="2" fill="{c}"/>',
        "hexagon": f'<polygon points="4,1.5 12,1.5 15.5,8 12,14.5 4,14.5 0.5,8" fill="{c}"/>',
        "star": f'<polygon points="8,0.5 10,6 15.5,6 11,9.5 12.8,15 8,11.6 3.2,15 5,9.5 0.5,6 6,6" fill="{c}"/>',
    }[shape]
    return f'<svg class="shape" data-shape="{shape}" width="16" height="16" viewBox="0 0 16 16">{body}</svg>'


def write_page(g: nx.Graph, out: str | Path, title: str, subtitle: str = "", size_by: str = "pagerank") -> Path:
    """Write the page to ``out`` (an ``.html`` file)."""
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise TipkgError(str(out), "the page must be an .html file")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page(g, title, subtitle, size_by), encoding="utf-8")
    return out


def describe(projection: str, g: nx.Graph, said: list[str], size_by: str) -> tuple[str, str]:
    """The title and subtitle of a page: what is shown, how big, how sized."""
    what = {"overview": "overview of documents, instruments and topics", "full": "the whole corpus",
            "documents": "document citation network", "articles": "paragraphs citing treaty articles",
            "topics": "topic co-occurrence", "actors": "who is asked to act (document → actor)",
            "reuse": "text reuse (later → earlier wording)",
            "mandates": "mandates (mandating body → addressee; edge colour = action, width = mandates)"}
    if said and projection == "full":
        title = "tipkg — " + "; ".join(said)
    else:
        title = f"tipkg — {what.get(projection, projection)}" + (f", {'; '.join(said)}" if said else "")
    subtitle = (f"projection {projection}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges; "
                f"node size = {size_by}; shape and colour = kind, edge colour = relation, edge width = weight "
                f"(paragraph links). Hover a node for its gist and Arabic text; labels that would overlap "
                f"appear as you zoom in.")
    return title, subtitle


def parse_years(text: str | None) -> tuple[int, int] | None:
    """``"2009-2013"`` -> (2009, 2013); ``"2010"`` -> (2010, 2010).

    >>> parse_years("2009-2013")
    (2009, 2013)
    """
    if not text:
        return None
    parts = text.split("-")
    try:
        low, high = (int(parts[0]), int(parts[-1]))
    except ValueError:
        raise TipkgError("--years", f"expected A-B (e.g. 2009-2013), got {text!r}") from None
    if len(parts) > 2 or low > high:
        raise TipkgError("--years", f"expected A-B with A <= B, got {text!r}")
    return low, high

