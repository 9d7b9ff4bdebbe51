"""Task items (t01…, s01-1…) with their quota of cases, progress and extras; points adding up to 100."""

from __future__ import annotations

import re
from fractions import Fraction

from qsgen.core.model import Item, Progress, Quota, QuotaPart, Source
from qsgen.rules.describe import num
from qsgen.rules.files import QUOTA_SCOPE, TEAM_QUOTAS
from qsgen.rules.parts import build_part
from qsgen.rules.schema import Ctx, Invalid, Obj, choices_text, guess, key_pos, unique_ids


def build_items(objs: list[Obj], ctx: Ctx, id_re: re.Pattern, id_hint: str, section: str | None,
                teams: list[str], station_quota: Quota | None | str, seen: dict[str, int],
                unit_obj: Obj | None) -> list[Item]:
    items = []
    for o in objs:
        if o.id is None or o.points is None:
            continue
        id_node = o.value_node("id")
        if not id_re.match(o.id):
            ctx.error(id_node, f"任务项编号“{o.id}”的写法不对", id_hint)
            continue
        if o.id in seen:
            ctx.error(id_node, f"任务项编号“{o.id}”重复（第一次在第 {seen[o.id]} 行）", "每个编号只能用一次")
            continue
        seen[o.id] = id_node.line
        quota = _item_quota(o, ctx, teams, station_quota)
        progress = _item_progress(o, ctx, unit_obj)
        extras = []
        for p in unique_ids(o.extras or [], ctx, "项内加分"):
            part = build_part(p, ctx, o.id)
            if part is not None:
                extras.append(part)
        items.append(Item(id=o.id, text=o.text or "", max=o.points, method=o.method or "assessed",
                          section=section, quota=quota, progress=progress, extras=extras,
                          source=Source(ctx.path, o.node.line, o.node.col)))
    return items


def _item_progress(o: Obj, ctx: Ctx, unit_obj: Obj | None) -> Progress | None:
    p = o.progress
    if p is None:
        return None
    if p.type in ("count", "rate") and p.target is None:
        ctx.error(p.at("type"), f"进度类型 {p.type} 需要写 target（目标{'数' if p.type == 'count' else '百分比'}）")
    if unit_obj is not None:  # 机关 unit: the unit-level numbers must exist
        if p.type == "news" and unit_obj.news_quota is None:
            ctx.error(p.at("type"), "进度类型 news 需要单位写 news_quota（新闻报道任务）")
        if p.type == "leads" and unit_obj.lead_target is None:
            ctx.error(p.at("type"), "进度类型 leads 需要单位写 lead_target（案件线索任务数）")
    if p.type == "cases" and o.method != "quota":
        ctx.error(p.at("type"), "进度类型 cases 只能用于 method: quota 的任务项")
    return Progress(type=p.type, target=p.target, unit=p.unit or "") if p.type else None


def _item_quota(o: Obj, ctx: Ctx, teams: list[str], station_quota: Quota | None | str) -> Quota | None:
    node = o.value_node("quota")
    if o.method == "quota" and node is None:
        ctx.error(o.at("method"), "method: quota 的任务项需要写 quota（任务数）")
        return None
    if node is None:
        return None
    if o.method != "quota":
        ctx.error(o.at("quota"), "写了 quota 的任务项要写 method: quota", "加上 method: quota")
        return None
    if node.is_scalar:
        if node.value.strip() != "station":
            ctx.error(node, f"quota 的写法不对：“{node.value}”",
                      "写成 {total: 25, minimums: {…}}、{teams: {…}}，或在 stations.yaml 中写 station")
            return None
        if station_quota == "none":
            ctx.error(node, "quota: station 只能用于 stations.yaml 的节中", "机关单位请直接写 {total: …, minimums: …}")
            return None
        return station_quota if isinstance(station_quota, Quota) else None
    try:
        if node.is_map and "teams" in node.value:
            obj = TEAM_QUOTAS.convert(node, ctx)
            parts = []
            tnode = obj.value_node("teams")
            for name, scope in (obj.teams or {}).items():
                if teams and name not in teams:
                    ctx.error(key_pos(tnode, name), f"“{name}”不是本单位的队",
                              f"本单位 teams：{choices_text(teams)}")
                    continue
                part = quota_part(name, scope, ctx)
                if part is not None:
                    parts.append(part)
            return Quota(parts) if parts else None
        scope = QUOTA_SCOPE.convert(node, ctx)
        part = quota_part(None, scope, ctx)
        return Quota([part]) if part is not None else None
    except Invalid as e:
        ctx.invalid(e, node)
        return None


def quota_part(name: str | None, scope: Obj | None, ctx: Ctx) -> QuotaPart | None:
    """One quota scope (a team's, or the whole unit's when ``name`` is None), categories made canonical."""
    if scope is None or scope.total is None:
        return None
    mins: dict[str, int] = {}
    mnode = scope.value_node("minimums")
    ok = True
    for cat, n in (scope.minimums or {}).items():
        canon = ctx.categories.get(cat)
        if canon is None:
            ctx.error(key_pos(mnode, cat), f"未知的案件类别“{cat}”",
                      guess(cat, ctx.categories, "类别在 assessment.yaml 的 case_categories 中定义"))
            ok = False
            continue
        if canon in mins:
            ctx.error(key_pos(mnode, cat), f"案件类别“{canon}”写了两次（“{cat}”是它的别名）")
            ok = False
            continue
        mins[canon] = n
    if sum(mins.values()) > scope.total:
        ctx.error(scope.at("minimums") if mnode is not None else scope.at("total"),
                  f"各类最低件数之和 {sum(mins.values())} 超过任务总数 {scope.total}"
                  + (f"（{name}）" if name else ""), "检查 total 和 minimums")
        ok = False
    return QuotaPart(name, scope.total, mins) if ok else None


def check_total(items: list[Item], expected: Fraction, pos: tuple[int, int], ctx: Ctx, what: str) -> None:
    total = sum((i.max for i in items), Fraction(0))
    if total != expected:
        ctx.error(pos, f"{what}各项分值之和为 {num(total)}，应为 {num(expected)}",
                  "检查各项的 points")
