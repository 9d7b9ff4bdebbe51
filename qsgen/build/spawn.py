"""The render worker processes: started (ahead of need, for a build that will render most pages) and ended; light to import, so that a build starts them before it loads the rest of qsgen."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_HOME = Path(__file__).resolve().parents[2]  # the folder that holds the qsgen package

# Fewer pages than this are rendered in this process: starting a worker costs more than it saves.
PARALLEL_MIN = 1000


def default_jobs() -> int:
    """Processes for page rendering: the CPUs this process may use (QSGEN_JOBS overrides)."""
    env = os.environ.get("QSGEN_JOBS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


# Workers started ahead (prestart): (process, connection), taken by render_pages.
_PRESTARTED: list[tuple[Any, Any]] = []


def prestart(jobs: int | None = None) -> None:
    """Start the render workers now, for a build that will render most pages (a clean one):
    each imports qsgen and its libraries on the other core while this process reads the
    records, instead of after them. Those render_pages does not take are ended by release()."""
    import sys

    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 1 or not sys.executable:
        return
    while len(_PRESTARTED) < jobs:
        try:
            _PRESTARTED.append(_start_worker())
        except OSError:
            break


def release() -> None:
    """End the workers prestart() started that no rendering took (a build that failed, or
    rendered too few pages for workers): closing the connection ends the worker."""
    while _PRESTARTED:
        proc, conn = _PRESTARTED.pop()
        conn.close()
        _reap(proc)


def _reap(proc) -> None:
    """Wait for a worker whose connection is closed (it ends by itself); kill it after 10 s."""
    import subprocess

    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _start_worker() -> tuple[Any, Any]:
    """A new Python process running _child, and a multiprocessing Connection to it.

    Not multiprocessing's spawn: that re-runs the caller's ``__main__`` script in the worker,
    which breaks any script that calls qsgen without an ``if __name__ == "__main__"`` guard.
    The worker imports this very qsgen (the folder holding it first on PYTHONPATH: an editable
    install finds qsgen through an import hook its .pth file adds, which -S leaves out), and
    the libraries this process would."""
    import socket
    import subprocess
    import sys
    from multiprocessing.connection import Connection

    mine, theirs = socket.socketpair()
    path = os.pathsep.join(p for p in (str(_HOME), os.environ.get("PYTHONPATH", "")) if p)
    # Without the site module (-S: its .pth files cost ~25 ms of start-up here), this process's
    # module folders (site-packages and what .pth files added) after the standard library's.
    folders = [p for p in sys.path if p and os.path.isdir(p)]
    try:
        proc = subprocess.Popen(
            [sys.executable, "-S", "-c",
             "import sys; sys.path += sys.argv[2:]; from qsgen.build.workers import _child; _child(int(sys.argv[1]))",
             str(theirs.fileno()), *folders],
            pass_fds=(theirs.fileno(),), env={**os.environ, "PYTHONPATH": path},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except BaseException:
        mine.close()
        raise
    finally:
        theirs.close()
    return proc, Connection(mine.detach())
