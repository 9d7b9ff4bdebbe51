"""The built example site in headless Chromium: over http (from a sub-path) and as files.

Needs Debian's chromium (/usr/bin/chromium) and Python Playwright. Skipped when either is
missing, except in CI (env CI=true), where a missing browser is a failure.
Run alone with: pytest -m browser tests/test_browser.py
"""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import QuietHandler
from needs import need as _need

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


@pytest.fixture(scope="module")
def built(example_site: Path) -> Path:
    return example_site


@pytest.fixture(scope="module")
def server(example_server: str) -> str:
    return example_server


def _walk(browser, base: str) -> list[str]:
    """Index -> a unit -> a record -> search in Chinese -> a result; returns every problem seen."""
    problems: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

    page.goto(base + "2023/index.html")
    assert "考核" in page.title()
    assert page.locator("svg rect.bar").count() >= 21
    assert page.locator("table.scores").first.is_visible()

    page.locator("#overall table.scores a").first.click()
    page.wait_for_load_state()
    assert "/units/" in page.url
    assert page.locator("h1").inner_text().strip()
    assert page.locator("#items table").count() >= 1

    page.locator("a[href*='records/']").first.click()
    page.wait_for_load_state()
    assert "/records/" in page.url
    assert page.locator("article.record").is_visible()
    assert page.locator("table.meta").is_visible()

    page.locator("nav.site-nav a", has_text="搜索").click()
    page.wait_for_load_state()
    assert page.url.endswith("search.html") or "search.html" in page.url
    box = page.locator("#search-input")
    box.fill("食品")
    box.press("Enter")
    results = page.locator("#search-results a")
    results.first.wait_for(timeout=10_000)
    assert results.count() >= 1
    assert "食品" in page.locator("#search-results").inner_text()
    results.first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().strip()
    page.close()
    return problems


def test_over_http_from_a_sub_path(browser, server):
    assert _walk(browser, server) == []


def test_as_files(browser, built):
    assert _walk(browser, built.as_uri() + "/") == []


def test_phone_width_has_no_horizontal_page_scroll(browser, server):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for path in ("index.html", "2023/index.html", "2023/units/longgang.html", "2023/rules.html", "2024/rules.html",
                 "2024/units/longgang.html", "units/longgang.html", "units/rexian.html",
                 "2023/notices/longgang.html", "2023/summary.html"):
        page.goto(server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    page.close()


def test_print_is_a_clean_report(browser, server):
    """Print media: navigation and search hidden, ranking and unit tables shown in full."""
    page = browser.new_page(viewport={"width": 680, "height": 1000})  # A4 text width is ~690 px
    page.emulate_media(media="print")
    page.goto(server + "2023/index.html")
    assert not page.locator("nav.site-nav").is_visible()
    assert page.locator("#overall table.scores").is_visible()
    assert page.locator("#overall th", has_text="基础分").is_visible()  # no columns dropped
    page.goto(server + "2023/units/longgang.html")
    assert page.locator("#items table").first.is_visible()
    assert not page.locator("#records").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    page.close()


def test_a_notice_prints_on_a4_with_the_unit_and_page_numbers(browser, built, tmp_path):
    """打印通知书 from the unit page, printed by Chromium at the page's own A4 size: a few pages,
    each with the unit, the year and 第 x 页 共 y 页; the seal block on the last one."""
    import re
    import subprocess

    _need(shutil.which("pdftotext") is not None, "pdftotext not found (apt-get install poppler-utils)")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(built.as_uri() + "/2023/units/longgang.html")
    page.locator("a", has_text="打印通知书").click()
    page.wait_for_load_state()
    assert "/notices/longgang.html" in page.url
    assert page.locator("button[data-print]").is_visible()  # shown by paper.js
    for name, url in (("龙港所", None), ("考核结果汇总表", built.as_uri() + "/2023/summary.html")):
        if url:
            page.goto(url)
        out = tmp_path / "printed.pdf"
        out.write_bytes(page.pdf(prefer_css_page_size=True, print_background=True))
        info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
        assert "pts (A4)" in info
        n = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
        assert 1 <= n <= 4, (name, n)
        for i in range(1, n + 1):
            text = subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), str(out), "-"],
                                  capture_output=True, text=True, check=True).stdout
            flat = re.sub(r"\s+", "", text)
            assert name in flat and "2023年度" in flat and f"第{i}页共{n}页" in flat, (name, i)
            assert ("考核领导小组（盖章）" in flat) == (i == n), (name, i)
            assert "打印" not in flat.replace("打印通知书", "")  # the toolbar is not printed
    page.close()


