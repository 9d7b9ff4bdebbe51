"""`qsgen cms [--out _cms] [--serve]`: write the web form (Decap CMS) generated from the rules; try it locally."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EPILOG = """\
示例：
  qsgen cms                 生成填报表单到 _cms/（每个单位一个页面：_cms/longgang/ 等）
  qsgen cms --out /srv/cms  生成到别处（由内网的网页服务器在 /admin/ 等地址提供）
  qsgen cms --serve         本机试用：生成后启动 decap-server 和一个只在本机可访问的网页服务，
                            用浏览器打开显示的地址即可填报（需要 Node.js 和 decap-server）

表单的后端（GitHub、GitLab、Gitea/Forgejo）和仓库写在 rules/owners.yaml 的 platform: 和 cms: 里；
详见 docs/guide/cms.md。表单不属于公开网站：qsgen build 不生成它，请单独部署 _cms/。
"""


def register(sub) -> None:
    p = sub.add_parser(
        "cms",
        help="生成各单位的网页填报表单（Decap CMS），或在本机试用",
        description="根据 rules/ 和 rules/owners.yaml 生成网页填报表单：每个单位一个页面，每类记录一个栏目，"
                    "字段、选项、必填项和错误提示都来自规则，保存的记录能通过 qsgen check。",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", default=None, help="输出文件夹（默认：仓库里的 _cms/）")
    p.add_argument("--serve", action="store_true",
                   help="生成后在本机试用：启动 decap-server（git 模式）和网页服务，按 Ctrl+C 结束")
    p.add_argument("--port", type=int, default=8080, help="--serve 时网页服务的端口（默认 8080）")
    p.add_argument("--year", type=int, default=None,
                   help="表单写进哪个年度（默认：考核期包含今天的年度，没有时取 rules/ 下最新的年度）")
    p.set_defaults(run=run)


def run(args) -> int:
    from qsgen.cms import admin
    from qsgen.cms.settings import load_settings
    from qsgen.rules import load_rules

    root = Path(getattr(args, "root", ".") or ".")
    rules, diags = load_rules(root, args.year if getattr(args, "year", None) else admin.current_year(root))
    settings, sdiags = load_settings(root)
    for d in [*diags, *sdiags]:
        print(d.format_text(), file=sys.stderr)
    if rules is None or any(d.severity == "error" for d in sdiags):
        print("未能生成填报表单，请先改正上面的问题。", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else root / admin.DEFAULT_OUT
    try:
        admin.write(root, out, admin.generate(rules, settings))
    except admin.OutError as e:
        print(f"qsgen cms: {e}", file=sys.stderr)
        return 2
    print(f"已生成填报表单：{out}/（{len(rules.units)} 个单位，记录写进 records/{rules.year}/<单位>/）")
    if not args.serve:
        return 0
    return _serve(root, out, settings.local_port, args.port)


def _serve(root: Path, out: Path, api_port: int, http_port: int) -> int:
    from qsgen.cms.local import LocalCms, LocalError, dirty

    try:
        changes = dirty(root)
        if changes:
            print("qsgen cms: 仓库里有未提交的改动，本机试用会在这个仓库里切换分支并提交，先不启动。\n"
                  "    提示：先提交（git commit）或暂存（git stash）这些改动：\n      "
                  + "\n      ".join(changes[:10]), file=sys.stderr)
            return 1
        with LocalCms(root, out, api_port, http_port) as local:
            print(f"本机试用已启动：用浏览器打开 {local.url}（只有本机能访问），按 Ctrl+C 结束。\n"
                  "每条记录保存在 cms/… 分支上，在“工作流”里改为“待发布”再发布，就合并进当前分支。")
            local.process.wait()
    except LocalError as e:
        print(f"qsgen cms: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
