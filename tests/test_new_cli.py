"""`qsgen new KIND UNIT`: a commented template, named to pass check once filled in, never overwriting."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fixtures.recordkit import copy_rules, load, run_cli

from qsgen.core.kinds import KINDS

FILL = {
    "title": "标题：带冒号的 'x'", "case_no": "沁市监罚〔2023〕{n}号", "category": "广告", "procedure": "一般",
    "fine": "0", "task": "{task}", "level": "省级", "outlet": "山西日报", "issuer": "山西省人民政府",
    "points": "5", "meeting": "2023年第3次局班子会议", "persons": "1", "found_by": "复议", "team": "一中队",
    "contests": "t01", "grounds": "评分时漏看了材料", "objection": "objection-t01.md", "result": "维持",
    "reason": "理由", "decided_by": "考核办复核组", "decision": "沁市监字〔2024〕21号",
    "files": "[records/2023/bangongshi/assessment.yaml]",
}


@pytest.fixture
def repo(tmp_path):
    copy_rules(tmp_path)
    return tmp_path


def new(repo, capsys, *argv):
    return run_cli(["--root", str(repo), "new", *argv], capsys)


def fill(path, n=1, task="t01", kind=""):
    """Fill every empty required field the way a staff member would."""
    lines = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        m = re.match(r"([a-z_]+):\s+#", line)
        if m and m[1] in FILL:
            value = FILL[m[1]].format(n=n, task=task)
            if m[1] == "category" and kind == "commendation":
                value = "B1"
            line = f"{m[1]}: {value!r}" if ":" in value else f"{m[1]}: {value}"
            line = line.replace('"', "'") if m[1] != "title" else "title: '标题：带冒号的 ''x'''"
        lines.append(line)
    path.write_text("\n".join(lines), encoding="utf-8")


def test_new_case_writes_commented_template(repo, capsys):
    code, out, _ = new(repo, capsys, "case", "longgang", "--date", "2023-06-02", "--title", "查处某超市案")
    assert code == 0 and out.strip() == "records/2023/longgang/case-2023-06-02-1.md"
    text = (repo / out.strip()).read_text(encoding="utf-8")
    assert text.startswith("---\nkind: case")
    front = text.split("---\n")[1]
    for line in front.strip().split("\n"):
        assert re.search(r"#\s*\S*[\u4e00-\u9fff]", line), line  # every field has a Chinese comment
    for field in ("case_no", "category", "procedure", "fine", "transferred"):
        assert field in front
    assert "team" not in front and "title: 查处某超市案" in front and "date: 2023-06-02" in front


def test_template_fails_check_until_filled_then_passes(repo, capsys):
    _, out, _ = new(repo, capsys, "case", "longgang", "--date", "2023-06-02")
    path = repo / out.strip()
    rs, diags = load(repo)
    assert diags and all("没有填写" in d.message for d in diags)
    fill(path)
    rs, diags = load(repo)
    assert diags == [], [d.format_text() for d in diags]
    assert rs.records[0].title == "标题：带冒号的 'x'"


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_passes_check_once_filled(repo, capsys, kind):
    unit = "zhifadui" if kind == "case" else "bangongshi"
    code, out, _ = new(repo, capsys, kind, unit, "--date", "2023-03-01")
    assert code == 0
    fill(repo / out.strip(), kind=kind)
    rs, diags = load(repo)
    assert diags == [], [d.format_text() for d in diags]
    assert rs.records[0].kind == kind


def test_zhifadui_case_has_team(repo, capsys):
    _, out, _ = new(repo, capsys, "case", "zhifadui", "--date", "2023-06-02")
    assert re.search(r"^team: +# 中队：必填：一中队 或 二中队", (repo / out.strip()).read_text(encoding="utf-8"), re.M)


def test_evidence_lists_the_units_items(repo, capsys):
    _, out, _ = new(repo, capsys, "evidence", "bangongshi", "--date", "2023-06-02")
    assert "t01、t02" in (repo / out.strip()).read_text(encoding="utf-8")


def test_never_overwrites(repo, capsys):
    paths = [new(repo, capsys, "news", "bangongshi", "--date", "2023-06-02")[1].strip() for _ in range(3)]
    assert paths == [f"records/2023/bangongshi/news-2023-06-02-{n}.md" for n in (1, 2, 3)]
    first = repo / paths[0]
    first.write_text("mine", encoding="utf-8")
    new(repo, capsys, "news", "bangongshi", "--date", "2023-06-02")
    assert first.read_text(encoding="utf-8") == "mine"


def test_avoids_a_name_differing_only_by_case(repo, capsys):
    folder = repo / "records/2023/bangongshi"
    folder.mkdir(parents=True)
    (folder / "NEWS-2023-06-02-1.md").write_text("x", encoding="utf-8")
    _, out, _ = new(repo, capsys, "news", "bangongshi", "--date", "2023-06-02")
    assert out.strip().endswith("news-2023-06-02-2.md")


def test_today_outside_period_leaves_date_to_fill(repo, capsys, monkeypatch):
    from qsgen.cli.commands import new as new_mod

    monkeypatch.setattr(new_mod, "_today", lambda: dt.date(2026, 1, 5))
    _, out, _ = new(repo, capsys, "news", "bangongshi")
    assert out.strip() == "records/2023/bangongshi/news-2023-1.md"
    assert re.search(r"^date: +#", (repo / out.strip()).read_text(encoding="utf-8"), re.M)
    monkeypatch.setattr(new_mod, "_today", lambda: dt.date(2023, 5, 4))
    _, out, _ = new(repo, capsys, "news", "bangongshi")
    assert out.strip() == "records/2023/bangongshi/news-2023-05-04-1.md"


@pytest.mark.parametrize("argv,fragment", [
    (["cas", "longgang"], "case"), (["case", "longang"], "longgang"), (["case", "龙港所"], "longgang"),
    (["case", "longgang", "--date", "2023/6/2"], "不是日期"),
    (["case", "longgang", "--date", "2022-06-02"], "考核期"),
])
def test_refusals_with_suggestions(repo, capsys, argv, fragment):
    code, out, err = new(repo, capsys, *argv)
    assert code == 2 and out == "" and fragment in err
    assert not (repo / "records").exists() or not any((repo / "records").rglob("*.md"))


def test_help_is_chinese_with_examples(capsys):
    code, out, _ = run_cli(["new", "--help"], capsys)
    assert code == 0 and "示例" in out and "qsgen new case longgang" in out and "case-lead" in out


def test_help_names_the_files_new_makes(repo, capsys, monkeypatch):
    """Every file name `new --help` shows is one the command makes in the case it describes."""
    from qsgen.cli.commands import new as new_mod

    _, text, _ = run_cli(["new", "--help"], capsys)
    shown = set(re.findall(r"case-[0-9-]+\.md", text))
    assert shown == {"case-2023-06-02-1.md", "case-2023-06-02-2.md", "case-2023-1.md"}
    made = set()
    for _ in range(2):  # with --date: the first and the second of the day
        made.add(new(repo, capsys, "case", "longgang", "--date", "2023-06-02")[1].strip().rsplit("/", 1)[1])
    monkeypatch.setattr(new_mod, "_today", lambda: dt.date(2026, 1, 5))  # today outside the period
    made.add(new(repo, capsys, "case", "longgang", "--year", "2023")[1].strip().rsplit("/", 1)[1])
    assert made == shown
