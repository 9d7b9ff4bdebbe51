"""Shells kept between builds (site/shells.py, incremental/templates.ShellStore): a page rendered
from a kept shell, without Jinja, is the page Jinja renders; whatever a kept shell does not
cover is rendered by Jinja, and a kept shell that is not this repository's is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest
from fixtures.recordkit import generated_repo

from qsgen.incremental import cache
from qsgen.incremental.templates import ShellStore
from qsgen.site import jinjaenv, shells

SHARED = {"p": "../../", "title": "考核", "years": [{"y": 2023, "current": True}], "page": "record"}
LAYOUT = ('<title>{% block title %}{% endblock %} · {{ title }}</title>\n'
          '{% block styles %}<link href="{{ p }}s.css">{% endblock %}\n'
          '{% for y in years %}<a href="{{ p }}{{ y.y }}"{% if y.current %} class="c"{% endif %}>{{ y.y }}</a>{% endfor %}\n'
          '{% block content %}{% endblock %}\n')
PAGE = ('{% extends "base.html" %}\n{% block title %}{{ rec.title }}{% endblock %}\n'
        '{% block content %}<h1>{{ rec.title }}</h1>{% for t in rec.tags %}<i>{{ t }}</i>{% endfor %}'
        '{% if rec.note is defined %}<em>{{ rec.note }}</em>{% endif %}<p>{{ body }}</p>{% endblock %}\n')
CTXS = [{"rec": {"title": "一", "tags": ["a", "<b>"]}, "body": "正文"},
        {"rec": {"title": "二 & 三", "tags": [], "note": "注"}, "body": "<script>"},
        {"rec": {"title": "", "tags": ["x"]}, "body": ""}]


class MemoryStore:
    """A ShellStore in memory."""

    def __init__(self, templates: Path) -> None:
        self.templates, self.context, self.files = templates, ("test",), {}

    def load(self, name: str) -> bytes | None:
        return self.files.get(name)

    def save(self, name: str, payload: bytes) -> None:
        self.files[name] = payload


def folder_of(tmp_path: Path, page: str = PAGE) -> Path:
    folder = tmp_path / "site_templates"
    folder.mkdir(exist_ok=True)
    (folder / "base.html").write_text(LAYOUT, encoding="utf-8")
    (folder / "page.html").write_text(page, encoding="utf-8")
    return folder


def shells_of(folder: Path, store) -> tuple[shells.Shells, list]:
    made = []

    def make():
        made.append(jinjaenv.environment(folder, 2, "ROUND_HALF_UP"))
        return made[-1]

    return shells.Shells(make, store), made


def whole(folder: Path, ctx: dict) -> bytes:
    env = jinjaenv.environment(folder, 2, "ROUND_HALF_UP")
    return env.get_template("page.html").render(**SHARED, **ctx).encode("utf-8")


def kept(folder: Path, store) -> None:
    """Render pages until the shell is made (the second page of a key) and kept."""
    first, _made = shells_of(folder, store)
    for ctx in CTXS[:2]:
        assert first.render_bytes("page.html", "k", SHARED, ctx) == whole(folder, ctx)


def test_a_page_from_a_kept_shell_is_jinjas_and_needs_no_environment(tmp_path):
    folder = folder_of(tmp_path)
    store = MemoryStore(folder)
    kept(folder, store)
    assert len(store.files) == 1
    again, made = shells_of(folder, store)
    for ctx in CTXS:
        assert again.render_bytes("page.html", "k", SHARED, ctx) == whole(folder, ctx)
    assert made == []  # (no Jinja environment was made)
    # another key, or other shared data: not kept
    other, made = shells_of(folder, store)
    assert other.render_bytes("page.html", "k2", SHARED, CTXS[0]) == whole(folder, CTXS[0])
    changed = {**SHARED, "title": "另一个"}
    assert other.render_bytes("page.html", "k", changed, CTXS[0]) == \
        jinjaenv.environment(folder, 2, "ROUND_HALF_UP").get_template("page.html").render(
            **changed, **CTXS[0]).encode("utf-8")
    assert len(made) == 1


@pytest.mark.parametrize(("ctx", "by_jinja"), [
    ({"rec": SimpleNamespace(title="对象", tags=[]), "body": "x"}, True),  # not a dict: Environment.getattr
    ({"rec": {"title": "t", "tags": [], "note": jinja2.Undefined()}, "body": "x"}, False),  # (not defined)
    ({"rec": {"title": "t", "tags": []}}, True),  # a variable missing: Jinja's error
])
def test_a_page_a_kept_shell_does_not_cover_is_rendered_by_jinja(tmp_path, ctx, by_jinja):
    folder = folder_of(tmp_path)
    store = MemoryStore(folder)
    kept(folder, store)
    again, made = shells_of(folder, store)
    try:
        expected = whole(folder, ctx)
    except jinja2.TemplateError as e:
        with pytest.raises(type(e)):
            again.render_bytes("page.html", "k", SHARED, ctx)
    else:
        assert again.render_bytes("page.html", "k", SHARED, ctx) == expected
    assert len(made) == by_jinja


def test_a_kept_shell_of_other_sources_is_not_used(tmp_path):
    folder = folder_of(tmp_path)
    store = MemoryStore(folder)
    kept(folder, store)
    (folder / "base.html").write_text(LAYOUT.replace("<title>", "<title>新 "), encoding="utf-8")
    again, made = shells_of(folder, store)
    assert again.render_bytes("page.html", "k", SHARED, CTXS[0]) == whole(folder, CTXS[0])
    assert b"<title>\xe6\x96\xb0 " in whole(folder, CTXS[0]) and len(made) == 1


@pytest.mark.parametrize("page", [
    PAGE.replace("{{ rec.title }}</h1>", "{{ rec.title|upper }}</h1>"),  # a filter: the block by Jinja
    PAGE.replace("{% block title %}", "{% block title %}{% set x = 1 %}"),
])
def test_a_shell_with_a_block_jinja_renders_is_not_kept(tmp_path, page):
    folder = folder_of(tmp_path, page)
    store = MemoryStore(folder)
    made, _envs = shells_of(folder, store)
    for ctx in CTXS:
        assert made.render_bytes("page.html", "k", SHARED, ctx) == whole(folder, ctx)
    assert store.files == {}


def test_a_kept_shell_is_sealed_and_a_tampered_one_refused(tmp_path):
    folder = folder_of(tmp_path)
    repo = tmp_path / "repo"
    jinja = repo / cache.CACHE_DIR / "jinja"
    store = ShellStore(str(jinja), folder, ("code", str(folder), 2, "ROUND_HALF_UP"))
    kept(folder, store)
    [file] = jinja.glob("shell-*.cache")
    again, made = shells_of(folder, store)
    assert again.render_bytes("page.html", "k", SHARED, CTXS[2]) == whole(folder, CTXS[2]) and made == []
    data = bytearray(file.read_bytes())
    data[-3] ^= 1
    file.write_bytes(bytes(data))
    tampered, made = shells_of(folder, store)
    assert tampered.render_bytes("page.html", "k", SHARED, CTXS[2]) == whole(folder, CTXS[2])
    assert len(made) == 1 and not file.exists()  # (refused: removed, made again when next kept)
    # another store context (other code or templates): another file, none kept
    other = ShellStore(str(jinja), folder, ("other code", str(folder), 2, "ROUND_HALF_UP"))
    assert shells.Shells(lambda: None, other)._kept_of("page.html", "k", SHARED) is None


def test_jinjas_version_is_read_without_importing_it():
    out = subprocess.run([sys.executable, "-c", "import sys; from qsgen.site import shells; "
                          "v = shells.jinja_version(); print(v, 'jinja2' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == [jinja2.__version__, "False"]


_BUILD = ("import sys; from pathlib import Path; from qsgen.build import pipeline; "
          "pipeline.build(Path(sys.argv[1]), quiet=True); print('jinja2' in sys.modules)")


def test_a_build_after_one_body_change_imports_no_jinja_and_makes_the_same_page(tmp_path):
    root = generated_repo(tmp_path / "repo", 12)
    assert subprocess.run([sys.executable, "-c", _BUILD, str(root)], capture_output=True, text=True,
                          check=True).stdout.split() == ["True"]
    assert list((root / cache.CACHE_DIR / "jinja").glob("shell-*.cache"))
    by_unit: dict[Path, list[Path]] = {}
    for md in sorted(root.glob("records/*/*/*.md")):
        by_unit.setdefault(md.parent, []).append(md)
    victim = next(mds for mds in by_unit.values() if len(mds) > 1)[0]  # (a unit whose shell was made)
    victim.write_bytes(victim.read_bytes().replace(b"\n---\n\n", "\n---\n\n改了一句 <b>。\n\n".encode(), 1))
    assert subprocess.run([sys.executable, "-c", _BUILD, str(root)], capture_output=True, text=True,
                          check=True).stdout.split() == ["False"]
    clean = tmp_path / "clean"
    subprocess.run([sys.executable, "-m", "qsgen.cli", "--root", str(root), "build", "-q", "--no-cache",
                    "--out", str(clean)], check=True, capture_output=True)
    assert subprocess.run(["diff", "-r", "-q", str(root / "_site"), str(clean)], capture_output=True).returncode == 0
