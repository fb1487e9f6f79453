"""A mandate's node page tells its life in words (tipkg/server/mandate_timeline.py):
asked of the real `tipkg serve` over HTTP, and drawn in headless chromium."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from cdp import CHROMIUM, Browser

OUTPUT = Path(__file__).resolve().parent.parent / "test-output"
MANDATE = "/id/CTOC/COP/DEC/1/5_para_f_mandate"


def html(url: str) -> str:
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/html")
        return response.read().decode("utf-8")


def test_a_mandate_page_tells_its_life_in_order(server):
    page = html(server + MANDATE)
    life = page[page.index("Life of this mandate"):page.index("<h2>Statements")]
    steps = ["made by", "due at", "reported done by", "repeated by"]
    at = [life.index(s) for s in steps]
    assert at == sorted(at), life
    assert "2004: made by" in life and "CTOC/COP/DEC/2/3 para q mandate" in life
    assert "التقرير التحليلي الذي أعدته الأمانة" in life  # the words behind the answer
    assert "answered (in this corpus)" in life and 'dir="rtl"' in life


def test_an_overdue_mandate_says_so_honestly(server):
    life = html(server + "/id/CTOC/COP/RES/5/2_para_16_mandate")
    assert "open, overdue — no answer in this corpus" in life
    assert "مفتوحة ومتأخرة" in life


def test_the_paragraph_page_links_to_its_mandate(server):
    page = html(server + "/id/CTOC/COP/DEC/1/5_para_f")
    assert "Makes a mandate" in page and "/id/CTOC/COP/DEC/1/5_para_f_mandate" in page


@pytest.mark.slow
def test_the_timeline_renders_in_chromium(server, tmp_path):
    """The page as served, saved and opened offline (the test browser reaches no network, loopback
    included): self-contained, its timeline in order, Arabic right-to-left."""
    if CHROMIUM is None:  # a missing tool FAILS: `bash .ci/run` installs Debian's chromium
        pytest.fail("no chromium on PATH: install Debian `chromium` (bash .ci/run does)")
    browser = Browser()
    try:
        saved = tmp_path / "mandate.html"
        saved.write_text(html(server + MANDATE), encoding="utf-8")
        browser.open(saved)
        assert browser.wait_for("document.querySelectorAll('ol li').length > 0", timeout=30)
        items = browser.evaluate("[...document.querySelectorAll('ol li')].map(li => li.innerText)")
        assert items[0].startswith("2004: made by") and any("repeated by" in i for i in items)
        assert browser.evaluate("getComputedStyle(document.querySelector('ol span[lang=ar]')).direction") == "rtl"
        assert browser.errors() == []
        browser.screenshot(OUTPUT / "mandate-timeline.png")
    finally:
        browser.close()


def test_a_restated_mandate_says_by_what(server):
    """4/4 (p) is restated by the 2010 agenda's item 1 (b) ("وقرر المؤتمر في المقرر ذاته أن يجتمع الفريق العامل")
    and answered by the reports of the Working Group's first two meetings."""
    page = html(server + "/id/CTOC/COP/DEC/4/4_para_p_mandate")
    life = page[page.index("Life of this mandate"):page.index("<h2>Statements")]
    assert "restated by" in life and "CTOC/COP/WG.4/2010/1 item 1 (b)" in life and "في المقرر ذاته" in life
    assert "CTOC/COP/WG.4/2009/2" in life and "CTOC/COP/WG.4/2010/6" in life
    assert "review or end set by" in life and "CTOC/COP/DEC/4/4 para t" in life
