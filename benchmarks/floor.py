"""The floor: the least a Python generator must do with a corpus's record files.

    python benchmarks/floor.py /root/qsgen-bench/corpus-10000          # a line per part
    python benchmarks/floor.py /root/qsgen-bench/corpus-10000 --json   # for benchmarks/run.py

One process, three passes over every record file (``records/<year>/<unit>/*.md``), each timed
in CPU seconds (``time.process_time``):

- read: open, read and decode the file (UTF-8), split off the front matter;
- yaml: PyYAML's C loader (``yaml.CSafeLoader``) on each front matter;
- markdown: markdown-it-pyrs (CommonMark with tables and strikethrough, as qsgen's records)
  renders each body to HTML; its import is counted here, not in the start-up.

Nothing is validated, scored or written: whatever qsgen does beyond these three is its own
cost. benchmarks/run.py compare runs this as a whole process beside qsgen (start-up and the
import of PyYAML count in the process's CPU time, not in any part).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import yaml


def record_files(corpus: str) -> list[str]:
    """Every ``records/<year>/<unit>/*.md`` of ``corpus``, in name order."""
    out: list[str] = []
    records = os.path.join(corpus, "records")
    for year in sorted(os.listdir(records)):
        ydir = os.path.join(records, year)
        if not os.path.isdir(ydir):
            continue
        for unit in sorted(os.listdir(ydir)):
            udir = os.path.join(ydir, unit)
            if unit.startswith(".") or not os.path.isdir(udir):
                continue
            out.extend(os.path.join(udir, n) for n in sorted(os.listdir(udir)) if n.endswith(".md"))
    return out


def split(text: str) -> tuple[str, str]:
    """(front matter, body) of a record's text; no front matter gives ("", text)."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end >= 0:
            return text[4:end + 1], text[end + 5:]
    return "", text


def run(corpus: str) -> dict:
    t0 = time.process_time()
    paths = record_files(corpus)
    parts = []
    for path in paths:
        with open(path, "rb") as f:
            parts.append(split(f.read().decode("utf-8")))
    t1 = time.process_time()
    fields = [yaml.load(head, Loader=yaml.CSafeLoader) for head, _ in parts]
    t2 = time.process_time()
    import markdown_it_pyrs

    md = markdown_it_pyrs.MarkdownIt("commonmark").enable_many(["table", "strikethrough"])
    html = [md.render(body) for _, body in parts]
    t3 = time.process_time()
    assert len(fields) == len(html) == len(paths)
    return {"files": len(paths), "read": t1 - t0, "yaml": t2 - t1, "markdown": t3 - t2,
            "parts": t3 - t0}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="性能下限：读取记录文件、PyYAML C 解析器解析字段、"
                                            "markdown-it-pyrs 渲染正文，各部分的 CPU 时间")
    p.add_argument("corpus", help="语料目录（benchmarks/gen_corpus.py 生成的仓库副本）")
    p.add_argument("--json", action="store_true", help="输出一行 JSON（供 benchmarks/run.py 读取）")
    args = p.parse_args(argv)
    if not hasattr(yaml, "CSafeLoader"):
        raise SystemExit("这个 PyYAML 没有 C 解析器（libyaml），下限没有意义")
    result = run(args.corpus)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['files']} 个记录文件，CPU 时间：读取 {result['read']:.3f} s，"
              f"YAML {result['yaml']:.3f} s，Markdown {result['markdown']:.3f} s，"
              f"合计 {result['parts']:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
