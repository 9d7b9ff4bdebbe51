"""The walk of records/<year>/: unit folders, misplaced files, name clashes; each file got from a FileSource."""

from __future__ import annotations

import operator
import os
import stat
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path

from qsgen.core.errors import Diagnostic
from qsgen.core.hints import nearest
from qsgen.core.kinds import kind_of_filename
from qsgen.core.model import Assessment, Record, RecordSet, Rules, Unit
from qsgen.core.runtime import paused_gc
from qsgen.core.stages import STATUS_FILE
from qsgen.records.assessment import ASSESSMENT_FILE
from qsgen.records.crosscheck import dead_links, duplicate_case_numbers
from qsgen.records.fields import quote
from qsgen.records.files import FileResult, FileSource, LoadContext, UnitFolder, fold_name
from qsgen.records.read import read_record_file
from qsgen.records.text import name_problem, shown_name

_PATH = operator.attrgetter("path")


def load_records(root: Path, rules: Rules, source: FileSource | None = None) -> tuple[RecordSet, list[Diagnostic]]:
    """Read and validate records/<rules.year>/ under ``root``; records with errors are left out.
    ``source`` gives each file's FileResult (default: read_record_file, read afresh); the checks
    across files run on what it gives."""
    with paused_gc():
        return _Walk(LoadContext.of(root, rules), source or read_record_file).run()


