"""A unit's result notice (notices/<unit>.html): an A4 document to sign, seal and send, also made into PDF."""

from __future__ import annotations

from qsgen.core.model import UnitScore
from qsgen.site.context import Site
from qsgen.site.pages import paper
from qsgen.site.urls import notice_file


def inputs(site: Site, us: UnitScore) -> tuple:
    """Besides code, templates and rules: the unit's score with its lines (whose explanations may
    quote record titles: ``us.outline`` stands for them when present) and where every unit
    stands (its ranks, ties and state depend on the others)."""
    return (notice_file(us.unit.slug), us.outline or repr(us), paper.positions(site))


def render(site: Site, us: UnitScore) -> bytes:
    from qsgen.site import notices  # (imported when the page is made, not while it is reused)

    path = notice_file(us.unit.slug)
    ctx = notices.notice_context(site.results, us)
    return site.render(path, "notice.html", "notice", **ctx,
                       **paper.common(site, path, ctx["u"]["state"],
                                      f"{us.unit.name} · {site.rules.year}年度考核结果通知书"))
