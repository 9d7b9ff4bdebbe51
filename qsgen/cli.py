"""The thin command line: parses arguments, calls the library, formats errors."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each command lives in qsgen/commands/<module>.py with register(subparsers) and run(args).
COMMANDS = ["check", "build", "new", "rules", "diff", "codeowners", "serve"]

DESCRIPTION = """\
qsgen：把年度工作目标考核办法变成可执行的规则，校验各单位提交的佐证记录，
精确计算得分并生成静态网站。

常用命令：
  qsgen check            校验 records/ 下的全部记录（提交合并请求前先运行）
  qsgen new case longgang  为龙港所新建一条案件记录
  qsgen build            计算得分并生成网站到 _site/（等同 python build.py）
  qsgen rules            列出已加载的考核规则
"""


class _Parser(argparse.ArgumentParser):
    """argparse with Chinese error lines and exit status 2 for usage errors."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 用法错误：{message}\n（运行 {self.prog} --help 查看说明）\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="qsgen",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version="qsgen " + _version())
    parser.add_argument("--root", default=".", help="仓库根目录（默认当前目录）")
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"qsgen.commands.{name}")
        module.register(sub)
    return parser


def _version() -> str:
    from qsgen import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
