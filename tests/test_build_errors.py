"""`qsgen build` usage and template errors: plain messages, exit status, the old site untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fixtures.recordkit import copy_rules

from qsgen.cli.program import main

REPO = Path(__file__).resolve().parent.parent

NEWS = """\
---
kind: news
title: 县融媒体中心报道我股工作
date: 2023-05-12
level: county
outlet: 沁水县融媒体中心
---

报道正文。
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1704067200")
    root = tmp_path / "repo"
    copy_rules(root)
    unit = root / "records" / "2023" / "fagui"
    unit.mkdir(parents=True)
    (unit / "news-0512.md").write_text(NEWS, encoding="utf-8")
    return root


@pytest.mark.parametrize("value", ["", "  "])
def test_empty_out_is_a_usage_error(repo: Path, capsys, monkeypatch, value):
    monkeypatch.chdir(repo)
    assert main(["build", "-q", "--out", value]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "不能为空" in err
    assert not (repo / "_site").exists()


# ----------------------------------------------------------------- template errors


def own_templates(repo: Path) -> Path:
    """The repository gets its own copy of the default templates."""
    from qsgen import site

    shutil.copytree(site.TEMPLATE_DIR, repo / "site_templates")
    return repo / "site_templates"


def insert_line(path: Path, after: str, line: str) -> int:
    """Put ``line`` after the first line containing ``after``; its 1-based line number."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, x in enumerate(lines) if after in x) + 1
    lines.insert(at, line + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return at + 1


@pytest.mark.parametrize("name, after, line, words", [
    ("unit.html", "{% block content %}", "{% if %}", "网站模板语法错误：Expected an expression"),
    ("base.html", "<body", "{{ no_such_variable }}", "网站模板用到了不存在的变量或属性：'no_such_variable' is undefined"),
    ("record.html", "{% block content %}", "{{ rec.no_such_attribute.x }}", "网站模板用到了不存在的变量或属性："),
    ("404.html", "{% block content %}", "{% include 'gone.html' %}", "找不到网站模板 gone.html"),
])
def test_template_error_is_reported_with_file_and_line(repo: Path, capsys, monkeypatch, name, after, line, words):
    monkeypatch.chdir(repo)
    templates = own_templates(repo)
    assert main(["build", "-q"]) == 0
    before = {p: p.read_bytes() for p in (repo / "_site").rglob("*") if p.is_file()}
    n = insert_line(templates / name, after, line)
    assert main(["build"]) == 1
    err = capsys.readouterr().err
    assert f"site_templates/{name}:{n}:1: {words}" in err, err
    assert "Traceback" not in err
    assert "原有站点未改动" in err
    assert {p: p.read_bytes() for p in (repo / "_site").rglob("*") if p.is_file()} == before


def test_missing_page_template(repo: Path, capsys, monkeypatch):
    monkeypatch.chdir(repo)
    (own_templates(repo) / "search.html").unlink()
    assert main(["build"]) == 1
    err = capsys.readouterr().err
    assert "site_templates/search.html:1:1: 找不到网站模板 search.html" in err, err


def test_template_error_in_parallel_rendering(repo: Path, monkeypatch):
    """Record pages rendered in worker processes: the error still names the template line."""
    from qsgen.build import pipeline as build
    from qsgen.build import workers
    from qsgen.core.errors import QsgenError

    monkeypatch.setattr(workers, "PARALLEL_MIN", 1)
    monkeypatch.setenv("QSGEN_JOBS", "2")
    n = insert_line(own_templates(repo) / "record.html", "{% block content %}", "{{ 1 + none_here }}")
    with pytest.raises(QsgenError) as e:
        build.build(repo, quiet=True, use_cache=False)
    (d,) = e.value.diagnostics
    assert (d.path, d.line) == ("site_templates/record.html", n)


def test_serve_shows_template_errors_with_file_and_line(repo: Path):
    from qsgen import serve

    templates = own_templates(repo)
    preview = serve.Preview(repo)
    assert preview.rebuild() is True
    n = insert_line(templates / "index.html", "{% block content %}", "{% for x in %}")
    assert preview.rebuild({str(templates / "index.html")}) is False
    assert preview.failure == "网站模板有错误，网站没有更新"
    (d,) = preview.errors
    assert d.format_text().startswith(f"site_templates/index.html:{n}:1: 网站模板语法错误：")
    status, _headers, body = preview.respond("/index.html")
    assert status == 200
    page = body.decode("utf-8")
    assert f"site_templates/index.html:{n}:1" in page and "网站模板语法错误" in page
