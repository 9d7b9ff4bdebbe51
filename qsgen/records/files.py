"""What the walk and one file's reading exchange: the load's context, a unit folder, FileResult, FileSource."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from qsgen.core.errors import Diagnostic
from qsgen.core.model import Assessment, Record, Rules, Unit
from qsgen.records.fields import FieldContext


@dataclass(frozen=True, slots=True)
class LoadContext:
    """What reading any file of one load may look up: the repository and the rules."""

    root: str  # the repository (file system path)
    rules: Rules
    units: dict[str, Unit]  # slug -> unit
    unit_names: dict[str, str]  # name -> slug
    item_ids: dict[str, dict[str, Any]]  # slug -> {item id: item}
    records_real: str  # realpath of <root>/records
    # repository folder -> its real path, filled by the attachments checked (repo.files.resolve_file:
    # each folder resolved once a load, not every attachment's path component by component)
    real_dirs: dict[str, str]

    @classmethod
    def of(cls, root: Path | str, rules: Rules) -> LoadContext:
        root = os.fspath(root)
        return cls(root, rules, {u.slug: u for u in rules.units}, {u.name: u.slug for u in rules.units},
                   {u.slug: {i.id: i for i in u.items} for u in rules.units},
                   os.path.realpath(os.path.join(root, "records")), {})


class UnitFolder(NamedTuple):
    """A unit's folder as the walk found it."""

    rel: str  # records/<year>/<slug>
    unit: Unit
    names: dict[str, str]  # fold_name(name) -> name, of everything in it (for rename hints)
    clashed: frozenset[str]  # names that clash with another (reported by the walk)


class FileResult(NamedTuple):
    """One file read: everything the walk takes from it (a plain value, replayable)."""

    records: tuple[Record, ...]  # the record of a record file without errors, else ()
    diagnostics: tuple[Diagnostic, ...]
    bad: bool  # the file has errors: its records are left out
    assessment: Assessment | None  # what an assessment.yaml judges (kept even when bad)
    case_numbers: tuple[tuple[str, str, int, str], ...]  # (folded case_no, path, line, as written)


class FileSource(Protocol):
    """How the walk gets one file's FileResult: read_record_file (read.py), or anything that
    returns exactly what it would for the same arguments (the record memo's replay)."""

    def __call__(self, ctx: LoadContext, folder: UnitFolder, entry: os.DirEntry, path: str,
                 assessment: bool) -> FileResult: ...

    # Optionally also many(ctx, files) -> [FileResult] for files = [(folder, entry, path,
    # assessment)] in walk order: what calling it for each gives (it may read them in parallel).
    # And optionally both walked(rel, stat, files, subs) and whole(ctx, rel, entry): the walk
    # tells walked() each unit folder's lstat taken before listing it (None when the walk found
    # a problem of its own there), its files [(path, assessment)] in walk order and the
    # sub-folders it looked into [(path, lstat taken before listing it, None if that failed)];
    # whole() may then give, before a folder is listed, one FileResult standing for all its
    # files (their records, case numbers and assessment in walk order, no diagnostic) when it
    # knows the folder and each of its files are as they were when walked; else part(ctx, rel)
    # may give, instead of the folder's listing when it knows that (and its sub-folders) as
    # they were, its files in walk order [(FileResult, or None for a file the walk is to get
    # as usual, path, assessment)], a FileResult standing for a run of files as whole()'s does.


class FileReport:
    """The diagnostics of the one file being read, and whether any is an error."""

    __slots__ = ("path", "diags", "bad")

    def __init__(self, path: str) -> None:
        self.path = path
        self.diags: list[Diagnostic] = []
        self.bad = False

    def error(self, line: int, col: int, message: str, hint: str = "") -> None:
        self.diags.append(Diagnostic(self.path, max(1, line), max(1, col), message, hint))
        self.bad = True

    def errors(self, diags: list[Diagnostic]) -> None:
        """Errors found by a helper (front matter, YAML)."""
        if diags:
            self.diags.extend(diags)
            self.bad = True

    def fields(self, ctx: LoadContext, period: bool) -> FieldContext:
        """The context for converting this file's fields (fields.py); its errors land here."""
        return FieldContext(self.path, self.diags, ctx.rules.case_categories,
                            ctx.rules.period if period else None, ctx.root,
                            self.path.rsplit("/", 1)[0], ctx.records_real, real_dirs=ctx.real_dirs)

    def result(self, records: tuple[Record, ...] = (), assessment: Assessment | None = None,
               case_numbers: tuple = ()) -> FileResult:
        return FileResult(records, tuple(self.diags), self.bad, assessment, case_numbers)


def fold_name(name: str) -> str:
    """A file name as Windows and macOS compare it: case and width folded."""
    if name.isascii():  # (NFKC keeps ASCII as it is; casefold is lower there): most names
        return name.lower()
    return unicodedata.normalize("NFKC", name).casefold()

