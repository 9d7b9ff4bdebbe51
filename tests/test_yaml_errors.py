"""Every YAML syntax error in plain Chinese, with its likely cause and line (core/yamlerrors.py,
the records' precheck in records/frontmatter.py)."""

from __future__ import annotations

import random
import re

import pytest
import yaml
from fixtures.recordkit import copy_rules, load, write

from qsgen.core import yamlerrors, yamlsafe
from qsgen.records.frontmatter import parse_yaml

# PyYAML's own words: none may reach a user.
ENGLISH = re.compile(r"expected|found|while|allowed|scanning|parsing|character|token|document|"
                     r"unicode|position|stream|indicator", re.I)

# (YAML text, line, col or None, words in the message, words in the hint), read as a rules file
# (yamlsafe.load: no precheck).
CASES = [
    # Chinese comma between the fields of a {…} (issue 19), in a list of {…} too
    ("s01-1: {score: 18，note: 缺签字}\n", 1, 18, "中文逗号", "英文逗号"),
    ("adopted_by: [{outlet: 人民网，level: 国家级}]\n", 1, 26, "中文逗号", "“, level: …”"),
    ("news_quota: {national: 1， provincial: 3}\n", 1, 25, "中文逗号", "“, provincial: …”"),
    # two fields on one line outside {…}
    ("units:\n  - slug: x\n    points: 10，max: 3\n", 3, 15, "一行只能写一个字段", "另起一行"),
    ("points: 10, max: 3\n", 1, 11, "一行只能写一个字段", "另起一行"),
    # a full-width colon after a key, noticed by PyYAML on the next line
    ("title: x\nlevel：省级\ndate: 2023-01-01\n", 2, 6, "中文冒号", "英文冒号"),
    # quotes: never closed (point at the opening quote, not at the end of the file), closed too early
    ('title: "未闭合\ndate: 2023-01-01\n', 1, 8, "引号没有配对", "引号"),
    ("title: '未闭合\ndate: 2023-01-01\n", 1, 8, "引号没有配对", "引号"),
    ('title: "他说"好""\n', 1, 12, "引号里又用了同样的引号", "中文引号"),
    ("title: 'abc' def\n", 1, 14, "引号", "引号"),
    # Tab
    ("\tkind: case\n", 1, 1, "Tab", "空格"),
    ("kind: case\n\ttitle: x\n", 2, 1, "Tab", "空格"),
    ("title: |\n  \t说明\n", 2, 3, "Tab", "空格"),
    # a colon in a value, a line indented too far, a line without a colon
    ("title: 会议: 安排\n", 1, 10, "冒号", "引号"),
    ("title: x\n  date: 2023\n", 2, 7, "多缩进", "左对齐"),
    ("kind: case\ntitle  x\ndate: 2023\n", 2, 1, "缺少英文冒号", "字段名: 值"),
    ("title: x\n: y\n", 2, 1, "缺少字段名", "字段名: 值"),
    # brackets: not closed (point at the opening one), one too many, text after them
    ("items:\n  t01: {score: 9, note: 缺签字\nassessor: x\n", 2, 8, "花括号", "成对"),
    ("adopted_by: [{outlet: 人民网, level: 国家级}\ndate: 2023-01-01\n", 1, 13, "方括号", "成对"),
    ("items:\n  t01: {score: 9.5 note: x}\n", 2, 24, "英文逗号", "英文逗号"),
    ("items: {t01: {score: 9}}}\n", 1, 25, "多了一个“}”", "成对"),
    ("tags: [a, b]]\n", 1, 13, "多了一个“]”", "成对"),
    ("title: [重要] 会议\n", 1, 13, "括号后面还有文字", "中文括号"),
    ("tags: [a, , b]\n", 1, None, "括号里多了", "逗号"),
    ("title: ]\n", 1, 8, "多了一个“]”", "成对"),
    # a value starting with a sign YAML reserves
    ("title: @某某\n", 1, 8, "“@”", "引号"),
    ("title: `反引号`\n", 1, 8, "“`”", "引号"),
    ("title: %百分比\n", 1, 8, "“%”", "引号"),
    ("title: *重要*\n", 1, None, "*", "引号"),
    ("title: &\n", 1, None, "&", "引号"),
    ("title: !紧急\n", 1, None, "!", "引号"),
    ("title: | 说明\n", 1, None, "|", "引号"),
    ("title: > 说明\n", 1, None, ">", "引号"),
    ("title: ? 问号\n", 1, None, "?", "引号"),
    ("title: -\n- x\n", 1, None, "列表项", "引号"),
    ("%YAML 1.1\n%YAML 1.1\na: 1\n", None, None, "%", "引号"),
    ("%YAML 2.0\n---\na: 1\n", None, None, "%", "引号"),
    # backslashes in double quotes
    ('title: "C:\\文件"\n', 1, 11, "反斜杠", "单引号"),
    ('title: "a\\x"\n', 1, None, "反斜杠", "单引号"),
    # lists
    ("title: x\n- 一项\n", 2, 1, "列表项", "缩进"),
    ("adopted_by:\n  - outlet: a\n   level: b\n", 3, 4, "列表", "对齐"),
    # indentation, a second document, a control character
    ("  title: x\ndate: y\n", 2, 1, "缩进不一致", "对齐"),
    ("items:\n  t01:\n    score: 9\n   note: x\n", 4, 4, "缩进不一致", "对齐"),
    ("title: x\ndate: 2023-01-01\n---\nfoo: 1\n", 3, 1, "---", "---"),
    ("title: a\x07b\n", 1, 9, "控制字符（U+0007）", "删掉"),
]


