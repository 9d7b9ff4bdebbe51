"""The thin command line: parses arguments, calls the library, formats errors."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from pathlib import Path

# Each command lives in qsgen/commands/<module>.py with register(subparsers) and run(args).
COMMANDS = ["check", "build", "new", "rules", "diff", "codeowners", "approvals", "finalize", "verify", "serve", "cms"]

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


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; with ``only`` (a command's name) that command's alone: a
    command's module imports what it runs, and a `qsgen build` need not import the others'."""
    parser = _Parser(
        prog="qsgen",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version="qsgen " + _version())
    parser.add_argument("--root", default=None,
                        help="仓库根目录（默认：当前文件夹，或它上级中第一个有 rules/ 的文件夹）")
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)
    for name in COMMANDS if only is None else [only]:
        module = importlib.import_module(f"qsgen.cli.commands.{name}")
        module.register(sub)
    return parser


def command_of(argv: list[str]) -> str | None:
    """The command ``argv`` names (its first word that is not an option of the program's own
    or --root's value), when it is one of COMMANDS; None otherwise (help, a usage error)."""
    rest = list(argv)
    while rest:
        word = rest.pop(0)
        if word == "--root":
            if rest:
                rest.pop(0)
            continue
        if word.startswith("--root="):
            continue
        return word if word in COMMANDS else None
    return None


def _version() -> str:
    from qsgen import __version__

    return __version__


def find_root(start: Path) -> Path | None:
    """The repository ``start`` is in: the first of it and its parents holding a rules/ folder.

    The search does not leave a git repository (it stops at the folder holding .git) and ends
    at the file system root; None when no such folder is found."""
    here = Path(os.path.abspath(start))
    for folder in (here, *here.parents):
        if (folder / "rules").is_dir():
            return folder
        if (folder / ".git").exists():
            return None
    return None


NO_ROOT = ("qsgen：在当前文件夹和它的上级文件夹里都没有找到规则文件夹 rules/，不知道仓库在哪里。\n"
           "    提示：请在仓库根目录（有 rules/ 和 records/ 的那个文件夹）里运行，"
           "或者用 --root 指定仓库根目录，例如 qsgen --root 路径 check")


def resolve_root(args) -> bool:
    """Fill in args.root when --root was not given; False (reported) when there is no repository.

    From records/2023/longgang the root is ../../..: a relative path, so that every path printed
    stays relative to the repository (diagnostics always name records/2023/… in full)."""
    if getattr(args, "root", None) is not None:
        return True
    cwd = Path.cwd()
    found = find_root(cwd)
    if found is None:
        print(NO_ROOT, file=sys.stderr)
        return False
    args.root = "." if found == Path(os.path.abspath(cwd)) else os.path.relpath(found, cwd)
    return True


def main(argv: list[str] | None = None, *, process: bool = False) -> int:
    """Run one command; ``process``: this is the whole process (the `qsgen` program), which
    exits right after."""
    parser = build_parser(command_of(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    if not resolve_root(args):
        return 2
    if process and args.command != "serve":
        one_shot()
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130


def one_shot() -> None:
    """For a process that runs one command and exits: the cyclic garbage collector off. A
    command makes no lasting reference cycles, and the collector's passes over everything
    loaded (a full one when a build turns it back on) cost ~0.1 s at 10,000 records. The
    long-running `serve` keeps it; so do tests calling main(). What the command loaded is
    kept until the process ends (runtime.keep_for_exit, leave)."""
    from qsgen.core import runtime

    gc.disable()
    runtime.RETAINED = []


def entry() -> None:
    """The `qsgen` program."""
    try:
        try:
            code = main(process=True)
        except SystemExit as e:  # argparse after --help, --version or a usage error
            if not isinstance(e.code, int | None):
                raise
            code = e.code or 0
        sys.stdout.flush()
    except BrokenPipeError:
        code = reader_gone()
    sys.exit(leave(code))


PIPE_CLOSED = 141  # what a shell reports for a program ended by SIGPIPE (128 + 13)


def reader_gone() -> int:
    """The reader of our output went away (`qsgen rules | head -1`): no traceback, nothing
    more written; what is still buffered goes to /dev/null instead of raising again when the
    interpreter flushes it. Returns the exit status of a program ended by a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor behind sys.stdout
        pass
    return PIPE_CLOSED


def leave(code: int) -> int:
    """Before the process exits: everything still loaded is moved out of the collector's
    reach, so the interpreter's shutdown does not walk it all once more (~0.1 s at 10,000
    records). Returns ``code``; after one_shot() the process ends here, output flushed,
    without freeing what the command kept (os._exit: nothing else is left to clean up, the
    render workers were waited for)."""
    gc.freeze()
    from qsgen.core import generated, runtime

    generated.save()

    if runtime.RETAINED is not None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    return code


if __name__ == "__main__":
    entry()
