"""A unit's page: its score, every item with its progress and evidence, every bonus and deduction."""

from __future__ import annotations

import operator
from fractions import Fraction
from typing import Any

from qsgen.core.kinds import KINDS
from qsgen.core.model import ItemScore, Record, UnitScore
from qsgen.site.context import Site
from qsgen.site.labels import STATE_NAMES
from qsgen.site.pages import paper
from qsgen.site.pages.lifecycle import unit_objections
from qsgen.site.urls import notice_file, prefix_for, unit_file

_ID = operator.attrgetter("id")


class _Links(dict):
    """A page's links to records (record id -> Site.rec_link), each made once when first asked
    for: a unit page links each of its records in its list of records, most of them again as
    an item's evidence or in a score line (~25,000 links of ~10,000 records at 10,000)."""

    __slots__ = ("site", "p")

    def __init__(self, site: Site, p: str) -> None:
        super().__init__()
        self.site, self.p = site, p

    def __missing__(self, record_id: str) -> dict[str, str]:
        link = self[record_id] = self.site.rec_link(record_id, self.p)
        return link


def item_row(site: Site, it: ItemScore, links: _Links) -> dict[str, Any]:
    judged_note = ""
    if it.state == "computed" and it.judged is not None:
        judged_note = site.num(it.judged)
    return {
        "id": it.item.id,
        "text": it.item.text,
        "max": site.plain(it.item.max),
        "score": site.num(it.score) if it.score is not None else (
            "预计 " + site.num(it.projected) if it.projected is not None else "—"),
        "state": it.state,
        "state_name": STATE_NAMES.get(it.state, it.state),
        "method": "按记录计算" if it.item.method == "quota" else "考核办评分",
        "progress": [{
            "label": pv.label,
            "done": site.plain(pv.done),
            "target": site.plain(pv.target) if pv.target is not None else "",
            "met": pv.target is not None and pv.done >= pv.target,
            "records": list(map(links.__getitem__, pv.records)),
        } for pv in it.progress],
        "evidence": list(map(links.__getitem__, it.evidence)),
        "extras": [{
            "amount": site.plain(ln.amount), "explain": ln.explain,
            "records": list(map(links.__getitem__, ln.records)),
        } for ln in it.extras],
        "note": it.note,
        # "评分 8.8" only repeats the score; show the explanation when it adds something
        "explain": it.explain if (it.state != "judged" or it.extras) else "",
        "judged_note": judged_note,
    }


def linked(us: UnitScore) -> list[str]:
    """Every record id a unit page links to."""
    ids: list[str] = []
    for it in us.items:
        ids.extend(it.evidence)
        for pv in it.progress:
            ids.extend(pv.records)
        for ln in it.extras:
            ids.extend(ln.records)
    for adj in us.adjustments:
        for ln in adj.lines:
            ids.extend(ln.records)
    return ids


def inputs(site: Site, us: UnitScore) -> tuple:
    """Besides code, templates and rules: the unit's score, its ranks among all units and in its
    group, its assessment file, and the id, kind, title and date of its records (the only
    records it links: scoring sees no other unit's). ``us.outline`` (a digest of the score and
    of those record facts, made when the unit was scored) stands for them when present."""
    results = site.results
    group = [(u.unit.slug, u.rank, u.group_rank) for u in results.units if u.unit.group == us.unit.group]
    assessment = results.records.assessments.get(us.unit.slug)
    approved = approvals(site, us)
    if approved is not None:  # (only when approvals are configured: the key is as before)
        approved = (*approved, site.inputs.approvals.get(assessment.path) if assessment else None)
        group = (group, approved)
    if us.outline:
        return (us.outline, us.rank, us.group_rank, len(results.units), group, assessment)
    own = results.records.by_unit(us.unit.slug)
    facts = []
    for rid in linked(us):
        r = site.records.get(rid)
        facts.append((rid, r.title, r.date) if r else (rid,))
    return (repr(us), len(results.units), group, assessment,
            [(r.id, r.kind, r.title, r.date) for r in own], facts)


def approvals(site: Site, us: UnitScore) -> tuple[int, int] | None:
    """(records of the unit approved by a verified signature, records of the unit); None when
    approvals are not configured."""
    data = site.inputs.approvals
    if data is None:
        return None
    own = site.results.records.by_unit(us.unit.slug)
    return sum(1 for r in own if data.get(r.path, ("",))[0] == "approved"), len(own)


