"""Where the cache lives and what every memo of it shares: the folder and its lock, atomic pickles, digests.

Everything in ``.qsgen-cache/`` is a pure optimisation (output is byte-identical to a clean
build). Every file of it is sealed (``seal``/``unseal``): HMAC-SHA256 with a random key kept in
the repository's git storage (``.git/qsgen-cache-key``, never in the work tree, so never in a
commit, a pull request or an archive), over the file's name in the cache and its bytes. A file
that does not carry the seal of this repository's key (planted, committed, extracted from an
archive, edited, corrupted) is never unpickled or unmarshalled: it is discarded, rebuilt, and
the build says so once (``take_rejected``). A tree without git storage (``git archive | tar
-x``) gets a fresh key per process: its cache lives only as long as the process (``qsgen
serve``), what is on disk is never trusted. (A ``.git`` can never come in with a commit: git
refuses the name in a tree.) The memos that use these helpers: ``rulescache`` (parsed rules),
``recordmemo`` (parsed record files), ``scorememo`` (each unit's score), ``pagestore`` and
``pages`` (rendered pages).
Both the record memo and the page store save the file status of what they keep as a table
(``status.marshal``) that ``statcheck`` compares with the files in a helper process while
this one loads the caches; without a trustworthy report each file is stat'ed here.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import marshal
import operator
import os
import pickle
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from qsgen.core.model import Record
from qsgen.core.runtime import exclusive
from qsgen.incremental import CACHE_DIR

PAGES_DIR = "pages"  # .qsgen-cache/pages/<shard>.pickle: the persisted PageStore keys
RECORDS_DIR = "records"  # .qsgen-cache/records/<shard>.pickle: the persisted RecordMemo
FORMAT = 19  # bump when the stored layout changes (19: the page store's large byte strings after its pickle)
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
    with exclusive(os.path.join(root, CACHE_DIR, LOCK_FILE), "另一个 qsgen build 正在生成这个仓库的网站，等它结束……",
                   say):
        yield


# ---- the seal of every cache file

KEY_FILE = "qsgen-cache-key"  # in the repository's git storage (.git/), never in the work tree
KEY_BYTES = 32
MAGIC = b"QSGEN-CACHE-1\n"  # then the 32-byte HMAC-SHA256, then the payload
_KEYS: dict[str, bytes] = {}  # cache folder -> its key, for this process
# (keys from os.urandom, as secrets.token_bytes makes them: the secrets module and base64 are not imported)
PROCESS_KEY = os.urandom(KEY_BYTES)  # for a tree without git storage: trusted by no other process
_REJECTED: list[str] = []  # cache files refused since the last take_rejected(), as repository paths


def git_storage(root: Path | str) -> Path | None:
    """The git folder that holds the repository's own data (the common one of a linked
    worktree), found by reading ``.git`` upwards from ``root``; None in a tree without git."""
    here = Path(os.path.realpath(root))
    for folder in (here, *here.parents):
        dot = folder / ".git"
        try:
            if dot.is_dir():
                return dot
            if not dot.is_file():
                continue
            text = dot.read_text("utf-8", "replace")[:4096].strip()
        except OSError:
            return None
        if not text.startswith("gitdir:"):
            return None
        gitdir = (folder / text[len("gitdir:"):].strip()).resolve()
        try:  # a linked worktree's folder names the common one
            common = (gitdir / "commondir").read_text("utf-8", "replace").strip()
            return (gitdir / common).resolve() if common else gitdir
        except OSError:
            return gitdir if gitdir.is_dir() else None
    return None


def repository_key(root: Path | str) -> tuple[bytes, bool]:
    """(the key that seals ``root``'s cache, whether it outlives this process). Read from (or
    made in) ``.git/qsgen-cache-key``; the process's own key when there is no git storage or it
    cannot be written."""
    name = os.path.realpath(os.path.join(root, CACHE_DIR))
    key = _KEYS.get(name)
    if key is not None:
        return key, key is not PROCESS_KEY
    git = git_storage(root)
    key = PROCESS_KEY if git is None else (_read_key(git / KEY_FILE) or _make_key(git / KEY_FILE) or PROCESS_KEY)
    _KEYS[name] = key
    return key, key is not PROCESS_KEY


def _read_key(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = os.read(fd, KEY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) == KEY_BYTES else None


def _make_key(path: Path) -> bytes | None:
    """A new random key in ``path`` (readable by its owner only); the one another process made
    at the same moment wins. None when it cannot be written."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    key = os.urandom(KEY_BYTES)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, key)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # never a half-written key: it appears whole or not at all
        except FileExistsError:
            other = _read_key(path)
            if other is not None:
                return other
            os.replace(tmp, path)  # a damaged key file: replaced (what it sealed is refused)
        return key
    except OSError:
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def seal_of(target: Path | str) -> tuple[bytes, bytes]:
    """(key, name) for a cache file: the key of the repository whose .qsgen-cache/ holds it, and
    its path inside that folder (bound into the seal: a file is valid only where it was written)."""
    target = Path(target)
    for parent in target.parents:
        if parent.name == CACHE_DIR:
            return repository_key(parent.parent)[0], target.relative_to(parent).as_posix().encode("utf-8", "surrogateescape")
    return PROCESS_KEY, target.name.encode("utf-8", "surrogateescape")