class _Walk:
    """One load: the folders walked, each file's result taken, then the checks across files."""

    def __init__(self, ctx: LoadContext, source: FileSource) -> None:
        self.ctx = ctx
        self.source = source
        self.year = str(ctx.rules.year)
        self.diags: list[Diagnostic] = []
        self.bad_paths: set[str] = set()
        self.records: list[Record] = []
        self.assessments: dict[str, Assessment] = {}
        self.case_numbers: list[tuple[str, str, int, str]] = []
        # (folder, entry, path, assessment) of every file to read, in walk order: read at
        # the end of the walk, all at once when the source can (FileSource.many)
        # (or, for a unit folder the source gave as a whole: (None, its FileResult, folder, False))
        self.files: list[tuple[UnitFolder, os.DirEntry, str, bool]] = []
        # a source may take unit folders whole (whole(ctx, rel, entry) -> one FileResult of all
        # its files, or None), once told what a folder held when walked (walked(rel, stat, files))
        self.whole = getattr(source, "whole", None)
        self.walked = getattr(source, "walked", None)
        # and a folder whose listing it knows unchanged in part (part(ctx, rel) -> the folder's
        # files in walk order, each (its FileResult, or None: to be read; path, assessment),
        # the results of files one after another put together; or None: the folder is listed)
        self.part = getattr(source, "part", None)

    def run(self) -> tuple[RecordSet, list[Diagnostic]]:
        root = self.ctx.root
        year_rel = f"records/{self.year}"
        year_dir = os.path.join(root, "records", self.year)
        for rel, full in (("records", os.path.join(root, "records")), (year_rel, year_dir)):
            if os.path.islink(full):
                self._error(rel, 1, 1, f"{rel}/ 是一个符号链接，不能读取仓库以外的内容",
                            f"请把 {rel}/ 换成真正的文件夹")
                year_dir = ""
        many = getattr(self.source, "many", None)
        walked = self._walk(year_dir, year_rel) if year_dir and os.path.isdir(year_dir) else iter(())
        if many is not None:
            results = many(self.ctx, walked)  # (the source may read while the walk goes on)
        else:
            results = [self.source(self.ctx, folder, e, path, a) for folder, e, path, a in walked]
        results = iter(results)
        self._take_all(results)
        if next(results, None) is not None:
            raise ValueError("the source gave more results than files")
        for d in duplicate_case_numbers(self.case_numbers):
            self.diags.append(d)
            self.bad_paths.add(d.path)
        self.diags += dead_links(root, self.records)
        bad = self.bad_paths
        records = sorted([r for r in self.records if r.path not in bad] if bad else self.records, key=_PATH)
        assessments = {k: a for k, a in sorted(self.assessments.items())}
        return (RecordSet(self.ctx.rules.year, records, assessments),
                sorted(set(self.diags)))

    def _walk(self, year_dir: str, year_rel: str) -> Iterator[tuple[UnitFolder, os.DirEntry, str, bool]]:
        """The files to read, as the walk finds them (each also kept in self.files)."""
        entries, _clashed = self._scandir(year_dir, year_rel)
        for entry in entries:
            rel = f"{year_rel}/{entry.name}"
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                yield from self._unit_dir(entry, rel)
            elif entry.is_symlink():
                self._error(rel, 1, 1, "records/ 下不能有符号链接", "请放真正的文件夹或文件")
            elif entry.name == STATUS_FILE:
                continue  # the year's state, the assessment office's (qsgen/lifecycle/)
            elif entry.name.lower().endswith((".md", ".yaml", ".yml")) and not _is_readme(entry.name):
                self._error(rel, 1, 1, f"{entry.name} 直接放在了 {year_rel}/ 下，没有放进单位文件夹",
                            f"记录要放在 {year_rel}/<单位>/ 里，例如 {year_rel}/longgang/{entry.name}")

    def _error(self, path: str, line: int, col: int, message: str, hint: str = "") -> None:
        self.diags.append(Diagnostic(path, max(1, line), max(1, col), message, hint))
        self.bad_paths.add(path)

    def _scandir(self, full: str, rel: str) -> tuple[list[os.DirEntry], frozenset[str]]:
        """The folder's entries by name, and the names that clash (reported)."""
        try:
            with os.scandir(full) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            self._error(rel, 1, 1, f"无法读取文件夹：{e.strerror}")
            return [], frozenset()
        return entries, self._name_clashes(entries, rel)

    def _name_clashes(self, entries: list[os.DirEntry], rel: str) -> frozenset[str]:
        """Two names that differ only by case or Unicode normalisation clash on Windows/macOS."""
        groups: dict[str, list[str]] = {}
        for e in entries:
            n = e.name
            key = unicodedata.normalize("NFKC", n).casefold() if not n.isascii() else n.lower()
            groups.setdefault(key, []).append(n)
        clashed = []
        for names in groups.values():
            if len(names) < 2:
                continue
            for n in names:
                others = "、".join(f"{rel}/{o}" for o in names if o != n)
                self._error(f"{rel}/{n}", 1, 1,
                            f"文件名{quote(n)}与 {others} 只差大小写或全角/半角、Unicode 写法",
                            "在 Windows 和 macOS 上它们会被当成同一个文件，请改名或删除其中一个")
                clashed.append(n)
        return frozenset(clashed)

    def _unit_dir(self, entry: os.DirEntry, rel: str) -> Iterator[tuple[UnitFolder, os.DirEntry, str, bool]]:
        """A unit folder's files to read (kept in self.files too), once the folder is walked."""
        ctx = self.ctx
        slug = entry.name
        unit = ctx.units.get(slug)
        if unit is None:
            hint = ""
            if slug in ctx.unit_names:
                hint = f"文件夹要用单位的拼音代号：{ctx.unit_names[slug]}。"
            else:
                best = nearest(slug, list(ctx.units), cutoff=0.5)
                if best:
                    hint = f"是不是想写 {best}？"
            hint += "单位文件夹有：" + "、".join(ctx.units)
            self._error(rel, 1, 1, f"没有名为{quote(slug)}的单位，无法识别这个文件夹", hint)
            return
        walked, before, st = self.walked, len(self.diags), None
        subs: list[tuple[str, os.stat_result | None]] | None = None if walked is None else []
        if walked is not None:
            got = self.whole(ctx, rel, entry) if self.whole is not None else None
            if got is not None:
                self.files.append((None, got, rel, False))
                return
            items = self.part(ctx, rel) if self.part is not None else None
            if items is not None:
                yield from self._part(entry.path, rel, unit, items)
                return
            try:  # (the folder's status before it is listed: a file added later changes it)
                st = entry.stat(follow_symlinks=False)
            except OSError:
                pass
        entries, clashed = self._scandir(entry.path, rel)
        folder = UnitFolder(rel, unit, {fold_name(e.name): e.name for e in entries}, clashed)
        files: list[tuple[UnitFolder, os.DirEntry, str, bool]] = []
        for e in entries:
            name = e.name
            path = f"{rel}/{name}"
            if name.startswith("."):
                continue
            bad = name_problem(name)
            if bad is not None and name.lower().endswith((".md", ".markdown", ".yaml", ".yml")):
                self._error(f"{rel}/{shown_name(name)}", 1, 1, *bad)
                continue
            if e.is_dir(follow_symlinks=False):
                self._misplaced_records(e.path, path, unit, subs)  # sub-folders hold attachments
                continue
            low = name.lower()
            if name == ASSESSMENT_FILE:
                files.append((folder, e, path, True))
            elif name.endswith(".md"):
                if not _is_readme(name):
                    files.append((folder, e, path, False))
            elif low.endswith((".md", ".markdown")):
                self._error(path, 1, 1, f"记录文件的扩展名应为小写 .md：{quote(name)}",
                            f"请改名为 {name.rsplit('.', 1)[0]}.md")
            elif low.endswith((".yaml", ".yml")):
                self._error(path, 1, 1, f"不认识的 YAML 文件{quote(name)}",
                            f"单位文件夹里只有评分文件叫 {ASSESSMENT_FILE}；其他记录用 .md 文件")
        self.files += files
        if walked is not None:  # (without problems of the walk's own)
            plain = st is not None and len(self.diags) == before and not clashed and \
                all(sub_st is not None for _sub, sub_st in subs)
            walked(rel, st if plain else None, [(path, a) for _f, _e, path, a in files], subs)
        yield from files

    def _part(self, full: str, rel: str, unit: Unit, items: list[tuple[FileResult | None, str, bool]]
              ) -> Iterator[tuple[UnitFolder, os.DirEntry, str, bool]]:
        """The files of a unit folder as the source's part gave them, not listed: only those
        it did not give are read (the folder, its listing unchanged, had no problem of the
        walk's own: no names clash; its names are listed if a file's reading asks for them)."""
        folder = UnitFolder(rel, unit, _Names(full), frozenset())
        files: list[tuple[UnitFolder, os.DirEntry, str, bool]] = []
        for result, path, assessment in items:
            if result is not None:
                self.files.append((None, result, path, False))
                continue
            name = path.rpartition("/")[2]
            file = (folder, _File(os.path.join(full, name), name), path, assessment)
            self.files.append(file)
            files.append(file)
        yield from files

    def _take_all(self, results: Iterator[FileResult]) -> None:
        """What each file gave (a FileResult; of a folder the source gave whole: its result),
        in the walk's order. (One loop over ~10,000 files, run after the reading, with the
        workers waiting for the scores: no call a file.)"""
        all_records, all_diags, bad_paths = self.records, self.diags, self.bad_paths
        assessments, all_cases = self.assessments, self.case_numbers
        for folder, whole, path, _a in self.files:
            records, diags, bad, assessment, case_numbers = whole if folder is None else next(results)
            if records:
                all_records += records
            if diags:
                all_diags += diags
            if bad:
                bad_paths.add(path)
            if assessment is not None:
                assessments[assessment.unit] = assessment
            if case_numbers:
                all_cases += case_numbers

    def _misplaced_records(self, full: str, rel: str, unit: Unit,
                           subs: list[tuple[str, os.stat_result | None]] | None = None) -> None:
        """A record put in a sub-folder would be silently ignored: say so. ``subs`` gets the
        path and lstat (None if it failed) of each folder looked into, taken before it is listed."""
        if subs is not None:
            subs.append((rel, _lstat(full)))
        for folder, dirs, files in os.walk(full):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            if subs is not None:  # (os.walk lists a sub-folder after this)
                at = rel + "/" + os.path.relpath(folder, full).replace(os.sep, "/")
                for d in dirs:
                    subs.append((f"{at}/{d}".replace("/./", "/"), _lstat(os.path.join(folder, d))))
            for name in files:
                if name.endswith(".md") and kind_of_filename(name):
                    sub = os.path.relpath(os.path.join(folder, name), full).replace(os.sep, "/")
                    self._error(f"{rel}/{sub}", 1, 1,
                                f"记录文件 {name} 放在了子文件夹里，不会被计入",
                                f"记录要直接放在 records/{self.year}/{unit.slug}/ 下；子文件夹只放附件")


