"""The build pipeline: load rules -> load records -> score -> render -> write the site."""

from __future__ import annotations

import datetime as _dt
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qsgen.core.errors import Diagnostic, QsgenError
from qsgen.core.model import Results
from qsgen.core.runtime import keep_for_exit, paused_gc


@dataclass
class BuildReport:
    """What a build wrote and said: the site, how many files, units and records, the warnings."""

    out: Path
    files: int
    units: int
    records: int
    warnings: list[Diagnostic] = field(default_factory=list)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def load_year(root: Path, year: int, build_date: _dt.date | None = None,
              progress: Callable[[str], None] | None = None, memo=None, scores=None, digests=None,
              rules_digest: str | None = None, last_commit=None) -> tuple[Results | None, list[Diagnostic]]:
    """One year's rules + records -> (Results, every diagnostic); Results is None when the
    year has errors. The year is scored as of ``build_date`` while its period has not ended.

    ``memo``: a recordmemo.RecordMemo whose unchanged files are replayed instead of parsed.
    ``scores`` with ``digests``: a scorememo.ScoreMemo whose unchanged units are reused, and the
    cache.DigestMemo that knows the records' content digests. ``rules_digest``
    (cache.tree_digest of rules/<year>/): the parsed rules are kept in .qsgen-cache/ (rulescache).
    ``last_commit``: for lifecycle.evaluate (the build's keeps git's answers by HEAD)."""
    from qsgen.build.inputs import example_date
    from qsgen.records import load_records
    from qsgen.scoring.engine import score

    say = progress or (lambda line: None)
    if rules_digest is not None:
        from qsgen.incremental.rulescache import load_rules_cached

        rules, rule_diags = load_rules_cached(root, rules_digest, year)
    else:
        # (the loader only here: the cached rules are used without importing it, ~3 ms)
        from qsgen.rules import load_rules

        rules, rule_diags = load_rules(root, year)
    if rules is None or any(d.severity == "error" for d in rule_diags):
        return None, list(rule_diags)
    say(f"读取规则：{rules.root}/，{len(rules.units)} 个考核单位，{len(rules.adjustments)} 条加减分规则")
    if memo is not None:
        with paused_gc():
            records, rec_diags = memo.load(root, rules, digests)
    else:
        records, rec_diags = load_records(root, rules)
    diags = list(rule_diags) + list(rec_diags)
    from qsgen.lifecycle import evaluate

    today = example_date(root, year) or build_date
    if any(d.severity == "error" for d in diags):
        # (a final year's changes are refused with the records' errors: the same run tells both)
        return None, diags + evaluate(root, rules, records, today, last_commit=last_commit)[1]
    say(f"读取记录：{year} 年度 {len(records.records)} 条记录，{len(records.assessments)} 个评分文件")
    as_of = in_progress(rules, example_date(root, year) or build_date)
    if scores is not None and digests is not None:
        results = scores.score(rules, records, digests.table(records.records), as_of=as_of,
                               before=digests.earlier(body_only=True))
    else:
        results = score(rules, records, as_of)
    results.lifecycle, life_diags = evaluate(root, rules, records, today, results, last_commit)
    diags += life_diags
    if any(d.severity == "error" for d in life_diags):
        return None, diags
    return results, diags


def _site_code(git_history: Any = None) -> Callable[[], None]:
    """Import the site's code (Jinja, Markdown, the pages: ~0.05 s; and what the build asks
    for between the reading and the rendering): once, while the workers read (read_many's
    meanwhile), not before the reading nor between it and the rendering, when the workers
    would wait for it. ``git_history``: the records' git history pass (gitinfo.HistoryPass),
    started then too: a thread of this process reads `git log`'s ~1 MB at 10,000 records, and
    started with the build it took the interpreter from the loading of the rules and the walk
    that hands the workers their first files."""
    done: list[bool] = []

    def load() -> None:
        if done:
            return
        done.append(True)
        if git_history is not None:  # (a clean build: the approvals are gathered, not kept)
            git_history.start()
            from qsgen.approvals import engine  # noqa: F401  (imported by build.approvals to gather)
        # (render: the site's code; approvals, history and lifecycle: asked for between the
        # reading and the rendering, when nothing else runs)
        from qsgen import lifecycle  # noqa: F401
        from qsgen.build import approvals, render, workers  # noqa: F401
        from qsgen.incremental import approvals as kept_approvals  # noqa: F401
        from qsgen.incremental import history  # noqa: F401

    return load


