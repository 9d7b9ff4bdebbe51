"""The office's paperwork: result notices and the summary table (print pages and PDF files),
scores.xlsx. Checked as the office uses them: the PDFs through poppler (pdftotext per page,
pdffonts, pdftoppm), the workbook through openpyxl, numbers against the unit pages and
scores.json.

The PDF tests need WeasyPrint (pip install '.[test]') and Debian's poppler-utils; they are
skipped when either is missing, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fixtures.recordkit import copy_rules
from needs import need
from site_fixture import ATTACHMENTS, HISTORY, SOURCE_DATE, make_results

from qsgen.core.errors import QsgenError
from qsgen.site import SiteInputs, build_site, notices, urls, xlsx

REPO = Path(__file__).resolve().parent.parent
EPOCH = "1704448800"  # 2024-01-05 10:00 UTC: the example's source date (no git in tmp_path)
RESULT_DATE = "2024-01-10T00:00:00"  # the 2023 example's last assessment date: its documents' date


@pytest.fixture(scope="module")
def engine():
    from qsgen.publish import pdf

    try:
        made = pdf.engine()
    except QsgenError as e:
        need(False, e.message)
    for tool in ("pdftotext", "pdftoppm", "pdfinfo", "pdffonts"):
        need(shutil.which(tool) is not None, f"{tool} not found (apt-get install poppler-utils)")
    return made


# ------------------------------------------------------------------ the small fixture site


def _fixture_site(engine=None) -> dict[str, bytes]:
    inputs = SiteInputs(history=HISTORY, attachments=ATTACHMENTS, source_date=SOURCE_DATE,
                             example=True, pdf=engine)
    return build_site(make_results(), inputs)


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return _fixture_site()


def test_the_documents_are_in_the_site_and_linked(files):
    results = make_results()
    for us in results.units:
        notice = files["2023/" + urls.notice_file(us.unit.slug)].decode()
        assert us.unit.name in notice and "考核结果通知书" in notice
        unit_page = files["2023/units/" + us.unit.slug + ".html"].decode()
        assert f'href="../notices/{us.unit.slug}.html">打印通知书' in unit_page
        assert re.search(r'href="../scores.xlsx" download[^>]*>下载 Excel', unit_page)
        assert "下载 PDF" not in unit_page  # no PDF engine, no PDF files, no link to one
    index = files["2023/index.html"].decode()
    assert 'href="summary.html">打印汇总表' in index and 'href="scores.xlsx"' in index
    assert {"2023/" + p for p in (urls.SUMMARY_FILE, urls.WORKBOOK, urls.PRINT_CSS, urls.PAPER_JS)} <= set(files)
    assert not [p for p in files if p.endswith(".pdf")]


def test_print_css_sets_up_a4_pages(files):
    css = files["2023/" + urls.PRINT_CSS].decode()
    assert re.search(r"@page\s*{[^}]*size: A4", css)
    assert 'counter(page)' in css and 'counter(pages)' in css
    assert "break-inside: avoid" in css
    notice = files["2023/" + urls.notice_file("longgang")].decode()
    # the unit and the year in the running header of every page
    assert re.search(r'@top-left { content: "龙港所 · 2023年度考核结果通知书"; }', notice)


def test_result_state_is_one_function_of_the_results():
    results = make_results()
    jiage = results.unit("jiage")
    assert jiage.provisional
    state = notices.unit_state(results, jiage)
    assert (state.code, state.label, state.watermark) == ("provisional", "暂定", "暂定")
    assert "1 项待评" in state.detail
    other = notices.unit_state(results, results.unit("fagui"))
    assert (other.code, other.label, other.title) == ("ranks-provisional", "已评定", "得分已评定，名次暂定")
    assert other.watermark  # its rank may still change
    assert notices.year_state(results).code == "provisional"
    for us in results.units:  # every item judged: nothing reads as provisional any more
        us.provisional = False
        for it in us.items:
            if it.state == "pending":
                it.state = "judged"
    assert notices.year_state(results).watermark == ""
    final = notices.unit_state(results, jiage)
    assert (final.code, final.label, final.watermark) == ("assessed", "已评定", "")


def test_provisional_state_prints_visibly(files):
    notice = files["2023/" + urls.notice_file("jiage")].decode()
    assert '<div class="watermark" aria-hidden="true">示例数据 暂定</div>' in notice
    assert '@top-right { content: "暂定"; }' in notice
    assert "1 项待评" in notice
    summary = files["2023/" + urls.SUMMARY_FILE].decode()
    assert "结果状态：暂定" in summary


def test_short_titles_and_css_strings():
    assert notices.short_title("年报公示工作。做好年报宣传工作，年报基数清楚") == "年报公示工作"
    assert notices.short_title("完成新闻报道 10 篇，其中国家级 1 篇") == "完成新闻报道 10 篇"
    long = notices.short_title("甲" * 40)
    assert len(long) == 24 and long.endswith("…")
    assert str(notices.css_string('a"b\\c</style>')) == '"a\\22 b\\5c c\\3c /style\\3e "'
    assert notices.cn_number(1) == "一" and notices.cn_number(10) == "十" and notices.cn_number(21) == "二十一"


def test_ties_are_marked(files):
    summary = files["2023/" + urls.SUMMARY_FILE].decode()
    assert summary.count('<span class="tie">并列</span>') >= 2  # 办公室 and 法规股 share a rank
    notice = files["2023/" + urls.notice_file("fagui")].decode()
    assert "（并列）" in notice


# ------------------------------------------------------------------ the example, with PDFs


@pytest.fixture(scope="module")
def example(tmp_path_factory, engine) -> Path:
    """The repository's example data built with --pdf (and its cache) into <tmp>/repo/_site."""
    from qsgen.build import pipeline

    root = tmp_path_factory.mktemp("paper") / "repo"
    copy_rules(root)
    shutil.copytree(REPO / "records" / "2023", root / "records" / "2023")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        pipeline.build(root, root / "_site", quiet=True, pdf=True)
    return root / "_site" / "2023"  # the year's folder