def tag(key: bytes, name: bytes, payload: bytes | memoryview) -> bytes:
    """The seal: HMAC-SHA256 over the file's name in the cache and its payload."""
    h = hmac.new(key, name + b"\0", "sha256")
    h.update(payload)  # (a memoryview: the payload is not copied)
    return h.digest()


def seal(target: Path | str, payload: bytes) -> bytes:
    """What is written to the cache file ``target``: MAGIC, the seal, the payload."""
    key, name = seal_of(target)
    return MAGIC + tag(key, name, payload) + payload


def unseal(target: Path | str, data: bytes) -> memoryview | None:
    """The payload of ``data`` read from ``target`` (a view, not a copy) when its seal is this
    repository's; else None (and the file is refused: see take_rejected)."""
    key, name = seal_of(target)
    head = len(MAGIC) + 32
    payload = memoryview(data)[head:]
    if len(data) >= head and data.startswith(MAGIC) and \
            hmac.compare_digest(data[len(MAGIC):head], tag(key, name, payload)):
        return payload
    # Without git storage the key is this process's: what an earlier qsgen process sealed is
    # refused as well, but that is expected there and not worth a warning
    reject(target, quiet=key is PROCESS_KEY and data.startswith(MAGIC))
    return None


def reject(target: Path | str, quiet: bool = False) -> None:
    """A cache file whose seal is not this repository's: removed (it will be rebuilt), noted
    for the build's warning unless ``quiet``."""
    target = Path(target)
    with contextlib.suppress(OSError):
        os.unlink(target)
    if quiet:
        return
    parts = target.parts
    at = max((i for i, p in enumerate(parts) if p == CACHE_DIR), default=len(parts) - 1)
    _REJECTED.append("/".join(parts[at:]))


def take_rejected() -> list[str]:
    """The cache files refused since the last call (their paths from the repository root)."""
    out = sorted(set(_REJECTED))
    _REJECTED.clear()
    return out


def rejected_warning(names: list[str], root: Path | str) -> Any:
    """The one warning of a build that refused cache files (errors.Diagnostic), or None."""
    if not names:
        return None
    from qsgen.core.errors import Diagnostic

    shown = "、".join(names[:3]) + (f" 等 {len(names)} 个" if len(names) > 3 else "")
    if repository_key(root)[1]:
        hint = ("缓存只认本机 qsgen 写下的文件（用 .git/qsgen-cache-key 签名）；"
                "这些文件可能是提交、解压或复制进来的，或被改动、损坏了")
    else:
        hint = ("这里没有 .git 文件夹存放缓存密钥，磁盘上的缓存一律不用，每次都完整生成；"
                "在 git 仓库里生成即可使用缓存")
    return Diagnostic(CACHE_DIR, 1, 1, f"缓存文件 {shown} 未通过校验，已丢弃并重新生成（输出不受影响）",
                      hint, "warning")


def read_sealed(target: Path | str) -> memoryview | None:
    """The payload of the cache file ``target``; None when it is absent, unreadable or refused."""
    if _AHEAD:
        ahead = _AHEAD.pop(_ahead_key(target), None)
        if ahead is not None:
            ahead[0].wait()
            if ahead[2]:
                return ahead[1]
    return _read_sealed(target)


def write_sealed(target: Path, payload: bytes) -> bool:
    """Write ``payload`` sealed to ``target`` (in .qsgen-cache/) atomically: beside it, then
    renamed. False when it could not be written (a cache that is not written only costs time)."""
    if _AHEAD:
        _AHEAD.pop(_ahead_key(target), None)  # (what was read ahead is no more)
    try:
        key, name = seal_of(target)
    except OSError:
        return False
    # (the payload not joined to the seal: no copy of a large payload)
    return write_file(target, MAGIC + tag(key, name, payload), payload)


