"""scores.xlsx: the year's results as an Excel workbook for the office (Chinese headers, every
item and adjustment), with deterministic bytes (those XlsxWriter writes: site/xlsxfile.py)."""

from __future__ import annotations

import datetime as _dt
import io
from decimal import Decimal
from fractions import Fraction
from typing import Any

from qsgen.core import display
from qsgen.core.model import Results
from qsgen.site.labels import STATE_NAMES
from qsgen.site.notices import unit_state, year_state

# When the build's source date is unknown: the zip entries' own date (XlsxWriter's), not "now".
UNKNOWN_DATE = _dt.datetime(1980, 1, 1)

SUMMARY_HEADERS = ["名次", "单位", "分组", "组内名次", "基础分", "加分", "减分", "总分", "状态"]
ITEM_HEADERS = ["单位", "编号", "任务内容", "分值", "得分", "状态"]
SECTION_HEADERS = ["单位", "板块", "板块名称", "权重", "得分"]
ADJUSTMENT_HEADERS = ["单位", "规则", "规则名称", "类别", "金额", "说明", "记录"]
ITEM_STATES = {**STATE_NAMES, "computed": "按记录计算"}


def _width(value: Any) -> int:
    """Display width of a cell's text in Excel's character units: a character of one UTF-8 byte
    (ASCII) counts one, of three (CJK and the like) two."""
    text = str(value)
    return (len(text.encode("utf-8", "surrogatepass")) + len(text)) // 2


class _Sheet:
    """One worksheet: a bold, frozen header row with a filter, then rows; column widths from the
    contents (capped); numbers as numbers in the rules' decimal places."""

    def __init__(self, book: Any, name: str, headers: list[str], formats: dict[str, Any],
                 caps: dict[int, int] | None = None) -> None:
        self.ws = book.add_worksheet(name)
        self.headers, self.formats, self.caps = headers, formats, caps or {}
        self.widths = [_width(h) for h in headers]
        self.row = 0
        for col, h in enumerate(headers):
            self.ws.write_string(0, col, h, formats["head"])

    def add(self, values: list[Any], numbers: set[int] = frozenset(), wrap: set[int] = frozenset()) -> None:
        self.row += 1
        row, ws, formats, widths = self.row, self.ws, self.formats, self.widths
        for col, value in enumerate(values):
            if value is None or value == "":
                ws.write_blank(row, col, None, formats["text"])
                continue
            if col in numbers:
                ws.write_number(row, col, value, formats["num"])
                shown = f"{value:.{formats['places']}f}"
            elif isinstance(value, int):
                ws.write_number(row, col, value, formats["int"])
                shown = str(value)
            else:
                shown = str(value)
                ws.write_string(row, col, shown, formats["wrap" if col in wrap else "text"])
            width = (len(shown.encode("utf-8", "surrogatepass")) + len(shown)) // 2  # (_width)
            if width > widths[col]:
                widths[col] = width

    def finish(self) -> None:
        self.ws.freeze_panes(1, 0)
        if self.row:
            self.ws.autofilter(0, 0, self.row, len(self.headers) - 1)
        for col, w in enumerate(self.widths):
            self.ws.set_column(col, col, min(w, self.caps.get(col, 40)) + 2)


def book_formats(book: Any, places: int) -> dict[str, Any]:
    """The workbook's cell formats (_Sheet's ``formats``), numbers in ``places`` decimal places."""
    font = {"font_name": "宋体", "font_size": 11}
    return {
        "head": book.add_format({**font, "bold": True, "bg_color": "#E7EBF0", "border": 1,
                                 "align": "center", "valign": "vcenter"}),
        "text": book.add_format({**font, "valign": "top"}),
        "wrap": book.add_format({**font, "valign": "top", "text_wrap": True}),
        "num": book.add_format({**font, "valign": "top",
                                "num_format": "0." + "0" * places if places > 0 else "0"}),
        "int": book.add_format({**font, "valign": "top", "num_format": "0"}),
        "places": places,
    }


