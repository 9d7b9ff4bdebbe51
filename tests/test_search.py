"""Static search: the index content in Python, and the client run under node against it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from qsgen.core.errors import QsgenError
from qsgen.site import search
from qsgen.site.search import SearchDoc, build_index, index_data

DOCS = [
    SearchDoc("units/longgang/index.html", "龙港所", "单位", "龙港所",
              "龙港所 基层所 s11-1 案件办理工作 s04-3 食品安全检查"),
    SearchDoc("units/xiaobao/index.html", "消费者权益保护和市场交易监督管理股（知识产权股）", "单位",
              "消费者权益保护和市场交易监督管理股（知识产权股）", "机关股室 t01 知识产权保护"),
    SearchDoc("records/longgang/case-ip.html", "龙港所查处销售侵犯注册商标专用权商品案", "案件", "龙港所",
              "沁市监罚〔2023〕12号 知识产权 当事人销售假冒商标的白酒，罚款 12000 元。"),
    SearchDoc("records/longgang/case-food.html", "龙港所查处销售过期食品案", "案件", "龙港所",
              "沁市监罚〔2023〕31号 过期食品 超市销售超过保质期的饮料，罚款 3000 元。"),
    SearchDoc("records/duanshi/news-1.html", "端氏所开展知识产权宣传周活动", "信息报道", "端氏所",
              "晋城日报 市级 宣传知识产权保护知识"),
    SearchDoc("records/zhifadui/case-ad.html", "执法队查处虚假广告案", "案件", "综合行政执法队",
              "沁市监罚〔2023〕7号 广告 罚款 50000 元 一中队"),
    SearchDoc("rules.html", "考核规则", "规则", "", "B6a 案件加分 D9 信息扣分 口径"),
]


def test_index_content():
    data = index_data(DOCS)
    assert data["v"] == 3 and data["parts"] == [] and data["tail"] == []
    assert data["kinds"] == sorted(["单位", "案件", "信息报道", "规则"])  # sorted: numbers do not depend on order
    assert data["units"][0] == "" and data["units"] == sorted(data["units"]) and "龙港所" in data["units"]
    kind, unit = data["kinds"].index("单位"), data["units"].index("龙港所")
    assert data["docs"][0] == ["units/longgang/index.html", "龙港所", kind, unit, DOCS[0].text]
    assert data["docs"][2][2:4] == [data["kinds"].index("案件"), unit]
    assert [row[0] for row in data["docs"]] == [d.url for d in DOCS]  # input order kept


def test_text_is_collapsed_and_cut(monkeypatch):
    monkeypatch.setattr(search, "TEXT_LIMIT", 10)
    data = index_data([SearchDoc("a.html", " 甲\n 乙 ", "案件", "", "一二三\n\n  四五六七八九十罚款")])
    assert data["docs"][0][1] == "甲 乙"
    assert data["docs"][0][4] == "一二三 四五六七八九"


def test_build_index_files_and_determinism():
    files = build_index(DOCS)
    assert set(files) == {"search/index.js", "search/search.js"}
    assert files == build_index(list(DOCS))
    js = files["search/index.js"].decode("utf-8")
    assert js.startswith("window.QSGEN_SEARCH_INDEX=") and js.endswith(";\n")
    assert json.loads(js[len("window.QSGEN_SEARCH_INDEX="):-2]) == index_data(DOCS)
    assert "龙港所" in js  # UTF-8, not \\u escapes


# The site's split: units first, each unit's records in a part, the rules last.
HEAD, TAIL = DOCS[:2], DOCS[6:]
PARTS = [("longgang", DOCS[2:4]), ("duanshi", DOCS[4:5]), ("zhifadui", DOCS[5:6])]


def _parts_js(data: bytes, name: str) -> list:
    js = data.decode("utf-8")
    prefix = f'(window.QSGEN_SEARCH_PARTS=window.QSGEN_SEARCH_PARTS||{{}})["{name}"]='
    assert js.startswith(prefix) and js.endswith(";\n")
    return json.loads(js[len(prefix):-2])


def test_an_index_in_parts_is_the_same_index():
    files = build_index(HEAD, PARTS, TAIL)
    assert set(files) == {"search/index.js", "search/search.js", "search/parts/longgang.js",
                          "search/parts/duanshi.js", "search/parts/zhifadui.js"}
    index = json.loads(files["search/index.js"].decode("utf-8")[len("window.QSGEN_SEARCH_INDEX="):-2])
    assert index["parts"] == ["longgang", "duanshi", "zhifadui"]
    merged = index["docs"] + [row for name in index["parts"]
                              for row in _parts_js(files[f"search/parts/{name}.js"], name)] + index["tail"]
    whole = index_data(DOCS[:6], TAIL)
    assert (index["kinds"], index["units"]) == (whole["kinds"], whole["units"])
    assert merged == whole["docs"] + whole["tail"]  # the same rows, the same order
    assert build_index(HEAD, [("empty", [])], [])["search/parts/empty.js"].endswith(b"=[];\n")


@pytest.mark.parametrize("name", ["", "../x", "a/b", "龙港", "a.js"])
def test_a_part_name_is_a_plain_file_name(name):
    with pytest.raises(QsgenError):
        search.part_file(name)


def test_a_row_outside_the_given_tables_is_an_error():
    rows = [search.row(d) for d in DOCS[:2]]
    with pytest.raises(QsgenError, match="单位表"):
        b"".join(search.part_pieces("x", ["单位"], ["别的单位"], rows))


def test_line_separators_are_escaped():
    js = build_index([SearchDoc("a.html", "甲", "案\u2028件\u2029", "", "")])["search/index.js"]
    assert "\u2028".encode() not in js and "\u2029".encode() not in js
    assert b"\\u2028" in js


@pytest.mark.parametrize("url", ["/abs.html", "", "http://x/a.html", "javascript:alert(1)", "../a.html",
                                 "a/../../b.html", "a\\b.html"])
def test_urls_must_be_site_relative(url):
    with pytest.raises(QsgenError):
        index_data([SearchDoc(url, "甲", "案件", "", "")])


def test_duplicate_url():
    with pytest.raises(QsgenError, match="两次"):
        index_data([DOCS[0], DOCS[0]])


def test_size_and_speed_for_many_records():
    docs = [SearchDoc(f"records/u{i % 21}/case-{i}.html", f"龙港所查处案件 沁市监罚〔2023〕{i}号", "案件", "龙港所",
                      "当事人销售过期食品，执法人员现场检查，责令改正并罚款 3000 元。" * 10) for i in range(2000)]
    size = len(build_index(docs)["search/index.js"])
    assert size < 2000 * (search.TEXT_LIMIT * 3 + 200)


# ----------------------------------------------------------------- the client under node

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

RUNNER = r"""
const fs = require("fs"), vm = require("vm");
const [dir, mode, arg] = process.argv.slice(2);
if (mode === "queries") {
  const ctx = {};
  ctx.window = ctx;
  vm.createContext(ctx);
  vm.runInContext(fs.readFileSync(dir + "/index.js", "utf8"), ctx);
  for (const name of ctx.QSGEN_SEARCH_INDEX.parts)
    vm.runInContext(fs.readFileSync(dir + "/parts/" + name + ".js", "utf8"), ctx);
  vm.runInContext(fs.readFileSync(dir + "/search.js", "utf8"), ctx);
  const search = ctx.qsgenSearch.makeSearcher(ctx.QSGEN_SEARCH_INDEX);
  const out = {};
  for (const q of JSON.parse(arg)) out[q] = search(q, 50);
  console.log(JSON.stringify(out));
} else {
  // A minimal DOM: enough for search.js to wire itself to the page.
  function el(tag) {
    return { tagName: tag, children: [], attrs: {}, className: "", textContent: "", href: "",
      appendChild(c) { this.children.push(c); return c; },
      removeChild(c) { this.children.splice(this.children.indexOf(c), 1); },
      get firstChild() { return this.children[0] || null; },
      addEventListener(t, f) { (this.listeners = this.listeners || {})[t] = f; },
      insertBefore(c, ref) {
        const at = ref ? this.children.indexOf(ref) : -1;
        if (at < 0) this.children.push(c); else this.children.splice(at, 0, c);
        return c;
      },
      focus() { focused = this; },
      hasAttribute(n) { return n in this.attrs; }, getAttribute(n) { return this.attrs[n] ?? null; } };
  }
  let focused = null;
  const input = el("input"); input.value = ""; input.form = null;
  const list = el("ol"), status = el("p");
  const script = el("script"); script.attrs.src = "../../search/search.js";
  const opts = JSON.parse(arg);
  if (opts.root !== undefined) script.attrs["data-root"] = opts.root;
  const ids = { [opts.input || "search-input"]: input, [opts.list || "search-results"]: list, "search-status": status };
  // "显示更多": in the page (opts.more === "page"), made by search.js next to the list ("made"), or
  // not possible (the list has no parent: the older page structure of these tests)
  const container = el("main");
  if (opts.more === "page") {
    const button = el("button"); button.hidden = true; button.textContent = "显示更多";
    ids["search-more"] = button;
  } else if (opts.more === "made") {
    container.children.push(list);
    list.parentNode = container;
  }
  const ctx = {
    document: { readyState: "complete", currentScript: script, head: el("head"),
      getElementById: (id) => ids[id] || null, createElement: el,
      createTextNode: (t) => ({ textContent: t }) },
    location: { href: "file:///site/a/b/search.html?q=" + encodeURIComponent(opts.q), search: "?q=" + encodeURIComponent(opts.q) },
    history: { replaceState() {} }, URL, URLSearchParams, setTimeout, clearTimeout,
  };
  ctx.window = ctx;
  vm.createContext(ctx);
  if (!opts.lazy) {
    vm.runInContext(fs.readFileSync(dir + "/index.js", "utf8"), ctx);
    if (!opts.lazyParts)
      for (const name of ctx.QSGEN_SEARCH_INDEX.parts)
        vm.runInContext(fs.readFileSync(dir + "/parts/" + name + ".js", "utf8"), ctx);
  }
  vm.runInContext(fs.readFileSync(dir + "/search.js", "utf8"), ctx);
  // what the page injected, loaded as a browser would (opts.load): each script run, then its onload
  const injectedAll = [], loadStatuses = [];
  for (let k = 0; opts.load && k < ctx.document.head.children.length; k++) {
    const tag = ctx.document.head.children[k];
    injectedAll.push(tag.src);
    const file = dir + "/" + tag.src.replace("../../search/", "");
    if (fs.existsSync(file)) { vm.runInContext(fs.readFileSync(file, "utf8"), ctx); tag.onload(); }
    else tag.onerror();
    loadStatuses.push([status.textContent, list.children.length]);
  }
  const more = ids["search-more"] || container.children.find((c) => c.tagName === "button") || null;
  const statuses = [status.textContent];
  for (let i = 0; i < (opts.clicks || 0); i++) {
    more.listeners.click();
    statuses.push(status.textContent);
  }
  const injected = ctx.document.head.children.map((s) => s.src);
  console.log(JSON.stringify({
    input: input.value, status: status.textContent, injected, injectedAll, loadStatuses, statuses,
    more: more && { hidden: more.hidden, text: more.textContent, type: more.type || "",
      after: container.children.indexOf(more) - container.children.indexOf(list) },
    focused: focused && focused.href,
    results: list.children.map((li) => ({ cls: li.className, href: li.children[0].href,
      title: li.children[0].textContent,
      spans: li.children.filter((c) => c.tagName === "span").map((c) => [c.className, c.textContent]),
      excerpt: ((li.children.find((c) => c.tagName === "p") || {}).children || []).map(
        (c) => [c.textContent, c.tagName === "mark"]) })),
  }));
}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("search")
    for name, data in build_index(HEAD, PARTS, TAIL).items():
        (d / name.removeprefix("search/")).parent.mkdir(exist_ok=True)
        (d / name.removeprefix("search/")).write_bytes(data)
    (d / "runner.js").write_text(RUNNER, encoding="utf-8")
    return d


