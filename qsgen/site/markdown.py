"""Record bodies: Markdown to sanitised HTML (markdown-it-py + nh3), and to plain text for search."""

from __future__ import annotations

import re
from functools import cache

from qsgen.core import lazyre, mdcost


@cache
def _md():
    """markdown-it-py, made on first use (most bodies take the faster path below, and its
    import is a sixth of an incremental build's start-up).

    CommonMark, raw HTML off (it is escaped, never passed through), no linkify, no
    typographer; GFM tables and ~~strikethrough~~ on. markdown-it-py parses in linear time;
    its own link validator already drops javascript:/vbscript:/file:/data: (except a few image
    types), and nh3 below is the real gate."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    # markdown-it writes ~~x~~ as <s>; <del> is the allowlisted (and semantically right) tag.
    md.add_render_rule("s_open", lambda self, tokens, idx, options, env: "<del>")
    md.add_render_rule("s_close", lambda self, tokens, idx, options, env: "</del>")
    return md

MAX_CHARS = mdcost.MAX_CHARS
_prepare = mdcost.prepare

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "del",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},  # markdown-it writes column alignment as style="text-align:…"
    "td": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}  # relative URLs pass too (nh3's default)
LINK_REL = "nofollow noopener"
# Tags whose content is dropped with them (never reachable with html off, but the sanitiser
# must not depend on the parser's settings).
CLEAN_CONTENT_TAGS = {"script", "style", "iframe", "object", "embed", "template", "noscript",
                      "textarea", "title", "xmp", "noembed", "noframes", "svg", "math"}


def _url_filter(tag: str, attr: str, value: str) -> str | None:
    """Drop URLs that would break or leak on a static site served from any sub-path.

    Root-relative (``/x``) and protocol-relative (``//host/x``) URLs point outside the site
    when it is published under a sub-path or opened as files; images are only the site's own
    (relative) files, never fetched from another host when a page is read.
    """
    if attr in ("href", "src"):
        v = value.strip()
        if v.startswith(("/", "\\")):
            return None
        if tag == "img" and ":" in v.split("/", 1)[0]:
            return None
    return value


def sanitise(fragment: str) -> str:
    """Reduce an HTML fragment to the narrow allowlist; the last gate before a page."""
    import nh3  # (here: a build whose pages have only plain tags never loads it, _as_nh3)

    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags=CLEAN_CONTENT_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_url_filter,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
        filter_style_properties={"text-align"},
    )


# The tags markdown-it writes that carry no URL, with the only attributes it gives them: HTML
# made of these alone (and no character an HTML parser would change) is sanitised by
# rewriting it the way nh3 serialises it (_as_nh3 below), not by parsing it again (nh3 cost
# four times the Markdown parse). tests/test_markdown_sanitise.py holds the two to the same
# bytes on every hostile sample, the corpus and random input; anything else goes through nh3.
# (_PLAIN_TAG itself is compiled only by the tests: the pages use _OTHER_TAG, made of its text.)
_PLAIN_TAG = lazyre.compile(r'<(?:/?(?:p|h[1-6]|strong|em|del|code|pre|blockquote|ul|ol|li|table|thead|tbody|tr|th|td)'
                            r'|br /|hr /|ol start="[0-9]{1,9}"|t[hd] style="text-align:(?:left|center|right)"'
                            r'|code class="[^"&<>]*")>')
_PARSER_CHANGES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufdd0-\ufdef\ufeff\ufffe\uffff]")
# A "<" that does not start one of those tags (the same test as: any "<" left once they are
# all removed; none of them holds a "<" after its first character), found without a copy.
_OTHER_TAG = re.compile("<(?!" + _PLAIN_TAG.pattern[1:] + ")")
_CODE_CLASS = lazyre.compile(r'<code class="[^"]*">')


def sanitise_rendered(fragment: str) -> str:
    """``sanitise(fragment)`` for HTML written by markdown-it (raw HTML off): the same bytes."""
    if _OTHER_TAG.search(fragment) or _PARSER_CHANGES.search(fragment):
        return sanitise(fragment)
    return _as_nh3(fragment)


def _as_nh3(fragment: str) -> str:
    """markdown-it's HTML of plain tags as nh3 writes it: void tags without " /", quotes in
    text unescaped, no-break spaces as &nbsp;, code blocks without their language class."""
    out = fragment.replace("<br />", "<br>").replace("<hr />", "<hr>") if " />" in fragment else fragment
    out = out.replace("&quot;", '"')
    if "\xa0" in out:
        out = out.replace("\xa0", "&nbsp;")
    if '<code class="' in out:
        out = _CODE_CLASS.sub("<code>", out)
    return out


def render(text: str) -> str:
    """Markdown source of a record body -> sanitised HTML fragment."""
    return render_with_text(text)[0]


def plain_text(text: str) -> str:
    """Markdown source -> the words a reader sees, whitespace collapsed (for the search index)."""
    return render_with_text(text)[1]


def render_with_text(text: str) -> tuple[str, str]:
    """Both the sanitised HTML fragment and the plain text (for the search index) of a body,
    from one parse (parsing is most of the cost). A body whose HTML would be out of proportion
    to its length (core/mdcost.py; ``qsgen check`` warns about it) is shown as its escaped
    text with a note instead."""
    src = _prepare(text)
    if not mdcost.surely_ok(src):
        cost = mdcost.estimate(src)
        if not cost.ok:
            return _unrendered(src, cost), _WS.sub(" ", src).strip()
    fast = _render_fast(src) if _fast_ok(src) and mdcost.fast_ok(src) else None
    if fast is not None:
        return sanitise_rendered(fast[0]), fast[1]
    env: dict = {}
    md = _md()
    tokens = md.parse(src, env)
    return sanitise(md.renderer.render(tokens, md.options, env)), _tokens_text(tokens)


# The note shown above a body that is not rendered (mdcost.Cost.reason → what is too large).
UNRENDERED = {
    "table": "这段正文里的表格太大（单元格太多），网站不排版，按原文显示。",
    "reference": "这段正文里的引用式链接展开后太长，网站不排版，按原文显示。",
}


def _unrendered(src: str, cost: mdcost.Cost) -> str:
    import html

    return (f"<p><strong>{UNRENDERED[cost.reason]}</strong></p>\n"
            f"<pre>{html.escape(src, quote=False)}</pre>\n")


# markdown-it.rs (markdown-it-pyrs), a Rust port of markdown-it that gives the same HTML as
# _md() above, parses about 4x faster; rendering Markdown was most of a 10,000-record build.
# The same rules as the commonmark preset with html off (no html_block / html_inline: raw
# HTML is escaped), plus table and strikethrough. markdown-it-py stays as the fallback;
# tests/test_markdown_parity.py holds the two to the same output.
try:
    import markdown_it_pyrs as _rs
except ImportError:  # pragma: no cover - the dependency is declared; fallback only
    _rs = None
_FAST_RULES = ["blockquote", "code", "fence", "heading", "hr", "lheading", "list", "paragraph",
               "reference", "autolink", "backticks", "emphasis", "entity", "escape", "image", "link",
               "newline", "strikethrough", "table"]
_FAST = _rs.MarkdownIt("zero").enable_many(_FAST_RULES) if _rs is not None else None
# On ordinary records the two give the same bytes (tests/test_markdown_parity.py); on odd
# constructions (an empty blockquote, runs of ~~) markdown-it.rs may differ slightly, always
# through the same sanitiser. markdown-it-py stops nesting at 20 levels (and drops what is
# deeper); markdown-it.rs does not stop, and a few thousand levels overflow its stack (a crash,
# not an exception). Nesting needs a marker or indentation at the start of a line, so a body
# with no line starting with more than 20 such characters nests at most 20 deep: only those
# bodies take the fast path.
_DEEP_PREFIX = lazyre.compile(r"^[ \t>*+\-0-9.)]{21,}", re.M)
# The same search, as a match at the start and a search from each newline (a pattern led by a
# literal is searched for that character first, not tried at every position): ~3x faster.
_DEEP_FIRST = lazyre.compile(r"[ \t>*+\-0-9.)]{21}")
_DEEP_AFTER = lazyre.compile(r"\n[ \t>*+\-0-9.)]{21}")


def _fast_ok(src: str) -> bool:
    # Without a final newline the two differ on a code block left open at the end.
    # (_DEEP_PREFIX.search(src) is None)
    return (_FAST is not None and src.endswith("\n") and _DEEP_FIRST.match(src) is None
            and _DEEP_AFTER.search(src) is None)


def _fast(src: str) -> tuple[str, str] | None:
    """(html, plain text) from markdown-it.rs, or None when the body must take markdown-it-py."""
    return _render_fast(src) if _fast_ok(src) else None


def _render_fast(src: str) -> tuple[str, str] | None:
    """_fast() for a body that _fast_ok() allows."""
    # markdown-it.rs reads its argument as UTF-8, and CPython keeps the UTF-8 copy it makes of
    # a non-ASCII str inside that str for as long as the str lives. ``src`` is usually the
    # record's own body, kept until the end of the build: each body would carry a second,
    # UTF-8 copy (about 40 MB at 50,000 records). A fresh copy takes the UTF-8 with it.
    src = src[:1] + src[1:]
    try:
        # Raw HTML is escaped, so a literal <s> in the output can only be strikethrough.
        out = _FAST.render(src)
        if "<s>" in out:
            out = out.replace("<s>", "<del>").replace("</s>", "</del>")
        return out, html_text(out)
    except BaseException as e:  # a Rust panic arrives as pyo3's PanicException (a BaseException)
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return None


_IMG_ALT = lazyre.compile(r'<img src="[^"]*" alt="([^"]*)"[^>]*>')


def html_text(fragment: str) -> str:
    """The words of markdown-it.rs's HTML, as _tree_text gives them from the tree: inline
    tags vanish, an image is its alt text between spaces, every other tag is a space; then
    entities are decoded and whitespace collapsed. From the HTML, so that a body is parsed
    once (the tree was a second parse).

    Raw HTML off, every ``<`` and ``>`` of the text and of attribute values is escaped: each
    ``<`` starts a tag and the next ``>`` ends it, so the text is every other piece of the
    HTML cut at both (str methods: ~1.7 µs a body less than two regex substitutions). And
    markdown-it puts a line break outside every tag that is not inline (its renderer's cr()):
    no such tag stands between two characters of text, so removing it leaves the words
    apart as a space would. tests/test_markdown_sanitise.py holds this to the tree on every
    hostile sample, the corpus and random input."""
    out = _IMG_ALT.sub(r" \1 ", fragment) if "<img" in fragment else fragment
    out = "".join(out.replace(">", "<").split("<")[::2])
    # (split() and \s are the same whitespace: " ".join(split()) is _WS.sub(" ", …).strip())
    if "&" in out:
        import html  # (html.entities is the largest part: imported where it is needed)

        out = html.unescape(out)
    return " ".join(out.split())


_TEXT_NODES = frozenset({"text", "text_special"})
_INLINE_NODES = frozenset({"text", "text_special", "em", "strong", "strikethrough", "code_inline",
                           "link", "autolink", "image", "softbreak", "hardbreak"})


def _tree_text(root) -> str:
    """plain_text from a markdown-it-pyrs tree: after collapsing whitespace, word for word what
    _tokens_text gives (which puts a space after every block's inline run; here every block
    node is wrapped in spaces). Iterative: a hostile body may nest thousands of levels deep."""
    parts: list[str] = []
    stack: list = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, str):  # a separator scheduled after a node's children
            parts.append(node)
            continue
        name = node.name
        if name in _TEXT_NODES:
            parts.append(node.meta.get("content", ""))
        elif name in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif name in ("code_block", "fence"):
            parts.append(" ")
            parts.append(node.meta.get("content", ""))
            parts.append(" ")
        else:
            if name == "image" or name not in _INLINE_NODES:
                parts.append(" ")
                stack.append(" ")
            stack.extend(reversed(node.children))
    return _WS.sub(" ", "".join(parts)).strip()


_WS = lazyre.compile(r"\s+")


def _tokens_text(tokens) -> str:
    parts: list[str] = []
    for tok in tokens:
        if tok.type == "inline" and tok.children:
            for child in tok.children:
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type == "image":
                    parts.append(" ")
                    parts.append(_image_alt(child))
                    parts.append(" ")
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
            parts.append(" ")
        elif tok.type in ("code_block", "fence"):
            parts.append(tok.content)
            parts.append(" ")
    # markdown-it has already decoded entities in text tokens; nothing is unescaped twice.
    return _WS.sub(" ", "".join(parts)).strip()


def _image_alt(tok) -> str:
    return "".join(c.content for c in (tok.children or []) if c.type in ("text", "code_inline"))


def escape(text: str) -> str:
    """HTML-escape plain text (for callers outside Jinja2's autoescape)."""
    import html

    return html.escape(text, quote=True)
