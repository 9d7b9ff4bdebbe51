"""The year's summary table (summary.html): every unit's totals, ranks and state on A4, for posting during 公示."""

from __future__ import annotations

from qsgen.site.context import Site, bureau_of
from qsgen.site.pages import paper
from qsgen.site.urls import SUMMARY_FILE

PATH = SUMMARY_FILE


def inputs(site: Site) -> tuple:
    """Besides code, templates and rules: every unit's totals, pending items and standing."""
    totals = [(u.unit.slug, u.base, u.bonus, u.deduction, u.total,
               sum(1 for it in u.items if it.state == "pending")) for u in site.results.units]
    return (PATH, totals, paper.positions(site))


def render(site: Site) -> bytes:
    from qsgen.site import notices  # (imported when the page is made, not while it is reused)

    ctx = notices.summary_context(site.results)
    rules = site.rules
    return site.render(PATH, "summary.html", "summary", **ctx,
                       **paper.common(site, PATH, ctx["state"],
                                      f"{bureau_of(rules.title, rules.year)} {rules.year}年度工作目标考核结果汇总表"))
