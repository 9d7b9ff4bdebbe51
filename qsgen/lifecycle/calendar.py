"""The official working-day calendar: rules/calendar/<year>.yaml (holidays and 调休 make-up workdays), and counting working days."""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from qsgen.core.errors import Diagnostic, Diagnostics
from qsgen.core.yamlsafe import load as load_yaml
from qsgen.repo.files import Refused, read_file
from qsgen.rules.schema import Ctx, Date, Invalid, ListOf, Number, Opt, Schema, Text

CALENDAR_DIR = "rules/calendar"

_CALENDAR = Schema({
    "year": Opt(Number(min=2000, max=2100, integer=True), True),
    "source": Opt(Text(), True, help="写明依据的通知，如 source: 国办发明电〔2022〕16号"),
    "holidays": Opt(ListOf(Schema({
        "name": Opt(Text(), True),
        "from": Opt(Date(), True),
        "to": Opt(Date(), True),
        "workdays": Opt(ListOf(Date()), default=list),
    }, "假期")), True),
}, "工作日安排")


class UnknownYear(Exception):
    """A date of a year whose calendar is not in rules/calendar/."""

    def __init__(self, year: int) -> None:
        super().__init__(year)
        self.year = year


@dataclass
class Calendar:
    """Working days: Monday to Friday except the holidays, plus the make-up workdays (调休).
    Only the years in ``years`` are known; any other year raises UnknownYear."""

    years: set[int] = field(default_factory=set)
    holidays: set[_dt.date] = field(default_factory=set)
    workdays: set[_dt.date] = field(default_factory=set)

    def is_workday(self, day: _dt.date) -> bool:
        if day.year not in self.years:
            raise UnknownYear(day.year)
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def nth_workday(self, start: _dt.date, n: int) -> _dt.date:
        """The ``n``-th working day counting ``start`` as the first when it is one (a 公示 of n
        working days from ``start`` ends on that day)."""
        day, count = start, 0
        while True:
            if self.is_workday(day):
                count += 1
                if count == n:
                    return day
            day += _dt.timedelta(days=1)

    def add_workdays(self, day: _dt.date, n: int) -> _dt.date:
        """The ``n``-th working day after ``day`` (``day`` itself not counted)."""
        return self.nth_workday(day + _dt.timedelta(days=1), n)


def load_calendar(root: Path) -> tuple[Calendar, list[Diagnostic]]:
    """Every rules/calendar/<year>.yaml of the repository, with their errors."""
    cal = Calendar()
    diags = Diagnostics()
    folder = Path(root) / CALENDAR_DIR
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return cal, []
    for name in names:
        if not name.endswith(".yaml"):
            continue
        rel = f"{CALENDAR_DIR}/{name}"
        stem = name[:-5]
        try:
            text = read_file(folder / name, within=root).decode("utf-8-sig")
        except Refused as e:
            diags.error(rel, 1, 1, f"工作日安排文件{e.reason}", "请放仓库里的普通文本文件")
            continue
        except UnicodeDecodeError as e:
            diags.error(rel, 1, 1, f"无法读取工作日安排：{e}", "请用 UTF-8 保存")
            continue
        node, ydiags = load_yaml(text, rel)
        diags.extend(ydiags)
        if node is None:
            continue
        ctx = Ctx(rel, diags)
        try:
            obj = _CALENDAR.convert(node, ctx)
        except Invalid as e:
            ctx.invalid(e, node)
            continue
        if obj.year is None:
            continue
        if str(obj.year) != stem:
            ctx.error(obj.at("year"), f"year 写的是 {obj.year}，但文件名是 {name}", f"改为 year: {stem}，或把文件改名为 {obj.year}.yaml")
            continue
        cal.years.add(obj.year)
        for h in obj.holidays or []:
            if h.values.get("from") is None or h.values.get("to") is None:
                continue
            if h.values["from"] > h.values["to"]:
                ctx.error(h.at("from"), f"{h.name}的放假开始日期晚于结束日期")
                continue
            day = h.values["from"]
            while day <= h.values["to"]:
                cal.holidays.add(day)
                day += _dt.timedelta(days=1)
            for w in h.workdays or []:
                if w.weekday() < 5:
                    ctx.error(h.at("workdays"), f"{h.name}的调休上班日 {w.isoformat()} 不是周六或周日",
                              "workdays 只写调休上班的周六、周日")
                cal.workdays.add(w)
    return cal, diags.sorted()


def unknown_year_hint(year: int) -> str:
    return (f"rules/calendar/ 中没有 {year} 年的工作日安排，无法计算工作日。请照国务院办公厅公布的"
            f"{year}年部分节假日安排，新建 rules/calendar/{year}.yaml（格式见 rules/calendar/ 中已有的文件）")
