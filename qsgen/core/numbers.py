"""Limits on the numbers people write: how many digits a real amount, score, count or points has."""

from __future__ import annotations

MAX_WHOLE_DIGITS = 15  # 10^15 yuan, points or persons: more is a typing slip, never a fact
MAX_FRACTION_DIGITS = 15
HINT = "请检查是否多写或粘贴了数字；金额以元为单位（如 12000），分数、人数照实写"


def too_long(text: str) -> str | None:
    """Why the plain number ``text`` ([+-]digits[.digits]) cannot be a real one (Chinese), or
    None. Checked before the text is turned into a number: Python refuses to convert more than
    4,300 digits, and the display's 28-digit decimals cannot round a 60-digit fine."""
    whole, _, fraction = text.strip().lstrip("+-").partition(".")
    whole = whole.lstrip("0")
    if len(whole) > MAX_WHOLE_DIGITS:
        return f"整数部分有 {len(whole)} 位数字，超出常理（最多 {MAX_WHOLE_DIGITS} 位）"
    if len(fraction) > MAX_FRACTION_DIGITS:
        return f"小数部分有 {len(fraction)} 位数字，超出常理（最多 {MAX_FRACTION_DIGITS} 位）"
    return None
