"""Issue 20, item 5: what `qsgen check` accepts, `qsgen build` builds. Absurd numbers (too many
digits, huge exponents) and file names outside the safe set are errors at their place, never
a traceback in check or build."""

from __future__ import annotations

import os
import shutil

import pytest
from fixtures.recordkit import REPO, case, copy_rules, load, messages, run_cli, write

from qsgen.build.pipeline import build
from qsgen.core.errors import QsgenError
from qsgen.rules import load_rules

ASSESS = "items:\n  t01: {{score: {score}}}\nassessor: 考核办\ndate: 2024-01-10\n"


@pytest.mark.parametrize("fine, expected", [
    ("1" * 61, "整数部分有 61 位数字，超出常理"),  # the issue: decimal.InvalidOperation in build
    ("1e1000000", "应为数字"),  # the issue: decimal.Overflow in check's hint
    ("1" * 5000, "整数部分有 5000 位数字"),
    ("0." + "1" * 40, "小数部分有 40 位数字"),
])
def test_an_absurd_fine_is_an_error_at_its_line(tmp_path, fine, expected):
    write(tmp_path, "fagui/case-1.md", case(fine=fine))
    _records, diags = load(tmp_path)
    [d] = [d for d in diags if d.severity == "error"]
    assert (d.path, d.line) == ("records/2023/fagui/case-1.md", 8) and expected in d.message


@pytest.mark.parametrize("score, expected", [("1e1000000", "应为数字"), ("9" * 4400, "4400 位数字")])
def test_an_absurd_score_is_an_error_at_its_line(tmp_path, score, expected):
    write(tmp_path, "fagui/assessment.yaml", ASSESS.format(score=score))
    _records, diags = load(tmp_path)
    [d] = [d for d in diags if d.severity == "error"]
    assert (d.path, d.line) == ("records/2023/fagui/assessment.yaml", 2) and expected in d.message


def test_a_count_of_4301_digits_is_an_error_not_a_value_error(tmp_path):
    write(tmp_path, "fagui/accountability-1.md",
          f"---\nkind: accountability\ntitle: 问责\ndate: 2023-06-02\npersons: {'7' * 4301}\n---\n正文。\n")
    _records, diags = load(tmp_path)
    assert any("persons" in m and "4301 位数字" in m for m in messages(diags, "accountability-1.md"))


def test_rules_points_of_5000_digits_are_an_error_with_a_location(tmp_path):
    copy_rules(tmp_path)
    units = tmp_path / "rules" / "2023" / "units.yaml"
    units.write_text(units.read_text("utf-8").replace("points: 10", "points: " + "1" * 5000, 1), "utf-8")
    rules, diags = load_rules(tmp_path, 2023)
    assert rules is None
    [d] = [d for d in diags if "位数字" in d.message]
    assert d.path == "rules/2023/units.yaml" and d.line > 1 and "5000 位数字" in d.message


@pytest.mark.parametrize("name, expected", [
    (b"case-\xff.md", "不是 UTF-8 编码的字节：case-\\xff.md"),  # the issue: UnicodeEncodeError in build
    (b"case-a\nb.md", "含有换行符：case-a\\nb.md"),
    (b"case-a\tb.md", "含有制表符（Tab）：case-a\\tb.md"),
    (b"case-a\\b.md", "含有字符“\\”"),
])
def test_a_record_file_name_outside_the_safe_set_is_an_error_with_a_hint(tmp_path, capsys, name, expected):
    copy_rules(tmp_path)
    folder = tmp_path / "records" / "2023" / "fagui"
    folder.mkdir(parents=True)
    with open(os.path.join(os.fsencode(folder), name), "w", encoding="utf-8") as f:
        f.write(case())
    code, out, _err = run_cli(["--root", str(tmp_path), "check"], capsys)
    assert code == 1 and expected in out and "请改名" in out
    assert "records/2023/fagui/case-" in out
    with pytest.raises(QsgenError) as e:
        build(tmp_path, quiet=True)
    assert any(expected in d.message for d in e.value.diagnostics)


def test_an_attachment_name_with_a_tab_is_an_error(tmp_path):
    write(tmp_path, "fagui/case-1.md", case(extra='attachments: ["a\\tb.pdf"]'))
    _records, diags = load(tmp_path)
    assert any("附件文件名含有制表符" in m for m in messages(diags, "case-1.md"))


def test_what_check_accepts_at_the_limits_build_builds(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1704067200")
    copy_rules(tmp_path)
    write(tmp_path, "fagui/case-1.md", case(fine="999999999999999.99"))
    write(tmp_path, "fagui/case-2.md", case(case_no="沁市监罚〔2023〕2号", fine="0.01"))
    write(tmp_path, "fagui/assessment.yaml", ASSESS.format(score="9.999999999999999"))
    assert run_cli(["--root", str(tmp_path), "check"], capsys)[0] == 0
    report = build(tmp_path, quiet=True)
    assert report.records == 2
    page = (tmp_path / "_site" / "2023" / "records" / "fagui" / "case-1.html").read_text("utf-8")
    assert "999,999,999,999,999.99" in page or "999999999999999.99" in page
    shutil.rmtree(tmp_path / "_site")
    assert REPO.is_dir()
