"""`qsgen codeowners [--check]`: write or check CODEOWNERS and rules/allowed_signers from rules/owners.yaml."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EPILOG = """\
示例：
  qsgen codeowners           重新生成 CODEOWNERS 和 rules/allowed_signers（改了 rules/owners.yaml 或规则的 responsible 之后）
  qsgen codeowners --check   只检查这两个文件是否最新（CI 中使用，过期时退出码为 1）

股室 → 平台团队、股室 → 审核人及其 SSH 公钥，都写在 rules/owners.yaml（本局只需改这一个文件）；
每类记录由它影响的加减分项目的责任股室审核，例如案件 → 法规股、信息报道 → 办公室，
工作佐证和 assessment.yaml → 考核领导小组办公室，rules/ → 局班子会议。
rules/allowed_signers 只在 owners.yaml 写了 approvers:（审核人）时生成，供 git 和 qsgen approvals 核对签名。
"""


def register(sub) -> None:
    p = sub.add_parser(
        "codeowners",
        help="根据规则生成 CODEOWNERS 和审核人公钥文件 rules/allowed_signers",
        description="根据 rules/ 和 rules/owners.yaml 生成仓库根目录的 CODEOWNERS："
                    "每类记录文件由它所影响的加减分项目的责任股室审核；"
                    "写了审核人（approvers:）时，同时生成 rules/allowed_signers。",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--check", action="store_true",
                   help="只检查已提交的文件是否最新，不写文件（过期时退出码为 1）")
    p.set_defaults(run=run)


def _rules_count(text: str) -> int:
    return len([x for x in text.splitlines() if x and not x.startswith("#")])


def run(args) -> int:
    from qsgen.review import codeowners  # imported here: other commands do not pay for it

    root = Path(getattr(args, "root", ".") or ".")
    files, diags = codeowners.generate_all(root)
    for d in diags:
        print(d.format_text(), file=sys.stderr)
    if files is None:
        print("未能生成 CODEOWNERS，请先改正上面的问题。", file=sys.stderr)
        return 1
    status = 0
    for rel, text in files.items():
        path = root / rel
        current = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n") if path.is_file() else None
        if args.check:
            if current == text:
                print(f"{rel} 是最新的。")
                continue
            status = 1
            if current is None:
                print(f"{rel} 不存在：运行 qsgen codeowners 生成后提交。", file=sys.stderr)
            else:
                line = codeowners.first_difference(current, text)
                print(f"{rel}:{line}:1: {rel} 已过期：运行 qsgen codeowners 重新生成后提交。", file=sys.stderr)
            continue
        if current == text:
            print(f"{rel} 已是最新，未改动。")
            continue
        path.write_text(text, encoding="utf-8", newline="\n")
        what = "条规则" if rel == codeowners.CODEOWNERS_PATH else "把公钥"
        print(f"已写入 {rel}（{_rules_count(text)} {what}）。")
    return status
