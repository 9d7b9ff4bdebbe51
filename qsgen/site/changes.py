"""What changed in the rules from one year to the next, derived from the two years' rules (no hand-written list)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from qsgen.core.model import AdjustmentRule, Item, Rules, Unit


@dataclass
class RulesChanges:
    """Each list holds Chinese sentences a reader can check against both rules pages."""

    units: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    adjustments: list[str] = field(default_factory=list)
    interpretations: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.units or self.items or self.adjustments or self.interpretations)


def _pts(x: Fraction, plain: Any) -> str:
    return f"{plain(x)} 分"


def _items(label: str, old: list[Item], new: list[Item], plain: Any) -> list[str]:
    before, after = {i.id: i for i in old}, {i.id: i for i in new}
    out = []
    for iid, it in after.items():
        prev = before.get(iid)
        if prev is None:
            out.append(f"{label}新增任务项 {iid}（{_pts(it.max, plain)}）：{it.text}")
            continue
        what = []
        if prev.max != it.max:
            what.append(f"分值 {_pts(prev.max, plain)} → {_pts(it.max, plain)}")
        if prev.method != it.method:
            what.append("计分方式改为" + ("按记录计算" if it.method == "quota" else "考核办评分"))
        if _quota(prev) != _quota(it):
            what.append(f"案件任务 {_quota(prev)} → {_quota(it)}")
        if prev.text != it.text:
            what.append("任务内容的文字有改动")
        if what:
            out.append(f"{label}任务项 {iid}：" + "；".join(what))
    for iid, it in before.items():
        if iid not in after:
            out.append(f"{label}删去任务项 {iid}（{_pts(it.max, plain)}）：{it.text}")
    return out


def _quota(it: Item) -> str:
    if it.quota is None:
        return "无"
    return "、".join(f"{p.name + ' ' if p.name else ''}{p.total} 件" for p in it.quota.parts)


def _amounts(rule: AdjustmentRule) -> list[Any]:
    return [(p.id, p.per, p.kind, repr(p.where), repr(p.amount), repr(p.zero_when), p.once, p.year_end)
            for p in rule.parts]


def _predecessors(u: Unit, before: dict[str, Unit]) -> list[Unit]:
    return [before[s] for s in (u.previous or [u.slug]) if s in before]


def _units(old: Rules, new: Rules, plain: Any, out: RulesChanges) -> None:
    before = {u.slug: u for u in old.units}
    successors: dict[str, list[Unit]] = {}
    for u in new.units:
        for p in _predecessors(u, before):
            successors.setdefault(p.slug, []).append(u)
    told: set[str] = set()
    for u in new.units:
        prev = _predecessors(u, before)
        if not prev:
            out.units.append(f"新增考核单位：{u.name}")
        elif len(prev) > 1:
            out.units.append(f"{'、'.join(p.name for p in prev)} 合并为 {u.name}")
        elif len(successors[prev[0].slug]) > 1:
            if prev[0].slug not in told:
                told.add(prev[0].slug)
                out.units.append(f"{prev[0].name} 拆分为 {'、'.join(s.name for s in successors[prev[0].slug])}")
        elif prev[0].name != u.name or prev[0].slug != u.slug:
            out.units.append(f"{prev[0].name} 改名为 {u.name}")
    for u in old.units:
        if u.slug not in successors:
            out.units.append(f"不再考核：{u.name}")
    _stations(old, new, plain, out)
    for u in new.units:
        prev = _predecessors(u, before)
        if not u.sections and len(prev) == 1 and not prev[0].sections:
            out.items += _items(f"{u.name}：", prev[0].items, u.items, plain)
            _quotas(prev[0], u, out)


def _stations(old: Rules, new: Rules, plain: Any, out: RulesChanges) -> None:
    """基层所 share one template of sections: compared once."""
    o = next((u for u in old.units if u.sections), None)
    n = next((u for u in new.units if u.sections), None)
    if o is None or n is None:
        return
    out.items += _items("基层所", [i for s in o.sections for i in s.items], [i for s in n.sections for i in s.items],
                        plain)


def _quotas(prev: Unit, u: Unit, out: RulesChanges) -> None:
    if prev.news_quota != u.news_quota:
        out.items.append(f"{u.name}：信息任务 {_news(prev.news_quota)} → {_news(u.news_quota)}")
    if prev.lead_target != u.lead_target:
        out.items.append(f"{u.name}：案件线索目标 {prev.lead_target or '无'} → {u.lead_target or '无'}")


def _news(q: dict[str, int] | None) -> str:
    from qsgen.core.model import LEVEL_NAMES

    return "、".join(f"{LEVEL_NAMES.get(k, k)} {v}" for k, v in q.items()) if q else "无"


def _adjustments(old: Rules, new: Rules, plain: Any, out: RulesChanges) -> None:
    before = {a.id: a for a in old.adjustments}
    after = {a.id: a for a in new.adjustments}
    for aid, a in after.items():
        prev = before.get(aid)
        if prev is None:
            out.adjustments.append(f"新增{'加分' if a.sign > 0 else '减分'}项目 {aid} {a.title}")
            continue
        what = []
        if prev.cap != a.cap:
            what.append(f"上限 {plain(prev.cap) if prev.cap is not None else '无'} → {plain(a.cap) if a.cap is not None else '无'}")
        if _amounts(prev) != _amounts(a):
            what.append("计分办法或分值有改动")
        if prev.title != a.title:
            what.append(f"名称改为“{a.title}”")
        if prev.responsible != a.responsible:
            what.append(f"责任股室 {old.departments.get(prev.responsible, prev.responsible)} → "
                        f"{new.departments.get(a.responsible, a.responsible)}")
        if what:
            out.adjustments.append(f"{aid} {a.title}：" + "；".join(what))
    for aid, a in before.items():
        if aid not in after:
            out.adjustments.append(f"删去{'加分' if a.sign > 0 else '减分'}项目 {aid} {a.title}")


def _interpretations(old: Rules, new: Rules, out: RulesChanges) -> None:
    before = {i.id: i for i in old.interpretations}
    after = {i.id: i for i in new.interpretations}
    for iid, i in after.items():
        prev = before.get(iid)
        if prev is None:
            out.interpretations.append(f"新增口径 {iid}：{i.title}")
        elif (prev.title, prev.text) != (i.title, i.text):
            out.interpretations.append(f"口径 {iid}（{i.title}）有改动")
    for iid, i in before.items():
        if iid not in after:
            out.interpretations.append(f"删去口径 {iid}：{i.title}")


def compare(old: Rules, new: Rules, plain: Any) -> RulesChanges:
    """What ``new`` (a year's rules) changes against ``old`` (the year before): units added,
    removed, renamed, merged or split; items added, removed or with other points, method or
    quota; adjustment rules added, removed or with another cap, amount or responsible
    department; 口径 added, removed or reworded. ``plain`` formats a number."""
    out = RulesChanges()
    _units(old, new, plain, out)
    _adjustments(old, new, plain, out)
    _interpretations(old, new, out)
    return out
