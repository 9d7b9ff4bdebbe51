"""Units: what every unit has (slug, group, news quota) and the 机关 units of units.yaml."""

from __future__ import annotations

import re
from fractions import Fraction

from qsgen.core.model import LEVELS, Source, Unit
from qsgen.rules.files import UNIT
from qsgen.rules.items import build_items, check_total
from qsgen.rules.schema import Ctx, Obj, choices_text, guess


def build_jiguan(u: Obj, ctx: Ctx, group_ids: list[str]) -> Unit | None:
    if u.slug is None or u.items is None:
        return None
    check_group(u, ctx, group_ids)
    teams = u.teams or []
    seen: dict[str, int] = {}
    # a misspelt unit key is already reported; do not repeat it as "needs lead_target" on the items
    clean = all(k in UNIT.options for k in u.node.value)
    items = build_items(u.items, ctx, re.compile(r"^t\d\d$"), "机关单位的任务项编号写成 t01、t02……",
                        None, teams, "none", seen, u if clean else None)
    if len(items) == len(u.items):
        check_total(items, Fraction(100), u.at("items"), ctx, f"{u.name or u.slug}：")
    return Unit(slug=u.slug, name=u.name or u.slug, group=u.group or "", items=items,
                news_quota=news_quota(u), lead_target=u.lead_target, teams=list(teams),
                source=Source(ctx.path, u.node.line, u.node.col), previous=list(u.previous or []))


def check_group(obj: Obj, ctx: Ctx, group_ids: list[str]) -> bool:
    if obj.group is not None and obj.group not in group_ids:
        ctx.error(obj.value_node("group"), f"未知的分组“{obj.group}”",
                  guess(obj.group, group_ids, f"assessment.yaml 中的分组：{choices_text(group_ids)}"))
        return False
    return True


def news_quota(obj: Obj) -> dict[str, int] | None:
    if obj.news_quota is None:
        return None
    return {lv: obj.news_quota[lv] for lv in LEVELS if lv in obj.news_quota}


def slug_ok(unit: Unit, obj: Obj, ctx: Ctx, seen: dict[str, str]) -> bool:
    """Whether the unit's slug is new across units.yaml and stations.yaml (``seen``: slug -> where)."""
    if unit.slug in seen:
        ctx.error(obj.value_node("slug"), f"单位 slug“{unit.slug}”重复（已在 {seen[unit.slug]} 中使用）")
        return False
    seen[unit.slug] = f"{ctx.path}:{obj.value_node('slug').line}"
    return True