def write_file(target: Path, *chunks: bytes | memoryview) -> bool:
    """Write ``chunks`` to ``target``: beside it, then renamed to its name once whole. False when
    it could not be written.

    The old file is removed first, not renamed over: ext4 (its default auto_da_alloc) writes a
    new file's data out inside a rename over an existing file, and waits behind every other
    write of the disk to do so (on a busy machine, 9 cache files of 3.6 MB in all: ~17 ms of
    renames over, ~26 ms with the space reserved first, 0.8 ms removed first; measured). A cache
    file is only read under the cache's lock (``locked``): a reader finds the old file, the new
    one, or (after a crash between the two steps) none, which is a miss; never a part of one."""
    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        try:
            os.unlink(target)
        except FileNotFoundError:
            pass
        except OSError:  # (not removable: renamed over, as before)
            os.replace(tmp, target)
            return True
        os.rename(tmp, target)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False


# ---- the cache files read ahead

# The pickles of pages/, .qsgen-cache/ and records/, in the order a build reads them: of the
# top folder's, the small ones (last-commits, read before the records) before records/, the
# others (~2.5 MB at 10,000 records) after: the scores and rules first, the git history and
# approvals (AHEAD_LAST: read when the site's inputs are gathered) last.
AHEAD_DIRS = (PAGES_DIR, "", RECORDS_DIR)
AHEAD_SMALL = 4096  # bytes
AHEAD_LAST = ("history-", "approvals-")
_AHEAD: dict[str, list] = {}  # path -> [threading.Event set when read, read_sealed's answer, whether it has one]


def read_ahead(root: Path | str) -> None:
    """Read the build's cache files and check their seals on a thread, while this one imports
    the rest of qsgen and starts the build (reading and hashing release the GIL: ~30 ms of the
    incremental build at 10,000 records, 13 MB, spent on the other core). read_sealed takes
    what was read (waiting for it if need be). Only under the cache's lock (``locked``), where
    no other build writes the files; read_ahead_end() drops what was not asked for."""
    import threading

    folder = os.path.join(root, CACHE_DIR)
    paths, later = [], []
    for sub in AHEAD_DIRS:
        try:
            with os.scandir(os.path.join(folder, sub)) as it:
                found = sorted((e.path, 0 if sub else _size(e)) for e in it if e.name.endswith(".pickle"))
        except OSError:
            continue
        paths += [path for path, size in found if size < AHEAD_SMALL]
        later += [path for path, size in found if size >= AHEAD_SMALL]
    paths += sorted(later, key=lambda path: os.path.basename(path).startswith(AHEAD_LAST))  # (stable)
    if not paths:
        return
    slots = [[threading.Event(), None, False] for _ in paths]
    _AHEAD.update(zip(map(_ahead_key, paths), slots, strict=True))

    def read_all() -> None:
        for path, slot in zip(paths, slots, strict=True):
            try:
                slot[1], slot[2] = _read_sealed(path), True
            except BaseException:  # noqa: BLE001 - (read_sealed reads it again, and says why)
                pass
            finally:
                slot[0].set()

    threading.Thread(target=read_all, name="qsgen-cache-read-ahead", daemon=True).start()


def _size(entry: os.DirEntry) -> int:
    try:
        return entry.stat(follow_symlinks=False).st_size
    except OSError:
        return 0


def _ahead_key(path: Path | str) -> str:
    """What a file read ahead is found by: its absolute path (read_ahead of the root "." names
    it "./.qsgen-cache/…", a reader Path(".") / CACHE_DIR / … ".qsgen-cache/…")."""
    return os.path.abspath(path)


def read_ahead_end() -> None:
    """Forget what read_ahead read and nobody asked for (after it is all read: the files
    may change after the build)."""
    for slot in list(_AHEAD.values()):
        slot[0].wait()
    _AHEAD.clear()


