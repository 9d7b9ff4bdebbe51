"""site.py: every page, relative links that resolve, escaping, example banner, determinism."""

from __future__ import annotations

import posixpath
import re
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

import pytest
from site_fixture import ATTACHMENTS, HISTORY, SOURCE_DATE, make_results

from qsgen import site
from qsgen.site.pages import index as index_page


def build(example: bool = True, **kw) -> dict[str, bytes]:
    inputs = site.SiteInputs(history=HISTORY, attachments=ATTACHMENTS, source_date=SOURCE_DATE,
                             example=example, **kw)
    return site.build_site(make_results(), inputs)


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return build()


def text(files, path) -> str:
    return files[path].decode("utf-8")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append((tag, value))
            if name == "id" and value:
                self.ids.add(value)
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")


def parse(html: str) -> Links:
    p = Links()
    p.feed(html)
    return p


def test_every_page_is_there(files):
    paths = set(files)
    assert {"index.html", "search.html", "404.html", "assets/style.css", "years.json",
            "2023/index.html", "2023/rules.html", "2023/scores.json", "2023/scores.csv"} <= paths
    for slug in ("bangongshi", "fagui", "jiage", "longgang"):
        assert f"2023/units/{slug}.html" in paths
    assert "2023/records/fagui/case-2023-01.html" in paths
    assert "2023/records/longgang/evidence-s01.html" in paths
    assert "2023/files/fagui/decision.png" in paths
    assert files["2023/files/fagui/decision.png"] == ATTACHMENTS["records/2023/fagui/decision.png"]
    assert list(files) == sorted(files)


def test_links_are_relative_and_resolve(files):
    """Every href/src of every page is relative and points at a file (and id) of the site."""
    parsed = {p: parse(text(files, p)) for p in files if p.endswith(".html")}
    for page, links in parsed.items():
        assert not links.handlers, (page, links.handlers)
        for tag, url in links.links:
            if page == "404.html" and url.startswith("/"):  # served at any depth: links from the site root
                url = url[1:]
                page_dir = ""
            else:
                assert not url.startswith("/"), (page, url)
                page_dir = posixpath.dirname(page)
            parts = urlsplit(url)
            if parts.scheme in ("http", "https", "mailto") or url.startswith("data:"):
                assert tag != "script", (page, url)
                continue
            assert not parts.scheme, (page, url)
            target = posixpath.normpath(posixpath.join(page_dir, unquote(parts.path)))
            if not parts.path:
                target = page
            assert target in files, (page, url)
            if parts.fragment and target.endswith(".html"):
                assert parts.fragment in parsed[target].ids, (page, url)


def test_no_absolute_or_external_resources(files):
    for page in (p for p in files if p.endswith((".html", ".css"))):
        t = text(files, page)
        assert "http://" not in t.replace('xmlns="http://www.w3.org/2000/svg"', ""), page
        assert "https://" not in t, page
        assert "@import" not in t


def test_hostile_body_is_neutralised(files):
    page = text(files, "2023/records/bangongshi/news-shengji.html")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text, never run
    assert "<strong>双随机、一公开</strong>" in page
    for path, data in files.items():
        if path.endswith(".html"):
            for _, url in parse(data.decode("utf-8")).links:
                assert not url.strip().lower().startswith(("javascript:", "data:text", "vbscript:")), path


def test_relative_image_in_body_points_at_copied_attachment(files):
    page = text(files, "2023/records/fagui/case-2023-01.html")
    assert 'src="../../files/fagui/decision.png"' in page
    assert 'href="../../files/fagui/decision.png"' in page


def test_example_banner_on_every_page_only_when_example():
    marked = build(example=True)
    plain = build(example=False)
    for path in (p for p in marked if p.endswith(".html")):
        assert "示例数据" in text(marked, path), path
        assert "示例数据" not in text(plain, path), path


def test_deterministic():
    assert build() == build()


def test_index_ranking(files):
    page = text(files, "2023/index.html")
    assert page.count("<svg") >= 2 and "<script" not in page  # chart needs no JavaScript
    # overall order with a visible tie: 龙港所 1, 办公室 2 并列, 法规股 2 并列, 价格 4
    overall = page[page.index('id="overall"'):]
    names = re.findall(r'<td class="name"><a href="units/(\w+)\.html">', overall)
    assert names == ["longgang", "bangongshi", "fagui", "jiage"]
    ranks = re.findall(r'<td class="num rank">(\d+)(<span class="tie")?', overall)
    assert ranks == [("1", ""), ("2", '<span class="tie"'), ("2", '<span class="tie"'), ("4", "")]
    assert "暂定" in overall
    assert "90.50" in overall and "102.25" in overall
    assert "沁市监字〔2023〕138号" in page  # footer: the rules document
    # a finished year's pages do not change with the build's date; the site's home page says it
    assert "数据截至" not in page and "数据截至 2024-01-05" in text(files, "index.html")


def test_unit_page(files):
    page = text(files, "2023/units/jiage.html")
    assert "待评" in page and "暂定" in page
    assert 'href="../index.html"' in page and 'href="../../assets/style.css"' in page
    office = text(files, "2023/units/bangongshi.html")
    assert 'id="item-t02"' in office
    assert "国家级" in office  # news progress by level
    assert 'id="rule-D9"' in office and 'id="rule-D5"' in office
    assert "计算过程" in office and "总分 = 基础分" in office
    assert 'href="../records/bangongshi/attendance-0412.html"' in office
    station = text(files, "2023/units/longgang.html")
    assert 'id="section-s01"' in station and "板块得分" in station