class Rows(HTMLParser):
    """The cells' text of every table row with a data-row attribute, by that attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr" and dict(attrs).get("data-row"):
            self.row = self.rows.setdefault(dict(attrs)["data-row"], [])
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr":
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def rows_of(html: str) -> dict[str, list[str]]:
    p = Rows()
    p.feed(html)
    return p.rows


@functools.lru_cache(maxsize=64)
def pages_of(pdf: Path, mode: str = "-raw") -> list[str]:
    """The text of each page of ``pdf`` (pdftotext, content-stream order; the files of the
    example do not change while this module runs)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    return [subprocess.run(["pdftotext", mode, "-f", str(i), "-l", str(i), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout for i in range(1, count + 1)]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def documents(site_dir: Path) -> list[tuple[str, str]]:
    """(print page, name printed on every page) of each PDF of the site."""
    data = json.loads((site_dir / "scores.json").read_text("utf-8"))
    docs = [(urls.notice_file(u["id"]), u["name"]) for u in data["units"]]
    return docs + [(urls.SUMMARY_FILE, "考核结果汇总表")]


def test_every_document_has_its_pdf(example):
    for page, _name in documents(example):
        pdf = example / urls.pdf_of(page)
        assert pdf.read_bytes().startswith(b"%PDF-"), page
        assert 5_000 < pdf.stat().st_size < 400_000, (page, pdf.stat().st_size)  # fonts subset
    unit_page = (example / "units" / "longgang.html").read_text("utf-8")
    assert 'href="../notices/longgang.pdf" download>下载 PDF' in unit_page
    assert 'href="summary.pdf" download>下载 PDF' in (example / "index.html").read_text("utf-8")
    notice = (example / "notices" / "longgang.html").read_text("utf-8")
    assert 'href="../notices/longgang.pdf" download>下载 PDF' in notice


def test_page_counts(example):
    """龙港所 (76 items, 13 score lines) on two to four A4 pages, a 机关 unit on one or two."""
    data = json.loads((example / "scores.json").read_text("utf-8"))
    for u in data["units"]:
        n = len(pages_of(example / urls.pdf_of(urls.notice_file(u["id"]))))
        assert (2 <= n <= 4) if u["group"] == "jiceng" else (1 <= n <= 2), (u["id"], n)
    assert len(pages_of(example / "summary.pdf")) <= 3


def test_every_page_names_the_unit_and_its_number_and_the_seal_is_last(example):
    for page, name in documents(example):
        texts = pages_of(example / urls.pdf_of(page))
        n = len(texts)
        for i, text in enumerate(texts, 1):
            flat = squeeze(text)
            assert squeeze(name) in flat, (page, i)
            assert "2023年度" in flat, (page, i)
            assert f"第{i}页共{n}页" in flat, (page, i)
            assert ("考核领导小组（盖章）" in flat) == (i == n), (page, i)
        assert "日期：" in texts[-1] and "负责人（签字）" in texts[-1]


def test_no_row_is_split_across_pages(example):
    """Each table row's text (every cell, in order) stands whole on exactly one page."""
    for page, _name in documents(example):
        rows = rows_of((example / page).read_text("utf-8"))
        assert rows, page
        flat = [squeeze(t) for t in pages_of(example / urls.pdf_of(page))]
        for key, cells in rows.items():
            text = squeeze("".join(cells))
            found = [i for i, t in enumerate(flat, 1) if text in t]
            assert len(found) >= 1, f"{page}: row {key} is not whole on any page: {cells}"


def test_states_print_on_every_page(example):
    """The example's 2023 is final (records/2023/status.yaml, issue 15): every page of every
    document says 已定稿 with the decision, and none says 暂定."""
    data = json.loads((example / "scores.json").read_text("utf-8"))
    assert not any(u["provisional"] for u in data["units"])
    for page, _name in documents(example):
        for i, text in enumerate(pages_of(example / urls.pdf_of(page)), 1):
            flat = squeeze(text)
            assert "已定稿" in flat and "暂定" not in flat, (page, i)
    first = squeeze(pages_of(example / urls.pdf_of(urls.notice_file("bangongshi")))[0])
    assert "沁市监字〔2024〕9号" in first and "示例数据" in first


def _unit_page_numbers(html: str) -> dict[str, Decimal]:
    """The numbers a unit page shows: the summary, every item's score, every rule's total."""
    out = {}
    for key, value in re.findall(r'<span class="k">([^<]+)</span><span class="v[^"]*">([^<]+)', html):
        out[key] = value
    for item, score in re.findall(r'<tr id="item-([^"]+)"[^>]*>.*?<td data-label="得分" class="num score">'
                                  r'([^<]+)</td>', html, re.S):
        out["item " + item] = score
    for rule, amount in re.findall(r'id="rule-([^"]+)">\s*<h3>.*?<span class="adj-amount">([^<]+)</span>',
                                   html, re.S):
        out["rule " + rule] = amount
    return {k: Decimal(v.replace("\u2212", "-")) for k, v in out.items()
            if re.fullmatch(r"[+\u2212-]?\d+(\.\d+)?", v)}


def _dec(text: str) -> Decimal:
    return Decimal(text.replace("\u2212", "-"))


def test_notices_agree_with_the_unit_pages_to_the_cent(example):
    data = json.loads((example / "scores.json").read_text("utf-8"))
    for u in data["units"]:
        unit = _unit_page_numbers((example / "units" / f"{u['id']}.html").read_text("utf-8"))
        html = (example / urls.notice_file(u["id"])).read_text("utf-8")
        rows = rows_of(html)
        pdf = squeeze("".join(pages_of(example / urls.pdf_of(urls.notice_file(u["id"])))))
        # the summary block
        summary = re.search(r"总分 = 基础分 ([\d.]+) \+ 加分 ([\d.]+) − 减分 ([\d.]+) = (-?[\d.]+)", html)
        base, bonus, deduction, total = (Decimal(x) for x in summary.groups())
        assert (base, total) == (unit["基础分"], unit["总分"]), u["id"]
        assert (bonus, -deduction) == (unit["加分"], unit["减分"]), u["id"]
        assert squeeze(summary.group(0)) in pdf
        assert f"第{u['rank']}名" in squeeze(html) and f"第{u['rank']}名" in pdf
        # every item: the same score (a 待评 item shows no number on either)
        items = {k[5:]: v for k, v in unit.items() if k.startswith("item ")}
        assert len(items) == sum(1 for it in u["items"] if it["score"] is not None)
        for it in u["items"]:
            cells = rows[it["id"]]
            if it["score"] is None:
                assert cells[-1] == "待评"
                continue
            assert _dec(cells[-1]) == items[it["id"]] == Decimal(it["score"]), (u["id"], it["id"])
            assert squeeze(cells[0] + cells[1]) in pdf
        # every rule with lines: the same amount; its lines add up to it unless capped
        for key, amount in unit.items():
            if key.startswith("rule "):
                rule = key[5:]
                assert _dec(rows[rule][-1]) == amount, (u["id"], rule)
                lines = [_dec(cells[-1]) for k, cells in rows.items() if k.startswith(rule + "-")]
                assert lines and (sum(lines) == amount or "超过上限" in "".join(rows[rule]))


def test_fonts_are_embedded_and_no_glyph_is_missing(example):
    """pdffonts: every font embedded (subset, with a Unicode map). And every character drawn
    has a real glyph in the embedded font that draws it: a character no font has would be
    drawn as a box (tofu) with a glyph id past the font's glyphs, or as glyph 0 (.notdef)."""
    for page, _name in documents(example):
        pdf = example / urls.pdf_of(page)
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        lines = fonts.splitlines()[2:]
        assert lines, page
        for line in lines:
            emb, sub, uni = line.split()[-5:-2]
            assert (emb, sub, uni) == ("yes", "yes", "yes"), (page, line)
        problems = _missing_glyphs(pdf.read_bytes())
        assert problems == [], (page, problems[:5])


def test_the_glyph_check_sees_a_missing_glyph(engine):
    """A character no font has (a private-use code point) is reported; the others are not."""
    data = engine("<html><body><p>龙港所 \U0010FFFD 完</p></body></html>".encode(), "t.html", {}.get)
    problems = _missing_glyphs(data)
    assert len(problems) == 1 and "10fffd" in problems[0]


def _pdf_objects(data: bytes) -> dict[int, tuple[str, bytes | None]]:
    """Object number -> (dictionary text, decompressed stream or None), object streams opened."""
    objs: dict[int, tuple[str, bytes | None]] = {}
    for m in re.finditer(rb"(\d+) 0 obj\s*(<<.*?>>)\s*(stream\r?\n|endobj)", data, re.S):
        head = m.group(2).decode("latin-1")
        stream = None
        if m.group(3).startswith(b"stream"):
            end = data.index(b"endstream", m.end())
            raw = data[m.end():end]
            stream = zlib.decompress(raw) if "/FlateDecode" in head else raw
        objs[int(m.group(1))] = (head, stream)
    for head, stream in list(objs.values()):
        if "/Type /ObjStm" in head and stream is not None:
            first = int(re.search(r"/First (\d+)", head).group(1))
            nums = [int(x) for x in stream[:first].split()]
            pairs = list(zip(nums[::2], nums[1::2], strict=True))
            for k, (num, off) in enumerate(pairs):
                end = pairs[k + 1][1] if k + 1 < len(pairs) else len(stream) - first
                objs[num] = (stream[first + off:first + end].decode("latin-1"), None)
    return objs


def _ref(text: str, key: str) -> int | None:
    m = re.search(rf"/{key}\s*\[?\s*(\d+) 0 R", text)
    return int(m.group(1)) if m else None


def _missing_glyphs(data: bytes) -> list[str]:
    from fontTools.ttLib import TTFont

    objs = _pdf_objects(data)
    problems = []
    fonts = 0
    for head, _stream in objs.values():
        if "/Subtype /Type0" not in head:
            continue
        fonts += 1
        cmap = objs[_ref(head, "ToUnicode")][1].decode("latin-1")
        descendant = objs[_ref(head, "DescendantFonts")][0]
        descriptor = objs[_ref(descendant, "FontDescriptor")][0]
        program = _ref(descriptor, "FontFile2")
        assert program is not None, "only TrueType fonts expected"
        font = TTFont(io.BytesIO(objs[program][1]), lazy=True)
        count, loca = font["maxp"].numGlyphs, font["loca"]  # a glyph's outline: loca[g] to loca[g + 1]
        for code, uni in re.findall(r"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]+)>", cmap.split("beginbfchar", 1)[-1]):
            gid = int(code, 16)
            chars = bytes.fromhex(uni).decode("utf-16-be", "replace")
            if chars.isspace():
                continue
            if gid == 0 or gid >= count or loca[gid] == loca[gid + 1]:
                problems.append(f"{chars!r} (glyph {gid})")
    assert fonts, "no font found in the PDF"
    return problems


def test_pdf_pages_render_to_images(example, tmp_path):
    """pdftoppm renders every page; each has ink (text and rules), none is blank."""
    pdf = example / "notices" / "longgang.pdf"
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(tmp_path / "p")], check=True)
    images = sorted(tmp_path.glob("p-*.pgm"))
    assert len(images) == len(pages_of(pdf))
    for image in images:
        raw = image.read_bytes()
        header = raw.split(b"\n", 3)  # P5, size, maxval, pixels
        width, height = (int(x) for x in header[1].split())
        pixels = header[3]
        assert abs(width - 248) <= 1 and abs(height - 351) <= 1  # A4 at 30 dpi
        dark = sum(1 for b in pixels if b < 128)
        assert dark > 0.01 * len(pixels), image.name


