"""build.py and `qsgen build`: the whole pipeline on a small repository in tmp_path."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest
from fixtures.recordkit import copy_rules

from qsgen.build.pipeline import build
from qsgen.cli.commands import build as build_command
from qsgen.core.errors import QsgenError

REPO = Path(__file__).resolve().parent.parent

CASE = """\
---
kind: case
title: 某超市销售过期食品案
date: 2023-06-20
case_no: 沁市监罚〔2023〕901号
category: 过期食品
procedure: general
fine: 12000
attachments: [decision.txt]
---

当事人销售超过保质期的食品。**罚没款 12000 元。**

<script>alert("x")</script>
"""

NEWS = """\
---
kind: news
title: 县融媒体中心报道我股工作
date: 2023-05-12
level: county
outlet: 沁水县融媒体中心
---

报道正文。
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    """rules/ of this repository, a few records for 法规股, marked as example data."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1704067200")  # 2024-01-01, no git in tmp_path
    root = tmp_path / "repo"
    copy_rules(root)
    unit = root / "records" / "2023" / "fagui"
    unit.mkdir(parents=True)
    (root / "records" / "2023" / "EXAMPLE").write_text("示例数据\n", encoding="utf-8")
    (unit / "case-901.md").write_text(CASE, encoding="utf-8")
    (unit / "decision.txt").write_text("行政处罚决定书（示例）\n", encoding="utf-8")
    (unit / "news-0512.md").write_text(NEWS, encoding="utf-8")
    return root


def tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_build_writes_the_site(repo: Path, capsys):
    out = repo / "_site"
    report = build(repo, quiet=False)
    assert report.out == out and report.units == 21 and report.records == 2
    files = tree(out)
    assert ".qsgen-site" in files
    for page in ("index.html", "2023/index.html", "2023/rules.html", "search.html", "404.html",
                 "2023/units/fagui.html", "units/fagui.html", "years.json",
                 "2023/records/fagui/case-901.html", "2023/files/fagui/decision.txt"):
        assert page in files, page
    record = files["2023/records/fagui/case-901.html"].decode()
    assert "示例数据" in record and "<script>alert" not in record
    assert "数据截至 2024-01-01" in files["index.html"].decode()
    data = json.loads(files["2023/scores.json"])
    assert len(data["units"]) == 21
    err = capsys.readouterr().err
    assert "读取记录：2023 年度 2 条记录" in err and "生成页面" in err


def test_quiet_prints_nothing(repo: Path, capsys):
    build(repo, quiet=True)
    assert capsys.readouterr().err == ""


def test_two_builds_are_byte_identical(repo: Path, tmp_path: Path):
    build(repo, tmp_path / "a", quiet=True)
    build(repo, tmp_path / "b", quiet=True)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_errors_leave_the_old_site_untouched(repo: Path):
    out = repo / "_site"
    build(repo, out, quiet=True)
    before = tree(out)
    bad = repo / "records" / "2023" / "fagui" / "case-902.md"
    bad.write_text(CASE.replace("901号", "902号").replace("fine: 12000", "fine: 1.2万")
                   .replace("category: 过期食品", "category: 不存在的类别"), encoding="utf-8")
    with pytest.raises(QsgenError) as info:
        build(repo, out, quiet=True)
    paths = {d.path for d in info.value.diagnostics}
    assert paths == {"records/2023/fagui/case-902.md"}
    assert len(info.value.diagnostics) >= 2  # every problem, not just the first
    assert tree(out) == before


def test_refuses_dangerous_out(repo: Path):
    for out in (repo, repo / "records", Path("/")):
        with pytest.raises(QsgenError):
            build(repo, out, quiet=True)
    other = repo / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(QsgenError):
        build(repo, other, quiet=True)
    assert (other / "keep.txt").read_text() == "x"


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="qsgen")
    parser.add_argument("--root", default=".")
    build_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.run(args)


def test_command_success_and_failure(repo: Path, capsys):
    assert run_cli(["--root", str(repo), "build", "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert (repo / "_site" / "index.html").is_file()
    (repo / "records" / "2023" / "fagui" / "case-903.md").write_text(
        CASE.replace("901号", "903号").replace("fine: 12000", "fine: 1.2万"), encoding="utf-8")
    assert run_cli(["--root", str(repo), "build"]) == 1
    err = capsys.readouterr().err
    assert "records/2023/fagui/case-903.md:8:7: " in err  # path:line:col: message
    assert "原有站点未改动" in err


def test_command_out_option(repo: Path, tmp_path: Path):
    out = tmp_path / "public"
    assert run_cli(["--root", str(repo), "build", "-q", "--out", str(out)]) == 0
    assert (out / "2023" / "scores.csv").is_file()


def test_help_is_chinese(capsys):
    with pytest.raises(SystemExit):
        run_cli(["build", "--help"])
    out = capsys.readouterr().out
    assert "网站输出目录" in out and "不显示进度" in out


def test_root_build_py(repo: Path, tmp_path: Path):
    """`python build.py` is `qsgen build`: same options, exit status 0, site written."""
    import subprocess
    import sys

    out = tmp_path / "from-script"
    proc = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(repo), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "完成" in proc.stderr
    assert (out / "index.html").is_file()


def test_a_record_page_says_when_a_score_line_is_shared(tmp_path: Path):
    """A surplus line (e.g. B6c cases over the quota) is earned by several records together:
    each of their pages shows the line's amount and says how many records it sums."""
    from qsgen.records import load_records
    from qsgen.rules import load_rules
    from qsgen.scoring.engine import score

    root = tmp_path / "example"
    copy_rules(root)
    shutil.copytree(REPO / "records" / "2023", root / "records" / "2023")
    build(root, quiet=True)
    rules, _ = load_rules(root, 2023)
    results = score(rules, load_records(root, rules)[0])
    lines = [ln for us in results.units for adj in us.adjustments for ln in adj.lines]
    shared = next(ln for ln in lines if len(ln.records) > 1)
    for rid in shared.records:
        page = (root / "_site" / "2023" / "records" / f"{rid}.html").read_text("utf-8")
        assert f"（{len(shared.records)} 条记录合计）" in page
    alone = next(ln.records[0] for ln in lines if len(ln.records) == 1
                 and not any(ln.records[0] in other.records for other in lines if len(other.records) > 1))
    assert "条记录合计" not in (root / "_site" / "2023" / "records" / f"{alone}.html").read_text("utf-8")
