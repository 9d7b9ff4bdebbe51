"""Writing the site: guarded output directory, built beside it, swapped in atomically.

Every build holds the site lock (``site_lock``) while it writes: a second build of the same
site waits. The first thing it does under the lock is to remove what a killed build left
(``remove_leftovers``). The swap exchanges the two folders in one system call where the
system has one (Linux renameat2 RENAME_EXCHANGE), so there is never a moment without a site;
elsewhere it is two renames, and a build killed between them has its previous site put back
by the next one. A full or read-only disk is an error that names the path and the space needed.
"""

from __future__ import annotations

import contextlib
import errno
import operator
import os
import re
import shutil
import stat
import sys
import tempfile
import unicodedata
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from itertools import compress, repeat
from operator import itemgetter
from pathlib import Path, PurePosixPath
from typing import Any

from qsgen.core import lazyre
from qsgen.core.background import Background
from qsgen.core.errors import QsgenError
from qsgen.core.runtime import exclusive, reserve

MARKER = ".qsgen-site"  # written into every site qsgen builds; only such directories are replaced
MARKER_TEXT = b"This directory is a site built by qsgen; it is replaced on every build.\n"
FILE_MODE = 0o644
DIR_MODE = 0o755
# Repository folders that hold sources: an output there would overwrite or delete them.
PROTECTED = ("records", "rules", "site_templates", ".git")
_CONTROL = lazyre.compile(r"[\x00-\x1f\x7f]")  # (only for a path _PLAIN_PATH does not pass)


class SiteFiles(dict):
    """{site-relative POSIX path: bytes}; adding the same path twice is an error (like Pelican)."""

    def __init__(self, items: Mapping[str, bytes] | Iterable[tuple[str, bytes]] = ()) -> None:
        super().__init__()
        self.update(items)

    def __setitem__(self, path: str, data: bytes) -> None:
        problem = path_problem(path)
        if problem:
            raise QsgenError(problem)
        if path in self:
            raise QsgenError(f"同一个输出文件生成了两次：{path}")
        super().__setitem__(path, _as_bytes(path, data))

    def add(self, path: str, data: bytes | str) -> None:
        self[path] = data  # type: ignore[assignment]

    def update(self, items=(), **kw) -> None:  # type: ignore[override]
        pairs = items.items() if isinstance(items, Mapping) else items
        for k, v in pairs:
            self[k] = v
        for k, v in kw.items():
            self[k] = v

    def setdefault(self, path, data=None):  # type: ignore[override]
        if path not in self:
            self[path] = data
        return self[path]


# ------------------------------------------------------------ stand-ins

class Kept(bytes):
    """A page whose bytes are already in the site at the same path, unchanged since the last
    build wrote it (checked by its file status: incremental.pagestore.PageStore.get). It stands in for the bytes
    in the site's file mapping; the writer leaves (or links) the file instead of writing it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "KEPT"


KEPT = Kept()


class Written(bytes):
    """A page already written, as it was rendered, into the new site being built (streamed
    there so the whole site is never held in memory); it stands in for the bytes. Its file's
    inode, mtime and ctime as written are kept too (the page store saves that: no stat of every page)."""

    def __new__(cls, size: int = 0, crc: int = 0, ino: int = 0, mtime: int = 0, ctime: int = 0) -> Written:
        self = super().__new__(cls)
        self.size, self.crc, self.ino, self.mtime, self.ctime = size, crc, ino, mtime, ctime
        return self

    def __reduce__(self):
        return (Written, (self.size, self.crc, self.ino, self.mtime, self.ctime))

    def __repr__(self) -> str:
        return f"WRITTEN({self.size})"


def stream_page(folder: str, path: str, data: bytes, folders: Folders | None = None) -> bytes:
    """Write one page into ``folder`` (the new site) now; Written, or the bytes themselves when
    the path is one the writer must refuse (it reports it with every other problem).
    ``folders``: the new site's folders held open by a process that writes many pages."""
    if path_problem(path):
        return data
    if folders is not None:
        return folders.stream(path, data)
    return stream_file(folder, path, (data,))


