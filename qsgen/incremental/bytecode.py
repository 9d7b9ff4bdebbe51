"""Compiled site templates kept between builds (Jinja's bytecode caches): in this process, on disk in ``.qsgen-cache/jinja/`` (sealed: compiled templates are code), and qsgen's own beside its compiled modules."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import sys
from pathlib import Path

import jinja2

from qsgen.incremental.cache import read_sealed, write_sealed


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


class InstalledBytecodeCache(jinja2.BytecodeCache):
    """qsgen's own templates (site.templates.TEMPLATE_DIR) compiled once per installation, as
    Python compiles its modules once: kept where Python keeps the bytecode of a module in their
    folder (``__pycache__/`` there, or under PYTHONPYCACHEPREFIX), never written where Python
    writes none (PYTHONDONTWRITEBYTECODE, ``-B``). A clean build (no .qsgen-cache/) then does
    not compile them again: ~0.13 s of CPU at the start of every clean build, on the first
    render worker while the records are read.

    Trusted as a .pyc file is: it lies outside every repository (no commit, pull request or
    archive can bring one in), and whoever can write it can replace qsgen's modules too. Its
    name holds what the compiled code depends on besides the source (the Jinja version and the
    environment's syntax settings: _signature), its content Jinja's magic (Jinja's bytecode
    format and Python's version) and the source's checksum: compiled code of anything else is
    not used, and a file that cannot be read is compiled again and replaced."""

    def __init__(self, folder: str, signature: str) -> None:
        self.folder, self.signature = folder, signature

    def _file(self, bucket: jinja2.bccache.Bucket) -> str:
        name = hashlib.sha256(f"{self.signature}\0{bucket.key}".encode()).hexdigest()[:40]
        return os.path.join(self.folder, f"{name}.jinja")

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            with open(self._file(bucket), "rb") as f:
                data = f.read()
        except OSError:
            return
        try:
            bucket.load_bytecode(io.BytesIO(data))
        except Exception:  # (truncated or foreign: compiled again)
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if sys.dont_write_bytecode:
            return
        target = self._file(bucket)
        tmp = f"{target}.{os.getpid()}.tmp"
        try:
            os.makedirs(self.folder, exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(bucket.bytecode_to_string())
            os.replace(tmp, target)  # (another process reads the whole file or none)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def installed_cache(env: jinja2.Environment, templates: Path | str | None) -> InstalledBytecodeCache | None:
    """The InstalledBytecodeCache of ``env`` when ``templates`` is qsgen's own folder (None for a
    repository's own site_templates/, kept in its sealed .qsgen-cache/ only, or where Python
    keeps no bytecode)."""
    from qsgen.site.templates import TEMPLATE_DIR

    if templates is None:
        return None
    here = os.path.realpath(templates)
    if here != os.path.realpath(TEMPLATE_DIR):
        return None
    try:  # (where Python would keep the bytecode of a module in that folder)
        folder = os.path.dirname(importlib.util.cache_from_source(os.path.join(here, "templates.py")))
    except (NotImplementedError, ValueError):
        return None
    return InstalledBytecodeCache(folder, _signature(env))


def _signature(env: jinja2.Environment) -> str:
    """What a template's compiled code depends on besides its source: the Jinja version and how
    ``env`` reads and compiles templates."""
    return hashlib.sha256(repr((
        jinja2.__version__, env.block_start_string, env.block_end_string, env.variable_start_string,
        env.variable_end_string, env.comment_start_string, env.comment_end_string, env.line_statement_prefix,
        env.line_comment_prefix, env.trim_blocks, env.lstrip_blocks, env.newline_sequence,
        env.keep_trailing_newline, env.autoescape, env.optimized, sorted(env.extensions), env.is_async,
        env.code_generator_class.__module__, env.code_generator_class.__qualname__,
    )).encode()).hexdigest()[:16]


class _Layers(jinja2.BytecodeCache):
    """Compiled templates looked up in ``layers`` in turn (what a later one has is given to the
    earlier ones) and, once compiled, kept in all of them."""

    def __init__(self, *layers: jinja2.BytecodeCache | None) -> None:
        self.layers = [layer for layer in layers if layer is not None]

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        for i, layer in enumerate(self.layers):
            layer.load_bytecode(bucket)
            if bucket.code is not None:
                for earlier in self.layers[:i]:
                    earlier.dump_bytecode(bucket)
                return

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        for layer in self.layers:
            layer.dump_bytecode(bucket)


_COMPILED = MemoryBytecodeCache()  # templates compiled once per process, not per build


def install(env: jinja2.Environment, templates: Path | str | None, folder: str | None = None) -> None:
    """Templates of ``env`` (those of the folder ``templates``) compiled once per process
    (``folder``: kept on disk between processes), and qsgen's own once per installation
    (installed_cache)."""
    installed = installed_cache(env, templates)
    disk = None
    if folder is not None:
        try:
            os.makedirs(folder, exist_ok=True)
            disk = SealedBytecodeCache(folder)
        except OSError:
            pass
    # (the build's folder first: what the installation has is copied there, so that the
    # repository's cache holds every template it used, whichever way they were compiled)
    env.bytecode_cache = _Layers(disk, installed) if disk is not None else _Layers(_COMPILED, installed)


def compile_ahead(templates: Path, names: list[str], folder: str | None = None) -> None:
    """Compile the templates ``names`` of the folder ``templates`` now (a render worker does,
    while the build's main process scores): into this process's compiled templates and, with
    ``folder`` (the build's .qsgen-cache/jinja/), where the main process's environment finds
    them. A template that does not compile is left to be reported where it is used."""
    from qsgen.site import jinjaenv

    env = jinjaenv.environment(templates, 0, "ROUND_HALF_UP")  # (compiling uses no filter)
    if folder is not None:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError:
            folder = None
    env.bytecode_cache = _Layers(_COMPILED, SealedBytecodeCache(folder) if folder is not None else None,
                                 installed_cache(env, templates))
    for name in names:
        try:
            env.get_template(name)
        except Exception:
            pass
