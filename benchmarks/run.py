"""Benchmark: time `qsgen check` and a clean `qsgen build` on generated corpora.

    python benchmarks/run.py                       # 1,000 / 10,000 / 50,000 records
    python benchmarks/run.py --sizes 10000 --repeat 3 --work /tmp/qsgen-bench
    python benchmarks/run.py compare --records 10000 --pairs 5   # against Hugo and the floor (compare.py)

For each size the corpus is generated once (benchmarks/gen_corpus.py, committed to git so the
git provenance pass is exercised), then each command runs ``--repeat`` times in a fresh process;
the best wall time is reported. Peak memory is the largest total proportional set size (PSS)
of the command's whole process tree (the main process plus its workers; shared pages counted
once), sampled from /proc every 10 ms in one more run that is not timed (sampling takes CPU
from a command that uses both cores); ``max RSS`` is the largest single process (getrusage
of the children). The incremental figure is the best of ``--repeat`` builds, each
after changing one record's body. The commands keep compiled bytecode, as an installed qsgen
does (child_env).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compare  # noqa: E402
import gen_corpus  # noqa: E402
import measure as m  # noqa: E402
from measure import child_env, measure  # noqa: E402

SERVE_SNIPPET = r"""
import sys, time
from pathlib import Path
from qsgen import serve
root = Path(sys.argv[1])
victim = sorted((root / "records" / "2023" / "longgang").glob("evidence-*.md"))[1]
original = victim.read_bytes()
preview = serve.Preview(root)
assert preview.rebuild(None), preview.errors
best = None
try:
    for i in range(5):
        victim.write_bytes(original.replace(b"\n---\n\n", f"\n---\n\n（第{i}次修改）".encode(), 1))
        t = time.perf_counter()
        assert preview.rebuild([str(victim)]), preview.errors
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
finally:
    victim.write_bytes(original)
print(best, preview.engine.store.rendered)
"""


def serve_rebuild(corpus: Path) -> float:
    """Best of 5: `qsgen serve`'s rebuild after one record is saved (warm process, in memory)."""
    out = subprocess.run([sys.executable, "-c", SERVE_SNIPPET, str(corpus)], capture_output=True,
                         env=child_env(), check=True).stdout.decode().split()
    return float(out[0])


def count_pages(site: Path) -> int:
    return sum(1 for _ in site.rglob("*.html"))


def best(runs: list[dict], memory: dict | None = None) -> dict:
    """The fastest of ``runs``, with the memory of all of them (and of ``memory``, a sampled run)."""
    every = runs + ([memory] if memory else [])
    b = min(runs, key=lambda r: r["wall"])
    return {**b, "peak": max(r["peak"] for r in every),
            "maxrss": max((r["maxrss"] or 0) for r in every) or None}


def mb(n: int | None) -> str:
    return "—" if not n else f"{n / 1024 / 1024:.0f} MB"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="qsgen 性能基准：check 与全新 build 的耗时、每秒页数、内存峰值；"
                                            "compare：与 Hugo、与下限对比的比值和目标")
    p.add_argument("--sizes", default="1000,10000,50000", help="记录条数，逗号分隔")
    p.add_argument("--repeat", type=int, default=3, help="每条命令运行几次，取最快一次（默认 3）")
    p.add_argument("--work", default="", help="语料目录的上级目录（默认临时目录，结束后删除）")
    p.add_argument("--keep", action="store_true", help="保留生成的语料")
    sub = p.add_subparsers(dest="command", metavar="compare")
    compare.add_arguments(sub.add_parser(
        "compare", help="与 Hugo、与下限交替对比，报告比值中位数、范围和 issue 21 的目标",
        description="同一批记录文件，qsgen 与 Hugo 交替全新构建（A B A B），另测下限、check、改一条后重建、"
                    "规模比与内存峰值；输出一张 Markdown 表格，先比值、后这台机器上的绝对时间"))
    args = p.parse_args(argv)
    if args.command == "compare":
        return compare.main(args)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="qsgen-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    m.prepare(work)
    qsgen = [sys.executable, "-m", "qsgen.cli"]
    env_note = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU, "
                f"Python {platform.python_version()}, {platform.system()}")
    print(f"# qsgen benchmark — {env_note}")
    rows = []
    try:
        for n in sizes:
            corpus = gen_corpus.ensure(n, work / f"corpus-{n}")
            checks = [measure([*qsgen, "--root", str(corpus), "check"], corpus, sample=(i == 0))
                      for i in range(args.repeat + 1)]  # the first one sampled for memory, not timed
            check = best(checks[1:], memory=checks[0])
            builds = []
            for i in range(args.repeat + 1):  # the first one sampled for memory, not timed
                m.set_aside(corpus, work / "graveyard" / f"{n}-{i}")
                builds.append(measure([*qsgen, "--root", str(corpus), "build"], corpus, sample=(i == 0)))
            build = best(builds[1:], memory=builds[0])
            pages = count_pages(corpus / "_site")
            # incremental: change one record's body, build again (cache of the builds before)
            victim = sorted((corpus / "records" / "2023" / "longgang").glob("evidence-*.md"))[0]
            original = victim.read_bytes()
            incs = []
            try:
                for i in range(args.repeat):
                    victim.write_bytes(original.replace(b"\n---\n\n", f"\n---\n\n（第{i + 1}次更新）".encode(), 1))
                    incs.append(measure([*qsgen, "--root", str(corpus), "build"], corpus))
            finally:
                victim.write_bytes(original)
            inc = best(incs)
            warm = serve_rebuild(corpus)
            row = {"n": n, "check": check, "build": build, "pages": pages, "inc": inc, "serve": warm}
            rows.append(row)
            print(f"{n:>7} records  check {check['wall']:6.2f} s  {mb(check['peak']):>7} | "
                  f"build {build['wall']:6.2f} s (CPU {build['cpu']:5.2f} s)  {pages:>6} pages  {pages / build['wall']:7.0f} pages/s  "
                  f"peak {mb(build['peak']):>7} (max RSS {mb(build['maxrss'])}) | "
                  f"incremental {inc['wall']:5.2f} s | serve rebuild {warm:5.2f} s", flush=True)
    finally:
        shutil.rmtree(work / "graveyard", ignore_errors=True)
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print("| 记录数 records | `qsgen check` | `qsgen build`（全新 clean） | 页数 pages | 页/秒 pages/s "
          "| 内存峰值 peak memory | 改一条后 `qsgen build` | 改一条后 `qsgen serve` 重建 |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['n']:,} | {r['check']['wall']:.2f} s | {r['build']['wall']:.2f} s | {r['pages']:,} | "
              f"{r['pages'] / r['build']['wall']:,.0f} | {mb(r['build']['peak'])} | {r['inc']['wall']:.2f} s "
              f"| {r['serve']:.2f} s |")
    if len(rows) >= 2:
        base = next((r for r in rows if r["n"] == 10000), rows[0])
        for r in rows:
            if r["n"] > base["n"]:
                print(f"\n{r['n']:,} / {base['n']:,}：build 时间比 {r['build']['wall'] / base['build']['wall']:.2f}x"
                      f"（记录数比 {r['n'] / base['n']:.0f}x）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
