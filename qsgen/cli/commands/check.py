"""`qsgen check`: validate the rules and every record, print each problem with file and line."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from qsgen.core.errors import Diagnostic
from qsgen.core.runtime import keep_for_exit

PRIVACY = "privacy"  # the code of records/privacy.py's warnings (not imported: --help stays fast)

EPILOG = """\
示例：
  qsgen check                     校验当前仓库（提交合并请求前先运行）
  qsgen --root ../kaohe check     校验另一个目录中的仓库
  qsgen check --format github     输出 GitHub Actions 注释（CI 中使用，错误会标在出错的行上）
  qsgen check --format json       输出 JSON 列表，供其他程序读取
  qsgen check --privacy-errors    疑似个人信息（身份证号、手机号、银行卡号）算作错误（CI 中使用）

没有问题时什么也不输出，退出码为 0；有错误时逐条列出“文件:行:列: 说明”和提示，退出码为 1；
命令用法错误时退出码为 2。只有警告（“警告：”开头）时退出码为 0。

记录和评分文件的全部内容都会在网站上公开。看起来像居民身份证号码（校验位正确）、手机号码、
银行卡号（Luhn 校验正确）的数字，会给出警告和遮住中间的写法（如 140521********1234）；
加 --privacy-errors 时它们是错误，合并请求不能通过。网址、案号（case_no）、文号里的数字不算。
"""


def register(sub) -> None:
    p = sub.add_parser(
        "check",
        help="校验考核规则和全部记录（不生成网站）",
        description="校验 rules/ 中的考核规则和 records/ 中的全部记录与评分文件，"
                    "一次列出所有文件中的所有问题。",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--format", choices=["text", "github", "json"], default="text",
                   help="输出格式：text（默认，文件:行:列: 说明）、github（GitHub Actions 注释）、json")
    p.add_argument("--year", type=int, default=None, help="只校验这一个考核年度（默认：rules/ 下的每个年度）")
    p.add_argument("--privacy-errors", action="store_true",
                   help="把疑似个人信息（身份证号、手机号、银行卡号）的警告当作错误，退出码为 1（CI 中使用）")
    p.add_argument("-v", "--verbose", action="store_true", help="没有问题时也输出一行统计")
    p.set_defaults(run=run)


def collect(root: Path, year: int | None = None):
    """([(rules, record set)] of each year checked, diagnostics) for the repository at ``root``:
    every year with rules (``year``: that one), and every records/<year>/ folder without rules."""
    from qsgen.records import load_records
    from qsgen.repo import years
    from qsgen.rules import load_rules

    chosen = years.chosen(root, year)
    diags = set(years.orphans(root)) if year is None else set()
    loaded = []
    for y in chosen or [None]:
        rules, rdiags = load_rules(root, y)
        diags |= set(rdiags)
        if rules is None:
            continue
        records, cdiags = load_records(root, rules)
        diags |= set(cdiags)
        diags |= set(lifecycle_problems(root, rules, records))
        loaded.append((rules, records))
    if year is None:
        from qsgen.rules.continuity import check_previous

        diags |= set(check_previous([rules for rules, _records in loaded]))
    return loaded, sorted(diags)


def lifecycle_problems(root: Path, rules, records) -> list[Diagnostic]:
    """The year's 公示, objections, answers, corrections and final manifest checked as of the
    build's date (overdue objections are warnings; a difference from a final year's manifest
    without a correction is an error)."""
    from qsgen.build.inputs import build_date, example_date
    from qsgen.lifecycle import evaluate

    when = build_date(root)
    today = example_date(root, rules.year) or (when.date() if when else None)
    return evaluate(root, rules, records, today)[1]


def run(args) -> int:
    root = Path(getattr(args, "root", ".") or ".")
    if not root.is_dir():
        print(f"qsgen check: 用法错误：目录 {root} 不存在", file=sys.stderr)
        return 2
    loaded, diags = collect(root, getattr(args, "year", None))
    keep_for_exit(loaded)
    from qsgen.review.codeowners import stale_warnings  # imported here: `qsgen --help` stays fast

    # CODEOWNERS or rules/allowed_signers no longer matching rules/ and rules/owners.yaml
    stale = stale_warnings(root)
    if stale:
        diags = sorted([*diags, *stale])
    if getattr(args, "privacy_errors", False):
        diags = sorted(replace(d, severity="error") if d.code == PRIVACY else d for d in diags)
    errors = [d for d in diags if d.severity == "error"]
    try:
        write(diags, getattr(args, "format", "text"), sys.stdout)
    except BrokenPipeError:  # e.g. piped into head: the exit status still tells
        return 1 if errors else 0
    if errors:
        files = len({d.path for d in errors})
        print(f"共 {len(errors)} 个错误，涉及 {files} 个文件。", file=sys.stderr)
        return 1
    if getattr(args, "verbose", False) and loaded:
        for rules, records in loaded:
            print(f"检查通过：{rules.year} 年度 {len(records.records)} 条记录，{len(records.assessments)} 个评分文件。",
                  file=sys.stderr)
    return 0


def write(diags: list[Diagnostic], fmt: str, out) -> None:
    """Print diagnostics as text (path:line:col: message + 提示), GitHub annotations or JSON."""
    if fmt == "json":
        json.dump([d.to_json() for d in diags], out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt == "github":
        for d in diags:
            out.write(format_github(d) + "\n")
    else:
        for d in diags:
            out.write(d.format_text() + "\n")
    out.flush()


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(d: Diagnostic) -> str:
    """One GitHub Actions workflow command: ::error file=…,line=…,col=…::message（提示：…）."""
    level = "warning" if d.severity == "warning" else "error"
    message = d.message + (f"（提示：{d.hint}）" if d.hint else "")
    return (f"::{level} file={_escape_property(d.path)},line={d.line},col={d.col}::"
            f"{_escape_data(message)}")
