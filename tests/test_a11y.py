"""Accessibility: axe-core finds nothing on the example site's pages at desktop and phone width.

axe-core comes from npm, pinned in tests/a11y/package-lock.json (`npm ci --prefix tests/a11y`,
as .ci/run does); skipped where node is absent, as the CMS test is. Every rule axe runs by
default is checked (WCAG 2.x A/AA and best practices); a page passes with zero violations.
Lighthouse's figures (not part of the suite: too slow) are in docs/accessibility.md.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from needs import need

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"

# (what, path under the site, a search to type first)
PAGES = [
    ("home", "index.html", None),
    ("year index, finished", "2023/index.html", None),
    ("year index, in progress", "2024/index.html", None),
    ("unit of 机关股室", "2023/units/fagui.html", None),
    ("unit of 基层所", "2023/units/longgang.html", None),
    ("unit in progress", "2024/units/longgang.html", None),
    ("case record", "2023/records/longgang/case-2023-068.html", None),
    ("record with a table", "2023/records/bangongshi/evidence-t01-1223.html", None),
    ("rules", "2023/rules.html", None),
    ("公示、异议与更正", "2023/lifecycle.html", None),
    ("unit with an objection", "2023/units/xuanchuan.html", None),
    ("objection record", "2023/records/xuanchuan/objection-t01.html", None),
    ("search", "search.html", None),
    ("search with results", "search.html?q=食品", "#search-results li"),
    ("unit across years", "units/longgang.html", None),
    ("notice", "2023/notices/longgang.html", None),
    ("summary table", "2023/summary.html", None),
    ("404", "404.html", None),
]
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if shutil.which("node") is None:
        pytest.skip("node is absent: axe-core is installed from npm (npm ci --prefix tests/a11y)")
    need(AXE.is_file(), f"{AXE} is missing (npm ci --prefix tests/a11y)")
    return AXE.read_text("utf-8")


@pytest.fixture(scope="module")
def a11y_pages(chromium):
    """One browser page per width, reused for every site page (opened once)."""
    pages = {name: chromium.new_page(viewport={"width": w, "height": h}) for name, (w, h) in WIDTHS.items()}
    yield pages
    for page in pages.values():
        page.close()


def violations(page, axe_source: str) -> list[str]:
    """axe-core's violations on the page as it is now: rule id, impact, each target and why."""
    page.add_script_tag(content=axe_source)
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(" "),
                why: (n.failureSummary || "").split("\\n").slice(1).join(" ").trim()}))}));
    }""")
    return [f"{v['id']} ({v['impact']}: {v['help']}) at {n['target']}: {n['why']}"
            for v in found for n in v["nodes"]]


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize(("what", "path", "wait_for"), PAGES, ids=[p[0] for p in PAGES])
def test_no_axe_violations(a11y_pages, example_server, axe_source, what, path, wait_for, width):
    page = a11y_pages[width]
    response = page.goto(example_server + path)
    assert response is not None and response.status == 200, path
    if wait_for:
        page.locator(wait_for).first.wait_for(timeout=10_000)
    found = violations(page, axe_source)
    assert found == [], f"{what} ({path}) at {width} width:\n" + "\n".join(found)


def test_the_pages_checked_exist(example_site):
    """The list above names real pages (a renamed example record would silently 404 above)."""
    for _what, path, _wait in PAGES:
        assert (example_site / path.split("?")[0]).is_file(), path


def test_axe_finds_what_it_should(a11y_pages, example_server, axe_source):
    """The check is live: an image without text and a link hidden from assistive technology
    while focusable are reported with their rule and target."""
    page = a11y_pages["desktop"]
    page.goto(example_server + "2023/rules.html")
    page.evaluate("""() => {
        const main = document.querySelector("main");
        main.insertAdjacentHTML("beforeend",
            '<img id="no-alt" src="data:,"><div aria-hidden="true"><a id="hidden-link" href="#">x</a></div>');
    }""")
    found = "\n".join(violations(page, axe_source))
    assert "image-alt" in found and "#no-alt" in found
    assert "aria-hidden-focus" in found


@pytest.mark.parametrize("width", list(WIDTHS))
def test_keyboard_skip_link_and_visible_focus(a11y_pages, example_server, width):
    """The first Tab shows 跳到正文 on screen, Enter takes the next Tab into the page's content;
    every focused link or control on the way has a visible outline."""
    page = a11y_pages[width]
    page.goto(example_server + "2023/index.html")
    page.keyboard.press("Tab")
    skip = page.evaluate("""() => { const a = document.activeElement, r = a.getBoundingClientRect();
        return [a.textContent, a.getAttribute("href"), r.left >= 0 && r.top >= 0 && r.width > 0]; }""")
    assert skip == ["跳到正文", "#main", True]
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
    page.goto(example_server + "2023/units/longgang.html")
    for _ in range(12):
        page.keyboard.press("Tab")
        outline = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
            return [document.activeElement.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
        assert outline[1] != "none" and outline[2] >= 2, outline


@pytest.mark.parametrize("width", list(WIDTHS))
def test_serve_error_panel_has_no_axe_violations(a11y_pages, example_server, axe_source, width):
    """`qsgen serve`'s error panel, put on a page as serve puts it (first in <body>), with many
    errors so that it scrolls: a named region holding the alert, reachable by keyboard."""
    from qsgen.core.errors import Diagnostic
    from qsgen.serve import Preview

    preview = Preview.__new__(Preview)  # only the panel: no engine, no build
    preview.files, preview.failure = {}, "记录有错误，网站没有更新"
    preview.errors = [Diagnostic(f"records/2023/longgang/case-{i}.md", 3, 1, "title（标题）没有填写",
                                 "一句话说明这条记录") for i in range(40)]
    page = a11y_pages[width]
    page.goto(example_server + "2023/index.html")
    page.evaluate("html => document.body.insertAdjacentHTML('afterbegin', html)",
                  preview.error_panel().split("<script>")[0])
    found = violations(page, axe_source)
    assert found == [], f"serve's error panel at {width} width:\n" + "\n".join(found)