def test_pdfs_are_deterministic(example, engine, tmp_path):
    """Rendered again in another process (another hash seed) from the same page: the same bytes;
    the creation date is the build's source date."""
    out = tmp_path / "again"
    out.mkdir()
    code = (
        "import sys; from pathlib import Path; from qsgen.publish import pdf\n"
        "site, out = Path(sys.argv[1]), Path(sys.argv[2]); e = pdf.engine()\n"
        "files = {'2023/assets/print.css': (site / '2023/assets/print.css').read_bytes()}\n"
        "for page in sys.argv[3:]:\n"
        "    (out / page.replace('/', '-')).write_bytes(e((site / page).read_bytes(), page, files.get))\n")
    pages = ["2023/notices/bangongshi.html", "2023/summary.html"]  # (site paths)
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", code, str(example.parent), str(out), *pages], check=True, env=env)
    for page in pages:
        again = (out / page.replace("/", "-")).read_bytes()
        assert again == (example.parent / urls.pdf_of(page)).read_bytes(), page
    info = subprocess.run(["pdfinfo", "-isodates", str(example / "summary.pdf")], capture_output=True,
                          text=True, check=True).stdout
    # the year's own date (its last assessment), not the build's: a finished year's documents
    # stay as they are when the next year's records come in
    assert re.search(r"^CreationDate:\s+" + RESULT_DATE, info, re.M), info
    assert "Title:" in info and "考核结果汇总表" in info


