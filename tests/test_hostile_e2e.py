"""Issue 20, done when: a build in a tree with a planted pickle, a symlinked template and a 20 KB
table body finishes, executes nothing, reads nothing outside the repository and publishes a
safe site. The build runs as `qsgen build` in a fresh process with an audit hook that records
every file opened and every os.system / exec call (the hook only watches; it changes nothing).

Two table bodies: a plain 20 KB table (rendered as a table) and the pathological shape of the
issue's item 2 (`'|'+'a|'*N …`, N=3000: 18 KB of input that once made a 90 MB page in 45 s),
which the Markdown cost guard (core/mdcost.py) shows as escaped text with a note."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qsgen.incremental import cache

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import gen_corpus  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PWN = b"cos\nsystem\n(S'touch PWNED'\ntR."
TABLE = "| 序号 | 事项 | 结果 |\n| --- | --- | --- |\n" + "".join(
    f"| {i} | 检查第 {i} 家经营户 | 合格 |\n" for i in range(560))
WIDE = "|" + "a|" * 3000 + "\n" + "|" + "-|" * 3000 + "\n" + "a\n" * 3000

# Runs qsgen's command line with an audit hook: what was opened (resolved) and run, as JSON.
RUNNER = r"""
import json, os, sys
opened, ran, watching = set(), [], [True]
def hook(event, args):
    if not watching:
        return
    if event == "open" and args and isinstance(args[0], (str, bytes)) and not isinstance(args[0], int):
        opened.add(os.path.realpath(os.fsdecode(args[0])))
    elif event in ("os.system", "os.exec", "os.posix_spawn", "os.spawn"):
        ran.append([event, repr(args)[:200]])
    elif event == "subprocess.Popen":
        ran.append([event, repr(args[1])[:200] if len(args) > 1 else ""])
sys.addaudithook(hook)
from qsgen.cli.program import main
try:
    code = main(["build"])
except SystemExit as e:
    code = e.code
watching.clear()
with open(os.environ["AUDIT_OUT"], "w") as f:
    json.dump({"code": code, "opened": sorted(opened), "ran": ran}, f)
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=root, check=True,
                   capture_output=True)


def audited_build(root: Path, tmp_path: Path) -> tuple[dict, subprocess.CompletedProcess]:
    out = tmp_path / "audit.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *sys.path]), "AUDIT_OUT": str(out)}
    proc = subprocess.run([sys.executable, "-c", RUNNER], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)  # a safety net against a hang, not a speed test
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(out.read_text("utf-8")), proc


@pytest.mark.skipif(not hasattr(sys, "addaudithook"), reason="needs audit hooks")
def test_a_hostile_tree_builds_a_safe_site_running_and_reading_nothing_it_should_not(tmp_path):
    root = tmp_path / "repo"
    gen_corpus.generate(20, root)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "notice.html").write_text("{{ 7 * 6 }} SECRET-TEMPLATE", "utf-8")
    templates = root / "site_templates"
    shutil.copytree(REPO / "site_templates", templates)
    (root / "shared").mkdir()
    shutil.move(templates / "style.css", root / "shared" / "style.css")
    (templates / "style.css").symlink_to("../shared/style.css")  # a link inside: followed
    unit = root / "records" / "2023" / "fagui"
    unit.mkdir(parents=True, exist_ok=True)
    (unit / "evidence-table.md").write_text(
        "---\nkind: evidence\ntitle: 检查台账\ndate: 2023-05-01\ntask: t01\n---\n\n" + TABLE, "utf-8")
    assert len(TABLE.encode()) > 20_000
    (unit / "evidence-wide.md").write_text(
        "---\nkind: evidence\ntitle: 宽表\ndate: 2023-05-02\ntask: t01\n---\n\n" + WIDE, "utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "records")
    first, proc = audited_build(root, tmp_path)
    assert first["code"] == 0, proc.stderr
    site = {p.relative_to(root / "_site").as_posix(): p.read_bytes() for p in (root / "_site").rglob("*")
            if p.is_file()}

    # the hostile tree: every cache file a planted pickle, a template linked out of the repository
    for p in (root / cache.CACHE_DIR).rglob("*"):
        if p.is_file() and p.name not in (cache.LOCK_FILE, ".gitignore"):
            p.write_bytes(PWN)
    (templates / "notice.html").unlink()
    (templates / "notice.html").symlink_to(outside / "notice.html")
    audit, proc = audited_build(root, tmp_path)
    assert audit["code"] == 1  # refused, with the path; the site as it was
    assert "site_templates/notice.html:1:1: 网站模板文件 notice.html 是指向仓库以外" in proc.stderr
    assert "原有站点未改动" in proc.stderr
    assert not [p for p in audit["opened"] if p.startswith(str(outside))]
    assert not (root / "PWNED").exists()
    assert {p.relative_to(root / "_site").as_posix(): p.read_bytes() for p in (root / "_site").rglob("*")
            if p.is_file()} == site

    # the link put back inside: the build publishes, executing nothing planted
    (templates / "notice.html").unlink()
    shutil.copy(REPO / "site_templates" / "notice.html", templates / "notice.html")
    for p in (root / cache.CACHE_DIR).rglob("*"):
        if p.is_file() and p.name not in (cache.LOCK_FILE, ".gitignore"):
            p.write_bytes(PWN)
    audit, proc = audited_build(root, tmp_path)
    assert audit["code"] == 0, proc.stderr
    assert "未通过校验" in proc.stderr  # the planted files: refused, said once
    assert not (root / "PWNED").exists() and not (tmp_path / "PWNED").exists()
    assert [e for e, _a in audit["ran"] if e != "subprocess.Popen"] == []  # no os.system, no exec
    assert all("touch" not in a for _e, a in audit["ran"])  # only git and qsgen's own helpers
    real_root = os.path.realpath(root)
    outside_repo = [p for p in audit["opened"] if not p.startswith(real_root + os.sep)]
    assert not [p for p in outside_repo if p.startswith(str(outside)) or p.startswith(os.path.realpath(tmp_path))
                and not p.startswith(real_root)]
    page = (root / "_site" / "2023" / "records" / "fagui" / "evidence-table.html").read_text("utf-8")
    assert "<table" in page and "检查第 559 家经营户" in page and "SECRET-TEMPLATE" not in page
    wide = (root / "_site" / "2023" / "records" / "fagui" / "evidence-wide.html").read_text("utf-8")
    assert "表格太大" in wide and wide.count("<td") < 50  # the facts table only, not 3000 cells
    assert len(wide.encode()) < 20 * len(WIDE)  # not the 90 MB page of the issue
    assert (root / "_site" / "assets" / "style.css").read_bytes() == (root / "shared" / "style.css").read_bytes()
