"""Which files changed since their status was saved: checked by a helper process, in parallel.

An incremental ``qsgen build`` must look at the status (size, mtime, inode, ctime) of every
record file and of every page in the site: ~20,000 ``stat`` calls at 10,000 records, ~40 ms of
system calls on one core. The caches (cache.py) save the status of what they keep as a table
(``save_table``); at the start of the next build ``start()`` launches a bare interpreter
(``python -I -S``: no site-packages, no qsgen import, ~8 ms to start) that stats every file of
the tables on the other core while this process loads its caches, and reports the paths whose
status is no longer the one saved (``Check.changed``).

A table is sealed like every cache file (cache.seal): the helper gets the repository's key on its
standard input and reads only a table that carries its seal (else it answers False for it and
the table is refused: removed, and the build says so). A table is only trusted together with
the cache it describes: it is removed before the cache's
files are rewritten and saved again after all of them were (``save_table``), so a table that
exists was written after every cache file it describes. Whoever uses a report must still
decide that a path is unchanged only when the cache holds an entry for it: a path that is
not in the table (a new file) is never in ``changed``.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qsgen.incremental.cache import MAGIC, PROCESS_KEY, reject, seal, seal_of, write_file
from qsgen.publish.writer import MARKER

# The helper: for each (table file, base folder, name in the cache) of its arguments (after
# their count), the paths of the table whose lstat no longer gives the saved (size, mtime_ns,
# inode[, ctime_ns, is a link]); None for a table that cannot be read, False for one without the
# seal of the key read from stdin (never unmarshalled). Each table's answer is written to stdout
# as soon as it is known (marshalled, after its length: 4 bytes, little-endian), so that the
# build takes the first table's (the record files') while the helper goes on with the next (the
# pages, asked for later). Then, when asked, a folder's listing (see Check.listing). Only os,
# marshal, hmac (and hashlib, which hmac imports).
_HELPER = r"""
import hashlib, hmac, marshal, os, sys
key = sys.stdin.buffer.read()
magic = MAGIC
count = int(sys.argv[1])
args = sys.argv[2:2 + 3 * count]
listing = sys.argv[2 + 3 * count:]  # ([a folder to list after the tables[, the paths file, its name]])
out = sys.stdout.buffer
def answer(value):
    data = marshal.dumps(value)
    out.write(len(data).to_bytes(4, "little") + data)
    out.flush()
def sealed(path, name):
    # the payload of a cache file carrying the seal of the key; False without it, None unread
    try:
        with open(path, "rb") as f:
            data = f.read()
    except Exception:
        return None
    head = len(magic) + 32
    if len(key) != 32 or not data.startswith(magic) or not hmac.compare_digest(
            data[len(magic):head], hmac.digest(key, os.fsencode(name) + b"\0" + data[head:], "sha256")):
        return False
    return data[head:]
for at in range(0, len(args), 3):
    data = sealed(args[at], args[at + 2])
    if data is None or data is False:
        answer(data)
        continue
    try:
        table = marshal.loads(data)
        if isinstance(table, list):  # pieces, each a table marshalled, or one in a file beside it
            items = []
            for piece in table:
                if isinstance(piece, tuple):  # (its name, the SHA-256 of its bytes)
                    if os.path.basename(piece[0]) != piece[0]:
                        raise ValueError(piece[0])
                    with open(os.path.join(os.path.dirname(args[at]), piece[0]), "rb") as f:
                        found = f.read()
                    if not hmac.compare_digest(hashlib.sha256(found).hexdigest(), piece[1]):
                        raise ValueError(piece[0])
                    piece = found
                items += marshal.loads(piece).items()
        else:
            items = list(table.items())
    except Exception:
        answer(None)
        continue
    base, lstat, changed = args[at + 1], os.lstat, []
    for rel, want in items:
        try:
            st = lstat(base + rel)
        except (OSError, ValueError, TypeError):
            changed.append(rel)
            continue
        have = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns, (st.st_mode & 0o170000) == 0o120000)
        if have[:len(want)] != want:
            changed.append(rel)
    answer(changed)
