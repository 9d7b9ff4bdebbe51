"""`qsgen diff BASE [HEAD]`: what a change does to scores and ranks, as text or a PR comment."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

EPILOG = """\
示例：
  qsgen diff main                        当前工作区（含未提交的改动）与 main 分支比较
  qsgen diff --merge-base origin/main    本分支与 main 的共同祖先比较：只看本分支的改动（审核合并请求用这个）
  qsgen diff origin/main HEAD            已提交的 HEAD 与远端 main 的最新版本比较
  qsgen diff main --format markdown      输出 Markdown 表格，可直接贴到合并请求评论
  qsgen diff v2023-12 v2024-01 -o 变化.txt  比较两个标签，写到文件

每个得分有变化的单位一行：总分变化、原因（哪条加减分规则、哪个任务项）、排名变化，
下面列出引起变化的记录。不加 --merge-base 时与 BASE 的最新版本比较：分支切出后 main 上新增的记录
会显示为“删除”，那不是本分支的改动。--merge-base 需要完整历史（CI 中 fetch-depth: 0）。
退出码：0 正常（得分有变化也是 0）；1 新版本有校验错误；2 找不到版本或用法错误。
"""


def register(sub) -> None:
    p = sub.add_parser(
        "diff",
        help="比较两个版本的得分和排名（用于审核合并请求）",
        description="计算 BASE 和 HEAD 两个 git 版本的得分，列出每个单位总分、排名的变化，"
                    "以及是哪条加减分规则、哪个任务项、哪些记录引起的变化。"
                    "不指定 HEAD 时与当前工作区（含未提交的改动）比较。"
                    "只读取 git 对象，不会改动工作区和暂存区。",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("base", metavar="BASE", help="基准版本：分支、标签或提交，如 main、origin/main")
    p.add_argument("head", metavar="HEAD", nargs="?", default=None,
                   help="新版本（默认：当前工作区）")
    p.add_argument("--merge-base", action="store_true",
                   help="与 BASE 和 HEAD 的共同祖先（git merge-base）比较，只显示本分支的改动")
    p.add_argument("--format", choices=["text", "markdown"], default="text",
                   help="输出格式：text（终端）或 markdown（可直接贴到合并请求评论）")
    p.add_argument("--year", type=int, default=None,
                   help="只比较这一个考核年度（默认：这次改动涉及的每个年度；都没涉及时比较最新年度）")
    p.add_argument("--output", "-o", default=None, help="写到文件而不是屏幕")
    p.set_defaults(run=run)


def touched_years(diff, base_root: Path, head_root: Path) -> list[int]:
    """The years whose rules or records differ between the two trees (the latest year with
    rules when none does: the report then says nothing changed)."""
    from qsgen.repo.years import rule_years

    years = set()
    for folder in ("rules", "records"):
        for path in diff.changed_files(base_root, head_root, folder):
            part = path.split("/")[1] if path.count("/") >= 1 else ""
            if len(part) == 4 and part.isdigit():
                years.add(int(part))
    if years:
        return sorted(years)
    known = rule_years(head_root) or rule_years(base_root)
    return known[-1:] if known else [None]


def run(args) -> int:
    from qsgen.review import diff  # imported here: other commands do not pay for it

    root = Path(getattr(args, "root", ".") or ".").resolve()
    reports = []
    try:
        base_rev = args.base
        base_label = diff.describe(root, args.base)
        if getattr(args, "merge_base", False):
            base_rev = diff.merge_base(root, args.base, args.head)
            base_label = f"{args.base} 的共同祖先（{base_rev[:7]}）"
        with tempfile.TemporaryDirectory(prefix="qsgen-diff-") as tmp:
            base_root = diff.snapshot(root, base_rev, Path(tmp) / "base")
            if args.head:
                head_root = diff.snapshot(root, args.head, Path(tmp) / "head")
                head_label = diff.describe(root, args.head)
            else:
                head_root = root
                head_label = "工作区"
            rule_files = diff.changed_files(base_root, head_root)
            for year in [args.year] if args.year is not None else touched_years(diff, base_root, head_root):
                head, head_diags, head_why = diff.evaluate(head_root, year)
                year = head.rules.year if head else year
                base, base_diags, base_why = diff.evaluate(base_root, year)
                report = diff.compare(base, head, base_label=base_label, head_label=head_label,
                                      base_diags=base_diags, head_diags=head_diags, head_failed=head_why,
                                      base_failed=base_why)
                report.rule_files = [f for f in rule_files if year is None or f.startswith(f"rules/{year}/")
                                     or f.count("/") == 1]
                reports.append((report, head))
    except diff.GitError as e:
        print(f"qsgen diff：{e.message}", file=sys.stderr)
        return 2
    texts = [diff.render(report, args.format) for report, _head in reports]
    if args.format == "markdown":  # one comment: the marker CI finds it by, once
        texts = [texts[0]] + [x.replace(diff.MARKER + "\n", "", 1) for x in texts[1:]]
    text = "\n".join(texts)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 1 if any(report.head_errors or head is None for report, head in reports) else 0
