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
