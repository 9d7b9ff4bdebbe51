"""The site's Jinja2 templates: where they are (the repository's own or qsgen's) and their environment."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from qsgen.core import display
from qsgen.repo.files import Refused, read_file


def _default_templates() -> Path:
    """qsgen's own templates: site_templates/ of this checkout, else the installed copy (pyproject.toml)."""
    checkout = Path(__file__).resolve().parent.parent.parent / "site_templates"
    if (checkout / "base.html").is_file():
        return checkout
    import importlib.util

    spec = importlib.util.find_spec("qsgen_site_templates")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))).resolve()
    return checkout


TEMPLATE_DIR = _default_templates()


def confinement(templates: Path) -> str:
    """The folder every template file must resolve inside: the repository (the parent of its
    site_templates/), or qsgen's own templates folder."""
    if os.path.realpath(templates) == os.path.realpath(TEMPLATE_DIR):
        return os.path.realpath(TEMPLATE_DIR)
    return os.path.realpath(Path(templates).parent)


class RefusedTemplate(jinja2.TemplateError):
    """A template or asset file that is not read (repo.files.Refused): ``filename`` and why."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(reason)
        self.filename = filename


def template_bytes(templates: Path, name: str) -> bytes:
    """A file of the templates' folder (a template or an asset such as style.css), read
    confined (repo.files.read_file); RefusedTemplate when it is not a regular file inside the
    repository, jinja2.TemplateNotFound when it does not exist."""
    pieces = jinja2.loaders.split_template_path(name)
    full = os.path.join(templates, *pieces)
    try:
        return read_file(full, within=confinement(templates))
    except Refused as e:
        if e.kind == "missing":
            raise jinja2.TemplateNotFound(name) from None
        raise RefusedTemplate(full, f"网站模板文件 {name} {e.reason}") from None


class ConfinedLoader(jinja2.BaseLoader):
    """jinja2.FileSystemLoader's job for one folder, through template_bytes: a template that is
    a link out of the repository, a FIFO, a device or too large is an error, never read."""

    def __init__(self, templates: Path) -> None:
        self.templates = Path(templates)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        data = template_bytes(self.templates, template)
        filename = os.path.join(self.templates, *jinja2.loaders.split_template_path(template))
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


_DICT_ATTRIBUTES = frozenset(dir(dict))


def _escape(value: Any) -> Any:
    """markupsafe.escape for what a template writes out (``{{ x }}``): a plain str with no
    character to escape is written as it is, without making it a Markup first (the same
    characters; ~40 such values a record page), and a Markup as it is (escape() gives a Markup
    of its text). Everything else: markupsafe.escape."""
    if type(value) is str and not ("&" in value or "<" in value or ">" in value or '"' in value
                                   or "'" in value):
        return value
    if type(value) is markupsafe.Markup:  # (escape() would make a copy of it: the same text)
        return value
    return markupsafe.escape(value)


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


def num(value: Any, places: int, rounding: str) -> str:
    """A score with its places ("—" when there is none)."""
    return "—" if value is None else display.fmt(value, places, rounding)


def signed(value: Any, places: int, rounding: str) -> str:
    """A score with its sign (+1.00, −2.30)."""
    return display.fmt_signed(value, places, rounding)


def plain(value: Any, places: int, rounding: str) -> str:
    """A number without trailing zeros ("—" when there is none)."""
    return "—" if value is None else display.fmt_plain(value, places, rounding)
