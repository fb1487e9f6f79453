"""Pages made of words: `tipkg serve` on the built corpus, read over HTTP on 127.0.0.1 and in headless Chromium.

Node pages name linked nodes by their English label and list incoming
citations as "cited by <paragraph> — <its gist> — '<the original words>'";
the home page has entries for documents, instruments, topics and actors; the
map is served under /viz/; /sparql in a browser is a form with the catalog's
prefixes, and /sparql/table answers it as an HTML table.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import Request, urlopen

import pytest

from cdp import CHROMIUM, Browser
from lod_support import served

OUTPUT = Path(__file__).resolve().parent.parent / "test-output"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    out = tmp_path_factory.mktemp("served-corpus")
    subprocess.run([sys.executable, "-m", "tipkg", "build", "--out", str(out), "--quiet"], check=True)
    with served(out) as url:
        yield url


def html(url: str) -> tuple[int, str]:
    try:
        with urlopen(Request(url, headers={"Accept": "text/html"}), timeout=60) as r:
            return r.status, r.read().decode("utf-8")
    except HTTPError as e:
        return e.code, e.read().decode("utf-8")


def test_paragraph_page_is_made_of_words(server):
    status, body = html(server + "/id/A/RES/61/180_para_19")
    assert status == 200
    assert ('<p class="gist" id="gist">General Assembly resolution 61/180 (2006), operative paragraph 19 — '
            "the General Assembly requests Secretary-General …</p>") in body
    # linked nodes by English label, identifiers only in tooltips
    assert '>Secretary-General</a>' in body and ">actor:secretary-general<" not in body
    assert ">Improving the coordination of efforts against trafficking in persons</a>" in body
    assert '<span title="tip:requests">requests</span>' in body


def test_cited_node_lists_who_cites_it_in_words(server):
    status, body = html(server + "/id/TIPP")
    assert status == 200
    assert "/id/edge/" not in body, "citation records are not listed by URI"
    items = re.findall(r"<li>cited by (.*?)</li>", body)
    assert len(items) > 50
    pp3 = next(i for i in items if ">A/RES/61/180 pp 3</a>" in i)
    assert "— General Assembly resolution 61/180 (2006), preambular paragraph 3 — the General Assembly recalls" in pp3
    assert "<q lang='ar' dir='rtl'>بروتوكول منع وقمع</q>" in pp3


def test_home_page_has_entries_in_words(server):
    status, body = html(server + "/")
    assert status == 200
    for anchor in ("documents", "instruments", "topics", "actors"):
        assert f"<h2 id='{anchor}'>" in body
    assert ">Improving the coordination of efforts against trafficking in persons</a> <code>A/RES/61/180</code>" in body
    assert ">Victims</a> <code>topic:victims</code>" in body and "الضحايا" in body
    assert ">Member States</a> <code>actor:member-states</code>" in body
    assert "href='/viz/'" in body


def test_viz_pages_are_served(server):
    status, body = html(server + "/viz/")
    assert status == 200 and "tipkg — overview of documents, instruments and topics" in body
    status, body = html(server + "/viz/?topic=" + quote("الضحايا"))
    assert status == 200 and "what is indexed under Victims and its 12 narrower topics" in body
    status, body = html(server + "/viz/?focus=" + quote("Member States"))
    assert status == 200 and "around Member States (actor:member-states)" in body
    status, body = html(server + "/viz/?topic=victim")
    assert status == 404 and "did you mean &#x27;topic:victims&#x27;" in body


def test_sparql_form_and_table(server):
    status, body = html(server + "/sparql")
    assert status == 200
    assert "PREFIX tip: &lt;https://w3id.org/tipkg/ontology#&gt;" in body
    assert "/sparql/table?name=topic-paragraphs" in body
    status, body = html(server + "/sparql/table?name=requests-to-actor")
    assert status == 200 and "<table class='results'>" in body
    assert re.search(r"<p>\d+ rows</p>", body) and "<th>gist</th>" in body
    query = "PREFIX tip: <https://w3id.org/tipkg/ontology#> SELECT ?p WHERE { ?p tip:requests ?a } LIMIT 3"
    status, body = html(server + "/sparql/table?query=" + quote(query))
    assert status == 200 and body.count("<tr>") == 4
    status, body = html(server + "/sparql/table?query=" + quote("SELEC nothing"))
    assert status == 400 and "Error 400" in body


@pytest.mark.slow
def test_served_paragraph_page_in_the_browser(server, tmp_path):
    """The served page as a browser draws it (saved from the server and opened from a file: the test
    browser reaches no network, loopback included; the page is self-contained)."""
    if CHROMIUM is None:  # a missing tool FAILS: `bash .ci/run` installs Debian's chromium
        pytest.fail("no chromium on PATH: install Debian `chromium` (bash .ci/run does)")
    b = Browser()
    try:
        for path, name in (("/id/CTOC/COP/DEC/4/4_para_q", "served-paragraph-4-4-q"), ("/id/TIPP", "served-tipp"),
                           ("/", "served-home")):
            status, body = html(server + path)
            assert status == 200
            saved = tmp_path / f"{name}.html"
            saved.write_text(body, encoding="utf-8")
            b.events.clear()
            b.open(saved)
            assert b.wait_for("document.readyState === 'complete' && document.querySelector('h1') !== null", timeout=30)
            assert b.errors() == []
            if name == "served-paragraph-4-4-q":
                assert b.evaluate("document.getElementById('gist').textContent").startswith(
                    "Conference of the Parties decision 4/4 (2008), operative paragraph q — "
                    "the Conference of the Parties requests")
                assert b.evaluate("getComputedStyle(document.querySelector('.text')).direction") == "rtl"
            b.screenshot(OUTPUT / f"{name}.png")
    finally:
        b.close()
