"""Rules validation: each broken copy of rules/2023 gives an error naming the file and the line."""

from __future__ import annotations

import argparse
import re
import shutil
from fractions import Fraction as F
from pathlib import Path

import pytest

from qsgen.cli.commands import rules as rules_command
from qsgen.core.errors import QsgenError
from qsgen.rules import load_rules, load_rules_or_raise

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "rules" / "2023"


def copy_rules(tmp_path: Path) -> Path:
    shutil.copytree(SRC, tmp_path / "rules" / "2023")
    return tmp_path / "rules" / "2023"


def line_of(text: str, needle: str, after: str | None = None) -> int:
    start = text.index(after) if after else 0
    return text[: text.index(needle, start)].count("\n") + 1


def break_file(tmp_path: Path, name: str, old: str, new: str) -> int:
    """Replace the first ``old`` by ``new`` in a copy; the line where the change starts."""
    folder = tmp_path / "rules" / "2023"
    if not folder.exists():
        copy_rules(tmp_path)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = line_of(text, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def errors(tmp_path: Path):
    rules, diags = load_rules(tmp_path, 2023)
    errs = [d for d in diags if d.severity == "error"]
    assert rules is None and errs
    return errs


def assert_error(tmp_path: Path, name: str, line: int, fragment: str, hint: str = ""):
    errs = errors(tmp_path)
    found = [d for d in errs if d.path == f"rules/2023/{name}" and d.line == line and fragment in d.message]
    assert found, "\n".join(d.format_text() for d in errs)
    if hint:
        assert hint in found[0].hint, found[0].hint
    assert all(re.search(r"[\u4e00-\u9fff]", d.message) for d in errs)
    return found[0]


def test_the_real_rules_load_without_problems():
    rules, diags = load_rules(ROOT, 2023)
    assert rules is not None and diags == []


# ------------------------------------------------------------------ unknown keys


def test_unknown_key_with_did_you_mean(tmp_path):
    line = break_file(tmp_path, "units.yaml", "    lead_target: 4 ", "    lead_targt: 4 ")
    d = assert_error(tmp_path, "units.yaml", line, "未知字段“lead_targt”", "lead_target")
    assert d.col == 5


def test_unknown_key_in_flow_mapping(tmp_path):
    line = break_file(tmp_path, "assessment.yaml", "display: {places: 2,", "display: {place: 2,")
    assert_error(tmp_path, "assessment.yaml", line, "未知字段“place”", "places")


def test_unknown_key_in_adjustment_part(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "        zero_when: {quota_allocated: true}",
                      "        zero_if: {quota_allocated: true}")
    assert_error(tmp_path, "adjustments.yaml", line, "未知字段“zero_if”", "zero_when")


def test_unknown_key_in_amount(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "amount: {field: persons, times: 2}",
                      "amount: {field: persons, tims: 2}")
    assert_error(tmp_path, "adjustments.yaml", line, "未知字段“tims”", "times")


# ------------------------------------------------------------------ points


def test_jiguan_items_must_add_up_to_100(tmp_path):
    text = (SRC / "units.yaml").read_text(encoding="utf-8")
    items_line = line_of(text, "    items:")  # bangongshi, the first unit
    break_file(tmp_path, "units.yaml", "        points: 10\n        text: 做好机关日常",
               "        points: 11\n        text: 做好机关日常")
    assert_error(tmp_path, "units.yaml", items_line, "各项分值之和为 101，应为 100")


def test_decimal_points_are_exact(tmp_path):
    text = (SRC / "units.yaml").read_text(encoding="utf-8")
    items_line = line_of(text, "    items:")
    break_file(tmp_path, "units.yaml", "        points: 10\n        text: 做好机关日常",
               "        points: 9.9\n        text: 做好机关日常")
    assert_error(tmp_path, "units.yaml", items_line, "各项分值之和为 99.9")


def test_station_section_must_add_up_to_100(tmp_path):
    text = (SRC / "stations.yaml").read_text(encoding="utf-8")
    items_line = line_of(text, "    items:")  # s01
    break_file(tmp_path, "stations.yaml", "        points: 30\n        text: 年报公示工作",
               "        points: 31\n        text: 年报公示工作")
    errs = errors(tmp_path)
    assert_error(tmp_path, "stations.yaml", items_line, "第 s01 节“信用监督管理工作”各项分值之和为 101")
    assert len(errs) == 1  # reported once, not once per 所


@pytest.mark.parametrize("value", ["1e1", "十", "10分", "0x10"])
def test_points_must_be_a_decimal_number(tmp_path, value):
    line = break_file(tmp_path, "units.yaml", "        points: 10\n        text: 做好机关日常",
                      f"        points: {value}\n        text: 做好机关日常")
    assert_error(tmp_path, "units.yaml", line, "应是数字")


# ------------------------------------------------------------------ duplicates


def test_duplicate_item_id(tmp_path):
    line = break_file(tmp_path, "units.yaml", "      - id: t02\n        points: 10\n        text: 提高办文效率",
                      "      - id: t01\n        points: 10\n        text: 提高办文效率")
    assert_error(tmp_path, "units.yaml", line, "任务项编号“t01”重复")


def test_duplicate_unit_slug(tmp_path):
    line = break_file(tmp_path, "units.yaml", "  - slug: renshi", "  - slug: bangongshi")
    assert_error(tmp_path, "units.yaml", line, "单位 slug“bangongshi”重复")


def test_duplicate_slug_across_files(tmp_path):
    line = break_file(tmp_path, "stations.yaml", "  - slug: guxian", "  - slug: tousu")
    assert_error(tmp_path, "stations.yaml", line, "单位 slug“tousu”重复")


def test_duplicate_section_id(tmp_path):
    line = break_file(tmp_path, "stations.yaml", "  - id: s02\n", "  - id: s01\n")
    assert_error(tmp_path, "stations.yaml", line, "节编号“s01”重复")


def test_duplicate_adjustment_id(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "  - id: B3\n", "  - id: B2\n")
    assert_error(tmp_path, "adjustments.yaml", line, "加减分项目编号“B2”重复")


def test_item_id_must_follow_the_pattern(tmp_path):
    line = break_file(tmp_path, "stations.yaml", "      - id: s02-1\n", "      - id: s03-1\n")
    assert_error(tmp_path, "stations.yaml", line, "任务项编号“s03-1”的写法不对")


# ------------------------------------------------------------------ quotas


def test_quota_with_unknown_category(tmp_path):
    line = break_file(tmp_path, "stations.yaml", "      minimums: {知识产权: 2, 广告: 1",
                      "      minimums: {知识产权: 2, 电影: 1")
    assert_error(tmp_path, "stations.yaml", line, "未知的案件类别“电影”")


def test_team_quota_with_unknown_category(tmp_path):
    line = break_file(tmp_path, "units.yaml", "广告: 1, 网络: 2", "广告: 1, 网路: 2")
    assert_error(tmp_path, "units.yaml", line, "未知的案件类别“网路”", "网络")


def test_quota_category_alias_is_canonicalised(tmp_path):
    break_file(tmp_path, "stations.yaml", "      minimums: {知识产权: 2, 广告: 1",
               "      minimums: {专利: 2, 广告: 1")
    rules, diags = load_rules(tmp_path, 2023)
    assert rules is not None, diags
    assert rules.unit("longgang").case_quota.parts[0].minimums["知识产权"] == 2


def test_minimums_exceeding_the_total(tmp_path):
    copy_rules(tmp_path)
    text = (SRC / "stations.yaml").read_text(encoding="utf-8")
    minimums_line = line_of(text, "      minimums:", after="slug: longgang")
    break_file(tmp_path, "stations.yaml", "      total: 25\n", "      total: 10\n")
    assert_error(tmp_path, "stations.yaml", minimums_line, "各类最低件数之和 18 超过任务总数 10")


def test_team_minimums_exceeding_the_team_total(tmp_path):
    line = break_file(tmp_path, "units.yaml", "      total: 36\n", "      total: 16\n") + 1
    assert_error(tmp_path, "units.yaml", line, "超过任务总数 16（一中队）")


def test_unknown_team(tmp_path):
    line = break_file(tmp_path, "units.yaml", "            二中队:\n", "            三中队:\n")
    assert_error(tmp_path, "units.yaml", line, "“三中队”不是本单位的队")


def test_station_quota_outside_stations(tmp_path):
    copy_rules(tmp_path)
    text = (tmp_path / "rules/2023/units.yaml").read_text(encoding="utf-8")
    start = text.index("        quota:\n          teams:")
    end = text.index("        progress: {type: cases}", start)
    line = text[:start].count("\n") + 1
    (tmp_path / "rules/2023/units.yaml").write_text(text[:start] + "        quota: station\n" + text[end:],
                                                    encoding="utf-8")
    assert_error(tmp_path, "units.yaml", line, "quota: station 只能用于 stations.yaml")


def test_quota_method_needs_a_quota(tmp_path):
    line = break_file(tmp_path, "stations.yaml", "        quota: station ", "        # quota: station ")
    errs = errors(tmp_path)
    assert any("method: quota 的任务项需要写 quota" in d.message and d.line == line - 1 for d in errs), errs


# ------------------------------------------------------------------ adjustments


def test_unknown_record_kind(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "        kind: criticism", "        kind: critcism")
    assert_error(tmp_path, "adjustments.yaml", line, "未知的记录类型“critcism”", "criticism")


def test_unknown_record_kind_in_item_extras(tmp_path):
    line = break_file(tmp_path, "stations.yaml", "            kind: case\n", "            kind: cases\n")
    assert_error(tmp_path, "stations.yaml", line, "未知的记录类型“cases”", "case")


def test_where_field_the_kind_does_not_have(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "        where: {category: B2}", "        where: {categry: B2}")
    assert_error(tmp_path, "adjustments.yaml", line, "记录类型 commendation 没有字段“categry”", "category")


def test_where_value_not_allowed_for_the_field(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "where: {effective_level: national}",
                      "where: {effective_level: global}")
    assert_error(tmp_path, "adjustments.yaml", line, "级别“global”", "national")


def test_where_category_uses_the_rules_categories(tmp_path):
    line = break_file(tmp_path, "stations.yaml", "where: {category: 无照经营}", "where: {category: 无照}")
    rules, diags = load_rules(tmp_path, 2023)
    assert rules is not None, diags
    assert rules.unit("longgang").item("s01-3").extras[0].where == {"category": "无照经营"}
    break_file(tmp_path, "stations.yaml", "where: {category: 无照}", "where: {category: 无牌}")
    assert_error(tmp_path, "stations.yaml", line, "未知的案件类别“无牌”")


def test_amount_field_the_kind_does_not_have(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "amount: {field: persons, times: 2}",
                      "amount: {field: person, times: 2}")
    assert_error(tmp_path, "adjustments.yaml", line, "没有字段“person”", "persons")


def test_unknown_measure(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "        per: lead_surplus", "        per: lead_surpluses")
    assert_error(tmp_path, "adjustments.yaml", line, "未知的计分依据“lead_surpluses”", "lead_surplus")


def test_amount_with_no_form(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "        amount: {times: 0.1}", "        amount: {}")
    assert_error(tmp_path, "adjustments.yaml", line, "金额没有给出计算方式")


def test_amount_with_two_forms(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "        amount: {steps: [[1, 0.1]",
                      "        amount: {times: 0.2, steps: [[1, 0.1]")
    assert_error(tmp_path, "adjustments.yaml", line, "金额同时给出了多种计算方式")


def test_amount_form_must_fit_per(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "        amount: {times: 0.1}",
                      "        amount: {field: fine, tiers: [[1, 1]]}")
    assert_error(tmp_path, "adjustments.yaml", line, "只能用于 per: record")


def test_amount_must_be_a_decimal_number(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "        amount: 3.5", "        amount: 3,5")
    assert_error(tmp_path, "adjustments.yaml", line, "应是数字")


def test_unknown_department(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "    responsible: leadership", "    responsible: leader")
    assert_error(tmp_path, "adjustments.yaml", line, "未知的考核责任部门“leader”", "leadership")


def test_unknown_group(tmp_path):
    line = break_file(tmp_path, "units.yaml", "    group: jiguan\n", "    group: jigaun\n")
    assert_error(tmp_path, "units.yaml", line, "未知的分组“jigaun”", "jiguan")


def test_unknown_group_in_stations(tmp_path):
    line = break_file(tmp_path, "stations.yaml", "    group: jiceng\n", "    group: jicheng\n")
    assert_error(tmp_path, "stations.yaml", line, "未知的分组“jicheng”", "jiceng")


@pytest.mark.parametrize("value", ["HALF_UP", "round_half_up", "ROUND_NEAREST"])
def test_rounding_must_be_a_decimal_constant(tmp_path, value):
    line = break_file(tmp_path, "assessment.yaml", "rounding: ROUND_HALF_UP", f"rounding: {value}")
    assert_error(tmp_path, "assessment.yaml", line, "不是 Python decimal 模块的舍入方式", "ROUND_HALF_UP")


def test_other_rounding_constant_is_accepted(tmp_path):
    break_file(tmp_path, "assessment.yaml", "rounding: ROUND_HALF_UP", "rounding: ROUND_HALF_EVEN")
    rules, diags = load_rules(tmp_path, 2023)
    assert rules is not None and rules.rounding == "ROUND_HALF_EVEN"


# ------------------------------------------------------------------ files, years, many errors


def test_year_must_match_the_folder(tmp_path):
    line = break_file(tmp_path, "assessment.yaml", "year: 2023", "year: 2024")
    assert_error(tmp_path, "assessment.yaml", line, "year 写的是 2024")


def test_missing_file(tmp_path):
    (copy_rules(tmp_path) / "stations.yaml").unlink()
    assert_error(tmp_path, "stations.yaml", 1, "缺少规则文件 stations.yaml")


def test_missing_folder(tmp_path):
    rules, diags = load_rules(tmp_path, 2023)
    assert rules is None and "找不到规则文件夹 rules/2023/" in diags[0].message


def test_yaml_syntax_error_is_reported_with_its_line(tmp_path):
    line = break_file(tmp_path, "adjustments.yaml", "    title: 信息加分\n", "    title：信息加分\n")
    assert_error(tmp_path, "adjustments.yaml", line, "中文冒号")


def test_every_problem_in_one_run(tmp_path):
    a = break_file(tmp_path, "units.yaml", "    lead_target: 4 ", "    lead_targt: 4 ")
    b = break_file(tmp_path, "adjustments.yaml", "    responsible: leadership", "    responsible: leader")
    c = break_file(tmp_path, "assessment.yaml", "rounding: ROUND_HALF_UP", "rounding: HALF_UP")
    errs = errors(tmp_path)
    assert {(d.path.rsplit("/", 1)[1], d.line) for d in errs} >= {
        ("units.yaml", a), ("adjustments.yaml", b), ("assessment.yaml", c)}
    assert errs == sorted(errs)


def test_newest_year_by_default(tmp_path):
    copy_rules(tmp_path)
    shutil.copytree(tmp_path / "rules" / "2023", tmp_path / "rules" / "2024")
    p = tmp_path / "rules" / "2024" / "assessment.yaml"
    text = p.read_text(encoding="utf-8").replace("year: 2023", "year: 2024")
    p.write_text(text.replace("end: 2023-12-31", "end: 2024-12-31").replace("start: 2023", "start: 2024"),
                 encoding="utf-8")
    rules, diags = load_rules(tmp_path)
    assert rules is not None and rules.year == 2024 and rules.root == "rules/2024", diags
    assert load_rules(tmp_path, 2023)[0].year == 2023


def test_bom_and_crlf_are_accepted(tmp_path):
    folder = copy_rules(tmp_path)
    p = folder / "units.yaml"
    p.write_bytes(b"\xef\xbb\xbf" + p.read_text(encoding="utf-8").replace("\n", "\r\n").encode("utf-8"))
    rules, diags = load_rules(tmp_path, 2023)
    assert rules is not None, diags


def test_load_rules_or_raise(tmp_path):
    assert load_rules_or_raise(ROOT).year >= 2023
    break_file(tmp_path, "units.yaml", "    group: jiguan\n", "    group: jigaun\n")
    with pytest.raises(QsgenError) as e:
        load_rules_or_raise(tmp_path, 2023)
    assert e.value.diagnostics and e.value.diagnostics[0].path == "rules/2023/units.yaml"


def test_numbers_are_fractions_never_floats():
    rules = load_rules_or_raise(ROOT, 2023)
    b5 = next(a for a in rules.adjustments if a.id == "B5")
    assert b5.parts[0].amount.steps[0] == (F(1), F(1, 10))
    assert type(b5.parts[0].amount.steps[0][1]) is F
    assert all(type(i.max) is F for u in rules.units for i in u.items)


# ------------------------------------------------------------------ the command


def _run(root: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=".")
    rules_command.register(parser.add_subparsers())
    args = parser.parse_args(["--root", str(root), "rules", *argv])
    return args.run(args)


def test_command_prints_a_summary(capsys):
    assert _run(ROOT, "--year", "2023") == 0
    out = capsys.readouterr().out
    for text in ("2023-01-01 至 2023-12-31", "ROUND_HALF_UP", "【机关股室】15 个单位", "【基层所】6 个单位",
                 "longgang", "25件（知识产权2", "一中队 36件", "B6c", "法规股", "最高 5 分", "口径12",
                 "国家级1/省级10/市级10/县级10"):
        assert text in out, text


def test_command_reports_errors(tmp_path, capsys):
    line = break_file(tmp_path, "units.yaml", "    group: jiguan\n", "    group: jigaun\n")
    assert _run(tmp_path) == 1
    err = capsys.readouterr().err
    assert f"rules/2023/units.yaml:{line}:" in err and "提示：" in err


def test_lead_progress_needs_a_lead_target(tmp_path):
    copy_rules(tmp_path)
    p = tmp_path / "rules/2023/units.yaml"
    text = p.read_text(encoding="utf-8")
    start = text.index("    lead_target: 4 ")
    text = text[:start] + text[text.index("\n", start) + 1:]
    p.write_text(text, encoding="utf-8")
    line = line_of(text, "progress: {type: leads}")
    assert_error(tmp_path, "units.yaml", line, "进度类型 leads 需要单位写 lead_target")


def test_count_progress_needs_a_target(tmp_path):
    line = break_file(tmp_path, "units.yaml", "progress: {type: count, target: 20, unit: 家}",
                      "progress: {type: count, unit: 家}")
    assert_error(tmp_path, "units.yaml", line, "进度类型 count 需要写 target")
