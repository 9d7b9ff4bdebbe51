"""qsgen's own templates compiled once per installation (incremental/bytecode.InstalledBytecodeCache)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import jinja2
import pytest

from qsgen.build import pipeline
from qsgen.incremental import bytecode
from qsgen.site import jinjaenv
from qsgen.site.templates import TEMPLATE_DIR

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def prefix(tmp_path, monkeypatch) -> Path:
    """Python writes bytecode, under a prefix of this test's own (as PYTHONPYCACHEPREFIX)."""
    folder = tmp_path / "pycache"
    monkeypatch.setattr(sys, "pycache_prefix", str(folder))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return folder


def compiles(monkeypatch) -> list[str]:
    """The names of the templates Jinja compiles from now on."""
    seen: list[str] = []
    original = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        seen.append(name)
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return seen


def fresh_env(templates: Path = TEMPLATE_DIR) -> jinja2.Environment:
    env = jinjaenv.environment(templates, 2, "ROUND_HALF_UP")
    env.bytecode_cache = bytecode._Layers(bytecode.installed_cache(env, templates))
    return env


def test_qsgens_templates_are_compiled_once_where_python_keeps_bytecode(prefix, monkeypatch):
    seen = compiles(monkeypatch)
    first = fresh_env().get_template("record.html")
    assert seen == ["record.html"]
    here = Path(bytecode.installed_cache(fresh_env(), TEMPLATE_DIR).folder)
    # where Python would keep the bytecode of a module in the templates' folder
    assert here == prefix / Path(TEMPLATE_DIR.resolve()).relative_to(Path(TEMPLATE_DIR.resolve()).anchor)
    assert len(list(here.glob("*.jinja"))) == 1 and not list(here.glob("*.tmp"))
    again = fresh_env().get_template("record.html")  # another environment (another build)
    assert seen == ["record.html"]  # loaded, not compiled
    assert again.blocks.keys() == first.blocks.keys()
    assert again.root_render_func.__code__.co_code == first.root_render_func.__code__.co_code


def test_a_damaged_or_foreign_file_is_compiled_again_and_replaced(prefix, monkeypatch):
    fresh_env().get_template("base.html")
    [kept] = Path(bytecode.installed_cache(fresh_env(), TEMPLATE_DIR).folder).glob("*.jinja")
    good = kept.read_bytes()
    seen = compiles(monkeypatch)
    for bad in (b"", good[:40], b"garbage" * 10, good[:-20]):
        kept.write_bytes(bad)
        fresh_env().get_template("base.html")
        assert kept.read_bytes() == good
    assert seen == ["base.html"] * 4


def test_nothing_is_written_where_python_writes_no_bytecode(prefix, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    seen = compiles(monkeypatch)
    fresh_env().get_template("base.html")
    fresh_env().get_template("base.html")
    assert seen == ["base.html", "base.html"]
    assert not prefix.exists()


def test_other_settings_or_jinja_versions_do_not_share_compiled_code(prefix, monkeypatch):
    ours = bytecode._signature(fresh_env())
    other = jinjaenv.environment(TEMPLATE_DIR, 2, "ROUND_HALF_UP")
    other.trim_blocks = False
    assert bytecode._signature(other) != ours
    monkeypatch.setattr(jinja2, "__version__", "0.0-other")
    assert bytecode._signature(fresh_env()) != ours


def test_a_repositorys_own_templates_stay_in_its_sealed_cache(tmp_path, prefix):
    own = tmp_path / "site_templates"
    shutil.copytree(TEMPLATE_DIR, own, ignore=shutil.ignore_patterns("__pycache__"))
    assert bytecode.installed_cache(fresh_env(own), own) is None
    assert bytecode.installed_cache(fresh_env(), None) is None


def test_a_clean_build_with_the_installed_templates_is_the_same_site(tmp_path, prefix, monkeypatch):
    root = tmp_path / "repo"  # (the example's records and rules with qsgen's own templates)
    shutil.copytree(REPO / "records", root / "records")
    shutil.copytree(REPO / "rules", root / "rules")
    monkeypatch.setattr(bytecode._COMPILED, "data", {})  # (what earlier tests compiled in this process)
    plain = pipeline.build(root, tmp_path / "first", quiet=True, use_cache=False).out
    assert list(prefix.rglob("*.jinja"))  # (compiled by the first build)
    seen = compiles(monkeypatch)
    again = pipeline.build(root, tmp_path / "second", quiet=True).out  # (a clean build: no .qsgen-cache/)
    assert seen == []
    files = {p.relative_to(plain): p.read_bytes() for p in plain.rglob("*") if p.is_file()}
    assert files == {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    # the repository's sealed cache holds them too, as it did when they were compiled for it
    assert len(list((root / ".qsgen-cache" / "jinja").glob("*.cache"))) >= len(seen)
