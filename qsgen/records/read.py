"""One file of a unit folder → FileResult: the plain function the walk calls (the default FileSource)."""

from __future__ import annotations

import os

from qsgen.core.errors import Diagnostic
from qsgen.records import privacy
from qsgen.records.assessment import read_assessment
from qsgen.records.files import FileResult, LoadContext, UnitFolder
from qsgen.records.record import read_record
from qsgen.records.text import read_text


def read_record_file(ctx: LoadContext, folder: UnitFolder, entry: os.DirEntry, path: str,
                     assessment: bool) -> FileResult:
    """Read and validate the file ``entry`` (``path`` from the repository root) of ``folder``:
    its assessment.yaml when ``assessment``, else a record file. Depends on nothing but its
    arguments, the file, and the files its attachments and (when it has errors) links name.
    What looks like personal data in it (privacy.py) is a warning at its place."""
    if entry.is_symlink():
        return FileResult((), (Diagnostic(path, 1, 1, "记录文件不能是符号链接", "请把真正的文件放在这里"),),
                          True, None, ())
    text, diags = read_text(entry.path, path)
    if text is None:
        return FileResult((), tuple(diags), True, None, ())
    if assessment:
        result = read_assessment(ctx, folder, path, text)
    else:
        result = read_record(ctx, folder, path, entry.name, text, entry.name in folder.clashed)
    found = privacy.warnings(text, path)  # everything in the file is published
    return result._replace(diagnostics=result.diagnostics + tuple(found)) if found else result
