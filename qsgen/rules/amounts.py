"""The amount of a rule part: its forms (a number, {by, values}, {tiers}, {steps}, …) and where each fits."""

from __future__ import annotations

from fractions import Fraction

from qsgen.core.kinds import LEVEL_ALIASES
from qsgen.core.measures import MEASURES
from qsgen.core.model import Amount
from qsgen.core.yamlsafe import Node
from qsgen.rules.conditions import fields_of
from qsgen.rules.schema import Ctx, Invalid, MapOf, Number, Text, choices_text, guess, key_pos

AMOUNT_KEYS = ("by", "values", "field", "min", "max", "times", "tiers", "steps")
RECORD_FORMS = {"values", "range", "field_times", "tiers"}
MEASURE_FORMS = {"by_times", "times", "steps"}
FORM_NAMES = {
    "constant": "固定分值", "values": "按字段取值（by + values）", "range": "记录给出分值（field + min/max）",
    "field_times": "字段乘以倍数（field + times）", "tiers": "分档（tiers + field）",
    "by_times": "按级别乘以倍率（by + times）", "times": "度量乘以倍率（times）", "steps": "按总数分档（steps）",
}


def convert_amount(node: Node, ctx: Ctx) -> tuple[Amount, str]:
    """Structure of an amount: exactly one form. Returns (Amount, form name)."""
    if node.is_scalar:
        return Amount(constant=Number(min=0).convert(node, ctx)), "constant"
    if not node.is_map:
        raise Invalid("amount 应是一个数字或“字段: 值”的形式", node=node)
    keys = set(node.value)
    for k in keys - set(AMOUNT_KEYS):
        raise Invalid(f"金额中的未知字段“{k}”", guess(k, AMOUNT_KEYS, f"可用：{choices_text(AMOUNT_KEYS)}"),
                      pos=key_pos(node, k))
    anchors = [a for a in ("values", "tiers", "steps") if a in keys]
    if keys & {"min", "max"}:
        anchors.append("range")
    if "times" in keys:
        anchors.append("times")
    where = (node.key_line, node.col)
    if not anchors:
        raise Invalid("金额没有给出计算方式", "写一种：数字、{by, values}、{field, min, max}、{field, times}、"
                      "{tiers, field}、{times}、{by, times} 或 {steps}", pos=where)
    if len(anchors) > 1:
        raise Invalid(f"金额同时给出了多种计算方式：{choices_text(anchors)}", "每个 amount 只能用一种写法",
                      pos=where)
    v = node.value
    a = Amount()
    anchor = anchors[0]
    if anchor == "values":
        form, need, allowed = "values", {"by"}, {"by", "values"}
        a.by = Text().convert(v["by"], ctx) if "by" in v else None
        a.values = MapOf(Text(), Number(min=0)).convert(v["values"], ctx)
    elif anchor == "range":
        form, need, allowed = "range", {"field", "min", "max"}, {"field", "min", "max"}
        a.field = Text().convert(v["field"], ctx) if "field" in v else None
        a.min = Number(min=0).convert(v["min"], ctx) if "min" in v else None
        a.max = Number(min=0).convert(v["max"], ctx) if "max" in v else None
        if a.min is not None and a.max is not None and a.min > a.max:
            raise Invalid("金额的 min 大于 max", node=v["min"])
    elif anchor == "tiers":
        form, need, allowed = "tiers", {"field"}, {"field", "tiers"}
        a.field = Text().convert(v["field"], ctx) if "field" in v else None
        a.tiers = _pairs(v["tiers"], ctx)
    elif anchor == "steps":
        form, need, allowed = "steps", set(), {"steps"}
        a.steps = _pairs(v["steps"], ctx)
    else:  # times
        t = v["times"]
        if "by" in v:
            form, need, allowed = "by_times", {"by"}, {"by", "times"}
            a.by = Text().convert(v["by"], ctx)
            a.times = MapOf(Text(), Number(min=0)).convert(t, ctx)
        elif "field" in v:
            form, need, allowed = "field_times", {"field"}, {"field", "times"}
            a.field = Text().convert(v["field"], ctx)
            a.times = Number(min=0).convert(t, ctx)
        else:
            form, need, allowed = "times", set(), {"times"}
            a.times = Number(min=0).convert(t, ctx)
    missing = need - keys
    if missing:
        raise Invalid(f"金额（{FORM_NAMES[form]}）缺少 {choices_text(sorted(missing))}", pos=where)
    extra = keys - allowed
    if extra:
        raise Invalid(f"金额（{FORM_NAMES[form]}）不能同时写 {choices_text(sorted(extra))}",
                      "每个 amount 只能用一种写法", pos=where)
    return a, form