if listing:  # its files and folders, as writer.update_site walks them
    files, dirs = [], []
    try:
        for dirpath, _dirnames, filenames in os.walk(listing[0]):
            rel = os.path.relpath(dirpath, listing[0]).replace(os.sep, "/")
            prefix = "" if rel == "." else rel + "/"
            if prefix:
                dirs.append(rel)
            files += [prefix + name for name in filenames]
    except Exception:
        answer(None)
    else:
        # the site's files exactly the paths of the paths file and the marker: the digest of
        # that file's payload instead of the files
        paths = sealed(listing[1], listing[2]) if len(listing) == 3 else None
        try:
            same = paths and len(files) == paths.count(b"\0") + 2 and \
                set(files) == {*paths.decode("utf-8", "surrogatepass").split("\0"), MARKER}
        except Exception:
            same = False
        answer([hashlib.sha256(paths).hexdigest(), dirs] if same else [files, dirs, paths is False])
""".replace("MAGIC", repr(MAGIC)).replace("MARKER", repr(MARKER))

TIMEOUT = 30  # seconds; a helper that takes longer is killed and its report ignored


def status(st: os.stat_result, fields: int = 5) -> tuple:
    """What the helper compares (the same tuple as _HELPER's ``have``): (size, mtime_ns,
    inode, ctime_ns, is a link)[:fields]."""
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns, (st.st_mode & 0o170000) == 0o120000)[:fields]


def save_table(target: Path, table: dict[str, tuple] | list[bytes | tuple[str, str]]) -> None:
    """Write ``table`` ({path relative to a base folder: status(...) or a prefix of it}, or a
    list of such tables each marshalled: ``piece``, so that a cache can keep the pieces of what
    did not change as they are) atomically. A piece of the list may be kept in a file beside
    the table instead (save_piece): (its name, piece_digest of its bytes), so that a piece that
    did not change is not written again; the helper reads it and takes the table only while
    its bytes have that digest (the table's seal covers the digests). Call drop_table(target)
    before rewriting the cache it describes, or any piece file of it."""
    try:
        write_file(target, seal(target, marshal.dumps(table)))  # (the old one removed first, not renamed over)
    except (OSError, ValueError):
        pass


def save_piece(target: Path, data: bytes | memoryview) -> bool:
    """Write a piece of a table to its file beside the table (see save_table) atomically;
    False when it could not be written."""
    return write_file(target, data)


def piece_digest(data: bytes | memoryview) -> str:
    """What save_table keeps of a piece kept in a file (its bytes' SHA-256)."""
    return hashlib.sha256(data).hexdigest()


def piece(table: dict[str, tuple]) -> bytes:
    """A part of a table, marshalled (see save_table)."""
    return marshal.dumps(table)


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

    def __init__(self, proc: subprocess.Popen | None, count: int, tables: list[Path] | None = None,
                 listing: bool = False, paths: Path | None = None) -> None:
        self.proc, self.count = proc, count
        self.tables = tables or []
        self.answers = count + (1 if listing else 0)  # (the tables', then the listing's)
        self.report: list[Any] = []  # the answers received, table by table
        self.deadline: float | None = None  # (TIMEOUT after the first ask)
        self.paths = paths  # (see listing)
        # the digest (paths_digest) of the paths file when the listed folder's files are those
        # paths and the marker (see listing)
        self.listed_as: str | None = None

    def changed(self, i: int) -> set[str] | None:
        self._take(i)
        part = self.report[i] if i < len(self.report) else None
        return set(part) if isinstance(part, list) else None

    def listing(self) -> tuple[set[str] | None, set[str]] | None:
        """(files, folders) of the folder start() was asked to list, paths relative to it
        (as writer.update_site walks it), listed by the helper after the tables; None when
        not asked for or not had. When the files are exactly the paths of the ``paths`` file
        given to start() (a sealed cache file: paths_payload of the paths a build wrote last)
        and writer.MARKER, the files are None and ``listed_as`` is the paths_digest of that file
        (the helper compares them, on the other core: nothing is sent but the folders)."""
        self._take(self.count)
        part = self.report[self.count] if self.count < len(self.report) else None
        if not isinstance(part, list) or len(part) not in (2, 3):
            return None
        if isinstance(part[0], str):
            self.listed_as = part[0]
            return None, set(part[1])
        if len(part) == 3 and part[2] is True and self.paths is not None:  # (not sealed with this key)
            reject(self.paths, quiet=seal_of(self.paths)[0] is PROCESS_KEY)
        return set(part[0]), set(part[1])

    def _take(self, i: int) -> None:
        """The helper's answers up to the i-th, as they come."""
        while len(self.report) <= i < self.answers and self.proc is not None:
            part = self._next()
            if part is _FAILED:
                self.close()
                break
            self.report.append(part)
            table = self.tables[len(self.report) - 1] if len(self.report) <= self.count else None
            if part is False and table is not None:  # not sealed with this repository's key
                try:
                    with open(table, "rb") as f:
                        head = f.read(len(MAGIC))
                except OSError:
                    head = b""
                reject(table, quiet=seal_of(table)[0] is PROCESS_KEY and head == MAGIC)
            if len(self.report) == self.answers:
                self.close()  # (every answer in: the helper has ended)

    def _next(self) -> Any:
        """The helper's next answer; _FAILED when it cannot be had (the helper failed, or took
        longer than TIMEOUT)."""
        import time

        if self.deadline is None:
            self.deadline = time.monotonic() + TIMEOUT
        size = self._read(4)
        data = None if size is None else self._read(int.from_bytes(size, "little"))
        if data is None:
            return _FAILED
        try:
            return marshal.loads(data)
        except (ValueError, EOFError, TypeError):
            return _FAILED

    def _read(self, n: int) -> bytes | None:
        """``n`` bytes of the helper's output (None at its end, or past the deadline)."""
        import select
        import time

        assert self.proc is not None and self.proc.stdout is not None and self.deadline is not None
        fd, chunks = self.proc.stdout.fileno(), []
        while n:
            left = self.deadline - time.monotonic()
            try:
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    return None
                chunk = os.read(fd, n)
            except OSError:
                return None
            if not chunk:
                return None
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        """Stop the helper (it has ended, or its answers are no longer wanted)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.proc = None


_FAILED = object()  # (no answer from the helper)


def start(pairs: list[tuple[Path, Path]], listing: Path | None = None, paths: Path | None = None) -> Check:
    """Check each (table file, base folder) in a helper process; tables that do not exist are
    not looked at (their report is None). ``listing``: a folder whose files and folders the
    helper lists after (Check.listing; a site updated in place: ~8 ms of directory reading
    at 11,000 files, on the other core), compared with the paths of the sealed file ``paths``
    when it exists."""
    args: list[str] = [str(len(pairs))]
    keys = set()
    for table, base in pairs:
        key, name = seal_of(table)
        keys.add(key)
        args += [os.fspath(table), os.path.join(os.fspath(base), ""), os.fsdecode(name)]
    if not sys.executable or not any(os.path.isfile(t) for t, _b in pairs) or len(keys) != 1:
        return Check(None, len(pairs))
    if listing is not None:
        args.append(os.fspath(listing))
        key, name = seal_of(paths) if paths is not None and os.path.isfile(paths) else (None, b"")
        if key in keys:
            args += [os.fspath(paths), os.fsdecode(name)]
        else:
            paths = None
    try:
        proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", _HELPER, *args],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        assert proc.stdin is not None
        proc.stdin.write(keys.pop())  # (the key never on the command line, which anyone can see)
        proc.stdin.close()
        proc.stdin = None  # (communicate() would flush it)
    except (OSError, ValueError):
        return Check(None, len(pairs))
    if listing is not None:  # (a listing of ~11,000 files is ~0.6 MB: in one go, not 64 KB at a time)
        with contextlib.suppress(ImportError, AttributeError, OSError):
            import fcntl

            fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)  # type: ignore[union-attr, attr-defined]
    return Check(proc, len(pairs), [Path(t) for t, _b in pairs], listing is not None, paths)


def paths_payload(paths: Iterable[str]) -> bytes:
    """What a paths file keeps of a site's ``paths`` (see Check.listing)."""
    return "\0".join(paths).encode("utf-8", "surrogatepass")


def paths_digest(payload: bytes) -> str:
    """The digest the helper gives of a paths file's payload (Check.listed_as)."""
    return hashlib.sha256(payload).hexdigest()
