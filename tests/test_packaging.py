"""The wheel carries the default site templates: a repository with only rules/ and records/ builds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fixtures.recordkit import copy_rules

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built by pip (as `pip install .` would) from a copy of the project files."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("qsgen", "site_templates"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "-w", str(out), "--no-deps", "-q"], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 and ("No module named pip" in proc.stderr
                                 or "No matching distribution" in proc.stderr):
        pytest.skip("pip or the build requirements (setuptools) are not available: " + proc.stderr[-300:])
    assert proc.returncode == 0, proc.stderr
    (whl,) = out.glob("qsgen-*.whl")
    return whl


def test_wheel_contains_every_template_and_module(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in (REPO / "site_templates").iterdir():
        if f.is_file():
            assert f"qsgen_site_templates/{f.name}" in names
    for f in (REPO / "qsgen").rglob("*.py"):
        assert f.relative_to(REPO).as_posix() in names  # packages are listed by hand in pyproject.toml
    assert "qsgen/site/search_client.js" in names  # the search's browser client (package data)
    assert "qsgen/site/xlsx_theme.xml" in names  # scores.xlsx's theme part (package data)
    assert not any(n.startswith("site_templates/") for n in names)


def test_installed_qsgen_builds_a_repository_without_templates(wheel: Path, tmp_path: Path):
    installed = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(installed)
    root = tmp_path / "bureau"
    copy_rules(root)
    unit = root / "records" / "2023" / "longgang"
    unit.mkdir(parents=True)
    shutil.copy(REPO / "records" / "2023" / "longgang" / "case-2023-068.md", unit)
    env = dict(os.environ, PYTHONPATH=str(installed), SOURCE_DATE_EPOCH="1704067200")
    code = ("import sys, qsgen, qsgen.site; from qsgen.cli.program import main; "
            "print(qsgen.__file__); print(qsgen.site.TEMPLATE_DIR); sys.exit(main())")
    proc = subprocess.run([sys.executable, "-c", code, "--root", str(root), "build", "--no-cache"],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    module, templates = proc.stdout.splitlines()[:2]
    assert Path(module).is_relative_to(installed)
    assert Path(templates) == (installed / "qsgen_site_templates").resolve()
    site = root / "_site"
    assert "沁水县苏庄兴旺五金店" in (site / "index.html").read_text(encoding="utf-8") or \
        any("沁水县苏庄兴旺五金店" in p.read_text(encoding="utf-8") for p in (site / "2023" / "records").rglob("*.html"))
    assert (site / "assets" / "style.css").read_bytes() == (REPO / "site_templates" / "style.css").read_bytes()

    # The repository's own site_templates/ still wins over the installed ones.
    shutil.copytree(REPO / "site_templates", root / "site_templates")
    base = root / "site_templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("<body", "<!-- 本局模板 --><body"), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", code, "--root", str(root), "build", "-q", "--no-cache"],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "本局模板" in (site / "index.html").read_text(encoding="utf-8")