def test_an_unchanged_rebuild_keeps_every_pdf(example):
    from qsgen.build import pipeline

    made = [example / urls.pdf_of(page) for page, _name in documents(example)]
    before = {p: (p.stat().st_ino, p.read_bytes()) for p in made}
    assert len(before) == 22
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        pipeline.build(example.parent.parent, example.parent, quiet=True, pdf=True)
    after = {p: (p.stat().st_ino, p.read_bytes()) for p in made}
    assert after == before  # not rendered nor written again


def test_without_weasyprint_the_build_says_how_to_install_it(monkeypatch):
    from qsgen.publish import pdf

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint -> ImportError
    with pytest.raises(QsgenError) as e:
        pdf.engine()
    assert "WeasyPrint" in e.value.message and "pip install 'qsgen[pdf]'" in e.value.message


# ------------------------------------------------------------------ scores.xlsx


def _sheets(data: bytes):
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(data))


def _cell_decimal(value) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def test_workbook_cells_equal_scores_json(example):
    data = json.loads((example / "scores.json").read_text("utf-8"))
    book = _sheets((example / "scores.xlsx").read_bytes())
    assert book.sheetnames == ["汇总", "任务项", "板块", "加减分", "说明"]
    summary, items, sections, adjustments = (book[n] for n in ("汇总", "任务项", "板块", "加减分"))
    for ws, headers in ((summary, xlsx.SUMMARY_HEADERS), (items, xlsx.ITEM_HEADERS),
                        (sections, xlsx.SECTION_HEADERS), (adjustments, xlsx.ADJUSTMENT_HEADERS)):
        assert [c.value for c in ws[1]] == headers
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref
    units = data["units"]
    rows = list(summary.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(units)
    for row, u in zip(rows, units, strict=True):
        rank, name, group, group_rank, base, bonus, deduction, total, state = row
        assert (rank, name, group, group_rank) == (u["rank"], u["name"], u["group_name"], u["group_rank"])
        for value, key in ((base, "base"), (bonus, "bonus"), (deduction, "deduction"), (total, "total")):
            assert isinstance(value, float | int), (u["id"], key)  # a number, not text
            assert _cell_decimal(value) == Decimal(u[key]), (u["id"], key)
        assert state == ("暂定" if u["provisional"] else "已定稿")  # (the example's 2023 is final)
    for cell in summary["E"][1:] + summary["H"][1:]:
        assert cell.number_format == "0.00"
    item_rows = list(items.iter_rows(min_row=2, values_only=True))
    expected = [(u["name"], it["id"], it["max"], it["score"]) for u in units for it in u["items"]]
    assert len(item_rows) == len(expected)
    for row, (name, item_id, top, score) in zip(item_rows, expected, strict=True):
        assert row[0:2] == (name, item_id)
        assert _cell_decimal(row[3]) == Decimal(top)
        assert (row[4] is None) if score is None else _cell_decimal(row[4]) == Decimal(score)
        assert row[5] == ("待评" if score is None else row[5]) and row[2]
    lines = [r for r in adjustments.iter_rows(min_row=2, values_only=True)
             if not (r[6] is None and "超过上限" in r[5])]  # (a cap's cut: a row of its own)
    json_lines = [(u["name"], a["rule"], a["amount"], a["explain"], "、".join(a["records"]))
                  for u in units for a in u["adjustments"]]
    assert len(lines) == len(json_lines)
    for row, (name, rule, amount, explain, recs) in zip(lines, json_lines, strict=True):
        assert (row[0], row[1], row[5], row[6] or "") == (name, rule, explain, recs)
        assert _cell_decimal(row[4]) == Decimal(amount)
    # a unit's lines (a cap's cut included) add up to its bonus minus its deduction
    for u in units:
        total = sum((_cell_decimal(r[4]) for r in adjustments.iter_rows(min_row=2, values_only=True)
                     if r[0] == u["name"]), Decimal(0))
        assert total == Decimal(u["bonus"]) - Decimal(u["deduction"]), u["id"]


def test_workbook_bytes_are_deterministic(example):
    from qsgen.build.pipeline import load_and_score

    data = (example / "scores.xlsx").read_bytes()
    (results,), _ = load_and_score(example.parent.parent)
    import datetime as dt

    again = xlsx.scores_xlsx(results, dt.datetime.fromisoformat(RESULT_DATE).replace(tzinfo=dt.UTC))
    assert again == data
    book = _sheets(data)
    assert book.properties.created.isoformat().startswith(RESULT_DATE)
    assert book.properties.modified == book.properties.created
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_workbook_of_the_fixture(files):
    book = _sheets(files["2023/" + urls.WORKBOOK])
    rows = list(book["任务项"].iter_rows(min_row=2, values_only=True))
    pending = [r for r in rows if r[5] == "待评"]
    assert len(pending) == 1 and pending[0][4] is None  # 价格股 t02: no score, not 0
    assert book["说明"]["B6"].value.startswith("与网站和 scores.json 相同")
