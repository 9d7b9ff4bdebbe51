"""`qsgen build` usage and template errors: plain messages, exit status, the old site untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qsgen.cli import main

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
    shutil.copytree(REPO / "rules", root / "rules")
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
