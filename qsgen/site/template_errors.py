"""Jinja errors in the site templates -> QsgenError with a Diagnostic at the template's file and line."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from qsgen.core.errors import Diagnostic, QsgenError

if TYPE_CHECKING:
    import jinja2


def _where(exc: jinja2.TemplateError) -> tuple[str | None, int]:
    """The template file and line the error points at: a syntax error says so itself; for an
    error while rendering, the innermost template frame of the traceback (Jinja rewrites the
    traceback so that those frames carry the template's file name and line)."""
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return exc.filename, exc.lineno or 1
    found: tuple[str | None, int] = (None, 1)
    tb = exc.__traceback__
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:  # a frame Jinja made for a template line
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _shown_path(filename: str, root: Path) -> str:
    """Repository-relative POSIX path when the template is in the repository, else the full path."""
    path = Path(filename).resolve()
    try:
        return path.relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def diagnostic(exc: jinja2.TemplateError, root: Path, templates: Path | None = None) -> Diagnostic:
    """The Diagnostic of a Jinja error: where it is and what happened, in Chinese with Jinja's own words."""
    import jinja2

    from qsgen.site.jinjaenv import RefusedTemplate

    filename, line = _where(exc)
    original = exc.message or type(exc).__name__
    if isinstance(exc, RefusedTemplate):
        filename, line = exc.filename, 1
        message = original
        hint = "网站模板和它用到的文件必须是仓库里的普通文件，不能是指向仓库以外的链接、命名管道或设备"
    elif isinstance(exc, jinja2.TemplateNotFound):
        names = "、".join(str(n) for n in getattr(exc, "templates", None) or [exc.name])
        message = f"找不到网站模板 {names}（{original}）"
        hint = "仓库的 site_templates/ 会整体代替 qsgen 自带的模板，须包含全部页面模板；可以从 qsgen 自带的模板复制缺少的文件"
        if filename is None:
            if templates is None:
                from qsgen import site

                templates = site.TEMPLATE_DIR
            filename = str(Path(templates) / str(exc.name))
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        message = f"网站模板语法错误：{original}"
        hint = "检查这一行的 {{ }}、{% %} 是否成对，标签名和 end 标签是否写对"
    elif isinstance(exc, jinja2.UndefinedError):
        message = f"网站模板用到了不存在的变量或属性：{original}"
        hint = "检查变量名的拼写；各页面能用的变量见 qsgen 自带的同名模板"
    else:
        message = f"网站模板出错：{original}"
        hint = ""
    path = _shown_path(filename, root) if filename else "site_templates"
    if isinstance(exc, RefusedTemplate):  # where the link is, not where it points
        try:
            path = Path(os.path.abspath(filename)).relative_to(Path(root).absolute()).as_posix()
        except ValueError:
            path = filename
    return Diagnostic(path, max(1, line), 1, message, hint)


def as_qsgen_error(exc: jinja2.TemplateError, root: Path, templates: Path | None = None,
                   message: str = "网站模板有错误，未生成网站") -> QsgenError:
    return QsgenError(message, [diagnostic(exc, root, templates)])


@contextmanager
def reported(root: Path, templates: Path | None = None,
             message: str = "网站模板有错误，未生成网站") -> Iterator[None]:
    """Turn a Jinja error raised inside the block into a QsgenError (see diagnostic). (A
    block that never imported jinja2, a page rendered without Jinja, raised none.)"""
    try:
        yield
    except Exception as e:
        jinja2 = sys.modules.get("jinja2")
        if jinja2 is None or not isinstance(e, jinja2.TemplateError):
            raise
        raise as_qsgen_error(e, root, templates, message) from e
