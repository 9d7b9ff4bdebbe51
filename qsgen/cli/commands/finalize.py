"""`qsgen finalize YEAR [--sign KEY]`: write (and sign) the final manifest of a year whose status says 定稿."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EPILOG = """\
示例：
  qsgen finalize 2023                          生成 records/2023/manifest.json（定稿清单）
  qsgen finalize 2023 --sign ~/.ssh/id_ed25519  同时用 SSH 私钥签名，生成 manifest.json.sig

定稿前先在 records/<年度>/status.yaml 写 state: 定稿 和 final（定稿日期、定稿决定文号）；
全部任务项已评定、每条异议都已答复，才能定稿。定稿清单记下本年度每个输入文件（规则、记录、
附件、评分文件）和各单位得分的 SHA-256 摘要，与 status.yaml 一起提交。此后 qsgen check 和
qsgen build 拒绝任何与清单不同的改动，除非有更正记录（correction）说明；qsgen verify 核对。
签名用审核人在 rules/owners.yaml 登记的 SSH 密钥，任何人可用 rules/allowed_signers 离线核对。
"""


def register(sub) -> None:
    p = sub.add_parser("finalize", help="定稿：生成并可签名本年度的定稿清单",
                       description="为状态已写明定稿的年度生成定稿清单 records/<年度>/manifest.json。",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("year", type=int, help="考核年度，如 2023")
    p.add_argument("--sign", metavar="私钥", default=None, help="用这个 SSH 私钥签名（ssh-keygen -Y sign）")
    p.set_defaults(run=run)


def run(args) -> int:
    from qsgen.build.finalize import finalize
    from qsgen.core.errors import QsgenError

    root = Path(getattr(args, "root", ".") or ".")
    try:
        rel, digest = finalize(root, args.year, Path(args.sign).expanduser() if args.sign else None)
    except QsgenError as e:
        for d in e.diagnostics:
            print(d.format_text(), file=sys.stderr)
        print(f"qsgen finalize: {e}", file=sys.stderr)
        return 1
    print(f"已生成定稿清单 {rel}（SHA-256 {digest}）" + ("，并已签名" if args.sign else ""))
    print(f"请把 {rel}{'、' + rel + '.sig' if args.sign else ''} 和 records/{args.year}/status.yaml 一起提交。")
    return 0