def test_search_show_more_by_keyboard(browser, server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server + "search.html?q=罚款")
    items = page.locator("#search-results li")
    items.first.wait_for(timeout=10_000)
    status = page.locator("#search-status").inner_text()
    assert items.count() == 50, status
    assert "显示前 50 条" in status
    more = page.locator("#search-more")
    assert more.is_visible() and more.inner_text().startswith("显示更多")
    more.focus()
    page.keyboard.press("Enter")
    # (the next results' rows are loaded first: their files of the index)
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 50")
    assert items.count() == min(100, int(status.split("找到 ")[1].split(" ")[0]))
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == items.nth(50).locator("a").get_attribute("href")
    page.close()


class _StaticHostHandler(QuietHandler):
    """Like a static host: a missing path anywhere gets the site's 404.html (status 404)."""

    site: Path

    def send_error(self, code, message=None, explain=None):
        if code != 404:
            return super().send_error(code, message, explain)
        body = (self.site / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_404_at_depth_is_styled_and_links_to_the_site(browser, built):
    handler = functools.partial(type("H", (_StaticHostHandler,), {"site": built}),
                                directory=str(built.parent.parent))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/qs/site/"
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for missing in ("2023/records/longgang/no-such-case.html", "records/longgang/no-such-case.html",
                        "no/such/deep/folder/page.html", "gone.html"):
            response = page.goto(base + missing)
            assert response.status == 404
            assert page.locator("h1", has_text="页面不存在").is_visible()
            header = page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
            assert header not in ("rgba(0, 0, 0, 0)", "transparent"), missing  # the inline style applies
            home = page.locator("main a", has_text="返回首页")
            home.wait_for()
            page.wait_for_function("document.querySelector('main a').getAttribute('href') !== '/index.html'",
                                   timeout=5_000)
            assert home.get_attribute("href") == "/qs/site/index.html", missing
        home.click()
        page.wait_for_load_state()
        assert page.url == base + "index.html"
        assert page.locator("table.scores").first.is_visible()
        page.close()
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_year_switcher_keeps_the_unit_at_phone_width(browser, server):
    """On a phone: from a unit's 2023 page the switcher leads to the same unit in 2024, a
    renamed unit to its successor, a record page to its unit's page in the other year."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(server + "2023/units/longgang.html")
    switch = page.locator("nav.year-switch")
    assert switch.is_visible()
    assert switch.locator("a[aria-current]").inner_text().startswith("2023")
    switch.locator("a", has_text="2024").click()
    page.wait_for_load_state()
    assert page.url.endswith("/2024/units/longgang.html")
    assert "年度进行中" in page.locator(".year-banner").inner_text()
    assert page.locator(".summary .stat", has_text="预计年终扣分").is_visible()
    page.goto(server + "2023/units/tousu.html")
    page.locator("nav.year-switch a", has_text="2024").click()
    page.wait_for_load_state()
    assert page.url.endswith("/2024/units/rexian.html")  # 投诉举报中心 became 投诉举报和热线中心
    page.locator("a[href*='records/']").first.click()
    page.wait_for_load_state()
    assert "/2024/records/rexian/" in page.url
    page.locator("nav.year-switch a", has_text="2023").click()
    page.wait_for_load_state()
    assert page.url.endswith("/2023/units/tousu.html")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 and problems == [], (width, problems)
    page.close()


def test_unit_history_at_phone_width(browser, server):
    """units/<slug>.html: both years of a renamed unit, its chart as SVG, links to each year."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "units/rexian.html")
    rows = page.locator("table.history tbody tr")
    assert rows.count() == 2
    assert "投诉举报中心" in rows.nth(0).inner_text() and "2023" in rows.nth(0).inner_text()
    assert "投诉举报和热线中心" in rows.nth(1).inner_text() and "进行中" in rows.nth(1).inner_text()
    assert page.locator(".chart-narrow svg").is_visible() and not page.locator(".chart-wide svg").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    rows.nth(0).locator("a").click()
    page.wait_for_load_state()
    assert page.url.endswith("/2023/units/tousu.html")
    page.locator("a", has_text="历年得分").click()
    page.wait_for_load_state()
    assert page.url.endswith("/units/tousu.html")
    assert page.locator("table.history tbody tr").count() == 2  # the same lineage from the old name
    page.close()
