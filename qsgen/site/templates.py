"""The site's Jinja2 templates: where they are (the repository's own or qsgen's), their files, what their code writes through, the number filters; their environment is in site/jinjaenv.py (imported only when a page is rendered by Jinja)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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


def template_bytes(templates: Path, name: str) -> bytes:
    """A file of the templates' folder (a template or an asset such as style.css), read
    confined (repo.files.read_file); RefusedTemplate when it is not a regular file inside the
    repository, jinja2.TemplateNotFound when it does not exist."""
    full = os.path.join(templates, *template_path(name))
    try:
        return read_file(full, within=confinement(templates))
    except Refused as e:
        if e.kind == "missing":
            import jinja2

            raise jinja2.TemplateNotFound(name) from None
        raise refused_template()(full, f"网站模板文件 {name} {e.reason}") from None


def template_path(name: str) -> list[str]:
    """jinja2.loaders.split_template_path(name): the pieces of a template's name, a name
    reaching out of the folder (``..``, a separator in a piece) refused as not found."""
    pieces = []
    for piece in name.split("/"):
        if os.path.sep in piece or (os.path.altsep and os.path.altsep in piece) or piece == os.path.pardir:
            import jinja2

            raise jinja2.TemplateNotFound(name)
        if piece and piece != ".":
            pieces.append(piece)
    return pieces


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


_REFUSED: list[type] = []


def refused_template() -> type:
    """RefusedTemplate (a jinja2.TemplateError): a template or asset file that is not read
    (repo.files.Refused), with its ``filename`` and why. Made the first time it is needed, so
    that reading a file does not import jinja2."""
    if not _REFUSED:
        import jinja2

        class RefusedTemplate(jinja2.TemplateError):
            """A template or asset file that is not read (repo.files.Refused): ``filename`` and why."""

            def __init__(self, filename: str, reason: str) -> None:
                super().__init__(reason)
                self.filename = filename

        RefusedTemplate.__qualname__ = "RefusedTemplate"  # (found as templates.RefusedTemplate)
        _REFUSED.append(RefusedTemplate)
    return _REFUSED[0]


def __getattr__(name: str) -> Any:
    if name == "RefusedTemplate":
        return refused_template()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def num(value: Any, places: int, rounding: str) -> str:
    """A score with its places ("—" when there is none)."""
    return "—" if value is None else display.fmt(value, places, rounding)


def signed(value: Any, places: int, rounding: str) -> str:
    """A score with its sign (+1.00, −2.30)."""
    return display.fmt_signed(value, places, rounding)


def plain(value: Any, places: int, rounding: str) -> str:
    """A number without trailing zeros ("—" when there is none)."""
    return "—" if value is None else display.fmt_plain(value, places, rounding)
