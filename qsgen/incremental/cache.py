"""Content-hash cache for incremental rebuilds: rendered pages keyed by their inputs.

All of it is a pure optimisation (output is byte-identical to a clean build):

- ``PageStore`` (warm in memory, or as keys in ``.qsgen-cache/pages/``, one shard per unit):
  every record page, unit page and attachment is stored with a key hashing everything it is
  made from: the code and templates, the rules, the record's own content, the score lines it
  feeds, its git provenance (record pages), the unit's score outline (unit pages), the
  source file's status (attachments). A page whose key is unchanged is reused, not rendered.
  Kept with them: each record's search index row, each unit's record page keys (while its
  score inputs are unchanged) and its parts of scores.json and scores.csv. A unit's part of
  the search index is kept while its records' page keys are; the ranking, rules, search and
  404 pages while their inputs are.
- ``build_site``: the site's pages with that reuse (CachedSite); record pages that must be
  rendered go to worker processes (workers.py).
- The helpers the other caches share: where the cache lives (and the refusal of one committed
  to git), atomic pickles, digests of code and folders; parsed rules (``load_rules_cached``).
  Parsed record files are kept by recordmemo.py, each unit's score by scorememo.py.

Both the record memo and the page keys save the file status of what they keep as a table
(``status.marshal``) that statcheck.py compares with the files in a helper process while
this one loads the caches; without a trustworthy report each file is stat'ed here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import stat
import time
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from qsgen.build import workers
from qsgen.core.model import Record, Results, UnitScore
from qsgen.incremental import statcheck
from qsgen.site.search import PARTS_DIR

CACHE_DIR = ".qsgen-cache"
PAGES_DIR = "pages"  # .qsgen-cache/pages/<shard>.pickle: the persisted PageStore keys
FORMAT = 14  # bump when the stored layout changes
_PKG = Path(__file__).resolve().parent.parent  # the qsgen package
# Code (packages or modules of qsgen) that decides what a page looks like; any change to it
# invalidates every page.
_RENDER_MODULES = ("site", "core", "repo", "incremental/cache.py", "build/workers.py")


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


def code_digest(template_dir: Path | None = None) -> str:
    """Hash of the rendering code and the site templates."""
    from qsgen.site import pages as site

    h = hashlib.blake2b(digest_size=16)
    h.update(f"format {FORMAT}".encode())
    _hash_code(h, _RENDER_MODULES)
    h.update(tree_digest(template_dir or site.TEMPLATE_DIR).encode())
    return h.hexdigest()


# ------------------------------------------------------------------ pages


class Kept(bytes):
    """A page whose bytes are already in the site at the same path, unchanged since the last
    build wrote it (checked by its file status; see PageStore.get). It stands in for the bytes
    in the site's file mapping; the writer leaves (or links) the file instead of writing it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "KEPT"


KEPT = Kept()


class Written(bytes):
    """A page already written, as it was rendered, into the new site being built (streamed
    there so the whole site is never held in memory); it stands in for the bytes. Its file's
    inode, mtime and ctime as written are kept too (PageStore.save: no stat of every page)."""

    def __new__(cls, size: int = 0, crc: int = 0, ino: int = 0, mtime: int = 0, ctime: int = 0) -> Written:
        self = super().__new__(cls)
        self.size, self.crc, self.ino, self.mtime, self.ctime = size, crc, ino, mtime, ctime
        return self

    def __reduce__(self):
        return (Written, (self.size, self.crc, self.ino, self.mtime, self.ctime))

    def __repr__(self) -> str:
        return f"WRITTEN({self.size})"


def stream_page(folder: str, path: str, data: bytes) -> bytes:
    """Write one page into ``folder`` (the new site) now; Written, or the bytes themselves when
    the path is one the writer must refuse (it reports it with every other problem)."""
    from qsgen.publish import writer

    if writer.path_problem(path):
        return data
    return stream_file(folder, path, (data,))