def approval_share(site: Site, us: UnitScore) -> dict[str, Any] | None:
    """What the unit page says of its records' approvals."""
    counts = approvals(site, us)
    if counts is None:
        return None
    done, total = counts
    return {"approved": done, "total": total,
            "share": site.num(Fraction(100 * done, total)) + "%" if total else ""}


def render(site: Site, us: UnitScore) -> bytes:
    path = unit_file(us.unit.slug)
    p = prefix_for(path)
    links = _Links(site, p)
    unit = us.unit
    group_size = sum(1 for u in site.results.units if u.unit.group == unit.group)
    sections = []
    if us.sections:
        for ss in us.sections:
            sections.append({
                "id": ss.section.id, "title": ss.section.title,
                "score": site.num(ss.score), "weight": site.plain(ss.section.weight),
                "rows": [item_row(site, it, links) for it in ss.items],
            })
    else:
        sections.append({"id": "", "title": "", "score": site.num(us.base), "weight": "",
                         "rows": [item_row(site, it, links) for it in us.items]})
    adjustments, idle = [], []
    for adj in us.adjustments:
        if not adj.lines:  # (a projected line is a line: shown)
            idle.append({"id": adj.rule.id, "title": adj.rule.title})
            continue
        adjustments.append({
            "id": adj.rule.id, "title": adj.rule.title,
            "type": "加分" if adj.rule.sign > 0 else "减分",
            "bonus": adj.rule.sign > 0,
            "responsible": site.rules.departments.get(adj.rule.responsible, adj.rule.responsible),
            "amount": site.signed(adj.signed) if (adj.amount or not adj.projected) else "预计 " + site.signed(
                adj.rule.sign * adj.projected),
            "raw": site.plain(adj.raw), "capped": adj.raw != adj.amount,
            "cap": site.plain(adj.rule.cap) if adj.rule.cap is not None else "",
            "explain": adj.explain,
            "lines": [{
                "amount": site.plain(ln.amount), "explain": ln.explain, "projected": ln.projected,
                "records": list(map(links.__getitem__, ln.records)),
            } for ln in adj.lines],
        })
    records = []
    by_kind: dict[str, list[Record]] = {}
    for r in site.results.records.by_unit(unit.slug):
        by_kind.setdefault(r.kind, []).append(r)
    for kind in KINDS:
        if kind in by_kind:
            recs = sorted(by_kind[kind], key=lambda r: (r.date, r.id))
            records.append({"kind": KINDS[kind].name,
                            "rows": list(map(links.__getitem__, map(_ID, recs)))})
    assessment = site.results.records.assessments.get(unit.slug)
    return site.render(
        path, "unit.html", "unit", about=unit.slug, paper=paper.links(site, notice_file(unit.slug), p),
        unit={"slug": unit.slug, "name": unit.name,
              "group": site.rules.group_name(unit.group), "stations": bool(us.sections)},
        s={"base": site.num(us.base), "bonus": site.num(us.bonus),
           "bonus_signed": site.signed(us.bonus), "deduction_signed": site.signed(-us.deduction),
           "has_bonus": us.bonus != 0, "has_deduction": us.deduction != 0,
           "deduction": site.num(us.deduction), "total": site.num(us.total),
           "rank": us.rank, "group_rank": us.group_rank, "provisional": us.provisional,
           "unit_count": len(site.results.units), "group_size": group_size,
           "pending": sum(1 for it in us.items if it.state == "pending"),
           "item_count": len(us.items), "in_progress": site.results.as_of is not None,
           "projected": site.signed(us.projected) if us.projected else "—"},
        sections=sections, adjustments=adjustments, idle=idle,
        computation=us.computation, records=records,
        assessment={"assessor": assessment.assessor,
                    "date": assessment.date.isoformat() if assessment.date else "",
                    "path": assessment.path,
                    "git": site.git_info(assessment.path, assessment.assessor or "考核领导小组办公室")}
        if assessment else None,
        approvals=approval_share(site, us),
        objections=unit_objections(site, unit.slug, p),
        assessment_approval=site.approval(assessment.path) if assessment else None,
    )
