"""`qsgen approvals [--base REV]`: who approved each record and rules file, verified from git signatures."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EPILOG = """\
示例：
  qsgen approvals                        核对主分支上每个记录、评分文件和规则文件的审核签名
  qsgen approvals --base origin/main     只核对本分支（合并请求）相对 main 改动的文件：
                                         与 main 的共同祖先（merge base）之后，有没有责任股室的签名审核提交
  qsgen approvals --list                 同时列出已审核的文件：股室、审核人、日期
  qsgen approvals --error unapproved,outside,self,invalid   把这些问题当作错误（CI 中强制审核）
  qsgen approvals --strict               等同把四类问题都当作错误
  qsgen approvals -q                     只输出一行统计（发布网站的 CI 作业中使用）

四类问题：unapproved 未经审核（没有审核人的 SSH 签名）、outside 审核人不属于责任股室、
self 审核人就是提交人、invalid 签名无效（提交在签名后被改动，或密钥不在 rules/allowed_signers 中）。
默认只是警告，退出码 0；有被当作错误的问题时退出码为 1；找不到共同祖先等用法问题退出码为 2。
审核人及其公钥写在 rules/owners.yaml 的 approvers:；没有写时本命令什么也不核对。
怎样签名审核，见 docs/guide/review.md。
"""


def register(sub) -> None:
    p = sub.add_parser(
        "approvals",
        help="核对审核签名：每个记录由谁审核、是否责任股室、签名是否有效",
        description="用 git 和 ssh-keygen 离线核对审核签名：每个记录文件、评分文件和规则文件的当前内容，"
                    "是否由责任股室的审核人用 SSH 签名审核（签名的合并提交，或带 Approved-by: 的审核提交）。",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--base", metavar="REV", default=None,
                   help="只核对本分支相对 REV 改动的文件（与 REV 的共同祖先之后的提交），如 origin/main")
    p.add_argument("--error", metavar="类别", default="",
                   help="当作错误的问题，逗号分隔：unapproved,outside,self,invalid")
    p.add_argument("--strict", action="store_true", help="四类问题都当作错误")
    p.add_argument("--list", action="store_true", help="也列出已审核的文件")
    p.add_argument("-q", "--quiet", action="store_true", help="只输出一行统计（和被当作错误的问题）")
    p.add_argument("--format", choices=["text", "github", "json"], default="text",
                   help="输出格式：text（默认）、github（GitHub/Gitea Actions 注释）、json")
    p.add_argument("paths", nargs="*", metavar="文件", help="只核对这些文件（默认：全部）")
    p.set_defaults(run=run)


def run(args) -> int:
    from qsgen.approvals import engine
    from qsgen.cli.commands.check import write

    root = Path(getattr(args, "root", ".") or ".")
    errors = list(engine.PROBLEMS) if args.strict else [e.strip() for e in args.error.split(",") if e.strip()]
    unknown = [e for e in errors if e not in engine.PROBLEMS]
    if unknown:
        print(f"qsgen approvals: 用法错误：不认识的问题类别 {'、'.join(unknown)}；"
              f"可用：{','.join(engine.PROBLEMS)}", file=sys.stderr)
        return 2
    paths = [p.replace("\\", "/").removeprefix("./") for p in args.paths] or None
    report, cfg, diags = engine.run(root, paths, args.base)
    if report is None:
        write(diags, args.format, sys.stdout)
        if any(d.severity == "error" for d in diags):
            return 1
        print("rules/owners.yaml 中没有设置审核人（approvers:），不核对审核签名。", file=sys.stderr)
        return 1 if errors else 0
    if any(d.severity == "error" for d in report.diagnostics):
        write(diags, args.format, sys.stdout)
        return 2
    found = diags + engine.problems(report, errors)
    if args.quiet:
        found = [d for d in found if d.severity == "error"]
    names = _names(root)
    if args.format == "json":
        json.dump([_plain(a, cfg, names) for a in sorted(report.approvals.values(), key=lambda a: a.path)],
                  sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif args.format == "github":
        write(found, args.format, sys.stdout)
    else:
        _write_text(found)
    if args.format != "json" and args.list:
        for a in sorted(report.approvals.values(), key=lambda a: a.path):
            if a.status == engine.APPROVED:
                person = cfg.people[a.signer]
                print(f"{a.path}: 已审核：{names(a.department)} {person.name} · {a.date}"
                      f"（{'合并提交' if a.via == 'merge' else '审核提交'} {a.commit[:10]}）")
    print(_summary(report, args.base), file=sys.stderr)
    return 1 if any(d.severity == "error" for d in found) else 0


def _write_text(diags) -> None:
    """path:line:col: message, each different hint once at the end (a hint is the same for
    every file with the same problem)."""
    hints: list[str] = []
    for d in diags:
        print(d.format_text().split("\n", 1)[0])
        if d.hint and d.hint not in hints:
            hints.append(d.hint)
    for hint in hints:
        print(f"    提示：{hint}")
    sys.stdout.flush()


def _names(root: Path):
    from qsgen.rules import load_rules

    rules, _ = load_rules(root)
    departments = rules.departments if rules else {}
    return lambda dept: departments.get(dept, dept)


def _plain(a, cfg, names) -> dict:
    person = cfg.people.get(a.signer)
    return {"path": a.path, "status": a.status, "responsible": [names(d) for d in a.responsible],
            "department": names(a.department) if a.department else "",
            "approver": person.name if person else "", "date": a.date, "commit": a.commit, "via": a.via,
            "change": a.change, "detail": a.detail}


def _summary(report, base: str | None) -> str:
    from qsgen.approvals import engine

    counts = {s: 0 for s in engine.STATUSES}
    for a in report.approvals.values():
        counts[a.status] += 1
    scope = f"本分支（自共同祖先 {report.base[:10]} 起）改动的" if base else ""
    parts = [f"已审核 {counts[engine.APPROVED]}", f"未经审核 {counts[engine.UNSIGNED]}",
             f"非责任股室 {counts[engine.OUTSIDE]}", f"本人审核 {counts[engine.SELF]}",
             f"签名无效 {counts[engine.BAD] + counts[engine.UNKNOWN]}"]
    return f"审核签名：{scope}{len(report.approvals)} 个文件，" + "，".join(parts) + "。"