def _read_sealed(target: str) -> memoryview | None:
    try:
        with open(target, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return unseal(target, data)


def read_pickle(target: Path | str) -> Any:
    """What ``write_pickle`` wrote to ``target``; None when absent, refused or not loadable.
    Only bytes that carry this repository's seal are ever unpickled."""
    payload = read_sealed(target)
    if payload is None:
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # sealed by us, yet not loadable (a class that changed): a cache miss
        return None


def write_pickle(target: Path, data: Any) -> bool:
    """Write ``data`` pickled and sealed to ``target`` (in .qsgen-cache/) atomically."""
    try:
        payload = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return False
    return write_sealed(target, payload)


def remove_files(folder: Path, names: Iterable[str]) -> None:
    for name in names:
        if _AHEAD:
            _AHEAD.pop(_ahead_key(folder / name), None)
        with contextlib.suppress(OSError):
            os.unlink(folder / name)


def shard_file(shard: str) -> str:
    return hashlib.blake2b(shard.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest() + ".pickle"


def digest(*parts: Any) -> str:
    """A short stable hash of the repr of ``parts`` (reprs of the model are deterministic)."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def asked_of(paths: list[str]) -> tuple[str, bytes]:
    """What a cache file keeps of the distinct paths it answered for (asked_covers): their
    digest, by which the same list asked again is told at once (not ~10,000 strings unpickled
    into a set and looked up each), and the paths themselves marshalled, read only when other
    paths are asked."""
    return _paths_digest(paths), marshal.dumps(list(paths))


def asked_covers(asked: Any, paths: list[str]) -> int:
    """2 when ``paths`` (distinct) are the very list of asked_of's ``asked``, 1 when they are
    some of its paths, 0 when not (or ``asked`` is not what asked_of made)."""
    try:
        known, packed = asked
        if known == _paths_digest(paths):
            return 2
        return 1 if frozenset(marshal.loads(packed)).issuperset(paths) else 0
    except (TypeError, ValueError, EOFError):
        return 0


_LAST_PATHS: list[Any] = [None, ""]  # the last list _paths_digest hashed (a copy), its digest


def _paths_digest(paths: list[str]) -> str:
    last = _LAST_PATHS
    if paths == last[0]:  # (asked twice a build for the same list: history, approvals)
        return last[1]
    h = hashlib.blake2b(digest_size=16)
    h.update("\0".join(paths).encode("utf-8", "surrogatepass"))
    h.update(str(len(paths)).encode())
    last[:] = [list(paths), h.hexdigest()]
    return last[1]


def tree_digest(*dirs: Path, within: Path | str | None = None) -> str:
    """Hash of every file's relative path and bytes under ``dirs`` (missing dirs hash as empty;
    ``__pycache__`` folders left out).
    Not of where the dirs are: `qsgen build` in the repository, in a sub-folder of it (root
    ../../..) or with --root /its/path must find the same cache. A file is read as the stages
    read it (repo.files.read_file, confined to ``within``, by default each dir): one that is
    not a regular file inside, or too large, hashes as the reason it is refused (a FIFO or
    /dev/zero is never opened for reading)."""
    from qsgen.repo.files import Refused, read_file

    h = hashlib.blake2b(digest_size=16)
    for i, d in enumerate(dirs):
        h.update(b"\0dir %d\0" % i)
        if not d.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(d):
            # (not Python's bytecode, nor qsgen's own templates compiled beside it: see
            # incremental.bytecode.InstalledBytecodeCache; written by the builds it would key)
            dirnames[:] = sorted(n for n in dirnames if n != "__pycache__")
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                h.update(b"\0" + os.fsencode(os.path.relpath(full, d)) + b"\0")
                try:
                    h.update(read_file(full, within=d if within is None else within))
                except Refused as e:
                    h.update(b"\0refused " + e.reason.encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def record_digest(rec: Record) -> str:
    """Hash of a record's own content (everything its page shows of it)."""
    return digest(rec.id, rec.path, rec.unit, rec.kind, rec.title, rec.date, rec.fields, rec.body,
                  rec.attachments, rec.lines, rec.body_line)


_SECOND = operator.itemgetter(1)


class DigestMemo:
    """record_digest by Record object, for a warm process whose RecordMemo hands back the very
    same (unmutated) Record objects build after build. Keeps the last build's records (and the
    records they replaced, while those are few: see table)."""

    def __init__(self) -> None:
        self.by_id: dict[int, tuple[Record, str]] = {}
        self._last: tuple[list[Record], tuple[Record, ...], dict[int, str]] | None = None
        # id(record) -> (the record, the digest of the one it replaces, whether they differ in
        # their body alone): the records read again since the last build because their file
        # changed (recordmemo.RecordMemo.load notes them), so that what was kept for the records
        # of the last build can be recognised: a unit whose records changed in their bodies
        # alone keeps its score (scorememo), and its other record pages their keys (pages)
        self.before: dict[int, tuple[Record, str, bool]] = {}

    def earlier(self, body_only: bool = False) -> dict[int, str]:
        """{id(record): the digest of the record it replaces} of the records of ``before``
        (``body_only``: of those that differ from it in their body alone)."""
        return {k: v[1] for k, v in self.before.items() if v[2] or not body_only}

    def table(self, records: list[Record]) -> dict[int, str]:
        last = self._last  # (asked twice a build, scoring and pages, for the same list)
        if last is not None and last[0] is records and len(records) == len(last[1]) and \
                all(map(operator.is_, records, last[1])):
            return last[2]
        # (an id in by_id is its record's, alive there: no other live record has it)
        old, ids = self.by_id, list(map(id, records))
        hits = list(map(old.get, ids))
        if None in hits:
            for i, rec in enumerate(records):
                if hits[i] is None:
                    hits[i] = (rec, record_digest(rec))
            self.by_id = dict(zip(ids, hits, strict=True))
        elif len(old) > len(ids) + len(ids) // 8 + 8:
            # (every record known: by_id is made anew, without those of earlier builds, only
            # once they are many; a build that replaced a few records keeps them meanwhile)
            self.by_id = dict(zip(ids, hits, strict=True))
        out = dict(zip(ids, map(_SECOND, hits), strict=True))
        self._last = (records, tuple(records), out)
        return out


STATUS_TABLE = "status.marshal"  # in records/ and pages/: the saved file status, for statcheck


def code_key(modules: Iterable[str], *extra: Any) -> str:
    """Digest of the code of ``modules`` (files of this package), the cache format, the Python
    and PyYAML versions and ``extra``: what a persisted result depends on besides its input."""
    import sys

    h = hashlib.blake2b(digest_size=16)
    h.update(repr((FORMAT, sys.version, yaml_version(), *extra)).encode("utf-8", "surrogatepass"))
    _hash_code(h, modules)
    return h.hexdigest()


@functools.cache
def yaml_version() -> tuple[str, bool] | None:
    """PyYAML's (__version__, __with_libyaml__), read from its files without importing it (~3%
    of an incremental build's instructions; its parser is imported only for a document that is
    not flat, core/yamlsafe.py): the version as its __init__.py assigns it, libyaml when its
    compiled _yaml module is there (whether or not PyYAML is imported already: the key must not
    depend on that). When its __init__.py does not say the version that plainly, the module's
    own values."""
    import importlib.machinery
    import importlib.util

    spec = importlib.util.find_spec("yaml")
    if spec is None or not spec.origin or not spec.submodule_search_locations:
        return None  # pragma: no cover - PyYAML is a dependency
    try:
        with open(spec.origin, encoding="utf-8") as f:
            found = _YAML_VERSION.findall(f.read())
    except (OSError, UnicodeDecodeError):  # pragma: no cover
        found = []
    if len(found) == 1:
        ext = importlib.machinery.PathFinder.find_spec("_yaml", list(spec.submodule_search_locations))
        return found[0], ext is not None and isinstance(ext.loader, importlib.machinery.ExtensionFileLoader)
    try:  # pragma: no cover - PyYAML's __init__.py has said it plainly since 3.x
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        return None
    return yaml.__version__, getattr(yaml, "__with_libyaml__", False)


_YAML_VERSION = re.compile(r"^__version__ = '([^'\\]*)'$", re.M)


def _hash_code(h: Any, modules: Iterable[str]) -> None:
    """Feed ``h`` the source of ``modules``: paths relative to the qsgen package, a folder
    standing for every .py file under it (each file read once a process: three keys of a
    build share core/; os.walk and strings, not pathlib: ~3.5 -> ~1 ms a build)."""
    for name in modules:
        for rel in _sources(name):
            data = _SOURCE.get(rel)
            if data is None:
                try:
                    with open(os.path.join(_PKG, rel), "rb") as f:
                        data = f.read()
                except OSError:
                    data = None
                _SOURCE[rel] = data
            h.update(rel.encode() + b"\0" + (data if data is not None else b"missing"))


_SOURCE: dict[str, bytes | None] = {}  # a source file of the package (relative path) -> its bytes


def _sources(name: str) -> list[str]:
    """The .py files ``name`` (a file or a folder of the package) stands for, relative to the
    package, sorted by their parts."""
    top = os.path.join(_PKG, name)
    if not os.path.isdir(top):
        return [name]
    out = []
    for dirpath, _dirnames, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, _PKG).replace(os.sep, "/")
        out += [f"{rel}/{f}" for f in filenames if f.endswith(".py")]
    return sorted(out, key=lambda rel: rel.split("/"))
