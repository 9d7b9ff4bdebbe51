"""The record kinds of DESIGN.md §3 and their fields, declared once as data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LEVEL_ALIASES = {
    "national": "national", "国家级": "national", "国家": "national", "国家级别": "national",
    "provincial": "provincial", "省级": "provincial", "省": "provincial",
    "city": "city", "市级": "city", "市": "city",
    "county": "county", "县级": "county", "县": "county",
}
PROCEDURE_ALIASES = {
    "general": "general", "一般": "general", "一般程序": "general",
    "simple": "simple", "简易": "simple", "简易程序": "simple",
}
FOUND_BY_ALIASES = {
    "review": "review", "复议": "review", "行政复议": "review",
    "litigation": "litigation", "诉讼": "litigation", "行政诉讼": "litigation",
    "supervision": "supervision", "执法监督": "supervision", "监督检查": "supervision",
    "执法监督检查": "supervision",
}
TEAM_ALIASES = {
    "一中队": "一中队", "1中队": "一中队", "一队": "一中队", "第一中队": "一中队", "1队": "一中队", "1": "一中队",
    "二中队": "二中队", "2中队": "二中队", "二队": "二中队", "第二中队": "二中队", "2队": "二中队", "2": "二中队",
}
COMMENDATION_ALIASES = {c: c for c in ("B1", "B2", "B3", "B4")}
# The office's answer to an objection (复核结论): keep the score, or change it.
ANSWER_ALIASES = {
    "维持": "维持", "maintain": "维持", "keep": "维持", "维持原结果": "维持", "驳回": "维持",
    "变更": "变更", "change": "变更", "changed": "变更", "更改": "变更", "采纳": "变更",
}


@dataclass(frozen=True)
class FieldType:
    """A type of front-matter field, declared once: what it is, and how it is offered to a
    person writing one. Its conversion and validation is records/fields.py's (CONVERTERS, by
    the same name); a type shown as anything but its text is site/labels.py's ``field_value``."""

    description: str  # Chinese: what to write
    example: str  # the value a hint suggests for a required field that is missing
    optional: str  # the value `qsgen new` writes, commented out, for an optional field ("": none)
    widget: str  # the web form's widget (Decap CMS, cms/config.py)


FIELD_TYPES: dict[str, FieldType] = {
    "text": FieldType("文字", "…", "", "string"),
    "date": FieldType("日期，如 2023-06-02", "2023-06-02", "", "datetime"),
    "int": FieldType("整数", "1", "1", "number"),
    "decimal": FieldType("数字，可带小数", "0", "96.5", "number"),
    "bool": FieldType("是或否：true 或 false", "true", "true", "boolean"),
    "enum": FieldType("从几个选项中选一个", "…", "", "select"),
    "path_list": FieldType("附件路径的列表", "…", "[files/决定书.pdf]", "list"),
    "adopted_by": FieldType("被采用的媒体列表，每项写 outlet 和 level", "…", "[{outlet: 山西日报, level: 省级}]", "list"),
    "repo_paths": FieldType("仓库中文件路径的列表，从仓库根目录写起", "[records/2023/longgang/assessment.yaml]",
                            "[records/2023/longgang/assessment.yaml]", "list"),
}


@dataclass(frozen=True)
class FieldSpec:
    """A front-matter field. ``type`` is one of:
    text, date, int, decimal (exact, e.g. money), bool, enum (``choices``: alias -> canonical;
    ``choices`` = "case_category" means the rules' case categories), path_list,
    adopted_by (list of {outlet, level}).
    """

    type: str
    required: bool = False
    choices: dict[str, str] | str | None = None
    min: int | None = None
    max: int | None = None
    label: str = ""  # Chinese name shown in errors, templates and on the site
    help: str = ""  # Chinese comment used by `qsgen new`
    places: int | None = None  # decimal: at most this many digits after the point (money: 2)
    percent: bool = False  # decimal: a trailing % (or ％) may be written and is dropped