def in_progress(rules: Any, build_date: _dt.date | None) -> _dt.date | None:
    """The date a year is shown as of while its period has not ended (by the build's date), else None."""
    if build_date is None or build_date >= rules.period[1]:
        return None
    return max(build_date, rules.period[0])


def load_and_score(root: Path, progress: Callable[[str], None] | None = None, memo=None,
                   scores=None, digests=None, rules_digest: dict[int, str] | None = None,
                   build_date: _dt.date | None = None, year: int | None = None, last_commit=None
                   ) -> tuple[list[Results], list[Diagnostic]]:
    """Every year's (or ``year``'s) rules + records -> ([Results by year], warnings); raises
    QsgenError carrying every diagnostic of every year (and of a records/<year>/ folder
    without rules) when there is any error. ``scores``: a ScoreMemo per year."""
    from qsgen.repo import years as repo_years

    diags: list[Diagnostic] = [] if year is not None else repo_years.orphans(root)
    chosen = repo_years.chosen(root, year)
    if not chosen:
        from qsgen.rules import load_rules

        _rules, rule_diags = load_rules(root)  # says where rules belong
        raise QsgenError("考核规则有错误，未生成网站", sorted(set(rule_diags)))
    results: list[Results] = []
    for y in chosen:
        r, ds = load_year(root, y, build_date, progress, memo, (scores or {}).get(y), digests,
                          (rules_digest or {}).get(y), last_commit)
        diags += ds
        if r is not None:
            results.append(r)
    if year is None:
        from qsgen.rules.continuity import check_previous

        diags += check_previous([r.rules for r in results])
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        rules_only = all(d.path.startswith("rules/") for d in errors)
        raise QsgenError("考核规则有错误，未生成网站" if rules_only else "记录有错误，未生成网站", sorted(set(diags)))
    return results, sorted(set(d for d in diags if d.severity == "warning"))


def build(root: Path, out: Path | None = None, *, quiet: bool = False,
          progress: Callable[[str], None] | None = None, use_cache: bool = True,
          atomic: bool = False, pdf: bool = False) -> BuildReport:
    """Build the site of the repository at ``root`` into ``out`` (default root/_site).

    Nothing is written unless every stage succeeded; on errors raises QsgenError with every
    diagnostic, and the previous site stays exactly as it was. With ``use_cache`` the pages
    whose inputs did not change since the last build are taken from root/.qsgen-cache/
    (qsgen.incremental; the output is byte-identical to a clean build), and when ``out`` is the site
    the last build wrote, only the files that changed are written into it, each by an atomic
    rename, after everything else succeeded (writer.update_site). ``atomic`` (or no cache):
    the whole site is built beside ``out`` and swapped in at once (writer.write_site).
    ``pdf``: the print pages (result notices, the summary table) are published as PDF files
    too (publish/pdf.py: WeasyPrint, ~0.3-0.7 s of CPU a document, so not by default).
    """
    from qsgen.build import spawn
    from qsgen.repo import gitinfo

    root = Path(root)
    tracked = None
    if use_cache:
        from qsgen.incremental import CACHE_DIR  # (not cache.py: it is imported while git runs)

        if (root / CACHE_DIR).is_dir():
            tracked = CACHE_DIR
    # HEAD (head_commit: every build asks), and whether git tracks the cache (cache.committed,
    # when there is one), asked of git while this process goes on (~10 ms waited for at 10,000
    # files, `git ls-files` reading the whole index; a clean build without a cache waited for
    # HEAD after forking its workers, one of them idle until the first records are handed out)
    gitinfo.start_ahead(root, tracked)
    if _clean(root, use_cache) and _many_records(root, spawn.PARALLEL_MIN):
        # every page will be rendered: fresh workers start now, while this process loads the
        # rest of qsgen and reads the rules (they are ended below if no rendering takes them);
        # forked ones once it has (_build_with)
        spawn.prestart(early=True)
    try:
        # A build makes no lasting reference cycles; the collector's full passes over
        # everything loaded cost ~10% at 50,000 records (profiled). Memory is the same without them.
        with paused_gc():
            return _build(root, out, quiet, progress, use_cache, atomic, pdf)
    finally:
        from qsgen.build import workers

        workers.release()
        gitinfo.end_ahead()


