"""A unit across the years (units/<slug>.html at the site's root): total and ranks per year, a chart, links."""

from __future__ import annotations

from typing import Any

from qsgen.site.context import Site
from qsgen.site.pages.index import bar_chart
from qsgen.site.urls import history_file, prefix_for, unit_url


def path(slug: str) -> str:
    return history_file(slug)


def anchor(sites: list[Site], slug: str) -> Site:
    """The last year that has a unit ``slug``."""
    return [s for s in sites if s.year.unit(slug) is not None][-1]


def rows(sites: list[Site], slug: str) -> list[dict[str, Any]]:
    """One row per year and unit of the lineage of ``slug`` (the units it continues and those
    that continue it), oldest year first."""
    by_year = {s.year.year: s for s in sites}
    home = anchor(sites, slug)
    r = prefix_for(path(slug))
    out = []
    for year, slugs in home.years.lineage(home.year.year, slug):
        site = by_year[year]
        for s in slugs:
            us = site.results.unit(s)
            if us is None:
                continue
            group = [u for u in site.results.units if u.unit.group == us.unit.group]
            out.append({
                "year": year, "slug": s, "name": us.unit.name, "group": site.rules.group_name(us.unit.group),
                "value": us.total, "total": site.num(us.total),
                "rank": us.rank, "unit_count": len(site.results.units),
                "group_rank": us.group_rank, "group_size": len(group),
                "provisional": us.provisional, "state": site.year.state, "state_name": site.year.state_name,
                "as_of": site.year.as_of.isoformat() if site.year.as_of else "",
                "href": r + site.folder + unit_url(s), "same": s == slug,
            })
    return out


def inputs(sites: list[Site], slug: str) -> tuple:
    """Besides code, templates and the years: each row's unit, total and ranks."""
    return (path(slug), tuple(sites[-1].years),
            [(x["year"], x["slug"], x["name"], x["group"], x["total"], x["rank"], x["unit_count"],
              x["group_rank"], x["group_size"], x["provisional"]) for x in rows(sites, slug)])


def render(sites: list[Site], slug: str) -> bytes:
    home = anchor(sites, slug)
    lines = rows(sites, slug)
    name = home.year.unit(slug).name
    bars = [(f"{x['year']} {x['name']}" if not x["same"] else str(x["year"]), f"{x['year']}年 {x['name']}",
             x["value"], x["href"], x["provisional"] or x["state"] == "in_progress") for x in lines]
    later = [y for y in home.years if y.year > home.year.year]
    return home.render(
        path(slug), "history.html", "history", root=True, about=slug,
        unit={"slug": slug, "name": name, "last_year": home.year.year,
              "ended": bool(later), "group": home.year.unit(slug).group},
        rows=lines, chart=bar_chart(home, bars), narrow=bar_chart(home, bars, narrow=True),
    )
