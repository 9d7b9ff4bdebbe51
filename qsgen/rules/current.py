"""Which year's rules a new record belongs to: the year whose assessment period contains a day, else the latest."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from qsgen.repo.years import rule_years


def current_year(root: Path, day: _dt.date) -> tuple[int | None, bool]:
    """(the year whose rules' period contains ``day``, True), else (the latest year with rules,
    False); (None, False) when there are no rules. A year whose rules cannot be read is passed
    over (its own errors are `qsgen check`'s to report)."""
    from qsgen.rules import load_rules

    years = rule_years(root)
    for year in reversed(years):
        rules, _diags = load_rules(root, year)
        if rules is not None and rules.period[0] <= day <= rules.period[1]:
            return year, True
    return (years[-1], False) if years else (None, False)


def finished_year(root: Path, day: _dt.date) -> int | None:
    """The latest year whose assessment period ended before ``day`` (the year an objection, an
    answer or a correction written on ``day`` is about), else the latest year with rules."""
    from qsgen.rules import load_rules

    years = rule_years(root)
    for year in reversed(years):
        rules, _diags = load_rules(root, year)
        if rules is not None and rules.period[1] < day:
            return year
    return years[-1] if years else None
