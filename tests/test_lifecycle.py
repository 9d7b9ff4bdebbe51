"""The result's lifecycle (issue 15): 公示 in working days of the official calendar, objections and
answers, 定稿 with a manifest that refuses silent changes, corrections, `qsgen verify` with a
real SSH signature. On copies of the example repository (its 2023 went through the whole cycle)."""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from qsgen.build import finalize as fin
from qsgen.build import pipeline
from qsgen.cli.commands.check import collect
from qsgen.core.errors import QsgenError
from qsgen.lifecycle import manifest as mf
from qsgen.lifecycle.calendar import UnknownYear, load_calendar

REPO = Path(__file__).resolve().parent.parent
D = _dt.date


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "测试员", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "测试员", "GIT_COMMITTER_EMAIL": "t@example.org",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    """A copy of the example repository's rules and records, committed (cp -r; git init)."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(REPO / "rules", root / "rules")
    shutil.copytree(REPO / "records", root / "records")
    _new_history(root)
    return root


def _new_history(root: Path) -> None:
    """The tree as it is, committed in a history of its own (a manifest once committed stays
    required: unsealing a final year is refused)."""
    shutil.rmtree(root / ".git", ignore_errors=True)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "example")


def errors(root: Path, year: int = 2023):
    _loaded, diags = collect(root, year)
    return [d for d in diags if d.severity == "error"]


def lifecycle(root: Path, year: int = 2023, today: _dt.date | None = None):
    results, _warnings = pipeline.load_and_score(root, year=year, build_date=today)
    return results[0].lifecycle


# ------------------------------------------------------------------ calendar


def test_national_day_2023_and_its_adjusted_saturday_and_sunday():
    cal, diags = load_calendar(REPO)
    assert diags == []
    assert [cal.is_workday(D(2023, 9, 28)), cal.is_workday(D(2023, 9, 29))] == [True, False]
    assert not any(cal.is_workday(D(2023, 10, d)) for d in range(1, 7))  # 10-02..10-06 are weekdays
    assert cal.is_workday(D(2023, 10, 7)) and cal.is_workday(D(2023, 10, 8))  # Saturday, Sunday: 调休
    assert cal.nth_workday(D(2023, 9, 28), 2) == D(2023, 10, 7)
    assert cal.add_workdays(D(2023, 9, 27), 3) == D(2023, 10, 8)
    assert cal.add_workdays(D(2023, 10, 8), 1) == D(2023, 10, 9)


def test_spring_festival_and_new_year_across_two_years():
    cal, _ = load_calendar(REPO)
    assert cal.is_workday(D(2023, 1, 28)) and cal.is_workday(D(2023, 1, 29))  # 调休
    assert cal.nth_workday(D(2023, 1, 20), 2) == D(2023, 1, 28)
    assert not cal.is_workday(D(2024, 1, 1))
    assert cal.add_workdays(D(2023, 12, 29), 1) == D(2024, 1, 2)
    assert cal.is_workday(D(2024, 2, 4)) and cal.is_workday(D(2024, 2, 9))  # 除夕 2024 is a workday
    assert cal.nth_workday(D(2024, 2, 9), 2) == D(2024, 2, 18)  # 2-10..2-17 off, Sunday 2-18 on
    with pytest.raises(UnknownYear):
        cal.is_workday(D(2031, 1, 2))


def test_the_calendar_agrees_with_chinese_calendar_every_day():
    import chinese_calendar

    cal, _ = load_calendar(REPO)
    day = D(2023, 1, 1)
    while day <= D(2025, 12, 31):
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += _dt.timedelta(days=1)


# ------------------------------------------------------------------ the example


def test_the_example_2023_went_through_the_whole_cycle(repo):
    lc = lifecycle(repo)
    assert lc.state == "定稿" and lc.final.decision == "沁市监字〔2024〕9号"
    assert (lc.notice.start, lc.notice.end) == (D(2024, 1, 15), D(2024, 1, 19))
    by_unit = {o.unit: o for o in lc.objections}
    assert by_unit["xuanchuan"].answer.result == "变更" and by_unit["duanshi"].answer.result == "维持"
    # 10 working days after receipt, counted from the next working day
    assert by_unit["xuanchuan"].deadline == D(2024, 1, 30)
    assert by_unit["duanshi"].deadline == D(2024, 2, 1)
    assert not any(o.overdue or o.answer.late for o in lc.objections)
    assert [c.decision for c in lc.corrections] == ["沁市监字〔2024〕21号"]
    change = next(c for c in lc.changes if c.slug == "bangongshi")
    assert change.total_after - change.total_before == 1
    assert lc.manifest_digest and lc.signature == "unsigned"


def test_the_site_shows_the_decision_the_objections_and_the_corrections(repo, tmp_path):
    out = tmp_path / "site"
    pipeline.build(repo, out, quiet=True, use_cache=False)
    for page in ["2023/index.html", "2023/units/longgang.html", "2023/rules.html",
                 "2023/records/xuanchuan/objection-t01.html"]:
        assert "2023年度考核结果已定稿" in (out / page).read_text("utf-8"), page
    assert "考核结果已定稿" not in (out / "2024/index.html").read_text("utf-8")  # (its switcher names 2023 已定稿)
    unit = (out / "2023/units/xuanchuan.html").read_text("utf-8")
    assert "异议与答复" in unit and "变更" in unit and "由 8 分改为 9.5 分" in unit
    page = (out / "2023/lifecycle.html").read_text("utf-8")
    assert "维持" in page and "更正记录" in page and "沁市监字〔2024〕21号" in page
    assert lifecycle(repo).manifest_digest in page
    assert "已定稿" in (out / "2023/summary.html").read_text("utf-8")
    objection = (out / "2023/records/xuanchuan/objection-t01.html").read_text("utf-8")
    assert "复核结论：变更" in objection and "answer-t01.html" in objection and "已答复" in objection
    assert "objection-t01.html" in (out / "2023/records/xuanchuan/answer-t01.html").read_text("utf-8")


# ------------------------------------------------------------------ final means frozen


EDITS = {  # path -> (old, new): a record, a rule, an attachment, an assessment score
    "records/2023/longgang/case-2023-068.md": None,
    "rules/2023/adjustments.yaml": None,
    "records/2023/xuanchuan/attachments/食安委工作总结补充材料.txt": None,
    "records/2023/longgang/assessment.yaml": None,
}


def _edit(root: Path, rel: str) -> int:
    """Change one line of the file (a different value on it); the line changed."""
    path = root / rel
    lines = path.read_text("utf-8").split("\n")
    if rel.endswith("assessment.yaml"):
        i = next(i for i, ln in enumerate(lines) if ln.strip().startswith("s01-1:"))
        lines[i] = re.sub(r"score: [\d.]+", "score: 30", lines[i])
    elif rel.endswith("adjustments.yaml"):
        i = next(i for i, ln in enumerate(lines) if "title: 信息减分" in ln)
        lines[i] = lines[i].replace("信息减分", "信息任务减分")
    elif rel.endswith(".md"):
        i = len(lines) - 2
        lines[i] += "（补记）"
    else:
        i = 2
        lines[i] += "（补）"
    path.write_text("\n".join(lines), "utf-8")
    return i + 1


def test_each_change_to_a_final_year_is_refused_until_a_correction_explains_it(repo, tmp_path):
    assert errors(repo) == []
    lines = {rel: _edit(repo, rel) for rel in EDITS}
    found = {d.path: d for d in errors(repo)}
    assert set(found) == set(EDITS)
    for rel, d in found.items():
        assert d.line == lines[rel], rel
        assert "已定稿" in d.message and "correction-" in d.hint and f"files: [{rel}]" in d.hint
    with pytest.raises(QsgenError):
        pipeline.build(repo, tmp_path / "site", quiet=True, use_cache=False)
    (repo / "records/2023/longgang/correction-2024-04.md").write_text(
        "---\nkind: correction\ntitle: 更正龙港所的案件记录、评分和信息减分项目名称\ndate: 2024-04-01\n"
        "reason: 核对原件发现录入错误\ndecision: 沁市监字〔2024〕30号\nfiles:\n"
        + "".join(f"  - {rel}\n" for rel in EDITS) + "---\n\n经核对原件更正。\n", "utf-8")
    assert errors(repo) == []
    pipeline.build(repo, tmp_path / "site", quiet=True, use_cache=False)
    page = (tmp_path / "site/2023/lifecycle.html").read_text("utf-8")
    assert "沁市监字〔2024〕30号" in page and "records/2023/longgang/assessment.yaml" in page
    lc = lifecycle(repo)
    assert any(c.slug == "longgang" and c.total_after > c.total_before for c in lc.changes)


def test_a_new_file_or_a_removed_one_is_refused_too(repo):
    (repo / "records/2023/longgang/case-2023-068.md").unlink()
    shutil.copy(repo / "records/2023/longgang/case-2023-069.md", repo / "records/2023/longgang/case-x.md")
    text = (repo / "records/2023/longgang/case-x.md").read_text("utf-8")
    (repo / "records/2023/longgang/case-x.md").write_text(text.replace("〔2023〕069", "〔2023〕999"), "utf-8")
    found: dict[str, str] = {}
    for d in errors(repo):
        found[d.path] = found.get(d.path, "") + d.message
    assert "被删除了" in found["records/2023/longgang/case-2023-068.md"]
    assert "新加的文件" in found["records/2023/longgang/case-x.md"]


def test_verify_catches_a_tampered_input_and_passes_the_example(repo):
    v = fin.verify(repo, 2023)
    assert v.ok and v.signature == "unsigned" and [p for p, _ in v.explained] == [
        "records/2023/bangongshi/assessment.yaml", "records/2023/bangongshi/correction-t04.md"]
    att = repo / "records/2023/xuanchuan/attachments/食安委工作总结补充材料.txt"
    att.write_bytes(att.read_bytes() + b"x")
    v = fin.verify(repo, 2023)
    assert not v.ok and [(p, line) for p, _, line in v.unexplained] == [(att.relative_to(repo).as_posix(), 5)]  # (a 5th line added)


def _keygen(folder: Path, name: str) -> Path:
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
                   check=True, capture_output=True)
    return key


def test_finalize_signs_and_verify_checks_the_signature_with_ssh_keygen(repo, tmp_path):
    # Finalise again from scratch: the correction folded in, one office key in allowed_signers.
    (repo / mf.manifest_path(2023)).unlink()
    (repo / "records/2023/bangongshi/correction-t04.md").unlink()
    _new_history(repo)
    key, other = _keygen(tmp_path, "office"), _keygen(tmp_path, "stranger")
    pub = (tmp_path / "office.pub").read_text().strip()
    (repo / "rules/allowed_signers").write_text(f'kaohe-wang namespaces="git" {pub}\n', "utf-8")
    rel, digest = fin.finalize(repo, 2023, key)
    assert rel == "records/2023/manifest.json" and (repo / mf.signature_path(2023)).is_file()
    v = fin.verify(repo, 2023)
    assert v.ok and (v.signature, v.signer) == ("verified", "kaohe-wang") and v.digest == digest
    proc = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(repo / "rules/allowed_signers"),
                           "-I", "kaohe-wang", "-n", "git", "-s", str(repo / mf.signature_path(2023))],
                          input=(repo / rel).read_bytes(), capture_output=True)
    assert proc.returncode == 0  # verifiable offline, by hand, as the guide says
    with pytest.raises(QsgenError):
        fin.finalize(repo, 2023, key)  # once final, only corrections
    # a manifest edited after signing (a digest changed to match a tampered file)
    data = (repo / rel).read_text("utf-8")
    first = next(line for line in data.splitlines() if '"sha256"' in line)
    (repo / rel).write_text(data.replace(first, first.replace('"sha256": "', '"sha256": "0'), 1), "utf-8")
    v = fin.verify(repo, 2023)
    assert v.signature == "invalid" and not v.ok
    # signed by someone not in allowed_signers
    (repo / rel).write_text(data, "utf-8")
    assert mf.sign(repo, 2023, other) == ""
    assert fin.verify(repo, 2023).signature == "invalid"
    assert lifecycle(repo).signature == "invalid"
    # a good signature kept outside the repository and linked in: not read, not handed on
    mf.sign(repo, 2023, key)
    assert fin.verify(repo, 2023).signature == "verified"
    outside = tmp_path / "outside.sig"
    (repo / mf.signature_path(2023)).replace(outside)
    (repo / mf.signature_path(2023)).symlink_to(outside)
    assert fin.verify(repo, 2023).signature == "invalid"


# ------------------------------------------------------------------ 公示 and objections


NOTICE = """state: 公示
notice:
  start: 2024-01-15
  workdays: 5
  where: 考核办（309室）
  how: 提交异议记录
