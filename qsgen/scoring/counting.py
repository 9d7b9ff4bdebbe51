"""How records are counted: a news report's effective level, the cases that count toward a quota."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from qsgen.core.model import LEVELS, QuotaPart, Record

_LEVEL_RANK = {lv: i for i, lv in enumerate(LEVELS)}  # 0 = highest


def effective_level(record: Record) -> str | None:
    """The highest of a news record's ``level`` and its ``adopted_by`` levels (口径7)."""
    levels = [record.fields.get("level")]
    for adoption in record.fields.get("adopted_by") or []:
        if isinstance(adoption, dict):
            levels.append(adoption.get("level"))
    known = [lv for lv in levels if lv in _LEVEL_RANK]
    if not known:
        return None
    return min(known, key=lambda lv: _LEVEL_RANK[lv])


def quota_counted(part: QuotaPart, categories: Iterable[str]) -> Fraction:
    """Cases that count toward one quota scope (DESIGN §2.2), capped at its total."""
    done: dict[str, int] = {}
    uncategorised = 0
    for c in categories:
        if c in part.minimums:
            done[c] = done.get(c, 0) + 1
        else:
            uncategorised += 1
    floor_sum = sum(part.minimums.values())
    within = sum(min(done.get(c, 0), q) for c, q in part.minimums.items())
    beyond = sum(max(0, done.get(c, 0) - q) for c, q in part.minimums.items()) + uncategorised
    free = max(0, part.total - floor_sum)
    return Fraction(min(within + min(beyond, free), part.total))


def scope_cases(part: QuotaPart, cases: list[Record]) -> list[Record]:
    """The cases of one quota scope: a team's (``part.name``), or all of them."""
    if part.name is None:
        return list(cases)
    return [r for r in cases if r.fields.get("team") == part.name]