def _clean(root: Path, use_cache: bool) -> bool:
    """Whether no page of the last build will be reused: no cache, or no saved page keys
    (looked at without loading them)."""
    if not use_cache:
        return True
    from qsgen.incremental.cache import CACHE_DIR, PAGES_DIR

    try:
        with os.scandir(Path(root) / CACHE_DIR / PAGES_DIR) as it:
            return not any(e.name.endswith(".pickle") for e in it)
    except OSError:
        return True


def _build(root: Path, out: Path | None, quiet: bool, progress: Callable[[str], None] | None,
           use_cache: bool, atomic: bool = False, pdf: bool = False) -> BuildReport:
    from qsgen.publish import writer

    out = Path(out) if out is not None else root / "_site"
    say = (lambda line: None) if quiet else (progress or _stderr)
    with writer.site_lock(out, say):  # every mode: one build at a time writes a site
        writer.remove_leftovers(out)  # what killed builds left beside it
        try:
            return _build_locked(root, out, say, use_cache, atomic, pdf)
        finally:
            writer.removed_later()  # (the files an update in place replaced, removed meanwhile)


def _build_locked(root: Path, out: Path, say: Callable[[str], None], use_cache: bool, atomic: bool,
                  pdf: bool) -> BuildReport:
    from qsgen.incremental import cache

    notes: list[Diagnostic] = []
    cache.take_rejected()  # (what an earlier build of this process refused was said then)
    if use_cache:
        from qsgen.incremental import pagestore, recordmemo, statcheck  # noqa: F401  (while git answers)

        committed = cache.committed(root)
        if committed is not None:  # not to be trusted: neither read nor written
            use_cache = False
            notes.append(committed)
        else:
            cache.prepare_dir(root)
    if not use_cache:
        return _build_with(root, out, say, notes, use_cache, atomic, None, pdf)
    with cache.locked(root, say):  # one build at a time reads and writes the cache
        cache.read_ahead(root)  # (the cache files read on a thread while qsgen is imported)
        try:
            return _build_cached(root, out, say, notes, atomic, pdf)
        finally:
            cache.read_ahead_end()


def _build_cached(root: Path, out: Path, say: Callable[[str], None], notes: list[Diagnostic], atomic: bool,
                  pdf: bool) -> BuildReport:
    from qsgen.incremental import cache, pagestore, recordmemo, statcheck

    # the status of every record file and page, checked on the other core
    # (and the site listed, for updating it in place: writer.update_site)
    check = statcheck.start([(recordmemo.RecordMemo.status_table(root), root),
                             (pagestore.PageStore.status_table(root), out)], listing=out,
                            paths=pagestore.PageStore.paths_file(root))
    if not _clean(root, True):
        # pages will be reused (no worker reads records, so none of read_many's meanwhile): the
        # site's code (Jinja, Markdown, the pages) is imported first, while the cache files are
        # read ahead, instead of after they are loaded (this process would wait for them first)
        from qsgen.build import render  # noqa: F401
    try:
        return _build_with(root, out, say, notes, True, atomic, check, pdf)
    except QsgenError as e:  # the cache files refused on the way are said with the errors
        refused = cache.rejected_warning(cache.take_rejected(), root)
        if refused is not None:
            e.diagnostics = [*e.diagnostics, refused]
        raise
    finally:
        check.close()


