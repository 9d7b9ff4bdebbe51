"""The search page (search.html, at the site's root) and the pieces of the search index made from every year."""

from __future__ import annotations

from collections.abc import Iterator

from qsgen.core.kinds import KINDS
from qsgen.site import search
from qsgen.site.context import Site
from qsgen.site.urls import unit_url

PATH = "search.html"


def label(site: Site, unit_name: str = "") -> str:
    """What a result shows as its unit: the year, and the unit's name when it has one."""
    return f"{site.year.year}年 {unit_name}" if unit_name else f"{site.year.year}年"


def tables(site: Site) -> tuple[list[str], list[str]]:
    """The search index's kinds and units: every kind and every year's unit there can be (a
    function of the code and every year's rules), so that no part of the index depends on
    another."""
    kinds = sorted({k.name for k in KINDS.values()} | {"单位", "规则"})
    units = sorted({f"{y.year}年 {u.name}" for y in site.years for u in y.units}
                   | {f"{y.year}年" for y in site.years})
    return kinds, units


def part_name(site: Site, slug: str) -> str:
    """The name of the index part of a unit's records of the year ("2023-longgang")."""
    return f"{site.year.year}-{slug}"


def head_rows(site: Site) -> list[search.Row]:
    """The year's units' rows, in rank order (before every record)."""
    rows = []
    for us in site.results.units:
        u = us.unit
        text = " ".join([u.name, site.rules.group_name(u.group)]
                        + [f"{it.item.id} {it.item.text}" for it in us.items])
        rows.append(search.row(search.SearchDoc(url=site.folder + unit_url(u.slug), title=u.name, kind="单位",
                                                unit=label(site, u.name), text=text)))
    return rows


def tail_rows(site: Site) -> list[search.Row]:
    """The year's rules page's row (after every record)."""
    r = site.rules
    return [search.row(search.SearchDoc(
        url=site.folder + "rules.html", title=f"{r.year}年度考核规则", kind="规则", unit=label(site),
        text=" ".join([a.id + " " + a.title + " " + a.text for a in r.adjustments]
                      + [i.title + " " + i.text for i in r.interpretations])))]


def part(site: Site, name: str, rows: list[search.Row], nb: int) -> search.Part:
    """A unit's records of a year in the search index: its row files and gram sections."""
    kinds, units = tables(site)
    return search.make_part(name, rows, kinds, units, nb)


def files(site: Site, head: list[search.Row], parts: list[search.Part], tail: list[search.Row],
          nb: int) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of index.js (the tables, every year's unit and rules rows, the parts) and
    of the gram files."""
    kinds, units = tables(site)
    return search.index_files(kinds, units, head, parts, tail, nb)


def page_context(site: Site, docs: int) -> dict:
    return {"scripts": [search.INDEX_FILE, search.CLIENT_FILE], "doc_count": docs}


def inputs(site: Site, docs: int) -> tuple:
    """Besides code, templates and the years: how many documents can be searched."""
    return (PATH, sorted(page_context(site, docs).items()), tuple(site.years))


def render(site: Site, docs: int) -> bytes:
    return site.render(PATH, "search.html", "search", root=True, **page_context(site, docs))
