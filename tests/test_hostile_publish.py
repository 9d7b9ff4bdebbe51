"""Issue 20, items 4, 7, 8: publishing tells the truth and never leaves no site. Every build
mode takes the site lock; an in-place update that fails half way says what it replaced; what
killed builds leave is removed by the next one (a site moved aside is put back); the swap
exchanges the folders in one call; a full or read-only disk is a Chinese error naming the path
and the space."""

from __future__ import annotations

import errno
import fcntl
import os
import threading

import pytest
from test_build import repo, run_cli, tree  # noqa: F401 (the fixture)

from qsgen.build.pipeline import build
from qsgen.core.errors import QsgenError
from qsgen.publish import writer

WAIT = "另一个 qsgen build 正在写入"


@pytest.mark.parametrize("mode", [{"use_cache": False}, {"atomic": True}, {}])
def test_every_build_mode_waits_for_the_site_lock(repo, mode):  # noqa: F811
    build(repo, quiet=True)
    said: list[str] = []
    done = threading.Event()
    fd = os.open(repo, os.O_RDONLY)  # the folder the site is in, as a running build holds it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        th = threading.Thread(target=lambda: (build(repo, progress=said.append, **mode), done.set()))
        th.start()
        for _ in range(3000):  # (a bound on the wait, not a timing)
            if said:
                break
            threading.Event().wait(0.01)
        assert said and said[0].startswith(WAIT)
        assert not done.is_set()
    finally:
        os.close(fd)  # released: it goes on
    th.join(60)
    assert done.is_set() and said[-1].startswith("完成：已写入")


def test_an_in_place_update_that_fails_half_way_says_what_it_replaced(repo, monkeypatch, capsys):  # noqa: F811
    build(repo, quiet=True)
    clean = tree(repo / "_site")
    for name in ("case-901.md", "news-0512.md"):
        page = repo / "records" / "2023" / "fagui" / name
        page.write_text(page.read_text("utf-8").replace("报道正文。", "报道正文（改）。")
                        .replace("当事人销售", "当事人曾销售"), "utf-8")
    real = os.replace
    calls: list[str] = []

    def replace(src, dst):
        if "_site" in os.fspath(dst):
            calls.append(dst)
        if len(calls) > 2:
            raise OSError(errno.EPERM, "Operation not permitted", os.fspath(dst))
        real(src, dst)

    monkeypatch.setattr(writer.os, "replace", replace)
    assert run_cli(["--root", str(repo), "build", "-q"]) == 1
    err = capsys.readouterr().err
    assert "原地更新站点" in err and "已替换 2 个文件" in err and "未能替换" in err
    assert "再生成一次，会把它补全" in err and "原有站点未改动" not in err
    monkeypatch.undo()
    assert tree(repo / "_site") != clean  # partly updated, as said
    assert run_cli(["--root", str(repo), "build", "-q"]) == 0  # the next build completes it
    fresh = repo.parent / "fresh"
    build(repo, fresh, quiet=True, use_cache=False)
    assert tree(repo / "_site") == tree(fresh)


def test_leftovers_of_killed_builds_are_removed_by_the_next_build(repo):  # noqa: F811
    build(repo, quiet=True)
    site = tree(repo / "_site")
    new = repo / "._site.qsgen-new-killed1"  # a new site half written
    (new / "2023").mkdir(parents=True)
    (new / "2023" / "index.html").write_text("half", "utf-8")
    old = repo / "._site.qsgen-old-killed2" / "site"  # an old site moved aside, the swap done
    old.mkdir(parents=True)
    (old / writer.MARKER).write_bytes(writer.MARKER_TEXT)
    other = repo / "._other.qsgen-new-x"  # another site's: not ours to remove
    other.mkdir()
    build(repo, quiet=True, atomic=True)
    assert sorted(p.name for p in repo.iterdir() if ".qsgen-new" in p.name or ".qsgen-old" in p.name) == ["._other.qsgen-new-x"]
    assert tree(repo / "_site") == site


def test_a_build_killed_between_the_two_renames_gets_its_site_back(repo):  # noqa: F811
    """The two-rename swap (systems without an exchange) killed after moving the old site
    aside: the next build puts it back first, so even a next build that fails leaves a site."""
    build(repo, quiet=True)
    site = tree(repo / "_site")
    aside = repo / "._site.qsgen-old-killed" / "site"
    aside.parent.mkdir()
    os.rename(repo / "_site", aside)
    (repo / "records" / "2023" / "fagui" / "case-bad.md").write_text("---\nkind: case\n---\n", "utf-8")
    with pytest.raises(QsgenError):
        build(repo, quiet=True)
    assert tree(repo / "_site") == site
    assert not aside.parent.exists()


