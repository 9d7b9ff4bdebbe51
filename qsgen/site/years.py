"""The years of one site: each year's folder, state and units, and how a unit continues from year to year."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from qsgen.core.model import Results

STATE_NAMES = {"in_progress": "年度进行中", "provisional": "暂定结果", "final": "考核结果"}
# The lifecycle's stage (records/<year>/status.yaml), where the office has opened 公示 or finalised:
# named instead of the score-based state.
LIFE_NAMES = {"公示": "结果公示中", "定稿": "已定稿"}


@dataclass(frozen=True)
class YearUnit:
    """A unit as the site's years table knows it."""

    slug: str
    name: str
    group: str  # the group's name
    previous: tuple[str, ...]  # the previous year's units it continues (its own slug when none given)


@dataclass(frozen=True)
class Year:
    """One year of the site as every page of every year sees it (the year switcher, the root
    pages): a function of that year's rules and its state (in progress, provisional, final),
    not of its records, so that a change to one year's records leaves the other years' pages
    as they were."""

    year: int
    title: str
    state: str  # "in_progress" | "provisional" | "final"
    as_of: _dt.date | None  # while in progress: the date the year is shown as of
    units: tuple[YearUnit, ...]
    life: str = ""  # the lifecycle's stage when past 进行中: "公示" | "定稿" | ""

    @property
    def folder(self) -> str:
        """The year's folder in the site ("2023/"): its pages' stable home."""
        return f"{self.year}/"

    @property
    def state_name(self) -> str:
        return LIFE_NAMES.get(self.life) or STATE_NAMES.get(self.state, self.state)

    def unit(self, slug: str) -> YearUnit | None:
        for u in self.units:
            if u.slug == slug:
                return u
        return None


def year_of(results: Results) -> Year:
    """The Year of scored results."""
    rules = results.rules
    if results.as_of is not None:
        state = "in_progress"
    elif any(us.provisional for us in results.units):
        state = "provisional"
    else:
        state = "final"
    lc = results.lifecycle
    life = lc.state if lc is not None and lc.state in LIFE_NAMES else ""
    return Year(year=rules.year, title=rules.title, state=state, as_of=results.as_of,
                units=tuple(YearUnit(u.slug, u.name, rules.group_name(u.group), tuple(u.previous) or (u.slug,))
                            for u in rules.units), life=life)


class Years:
    """Every year of the site, oldest first, with the continuity of units between them: a unit
    continues the previous year's units it names in ``previous`` (renamed, merged or split),
    else the unit of the same slug."""

    def __init__(self, years: list[Year]) -> None:
        self.years = sorted(years, key=lambda y: y.year)
        self.by_year = {y.year: y for y in self.years}

    def __iter__(self):
        return iter(self.years)

    def __len__(self) -> int:
        return len(self.years)

    @property
    def latest(self) -> Year:
        return self.years[-1]

    def before(self, year: int) -> Year | None:
        earlier = [y for y in self.years if y.year < year]
        return earlier[-1] if earlier else None

    def after(self, year: int) -> Year | None:
        later = [y for y in self.years if y.year > year]
        return later[0] if later else None

    def predecessors(self, year: int, slug: str) -> list[str]:
        """The units of the year before ``year`` that ``slug`` (of ``year``) continues."""
        here, prev = self.by_year.get(year), self.before(year)
        unit = here.unit(slug) if here is not None else None
        if unit is None or prev is None:
            return []
        return [s for s in unit.previous if prev.unit(s) is not None]

    def successors(self, year: int, slug: str) -> list[str]:
        """The units of the year after ``year`` that continue ``slug`` (of ``year``)."""
        nxt = self.after(year)
        return [] if nxt is None else [u.slug for u in nxt.units if slug in u.previous]

    def counterpart(self, year: int, slug: str, target: int) -> str | None:
        """The unit of year ``target`` that ``slug`` of ``year`` became or came from (the first
        one where a unit was split or merged), None when there is none."""
        current, at = [slug], year
        while at != target and current:
            step = self.successors if target > at else self.predecessors
            current = [s for c in current for s in step(at, c)]
            nxt = self.after(at) if target > at else self.before(at)
            if nxt is None:
                return None
            at = nxt.year
        return current[0] if current else None

    def lineage(self, year: int, slug: str) -> list[tuple[int, list[str]]]:
        """(year, units) for every year: the units ``slug`` of ``year`` continues (before it)
        and those that continue it (after it), following renames, merges and splits."""
        rows: dict[int, list[str]] = {year: [slug]}
        at, current = year, [slug]
        while (prev := self.before(at)) is not None and current:
            current = list(dict.fromkeys(s for c in current for s in self.predecessors(at, c)))
            at = prev.year
            if current:
                rows[at] = current
        at, current = year, [slug]
        while (nxt := self.after(at)) is not None and current:
            current = list(dict.fromkeys(s for c in current for s in self.successors(at, c)))
            at = nxt.year
            if current:
                rows[at] = current
        return sorted(rows.items())

    def history_slugs(self) -> dict[str, tuple[int, str]]:
        """Every unit slug of any year -> (the last year it appears in, its name then): one
        history page each (units/<slug>.html at the site's root)."""
        out: dict[str, tuple[int, str]] = {}
        for y in self.years:
            for u in y.units:
                out[u.slug] = (y.year, u.name)
        return dict(sorted(out.items()))
