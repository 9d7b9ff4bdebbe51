"""Pages rendered from their layout's shell (site/shells.py) are the text Jinja renders whole;
a layout whose part outside the blocks could differ from page to page is always rendered whole."""

from __future__ import annotations

import sys
from pathlib import Path

import jinja2
import pytest

from qsgen.build import pipeline
from qsgen.build.inputs import site_inputs
from qsgen.site import build_site, shells
from qsgen.site import context as site_context

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import gen_corpus  # noqa: E402

SHARED = {"p": "../../", "title": "考核", "years": [{"y": 2023}, {"y": 2024}], "flag": True}


def env_of(templates: dict[str, str]) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader(templates), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


PAGE = ('{% extends "layout.html" %}\n{% block title %}{{ rec.title }}{% endblock %}\n'
        '{% block content %}<h1>{{ rec.title }}</h1>{{ super() }}<p>{{ rec.body }}</p>{% endblock %}\n')

SAFE_LAYOUTS = [
    "<title>{% block title %}{% endblock %} · {{ title }}</title><a href=\"{{ p }}x\">x</a>"
    "{% block content %}<p>default</p>{% endblock %}<footer>{{ title|length }}</footer>",
    # blocks in a loop and in a condition, a nested block, one block twice
    "{% for y in years %}<b>{{ y.y }}</b>{% block title %}{% endblock %}{% endfor %}"
    "{% if flag %}{% block content %}<div>{% block inner %}in{% endblock %}</div>{% endblock %}{% endif %}",
    # no block at all outside the one the page fills
    "{% block content %}{% endblock %}",
    # blocks the page does not fill: one of shared data only (rendered into the shell), one
    # reading the page's data, one holding another block (of shared data only), one in a loop
    "{% block styles %}<link href=\"{{ p }}s.css\">{{ title|length }}{% endblock %}"
    "{% block extra %}[{{ rec.body }}]{% endblock %}{% block outer %}({% block inner %}{{ p }}"
    "{% endblock %}{{ rec.title }}){% endblock %}{% for y in years %}{% block each %}{{ p }}{% endblock %}{% endfor %}"
    "{% block content %}{% endblock %}{% block title %}{% endblock %}",
]


@pytest.mark.parametrize("layout", SAFE_LAYOUTS)
def test_a_page_from_its_shell_is_the_page_rendered_whole(layout):
    env = env_of({"layout.html": layout, "page.html": PAGE})
    assert shells.plan(env, "page.html", frozenset(SHARED)) is not None
    made = shells.Shells(env)
    for i, title in enumerate(["一", "<b>二</b>", "三 & 四", ""]):
        ctx = {"rec": {"title": title, "body": f"正文 {i} <script>"}}
        whole = env.get_template("page.html").render(**SHARED, **ctx)
        assert made.render("page.html", "k", SHARED, ctx) == whole
        assert made.render_bytes("page.html", "k", SHARED, ctx) == whole.encode("utf-8")


@pytest.mark.parametrize("layout", [
    "{{ rec.title }}{% block content %}{% endblock %}",  # reads what is not shared
    "{% include 'other.html' %}{% block content %}{% endblock %}",
    "{% set x = 1 %}{% block content %}{{ x }}{% endblock %}",
    "{{ self.title() }}{% block title %}{% endblock %}{% block content %}{% endblock %}",
    "{{ range(3)|list }}{% block content %}{% endblock %}",  # a call
    "{{ years|random }}{% block content %}{% endblock %}",
    "{% macro m() %}x{% endmacro %}{% block content %}{% endblock %}",
    "{% import 'other.html' as o %}{% block content %}{% endblock %}",
    # a scoped block sees the loop's variable
    "{% for y in years %}{% block each scoped %}{{ y.y }}{% endblock %}{% endfor %}{% block content %}{% endblock %}",
])
def test_a_layout_that_may_differ_from_page_to_page_is_rendered_whole(layout):
    env = env_of({"layout.html": layout, "page.html": PAGE, "other.html": "o"})
    assert shells.plan(env, "page.html", frozenset(SHARED)) is None


@pytest.mark.parametrize("page", [
    "{% extends 'layout.html' %}{% set x = 1 %}{% block content %}{{ x }}{% endblock %}",
    "text{% extends 'layout.html' %}{% block content %}{% endblock %}",
    "{% block content %}no layout{% endblock %}",
    "{% extends layout_name %}{% block content %}{% endblock %}",
])
def test_a_page_template_that_is_not_only_blocks_is_rendered_whole(page):
    env = env_of({"layout.html": "{% block content %}{% endblock %}", "page.html": page})
    assert shells.plan(env, "page.html", frozenset(SHARED) | {"layout_name"}) is None


@pytest.mark.parametrize("which", ["example", "corpus"])
def test_the_site_is_the_same_with_and_without_shells(which, tmp_path, monkeypatch):
    if which == "example":
        root = Path(__file__).resolve().parent.parent
    else:
        root = tmp_path / "repo"
        gen_corpus.generate(60, root)
    results, _warnings = pipeline.load_and_score(root)
    inputs = [site_inputs(root, r) for r in results]
    made = []
    real = shells.Shells._shell

    def counted(self, template, p, shared):
        made.append(template.name)
        return real(self, template, p, shared)

    monkeypatch.setattr(shells.Shells, "_shell", counted)
    with_shells = build_site(results, inputs)
    assert "record.html" in made  # (the record pages were made from shells)

    def whole(self, name, key, shared, ctx):
        return self.env.get_template(name).render(**shared, **ctx).encode("utf-8")

    monkeypatch.setattr(site_context.Shells, "render_bytes", whole)
    assert build_site(results, inputs) == with_shells


def test_a_block_of_the_layout_the_page_leaves_is_in_the_shell_when_it_reads_only_shared_data():
    layout = SAFE_LAYOUTS[-1]
    env = env_of({"layout.html": layout, "page.html": PAGE})
    p = shells.plan(env, "page.html", frozenset(SHARED))
    assert p is not None and {"styles", "each", "inner"} <= p.fixed and not {"extra", "outer"} & p.fixed
    made = shells.Shells(env)
    ctx = {"rec": {"title": "一", "body": "正文"}}
    made.render("page.html", "k", SHARED, ctx)
    assert made.render("page.html", "k", SHARED, ctx) == env.get_template("page.html").render(**SHARED, **ctx)
    _p, _base, renders, texts = made.shells[("page.html", "k")]
    assert len(renders) == 4 and b"s.css" in texts[0]  # extra, outer, content, title: per page