def scores_xlsx(results: Results, source_date: _dt.datetime | None = None, workbook: Any = None) -> bytes:
    """The workbook: 汇总 (one row per unit), 任务项 (every item), 板块 (the 所's sections),
    加减分 (every bonus and deduction line, and a cap's cut as a line of its own, so that a
    unit's lines add up to its bonus minus its deduction), 说明. Numbers are the values shown
    on the site and in scores.json (rounded once, in the rules' mode) stored as numbers and
    shown with the rules' decimal places. Same results and date: the same bytes.

    ``workbook``: the Workbook class (default xlsxfile's; the tests give xlsxwriter's, whose
    bytes these are)."""
    from qsgen.site import xlsxfile

    rules = results.rules
    places = rules.places

    def num(value: Fraction) -> float:
        # the displayed decimal, e.g. Decimal("92.30") -> 92.3: Excel keeps it as that decimal
        return float(Decimal(display.fmt(value, places, rules.rounding)))

    buf = io.BytesIO()
    book = (workbook or xlsxfile.Workbook)(buf, {"in_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    created = source_date or UNKNOWN_DATE
    if created.tzinfo is not None:
        created = created.astimezone(_dt.UTC).replace(tzinfo=None)
    bureau = rules.title.split(str(rules.year))[0].strip() or rules.title
    book.set_properties({"title": f"{rules.title}结果", "subject": rules.document, "author": bureau,
                         "company": bureau, "created": created,
                         "comments": "由 qsgen 根据考核规则和记录生成"})
    formats = book_formats(book, places)

    summary = _Sheet(book, "汇总", SUMMARY_HEADERS, formats)
    for us in results.units:
        summary.add([us.rank, us.unit.name, rules.group_name(us.unit.group), us.group_rank,
                     num(us.base), num(us.bonus), num(us.deduction), num(us.total),
                     unit_state(results, us).label], numbers={4, 5, 6, 7})
    summary.finish()

    items = _Sheet(book, "任务项", ITEM_HEADERS, formats, caps={2: 80})
    for us in results.units:
        for it in us.items:
            items.add([us.unit.name, it.item.id, it.item.text, num(it.item.max),
                       None if it.score is None else num(it.score), ITEM_STATES.get(it.state, it.state)],
                      numbers={3, 4})
    items.finish()

    sections = _Sheet(book, "板块", SECTION_HEADERS, formats)
    for us in results.units:
        for ss in us.sections:
            sections.add([us.unit.name, ss.section.id, ss.section.title, num(ss.section.weight),
                          num(ss.score)], numbers={3, 4})
    sections.finish()

    adjustments = _Sheet(book, "加减分", ADJUSTMENT_HEADERS, formats, caps={5: 70, 6: 60})
    for us in results.units:
        for adj in us.adjustments:
            sign = adj.rule.sign
            kind = "加分" if sign > 0 else "减分"
            for ln in adj.lines:
                adjustments.add([us.unit.name, adj.rule.id, adj.rule.title, kind, num(sign * ln.amount),
                                 ln.explain, "、".join(ln.records)], numbers={4}, wrap={6})
            if adj.lines and adj.raw != adj.amount:
                adjustments.add([us.unit.name, adj.rule.id, adj.rule.title, kind,
                                 num(sign * (adj.amount - adj.raw)),
                                 f"合计 {display.fmt_plain(adj.raw, places, rules.rounding)}，超过上限 "
                                 f"{display.fmt_plain(adj.rule.cap or 0, places, rules.rounding)} 分，按上限计",
                                 ""], numbers={4})
    adjustments.finish()

    state = year_state(results)
    about = _Sheet(book, "说明", ["项目", "内容"], formats, caps={1: 90})
    for key, value in [
        ("考核", rules.title), ("依据", rules.document),
        ("数据截至", source_date.strftime("%Y-%m-%d") if source_date else "未知"),
        ("结果状态", f"{state.label}：{state.detail}"),
        ("数字", f"与网站和 scores.json 相同：精确计算后按规则保留 {places} 位小数"
                f"（{'四舍五入' if rules.rounding == 'ROUND_HALF_UP' else '四舍六入五成双'}）；"
                "名次按精确值排列，总分相同的名次相同"),
        ("加减分", "每行是一笔加分（正数）或减分（负数）；设有上限的规则超出上限的部分单列一行（负数），"
                 "所以一个单位各行之和等于加分减去减分"),
        ("记录", "记录编号为“单位/文件名”，对应仓库 records/ 下的文件和网站上的记录页"),
    ]:
        about.add([key, value], wrap={1})
    about.finish()

    book.close()
    return buf.getvalue()
