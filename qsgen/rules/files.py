"""The four files of rules/<year>/ and the keys each may have, as schemas."""

from __future__ import annotations

import re
from fractions import Fraction

from qsgen.core.kinds import LEVEL_ALIASES
from qsgen.core.measures import PROGRESS_TYPES
from qsgen.rules.schema import (
    Bool,
    Choice,
    Date,
    ListOf,
    MapOf,
    Number,
    Opt,
    Raw,
    Rounding,
    Schema,
    Text,
)

RULE_FILES = ("assessment.yaml", "units.yaml", "stations.yaml", "adjustments.yaml")
APPLIES_TO_BOOL = ("case_quota", "news_quota", "lead_target", "teams")

SLUG = Text(pattern=re.compile(r"^[a-z][a-z0-9_-]*$"),
            hint="只用小写英文字母、数字、- 和 _，以字母开头，例如 longgang")
LEVEL = Choice(LEVEL_ALIASES, "级别")
COUNT = Number(min=0, integer=True)

ASSESSMENT = Schema({
    "year": Opt(Number(min=2000, max=2100, integer=True), True),
    "title": Opt(Text(), True),
    "document": Opt(Text(empty=True), default=""),
    "period": Opt(Schema({"start": Opt(Date(), True), "end": Opt(Date(), True)}, "考核期"), True),
    "display": Opt(Schema({
        "places": Opt(Number(min=0, max=6, integer=True), default=2),
        "rounding": Opt(Rounding(), default="ROUND_HALF_UP"),
    }, "显示方式")),
    "groups": Opt(ListOf(Schema({"id": Opt(SLUG, True), "name": Opt(Text(), True)}, "分组")), True),
    "departments": Opt(MapOf(SLUG, Text()), True),
    "case_categories": Opt(MapOf(Text(), ListOf(Text())), True),
    # The result's lifecycle (DESIGN.md §6): the shortest 公示 and the office's deadline to
    # answer an objection, both in working days of the official calendar (rules/calendar/).
    "objections": Opt(Schema({
        "notice_workdays": Opt(Number(min=1, max=60, integer=True), default=5),
        "answer_workdays": Opt(Number(min=1, max=60, integer=True), default=10),
    }, "公示与异议")),
    "interpretations": Opt(ListOf(Schema({
        "id": Opt(Text(), True), "title": Opt(Text(), True), "text": Opt(Text(), True),
    }, "口径")), default=list),
}, "考核总则")

PROGRESS = Schema({
    "type": Opt(Choice(tuple(PROGRESS_TYPES), "进度类型"), True),
    "target": Opt(Number(min=0)),
    "unit": Opt(Text(empty=True), default=""),
}, "进度")

PART = Schema({
    "id": Opt(Text(), True),
    "label": Opt(Text(empty=True), default=""),
    "per": Opt(Text(), True, help="per 写 record、flag 或度量名"),
    "kind": Opt(Text()),
    "where": Opt(Raw()),
    "zero_when": Opt(Raw()),
    "once": Opt(Bool(), default=False),
    "year_end": Opt(Bool(), default=False),
    "amount": Opt(Raw(), True, help="amount 写分值，例如 0.5"),
}, "计分方式")

QUOTA_SCOPE = Schema({
    "total": Opt(Number(min=1, integer=True), True),
    "minimums": Opt(MapOf(Text(), COUNT), default=dict),
}, "任务数")
TEAM_QUOTAS = Schema({"teams": Opt(MapOf(Text(), QUOTA_SCOPE), True)}, "各队任务数")

ITEM = Schema({
    "id": Opt(Text(), True),
    "points": Opt(Number(positive=True), True),
    "text": Opt(Text(), True),
    "method": Opt(Choice(("assessed", "quota"), "计分方法"), default="assessed"),
    "quota": Opt(Raw()),
    "progress": Opt(PROGRESS),
    "extras": Opt(ListOf(PART), default=list),
}, "任务项")

_UNIT_COMMON = {
    "slug": Opt(SLUG, True),
    "name": Opt(Text(), True),
    "group": Opt(Text(), True),
    "news_quota": Opt(MapOf(LEVEL, COUNT)),
    "lead_target": Opt(COUNT),
    "previous": Opt(ListOf(SLUG, unique=True), default=list),
}
UNIT = Schema({
    **_UNIT_COMMON,
    "teams": Opt(ListOf(Text(), unique=True), default=list),
    "items": Opt(ListOf(ITEM), True),
}, "单位")
STATION = Schema({**_UNIT_COMMON, "case_quota": Opt(QUOTA_SCOPE)}, "所")
SECTION = Schema({
    "id": Opt(Text(pattern=re.compile(r"^s\d\d$"), hint="节的编号写成 s01、s02……"), True),
    "title": Opt(Text(), True),
    "weight": Opt(Number(positive=True), default=lambda: Fraction(1)),
    "items": Opt(ListOf(ITEM), True),
}, "节")

APPLIES_TO = Schema({
    **{k: Opt(Bool()) for k in APPLIES_TO_BOOL},
    "group": Opt(Raw()),
    "units": Opt(ListOf(Text())),
}, "适用范围")
ADJUSTMENT = Schema({
    "id": Opt(Text(), True),
    "type": Opt(Choice({"bonus": "bonus", "deduction": "deduction", "加分": "bonus", "减分": "deduction"},
                       "类型"), True),
    "title": Opt(Text(), True),
    "text": Opt(Text(), True),
    "responsible": Opt(Text(), True),
    "cap": Opt(Number(positive=True)),
    "applies_to": Opt(APPLIES_TO),
    "note": Opt(Text(empty=True), default=""),
    "parts": Opt(ListOf(PART), True),
}, "加减分项目")

# assessment.yaml is read first and alone (the others need its case categories).
FILES = {
    "units.yaml": Schema({"units": Opt(ListOf(UNIT), True)}, "units.yaml"),
    "stations.yaml": Schema({"sections": Opt(ListOf(SECTION), True),
                             "stations": Opt(ListOf(STATION), True)}, "stations.yaml"),
    "adjustments.yaml": Schema({"adjustments": Opt(ListOf(ADJUSTMENT), True)}, "adjustments.yaml"),
}
