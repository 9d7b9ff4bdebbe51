"""`qsgen rules [--year N]`: load the rules and print a readable summary in Chinese."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qsgen.core.model import LEVEL_NAMES, LEVELS, Rules, Unit
from qsgen.rules import describe_part, load_rules, num


def register(sub) -> None:
    p = sub.add_parser(
        "rules",
        help="列出已加载的考核规则（单位、任务项、加减分、口径）",
        description="读取并校验 rules/<年度>/ 下的考核规则，打印摘要：各组单位的任务项数、分值、"
                    "新闻报道任务、线索任务、案件任务，加减分项目及其责任股室，以及全部口径。\n\n"
                    "例：qsgen rules            （最新年度）\n"
                    "    qsgen rules --year 2023",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--year", type=int, default=None, help="考核年度（默认 rules/ 下最新的年度）")
    p.set_defaults(run=run)


def run(args) -> int:
    root = Path(getattr(args, "root", ".") or ".")
    rules, diags = load_rules(root, getattr(args, "year", None))
    for d in diags:
        print(d.format_text(), file=sys.stderr)
    if rules is None:
        print("考核规则有错误，请先改正上面的问题。", file=sys.stderr)
        return 1
    print(summary(rules))
    return 0


def _news(unit: Unit) -> str:
    if unit.news_quota is None:
        return "无"
    total = sum(unit.news_quota.values())
    return f"{total}篇（" + "/".join(f"{LEVEL_NAMES[lv]}{unit.news_quota[lv]}" for lv in LEVELS
                                    if lv in unit.news_quota) + "）"


def _cases(unit: Unit) -> str:
    quota = unit.case_quota
    if quota is None:
        return "无"
    parts = []
    for p in quota.parts:
        mins = "、".join(f"{c}{n}" for c, n in p.minimums.items())
        parts.append(f"{p.name + ' ' if p.name else ''}{p.total}件" + (f"（{mins}）" if mins else ""))
    return "；".join(parts)


def summary(rules: Rules) -> str:
    """The readable Chinese summary printed by `qsgen rules`."""
    out = [
        f"{rules.title}（{rules.document}）" if rules.document else rules.title,
        f"规则文件夹：{rules.root}/",
        f"考核期：{rules.period[0].isoformat()} 至 {rules.period[1].isoformat()}",
        f"显示：保留 {rules.places} 位小数，舍入方式 {rules.rounding}（计算全程精确）",
        "",
    ]
    for g in rules.groups:
        units = [u for u in rules.units if u.group == g.id]
        out.append(f"【{g.name}】{len(units)} 个单位")
        for u in units:
            points = sum((i.max for i in u.items), 0)
            shape = (f"{len(u.sections)} 节 {len(u.items)} 项，每节 100 分" if u.sections
                     else f"{len(u.items)} 项 {num(points)} 分")
            out.append(f"  {u.slug:<12} {u.name}")
            out.append(f"      {shape}；新闻报道：{_news(u)}；案件线索："
                       f"{str(u.lead_target) + '条' if u.lead_target is not None else '无'}；案件任务：{_cases(u)}")
        out.append("")
    out.append(f"【加减分项目】{len(rules.adjustments)} 条")
    for a in rules.adjustments:
        sign = "加分" if a.sign > 0 else "减分"
        resp = rules.departments.get(a.responsible, a.responsible)
        extra = []
        if a.cap is not None:
            extra.append(f"最高 {num(a.cap)} 分")
        if a.applies_to:
            extra.append("适用：" + "、".join(_applies(k, v) for k, v in a.applies_to.items()))
        out.append(f"  {a.id:<4} {sign} {a.title}（{resp}负责）" + (f"；{'；'.join(extra)}" if extra else ""))
        for p in a.parts:
            out.append(f"       - {describe_part(p)}")
    out.append("")
    out.append(f"【口径】{len(rules.interpretations)} 条")
    for i in rules.interpretations:
        out.append(f"  口径{i.id} {i.title}：{i.text}")
    return "\n".join(out)


def _applies(key: str, value) -> str:
    names = {"case_quota": "案件任务数", "news_quota": "新闻报道任务", "lead_target": "案件线索任务",
             "teams": "分队"}
    if key in names:
        return f"{'有' if value else '没有'}{names[key]}的单位"
    if key == "group":
        return f"分组 {value}"
    return f"单位 {'、'.join(value) if isinstance(value, list) else value}"
