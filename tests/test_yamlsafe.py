"""yamlsafe: text scalars with line marks; tags, anchors, aliases and duplicate keys refused."""

from qsgen.core.yamlsafe import load


def test_scalars_stay_text_as_written():
    node, diags = load(
        "outlet: no\ncase_no: 010\ntime: 12:30\nfine: 12000.50\ndate: '2023-06-02'\nflag: yes\n", "r.md"
    )
    assert diags == []
    assert node.plain() == {
        "outlet": "no", "case_no": "010", "time": "12:30", "fine": "12000.50",
        "date": "2023-06-02", "flag": "yes",
    }
    assert node.value["date"].quoted and not node.value["fine"].quoted


def test_lines_are_offset_and_point_at_values():
    node, _ = load("title: a\nlist:\n  - x\n  - y\n", "r.md", line_offset=1)
    assert node.value["title"].line == 2
    assert node.value["list"].key_line == 3
    assert [n.line for n in node.value["list"].value] == [4, 5]


def test_python_tag_refused_never_executed():
    node, diags = load("a: !!python/object/apply:os.system ['echo hacked']\n", "r.md")
    assert node is None
    assert diags[0].line == 1 and "标签" in diags[0].message


def test_anchors_and_aliases_refused():
    bomb = "a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n"
    node, diags = load(bomb, "r.md")
    assert node is None and "锚点" in diags[0].message and diags[0].line == 1


def test_duplicate_key_names_both_lines():
    node, diags = load("a: 1\nb: 2\na: 3\n", "r.md", line_offset=1)
    assert node is None
    assert diags[0].line == 4 and "第 2 行" in diags[0].message


def test_tab_indentation_explained():
    _, diags = load("a:\n\tb: 1\n", "r.md")
    assert diags[0].line == 2 and "Tab" in diags[0].message


def test_full_width_colon_points_at_its_line():
    _, diags = load("title: x\nlevel：省级\ndate: 2023-01-01\n", "r.md", line_offset=1)
    assert diags[0].line == 3 and "中文冒号" in diags[0].message
    assert diags[0].col == 6


def test_value_with_colon_hint():
    _, diags = load("title: 会议: 安排\n", "r.md")
    assert "引号" in diags[0].hint


def test_empty_document():
    assert load("", "r.md") == (None, [])


# ---- the flat front matter read without the parser (yamlsafe._flat) equals the parser's reading

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from qsgen.core import yamlsafe  # noqa: E402


def _by_parser(text, off):
    import yaml

    root = yaml.compose(text, Loader=yamlsafe._Loader)
    return None if root is None else yamlsafe._convert(root, None, set(), off)


def _tree(node):
    if node is None:
        return None
    v = node.value
    if isinstance(v, dict):
        v = {k: _tree(x) for k, x in v.items()}
    elif isinstance(v, list):
        v = [_tree(x) for x in v]
    return (v, node.line, node.col, node.key_line, node.quoted)


_PIECES = st.sampled_from([*"ab09_-: #&*'\"!|>%@`,[]{}?\t\\~=.()（）：　\u00a0\u0085\u2028\ufeff\x7f\x01é中文𝄞",
                           "yes", "null", "2023-01-02", "---", "...", "\r", "a: b", " #c"])
_VALUES = st.lists(_PIECES, max_size=8).map("".join)
_LINES = st.tuples(st.sampled_from(["kind", "title", "a", "A_1", "date", "x" * 70, "y-z", "é"]),
                   st.one_of(_VALUES, _VALUES.map(lambda v: f'"{v}"'),
                             st.lists(_VALUES, max_size=3).map(lambda vs: "[" + ", ".join(vs) + "]")))


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_LINES, min_size=1, max_size=4), st.integers(0, 3), st.booleans())
def test_flat_front_matter_reads_as_the_parser_reads_it(lines, off, newline):
    text = "\n".join(f"{k}: {v}" for k, v in lines) + ("\n" if newline else "")
    fast = yamlsafe._flat(text, off)
    if fast is not None:
        assert _tree(fast) == _tree(_by_parser(text, off)), text
        assert load(text, "r.md", off)[0] is not None


