"""The operators of ``where`` / ``zero_when`` conditions ({gt: 0}, {in: […]}, …), declared once."""

from __future__ import annotations

from typing import NamedTuple


class WhereOp(NamedTuple):
    """``field: {<name>: operand}``; evaluated by the scoring engine (``_cond``)."""

    name: str
    operand: str  # "number" (compared as numbers), "value" (one field value), "values" (a list of them)
    symbol: str = ""  # how descriptions write it: >, ≥, <, ≤ ("": said in words)


WHERE_OPS: dict[str, WhereOp] = {o.name: o for o in (
    WhereOp("gt", "number", ">"),
    WhereOp("ge", "number", "≥"),
    WhereOp("lt", "number", "<"),
    WhereOp("le", "number", "≤"),
    WhereOp("not", "value"),
    WhereOp("eq", "value"),
    WhereOp("in", "values"),
)}
