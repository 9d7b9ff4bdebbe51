"""404.html is served by static hosts at any depth: inline CSS, links from the site root, a script
that finds the site root when the site sits in a sub-folder."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from site_fixture import ATTACHMENTS, HISTORY, SOURCE_DATE, make_results  # noqa: E402

from qsgen import (
    serve,  # noqa: E402
    site,
)


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    inputs = site.SiteInputs(history=HISTORY, attachments=ATTACHMENTS, source_date=SOURCE_DATE, example=True)
    return site.build_site(make_results(), inputs)


def page_404(files) -> str:
    return files["404.html"].decode("utf-8")


def test_404_has_its_style_inline_and_no_relative_links(files):
    html = page_404(files)
    assert 'rel="stylesheet"' not in html
    css = (site.TEMPLATE_DIR / "style.css").read_text(encoding="utf-8")
    assert "<style>\n" + css in html
    links = re.findall(r'(?:href|src)="([^"]*)"', html)
    assert "/index.html" in links and "/search.html" in links and "/2023/rules.html" in links
    for link in links:
        assert link.startswith(("/", "#", "data:")), f"relative link in 404.html: {link}"
    assert "url(" not in css  # nothing else the inline style could need to fetch


def test_other_pages_keep_the_shared_stylesheet(files):
    assert '<link rel="stylesheet" href="assets/style.css">' in files["index.html"].decode("utf-8")
    assert '<link rel="stylesheet" href="../assets/style.css">' in files["units/longgang.html"].decode("utf-8")
    assert '<link rel="stylesheet" href="../../assets/style.css">' in files["2023/units/longgang.html"].decode("utf-8")
    assert "<script>" not in files["index.html"].decode("utf-8")


def test_serve_answers_a_deep_missing_url_with_the_self_contained_page(files):
    preview = serve.Preview(Path("."))
    preview.files = files
    status, headers, body = preview.respond("/records/no/such/deep/page.html")
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    assert body.startswith(files["404.html"][:200]) and b"<style>" in body


NODE = shutil.which("node")

RUNNER = r"""
const vm = require("vm");
const [script, cases] = [process.argv[2], JSON.parse(process.argv[3])];
const out = {};
let pending = cases.length;
for (const c of cases) {
  const links = ["/index.html", "/search.html", "/index.html#downloads", "#main"].map((h) => ({
    href: h, getAttribute() { return this.href; }, setAttribute(n, v) { this.href = v; } }));
  const probes = [];
  const ctx = {
    location: { protocol: c.url.split(":")[0] + ":", pathname: new URL(c.url).pathname },
    document: { querySelectorAll: (sel) => links.filter((a) => a.href.startsWith("/")) },
    fetch: c.noFetch ? undefined : (url, opts) => {
      probes.push(url + " " + opts.method);
      return new Promise((ok, bad) => setTimeout(() => (c.failFetch ? bad(new Error("x"))
        : ok({ ok: (c.exists || []).includes(url) })), 1));
    },
  };
  vm.createContext(ctx);
  vm.runInContext(script, ctx);
  setTimeout(() => {
    out[c.url] = { links: links.map((a) => a.href), probes };
    if (--pending === 0) console.log(JSON.stringify(out));
  }, 100);
}
"""


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_404_script_finds_the_site_root(files, tmp_path):
    script = re.search(r"<script>(.*?)</script>", page_404(files), re.S).group(1)
    (tmp_path / "runner.js").write_text(RUNNER, encoding="utf-8")
    cases = [
        {"url": "https://example.org/records/longgang/gone.html"},
        {"url": "https://example.org/kaohe/records/longgang/gone.html"},
        {"url": "https://org.github.io/kaohe/units/old-name.html"},
        {"url": "https://org.github.io/kaohe/assets/"},
        {"url": "https://example.org/kaohe/404.html"},
        {"url": "file:///home/u/kaohe/_site/404.html"},
        {"url": "file:///home/u/kaohe/_site/records/fagui/gone.html"},
        {"url": "https://org.gitlab.io/kaohe/typo/deeper/x.html",
         "exists": ["/kaohe/years.json"]},
        {"url": "https://example.org/kaohe/2023/records/longgang/gone.html"},
        {"url": "https://example.org/typo.html"},
        {"url": "https://example.org/a/b/c.html"},
        {"url": "https://example.org/d/e.html", "failFetch": True},
        {"url": "https://example.org/f/g.html", "noFetch": True},
    ]
    proc = subprocess.run([NODE, str(tmp_path / "runner.js"), script, json.dumps(cases)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)

    def first(url: str) -> str:
        return got[url]["links"][0]

    assert first("https://example.org/records/longgang/gone.html") == "/index.html"
    assert got["https://example.org/kaohe/records/longgang/gone.html"]["links"] == [
        "/kaohe/index.html", "/kaohe/search.html", "/kaohe/index.html#downloads", "#main"]
    assert first("https://org.github.io/kaohe/units/old-name.html") == "/kaohe/index.html"
    assert first("https://org.github.io/kaohe/assets/") == "/kaohe/index.html"
    assert first("https://example.org/kaohe/404.html") == "/kaohe/index.html"
    assert first("file:///home/u/kaohe/_site/404.html") == "/home/u/kaohe/_site/index.html"
    assert first("file:///home/u/kaohe/_site/records/fagui/gone.html") == "/home/u/kaohe/_site/index.html"
    deep = got["https://org.gitlab.io/kaohe/typo/deeper/x.html"]
    assert deep["links"][0] == "/kaohe/index.html"
    assert deep["probes"] == ["/kaohe/typo/deeper/years.json HEAD", "/kaohe/typo/years.json HEAD",
                              "/kaohe/years.json HEAD"]
    assert first("https://example.org/kaohe/2023/records/longgang/gone.html") == "/kaohe/index.html"
    assert got["https://example.org/typo.html"] == {"links": ["/index.html", "/search.html",
                                                              "/index.html#downloads", "#main"], "probes": []}
    assert got["https://example.org/a/b/c.html"]["probes"] == ["/a/b/years.json HEAD", "/a/years.json HEAD"]
    for url in ("https://example.org/a/b/c.html", "https://example.org/d/e.html", "https://example.org/f/g.html"):
        assert first(url) == "/index.html"
