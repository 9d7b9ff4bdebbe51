"""writer.py writes a large site with two processes; the result and the failure rules are the same."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from qsgen.core.errors import QsgenError
from qsgen.publish import writer
from qsgen.publish.writer import MARKER, write_site


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "rules").mkdir(parents=True)
    return root


def site(n: int) -> dict[str, bytes]:
    files = {f"records/u{i % 7}/r{i:04d}.html": f"<p>记录 {i}</p>".encode() for i in range(n)}
    files["index.html"] = b"<h1>x</h1>"
    return files


def tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_two_processes_write_the_same_site(repo, monkeypatch):
    monkeypatch.setattr(writer, "PARALLEL_WRITE_MIN", 10)
    files = site(300)
    write_site(files, repo / "_site", repo)
    got = tree(repo / "_site")
    assert got.pop(MARKER)
    assert got == files
    for p in (repo / "_site").rglob("*"):
        if p.is_file():
            assert stat.S_IMODE(p.stat().st_mode) == 0o644


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_failure_in_the_child_keeps_the_old_site(repo, monkeypatch):
    monkeypatch.setattr(writer, "PARALLEL_WRITE_MIN", 10)
    write_site({"index.html": b"old"}, repo / "_site", repo)
    real = writer._write_files

    def failing(tmp, plan, old, unchanged):
        if any(p.endswith("r0299.html") for p, _ in plan):  # the last file: the child's half
            raise OSError(28, "No space left on device", "r0299.html")
        real(tmp, plan, old, unchanged)

    monkeypatch.setattr(writer, "_write_files", failing)
    with pytest.raises(QsgenError, match="原有站点未改动"):
        write_site(site(300), repo / "_site", repo)
    assert tree(repo / "_site") == {"index.html": b"old", MARKER: writer.MARKER_TEXT}
    assert [p.name for p in repo.iterdir() if p.name.startswith(".")] == []  # no temp dir left
