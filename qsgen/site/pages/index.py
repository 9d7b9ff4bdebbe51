"""The ranking page (index.html): groups and overall, with bar charts of the totals."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from qsgen.core import display
from qsgen.core.model import UnitScore
from qsgen.site.context import Site
from qsgen.site.pages import paper
from qsgen.site.urls import SUMMARY_FILE, unit_url

PATH = "index.html"


def short_name(name: str) -> str:
    """A unit name without its parenthesised alias, for charts: 价格监督管理股（…） -> 价格监督管理股."""
    short = re.sub(r"[（(].*?[）)]", "", name).strip() or name
    return short if len(short) <= 18 else short[:17] + "…"


def unit_row(site: Site, us: UnitScore, p: str, ranks: list[int], key: str) -> dict[str, Any]:
    rank = getattr(us, key)
    return {
        "slug": us.unit.slug,
        "name": us.unit.name,
        "href": p + unit_url(us.unit.slug),
        "group": site.rules.group_name(us.unit.group),
        "base": site.num(us.base),
        "bonus": site.num(us.bonus),
        "deduction": site.num(us.deduction),
        "total": site.num(us.total),
        "rank": rank,
        "tied": ranks.count(rank) > 1,
        "provisional": us.provisional,
        "pending": sum(1 for it in us.items if it.state == "pending"),
        "projected": site.signed(us.projected) if us.projected else "—",
        "progress": progress_summary(site, us),
    }


def progress_summary(site: Site, us: UnitScore) -> str:
    """A unit's progress on its annual quotas (news by level, leads, cases), in a few words."""
    parts = []
    for it in us.items:
        for pv in it.progress:
            if pv.target is None or it.item.progress is None or it.item.progress.type not in ("news", "leads", "cases"):
                continue
            if it.item.progress.type == "cases" and not pv.label.endswith("合计"):
                continue
            parts.append(f"{pv.label} {site.plain(pv.done)}/{site.plain(pv.target)}")
    return "，".join(dict.fromkeys(parts))


def chart(site: Site, units: list[UnitScore], p: str, narrow: bool = False) -> dict[str, Any]:
    """Geometry of a horizontal bar chart of the units' totals (inline SVG, no script)."""
    return bar_chart(site, [(short_name(u.unit.name), u.unit.name, u.total, p + unit_url(u.unit.slug),
                             u.provisional) for u in units], narrow)


def bar_chart(site: Site, bars_in: list[tuple[str, str, Fraction, str, bool]], narrow: bool = False
              ) -> dict[str, Any]:
    """Geometry of a horizontal bar chart (inline SVG, no script) of (label, name, value, href,
    provisional) bars. Wide: labels left of the bars. Narrow (phones): each label above its bar.
    """
    totals = [b[2] for b in bars_in]
    lo = min([Fraction(0), *totals])
    hi = max([Fraction(100), *totals])
    if narrow:
        label_w, bar_w, row_h, top, bar_h = 8, 296, 40, 24, 14
        width = 360
    else:
        label_w, bar_w, row_h, top, bar_h = 250, 420, 26, 24, 18
        width = label_w + bar_w + 70

    def xpos(v: Fraction) -> Fraction:
        return label_w + (v - lo) * bar_w / (hi - lo)

    f1 = lambda v: display.fmt(v, 1)  # noqa: E731
    zero = xpos(Fraction(0))
    bars = []
    for i, (label, name, value, href, provisional) in enumerate(bars_in):
        y = top + i * row_h + (18 if narrow else 0)
        end = xpos(value)
        left, right = min(zero, end), max(zero, end)
        bars.append({
            "y": y, "label": label, "name": name,
            "lx": label_w if narrow else label_w - 8, "ly": y - 5 if narrow else y + 14,
            "href": href,
            "x": f1(left), "w": f1(max(right - left, Fraction(1, 2))),
            "vx": f1(right + 5), "vy": y + (12 if narrow else 14), "value": site.num(value),
            "provisional": provisional,
        })
    ticks = []
    step = Fraction(20) if hi - lo <= 140 else Fraction(50)
    t = (lo // step) * step
    while t <= hi:
        if t >= lo:
            ticks.append({"x": f1(xpos(t)), "label": site.plain(t)})
        t += step
    height = top + len(bars_in) * row_h + (18 if narrow else 8)
    return {"bars": bars, "ticks": ticks, "width": width, "height": height, "bar_h": bar_h,
            "anchor": "start" if narrow else "end", "top": top - 6, "bottom": height - 4,
            "zero": f1(zero)}


def inputs(site: Site, home: bool = False) -> tuple:
    """Besides code, templates and rules: every unit's score (its outline) and ranks, and the
    number of records; for the site's home page, also the years and the year's rules."""
    units = [(u.unit.slug, u.outline or repr(u), u.rank, u.group_rank) for u in site.results.units]
    extra = (tuple(site.years), site.rules.title, site.rules.year, site.results.as_of) if home else ()
    return (PATH, home, units, len(site.results.records.records), *extra)


def years_list(site: Site) -> list[dict[str, Any]]:
    """Every year of the site, newest first, for the home page."""
    return [{"year": y.year, "title": y.title, "state": y.state, "state_name": y.state_name,
             "href": y.folder + "index.html", "rules": y.folder + "rules.html",
             "as_of": y.as_of.isoformat() if y.as_of else "", "units": len(y.units)}
            for y in reversed(site.years.years)]


def render(site: Site, home: bool = False) -> bytes:
    """The year's ranking (``home``: at the site's root, with every year listed)."""
    path = PATH
    p = site.folder if home else ""
    units = site.results.units
    overall_ranks = [u.rank for u in units]
    overall = [unit_row(site, u, p, overall_ranks, "rank") for u in units]
    groups = []
    for g in site.rules.groups:
        members = sorted((u for u in units if u.unit.group == g.id), key=lambda u: u.group_rank)
        if not members:
            continue
        ranks = [u.group_rank for u in members]
        groups.append({
            "id": g.id, "name": g.name,
            "rows": [unit_row(site, u, p, ranks, "group_rank") for u in members],
            "chart": chart(site, members, p),
            "narrow": chart(site, members, p, narrow=True),
        })
    provisional = [u for u in units if u.provisional]
    pending_items = sum(1 for u in units for it in u.items if it.state == "pending")
    in_progress = site.results.as_of is not None
    if in_progress:  # no ranks mid-year: the units in the rules' order
        order = {u.slug: i for i, u in enumerate(site.rules.units)}
        overall = sorted(overall, key=lambda r: order[r["slug"]])
        for g in groups:
            g["rows"].sort(key=lambda r: order[r["slug"]])
    return site.render(path, "index.html", "index", root=home, overall=overall, groups=groups,
                       paper=paper.links(site, SUMMARY_FILE, p),
                       provisional_count=len(provisional), pending_items=pending_items,
                       record_count=len(site.results.records.records),
                       any_tie=any(r["tied"] for r in overall), in_progress=in_progress,
                       home=home, all_years=years_list(site) if home else [])
