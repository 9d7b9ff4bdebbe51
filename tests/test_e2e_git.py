"""End to end in a temporary git repository: commit, branch, add a fined case, check and diff."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fixtures.recordkit import copy_rules

from qsgen.cli import program as cli

REPO = Path(__file__).resolve().parent.parent
CASE = """\
---
kind: case
title: {title}
date: 2023-{date}
case_no: 沁市监罚〔2023〕{no}号
category: {category}
procedure: {procedure}
fine: {fine}
---

{title}，依法处理。
"""
SAMPLE = {  # a small sample: two 所, a few cases, some judged scores
    "records/2023/longgang/case-2023-001.md": CASE.format(
        title="某五金店销售侵犯注册商标专用权电线案", date="03-02", no="001", category="知识产权",
        procedure="general", fine="5000"),
    "records/2023/longgang/case-2023-002.md": CASE.format(
        title="某门店未明码标价案", date="04-11", no="002", category="价格", procedure="simple", fine="0"),
    "records/2023/duanshi/case-2023-010.md": CASE.format(
        title="某餐馆使用过期原料案", date="05-20", no="010", category="餐饮", procedure="general",
        fine="20000"),
    "records/2023/longgang/assessment.yaml":
        "assessor: 考核领导小组办公室\ndate: 2024-01-10\nitems:\n  s01-1: {score: 28}\n"
        "  s01-2: {score: 18, note: 个别工作滞后}\n",
}
NEW_CASE = """\
---
kind: case
title: 龙港某超市销售过期食品案
date: 2023-08-15
case_no: 沁市监罚〔2023〕900号
category: 过期食品
procedure: general
fine: 12000
---