@pytest.mark.parametrize("text,line,col,message,hint", CASES)
def test_each_error_in_chinese_with_its_cause_and_line(text, line, col, message, hint):
    node, diags = yamlsafe.load(text, "rules/2023/x.yaml")
    assert node is None and len(diags) == 1
    d = diags[0]
    assert message in d.message and hint in d.hint, (d.message, d.hint)
    assert not ENGLISH.search(d.message + d.hint), d
    if line is not None:
        assert d.line == line, d
    if col is not None:
        assert d.col == col, d


def test_every_row_of_the_table_is_reached():
    """Each kind of error ERRORS names is one that the cases above make PyYAML raise."""
    reached = set()
    for text, *_ in CASES:
        try:
            yaml.compose(text, Loader=yamlsafe._Loader)
        except yaml.MarkedYAMLError as e:
            words = f"{e.problem or ''} {e.context or ''}"
            reached.add(next(row[0] for row in yamlerrors.ERRORS if row[0] in words))
        except yaml.YAMLError:
            pass
    # (the words of PyYAML's pure-Python loader, and twins of the rows above that libyaml
    # raises only in contexts matched earlier)
    unreached = {row[0] for row in yamlerrors.ERRORS} - reached
    assert unreached <= {"<block end>", "simple key", "document indicator", "undefined alias",
                         "found unexpected ':'", "comment or"}, unreached


TOKENS = ["a", "b: ", "title", ":", ": ", "，", "：", "\n", "\n  ", "\n    ", "\t", "- ", "-", "[", "]",
          "{", "}", ",", ", ", "'", '"', "#", " ", "x y", "中文", "!", "&", "*", "|", ">", "%", "@",
          "`", "?", "? ", "---", "...", "\\", '"\\q"', "\x07", "\u3000", "2023-01-01", "'a'", '"a"',
          "|\n  ", "|0", "%YAML 1.1\n", "%TAG ! !x\n", "\n- ", "\u2028", "\x85"]


@pytest.mark.parametrize("loader", ["libyaml", "python"])
def test_no_english_for_any_broken_text(loader, monkeypatch):
    """Random YAML-ish texts: whatever PyYAML (libyaml or its pure-Python loader) says about
    them reaches the user in Chinese."""
    if loader == "python":
        monkeypatch.setattr(yamlsafe, "_Loader", yaml.BaseLoader)
    rnd = random.Random(19)
    seen = 0
    for _ in range(3000 if loader == "libyaml" else 800):
        text = "".join(rnd.choice(TOKENS) for _ in range(rnd.randint(1, 10)))
        for diags in (yamlsafe.load(text, "x.yaml")[1], parse_yaml(text, "x.md", 2)[1]):
            for d in diags:
                seen += 1
                assert not ENGLISH.search(d.message + d.hint), (text, d)
                assert d.line >= 1 and d.col >= 1
    assert seen > 500


# ------------------------------------------------------------ records: the precheck


@pytest.mark.parametrize("text,line,col,message", [
    ("items:\n  s01-1: {score: 18，note: 缺签字}\n", 2, 20, "字段 note 前面用了中文逗号"),
    ("items:\n  t01: {score: 18, note：缺签字}\n", 2, 24, "字段 note 后面用了中文冒号"),
    ("items:\n  t01: {score:18, note: x}\n", 2, 14, "字段 score 的冒号后面缺少空格"),
    ("adopted_by: [{outlet: 人民网，level: 国家级}]\n", 1, 26, "字段 level 前面用了中文逗号"),
])
def test_precheck_names_the_field_and_repairs(text, line, col, message):
    node, diags = parse_yaml(text, "records/2023/longgang/assessment.yaml", 1)
    assert [(d.line, d.col) for d in diags] == [(line, col)] and message in diags[0].message


def test_chinese_commas_in_text_are_left_alone():
    for text in ("title: 甲，乙，丙\n", "items:\n  t01: {score: 9, note: 缺签字，扣2分}\n",
                 "adopted_by: [{outlet: 人民日报，海外版, level: 国家级}]\n"):
        node, diags = parse_yaml(text, "r.md", 2)
        assert diags == [] and node is not None


def test_assessment_note_cut_by_an_english_comma(tmp_path):
    """{score: 18, note: 缺签字, 扣2分}: "扣2分" is read as a field; the hint says why."""
    copy_rules(tmp_path)
    write(tmp_path, "longgang/assessment.yaml", "items:\n  s01-1: {score: 18, note: 缺签字, 扣2分}\n")
    diags = load(tmp_path)[1]
    d = next(d for d in diags if "扣2分" in d.message)
    assert "逗号" in d.hint and "中文逗号“，”" in d.hint and 'note: "缺签字, 扣2分"' in d.hint


def test_assessment_chinese_comma_reported_once_at_its_place(tmp_path):
    copy_rules(tmp_path)
    write(tmp_path, "longgang/assessment.yaml", "items:\n  s01-1: {score: 18，note: 缺签字}\n")
    diags = load(tmp_path)[1]
    assert [(d.line, d.col) for d in diags] == [(2, 20)] and "中文逗号" in diags[0].message
