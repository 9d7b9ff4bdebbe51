"""One function per measure (``per: <name>``, declared in core/measures.py): what it counts for a unit."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Protocol

from qsgen.core.model import LEVELS, QuotaPart, Record, Unit
from qsgen.scoring.counting import quota_counted


class UnitRecords(Protocol):
    """What a measure reads of the unit being scored (the engine's _UnitContext)."""

    unit: Unit

    def of_kind(self, kind: str | None) -> list[Record]:
        """The unit's records of ``kind``, by date."""

    def news_by_level(self) -> dict[str, list[Record]]:
        """The unit's news reports by effective level (口径7)."""

    def case_scopes(self) -> list[tuple[QuotaPart, list[Record]]]:
        """Each scope of the unit's case quota with its cases."""

# (key, count, record ids): the key is a level, a team or "" (a single count); the record ids
# are those the count is made of, shown beside the line.
Row = tuple[str, Fraction, list[str]]
# name -> fn(unit context, by): ``by`` is the key the part's amount splits on (``by: level``),
# None when the amount is one rate or steps for the whole count.
COMPUTE: dict[str, Callable[[UnitRecords, str | None], list[Row]]] = {}


def computes(name: str) -> Callable:
    """Register the decorated function as the computation of measure ``name``."""
    def register(fn: Callable[[UnitRecords, str | None], list[Row]]) -> Callable:
        COMPUTE[name] = fn
        return fn
    return register


def _last(records: list, n: int) -> list[str]:
    """Ids of the last ``n`` records (in date order: the ones beyond a quota)."""
    return [r.id for r in records[len(records) - n:]] if n else []


@computes("news_surplus")
def news_surplus(ctx: UnitRecords, by: str | None) -> list[Row]:
    """Σ_level max(0, done − quota) (口径1, 7), or per level with ``by: level``; no quota: every item."""
    by_level = ctx.news_by_level()
    quota = ctx.unit.news_quota or {}
    rows = []
    for lv in LEVELS:
        recs = by_level[lv]
        extra = max(0, len(recs) - quota.get(lv, 0))
        rows.append((lv, Fraction(extra), _last(recs, extra)))
    if by == "level":
        return rows
    return [("", sum((n for _, n, _ in rows), Fraction(0)), [i for _, _, ids in rows for i in ids])]


@computes("news_shortfall")
def news_shortfall(ctx: UnitRecords, by: str | None) -> list[Row]:
    """Per level of the unit's news quota: max(0, quota − done)."""
    quota = ctx.unit.news_quota
    if quota is None:
        return []
    by_level = ctx.news_by_level()
    return [(lv, Fraction(max(0, quota.get(lv, 0) - len(by_level[lv]))), []) for lv in LEVELS if lv in quota]


@computes("lead_surplus")
def lead_surplus(ctx: UnitRecords, by: str | None) -> list[Row]:
    """Case leads beyond the unit's lead_target (no target: nothing to exceed, B6b needs one)."""
    target = ctx.unit.lead_target
    if target is None:
        return []
    leads = ctx.of_kind("case-lead")
    extra = max(0, len(leads) - target)
    return [("", Fraction(extra), _last(leads, extra))]


@computes("lead_shortfall")
def lead_shortfall(ctx: UnitRecords, by: str | None) -> list[Row]:
    """Case leads missing to the unit's lead_target."""
    target = ctx.unit.lead_target
    if target is None:
        return []
    return [("", Fraction(max(0, target - len(ctx.of_kind("case-lead")))), [])]


@computes("case_surplus_general")
def case_surplus_general(ctx: UnitRecords, by: str | None) -> list[Row]:
    """Per quota scope: min(cases beyond the total, general-procedure cases) (口径8)."""
    rows = []
    for part, cases in ctx.case_scopes():
        # 口径8: only a scope whose task is completed (every category minimum met,
        # counted == total) has cases "beyond" it; otherwise D10 already deducts.
        counted = quota_counted(part, [r.fields.get("category", "") for r in cases])
        beyond = max(0, len(cases) - part.total) if counted == part.total else 0
        general = [r for r in cases if r.fields.get("procedure") == "general"]
        n = min(beyond, len(general))
        rows.append((part.name or "", Fraction(n), _last(general, n)))
    return rows


@computes("case_shortfall")
def case_shortfall(ctx: UnitRecords, by: str | None) -> list[Row]:
    """Per quota scope: total − counted."""
    return [(part.name or "", Fraction(part.total) - quota_counted(part, [r.fields.get("category", "") for r in cases]),
             []) for part, cases in ctx.case_scopes()]