"""


def _in_notice(repo: Path) -> None:
    """The example's 2023 put back into 公示: no final decision, manifest or correction."""
    (repo / "records/2023/status.yaml").write_text(NOTICE, "utf-8")
    (repo / mf.manifest_path(2023)).unlink()
    (repo / "records/2023/bangongshi/correction-t04.md").unlink()
    _new_history(repo)


def test_every_page_of_a_year_in_notice_says_so_with_the_window(repo, tmp_path):
    _in_notice(repo)
    out = tmp_path / "site"
    pipeline.build(repo, out, quiet=True, use_cache=False)
    pages = sorted((out / "2023").rglob("*.html"))
    assert len(pages) > 700
    for page in pages:
        text = page.read_text("utf-8")
        if "notices/" in page.as_posix() or page.name == "summary.html":
            assert "公示期 2024-01-15 至 2024-01-19" in text, page  # the paperwork's state
        else:
            assert "公示期 2024-01-15 至 2024-01-19" in text and "提交异议记录" in text, page
    assert "公示期" not in (out / "2024/index.html").read_text("utf-8")


def _objection(repo: Path, unit: str, name: str, date: str, contests: str) -> Path:
    path = repo / "records/2023" / unit / name
    path.write_text(f"---\nkind: objection\ntitle: 异议\ndate: {date}\ncontests: {contests}\n"
                    "grounds: 评分有误\n---\n\n理由。\n", "utf-8")
    return path


