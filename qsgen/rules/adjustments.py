"""Adjustment rules of adjustments.yaml (B1…, D1…): responsible department, scope (applies_to), parts."""

from __future__ import annotations

from typing import Any

from qsgen.core.model import AdjustmentRule, Source
from qsgen.rules.files import APPLIES_TO_BOOL
from qsgen.rules.parts import build_part
from qsgen.rules.schema import Ctx, Invalid, ListOf, Obj, Text, choices_text, guess, unique_ids


def build_adjustment(o: Obj, ctx: Ctx, departments: dict[str, str], group_ids: list[str],
                     unit_slugs: list[str]) -> AdjustmentRule | None:
    ok = True
    if o.responsible is not None and o.responsible not in departments:
        ctx.error(o.value_node("responsible"), f"未知的考核责任部门“{o.responsible}”",
                  guess(o.responsible, departments, f"assessment.yaml 的 departments：{choices_text(departments)}"))
        ok = False
    applies: dict[str, Any] = {}
    if o.applies_to is not None:
        ok = _applies_to(o.applies_to, ctx, group_ids, unit_slugs, applies) and ok
    parts = []
    for p in unique_ids(o.parts or [], ctx, "计分方式"):
        part = build_part(p, ctx, o.id)
        if part is None:
            ok = False
        else:
            parts.append(part)
    if not ok or o.id is None or o.type is None:
        return None
    return AdjustmentRule(id=o.id, sign=1 if o.type == "bonus" else -1, title=o.title or "", text=o.text or "",
                          responsible=o.responsible or "", parts=parts, cap=o.cap, applies_to=applies,
                          note=o.note or "", source=Source(ctx.path, o.node.line, o.node.col))


def _applies_to(at: Obj, ctx: Ctx, group_ids: list[str], unit_slugs: list[str], applies: dict[str, Any]) -> bool:
    """Fill ``applies`` from the rule's ``applies_to``; False when a group or unit is unknown."""
    ok = True
    for k in APPLIES_TO_BOOL:
        if at.values.get(k) is not None:
            applies[k] = at.values[k]
    gnode = at.value_node("group")
    if gnode is not None:
        try:
            groups = ListOf(Text()).convert(gnode, ctx) if gnode.is_list else [Text().convert(gnode, ctx)]
        except Invalid as e:
            ctx.invalid(e, gnode)
            groups = []
        for g in groups:
            if g not in group_ids:
                ctx.error(gnode, f"未知的分组“{g}”", guess(g, group_ids, f"可用：{choices_text(group_ids)}"))
                ok = False
        applies["group"] = groups if gnode.is_list else (groups[0] if groups else None)
    if at.units is not None:
        for slug in at.units:
            if slug not in unit_slugs:
                ctx.error(at.value_node("units"), f"未知的单位“{slug}”", guess(slug, unit_slugs))
                ok = False
        applies["units"] = list(at.units)
    return ok