def node(site: Path, mode: str, arg) -> dict:
    proc = subprocess.run([NODE, str(site / "runner.js"), str(site), mode, json.dumps(arg, ensure_ascii=False)],
                          capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def urls(found: dict) -> list[str]:
    return [r["url"] for r in found["results"]]


@needs_node
def test_node_chinese_queries(site):
    q = ["龙港", "知识产权", "罚款", "龙港 罚款", "过期食品", "longgang", "LongGang", "沁市监罚〔2023〕12号",
         "12号", "２０２３", "罚", "产", "商标专用", "不存在的词", "", "  ，。 ", "规则", "B6a", "s11-1",
         "一中队", "xiaobao"]
    got = node(site, "queries", q)
    assert urls(got["龙港"])[0] == "units/longgang/index.html"  # title match ranks first
    assert set(urls(got["龙港"])) == {DOCS[i].url for i in (0, 2, 3)}
    assert urls(got["知识产权"]) == ["units/xiaobao/index.html", "records/duanshi/news-1.html",
                                    "records/longgang/case-ip.html"]
    assert set(urls(got["罚款"])) == {"records/longgang/case-ip.html", "records/longgang/case-food.html",
                                      "records/zhifadui/case-ad.html"}
    assert urls(got["龙港 罚款"]) == ["records/longgang/case-ip.html", "records/longgang/case-food.html"]
    assert urls(got["过期食品"]) == ["records/longgang/case-food.html"]
    assert urls(got["longgang"]) == urls(got["LongGang"])
    assert set(urls(got["longgang"])) == {"units/longgang/index.html", "records/longgang/case-ip.html",
                                          "records/longgang/case-food.html"}
    assert urls(got["沁市监罚〔2023〕12号"]) == ["records/longgang/case-ip.html"]
    assert urls(got["12号"]) == ["records/longgang/case-ip.html"]
    assert len(urls(got["２０２３"])) == 3
    assert set(urls(got["罚"])) == set(urls(got["罚款"]))
    assert "records/duanshi/news-1.html" in urls(got["产"])
    assert urls(got["商标专用"]) == ["records/longgang/case-ip.html"]
    for empty in ("不存在的词", "", "  ，。 "):
        assert got[empty] == {"total": 0, "results": []}
    assert urls(got["规则"]) == ["rules.html"]
    assert urls(got["B6a"]) == ["rules.html"]
    assert urls(got["s11-1"]) == ["units/longgang/index.html"]
    assert urls(got["一中队"]) == ["records/zhifadui/case-ad.html"]
    assert urls(got["xiaobao"]) == ["units/xiaobao/index.html"]
    r = got["过期食品"]["results"][0]
    assert r == {"url": "records/longgang/case-food.html", "title": "龙港所查处销售过期食品案", "kind": "案件",
                 "unit": "龙港所", "excerpt": [["沁市监罚〔2023〕31号 ", False], ["过期食品", True],
                                                 [" 超市销售超过保质期的饮料，罚款 3000 元。", False]]}
    # Excerpts are cut around the first hit and mark every hit.
    ex = got["罚款"]["results"][0]["excerpt"]
    assert [t for t, hit in ex if hit] == ["罚款"]


@needs_node
def test_node_page_wiring_with_prefix_from_src(site):
    got = node(site, "page", {"q": "过期食品"})
    assert got["input"] == "过期食品"
    assert got["status"] == "找到 1 条结果。"
    assert got["injected"] == []
    assert got["results"] == [{
        "cls": "search-result", "href": "../../records/longgang/case-food.html",
        "title": "龙港所查处销售过期食品案", "spans": [["search-kind", "案件"], ["search-unit", "龙港所"]],
        "excerpt": [["沁市监罚〔2023〕31号 ", False], ["过期食品", True],
                    [" 超市销售超过保质期的饮料，罚款 3000 元。", False]]}]


@needs_node
def test_node_page_wiring_with_data_root_and_short_ids(site):
    got = node(site, "page", {"q": "知识产权", "root": "", "input": "q", "list": "results"})
    assert [r["href"] for r in got["results"]] == ["units/xiaobao/index.html", "records/duanshi/news-1.html",
                                                    "records/longgang/case-ip.html"]
    assert got["status"] == "找到 3 条结果。"


@needs_node
def test_node_page_loads_the_index_itself(site):
    got = node(site, "page", {"q": "龙港", "lazy": True})
    assert got["injected"] == ["../../search/index.js"]
    assert got["status"] == "正在载入索引……"


@needs_node
def test_node_page_loads_the_parts_then_searches(site):
    got = node(site, "page", {"q": "罚款", "lazyParts": True, "load": True})
    assert got["injectedAll"] == ["../../search/parts/longgang.js", "../../search/parts/duanshi.js",
                                  "../../search/parts/zhifadui.js"]
    assert got["status"] == "找到 3 条结果。"
    lazy = node(site, "page", {"q": "罚款", "lazy": True, "load": True})
    assert lazy["injectedAll"] == ["../../search/index.js"] + got["injectedAll"]
    assert lazy["results"] == got["results"]


@needs_node
def test_node_results_grow_as_the_parts_arrive(site):
    """A phone sees results from the first parts while the others load, and is told so."""
    got = node(site, "page", {"q": "罚款", "lazyParts": True, "load": True})
    assert got["loadStatuses"] == [
        ["找到 2 条结果。（索引还有 2 段在载入，结果会随之补全……）", 2],  # longgang's two cases
        ["找到 2 条结果。（索引还有 1 段在载入，结果会随之补全……）", 2],
        ["找到 3 条结果。", 3]]
    nothing = node(site, "page", {"q": "广告", "lazyParts": True, "load": True})
    assert nothing["loadStatuses"][0] == ["暂时没有找到（索引还有 2 段在载入，结果会随之补全……）", 0]
    assert nothing["status"] == "找到 1 条结果。"


@needs_node
def test_node_a_part_that_fails_to_load_is_said(site, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(site, broken)
    (broken / "parts" / "duanshi.js").unlink()
    got = node(broken, "page", {"q": "罚款", "lazyParts": True, "load": True})
    assert got["status"] == "搜索索引载入失败。" and got["results"] == []


@needs_node
def test_node_no_results_message(site):
    got = node(site, "page", {"q": "不存在的词"})
    assert got["results"] == [] and "没有找到" in got["status"]


@needs_node
def test_node_against_a_large_index(tmp_path):
    docs = [SearchDoc(f"records/u{i % 21}/case-{i}.html", f"案件{i} 沁市监罚〔2023〕{i}号",
                      "案件", ["龙港所", "端氏所", "嘉峰所"][i % 3],
                      ["知识产权 商标", "过期食品 罚款", "广告 合同"][i % 3] + f" 编号{i}") for i in range(3000)]
    for name, data in build_index(docs).items():
        (tmp_path / Path(name).name).write_bytes(data)
    (tmp_path / "runner.js").write_text(RUNNER, encoding="utf-8")
    got = node(tmp_path, "queries", ["知识产权", "沁市监罚〔2023〕2999号", "嘉峰 广告"])
    assert got["知识产权"]["total"] == 1000
    assert len(got["知识产权"]["results"]) == 50
    assert urls(got["知识产权"])[:2] == ["records/u0/case-0.html", "records/u3/case-3.html"]
    assert urls(got["沁市监罚〔2023〕2999号"]) == ["records/u17/case-2999.html"]
    assert got["嘉峰 广告"]["total"] == 1000


@needs_node
@pytest.mark.parametrize("where", ["page", "made"])
def test_node_show_more_appends_the_next_results(tmp_path, where):
    """167 results: the first 50, then "显示更多" adds 50 at a time until all are listed."""
    docs = [SearchDoc(f"records/u{i % 7}/doc-{i}.html", f"记录{i}", "案件", "龙港所",
                      ("知识产权 " if i % 3 == 0 else "广告 ") + f"编号{i}") for i in range(501)]
    for name, data in build_index(docs).items():
        (tmp_path / Path(name).name).write_bytes(data)
    (tmp_path / "runner.js").write_text(RUNNER, encoding="utf-8")
    got = node(tmp_path, "page", {"q": "知识产权", "more": where})
    assert got["status"] == "找到 167 条结果，显示前 50 条。"
    assert len(got["results"]) == 50
    assert got["more"]["hidden"] is False and got["more"]["text"] == "显示更多（还有 117 条）"
    assert got["focused"] is None
    if where == "made":
        assert got["more"]["type"] == "button" and got["more"]["after"] == 1  # right after the list

    got1 = node(tmp_path, "page", {"q": "知识产权", "more": where, "clicks": 1})
    assert got1["status"] == "找到 167 条结果，显示前 100 条。"
    assert got1["results"][:50] == got["results"]
    assert len(got1["results"]) == 100
    assert got1["focused"] == got1["results"][50]["href"]  # keyboard users continue at the new results
    assert got1["more"]["text"] == "显示更多（还有 67 条）"

    got3 = node(tmp_path, "page", {"q": "知识产权", "more": where, "clicks": 3})
    assert got3["statuses"] == ["找到 167 条结果，显示前 50 条。", "找到 167 条结果，显示前 100 条。",
                                "找到 167 条结果，显示前 150 条。", "找到 167 条结果。"]
    hrefs = [r["href"] for r in got3["results"]]
    assert len(hrefs) == len(set(hrefs)) == 167
    assert got3["more"]["hidden"] is True
    assert hrefs[:100] == [r["href"] for r in got1["results"]]
    assert set(hrefs) == {"../../" + d.url for i, d in enumerate(docs) if i % 3 == 0}


@needs_node
def test_node_show_more_hidden_when_everything_fits(site):
    got = node(site, "page", {"q": "龙港", "more": "page"})
    assert got["status"] == "找到 3 条结果。"
    assert got["more"]["hidden"] is True


def test_search_page_has_a_keyboard_reachable_show_more_button():
    from qsgen import site

    html = (site.TEMPLATE_DIR / "search.html").read_text(encoding="utf-8")
    assert '<button type="button" id="search-more" class="search-more" hidden>' in html


def test_client_builds_results_without_html_strings():
    assert "innerHTML" not in search.CLIENT_JS and "insertAdjacentHTML" not in search.CLIENT_JS


def test_index_js_is_the_compact_json_of_index_data_byte_for_byte():
    """build_index puts index.js together from rows; it must be exactly json.dumps' output."""
    from qsgen.site.search import _js_json, row

    docs = DOCS + [SearchDoc("records/a/b.html", '引号"与\\反斜杠\u2028', "案\u2029件", "单位\n",
                             "制表\t符 " + "长" * 700)]
    expected = ("window.QSGEN_SEARCH_INDEX=" + _js_json(index_data(docs)) + ";\n").encode("utf-8")
    assert build_index(docs)["search/index.js"] == expected
    assert build_index([row(d) for d in docs])["search/index.js"] == expected
    assert build_index([])["search/index.js"] == (
        "window.QSGEN_SEARCH_INDEX=" + _js_json(index_data([])) + ";\n").encode("utf-8")
