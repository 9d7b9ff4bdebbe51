"""One record file → Record: its kind (file name and kind field), its fields (fields.py), the unit's rules."""

from __future__ import annotations

import re
import sys
import unicodedata
from typing import Any

from qsgen.core.hints import did_you_mean, nearest
from qsgen.core.kinds import COMMON, FIELD_TYPES, KINDS, FieldSpec, kind_of_filename
from qsgen.core.model import Record, Unit
from qsgen.records.crosscheck import check_links
from qsgen.records.fields import ABSENT, INVALID, convert, describe, quote
from qsgen.records.files import FileReport, FileResult, LoadContext, UnitFolder, fold_name
from qsgen.records.frontmatter import body_cost, body_guard, parse_yaml, split_front_matter

_KINDS_LIST = "、".join(f"{k}（{v.name}）" for k, v in KINDS.items())


def read_record(ctx: LoadContext, folder: UnitFolder, path: str, name: str, text: str,
                clashed: bool) -> FileResult:
    """The record in ``text`` (the file ``name`` of ``folder``), or its errors. ``clashed``:
    the walk reported the file's name (the record is left out, its dead links told now)."""
    report = FileReport(path)
    unit = folder.unit
    file_kind = kind_of_filename(name)
    front, body, body_line, diags = split_front_matter(text, path)
    if diags:
        report.errors(diags)
        return report.result()
    report.errors(body_guard(body, path, body_line))
    report.diags.extend(body_cost(body, path, body_line))
    root, diags = parse_yaml(front, path, 2)
    report.errors(diags)
    close_line = body_line - 1
    if root is None:
        if not report.bad and not clashed:  # nothing but comments between the --- lines
            report.error(1, 1, "字段区是空的", "在两行 --- 之间写 kind、title、date 等字段")
        if file_kind is None:
            _bad_file_name(report, folder, name, None)
        return report.result()
    if not isinstance(root.value, dict):
        report.error(root.line, root.col, "字段区应当是一行一个“字段名: 值”",
                     "例如 title: 查处某超市销售过期食品案（冒号后要有一个空格）")
        return report.result()
    fields: dict[str, Any] = root.value
    kind = _kind(report, folder, name, file_kind, fields.get("kind"))
    if kind is None:
        return report.result()
    kind = sys.intern(kind)
    fctx = report.fields(ctx, period=KINDS[kind].in_period)
    specs, required = _specs(kind)
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    seen_bad: set[str] = set()
    for key, node in fields.items():
        # One str per field name for all records, not one per record (kept by every
        # record's fields and lines: ~20 MB at 50,000 records).
        key = sys.intern(key)
        lines[key] = node.key_line
        spec = specs.get(key)
        if spec is None:
            _unknown_field(report, key, node, kind, root.col)
            continue
        if key == "kind":
            values[key] = kind
            continue
        v = convert(key, spec, node, fctx)
        if v is INVALID:
            seen_bad.add(key)
        elif v is not ABSENT:
            values[key] = v
    for key in required:
        if key not in values and key not in seen_bad and key not in fields:
            spec = specs[key]
            example = _example(key, spec, ctx.rules.case_categories)
            report.error(close_line, 1, f"缺少必填字段 {describe(key, spec)}",
                         f"在第 {close_line} 行的 --- 之前加一行：{example}")
    case_numbers = _unit_rules(ctx, report, unit, kind, values, fields, close_line)
    if fctx.errors:
        report.bad = True
    if report.bad or clashed:  # left out of the site; its dead links are told now
        report.diags.extend(check_links(ctx.root, path, body, body_line))
        return report.result(case_numbers=case_numbers)
    extra = {k: v for k, v in values.items() if k not in COMMON}
    stem = name[:-3]
    record = Record(
        id=f"{unit.slug}/{stem}", path=path, unit=unit.slug, kind=kind, title=values["title"],
        date=values["date"], fields=extra, body=body, attachments=values.get("attachments", []),
        lines=lines, body_line=body_line)
    return report.result((record,), case_numbers=case_numbers)


_SPECS: dict[str, tuple[Any, dict[str, FieldSpec], tuple[str, ...]]] = {}


