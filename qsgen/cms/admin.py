"""The admin folder: a page per unit (index.html + config.yml), the unit chooser, qsgen's script and the vendored Decap build."""

from __future__ import annotations

import datetime as _dt
import html
import os
import shutil
import tempfile
from pathlib import Path

import yaml

from qsgen.cms.config import unit_config
from qsgen.cms.settings import CmsSettings
from qsgen.core.model import Rules

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "vendor" / "decap-cms"
STATIC = HERE / "static"
MARKER = ".qsgen-cms"  # an admin folder qsgen wrote (it may be replaced as a whole)
DEFAULT_OUT = "_cms"

CONFIG_HEADER = """\
# 本文件由 `qsgen cms` 根据 rules/{year}/ 和 rules/owners.yaml 生成，请不要手工修改：
# 改规则或 owners.yaml 的 cms: 之后重新运行 qsgen cms。
# {unit}（{slug}）的网页填报表单：每类记录一个栏目，记录写进 records/{year}/{slug}/。
"""

UNIT_PAGE = """\
<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{unit} · {title} · 佐证填报</title>
<link href="config.yml" type="text/yaml" rel="cms-config-url">
<style>ul[class*="ControlErrorsList"] li {{ text-transform: none; }}</style>
</head>
<body>
<script>window.CMS_MANUAL_INIT = true;</script>
<script src="../decap-cms/decap-cms.js"></script>
<script src="../qsgen-cms.js"></script>
<noscript>填报表单需要浏览器允许运行脚本。</noscript>
</body>
</html>
"""

INDEX_PAGE = """\
<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title} · 佐证填报</title>
<style>
body {{ font-family: system-ui, "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; margin: 2em auto;
       max-width: 48em; padding: 0 1em; line-height: 1.6; color: #222; }}
h1 {{ font-size: 1.4em; }} h2 {{ font-size: 1.1em; margin-top: 1.5em; }}
ul {{ list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .5em 1em; }}
a {{ color: #0b57d0; }}
</style>
</head>
<body>
<h1>{title}：佐证填报</h1>
<p>请选择您所在的单位。每个单位有自己的填报页面（可以加入书签），只显示并保存本单位的记录；
保存后由责任股室审核，合并后计入得分并在网站上公布。填报说明见《使用指南》的“网页填报”一章。</p>
{groups}
<p><small>表单程序：Decap CMS {version}（MIT 许可，见 <a href="decap-cms/LICENSE">decap-cms/LICENSE</a>）。</small></p>
</body>
</html>
"""


def current_year(root: str | Path, day: _dt.date | None = None) -> int | None:
    """The year the form writes into: the year whose assessment period contains ``day``
    (default today), else the latest rules/<year>/ (rules/current.py, as for `qsgen new`);
    None when there is none."""
    from qsgen.rules.current import current_year as year_of_day

    return year_of_day(Path(root), day or _dt.date.today())[0]


def decap_version() -> str:
    first = (VENDOR / "MANIFEST").read_text(encoding="utf-8").splitlines()[0]
    return first.split()[2]


def dump_config(config: dict, rules: Rules, slug: str, name: str) -> bytes:
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)
    return (CONFIG_HEADER.format(year=rules.year, unit=name, slug=slug) + text).encode("utf-8")


def generate(rules: Rules, settings: CmsSettings) -> dict[str, bytes]:
    """Every file of the admin folder except the vendored build: {relative path: bytes}."""
    files: dict[str, bytes] = {}
    title = html.escape(rules.title)
    groups = []
    for group in rules.groups:
        links = "".join(f'<li><a href="{u.slug}/">{html.escape(u.name)}</a></li>\n'
                        for u in rules.units if u.group == group.id)
        if links:
            groups.append(f"<h2>{html.escape(group.name)}</h2>\n<ul>\n{links}</ul>")
    files["index.html"] = INDEX_PAGE.format(title=title, groups="\n".join(groups),
                                            version=decap_version()).encode("utf-8")
    for unit in rules.units:
        files[f"{unit.slug}/index.html"] = UNIT_PAGE.format(unit=html.escape(unit.name), title=title).encode("utf-8")
        files[f"{unit.slug}/config.yml"] = dump_config(unit_config(rules, unit, settings), rules, unit.slug, unit.name)
    files["qsgen-cms.js"] = (STATIC / "qsgen-cms.js").read_bytes()
    files[MARKER] = b"qsgen cms\n"
    return files


def vendored() -> list[Path]:
    return sorted(p for p in VENDOR.iterdir() if p.is_file())


class OutError(Exception):
    """--out names a folder qsgen must not replace (Chinese message)."""


def check_out(root: Path, out: Path) -> None:
    real_out = Path(os.path.realpath(out))
    real_root = Path(os.path.realpath(root))
    forbidden = {real_root, real_root / "records", real_root / "rules", Path("/")}
    if real_out in forbidden or real_root.is_relative_to(real_out):
        raise OutError(f"--out 不能是 {out}（仓库根目录、records/、rules/ 或它们的上级）")
    if real_out.is_relative_to(real_root / "records") or real_out.is_relative_to(real_root / "rules"):
        raise OutError(f"--out 不能放在 records/ 或 rules/ 里：{out}")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise OutError(f"{out} 已存在，而且不是 qsgen cms 生成的文件夹，不会覆盖它")


def write(root: Path, out: Path, files: dict[str, bytes]) -> None:
    """Write the admin folder: built beside ``out`` and swapped in, so a reader never sees half."""
    check_out(root, out)
    out = Path(os.path.abspath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a web server must read it
        for rel, data in sorted(files.items()):
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (tmp / "decap-cms").mkdir(exist_ok=True)
        for src in vendored():
            shutil.copyfile(src, tmp / "decap-cms" / src.name)
        old = None
        if out.exists():
            old = out.parent / f".{out.name}-old-{os.getpid()}"
            os.rename(out, old)
        os.rename(tmp, out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
