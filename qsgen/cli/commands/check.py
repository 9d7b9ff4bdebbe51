"""`qsgen check`: validate the rules and every record, print each problem with file and line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qsgen.core.errors import Diagnostic
from qsgen.core.runtime import keep_for_exit

EPILOG = """\
示例：
  qsgen check                     校验当前仓库（提交合并请求前先运行）
  qsgen --root ../kaohe check     校验另一个目录中的仓库
  qsgen check --format github     输出 GitHub Actions 注释（CI 中使用，错误会标在出错的行上）
  qsgen check --format json       输出 JSON 列表，供其他程序读取

没有问题时什么也不输出，退出码为 0；有错误时逐条列出“文件:行:列: 说明”和提示，退出码为 1；
命令用法错误时退出码为 2。
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
    p.add_argument("--year", type=int, default=None, help="考核年度（默认取 rules/ 下最新的年度）")
    p.add_argument("-v", "--verbose", action="store_true", help="没有问题时也输出一行统计")
    p.set_defaults(run=run)


def collect(root: Path, year: int | None = None):
    """(rules, record set, diagnostics) for the repository at ``root``."""
    from qsgen.records import load_records
    from qsgen.rules import load_rules

    rules, diags = load_rules(root, year) if year is not None else load_rules(root)
    if rules is None:
        return None, None, sorted(set(diags))
    records, rdiags = load_records(root, rules)
    return rules, records, sorted(set(diags) | set(rdiags))


def run(args) -> int:
    root = Path(getattr(args, "root", ".") or ".")
    if not root.is_dir():
        print(f"qsgen check: 用法错误：目录 {root} 不存在", file=sys.stderr)
        return 2
    rules, records, diags = collect(root, getattr(args, "year", None))
    keep_for_exit(rules, records)
    from qsgen.review.codeowners import stale_warnings  # imported here: `qsgen --help` stays fast

    # CODEOWNERS or rules/allowed_signers no longer matching rules/ and rules/owners.yaml
    stale = stale_warnings(root)
    if stale:
        diags = sorted([*diags, *stale])
    errors = [d for d in diags if d.severity == "error"]
    try:
        write(diags, getattr(args, "format", "text"), sys.stdout)
    except BrokenPipeError:  # e.g. piped into head: the exit status still tells
        return 1 if errors else 0
    if errors:
        files = len({d.path for d in errors})
        print(f"共 {len(errors)} 个错误，涉及 {files} 个文件。", file=sys.stderr)
        return 1
    if getattr(args, "verbose", False) and records is not None:
        print(f"检查通过：{len(records.records)} 条记录，{len(records.assessments)} 个评分文件。",
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
