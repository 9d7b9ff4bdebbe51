"""The sharded search in headless Chromium against the search as it was (issue 19): the same
results in the same order for the same queries, on a generated site opened as files; only the
files a query needs are loaded; the status while they load and when one fails; a 390 px phone.

The reference is tests/fixtures/search_reference.js, the client of index format 3 (every row
in index.js and one file per unit), fed every row of the new index in the new index's order.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from conftest import QuietHandler

from qsgen.site import search

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "benchmarks"))
import gen_corpus  # noqa: E402

RECORDS = 1500

QUERIES = [
    # one character
    "罚", "知", "产", "3", "a", "号", "龙", "Ｂ",
    # two characters
    "龙港", "罚款", "食品", "12", "20", "案件", "港所", "t0",
    # longer phrases
    "知识产权", "过期食品", "国家知识产权局", "食品安全", "晋城日报", "沁水县市场监督管理局",
    "销售侵犯注册商标专用权的白酒", "消费者权益保护和市场交易监督管理股", "不存在的词语",
    # latin and digits, case numbers, slugs
    "longgang", "LongGang", "case", "evidence-0", "2023", "２０２３", "1160号", "沁市监罚〔2023〕", "12号",
    "s11", "B6a", "D9",
    # unit names and kinds
    "龙港所", "端氏所", "综合行政执法队", "知识产权股", "信息报道", "工作佐证", "表彰", "2023年",
    # mixed, several terms
    "龙港 罚款", "知识产权 2023", "龙港所 案件 食品", "longgang 食品", "罚款 3000", "嘉峰 广告",
    "  ，。 ", "",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from qsgen.build.pipeline import build

    root = tmp_path_factory.mktemp("corpus")
    gen_corpus.generate(RECORDS, root)
    out = root / "_site"
    build(root, out, quiet=True)
    return out


def _assigned(path: Path, name: str):
    js = path.read_text(encoding="utf-8")
    return json.loads(js[js.index("]=") + 2:-2]) if name else json.loads(js[js.index("=") + 1:-2])


def _reference_data(site: Path) -> tuple[dict, dict]:
    """index.js of format 3 and its parts, from the files of the new index."""
    index = _assigned(site / "search" / "index.js", "")
    parts = {}
    for name, count, _kinds in index["parts"]:
        rows = []
        for k in range((count + search.BLOCK - 1) // search.BLOCK):
            rows += _assigned(site / "search" / "parts" / name / f"{k}.js", "rows")
        assert len(rows) == count
        parts[name] = rows
    old = {"v": 3, "kinds": index["kinds"], "units": index["units"], "docs": index["docs"],
           "parts": [p[0] for p in index["parts"]], "tail": index["tail"]}
    return old, parts


COMPARE = r"""async ([reference, old, parts, queries, limit]) => {
  const fake = {};
  new Function("window", "document", "globalThis", reference)(fake, undefined, fake);
  const before = fake.qsgenSearch.makeSearcher(old, parts);
  const files = [];
  const now = window.qsgenSearch.makeSearcher(window.QSGEN_SEARCH_INDEX, (file, done, failed) => {
    files.push(file);
    const tag = document.createElement("script");
    tag.src = "search/" + file + ".js";
    tag.onload = done;
    tag.onerror = failed;
    document.head.appendChild(tag);
  });
  const out = {};
  for (const q of queries) {
    files.length = 0;
    const got = await new Promise((resolve) => now(q, limit, resolve));
    out[q] = { got: got, want: before(q, limit), files: files.slice() };
  }
  return out;
}"""


def test_sharded_search_equals_the_search_before(chromium, site):
    old, parts = _reference_data(site)
    reference = (HERE / "fixtures" / "search_reference.js").read_text(encoding="utf-8")
    page = chromium.new_page()
    try:
        page.goto((site / "search.html").as_uri())
        page.wait_for_function("window.qsgenSearch && window.QSGEN_SEARCH_INDEX")
        for limit in (50, 500):
            out = page.evaluate(COMPARE, [reference, old, parts, QUERIES, limit])
            for q in QUERIES:
                assert out[q]["got"] == out[q]["want"], (q, limit)
        total = {q: out[q]["want"]["total"] for q in QUERIES}
        # the queries exercise something: many results, one, none
        assert total["罚"] > 100 and total["知识产权"] > 10 and total["不存在的词语"] == 0
        assert total["龙港所"] > 50 and 0 < total["1160号"] + total["12号"] < 100
    finally:
        page.close()


def test_a_query_loads_a_small_part_of_the_index(chromium, site):
    """知识产权: its gram files and the row files of the results shown, a small fraction."""
    everything = sum(f.stat().st_size for f in (site / "search").rglob("*.js"))
    page = chromium.new_page()
    sizes: dict[str, int] = {}
    page.on("requestfinished", lambda r: sizes.__setitem__(r.url, Path(unquote(urlparse(r.url).path)).stat().st_size))
    try:
        page.goto((site / "search.html").as_uri() + "?q=" + "知识产权")
        page.wait_for_function("document.getElementById('search-status').textContent.startsWith('找到')")
        loaded = [u for u in sizes if "/search/" in u]
        assert any(u.endswith("/search/index.js") for u in loaded)
        grams = [u for u in loaded if "/search/grams/" in u]
        assert 1 <= len(grams) <= 3
        assert sum(sizes[u] for u in loaded) < everything / 5
        assert page.locator("#search-results li").count() == min(50, int(
            page.locator("#search-status").inner_text().split()[1]))
    finally:
        page.close()


@pytest.fixture()
def server(site: Path):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_status_while_loading_and_when_a_file_fails(chromium, server):
    page = chromium.new_page()
    held: list = []
    try:
        # the gram files held back: the status says the index is loading
        page.route("**/search/grams/**", lambda route: held.append(route))
        page.goto(server + "search.html?q=知识产权", wait_until="domcontentloaded")  # (held files hold "load")
        page.wait_for_function("document.getElementById('search-status').textContent === '正在载入索引……'")
        page.wait_for_function("document.querySelectorAll('script[src*=\"/grams/\"]').length > 0")
        assert page.locator("#search-results li").count() == 0
        for route in held:
            route.continue_()
        page.wait_for_function("document.getElementById('search-status').textContent.startsWith('找到')")
        page.unroute("**/search/grams/**")
        # a file that cannot be loaded
        page.route("**/search/grams/**", lambda route: route.abort())
        page.goto(server + "search.html?q=广告")
        page.wait_for_function("document.getElementById('search-status').textContent === '搜索索引载入失败。'")
        assert page.locator("#search-results li").count() == 0
    finally:
        page.close()


def test_search_on_a_390px_phone(chromium, server):
    page = chromium.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True,
                            has_touch=True)
    try:
        page.goto(server + "search.html")
        page.fill("#search-input", "龙港所 食品")
        page.press("#search-input", "Enter")
        try:
            page.wait_for_function("/^(找到|没有找到|搜索索引)/.test(document.getElementById('search-status')"
                                   ".textContent)")
            assert page.locator("#search-status").inner_text().startswith("找到")
        except AssertionError:
            raise AssertionError(page.locator("#search-status").inner_text()) from None
        first = page.locator("#search-results li a").first
        assert first.is_visible()
        box = first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert "q=" in page.url
    finally:
        page.close()
