"""The fast path's shortcuts equal their references: sanitising markdown-it's HTML of plain
tags by rewriting it gives nh3's bytes, and the search text taken from the HTML gives the
words the markdown-it.rs tree gives (a body is parsed once). nh3 and the tree stay the
references here, on every hostile sample, the benchmark corpus and random input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_markdown import HOSTILE, problems
from test_markdown_parity import SAMPLES, _corpus_bodies

from qsgen.core import mdcost
from qsgen.site import markdown


def _raw(src: str) -> str:
    fast = markdown._fast(mdcost.prepare(src))
    return "" if fast is None else fast[0]  # None: markdown.rs panicked (markdown-it-py's input)


def _same(src: str) -> None:
    src = mdcost.prepare(src)
    fast = markdown._fast(src)
    if fast is None:
        return
    raw, text = fast
    assert markdown.sanitise_rendered(raw) == markdown.sanitise(raw)
    assert text == markdown._tree_text(markdown._FAST.tree(src))
    assert problems(markdown.sanitise_rendered(raw)) == []


EXTRA = [
    "引号 \"双\" 'single' &quot; &#34; &amp;quot;\n",
    "不换行\u00a0空格 &nbsp; &#160;\n\n```\n\u00a0\n```\n",
    "```js \"x\" <y>\nz\n```\n\n```&amp;\nq\n```\n",
    "回车 &#13; 换页 &#12; 控制 &#1; &#x7f; &#128; &#xFEFF; &#xFFFE; &#xFDD0;\n",
    "| a |\n| :-: |\n| &quot; |\n\n5. 五\n6. 六\n\n123456789. 大\n",
    "a  \nb\n\n***\n\n# h1\n## h2 #\n###### h6\n\n> > q\n",
    "**粗*斜*粗** ~~删~~ `码 \" <`\n",
    "![图 *alt* \"q\" <x>](a.png \"t\") [链接 `c`](http://x.example/?a=1&b=\"2\")\n",
    "<http://auto.example/?q=\"x\"> <a@b.example>\n",
    "\ufeff开头\n",
]


@pytest.mark.parametrize("src", SAMPLES + EXTRA + [h + "\n" for h in HOSTILE if isinstance(h, str)])
def test_shortcuts_equal_nh3_and_the_tree(src):
    _same(src)


def test_shortcuts_on_the_corpus_and_most_take_the_shortcut():
    bodies = _corpus_bodies(300)
    plain = 0
    for body in bodies:
        _same(body)
        raw = _raw(body)
        plain += "<" not in markdown._PLAIN_TAG.sub("", raw)
    assert plain > 250  # the shortcut is what ordinary records take


_PIECES = st.sampled_from(list("ab 字\n\t|-:*_~`#>[]()!<&;\"'.1\\") +
                          ["\u00a0", "&quot;", "&nbsp;", "&#13;", "```", "    ", "\n\n", "| --- |",
                           "http://x.example", "\r", "\x0c", "\x01", "\ufeff"])


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=120).map("".join))
def test_shortcuts_on_random_input(src):
    _same(src + "\n")
