"""Loading and validating rules/<year>/ (the assessment method as YAML) into model.Rules."""

from __future__ import annotations

import datetime as _dt
import decimal
import difflib
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from qsgen.core import yamlsafe
from qsgen.core.errors import Diagnostic, Diagnostics, QsgenError
from qsgen.core.kinds import KINDS, LEVEL_ALIASES, FieldSpec
from qsgen.core.model import (
    LEVELS,
    AdjustmentRule,
    Amount,
    Group,
    Interpretation,
    Item,
    Part,
    Progress,
    Quota,
    QuotaPart,
    Rules,
    Section,
    Source,
    Unit,
)
from qsgen.core.yamlsafe import Node

RULE_FILES = ("assessment.yaml", "units.yaml", "stations.yaml", "adjustments.yaml")

# Measures computed by the scoring engine for one unit (per: <measure>); the value says
# which keys ``by:`` may use (None: the measure is a single count).
MEASURES: dict[str, str | None] = {
    "news_surplus": "level",
    "news_shortfall": "level",
    "lead_surplus": None,
    "lead_shortfall": None,
    "case_surplus_general": None,
    "case_shortfall": None,
}
MEASURE_NAMES = {
    "news_surplus": "信息超额数", "news_shortfall": "信息欠缺数", "lead_surplus": "线索超额数",
    "lead_shortfall": "线索欠缺数", "case_surplus_general": "超额一般程序案件数",
    "case_shortfall": "案件欠缺数",
}
PROGRESS_TYPES = ("news", "leads", "cases", "count", "rate")
APPLIES_TO_BOOL = ("case_quota", "news_quota", "lead_target", "teams")
WHERE_OPS = ("gt", "ge", "lt", "le", "not", "eq", "in")
# Fields derived from a record by the scoring engine (口径7), usable in ``where``/``by``.
DERIVED_FIELDS: dict[str, dict[str, FieldSpec]] = {
    "news": {"effective_level": FieldSpec("enum", False, LEVEL_ALIASES, label="最高级别")},
}
_DECIMAL_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")
_SLUG_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
_ROUNDINGS = sorted(n for n in dir(decimal) if n.startswith("ROUND_"))


# ---------------------------------------------------------------- diagnostics


class Invalid(Exception):
    """A value that does not fit its option; ``node`` says where (None: the caller's node)."""

    def __init__(self, message: str, hint: str = "", node: Node | None = None,
                 pos: tuple[int, int] | None = None) -> None:
        super().__init__(message)
        self.message, self.hint, self.node, self.pos = message, hint, node, pos


class Ctx:
    """The file being read and the run's diagnostics; shared by every option."""

    def __init__(self, path: str, diags: Diagnostics, categories: dict[str, str] | None = None) -> None:
        self.path = path
        self.diags = diags
        self.categories = categories or {}

    def error(self, where: Node | tuple[int, int] | None, message: str, hint: str = "") -> None:
        if isinstance(where, Node):
            line, col = where.line, where.col
        elif where is None:
            line, col = 1, 1
        else:
            line, col = where
        self.diags.error(self.path, line, col, message, hint)

    def invalid(self, e: Invalid, fallback: Node | tuple[int, int] | None) -> None:
        self.error(e.pos or e.node or fallback, e.message, e.hint)


def key_pos(parent: Node, key: str) -> tuple[int, int]:
    """Line and column of ``key`` inside the mapping ``parent``."""
    v = parent.value[key]
    if v.line == v.key_line:  # `key: value` on one line (block or flow)
        return v.key_line, max(1, v.col - len(key) - 2)
    return v.key_line, parent.col


def did_you_mean(word: str, choices: list[str] | tuple[str, ...] | set[str] | dict) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"是不是 {close[0]}？" if close else ""


def _choices_text(choices) -> str:
    return "、".join(str(c) for c in choices)


# -------------------------------------------------------------------- options
# Declarative converters in the spirit of MkDocs config_options: each option turns one YAML
# node into a typed value or raises Invalid; Schema walks a mapping of named options.


class Option:
    what = "值"  # Chinese description of the expected value

    def convert(self, node: Node, ctx: Ctx) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def scalar(self, node: Node) -> str:
        if not node.is_scalar:
            raise Invalid(f"这里应是{self.what}，不是{'列表' if node.is_list else '多个字段'}", node=node)
        return node.value.strip()


class Text(Option):
    what = "文字"

    def __init__(self, empty: bool = False, pattern: re.Pattern | None = None, hint: str = "") -> None:
        self.empty, self.pattern, self.hint = empty, pattern, hint

    def convert(self, node: Node, ctx: Ctx) -> str:
        text = self.scalar(node)
        if not text and not self.empty:
            raise Invalid("这里不能为空", node=node)
        if self.pattern is not None and not self.pattern.match(text):
            raise Invalid(f"“{text}”的写法不对", self.hint, node)
        return text


