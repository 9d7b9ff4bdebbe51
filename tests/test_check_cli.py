"""`qsgen check`: exit status, text / GitHub / JSON output, Chinese help."""

from __future__ import annotations

import json

import pytest
from fixtures.recordkit import NEWS, case, copy_rules, run_cli, write


@pytest.fixture
def repo(tmp_path):
    from qsgen.review.codeowners import generate

    copy_rules(tmp_path)
    text, _ = generate(tmp_path)  # an up-to-date CODEOWNERS, as a bureau's repository has
    (tmp_path / "CODEOWNERS").write_text(text, encoding="utf-8")
    return tmp_path


def test_clean_repository_prints_nothing(repo, capsys):
    write(repo, "longgang/case-1.md", case())
    write(repo, "bangongshi/news-1.md", NEWS)
    code, out, err = run_cli(["--root", str(repo), "check"], capsys)
    assert (code, out, err) == (0, "", "")


def test_verbose_summary_on_stderr(repo, capsys):
    write(repo, "longgang/case-1.md", case())
    code, out, err = run_cli(["--root", str(repo), "check", "-v"], capsys)
    assert code == 0 and out == "" and "1 条记录" in err


def test_errors_text_format_exit_1(repo, capsys):
    write(repo, "longgang/case-1.md", case(fine="1.2万"))
    write(repo, "bangongshi/news-1.md", NEWS.replace("level: 省级", "level: 乡级"))
    code, out, err = run_cli(["--root", str(repo), "check"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("records/2023/bangongshi/news-1.md:5:8: level（级别）不能是“乡级”")
    assert lines[1].startswith("    提示：")
    assert lines[2].startswith("records/2023/longgang/case-1.md:8:7: ")
    assert "2 个错误" in err


def test_github_format(repo, capsys):
    write(repo, "longgang/case-1.md", case(fine="12000元"))
    code, out, _ = run_cli(["--root", str(repo), "check", "--format", "github"], capsys)
    assert code == 1
    (line,) = out.splitlines()
    assert line.startswith("::error file=records/2023/longgang/case-1.md,line=8,col=7::fine")
    assert "（提示：" in line and "如 12000" in line


def test_github_format_escapes_newlines():
    from qsgen.cli.commands.check import format_github
    from qsgen.core.errors import Diagnostic

    text = format_github(Diagnostic("a,b:c.md", 2, 3, "第一行\n第二行 100%", "提示"))
    assert text == "::error file=a%2Cb%3Ac.md,line=2,col=3::第一行%0A第二行 100%25（提示：提示）"


def test_json_format(repo, capsys):
    write(repo, "longgang/case-1.md", case(fine="-1"))
    code, out, _ = run_cli(["--root", str(repo), "check", "--format", "json"], capsys)
    assert code == 1
    data = json.loads(out)
    assert data == [{"path": "records/2023/longgang/case-1.md", "line": 8, "col": 7, "severity": "error",
                     "message": data[0]["message"], "hint": data[0]["hint"]}]
    assert "负数" in data[0]["message"]


def test_json_format_clean_is_empty_list(repo, capsys):
    code, out, _ = run_cli(["--root", str(repo), "check", "--format", "json"], capsys)
    assert code == 0 and json.loads(out) == []


def test_rules_errors_are_reported_too(repo, capsys):
    p = repo / "rules/2023/assessment.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("year: 2023", "yaer: 2023"), encoding="utf-8")
    code, out, _ = run_cli(["--root", str(repo), "check"], capsys)
    assert code == 1 and "rules/2023/assessment.yaml" in out


@pytest.mark.parametrize("argv", [["check", "--format", "xml"], ["check", "--bogus"]])
def test_usage_errors_exit_2(repo, capsys, argv):
    code, _, err = run_cli(["--root", str(repo), *argv], capsys)
    assert code == 2 and "用法错误" in err


def test_missing_root_is_a_usage_error(tmp_path, capsys):
    code, _, err = run_cli(["--root", str(tmp_path / "nope"), "check"], capsys)
    assert code == 2 and "不存在" in err


def test_help_is_chinese_with_examples(capsys):
    code, out, _ = run_cli(["check", "--help"], capsys)
    assert code == 0 and "示例" in out and "--format github" in out and "退出码" in out


def test_stale_codeowners_is_a_warning_not_an_error(repo, capsys):
    write(repo, "longgang/case-1.md", case())
    (repo / "CODEOWNERS").write_text("* @someone\n", encoding="utf-8")
    code, out, err = run_cli(["--root", str(repo), "check"], capsys)
    assert code == 0
    assert "CODEOWNERS" in out and "警告" in out and "qsgen codeowners" in out


def test_missing_codeowners_is_a_warning(repo, capsys):
    (repo / "CODEOWNERS").unlink()
    code, out, _ = run_cli(["--root", str(repo), "check"], capsys)
    assert code == 0 and "还没有生成 CODEOWNERS" in out
