"""Measuring a command for the benchmarks: wall and CPU time, the peak memory of its process
tree (PSS sampled from /proc), the environment the commands run in, clean builds made by moving
the last output aside (benchmarks/run.py and its ``compare`` command)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

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


PYCACHE: Path | None = None  # where the commands keep compiled bytecode (set by prepare)
SHIM: Path | None = None  # a folder whose qsgen_site_templates is this checkout's (set by prepare)


def child_env() -> dict[str, str]:
    """The environment the commands run in: this checkout's qsgen (whatever an editable
    install elsewhere points at), its compiled bytecode kept as after any install. Where
    PYTHONDONTWRITEBYTECODE is set (as on the machine of the README's table) every command
    would compile qsgen's ~10,000 lines again, ~0.1 s that no installed copy pays; the
    bytecode goes to the work folder (PYTHONPYCACHEPREFIX), not into the checkout. The default
    site templates are this checkout's too (SHIM, see prepare)."""
    path = [str(HERE.parent), *([str(SHIM)] if SHIM is not None else []), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    if PYCACHE is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


_WHICH = ("import importlib.util, pathlib, qsgen; s = importlib.util.find_spec('qsgen_site_templates'); "
          "print(pathlib.Path(qsgen.__file__).resolve().parent); "
          "print(pathlib.Path(next(iter(s.submodule_search_locations))).resolve() if s else '')")


def prepare(work: Path) -> None:
    """Make the commands run this checkout, as installed: compiled bytecode kept in ``work``
    (qsgen compiled there once, as an install does), and this checkout's default site
    templates. qsgen falls back to the installed ``qsgen_site_templates`` when it does not find
    them beside its package, and an editable install made in another checkout maps that name
    to the other checkout's site_templates/: a folder ahead on PYTHONPATH whose
    ``qsgen_site_templates`` links here is found first. Stops where the commands would still
    run code or templates from elsewhere."""
    global PYCACHE, SHIM
    PYCACHE = work / "pycache"
    SHIM = work / "pypath"
    link = SHIM / "qsgen_site_templates"
    SHIM.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink() or link.resolve() != (HERE.parent / "site_templates").resolve():
        if link.is_symlink():
            link.unlink()
        link.symlink_to(HERE.parent / "site_templates", target_is_directory=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "qsgen")],
                   env=child_env(), check=True)
    out = subprocess.run([sys.executable, "-c", _WHICH], env=child_env(), cwd=work, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    want = [str((HERE.parent / "qsgen").resolve()), str((HERE.parent / "site_templates").resolve())]
    if out != want:
        raise SystemExit(f"基准命令用的不是这个仓库的 qsgen 和模板：{out}，应为 {want}")


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
    return {"wall": wall, "peak": peak, "maxrss": maxrss, "cpu": cpu, "sys": ru1.ru_stime - ru0.ru_stime,
            "out": out.decode("utf-8", "replace")}


def set_aside(root: Path, grave: Path, names: tuple[str, ...] = ("_site", ".qsgen-cache")) -> None:
    """Make the next build a clean one: move the last output and cache (``names`` in ``root``;
    qsgen's by default) away, into ``grave``, to be deleted after all the timed runs.

    Not deleted here on purpose: ext4 skips inodes freed in the last minute when it allocates
    new ones (fs/ext4/ialloc.c, recently_deleted), so creating 10,000 files right after
    deleting 10,000 costs ~0.6 ms a file instead of ~0.02 ms; that is the file system's cost
    of the benchmark's own clean-up, not qsgen's.
    """
    grave.mkdir(parents=True, exist_ok=True)
    for name in names:
        if os.path.lexists(root / name):
            os.rename(root / name, grave / name)
    os.sync()
