"""The site templates' Jinja2 environment: its loader (confined to the templates' folder), its template and environment classes, the number filters."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from jinja2 import TemplateNotFound

from qsgen.site.templates import (
    _DICT_ATTRIBUTES,
    _escape,
    num,
    plain,
    refused_template,
    signed,
    template_bytes,
    template_path,
)

__all__ = ["ConfinedLoader", "RefusedTemplate", "TemplateNotFound", "environment"]


RefusedTemplate = refused_template()


class ConfinedLoader(jinja2.BaseLoader):
    """jinja2.FileSystemLoader's job for one folder, through template_bytes: a template that is
    a link out of the repository, a FIFO, a device or too large is an error, never read."""

    def __init__(self, templates: Path) -> None:
        self.templates = Path(templates)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        data = template_bytes(self.templates, template)
        filename = os.path.join(self.templates, *template_path(template))
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise RefusedTemplate(filename, f"网站模板文件 {template} 不是 UTF-8 编码") from e
        try:
            mtime = os.path.getmtime(filename)
        except OSError:
            mtime = None

        def uptodate() -> bool:
            try:
                return os.path.getmtime(filename) == mtime
            except OSError:
                return False

        return source, os.path.normpath(filename), uptodate

    def list_templates(self) -> list[str]:
        return sorted(n for n in os.listdir(self.templates) if n.endswith(".html"))


class _Template(jinja2.Template):
    """A compiled template whose output escaping is _escape. The generated code only yields
    what escape() returns (joined into the page), so a str there writes what a Markup would."""

    @classmethod
    def _from_namespace(cls, environment: Any, namespace: Any, globals: Any) -> Any:
        if namespace.get("escape") is markupsafe.escape:
            namespace["escape"] = _escape
        return super()._from_namespace(environment, namespace, globals)


class _Environment(jinja2.Environment):
    """jinja2.Environment, with ``x.name`` on a plain dict looked up as ``x["name"]`` at once.

    Jinja tries ``getattr(x, "name")`` first and the item after the AttributeError; the pages
    pass their data as dicts, so every ``rec.title`` raised and caught an exception (~30 a
    record page). A plain dict has no attribute but dict's own, so for any other name the
    result is the same, undefined included."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    template_class = _Template


def environment(templates: Path, places: int, rounding: str) -> jinja2.Environment:
    """A Jinja2 environment for ``templates`` with the number filters of the rules' display
    settings (num, signed, plain). The filters are functions of those settings, not bound
    methods of the site: a filter holding the site would make site and environment a
    reference cycle, and builds run with the cyclic collector paused, so the site and all it
    holds (~30 MB at 50,000 records) would stay. Templates are read once per environment: a
    changed template is seen by the next environment (the next build)."""
    env = _Environment(
        loader=ConfinedLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Compiled once and never stat'ed again: an environment lives for one build (each
        # build, and each of `qsgen serve`'s rebuilds, makes its Site and so a new one), and
        # with auto_reload every one of ~20,000 template lookups at 10,000 records stats the file.
        auto_reload=False,
    )
    fmt = {"places": places, "rounding": rounding}
    env.filters["num"] = functools.partial(num, **fmt)
    env.filters["signed"] = functools.partial(signed, **fmt)
    env.filters["plain"] = functools.partial(plain, **fmt)
    return env
