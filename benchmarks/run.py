"""Benchmark: time `qsgen check` and a clean `qsgen build` on generated corpora.

    python benchmarks/run.py                       # 1,000 / 10,000 / 50,000 records
    python benchmarks/run.py --sizes 10000 --repeat 3 --work /tmp/qsgen-bench

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
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_corpus  # noqa: E402

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _pss(pid: int) -> int:
    """Proportional set size in bytes (a page shared by a parent and its forked worker counts
    half in each, so the sum over a process tree is the memory the tree really uses); RSS
    where the kernel has no smaps_rollup."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except OSError:
        return 0


def _children(pid: int) -> list[int] | None:
    """The child processes of ``pid`` from /proc/<pid>/task/*/children (cheap: no scan of
    every process, which at one sample per 10 ms took a good part of the other CPU); None
    where the kernel does not have those files."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    out: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as f:
                out.extend(int(x) for x in f.read().split())
        except FileNotFoundError:
            return None
        except OSError:
            continue
    return out


def _sharing_parent(parent: int, child: int) -> bool:
    """A child made by vfork() that has not exec'd yet: it runs in its parent's memory, and
    /proc reports that same memory for both (CPython starts subprocesses with vfork, e.g. git
    and the render worker). Seen as: same command line as the parent, parent stopped ('D')."""
    try:
        with open(f"/proc/{parent}/stat", "rb") as f:
            data = f.read()
        if data[data.rfind(b")") + 2:][:1] != b"D":
            return False
        with open(f"/proc/{parent}/cmdline", "rb") as a, open(f"/proc/{child}/cmdline", "rb") as b:
            return a.read() == b.read()
    except OSError:
        return False


def _tree_rss(pid: int) -> int:
    """Total PSS in bytes of ``pid`` and all its descendants (Linux /proc), 0 elsewhere."""
    if _children(pid) is not None:
        total, stack = 0, [pid]
        while stack:
            p = stack.pop()
            total += _pss(p)
            stack.extend(c for c in _children(p) or [] if not _sharing_parent(p, c))
        return total
    try:
        children: dict[int, list[int]] = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    data = f.read()
            except OSError:
                continue
            ppid = int(data[data.rfind(b")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(name))
        total, stack = 0, [pid]
        while stack:
            p = stack.pop()
            total += _pss(p)
            stack.extend(children.get(p, []))
        return total
    except OSError:
        return 0


PYCACHE: Path | None = None  # where the commands keep compiled bytecode (set by main)


def child_env() -> dict[str, str]:
    """The environment the commands run in: this checkout's qsgen (whatever an editable
    install elsewhere points at), its compiled bytecode kept as after any install. Where
    PYTHONDONTWRITEBYTECODE is set (as on the machine of the README's table) every command
    would compile qsgen's ~10,000 lines again, ~0.1 s that no installed copy pays; the
    bytecode goes to the work folder (PYTHONPYCACHEPREFIX), not into the checkout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    if PYCACHE is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def measure(cmd: list[str], cwd: Path, sample: bool = False) -> dict:
    """Run ``cmd``; wall seconds, CPU seconds, max single-process RSS and, with ``sample``,
    the peak PSS of its process tree. Sampling reads /proc every 10 ms, which takes CPU from
    the command (it runs on both cores), so a timed run is not sampled: memory comes from a
    run of its own."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = ru0.ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env())
    peak = 0
    done = threading.Event()

    def sampler() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.01)

    th = threading.Thread(target=sampler, daemon=True)
    if sample:
        th.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    if sample:
        th.join()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = ru1.ru_maxrss
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    if proc.returncode != 0:
        sys.stderr.write(err.decode("utf-8", "replace")[-4000:])
        raise SystemExit(f"命令失败（退出码 {proc.returncode}）：{' '.join(cmd)}")
    # ru_maxrss of children is a running maximum: it only says something when it grew.
    maxrss = after * 1024 if after > before else None
    return {"wall": wall, "peak": peak, "maxrss": maxrss, "cpu": cpu}


def _set_aside(corpus: Path, grave: Path) -> None:
    """Make the next build a clean one: move the last site and cache away, delete them later.

    Not deleted here on purpose: ext4 skips inodes freed in the last minute when it allocates
    new ones (fs/ext4/ialloc.c, recently_deleted), so creating 10,000 files right after
    deleting 10,000 costs ~0.6 ms a file instead of ~0.02 ms; that is the file system's cost
    of the benchmark's own clean-up, not qsgen's.
    """
    grave.mkdir(parents=True, exist_ok=True)
    for name in ("_site", ".qsgen-cache"):
        if (corpus / name).exists():
            os.rename(corpus / name, grave / name)
    os.sync()


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
    p = argparse.ArgumentParser(description="qsgen 性能基准：check 与全新 build 的耗时、每秒页数、内存峰值")
    p.add_argument("--sizes", default="1000,10000,50000", help="记录条数，逗号分隔")
    p.add_argument("--repeat", type=int, default=3, help="每条命令运行几次，取最快一次（默认 3）")
    p.add_argument("--work", default="", help="语料目录的上级目录（默认临时目录，结束后删除）")
    p.add_argument("--keep", action="store_true", help="保留生成的语料")
    args = p.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="qsgen-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    global PYCACHE
    PYCACHE = work / "pycache"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "qsgen")],
                   env=child_env(), check=True)  # compiled once, as an install does
    qsgen = [sys.executable, "-m", "qsgen.cli"]
    env_note = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU, "
                f"Python {platform.python_version()}, {platform.system()}")
    print(f"# qsgen benchmark — {env_note}")
    rows = []
    try:
        for n in sizes:
            corpus = work / f"corpus-{n}"
            if not (corpus / "records").is_dir() or not (corpus / gen_corpus.MARKER).is_file() or \
                    (corpus / gen_corpus.MARKER).read_text("utf-8").split()[0] != f"records={n}":
                gen_corpus.generate(n, corpus, git=True)
            checks = [measure([*qsgen, "--root", str(corpus), "check"], corpus, sample=(i == 0))
                      for i in range(args.repeat + 1)]  # the first one sampled for memory, not timed
            check = best(checks[1:], memory=checks[0])
            builds = []
            for i in range(args.repeat + 1):  # the first one sampled for memory, not timed
                _set_aside(corpus, work / "graveyard" / f"{n}-{i}")
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