def _pairs(node: Node, ctx: Ctx) -> list[tuple[Fraction, Fraction]]:
    if not node.is_list:
        raise Invalid("这里应是列表，每一档写成 [下限, 分值]，例如 [[10000, 1], [50000, 2]]", node=node)
    out = []
    for child in node.value:
        if not child.is_list or len(child.value) != 2:
            raise Invalid("每一档写成 [下限, 分值]，例如 [10000, 1]", node=child)
        out.append((Number().convert(child.value[0], ctx), Number(min=0).convert(child.value[1], ctx)))
    lows = [lo for lo, _ in out]
    if lows != sorted(lows) or len(set(lows)) != len(lows):
        raise Invalid("各档的下限必须从小到大排列、不能重复", node=node)
    return out


def check_amount_use(a: Amount, form: str, per: str, kind: str | None, node: Node, ctx: Ctx) -> bool:
    """Whether the amount's form fits the part's ``per`` (and the fields of ``kind``); keys made canonical."""
    pos = (node.key_line, node.col)
    is_record = per == "record"
    if form in RECORD_FORMS and not is_record:
        ctx.error(pos, f"金额写法“{FORM_NAMES[form]}”只能用于 per: record", "度量请用 {times}、{by, times} 或 {steps}")
        return False
    if form in MEASURE_FORMS and per not in MEASURES:
        ctx.error(pos, f"金额写法“{FORM_NAMES[form]}”只能用于度量（per: {'/'.join(MEASURES)}）",
                  "按记录计分请用数字、{by, values}、{field, min, max}、{field, times} 或 {tiers, field}")
        return False
    if is_record and kind is not None:
        fields = fields_of(kind)
        name = a.by if form == "values" else a.field
        if name is not None and name not in fields:
            ctx.error(pos, f"记录类型 {kind} 没有字段“{name}”（amount）",
                      guess(name, fields, f"可用：{choices_text(fields)}"))
            return False
        if form == "values" and a.values is not None:
            spec = fields[name]
            if spec.type == "enum":
                choices = ctx.categories if spec.choices == "case_category" else spec.choices
                canon: dict[str, Fraction] = {}
                for key, val in a.values.items():
                    if key not in (choices or {}):
                        ctx.error(pos, f"“{key}”不是字段 {name} 的可用值", guess(key, choices or {}))
                        return False
                    canon[choices[key]] = val
                a.values = canon
    if per in MEASURES and form in ("by_times", "values"):
        keyed = MEASURES[per].by
        if keyed is None or a.by != keyed:
            ctx.error(pos, f"度量 {per} 不能按“{a.by}”分别计算",
                      f"{per} 可用 by: {keyed}" if keyed else f"{per} 是一个总数，请用 {{times: …}}")
            return False
        table = a.times if form == "by_times" else a.values
        canon = {}
        for key, val in (table or {}).items():
            if key not in LEVEL_ALIASES:
                ctx.error(pos, f"“{key}”不是级别", "可用：national、provincial、city、county")
                return False
            canon[LEVEL_ALIASES[key]] = val
        if form == "by_times":
            a.times = canon
        else:
            a.values = canon
    return True
