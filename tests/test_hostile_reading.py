"""Issue 20, item 3: reading is confined. Every file qsgen reads (rules, records, assessment
files, templates and their assets, owners.yaml, attachments) is a regular file inside the
repository after resolving links, below a size limit, never a FIFO or a device; otherwise a
Chinese error names it. The commands run in a subprocess whose timeout is only a safety net
against a hang (no speed is asserted)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.recordkit import copy_rules
from test_build import CASE

from qsgen.repo.files import Refused, read_file

REPO = Path(__file__).resolve().parent.parent
SECRET = "SECRET-VALUE-4711"

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")



@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "repo"
    copy_rules(root)
    unit = root / "records" / "2023" / "fagui"
    unit.mkdir(parents=True)
    (unit / "case-901.md").write_text(CASE.replace("attachments: [decision.txt]\n", ""), encoding="utf-8")
    (tmp_path / "secret.yaml").write_text(f"units:\n  - slug: {SECRET}\n", encoding="utf-8")
    return root


def qsgen(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *sys.path]), "SOURCE_DATE_EPOCH": "1704067200"}
    proc = subprocess.run([sys.executable, "-m", "qsgen", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)  # a safety net against a hang, not a speed test
    assert "Traceback" not in proc.stderr, proc.stderr
    proc.text = proc.stdout + proc.stderr  # (check prints its findings on stdout, build on stderr)
    return proc


def site_text(root: Path) -> str:
    out = root / "_site"
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in out.rglob("*") if p.is_file()) \
        if out.is_dir() else ""


def test_a_rules_file_linked_out_of_the_repository_is_an_error_that_shows_nothing_of_it(repo):
    target = repo / "rules" / "2023" / "stations.yaml"
    target.unlink()
    target.symlink_to(os.path.relpath(repo.parent / "secret.yaml", target.parent))
    for command in ("check", "build"):
        proc = qsgen(repo, command)
        assert proc.returncode == 1
        assert "rules/2023/stations.yaml:1:1: 规则文件是指向仓库以外" in proc.text
        assert SECRET not in proc.text
    assert not (repo / "_site").exists()


def test_a_link_inside_the_repository_is_followed(repo):
    shared = repo / "rules" / "shared-stations.yaml"
    target = repo / "rules" / "2023" / "stations.yaml"
    shutil.move(target, shared)
    target.symlink_to("../shared-stations.yaml")
    assert qsgen(repo, "check").returncode == 0


def test_dev_zero_and_a_fifo_under_rules_do_not_hang_or_exhaust_memory(repo):
    (repo / "rules" / "notes.txt").symlink_to("/dev/zero")
    os.mkfifo(repo / "rules" / "2023" / "pipe.yaml")
    assert qsgen(repo, "check").returncode == 0  # not rules files: never read
    proc = qsgen(repo, "build")
    assert proc.returncode == 0, proc.stderr
    assert qsgen(repo, "build").returncode == 0  # (and again, with the cache)


def test_a_fifo_as_a_rules_file_a_record_or_an_assessment_file_is_an_error(repo):
    units = repo / "rules" / "2023" / "units.yaml"
    units.unlink()
    os.mkfifo(units)
    proc = qsgen(repo, "check")
    assert proc.returncode == 1
    assert "rules/2023/units.yaml:1:1: 规则文件不是普通文件，而是命名管道（FIFO）" in proc.text
    shutil.copy(REPO / "rules" / "2023" / "units.yaml", repo / "rules" / "2023" / "units.yaml.tmp")
    units.unlink()
    os.replace(repo / "rules" / "2023" / "units.yaml.tmp", units)
    unit = repo / "records" / "2023" / "fagui"
    os.mkfifo(unit / "case-902.md")
    os.mkfifo(unit / "assessment.yaml")
    for command in ("check", "build"):
        proc = qsgen(repo, command)
        assert proc.returncode == 1
        assert "records/2023/fagui/case-902.md:1:1: 文件不是普通文件，而是命名管道（FIFO）" in proc.text
        assert "records/2023/fagui/assessment.yaml:1:1: 文件不是普通文件，而是命名管道（FIFO）" in proc.text


def _own_templates(repo: Path) -> Path:
    shutil.copytree(REPO / "site_templates", repo / "site_templates")
    return repo / "site_templates"


def test_a_template_asset_linked_to_etc_passwd_is_not_published(repo):
    templates = _own_templates(repo)
    (templates / "style.css").unlink()
    (templates / "style.css").symlink_to("/etc/passwd")
    proc = qsgen(repo, "build")
    assert proc.returncode == 1
    assert "site_templates/style.css:1:1: 网站模板文件 style.css 是指向仓库以外（/etc/passwd）的符号链接" in proc.text
    assert "root:" not in site_text(repo) + proc.text


@pytest.mark.parametrize("how", ["outside", "fifo", "dev-zero"])
def test_a_template_that_is_not_a_regular_file_inside_is_an_error(repo, tmp_path, how):
    templates = _own_templates(repo)
    page = templates / "record.html"
    if how == "outside":
        shutil.move(page, tmp_path / "record.html")
        page.symlink_to(tmp_path / "record.html")
    elif how == "fifo":
        page.unlink()
        os.mkfifo(page)
    else:
        page.unlink()
        page.symlink_to("/dev/zero")
    proc = qsgen(repo, "build")
    assert proc.returncode == 1
    assert "site_templates/record.html:1:1: 网站模板文件 record.html " in proc.text
    assert "原有站点未改动" in proc.text


def test_owners_yaml_linked_out_of_the_repository_is_an_error(repo):
    owners = repo / "rules" / "owners.yaml"
    owners.unlink()
    owners.symlink_to(repo.parent / "secret.yaml")
    proc = qsgen(repo, "codeowners", "--check")
    assert "rules/owners.yaml:1:1: 文件是指向仓库以外" in proc.text
    assert SECRET not in proc.text


def test_read_file_refuses_what_is_not_a_regular_file_inside(tmp_path):
    inside = tmp_path / "repo"
    inside.mkdir()
    (inside / "a.txt").write_bytes(b"x" * 10)
    assert read_file(inside / "a.txt", 10, within=inside) == b"x" * 10
    for path, limit, kind in [(inside / "a.txt", 9, "big"), (inside / "missing", 10, "missing"),
                              (inside, 10, "special")]:
        with pytest.raises(Refused) as e:
            read_file(path, limit, within=inside)
        assert e.value.kind == kind
    (inside / "link").symlink_to(inside / "a.txt")
    with pytest.raises(Refused) as e:
        read_file(inside / "link", 10)  # no `within`: a link is refused
    assert e.value.kind == "link"
    assert read_file(inside / "link", 10, within=inside) == b"x" * 10


def test_serves_rebuild_reports_a_fifo_record_instead_of_hanging(repo, monkeypatch):
    import threading

    from qsgen import serve

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1704067200")
    preview = serve.Preview(repo)
    assert preview.rebuild(None), preview.errors
    fifo = repo / "records" / "2023" / "fagui" / "case-902.md"
    os.mkfifo(fifo)
    done: list[bool] = []
    th = threading.Thread(target=lambda: done.append(preview.rebuild([str(fifo)])), daemon=True)
    th.start()
    th.join(120)  # a safety net against a hang, not a speed test
    assert done == [False]
    assert any(d.path == "records/2023/fagui/case-902.md" and "命名管道" in d.message for d in preview.errors)


def test_the_lifecycle_reads_no_fifo_either(repo):
    """Lifecycle files (status.yaml) and a final year's inputs (the manifest's digests) go
    through the same confined reading: a FIFO is an error or its reason, never a hang."""
    from qsgen.core.errors import Diagnostics
    from qsgen.lifecycle.manifest import input_files
    from qsgen.lifecycle.status import read_status

    year = repo / "records" / "2023"
    os.mkfifo(year / "status.yaml")
    os.mkfifo(year / "fagui" / "pipe.pdf")
    (year / "fagui" / "zero.pdf").symlink_to("/dev/zero")
    diags = Diagnostics()
    assert read_status(repo, 2023, diags) is None
    assert [d.message for d in diags.errors] == ["年度状态文件不是普通文件，而是命名管道（FIFO），不会读取"]
    files = input_files(repo, 2023)
    assert files["records/2023/fagui/pipe.pdf"].startswith(b"\0refused ")
    assert "records/2023/fagui/zero.pdf" not in files  # (links are not inputs)
