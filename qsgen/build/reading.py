"""A render worker's first part: reading record files for read_many and compiling templates, with nothing of the site loaded yet (a worker forked before the site is imported starts reading at once)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def child(fd: int) -> None:
    """A worker process, talking over ``fd``: first reads the chunks of record files it is
    sent (read_many) and compiles templates, then renders (rendering.render_loop) once it is
    sent what record pages are rendered from; ends when its connection does (or on None)."""
    import gc
    from multiprocessing.connection import Connection

    gc.disable()  # as in the parent: a build makes no lasting cycles
    conn = Connection(fd)
    ctx = None
    while True:
        try:
            state = conn.recv()
        except (EOFError, OSError):
            return
        if isinstance(state, tuple) and state and state[0] == "parse":
            from qsgen.records.files import LoadContext

            ctx = LoadContext.of(state[1], state[2])
        elif isinstance(state, tuple) and state and state[0] == "files":
            conn.send(read_chunk(ctx, state[1]))
        elif isinstance(state, tuple) and state and state[0] == "compile":
            compile_templates(*state[1:])
        else:
            break
    ctx = None
    if state is None:
        return
    from qsgen.build.rendering import render_loop

    render_loop(conn, state)


class _Entry:
    """What read_record_file asks of an os.DirEntry, in a worker (a DirEntry cannot be sent)."""

    __slots__ = ("path", "name", "_link")

    def __init__(self, path: str, name: str, link: bool) -> None:
        self.path, self.name, self._link = path, name, link

    def is_symlink(self) -> bool:
        return self._link


def read_chunk(ctx: Any, part: list) -> list | None:
    """A worker's reading of one chunk of read_many: FileResults with their records packed, and
    each record's digest (record_digest); None when it failed (the parent reads the chunk
    itself and reports the error)."""
    from qsgen.core.model import packed_record
    from qsgen.incremental.cache import record_digest
    from qsgen.records import read_record_file

    try:
        out = []
        for folder, full, name, link, path, assessment in part:
            r = read_record_file(ctx, folder, _Entry(full, name, link), path, assessment)
            out.append((tuple(packed_record(rec) for rec in r.records), r.diagnostics, r.bad,
                        r.assessment, r.case_numbers, tuple(record_digest(rec) for rec in r.records)))
        return out
    except BaseException:
        return None


def compile_templates(templates: str | None, folder: str | None, names: tuple[str, ...] | None) -> None:
    """The site's templates (``templates``: the repository's own site_templates/, None for
    qsgen's), compiled into this worker's templates and ``folder`` (see
    incremental.bytecode.compile_ahead): ``names``, or every one."""
    from qsgen.incremental.bytecode import compile_ahead
    from qsgen.site.jinjaenv import ConfinedLoader
    from qsgen.site.templates import TEMPLATE_DIR

    where = Path(templates) if templates else TEMPLATE_DIR
    try:
        every = ConfinedLoader(where).list_templates()
    except OSError:
        return  # (reported where the templates are used)
    compile_ahead(where, [n for n in every if names is None or n in names], folder)
