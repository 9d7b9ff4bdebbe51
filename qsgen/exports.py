"""scores.json and scores.csv: the stable machine-readable results (DESIGN.md §4).

Numbers are JSON strings holding decimals with the rules' display places and rounding
(``"92.30"``, ``"-0.30"``; ASCII minus), never binary floats; ``null`` is a pending item's score.
Adjustment amounts are signed: a bonus line is positive, a deduction line negative. Ranks are
integers (competition ranking on the exact values, so equal totals share a rank).
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from typing import Any

from qsgen import display
from qsgen.model import Results, UnitScore

FORMAT_VERSION = 1
CSV_COLUMNS = ["rank", "group_rank", "id", "name", "group", "group_name", "base", "bonus",
               "deduction", "total", "provisional", "pending_items"]


def _num(results: Results, value: Fraction | None) -> str | None:
    if value is None:
        return None
    return display.fmt(value, results.rules.places, results.rules.rounding)


def unit_data(results: Results, us: UnitScore) -> dict[str, Any]:
    """One unit of scores.json."""
    n = lambda v: _num(results, v)  # noqa: E731
    adjustments = []
    rule_totals = []
    for adj in us.adjustments:
        sign = adj.rule.sign
        for ln in adj.lines:
            adjustments.append({
                "rule": adj.rule.id,
                "part": ln.part,
                "amount": n(sign * ln.amount),
                "record": ln.records[0] if len(ln.records) == 1 else None,
                "records": list(ln.records),
                "explain": ln.explain,
            })
        if adj.lines:
            rule_totals.append({
                "rule": adj.rule.id,
                "type": "bonus" if sign > 0 else "deduction",
                "raw": n(sign * adj.raw),
                "amount": n(sign * adj.amount),
                "cap": n(adj.rule.cap) if adj.rule.cap is not None else None,
            })
    return {
        "id": us.unit.slug,
        "name": us.unit.name,
        "group": us.unit.group,
        "group_name": results.rules.group_name(us.unit.group),
        "base": n(us.base),
        "bonus": n(us.bonus),
        "deduction": n(us.deduction),
        "total": n(us.total),
        "rank": us.rank,
        "group_rank": us.group_rank,
        "provisional": us.provisional,
        "items": [{
            "id": it.item.id,
            "max": n(it.item.max),
            "score": n(it.score) if it.state != "pending" else None,
            "state": it.state,
        } for it in us.items],
        "sections": [{"id": ss.section.id, "score": n(ss.score)} for ss in us.sections],
        "adjustments": adjustments,
        "adjustment_totals": rule_totals,
    }


def scores_data(results: Results) -> dict[str, Any]:
    rules = results.rules
    return {
        "format": FORMAT_VERSION,
        "year": rules.year,
        "title": rules.title,
        "document": rules.document,
        "numbers": {"type": "decimal-string", "places": rules.places, "rounding": rules.rounding},
        "units": [unit_data(results, us) for us in results.units],
    }


def scores_json(results: Results) -> bytes:
    """scores.json: UTF-8, keys in a fixed order, two-space indent, final newline."""
    text = json.dumps(scores_data(results), ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def scores_csv(results: Results) -> bytes:
    """scores.csv: one row per unit in rank order; UTF-8 with BOM (opens in Excel), CRLF."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for us in results.units:
        d = unit_data(results, us)
        w.writerow([d["rank"], d["group_rank"], d["id"], d["name"], d["group"], d["group_name"],
                    d["base"], d["bonus"], d["deduction"], d["total"],
                    "true" if d["provisional"] else "false",
                    sum(1 for it in us.items if it.state == "pending")])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
