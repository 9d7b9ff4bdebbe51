"""records/<year>/status.yaml: the year's state (进行中 / 公示 / 定稿) as the assessment office writes it."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qsgen.core.errors import Diagnostics
from qsgen.core.stages import FINAL, IN_PROGRESS, NOTICE, STATUS_FILE
from qsgen.core.yamlsafe import load as load_yaml
from qsgen.repo.files import Refused, read_file

STATES = {IN_PROGRESS: IN_PROGRESS, "in_progress": IN_PROGRESS, NOTICE: NOTICE, "notice": NOTICE,
          "公示中": NOTICE, FINAL: FINAL, "final": FINAL, "已定稿": FINAL}


@functools.cache
def _schema() -> Any:
    """The status file's schema (the schema code is imported only for a year that has the file)."""
    from qsgen.rules.schema import Choice, Date, Number, Opt, Schema, Text

    return Schema({
        "state": Opt(Choice(STATES, "状态"), True, help="写 state: 进行中、公示 或 定稿"),
        "notice": Opt(Schema({
            "start": Opt(Date(), True, help="公示开始日期，如 start: 2024-01-15"),
            "workdays": Opt(Number(min=1, max=60, integer=True), True, help="公示几个工作日，如 workdays: 5"),
            "where": Opt(Text(), True, help="向哪里提出异议，如 where: 局机关309室考核办"),
            "how": Opt(Text(), True, help="怎样提出异议，如 how: 在本单位文件夹提交异议记录（objection）"),
        }, "公示")),
        "final": Opt(Schema({
            "date": Opt(Date(), True, help="定稿日期，如 date: 2024-02-02"),
            "decision": Opt(Text(), True, help="定稿决定的文号，如 decision: 沁市监字〔2024〕9号"),
        }, "定稿")),
    }, "年度状态")


@dataclass
class Status:
    """A year's state file (records/<year>/status.yaml) as read."""

    path: str
    state: str
    notice: Any  # schema Obj or None
    final: Any
    line: int = 1  # of the state: key


def read_status(root: Path, year: int, diags: Diagnostics) -> Status | None:
    """The year's status file, None when there is none (the year is 进行中) or it has errors."""
    rel = f"records/{year}/{STATUS_FILE}"
    full = Path(root) / rel
    if not os.path.lexists(full) or full.is_symlink():
        return None
    try:
        text = read_file(full, within=root).decode("utf-8-sig")
    except Refused as e:
        diags.error(rel, 1, 1, f"年度状态文件{e.reason}", "请放仓库里的普通文本文件")
        return None
    except UnicodeDecodeError as e:
        diags.error(rel, 1, 1, f"无法读取年度状态文件：{e}", "请用 UTF-8 保存")
        return None
    node, ydiags = load_yaml(text, rel)
    diags.extend(ydiags)
    if node is None:
        if not ydiags:
            diags.error(rel, 1, 1, "年度状态文件是空的", "至少写一行 state: 进行中、公示 或 定稿")
        return None
    from qsgen.rules.schema import Ctx, Invalid

    ctx = Ctx(rel, diags)
    before = len(diags.errors)
    try:
        obj = _schema().convert(node, ctx)
    except Invalid as e:
        ctx.invalid(e, node)
        return None
    if len(diags.errors) > before or obj.state is None:
        return None
    if obj.state in (NOTICE, FINAL) and obj.notice is None:
        ctx.error(obj.at("state"), f"状态为{obj.state}，但没有写公示（notice）",
                  "加上 notice: {start: 公示开始日期, workdays: 5, where: 向哪里提出异议, how: 怎样提出异议}")
        return None
    if obj.state == FINAL and obj.final is None:
        ctx.error(obj.at("state"), "状态为定稿，但没有写定稿（final）", "加上 final: {date: 定稿日期, decision: 定稿决定文号}")
        return None
    return Status(rel, obj.state, obj.notice, obj.final, obj.at("state")[0])
