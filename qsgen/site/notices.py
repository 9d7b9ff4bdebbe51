"""The office's paperwork: the result state printed on it, and what a result notice and the summary table show (functions of Results)."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from markupsafe import Markup

from qsgen.core import display
from qsgen.core.model import AdjustmentScore, ItemScore, Results, UnitScore

# ------------------------------------------------------------------ the result's state


@dataclass(frozen=True)
class ResultState:
    """What a document says about how final its numbers are.

    ``code``: ``provisional`` (an item of the unit is still 待评), ``ranks-provisional`` (the
    unit is fully judged, another unit is not: its rank may still change), ``assessed`` (every
    item of every unit judged). The lifecycle (进行中 / 公示 / 定稿, DESIGN.md §6) adds its own
    codes here, in this one function pair, and every document prints what they return.
    ``watermark``: printed across every page while the result must not read as final ("" once
    it may)."""

    code: str
    label: str  # short, for a table cell: 暂定 / 已评定 (as the ranking page's badges)
    title: str  # for a running header and the notice's 结果状态: 暂定 / 得分已评定，名次暂定 / 已评定
    detail: str  # one sentence for the document's body
    watermark: str


def _pending(us: UnitScore) -> int:
    return sum(1 for it in us.items if it.state == "pending")


def unit_state(results: Results, us: UnitScore) -> ResultState:
    """The state printed on a unit's notice and in its row of the summary and the workbook."""
    if results.as_of is not None:
        return _in_progress(results)
    pending = _pending(us)
    if pending:
        return ResultState("provisional", "暂定", "暂定",
                           f"本单位 {len(us.items)} 个任务项中有 {pending} 项待评，待评项暂按 0 分计入，"
                           "评分后得分和名次会变化。", "暂定")
    others = sum(1 for u in results.units if u.provisional)
    if others:
        return ResultState("ranks-provisional", "已评定", "得分已评定，名次暂定",
                           f"本单位任务项已全部评定；另有 {others} 个单位尚有待评项，名次可能变化。", "暂定")
    return _lifecycle(results) or ResultState("assessed", "已评定", "已评定", "全部单位的任务项均已评定。", "")


def _lifecycle(results: Results) -> ResultState | None:
    """公示 or 定稿 (records/<year>/status.yaml), when every item is judged; None otherwise."""
    lc = results.lifecycle
    if lc is None:
        return None
    if lc.state == "公示" and lc.notice is not None:
        n = lc.notice
        window = f"{n.start.isoformat()} 至 {n.end.isoformat()}"
        return ResultState("notice", "公示中", f"公示中（公示期 {window}）",
                           f"本结果正在公示，公示期 {window}（{n.workdays} 个工作日）。对结果有异议的，"
                           f"请在公示期内提出：{n.how}；受理：{n.where}。公示期满、异议答复后定稿。", "公示稿")
    if lc.state == "定稿" and lc.final is not None:
        f = lc.final
        more = f"定稿后更正 {len(lc.corrections)} 次，见网站更正记录。" if lc.corrections else ""
        return ResultState("final", "已定稿", f"已定稿（{f.decision}）", f"{f.date.isoformat()} 定稿。{more}", "")
    return None


def year_state(results: Results) -> ResultState:
    """The state printed on the year's summary table and workbook."""
    if results.as_of is not None:
        return _in_progress(results)
    units = [u for u in results.units if u.provisional]
    if units:
        items = sum(_pending(u) for u in units)
        return ResultState("provisional", "暂定", "暂定",
                           f"有 {len(units)} 个单位尚有任务项待评（共 {items} 项），待评项暂按 0 分计入，"
                           "标“暂定”的得分和全部名次在评分完成前会变化。", "暂定")
    return _lifecycle(results) or ResultState("assessed", "已评定", "已评定", "全部单位的任务项均已评定。", "")


def _in_progress(results: Results) -> ResultState:
    """A year whose assessment period has not ended: nothing on paper is a result."""
    day = results.as_of.isoformat() if results.as_of else ""
    return ResultState("in_progress", "年度进行中", f"年度进行中（截至 {day}）",
                       f"{results.rules.year} 年度考核期尚未结束，本文书是截至 {day} 的进展，不是考核结果；"
                       "年终评分后才是考核结果。", "年度进行中")


# ------------------------------------------------------------------ formatting


class Numbers:
    """Display of exact numbers in the rules' places and rounding (core/display.py)."""

    def __init__(self, results: Results) -> None:
        self.places, self.rounding = results.rules.places, results.rules.rounding

    def num(self, value: Fraction | None) -> str:
        return "—" if value is None else display.fmt(value, self.places, self.rounding)

    def signed(self, value: Fraction) -> str:
        return display.fmt_signed(value, self.places, self.rounding)

    def plain(self, value: Fraction) -> str:
        return display.fmt_plain(value, self.places, self.rounding)


_CLAUSE = re.compile(r"[。；，：！？;]|,(?!\d)")  # (not the comma of "12,000")


