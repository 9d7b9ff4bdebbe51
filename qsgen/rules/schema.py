"""Typed YAML schemas: options that turn yamlsafe nodes into values or report where they are wrong."""

from __future__ import annotations

import datetime as _dt
import decimal
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from qsgen.core import lazyre, numbers
from qsgen.core.errors import Diagnostics
from qsgen.core.hints import did_you_mean
from qsgen.core.yamlsafe import Node

_DECIMAL_RE = lazyre.compile(r"^[+-]?\d+(\.\d+)?\Z")
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


def guess(word: str, choices, then: str = "") -> str:
    """The hint for an unknown ``word``: "是不是 X？" when one of ``choices`` is close, then ``then``."""
    hint = did_you_mean(word, choices, cutoff=0.5, ask="是不是")
    return f"{hint} {then}" if hint and then else hint or then


def choices_text(choices) -> str:
    return "、".join(str(c) for c in choices)


def unique_ids(objs: list[Obj], ctx: Ctx, what: str, key: str = "id") -> list[Obj]:
    """``objs`` without those whose ``key`` repeats an earlier one (each repeat reported)."""
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
        problem = numbers.too_long(text)
        if problem:
            raise Invalid(f"这个数{problem}：{text[:20]}…", numbers.HINT, node)
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
        raise Invalid(f"未知的{self.what}“{text}”", guess(text, self.aliases, f"可用：{choices_text(canon)}"), node)


class Rounding(Option):
    what = "舍入方式"

    def convert(self, node: Node, ctx: Ctx) -> str:
        text = self.scalar(node)
        if text not in _ROUNDINGS:
            raise Invalid(f"“{text}”不是 Python decimal 模块的舍入方式",
                          guess(text, _ROUNDINGS, f"可用：{choices_text(_ROUNDINGS)}"), node)
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
                ctx.error(key_pos(node, key), f"未知字段“{key}”" + (f"（{self.name}）" if self.name else ""),
                          guess(key, self.options, f"可用的字段：{choices_text(self.options)}"))
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
