"""Static search: the index content in Python, and the client run under node against it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from qsgen.core.errors import QsgenError
from qsgen.site import search
from qsgen.site.search import SearchDoc, build_index

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


def _index(files: dict[str, bytes]) -> dict:
    js = files["search/index.js"].decode("utf-8")
    assert js.startswith("window.QSGEN_SEARCH_INDEX=") and js.endswith(";\n")
    return json.loads(js[len("window.QSGEN_SEARCH_INDEX="):-2])


def _assigned(data: bytes, name: str, key) -> object:
    js = data.decode("utf-8")
    prefix = f"(window.{name}=window.{name}||{{}})[{json.dumps(key, ensure_ascii=False)}]="
    assert js.startswith(prefix) and js.endswith(";\n"), js[:120]
    return json.loads(js[len(prefix):-2])


def _rows(files: dict[str, bytes]) -> list:
    """Every row of the index in its order: index.js's, each part's blocks', the tail's."""
    index = _index(files)
    rows = list(index["docs"])
    for name, count, _kinds in index["parts"]:
        for k in range((count + search.BLOCK - 1) // search.BLOCK):
            rows += _assigned(files[f"search/parts/{name}/{k}.js"], "QSGEN_SEARCH_ROWS", f"{name}/{k}")
    return rows + index["tail"]


def test_index_content():
    data = _index(build_index(DOCS))
    assert data["v"] == 4 and data["parts"] == [] and data["tail"] == []
    assert data["kinds"] == sorted(["单位", "案件", "信息报道", "规则"])  # sorted: numbers do not depend on order
    assert data["units"][0] == "" and data["units"] == sorted(data["units"]) and "龙港所" in data["units"]
    kind, unit = data["kinds"].index("单位"), data["units"].index("龙港所")
    assert data["docs"][0] == ["units/longgang/index.html", "龙港所", kind, unit, DOCS[0].text]
    assert data["docs"][2][2:4] == [data["kinds"].index("案件"), unit]
    assert [row[0] for row in data["docs"]] == [d.url for d in DOCS]  # input order kept


def test_text_is_collapsed_and_cut(monkeypatch):
    monkeypatch.setattr(search, "TEXT_LIMIT", 10)
    data = _index(build_index([SearchDoc("a.html", " 甲\n 乙 ", "案件", "", "一二三\n\n  四五六七八九十罚款")]))
    assert data["docs"][0][1] == "甲 乙"
    assert data["docs"][0][4] == "一二三 四五六七八九"


def test_build_index_files_and_determinism():
    files = build_index(DOCS)
    assert set(files) == {"search/index.js", "search/search.js"} | {f"search/grams/{b}.js" for b in range(64)}
    assert files == build_index(list(DOCS))
    assert "龙港所" in files["search/index.js"].decode("utf-8")  # UTF-8, not \\u escapes
    assert files == build_index([search.row(d) for d in DOCS])


# The site's split: units first, each unit's records in a part, the rules last.
HEAD, TAIL = DOCS[:2], DOCS[6:]
PARTS = [("longgang", DOCS[2:4]), ("duanshi", DOCS[4:5]), ("zhifadui", DOCS[5:6])]


def test_an_index_in_parts_holds_every_row_in_order():
    files = build_index(HEAD, PARTS, TAIL)
    index = _index(files)
    assert [p[:2] for p in index["parts"]] == [["longgang", 2], ["duanshi", 1], ["zhifadui", 1]]
    case, news = index["kinds"].index("案件"), index["kinds"].index("信息报道")
    assert index["parts"][0][2] == [[case, index["units"].index("龙港所"), 2]]  # kind, unit, how many
    assert index["parts"][1][2] == [[news, index["units"].index("端氏所"), 1]]
    assert set(files) == ({"search/index.js", "search/search.js", "search/parts/longgang/0.js",
                           "search/parts/duanshi/0.js", "search/parts/zhifadui/0.js"}
                          | {f"search/grams/{b}.js" for b in range(64)})
    whole = _index(build_index(DOCS))
    assert (index["kinds"], index["units"]) == (whole["kinds"], whole["units"])
    assert _rows(files) == whole["docs"]  # the same rows, the same order
    empty = build_index(HEAD, [("empty", [])], [])
    assert not any(p.startswith("search/parts/") for p in empty)


def test_a_part_is_cut_into_blocks():
    docs = [SearchDoc(f"records/u/{i}.html", f"记录{i}", "案件", "龙港所", f"编号{i}") for i in range(40)]
    files = build_index([], [("u", docs)])
    assert sorted(p for p in files if p.startswith("search/parts/")) == [
        f"search/parts/u/{k}.js" for k in range((40 + search.BLOCK - 1) // search.BLOCK)]
    assert [r[0] for r in _rows(files)] == [d.url for d in docs]


def test_the_gram_index_files_runs_under_their_grams():
    """知识产权 in a text is the run 知识产权, filed under 知识, 识产, 产权 (with its positions)
    and under its last character, with the numbers of the rows it is in."""
    files = build_index([], [("p", [DOCS[2], DOCS[4]])])
    grams = {}
    nb = _index(files)["buckets"]
    for b in range(nb):
        grams.update(_assigned(files[f"search/grams/{b}.js"], "QSGEN_SEARCH_GRAMS", b).get("p", {}))
    g = nb // search.SLOTS
    b = (ord("知") % g) * search.SLOTS + ord("识") % search.SLOTS  # the bucket of 知识: a section per part
    assert "知识" in _assigned(files[f"search/grams/{b}.js"], "QSGEN_SEARCH_GRAMS", b)["p"]
    text = search.TEXT
    ip = [e for e in grams["知识"] if e[0] == text]
    # row 0 (the case) has the run 知识产权 in its text; row 1 (the news) 宣传知识产权保护知识
    assert sorted(e[2] for e in ip) == [[0], [2, 8]]
    assert all(e[3] in ([0], [1]) for e in ip)
    # the news' title 端氏所开展知识产权宣传周活动 is one run: the whole title (with its length)
    assert [e[2:] for e in grams["知识"] if e[0] == search.WHOLE] == [[[5], [1], 14]]
    assert [e[2] for e in grams["权"] if e[0] == text] == [[]]  # 知识产权: 权 is its last character


@pytest.mark.parametrize("name", ["", "../x", "a/b", "龙港", "a.js"])
def test_a_part_name_is_a_plain_file_name(name):
    with pytest.raises(QsgenError):
        search.part_file(name)


def test_a_row_outside_the_given_tables_is_an_error():
    rows = [search.row(d) for d in DOCS[:2]]
    with pytest.raises(QsgenError, match="单位表"):
        search.make_part("x", rows, ["单位"], ["别的单位"], 64)


def test_line_separators_are_escaped():
    js = build_index([SearchDoc("a.html", "甲", "案\u2028件\u2029", "", "")])["search/index.js"]
    assert "\u2028".encode() not in js and "\u2029".encode() not in js
    assert b"\\u2028" in js


@pytest.mark.parametrize("url", ["/abs.html", "", "http://x/a.html", "javascript:alert(1)", "../a.html",
                                 "a/../../b.html", "a\\b.html"])
def test_urls_must_be_site_relative(url):
    with pytest.raises(QsgenError):
        build_index([SearchDoc(url, "甲", "案件", "", "")])


@pytest.mark.parametrize("where", ["head", "part", "both"])
def test_duplicate_url(where):
    head = [DOCS[0]] if where != "part" else []
    part = [DOCS[0]] if where != "head" else []
    if where == "head":
        head.append(DOCS[0])
    if where == "part":
        part.append(DOCS[0])
    with pytest.raises(QsgenError, match="两次"):
        build_index(head, [("p", part)])


def test_size_for_many_records():
    docs = [SearchDoc(f"records/u{i % 21}/case-{i}.html", f"龙港所查处案件 沁市监罚〔2023〕{i}号", "案件", "龙港所",
                      "当事人销售过期食品，执法人员现场检查，责令改正并罚款 3000 元。" * 10) for i in range(2000)]
    files = build_index([], [("p", docs)])
    assert len(files["search/index.js"]) < 2000
    assert sum(len(v) for p, v in files.items() if p.startswith("search/parts/")) < 2000 * (search.TEXT_LIMIT * 3 + 200)
    assert len(files) < 2000 // search.BLOCK + 1024 + 3  # bounded: gram files by buckets()


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
  vm.runInContext(fs.readFileSync(dir + "/search.js", "utf8"), ctx);
  const loaded = [];
  const search = ctx.qsgenSearch.makeSearcher(ctx.QSGEN_SEARCH_INDEX, (file, done, failed) => {
    loaded.push(file);
    const path = dir + "/" + file + ".js";
    if (!fs.existsSync(path)) return failed();
    vm.runInContext(fs.readFileSync(path, "utf8"), ctx);
    done();
  });
  const out = {};
  for (const q of JSON.parse(arg)) {
    loaded.length = 0;
    search(q, 50, (found) => { out[q] = found; });
    if (out[q]) out[q].loaded = loaded.slice();
  }
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
  if (!opts.lazy) vm.runInContext(fs.readFileSync(dir + "/index.js", "utf8"), ctx);
  vm.runInContext(fs.readFileSync(dir + "/search.js", "utf8"), ctx);
  // what the page injected, loaded as a browser would (opts.load): each script run, then its onload
  const injectedAll = [], loadStatuses = [];
  let k = 0;
  function pump() {
    for (; !opts.noLoad && k < ctx.document.head.children.length; k++) {
      const tag = ctx.document.head.children[k];
      injectedAll.push(tag.src);
      const file = dir + "/" + tag.src.replace(/^(\.\.\/\.\.\/)?search\//, "");
      if (fs.existsSync(file)) { vm.runInContext(fs.readFileSync(file, "utf8"), ctx); tag.onload(); }
      else tag.onerror();
      loadStatuses.push([status.textContent, list.children.length]);
    }
  }
  pump();
  const more = ids["search-more"] || container.children.find((c) => c.tagName === "button") || null;
  const statuses = [status.textContent];
  for (let i = 0; i < (opts.clicks || 0); i++) {
    more.listeners.click();
    pump();
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
    return write_index(build_index(HEAD, PARTS, TAIL), tmp_path_factory.mktemp("search"))


def node(site: Path, mode: str, arg) -> dict:
    proc = subprocess.run([NODE, str(site / "runner.js"), str(site), mode, json.dumps(arg, ensure_ascii=False)],
                          capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def urls(found: dict) -> list[str]:
    return [r["url"] for r in found["results"]]


def write_index(files: dict[str, bytes], d: Path) -> Path:
    for name, data in files.items():
        (d / name.removeprefix("search/")).parent.mkdir(parents=True, exist_ok=True)
        (d / name.removeprefix("search/")).write_bytes(data)
    (d / "runner.js").write_text(RUNNER, encoding="utf-8")
    return d


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
        assert (got[empty]["total"], got[empty]["results"]) == (0, [])
    # a query loads the gram files of its grams and the row files of the results it shows
    assert all(f.startswith("grams/") for f in got["不存在的词"]["loaded"])
    assert got[""]["loaded"] == []
    assert [f for f in got["龙港"]["loaded"] if f.startswith("parts/")] == ["parts/longgang/0"]
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
    assert got["injected"] and all(s.startswith(("../../search/grams/", "../../search/parts/"))
                                   for s in got["injected"])
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
    assert all(s.startswith(("search/grams/", "search/parts/")) for s in got["injected"])


@needs_node
def test_node_page_loads_the_index_itself(site):
    got = node(site, "page", {"q": "龙港", "lazy": True, "noLoad": True})
    assert got["injected"] == ["../../search/index.js"]
    assert got["status"] == "正在载入索引……"


@needs_node
def test_node_page_loads_only_what_the_query_needs(site):
    """过期食品: the gram files of 过期, 期食, 食品 (one each at most) and longgang's rows, which hold
    the one result; not duanshi's or zhifadui's rows."""
    got = node(site, "page", {"q": "过期食品"})
    grams = [s for s in got["injectedAll"] if "/grams/" in s]
    assert 1 <= len(grams) <= 3 and len(set(grams)) == len(grams)
    assert [s for s in got["injectedAll"] if "/parts/" in s] == ["../../search/parts/longgang/0.js"]
    lazy = node(site, "page", {"q": "过期食品", "lazy": True})
    assert lazy["injectedAll"] == ["../../search/index.js"] + got["injectedAll"]
    assert lazy["results"] == got["results"]
    # while the files load, the status says so
    assert got["loadStatuses"][0] == ["正在载入索引……", 0]
    assert got["loadStatuses"][-1] == ["找到 1 条结果。", 1]


@needs_node
@pytest.mark.parametrize("missing", ["grams", "parts"])
def test_node_a_file_that_fails_to_load_is_said(site, tmp_path, missing):
    broken = tmp_path / "broken"
    shutil.copytree(site, broken)
    if missing == "grams":
        shutil.rmtree(broken / "grams")
    else:
        (broken / "parts" / "longgang" / "0.js").unlink()
    got = node(broken, "page", {"q": "过期食品"})
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
    write_index(build_index([], [(f"u{u}", [d for d in docs if d.url.startswith(f"records/u{u}/")])
                                 for u in range(21)]), tmp_path)
    got = node(tmp_path, "queries", ["知识产权", "沁市监罚〔2023〕2999号", "嘉峰 广告"])
    assert got["知识产权"]["total"] == 1000
    assert len(got["知识产权"]["results"]) == 50
    assert urls(got["知识产权"])[:2] == ["records/u0/case-0.html", "records/u0/case-21.html"]  # in index order
    assert urls(got["沁市监罚〔2023〕2999号"]) == ["records/u17/case-2999.html"]
    assert got["嘉峰 广告"]["total"] == 1000


@needs_node
@pytest.mark.parametrize("where", ["page", "made"])
def test_node_show_more_appends_the_next_results(tmp_path, where):
    """167 results: the first 50, then "显示更多" adds 50 at a time until all are listed."""
    docs = [SearchDoc(f"records/u{i % 7}/doc-{i}.html", f"记录{i}", "案件", "龙港所",
                      ("知识产权 " if i % 3 == 0 else "广告 ") + f"编号{i}") for i in range(501)]
    write_index(build_index([], [("p", docs)]), tmp_path)
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


def test_index_files_are_valid_json_whatever_the_text():
    """index.js and the row files are put together from rows' bytes: still exactly JSON."""
    odd = SearchDoc("records/a/b.html", '引号"与\\反斜杠\u2028', "案\u2029件", "单位\n", "制表\t符 " + "长" * 700)
    files = build_index(DOCS, [("p", [odd])])
    index = _index(files)
    assert index["docs"][0] == ["units/longgang/index.html", "龙港所", index["kinds"].index("单位"),
                                index["units"].index("龙港所"), DOCS[0].text]
    row = _rows(files)[len(DOCS)]
    assert row == ["records/a/b.html", '引号"与\\反斜杠', index["kinds"].index("案\u2029件"),
                   index["units"].index("单位\n"), "制表 符 " + "长" * (search.TEXT_LIMIT - 5)]
    assert _index(build_index([])) == {"v": 4, "kinds": [], "units": [], "docs": [], "parts": [], "tail": [],
                                       "buckets": 64, "slots": search.SLOTS, "block": search.BLOCK}


