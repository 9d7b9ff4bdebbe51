"""Display formatting of exact numbers: rounding once, in the rules' mode, at the very end."""

from __future__ import annotations

import decimal
import functools
from decimal import Decimal
from fractions import Fraction
from typing import Any

MINUS = "\u2212"  # the typographic minus sign used in signed amounts ("−0.30")
ROUNDING_MODES = ("ROUND_HALF_UP", "ROUND_HALF_EVEN")


def _mode(rules_or_places: Any, rounding: str) -> tuple[int, str]:
    """(places, rounding) from a Rules object or an explicit number of places."""
    if hasattr(rules_or_places, "places"):
        return int(rules_or_places.places), str(getattr(rules_or_places, "rounding", rounding))
    return int(rules_or_places), rounding


def to_decimal(value: Fraction | Decimal | int, places: int = 2, rounding: str = "ROUND_HALF_UP") -> Decimal:
    """The value rounded once to ``places`` decimals (exact division under a 60-digit context)."""
    if rounding not in ROUNDING_MODES and not hasattr(decimal, rounding):
        raise ValueError(f"未知的舍入方式：{rounding}")
    return _rounded(value, places, rounding)


@functools.lru_cache(maxsize=4096)
def _rounded(value: Fraction | Decimal | int, places: int, rounding: str) -> Decimal:
    """to_decimal's work, remembered: a site shows the same few values thousands of times (a
    unit page ~450 numbers, every record page its score lines), and a new 60-digit context, an
    exact division and a quantize cost ~5 µs each time. Equal values (1, Fraction(1), Decimal(1))
    round to the same Decimal, which is immutable, so one entry serves them all."""
    frac = Fraction(value)
    ctx = decimal.Context(prec=60, rounding=getattr(decimal, rounding))
    exact = ctx.divide(Decimal(frac.numerator), Decimal(frac.denominator))
    quantum = Decimal(1).scaleb(-places)
    result = exact.quantize(quantum, rounding=getattr(decimal, rounding), context=ctx)
    if result == 0:
        result = abs(result)  # never show "-0.00"
    return result


def fmt(value: Fraction | Decimal | int, rules_or_places: Any = 2, rounding: str = "ROUND_HALF_UP") -> str:
    """A score as text with a fixed number of decimals, e.g. "92.30" (negative: "-1.25")."""
    places, mode = _mode(rules_or_places, rounding)
    return f"{to_decimal(value, places, mode):f}"


def fmt_signed(value: Fraction | Decimal | int, rules_or_places: Any = 2,
               rounding: str = "ROUND_HALF_UP") -> str:
    """A signed amount: "+1.50", "−0.30" (typographic minus), zero as "0.00"."""
    places, mode = _mode(rules_or_places, rounding)
    d = to_decimal(value, places, mode)
    if d > 0:
        return f"+{d:f}"
    if d < 0:
        return f"{MINUS}{-d:f}"
    return f"{d:f}"


def fmt_plain(value: Fraction | Decimal | int, rules_or_places: Any = 2,
              rounding: str = "ROUND_HALF_UP") -> str:
    """A rule amount or count as written by people: "1", "0.3", "3.5", "12.75".

    Exact when the value has a short terminating decimal form; otherwise rounded like ``fmt``
    (e.g. 1/3 -> "0.33").
    """
    places, mode = _mode(rules_or_places, rounding)
    frac = Fraction(value)
    if frac.denominator == 1:
        return str(frac.numerator)
    den = frac.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den == 1:
        d = to_decimal(frac, 12, "ROUND_HALF_EVEN").normalize()
        text = f"{d:f}"
        if len(text.split(".")[-1]) <= max(places, 4):
            return text
    return fmt(frac, places, mode)


def fmt_money(value: Decimal | Fraction | int) -> str:
    """Yuan with thousands separators: "12,000", "12,000.50" (cents shown when present)."""
    d = Decimal(value) if not isinstance(value, Fraction) else to_decimal(value, 2)
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{to_decimal(Fraction(d), 2, 'ROUND_HALF_UP'):,.2f}"


def fmt_count(value: Fraction | int) -> str:
    """A count: integral values without decimals ("7"), others like ``fmt_plain``."""
    return fmt_plain(value)