def test_flat_front_matter_taken_and_refused():
    text = 'kind: case\ntitle: "标题：含冒号 # 和 & *"\ndate: 2023-06-02\n'
    node = yamlsafe._flat(text, 1)
    assert node is not None and _tree(node) == _tree(_by_parser(text, 1))
    assert node.value["title"].quoted and node.value["title"].col == 8
    for flow in ("a: [x]\n", "a: [附件/甲.pdf, b, c]\nk: v\n", "a: []\n", "a: [x'y, z\"]\n"):
        node = yamlsafe._flat(flow, 1)
        assert node is not None and _tree(node) == _tree(_by_parser(flow, 1)), flow
    for other in ("a: 1\na: 2\n", "a: 1\n\nb: 2\n", "a: x # c\n", "a: 12:30\n", 'a: "x\\n"\n', "a: [x,y]\n",
                  "a: [ x]\n", "a: [x ]\n", "a: [x y]\n", "a: [-x]\n", "a: [x, [y]]\n", "a: [x]]\n", "a: ['x']\n",
                  "a: &x y\n", "a: !!str y\n", "a:  y\n", "a: y \n", "a: 'y'\n", "  a: y\n", "a: y\r\n", ""):
        assert yamlsafe._flat(other, 0) is None, other
    # what the parser refuses is still refused with its own message
    assert "两次" in load("a: 1\nb: 2\na: 3\n", "r.md")[1][0].message


_SIMPLE = st.lists(st.sampled_from([*"ab9_.", "中文", "é", "x y", "-", "'", "#", ":", "[", "\"", " "]),
                   min_size=1, max_size=3).map("".join)
_PAIR = st.tuples(st.sampled_from(["outlet", "level", "é"]), st.one_of(_SIMPLE, _SIMPLE.map(lambda v: f'"{v}"')))
_ITEM = st.lists(_PAIR, min_size=1, max_size=3, unique_by=lambda p: p[0]).map(
    lambda ps: "\n".join(("  - " if n == 0 else "    ") + f"{k}: {v}" for n, (k, v) in enumerate(ps)))
_ODD = st.sampled_from(["adopted_by:  ", "adopted_by:\t", "   x: y", "  -x: y", "      z: w", "  - [a]", "", "  # c",
                        "    - q: r", "  - a: [b]", "- a: b", "  - a:", "  -  a: b", "    a: b", "k: v", "adopted_by:"])


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(_ITEM, _ITEM, _ITEM, _ITEM, _ITEM, _ODD), min_size=1, max_size=4),
       st.sampled_from(["", "kind: news\n"]), st.sampled_from(["", "\ntitle: t"]), st.integers(0, 3),
       st.sampled_from(["", " ", "  "]))
def test_flat_lists_of_mappings_read_as_the_parser_reads_them(items, head, tail, off, space):
    text = head + "adopted_by:" + space + "\n" + "\n".join(items) + tail + "\n"
    fast = yamlsafe._flat(text, off)
    if fast is not None:
        assert _tree(fast) == _tree(_by_parser(text, off)), text


def test_flat_lists_of_mappings_taken_and_refused():
    text = "kind: news\nadopted_by: \n  - outlet: 山西新闻网\n    level: provincial\n  - outlet: \"x\"\ntitle: t\n"
    node = yamlsafe._flat(text, 1)
    assert node is not None and _tree(node) == _tree(_by_parser(text, 1))
    assert [i.value["outlet"].value for i in node.value["adopted_by"].value] == ["山西新闻网", "x"]
    for other in ("a:\n", "a:\nb: c\n", "a:\n  - b: c\n  - b: d\n    b: e\n", "a:\n  - b: [c]\n", "a:\n- b: c\n",
                  "a:\n  - b: c\n      d\n", "a:\n  - b: c\n   d: e\n", "a:\n  - b: c\na:\n  - b: c\n"):
        assert yamlsafe._flat(other, 0) is None, other
