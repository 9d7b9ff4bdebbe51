"""`qsgen build`: compute the scores and write the static site."""

from __future__ import annotations

import sys
from pathlib import Path

HELP = "计算得分并生成网站（默认写入 _site/）"
DESCRIPTION = """\
读取 rules/ 下的考核规则和 records/ 下的全部记录，精确计算每个单位的得分和排名，
生成静态网站（排名页、单位页、记录页、规则页、搜索页，各单位的考核结果通知书和考核结果汇总表
（A4 打印页），以及 scores.json、scores.csv、scores.xlsx）。加 --pdf 时通知书和汇总表另存为 PDF
（需要 WeasyPrint，每份约 0.3 秒，所以默认不生成）。

第一次（或 --no-cache、--atomic）网站先在输出目录旁边的临时目录中生成，全部成功后整体替换原有站点；
以后再生成到同一目录时，只把内容有变化的文件先写到旁边，全部成功后再逐个原子替换进原站点
（更快；替换的一瞬间浏览者可能看到新旧页面并存）。只要有一处错误，就不写入任何文件，原有站点保持不变。
python build.py 与 qsgen build 相同。

示例：
  qsgen build                          生成到 _site/，用浏览器打开 _site/index.html
  qsgen build --out /srv/www/kaohe -q  生成到网站目录，只报告错误
  qsgen build --atomic                 整个站点在旁边生成后一次性替换
  qsgen build --pdf                    另外生成通知书和汇总表的 PDF 文件（发布给考核办时用）
  python build.py                      同 qsgen build
"""


def register(sub) -> None:
    import argparse

    p = sub.add_parser("build", help=HELP, description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)


def add_arguments(p) -> None:
    """The options of `qsgen build` (shared with the repository's build.py)."""
    p.add_argument("--out", metavar="目录", default=None,
                   help="网站输出目录（默认：仓库根目录下的 _site）；只能是新目录、空目录或以前生成的站点")
    p.add_argument("-q", "--quiet", action="store_true", help="不显示进度，只报告错误")
    p.add_argument("--no-cache", action="store_true",
                   help="不使用也不更新 .qsgen-cache/ 中的页面缓存，全部页面重新生成（结果与使用缓存时逐字节相同）")
    p.add_argument("--atomic", action="store_true",
                   help="整个站点在旁边生成后一次性替换（默认：有缓存时只把变化的文件逐个原子替换进原站点，更快）")
    p.add_argument("--pdf", action="store_true",
                   help="通知书和汇总表另存为 PDF（notices/<单位>.pdf、summary.pdf），需要安装 WeasyPrint："
                        "pip install 'qsgen[pdf]'")
    p.set_defaults(run=run)


def run(args) -> int:
    from qsgen.build.pipeline import build
    from qsgen.core.errors import QsgenError

    if args.out is not None and not args.out.strip():  # Path("") would be "." : never build there
        print("qsgen build：用法错误：--out 后面的输出目录不能为空（不写 --out 则生成到 _site/）", file=sys.stderr)
        return 2
    root = Path(getattr(args, "root", ".") or ".")
    out = Path(args.out) if args.out is not None else None
    try:
        report = build(root, out, quiet=args.quiet, use_cache=not getattr(args, "no_cache", False),
                       atomic=getattr(args, "atomic", False), pdf=getattr(args, "pdf", False))
    except QsgenError as e:
        for d in e.diagnostics:
            print(d.format_text(), file=sys.stderr)
        n = sum(1 for d in e.diagnostics if d.severity == "error")
        tail = f"（共 {n} 个错误）" if n else ""
        kept = "" if e.site_changed or "原有站点未改动" in e.message else "原有站点未改动。"
        print(f"qsgen build：{e.message}{tail}。{kept}", file=sys.stderr)
        return 1
    for d in report.warnings:
        print(d.format_text(), file=sys.stderr)
    return 0
