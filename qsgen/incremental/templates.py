"""Compiled site templates kept between builds: in this process, and on disk in ``.qsgen-cache/jinja/`` (sealed: compiled templates are code)."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2

from qsgen.incremental.cache import read_sealed, write_sealed
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


class SealedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates on disk, one file per bucket, each sealed like every cache file
    (cache.seal): a file without this repository's seal is refused before Jinja unmarshals the
    code in it (jinja2.FileSystemBytecodeCache would run whatever a planted file holds)."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)

    def _file(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / f"{bucket.key}.cache"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = read_sealed(self._file(bucket))
        if code is not None:
            bucket.bytecode_from_string(bytes(code))

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        write_sealed(self._file(bucket), bucket.bytecode_to_string())


_COMPILED = MemoryBytecodeCache()  # templates compiled once per process, not per build


def use_compiled_templates(site: Site, folder: str | None = None) -> None:
    """Templates compiled once per process (``folder``: kept on disk between processes)."""
    site.env.bytecode_cache = _COMPILED
    if folder is not None:
        try:
            os.makedirs(folder, exist_ok=True)
            site.env.bytecode_cache = SealedBytecodeCache(folder)
        except OSError:
            pass
