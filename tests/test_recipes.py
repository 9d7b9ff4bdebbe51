"""The recipe of docs/dev/recipe-adjustment.md, followed for a new measure: declare it in
qsgen/core/measures.py, compute it in qsgen/scoring/measures.py, use it in adjustments.yaml."""

from __future__ import annotations

import textwrap
from fractions import Fraction as F
from pathlib import Path

import pytest

from qsgen.core.measures import MEASURES, Measure
from qsgen.records import load_records
from qsgen.review.codeowners import kind_departments
from qsgen.rules import describe_part, load_rules
from qsgen.scoring.engine import score
from qsgen.scoring.measures import COMPUTE, computes
from qsgen.site import build_site

NAME = "news_count"


@pytest.fixture
def news_count():
    """A measure that exists only during the test: every news report of the unit."""
    assert NAME not in MEASURES and NAME not in COMPUTE
    # 1. declare it
    MEASURES[NAME] = Measure(NAME, kind="news", by=None, label="信息报道数", phrase="信息报道", word="条",
                             page="信息报道条数")
    try:
        # 2. compute it
        @computes(NAME)
        def count(ctx, by):
            news = ctx.of_kind("news")
            return [("", F(len(news)), [r.id for r in news])]

        yield MEASURES[NAME]
    finally:
        MEASURES.pop(NAME, None)
        COMPUTE.pop(NAME, None)


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def repository(root: Path, amount: str = "{times: 0.2}") -> Path:
    """A one-unit repository whose only adjustment rule uses the new measure (3. use it)."""
    write(root, "rules/2023/assessment.yaml", """
        year: 2023
        title: 测试考核
        period: {start: 2023-01-01, end: 2023-12-31}
        groups:
          - {id: jiguan, name: 机关股室}
        departments:
          bangongshi: 办公室
        case_categories: {}
    """)
    write(root, "rules/2023/units.yaml", """
        units:
          - slug: bangongshi
            name: 办公室
            group: jiguan
            items:
              - {id: t01, points: 100, text: 做好机关日常政务协调}
    """)
    write(root, "rules/2023/stations.yaml", """
        sections: []
        stations: []
    """)
    write(root, "rules/2023/adjustments.yaml", f"""
        adjustments:
          - id: B9
            type: bonus
            title: 信息报道奖励
            text: 每条信息报道加0.2分，最多加1分
            responsible: bangongshi
            cap: 1
            parts:
              - id: reports
                label: 信息报道
                per: {NAME}
                amount: {amount}
    """)
    for day, level in (("0105", "county"), ("0210", "city"), ("0315", "national")):
        write(root, f"records/2023/bangongshi/news-{day}.md", f"""
            ---
            kind: news
            title: 报道{day}
            date: 2023-{day[:2]}-{day[2:]}
            level: {level}
            outlet: 某报
            ---

            正文。
        """)
    return root


def test_a_new_measure_is_loaded_scored_and_explained(news_count, tmp_path):
    root = repository(tmp_path)
    rules, diags = load_rules(root, 2023)
    assert rules is not None and diags == [], [d.format_text() for d in diags]
    (part,) = rules.adjustments[0].parts
    assert part.per == NAME
    assert describe_part(part) == "信息报道数：每个 0.2"

    records, rdiags = load_records(root, rules)
    assert [d.format_text() for d in rdiags if d.severity == "error"] == []
    results = score(rules, records)
    (unit,) = results.units
    (adj,) = unit.adjustments
    (line,) = adj.lines
    assert (line.rule, line.part, line.amount) == ("B9", "reports", F("0.6"))
    assert line.explain == "信息报道 3 条 × 0.2 = 0.6"
    assert sorted(line.records) == sorted(r.id for r in records.records)
    assert unit.bonus == F("0.6") and unit.total == F("0.6")  # t01 not judged yet: 0

    # the site's rules page says what is counted; review sends the news reports to the rule's department
    assert "信息报道条数" in build_site(results)["2023/rules.html"].decode("utf-8")
    assert kind_departments(rules)["news"] == ["bangongshi"]


def test_the_declaration_says_what_by_may_key_on(news_count, tmp_path):
    root = repository(tmp_path, amount="{by: level, times: {national: 1}}")
    rules, diags = load_rules(root, 2023)
    assert rules is None
    assert [(d.message, d.hint) for d in diags] == [
        (f"度量 {NAME} 不能按“level”分别计算", f"{NAME} 是一个总数，请用 {{times: …}}")]


def test_the_fixture_leaves_nothing_behind_and_every_measure_is_computed():
    assert NAME not in MEASURES and NAME not in COMPUTE
    assert list(COMPUTE) == list(MEASURES)
    for m in MEASURES.values():
        assert m.by in (None, "level") and m.label and m.phrase and m.word and m.page