COMMON = {
    "kind": FieldSpec("text", True, label="类型", help="记录类型，须与文件名开头一致"),
    "title": FieldSpec("text", True, label="标题", help="一句话说明这条记录"),
    "date": FieldSpec("date", True, label="日期", help="发生日期，格式 2023-06-02"),
    "unit": FieldSpec("text", False, label="单位", help="可不填，由所在文件夹决定"),
    "attachments": FieldSpec("path_list", False, label="附件",
                             help="附件路径列表，相对于本文件，须在 records/ 之内"),
}


@dataclass(frozen=True)
class Kind:
    """A kind of record: its id, Chinese name and fields."""

    id: str
    name: str  # Chinese
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    # False for the kinds of the result's lifecycle (objections, answers, corrections): they
    # are dated after the assessment period, within the windows qsgen/lifecycle/ checks.
    in_period: bool = True

    @property
    def all_fields(self) -> dict[str, FieldSpec]:
        return {**COMMON, **self.fields}


LEVEL = FieldSpec("enum", True, LEVEL_ALIASES, label="级别",
                  help="national/provincial/city/county，或 国家级/省级/市级/县级")
ISSUER = FieldSpec("text", True, label="发文单位", help="表彰或通报的单位")
# The method says 扣5-10分 / 给予1-10分: a meeting may decide 7.5 as well as 7.
POINTS_5_10 = FieldSpec("decimal", True, min=5, max=10, places=2, label="扣分", help="5 到 10 之间的分数，如 5、7.5")