class Number(Option):
    """An exact decimal number (never a float) as Fraction, or int when ``integer``."""

    def __init__(self, min: Fraction | int | None = None, max: Fraction | int | None = None,
                 integer: bool = False, positive: bool = False) -> None:
        self.min, self.max, self.integer, self.positive = min, max, integer, positive
        self.what = "整数" if integer else "数字"

    def convert(self, node: Node, ctx: Ctx) -> Any:
        text = self.scalar(node)
        if self.integer and not re.match(r"^[+-]?\d+$", text):
            raise Invalid(f"这里应是整数，不是“{text}”", "只写阿拉伯数字，例如 25", node)
        if not _DECIMAL_RE.match(text):
            raise Invalid(f"这里应是数字，不是“{text}”", "只写阿拉伯数字和小数点，例如 0.5", node)
        value: Any = int(text) if self.integer else Fraction(decimal.Decimal(text))
        if self.positive and value <= 0:
            raise Invalid(f"这里应大于 0，不是 {text}", node=node)
        if self.min is not None and value < self.min:
            raise Invalid(f"{text} 小于最小值 {self.min}", node=node)
        if self.max is not None and value > self.max:
            raise Invalid(f"{text} 大于最大值 {self.max}", node=node)
        return value


class Bool(Option):
    what = "true 或 false"
    TRUE = ("true", "yes", "是")
    FALSE = ("false", "no", "否")

    def convert(self, node: Node, ctx: Ctx) -> bool:
        text = self.scalar(node).lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise Invalid(f"这里应是 true 或 false，不是“{text}”", node=node)


class Date(Option):
    what = "日期"

    def convert(self, node: Node, ctx: Ctx) -> _dt.date:
        text = self.scalar(node)
        try:
            return _dt.date.fromisoformat(text)
        except ValueError:
            raise Invalid(f"“{text}”不是日期", "格式为 2023-01-01", node) from None


class Choice(Option):
    """One of fixed choices; ``aliases`` maps accepted spellings to the canonical value."""

    def __init__(self, choices: tuple[str, ...] | list[str] | dict[str, str], what: str = "值") -> None:
        self.aliases = dict(choices) if isinstance(choices, dict) else {c: c for c in choices}
        self.what = what

    def convert(self, node: Node, ctx: Ctx) -> str:
        text = self.scalar(node)
        if text in self.aliases:
            return self.aliases[text]
        canon = sorted(set(self.aliases.values()), key=list(self.aliases.values()).index)
        raise Invalid(f"未知的{self.what}“{text}”",
                      (did_you_mean(text, self.aliases) + " " if did_you_mean(text, self.aliases) else "")
                      + f"可用：{_choices_text(canon)}", node)


class Rounding(Option):
    what = "舍入方式"

    def convert(self, node: Node, ctx: Ctx) -> str:
        text = self.scalar(node)
        if text not in _ROUNDINGS:
            hint = did_you_mean(text, _ROUNDINGS)
            raise Invalid(f"“{text}”不是 Python decimal 模块的舍入方式",
                          (hint + " " if hint else "") + f"可用：{_choices_text(_ROUNDINGS)}", node)
        return text


class Raw(Option):
    """The node itself, validated later with more context."""

    def convert(self, node: Node, ctx: Ctx) -> Node:
        return node


class ListOf(Option):
    def __init__(self, item: Option, unique: bool = False) -> None:
        self.item, self.unique = item, unique
        self.what = "列表"

    def convert(self, node: Node, ctx: Ctx) -> list:
        if not node.is_list:
            if node.is_scalar and node.value.strip() == "" and not node.quoted:
                return []
            raise Invalid("这里应是列表（每项以“- ”开头，或写成 [a, b]）", node=node)
        out, seen = [], {}
        for child in node.value:
            try:
                value = self.item.convert(child, ctx)
            except Invalid as e:
                ctx.invalid(e, child)
                continue
            if self.unique and isinstance(value, str):
                if value in seen:
                    ctx.error(child, f"“{value}”重复（第一次在第 {seen[value]} 行）")
                    continue
                seen[value] = child.line
            out.append(value)
        return out


class MapOf(Option):
    """A mapping with free keys (converted by ``key``) and values of one option."""

    def __init__(self, key: Option, value: Option) -> None:
        self.key, self.value = key, value
        self.what = "字段表"

    def convert(self, node: Node, ctx: Ctx) -> dict:
        if not node.is_map:
            raise Invalid("这里应是“名称: 值”形式的字段表", node=node)
        out: dict = {}
        for k, child in node.value.items():
            pos = key_pos(node, k)
            try:
                key = self.key.convert(Node(k, pos[0], pos[1]), ctx)
            except Invalid as e:
                ctx.invalid(e, pos)
                continue
            if key in out:
                ctx.error(pos, f"“{k}”与前面的名称重复")
                continue
            try:
                out[key] = self.value.convert(child, ctx)
            except Invalid as e:
                ctx.invalid(e, child)
        return out


@dataclass
class Opt:
    """One named option of a Schema."""

    option: Option
    required: bool = False
    default: Any = None
    help: str = ""  # Chinese, used in the hint of a missing required key


class Obj:
    """A converted mapping: values by name, the node and each key's node for error positions."""

    def __init__(self, node: Node, values: dict[str, Any]) -> None:
        self.node = node
        self.values = values

    def __getattr__(self, name: str) -> Any:
        if name in ("node", "values"):
            raise AttributeError(name)
        return self.values.get(name)

    def has(self, key: str) -> bool:
        return key in self.node.value

    def at(self, key: str) -> tuple[int, int]:
        """Position of ``key`` (or of the mapping, when the key is absent)."""
        if key in self.node.value:
            return key_pos(self.node, key)
        return self.node.line, self.node.col

    def value_node(self, key: str) -> Node | None:
        return self.node.value.get(key)


