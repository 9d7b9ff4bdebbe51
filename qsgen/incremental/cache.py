"""Where the cache lives and what every memo of it shares: the folder and its lock, atomic pickles, digests.

Everything in ``.qsgen-cache/`` is a pure optimisation (output is byte-identical to a clean
build). The memos that use these helpers: ``rulescache`` (parsed rules), ``recordmemo`` (parsed
record files), ``scorememo`` (each unit's score), ``pagestore`` and ``pages`` (rendered pages).
Both the record memo and the page store save the file status of what they keep as a table
(``status.marshal``) that ``statcheck`` compares with the files in a helper process while
this one loads the caches; without a trustworthy report each file is stat'ed here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from qsgen.core.model import Record

CACHE_DIR = ".qsgen-cache"
FORMAT = 14  # bump when the stored layout changes
_PKG = Path(__file__).resolve().parent.parent  # the qsgen package


def committed(root: Path) -> Any:
    """A warning (errors.Diagnostic) when git tracks files of ``root/.qsgen-cache/``, else None.
    The cache holds pickles and compiled templates, which run code when loaded: only what this
    machine wrote is read, never what came in with a commit (anyone's pull request)."""
    if not (Path(root) / CACHE_DIR).exists():
        return None
    from qsgen.core.errors import Diagnostic
    from qsgen.repo import gitinfo

    if not gitinfo.tracks(root, CACHE_DIR):
        return None
    return Diagnostic(CACHE_DIR, 1, 1, f"缓存文件夹 {CACHE_DIR}/ 被提交进了 git 仓库，这次不读也不写缓存"
                      "（缓存只能由本机生成；提交进仓库的缓存可能被人改过，读取它可能执行其中的代码）",
                      f"运行 git rm -r --cached {CACHE_DIR} 并提交；.gitignore 里应有一行 /{CACHE_DIR}/",
                      "warning")


def prepare_dir(root: Path) -> None:
    """Make ``root/.qsgen-cache/`` with a .gitignore of "*" inside, so that git never picks the
    cache up (``git add -A``), even in a repository whose own .gitignore does not name it."""
    folder = Path(root) / CACHE_DIR
    try:
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# qsgen 的本机缓存，不要提交（由 qsgen 自动生成）\n*\n", "utf-8")
    except OSError:
        pass  # a cache that cannot be written only makes the next build slower


LOCK_FILE = "lock"  # .qsgen-cache/lock: held by the build that reads and writes the cache


@contextlib.contextmanager
def locked(root: Path, say: Any = None) -> Iterator[None]:
    """Hold ``root/.qsgen-cache/lock`` for a build: a second `qsgen build` of the same
    repository waits (saying so) instead of writing the cache and the site at the same time,
    which could leave a status table newer than the record cache it describes. Where the lock
    cannot be taken (no fcntl, an unwritable folder) the build runs without it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        fd = os.open(os.path.join(root, CACHE_DIR, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if say is not None:
                say("另一个 qsgen build 正在生成这个仓库的网站，等它结束……")
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass  # a file system without locks: as without fcntl
        yield
    finally:
        os.close(fd)  # (releases the lock)


def write_pickle(target: Path, data: Any) -> bool:
    """Write ``data`` to ``target`` (in .qsgen-cache/) atomically: beside it, then renamed.
    False when it could not be written (a cache that is not written only costs time)."""
    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False


def remove_files(folder: Path, names: Iterable[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(folder / name)


def shard_file(shard: str) -> str:
    return hashlib.blake2b(shard.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest() + ".pickle"


def digest(*parts: Any) -> str:
    """A short stable hash of the repr of ``parts`` (reprs of the model are deterministic)."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def tree_digest(*dirs: Path) -> str:
    """Hash of every file's relative path and bytes under ``dirs`` (missing dirs hash as empty).
    Not of where the dirs are: `qsgen build` in the repository, in a sub-folder of it (root
    ../../..) or with --root /its/path must find the same cache."""
    h = hashlib.blake2b(digest_size=16)
    for i, d in enumerate(dirs):
        h.update(b"\0dir %d\0" % i)
        if not d.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(d):
            dirnames.sort()
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                h.update(b"\0" + os.fsencode(os.path.relpath(full, d)) + b"\0")
                try:
                    with open(full, "rb") as f:
                        h.update(f.read())
                except OSError:
                    h.update(b"\0unreadable")
    return h.hexdigest()


def record_digest(rec: Record) -> str:
    """Hash of a record's own content (everything its page shows of it)."""
    return digest(rec.id, rec.path, rec.unit, rec.kind, rec.title, rec.date, rec.fields, rec.body,
                  rec.attachments, rec.lines, rec.body_line)


class DigestMemo:
    """record_digest by Record object, for a warm process whose RecordMemo hands back the very
    same (unmutated) Record objects build after build. Keeps only the last build's records."""

    def __init__(self) -> None:
        self.by_id: dict[int, tuple[Record, str]] = {}

    def table(self, records: list[Record]) -> dict[int, str]:
        old, new = self.by_id, {}
        for rec in records:
            hit = old.get(id(rec))
            new[id(rec)] = hit if hit is not None and hit[0] is rec else (rec, record_digest(rec))
        self.by_id = new
        return {k: v[1] for k, v in new.items()}


STATUS_TABLE = "status.marshal"  # in records/ and pages/: the saved file status, for statcheck


def code_key(modules: Iterable[str], *extra: Any) -> str:
    """Digest of the code of ``modules`` (files of this package), the cache format, the Python
    and PyYAML versions and ``extra``: what a persisted result depends on besides its input."""
    import sys

    try:
        import yaml
        yaml_version = (yaml.__version__, getattr(yaml, "__with_libyaml__", False))
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        yaml_version = None
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((FORMAT, sys.version, yaml_version, *extra)).encode("utf-8", "surrogatepass"))
    _hash_code(h, modules)
    return h.hexdigest()


def _hash_code(h: Any, modules: Iterable[str]) -> None:
    """Feed ``h`` the source of ``modules``: paths relative to the qsgen package, a folder
    standing for every .py file under it."""
    for name in modules:
        target = _PKG / name
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for f in files:
            rel = f.relative_to(_PKG).as_posix()
            try:
                h.update(rel.encode() + b"\0" + f.read_bytes())
            except OSError:
                h.update(rel.encode() + b"\0missing")
