"""`qsgen verify YEAR`: check a final year's inputs and scores against its manifest, and the manifest's signature."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EPILOG = """\
示例：
  qsgen verify 2023     核对 2023 年度的定稿清单

逐个核对本年度的规则、记录、附件和评分文件与定稿清单（records/<年度>/manifest.json）中的
SHA-256 是否一致，重新计分核对得分，并用 rules/allowed_signers 离线核对清单的 SSH 签名
（ssh-keygen -Y verify）。定稿后有改动而没有更正记录说明的，或签名无效的，退出码为 1。
"""


def register(sub) -> None:
    p = sub.add_parser("verify", help="核对已定稿年度的定稿清单和签名",
                       description="核对已定稿年度的输入文件、得分与定稿清单是否一致，以及清单的签名。",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("year", type=int, help="考核年度，如 2023")
    p.set_defaults(run=run)


SIGNATURE = {"verified": "签名已验证", "invalid": "签名无效：清单在签名后被改动过，或签名人不在 rules/allowed_signers 中",
             "unsigned": "清单没有签名", "unverifiable": "清单有签名，但没有 rules/allowed_signers，无法核对"}


def run(args) -> int:
    from qsgen.build.finalize import verify
    from qsgen.core.errors import QsgenError

    root = Path(getattr(args, "root", ".") or ".")
    try:
        v = verify(root, args.year)
    except QsgenError as e:
        for d in e.diagnostics:
            print(d.format_text(), file=sys.stderr)
        print(f"qsgen verify: {e}", file=sys.stderr)
        return 1
    print(f"定稿清单 records/{args.year}/manifest.json，SHA-256 {v.digest}，{v.files} 个文件")
    for path, what in v.explained:
        print(f"  已更正：{path}（{what}）")
    for path, what, line in v.unexplained:
        print(f"{path}:{line}:1: 与定稿清单不同：{what}，且没有更正记录说明", file=sys.stderr)
    if v.scores_same:
        print("得分：与定稿清单一致")
    else:
        print("得分：与定稿清单不同" + ("（有更正记录）" if v.explained else "，且没有更正记录说明"))
    who = f"（{v.signer}）" if v.signer else ""
    print(f"签名：{SIGNATURE.get(v.signature, v.signature)}{who}")
    if v.ok:
        print(f"核对通过：{args.year} 年度的结果与定稿清单一致" + ("（含更正）" if v.explained else "") + "。")
        return 0
    print(f"核对未通过：{args.year} 年度的结果与定稿清单不一致。", file=sys.stderr)
    return 1