@needs_node
def test_node_characters_outside_the_bmp_and_whole_titles(tmp_path):
    """Grams are of code points (𠮷 is two UTF-16 units); a whole title equal to a term ranks
    first (24), in a part as in index.js."""
    docs = [SearchDoc("records/u/a.html", "𠮷野家", "案件", "龙港所", "店名 𠮷野家 罚款"),
            SearchDoc("records/u/b.html", "另一家", "案件", "龙港所", "隔壁的𠮷野家分店"),
            SearchDoc("records/u/c.html", "罚", "案件", "龙港所", "一个字的标题")]
    write_index(build_index([], [("u", docs)]), tmp_path)
    got = node(tmp_path, "queries", ["𠮷野家", "𠮷", "野家", "罚", "𠮷野 罚款"])
    assert urls(got["𠮷野家"]) == ["records/u/a.html", "records/u/b.html"]
    assert urls(got["𠮷"]) == ["records/u/a.html", "records/u/b.html"]
    assert urls(got["野家"]) == ["records/u/a.html", "records/u/b.html"]
    assert urls(got["罚"]) == ["records/u/c.html", "records/u/a.html"]  # the whole title first
    assert urls(got["𠮷野 罚款"]) == ["records/u/a.html"]
    assert got["𠮷野家"]["results"][1]["excerpt"] == [["隔壁的", False], ["𠮷野家", True], ["分店", False]]


@pytest.mark.parametrize("rows", [[], [""], ["3甲乙 2ab", "", "0\U00020000字 3x"], ["3a\udc80b", "1整题"]])
def test_a_parts_runs_come_back_as_they_were(rows):
    # Part.runs (UTF-16, compressed): CJK, characters beyond the BMP, lone surrogates, empty rows
    assert search.runs_of(search.runs_blob(rows), len(rows)) == (rows if rows else [])


def test_runs_kept_another_way_are_not_read():
    # a Part.runs of another count of rows, or not of this packing (an older qsgen's UTF-8, or
    # not zstd at all): None, not rows misread
    blob = search.runs_blob(["3甲", "3乙"])
    assert search.runs_of(blob, 3) is None
    assert search.runs_of(search.compressor().compress("3甲\n3乙丙".encode()), 2) is None
    assert search.runs_of(b"not zstd", 2) is None
    assert search.PACKING != "zstd-1"  # (the packing of the parts stored with their runs in UTF-8)
