"""Files of the repository as qsgen reads them: resolved inside the repository, regular files only."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def resolve_file(root: Path | str, rel: str, dirs: dict[str, str]) -> tuple[str, bool]:
    """(os.path.realpath of the repository file ``rel``, whether it is a regular file),
    resolving each folder once (``dirs``: folder -> its real path, shared by the calls of one
    build; most attachments share a few folders). Raises OSError when it cannot be read."""
    real, st = resolve_status(root, rel, dirs)
    return real, stat.S_ISREG(st.st_mode)


def resolve_status(root: Path | str, rel: str, dirs: dict[str, str]) -> tuple[str, os.stat_result]:
    """(os.path.realpath of the repository file ``rel``, the os.stat of that): see resolve_file."""
    folder, _, name = rel.rpartition("/")
    real_dir = dirs.get(folder)
    if real_dir is None:
        real_dir = dirs[folder] = os.path.realpath(os.path.join(root, *folder.split("/")))
    real = os.path.join(real_dir, name)
    st = os.lstat(real)
    if stat.S_ISLNK(st.st_mode):  # only a link needs resolving beyond its folder
        real = os.path.realpath(real)
        st = os.stat(real)
    return real, st


TEXT_LIMIT = 4 * 1024 * 1024  # rules, templates, owners.yaml and other text files qsgen reads
ATTACHMENT_LIMIT = 200 * 1024 * 1024  # one attachment file
_KINDS = ((stat.S_ISDIR, "文件夹"), (stat.S_ISFIFO, "命名管道（FIFO）"), (stat.S_ISCHR, "字符设备"),
          (stat.S_ISBLK, "块设备"), (stat.S_ISSOCK, "套接字"))


class Refused(Exception):
    """A file qsgen will not read: ``reason`` in plain Chinese (no path), ``kind`` one of
    "outside", "link", "special", "big", "unreadable", "missing"; ``size`` for "big"."""

    def __init__(self, reason: str, kind: str, size: int = 0) -> None:
        super().__init__(reason)
        self.reason, self.kind, self.size = reason, kind, size


def inside(real: str, base: str) -> bool:
    """Whether the resolved path ``real`` is ``base`` or under it (both resolved)."""
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def read_file(full: str | os.PathLike, limit: int = TEXT_LIMIT, within: str | os.PathLike | None = None) -> bytes:
    """The bytes of the repository file ``full``: a regular file (never a FIFO, a device or a
    folder: opened without blocking, checked before reading) of at most ``limit`` bytes.
    ``within``: the folder (the repository) it must resolve inside, symbolic links followed;
    None: a symbolic link is refused. Raises Refused with the reason otherwise. Every file
    qsgen reads from a repository is read through here."""
    full = os.fspath(full)
    flags = _FLAGS
    target = full
    if within is None:
        if _NOFOLLOW:  # a link fails to open (ELOOP): told apart below
            flags |= _NOFOLLOW
        elif os.path.islink(full):
            raise Refused("是符号链接，不会读取", "link")
    else:
        target = os.path.realpath(full)
        if not inside(target, os.path.realpath(within)):
            if not os.path.lexists(full):
                raise Refused("文件不存在", "missing")
            raise Refused(f"是指向仓库以外（{target}）的符号链接，不会读取", "outside")
    try:
        fd = os.open(target, flags)
    except FileNotFoundError:
        raise Refused("文件不存在" if not os.path.lexists(full) else "是失效的符号链接（指向的文件不存在）",
                      "missing") from None
    except OSError as e:
        if within is None and os.path.islink(full):  # (O_NOFOLLOW refused a link)
            raise Refused("是符号链接，不会读取", "link") from None
        raise Refused(f"无法读取：{e.strerror}", "unreadable") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = next((name for test, name in _KINDS if test(st.st_mode)), "特殊文件")
            raise Refused(f"不是普通文件，而是{what}，不会读取", "special")
        if st.st_size > limit:
            raise Refused(f"文件太大（{megabytes(st.st_size)}），超过 {megabytes(limit)} 的上限", "big", st.st_size)
        chunks, total = [], 0
        expected = st.st_size + 1  # (asked for first: no buffer of the limit's size for a small file)
        while total <= limit:  # (a file that grows while read stops at the limit too)
            chunk = os.read(fd, (expected if total < expected else limit + 1) - total)
            if not chunk:
                break
            if not total and len(chunk) == st.st_size:
                # The whole file as fstat saw it (one byte more was asked for): at its end, so no
                # second read to find that out (~1 us a record file of the 10,000).
                return chunk
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise Refused(f"文件太大（超过 {megabytes(limit)} 的上限）", "big", total)
        return b"".join(chunks)
    except OSError as e:
        raise Refused(f"无法读取：{e.strerror}", "unreadable") from None
    finally:
        os.close(fd)