class Schema(Option):
    """A mapping with fixed keys; unknown keys are errors with a "did you mean"."""

    what = "字段表"

    def __init__(self, options: dict[str, Opt], name: str = "") -> None:
        self.options, self.name = options, name

    def convert(self, node: Node, ctx: Ctx) -> Obj:
        if not node.is_map:
            raise Invalid(f"这里应是{self.name or '字段表'}（“字段: 值”的形式）", node=node)
        values: dict[str, Any] = {}
        for key in node.value:
            if key not in self.options:
                hint = did_you_mean(key, self.options)
                ctx.error(key_pos(node, key), f"未知字段“{key}”" + (f"（{self.name}）" if self.name else ""),
                          (hint + " " if hint else "") + f"可用的字段：{_choices_text(self.options)}")
        for key, opt in self.options.items():
            child = node.value.get(key)
            if child is None:
                if opt.required:
                    ctx.error(node, f"缺少字段“{key}”" + (f"（{self.name}）" if self.name else ""), opt.help)
                values[key] = opt.default() if callable(opt.default) else opt.default
                continue
            try:
                values[key] = opt.option.convert(child, ctx)
            except Invalid as e:
                ctx.invalid(e, child)
                values[key] = None
        return Obj(node, values)


# ------------------------------------------------------------------- schemas

SLUG = Text(pattern=_SLUG_RE, hint="只用小写英文字母、数字、- 和 _，以字母开头，例如 longgang")
LEVEL = Choice(LEVEL_ALIASES, "级别")
COUNT = Number(min=0, integer=True)

ASSESSMENT = Schema({
    "year": Opt(Number(min=2000, max=2100, integer=True), True),
    "title": Opt(Text(), True),
    "document": Opt(Text(empty=True), default=""),
    "period": Opt(Schema({"start": Opt(Date(), True), "end": Opt(Date(), True)}, "考核期"), True),
    "display": Opt(Schema({
        "places": Opt(Number(min=0, max=6, integer=True), default=2),
        "rounding": Opt(Rounding(), default="ROUND_HALF_UP"),
    }, "显示方式")),
    "groups": Opt(ListOf(Schema({"id": Opt(SLUG, True), "name": Opt(Text(), True)}, "分组")), True),
    "departments": Opt(MapOf(SLUG, Text()), True),
    "case_categories": Opt(MapOf(Text(), ListOf(Text())), True),
    "interpretations": Opt(ListOf(Schema({
        "id": Opt(Text(), True), "title": Opt(Text(), True), "text": Opt(Text(), True),
    }, "口径")), default=list),
}, "考核总则")

PROGRESS = Schema({
    "type": Opt(Choice(PROGRESS_TYPES, "进度类型"), True),
    "target": Opt(Number(min=0)),
    "unit": Opt(Text(empty=True), default=""),
}, "进度")

PART = Schema({
    "id": Opt(Text(), True),
    "label": Opt(Text(empty=True), default=""),
    "per": Opt(Text(), True, help="per 写 record、flag 或度量名"),
    "kind": Opt(Text()),
    "where": Opt(Raw()),
    "zero_when": Opt(Raw()),
    "once": Opt(Bool(), default=False),
    "amount": Opt(Raw(), True, help="amount 写分值，例如 0.5"),
}, "计分方式")

QUOTA_SCOPE = Schema({
    "total": Opt(Number(min=1, integer=True), True),
    "minimums": Opt(MapOf(Text(), COUNT), default=dict),
}, "任务数")

ITEM = Schema({
    "id": Opt(Text(), True),
    "points": Opt(Number(positive=True), True),
    "text": Opt(Text(), True),
    "method": Opt(Choice(("assessed", "quota"), "计分方法"), default="assessed"),
    "quota": Opt(Raw()),
    "progress": Opt(PROGRESS),
    "extras": Opt(ListOf(PART), default=list),
}, "任务项")

_UNIT_COMMON = {
    "slug": Opt(SLUG, True),
    "name": Opt(Text(), True),
    "group": Opt(Text(), True),
    "news_quota": Opt(MapOf(LEVEL, COUNT)),
    "lead_target": Opt(COUNT),
}
UNIT = Schema({
    **_UNIT_COMMON,
    "teams": Opt(ListOf(Text(), unique=True), default=list),
    "items": Opt(ListOf(ITEM), True),
}, "单位")
STATION = Schema({**_UNIT_COMMON, "case_quota": Opt(QUOTA_SCOPE)}, "所")
SECTION = Schema({
    "id": Opt(Text(pattern=re.compile(r"^s\d\d$"), hint="节的编号写成 s01、s02……"), True),
    "title": Opt(Text(), True),
    "weight": Opt(Number(positive=True), default=lambda: Fraction(1)),
    "items": Opt(ListOf(ITEM), True),
}, "节")
APPLIES_TO = Schema({
    **{k: Opt(Bool()) for k in APPLIES_TO_BOOL},
    "group": Opt(Raw()),
    "units": Opt(ListOf(Text())),
}, "适用范围")
ADJUSTMENT = Schema({
    "id": Opt(Text(), True),
    "type": Opt(Choice({"bonus": "bonus", "deduction": "deduction", "加分": "bonus", "减分": "deduction"},
                       "类型"), True),
    "title": Opt(Text(), True),
    "text": Opt(Text(), True),
    "responsible": Opt(Text(), True),
    "cap": Opt(Number(positive=True)),
    "applies_to": Opt(APPLIES_TO),
    "note": Opt(Text(empty=True), default=""),
    "parts": Opt(ListOf(PART), True),
}, "加减分项目")