def _build_with(root: Path, out: Path, say: Callable[[str], None], notes: list[Diagnostic],
                use_cache: bool, atomic: bool, check: Any, pdf: bool = False) -> BuildReport:
    from qsgen.build import spawn
    from qsgen.incremental.pagestore import PageStore

    store = PageStore.load(root, lazy=True) if use_cache else PageStore()
    store.persisted = use_cache  # (saved at the end: what it writes is prepared while pages render)
    if store.empty and _many_records(root, spawn.PARALLEL_MIN):
        import qsgen.records  # noqa: F401  (loaded before a worker is forked: it reads records too)

        # every page will be rendered: the workers start while records are read, before the
        # site and Jinja are imported here (they import them while this process scores)
        spawn.prestart()
    try:
        return _build_into(root, out, say, notes, use_cache, atomic, check, pdf, store)
    finally:  # (workers.release when the build got to import it: it forgets what they were to compile)
        getattr(sys.modules.get("qsgen.build.workers"), "release", spawn.release)()


def _many_records(root: Path, at_least: int) -> bool:
    """Whether records/<year>/<unit>/ hold at least ``at_least`` .md files in all (counted
    only until then: a small repository's build starts no worker it will not use)."""
    n = 0
    try:
        with os.scandir(root / "records") as it:
            years = [e.path for e in it if e.is_dir(follow_symlinks=False)]
        for year in years:
            with os.scandir(year) as it:
                units = [e.path for e in it if e.is_dir(follow_symlinks=False)]
            for unit in units:
                with os.scandir(unit) as it:
                    n += sum(1 for e in it if e.name.endswith(".md"))
                if n >= at_least:
                    return True
    except OSError:
        pass
    return False