def test_record_page(files):
    page = text(files, "2023/records/fagui/case-2023-01.html")
    for label in ("案号", "案件类别", "程序", "罚没款（元）", "一般程序", "12,000 元"):
        assert label in page
    assert "王晓明" in page and "0123456" in page and "2023-06-21 09:30" in page
    assert "B6a" in page  # what the record feeds
    assert 'href="../../units/fagui.html#rule-B6a"' in page


def test_rules_page(files):
    page = text(files, "2023/rules.html")
    assert "信息任务分级计算" in page  # 口径
    assert 'id="rule-B1"' in page and 'id="rule-D10"' in page
    assert "国家级 5 分" in page


def test_escapes_names():
    results = make_results()
    results.units[0].unit.name = '<img src=x onerror="alert(1)">所'
    files = site.build_site(results, site.SiteInputs())
    for path, data in files.items():
        if path.endswith(".html"):
            assert "<img src=x" not in data.decode("utf-8"), path


def test_prefix_and_urls():
    assert site.prefix_for("index.html") == ""
    assert site.prefix_for("units/a.html") == "../"
    assert site.prefix_for("records/a/b.html") == "../../"
    assert site.record_url("a/测试 1") == "records/a/%E6%B5%8B%E8%AF%95%201.html"
    assert site.attachment_file("records/2023/a/x.pdf") == "files/a/x.pdf"  # (in the year's folder)
    assert index_page.short_name("价格监督管理股（执法稽查和反不正当竞争股）") == "价格监督管理股"


def test_active_attachments_are_not_published():
    """An .html or .svg attachment could run script from the site's origin: listed, never copied."""
    results = make_results()
    rec = next(r for r in results.records.records if r.id == "fagui/case-2023-01")
    rec.attachments = ["records/2023/fagui/decision.png", "records/2023/fagui/evil.svg",
                       "records/2023/fagui/page.html"]
    attachments = {**ATTACHMENTS, "records/2023/fagui/evil.svg": b"<svg onload=alert(1)>",
                   "records/2023/fagui/page.html": b"<script>alert(1)</script>"}
    files = site.build_site(results, site.SiteInputs(attachments=attachments))
    assert "2023/files/fagui/decision.png" in files
    assert not [p for p in files if p.endswith((".svg", "page.html"))]
    page = text(files, "2023/records/fagui/case-2023-01.html")
    assert "evil.svg（此类文件不在网站上发布" in page
    assert '<img src="../../files/fagui/decision.png"' in page


def test_every_page_has_header_nav_and_footer(files):
    for path in (p for p in files if p.endswith(".html")):
        page = text(files, path)
        assert '<html lang="zh-CN">' in page
        # the print pages (notices, summary table) are documents: a toolbar instead of the site's nav
        nav = 'class="paper-bar"' if path.startswith("2023/notices/") or path == "2023/summary.html" \
            else 'class="site-nav"'
        assert "沁水县市场监督管理局" in page and nav in page, path
        assert "沁市监字〔2023〕138号" in page, path  # the rules document, in the footer
        assert 'name="viewport"' in page


def test_search_page_matches_search_py(files):
    page = text(files, "search.html")
    assert 'id="search-input"' in page and 'id="search-results"' in page
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts and all(not s.startswith("/") for s in scripts)
    for s in scripts:
        assert s in files


def test_body_link_to_another_record_goes_to_its_page():
    results = make_results()
    rec = next(r for r in results.records.records if r.id == "fagui/case-2023-01")
    rec.body = "另见[线索](case-lead-01.md)和[龙港所案件](../longgang/case-2.md)。"
    files = site.build_site(results, site.SiteInputs())
    page = text(files, "2023/records/fagui/case-2023-01.html")
    assert 'href="../../records/fagui/case-lead-01.html"' in page
    assert 'href="../../records/longgang/case-2.html"' in page


def test_every_page_has_a_description_from_its_content(files):
    """<meta name="description"> on every HTML page (Lighthouse meta-description), one line,
    naming what the page is about."""
    desc = {}
    for path, data in files.items():
        if path.endswith(".html"):
            m = re.search(r'<meta name="description" content="([^"\n]*)">', data.decode())
            assert m and m.group(1).strip(), f"{path}: no description"
            desc[path] = m.group(1)
    assert "龙港所" in desc["2023/units/longgang.html"] and "总分" in desc["2023/units/longgang.html"]
    assert "某超市价格违法案" in desc["2023/records/fagui/case-2023-01.html"]
    assert "当事人在销售商品时未明码标价" in desc["2023/records/fagui/case-2023-01.html"]
    assert "规则" in desc["2023/rules.html"] and "汇总表" in desc["2023/summary.html"]
    # the home page is the latest year's ranking, so says the same; every other page its own
    assert desc["index.html"] == desc["2023/index.html"]
    del desc["index.html"]
    assert len(set(desc.values())) == len(desc), "two pages with the same description"


def test_a_unit_page_makes_each_record_link_once(monkeypatch):
    # (site/pages/unit.py: a record linked as evidence, in a score line and in the list of the
    # unit's records is one Site.rec_link, shared; the page is the same)
    from qsgen.site.builder import sites_of
    from qsgen.site.context import Site
    from qsgen.site.pages import unit as unit_page

    results = make_results()
    s = sites_of([results], [site.SiteInputs(history=HISTORY, source_date=SOURCE_DATE)])[0]
    before = {us.unit.slug: unit_page.render(s, us) for us in results.units}
    asked: list[str] = []
    link = Site.rec_link
    monkeypatch.setattr(Site, "rec_link", lambda self, rid, p: asked.append(rid) or link(self, rid, p))
    for us in results.units:
        asked.clear()
        assert unit_page.render(s, us) == before[us.unit.slug]
        assert len(asked) == len(set(asked))
        assert set(asked) >= {r.id for r in results.records.by_unit(us.unit.slug)}
