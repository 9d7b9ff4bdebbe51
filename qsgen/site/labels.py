"""Chinese words for the values the pages show: item states, enum values, field names, yes/no."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from qsgen.core import display
from qsgen.core.kinds import KINDS
from qsgen.core.measures import PROGRESS_TYPES
from qsgen.core.model import LEVEL_NAMES, Record
from qsgen.site.urls import unit_url

STATE_NAMES = {"judged": "已评", "pending": "待评", "computed": "计算", "ongoing": "年终计算"}
PROCEDURE_NAMES = {"general": "一般程序", "simple": "简易程序"}
FOUND_BY_NAMES = {"review": "行政复议", "litigation": "行政诉讼", "supervision": "执法监督检查"}
PROGRESS_NAMES = {p.name: p.title for p in PROGRESS_TYPES.values()}


def field_label(kind: str | None, name: str | None) -> str:
    """The Chinese name of a record field (or of a derived field)."""
    if not name:
        return ""
    k = KINDS.get(kind or "")
    if k and name in k.all_fields:
        return k.all_fields[name].label or name
    return {"effective_level": "级别", "fine": "罚没款（元）"}.get(name, name)


def key_name(key: Any) -> str:
    """A level's Chinese name (国家级 …), else the key as written."""
    return LEVEL_NAMES.get(str(key), str(key))


def truthy(v: Any) -> bool:
    return v is True or str(v).lower() in ("true", "yes", "1", "是")


def value_name(v: Any) -> str:
    """A value in a rule's condition, in Chinese (是/否, 国家级 …)."""
    if v is True or v == "true":
        return "是"
    if v is False or v == "false":
        return "否"
    return key_name(v)


def field_value(rec: Record, name: str, value: Any, p: str, unit: Any, plain: Any) -> dict[str, Any]:
    """A front-matter value as shown to a reader: {text, href?, list?}; ``unit`` is the
    record's unit in the rules (for a task's text), ``plain`` formats a number."""
    if name == "task":
        item = unit.item(str(value)) if unit else None
        text = f"{value}" + (f"　{item.text}" if item else "")
        return {"text": text, "href": p + unit_url(rec.unit) + "#item-" + str(value)}
    if name == "adopted_by":
        return {"list": [f"{a.get('outlet', '')}（{LEVEL_NAMES.get(a.get('level', ''), a.get('level', ''))}）"
                         for a in value]}
    if name == "level":
        return {"text": LEVEL_NAMES.get(value, str(value))}
    if name == "procedure":
        return {"text": PROCEDURE_NAMES.get(value, str(value))}
    if name == "found_by":
        return {"text": FOUND_BY_NAMES.get(value, str(value))}
    if name == "fine":
        return {"text": display.fmt_money(value) + " 元"}
    if isinstance(value, bool):
        return {"text": "是" if value else "否"}
    if name == "url" and isinstance(value, str) and value.startswith(("http://", "https://")):
        return {"text": value, "href": value, "external": True}
    if isinstance(value, (Fraction,)):
        return {"text": plain(value)}
    if isinstance(value, list):
        return {"list": [str(v) for v in value]}
    return {"text": str(value)}
