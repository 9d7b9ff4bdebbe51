"""Compiled site templates kept between builds: in this process, and on disk in ``.qsgen-cache/jinja/``."""

from __future__ import annotations

import os

import jinja2

from qsgen.site import Site


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates by Jinja's bucket key (template name + source checksum)."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.data.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.data[bucket.key] = bucket.bytecode_to_string()


_COMPILED = MemoryBytecodeCache()  # templates compiled once per process, not per build


def use_compiled_templates(site: Site, folder: str | None = None) -> None:
    """Templates compiled once per process (``folder``: kept on disk between processes)."""
    site.env.bytecode_cache = _COMPILED
    if folder is not None:
        try:
            os.makedirs(folder, exist_ok=True)
            site.env.bytecode_cache = jinja2.FileSystemBytecodeCache(folder)
        except OSError:
            pass
