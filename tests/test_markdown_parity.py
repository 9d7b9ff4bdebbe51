"""markdown.py's fast path (markdown-it-pyrs) gives what markdown-it-py gives on ordinary records."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsgen.site import markdown

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import gen_corpus  # noqa: E402
from test_markdown import HOSTILE, problems  # noqa: E402

SAMPLES = [
    "# 标题\n\n正文 **加粗** *斜体* `代码` ~~删除~~ [链接](http://e.example \"t\") ![图](a.png)\n",
    "- 一\n- 二\n  - 三\n\n1. 甲\n2) 乙\n\n> 引用\n> 续行\n懒惰续行\n",
    "| a | b |\n| :-- | --: |\n| 1 | 2 |\n| 3 |\n",
    "```python\nx = 1 < 2\n```\n\n    缩进代码\n\n---\n\n设置标题\n===\n",
    "a  \nb\\\nc &amp; &copy; &#123; &#x4e2d; &bogus;\n",
    "<div>原始 HTML</div>\n\n<b>x</b> <!-- c -->\n",
    "[r]\n\n[r]: http://x.example 'T'\n\n<http://auto.example> <a@b.example>\n",
    "> " * 10 + "十层\n",
    "- " * 9 + "x\n",
    "\t- 制表符缩进\n",
]


def _both(src: str) -> tuple[tuple[str, str], tuple[str, str]]:
    fast = markdown._FAST
    assert fast is not None, "markdown-it-pyrs is a declared dependency"
    try:
        a = (markdown.render(src), markdown.plain_text(src))
        markdown._FAST = None
        b = (markdown.render(src), markdown.plain_text(src))
    finally:
        markdown._FAST = fast
    return a, b


def _corpus_bodies(n: int) -> list[str]:
    g = gen_corpus.Gen(11)
    units = gen_corpus.load_units(Path(__file__).resolve().parent.parent / "rules" / "2023")
    out = []
    for seq in range(n):
        kind = gen_corpus.KIND_WEIGHTS[seq % len(gen_corpus.KIND_WEIGHTS)][0]
        unit = gen_corpus.pick_unit(g, units, kind)
        _name, text, _d, _a = gen_corpus.make_record(g, unit, kind, seq)
        out.append(text.split("\n---\n", 1)[1])
    return out


@pytest.mark.parametrize("src", SAMPLES + [h + "\n" for h in HOSTILE if isinstance(h, str)])
def test_fast_path_equals_markdown_it_py(src):
    a, b = _both(src)
    assert a == b


def test_realistic_records_agree():
    for body in _corpus_bodies(300):
        assert markdown._fast_ok(body)
        a, b = _both(body)
        assert a == b, body


def test_random_documents_stay_safe():
    rnd = random.Random(7)
    pieces = ["文字", "**粗**", "*斜*", "`c`", "[l](javascript:x)", "![i](p.png)", "\n", "\n\n", "- ",
              "1. ", "> ", "| a | b |\n|---|---|\n| 1 | 2 |\n", "```\nx\n```\n", "&amp;", "<i>",
              "<script>", "~~d~~", "    ", "#", "```", "\t", "[r]: javascript:y\n", "[r]"]
    for _ in range(500):
        src = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 40))) + "\n"
        html, text = markdown.render_with_text(src)
        assert problems(html) == [], src
        assert (html, text) == (markdown.render(src), markdown.plain_text(src))


def test_what_takes_the_safe_path():
    assert markdown._fast_ok("正文\n")
    assert not markdown._fast_ok("正文")  # no final newline
    assert not markdown._fast_ok(">" * 50_000 + " x\n")  # would overflow markdown-it.rs's stack
    assert "<script" not in markdown.render(">" * 50_000 + " <script>\n")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\n>*+-0123456789.)x中")), max_size=120))
def test_the_deep_nesting_check_is_the_line_start_search(src):
    # _fast_ok's two searches are _DEEP_PREFIX's (a line starting with 21 nesting characters)
    src += "\n"
    assert markdown._fast_ok(src) == (markdown._DEEP_PREFIX.search(src) is None)
    for n in (20, 21, 22):
        for body in ("- " * n + "x\n", "a\n" + "> " * n + "x\n", "1." * n + "\n", "\n" + " " * 2 * n + "x\n"):
            assert markdown._fast_ok(body) == (markdown._DEEP_PREFIX.search(body) is None), body