KINDS: dict[str, Kind] = {k.id: k for k in [
    Kind("evidence", "工作佐证", {
        "task": FieldSpec("text", True, label="任务项", help="本单位任务项编号，如 t03 或 s04-3"),
        "count": FieldSpec("int", False, min=0, label="数量", help="可选：本次完成的数量，如检查 5 家"),
        "rate": FieldSpec("decimal", False, min=0, max=100, label="比率",
                          help="可选：达到的百分比，如 96.5", percent=True),
    }),
    Kind("news", "信息报道", {
        "level": LEVEL,
        "outlet": FieldSpec("text", True, label="刊发媒体", help="刊发或采用的媒体名称"),
        "url": FieldSpec("text", False, label="链接", help="可选：网上地址，以 http:// 或 https:// 开头"),
        "adopted_by": FieldSpec("adopted_by", False, label="被采用",
                                help="可选：被其他媒体采用的列表，每项写 outlet 和 level"),
    }),
    Kind("case", "案件", {
        "case_no": FieldSpec("text", True, label="案号", help="行政处罚决定书文号，全局唯一"),
        "category": FieldSpec("enum", True, "case_category", label="案件类别",
                              help="如 知识产权、广告、合同、网络、餐饮、特种设备、过期食品、药品、"
                                   "医疗器械、化妆品、无照经营、价格、其他"),
        "procedure": FieldSpec("enum", True, PROCEDURE_ALIASES, label="程序",
                               help="general（一般程序）或 simple（简易程序）"),
        "fine": FieldSpec("decimal", True, min=0, label="罚没款（元）",
                          help="罚没款金额，单位元，只写数字，如 12000；没有罚款写 0", places=2),
        "transferred": FieldSpec("bool", False, label="移送司法机关",
                                 help="可选：已移送司法机关写 true"),
        "sampling_assigned": FieldSpec("bool", False, label="抽检交办",
                                       help="可选：属抽检交办案件写 true"),
        "team": FieldSpec("enum", False, TEAM_ALIASES, label="中队",
                          help="仅综合行政执法队填写：一中队 或 二中队"),
    }),
    Kind("case-lead", "案件线索", {
        "handed_to": FieldSpec("text", False, label="移交对象", help="可选：线索移交给哪个单位"),
    }),
    Kind("commendation", "表彰", {
        "category": FieldSpec("enum", True, COMMENDATION_ALIASES, label="加分类别",
                              help="B1 表彰、B2 交流经验、B3 大型活动、B4 专项执法行动"),
        "level": LEVEL,
        "issuer": ISSUER,
        "document": FieldSpec("text", False, label="文件", help="可选：表彰文件文号"),
        "quota_allocated": FieldSpec("bool", False, label="名额分配表彰",
                                     help="可选：属名额分配表彰写 true（不加分）"),
    }),
    Kind("discretionary", "局班子会议加分", {
        "points": FieldSpec("decimal", True, min=1, max=10, places=2, label="加分", help="1 到 10 之间的分数，如 3、2.5"),
        "meeting": FieldSpec("text", True, label="会议", help="局班子会议纪要文号或日期"),
    }),
    Kind("criticism", "通报批评", {"level": LEVEL, "issuer": ISSUER}),
    Kind("media-exposure", "媒体曝光", {"level": LEVEL, "issuer": ISSUER}),
    Kind("accountability", "失职渎职追责", {
        "persons": FieldSpec("int", True, min=1, label="人次", help="被追责的人次，整数"),
    }),
    Kind("enforcement-error", "执法不规范", {
        "found_by": FieldSpec("enum", True, FOUND_BY_ALIASES, label="发现途径",
                              help="review（复议）、litigation（诉讼）或 supervision（执法监督检查）"),
    }),
    Kind("attendance", "签到请销假不落实", {}),
    Kind("absence", "无故不参加集体活动", {}),
    Kind("misconduct", "人员不良行为", {"points": POINTS_5_10}),
    Kind("exam-rules", "考学制度不落实", {"points": POINTS_5_10}),
    # The result's lifecycle (DESIGN.md §6): checked against the year's status and calendar
    # by qsgen/lifecycle/, not scored.
    Kind("objection", "异议", {
        "contests": FieldSpec("text", True, label="异议事项",
                              help="对哪一项有异议：本单位的任务项编号（如 t03、s04-3）或加减分项目编号（如 B5、D9）"),
        "grounds": FieldSpec("text", True, label="异议理由", help="一句话写明理由，详细说明和证据写在正文和附件里"),
    }, in_period=False),
    Kind("answer", "异议答复", {
        "objection": FieldSpec("text", True, label="答复的异议",
                               help="所答复的异议记录的文件名，须在同一单位文件夹中，如 objection-t05.md"),
        "result": FieldSpec("enum", True, ANSWER_ALIASES, label="复核结论", help="维持（维持原评分）或 变更（已改正评分）"),
        "reason": FieldSpec("text", True, label="理由", help="复核结论的理由，详细说明写在正文"),
        "decided_by": FieldSpec("text", True, label="复核人",
                                help="作出复核结论的人（不得是原评分人），如 考核办 王某某"),
        "change": FieldSpec("text", False, label="所作变更",
                            help="结论为变更时必填：改了哪个文件的哪一项，如 assessment.yaml 中 t05 由 7 分改为 8.5 分"),
    }, in_period=False),
    Kind("correction", "更正", {
        "reason": FieldSpec("text", True, label="更正原因", help="为什么更正定稿后的结果"),
        "decision": FieldSpec("text", True, label="更正决定", help="更正所依据的决定文号，如 沁市监字〔2024〕21号"),
        "files": FieldSpec("repo_paths", False, label="更正的文件",
                           help="这次更正改动的文件，从仓库根目录写起，如 [records/2023/longgang/assessment.yaml]"),
    }, in_period=False),
]}

# Kinds ordered longest first so that "case-lead-x.md" is a case-lead, not a case.
KIND_PREFIXES = sorted(KINDS, key=len, reverse=True)


def kind_of_filename(name: str) -> str | None:
    """The kind a record's file name announces (its prefix before '-' or '.'), or None: the
    first of KIND_PREFIXES (longest first) that the name is followed by "-", "_" or is ".md" of."""
    m = _prefix_pattern().match(name)
    return m.group(1) if m else None


_PREFIX_PATTERN: tuple[list[str] | None, re.Pattern | None] = (None, None)  # (made on first use)


def _prefix_pattern() -> re.Pattern:
    """KIND_PREFIXES as one pattern (one match instead of three string tests a kind, for
    every record file); made again when the list changes (a test adding a kind)."""
    global _PREFIX_PATTERN
    if _PREFIX_PATTERN[0] != KIND_PREFIXES:
        alternatives = "|".join(re.escape(k) for k in KIND_PREFIXES) or "(?!)"
        _PREFIX_PATTERN = (list(KIND_PREFIXES), re.compile(rf"({alternatives})(?:[-_]|\.md\Z)"))
    return _PREFIX_PATTERN[1]