def _build_into(root: Path, out: Path, say: Callable[[str], None], notes: list[Diagnostic],
                use_cache: bool, atomic: bool, check: Any, pdf: bool, store: Any) -> BuildReport:
    from qsgen.build import workers
    from qsgen.build.inputs import build_date as date_of_build
    from qsgen.build.inputs import pdf_engine, site_inputs, templates_of
    from qsgen.incremental import cache
    from qsgen.publish import writer
    from qsgen.repo import gitinfo
    from qsgen.repo.years import rule_years

    # every page will be rendered: the records' git history is read while the records are, and
    # the first worker started ahead compiles the templates before it reads any
    early = gitinfo.HistoryPass(root, ("records",), now=False) if store.empty else None
    bytecode_dir = os.fspath(root / cache.CACHE_DIR / "jinja") if use_cache else None
    if store.empty:
        workers.compile_first(templates_of(root), bytecode_dir)
    site_code = _site_code(early)
    digests = {y: cache.tree_digest(root / "rules" / str(y), within=root) for y in rule_years(root)}
    memo = scores = lasts = None
    commit = gitinfo.head_commit(root)  # one git call for both HEAD and the build date
    when = date_of_build(root, commit)
    if use_cache:
        from qsgen.incremental import recordmemo, scorememo
        from qsgen.incremental.history import LastCommits

        lasts = LastCommits(root, commit[0] if commit else None)
        from qsgen.core.stages import manifest_path

        # (lifecycle.evaluate asks git whether a year without its final manifest had one)
        lasts.ahead(root, [manifest_path(y) for y in digests if not (root / manifest_path(y)).is_file()])

        validity = recordmemo.loader_digest(root, cache.tree_digest(root / "rules", within=root))
        memo = recordmemo.RecordMemo.load_disk(root, validity)
        memo.seed(store.digests)
        # (the workers started ahead read with this process; each gives the digests of what it
        # read; with nothing to replay, this process scores each unit folder once it is read)
        ahead = None
        if not memo.entries and not memo.packed:
            from qsgen.build.inputs import example_date
            from qsgen.build.prescore import prescorer

            day = when.date() if when else None
            ahead = prescorer(lambda: scores, store.digests,
                              lambda rules: in_progress(rules, example_date(root, rules.year) or day))
        memo.read_many = lambda ctx, files: workers.read_many(
            ctx, files, store.digests, None if ahead is None else lambda folder, got: ahead(ctx, folder, got),
            site_code)
        scores = {y: scorememo.ScoreMemo.load(root, scorememo.scoring_digest(validity), y) for y in digests}
        memo.changed_by = lambda: check.changed(0)  # (asked when the walk starts)
        store.use_check(lambda: check.changed(1), out)  # (the helper checks the pages next: asked later)
    results, warnings = load_and_score(root, say, memo, scores, store.digests,
                                       digests if use_cache else None, when.date() if when else None,
                                       last_commit=lasts.last if lasts is not None else None)
    say(f"计算得分：{len(results)} 个年度，{sum(len(r.units) for r in results)} 个单位")
    site_code()  # (done while the records were read, unless no worker read them)
    from qsgen.build.render import render_site
    from qsgen.site import template_errors

    kept: list[Any] = [memo, scores]

    later: list[Callable[[], None]] = []  # cache files site_inputs leaves to be written meanwhile

    def save_memos() -> None:
        # Saved while the workers render, not at the end: what the records parse to and the
        # units score does not depend on the site, and the memo's bookkeeping (~40 MB at
        # 50,000 records) is freed before this process makes its pages. (Not by a child forked
        # for it: measured, the copies on write of the heap both processes then touch cost more
        # CPU than the saving, ~0.07 s at 10,000 records, and no wall time on a busy machine.)
        memo, scores = kept
        kept[:] = [None, None]
        for write in later:
            write()
        later.clear()
        if memo is not None:
            memo.save_disk(root, store.digests.by_id)
            lasts.save()
            for r in results:
                scores[r.rules.year].save(root, r.rules)

    memo = scores = None
    engine = pdf_engine(pdf)
    inputs = [site_inputs(root, r, use_cache, commit, when, engine, digests.get(r.rules.year), warnings, early,
                          later if use_cache else None)
              for r in results]
    in_place = use_cache and not atomic and store.writes_to(out) and (out / writer.MARKER).is_file()
    # A whole new site: pages are streamed into it as they are rendered (flat memory).
    tmp = None if in_place else writer.begin(out, root)
    try:
        with template_errors.reported(root, inputs[-1].templates):  # Jinja errors -> path:line: message
            files = render_site(results, inputs, store, rules_digest=digests,
                                stream_dir=None if tmp is None else os.fspath(tmp),
                                bytecode_dir=bytecode_dir,
                                meanwhile=save_memos, written_later=True)
        say(f"生成页面：{len(files)} 个文件（重新生成 {store.rendered} 页，沿用缓存 {store.reused} 页）")
        if in_place:
            listed, same = store.listing(files, check)
            writer.update_site(files, out, root, listed, same=same)  # only what changed is written
        else:
            try:
                store.materialize(files)
            except OSError as e:
                raise QsgenError(f"读取上一次生成的页面失败：{e.strerror or e}（{e.filename}），"
                                 "请用 --no-cache 重新生成") from e
            writer.write_site(files, out, root, unchanged=store.unchanged_in(out), tmp=tmp)
    except BaseException as e:
        if tmp is not None:
            writer.settle(tmp, quiet=True)  # (what was still being written into it: done)
        written = writer.folder_bytes(tmp) if tmp is not None and isinstance(e, OSError) else 0
        if tmp is not None:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError):  # a page streamed into the new site: a full disk, say
            raise writer.write_failure(e, out, written=written) from e
        raise
    if use_cache:
        check.changed(1)  # (if no page asked for it: a table the helper refused is said with the others)
        store.save(root, out, files)
        refused = cache.rejected_warning(cache.take_rejected(), root)
        if refused is not None:
            notes.append(refused)
    keep_for_exit(results, store, files, inputs)
    say(f"完成：已写入 {out}（{len(files)} 个文件）")
    return BuildReport(out=out, files=len(files), units=sum(len(r.units) for r in results),
                       records=sum(len(r.records.records) for r in results),
                       warnings=notes + warnings)
