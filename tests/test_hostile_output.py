"""Issue 20, items 9 and 10: output channels carry user text inertly. Text diagnostics never
start a line with a CI runner command; the Markdown diff comment renders titles without
images, links or @-mentions; an unterminated quote is reported where it opens."""

from __future__ import annotations

import re

from fixtures.recordkit import copy_rules, load, run_cli, write
from helpers_rules import case
from markdown_it import MarkdownIt
from test_diff import BASE, results

from qsgen.core.errors import Diagnostic
from qsgen.review import diff

INJECTED = "x\\n::error file=README.md,line=1::被注入的错误"  # (in YAML double quotes: a line break)
RUNNER = re.compile(r"^\s*(::|##\[|##vso\[)")


def runner_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if RUNNER.match(line)]


def test_a_quoted_key_with_a_line_break_never_starts_a_line_with_a_runner_command(tmp_path, capsys):
    copy_rules(tmp_path)
    write(tmp_path, "fagui/case-1.md", f'---\nkind: case\n"{INJECTED}": 1\n---\n正文。\n')
    write(tmp_path, "fagui/assessment.yaml", f'items:\n  "{INJECTED}": {{score: 1}}\n')
    for argv in (["check"], ["check", "--format", "text"]):
        code, out, err = run_cli(["--root", str(tmp_path), *argv], capsys)
        assert code == 1
        assert out.count("被注入的错误") == 2  # shown, as text
        assert runner_lines(out + err) == []
    rules = tmp_path / "rules" / "2023" / "assessment.yaml"
    rules.write_text(rules.read_text("utf-8") + f'"{INJECTED}": 1\n', "utf-8")
    code, out, err = run_cli(["--root", str(tmp_path), "check"], capsys)
    assert code == 1 and "被注入的错误" in out and runner_lines(out + err) == []
    code, out, _err = run_cli(["--root", str(tmp_path), "check", "--format", "github"], capsys)
    assert [line for line in out.splitlines() if line.startswith("::")]  # its own commands only
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in runner_lines(out))


def test_format_text_makes_every_line_inert():
    d = Diagnostic("rules/x.yaml", 1, 1, "“a\n::error::x”", "first\n  ##[error]y\n##vso[task.logissue]z\rw",
                   "warning")
    text = d.format_text()
    assert runner_lines(text) == [] and "\r" not in text
    assert "\\::error::x" in text and "\\##[error]y" in text and "\\##vso[task" in text


LIVE_TITLES = ["![x](https://evil.example/p.png)", "[点我](https://evil.example)", "@team 请看",
               "<img src=x onerror=alert(1)>", "见 https://evil.example/a 与 www.evil.example",
               "联系 a@evil.example", "&#64;team", "**粗体** _斜体_ ~~删~~ `代码`"]


def test_markdown_diff_renders_user_text_inertly():
    recs = [case("longgang", fine="60000", id=f"longgang/case-x{i}", title=t) for i, t in enumerate(LIVE_TITLES)]
    md = diff.render_markdown(diff.compare(results(BASE), results(BASE + recs), base_label="main"))
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<img" not in html and "<a " not in html and "<strong>粗体" not in html and "<code>代码" not in html
    assert "<details>" in html  # (qsgen's own HTML stays)
    plain = md.replace(diff._ZWSP, "")
    for t in ("evil.example/p.png", "点我", "请看", "onerror=alert(1)", "联系 a"):
        assert t in plain  # each title is there, as text
    assert not re.search(r"@[A-Za-z]|://|\bwww\.", md)  # no mention, no autolinked address
    assert "&#64;" not in md and "&amp;#64;team" in md


def test_the_text_diff_never_starts_a_line_with_a_runner_command():
    recs = [case("longgang", fine="60000", id="longgang/case-x", title="标题\n::error file=README.md::被注入")]
    text = diff.render_text(diff.compare(results(BASE), results(BASE + recs), base_label="main"))
    assert "被注入" in text and runner_lines(text) == []


def test_an_unterminated_quote_is_reported_where_it_opens(tmp_path):
    """The issue's reproduction: a quote opened on line 3 and never closed was reported at the
    closing --- (8:1)."""
    write(tmp_path, "fagui/news-1.md", '---\nkind: news\ntitle: "县融媒体报道\ndate: 2023-05-12\n'
                                       'level: county\noutlet: 沁水县融媒体中心\nurl: https://example.org\n---\n正文。\n')
    _records, diags = load(tmp_path)
    errors = [d for d in diags if d.severity == "error"]
    assert errors and errors[0].line == 3 and errors[0].col == 8, [d.format_text() for d in errors]
    assert "引号" in errors[0].message + errors[0].hint
