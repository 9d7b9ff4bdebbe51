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


def prestart(jobs: int | None = None, early: bool = False) -> None:
    """Start the render workers now, for a build that will render most pages (a clean one),
    so that they read records with this process. Those render_pages does not take are ended by
    release(). ``early``: called before this process has loaded the rest of qsgen: only a fresh
    interpreter is started this early (it imports qsgen and its libraries on the other core
    meanwhile); a worker forked from this process (see _start_worker) is better started once
    those are loaded: it then has them without importing anything."""
    import sys

    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 1 or not sys.executable or (early and _forks()):
        return
    while len(_PRESTARTED) < jobs:
        try:
            _PRESTARTED.append(_fork_worker() if _forks() else _start_worker())
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


def _forks() -> bool:
    """Whether workers are forked from this process: on Linux, while it runs no other thread (a
    fork copies only the calling thread: a lock another one holds would never be released in
    the child). QSGEN_WORKERS=spawn starts fresh interpreters instead."""
    import sys
    import threading

    return (hasattr(os, "fork") and sys.platform.startswith("linux") and threading.active_count() == 1
            and os.environ.get("QSGEN_WORKERS", "").strip() != "spawn")


class _Forked:
    """A worker forked from this process, with what the build asks of a subprocess.Popen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import subprocess
        import time

        end = None if timeout is None else time.monotonic() + timeout
        delay = 0.0005
        while self.poll() is None:
            if end is not None and time.monotonic() >= end:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0)
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        return self.returncode  # type: ignore[return-value]

    def kill(self) -> None:
        import signal

        if self.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


SEND_BUFFER = 4 << 20  # bytes a process may have sent to the other end before it reads them


def _socketpair() -> tuple[Any, Any]:
    """The two ends of a worker's connection, each able to hold SEND_BUFFER of what it sent
    unread (as far as the system allows: net.core.wmem_max): a worker's result for a chunk
    (~0.2 MB) is then handed over at once, not in pieces each waiting until one of this
    process's threads, behind the interpreter lock, has read the last (measured: ~0.03 s of
    each worker's time at 10,000 records)."""
    import socket

    pair = socket.socketpair()
    for end in pair:
        try:
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        except OSError:
            pass
    return pair


def _fork_worker() -> tuple[Any, Any]:
    """A worker forked from this process, for prestart: it has every module loaded here (no
    start-up, no import) and nothing else of this process's: its standard streams go to the null device and
    every other file this process has open is closed in it (a sibling worker's connection held
    open there would keep that worker from ever seeing its end). It never returns into the
    caller's code: it ends with os._exit when its connection closes. Only before the records
    are loaded: forked later, it would share a heap that rendering writes nearly all of (see
    workers.render_pages), at the cost of a copy of it."""
    from multiprocessing.connection import Connection

    mine, theirs = _socketpair()
    keep = theirs.fileno()
    try:
        pid = os.fork()
    except BaseException:
        mine.close()
        theirs.close()
        raise
    if pid == 0:  # the worker
        code = 1
        try:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.closerange(3, keep)
            os.closerange(keep + 1, max(keep + 2, os.sysconf("SC_OPEN_MAX")))
            from qsgen.build.reading import child

            child(keep)
            code = 0
        finally:
            os._exit(code)
    theirs.close()
    return _Forked(pid), Connection(mine.detach())


def _start_worker() -> tuple[Any, Any]:
    """A new Python process running reading.child, and a multiprocessing Connection to it.

    Not multiprocessing's spawn: that re-runs the caller's ``__main__`` script in the worker,
    which breaks any script that calls qsgen without an ``if __name__ == "__main__"`` guard.
    The worker imports
    this very qsgen (the folder holding it first on PYTHONPATH: an editable install finds qsgen
    through an import hook its .pth file adds, which -S leaves out), and the libraries this
    process would."""
    import subprocess
    import sys
    from multiprocessing.connection import Connection

    mine, theirs = _socketpair()
    path = os.pathsep.join(p for p in (str(_HOME), os.environ.get("PYTHONPATH", "")) if p)
    # Without the site module (-S: its .pth files cost ~25 ms of start-up here), this process's
    # module folders (site-packages and what .pth files added) after the standard library's.
    folders = [p for p in sys.path if p and os.path.isdir(p)]
    try:
        proc = subprocess.Popen(
            [sys.executable, "-S", "-c",
             "import sys; sys.path += sys.argv[2:]; from qsgen.build.reading import child; child(int(sys.argv[1]))",
             str(theirs.fileno()), *folders],
            pass_fds=(theirs.fileno(),), env={**os.environ, "PYTHONPATH": path},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except BaseException:
        mine.close()
        raise
    finally:
        theirs.close()
    return proc, Connection(mine.detach())
