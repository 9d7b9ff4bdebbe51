"""assessment.yaml → Assessment: the assessment office's judged score of each of a unit's items."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from fractions import Fraction
from typing import Any

from qsgen.core.hints import did_you_mean
from qsgen.core.kinds import FieldSpec
from qsgen.core.model import Assessment, Judgement, Unit, to_fraction
from qsgen.records.fields import ABSENT, INVALID, FieldContext, convert, cut_by_comma, quote
from qsgen.records.files import FileReport, FileResult, LoadContext, UnitFolder
from qsgen.records.frontmatter import ITEM_ID_RE, parse_yaml
from qsgen.records.record import ids_text, nearest_item

ASSESSMENT_FILE = "assessment.yaml"


def read_assessment(ctx: LoadContext, folder: UnitFolder, path: str, text: str) -> FileResult:
    """The assessment in ``text`` (the assessment file of ``folder``) and its errors; no
    assessment when the file cannot be read as “key: value” lines."""
    report = FileReport(path)
    unit = folder.unit
    root, diags = parse_yaml(text, path, 1)
    report.errors(diags)
    if root is None:
        return report.result()
    if not isinstance(root.value, dict):
        report.error(root.line, root.col, "评分文件应当是“字段名: 值”的形式",
                     "例如：\nitems:\n  t01: {score: 9.5, note: 说明}\nassessor: 考核办\ndate: 2024-01-10")
        return report.result()
    fctx = report.fields(ctx, period=False)
    result = Assessment(unit=unit.slug, path=path)
    top = {"items": None, "assessor": FieldSpec("text", label="评分人"),
           "date": FieldSpec("date", label="评分日期")}
    for key, node in root.value.items():
        if key not in top:
            hint = did_you_mean(key, list(top))
            if not hint and (key in ctx.item_ids.get(unit.slug, {}) or ITEM_ID_RE.fullmatch(key)):
                hint = f"任务项的评分要写在 items: 下面，缩进两个空格：\n      items:\n        {key}: {{score: …}}"
            report.error(node.key_line, root.col, f"评分文件中不认识的字段{quote(key)}",
                         hint or "评分文件只写 items、assessor、date")
            continue
        if key == "items":
            _judgements(ctx, report, node, unit, fctx, result)
            continue
        v = convert(key, top[key], node, fctx)
        if v is not INVALID and v is not ABSENT:
            setattr(result, key, v)
    if fctx.errors:
        report.bad = True
    return report.result(assessment=result)


def _judgements(ctx: LoadContext, report: FileReport, node: Any, unit: Unit, fctx: FieldContext,
                result: Assessment) -> None:
    """The items: judgements (score, note, extra points' conditions) into ``result``."""
    if node.value == "":
        return
    if not isinstance(node.value, dict):
        report.error(node.line, node.col, "items 下面应当是“任务项: 评分”，一项一行",
                     "例如：\n      items:\n        t01: {score: 9.5}")
        return
    items = ctx.item_ids.get(unit.slug, {})
    score_spec = FieldSpec("decimal", True, label="得分")
    note_spec = FieldSpec("text", label="说明")
    seen: dict[str, int] = {}  # item id -> line, for ｔ０１ and t01 both written
    for item_id, jnode in node.value.items():
        item = items.get(item_id) or items.get(unicodedata.normalize("NFKC", item_id).strip())
        if item is not None and item.id in seen:
            report.error(jnode.key_line, node.col,
                         f"任务项 {item.id} 写了两次（另见第 {seen[item.id]} 行）",
                         "每个任务项只写一次，请删掉或合并其中一处")
            continue
        if item is not None:
            seen[item.id] = jnode.key_line
        if item is None:
            best = nearest_item(item_id, list(items))
            report.error(jnode.key_line, node.col, f"{unit.name}没有任务项{quote(item_id)}",
                         (f"是不是想写 {best}？" if best else "") + "任务项有：" + ids_text(list(items)))
            continue
        flag_ids = [p.id for p in item.extras if p.per == "flag"]
        entries = jnode.value if isinstance(jnode.value, dict) else {"score": jnode}
        score = None
        note = ""
        flags: dict[str, bool] = {}
        ok = True
        for key, sub in entries.items():
            if key == "score":
                if item.method == "quota":
                    report.error(sub.line, sub.col,
                                 f"{item_id} 是按佐证记录自动计算的任务项，不能打分",
                                 "删掉这一项的 score；它的得分由案件等记录按任务数自动算出")
                    ok = False
                    continue
                v = convert(f"{item_id} 的 score", score_spec, sub, fctx)
                if v is INVALID:
                    ok = False
                    continue
                frac = to_fraction(v)
                if frac < 0:
                    report.error(sub.line, sub.col, f"{item_id} 的得分不能是负数：{quote(sub.value)}",
                                 f"请填 0 到 {_num(item.max)} 之间的数")
                    ok = False
                elif frac > item.max:
                    report.error(sub.line, sub.col,
                                 f"{item_id} 的得分 {sub.value.strip()} 超过了这一项的满分 {_num(item.max)}",
                                 f"请填 0 到 {_num(item.max)} 之间的数"
                                 + ("；额外加分的条件写成 " + "、".join(f"{f}: true" for f in flag_ids)
                                    + "，由程序加分" if flag_ids else ""))
                    ok = False
                else:
                    score = frac
            elif key == "note":
                v = convert("note", note_spec, sub, fctx)
                if v is INVALID:
                    ok = False
                elif v is not ABSENT:
                    note = v
            elif key in flag_ids:
                v = convert(key, FieldSpec("bool", label="加分条件"), sub, fctx)
                if v is INVALID:
                    ok = False
                elif v is not ABSENT:
                    flags[key] = v
            else:
                allowed = ["score", "note", *flag_ids]
                report.error(sub.key_line, jnode.col, f"{item_id} 下面不认识的字段{quote(key)}",
                             cut_by_comma(key, sub)
                             or (did_you_mean(key, allowed) or "") + "可以写：" + "、".join(allowed))
                ok = False
        if not ok:
            continue
        if score is None and item.method != "quota":
            report.error(jnode.key_line, node.col, f"{item_id} 没有写得分 score",
                         f"写成 {item_id}: {{score: 9.5}}；还没评分的任务项请整项删掉（显示为待评）")
            continue
        result.items[item.id] = Judgement(score=score if score is not None else to_fraction(0),
                                          note=note, flags=flags, line=jnode.key_line)


def _num(value: Fraction) -> str:
    """An exact number as short text: 10, 7.5 (never through a binary float)."""
    if value.denominator == 1:
        return str(value.numerator)
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
