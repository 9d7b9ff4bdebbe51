"""Markdown has bounded cost (issue 20 item 2): a body whose HTML would be out of proportion to
its length is shown as escaped text with a note, on both Markdown paths, and `qsgen check`
warns about it with its line. The sizes here are small; benchmarks/markdown_cost.py measures
the same inputs at two sizes to show linear growth."""

from __future__ import annotations

from fixtures.recordkit import EVIDENCE, load, write
from hypothesis import given, settings
from hypothesis import strategies as st

from qsgen.core import mdcost
from qsgen.site import markdown


def big_table(n: int) -> str:
    return "|" + "a|" * n + "\n" + "|" + "-|" * n + "\n" + "a\n" * n


def reference_flood(n: int) -> str:
    return "[x]: http://e.com/" + "a" * n + "\n\n" + "[x]" * n + "\n"


def nested_emphasis(n: int) -> str:
    return "*a " * n + "a* " * n + "\n"


def test_a_table_of_columns_times_rows_cells_is_shown_as_text_with_a_note():
    src = big_table(200) + "<script>alert(1)</script>\n"  # 1.2 KB; rendered: 40,000 cells
    html, text = markdown.render_with_text(src)
    assert html.startswith("<p><strong>" + markdown.UNRENDERED["table"])
    assert len(html) < 3 * len(src) + 200
    assert "<script" not in html and "&lt;script&gt;" in html and "<table" not in html
    assert text.startswith("|a|a|") and "  " not in text
    assert (markdown.render(src), markdown.plain_text(src)) == (html, text)


def test_a_reference_used_over_and_over_is_shown_as_text_with_a_note():
    html = markdown.render(reference_flood(1000))
    assert html.startswith("<p><strong>" + markdown.UNRENDERED["reference"])
    assert html.count("http://e.com/") == 1


def test_ordinary_tables_and_references_still_render():
    table = "| 项目 | 数量 |\n| --- | ---: |\n" + "| 检查 | 3 |\n" * 300
    assert mdcost.estimate(table).ok and markdown.render(table).count("<tr>") == 301
    refs = "见[通报][1]和[报道][2]。\n\n[1]: https://example.org/a\n[2]: https://example.org/b \"标题\"\n"
    assert markdown.render(refs).count("<a href=") == 2


def test_many_emphasis_delimiters_take_the_linear_path_with_the_same_html():
    src = nested_emphasis(3000)  # the fast path is quadratic in delimiters
    assert not mdcost.fast_ok(src) and mdcost.fast_ok(nested_emphasis(100))
    md = markdown._md()
    assert markdown.render(src) == markdown.sanitise(md.render(src))


def test_the_estimate_finds_the_costly_line():
    body = "说明。\n\n" + big_table(300)
    cost = mdcost.estimate(body)
    assert (cost.reason, cost.line, cost.cells) == ("table", 2, 300 * 301)
    refs = "文字\n\n" + reference_flood(2000)
    assert (mdcost.estimate(refs).reason, mdcost.estimate(refs).line) == ("reference", 2)


def test_a_title_over_lines_counts_and_a_blank_line_ends_it():
    long_title = "[x]: u '" + "t\n" * 3000 + "'\n\n" + "[x]" * 500 + "\n"
    assert mdcost.estimate(long_title).reason == "reference"
    broken = "[x]: u '" + "t\n" * 3000 + "\n'\n\n" + "[x]" * 500 + "\n"
    assert mdcost.estimate(broken).ok


def test_check_warns_with_file_line_and_hint(tmp_path):
    body = "情况说明。\n\n" + big_table(300)
    write(tmp_path, "longgang/evidence-1.md", EVIDENCE.format(task="s01-1").replace("正文。\n", body),
          dedent=False)
    diags = [d for d in load(tmp_path)[1] if d.path.endswith("evidence-1.md")]
    assert len(diags) == 1
    d = diags[0]
    assert d.severity == "warning" and d.line == 9 and "表格太大" in d.message
    assert "90,300 个单元格" in d.message and "拆成" in d.hint


def test_check_warns_about_a_reference_flood(tmp_path):
    write(tmp_path, "longgang/evidence-1.md",
          EVIDENCE.format(task="s01-1").replace("正文。\n", reference_flood(1000)), dedent=False)
    (d,) = [d for d in load(tmp_path)[1] if d.path.endswith("evidence-1.md")]
    assert d.severity == "warning" and d.line == 7 and "引用式链接" in d.message


_MARKDOWNISH = st.text(alphabet="|-:a \n*_~[]()!<>#`>x&\"'", max_size=400)


@settings(max_examples=300, deadline=None)
@given(_MARKDOWNISH)
def test_output_stays_linear_in_the_input(src):
    html, _ = markdown.render_with_text(src)
    assert len(html) <= 40 * len(src) + 1000
    assert len(html) <= mdcost.limit(len(src)) + 200


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["|", "-|", "|-", ":", " ", "\n", "\n\n", "a", "]", "[x]: ", "http://e.com/",
                                 "\"t\"", "[", "]:"]), max_size=200).map("".join))
def test_surely_ok_only_when_the_estimate_is_ok(src):
    # (the shortcut before the estimate's scan: it may say "not sure", never "ok" wrongly)
    assert not mdcost.surely_ok(src) or mdcost.estimate(src).ok
    assert not mdcost.surely_ok(src * 40) or mdcost.estimate(src * 40).ok


def test_surely_ok_says_not_sure_of_the_costly_bodies():
    for src in (big_table(200), reference_flood(1000), big_table(30) * 30):
        assert not mdcost.surely_ok(src)
    assert mdcost.surely_ok("| 项目 | 数量 |\n| --- | ---: |\n" + "| 检查 | 3 |\n" * 30)
