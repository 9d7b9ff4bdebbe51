"""Which years a repository holds: rules/<year>/ folders, and records/<year>/ folders that have no rules."""

from __future__ import annotations

import os
from pathlib import Path

from qsgen.core.errors import Diagnostic

NEW_YEAR_GUIDE = "docs/guide/new-year.md"


def _year_folders(folder: Path) -> list[int]:
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(int(n) for n in names if len(n) == 4 and n.isdigit() and (folder / n).is_dir())


def rule_years(root: Path) -> list[int]:
    """The years that have rules (rules/<year>/), oldest first."""
    return _year_folders(Path(root) / "rules")


def record_years(root: Path) -> list[int]:
    """The years that have a records folder (records/<year>/), oldest first."""
    return _year_folders(Path(root) / "records")


def orphans(root: Path) -> list[Diagnostic]:
    """An error for each records/<year>/ folder whose year has no rules/<year>/: its records
    could be checked against nothing. Says which years have rules and how to start a year."""
    have = rule_years(root)
    out = []
    for year in record_years(root):
        if year in have:
            continue
        listed = "、".join(f"rules/{y}/" for y in have) or "（还没有任何年度的规则）"
        source = f"rules/{have[-1]}" if have else "rules/<上一年度>"
        out.append(Diagnostic(
            f"records/{year}", 1, 1,
            f"文件夹 records/{year}/ 没有对应的考核规则 rules/{year}/，其中的记录无法校验和计分",
            f"有规则的年度：{listed}。开始新年度：把 {source}/ 复制为 rules/{year}/，"
            f"改好 assessment.yaml 中的 year 和考核期（period），见 {NEW_YEAR_GUIDE}"))
    return out


def chosen(root: Path, year: int | None) -> list[int]:
    """The years a command works on: ``year`` alone when given, else every year with rules."""
    return [year] if year is not None else rule_years(root)
