"""scores.json and scores.csv of each year, years.json of the site: the stable machine-readable results (DESIGN.md §4).

Numbers are JSON strings holding decimals with the rules' display places and rounding
(``"92.30"``, ``"-0.30"``; ASCII minus), never binary floats; ``null`` is a pending item's score.
Adjustment amounts are signed: a bonus line is positive, a deduction line negative. Ranks are
integers (competition ranking on the exact values, so equal totals share a rank).
"""

from __future__ import annotations

import io
import json
from fractions import Fraction
from typing import Any

from qsgen.core import display
from qsgen.core.model import Results, UnitScore

FORMAT_VERSION = 1
JSON_FILE = "scores.json"  # in each year's folder
CSV_FILE = "scores.csv"
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


def scores_data(results: Results, with_units: bool = True) -> dict[str, Any]:
    rules = results.rules
    data: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "year": rules.year,
        "title": rules.title,
        "document": rules.document,
        "numbers": {"type": "decimal-string", "places": rules.places, "rounding": rules.rounding},
    }
    if with_units:
        data["units"] = [unit_data(results, us) for us in results.units]
    return data


def unit_json(results: Results, us: UnitScore) -> str:
    """One unit as scores.json writes it inside its "units" list (indented four spaces)."""
    data = unit_data(results, us)
    try:
        return "    " + indented(data, "    ")
    except TypeError:  # (a value of another kind: as json.dumps writes it)
        text = json.dumps(data, ensure_ascii=False, indent=2)
        return "\n".join("    " + line for line in text.split("\n"))


_STRING = json.encoder.encode_basestring  # (ensure_ascii=False's: C when there is the _json module)


def indented(value: Any, pad: str = "") -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)`` with every line after the first
    begun by ``pad``, for dicts with str keys, lists, str, int, bool and None (TypeError for
    anything else): the same text, without the json module's pure-Python encoder (with an
    indent it has no other: ~3/4 of the time of a year's scores.json, the ~23,000 record ids
    of its score lines one line each)."""
    kind = type(value)
    if kind is str:
        return _STRING(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    inner = pad + "  "
    if kind is dict:
        if not value:
            return "{}"
        parts = []
        for k, v in value.items():
            if type(k) is not str:
                raise TypeError(f"a key json.dumps would convert: {k!r}")
            parts.append(_STRING(k) + ": " + indented(v, inner))
        return "{\n" + inner + (",\n" + inner).join(parts) + "\n" + pad + "}"
    if kind is list:
        if not value:
            return "[]"
        if all(type(v) is str for v in value):  # (a score line's record ids)
            items = map(_STRING, value)
        else:
            items = (indented(v, inner) for v in value)
        return "[\n" + inner + (",\n" + inner).join(items) + "\n" + pad + "]"
    raise TypeError(f"not written by indented(): {kind.__name__}")


def unit_row(results: Results, us: UnitScore) -> list[Any]:
    """One unit's row of scores.csv (CSV_COLUMNS)."""
    n = lambda v: _num(results, v)  # noqa: E731
    return [us.rank, us.group_rank, us.unit.slug, us.unit.name, us.unit.group,
            results.rules.group_name(us.unit.group), n(us.base), n(us.bonus), n(us.deduction),
            n(us.total), "true" if us.provisional else "false",
            sum(1 for it in us.items if it.state == "pending")]


def scores_json(results: Results, units: list[str] | None = None) -> bytes:
    """scores.json: UTF-8, keys in a fixed order, two-space indent, final newline.

    ``units``: unit_json of each unit in rank order, when the caller kept them (cache.py);
    the text is byte for byte json.dumps(scores_data(results), indent=2)."""
    data = scores_data(results, with_units=False)
    if not results.units:
        data["units"] = []
        return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if units is None:
        units = [unit_json(results, us) for us in results.units]
    head = json.dumps(data, ensure_ascii=False, indent=2)
    assert head.endswith("\n}")
    text = head[:-2] + ',\n  "units": [\n' + ",\n".join(units) + "\n  ]\n}\n"
    return text.encode("utf-8")


def scores_csv(results: Results, rows: list[list[Any]] | None = None) -> bytes:
    """scores.csv: one row per unit in rank order; UTF-8 with BOM (opens in Excel), CRLF.

    ``rows``: unit_row of each unit in rank order, when the caller kept them (cache.py)."""
    import csv  # (here: a build that keeps scores.csv never loads it)

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for row in rows if rows is not None else [unit_row(results, us) for us in results.units]:
        w.writerow(row)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def years_json(years: Any) -> bytes:
    """years.json at the site's root: every year with its state and where its files are
    (paths relative to the site's root), and each unit of it with the units of the year
    before that it continues (renamed, merged or split) and its history page."""
    from qsgen.site.urls import history_file, unit_file

    data = {
        "format": FORMAT_VERSION,
        "latest": years.latest.year,
        "years": [{
            "year": y.year, "title": y.title, "state": y.state, "state_name": y.state_name,
            "lifecycle": {"公示": "notice", "定稿": "final"}.get(y.life, "in_progress"),
            "as_of": y.as_of.isoformat() if y.as_of else None,
            "path": y.folder, "index": y.folder + "index.html", "rules": y.folder + "rules.html",
            "scores_json": y.folder + JSON_FILE, "scores_csv": y.folder + CSV_FILE,
            "units": [{"id": u.slug, "name": u.name, "group_name": u.group,
                       "previous": years.predecessors(y.year, u.slug),
                       "page": y.folder + unit_file(u.slug), "history": history_file(u.slug)}
                      for u in y.units],
        } for y in years],
    }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
