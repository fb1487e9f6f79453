"""The generated page, opened in headless Chromium with the network cut off.

The page must draw every node and edge of the projection without fetching
anything, raise no script error, stop its physics once stabilized, and find
nodes from the search box. A screenshot is saved under test-output/ for a
person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cdp import CHROMIUM, Browser
from tipkg.network.network import annotated
from tipkg.network.viz import describe, select, write_page

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
    return {
        "nodes": browser.evaluate("network.body.data.nodes.length"),
        "edges": browser.evaluate("network.body.data.edges.length"),
        "drawn_nodes": browser.evaluate("network.body.nodeIndices.length"),
        "drawn_edges": browser.evaluate("network.body.edgeIndices.length"),
        "physics": browser.evaluate("network.physics.options.enabled"),
        "title": browser.evaluate("document.getElementById('title').textContent"),
    }


def test_whole_corpus_page_draws_offline(index, browser, tmp_path):
    g = annotated(index, "full")
    title, subtitle = describe("full", g, [], "pagerank")
    seen = draw(browser, g, tmp_path / "full.html", title, subtitle)
    assert (seen["nodes"], seen["edges"]) == (g.number_of_nodes(), g.number_of_edges())
    assert (seen["drawn_nodes"], seen["drawn_edges"]) == (g.number_of_nodes(), g.number_of_edges())
    assert seen["physics"] is False, "physics still on after stabilization"
    assert seen["title"] == "tipkg — the whole corpus"
    assert browser.errors() == []
    assert [u for u in browser.requests() if not u.startswith(("file:", "data:"))] == []
    browser.screenshot(OUTPUT / "viz-full.png")
    # the search box: identifiers and labels
    assert "TIPP" in browser.evaluate("tipkgSearch('punish trafficking in persons')")
    assert browser.evaluate("tipkgSearch('A/RES/61/180')")[0] == "A/RES/61/180"
    assert browser.evaluate("network.getSelectedNodes().length") >= 1
    shot = browser.screenshot(OUTPUT / "viz-search-61-180.png")
    assert shot.stat().st_size > 20_000
    assert browser.evaluate("tipkgSearch('')") == []
    assert browser.evaluate("network.getSelectedNodes().length") == 0


def test_focus_page_draws_the_neighbourhood(index, browser, tmp_path):
    g = annotated(index, "full")
    shown, said = select(g, focus="CTOC/COP/DEC/4/4", depth=1)
    title, subtitle = describe("full", shown, said, "pagerank")
    seen = draw(browser, shown, tmp_path / "focus.html", title, subtitle)
    assert seen["nodes"] == shown.number_of_nodes() == len(set(g.successors("CTOC/COP/DEC/4/4"))
                                                             | set(g.predecessors("CTOC/COP/DEC/4/4")) | {"CTOC/COP/DEC/4/4"})
    assert seen["edges"] == shown.number_of_edges()
    assert "within 1 step of CTOC/COP/DEC/4/4" in seen["title"]
    assert browser.errors() == []
    browser.screenshot(OUTPUT / "viz-focus-4-4.png")


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
