"""Which files changed since their status was saved: checked by a helper process, in parallel.

An incremental ``qsgen build`` must look at the status (size, mtime, inode, ctime) of every
record file and of every page in the site: ~20,000 ``stat`` calls at 10,000 records, ~40 ms of
system calls on one core. The caches (cache.py) save the status of what they keep as a table
(``save_table``); at the start of the next build ``start()`` launches a bare interpreter
(``python -I -S``: no site-packages, no qsgen import, ~8 ms to start) that stats every file of
the tables on the other core while this process loads its caches, and reports the paths whose
status is no longer the one saved (``Check.changed``).

A table is only trusted together with the cache it describes: it is removed before the cache's
files are rewritten and saved again after all of them were (``save_table``), so a table that
exists was written after every cache file it describes. Whoever uses a report must still
decide that a path is unchanged only when the cache holds an entry for it: a path that is
not in the table (a new file) is never in ``changed``.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# The helper: for each (table file, base folder) of its arguments, the paths of the table
# whose lstat no longer gives the saved (size, mtime_ns, inode[, ctime_ns, is a link]); None
# for a table that cannot be read. Written out to stdout with marshal. Only os and marshal.
_HELPER = r"""
import marshal, os, sys
out = []
args = sys.argv[1:]
for at in range(0, len(args), 2):
    try:
        with open(args[at], "rb") as f:
            table = marshal.loads(f.read())  # (marshal.load reads a file object piece by piece)
    except Exception:
        out.append(None)
        continue
    base, lstat, changed = args[at + 1], os.lstat, []
    for rel, want in table.items():
        try:
            st = lstat(base + rel)
        except (OSError, ValueError):
            changed.append(rel)
            continue
        have = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns, (st.st_mode & 0o170000) == 0o120000)
        if have[:len(want)] != want:
            changed.append(rel)
    out.append(changed)
sys.stdout.buffer.write(marshal.dumps(out))
"""

TIMEOUT = 30  # seconds; a helper that takes longer is killed and its report ignored


def status(st: os.stat_result, fields: int = 5) -> tuple:
    """What the helper compares (the same tuple as _HELPER's ``have``): (size, mtime_ns,
    inode, ctime_ns, is a link)[:fields]."""
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns, (st.st_mode & 0o170000) == 0o120000)[:fields]


def save_table(target: Path, table: dict[str, tuple]) -> None:
    """Write ``table`` ({path relative to a base folder: status(...) or a prefix of it})
    atomically. Call drop_table(target) before rewriting the cache it describes."""
    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(marshal.dumps(table))
        os.replace(tmp, target)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def drop_table(target: Path) -> bool:
    """Remove a table before its cache is rewritten; False if it is still there."""
    try:
        os.unlink(target)
    except FileNotFoundError:
        pass
    except OSError:
        return False
    return True


class Check:
    """A running helper; ``changed(i)``: the paths of the i-th table whose status changed, or
    None when there is no trustworthy answer (no table, the helper failed): stat them yourself."""

    def __init__(self, proc: subprocess.Popen | None, count: int) -> None:
        self.proc, self.count = proc, count
        self.report: list[Any] | None = None

    def changed(self, i: int) -> set[str] | None:
        if self.report is None:
            self.report = self._collect()
        part = self.report[i] if i < len(self.report) else None
        return set(part) if isinstance(part, list) else None

    def _collect(self) -> list[Any]:
        proc, self.proc = self.proc, None
        if proc is None:
            return []
        try:
            out, _err = proc.communicate(timeout=TIMEOUT)
            report = marshal.loads(out) if proc.returncode == 0 else []
        except (subprocess.TimeoutExpired, OSError, ValueError, EOFError, TypeError):
            proc.kill()
            proc.wait()
            return []
        return report if isinstance(report, list) and len(report) == self.count else []

    def close(self) -> None:
        """Stop the helper if its report was never asked for."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def start(pairs: list[tuple[Path, Path]]) -> Check:
    """Check each (table file, base folder) in a helper process; tables that do not exist are
    not looked at (their report is None)."""
    args: list[str] = []
    for table, base in pairs:
        args += [os.fspath(table), os.path.join(os.fspath(base), "")]
    if not sys.executable or not any(os.path.isfile(t) for t, _b in pairs):
        return Check(None, len(pairs))
    try:
        proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", _HELPER, *args],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
    except OSError:
        return Check(None, len(pairs))
    return Check(proc, len(pairs))
