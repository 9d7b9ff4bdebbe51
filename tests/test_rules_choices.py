"""The 口径 written into rules/2023 and rules/2024 (DESIGN.md §2.3), scored from records: B7 at
most 10 per unit and year (口径13), D8 per record like D7 (口径14)."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from fixtures.recordkit import REPO, copy_rules, write

from qsgen.records import load_records
from qsgen.rules import load_rules
from qsgen.scoring.engine import score

DISCRETIONARY = """\
---
kind: discretionary
title: 局班子会议决定加分{n}
date: 2023-0{n}-10
points: {points}
meeting: 局班子会议纪要〔2023〕第{n}期
---
经局班子会议研究，决定加分。
"""
EXAM = """\
---
kind: exam-rules
title: 未按要求组织考学{n}
date: 2023-0{n}-08
points: {points}
---
未按要求组织人员参加考试。
"""
MISCONDUCT = EXAM.replace("exam-rules", "misconduct").replace("未按要求组织考学", "人员不良行为")


def unit_score(root, slug, year=2023):
    rules, diags = load_rules(root, year)
    assert rules is not None, diags
    records, diags = load_records(root, rules)
    assert not [d for d in diags if d.severity == "error"], [d.format_text() for d in diags]
    return score(rules, records).unit(slug)


def total(us, rule_id):
    """(raw, amount) of the rule for the unit: before and after its cap."""
    (found,) = [a for a in us.adjustments if a.rule.id == rule_id]
    return found.raw, found.amount


def lines(us, rule_id):
    (found,) = [a for a in us.adjustments if a.rule.id == rule_id]
    return sorted(line.amount for line in found.lines)


@pytest.fixture
def repo(tmp_path):
    copy_rules(tmp_path)
    return tmp_path


def test_b7_three_decisions_of_6_give_10(repo):
    """口径13: “酌情加记1-10分” is the unit's limit for the year: 6 + 6 + 6 = 18 → 10."""
    for n in (1, 2, 3):
        write(repo, f"canyin/discretionary-{n}.md", DISCRETIONARY.format(n=n, points=6))
    us = unit_score(repo, "canyin")
    assert total(us, "B7") == (18, 10)
    assert lines(us, "B7") == [6, 6, 6]  # each decision listed


def test_b7_below_the_cap_is_the_sum(repo):
    for n, points in ((1, 3), (2, 4)):
        write(repo, f"canyin/discretionary-{n}.md", DISCRETIONARY.format(n=n, points=points))
    assert total(unit_score(repo, "canyin"), "B7") == (7, 7)


def test_d8_per_record_like_d7(repo):
    """口径14: two exam-rules records deduct twice, each its own amount (D5 alone is once a year)."""
    for n, points in ((1, 5), (2, 8)):
        write(repo, f"jiafeng/exam-rules-{n}.md", EXAM.format(n=n, points=points))
        write(repo, f"jiafeng/misconduct-{n}.md", MISCONDUCT.format(n=n, points=points))
    us = unit_score(repo, "jiafeng")
    assert total(us, "D8") == (13, 13) and total(us, "D7") == (13, 13)
    assert lines(us, "D8") == [5, 8]


@pytest.mark.parametrize("year", [2023, 2024])
def test_both_years_write_the_choices_down(year):
    rules, _ = load_rules(REPO, year)
    adj = {a.id: a for a in rules.adjustments}
    assert adj["B7"].cap == F(10) and "口径13" in adj["B7"].note
    assert not adj["D8"].parts[0].once and "口径14" in adj["D8"].note
    texts = {i.id: i.title + i.text for i in rules.interpretations}
    assert "10分" in texts["13"] and "D8" in texts["14"]
