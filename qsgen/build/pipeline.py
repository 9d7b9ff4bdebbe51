"""The build pipeline: load rules -> load records -> score -> render -> write the site."""

from __future__ import annotations

import datetime as _dt
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qsgen.core.errors import Diagnostic, QsgenError
from qsgen.core.model import RecordSet, Results

EXAMPLE_MARKER = "EXAMPLE"  # records/<year>/EXAMPLE present: the records are example data


@dataclass
class BuildReport:
    out: Path
    files: int
    units: int
    records: int
    warnings: list[Diagnostic] = field(default_factory=list)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def is_example(root: Path, year: int) -> bool:
    """The example-data marker file records/<year>/EXAMPLE exists."""
    return (root / "records" / str(year) / EXAMPLE_MARKER).is_file()


class Attachments(Mapping[str, bytes]):
    """Attachment files by repository path; each file's bytes are read when asked for, so an
    incremental build leaves the unchanged ones in the site without reading them."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files  # repository path -> file system path

    def __getitem__(self, rel: str) -> bytes:
        with open(self.files[rel], "rb") as f:
            return f.read()

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def __contains__(self, rel: object) -> bool:
        return rel in self.files

    def status(self, rel: str) -> tuple[int, int, int, int] | None:
        """(size, mtime, inode, ctime) of the file, None when it cannot be read."""
        try:
            st = os.stat(self.files[rel])
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def read_attachments(root: Path, records: RecordSet) -> Attachments:
    """The attachments the records list; only files inside records/ (validated by records.py)."""
    from qsgen.incremental.recordmemo import resolve_file

    files: dict[str, str] = {}
    dirs: dict[str, str] = {}
    base = os.path.realpath(os.path.join(root, "records")) + os.sep
    for rec in records.records:
        for rel in rec.attachments:
            if rel in files:
                continue
            try:
                full, regular = resolve_file(root, rel, dirs)
            except (OSError, ValueError):
                continue  # records.py reports missing or escaping attachments
            if full.startswith(base) and regular:
                files[rel] = full
    return Attachments(files)


def _source_date(root: Path, head=False) -> _dt.datetime | None:
    """gitinfo.source_date (``head``: gitinfo.head_commit(root) when known)."""
    try:
        from qsgen.repo import gitinfo
    except ImportError:  # pragma: no cover - during development
        gitinfo = None
    if gitinfo is not None:
        return gitinfo.source_date(root, head)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC)
    return None


def _history(root: Path, paths: list[str]) -> dict:
    try:
        from qsgen.repo import gitinfo
    except ImportError:  # pragma: no cover - during development
        return {}
    return gitinfo.file_history(root, paths)


def load_and_score(root: Path, progress: Callable[[str], None] | None = None, memo=None,
                   scores=None, digests=None, rules_digest: str | None = None
                   ) -> tuple[Results, list[Diagnostic]]:
    """Rules + records -> (Results, warnings); raises QsgenError carrying every diagnostic.

    ``memo``: a recordmemo.RecordMemo whose unchanged files are replayed instead of parsed.
    ``scores`` with ``digests``: a scorememo.ScoreMemo whose unchanged units are reused, and the
    cache.DigestMemo that knows the records' content digests. ``rules_digest``
    (cache.tree_digest of rules/): the parsed rules are kept in .qsgen-cache/."""
    from qsgen.records.loader import load_records
    from qsgen.rules.loader import load_rules
    from qsgen.scoring.engine import score

    say = progress or (lambda line: None)
    if rules_digest is not None:
        from qsgen.incremental.cache import load_rules_cached

        rules, rule_diags = load_rules_cached(root, rules_digest)
    else:
        rules, rule_diags = load_rules(root)
    errors = [d for d in rule_diags if d.severity == "error"]
    if rules is None or errors:
        raise QsgenError("考核规则有错误，未生成网站", sorted(set(rule_diags)))
    say(f"读取规则：{rules.root}/，{len(rules.units)} 个考核单位，{len(rules.adjustments)} 条加减分规则")
    if memo is not None:
        from qsgen.records.loader import paused_gc

        with paused_gc():
            records, rec_diags = memo.load(root, rules)
    else:
        records, rec_diags = load_records(root, rules)
    diags = list(rule_diags) + list(rec_diags)
    if any(d.severity == "error" for d in diags):
        raise QsgenError("记录有错误，未生成网站", sorted(set(diags)))
    say(f"读取记录：{len(records.records)} 条记录，{len(records.assessments)} 个评分文件")
    if scores is not None and digests is not None:
        results = scores.score(rules, records, digests.table(records.records))
    else:
        results = score(rules, records)
    return results, sorted(set(d for d in diags if d.severity == "warning"))


def _cached_history(root: Path, paths: list[str], head: str | None) -> dict:
    """_history, reused from .qsgen-cache/history.pickle while HEAD is the same commit
    (``head``) and no path is asked for that the stored pass did not look for (a file's last
    commit is a function of HEAD and its path only)."""
    import pickle

    from qsgen.incremental import cache

    target = root / cache.CACHE_DIR / "history.pickle"
    if head is not None:
        try:
            with open(target, "rb") as f:
                data = pickle.load(f)
            if data["head"] == head and data["asked"].issuperset(paths):
                found = data["found"]
                return {p: found[p] for p in paths if p in found}
        except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError,
                AttributeError, ImportError):
            pass
    found = _history(root, paths)
    if head is not None:
        cache.write_pickle(target, {"head": head, "asked": frozenset(paths), "found": found})
    return found


def site_inputs(root: Path, results: Results, use_cache: bool = False):
    """What the site needs besides the scores: git provenance, attachments, date, templates."""
    from qsgen.site import pages as site

    paths = sorted({r.path for r in results.records.records}
                   | {a.path for a in results.records.assessments.values()})
    from qsgen.repo import gitinfo

    commit = gitinfo.head_commit(root)  # one git call for both HEAD and the build date
    head = commit[0] if commit and use_cache else None
    return site.SiteInputs(
        history=_cached_history(root, paths, head) if use_cache else _history(root, paths),
        history_id=head,
        attachments=read_attachments(root, results.records),
        source_date=_source_date(root, commit),
        example=is_example(root, results.rules.year),
        templates=(root / "site_templates") if (root / "site_templates" / "base.html").is_file() else None,
    )


# Set to a list by cli.one_shot() in a process that exits right after its command: what the
# command loaded is then kept here and the process ends with os._exit (cli.leave), instead of
# freeing ~10^6 objects one by one (~0.06 s of an incremental build at 10,000 records).
RETAINED: list | None = None


def keep_for_exit(*objects: Any) -> None:
    """In a one-shot process, keep ``objects`` alive until it exits (see RETAINED)."""
    if RETAINED is not None:
        RETAINED.append(objects)


def build(root: Path, out: Path | None = None, *, quiet: bool = False,
          progress: Callable[[str], None] | None = None, use_cache: bool = True,
          atomic: bool = False) -> BuildReport:
    """Build the site of the repository at ``root`` into ``out`` (default root/_site).

    Nothing is written unless every stage succeeded; on errors raises QsgenError with every
    diagnostic, and the previous site stays exactly as it was. With ``use_cache`` the pages
    whose inputs did not change since the last build are taken from root/.qsgen-cache/
    (cache.py; the output is byte-identical to a clean build), and when ``out`` is the site
    the last build wrote, only the files that changed are written into it, each by an atomic
    rename, after everything else succeeded (writer.update_site). ``atomic`` (or no cache):
    the whole site is built beside ``out`` and swapped in at once (writer.write_site).
    """
    from qsgen.records.loader import paused_gc

    # A build makes no lasting reference cycles; the collector's full passes over everything
    # loaded cost ~10% at 50,000 records (profiled). Memory is the same without them.
    with paused_gc():
        return _build(Path(root), out, quiet, progress, use_cache, atomic)


def _build(root: Path, out: Path | None, quiet: bool, progress: Callable[[str], None] | None,
           use_cache: bool, atomic: bool = False) -> BuildReport:
    from qsgen.incremental import cache

    out = Path(out) if out is not None else root / "_site"
    say = (lambda line: None) if quiet else (progress or _stderr)
    notes: list[Diagnostic] = []
    if use_cache:
        committed = cache.committed(root)
        if committed is not None:  # not to be trusted: neither read nor written
            use_cache = False
            notes.append(committed)
        else:
            cache.prepare_dir(root)
    if not use_cache:
        return _build_with(root, out, say, notes, use_cache, atomic, None)
    from qsgen.incremental import recordmemo, statcheck

    with cache.locked(root, say):  # one build at a time reads and writes the cache
        # the status of every record file and page, checked on the other core
        check = statcheck.start([(recordmemo.RecordMemo.status_table(root), root),
                                 (cache.PageStore.status_table(root), out)])
        try:
            return _build_with(root, out, say, notes, use_cache, atomic, check)
        finally:
            check.close()


def _build_with(root: Path, out: Path, say: Callable[[str], None], notes: list[Diagnostic],
                use_cache: bool, atomic: bool, check: Any) -> BuildReport:
    from qsgen.incremental import cache
    from qsgen.publish import writer
    from qsgen.site import template_errors

    rules_digest = cache.tree_digest(root / "rules")
    store = cache.PageStore.load(root) if use_cache else cache.PageStore()
    memo = scores = None
    if use_cache:
        from qsgen.incremental import recordmemo, scorememo

        validity = recordmemo.loader_digest(root, rules_digest)
        memo = recordmemo.RecordMemo.load_disk(root, validity)
        memo.seed(store.digests)
        scores = scorememo.ScoreMemo.load(root, scorememo.scoring_digest(validity))
        memo.changed = check.changed(0)
        store.use_check(check.changed(1), out)
    results, warnings = load_and_score(root, say, memo, scores, store.digests,
                                       rules_digest if use_cache else None)
    say(f"计算得分：{len(results.units)} 个单位")
    if use_cache:
        # Saved now, not at the end: what the records parse to and the units score does not
        # depend on the site, and the memo's bookkeeping (~40 MB at 50,000 records) is freed
        # before the pages are rendered.
        memo.save_disk(root, store.digests.by_id)
        scores.save(root, results.rules)
        memo = scores = None
    inputs = site_inputs(root, results, use_cache)
    in_place = use_cache and not atomic and store.writes_to(out) and (out / writer.MARKER).is_file()
    # A whole new site: pages are streamed into it as they are rendered (flat memory).
    tmp = None if in_place else writer.begin(out, root)
    try:
        with template_errors.reported(root, inputs.templates):  # Jinja errors -> path:line: message
            files = cache.build_site(results, inputs, store, rules_digest=rules_digest,
                                     stream_dir=None if tmp is None else os.fspath(tmp),
                                     bytecode_dir=os.fspath(root / cache.CACHE_DIR / "jinja") if use_cache else None)
        say(f"生成页面：{len(files)} 个文件（重新生成 {store.rendered} 页，沿用缓存 {store.reused} 页）")
        if in_place:
            writer.update_site(files, out, root)  # only what changed is written
        else:
            try:
                store.materialize(files)
            except OSError as e:
                raise QsgenError(f"读取上一次生成的页面失败：{e.strerror or e}（{e.filename}），"
                                 "请用 --no-cache 重新生成") from e
            writer.write_site(files, out, root, unchanged=store.unchanged_in(out), tmp=tmp)
    except BaseException:
        if tmp is not None:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
        raise
    if use_cache:
        store.save(root, out)
    keep_for_exit(results, store, files, inputs)
    say(f"完成：已写入 {out}（{len(files)} 个文件）")
    return BuildReport(out=out, files=len(files), units=len(results.units),
                       records=len(results.records.records),
                       warnings=notes + warnings)
