"""The year's 公示, objections and answers, final decision and 更正记录 (lifecycle.html), and a unit's objections for its page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qsgen.site.context import Site
from qsgen.site.urls import unit_url

if TYPE_CHECKING:  # (core.lifecycle's dataclasses are imported when a year has a lifecycle)
    from qsgen.core.lifecycle import Objection

PATH = "lifecycle.html"
SIGNATURE_NAMES = {"verified": "签名已验证", "invalid": "签名无效", "unsigned": "未签名",
                   "unverifiable": "已签名，但本仓库没有审核人公钥文件，无法验证"}


def inputs(site: Site) -> tuple:
    """Everything it shows is the year's lifecycle (in every page's key) and unit names (rules)."""
    return (PATH,)


def objection_row(site: Site, o: Objection, p: str) -> dict[str, Any]:
    unit = site.rules.unit(o.unit)
    a = o.answer
    return {
        "unit": unit.name if unit else o.unit, "unit_href": p + unit_url(o.unit),
        "record": site.rec_link(o.record, p), "contests": o.contests_title or o.contests,
        "grounds": o.grounds, "date": o.date.isoformat(), "deadline": o.deadline.isoformat(),
        "status": o.status, "overdue": o.overdue,
        "answer": None if a is None else {
            "record": site.rec_link(a.record, p), "date": a.date.isoformat(), "result": a.result,
            "reason": a.reason, "decided_by": a.decided_by, "change": a.change, "late": a.late},
    }


def unit_objections(site: Site, slug: str, p: str) -> list[dict[str, Any]]:
    lc = site.results.lifecycle
    return [] if lc is None else [objection_row(site, o, p) for o in lc.of_unit(slug)]


def render(site: Site) -> bytes:
    lc = site.results.lifecycle
    p = ""
    changes = [{"name": c.name, "href": unit_url(c.slug), "before": site.num(c.total_before),
                "after": site.num(c.total_after), "rank_before": c.rank_before, "rank_after": c.rank_after,
                "delta": site.signed(c.total_after - c.total_before)} for c in lc.changes]
    corrections = [{"record": site.rec_link(c.record, p), "date": c.date.isoformat(), "reason": c.reason,
                    "decision": c.decision, "files": list(c.files)} for c in lc.corrections]
    return site.render(
        PATH, "lifecycle.html", "lifecycle",
        lc={"state": lc.state, "answer_workdays": lc.answer_workdays,
            "digest": lc.manifest_digest, "signature": SIGNATURE_NAMES.get(lc.signature, ""),
            "signature_ok": lc.signature == "verified"},  # (no person's id on a page)
        objections=[objection_row(site, o, p) for o in lc.objections],
        corrections=corrections, changes=changes,
    )
