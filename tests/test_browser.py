"""The built example site in headless Chromium: over http (from a sub-path) and as files.

Needs Debian's chromium (/usr/bin/chromium) and Python Playwright. Skipped when either is
missing, except in CI (env CI=true), where a missing browser is a failure.
Run alone with: pytest -m browser tests/test_browser.py
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("QSGEN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _need(condition: bool, why: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{why} (CI=true: the browser test must run)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "playwright is not installed (pip install playwright)")
    _need(Path(CHROMIUM).is_file(), f"{CHROMIUM} not found (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The example site of this repository, built under <tmp>/www/qs/site (a sub-path)."""
    from qsgen.build import build

    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "repo"
    shutil.copytree(REPO / "rules", root / "rules")
    shutil.copytree(REPO / "records", root / "records")
    out = tmp / "www" / "qs" / "site"
    build(root, out, quiet=True)
    return out


@pytest.fixture(scope="module")
def server(built: Path):
    www = built.parent.parent
    handler = functools.partial(_QuietHandler, directory=str(www))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/qs/site/"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _walk(browser, base: str) -> list[str]:
    """Index -> a unit -> a record -> search in Chinese -> a result; returns every problem seen."""
    problems: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

    page.goto(base + "index.html")
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
    for path in ("index.html", "units/longgang.html", "rules.html"):
        page.goto(server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    page.close()


def test_print_is_a_clean_report(browser, server):
    """Print media: navigation and search hidden, ranking and unit tables shown in full."""
    page = browser.new_page(viewport={"width": 680, "height": 1000})  # A4 text width is ~690 px
    page.emulate_media(media="print")
    page.goto(server + "index.html")
    assert not page.locator("nav.site-nav").is_visible()
    assert page.locator("#overall table.scores").is_visible()
    assert page.locator("#overall th", has_text="基础分").is_visible()  # no columns dropped
    page.goto(server + "units/longgang.html")
    assert page.locator("#items table").first.is_visible()
    assert not page.locator("#records").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    page.close()