def test_an_objection_outside_the_window_or_naming_nothing_is_an_error_with_the_window(repo):
    _in_notice(repo)
    _objection(repo, "longgang", "objection-late.md", "2024-01-22", "s01-1")
    _objection(repo, "longgang", "objection-what.md", "2024-01-17", "t99")
    found = {d.path.rsplit("/", 1)[-1]: d for d in errors(repo)}
    late = found["objection-late.md"]
    assert late.line == 4 and "不在公示期内" in late.message and "2024-01-15 至 2024-01-19" in late.hint
    assert "t99" in found["objection-what.md"].message and found["objection-what.md"].line == 5


def test_check_reports_an_objection_past_its_deadline(repo):
    _in_notice(repo)
    _objection(repo, "longgang", "objection-s01.md", "2024-01-19", "s01-1")
    _loaded, diags = collect(repo, 2023)
    late = [d for d in diags if d.path.endswith("objection-s01.md")]
    assert [(d.severity, "2024-02-02" in d.message) for d in late] == [("warning", True)]
    o = next(o for o in lifecycle(repo, today=D(2024, 2, 5)).objections if o.record == "longgang/objection-s01")
    assert o.status == "待答复" and o.overdue and o.deadline == D(2024, 2, 2)
    o = next(o for o in lifecycle(repo, today=D(2024, 2, 2)).objections if o.record == "longgang/objection-s01")
    assert not o.overdue  # the deadline's own day is in time


