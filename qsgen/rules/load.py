"""Finding rules/<year>/, reading its four files and assembling model.Rules from them."""

from __future__ import annotations

import os
from pathlib import Path

from qsgen.core import yamlsafe
from qsgen.core.errors import Diagnostic, Diagnostics, QsgenError
from qsgen.core.model import AdjustmentRule, Group, Interpretation, Rules, Unit
from qsgen.core.yamlsafe import Node
from qsgen.repo.files import Refused, read_file
from qsgen.rules.adjustments import build_adjustment
from qsgen.rules.files import ASSESSMENT, FILES, RULE_FILES
from qsgen.rules.schema import Ctx, Invalid, Obj, choices_text, key_pos, unique_ids
from qsgen.rules.stations import build_sections, build_station
from qsgen.rules.units import build_jiguan, slug_ok


def rules_dir(root: Path, year: int | None) -> tuple[Path | None, str]:
    """The folder rules/<year> (the newest when year is None) and its repo-relative name."""
    base = Path(root) / "rules"
    if year is None:
        years = sorted(int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit()) \
            if base.is_dir() else []
        if not years:
            return None, "rules"
        year = years[-1]
    return base / str(year), f"rules/{year}"


def load_rules(root: Path, year: int | None = None) -> tuple[Rules | None, list[Diagnostic]]:
    """Read and validate rules/<year>/; (None, diagnostics) when anything is wrong."""
    folder, rel = rules_dir(Path(root), year)
    diags = Diagnostics()
    if folder is None or not folder.is_dir():
        diags.error(rel, 1, 1, f"找不到规则文件夹 {rel}/",
                    "规则放在 rules/<年度>/ 下，例如 rules/2023/assessment.yaml")
        return None, diags.sorted()
    nodes: dict[str, Node] = {}
    for name in RULE_FILES:
        path = f"{rel}/{name}"
        file = folder / name
        if not os.path.lexists(file):
            diags.error(path, 1, 1, f"缺少规则文件 {name}", f"{rel}/ 下应有 {choices_text(RULE_FILES)}")
            continue
        try:
            text = read_file(file, within=root).decode("utf-8-sig").replace("\r\n", "\n")
        except Refused as e:
            diags.error(path, 1, 1, f"规则文件{e.reason}", "规则文件必须是仓库里的普通文本文件")
            continue
        except UnicodeDecodeError:
            diags.error(path, 1, 1, "文件不是 UTF-8 编码", "请用 UTF-8 编码保存")
            continue
        node, errs = yamlsafe.load(text, path)
        diags.extend(errs)
        if node is None and not errs:
            diags.error(path, 1, 1, "文件是空的")
        elif node is not None:
            nodes[name] = node
    if len(nodes) == len(RULE_FILES):
        rules = _build(nodes, rel, diags, int(folder.name) if folder.name.isdigit() else None)
    else:
        rules = None
    if diags.errors:
        return None, diags.sorted()
    return rules, diags.sorted()


def load_rules_or_raise(root: Path, year: int | None = None) -> Rules:
    rules, diags = load_rules(root, year)
    if rules is None or any(d.severity == "error" for d in diags):
        raise QsgenError("考核规则有错误", diags)
    return rules


def _build(nodes: dict[str, Node], rel: str, diags: Diagnostics, year: int | None) -> Rules | None:
    # ---- assessment.yaml
    actx = Ctx(f"{rel}/assessment.yaml", diags)
    try:
        a = ASSESSMENT.convert(nodes["assessment.yaml"], actx)
    except Invalid as e:
        actx.invalid(e, nodes["assessment.yaml"])
        return None
    if a.year is not None and year is not None and a.year != year:
        actx.error(a.at("year"), f"year 写的是 {a.year}，但文件夹是 {rel}/", f"改为 year: {year}")
    period = a.period
    if period is not None and period.start and period.end and period.start > period.end:
        actx.error(period.at("start"), "考核期的开始日期晚于结束日期")
    groups = unique_ids(a.groups or [], actx, "分组")
    departments = a.departments or {}
    categories = _categories(a, actx)
    interpretations = [Interpretation(str(i.id), i.title, i.text) for i in unique_ids(
        a.interpretations or [], actx, "口径")]
    display = a.display
    places = display.places if display is not None and display.places is not None else 2
    rounding = display.rounding if display is not None and display.rounding is not None else "ROUND_HALF_UP"
    group_ids = [g.id for g in groups]
    objections = a.objections

    # ---- units.yaml, stations.yaml
    units: list[Unit] = []
    uctx = Ctx(f"{rel}/units.yaml", diags, categories)
    sctx = Ctx(f"{rel}/stations.yaml", diags, categories)
    u_file = _convert_file("units.yaml", nodes, uctx)
    s_file = _convert_file("stations.yaml", nodes, sctx)
    seen_slugs: dict[str, str] = {}
    if u_file is not None:
        for u in u_file.units or []:
            unit = build_jiguan(u, uctx, group_ids)
            if unit is not None and slug_ok(unit, u, uctx, seen_slugs):
                units.append(unit)
    if s_file is not None:
        sections = build_sections(s_file.sections or [], sctx)
        for s in s_file.stations or []:
            unit = build_station(s, sections, sctx, group_ids)
            if unit is not None and slug_ok(unit, s, sctx, seen_slugs):
                units.append(unit)

    # ---- adjustments.yaml
    adjustments: list[AdjustmentRule] = []
    dctx = Ctx(f"{rel}/adjustments.yaml", diags, categories)
    d_file = _convert_file("adjustments.yaml", nodes, dctx)
    if d_file is not None:
        for adj in unique_ids(d_file.adjustments or [], dctx, "加减分项目"):
            rule = build_adjustment(adj, dctx, departments, group_ids, [u.slug for u in units])
            if rule is not None:
                adjustments.append(rule)

    if diags.errors or a.year is None or period is None:
        return None
    return Rules(
        year=a.year, title=a.title, document=a.document or "", period=(period.start, period.end),
        places=places, rounding=rounding, groups=[Group(g.id, g.name) for g in groups],
        departments=dict(departments), case_categories=categories, units=units,
        adjustments=adjustments, interpretations=interpretations, root=rel,
        notice_workdays=objections.notice_workdays if objections is not None else 5,
        answer_workdays=objections.answer_workdays if objections is not None else 10,
    )


def _convert_file(name: str, nodes: dict[str, Node], ctx: Ctx) -> Obj | None:
    try:
        return FILES[name].convert(nodes[name], ctx)
    except Invalid as e:
        ctx.invalid(e, nodes[name])
        return None


def _categories(a: Obj, ctx: Ctx) -> dict[str, str]:
    """Case category aliases -> canonical name (assessment.yaml's case_categories)."""
    out: dict[str, str] = {}
    raw = a.case_categories or {}
    node = a.value_node("case_categories")
    for canon, aliases in raw.items():
        for name in [canon, *(aliases or [])]:
            if name in out and out[name] != canon:
                pos = key_pos(node, canon) if node is not None and canon in node.value else (1, 1)
                ctx.error(pos, f"案件类别别名“{name}”同时属于“{out[name]}”和“{canon}”",
                          "一个别名只能对应一个类别")
                continue
            out[name] = canon
    return out
