"""Display rounding: once, exactly, in the rules' mode."""

from decimal import Decimal
from fractions import Fraction as F

import pytest
from helpers_rules import jiguan, make_rules
from hypothesis import given
from hypothesis import strategies as st

from qsgen.core.display import fmt, fmt_money, fmt_plain, fmt_signed, to_decimal


def test_fmt_two_places():
    assert fmt(F("92.3")) == "92.30"
    assert fmt(F(1, 3)) == "0.33"
    assert fmt(F(2, 3)) == "0.67"
    assert fmt(F(100)) == "100.00"
    assert fmt(F(-5, 4)) == "-1.25"
    assert fmt(0) == "0.00"


def test_fmt_no_negative_zero():
    assert fmt(F(-1, 1000)) == "0.00"
    assert fmt_signed(F(-1, 1000)) == "0.00"


@pytest.mark.parametrize("value, up, even", [
    ("2.345", "2.35", "2.34"),
    ("2.355", "2.36", "2.36"),
    ("0.125", "0.13", "0.12"),
    ("92.305", "92.31", "92.30"),
    ("-2.345", "-2.35", "-2.34"),
])
def test_half_up_vs_half_even_on_x_xx5(value, up, even):
    assert fmt(F(value), 2, "ROUND_HALF_UP") == up
    assert fmt(F(value), 2, "ROUND_HALF_EVEN") == even


def test_rounding_once_not_twice():
    # 0.4449999… must not become 0.45 by rounding to 3 places first
    assert fmt(F("0.4449999"), 2) == "0.44"
    # an exact rational just above the midpoint
    assert fmt(F(2345, 1000) + F(1, 10**40), 2, "ROUND_HALF_EVEN") == "2.35"


def test_fmt_takes_mode_from_rules():
    even = make_rules([jiguan("a")], rounding="ROUND_HALF_EVEN", places=2)
    up = make_rules([jiguan("a")])
    assert fmt(F("0.125"), even) == "0.12"
    assert fmt(F("0.125"), up) == "0.13"
    one = make_rules([jiguan("a")], places=1)
    assert fmt(F("92.25"), one) == "92.3"


def test_fmt_accepts_decimal_and_int():
    assert fmt(Decimal("1.005")) == "1.01"
    assert fmt(7) == "7.00"


def test_fmt_signed():
    assert fmt_signed(F(3, 2)) == "+1.50"
    assert fmt_signed(F(-3, 10)) == "\u22120.30"
    assert fmt_signed(0) == "0.00"


def test_fmt_money():
    assert fmt_money(Decimal("12000.50")) == "12,000.50"
    assert fmt_money(Decimal("12000")) == "12,000"
    assert fmt_money(Decimal("49999.99")) == "49,999.99"
    assert fmt_money(Decimal("100000.00")) == "100,000"
    assert fmt_money(Decimal("0")) == "0"
    assert fmt_money(Decimal("999.5")) == "999.50"


def test_fmt_plain():
    assert fmt_plain(F(1)) == "1"
    assert fmt_plain(F("0.3")) == "0.3"
    assert fmt_plain(F("3.5")) == "3.5"
    assert fmt_plain(F("12.75")) == "12.75"
    assert fmt_plain(F(1, 3)) == "0.33"
    assert fmt_plain(F(-1, 2)) == "-0.5"


def test_to_decimal_high_precision():
    big = F(10**30 + 1, 3)
    assert to_decimal(big, 2) == Decimal("333333333333333333333333333333.67")


def test_unknown_rounding_mode():
    with pytest.raises(ValueError):
        fmt(F(1), 2, "ROUND_SIDEWAYS")


@given(st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**6), st.integers(min_value=0, max_value=6),
       st.sampled_from(["ROUND_HALF_UP", "ROUND_HALF_EVEN"]))
def test_remembered_rounding_is_the_rounding(value, places, mode):
    """to_decimal remembers its results (display._rounded): whatever was asked before, and
    whether the value comes as a Fraction, a Decimal or an int, the answer is the exact
    division rounded once, as computed afresh."""
    import decimal
    from decimal import Decimal

    ctx = decimal.Context(prec=60, rounding=getattr(decimal, mode))
    exact = ctx.divide(Decimal(value.numerator), Decimal(value.denominator))
    want = abs(r) if (r := exact.quantize(Decimal(1).scaleb(-places), context=ctx)) == 0 else r
    for same in (value, Decimal(value.numerator) / Decimal(value.denominator)
                 if value.denominator in (1, 2, 4, 5, 8, 10) else value,
                 *([value.numerator] if value.denominator == 1 else [])):
        got = to_decimal(same, places, mode)
        assert got == want and str(got) == str(want)
