"""Rules in short Chinese words for people (`qsgen rules`, messages): numbers, a part's way of earning points."""

from __future__ import annotations

import decimal
from fractions import Fraction
from typing import Any

from qsgen.core.conditions import WHERE_OPS
from qsgen.core.kinds import KINDS
from qsgen.core.measures import MEASURES
from qsgen.core.model import Part
from qsgen.rules.conditions import fields_of

_VALUE_NAMES = {**{k: v for k, v in (("national", "国家级"), ("provincial", "省级"), ("city", "市级"),
                                      ("county", "县级"))},
                "review": "复议", "litigation": "诉讼", "supervision": "执法监督检查",
                "general": "一般程序", "simple": "简易程序"}


def num(x: Fraction | int) -> str:
    """An exact number as short decimal text: 0.5, 3, 0.333… is never produced by the rules."""
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    return format(decimal.Decimal(x.numerator) / decimal.Decimal(x.denominator), "f")


def _label(kind: str | None, name: str | None) -> str:
    if kind in KINDS and name in fields_of(kind):
        return fields_of(kind)[name].label or name
    return name or ""


def _where_text(kind: str | None, where: dict[str, Any]) -> str:
    parts = []
    for k, v in where.items():
        label = _label(kind, k)
        if isinstance(v, dict):
            for op, w in v.items():
                symbol = WHERE_OPS[op].symbol if op in WHERE_OPS else ""
                if op == "not":
                    parts.append(f"非{label}" if w is True else f"{label}≠{_VALUE_NAMES.get(str(w), w)}")
                elif symbol:
                    parts.append(f"{label}{symbol}{num(w)}")
                else:
                    parts.append(f"{label}∈{w}")
        elif v is True:
            parts.append(label)
        elif isinstance(v, list):
            parts.append(f"{label}为{'或'.join(_VALUE_NAMES.get(str(x), str(x)) for x in v)}")
        else:
            parts.append(f"{label}为{_VALUE_NAMES.get(str(v), v)}")
    return "、".join(parts)


def describe_part(part: Part) -> str:
    """A short Chinese description of how a part earns points, e.g. "每条 国家级5/省级3/市级2/县级1"."""
    a = part.amount
    subject = MEASURES[part.per].label if part.per in MEASURES else ""
    if part.per == "record":
        kind_name = KINDS[part.kind].name if part.kind in KINDS else part.kind
        cond = _where_text(part.kind, part.where)
        subject = f"每条{kind_name}记录" + (f"（{cond}）" if cond else "")
    elif part.per == "flag":
        subject = f"考核办勾选 {part.id}"
    if a.constant is not None:
        amount = num(a.constant)
    elif a.tiers:
        amount = f"按{_label(part.kind, a.field)}分档 " + "、".join(f"≥{num(lo)} 得 {num(v)}" for lo, v in a.tiers)
    elif a.steps:
        amount = "按总数分档 " + "、".join(f"≥{num(lo)} 得 {num(v)}" for lo, v in a.steps)
    elif a.values is not None:
        amount = "/".join(f"{_VALUE_NAMES.get(k, k)}{num(v)}" for k, v in a.values.items())
    elif isinstance(a.times, dict):
        amount = "每个 × " + "/".join(f"{_VALUE_NAMES.get(k, k)}{num(v)}" for k, v in a.times.items())
    elif a.field is not None and a.times is not None:
        amount = f"{_label(part.kind, a.field)} × {num(a.times)}"
    elif a.field is not None:
        amount = f"由记录给出（{_label(part.kind, a.field)} {num(a.min)}–{num(a.max)}）"
    elif a.times is not None:
        amount = f"每个 {num(a.times)}"
    else:
        amount = "?"
    text = f"{subject}：{amount}"
    if part.zero_when:
        text += f"（{_where_text(part.kind, part.zero_when)}的计0分）"
    if part.once:
        text += "（只计一次）"
    return text
