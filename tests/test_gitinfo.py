"""Git provenance from one `git log` pass; build date from SOURCE_DATE_EPOCH or the last commit."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fixtures.gitenv import isolate_git

from qsgen.core.errors import QsgenError
from qsgen.repo import gitinfo
from qsgen.repo.gitinfo import Commit, HistoryPass, file_history, source_date

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture(autouse=True)
def clean_git_env(tmp_path, monkeypatch):
    isolate_git(tmp_path, monkeypatch)


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, date: str = "2023-01-01T00:00:00+08:00", author: str = "测试员") -> str:
        env = dict(os.environ, GIT_AUTHOR_NAME=author, GIT_AUTHOR_EMAIL="a@example.com",
                   GIT_COMMITTER_NAME="CI", GIT_COMMITTER_EMAIL="ci@example.com",
                   GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        return subprocess.run(["git", *args], cwd=self.root, env=env, check=True,
                              capture_output=True, text=True).stdout

    def write(self, path: str, text: str) -> None:
        p = self.root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")

    def commit(self, message: str, date: str, author: str = "测试员") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, date=date, author=author)
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path) -> Repo:
    r = Repo(tmp_path / "repo")
    r.write("records/2023/longgang/case-罚款一万.md", "一")
    r.write("records/2023/longgang/news-龙港 信息.md", "二")
    r.write("rules/2023/assessment.yaml", "year: 2023\n")
    r.write("records/2023/龙港所/evidence-检查.md", "三")
    r.c1 = r.commit("初始记录", "2023-03-01T09:00:00+08:00", author="张三")
    r.write("records/2023/longgang/case-罚款一万.md", "一改")
    r.c2 = r.commit("修改罚款金额", "2023-06-02T10:30:00+08:00", author="李四")
    r.commit("空提交", "2023-07-01T00:00:00+08:00")
    r.write("rules/2023/assessment.yaml", "year: 2023 # 改\n")
    r.c3 = r.commit("rules: 调整口径", "2023-08-15T16:00:00+08:00", author="王五")
    return r


def test_last_change_per_path(repo):
    h = file_history(repo.root)
    assert set(h) == {
        "records/2023/longgang/case-罚款一万.md",
        "records/2023/longgang/news-龙港 信息.md",
        "rules/2023/assessment.yaml",
        "records/2023/龙港所/evidence-检查.md",
    }
    c = h["records/2023/longgang/case-罚款一万.md"]
    assert c == Commit(sha=repo.c2, short=c.short, author="李四", date="2023-06-02T10:30:00+08:00",
                       subject="修改罚款金额")
    assert repo.c2.startswith(c.short) and len(c.short) >= 7
    assert h["records/2023/longgang/news-龙港 信息.md"].sha == repo.c1
    assert h["records/2023/龙港所/evidence-检查.md"].author == "张三"
    assert h["rules/2023/assessment.yaml"].subject == "rules: 调整口径"


def test_only_wanted_paths(repo):
    want = ["records/2023/longgang/case-罚款一万.md", "records/2023/龙港所/evidence-检查.md",
            "records/2023/longgang/not-committed.md"]
    h = file_history(repo.root, want)
    assert set(h) == set(want[:2])
    assert h[want[0]].sha == repo.c2
    assert file_history(repo.root, []) == {}


def test_a_pass_started_ahead_gives_what_a_pass_for_the_paths_gives(repo):
    early = HistoryPass(repo.root, ["records"])
    want = ["records/2023/longgang/case-罚款一万.md", "records/2023/龙港所/evidence-检查.md",
            "records/2023/longgang/not-committed.md"]
    assert early.history(want) == file_history(repo.root, want)
    assert list(early.history(want)) == list(file_history(repo.root, want))  # (the same order)
    assert early.history([]) == {}
    # paths outside the folders it read: a pass of their own
    assert early.history(["rules/2023/assessment.yaml"]) == file_history(repo.root, ["rules/2023/assessment.yaml"])
    assert HistoryPass(repo.root / "missing", ["records"]).history(want) == {}
    # one started later (the build starts it once the workers have their files), or never
    later = HistoryPass(repo.root, ["records"], now=False)
    later.start()
    later.start()
    assert later.history(want) == file_history(repo.root, want)
    assert HistoryPass(repo.root, ["records"], now=False).history(want) == file_history(repo.root, want)


def test_git_asked_ahead_answers_as_asked_then(repo, tmp_path, monkeypatch):
    monkeypatch.setattr(gitinfo, "DIRECT", False)  # (git itself: test_gitdirect.py for the files read)
    want = (gitinfo.head_commit(repo.root), gitinfo.tracks(repo.root, "records"), gitinfo.tracks(repo.root, "_x"))
    assert want[0][0] == repo.c3 and want[1] and not want[2]
    gitinfo.start_ahead(repo.root, "records")
    gitinfo.start_ahead(repo.root, "records")  # (once)
    assert len(gitinfo._STARTED) == 2
    assert (gitinfo.head_commit(repo.root), gitinfo.tracks(repo.root, "records")) == want[:2]
    assert gitinfo._STARTED == {}  # (each answer taken once: asked again, git is run again)
    assert gitinfo.head_commit(repo.root) == want[0]
    gitinfo.start_ahead(repo.root, "_x")
    assert gitinfo.tracks(repo.root, "_x") is False
    gitinfo.end_ahead()  # (HEAD's, never asked for)
    assert gitinfo._STARTED == {}
    gitinfo.start_ahead(tmp_path / "not-a-repository")
    assert gitinfo.head_commit(tmp_path / "not-a-repository") is None


def test_stops_early_when_all_found(repo):
    h = file_history(repo.root, ["rules/2023/assessment.yaml"])
    assert h == {"rules/2023/assessment.yaml": file_history(repo.root)["rules/2023/assessment.yaml"]}


def test_one_git_call(repo, monkeypatch):
    calls = []
    real = subprocess.Popen

    def counting(*a, **kw):
        calls.append(a[0])
        return real(*a, **kw)

    monkeypatch.setattr(gitinfo.subprocess, "Popen", counting)
    for i in range(30):
        repo.write(f"records/2023/longgang/evidence-{i}.md", str(i))
    repo.commit("更多", "2023-09-01T00:00:00+08:00")
    calls.clear()
    assert len(file_history(repo.root)) == 34
    assert len(calls) == 1


def test_root_is_a_subdirectory_of_the_repository(tmp_path):
    r = Repo(tmp_path / "mono")
    r.write("bureau/records/2023/a/case-1.md", "x")
    r.write("other/case-1.md", "y")
    r.commit("c", "2023-02-01T00:00:00+08:00")
    h = file_history(r.root / "bureau")
    assert set(h) == {"records/2023/a/case-1.md"}
    assert set(file_history(r.root / "bureau", ["records/2023/a/case-1.md"])) == {"records/2023/a/case-1.md"}


def test_merge_reports_the_commit_that_changed_the_file(repo):
    repo.git("checkout", "-q", "-b", "pr")
    repo.write("records/2023/longgang/case-新.md", "新")
    c_branch = repo.commit("新增案件", "2023-09-01T00:00:00+08:00", author="赵六")
    repo.git("checkout", "-q", "main")
    repo.write("rules/2023/other.yaml", "x")
    repo.commit("规则", "2023-09-02T00:00:00+08:00")
    repo.git("merge", "-q", "--no-ff", "-m", "合并", "pr", date="2023-09-03T00:00:00+08:00")
    h = file_history(repo.root)
    assert h["records/2023/longgang/case-新.md"].sha == c_branch
    assert h["records/2023/longgang/case-新.md"].author == "赵六"


def test_rename_is_a_change_of_the_new_path(repo):
    repo.git("mv", "records/2023/longgang/news-龙港 信息.md", "records/2023/longgang/news-改名.md")
    c = repo.commit("改名", "2023-10-01T00:00:00+08:00")
    h = file_history(repo.root)
    assert h["records/2023/longgang/news-改名.md"].sha == c
    assert h["records/2023/longgang/news-龙港 信息.md"].sha == c  # deleted there, still listed


def test_odd_file_names(repo):
    repo.write("records/2023/x/line\nbreak.md", "x")
    repo.write("records/2023/x/\"quoted\" \\ back.md", "y")
    c = repo.commit("odd", "2023-11-01T00:00:00+08:00")
    h = file_history(repo.root)
    assert h["records/2023/x/line\nbreak.md"].sha == c
    assert h["records/2023/x/\"quoted\" \\ back.md"].sha == c


def test_user_config_does_not_change_the_output(repo, tmp_path, monkeypatch):
    cfg = tmp_path / "gitconfig"
    cfg.write_text("[log]\n\tshowSignature = true\n\tdecorate = full\n[core]\n\tquotepath = true\n"
                   "[diff]\n\trelative = true\n[color]\n\tui = always\n", encoding="utf-8")
    before = file_history(repo.root)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    assert file_history(repo.root) == before


def test_not_a_repository(tmp_path):
    (tmp_path / "plain").mkdir()
    assert file_history(tmp_path / "plain") == {}
    assert source_date(tmp_path / "plain") is None


def test_repository_without_commits(tmp_path):
    r = Repo(tmp_path / "empty")
    r.write("records/a.md", "x")
    assert file_history(r.root) == {}
    assert source_date(r.root) is None


def test_git_missing(repo, monkeypatch):
    monkeypatch.setenv("PATH", str(repo.root / "nowhere"))
    assert file_history(repo.root) == {}
    assert source_date(repo.root) is None


def test_missing_root(tmp_path):
    assert file_history(tmp_path / "nope") == {}


def test_source_date_from_last_commit(repo):
    assert source_date(repo.root) == dt.datetime(2023, 8, 15, 8, 0, tzinfo=dt.UTC)


def test_source_date_epoch_wins(repo, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert source_date(repo.root) == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", "99999999999999999999"])
def test_bad_source_date_epoch(repo, monkeypatch, bad):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", bad)
    with pytest.raises(QsgenError, match="SOURCE_DATE_EPOCH"):
        source_date(repo.root)


@pytest.mark.parametrize("use_cache", [True, False])
def test_a_build_without_a_cache_asks_git_for_head_ahead_too(repo, monkeypatch, use_cache):
    # (a clean build: HEAD asked of git as it starts, taken by head_commit after the workers
    # are forked, not asked then and waited for)
    from qsgen.build import pipeline

    monkeypatch.setattr(gitinfo, "DIRECT", False)  # (git itself: test_gitdirect.py for the files read)
    assert not (repo.root / ".qsgen-cache").exists()
    taken = []
    ask = gitinfo._git

    def spy(root, args):
        if args == gitinfo._HEAD:
            taken.append((os.fspath(root), args) in gitinfo._STARTED)
        return ask(root, args)

    monkeypatch.setattr(gitinfo, "_git", spy)
    with pytest.raises(QsgenError):  # (its rules are not whole: the build stops after asking)
        pipeline.build(repo.root, quiet=True, use_cache=use_cache)
    assert taken and taken[0] is True
    assert gitinfo._STARTED == {}
