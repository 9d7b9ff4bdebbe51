"""cli.py: without --root, qsgen finds the repository from a sub-folder (the nearest parent with rules/)."""

from __future__ import annotations

import pytest
from fixtures.recordkit import case, copy_rules, write

from qsgen.cli import program as cli


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "kaohe"
    root.mkdir()
    (root / ".git").mkdir()
    copy_rules(root)
    from qsgen.review.codeowners import generate

    text, _ = generate(root)  # an up-to-date CODEOWNERS, as a bureau's repository has
    (root / "CODEOWNERS").write_text(text, encoding="utf-8")
    write(root, "longgang/case-1.md", case(fine="1.2万"))
    return root


@pytest.mark.parametrize("sub", ["", "records", "records/2023/longgang", "rules/2023"])
def test_check_from_a_sub_folder_finds_the_repository(repo, monkeypatch, capsys, sub):
    monkeypatch.chdir(repo / sub)
    code, out, err = run(capsys, "check")
    assert code == 1 and "找不到规则文件夹" not in out + err
    assert out.startswith("records/2023/longgang/case-1.md:8:7: fine")  # paths stay repository-relative


def test_new_from_a_sub_folder_prints_a_repository_path(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo / "records/2023/longgang")
    code, out, err = run(capsys, "new", "case", "longgang", "--date", "2023-06-02")
    assert code == 0, err
    assert out.strip() == "records/2023/longgang/case-2023-06-02-1.md"
    assert (repo / out.strip()).is_file()


def test_explicit_root_is_used_as_given(repo, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no rules/ here nor above: --root still works
    code, out, _ = run(capsys, "--root", str(repo), "check")
    assert code == 1 and out.startswith("records/2023/longgang/case-1.md:")


def test_no_repository_says_where_to_run(tmp_path, monkeypatch, capsys):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/.git").mkdir()  # a git repository without rules/: the search stops here
    monkeypatch.chdir(tmp_path / "elsewhere")
    code, out, err = run(capsys, "check")
    assert code == 2 and out == ""
    assert "rules/" in err and "仓库根目录" in err and "--root" in err


def test_search_does_not_leave_a_git_repository(tmp_path, monkeypatch):
    (tmp_path / "rules").mkdir()  # an outer folder with rules/ ...
    inner = tmp_path / "project" / "sub"
    inner.mkdir(parents=True)
    (tmp_path / "project" / ".git").write_text("gitdir: elsewhere\n")  # ... above a repository
    assert cli.find_root(inner) is None
    assert cli.find_root(tmp_path / "project") is None
    (tmp_path / "project" / "rules").mkdir()
    assert cli.find_root(inner) == tmp_path / "project"


def test_find_root_without_git(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "records/2023/longgang").mkdir(parents=True)
    assert cli.find_root(tmp_path / "records/2023/longgang") == tmp_path


def test_the_program_exits_with_its_code_and_all_its_output(repo):
    """`qsgen` as a process (cli.entry) ends with os._exit after a command (cli.leave): its
    output must still be flushed, its exit status kept."""
    import subprocess
    import sys

    def program(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "qsgen.cli", "--root", str(repo), *argv],
                              capture_output=True, text=True, encoding="utf-8")

    write(repo, "longgang/case-1.md", case(fine="12000"))
    ok = program("build")
    assert ok.returncode == 0, ok.stderr
    assert "完成：已写入" in ok.stderr and (repo / "_site" / "index.html").is_file()
    write(repo, "longgang/case-2.md", case(fine="一万二"))
    bad = program("check")
    assert bad.returncode == 1
    assert "records/2023/longgang/case-2.md:" in bad.stdout
    assert bad.stderr.startswith("共 ") and "个错误" in bad.stderr
    assert program("check", "--format", "json").stdout.rstrip().endswith("]")
