"""Record bodies: Markdown to sanitised HTML (markdown-it-py + nh3), and to plain text for search."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

# CommonMark, raw HTML off (it is escaped, never passed through), no linkify, no typographer;
# GFM tables and ~~strikethrough~~ on. markdown-it-py parses in linear time; its own link
# validator already drops javascript:/vbscript:/file:/data: (except a few image types), and
# nh3 below is the real gate.
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MD.enable(["table", "strikethrough"])
# markdown-it writes ~~x~~ as <s>; <del> is the allowlisted (and semantically right) tag.
_MD.add_render_rule("s_open", lambda self, tokens, idx, options, env: "<del>")
_MD.add_render_rule("s_close", lambda self, tokens, idx, options, env: "</del>")

# Bodies longer than this are cut before parsing. A record is a page of narrative evidence;
# 200,000 characters is far beyond any real one and keeps rendering time bounded.
MAX_CHARS = 200_000

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


def sanitise(fragment: str) -> str:
    """Reduce an HTML fragment to the narrow allowlist; the last gate before a page."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags=CLEAN_CONTENT_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
        filter_style_properties={"text-align"},
    )


def render(text: str) -> str:
    """Markdown source of a record body -> sanitised HTML fragment."""
    return sanitise(_MD.render(_prepare(text)))


def plain_text(text: str) -> str:
    """Markdown source -> the words a reader sees, whitespace collapsed (for the search index)."""
    return _tokens_text(_MD.parse(_prepare(text)))


def render_with_text(text: str) -> tuple[str, str]:
    """Both ``render(text)`` and ``plain_text(text)`` from one parse (parsing is most of the cost)."""
    env: dict = {}
    tokens = _MD.parse(_prepare(text), env)
    return sanitise(_MD.renderer.render(tokens, _MD.options, env)), _tokens_text(tokens)


_WS = re.compile(r"\s+")


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


def _prepare(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
    return text


def escape(text: str) -> str:
    """HTML-escape plain text (for callers outside Jinja2's autoescape)."""
    return html.escape(text, quote=True)
