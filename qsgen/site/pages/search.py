"""The search page (search.html) and the pieces of the search index made from the site (units, records, rules)."""

from __future__ import annotations

from collections.abc import Iterator

from qsgen.core.kinds import KINDS
from qsgen.site import search
from qsgen.site.context import Site
from qsgen.site.urls import unit_url

PATH = "search.html"


def tables(site: Site) -> tuple[list[str], list[str]]:
    """The search index's kinds and units: every kind and unit there can be (a function of
    the code and the rules), so that no part of the index depends on another."""
    kinds = sorted({k.name for k in KINDS.values()} | {"单位", "规则"})
    units = sorted({u.name for u in site.rules.units} | {""})
    return kinds, units


def head_rows(site: Site) -> list[search.Row]:
    """The units' rows, in rank order (before every record)."""
    rows = []
    for us in site.results.units:
        u = us.unit
        text = " ".join([u.name, site.rules.group_name(u.group)]
                        + [f"{it.item.id} {it.item.text}" for it in us.items])
        rows.append(search.row(search.SearchDoc(url=unit_url(u.slug), title=u.name, kind="单位",
                                                unit=u.name, text=text)))
    return rows


def tail_rows(site: Site) -> list[search.Row]:
    """The rules page's row (after every record)."""
    r = site.rules
    return [search.row(search.SearchDoc(
        url="rules.html", title="考核规则", kind="规则", unit="",
        text=" ".join([a.id + " " + a.title + " " + a.text for a in r.adjustments]
                      + [i.title + " " + i.text for i in r.interpretations])))]


def part(site: Site, slug: str, rows: list[search.Row]) -> Iterator[bytes]:
    """search/parts/<unit>.js: the search rows of one unit's records."""
    kinds, units = tables(site)
    return search.part_pieces(slug, kinds, units, rows)


def index(site: Site, head: list[search.Row], tail: list[search.Row], names: list[str]) -> Iterator[bytes]:
    """search/index.js: the tables, the unit and rules rows, the names of the parts."""
    kinds, units = tables(site)
    search.tables(head + tail)  # (a URL given twice is an error)
    return search.index_pieces(kinds, units, head, names, tail)


def page_context(site: Site, docs: int) -> dict:
    return {"scripts": [search.INDEX_FILE, search.CLIENT_FILE], "doc_count": docs}


def inputs(site: Site, docs: int) -> tuple:
    """Besides code, templates and rules: how many documents can be searched."""
    return (PATH, sorted(page_context(site, docs).items()))


def render(site: Site, docs: int) -> bytes:
    return site.render(PATH, "search.html", "search", **page_context(site, docs))
