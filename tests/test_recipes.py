"""The recipes of docs/architecture.md, followed once each: a new measure (declare it in
core/measures.py, compute it in scoring/measures.py, use it in adjustments.yaml) and a new record
kind (declare it in core/kinds.py, use it in adjustments.yaml)."""

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


# ------------------------------------------------------------------ a new record kind

KIND = "inspection"


@pytest.fixture
def inspection_kind():
    """A record kind that exists only during the test: 1. declared in core/kinds.py."""
    from qsgen.core import kinds

    assert KIND not in kinds.KINDS
    kinds.KINDS[KIND] = kinds.Kind(KIND, "专项检查", {
        "places": kinds.FieldSpec("int", True, min=1, label="检查户数", help="检查了多少户，整数"),
        "level": kinds.LEVEL,
    })
    saved = kinds.KIND_PREFIXES[:]
    kinds.KIND_PREFIXES[:] = sorted(kinds.KINDS, key=len, reverse=True)
    try:
        yield kinds.KINDS[KIND]
    finally:
        kinds.KINDS.pop(KIND, None)
        kinds.KIND_PREFIXES[:] = saved


def test_a_new_record_kind_is_validated_scored_shown_and_routed(inspection_kind, tmp_path, capsys):
    """2. used in adjustments.yaml (per: record, kind: inspection): the records are read and
    checked with the kind's fields, earn their points, show on the site with the kind's Chinese
    names, get a `qsgen new` template, and go to the rule's department for review."""
    root = repository(tmp_path)
    write(root, "rules/2023/adjustments.yaml", """
        adjustments:
          - id: B8
            type: bonus
            title: 专项检查加分
            text: 组织专项检查的，市级以上每次加0.5分
            responsible: bangongshi
            parts:
              - id: inspection
                label: 专项检查
                per: record
                kind: inspection
                where: {level: [national, provincial, city]}
                amount: 0.5
    """)
    write(root, "records/2023/bangongshi/inspection-0601.md", """
        ---
        kind: inspection
        title: 全市食品安全专项检查
        date: 2023-06-01
        places: 12
        level: 市级
        ---

        检查了 12 户。
    """)
    write(root, "records/2023/bangongshi/inspection-0701.md", """
        ---
        kind: inspection
        title: 县级检查
        date: 2023-07-01
        places: 零
        level: county
        ---
    """)
    rules, diags = load_rules(root, 2023)
    assert rules is not None and diags == [], [d.format_text() for d in diags]
    records, rdiags = load_records(root, rules)
    bad = [d for d in rdiags if d.severity == "error"]
    assert [(d.path, d.line) for d in bad] == [("records/2023/bangongshi/inspection-0701.md", 5)]
    assert "places（检查户数）" in bad[0].message
    (root / "records/2023/bangongshi/inspection-0701.md").unlink()
    records, _ = load_records(root, rules)
    results = score(rules, records)
    (unit,) = results.units
    b8 = next(a for a in unit.adjustments if a.rule.id == "B8")
    assert b8.amount == F("0.5") and b8.lines[0].records == ["bangongshi/inspection-0601"]
    site = build_site(results)
    page = site["2023/records/bangongshi/inspection-0601.html"].decode("utf-8")
    assert "专项检查" in page and "检查户数" in page and "市级" in page
    assert "每条“专项检查”记录" in site["2023/rules.html"].decode("utf-8")
    assert kind_departments(rules)[KIND] == ["bangongshi"]
    from qsgen.cli.program import main

    assert main(["--root", str(root), "new", KIND, "bangongshi", "--date", "2023-08-01"]) == 0
    made = (root / "records/2023/bangongshi/inspection-2023-08-01-1.md").read_text("utf-8")
    assert "places:" in made and "检查户数" in made


def test_every_field_type_is_declared_converted_and_offered():
    """A field type is declared once (core/kinds.py FIELD_TYPES) and converted by records/fields.py."""
    from qsgen.core.kinds import FIELD_TYPES, KINDS
    from qsgen.records.fields import CONVERTERS

    assert set(CONVERTERS) == set(FIELD_TYPES)
    used = {spec.type for k in KINDS.values() for spec in k.all_fields.values()}
    assert used <= set(FIELD_TYPES)
