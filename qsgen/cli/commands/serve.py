"""`qsgen serve`: preview the site on this computer, rebuilt and reloaded when a file changes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "本地预览网站：文件一改就自动重建并刷新浏览器"
DESCRIPTION = """\
生成网站并在本机（只在 127.0.0.1 上）提供预览，同时监视 records/、rules/ 和 site_templates/：
任何文件一保存，就只重新生成受影响的页面，并自动刷新浏览器中打开的页面。

记录有错误时服务器不会停止：每个页面顶部显示错误清单（文件、行号、说明和提示），
改正并保存后错误消失。预览在内存中进行，不写入 _site/；发布请用 qsgen build。
"""
EPILOG = """\
示例：
  qsgen serve                    在 http://127.0.0.1:8000/ 预览当前仓库
  qsgen serve --port 8080        换一个端口
  qsgen --root ../kaohe serve    预览另一个目录中的仓库

按 Ctrl+C 停止。
"""


def register(sub) -> None:
    p = sub.add_parser("serve", help=HELP, description=DESCRIPTION, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=8000, help="端口（默认 8000；被占用时自动换下一个）")
    p.add_argument("--host", default="127.0.0.1",
                   help="监听地址（默认 127.0.0.1，只有本机能访问；改成 0.0.0.0 会让局域网内的人都能看到）")
    p.add_argument("--no-watch", action="store_true", help="不监视文件变化（只生成一次并提供预览）")
    p.set_defaults(run=run)


def run(args) -> int:
    from qsgen.serve import serve

    root = Path(getattr(args, "root", ".") or ".")
    if not root.is_dir():
        print(f"qsgen serve: 用法错误：目录 {root} 不存在", file=sys.stderr)
        return 2
    return serve(root, host=args.host, port=args.port, watch=not args.no_watch)
