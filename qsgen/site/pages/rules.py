"""The rules page (rules.html): every item, every bonus and deduction with its amounts, and the 口径."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from qsgen.core import display
from qsgen.core.conditions import WHERE_OPS
from qsgen.core.kinds import KINDS
from qsgen.core.measures import MEASURES
from qsgen.core.model import LEVEL_NAMES, Amount, Part
from qsgen.site import changes
from qsgen.site.context import Site
from qsgen.site.labels import PROGRESS_NAMES, field_label, key_name, truthy, value_name
from qsgen.site.urls import unit_url

PATH = "rules.html"


def amount_text(site: Site, a: Amount, part: Part) -> str:
    """An Amount in Chinese words."""
    pl = site.plain
    if a.constant is not None:
        return f"{pl(a.constant)} 分"
    if a.tiers:
        label = field_label(part.kind, a.field)
        return "；".join(f"{label} ≥ {display.fmt_money(lo)}：{pl(v)} 分" for lo, v in a.tiers)
    if a.steps:
        return "；".join(f"≥ {pl(lo)}：{pl(v)} 分" for lo, v in a.steps) + "（按总数取一档）"
    if a.by and a.values:
        return "、".join(f"{key_name(k)} {pl(v)} 分" for k, v in a.values.items())
    if a.by and isinstance(a.times, dict):
        return "、".join(f"{key_name(k)} 每个 {pl(v)} 分" for k, v in a.times.items())
    if a.field and a.times is not None and not isinstance(a.times, dict):
        return f"{field_label(part.kind, a.field)} × {pl(a.times)} 分"
    if a.field:
        lo = pl(a.min) if a.min is not None else ""
        hi = pl(a.max) if a.max is not None else ""
        rng = f"（{lo}–{hi} 分）" if lo or hi else ""
        return f"按记录的“{field_label(part.kind, a.field)}”{rng}"
    if a.times is not None and not isinstance(a.times, dict):
        return f"每个 {pl(a.times)} 分"
    return ""


def per_text(part: Part) -> str:
    """What a part counts, in Chinese."""
    if part.per == "record":
        kind = KINDS.get(part.kind or "")
        name = kind.name if kind else (part.kind or "")
        cond = "，".join(f"{field_label(part.kind, k)}：{cond_text(v)}" for k, v in part.where.items())
        text = f"每条“{name}”记录" + (f"（{cond}）" if cond else "")
        if part.once:
            text += "，只计一次"
        return text + year_end_text(part)
    if part.per == "flag":
        return "考核办在评分文件中标记" + year_end_text(part)
    return MEASURES[part.per].page if part.per in MEASURES else part.per


def year_end_text(part: Part) -> str:
    """What a part marked ``year_end`` adds to its description."""
    return "（年终判定：年度进行中只显示预计，见口径）" if part.year_end else ""


def cond_text(v: Any) -> str:
    if isinstance(v, dict):
        parts = []
        for k, x in v.items():
            if k == "not":
                parts.append("否" if truthy(x) else f"不为 {value_name(x)}")
            else:
                parts.append(f"{(WHERE_OPS[k].symbol if k in WHERE_OPS else '') or k} {x}")
        return "，".join(parts)
    if isinstance(v, list):
        return "或".join(value_name(x) for x in v)
    return value_name(v)


def zero_text(label: str, value: Any) -> str:
    if truthy(value):
        return f"属{label}的计 0 分"
    return f"{label}为 {value_name(value)} 时计 0 分"


def applies_text(applies: dict[str, Any]) -> str:
    if not applies:
        return ""
    out = []
    for k, v in applies.items():
        if k == "case_quota":
            out.append("仅适用于有案件任务的单位" if truthy(v) else "仅适用于无案件任务的单位")
        elif k == "group":
            out.append(f"仅适用于：{v}")
        else:
            out.append(f"{k}：{v}")
    return "；".join(out)


def categories(aliases: dict[str, str]) -> list[dict[str, str]]:
    out: dict[str, list[str]] = {}
    for alias, canon in aliases.items():
        lst = out.setdefault(canon, [])
        if alias != canon:
            lst.append(alias)
    return [{"name": c, "aliases": "、".join(a)} for c, a in out.items()]


def rule_item(site: Site, it: Any) -> dict[str, Any]:
    return {"id": it.id, "text": it.text, "max": site.plain(it.max),
            "method": "按记录计算" if it.method == "quota" else "考核办评分",
            "progress": PROGRESS_NAMES.get(it.progress.type, it.progress.type) if it.progress else "",
            "extras": [f"{x.label or x.id}（{amount_text(site, x.amount, x)}）" for x in it.extras]}


def inputs(site: Site) -> tuple:
    """Besides code, templates and the year's rules: the previous year's rules (what changed),
    how approving works (when it is configured)."""
    policy = site.inputs.approval_rules
    previous = repr(site.previous_rules) if site.previous_rules is not None else None
    return (PATH, previous) if policy is None else (PATH, previous, policy)


def approval_rules(site: Site) -> dict[str, Any] | None:
    """The 审核与签名 section: who approves what (names only as configured)."""
    policy = site.inputs.approval_rules
    if policy is None:
        return None
    show_names, rows = policy
    return {"show_names": show_names,
            "departments": [{"name": name, "approves": "、".join(what),
                             "people": "、".join(people) if show_names else f"{count} 人"}
                            for name, what, people, count in rows]}


def render(site: Site) -> bytes:
    r = site.rules
    jiguan, stations = [], []
    seen_sections = None
    for u in r.units:
        entry = {"slug": u.slug, "name": u.name, "group": r.group_name(u.group),
                 "href": unit_url(u.slug),
                 "news_quota": "、".join(f"{LEVEL_NAMES[k]} {v}" for k, v in (u.news_quota or {}).items()),
                 "lead_target": u.lead_target,
                 "quota": [{"name": qp.name or "", "total": qp.total,
                            "minimums": "、".join(f"{c} {n}" for c, n in qp.minimums.items())}
                           for qp in (u.case_quota.parts if u.case_quota else [])],
                 "rows": [rule_item(site, it) for it in u.items] if not u.sections else [],
                 "total": site.plain(sum((it.max for it in u.items), Fraction(0)))}
        if u.sections:
            stations.append(entry)
            if seen_sections is None:
                seen_sections = [{"id": s.id, "title": s.title, "weight": site.plain(s.weight),
                                  "rows": [rule_item(site, it) for it in s.items],
                                  "total": site.plain(sum((it.max for it in s.items), Fraction(0)))}
                                 for s in u.sections]
        else:
            jiguan.append(entry)
    adjustments = [{
        "id": a.id, "type": "加分" if a.sign > 0 else "减分", "bonus": a.sign > 0,
        "title": a.title, "text": a.text, "note": a.note,
        "responsible": r.departments.get(a.responsible, a.responsible),
        "cap": site.plain(a.cap) if a.cap is not None else "",
        "applies": applies_text(a.applies_to),
        "parts": [{"label": pt.label or pt.id, "per": per_text(pt),
                   "amount": amount_text(site, pt.amount, pt),
                   "zero": "；".join(zero_text(field_label(pt.kind, k), v)
                                    for k, v in pt.zero_when.items())}
                  for pt in a.parts],
    } for a in r.adjustments]
    return site.render(
        PATH, "rules.html", "rules",
        rules_root=r.root,
        groups=[{"id": g.id, "name": g.name,
                 "count": sum(1 for u in r.units if u.group == g.id)} for g in r.groups],
        jiguan=jiguan, stations=stations, sections=seen_sections or [],
        adjustments=adjustments,
        interpretations=[{"id": i.id, "title": i.title, "text": i.text} for i in r.interpretations],
        categories=categories(r.case_categories),
        approvals=approval_rules(site),
        changes=changes.compare(site.previous_rules, r, site.plain) if site.previous_rules is not None else None,
        previous_year=site.previous_rules.year if site.previous_rules is not None else None,
    )