def test_a_change_answer_must_name_the_change_and_final_needs_every_answer(repo):
    _in_notice(repo)
    answer = repo / "records/2023/xuanchuan/answer-t01.md"
    answer.write_text("\n".join(ln for ln in answer.read_text("utf-8").split("\n")
                                if not ln.startswith("change:")), "utf-8")
    assert any("所作变更" in d.message for d in errors(repo))


def test_an_unknown_years_calendar_is_a_clear_error(repo):
    (repo / "records/2023/status.yaml").write_text(NOTICE.replace("2024-01-15", "2031-01-15"), "utf-8")
    (repo / mf.manifest_path(2023)).unlink()
    _new_history(repo)
    found = [d for d in errors(repo) if d.path == "records/2023/status.yaml"]
    assert found and "2031" in found[0].message and "rules/calendar/2031.yaml" in found[0].hint


def test_an_incremental_build_equals_a_clean_one_across_lifecycle_changes(repo, tmp_path):
    inc, clean = tmp_path / "inc", tmp_path / "clean"
    pipeline.build(repo, inc, quiet=True)
    _in_notice(repo)
    _objection(repo, "longgang", "objection-s01.md", "2024-01-19", "s01-1")
    pipeline.build(repo, inc, quiet=True)
    pipeline.build(repo, clean, quiet=True, use_cache=False)

    def tree(p: Path) -> dict[str, bytes]:
        return {f.relative_to(p).as_posix(): f.read_bytes() for f in sorted(p.rglob("*"))
                if f.is_file() and not f.name.startswith(".")}

    a, b = tree(inc), tree(clean)
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []
    assert "2023/records/longgang/objection-s01.html" in a


