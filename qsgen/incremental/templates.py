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


class _Ahead(jinja2.BytecodeCache):
    """Compiled into this process's templates and, with a folder, the build's cache on disk
    (what is there already, another worker compiled: taken from there)."""

    def __init__(self, folder: str | None) -> None:
        self.disk = SealedBytecodeCache(folder) if folder is not None else None

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        _COMPILED.load_bytecode(bucket)
        if bucket.code is None and self.disk is not None:
            self.disk.load_bytecode(bucket)
            if bucket.code is not None:
                _COMPILED.dump_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        _COMPILED.dump_bytecode(bucket)
        if self.disk is not None:
            self.disk.dump_bytecode(bucket)


def compile_ahead(templates: Path, names: list[str], folder: str | None = None) -> None:
    """Compile the templates ``names`` of the folder ``templates`` now (a render worker does,
    while the build's main process scores): into this process's compiled templates and, with
    ``folder`` (the build's .qsgen-cache/jinja/), where the main process's environment finds
    them. A template that does not compile is left to be reported where it is used."""
    from qsgen.site import templates as site_templates

    env = site_templates.environment(templates, 0, "ROUND_HALF_UP")  # (compiling uses no filter)
    if folder is not None:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError:
            folder = None
    env.bytecode_cache = _Ahead(folder)
    for name in names:
        try:
            env.get_template(name)
        except Exception:
            pass
