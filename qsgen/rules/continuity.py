"""The rules of several years together: each unit's ``previous`` names units the year before had."""

from __future__ import annotations

from qsgen.core.errors import Diagnostic
from qsgen.core.hints import did_you_mean
from qsgen.core.model import Rules


def check_previous(years: list[Rules]) -> list[Diagnostic]:
    """An error for each unit whose ``previous`` names a unit the year before it (the nearest
    earlier year with rules) did not have, or that has ``previous`` in the first year."""
    out = []
    ordered = sorted(years, key=lambda r: r.year)
    for before, rules in zip([None, *ordered], ordered, strict=False):
        known = {u.slug for u in before.units} if before is not None else set()
        for u in rules.units:
            for slug in u.previous:
                if slug in known:
                    continue
                src = u.source
                where = (src.path, src.line, src.col) if src is not None else (f"{rules.root}/units.yaml", 1, 1)
                if before is None:
                    message = f"单位 {u.slug} 的 previous 写了 {slug}，但 {rules.year} 年度之前没有别的年度的规则"
                    hint = "previous 只用于接续上一年度的单位；第一个年度不要写 previous"
                else:
                    message = f"单位 {u.slug} 的 previous 写了 {slug}，但 {before.year} 年度的规则里没有这个单位"
                    hint = (did_you_mean(slug, sorted(known)) or "") + \
                        f"previous 写上一年度（rules/{before.year}/）中这个单位接续的单位的代号；" \
                        f"规则是从上一年度复制来的，就删掉这一行（它说的是上一年度的改名、合并或拆分）"
                out.append(Diagnostic(*where, message, hint))
    return out
