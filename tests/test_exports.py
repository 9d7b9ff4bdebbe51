"""exports.py: scores.json / scores.csv shape and number format (DESIGN.md §4)."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from site_fixture import make_results

from qsgen.site import exports

NUM = re.compile(r"^-?\d+\.\d{2}$")


def data() -> dict:
    return json.loads(exports.scores_json(make_results()).decode("utf-8"))


def test_json_shape_and_order():
    d = data()
    assert d["year"] == 2023
    assert d["numbers"] == {"type": "decimal-string", "places": 2, "rounding": "ROUND_HALF_UP"}
    assert [u["id"] for u in d["units"]] == ["longgang", "bangongshi", "fagui", "jiage"]
    for u in d["units"]:
        for key in ("id", "name", "group", "base", "bonus", "deduction", "total", "rank", "group_rank",
                    "provisional", "items", "adjustments"):
            assert key in u
        for key in ("base", "bonus", "deduction", "total"):
            assert NUM.match(u[key]), (u["id"], key, u[key])
        assert isinstance(u["rank"], int) and isinstance(u["provisional"], bool)
        for it in u["items"]:
            assert set(it) >= {"id", "max", "score"}
            assert NUM.match(it["max"])
            assert it["score"] is None or NUM.match(it["score"])
        for a in u["adjustments"]:
            assert set(a) >= {"rule", "amount", "record"}
            assert NUM.match(a["amount"])


def test_json_values():
    units = {u["id"]: u for u in data()["units"]}
    office = units["bangongshi"]
    assert office["total"] == "90.50" and office["rank"] == 2 and office["group_rank"] == 1
    assert units["fagui"]["rank"] == 2  # the tie
    assert office["provisional"] is False
    price = units["jiage"]
    assert price["provisional"] is True
    assert [i["score"] for i in price["items"]] == ["55.00", None]
    assert price["items"][1]["state"] == "pending"
    # deductions are negative, bonuses positive; lines name their records
    d5 = [a for a in office["adjustments"] if a["rule"] == "D5"]
    assert d5 == [{"rule": "D5", "part": d5[0]["part"], "amount": "-2.00", "record": "bangongshi/attendance-0412",
                   "records": ["bangongshi/attendance-0412"], "explain": d5[0]["explain"]}]
    b6a = [a for a in units["fagui"]["adjustments"] if a["rule"] == "B6a"]
    assert sorted(a["amount"] for a in b6a) == ["1.00", "3.50"]
    # totals add up (exactly here; in general up to display rounding)
    for u in units.values():
        assert Decimal(u["base"]) + Decimal(u["bonus"]) - Decimal(u["deduction"]) == Decimal(u["total"])


def test_json_is_stable_bytes():
    a = exports.scores_json(make_results())
    assert a == exports.scores_json(make_results())
    assert a.endswith(b"\n") and b"\\u" not in a  # Chinese as UTF-8, not escapes


def test_places_follow_the_rules():
    results = make_results()
    results.rules.places = 1
    d = json.loads(exports.scores_json(results))
    assert d["units"][1]["total"] == "90.5"


def test_csv():
    raw = exports.scores_csv(make_results())
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 correctly
    assert b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == exports.CSV_COLUMNS
    assert len(rows) == 5
    by_id = {r[2]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_id["bangongshi"]["total"] == "90.50"
    assert by_id["bangongshi"]["rank"] == "2"
    assert by_id["jiage"]["provisional"] == "true" and by_id["jiage"]["pending_items"] == "1"
    assert by_id["jiage"]["name"] == "价格监督管理股（执法稽查和反不正当竞争股）"


def test_scores_json_put_together_from_units_is_exactly_json_dumps():
    """scores_json joins per-unit texts (kept by cache.py); it must equal json.dumps' output."""
    results = make_results()
    expected = (json.dumps(exports.scores_data(results), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    assert exports.scores_json(results) == expected
    kept = [exports.unit_json(results, us) for us in results.units]
    assert exports.scores_json(results, kept) == expected
    rows = [exports.unit_row(results, us) for us in results.units]
    assert exports.scores_csv(results, rows) == exports.scores_csv(results)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(value=_JSON, pad=st.sampled_from(["", "  ", "    "]))
def test_indented_writes_what_json_dumps_writes(value, pad):
    # (exports.indented: scores.json's units without the json module's pure-Python encoder)
    want = json.dumps(value, ensure_ascii=False, indent=2)
    assert exports.indented(value, pad) == want.replace("\n", "\n" + pad)


def test_indented_refuses_what_it_does_not_write_and_unit_json_then_asks_json():
    import pytest

    for value in (1.5, {1: "a"}, ("a",), {"a": [exports.Fraction(1, 2)]}):
        with pytest.raises(TypeError):
            exports.indented(value)
    results = make_results()
    for us in results.units:
        text = json.dumps(exports.unit_data(results, us), ensure_ascii=False, indent=2)
        assert exports.unit_json(results, us) == "\n".join("    " + line for line in text.split("\n"))
