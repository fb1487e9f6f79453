"""The generated pages, opened in headless Chromium with the network cut off.

A page must draw without fetching anything and raise no script error; the
overview must read at a glance (at most 300 nodes, every label shown at the
initial zoom at least 12 px on screen and no two labels overlapping); the
filters on the page must change what is drawn; a focus view marks its focus;
a topic view brings the paragraphs of the narrower topics; the search box
finds a paragraph by the words of its English gist. Screenshots are saved
under test-output/ for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cdp import CHROMIUM, Browser
from tipkg.network.network import annotated
from tipkg.network.viz import KIND_STYLES, describe, select, write_page

OUTPUT = Path(__file__).resolve().parent.parent / "test-output"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def index(corpus_index):
    return corpus_index


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:  # a missing tool FAILS: `bash .ci/run` installs Debian's chromium
        pytest.fail("no chromium on PATH: install Debian `chromium` (bash .ci/run does)")
    b = Browser()
    yield b
    b.close()


def draw(browser, g, path: Path, title: str, subtitle: str = ""):
    write_page(g, path, title, subtitle)
    browser.events.clear()
    browser.open(path)
    assert browser.wait_for("window.tipkgStabilized === true", timeout=90), "the layout never stabilized"
    browser.wait_for("document.querySelectorAll('#labels span').length > 0", timeout=10)
    return {
        "nodes": browser.evaluate("network.body.data.nodes.length"),
        "edges": browser.evaluate("network.body.data.edges.length"),
        "drawn_nodes": browser.evaluate("network.body.nodeIndices.length"),
        "drawn_edges": browser.evaluate("network.body.edgeIndices.length"),
        "physics": browser.evaluate("network.physics.options.enabled"),
        "title": browser.evaluate("document.getElementById('title').textContent"),
    }


def overlaps(labels: list[dict], slack: float = 3.0) -> list[tuple[str, str]]:
    bad = []
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            dx = min(a["right"], b["right"]) - max(a["left"], b["left"])
            dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if dx > slack and dy > slack:
                bad.append((a["text"], b["text"]))
    return bad


def test_overview_reads_at_a_glance(index, browser, tmp_path):
    g = annotated(index, "overview")
    title, subtitle = describe("overview", g, [], "pagerank")
    seen = draw(browser, g, tmp_path / "overview.html", title, subtitle)
    assert seen["drawn_nodes"] == seen["nodes"] == g.number_of_nodes() <= 300
    assert seen["drawn_edges"] == g.number_of_edges() > 100
    assert seen["physics"] is False, "physics still on after stabilization"
    assert browser.errors() == []
    assert [u for u in browser.requests() if not u.startswith(("file:", "data:"))] == []
    labels = browser.evaluate("tipkgLabels()")
    assert len(labels) >= 40, f"only {len(labels)} labels shown at the initial zoom"
    assert min(label["font"] for label in labels) >= 12
    assert overlaps(labels) == []
    # the biggest nodes are named
    texts = {label["id"] for label in labels}
    biggest = sorted(g.nodes, key=lambda n: -g.nodes[n]["pagerank"])[:5]
    assert len(texts & set(biggest)) >= 4, biggest
    # labels tell documents apart (no run of identical truncated names)
    shown = [label["text"] for label in labels]
    assert len(shown) == len(set(shown))
    # the legend draws each kind in the shape and colour of its nodes, and gives every relation its own colour
    legend = browser.evaluate("Array.from(document.querySelectorAll('#kinds svg')).map(s => "
                              "[s.parentNode.textContent.trim(), s.dataset.shape, s.firstChild.getAttribute('fill')])")
    drawn = browser.evaluate("Object.fromEntries(network.body.nodeIndices.map(i => "
                             "[network.body.nodes[i].options.kind, network.body.nodes[i].options.shape]))")
    assert {kind: shape for kind, shape, _ in legend} == drawn
    assert all(fill == KIND_STYLES[kind]["color"] for kind, _, fill in legend)
    colours = browser.evaluate("Array.from(document.querySelectorAll('#relations span.line')).map(s => s.style.background)")
    assert len(colours) == len(set(colours)) >= 5
    browser.screenshot(OUTPUT / "viz-overview.png")
    # a double click opens the paragraphs around a node where a server can draw them (/viz/), not from a file
    assert browser.evaluate("tipkgOpenHref('A/RES/61/180', '/viz/')") == "/viz/?focus=A%2FRES%2F61%2F180"
    assert browser.evaluate("tipkgOpenHref('A/RES/61/180', location.pathname)") is None


def test_filters_change_what_is_drawn(index, browser, tmp_path):
    g = annotated(index, "overview")
    title, subtitle = describe("overview", g, [], "pagerank")
    seen = draw(browser, g, tmp_path / "overview.html", title, subtitle)
    count = "[network.body.nodeIndices.length, network.body.edgeIndices.length]"
    before = browser.evaluate(count)
    assert before == [seen["drawn_nodes"], seen["drawn_edges"]]
    # relation: without "indexed under", the topics have no link left but broader/narrower
    browser.evaluate("document.querySelector('input.relation[value=indexedUnder]').click()")
    no_index = browser.evaluate(count)
    indexed = sum(1 for *_, d in g.edges(data=True) if "indexedUnder" in d["by_relation"] and d["relations"] == "indexedUnder")
    assert no_index[1] == before[1] - indexed
    browser.evaluate("document.querySelector('input.relation[value=indexedUnder]').click()")
    assert browser.evaluate(count) == before
    # minimum weight
    browser.evaluate("var w = document.getElementById('min-weight'); w.value = 5; w.dispatchEvent(new Event('input'))")
    heavy = browser.evaluate(count)
    assert heavy[1] == sum(1 for *_, d in g.edges(data=True) if d["weight"] >= 5) and heavy[0] < before[0]
    browser.screenshot(OUTPUT / "viz-overview-min-weight-5.png")
    browser.evaluate("var w = document.getElementById('min-weight'); w.value = 1; w.dispatchEvent(new Event('input'))")
    # kind: no topics
    browser.evaluate("document.querySelector('input.kind[value=topic]').click()")
    kinds = browser.evaluate("network.body.nodeIndices.map(i => network.body.nodes[i].options.kind)")
    assert "topic" not in kinds and kinds
    browser.evaluate("document.querySelector('input.kind[value=topic]').click()")
    # years: documents of 2009-2010 only
    browser.evaluate("var a = document.getElementById('year-low'); a.value = 2009; a.dispatchEvent(new Event('input'));"
                     "var b = document.getElementById('year-high'); b.value = 2010; b.dispatchEvent(new Event('input'))")
    years = browser.evaluate("network.body.nodeIndices.map(i => network.body.nodes[i].options.year).filter(y => y !== null && y !== undefined)")
    assert years and all(2009 <= y <= 2010 for y in years)
    assert browser.errors() == []


def test_focus_view_marks_its_focus_and_opens_paragraphs(index, browser, tmp_path):
    g = annotated(index, "full")
    shown, said = select(g, focus="A/RES/61/180", depth=1)
    title, subtitle = describe("full", shown, said, "pagerank")
    seen = draw(browser, shown, tmp_path / "focus.html", title, subtitle)
    assert seen["title"] == ("tipkg — around Improving the coordination of efforts against trafficking in persons "
                             "(A/RES/61/180), within 1 step")
    assert seen["drawn_nodes"] == shown.number_of_nodes()
    assert browser.evaluate("network.body.nodes['A/RES/61/180'].options.borderWidth") == 5
    assert browser.evaluate("document.querySelector('#labels span.focus').textContent") == "GA 61/180"
    assert browser.evaluate("getComputedStyle(document.querySelector('#labels span.focus')).display") == "block"
    labels = browser.evaluate("tipkgLabels()")
    assert min(label["font"] for label in labels) >= 12 and overlaps(labels) == []
    assert browser.errors() == []
    browser.screenshot(OUTPUT / "viz-focus-61-180.png")
    # the search box finds a paragraph by the words of its gist
    found = browser.evaluate("tipkgSearch('requests Secretary-General')")
    assert "A/RES/61/180 para 19" in found
    assert browser.evaluate("network.getSelectedNodes()") == found
    browser.screenshot(OUTPUT / "viz-focus-search-gist.png")
    assert browser.evaluate("tipkgSearch('')") == []


def test_topic_view_brings_narrower_topics_paragraphs(index, browser, tmp_path):
    g = annotated(index, "full")
    shown, said = select(g, topic="Victims")
    title, subtitle = describe("full", shown, said, "pagerank")
    seen = draw(browser, shown, tmp_path / "topic.html", title, subtitle)
    kinds = browser.evaluate("network.body.nodeIndices.map(i => network.body.nodes[i].options.kind)")
    assert kinds.count("paragraph") >= 100
    assert "Victims and its 12 narrower topics" in seen["title"]
    labels = browser.evaluate("tipkgLabels()")
    assert min(label["font"] for label in labels) >= 12 and overlaps(labels) == []
    assert browser.errors() == []
    browser.screenshot(OUTPUT / "viz-topic-victims.png")


def test_mandates_page_draws_one_coloured_edge_per_action(index, browser, tmp_path):
    """Bodies -> addressees, one edge per action (parallel edges bent apart), coloured by action."""
    g = annotated(index, "mandates")
    title, subtitle = describe("mandates", g, [], "pagerank")
    seen = draw(browser, g, tmp_path / "mandates.html", title, subtitle)
    assert (seen["nodes"], seen["edges"]) == (g.number_of_nodes(), g.number_of_edges())
    assert seen["drawn_edges"] == g.number_of_edges()
    colours = browser.evaluate(
        "network.body.data.edges.get().filter(e => e.from === 'actor:conference' && e.to === 'actor:secretariat')"
        ".map(e => e.color.color || e.color)")
    assert len(set(colours)) == len(colours) >= 5  # report, information, assistance, dissemination, study
    legend = browser.evaluate("document.body.innerText")
    assert "report" in legend and "technical assistance" in legend
    assert browser.errors() == []
    browser.screenshot(OUTPUT / "viz-mandates.png")