class Folders:
    """The folders of a new site (``root``) that a process writes pages into, each opened once
    (a render worker's): a page is created by its name in its folder (openat), not by its
    whole path, which the kernel walks again one folder at a time for every file. Measured on
    ext4: ~2.5 µs of the 30-50 µs a file costs alone (10,000 files); in clean builds of the
    10,000-record corpus, a worker's stream_page 86 -> 78 µs a page (median of 8 workers,
    builds interleaved). ``close`` when done. None from ``of`` where the system cannot open
    a file relative to a folder."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.fds: dict[str, int] = {}  # folder (site path) -> its descriptor

    @classmethod
    def of(cls, root: str | None) -> Folders | None:
        return cls(root) if root is not None and os.open in os.supports_dir_fd and _DIRECTORY else None

    def stream(self, path: str, data: bytes) -> Written:
        """stream_file(self.root, path, [data]) (a plain ``path``: path_problem passed it)."""
        return Written(*self.status(path, data))

    def status(self, path: str, data: bytes) -> tuple[int, int, int, int, int]:
        """stream() as the fields of its Written (size, CRC-32, inode, mtime, ctime): what a
        render worker sends of a page (rendering.Sent), not made into an object it takes apart."""
        folder, _, name = path.rpartition("/")
        fd = self.fds.get(folder)
        try:
            if fd is None:
                fd = self._open(folder)
            try:
                return write_chunks(name, (data,), fd)
            except FileExistsError:  # written by a worker that failed later (as stream_file)
                os.unlink(name, dir_fd=fd)
            return write_chunks(name, (data,), fd)
        except OSError as e:  # (reported with the whole path, as stream_file's are)
            if e.filename is not None:
                e.filename = os.path.join(self.root, *path.split("/"))
            raise

    def _open(self, folder: str) -> int:
        where = os.path.join(self.root, *folder.split("/")) if folder else self.root
        os.makedirs(where, exist_ok=True)
        fd = self.fds[folder] = os.open(where, os.O_RDONLY | _DIRECTORY)
        return fd

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def stream_file(folder: str, path: str, chunks: Iterable[bytes]) -> Written:
    """Write the file ``path`` of ``folder`` (the new site) from ``chunks`` now (a large one is
    never held whole); the Written that stands for its bytes in the site's file mapping."""
    return Written(*_streamed(folder, path, chunks))


def _streamed(folder: str, path: str, chunks: Iterable[bytes]) -> tuple[int, int, int, int, int]:
    """stream_file's writing: the fields of its Written."""
    target = os.path.join(folder, *path.split("/"))
    try:
        return write_chunks(target, chunks)
    except FileNotFoundError:  # the first file of its folder (not asked every time: 4 stat calls)
        os.makedirs(os.path.dirname(target), exist_ok=True)
    except FileExistsError:  # written by a worker that failed later: its part is rendered again
        os.unlink(target)
    return write_chunks(target, chunks)  # (open fails before a chunk is taken)


def stream_later(folder: str, path: str, chunks: list[bytes]) -> Written:
    """stream_file, the writing done on a thread of the new site ``folder`` (core.background)
    while this one goes on: the Written returned stands for the file's bytes at once, its
    fields (size, CRC-32, inode, mtime, ctime) set once the file is written. ``settle(folder)``
    waits for every such write of the folder: write_site does before it completes the site.
    ``chunks``: a sequence that is not changed afterwards."""
    written = Written()
    later = _LATER.get(folder)
    if later is None:
        later = _LATER[folder] = Background()
    later.run(_fill, written, folder, path, chunks)
    return written


def _fill(written: Written, folder: str, path: str, chunks: list[bytes]) -> None:
    written.size, written.crc, written.ino, written.mtime, written.ctime = _streamed(folder, path, chunks)


def settle(folder: str | os.PathLike, quiet: bool = False) -> None:
    """Wait for the files of ``folder`` still being written (stream_later); the first error of
    their writing is raised here (with ``quiet``, after another error: not)."""
    later = _LATER.pop(os.fspath(folder), None)
    if later is None:
        return
    try:
        later.wait()
    except BaseException:
        if not quiet:
            raise


_LATER: dict[str, Background] = {}  # new site's folder -> its writes still under way (stream_later)


