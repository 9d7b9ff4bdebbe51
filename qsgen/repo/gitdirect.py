"""HEAD with its date, and that the index holds nothing under a path: read from .git, not asked of git."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

# Environment that changes what git reads (GIT_DIR and GIT_WORK_TREE are removed for every git
# call: gitinfo._env): with any of them set, git is asked.
_ENV = ("GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_REPLACE_REF_BASE", "GIT_ICASE_PATHSPECS",
        "GIT_OBJECT_DIRECTORY", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS", "GIT_LITERAL_PATHSPECS")
_HEX = frozenset(b"0123456789abcdef")
_SPECIAL = frozenset("*?[\\:!^")  # (a pathspec that is not a plain path: its magic or glob)
_COMMIT = 1  # pack entry types: 1 commit, 2 tree, 3 blob, 4 tag, 6 and 7 deltas


def _have_git() -> bool:
    """Whether a `git` program is on PATH (without one, git's answers are no answers: gitinfo)."""
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        if folder and os.access(os.path.join(folder, "git"), os.X_OK):
            return True
    return False


def _git_dir(root: Path | str) -> str | None:
    """``root``/.git when git, run in ``root``, surely reads that folder and would read it: a
    folder (not a linked worktree's file), owned like the work tree by this user (git refuses
    another's repository), with its HEAD, objects and refs; None otherwise (and when there is
    no git to run)."""
    if any(var in os.environ for var in _ENV) or not _have_git():
        return None
    git = os.path.join(root, ".git")
    try:
        uid = os.geteuid()
        st = os.lstat(git)
        if (st.st_mode & 0o170000) != 0o040000 or st.st_uid != uid or os.stat(root).st_uid != uid:
            return None
        head = os.lstat(os.path.join(git, "HEAD"))
    except (OSError, AttributeError):  # (no geteuid: not POSIX)
        return None
    if (head.st_mode & 0o170000) != 0o100000:  # (a symbolic link HEAD, of old gits)
        return None
    if not (os.path.isdir(os.path.join(git, "objects")) and os.path.isdir(os.path.join(git, "refs"))):
        return None
    return git


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _ref(git: str, name: str) -> str | None:
    """The object a branch (or other ref) names: its loose file, else packed-refs; None when a
    symbolic ref, not found, or not a plain object name."""
    if name.startswith("/") or ".." in name.split("/") or not name.startswith("refs/"):
        return None
    text = _read(os.path.join(git, *name.split("/")))
    if text is None:
        packed = _read(os.path.join(git, "packed-refs"))
        if packed is None:
            return None
        tail = b" " + name.encode("utf-8", "surrogateescape")
        for line in packed.split(b"\n"):
            if line.endswith(tail) and not line.startswith((b"#", b"^")):
                text = line[:-len(tail)]
                break
        else:
            return None
    sha = text.strip()
    return sha.decode("ascii") if len(sha) in (40, 64) and _HEX.issuperset(sha) else None


def _replaced(git: str) -> bool:
    """Whether the repository may replace objects (refs/replace/: git log shows the replacement)."""
    try:
        with os.scandir(os.path.join(git, "refs", "replace")) as it:
            if any(True for _ in it):
                return True
    except FileNotFoundError:
        pass
    except OSError:
        return True
    packed = _read(os.path.join(git, "packed-refs"))
    return packed is not None and b" refs/replace/" in packed


def _loose(git: str, sha: str) -> bytes | None:
    data = _read(os.path.join(git, "objects", sha[:2], sha[2:]))
    if data is None:
        return None
    try:
        raw = zlib.decompressobj().decompress(data, 1 << 16)
    except zlib.error:
        return None
    kind, _, rest = raw.partition(b" ")
    return rest.partition(b"\0")[2] if kind == b"commit" else None


def _packed(git: str, sha: str) -> bytes | None:
    """The commit ``sha`` from a pack (version 2 index) where it is stored whole; None when it is not
    there, stored as a delta, or anything is unexpected."""
    raw, size = bytes.fromhex(sha), len(sha) // 2
    folder = os.path.join(git, "objects", "pack")
    try:
        with os.scandir(folder) as it:
            indexes = sorted(e.name for e in it if e.name.endswith(".idx"))
    except OSError:
        return None
    for name in indexes:
        try:
            with open(os.path.join(folder, name), "rb") as f:
                head = f.read(8 + 256 * 4)
                if len(head) != 8 + 1024 or head[:8] != b"\377tOc\0\0\0\2":
                    return None
                lo = int.from_bytes(head[4 + 4 * raw[0]:8 + 4 * raw[0]], "big") if raw[0] else 0
                hi = int.from_bytes(head[8 + 4 * raw[0]:12 + 4 * raw[0]], "big")
                count = int.from_bytes(head[8 + 1020:8 + 1024], "big")
                f.seek(8 + 1024 + lo * size)
                names = f.read((hi - lo) * size)
                at = names.find(raw)
                while at > 0 and at % size:  # (found astride two names)
                    at = names.find(raw, at + 1)
                at = None if at < 0 else at // size
                if at is None:
                    continue
                at += lo
                f.seek(8 + 1024 + count * (size + 4) + at * 4)
                offset = int.from_bytes(f.read(4), "big")
                if offset & 0x80000000:  # (packs over 2 GB: their large offsets)
                    return None
            with open(os.path.join(folder, name[:-4] + ".pack"), "rb") as f:
                f.seek(offset)
                entry = f.read(1 << 16)
        except (OSError, ValueError):
            return None
        if not entry or (entry[0] >> 4) & 7 != _COMMIT:
            return None
        n = 0
        try:
            while entry[n] & 0x80:  # (the entry's size, 7 bits a byte after the first 4)
                n += 1
            return zlib.decompressobj().decompress(entry[n + 1:], 1 << 16)
        except (IndexError, zlib.error):
            return None
    return None


def _committed_at(commit: bytes) -> int | None:
    """The committer date (seconds) in a commit's text, as git's %ct gives it."""
    for line in commit.split(b"\n"):
        if not line:
            return None
        if line.startswith(b"committer "):
            stamp = line.rsplit(b">", 1)[-1].split()
            return int(stamp[0]) if len(stamp) == 2 and stamp[0].isdigit() else None
    return None


def head(root: Path | str) -> tuple[int, bytes] | None:
    """What `git log -1 --format=%H %ct HEAD` run in ``root`` gives (exit status, output), from
    .git/HEAD, the ref it names and the commit object (loose, or whole in a pack); None when the
    files do not make that certain (then ask git)."""
    git = _git_dir(root)
    if git is None:
        return None
    text = _read(os.path.join(git, "HEAD"))
    if text is None:
        return None
    text = text.strip()
    if text.startswith(b"ref:"):
        sha = _ref(git, text[4:].strip().decode("utf-8", "surrogateescape"))
    else:
        sha = text.decode("ascii") if len(text) in (40, 64) and _HEX.issuperset(text) else None
    if sha is None or _replaced(git):
        return None
    commit = _loose(git, sha)
    if commit is None:
        commit = _packed(git, sha)
    when = None if commit is None else _committed_at(commit)
    if when is None:
        return None
    return 0, f"{sha} {when}\n".encode("ascii")


def untracked(root: Path | str, path: str) -> bool:
    """True when `git ls-files -- path` run in ``root`` surely lists nothing: the index (version 2
    or 3, not split with a shared index) holds no entry at ``path`` or under it, and the
    repository does not fold case. Its entries are sorted by path: only those up to ``path`` are
    read (a few at the start of the index for ".qsgen-cache"). False when unsure."""
    git = _git_dir(root)
    if git is None or not path or any(c in _SPECIAL for c in path) or path.startswith("/"):
        return False
    name = os.fsencode(path.removeprefix("./").rstrip("/"))
    if name in (b"", b".") or b"/." in name or b"//" in name:
        return False
    config = _read(os.path.join(git, "config"))
    if config is None or b"ignorecase" in config.lower():
        return False
    try:
        with os.scandir(git) as it:
            if any(e.name.startswith("sharedindex.") for e in it):
                return False
        with open(os.path.join(git, "index"), "rb") as f:
            data = f.read(1 << 16)
            return _none_at(data, name, f.read)
    except FileNotFoundError:  # (no index: nothing added yet)
        return True
    except OSError:
        return False


def _none_at(data: bytes, name: bytes, more) -> bool:
    """Whether the index whose first bytes are ``data`` (``more()``: the rest) has no entry at
    ``name`` or under it."""
    if len(data) < 12 or data[:4] != b"DIRC" or data[4:8] not in (b"\0\0\0\2", b"\0\0\0\3"):
        return False
    count, at, folder = int.from_bytes(data[8:12], "big"), 12, name + b"/"
    for _ in range(count):
        if len(data) < at + 64 + 0x1000:
            data += more()
        flags = int.from_bytes(data[at + 60:at + 62], "big")
        start = at + (64 if flags & 0x4000 else 62)  # (version 3: extended flags)
        end = data.find(b"\0", start)
        if end < 0 or (flags & 0xFFF) not in (end - start, 0xFFF):
            return False
        entry = data[start:end]
        if entry == name or entry.startswith(folder):
            return False
        if entry > folder:  # (sorted: every later entry is past ``name`` too)
            return True
        at += (end - at + 8) & ~7  # (the entry padded with 1-8 NULs to a multiple of 8 bytes)
    return True