# ------------------------------------------------------------------ the office's guide, as written


def _blocks(lang: str) -> list[str]:
    text = (REPO / "docs/guide/office.md").read_text("utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def _cli(root: Path, capsys, *argv: str) -> tuple[int, str, str]:
    from fixtures.recordkit import run_cli

    return run_cli(["--root", str(root), *argv], capsys)


def test_the_office_guide_works_as_written_on_a_copy_of_the_example(repo, tmp_path, capsys):
    """docs/guide/office.md's 练一遍 on the example: its status.yaml blocks, its objection, answer
    and correction records as written, its commands (qsgen new, check, finalize --sign, verify)."""
    for rel in ("records/2023/status.yaml", mf.manifest_path(2023)):
        (repo / rel).unlink()
    for path in (repo / "records/2023").glob("*/*.md"):
        if path.name.startswith(("objection-", "answer-", "correction-")):
            path.unlink()
    _new_history(repo)  # (the guide: a practice copy starts a history of its own)
    assert errors(repo) == []
    yaml_blocks = [b for b in _blocks("yaml") if b.startswith("state:")]
    notice, final = yaml_blocks
    records = _blocks("markdown")
    (repo / "records/2023/status.yaml").write_text(notice, "utf-8")
    assert errors(repo) == []
    # qsgen new puts an objection dated after the period in the year that just ended
    code, out, _ = _cli(repo, capsys, "new", "objection", "xuanchuan", "--date", "2024-01-16")
    assert code == 0 and out.strip() == "records/2023/xuanchuan/objection-2024-01-16-1.md"
    (repo / out.strip()).unlink()
    (repo / "records/2023/xuanchuan/objection-t01.md").write_text(records[0], "utf-8")
    (repo / "records/2023/xuanchuan/answer-t01.md").write_text(records[1], "utf-8")
    assessment = repo / "records/2023/xuanchuan/assessment.yaml"
    assessment.write_text(re.sub(r"t01: \{score: [\d.]+", "t01: {score: 9.5", assessment.read_text("utf-8")), "utf-8")
    assert errors(repo) == []
    out_dir = tmp_path / "site"
    pipeline.build(repo, out_dir, quiet=True, use_cache=False)
    assert "公示期 2024-01-15 至 2024-01-19" in (out_dir / "2023/index.html").read_text("utf-8")
    # 定稿, signed with a key of allowed_signers
    (repo / "records/2023/status.yaml").write_text(final, "utf-8")
    key = _keygen(tmp_path, "office")
    (repo / "rules/allowed_signers").write_text(
        f'kaohe-wang namespaces="git" {(tmp_path / "office.pub").read_text().strip()}\n', "utf-8")
    code, out, err = _cli(repo, capsys, "finalize", "2023", "--sign", str(key))
    assert code == 0, err
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "定稿")
    # a change is refused at its line, then the guide's correction record lets it through
    bangongshi = repo / "records/2023/bangongshi/assessment.yaml"
    bangongshi.write_text(bangongshi.read_text("utf-8").replace("t04: {score: 9,", "t04: {score: 8,"), "utf-8")
    code, _out, err = _cli(repo, capsys, "check")
    assert code == 1 and "records/2023/bangongshi/assessment.yaml:8:1: 2023 年度已定稿" in err + _out
    (repo / "records/2023/bangongshi/correction-t04.md").write_text(records[2], "utf-8")
    code, _out, err = _cli(repo, capsys, "check")
    assert code == 0, _out + err
    code, out, err = _cli(repo, capsys, "verify", "2023")
    assert code == 0 and "签名已验证（kaohe-wang）" in out and "核对通过" in out, out + err
    pipeline.build(repo, out_dir, quiet=True, use_cache=False)
    page = (out_dir / "2023/lifecycle.html").read_text("utf-8")
    assert "签名已验证" in page and "kaohe-wang" not in page  # (never a person's id on a page)
    assert "2023-03-12" not in page or "correction-t04" in page