# A path every check below passes (segments of ASCII letters, digits, "-", "_" and ".", none
# starting with "."): most paths of a site, told at once.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*")


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot be a file of the site (Chinese), or None when it can."""
    if type(path) is str and _PLAIN_PATH.fullmatch(path):
        return None
    if not isinstance(path, str) or not path:
        return f"输出文件路径为空或不是文本：{path!r}"
    if _CONTROL.search(path):
        return f"输出文件路径含控制字符：{path!r}"
    if "\\" in path:
        return f"输出文件路径须用 / 分隔，不能含反斜杠：{path}"
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return f"输出文件路径须是相对路径：{path}"
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return f"输出文件路径不能含空段、. 或 ..：{path}"
    if parts[-1] == MARKER:
        return f"输出文件不能叫 {MARKER}（qsgen 用它标记站点目录）：{path}"
    return None


def begin(out: Path, root: Path) -> Path:
    """Check ``out`` and make the empty directory beside it that write_site(..., tmp=) fills
    and swaps in; pages can be streamed into it before (stream_page, stream_file). The caller
    removes it (shutil.rmtree) if the build fails before write_site."""
    _check_out(Path(os.path.abspath(out)), root)
    out = Path(os.path.realpath(out))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise write_failure(e, out, what=f"无法创建输出目录的上级目录 {out.parent}") from e
    try:
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.qsgen-new-", dir=out.parent))
    except OSError as e:
        raise write_failure(e, out, what=f"无法在 {out.parent} 中创建临时目录") from e


def write_site(files: Mapping[str, bytes], out: Path, root: Path, unchanged: Collection[str] = (),
               tmp: Path | None = None) -> None:
    """Write ``files`` as the whole site at ``out``; on any failure the previous site is untouched.

    Refuses an ``out`` that is ``/``, the home directory, the repository root or one of its
    parents, inside records/, rules/, site_templates/ or .git/, not a directory, or an existing
    non-empty directory without the ``.qsgen-site`` marker of a previous qsgen build.

    ``unchanged``: paths whose bytes are known to equal the file at the same path of the site
    now at ``out`` (the incremental layer read and checked them); they are hard-linked from it into the new
    site instead of written again (writing is the fallback), which makes an incremental build
    cost what changed, not the whole site. The swap stays atomic.

    ``tmp``: the directory made by begin(), where values that are ``Written`` were
    already written, or are being written (stream_later: waited for before the swap); it is
    removed on failure like one made here.
    """
    _check_out(Path(os.path.abspath(out)), root)
    out = Path(os.path.realpath(out))  # a symlinked output replaces the directory it points to
    try:
        plan = _plan(files)
    except BaseException:
        if tmp is not None:
            settle(tmp, quiet=True)
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    parent = out.parent
    if tmp is None:
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise write_failure(e, out, what=f"无法创建输出目录的上级目录 {parent}") from e
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.qsgen-new-", dir=parent))
        except OSError as e:
            raise write_failure(e, out, what=f"无法在 {parent} 中创建临时目录") from e
    old = out if unchanged and (out / MARKER).is_file() else None
    try:
        settle(tmp)  # (the files streamed into it on a thread: all written)
        if old is not None:
            _write_all(tmp, plan, old, set(unchanged))
        else:
            _write_all(tmp, plan)
        _swap(tmp, out, parent)
    except BaseException as e:
        settle(tmp, quiet=True)
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError):
            raise write_failure(e, out, site_bytes(files)) from e
        raise


def update_site(files: Mapping[str, bytes], out: Path, root: Path,
                listed: tuple[set[str] | None, set[str]] | None = None, same: bool = False) -> set[str]:
    """Bring the site at ``out`` (a previous qsgen build) to exactly ``files``, in place.

    For an incremental build: the files whose bytes differ are written beside the site first
    (a temporary directory next to it); only when all are written is each one moved to its
    place by an atomic rename, then files no longer part of the site are deleted. A failure
    before that changes nothing. Unlike write_site the site is not swapped as a whole: a
    reader may see new and old pages side by side for the moment the renames take, and an
    interrupted update leaves a mix of whole old and whole new files (the next build repairs
    it). A value ``KEPT`` says the file at that path is already right (not even read).
    ``listed``: the site's (files, folders), relative paths, as listed by the caller during
    the build (statcheck's helper, on the other core) instead of here. ``same``: the caller
    knows the site's files to be exactly the paths of ``files`` (and MARKER), as written by an
    earlier build that checked them (statcheck compared the site with the paths the page store
    saved): only its folders are needed of ``listed`` (its files may be None), and the paths
    are not checked against each other again (_plan). Returns the paths written.
    """
    _check_out(Path(os.path.abspath(out)), root)
    out = Path(os.path.realpath(out))
    if not (out / MARKER).is_file():
        raise QsgenError(f"{out} 不是以前由 qsgen 生成的站点，不能原地更新")
    base = os.fspath(out)
    existing: set[str] | None
    if listed is not None and (same or listed[0] is not None):
        existing, dirs = (None if same else listed[0]), listed[1]
    else:
        existing, dirs = set(), set()
        for dirpath, _dirnames, filenames in os.walk(base):
            rel = os.path.relpath(dirpath, base).replace(os.sep, "/")
            prefix = "" if rel == "." else rel + "/"
            if prefix:
                dirs.add(rel)
            for name in filenames:
                existing.add(prefix + name)
    if existing is not None:
        existing.discard(MARKER)
    # (an incremental build's paths are usually all files of the site already: one C-level
    # check over the ~11,000 paths, and neither _plan's folders nor the kept pages' are asked;
    # when they are the site's files as the last build wrote them, not even that)
    inside = existing is None or existing.issuperset(files)
    plan = _plan(files, listed=inside, kept=False, same=existing is None)  # (the files to write)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.qsgen-new-", dir=out.parent))
    except OSError as e:
        raise write_failure(e, out, what=f"无法在 {out.parent} 中创建临时目录") from e
    written: list[str] = []
    staged: list[tuple[str, str]] = []
    try:
        if not inside:  # (the pages kept told apart by C-level maps, not one at a time)
            paths = list(files)
            missing = set(compress(paths, map(Kept.__instancecheck__, map(files.__getitem__, paths))))
            missing.difference_update(existing or ())
            if missing:
                raise OSError(0, "站点中缺少应当沿用的页面", min(missing))
        for path, data in plan:
            target = os.path.join(base, path)
            if existing is None or path in existing:
                try:
                    if os.path.getsize(target) == len(data):
                        with open(target, "rb") as f:
                            if f.read() == data:
                                continue
                except OSError:
                    pass
            name = os.path.join(tmp, str(len(staged)))
            # (renamed over the file in place: its space reserved first, runtime.reserve)
            write_chunks(name, (data,), reserved=existing is None or path in existing)
            staged.append((name, path))
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise write_failure(e, out, sum(len(d) for _p, d in plan if not isinstance(d, Kept)),
                            "更新站点失败") from e
    gone = () if existing is None or (inside and len(existing) == len(files)) else existing.difference(files)
    try:
        for name, path in staged:  # the point of no return: every new file is written
            parent = str(PurePosixPath(path).parent)
            if parent != "." and parent not in dirs:
                parts = parent.split("/")
                for i in range(1, len(parts) + 1):
                    sub = "/".join(parts[:i])
                    if sub not in dirs:
                        d = os.path.join(base, sub)
                        if not os.path.isdir(d):
                            os.mkdir(d)
                            os.chmod(d, DIR_MODE)
                        dirs.add(sub)
            target = os.path.join(base, path)
            if existing is None or path in existing:
                # the file replaced kept by a second name in the temporary folder, removed
                # later (removed_later): ext4 frees its blocks there, not inside the rename
                # (~3 ms a file on a busy disk, measured), which stays the one atomic step
                with contextlib.suppress(OSError):
                    os.link(target, name + ".old", follow_symlinks=False)
            os.replace(name, target)
            written.append(path)
        emptied = set()
        for path in sorted(gone):
            os.unlink(os.path.join(base, path))
            emptied.add(str(PurePosixPath(path).parent))
        for d in sorted(emptied, key=lambda x: -x.count("/")):
            while d not in (".", ""):
                try:
                    os.rmdir(os.path.join(base, d))  # only when empty
                except OSError:
                    break
                d = str(PurePosixPath(d).parent)
    except OSError as e:
        where = f"（{e.filename}）" if e.filename else ""
        if not written:  # not one file replaced nor removed: the site is as it was
            raise write_failure(e, out, None, "更新站点失败") from e
        if len(written) < len(staged):
            shown = "、".join(written[:3]) + (" 等" if len(written) > 3 else "")
            done = f"已替换 {len(written)} 个文件{'（' + shown + '）' if written else ''}，" \
                   f"还有 {len(staged) - len(written)} 个未能替换：{e.strerror or e}{where}"
        else:
            done = f"{len(written)} 个变化的文件都已替换，但删除不再属于站点的文件时失败：{e.strerror or e}{where}"
        raise QsgenError(f"原地更新站点 {out} 中断：{done}。站点现在新旧页面混杂；"
                         "排除问题后再生成一次，会把它补全", site_changed=True) from e
    finally:
        _remove_later(tmp)
    return set(written)


_REMOVING = Background()  # update_site's temporary folders being removed (removed_later)


def _remove_later(folder: Path) -> None:
    """Remove ``folder`` (update_site's temporary one, with the files it replaced) on a thread
    while the build goes on: the unlinks release the interpreter and free the old files'
    blocks on the disk's time. removed_later() waits for them; remove_leftovers takes any
    that a killed build left."""
    try:
        _REMOVING.run(shutil.rmtree, folder, True)  # (ignore_errors)
    except RuntimeError:  # (no thread can be started: at once)
        shutil.rmtree(folder, ignore_errors=True)


def removed_later() -> None:
    """Wait until what update_site left to remove is removed (before the site's lock is let go)."""
    _REMOVING.wait()


def write_chunks(target: str, chunks: Iterable[bytes], dir_fd: int | None = None,
                 reserved: bool = False) -> tuple[int, int, int, int, int]:
    """Write a new file (never an existing one) from ``chunks``, each written as it comes, so
    that a large file is never held whole; its size, CRC-32, inode, mtime and ctime (ns) as
    written. ``dir_fd``: ``target`` is a name in that folder (Folders). ``reserved``: chunks
    is a sequence, and the file is to be renamed over an existing one (runtime.reserve)."""
    size, crc = 0, 0
    fd = os.open(target, _NEW, FILE_MODE, dir_fd=dir_fd)
    try:
        if reserved:
            reserve(fd, sum(memoryview(c).nbytes for c in chunks))  # type: ignore[union-attr]
        for data in chunks:
            size += len(data)
            crc = zlib.crc32(data, crc)
            done = os.write(fd, data)
            if done < len(data):  # (a short write: the rest)
                view = memoryview(data)[done:]
                while view:
                    view = view[os.write(fd, view):]
        st = os.fstat(fd)
        if st.st_mode & 0o7777 != FILE_MODE and _FCHMOD:  # whatever the umask (one call
            os.fchmod(fd, FILE_MODE)  # fewer a file when it left the mode as asked: the usual 022)
            st = os.fstat(fd)  # (its ctime as changed)
    finally:
        os.close(fd)
    if not _FCHMOD:
        os.chmod(target, FILE_MODE, dir_fd=dir_fd)
    return size, crc, st.st_ino, st.st_mtime_ns, st.st_ctime_ns


_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)  # (a new file, never an existing one)
_FCHMOD = hasattr(os, "fchmod")


def _as_bytes(path: str, data) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        return data.encode("utf-8")
    raise QsgenError(f"输出文件的内容须是字节或文本：{path}（得到 {type(data).__name__}）")


def _check_out(out: Path, root: Path) -> None:
    real = Path(os.path.realpath(out))
    root_real = Path(os.path.realpath(root))
    home = Path(os.path.realpath(Path.home()))
    shown = str(out)
    hint = "请用 --out 指定一个新的目录，或以前由 qsgen 生成的目录，例如 _site"
    if real == Path(real.anchor):
        raise QsgenError(f"输出目录不能是根目录 {shown}。{hint}")
    if real == home:
        raise QsgenError(f"输出目录不能是主目录 {shown}。{hint}")
    if real == root_real:
        raise QsgenError(f"输出目录不能是仓库根目录 {shown}：生成站点会删掉仓库。{hint}")
    if real in root_real.parents:
        raise QsgenError(f"输出目录 {shown} 包含了仓库，不能用作输出目录。{hint}")
    for name in PROTECTED:
        protected = root_real / name
        if real == protected or protected in real.parents:
            raise QsgenError(f"输出目录不能在 {name}/ 之内：{shown}。{hint}")
    if os.path.lexists(real):
        if not real.is_dir():
            raise QsgenError(f"输出路径 {shown} 已存在且不是目录。{hint}")
        if (real / MARKER).is_file():
            return
        try:
            empty = not any(os.scandir(real))
        except OSError as e:
            raise QsgenError(f"无法读取输出目录 {shown}：{e.strerror or e}") from e
        if not empty:
            raise QsgenError(
                f"输出目录 {shown} 不是空目录，也不是以前由 qsgen 生成的站点（没有 {MARKER} 标记文件），"
                f"为免误删其中文件，拒绝写入。{hint}")


def _plan(files: Mapping[str, bytes], listed: bool = False, kept: bool = True,
          same: bool = False) -> list[tuple[str, bytes]]:
    """Validate every path before anything is written; sorted for deterministic writes.

    Worked out in bulk (C-level maps over the ~11,000 paths of the 10,000-record site, most of
    them pages kept: ~7 ms a build one at a time); when anything is wrong, one at a time again
    (_checked_plan), to say exactly what. ``listed``: every path is a file (not a folder) of
    one listing of a site (update_site's), so none is a folder of another: that is not asked
    again. ``kept`` False: the plan leaves out the pages KEPT (update_site writes only the
    others), and only those are sorted. (Both ~5 ms of an incremental build at 10,000 records:
    sorting ~11,000 paths in the order the pages were made is most of it.) ``same``: the paths
    are those of a site an earlier build wrote after checking them (update_site): only the
    files not kept are checked (~4 ms less at 10,000 records)."""
    paths = sorted(files) if kept else list(files)
    datas = list(map(files.__getitem__, paths))
    todo = list(compress(range(len(datas)), map(operator.not_, map(Kept.__instancecheck__, datas))))
    if not _plain(list(map(paths.__getitem__, todo)), list(map(datas.__getitem__, todo))):
        for i in todo:  # (the files not kept: checked and made bytes)
            if path_problem(paths[i]) is not None:
                return _checked_plan(files, kept)
            datas[i] = _as_bytes(paths[i], datas[i])
    if not same:
        folded = list(map(str.lower, paths))  # (_folded of an ASCII path)
        if not "".join(paths).isascii():
            for i in compress(range(len(paths)), map(operator.not_, map(str.isascii, paths))):
                folded[i] = _folded(paths[i])
        if len(set(folded)) != len(paths):
            return _checked_plan(files, kept)
    if not listed:
        folders = set()
        # (each path's folder, "" for none: the loop below skips it)
        for parent in set(map(itemgetter(0), map(str.rpartition, paths, repeat("/")))):
            while parent and parent not in folders:  # every folder a file is in, up to the top
                folders.add(parent)
                parent = parent[:max(parent.rfind("/"), 0)]
        if not folders.isdisjoint(paths):
            return _checked_plan(files, kept)
    if not kept:
        return sorted(zip(map(paths.__getitem__, todo), map(datas.__getitem__, todo), strict=True), key=itemgetter(0))
    return list(zip(paths, datas, strict=True))


def _plain(paths: list[str], datas: list[Any]) -> bool:
    """Whether every one of ``paths`` is one that path_problem passes at once (_PLAIN_PATH)
    and every one of ``datas`` is bytes already (_as_bytes leaves it): the usual case, told by
    C-level maps (a clean build's ~11,000 files one at a time took ~8 ms, after the workers
    ended, when this process works alone)."""
    try:
        return all(map(_PLAIN_PATH.fullmatch, paths)) and all(map(isinstance, datas, repeat(bytes)))
    except TypeError:  # (a path that is not text: said by path_problem)
        return False


def _folded(path: str) -> str:
    """What a file system that ignores case and Unicode forms (macOS, Windows) takes a name for."""
    return path.lower() if path.isascii() else unicodedata.normalize("NFC", path).casefold()


def _checked_plan(files: Mapping[str, bytes], kept: bool = True) -> list[tuple[str, bytes]]:
    """_plan one file at a time: every problem said (QsgenError), else the plan (without the
    pages KEPT if not ``kept``)."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    plan: list[tuple[str, bytes]] = []
    for path in sorted(files):
        data = files[path]
        # A page kept from the last build is a file of the site, checked when it was written.
        if not isinstance(data, Kept):
            problem = path_problem(path)
            if problem:
                problems.append(problem)
                continue
            data = _as_bytes(path, data)
        # Two names that one file system (macOS, Windows) treats as the same file.
        folded = _folded(path)
        if folded in seen:
            problems.append(f"两个输出文件只差大小写或 Unicode 写法，部分服务器上会互相覆盖："
                            f"{seen[folded]} 与 {path}")
            continue
        seen[folded] = path
        plan.append((path, data))
    folders: set[str] = set()
    for path, _ in plan:  # every folder a file is in, up to the top
        cut = path.rfind("/")
        while cut > 0 and path[:cut] not in folders:
            folders.add(path[:cut])
            cut = path.rfind("/", 0, cut)
    for path in sorted(folders.intersection(seen.values())):
        problems.append(f"输出路径既是文件又是目录：{path}")
    if problems:
        raise QsgenError("站点文件有误，未写入任何文件：\n" + "\n".join(problems))
    return plan if kept else [entry for entry in plan if not isinstance(entry[1], Kept)]


# Sites with at least this many files are written by two processes (fork): creating files is
# mostly system-call time, and the two halves of the sorted plan are mostly different folders.
PARALLEL_WRITE_MIN = 4000


def _write_all(tmp: Path, plan: list[tuple[str, bytes]], old: Path | None = None,
               unchanged: set[str] | frozenset[str] = frozenset()) -> None:
    os.chmod(tmp, DIR_MODE)
    made: set[str] = set()
    # every folder first, so the files can be written in any order (each file's folder taken
    # by C-level maps: ~11,000 files, ~30 folders)
    for parent in sorted(set(map(itemgetter(0), map(str.rpartition, map(itemgetter(0), plan), repeat("/"))))):
        if parent and parent not in made:
            parts = parent.split("/")
            for i in range(1, len(parts) + 1):
                sub = "/".join(parts[:i])
                if sub not in made:
                    d = tmp / sub
                    if not d.is_dir():
                        d.mkdir()
                    os.chmod(d, DIR_MODE)
                    made.add(sub)
    # (not streamed yet)
    todo = list(compress(plan, map(operator.not_, map(Written.__instancecheck__, map(itemgetter(1), plan)))))
    if len(todo) >= PARALLEL_WRITE_MIN and hasattr(os, "fork"):
        half = len(todo) // 2
        _write_files_forked(tmp, todo[half:], todo[:half], old, unchanged)
    else:
        _write_files(tmp, todo, old, unchanged)
    marker = tmp / MARKER
    marker.write_bytes(MARKER_TEXT)
    os.chmod(marker, FILE_MODE)


def _write_files(tmp: Path, plan: list[tuple[str, bytes]], old: Path | None,
                 unchanged: set[str] | frozenset[str]) -> None:
    for path, data in plan:
        if isinstance(data, Written):  # streamed into tmp while it was rendered
            continue
        target = os.path.join(tmp, path)
        if old is not None and path in unchanged and _link(os.path.join(old, path), target, len(data)):
            continue
        write_chunks(target, (data,))


def _write_files_forked(tmp: Path, theirs: list[tuple[str, bytes]], mine: list[tuple[str, bytes]],
                        old: Path | None, unchanged: set[str] | frozenset[str]) -> None:
    """Write ``theirs`` in a forked child (it shares the bytes, nothing is copied) while this
    process writes ``mine``; a failure in either raises OSError here."""
    import sys

    r, w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: write, report, leave without running any cleanup of the parent
        code = 0
        try:
            os.close(r)
            _write_files(tmp, theirs, old, unchanged)
        except BaseException as e:
            code = 1
            try:
                err = e if isinstance(e, OSError) else OSError(0, repr(e))
                os.write(w, f"{err.errno or 0}\0{err.strerror or err}\0{err.filename or ''}".encode(
                    "utf-8", "replace")[:4000])
            except BaseException:
                pass
        finally:
            os._exit(code)
    os.close(w)
    failure: BaseException | None = None
    try:
        _write_files(tmp, mine, old, unchanged)
    except BaseException as e:
        failure = e
    with os.fdopen(r, "rb") as f:
        report = f.read()
    _, status = os.waitpid(pid, 0)
    if failure is not None:
        raise failure
    if status != 0:
        errno_, strerror, filename = (report.decode("utf-8", "replace").split("\0") + ["", "", ""])[:3]
        raise OSError(int(errno_) if errno_.isdigit() else 0, strerror or "写入文件的子进程失败",
                      filename or None)


def _link(source: str, target: str, size: int) -> bool:
    """Hard-link an unchanged file of the previous site; False when that is not possible."""
    try:
        st = os.lstat(source)
        if not stat.S_ISREG(st.st_mode) or st.st_size != size or stat.S_IMODE(st.st_mode) != FILE_MODE:
            return False
        os.link(source, target)
        return True
    except (OSError, NotImplementedError):
        return False


def _swap(tmp: Path, out: Path, parent: Path) -> None:
    """Put the new site in place of the old one, then delete the old one: one exchange of the
    two folders where the system can (never a moment without a site), else the old site moved
    aside and the new one in (remove_leftovers puts it back after a kill in between)."""
    if not os.path.lexists(out):
        os.rename(tmp, out)
        return
    if _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # (tmp holds the previous site now)
        return
    trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.qsgen-old-", dir=parent))
    old = trash / "site"
    try:
        os.rename(out, old)
    except OSError:
        shutil.rmtree(trash, ignore_errors=True)
        raise
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)  # put the previous site back exactly as it was
        shutil.rmtree(trash, ignore_errors=True)
        raise
    shutil.rmtree(trash, ignore_errors=True)


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100
_renameat2: Any = None  # the C function, False when the system has none


def _exchange(a: Path, b: Path) -> bool:
    """Exchange the folders ``a`` and ``b`` atomically (renameat2 RENAME_EXCHANGE); False when
    the system or the file system cannot (then nothing happened)."""
    global _renameat2
    if _renameat2 is None:
        _renameat2 = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                fn = ctypes.CDLL(None, use_errno=True).renameat2
                fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
                fn.restype = ctypes.c_int
                _renameat2 = fn
            except (OSError, AttributeError, ImportError):
                pass
    if not _renameat2:
        return False
    import ctypes

    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), os.fspath(b))


# ------------------------------------------------------------ lock, leftovers, failures


@contextlib.contextmanager
def site_lock(out: Path, say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock of the folder the site ``out`` is in for a whole build, whatever its mode
    (cached, --no-cache, --atomic): a second build waits (saying so) instead of swapping or
    updating the same site at the same time. A lock on the folder itself (flock of a
    directory): nothing is written for it. Where it cannot be taken, the build runs without."""
    folder = Path(os.path.realpath(out)).parent
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent  # (made by the build; its nearest existing ancestor is locked)
    with exclusive(os.fspath(folder), f"另一个 qsgen build 正在写入 {folder} 里的网站，等它结束……", say,
                   directory=True):
        yield


def remove_leftovers(out: Path) -> list[str]:
    """Remove what killed builds left beside the site ``out`` (``.<name>.qsgen-new-*``: a new
    site half written, or an old one exchanged out; ``.<name>.qsgen-old-*``: an old site moved
    aside). When the site itself is missing because a build was killed between the two renames
    of the swap, the previous site is put back first. Call it holding site_lock. Returns the
    names removed."""
    out = Path(os.path.realpath(out))
    parent = out.parent
    try:
        names = sorted(os.listdir(parent))
    except OSError:
        return []
    new, old = f".{out.name}.qsgen-new-", f".{out.name}.qsgen-old-"
    removed = []
    for name in names:
        if not name.startswith((new, old)):
            continue
        full = parent / name
        if full.is_symlink() or not full.is_dir():
            continue
        if name.startswith(old) and not os.path.lexists(out) and (full / "site" / MARKER).is_file():
            with contextlib.suppress(OSError):
                os.rename(full / "site", out)
        shutil.rmtree(full, ignore_errors=True)
        removed.append(name)
    return removed


def site_bytes(files: Mapping[str, bytes]) -> int:
    """What writing ``files`` as a new site takes on disk, roughly (pages already written count
    their size; pages linked from the old site nothing)."""
    total = 0
    for data in files.values():
        if isinstance(data, Written):
            total += data.size
        elif not isinstance(data, Kept):
            total += len(data)
    return total


def folder_bytes(folder: Path) -> int:
    """The size of the files under ``folder`` (0 when it does not exist)."""
    total = 0
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def _mb(size: int) -> str:
    return f"{max(size, 0) / 1024 / 1024:.1f} MB"


def write_failure(e: OSError, out: Path, needed: int | None = None, what: str = "写入站点失败",
                  written: int = 0) -> QsgenError:
    """The Chinese error of a write that failed, the previous site untouched: a full disk (with
    the free space and the space needed: the new site is built whole beside the old one, or the
    changed files beside it), a read-only file system, else what the system said."""
    out = Path(os.path.abspath(out))
    path = e.filename or out
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        folder = out if out.is_dir() else out.parent
        while not folder.is_dir() and folder != folder.parent:
            folder = folder.parent
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            free = 0
        # unknown (pages streamed as rendered): at least what was written, or the last site's size
        need = needed if needed else max(folder_bytes(out), written)
        short = f"，至少还要腾出 {_mb(need - free)}" if need > free else ""
        about = "约" if needed else "至少"
        return QsgenError(f"{what}，原有站点未改动：磁盘空间不足，写不进 {path}。这次要写入{about} {_mb(need)}，"
                          f"{folder} 所在的磁盘只剩 {_mb(free)}{short}；腾出空间后重新生成")
    if e.errno == errno.EROFS:
        return QsgenError(f"{what}，原有站点未改动：{path} 所在的文件系统是只读的，写不进去；"
                          "请让它可写，或用 --out 换一个可写的目录")
    return QsgenError(f"{what}，原有站点未改动：{e.strerror or e}{'（' + str(e.filename) + '）' if e.filename else ''}")
