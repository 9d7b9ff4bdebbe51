"""HEAD and "not tracked" read from .git (gitdirect) give git's answers after every change git makes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fixtures.gitenv import isolate_git

from qsgen.repo import gitdirect, gitinfo

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture(autouse=True)
def clean_git_env(tmp_path, monkeypatch):
    isolate_git(tmp_path, monkeypatch, ("GIT_DIR", "GIT_WORK_TREE", *gitdirect._ENV))


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.n = 0

    def git(self, *args: str) -> str:
        self.n = getattr(self, "n", 0) + 1
        date = f"2023-03-{1 + self.n % 28:02d}T{self.n % 24:02d}:00:00+08:00"
        env = dict(os.environ, GIT_AUTHOR_NAME="a", GIT_AUTHOR_EMAIL="a@example.com", GIT_COMMITTER_NAME="c",
                   GIT_COMMITTER_EMAIL="c@example.com", GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        return subprocess.run(["git", *args], cwd=self.root, env=env, check=True, capture_output=True,
                              text=True).stdout

    def commit(self, path: str, text: str, message: str = "改") -> None:
        p = self.root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)


def _git_answers(root: Path, path: str = ".qsgen-cache") -> tuple:
    gitinfo.DIRECT = False
    try:
        return gitinfo._git(root, gitinfo._HEAD), gitinfo._git(root, gitinfo._tracks(path))
    finally:
        gitinfo.DIRECT = True


def _same(root: Path, path: str = ".qsgen-cache", direct: bool = True) -> None:
    """gitdirect says what git says (and, with ``direct``, says something: is not unsure)."""
    head, tracked = _git_answers(root, path)
    mine = gitdirect.head(root)
    if direct:
        assert mine is not None
    if mine is not None:
        assert mine == head
    if gitdirect.untracked(root, path):
        assert tracked == (0, b"")
    elif direct:
        assert tracked[1].strip(b"\0")
    assert gitinfo._git(root, gitinfo._HEAD) == head


@pytest.fixture
def repo(tmp_path) -> Repo:
    r = Repo(tmp_path / "repo")
    r.commit("records/2023/a/evidence-一.md", "一")
    r.commit("records/2023/a/evidence-二.md", "二")
    (r.root / ".qsgen-cache").mkdir()
    (r.root / ".qsgen-cache" / ".gitignore").write_text("*\n")
    return r


def test_loose_commits_commit_amend_reset_checkout_rebase(repo):
    _same(repo.root)
    repo.commit("records/2023/a/evidence-三.md", "三")
    _same(repo.root)
    repo.git("commit", "-q", "--amend", "-m", "改过")
    _same(repo.root)
    repo.git("reset", "-q", "--hard", "HEAD~1")
    _same(repo.root)
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("records/2023/b/news-四.md", "四")
    _same(repo.root)
    repo.git("checkout", "-q", "main")
    repo.commit("records/2023/a/evidence-五.md", "五")
    repo.git("checkout", "-q", "side")
    repo.git("rebase", "-q", "main")
    _same(repo.root)
    repo.git("checkout", "-q", "--detach", "HEAD~1")  # (HEAD names a commit, not a branch)
    _same(repo.root)


def test_packed_commits_and_refs(repo):
    repo.git("gc", "-q", "--aggressive", "--prune=now")
    assert not (repo.root / ".git/refs/heads/main").exists()  # (in packed-refs now)
    _same(repo.root)
    repo.commit("records/2023/a/evidence-三.md", "三")  # (a loose commit, a loose ref)
    _same(repo.root)
    repo.git("repack", "-q", "-a", "-d")
    _same(repo.root)
    repo.git("pack-refs", "--all")
    repo.git("checkout", "-q", "--detach")
    _same(repo.root)


def test_many_packed_objects(repo):
    for i in range(40):
        repo.commit(f"records/2023/a/evidence-{i}.md", str(i))
    repo.git("gc", "-q", "--prune=now")
    for rev in ("HEAD~7", "HEAD~23", "main"):
        repo.git("checkout", "-q", "--detach", rev)
        _same(repo.root)


def test_tracked_cache_is_seen(repo):
    (repo.root / ".qsgen-cache" / "x.pickle").write_bytes(b"x")
    repo.git("add", "-f", ".qsgen-cache/x.pickle")
    _same(repo.root)
    assert not gitdirect.untracked(repo.root, ".qsgen-cache")
    assert gitinfo.tracks(repo.root, ".qsgen-cache")
    repo.git("rm", "-q", "--cached", ".qsgen-cache/x.pickle")
    _same(repo.root)
    assert not gitinfo.tracks(repo.root, ".qsgen-cache")
    repo.git("add", "-f", ".qsgen-cache/x.pickle")
    repo.git("commit", "-q", "-m", "提交了缓存")
    assert gitinfo.tracks(repo.root, ".qsgen-cache")


def test_a_name_that_only_contains_the_path_is_not_under_it(repo):
    repo.commit("records/2023/a/evidence-.qsgen-cache-说明.md", "x")
    repo.commit(".qsgen-cache-说明.md", "x")
    assert gitdirect.untracked(repo.root, ".qsgen-cache")
    assert gitinfo.tracks(repo.root, ".qsgen-cache") is False


def test_where_it_is_unsure_git_is_asked(repo, tmp_path, monkeypatch):
    # a replaced commit: git log shows the replacement
    repo.commit("records/2023/a/evidence-三.md", "三")
    first = repo.git("rev-parse", "HEAD~1").strip()
    repo.git("replace", "HEAD", first)
    assert gitdirect.head(repo.root) is None
    _same(repo.root, direct=False)
    repo.git("replace", "-d", repo.git("rev-parse", "HEAD").strip())
    _same(repo.root)
    # a linked worktree (.git is a file), a split index, index version 4, a folded case
    repo.git("worktree", "add", "-q", str(tmp_path / "wt"))
    assert gitdirect.head(tmp_path / "wt") is None and not gitdirect.untracked(tmp_path / "wt", ".qsgen-cache")
    _same(tmp_path / "wt", direct=False)
    repo.git("update-index", "--split-index")
    assert not gitdirect.untracked(repo.root, ".qsgen-cache")
    repo.git("update-index", "--no-split-index")
    for name in os.listdir(repo.root / ".git"):
        if name.startswith("sharedindex."):
            os.unlink(repo.root / ".git" / name)
    assert gitdirect.untracked(repo.root, ".qsgen-cache")
    repo.git("update-index", "--index-version", "4")
    assert not gitdirect.untracked(repo.root, ".qsgen-cache")
    repo.git("update-index", "--index-version", "2")
    repo.git("config", "core.ignoreCase", "true")
    assert not gitdirect.untracked(repo.root, ".qsgen-cache")
    repo.git("config", "--unset", "core.ignoreCase")
    assert gitdirect.untracked(repo.root, ".qsgen-cache")
    # an environment that changes what git reads; a pathspec that is not a plain path
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "other-index"))
    assert gitdirect.head(repo.root) is None and not gitdirect.untracked(repo.root, ".qsgen-cache")
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert not gitdirect.untracked(repo.root, "*.md") and not gitdirect.untracked(repo.root, ".")
    # a subfolder of the repository (git looks upwards), not a repository, no commit yet
    assert gitdirect.head(repo.root / "records") is None
    assert gitdirect.head(tmp_path) is None
    empty = Repo(tmp_path / "empty")
    assert gitdirect.head(empty.root) is None
    assert gitdirect.untracked(empty.root, ".qsgen-cache")  # (no index yet)
    assert gitinfo.head_commit(empty.root) is None


def test_a_broken_object_makes_it_ask_git(repo):
    sha = repo.git("rev-parse", "HEAD").strip()
    loose = repo.root / ".git" / "objects" / sha[:2] / sha[2:]
    data = loose.read_bytes()
    os.chmod(loose, 0o644)
    loose.write_bytes(b"not zlib")
    assert gitdirect.head(repo.root) is None
    loose.write_bytes(data)
    _same(repo.root)


def test_start_ahead_starts_no_git_when_the_files_answer(repo, monkeypatch):
    want = _git_answers(repo.root)
    started = []
    popen = subprocess.Popen
    monkeypatch.setattr(gitinfo.subprocess, "Popen", lambda *a, **k: started.append(a) or popen(*a, **k))
    gitinfo.start_ahead(repo.root, ".qsgen-cache")
    assert started == [] and gitinfo._STARTED == {}
    assert gitinfo.head_commit(repo.root)[0] == want[0][1].split()[0].decode()
    assert gitinfo.tracks(repo.root, ".qsgen-cache") is False
    assert gitinfo._KNOWN == {}
    gitinfo.start_ahead(repo.root, ".qsgen-cache")
    gitinfo.end_ahead()  # (what nobody asked for is forgotten)
    assert gitinfo._KNOWN == {}


@pytest.mark.parametrize("version", ["2", "3"])
def test_the_index_read_up_to_the_path(tmp_path, version):
    r = Repo(tmp_path / "r")
    names = ["!a", ".qsgen-cache", ".qsgen-cache-x/a", ".qsgen-cache.d", ".qsgen-cachf", ".qsgen-cach",
             "records/x.md", "记录/一.md"]
    for i, name in enumerate(names):
        p = r.root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(str(i))
    r.git("add", "-A")
    blob = r.git("hash-object", "-w", "records/x.md").strip()
    long = "/".join(["a" * 200] * 25)  # (a name of 0xFFF bytes or more: its length is not in the flags)
    r.git("update-index", "--add", "--cacheinfo", f"100644,{blob},{long}")
    if version == "3":
        r.git("update-index", "--skip-worktree", "records/x.md")  # (an extended flag: version 3)
    assert (r.root / ".git/index").read_bytes()[4:8] == bytes([0, 0, 0, int(version)])
    asked = [".qsgen-cache", ".qsgen-cache-x", ".qsgen-cache-", ".qsgen-cache.d", ".qsgen", long, long[:-1],
             long[:1000], "a", "b", "records", "records/x.md", "记录", "zz", "!", "!a", ".qsgen-cache/"]
    for path in asked:
        tracked = bool(_git_answers(r.root, path)[1][1])
        if gitdirect.untracked(r.root, path):
            assert not tracked, path
        # (else a pathspec's magic, or a folder's trailing slash: git is asked)
        elif not any(c in gitdirect._SPECIAL for c in path) and not path.endswith("/"):
            assert tracked, path