def test_the_status_the_manifest_and_the_lifecycle_records_are_the_offices():
    from qsgen.approvals.responsible import classify, departments_for, kind_departments
    from qsgen.rules import load_rules

    rules, _ = load_rules(REPO, 2023)
    per_kind = kind_departments(rules, "office")
    for path in ("records/2023/status.yaml", "records/2023/manifest.json", "records/2023/manifest.json.sig",
                 "records/2023/xuanchuan/objection-t01.md", "records/2023/xuanchuan/answer-t01.md",
                 "records/2023/bangongshi/correction-t04.md"):
        assert departments_for(classify(path), per_kind, "office", "leadership") == ["office"], path
    codeowners = (REPO / "CODEOWNERS").read_text("utf-8")
    assert "年度状态 status.yaml" in codeowners and "/records/**/objection-* @qinshui-scj/kaohe" in codeowners


def test_a_year_with_items_still_to_judge_cannot_be_in_notice(repo):
    _in_notice(repo)
    path = repo / "records/2023/guxian/assessment.yaml"
    path.write_text("\n".join(ln for ln in path.read_text("utf-8").split("\n")
                              if not ln.strip().startswith(("s12-2:", "s15-3:"))), "utf-8")
    found = [d for d in errors(repo) if d.path == "records/2023/status.yaml"]
    assert [(d.line, "固县所 2 项" in d.message) for d in found] == [(1, True)]


def test_putting_a_final_year_back_is_a_change_too(repo):
    (repo / "records/2023/status.yaml").unlink()
    found = {d.path: d.message for d in errors(repo)}
    assert "被删除了" in found["records/2023/status.yaml"]
    (repo / "records/2023/status.yaml").write_text(NOTICE, "utf-8")
    found = {d.path: d for d in errors(repo)}
    assert found["records/2023/status.yaml"].line == 1 and "内容被改动" in found["records/2023/status.yaml"].message


def test_removing_the_manifest_of_a_committed_final_year_is_refused(repo):
    (repo / mf.manifest_path(2023)).unlink()
    (repo / "records/2023/status.yaml").unlink()
    found = {d.path: d for d in errors(repo)}
    assert "定稿清单被删除了" in found[mf.manifest_path(2023)].message


def test_a_build_with_its_cache_finds_the_removed_manifest_too(repo):
    """The build asks git about a missing manifest on a thread of its own while it reads the
    records (LastCommits.ahead); the answer, and the refusal, are the same, with a cache from
    a build before and without one."""
    pipeline.build(repo, quiet=True)  # a cache, with the manifest in the tree
    (repo / mf.manifest_path(2023)).unlink()
    (repo / "records/2023/status.yaml").unlink()
    for _ in range(2):
        with pytest.raises(QsgenError) as e:
            pipeline.build(repo, quiet=True)
        found = {d.path: d.message for d in e.value.diagnostics if d.severity == "error"}
        assert "定稿清单被删除了" in found[mf.manifest_path(2023)]


def test_last_commits_looked_up_ahead_are_those_asked_now(repo):
    from qsgen.incremental.history import LastCommits
    from qsgen.repo.commits import last_commit_of

    gone = mf.manifest_path(2023)
    (repo / gone).unlink()
    git(repo, "commit", "-qam", "unseal")
    head = git(repo, "rev-parse", "HEAD").strip()
    never = "records/2023/no-such-file.md"
    ahead = LastCommits(repo, head)
    ahead.ahead(repo, [gone, never, gone])
    assert [ahead.last(repo, gone), ahead.last(repo, never)] == [last_commit_of(repo, gone), None]
    assert ahead.last(repo, gone) is not None
    ahead.save()  # kept by HEAD: the next build asks git nothing
    again = LastCommits(repo, head)
    again.ahead(repo, [gone, never])
    assert again.pending == {} and again.found == ahead.found
