"""`qsgen codeowners [--check]`: write or check CODEOWNERS from the rules and rules/owners.yaml."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EPILOG = """\
示例：
  qsgen codeowners           重新生成 CODEOWNERS（改了 rules/owners.yaml 或规则的 responsible 之后）
  qsgen codeowners --check   只检查 CODEOWNERS 是否最新（CI 中使用，过期时退出码为 1）

股室 → 平台团队的对应关系写在 rules/owners.yaml（本局只需改这一个文件）；
每类记录由它影响的加减分项目的责任股室审核，例如案件 → 法规股、信息报道 → 办公室，
工作佐证和 assessment.yaml → 考核领导小组办公室，rules/ → 局班子会议。
"""


def register(sub) -> None:
    p = sub.add_parser(
        "codeowners",
        help="根据规则生成 CODEOWNERS（每类记录由责任股室审核）",
        description="根据 rules/ 和 rules/owners.yaml 生成仓库根目录的 CODEOWNERS："
                    "每类记录文件由它所影响的加减分项目的责任股室审核。",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--check", action="store_true",
                   help="只检查已提交的 CODEOWNERS 是否最新，不写文件（过期时退出码为 1）")
    p.set_defaults(run=run)


def run(args) -> int:
    from qsgen.review import codeowners  # imported here: other commands do not pay for it

    root = Path(getattr(args, "root", ".") or ".")
    text, diags = codeowners.generate(root)
    for d in diags:
        print(d.format_text(), file=sys.stderr)
    if text is None:
        print("未能生成 CODEOWNERS，请先改正上面的问题。", file=sys.stderr)
        return 1
    path = root / codeowners.CODEOWNERS_PATH
    current = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n") if path.is_file() else None
    if args.check:
        if current == text:
            print("CODEOWNERS 是最新的。")
            return 0
        if current is None:
            print("CODEOWNERS 不存在：运行 qsgen codeowners 生成后提交。", file=sys.stderr)
        else:
            line = codeowners.first_difference(current, text)
            print(f"CODEOWNERS:{line}:1: CODEOWNERS 已过期：运行 qsgen codeowners 重新生成后提交。",
                  file=sys.stderr)
        return 1
    if current == text:
        print("CODEOWNERS 已是最新，未改动。")
        return 0
    path.write_text(text, encoding="utf-8", newline="\n")
    print(f"已写入 {codeowners.CODEOWNERS_PATH}（{len([x for x in text.splitlines() if x and not x.startswith('#')])} 条规则）。")
    return 0