class _Names(Mapping):
    """UnitFolder.names of a folder not listed by the walk: listed when first asked."""

    __slots__ = ("folder", "_names")

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._names: dict[str, str] | None = None

    def _got(self) -> dict[str, str]:
        if self._names is None:
            try:
                names = sorted(os.listdir(self.folder))
            except OSError:
                names = []
            self._names = {fold_name(n): n for n in names}
        return self._names

    def __getitem__(self, key: str) -> str:
        return self._got()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._got())

    def __len__(self) -> int:
        return len(self._got())


class _File:
    """What reading a file asks of its os.DirEntry, for a file of a folder not listed (_part)."""

    __slots__ = ("path", "name", "_stat")

    def __init__(self, path: str, name: str) -> None:
        self.path, self.name, self._stat = path, name, None

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        if not follow_symlinks:
            if self._stat is None:
                self._stat = os.lstat(self.path)
            return self._stat
        return os.stat(self.path)

    def is_symlink(self) -> bool:
        try:
            return stat.S_ISLNK(self.stat(follow_symlinks=False).st_mode)
        except OSError:
            return False

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        try:
            return stat.S_ISDIR(self.stat(follow_symlinks=follow_symlinks).st_mode)
        except OSError:
            return False


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _is_readme(name: str) -> bool:
    return name.lower() in ("readme.md", "readme.txt", "readme")
