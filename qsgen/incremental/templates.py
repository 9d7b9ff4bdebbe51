"""Site templates kept between builds: compiled (incremental/bytecode.py, with Jinja) and the shells of page templates (site/shells.py, sealed in ``.qsgen-cache/jinja/``), without importing Jinja until a page needs it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from qsgen.incremental.cache import read_sealed, write_sealed
from qsgen.site import Site


class ShellStore:
    """Where site/shells.py keeps the shells of page templates between builds: sealed files in
    ``folder`` (the build's .qsgen-cache/jinja/), named by what each is made from (see
    Shells._file), ``context`` being what every page of the build shares (the code and
    templates' digest, the templates' folder, the number formats). Plain data: a render
    worker is given it."""

    def __init__(self, folder: str, templates: Path | str, context: tuple) -> None:
        self.folder, self.templates, self.context = folder, templates, context

    def load(self, name: str) -> bytes | None:
        data = read_sealed(os.path.join(self.folder, f"{name}.cache"))
        return None if data is None else bytes(data)

    def save(self, name: str, payload: bytes) -> None:
        write_sealed(Path(self.folder) / f"{name}.cache", payload)


def use_compiled_templates(site: Site, folder: str | None = None, code: str | None = None) -> None:
    """Templates compiled once per process (``folder``: kept on disk between processes), and
    qsgen's own once per installation (bytecode.installed_cache), once the site's environment
    is made; with ``folder`` and ``code`` (the digest of the rendering code and the templates:
    pages.code_digest), the shells of its page templates kept there too (ShellStore)."""
    templates = site.templates

    def install(env: Any) -> None:
        from qsgen.incremental import bytecode

        bytecode.install(env, templates, folder)

    site.shells.when_env(install)
    if folder is not None and code is not None:
        site.shells.store = ShellStore(folder, templates, (code, os.fspath(templates), site.places, site.rounding))
