"""How a qsgen process runs: the cyclic garbage collector paused while loading and rendering,
what a one-shot command keeps until it exits, the locks that make builds take turns, and the
space of a file that is to replace another reserved before it is written."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

_RESERVE = sys.platform.startswith("linux") and hasattr(os, "posix_fallocate")


def reserve(fd: int, size: int) -> None:
    """Allocate the ``size`` bytes of the new file open at ``fd`` before they are written, for
    a file that is then renamed over an existing one: ext4 (its default auto_da_alloc) flushes
    a new file's not yet allocated data inside such a rename, ~0.9 ms for 1 MB and ~0.14 ms
    for 20 KB on this kind of machine (measured: reserved first, 0.15 and 0.09 ms; the writing
    itself no slower), on the incremental build's one thread. The data is written the same
    either way: where the filesystem cannot reserve, nothing is done. ``size`` must be the
    file's exact size: posix_fallocate makes a shorter file that long."""
    if _RESERVE and size > 0:
        try:
            os.posix_fallocate(fd, 0, size)
        except OSError:
            pass


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off while loading: loading builds trees and records but no
    reference cycles, and every full collection walks all the records loaded so far, which made
    loading 50,000 records ~2x slower than 5 x 10,000 (profiled; benchmarks/run.py)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# Set to a list by cli.one_shot() in a process that exits right after its command: what the
# command loaded is then kept here and the process ends with os._exit (cli.leave), instead of
# freeing ~10^6 objects one by one (~0.06 s of an incremental build at 10,000 records).
RETAINED: list | None = None


def keep_for_exit(*objects: Any) -> None:
    """In a one-shot process, keep ``objects`` alive until it exits (see RETAINED)."""
    if RETAINED is not None:
        RETAINED.append(objects)


@contextlib.contextmanager
def exclusive(path: str, waiting: str, say: Callable[[str], None] | None = None,
              directory: bool = False) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` (a lock file, made when missing, or with
    ``directory`` a folder itself) while the block runs; when another process holds it,
    ``say(waiting)`` and wait. Where no lock can be taken (no fcntl, an unwritable folder, a
    file system without locks) the block runs without one."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        if directory:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        else:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if say is not None:
                say(waiting)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass  # a file system without locks
        yield
    finally:
        os.close(fd)  # (releases the lock)
