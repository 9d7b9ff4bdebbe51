"""The build pipeline: load rules -> load records -> score -> render -> write the site."""

from __future__ import annotations

import datetime as _dt
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qsgen.errors import Diagnostic, QsgenError
from qsgen.model import RecordSet, Results

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


def read_attachments(root: Path, records: RecordSet) -> dict[str, bytes]:
    """Attachment bytes by repository path; only files inside records/ (validated by records.py)."""
    out: dict[str, bytes] = {}
    base = (root / "records").resolve()
    for rec in records.records:
        for rel in rec.attachments:
            if rel in out:
                continue
            full = (root / rel).resolve()
            if base not in full.parents or not full.is_file():
                continue  # records.py reports missing or escaping attachments
            out[rel] = full.read_bytes()
    return out


def _source_date(root: Path) -> _dt.datetime | None:
    try:
        from qsgen import gitinfo
    except ImportError:  # pragma: no cover - during development
        gitinfo = None
    if gitinfo is not None:
        return gitinfo.source_date(root)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC)
    return None


def _history(root: Path, paths: list[str]) -> dict:
    try:
        from qsgen import gitinfo
    except ImportError:  # pragma: no cover - during development
        return {}
    return gitinfo.file_history(root, paths)


def load_and_score(root: Path, progress: Callable[[str], None] | None = None
                   ) -> tuple[Results, list[Diagnostic]]:
    """Rules + records -> (Results, warnings); raises QsgenError carrying every diagnostic."""
    from qsgen.records import load_records
    from qsgen.rules import load_rules
    from qsgen.scoring import score

    say = progress or (lambda line: None)
    rules, rule_diags = load_rules(root)
    errors = [d for d in rule_diags if d.severity == "error"]
    if rules is None or errors:
        raise QsgenError("考核规则有错误，未生成网站", sorted(set(rule_diags)))
    say(f"读取规则：{rules.root}/，{len(rules.units)} 个考核单位，{len(rules.adjustments)} 条加减分规则")
    records, rec_diags = load_records(root, rules)
    diags = list(rule_diags) + list(rec_diags)
    if any(d.severity == "error" for d in diags):
        raise QsgenError("记录有错误，未生成网站", sorted(set(diags)))
    say(f"读取记录：{len(records.records)} 条记录，{len(records.assessments)} 个评分文件")
    results = score(rules, records)
    return results, sorted(set(d for d in diags if d.severity == "warning"))


def site_inputs(root: Path, results: Results):
    """What the site needs besides the scores: git provenance, attachments, date, templates."""
    from qsgen import site

    paths = sorted({r.path for r in results.records.records}
                   | {a.path for a in results.records.assessments.values()})
    return site.SiteInputs(
        history=_history(root, paths),
        attachments=read_attachments(root, results.records),
        source_date=_source_date(root),
        example=is_example(root, results.rules.year),
        templates=(root / "site_templates") if (root / "site_templates" / "base.html").is_file() else None,
    )


def build(root: Path, out: Path | None = None, *, quiet: bool = False,
          progress: Callable[[str], None] | None = None, use_cache: bool = True) -> BuildReport:
    """Build the site of the repository at ``root`` into ``out`` (default root/_site).

    Nothing is written unless every stage succeeded; on errors raises QsgenError with every
    diagnostic, and the previous site stays exactly as it was. With ``use_cache`` the pages
    whose inputs did not change since the last build are taken from root/.qsgen-cache/
    (cache.py; the output is byte-identical to a clean build).
    """
    from qsgen.records import paused_gc

    # A build makes no lasting reference cycles; the collector's full passes over everything
    # loaded cost ~10% at 50,000 records (profiled). Memory is the same without them.
    with paused_gc():
        return _build(Path(root), out, quiet, progress, use_cache)


def _build(root: Path, out: Path | None, quiet: bool, progress: Callable[[str], None] | None,
           use_cache: bool) -> BuildReport:
    from qsgen import cache, template_errors, writer

    out = Path(out) if out is not None else root / "_site"
    say = (lambda line: None) if quiet else (progress or _stderr)
    results, warnings = load_and_score(root, say)
    say(f"计算得分：{len(results.units)} 个单位")
    inputs = site_inputs(root, results)
    store = cache.PageStore.load(root) if use_cache else cache.PageStore()
    with template_errors.reported(root, inputs.templates):  # Jinja errors -> path:line: message
        files = cache.build_site(results, inputs, store, rules_digest=cache.tree_digest(root / "rules"))
    say(f"生成页面：{len(files)} 个文件（重新生成 {store.rendered} 页，沿用缓存 {store.reused} 页）")
    writer.write_site(files, out, root, unchanged=store.unchanged_in(out))
    if use_cache:
        store.save(root, out)
    say(f"完成：已写入 {out}（{len(files)} 个文件）")
    return BuildReport(out=out, files=len(files), units=len(results.units),
                       records=len(results.records.records),
                       warnings=warnings)