FILES = {
    "units.yaml": Schema({"units": Opt(ListOf(UNIT), True)}, "units.yaml"),
    "stations.yaml": Schema({"sections": Opt(ListOf(SECTION), True),
                             "stations": Opt(ListOf(STATION), True)}, "stations.yaml"),
    "adjustments.yaml": Schema({"adjustments": Opt(ListOf(ADJUSTMENT), True)}, "adjustments.yaml"),
}


# ---------------------------------------------------------------- amounts

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
        hint = did_you_mean(k, AMOUNT_KEYS)
        raise Invalid(f"金额中的未知字段“{k}”", (hint + " " if hint else "") + f"可用：{_choices_text(AMOUNT_KEYS)}",
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
        raise Invalid(f"金额同时给出了多种计算方式：{_choices_text(anchors)}", "每个 amount 只能用一种写法",
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
        raise Invalid(f"金额（{FORM_NAMES[form]}）缺少 {_choices_text(sorted(missing))}", pos=where)
    extra = keys - allowed
    if extra:
        raise Invalid(f"金额（{FORM_NAMES[form]}）不能同时写 {_choices_text(sorted(extra))}",
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


# ----------------------------------------------------------------- parts


def _fields_of(kind: str) -> dict[str, FieldSpec]:
    return {**KINDS[kind].all_fields, **DERIVED_FIELDS.get(kind, {})}


def _field_value(spec: FieldSpec, node: Node, ctx: Ctx) -> Any:
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
    fields = _fields_of(kind)
    out: dict[str, Any] = {}
    for name, child in node.value.items():
        if name not in fields:
            hint = did_you_mean(name, fields)
            ctx.error(key_pos(node, name), f"记录类型 {kind} 没有字段“{name}”（{what}）",
                      (hint + " " if hint else "") + f"可用：{_choices_text(fields)}")
            continue
        spec = fields[name]
        try:
            if child.is_list:
                out[name] = [_field_value(spec, c, ctx) for c in child.value]
            elif child.is_map:
                cond: dict[str, Any] = {}
                for op, v in child.value.items():
                    if op not in WHERE_OPS:
                        hint = did_you_mean(op, WHERE_OPS)
                        raise Invalid(f"未知的比较方式“{op}”", (hint + " " if hint else "")
                                      + f"可用：{_choices_text(WHERE_OPS)}", pos=key_pos(child, op))
                    if op in ("gt", "ge", "lt", "le"):
                        cond[op] = Number().convert(v, ctx)
                    elif op == "in":
                        cond[op] = [_field_value(spec, c, ctx) for c in (v.value if v.is_list else [v])]
                    else:
                        cond[op] = _field_value(spec, v, ctx)
                out[name] = cond
            else:
                out[name] = _field_value(spec, child, ctx)
        except Invalid as e:
            ctx.invalid(e, child)
    return out


def build_part(obj: Obj, ctx: Ctx, rule_id: str) -> Part | None:
    """A Part from its converted mapping, checked against kinds and measures."""
    ok = True
    per, kind = obj.per, obj.kind
    if per is None:
        return None
    if per not in ("record", "flag") and per not in MEASURES:
        hint = did_you_mean(per, ["record", "flag", *MEASURES])
        ctx.error(obj.value_node("per"), f"未知的计分依据“{per}”",
                  (hint + " " if hint else "") + f"可用：record、flag、{_choices_text(MEASURES)}")
        ok = False
    if per == "record":
        if kind is None:
            ctx.error(obj.at("per"), "per: record 需要写 kind（记录类型）",
                      f"可用：{_choices_text(KINDS)}")
            ok = False
        elif kind not in KINDS:
            hint = did_you_mean(kind, KINDS)
            ctx.error(obj.value_node("kind"), f"未知的记录类型“{kind}”",
                      (hint + " " if hint else "") + f"可用：{_choices_text(KINDS)}")
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
            ok = _check_amount_use(amount, form, per, known_kind, amount_node, ctx) and ok
        except Invalid as e:
            ctx.invalid(e, amount_node)
            ok = False
    if not ok:
        return None
    return Part(id=obj.id, per=per, label=obj.label or "", kind=kind if per == "record" else None,
                where=where, amount=amount, zero_when=zero_when, once=bool(obj.once),
                source=Source(ctx.path, obj.node.line, obj.node.col))


def _check_amount_use(a: Amount, form: str, per: str, kind: str | None, node: Node, ctx: Ctx) -> bool:
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
        fields = _fields_of(kind)
        name = a.by if form == "values" else a.field
        if name is not None and name not in fields:
            hint = did_you_mean(name, fields)
            ctx.error(pos, f"记录类型 {kind} 没有字段“{name}”（amount）",
                      (hint + " " if hint else "") + f"可用：{_choices_text(fields)}")
            return False
        if form == "values" and a.values is not None:
            spec = fields[name]
            if spec.type == "enum":
                choices = ctx.categories if spec.choices == "case_category" else spec.choices
                canon: dict[str, Fraction] = {}
                for key, val in a.values.items():
                    if key not in (choices or {}):
                        hint = did_you_mean(key, choices or {})
                        ctx.error(pos, f"“{key}”不是字段 {name} 的可用值", hint)
                        return False
                    canon[choices[key]] = val
                a.values = canon
    if per in MEASURES and form in ("by_times", "values"):
        keyed = MEASURES[per]
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


# ------------------------------------------------------------------ loader


@dataclass
class _Loaded:
    rules_dir: Path
    rel_dir: str
    diags: Diagnostics = field(default_factory=Diagnostics)
    nodes: dict[str, Node] = field(default_factory=dict)


def rules_dir(root: Path, year: int | None) -> tuple[Path | None, str]:
    """The folder rules/<year> (the newest when year is None) and its repo-relative name."""
    base = Path(root) / "rules"
    if year is None:
        years = sorted(int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit()) \
            if base.is_dir() else []
        if not years:
            return None, "rules"
        year = years[-1]
    return base / str(year), f"rules/{year}"


def load_rules(root: Path, year: int | None = None) -> tuple[Rules | None, list[Diagnostic]]:
    """Read and validate rules/<year>/; (None, diagnostics) when anything is wrong."""
    folder, rel = rules_dir(Path(root), year)
    diags = Diagnostics()
    if folder is None or not folder.is_dir():
        diags.error(rel, 1, 1, f"找不到规则文件夹 {rel}/",
                    "规则放在 rules/<年度>/ 下，例如 rules/2023/assessment.yaml")
        return None, diags.sorted()
    nodes: dict[str, Node] = {}
    for name in RULE_FILES:
        path = f"{rel}/{name}"
        file = folder / name
        if not file.is_file():
            diags.error(path, 1, 1, f"缺少规则文件 {name}", f"{rel}/ 下应有 {_choices_text(RULE_FILES)}")
            continue
        try:
            text = file.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        except UnicodeDecodeError:
            diags.error(path, 1, 1, "文件不是 UTF-8 编码", "请用 UTF-8 编码保存")
            continue
        node, errs = yamlsafe.load(text, path)
        diags.extend(errs)
        if node is None and not errs:
            diags.error(path, 1, 1, "文件是空的")
        elif node is not None:
            nodes[name] = node
    if len(nodes) == len(RULE_FILES):
        rules = _build(nodes, rel, diags, int(folder.name) if folder.name.isdigit() else None)
    else:
        rules = None
    if diags.errors:
        return None, diags.sorted()
    return rules, diags.sorted()


def load_rules_or_raise(root: Path, year: int | None = None) -> Rules:
    rules, diags = load_rules(root, year)
    if rules is None or any(d.severity == "error" for d in diags):
        raise QsgenError("考核规则有错误", diags)
    return rules


def _build(nodes: dict[str, Node], rel: str, diags: Diagnostics, year: int | None) -> Rules | None:
    # ---- assessment.yaml
    actx = Ctx(f"{rel}/assessment.yaml", diags)
    try:
        a = ASSESSMENT.convert(nodes["assessment.yaml"], actx)
    except Invalid as e:
        actx.invalid(e, nodes["assessment.yaml"])
        return None
    if a.year is not None and year is not None and a.year != year:
        actx.error(a.at("year"), f"year 写的是 {a.year}，但文件夹是 {rel}/", f"改为 year: {year}")
    period = a.period
    if period is not None and period.start and period.end and period.start > period.end:
        actx.error(period.at("start"), "考核期的开始日期晚于结束日期")
    groups = _unique_ids(a.groups or [], actx, "分组")
    departments = a.departments or {}
    categories = _categories(a, actx)
    interpretations = [Interpretation(str(i.id), i.title, i.text) for i in _unique_ids(
        a.interpretations or [], actx, "口径")]
    display = a.display
    places = display.places if display is not None and display.places is not None else 2
    rounding = display.rounding if display is not None and display.rounding is not None else "ROUND_HALF_UP"
    group_ids = [g.id for g in groups]

    # ---- units.yaml, stations.yaml
    units: list[Unit] = []
    uctx = Ctx(f"{rel}/units.yaml", diags, categories)
    sctx = Ctx(f"{rel}/stations.yaml", diags, categories)
    u_file = _convert_file("units.yaml", nodes, uctx)
    s_file = _convert_file("stations.yaml", nodes, sctx)
    seen_slugs: dict[str, str] = {}
    if u_file is not None:
        for u in u_file.units or []:
            unit = _build_jiguan(u, uctx, group_ids)
            if unit is not None and _slug_ok(unit, u, uctx, seen_slugs):
                units.append(unit)
    if s_file is not None:
        sections = _build_sections(s_file.sections or [], sctx)
        for s in s_file.stations or []:
            unit = _build_station(s, sections, sctx, group_ids)
            if unit is not None and _slug_ok(unit, s, sctx, seen_slugs):
                units.append(unit)

    # ---- adjustments.yaml
    adjustments: list[AdjustmentRule] = []
    dctx = Ctx(f"{rel}/adjustments.yaml", diags, categories)
    d_file = _convert_file("adjustments.yaml", nodes, dctx)
    if d_file is not None:
        for adj in _unique_ids(d_file.adjustments or [], dctx, "加减分项目"):
            rule = _build_adjustment(adj, dctx, departments, group_ids, [u.slug for u in units])
            if rule is not None:
                adjustments.append(rule)

    if diags.errors or a.year is None or period is None:
        return None
    return Rules(
        year=a.year, title=a.title, document=a.document or "", period=(period.start, period.end),
        places=places, rounding=rounding, groups=[Group(g.id, g.name) for g in groups],
        departments=dict(departments), case_categories=categories, units=units,
        adjustments=adjustments, interpretations=interpretations, root=rel,
    )


def _convert_file(name: str, nodes: dict[str, Node], ctx: Ctx) -> Obj | None:
    try:
        return FILES[name].convert(nodes[name], ctx)
    except Invalid as e:
        ctx.invalid(e, nodes[name])
        return None


def _unique_ids(objs: list[Obj], ctx: Ctx, what: str, key: str = "id") -> list[Obj]:
    seen: dict[str, int] = {}
    out = []
    for o in objs:
        value = getattr(o, key)
        if value is None:
            continue
        if value in seen:
            node = o.value_node(key)
            ctx.error(node, f"{what}编号“{value}”重复（第一次在第 {seen[value]} 行）", "每个编号只能用一次")
            continue
        seen[value] = o.value_node(key).line
        out.append(o)
    return out


def _slug_ok(unit: Unit, obj: Obj, ctx: Ctx, seen: dict[str, str]) -> bool:
    if unit.slug in seen:
        ctx.error(obj.value_node("slug"), f"单位 slug“{unit.slug}”重复（已在 {seen[unit.slug]} 中使用）")
        return False
    seen[unit.slug] = f"{ctx.path}:{obj.value_node('slug').line}"
    return True


def _categories(a: Obj, ctx: Ctx) -> dict[str, str]:
    out: dict[str, str] = {}
    raw = a.case_categories or {}
    node = a.value_node("case_categories")
    for canon, aliases in raw.items():
        for name in [canon, *(aliases or [])]:
            if name in out and out[name] != canon:
                pos = key_pos(node, canon) if node is not None and canon in node.value else (1, 1)
                ctx.error(pos, f"案件类别别名“{name}”同时属于“{out[name]}”和“{canon}”",
                          "一个别名只能对应一个类别")
                continue
            out[name] = canon
    return out


def _check_group(obj: Obj, ctx: Ctx, group_ids: list[str]) -> bool:
    if obj.group is not None and obj.group not in group_ids:
        hint = did_you_mean(obj.group, group_ids)
        ctx.error(obj.value_node("group"), f"未知的分组“{obj.group}”",
                  (hint + " " if hint else "") + f"assessment.yaml 中的分组：{_choices_text(group_ids)}")
        return False
    return True


def _news_quota(obj: Obj) -> dict[str, int] | None:
    if obj.news_quota is None:
        return None
    return {lv: obj.news_quota[lv] for lv in LEVELS if lv in obj.news_quota}


def _build_items(objs: list[Obj], ctx: Ctx, id_re: re.Pattern, id_hint: str, section: str | None,
                 teams: list[str], station_quota: Quota | None | str, seen: dict[str, int],
                 unit_obj: Obj | None) -> list[Item]:
    items = []
    for o in objs:
        if o.id is None or o.points is None:
            continue
        id_node = o.value_node("id")
        if not id_re.match(o.id):
            ctx.error(id_node, f"任务项编号“{o.id}”的写法不对", id_hint)
            continue
        if o.id in seen:
            ctx.error(id_node, f"任务项编号“{o.id}”重复（第一次在第 {seen[o.id]} 行）", "每个编号只能用一次")
            continue
        seen[o.id] = id_node.line
        quota = _item_quota(o, ctx, teams, station_quota)
        progress = _item_progress(o, ctx, unit_obj)
        extras = []
        for p in _unique_ids(o.extras or [], ctx, "项内加分"):
            part = build_part(p, ctx, o.id)
            if part is not None:
                extras.append(part)
        items.append(Item(id=o.id, text=o.text or "", max=o.points, method=o.method or "assessed",
                          section=section, quota=quota, progress=progress, extras=extras,
                          source=Source(ctx.path, o.node.line, o.node.col)))
    return items


def _item_progress(o: Obj, ctx: Ctx, unit_obj: Obj | None) -> Progress | None:
    p = o.progress
    if p is None:
        return None
    if p.type in ("count", "rate") and p.target is None:
        ctx.error(p.at("type"), f"进度类型 {p.type} 需要写 target（目标{'数' if p.type == 'count' else '百分比'}）")
    if unit_obj is not None:  # 机关 unit: the unit-level numbers must exist
        if p.type == "news" and unit_obj.news_quota is None:
            ctx.error(p.at("type"), "进度类型 news 需要单位写 news_quota（新闻报道任务）")
        if p.type == "leads" and unit_obj.lead_target is None:
            ctx.error(p.at("type"), "进度类型 leads 需要单位写 lead_target（案件线索任务数）")
    if p.type == "cases" and o.method != "quota":
        ctx.error(p.at("type"), "进度类型 cases 只能用于 method: quota 的任务项")
    return Progress(type=p.type, target=p.target, unit=p.unit or "") if p.type else None


def _item_quota(o: Obj, ctx: Ctx, teams: list[str], station_quota: Quota | None | str) -> Quota | None:
    node = o.value_node("quota")
    if o.method == "quota" and node is None:
        ctx.error(o.at("method"), "method: quota 的任务项需要写 quota（任务数）")
        return None
    if node is None:
        return None
    if o.method != "quota":
        ctx.error(o.at("quota"), "写了 quota 的任务项要写 method: quota", "加上 method: quota")
        return None
    if node.is_scalar:
        if node.value.strip() != "station":
            ctx.error(node, f"quota 的写法不对：“{node.value}”",
                      "写成 {total: 25, minimums: {…}}、{teams: {…}}，或在 stations.yaml 中写 station")
            return None
        if station_quota == "none":
            ctx.error(node, "quota: station 只能用于 stations.yaml 的节中", "机关单位请直接写 {total: …, minimums: …}")
            return None
        return station_quota if isinstance(station_quota, Quota) else None
    try:
        if node.is_map and "teams" in node.value:
            obj = Schema({"teams": Opt(MapOf(Text(), QUOTA_SCOPE), True)}, "各队任务数").convert(node, ctx)
            parts = []
            tnode = obj.value_node("teams")
            for name, scope in (obj.teams or {}).items():
                if teams and name not in teams:
                    ctx.error(key_pos(tnode, name), f"“{name}”不是本单位的队",
                              f"本单位 teams：{_choices_text(teams)}")
                    continue
                part = _quota_part(name, scope, ctx)
                if part is not None:
                    parts.append(part)
            return Quota(parts) if parts else None
        scope = QUOTA_SCOPE.convert(node, ctx)
        part = _quota_part(None, scope, ctx)
        return Quota([part]) if part is not None else None
    except Invalid as e:
        ctx.invalid(e, node)
        return None


def _quota_part(name: str | None, scope: Obj | None, ctx: Ctx) -> QuotaPart | None:
    if scope is None or scope.total is None:
        return None
    mins: dict[str, int] = {}
    mnode = scope.value_node("minimums")
    ok = True
    for cat, n in (scope.minimums or {}).items():
        canon = ctx.categories.get(cat)
        if canon is None:
            hint = did_you_mean(cat, ctx.categories)
            ctx.error(key_pos(mnode, cat), f"未知的案件类别“{cat}”",
                      (hint + " " if hint else "") + "类别在 assessment.yaml 的 case_categories 中定义")
            ok = False
            continue
        if canon in mins:
            ctx.error(key_pos(mnode, cat), f"案件类别“{canon}”写了两次（“{cat}”是它的别名）")
            ok = False
            continue
        mins[canon] = n
    if sum(mins.values()) > scope.total:
        ctx.error(scope.at("minimums") if mnode is not None else scope.at("total"),
                  f"各类最低件数之和 {sum(mins.values())} 超过任务总数 {scope.total}"
                  + (f"（{name}）" if name else ""), "检查 total 和 minimums")
        ok = False
    return QuotaPart(name, scope.total, mins) if ok else None


def _check_total(items: list[Item], expected: Fraction, pos: tuple[int, int], ctx: Ctx, what: str) -> None:
    total = sum((i.max for i in items), Fraction(0))
    if total != expected:
        ctx.error(pos, f"{what}各项分值之和为 {_fmt(total)}，应为 {_fmt(expected)}",
                  "检查各项的 points")


def _fmt(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    return format(decimal.Decimal(x.numerator) / decimal.Decimal(x.denominator), "f")


def _build_jiguan(u: Obj, ctx: Ctx, group_ids: list[str]) -> Unit | None:
    if u.slug is None or u.items is None:
        return None
    _check_group(u, ctx, group_ids)
    teams = u.teams or []
    seen: dict[str, int] = {}
    # a misspelt unit key is already reported; do not repeat it as "needs lead_target" on the items
    clean = all(k in UNIT.options for k in u.node.value)
    items = _build_items(u.items, ctx, re.compile(r"^t\d\d$"), "机关单位的任务项编号写成 t01、t02……",
                         None, teams, "none", seen, u if clean else None)
    if len(items) == len(u.items):
        _check_total(items, Fraction(100), u.at("items"), ctx, f"{u.name or u.slug}：")
    return Unit(slug=u.slug, name=u.name or u.slug, group=u.group or "", items=items,
                news_quota=_news_quota(u), lead_target=u.lead_target, teams=list(teams),
                source=Source(ctx.path, u.node.line, u.node.col))


@dataclass
class _SectionTemplate:
    obj: Obj
    item_objs: list[Obj]


def _build_sections(objs: list[Obj], ctx: Ctx) -> list[_SectionTemplate]:
    """Check the shared sections once (ids, totals); items are built per station."""
    out = []
    seen_items: dict[str, int] = {}
    for s in _unique_ids(objs, ctx, "节"):
        if s.items is None:
            continue
        items = _build_items(s.items, ctx, re.compile(rf"^{s.id}-\d+$"),
                             f"{s.id} 中的任务项编号写成 {s.id}-1、{s.id}-2……", s.id, [], None,
                             seen_items, None)
        if len(items) == len(s.items):
            _check_total(items, Fraction(100), s.at("items"), ctx, f"第 {s.id} 节“{s.title}”")
        out.append(_SectionTemplate(s, s.items))
    return out


def _build_station(s: Obj, sections: list[_SectionTemplate], ctx: Ctx, group_ids: list[str]) -> Unit | None:
    if s.slug is None:
        return None
    _check_group(s, ctx, group_ids)
    case_quota = None
    if s.case_quota is not None:
        part = _quota_part(None, s.case_quota, ctx)
        case_quota = Quota([part]) if part is not None else None
    # Items are built again for each station (fresh objects, own quota); their problems
    # were reported once by _build_sections, so this pass collects into a scratch collector.
    scratch = Ctx(ctx.path, Diagnostics(), ctx.categories)
    built: list[Section] = []
    all_items: list[Item] = []
    for tpl in sections:
        sec = tpl.obj
        if any(_uses_station_quota(o) for o in tpl.item_objs) and case_quota is None \
                and s.case_quota is None:
            ctx.error(s.node, f"{s.name or s.slug} 没有写 case_quota，但第 {sec.id} 节的任务项写了 quota: station",
                      "在这个所下写 case_quota: {total: …, minimums: {…}}")
        items = _build_items(tpl.item_objs, scratch, re.compile(rf"^{sec.id}-\d+$"), "", sec.id, [],
                             case_quota, {}, None)
        for it in items:
            if it.progress is not None and it.progress.type == "news" and s.news_quota is None:
                ctx.error(s.node, f"{s.name or s.slug} 没有写 news_quota，但任务项 {it.id} 显示新闻报道进度")
        built.append(Section(id=sec.id, title=sec.title or "", items=items, weight=sec.weight or Fraction(1)))
        all_items.extend(items)
    return Unit(slug=s.slug, name=s.name or s.slug, group=s.group or "", items=all_items, sections=built,
                news_quota=_news_quota(s), lead_target=s.lead_target,
                source=Source(ctx.path, s.node.line, s.node.col))


def _uses_station_quota(o: Obj) -> bool:
    n = o.value_node("quota")
    return n is not None and n.is_scalar and n.value.strip() == "station"


def _build_adjustment(o: Obj, ctx: Ctx, departments: dict[str, str], group_ids: list[str],
                      unit_slugs: list[str]) -> AdjustmentRule | None:
    ok = True
    if o.responsible is not None and o.responsible not in departments:
        hint = did_you_mean(o.responsible, departments)
        ctx.error(o.value_node("responsible"), f"未知的考核责任部门“{o.responsible}”",
                  (hint + " " if hint else "") + f"assessment.yaml 的 departments：{_choices_text(departments)}")
        ok = False
    applies: dict[str, Any] = {}
    if o.applies_to is not None:
        at = o.applies_to
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
                    hint = did_you_mean(g, group_ids)
                    ctx.error(gnode, f"未知的分组“{g}”", (hint + " " if hint else "")
                              + f"可用：{_choices_text(group_ids)}")
                    ok = False
            applies["group"] = groups if gnode.is_list else (groups[0] if groups else None)
        if at.units is not None:
            for slug in at.units:
                if slug not in unit_slugs:
                    ctx.error(at.value_node("units"), f"未知的单位“{slug}”", did_you_mean(slug, unit_slugs))
                    ok = False
            applies["units"] = list(at.units)
    parts = []
    for p in _unique_ids(o.parts or [], ctx, "计分方式"):
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


__all__ = ["load_rules", "load_rules_or_raise", "rules_dir", "MEASURES", "RULE_FILES"]


# ---------------------------------------------------------------- describing

_VALUE_NAMES = {**{k: v for k, v in (("national", "国家级"), ("provincial", "省级"), ("city", "市级"),
                                      ("county", "县级"))},
                "review": "复议", "litigation": "诉讼", "supervision": "执法监督检查",
                "general": "一般程序", "simple": "简易程序"}


def num(x: Fraction | int) -> str:
    """An exact number as short decimal text: 0.5, 3, 0.333… is never produced by the rules."""
    return _fmt(Fraction(x))


def _label(kind: str | None, name: str | None) -> str:
    if kind in KINDS and name in _fields_of(kind):
        return _fields_of(kind)[name].label or name
    return name or ""


def _where_text(kind: str | None, where: dict[str, Any]) -> str:
    ops = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}
    parts = []
    for k, v in where.items():
        label = _label(kind, k)
        if isinstance(v, dict):
            for op, w in v.items():
                if op == "not":
                    parts.append(f"非{label}" if w is True else f"{label}≠{_VALUE_NAMES.get(str(w), w)}")
                elif op in ops:
                    parts.append(f"{label}{ops[op]}{num(w)}")
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
    subject = MEASURE_NAMES.get(part.per, "")
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
