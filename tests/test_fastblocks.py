"""A block written as plain Python by site/fastblocks.py gives Jinja's text, or falls back to Jinja
(Fallback, or any error) where Jinja's code would give something else: for every construct it
writes, values of every kind, missing variables and attributes, and constructs it leaves to Jinja."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from qsgen.site import fastblocks, jinjaenv, shells, templates

LAYOUT = "<html>{{ title }}{% block a %}{% endblock %}|{% block b %}[{{ p }}]{% endblock %}</html>"

BLOCKS = [
    "{{ rec.title }} {{ rec.n }} {{ p }}x{{ none }}{{ 'a<b' }}{{ 3 }}",
    "{% if rec.flag %}yes{% elif rec.n == 2 %}two{% elif 'k' in rec %}k{% else %}no{% endif %}",
    "{% for m in items %}<li>{{ m.label }}{% if 'list' in m %}{% for v in m.list %}[{{ v }}]{% endfor %}"
    "{% elif not m.href %}-{% else %}<a href=\"{{ m.href }}\">{% endif %}</li>{% endfor %}",
    "{% for p in items %}{{ p }}{% endfor %}{{ p }}",  # a loop's variable, then the outer one
    "{{ rec.items }}{{ rec.get }}{{ obj.name }}{{ rec.title if rec.flag else rec.n }}",
    "{{ a and b }}{{ a or b }}{{ a < b <= 3 }}{{ a != b }}{{ 'x' not in rec }}",
    "{% if rec.flag %}{{ rec.title|upper }}{% endif %}{{ rec.title }}",  # a filter: Jinja, when reached
    "{% if rec.flag %}{% include 'inc.html' %}{% endif %}",
    "{% for m in items %}{{ loop.index }}{% endfor %}",  # loop: Jinja
    "{% for m in items %}{% include 'inc.html' %}{% endfor %}",  # an include in a loop: Jinja
    "{{ rec.missing }}",
    "{{ nothere }}",
    "{% if rec.flag is defined %}d{% endif %}{{ rec.title }}{% if rec.items is undefined %}u{% endif %}",
    "{% if p is defined %}d{% endif %}{{ rec.title|length is defined }}",  # (other tests: Jinja)
    "{% set x = 1 %}{{ x }}",  # (always Jinja: no function)
    "{{ super() }}",
    "x{% raw %}{{ y }}{% endraw %}\n  {{ p }}  \n",
]


class Obj:
    name = "<对象>"
    title = "对象标题"

    def __str__(self) -> str:
        return "Obj&"


def env_of(page_block: str, cls: type = jinjaenv._Environment) -> jinja2.Environment:
    env = cls(loader=jinja2.DictLoader({
        "layout.html": LAYOUT, "inc.html": "<i>{{ rec.title }}|{{ p }}</i>",
        "page.html": '{% extends "layout.html" %}{% block a %}' + page_block + "{% endblock %}"}),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    if cls is jinjaenv._Environment:
        env.template_class = jinjaenv._Template
    return env


_TEXT = st.sampled_from(["", "标题", "a<b>&\"'", Markup("<b>粗</b>"), "x" * 3])
_VALUE = st.one_of(_TEXT, st.integers(-2, 3), st.booleans(), st.none(), st.just(Obj()))
_ITEM = st.dictionaries(st.sampled_from(["label", "list", "href", "text", "items"]),
                        st.one_of(_VALUE, st.lists(_TEXT, max_size=3)), max_size=4)
_REC = st.one_of(st.fixed_dictionaries({"title": _TEXT, "n": st.integers(0, 3), "flag": st.booleans()}),
                 st.dictionaries(st.sampled_from(["title", "n", "flag", "k", "items", "get", "x"]), _VALUE, max_size=6))
_VARS = {"rec": st.one_of(_REC, st.just(Obj())), "items": st.one_of(st.lists(st.one_of(_ITEM, _TEXT), max_size=3), _TEXT),
         "obj": st.just(Obj()), "a": _VALUE, "b": _VALUE}
_CTX = st.one_of(st.fixed_dictionaries(_VARS), st.fixed_dictionaries({}, optional={**_VARS, "nothere": _VALUE}))
SHARED = {"title": "站<点>", "p": "../"}


def outcome(fn):
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001  (the same error, or both fine)
        return "error", type(e).__name__


@pytest.mark.parametrize("cls", [jinjaenv._Environment, jinja2.Environment])
@pytest.mark.parametrize("block", BLOCKS)
@settings(max_examples=100, deadline=None)
@given(ctx=_CTX)
def test_a_page_with_fast_blocks_is_the_page_jinja_renders(block, cls, ctx):
    env = env_of(block, cls)
    made = shells.Shells(env)
    whole = outcome(lambda: env.get_template("page.html").render(**SHARED, **ctx))
    for _ in range(3):  # (the first page of a key is rendered whole; then from the shell)
        assert outcome(lambda: made.render("page.html", "k", SHARED, ctx)) == whole


def fast_of(block: str, env: jinja2.Environment | None = None):
    env = env or env_of(block)
    tree = env.parse(env.loader.get_source(env, "page.html")[0])
    body = next(b for b in tree.find_all(jinja2.nodes.Block) if b.name == "a").body
    return fastblocks.compile_block(env, "page.html", body, env.get_template("page.html").blocks["a"].__globals__["escape"])


def test_the_constructs_of_record_pages_are_written_as_python_and_the_rest_is_left_to_jinja():
    for block in BLOCKS[:8] + BLOCKS[9:13] + BLOCKS[16:]:
        assert fast_of(block) is not None, block
    for block in BLOCKS[8:9] + BLOCKS[13:16] + ["{{ rec.title|upper }}"]:
        assert fast_of(block) is None, block  # (reached by every page: Jinja's alone)
    fast = fast_of(BLOCKS[6])
    assert fast({"rec": {"flag": False, "title": "<t>"}}, SHARED) == "&lt;t&gt;"
    with pytest.raises(fastblocks.Fallback):
        fast({"rec": {"flag": True, "title": "t"}}, SHARED)
    with pytest.raises(fastblocks.Fallback):
        fast_of(BLOCKS[10])({"rec": {}}, SHARED)  # (a missing attribute: Jinja's error)
    with pytest.raises(KeyError):
        fast_of(BLOCKS[11])({}, SHARED)


def test_an_environment_that_looks_up_or_writes_otherwise_is_left_to_jinja():
    from jinja2.sandbox import SandboxedEnvironment

    assert fast_of(BLOCKS[0], env_of(BLOCKS[0], jinja2.Environment)) is not None
    assert fast_of(BLOCKS[0], env_of(BLOCKS[0], SandboxedEnvironment)) is None
    env = env_of(BLOCKS[0])
    env.finalize = lambda v: "" if v is None else v
    assert fast_of(BLOCKS[0], env) is None


def test_record_pages_blocks_are_written_as_python():
    env = jinjaenv.environment(templates.TEMPLATE_DIR, 2, "ROUND_HALF_UP")
    source = (Path(templates.TEMPLATE_DIR) / "record.html").read_text("utf-8")
    tree = env.parse(source)
    for block in tree.find_all(jinja2.nodes.Block):
        assert fastblocks.compile_block(env, "record.html", block.body, templates._escape) is not None, block.name
