"""The record page's small helpers equal the plain forms they shortcut (output byte for byte)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qsgen.site import search
from qsgen.site.pages import record


def _excerpt(text: str, limit: int = 80) -> str:  # (what excerpt() was: the whole text collapsed)
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + "…"


_TEXT = st.lists(st.sampled_from(["字", "a", " ", "  ", "\n", "\u3000", "\xa0", "词语", "x" * 50, " " * 170]),
                 max_size=80).map("".join)


@settings(max_examples=500, deadline=None)
@given(_TEXT, st.sampled_from([1, 5, 80]))
def test_excerpt_is_the_start_of_the_whole_text_collapsed(text, limit):
    assert record.excerpt(text, limit) == _excerpt(text, limit)


@settings(max_examples=300, deadline=None)
@given(_TEXT, _TEXT, st.one_of(st.none(), _TEXT), st.sampled_from(["records/a/b.html", "x/\u2028y.html"]))
def test_row_of_is_the_row_of_the_search_doc(title, text, body, url):
    doc = search.SearchDoc(url=url, title=title, kind="案件", unit="2023年 甲", text=text, body=body)
    made, plain = search.row_of(url, title, "案件", "2023年 甲", text, body), search.row(doc)
    assert (made.head, made.text, made.runs) == (plain.head, plain.text, plain.runs)
    head = search._js_json([url, " ".join(title.split())])[1:-1]  # (the JSON of the list, as before)
    assert made.head == head.encode("utf-8")
    assert made.text == search._js_json(search._searched(doc)).encode("utf-8")
