"""``where`` / ``zero_when`` conditions of a rule part: record fields, their values, the operators."""

from __future__ import annotations

from typing import Any

from qsgen.core.conditions import WHERE_OPS
from qsgen.core.kinds import KINDS, LEVEL_ALIASES, FieldSpec
from qsgen.core.yamlsafe import Node
from qsgen.rules.schema import Bool, Choice, Ctx, Date, Invalid, Number, Text, choices_text, guess, key_pos

# Fields derived from a record by the scoring engine (口径7), usable in ``where``/``by``.
DERIVED_FIELDS: dict[str, dict[str, FieldSpec]] = {
    "news": {"effective_level": FieldSpec("enum", False, LEVEL_ALIASES, label="最高级别")},
}


def fields_of(kind: str) -> dict[str, FieldSpec]:
    """The fields a condition or an amount may name for records of ``kind``."""
    return {**KINDS[kind].all_fields, **DERIVED_FIELDS.get(kind, {})}


def field_value(spec: FieldSpec, node: Node, ctx: Ctx) -> Any:
    """A where-value converted like the record field it is compared with (canonical)."""
    if spec.type == "enum":
        choices = ctx.categories if spec.choices == "case_category" else spec.choices
        return Choice(choices or {}, spec.label or "值").convert(node, ctx)
    if spec.type == "bool":
        return Bool().convert(node, ctx)
    if spec.type in ("int", "decimal"):
        return Number().convert(node, ctx)
    if spec.type == "date":
        return Date().convert(node, ctx)
    return Text(empty=True).convert(node, ctx)


def convert_where(node: Node | None, kind: str | None, ctx: Ctx, what: str = "where") -> dict[str, Any]:
    if node is None:
        return {}
    if not node.is_map:
        raise Invalid(f"{what} 应是“字段: 值”的形式", node=node)
    if kind is None or kind not in KINDS:
        if node.value:
            ctx.error(node, f"{what} 只能用于 per: record 且 kind 已知的计分方式")
        return {}
    fields = fields_of(kind)
    out: dict[str, Any] = {}
    for name, child in node.value.items():
        if name not in fields:
            ctx.error(key_pos(node, name), f"记录类型 {kind} 没有字段“{name}”（{what}）",
                      guess(name, fields, f"可用：{choices_text(fields)}"))
            continue
        spec = fields[name]
        try:
            if child.is_list:
                out[name] = [field_value(spec, c, ctx) for c in child.value]
            elif child.is_map:
                out[name] = _operators(spec, child, ctx)
            else:
                out[name] = field_value(spec, child, ctx)
        except Invalid as e:
            ctx.invalid(e, child)
    return out


def _operators(spec: FieldSpec, node: Node, ctx: Ctx) -> dict[str, Any]:
    """``{gt: 0}``, ``{in: [a, b]}``, …: each operand converted as its operator says."""
    cond: dict[str, Any] = {}
    for op, v in node.value.items():
        if op not in WHERE_OPS:
            raise Invalid(f"未知的比较方式“{op}”", guess(op, WHERE_OPS, f"可用：{choices_text(WHERE_OPS)}"),
                          pos=key_pos(node, op))
        operand = WHERE_OPS[op].operand
        if operand == "number":
            cond[op] = Number().convert(v, ctx)
        elif operand == "values":
            cond[op] = [field_value(spec, c, ctx) for c in (v.value if v.is_list else [v])]
        else:
            cond[op] = field_value(spec, v, ctx)
    return cond
