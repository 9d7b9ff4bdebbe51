"""基层所 of stations.yaml: the shared template of sections, then each 所 with its own case quota."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import NamedTuple

from qsgen.core.errors import Diagnostics
from qsgen.core.model import Item, Quota, Section, Source, Unit
from qsgen.rules.items import build_items, check_total, quota_part
from qsgen.rules.schema import Ctx, Obj, unique_ids
from qsgen.rules.units import check_group, news_quota


class SectionTemplate(NamedTuple):
    """A section of the shared template: checked once, its items built again for each 所."""

    obj: Obj
    item_objs: list[Obj]


def build_sections(objs: list[Obj], ctx: Ctx) -> list[SectionTemplate]:
    """Check the shared sections once (ids, totals); items are built per station."""
    out = []
    seen_items: dict[str, int] = {}
    for s in unique_ids(objs, ctx, "节"):
        if s.items is None:
            continue
        items = build_items(s.items, ctx, re.compile(rf"^{s.id}-\d+$"),
                            f"{s.id} 中的任务项编号写成 {s.id}-1、{s.id}-2……", s.id, [], None,
                            seen_items, None)
        if len(items) == len(s.items):
            check_total(items, Fraction(100), s.at("items"), ctx, f"第 {s.id} 节“{s.title}”")
        out.append(SectionTemplate(s, s.items))
    return out


def build_station(s: Obj, sections: list[SectionTemplate], ctx: Ctx, group_ids: list[str]) -> Unit | None:
    if s.slug is None:
        return None
    check_group(s, ctx, group_ids)
    case_quota = None
    if s.case_quota is not None:
        part = quota_part(None, s.case_quota, ctx)
        case_quota = Quota([part]) if part is not None else None
    # Items are built again for each station (fresh objects, own quota); their problems
    # were reported once by build_sections, so this pass collects into a scratch collector.
    scratch = Ctx(ctx.path, Diagnostics(), ctx.categories)
    built: list[Section] = []
    all_items: list[Item] = []
    for tpl in sections:
        sec = tpl.obj
        if any(_uses_station_quota(o) for o in tpl.item_objs) and case_quota is None \
                and s.case_quota is None:
            ctx.error(s.node, f"{s.name or s.slug} 没有写 case_quota，但第 {sec.id} 节的任务项写了 quota: station",
                      "在这个所下写 case_quota: {total: …, minimums: {…}}")
        items = build_items(tpl.item_objs, scratch, re.compile(rf"^{sec.id}-\d+$"), "", sec.id, [],
                            case_quota, {}, None)
        for it in items:
            if it.progress is not None and it.progress.type == "news" and s.news_quota is None:
                ctx.error(s.node, f"{s.name or s.slug} 没有写 news_quota，但任务项 {it.id} 显示新闻报道进度")
        built.append(Section(id=sec.id, title=sec.title or "", items=items, weight=sec.weight or Fraction(1)))
        all_items.extend(items)
    return Unit(slug=s.slug, name=s.name or s.slug, group=s.group or "", items=all_items, sections=built,
                news_quota=news_quota(s), lead_target=s.lead_target,
                source=Source(ctx.path, s.node.line, s.node.col), previous=list(s.previous or []))


def _uses_station_quota(o: Obj) -> bool:
    n = o.value_node("quota")
    return n is not None and n.is_scalar and n.value.strip() == "station"
