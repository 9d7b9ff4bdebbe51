"""What scoring counts for a unit, declared once: the measures of rule parts (per:) and item progress."""

from __future__ import annotations

from typing import NamedTuple


class Measure(NamedTuple):
    """A count taken from one unit's records that a rule part earns points by (``per: <name>``).

    Its computation is the function registered under the same name in ``qsgen/scoring/measures.py``.
    """

    name: str  # per: <name> in rules/<year>/adjustments.yaml
    kind: str  # the record kind it counts (its records are approved by the rule's department)
    by: str | None  # the key ``by:`` may split the amount on (None: the measure is a single count)
    label: str  # what is counted, in `qsgen rules`: 信息超额数
    phrase: str  # the count in a score line, after its key (省级…): "信息超额 3 条"
    word: str  # the counting word: 条, 件
    page: str  # what is counted, on the site's rules page: 信息报道超出任务数


MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("news_surplus", kind="news", by="level", label="信息超额数", phrase="信息超额", word="条",
            page="信息报道超出任务数"),
    Measure("news_shortfall", kind="news", by="level", label="信息欠缺数", phrase="少", word="条",
            page="信息报道未完成数（按级别）"),
    Measure("lead_surplus", kind="case-lead", by=None, label="线索超额数", phrase="案件线索超额", word="条",
            page="案件线索超出目标数"),
    Measure("lead_shortfall", kind="case-lead", by=None, label="线索欠缺数", phrase="案件线索少", word="条",
            page="案件线索未完成数"),
    Measure("case_surplus_general", kind="case", by=None, label="超额一般程序案件数",
            phrase="超额完成的一般程序案件", word="件", page="超出案件任务的一般程序案件数"),
    Measure("case_shortfall", kind="case", by=None, label="案件欠缺数", phrase="案件少", word="件",
            page="案件任务未完成数"),
)}


class ProgressType(NamedTuple):
    """What an item shows as its progress (``progress: {type: <name>}``); computed by the scoring engine."""

    name: str
    kind: str  # the record kind it reads
    title: str  # on the site's rules page


PROGRESS_TYPES: dict[str, ProgressType] = {p.name: p for p in (
    ProgressType("news", "news", "信息报道"),
    ProgressType("leads", "case-lead", "案件线索"),
    ProgressType("cases", "case", "案件任务"),
    ProgressType("count", "evidence", "数量"),
    ProgressType("rate", "evidence", "比率"),
)}