def short_title(text: str, limit: int = 24) -> str:
    """An item's words cut to their first clause, at most ``limit`` characters:
    "年报公示工作。做好年报宣传工作……" -> "年报公示工作"."""
    head = _CLAUSE.split(text.strip(), 1)[0].strip() or text.strip()
    return head if len(head) <= limit else head[:limit - 1] + "…"


def cn_number(n: int) -> str:
    """A heading number in Chinese, 1..99: 一、二 … 十、十一 … 二十一."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string, safe inside a <style> element (a running header)."""
    out = []
    for ch in text:
        if ch in '\\"<>&' or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return Markup('"' + "".join(out) + '"')


def iso_date(date: _dt.datetime | None) -> str:
    """A document's creation date (W3C, UTC) from the build's source date; "" when unknown."""
    if date is None:
        return ""
    if date.tzinfo is not None:
        date = date.astimezone(_dt.UTC).replace(tzinfo=None)
    return date.strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ contexts


def _tied(results: Results, us: UnitScore, key: str) -> bool:
    rank = getattr(us, key)
    scope = results.units if key == "rank" else [u for u in results.units if u.unit.group == us.unit.group]
    return sum(1 for u in scope if getattr(u, key) == rank) > 1


def _item_row(it: ItemScore, n: Numbers) -> dict[str, Any]:
    return {"id": it.item.id, "title": short_title(it.item.text), "text": it.item.text,
            "max": n.plain(it.item.max),
            "score": n.num(it.score) if it.score is not None else ("年终计算" if it.state == "ongoing" else "待评"),
            "state": it.state, "extra": bool(it.extras)}


def _adjustment(adj: AdjustmentScore, n: Numbers) -> dict[str, Any]:
    sign = adj.rule.sign
    return {
        "id": adj.rule.id, "title": adj.rule.title, "bonus": sign > 0,
        "type": "加分" if sign > 0 else "减分",
        "total": n.signed(adj.signed),
        "capped": adj.raw != adj.amount,
        "raw": n.signed(sign * adj.raw),
        "cap": n.plain(adj.rule.cap) if adj.rule.cap is not None else "",
        "lines": [{"explain": ln.explain, "records": list(ln.records), "amount": n.signed(sign * ln.amount)}
                  for ln in adj.lines],
    }


def unit_summary(results: Results, us: UnitScore, n: Numbers | None = None) -> dict[str, Any]:
    """A unit's totals, ranks and state as every document prints them."""
    n = n or Numbers(results)
    state = unit_state(results, us)
    return {
        "slug": us.unit.slug, "name": us.unit.name,
        "group": results.rules.group_name(us.unit.group), "group_id": us.unit.group,
        "base": n.num(us.base), "bonus": n.num(us.bonus), "deduction": n.num(us.deduction),
        "total": n.num(us.total),
        "rank": us.rank, "rank_tied": _tied(results, us, "rank"),
        "group_rank": us.group_rank, "group_tied": _tied(results, us, "group_rank"),
        "unit_count": len(results.units),
        "group_size": sum(1 for u in results.units if u.unit.group == us.unit.group),
        "state": state,
        "unranked": results.as_of is not None,  # a year in progress ranks no one (口径15)
    }


def notice_context(results: Results, us: UnitScore) -> dict[str, Any]:
    """Everything a unit's result notice shows (templates: notice.html)."""
    n = Numbers(results)
    if us.sections:
        sections = [{"id": ss.section.id, "title": ss.section.title, "score": n.num(ss.score),
                     "weight": n.plain(ss.section.weight) if ss.section.weight != 1 else "",
                     "rows": [_item_row(it, n) for it in ss.items]} for ss in us.sections]
    else:
        sections = [{"id": "", "title": "", "score": n.num(us.base), "weight": "",
                     "rows": [_item_row(it, n) for it in us.items]}]
    adjustments = [_adjustment(adj, n) for adj in us.adjustments if adj.lines]
    return {
        "u": unit_summary(results, us, n),
        "stations": bool(us.sections),
        "sections": sections,
        "item_count": len(us.items),
        "pending": _pending(us),
        "adjustments": adjustments,
        "bonus_count": sum(1 for a in adjustments if a["bonus"]),
        "deduction_count": sum(1 for a in adjustments if not a["bonus"]),
        "bonus_signed": n.signed(us.bonus), "deduction_signed": n.signed(-us.deduction),
    }


def summary_context(results: Results) -> dict[str, Any]:
    """Everything the year's summary table shows (templates: summary.html)."""
    n = Numbers(results)
    rows = [unit_summary(results, us, n) for us in results.units]
    groups = []
    for g in results.rules.groups:
        members = sorted((r for r in rows if r["group_id"] == g.id), key=lambda r: r["group_rank"])
        if members:
            groups.append({"id": g.id, "name": g.name, "rows": members, "no": cn_number(len(groups) + 1)})
    return {"overall": rows, "groups": groups, "overall_no": cn_number(len(groups) + 1),
            "state": year_state(results),
            "provisional_count": sum(1 for us in results.units if us.provisional)}