检查发现货架上有超过保质期的食品，依法罚款 12000 元。
"""


def git_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "GIT_AUTHOR_NAME": "测试员", "GIT_AUTHOR_EMAIL": "tester@example.org",
        "GIT_COMMITTER_NAME": "测试员", "GIT_COMMITTER_EMAIL": "tester@example.org",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "HOME": str(home),
        "GIT_TERMINAL_PROMPT": "0",
    })
    return env


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, env=git_env(cwd.parent), capture_output=True,
                          text=True, check=True)
    return proc.stdout.strip()


def make_repo(path: Path) -> Path:
    """A bureau repository on branch main (rules, CODEOWNERS, a few records) and a branch
    ``feature`` that adds one fined case to 龙港所."""
    path.mkdir(parents=True)
    copy_rules(path)
    shutil.copy(REPO / "CODEOWNERS", path / "CODEOWNERS")
    for rel, text in SAMPLE.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text, encoding="utf-8")
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "基准")
    git(path, "checkout", "-q", "-b", "feature")
    (path / "records/2023/longgang/case-2023-900.md").write_text(NEW_CASE, encoding="utf-8")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "龙港所新增一件罚没款案件")
    return path


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for k, v in git_env(tmp_path).items():
        if k.startswith("GIT_") or k == "HOME":
            monkeypatch.setenv(k, v)
    return make_repo(tmp_path / "kaohe")


def qsgen(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_then_diff_names_unit_rule_and_amount(repo, capsys):
    code, out, err = qsgen(capsys, "--root", str(repo), "check")
    assert code == 0, out + err
    status_before = git(repo, "status", "--porcelain")
    index_before = (repo / ".git" / "index").read_bytes()
    refs_before = git(repo, "for-each-ref")

    code, out, err = qsgen(capsys, "--root", str(repo), "diff", "main")
    assert code == 0, err
    assert "龙港所 +1.57（B6c " in out and "+1.00，" in out
    assert "罚没款 12,000 元 ≥ 10,000 元：+1" in out
    assert "龙港某超市销售过期食品案" in out

    code, md, err = qsgen(capsys, "--root", str(repo), "diff", "main", "--format", "markdown")
    assert code == 0, err
    row = next(line for line in md.splitlines() if line.startswith("| **龙港所**"))
    assert "**+1.57**" in row and "B6c" in row and "+1.00" in row
    assert "records/2023/longgang/case-2023-900.md" in md

    # the index, the refs and the work tree were not touched
    assert (repo / ".git" / "index").read_bytes() == index_before
    assert git(repo, "for-each-ref") == refs_before
    assert git(repo, "status", "--porcelain") == status_before


def test_diff_between_two_revisions_and_uncommitted_changes(repo, capsys):
    code, out, _ = qsgen(capsys, "--root", str(repo), "diff", "main", "feature")
    assert code == 0 and "龙港所 +1.57" in out and "feature（" in out
    code, out, _ = qsgen(capsys, "--root", str(repo), "diff", "feature")
    assert code == 0 and "得分和排名都没有变化" in out
    # an uncommitted deduction shows up against HEAD of the branch
    (repo / "records/2023/duanshi/absence-1.md").write_text(
        "---\nkind: absence\ntitle: 未参加全局消防演练\ndate: 2023-05-10\n---\n无故缺席。\n", encoding="utf-8")
    code, out, _ = qsgen(capsys, "--root", str(repo), "diff", "HEAD")
    assert code == 0 and "端氏所 −3.00（D6" in out


def test_new_validation_error_exits_1_and_is_listed(repo, capsys):
    bad = NEW_CASE.replace("fine: 12000", "fine: 1.2万").replace("900号", "901号")
    (repo / "records/2023/longgang/case-2023-901.md").write_text(bad, encoding="utf-8")
    code, out, _ = qsgen(capsys, "--root", str(repo), "diff", "main", "--format", "markdown")
    assert code == 1
    assert "新出现的校验错误（1 处）" in out and "case-2023-901.md" in out
    assert "| **龙港所**" in out  # the valid new case is still scored


def test_unknown_base_explains_shallow_clone(repo, tmp_path, capsys):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "feature", repo.as_uri(), str(clone))
    code, _, err = qsgen(capsys, "--root", str(clone), "diff", "main")
    assert code == 2 and "git fetch --depth=1 origin +refs/heads/main:refs/remotes/origin/main" in err
    git(clone, "fetch", "-q", "--depth=1", "origin", "+refs/heads/main:refs/remotes/origin/main")
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    code, out, err = qsgen(capsys, "--root", str(clone), "diff", "origin/main")
    assert code == 0, err
    assert "龙港所 +1.57" in out


def test_codeowners_and_check_warning(repo, capsys):
    code, out, _ = qsgen(capsys, "--root", str(repo), "codeowners", "--check")
    assert code == 0 and "最新" in out
    owners = repo / "rules" / "owners.yaml"
    owners.write_text(owners.read_text(encoding="utf-8").replace("@qinshui-scj/fagui", "@qinshui-scj/fa"),
                      encoding="utf-8")
    code, _, err = qsgen(capsys, "--root", str(repo), "codeowners", "--check")
    assert code == 1 and "过期" in err
    code, out, _ = qsgen(capsys, "--root", str(repo), "codeowners")
    assert code == 0 and "/records/**/case-* @qinshui-scj/fa\n" in (repo / "CODEOWNERS").read_text(encoding="utf-8")


def test_symlink_in_base_is_not_followed(repo, capsys):
    link = repo / "records/2023/longgang/news-link.md"
    link.symlink_to("/etc/hostname")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "符号链接")
    code, out, err = qsgen(capsys, "--root", str(repo), "diff", "HEAD~1", "HEAD")
    assert code in (0, 1), err
    assert "hostname" not in out


def test_rule_change_is_named(repo, capsys):
    adj = repo / "rules/2023/adjustments.yaml"
    text = adj.read_text(encoding="utf-8")
    assert "amount: {field: fine, tiers: [[10000, 1], [50000, 2], [100000, 3]]}" in text
    adj.write_text(text.replace("tiers: [[10000, 1], [50000, 2], [100000, 3]]",
                                "tiers: [[10000, 2], [50000, 3], [100000, 4]]"), encoding="utf-8")
    code, out, err = qsgen(capsys, "--root", str(repo), "diff", "HEAD")
    assert code == 0, err
    assert "考核规则有改动（影响所有单位）：rules/2023/adjustments.yaml" in out
    assert "端氏所 +1.00（B6c" in out  # its 20,000 yuan case is now worth 2 instead of 1


def test_not_a_repository(tmp_path, capsys):
    (tmp_path / "plain").mkdir()
    code, _, err = qsgen(capsys, "--root", str(tmp_path / "plain"), "diff", "main")
    assert code == 2 and "不在 git 仓库中" in err


def test_merge_base_diff_reports_only_the_branch(repo, capsys):
    # After the branch was cut, main gains a record the branch does not have.
    git(repo, "checkout", "-q", "main")
    (repo / "records/2023/duanshi/case-2023-011.md").write_text(
        NEW_CASE.replace("900号", "011号").replace("龙港", "端氏"), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "端氏所新增案件")
    git(repo, "checkout", "-q", "feature")
    code, tip, err = qsgen(capsys, "--root", str(repo), "diff", "main", "HEAD")
    assert code == 0, err
    assert "删除案件《端氏某超市销售过期食品案》" in tip  # the false alarm of comparing with the tip
    code, out, err = qsgen(capsys, "--root", str(repo), "diff", "--merge-base", "main", "HEAD")
    assert code == 0, err
    assert "端氏" not in out and "删除" not in out and "龙港所 +1.57" in out and "共同祖先" in out