def test_the_swap_exchanges_old_and_new_in_one_call(repo, monkeypatch):  # noqa: F811
    build(repo, quiet=True, atomic=True)
    renames: list[tuple] = []
    real = os.rename
    monkeypatch.setattr(writer.os, "rename", lambda a, b: (renames.append((a, b)), real(a, b)))
    exchanged: list[tuple] = []
    real_exchange = writer._exchange
    monkeypatch.setattr(writer, "_exchange", lambda a, b: exchanged.append((a, b)) or real_exchange(a, b))
    build(repo, quiet=True, atomic=True)
    site = [r for r in renames if ".qsgen-cache" not in os.fspath(r[1])]  # (the cache's files are renamed in)
    assert len(exchanged) == 1 and site == []  # never a moment without a site
    assert (repo / "_site" / writer.MARKER).is_file()
    assert not [p for p in repo.iterdir() if ".qsgen-new" in p.name or ".qsgen-old" in p.name]


@pytest.mark.parametrize("mode", [{"use_cache": False}, {"atomic": True}, {"first": True}])
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_full_or_read_only_disk_is_a_chinese_error_naming_the_path(repo, monkeypatch, capsys, mode, code):  # noqa: F811
    mode = dict(mode)  # (the parameter is shared by the cases)
    if not mode.pop("first", False):
        build(repo, quiet=True)
    before = tree(repo / "_site") if (repo / "_site").exists() else None
    real = writer.write_chunks
    count = [0]

    def full(target, chunks):
        count[0] += 1
        if count[0] > 3:
            raise OSError(code, os.strerror(code), target)
        return real(target, chunks)

    monkeypatch.setattr(writer, "write_chunks", full)
    argv = ["--root", str(repo), "build", "-q"] + (["--no-cache"] if mode.get("use_cache") is False else []) \
        + (["--atomic"] if mode.get("atomic") else [])
    assert run_cli(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "原有站点未改动" in err
    assert str(repo) in err  # the path it could not write
    if code == errno.ENOSPC:
        assert "磁盘空间不足" in err and "所在的磁盘只剩" in err and "MB" in err
    else:
        assert "只读" in err
    assert (tree(repo / "_site") if (repo / "_site").exists() else None) == before
    assert not [p for p in repo.iterdir() if ".qsgen-new" in p.name or ".qsgen-old" in p.name]


# A real kill -9 at a chosen point of the writer: a fresh process runs `qsgen build` with the
# writer's function wrapped to SIGKILL the process at its n-th call (no cleanup can run).
KILLER = r"""
import os, signal, sys
from qsgen.publish import writer
where, n, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
calls = [0]
def killing(real, only=""):
    def call(*a, **k):
        if only and only not in os.fspath(a[-1]):
            return real(*a, **k)
        calls[0] += 1
        if calls[0] >= n:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*a, **k)
    return call
if where == "write_chunks":
    writer.write_chunks = killing(writer.write_chunks)
elif where == "replace":
    writer.os.replace = killing(os.replace, "/_site/")  # (a file of the site, not of the cache)
elif where == "between-renames":
    writer._exchange = lambda a, b: False
    writer.os.rename = killing(os.rename)
else:
    writer._exchange = killing(writer._exchange)
from qsgen.cli.program import main
sys.exit(main(argv))
"""


@pytest.mark.parametrize("where, n, argv", [
    ("write_chunks", 5, ["build", "--atomic"]),  # a page streamed into the new site
    ("replace", 2, ["build"]),  # in the middle of an in-place update
    ("exchange", 1, ["build", "--atomic"]),  # just before the swap
    ("between-renames", 2, ["build", "--atomic"]),  # the old site moved aside, the new one not in
])
def test_after_a_kill_9_the_next_build_cleans_up_and_equals_a_clean_build(repo, tmp_path, where, n, argv):  # noqa: F811
    import subprocess
    import sys

    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)  # a cache key that outlives the process
    build(repo, quiet=True)
    page = repo / "records" / "2023" / "fagui" / "news-0512.md"
    page.write_text(page.read_text("utf-8").replace("报道正文。", "报道正文（改过）。")
                    .replace("title: ", "title: 改过：", 1), "utf-8")  # (its page, its unit's, the search's)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", KILLER, where, str(n), "--root", str(repo), *argv, "-q"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr  # killed where asked
    left = [p.name for p in repo.iterdir() if ".qsgen-new" in p.name or ".qsgen-old" in p.name]
    if where != "replace":
        assert left  # what a kill leaves
    assert run_cli(["--root", str(repo), "build", "-q"]) == 0
    assert not [p for p in repo.iterdir() if ".qsgen-new" in p.name or ".qsgen-old" in p.name]
    fresh = tmp_path / "fresh"
    build(repo, fresh, quiet=True, use_cache=False)
    assert tree(repo / "_site") == tree(fresh)
