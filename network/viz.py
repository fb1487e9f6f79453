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

from tipkg.errors import TipkgError

#: kind -> colour and vis-network shape (the legend lists them)
KIND_STYLES = {
    "instrument": {"color": "#d62728", "shape": "star"},
    "article": {"color": "#ff7f0e", "shape": "diamond"},
    "document": {"color": "#1f77b4", "shape": "square"},
    "paragraph": {"color": "#9ecae1", "shape": "dot"},
    "footnote": {"color": "#c7c7c7", "shape": "dot"},
    "topic": {"color": "#2ca02c", "shape": "triangle"},
    "actor": {"color": "#9467bd", "shape": "triangleDown"},
    "meeting": {"color": "#8c564b", "shape": "hexagon"},
    "mandate": {"color": "#e377c2", "shape": "box"},
    "other": {"color": "#7f7f7f", "shape": "ellipse"},
}
#: relation -> edge colour; relations not listed get one from PALETTE
RELATION_COLORS = {
    "is_part_of": "#cccccc", "isPartOf": "#cccccc", "footnote": "#dddddd",
    "recalls": "#1f77b4", "refersTo": "#17becf", "citesArticle": "#ff7f0e", "requests": "#9467bd",
    "indexedUnder": "#2ca02c", "echoes": "#e377c2", "coIndexed": "#2ca02c",
    "recommends": "#bcbd22", "encourages": "#8c564b", "invites": "#393b79", "urges": "#d62728",
    "reminds": "#637939", "recommendsRequest": "#dbdb8d", "broader": "#98df8a", "narrower": "#98df8a",
    # the mandates projection: one colour per action of the action scheme (tables/mandates.toml)
    "report": "#d62728", "study or analysis": "#1f77b4", "questionnaire or information gathering": "#ff7f0e",
    "meeting or working group": "#2ca02c", "technical assistance": "#9467bd", "dissemination or tools": "#17becf",
    "other action": "#7f7f7f",
}
PALETTE = ["#8c564b", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d"]
STABILIZATION_ITERATIONS = 200


def _vis_files() -> tuple[str, str]:
    import pyvis

    lib = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    try:
        return (lib / "vis-network.min.js").read_text(encoding="utf-8"), (lib / "vis-network.css").read_text(encoding="utf-8")
    except OSError as exc:
        raise TipkgError(str(lib), f"pyvis's bundled vis-network is missing ({exc})") from None


def relation_color(relation: str) -> str:
    """The colour of a relation (stable across runs: a listed colour, else one picked by name)."""
    if relation in RELATION_COLORS:
        return RELATION_COLORS[relation]
    return PALETTE[sum(map(ord, relation)) % len(PALETTE)]


def select(g: nx.Graph, focus: str | None = None, depth: int = 1, topic: str | None = None,
           years: tuple[int, int] | None = None) -> tuple[nx.Graph, list[str]]:
    """The part of ``g`` to show, and the words that say what was kept."""
    said = []
    keep = set(g.nodes)
    if focus:
        if focus not in g:
            raise TipkgError("--focus", f"no node with identifier {focus!r} in this projection")
        undirected = g.to_undirected(as_view=True) if g.is_directed() else g
        keep &= set(nx.ego_graph(undirected, focus, radius=depth))
        said.append(f"within {depth} step{'s' if depth != 1 else ''} of {focus}")
    if topic:
        wanted = topic if topic.startswith("topic:") else f"topic:{topic}"
        if wanted not in g:
            raise TipkgError("--topic", f"no topic {wanted!r} in this projection (try --projection full)")
        indexed = {n for n in g.predecessors(wanted)} if g.is_directed() else set(g.neighbors(wanted))
        around = set(indexed) | {wanted}
        for n in indexed:
            around |= set(g.successors(n)) if g.is_directed() else set(g.neighbors(n))
        keep &= around
        said.append(f"paragraphs indexed under {wanted} and what they link to")
    if years:
        low, high = years
        dated = {n for n in keep if "year" in g.nodes[n]}
        in_range = {n for n in dated if low <= g.nodes[n]["year"] <= high}
        undated_linked = {m for n in in_range for m in nx.all_neighbors(g, n) if m in keep and m not in dated}
        keep = in_range | undated_linked
        said.append(f"dated {low}-{high}")
    return g.subgraph(keep).copy(), said


def page(g: nx.Graph, title: str, subtitle: str = "", size_by: str = "pagerank", height: str = "82vh") -> str:
    """The HTML page drawing ``g`` (self-contained: every script and style inline)."""
    from pyvis.network import Network

    net = Network(height=height, width="100%", directed=g.is_directed(), notebook=False,
                  cdn_resources="in_line", heading=title)
    values = [float(d.get(size_by, 0) or 0) for _, d in g.nodes(data=True)]
    top = max(values) if values and max(values) > 0 else 1.0
    kinds_seen, relations_seen = set(), set()
    for node, data in sorted(g.nodes(data=True)):
        kind = data.get("kind", "other") if data.get("kind") in KIND_STYLES else "other"
        kinds_seen.add(kind)
        style = KIND_STYLES[kind]
        value = float(data.get(size_by, 0) or 0)
        label = data.get("label_en") or node
        tip_en = "\n".join(x for x in (node, label if label != node else "", f"kind: {kind}",
                                       f"year: {data['year']}" if "year" in data else "",
                                       f"{size_by}: {value:.4g}") if x)
        arabic = data.get("label_ar", "")
        text = data.get("text", "")
        tip_ar = "\n".join(x for x in (arabic, text if text and text != arabic else "") if x)
        net.add_node(node, label=label if len(label) <= 40 else label[:39] + "…", shape=style["shape"],
                     color=style["color"], size=8 + 30 * math.sqrt(value / top), kind=kind, tip_en=tip_en,
                     tip_ar=tip_ar[:1200], label_en=label, label_ar=arabic)
    parallel: dict[tuple[str, str], int] = {}
    for a, b, data in sorted(g.edges(data=True), key=lambda e: (e[0], e[1], e[2].get("relation", ""))):
        relation = data.get("relation", "")
        relations_seen.add(relation)
        count = int(data.get("count", 1))
        # a multigraph (the mandates projection: one edge per action) bends its parallel edges apart
        k = parallel[(a, b)] = parallel.get((a, b), -1) + 1
        bend = {"smooth": {"enabled": True, "type": "curvedCW", "roundness": 0.12 * k}} if k else {}
        net.add_edge(a, b, color=relation_color(relation), title=f"{data.get('relations', relation)} ({count})",
                     width=1 + min(6.0, 1.5 * math.log1p(count)), **bend)
    net.options = {
        "nodes": {"font": {"size": 12}, "borderWidth": 1},
        "edges": {"smooth": False, "arrows": {"to": {"enabled": g.is_directed(), "scaleFactor": 0.4}}},
        "layout": {"improvedLayout": False, "randomSeed": 6180},
        "physics": {"enabled": True, "solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -40, "springLength": 80, "avoidOverlap": 0.2},
                    "stabilization": {"enabled": True, "iterations": STABILIZATION_ITERATIONS,
                                      "updateInterval": 50, "fit": True}},
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": True},
    }
    nodes, edges, _heading, height, _width, options = net.get_network_data()
    vis_js, vis_css = _vis_files()
    template = resources.files("tipkg.network").joinpath("viz_template.html").read_text(encoding="utf-8")
    env = Environment(autoescape=select_autoescape(["html"], default_for_string=True))
    return env.from_string(template).render(
        title=title, subtitle=subtitle, height=height, nodes=nodes, edges=edges, options=options,
        vis_js=vis_js, vis_css=vis_css,
        kinds=[(k, KIND_STYLES[k]) for k in KIND_STYLES if k in kinds_seen],
        relations=[(r, relation_color(r)) for r in sorted(relations_seen)])


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
    what = {"full": "the whole corpus", "documents": "document citation network",
            "articles": "paragraphs citing treaty articles", "topics": "topic co-occurrence",
            "actors": "who is asked to act (document → actor)", "reuse": "text reuse (later → earlier wording)",
            "mandates": "mandates (mandating body → addressee; edge colour = action, width = mandates)"}
    title = f"tipkg — {what.get(projection, projection)}" + (f", {'; '.join(said)}" if said else "")
    subtitle = (f"projection {projection}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges; "
                f"node size = {size_by}; colour/shape = kind, edge colour = relation. "
                f"Hover a node for its identifier and Arabic text.")
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

