"""What the site makes public of the people behind the records: git author names (unless
rules/owners.yaml says show_authors: false), never a git e-mail address."""

from __future__ import annotations

import subprocess

import pytest
from test_e2e_git import git_env, make_repo

from qsgen.build.pipeline import build
from qsgen.site.context import without_emails

CASE = "records/2023/longgang/case-2023-001.md"


def commit_as(repo, name, email, message, path, text):
    (repo / path).write_text(text, encoding="utf-8")
    env = dict(git_env(repo.parent), GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email)
    for args in (["add", "-A"], ["commit", "-q", "-m", message]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for k, v in git_env(tmp_path).items():
        if k.startswith("GIT_") or k == "HOME":
            monkeypatch.setenv(k, v)
    repo = make_repo(tmp_path / "kaohe")
    text = (repo / CASE).read_text(encoding="utf-8")
    commit_as(repo, "王某", "wang.mou@qinshui.example.org", "补充案情 (抄送 li@qinshui.example.org)", CASE,
              text + "\n补充：已执行完毕。\n")
    assess = "records/2023/longgang/assessment.yaml"
    commit_as(repo, "zhao@qinshui.example.org", "zhao@qinshui.example.org", "考核办评分", assess,
              (repo / assess).read_text(encoding="utf-8").replace("score: 28", "score: 27"))
    return repo


def site_text(out):
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(out.rglob("*")) if p.is_file())


def test_no_email_anywhere_names_by_default(repo):
    out = repo / "_site"
    build(repo, out, quiet=True)
    assert "example.org" not in site_text(out)
    page = (out / "2023/records/longgang/case-2023-001.html").read_text(encoding="utf-8")
    assert "王某" in page and "补充案情" in page
    unit = (out / "2023/units/longgang.html").read_text(encoding="utf-8")
    # the assessment's last change: its author's "name" is an address, so the office is named
    assert "最后修改 考核领导小组办公室" in unit and "zhao" not in unit


def test_show_authors_false_names_the_unit(repo):
    out = repo / "_site"
    build(repo, out, quiet=True)  # first with names, then the setting: the cached pages change
    owners = repo / "rules/owners.yaml"
    owners.write_text(owners.read_text(encoding="utf-8") + "\nshow_authors: false\n", encoding="utf-8")
    build(repo, out, quiet=True)
    page = (out / "2023/records/longgang/case-2023-001.html").read_text(encoding="utf-8")
    assert "王某" not in page and "测试员" not in site_text(out)
    assert "<th scope=\"row\">最后修改</th><td>龙港所，" in page
    assert "example.org" not in site_text(out)
    owners.write_text(owners.read_text(encoding="utf-8").replace("show_authors: false", ""), encoding="utf-8")
    build(repo, out, quiet=True)
    assert "王某" in (out / "2023/records/longgang/case-2023-001.html").read_text(encoding="utf-8")


def test_show_authors_must_be_true_or_false(repo):
    from qsgen.approvals.owners import load_owners

    owners = repo / "rules/owners.yaml"
    owners.write_text(owners.read_text(encoding="utf-8") + "\nshow_authors: 部分\n", encoding="utf-8")
    cfg, diags = load_owners(repo)
    assert [d.message for d in diags] == ["show_authors 只能是 true 或 false"]


@pytest.mark.parametrize("text,shown", [
    ("王某 <wang@example.org>", "王某 "),
    ("wang.mou+kaohe@mail.qinshui.gov.cn", ""),
    ("Merge branch 'x' of git@example.org:a/b", "Merge branch 'x' of :a/b"),
    ("补充案情", "补充案情"),
])
def test_without_emails(text, shown):
    assert without_emails(text) == shown