def stream_file(folder: str, path: str, chunks: Iterable[bytes]) -> Written:
    """Write the file ``path`` of ``folder`` (the new site) from ``chunks`` now (a large one is
    never held whole); the Written that stands for its bytes in the site's file mapping."""
    from qsgen.publish import writer

    target = os.path.join(folder, *path.split("/"))
    try:
        return Written(*writer.write_chunks(target, chunks))
    except FileNotFoundError:  # the first file of its folder (not asked every time: 4 stat calls)
        os.makedirs(os.path.dirname(target), exist_ok=True)
    except FileExistsError:  # written by a worker that failed later: its part is rendered again
        os.unlink(target)
    return Written(*writer.write_chunks(target, chunks))  # (open fails before a chunk is taken)


RACY_NS = 100_000_000  # a page written this close before the keys were saved is checked by content


class PageStore:
    """The last build's cacheable pages: {site path: (key, bytes)} in memory (qsgen serve).

    On disk (qsgen build) only the keys are kept, with each page's size, CRC-32 and file status
    (inode, mtime, ctime) as written: a page whose key matches and whose file in the site still has
    that status is not rendered nor read (``KEPT``). A page whose file changed since (a
    hand-edited site) or that was written too close to the save to tell (racy, as in git's
    index) is read back and used only when its size and checksum are still those written.
    """

    def __init__(self, pages: dict[str, tuple] | None = None, site_dir: Path | None = None) -> None:
        self.pages: dict[str, tuple] = pages or {}  # path -> (key, bytes | None, size, crc, status)
        self.site_dir = site_dir  # where pages stored without bytes are read back from
        self.saved: dict[str, Any] = {}  # shard -> what is on disk (see save)
        self._prefix: str | None = None  # site_dir + "/"
        self.old: dict[str, tuple] = {}  # the loaded entries, after replace()
        self.digests = DigestMemo()  # in memory only
        self.rendered = 0  # pages rendered by the last build
        self.reused = 0  # pages taken from the store by the last build
        self.linkable: set[str] = set()  # pages of the last build read back unchanged from site_dir
        # unit -> {record id: (page key, search.Row)}, or that pickled (as loaded: most units'
        # rows are never looked at, their part of the index being kept whole; see unit_docs)
        self.docs: dict[str, dict[str, tuple[str, Any]] | bytes] = {}
        self.keysets: dict[str, tuple[str, list[str]]] = {}  # unit -> (inputs key, record page keys)
        self.exports: dict[str, tuple[str, str, list]] = {}  # unit -> (page key, scores.json part, csv row)
        # pages of site_dir whose file status changed since the save (statcheck.py; None: not
        # known, each is checked with lstat)
        self.changed: set[str] | None = None

    def unit_docs(self, slug: str) -> dict[str, tuple[str, Any]]:
        """{record id: (page key, search row)} of a unit's records as last saved."""
        rows = self.docs.get(slug)
        if isinstance(rows, bytes):
            try:
                rows = pickle.loads(rows)
            except (pickle.UnpicklingError, EOFError, TypeError, ValueError, AttributeError, ImportError):
                rows = None
            rows = rows if isinstance(rows, dict) else {}
            self.docs[slug] = rows
        return rows or {}

    def unchanged_in(self, out: Path) -> set[str]:
        """Pages of this build identical to the file at the same path in ``out`` (writer links them)."""
        if not self.writes_to(out):
            return set()
        return self.linkable

    def writes_to(self, out: Path) -> bool:
        """The pages kept by this store are files of ``out``."""
        return self.site_dir is not None and os.path.realpath(self.site_dir) == os.path.realpath(out)

    def get(self, path: str, key: str) -> bytes | None:
        hit = self.pages.get(path)
        if hit is None or hit[0] != key:
            return None
        if hit[1] is not None:
            return hit[1]
        if self.site_dir is None:
            return None
        if self._prefix is None:
            self._prefix = os.path.join(self.site_dir, "")
        full = self._prefix + path  # (a site path uses "/"; so does every system qsgen runs on)
        status = hit[4] if len(hit) > 4 else None
        if status is not None:
            changed = self.changed
            if changed is not None:  # statcheck compared the file with the saved status
                if path not in changed:
                    self.linkable.add(path)
                    return KEPT
            else:
                try:
                    st = os.lstat(full)
                except OSError:
                    return None
                if (st.st_ino, st.st_mtime_ns, st.st_ctime_ns) == status[:3] and st.st_size == hit[2] \
                        and stat.S_ISREG(st.st_mode):
                    self.linkable.add(path)
                    return KEPT
        try:
            with open(full, "rb") as f:
                data = f.read()
        except OSError:
            return None
        if len(data) != hit[2] or zlib.crc32(data) != hit[3]:
            return None
        self.linkable.add(path)
        return data

    def materialize(self, files: dict[str, bytes]) -> None:
        """Replace every KEPT in ``files`` by the page's bytes read from the site (for a site
        written elsewhere); a page that changed meanwhile raises OSError."""
        for path, data in files.items():
            if data is KEPT:
                with open(os.path.join(self.site_dir or "", path), "rb") as f:
                    data = f.read()
                hit = self.old.get(path) or self.pages.get(path)
                if hit is None or len(data) != hit[2] or zlib.crc32(data) != hit[3]:
                    raise OSError(0, "上一次生成的页面在构建期间被改动", path)
                files[path] = data

    def replace(self, pages: dict[str, tuple[str, bytes]]) -> None:
        """Keep exactly the pages of the latest build (pages that disappeared are dropped)."""
        self.old = self.pages
        self.pages = {p: (k, data, 0, 0, None) for p, (k, data) in pages.items()}

    # ---- on disk (qsgen build)

    @staticmethod
    def path(root: Path) -> Path:
        """The folder of the saved keys: one file per unit (its record pages, unit page,
        search rows and exports parts) and one for the rest, so that a build that changed one
        unit rewrites one small file."""
        return Path(root) / CACHE_DIR / PAGES_DIR

    @classmethod
    def status_table(cls, root: Path) -> Path:
        """The saved status of every page kept without its bytes, for statcheck (site paths)."""
        return cls.path(root) / STATUS_TABLE

    def use_check(self, changed: set[str] | None, site: Path) -> None:
        """Take statcheck's report on the pages of ``site`` (when that is where they are kept)."""
        self.changed = changed if changed is not None and self.writes_to(site) else None

    @classmethod
    def load(cls, root: Path) -> PageStore:
        """The store saved by the last build at ``root``; empty when absent or unreadable
        (a shard that cannot be read only costs its pages a rendering)."""
        store = cls()
        folder = cls.path(root)
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith(".pickle"))
        except OSError:
            return store
        for name in names:
            try:
                with open(folder / name, "rb") as f:
                    data = pickle.load(f)
                if not isinstance(data, dict) or data.get("format") != FORMAT:
                    continue
                site_dir = Path(data["site"])
                if store.site_dir is None:
                    store.site_dir = site_dir
                elif site_dir != store.site_dir:
                    continue
                part = data["part"]
                store.pages.update(part["pages"])
                store.docs.update(part["docs"])
                store.keysets.update(part["keysets"])
                store.exports.update(part["exports"])
                store.saved[data["shard"]] = part
            except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError,
                    AttributeError, ImportError):
                continue
        return store

    def save(self, root: Path, site_dir: Path) -> None:
        """Write the keys atomically to ``root/.qsgen-cache/`` (never outside the repository),
        only the shards that changed; ``site_dir`` is where the pages were just written.

        A page's file status is kept only when the file is older than RACY_NS: one written
        just before (whose later change might leave the same mtime, as in git's racy index) is
        read back and checked by content next time, and saved with its status then."""
        now = time.time_ns()
        by_shard: dict[str, list[str]] = {}
        for p in self.pages:
            by_shard.setdefault(_page_shard(p), []).append(p)
        for slug in (*self.docs, *self.keysets, *self.exports):
            by_shard.setdefault(slug, [])
        folder = self.path(root)
        site = os.path.realpath(site_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            existing = {n for n in os.listdir(folder) if n.endswith(".pickle")}
        except OSError:
            return  # a cache that cannot be written only makes the next build slower
        same_site = self.site_dir is not None and os.path.realpath(self.site_dir) == site
        wanted = set()
        table_file, table = self.status_table(root), {}
        if not statcheck.drop_table(table_file):  # never newer than the shards it describes
            return
        failed = False
        for shard, paths in by_shard.items():  # one shard in memory at a time
            pages = {}
            for p in paths:
                entry = self.pages[p]
                key, data = entry[0], entry[1]
                if data is KEPT:  # the file was not touched: what the last save knew still holds
                    old = self.old.get(p)
                    if old is not None:
                        pages[p] = (key, None, old[2], old[3], old[4] if len(old) > 4 else None)
                    continue
                if data is None:
                    pages[p] = entry
                    continue
                if isinstance(data, Written) and data.ino:
                    # streamed into writer.begin's folder, which became site_dir whole: the
                    # file's status is the one it had when written
                    size, crc = data.size, data.crc
                    status = (data.ino, data.mtime, data.ctime) if data.mtime < now - RACY_NS else None
                else:
                    size, crc = len(data), zlib.crc32(data)
                    try:
                        st = os.lstat(os.path.join(site_dir, p))
                        status = ((st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
                                  if st.st_size == size and st.st_mtime_ns < now - RACY_NS else None)
                    except OSError:
                        status = None
                pages[p] = (key, None, size, crc, status)
            for p, entry in pages.items():
                if len(entry) > 4 and entry[4] is not None and len(entry[4]) == 3:
                    ino, mtime, ctime = entry[4]
                    table[p] = (entry[2], mtime, ino, ctime)  # statcheck.status()[:4]
            content = {"pages": pages}
            for name, part in (("keysets", self.keysets), ("exports", self.exports)):
                content[name] = {shard: part[shard]} if shard in part else {}
            rows = self.docs.get(shard)
            if rows is not None and not isinstance(rows, bytes):
                rows = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
            content["docs"] = {} if rows is None else {shard: rows}
            name = shard_file(shard)
            wanted.add(name)
            if same_site and name in existing and self.saved.get(shard) == content:
                continue
            if not write_pickle(folder / name, {"format": FORMAT, "site": site, "shard": shard, "part": content}):
                failed = True
        self.saved = {}  # what was loaded; not needed after the save
        remove_files(folder, existing - wanted)
        if not failed:
            statcheck.save_table(table_file, table)


def _page_shard(path: str) -> str:
    """Which shard of the saved keys a site path is kept in: its unit, or "" for the rest."""
    parts = path.split("/", 2)
    if len(parts) == 3 and parts[0] == "records":
        return parts[1]
    if len(parts) == 2 and parts[0] == "units":
        return parts[1].removesuffix(".html")
    if len(parts) == 3 and path.startswith(PARTS_DIR):  # a unit's part of the search index
        return parts[2].removesuffix(".js")
    return ""


def record_digest(rec: Record) -> str:
    """Hash of a record's own content (everything its page shows of it)."""
    return digest(rec.id, rec.path, rec.unit, rec.kind, rec.title, rec.date, rec.fields, rec.body,
                  rec.attachments, rec.lines, rec.body_line)


def record_key(gkey: str, rec: Record, uses: Any, commit: Any, content: str | None = None) -> str:
    """Everything a record page is rendered from (``content``: record_digest(rec), if known)."""
    return digest(gkey, content or record_digest(rec), uses, commit)


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


def _referenced(us: UnitScore) -> list[str]:
    """Every record id a unit page links to."""
    ids: list[str] = []
    for it in us.items:
        ids.extend(it.evidence)
        for pv in it.progress:
            ids.extend(pv.records)
        for ln in it.extras:
            ids.extend(ln.records)
    for adj in us.adjustments:
        for ln in adj.lines:
            ids.extend(ln.records)
    return ids


def unit_key(gkey: str, results: Results, us: UnitScore, by_id: dict[str, Record],
             own: list[Record]) -> str:
    """Everything a unit page is rendered from.

    With ``us.outline`` (scorememo.py: a digest of the score and of the id, kind, title and date
    of the unit's records, the only records its page links: scoring sees no other unit's) that
    digest stands for them, instead of hashing them all again."""
    group = [(u.unit.slug, u.rank, u.group_rank) for u in results.units if u.unit.group == us.unit.group]
    if us.outline:
        return digest(gkey, us.outline, us.rank, us.group_rank, len(results.units), group,
                      results.records.assessments.get(us.unit.slug))
    linked = []
    for rid in _referenced(us):
        r = by_id.get(rid)
        linked.append((rid, r.title, r.date) if r else (rid,))
    return digest(gkey, repr(us), len(results.units), group, results.records.assessments.get(us.unit.slug),
                  [(r.id, r.kind, r.title, r.date) for r in own], linked)


def global_key(results: Results, inputs: Any, rules_digest: str, code: str) -> str:
    """What every cached page shares: code, templates, rules, the build date, attachment set."""
    return digest(code, rules_digest, inputs.source_date, inputs.example, sorted(inputs.attachments),
                  results.rules.title, results.rules.year, str(getattr(inputs, "templates", None)))


def build_site(results: Results, inputs: Any, store: PageStore | None = None, *,
               rules_digest: str | None = None, jobs: int | None = None,
               stream_dir: str | None = None, bytecode_dir: str | None = None) -> dict[str, bytes]:
    """site.build_site with page reuse from ``store`` (updated in place) and parallel rendering.

    The result is byte-identical to ``site.build_site(results, inputs)``. With ``stream_dir``
    (the writer's new site, writer.begin) every record and unit page rendered is written
    there at once and stands as ``Written`` in the result, so memory does not grow with the
    site. ``bytecode_dir``: where compiled templates are kept between processes.
    """
    if rules_digest is None:
        rules_digest = digest(repr(results.rules))
    store = store if store is not None else PageStore()
    gkey = global_key(results, inputs, rules_digest, code_digest(getattr(inputs, "templates", None)))
    cls = _site_class()
    from qsgen.records.loader import paused_gc

    with paused_gc():  # rendering makes no lasting cycles; full collections cost ~10% at 50,000
        site_ = cls(results, inputs, store, gkey, workers.default_jobs() if jobs is None else jobs)
        site_.stream_dir = stream_dir
        if bytecode_dir is not None:
            import jinja2

            try:
                os.makedirs(bytecode_dir, exist_ok=True)
                site_.env.bytecode_cache = jinja2.FileSystemBytecodeCache(bytecode_dir)
            except OSError:
                pass
        return site_.build()


# ------------------------------------------------------------- rendering

_MAY_LINK = re.compile(r"md|%[0-9A-Fa-f]{2}")

_SITE_CLASS: type | None = None
_BYTECODE: Any = None


def _site_class() -> type:
    """site._Site that reuses stored pages and renders record pages in parallel."""
    global _SITE_CLASS, _BYTECODE
    if _SITE_CLASS is not None:
        return _SITE_CLASS
    import jinja2

    from qsgen.site import pages as site

    class MemoryBytecodeCache(jinja2.BytecodeCache):
        """Compiled templates by Jinja's bucket key (template name + source checksum)."""

        def __init__(self) -> None:
            self.data: dict[str, bytes] = {}

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            code = self.data.get(bucket.key)
            if code is not None:
                bucket.bytecode_from_string(code)

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            self.data[bucket.key] = bucket.bytecode_to_string()

    _BYTECODE = MemoryBytecodeCache()

    base = site._Site

    class CachedSite(base):  # type: ignore[misc, valid-type]
        def __init__(self, results: Results, inputs: Any, store: PageStore, gkey: str, jobs: int) -> None:
            super().__init__(results, inputs)
            self.env.bytecode_cache = _BYTECODE  # templates compiled once per process, not per build
            self.store, self.gkey, self.jobs = store, gkey, jobs
            self.new_pages: dict[str, tuple[str, bytes]] = {}
            self.rows: dict[str, Any] = {}  # record id -> search row made with its page (render_one)
            self.ready: dict[str, bytes] = {}
            self.store.rendered = self.store.reused = 0
            self.store.linkable = set()

        def build(self) -> dict[str, bytes]:
            todo: list[tuple[Record, str, str]] = []
            self.rec_keys: dict[str, str] = {}
            self.new_docs: dict[str, dict[str, tuple[str, Any]]] = {}
            history = self.inputs.history
            digests = self.store.digests.table(self.results.records.records)
            # A body may link to another record's .md file (site._rewrite_relative): such a page
            # also depends on which records exist. Only a body with "md" or a %-escape can.
            all_paths = digest(sorted(getattr(self, "record_paths", {})))

            def key_of(rec: Record) -> str:
                links = all_paths if _MAY_LINK.search(rec.body) else ""
                c = history.get(rec.path)
                commit = None if c is None else (c.sha, c.short, c.author, c.date, c.subject)
                return record_key(self.gkey, rec, self.uses.get(rec.id), (commit, links), digests[id(rec)])

            # A unit's record page keys are a function of the common key, the unit's score inputs
            # (its records, and so the score lines they feed), the commit the provenance was read
            # at and the set of record paths: while those are as at the last build, its keys are.
            history_id = getattr(self.inputs, "history_id", None)
            self.new_keysets: dict[str, tuple[str, list[str]]] = {}
            rows_kept: set[str] = set()
            for us in self.results.units:
                own = self.results.records.by_unit(us.unit.slug)
                same = (digest(self.gkey, us.inputs, history_id, all_paths)
                        if us.inputs and history_id is not None else None)
                hit = self.store.keysets.get(us.unit.slug)
                if same is not None and hit is not None and hit[0] == same and len(hit[1]) == len(own):
                    keys = hit[1]
                    if us.unit.slug in self.store.docs:  # saved with these keys: rows for each
                        rows_kept.add(us.unit.slug)
                else:
                    keys = [key_of(rec) for rec in own]
                if same is not None:
                    self.new_keysets[us.unit.slug] = (same, keys)
                for rec, key in zip(own, keys, strict=True):
                    self.rec_keys[rec.id] = key
            # (the loop over every record of an incremental build: kept lean)
            rec_keys, get, unit_docs = self.rec_keys, self.store.get, self.store.unit_docs
            ready, new_pages, reused = self.ready, self.new_pages, 0
            for rec in self.results.records.records:
                rid = rec.id
                path = site.record_file(rid)
                key = rec_keys.get(rid) or key_of(rec)
                rec_keys[rid] = key
                data = get(path, key)
                # reused with its search row (same key); a page kept without its row (an older
                # cache) is rendered again for the body's text
                if data is None:
                    ok = False
                elif rec.unit in rows_kept:
                    ok = True
                else:
                    doc = unit_docs(rec.unit).get(rid)
                    ok = doc is not None and doc[0] == key
                if ok:
                    ready[path] = data
                    new_pages[path] = (key, data)
                    reused += 1
                else:
                    todo.append((rec, path, key))
            self.store.reused += reused
            # unit pages that changed are rendered with the record pages, in parallel too
            self.unit_keys: dict[str, str] = {}
            units_todo = []
            for us in self.results.units:
                path = "units/" + us.unit.slug + ".html"
                key = unit_key(self.gkey, self.results, us, self.records,
                               self.results.records.by_unit(us.unit.slug))
                self.unit_keys[path] = key
                data = self.store.get(path, key)
                if data is None:
                    units_todo.append((us, path, key))
                else:
                    self.ready[path] = data
                    self.new_pages[path] = (key, data)
                    self.store.reused += 1
            work = [("unit", t[0]) for t in units_todo] + [("record", t[0]) for t in todo]
            pages = workers.render_pages(self, work, self.jobs)
            for (_us, path, key), (data, _text) in zip(units_todo, pages[:len(units_todo)], strict=True):
                self.ready[path] = data
                self.new_pages[path] = (key, data)
            for (rec, path, key), (data, row) in zip(todo, pages[len(units_todo):], strict=True):
                self.ready[path] = data
                self.new_pages[path] = (key, data)
                self.rows[rec.id] = row
            self.store.rendered += len(work)
            files = super().build()
            self.store.replace(self.new_pages)
            self.store.docs = self.new_docs
            self.store.keysets = self.new_keysets
            self.store.exports = self.new_exports
            return files

        def kept(self, path: str, key: str, make: Any) -> None:
            """The page ``path`` from the store while ``key`` is unchanged, else made by ``make()``."""
            data = self.store.get(path, key)
            if data is None:
                make()
                data = self.files[path]
            self.files[path] = data
            self.new_pages[path] = (key, data)

        def rules_page(self) -> None:  # a function of the rules, code and templates (gkey)
            self.kept("rules.html", digest(self.gkey, "rules.html"), super().rules_page)

        def index(self) -> None:  # the ranking: every unit's score outline and ranks
            units = [(u.unit.slug, u.outline or repr(u), u.rank, u.group_rank) for u in self.results.units]
            self.kept("index.html", digest(self.gkey, "index.html", units, len(self.results.records.records)),
                      super().index)

        def render(self, path: str, template: str, page: str, **ctx: Any) -> None:
            if path in ("404.html", "search.html"):  # their context is a few scalars
                self.kept(path, digest(self.gkey, path, template, page, sorted(ctx.items())),
                          lambda: base.render(self, path, template, page, **ctx))
            else:
                base.render(self, path, template, page, **ctx)

        def attachment(self, path: str) -> None:
            """An attachment whose file has the size, mtime, inode and ctime it had when the last
            build copied it is left in the site (KEPT), not read."""
            status = getattr(self.inputs.attachments, "status", None)
            st = status(path) if status is not None else None
            if st is None:
                return super().attachment(path)
            out, key = site.attachment_file(path), digest("attachment", path, st)
            data = self.store.get(out, key)
            if data is None:
                data = self.inputs.attachments[path]
            self.files[out] = data
            self.new_pages[out] = (key, data)

        def export_files(self) -> None:
            """scores.json and scores.csv from each unit's part, kept while its page key is."""
            from qsgen.site import exports

            self.new_exports: dict[str, tuple[str, str, list]] = {}
            texts, rows = [], []
            for us in self.results.units:
                key = self.unit_keys.get("units/" + us.unit.slug + ".html")
                hit = self.store.exports.get(us.unit.slug)
                if key is not None and hit is not None and hit[0] == key:
                    text, row = hit[1], hit[2]
                else:
                    text, row = exports.unit_json(self.results, us), exports.unit_row(self.results, us)
                if key is not None:
                    self.new_exports[us.unit.slug] = (key, text, row)
                texts.append(text)
                rows.append(row)
            self.files["scores.json"] = exports.scores_json(self.results, texts)
            self.files["scores.csv"] = exports.scores_csv(self.results, rows)

        def search_part(self, slug: str, recs: list[Record], kinds: list[str], units: list[str]) -> None:
            """A unit's part of the search index, kept while its records' page keys are (a
            record's search row is a function of what its page is made from; the tables are
            a function of the rules and code, in gkey): its rows are not even looked at."""
            from qsgen.site import search

            keys = [self.rec_keys.get(rec.id) for rec in recs]
            path = search.part_file(slug)
            if None in keys:
                return super().search_part(slug, recs, kinds, units)
            key = digest(self.gkey, "search part", slug, keys)
            rows = self.store.docs.get(slug)  # (as loaded: saved with the part, never unpickled)
            data = self.store.get(path, key) if rows is not None else None
            if data is None:
                super().search_part(slug, recs, kinds, units)
                data = self.files[path]
            else:  # the rows stay with it in the store, for the next change of this unit
                self.files[path] = data
                self.new_docs[slug] = rows
            self.new_pages[path] = (key, data)

        def record_search_row(self, rec: Record) -> Any:
            key = self.rec_keys.get(rec.id)
            hit = self.store.unit_docs(rec.unit).get(rec.id)
            if key is not None and hit is not None and hit[0] == key:
                row = hit[1]
            else:  # kept as its index row: nothing to redo next time but joining
                row = self.rows.pop(rec.id, None) or super().record_search_row(rec)
            if key is not None:
                self.new_docs.setdefault(rec.unit, {})[rec.id] = (key, row)
            return row

        def record_page(self, rec: Record) -> None:
            path = site.record_file(rec.id)
            data = self.ready.pop(path, None)
            if data is None:  # not planned in build(): render it here
                super().record_page(rec)
            else:
                self.files[path] = data

        def unit_page(self, us: UnitScore) -> None:
            path = "units/" + us.unit.slug + ".html"
            data = self.ready.pop(path, None)
            if data is None:  # not planned in build(): render it here
                super().unit_page(us)
                key = self.unit_keys.get(path) or unit_key(
                    self.gkey, self.results, us, self.records, self.results.records.by_unit(us.unit.slug))
                self.new_pages[path] = (key, self.files[path])
                self.store.rendered += 1
            else:
                self.files[path] = data

        stream_dir: str | None = None

        def render_out(self, item: tuple[str, Any]) -> tuple[bytes, Any]:
            """render_one, the page written into stream_dir at once when there is one."""
            data, row = self.render_one(item)
            if self.stream_dir is not None:
                kind, obj = item
                path = "units/" + obj.unit.slug + ".html" if kind == "unit" else site.record_file(obj.id)
                data = stream_page(self.stream_dir, path, data)
            return data, row

        def render_one(self, item: tuple[str, Any]) -> tuple[bytes, Any]:
            """A page as the plain site renders it, and for a record page its search row, made
            at once from the body's text (the text is not kept: ~50 MB at 50,000 records)."""
            kind, obj = item
            if kind == "unit":
                path = "units/" + obj.unit.slug + ".html"
                base.unit_page(self, obj)
                return self.files.pop(path), None
            path = site.record_file(obj.id)
            base.record_page(self, obj)
            row = base.record_search_row(self, obj)
            self.body_texts.pop(obj.id, None)
            return self.files.pop(path), row

    _SITE_CLASS = CachedSite
    return CachedSite


# ------------------------------------------------------------------ records


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


RULES_FILE = "rules.pickle"  # .qsgen-cache/rules.pickle: the last rules loaded without errors
_RULES_MODULES = ("rules", "core", "records/fields.py", "incremental/cache.py")


def load_rules_cached(root: Path, rules_digest: str) -> tuple[Any, list]:
    """rules.load_rules(root), taken from .qsgen-cache/ while rules/ (``rules_digest``), the
    loader's code and the Python and PyYAML versions are what they were; only rules that
    loaded without errors are kept."""
    from qsgen.rules.loader import load_rules

    key = code_key(_RULES_MODULES, rules_digest, os.path.realpath(root))
    target = Path(root) / CACHE_DIR / RULES_FILE
    try:
        with open(target, "rb") as f:
            data = pickle.load(f)
        if isinstance(data, dict) and data.get("key") == key:
            return data["rules"], data["diags"]
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError,
            AttributeError, ImportError, IndexError):
        pass
    rules, diags = load_rules(root)
    if rules is not None and not any(d.severity == "error" for d in diags):
        write_pickle(target, {"key": key, "rules": rules, "diags": diags})
    return rules, diags