def _specs(kind: str) -> tuple[dict[str, FieldSpec], tuple[str, ...]]:
    """The kind's fields (Kind.all_fields, made anew by each call) and the required ones but
    kind, in their order; worked out once per Kind (KINDS may gain kinds at run time)."""
    k = KINDS[kind]
    made = _SPECS.get(kind)
    if made is None or made[0] is not k:
        specs = k.all_fields
        made = _SPECS[kind] = (k, specs, tuple(n for n, s in specs.items() if s.required and n != "kind"))
    return made[1], made[2]


# ---------------------------------------------------------------- the kind


def _kind(report: FileReport, folder: UnitFolder, name: str, file_kind: str | None, node: Any) -> str | None:
    """The record's kind, checked against the file name; None when it cannot be known."""
    kind = None
    if node is None:
        report.error(1, 1, "缺少必填字段 kind（类型）",
                     f"在第 2 行写 kind: {file_kind}" if file_kind else f"类型有：{_KINDS_LIST}")
    elif not isinstance(node.value, str):
        report.error(node.line, node.col, "kind（类型）只能写一个记录类型",
                     f"写成一行：kind: {file_kind or 'case'}")
    elif (kind := unicodedata.normalize("NFKC", node.value).strip()) not in KINDS:  # ｎｅｗｓ is news
        kind = None
        text = node.value.strip()
        by_name = {v.name: k for k, v in KINDS.items()}
        if text in by_name:
            hint = f"kind 要写英文代号：kind: {by_name[text]}"
        else:
            hint = (did_you_mean(text, list(KINDS)) if text else "") + f"类型有：{_KINDS_LIST}"
        report.error(node.line, node.col, f"没有{quote(text)}这种记录类型", hint)
    if file_kind is None:
        _bad_file_name(report, folder, name, kind)
    elif kind is not None and kind != file_kind:
        report.error(node.line, node.col,
                     f"kind 写的是 {kind}，但文件名以 {file_kind}- 开头，两者必须一致",
                     f"如果这是{KINDS[kind].name}记录，请把文件改名为 {kind}-…md；"
                     f"否则把这一行改成 kind: {file_kind}")
        return None
    return kind or file_kind


def _bad_file_name(report: FileReport, folder: UnitFolder, name: str, kind: str | None) -> None:
    stem = name[:-3] if name.endswith(".md") else name
    first = re.split(r"[-_.]", stem, maxsplit=1)[0]
    best = nearest(first, list(KINDS)) if first else None
    if best is not None and fold_name(first) == best:  # News-T7.md, ＣＡＳＥ-1.md
        rename = (kind or best) + stem[len(first):] + ".md"
        report.error(1, 1, f"文件名{quote(name)}开头的记录类型要写成小写英文 {best}",
                     f"请改名为 {rename}" + _taken(folder, name, rename))
        return
    if best is not None:  # cas-1.md: the type misspelt, replace it rather than prefix it
        example = (kind or best) + stem[len(first):] + ".md"
        hint = f"是不是想写 {best}？"
    else:
        example = f"{kind}-{stem}.md" if kind else "case-2023-06-02-1.md"
        hint = ""
    report.error(1, 1, f"文件名{quote(name)}没有以记录类型开头",
                 hint + f"文件名要以类型加“-”开头，例如 {example}" + (_taken(folder, name, example) if kind else ""))


def _taken(folder: UnitFolder, name: str, rename: str) -> str:
    """A warning when the suggested new name is already used (up to case) in the folder."""
    names = folder.names
    other = names.get(fold_name(rename))
    if other is None or other == name:
        return ""
    stem = rename[:-3]
    n = 2
    while fold_name(f"{stem}-{n}.md") in names:
        n += 1
    return (f"；但同一文件夹里已有 {other}（只差大小写，Windows 上会被当成同一个文件）："
            f"如果是同一条记录，请删掉其中一个；不是的话换一个名字，如 {stem}-{n}.md")


# -------------------------------------------------------------- the fields


