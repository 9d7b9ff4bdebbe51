"""A part: one way an adjustment rule or an item extra earns points (per, kind, where, amount)."""

from __future__ import annotations

from qsgen.core.kinds import KINDS
from qsgen.core.measures import MEASURES
from qsgen.core.model import Amount, Part, Source
from qsgen.rules.amounts import check_amount_use, convert_amount
from qsgen.rules.conditions import convert_where
from qsgen.rules.schema import Ctx, Invalid, Obj, choices_text, guess


def build_part(obj: Obj, ctx: Ctx, rule_id: str) -> Part | None:
    """A Part from its converted mapping, checked against kinds and measures."""
    ok = True
    per, kind = obj.per, obj.kind
    if per is None:
        return None
    if per not in ("record", "flag") and per not in MEASURES:
        ctx.error(obj.value_node("per"), f"未知的计分依据“{per}”",
                  guess(per, ["record", "flag", *MEASURES], f"可用：record、flag、{choices_text(MEASURES)}"))
        ok = False
    if per == "record":
        if kind is None:
            ctx.error(obj.at("per"), "per: record 需要写 kind（记录类型）",
                      f"可用：{choices_text(KINDS)}")
            ok = False
        elif kind not in KINDS:
            ctx.error(obj.value_node("kind"), f"未知的记录类型“{kind}”",
                      guess(kind, KINDS, f"可用：{choices_text(KINDS)}"))
            ok = False
    elif kind is not None:
        ctx.error(obj.value_node("kind"), f"per: {per} 不按记录计分，不能写 kind", "删掉 kind，或改为 per: record")
        ok = False
    known_kind = kind if per == "record" and kind in KINDS else None
    where, zero_when = {}, {}
    try:
        where = convert_where(obj.where, known_kind, ctx, "where")
        zero_when = convert_where(obj.zero_when, known_kind, ctx, "zero_when")
    except Invalid as e:
        ctx.invalid(e, obj.node)
        ok = False
    amount = Amount()
    amount_node = obj.value_node("amount")
    if amount_node is not None:
        try:
            amount, form = convert_amount(amount_node, ctx)
            ok = check_amount_use(amount, form, per, known_kind, amount_node, ctx) and ok
        except Invalid as e:
            ctx.invalid(e, amount_node)
            ok = False
    if not ok:
        return None
    return Part(id=obj.id, per=per, label=obj.label or "", kind=kind if per == "record" else None,
                where=where, amount=amount, zero_when=zero_when, once=bool(obj.once),
                source=Source(ctx.path, obj.node.line, obj.node.col), year_end=bool(obj.year_end))
