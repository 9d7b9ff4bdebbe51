"""Record bodies: Markdown rendering is correct and nothing hostile reaches the output."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsgen.site import markdown
from qsgen.site.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, plain_text, render, sanitise

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs)

    def _tag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag {tag}")
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs:
            if name not in allowed or name.startswith("on"):
                self.problems.append(f"attribute {tag}[{name}]")
            if name in ("href", "src") and value is not None:
                # What a browser would see as the scheme: control chars and spaces ignored.
                m = _SCHEME.match(_CONTROL.sub("", value))
                if m and m.group(1).lower() not in ("http", "https", "mailto"):
                    self.problems.append(f"url {value!r}")
            if name == "style" and value and not re.fullmatch(r"text-align: ?(left|right|center);?", value):
                self.problems.append(f"style {value!r}")
            if name == "rel" and value != "nofollow noopener":
                self.problems.append(f"rel {value!r}")

    def handle_comment(self, data):
        self.problems.append("comment")

    def handle_decl(self, decl):
        self.problems.append("declaration")

    def handle_pi(self, data):
        self.problems.append("processing instruction")

    def unknown_decl(self, data):
        self.problems.append("unknown declaration")


def problems(out: str) -> list[str]:
    c = _Checker()
    c.feed(out)
    c.close()
    low = out.lower()
    for needle in ("<script", "<iframe", "<svg", "<style", "<object", "<embed", "<!--"):
        if needle in low:
            c.problems.append(f"raw {needle}")
    return c.problems


HOSTILE = [
    # raw HTML in every shape
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "text <script>alert(1)</script> inline",
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)//",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=javascript:alert(1) onclick=alert(2)>x</a>",
    "<div onclick=alert(1)>\n\n**md inside**\n\n</div>",
    "<style>body{display:none}</style>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"data:text/html,<script>alert(1)</script>\">",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<template><script>alert(1)</script></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    # HTML comments and declarations
    "<!-- secret -->",
    "<!--<script>alert(1)</script>-->",
    "<!DOCTYPE html>",
    "<?php echo 1 ?>",
    "<![CDATA[<script>alert(1)</script>]]>",
    # inline links
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](jav&#x61;script:alert(1))",
    "[x](jav&#97;script:alert(1))",
    "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[x](java%73cript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x]( javascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](java\\\nscript:alert(1))",
    "[x](\x00javascript:alert(1))",
    "[x](\u200bjavascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](VBScript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](file:///etc/passwd)",
    "[x](http://ok.example \"title\\\" onmouseover=\\\"alert(1)\")",
    "[x](http://ok.example/\"onmouseover=\"alert(1))",
    "[x](\"onmouseover=alert(1))",
    # reference links
    "[a][r]\n\n[r]: javascript:alert(1)",
    "[r]\n\n[r]: <javascript:alert(1)> \"t\"",
    "[r][]\n\n[R]: jav&#x61;script:alert(1)",
    "[r]\n\n[r]: data:text/html,<script>alert(1)</script>",
    "![r]\n\n[r]: javascript:alert(1)",
    "![r]\n\n[r]: data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
    # autolinks
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,alert(1)>",
    "<file:///etc/passwd>",
    "<mailto:a@b.example?body=<script>>",
    "www.example.com javascript:alert(1)",
    # images
    "![x](javascript:alert(1))",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](data:image/gif;base64,R0lGODlhAQABAAAAACw=)",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "![x\" onerror=\"alert(1)](x.png)",
    "![x](x.png \"t\" onerror=\"alert(1)\")",
    "[![x](javascript:alert(1))](javascript:alert(2))",
    # entity tricks that must stay text
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&#x3C;img src=x onerror=alert(1)&#x3E;",
    "\\<script>alert(1)\\</script>",
    # code keeps markup as text
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "    <script>alert(1)</script>",
    # tables
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
    "| a |\n|:--|\n| x |",
]


@pytest.mark.parametrize("src", HOSTILE)
@pytest.mark.parametrize("end", ["", "\n"], ids=["no-final-newline", "final-newline"])
def test_hostile_input_is_neutralised(src, end):
    # With and without a final newline: both parser paths of markdown.py are exercised.
    out = render(src + end)
    assert problems(out) == [], out
    html, _ = markdown.render_with_text(src + end)
    assert problems(html) == [], html


@pytest.mark.parametrize("src", HOSTILE)
def test_hostile_html_given_straight_to_the_sanitiser(src):
    # Defence in depth: even if the parser ever passed raw HTML, nh3 is the gate.
    out = sanitise(src)
    assert problems(out) == [], out


@pytest.mark.parametrize(
    "src",
    [
        "[" * 10_000,
        "]" * 10_000 + "(" * 10_000,
        ">" * 50_000 + " <script>alert(1)</script>",
        "*" * 50_000 + "<img src=x onerror=alert(1)>",
        "> " * 25_000 + "[x](javascript:alert(1))",
        "*a " * 25_000,
        "_a" * 25_000 + "_" * 25_000,
        "[a](" * 10_000 + "javascript:alert(1)",
        "![" * 10_000,
        "- " * 25_000 + "<script>",
        "`" * 50_000,
        "<" * 50_000,
        "&#" * 25_000,
        "|" * 20_000 + "\n" + "|-" * 10_000,
    ],
    ids=lambda s: repr(s[:6]),
)
def test_pathological_input_renders_sanitised(src):
    for body in (src, src + "\n"):
        out = render(body)
        assert problems(out) == []
        plain_text(body)


def test_size_cap():
    big = "字" * (markdown.MAX_CHARS + 1000)
    out = render(big)
    assert out.count("字") == markdown.MAX_CHARS


_FRAGMENTS = st.sampled_from([
    "<", ">", "[", "]", "(", ")", "!", "*", "_", "`", "\"", "'", "&", "#", ";", ":", "\n", " ",
    "javascript:", "JavaScript:", "vbscript:", "data:", "&#x61;", "&#106;", "&colon;",
    "<script>", "</script>", "onerror=", "onload=", "alert(1)", "<img src=x ", "<a href=",
    "<!--", "-->", "http://a.example", "[r]: ", "\n\n", "> ", "- ", "| ", "\t", "\\",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=40).map("".join))
def test_random_combinations_are_neutralised(src):
    assert problems(render(src)) == []
    assert problems(render(src + "\n")) == []


# ------------------------------------------------------------------ correctness


def test_commonmark_basics():
    out = render("# 标题\n\n正文 **加粗** *强调* `代码` ~~删除~~\n\n- 一\n- 二\n\n3. 三\n\n> 引用\n\n---")
    assert "<h1>标题</h1>" in out
    assert "<strong>加粗</strong>" in out
    assert "<em>强调</em>" in out
    assert "<code>代码</code>" in out
    assert "<del>删除</del>" in out
    assert "<ul>" in out and "<li>一</li>" in out
    assert '<ol start="3">' in out
    assert "<blockquote>" in out
    assert "<hr>" in out


def test_links_get_rel_and_keep_safe_urls():
    out = render("[网站](https://www.example.gov.cn/a?b=1&c=2 \"标题\") [邮件](mailto:x@example.com) "
                 "[附件](../files/a.pdf) [本页](#sec) <https://example.com>")
    assert '<a href="https://www.example.gov.cn/a?b=1&amp;c=2" title="标题" rel="nofollow noopener">网站</a>' in out
    assert 'href="mailto:x@example.com"' in out
    assert 'href="../files/a.pdf"' in out
    assert 'href="#sec"' in out
    assert out.count('rel="nofollow noopener"') == 5


def test_images_keep_relative_sources_only():
    # pages work offline and fetch nothing from other hosts: a remote image keeps its alt text
    out = render("![照片](photo.jpg \"现场\") ![远程](https://example.com/a.png)")
    assert '<img src="photo.jpg" alt="照片" title="现场">' in out
    assert '<img alt="远程">' in out


def test_tables_with_alignment():
    out = render("| 项目 | 金额 |\n|:--|--:|\n| 罚款 | 12000 |")
    assert "<table>" in out and "<thead>" in out and "<tbody>" in out
    assert '<td style="text-align:right">12000</td>' in out


def test_raw_html_is_shown_as_text():
    out = render("请看 <b>这里</b>")
    assert "&lt;b&gt;这里&lt;/b&gt;" in out


def test_no_linkify_no_typographer():
    out = render("见 www.example.com 和 \"引号\" -- (c)")
    assert "<a" not in out
    assert "(c)" in out and "--" in out


def test_bom_crlf_and_nul():
    out = render("\ufeff# 标题\r\n\r\n正文\x00")
    assert out.startswith("<h1>标题</h1>")
    assert "\x00" not in out


def test_plain_text():
    src = ("# 龙港所查处案件\n\n当事人**张三**销售[过期食品](http://x.example)，"
           "罚款 12000 元。\n\n![现场照片](a.jpg)\n\n```\n代码\n```\n\n&amp; &lt;b&gt; <i>x</i>")
    assert plain_text(src) == ("龙港所查处案件 当事人张三销售过期食品，罚款 12000 元。 现场照片 代码 & <b> <i>x</i>")


def test_plain_text_of_table_and_list():
    assert plain_text("- 一\n- 二\n\n| a | b |\n|---|---|\n| 1 | 2 |") == "一 二 a b 1 2"


def test_deterministic():
    src = "# a\n\n[x](http://e.example) ![y](z.png)\n\n| a |\n|---|\n| b |"
    assert render(src) == render(src)


def test_render_with_text_equals_the_two_calls():
    for src in HOSTILE + ["# 标题\n\n正文 [链接](http://e.example) ![图](a.png)\n\n| a |\n|---|\n| b |"]:
        assert markdown.render_with_text(src) == (render(src), plain_text(src))


@pytest.mark.parametrize("text", [
    "[a](/index.html)", "[b](//evil.example/x)", "![c](/etc/passwd)",
    "![d](https://evil.example/t.png)", "![e](HTTP://evil.example/t.png)",
])
def test_urls_that_leave_the_site_are_dropped(text):
    out = render(text)
    assert "href" not in out and "src" not in out


def test_relative_and_web_links_kept():
    assert 'src="attachments/a.png"' in render("![e](attachments/a.png)")
    assert 'href="https://www.samr.gov.cn"' in render("[总局](https://www.samr.gov.cn)")
    assert 'href="../x.md"' in render("[x](../x.md)")