def _unknown_field(report: FileReport, key: str, node: Any, kind: str, col: int) -> None:
    specs = KINDS[kind].all_fields
    labels = {s.label: k for k, s in specs.items() if s.label}
    if key in labels:
        hint = f"字段名要写英文：{labels[key]}"
    elif ":" in key:
        hint = "冒号后面要加一个空格：字段名: 值"
    else:
        hint = did_you_mean(key, list(specs))
        others = [k for k, v in KINDS.items() if key in v.fields]
        if not hint and others:
            hint = f"{key} 是 {others[0]}（{KINDS[others[0]].name}）记录的字段，{KINDS[kind].name}记录不用写"
        if not hint:
            hint = f"{KINDS[kind].name}记录可以写的字段：" + "、".join(specs)
    report.error(node.key_line, col, f"不认识的字段{quote(key)}", hint)


def _example(key: str, spec: FieldSpec, categories: dict[str, str]) -> str:
    """A line the user can add for a missing field, with its help as a comment."""
    if spec.type == "enum" and isinstance(spec.choices, dict):
        return f"{key}: {next(iter(spec.choices))}"
    if spec.choices == "case_category" and categories:
        return f"{key}: {next(iter(categories.values()))}    # 可填：" + "、".join(dict.fromkeys(categories.values()))
    return f"{key}: {FIELD_TYPES[spec.type].example}" + (f"    # {spec.help}" if spec.help else "")


# -------------------------------------------------------- the unit's rules


def _unit_rules(ctx: LoadContext, report: FileReport, unit: Unit, kind: str, values: dict, fields: dict,
                close_line: int) -> tuple[tuple[str, str, int, str], ...]:
    """Checks that need the unit: unit field, task id, team; the case number (for the check
    across files) as FileResult.case_numbers holds it."""
    path = report.path
    if "unit" in values and values["unit"] not in (unit.slug, unit.name):
        node = fields["unit"]
        report.error(node.line, node.col,
                     f"unit 写的是{quote(values['unit'])}，但文件在 {unit.slug}（{unit.name}）文件夹里",
                     f"删掉 unit 这一行（单位由文件夹决定），或改成 unit: {unit.slug}")
    if kind == "evidence" and "task" in values:
        task = unicodedata.normalize("NFKC", values["task"]).strip()  # ｔ０３ is t03
        items = ctx.item_ids.get(unit.slug, {})
        if task not in items:
            node = fields["task"]
            best = nearest_item(task, list(items))
            hint = (f"是不是想写 {best}？" if best else "") + f"{unit.name}的任务项有：" + ids_text(list(items))
            report.error(node.line, node.col, f"{unit.name}没有任务项{quote(task)}", hint)
        else:
            values["task"] = task
    if kind == "case":
        team_node = fields.get("team")
        if unit.teams:
            if "team" in values and values["team"] not in unit.teams:
                report.error(team_node.line, team_node.col,
                             f"{unit.name}没有{quote(values['team'])}",
                             "可以填：" + "、".join(unit.teams))
            elif "team" not in values and (team_node is None or team_node.value == ""):
                line = team_node.key_line if team_node is not None else close_line
                report.error(line, 1, f"{unit.name}的案件必须写明 team（中队）",
                             "加一行 team: " + " 或 team: ".join(unit.teams))
        elif team_node is not None:
            report.error(team_node.key_line, 1,
                         f"只有设中队的单位（综合行政执法队）的案件才写 team，{unit.name}不用写",
                         "删掉 team 这一行")
        if "case_no" in values:
            case_no = values["case_no"]
            folded = _SPACES.sub("", unicodedata.normalize("NFKC", case_no)).casefold()
            return ((folded, path, fields["case_no"].line, case_no),)
    return ()


_SPACES = re.compile(r"\s+")


def nearest_item(text: str, ids: list[str]) -> str | None:
    """The item id meant by ``text``: zero-padded (s4-3 → s04-3, T3 → t03), else the closest."""
    t = unicodedata.normalize("NFKC", text).strip().lower().replace("_", "-").replace("—", "-")
    padded = re.sub(r"(?<![0-9])([0-9])(?![0-9])", r"0\1", t)
    for candidate in (t, padded, re.sub(r"-0([0-9])$", r"-\1", padded)):
        if candidate in ids:
            return candidate
    return nearest(t, ids, cutoff=0.4)


def ids_text(ids: list[str]) -> str:
    """A unit's item ids for a message (the first and the last ones when there are many)."""
    if len(ids) <= 16:
        return "、".join(ids)
    return "、".join(ids[:6]) + " … " + "、".join(ids[-3:])
