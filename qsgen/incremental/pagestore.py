"""The last build's pages, by site path: each page's key (a digest of what it is made from) and
how it was written, kept in ``.qsgen-cache/pages/`` one shard per unit (only changed shards rewritten)."""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from qsgen.core.background import Background
from qsgen.incremental import statcheck
from qsgen.incremental.cache import (
    CACHE_DIR,
    FORMAT,
    PAGES_DIR,
    STATUS_TABLE,
    DigestMemo,
    read_sealed,
    remove_files,
    shard_file,
    write_sealed,
)
from qsgen.publish.writer import KEPT, MARKER, Written

PARTS_DIR = "search/parts/"  # search.PARTS_DIR (not imported: the site is imported later, while the cache is read ahead)
PATHS = "site.paths"  # (paths_file)
RACY_NS = 100_000_000  # without the site's clock: a page written this close before the save is racy


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
        # unit -> {record id: (page key, search.Row)}, or Rows: kept on disk beside the unit's
        # shard, read when asked for (most units' rows are never looked at, their part of the
        # index being kept whole; see unit_docs)
        self.docs: dict[str, dict[str, tuple[str, Any]] | Rows] = {}
        self.folder: Path | None = None  # where the store was loaded from
        # unit -> (inputs key, record page keys, ctx, digest of its records' digests): pages._record_keys
        self.keysets: dict[str, tuple[str, list[str], str, str]] = {}
        self.exports: dict[str, tuple[str, str, list]] = {}  # unit -> (page key, scores.json part, csv row)
        # unit -> (key, its index.js entry, its gram file sections, its urls, its row files)
        self.search: dict[str, tuple] = {}
        # pages of site_dir whose file status changed since the save (statcheck.py; None: not
        # known, each is checked with lstat); asked of the helper when first needed (use_check)
        self._changed: set[str] | None = None
        self._check: Callable[[], set[str] | None] | None = None
        # A unit's record pages as loaded, not unpickled until a page of them is asked for
        # (load(lazy=True)): shard -> (their entries pickled, how many, their status table
        # marshalled). Kept whole (kept_whole), they are written back as they were.
        self.packed: dict[str, tuple[bytes, int, bytes]] = {}
        self.unpacked: set[str] = set()  # shards of packed whose entries are now in pages
        self.whole: set[str] = set()  # shards whose record pages this build kept whole
        self._dirty: set[str] | None = None  # shards with a page in changed
        self._opened: dict[str, dict[str, tuple]] = {}  # packed shards unpickled for materialize
        # shard -> (its record pages as save writes them, {path: (key, Written)} they were made
        # from, the latest mtime among them): made by prepare() while the workers render
        self.prepared: dict[str, tuple[tuple, dict[str, tuple[str, Any]], int]] = {}
        self.persisted = False  # this build saves the store (qsgen build with its cache): see prepare
        # shard -> (its docs, their entries, pickled, the token of that): see prepare_rows
        self.prepared_rows: dict[str, tuple[dict, list, bytes, str]] = {}
        # the paths file's payload for this build's site (statcheck.paths_payload), and whether
        # the file already holds it: see listing
        self._paths: bytes | None = None
        self._paths_kept = False

    def unit_docs(self, slug: str) -> dict[str, tuple[str, Any]]:
        """{record id: (page key, search row)} of a unit's records as last saved."""
        rows = self.docs.get(slug)
        if isinstance(rows, Rows):
            payload = None if self.folder is None else read_sealed(self.folder / rows_file(slug))
            try:
                rows = pickle.loads(payload) if payload is not None and _token(payload) == rows.token else None
            except (pickle.UnpicklingError, EOFError, TypeError, ValueError, AttributeError, ImportError):
                rows = None
            rows = rows if isinstance(rows, dict) else {}
            self.docs[slug] = rows
        return rows or {}

    @property
    def empty(self) -> bool:
        """Nothing to reuse (a clean build): no page, packed or not."""
        return not (self.pages or self.packed)

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
        if hit is None and self.packed and self._unpack(_page_shard(path)):
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
                hit = self.old.get(path) or self.pages.get(path) or self._packed_entry(path)
                if hit is None or len(data) != hit[2] or zlib.crc32(data) != hit[3]:
                    raise OSError(0, "上一次生成的页面在构建期间被改动", path)
                files[path] = data

    def _unpack(self, shard: str) -> bool:
        """Put the record pages of a packed shard into ``pages``; False when there are none."""
        hit = self.packed.get(shard)
        if hit is None or shard in self.unpacked or shard in self.whole:
            return False
        self.unpacked.add(shard)
        self.pages.update(_entries(hit[0]))
        return True

    def _packed_entry(self, path: str) -> tuple | None:
        """The entry of a record page kept whole (not in ``pages``)."""
        shard = _page_shard(path)
        entries = self._opened.get(shard)
        if entries is None:
            hit = self.packed.get(shard)
            if hit is None:
                return None
            entries = self._opened[shard] = _entries(hit[0])
        return entries.get(path)

    def kept_whole(self, shard: str, count: int) -> bool:
        """Whether the ``count`` record pages of a unit (shard), whose page keys the caller knows
        to be those saved with them (its key set is unchanged), are all still in the site as
        written: the shard was loaded packed, every one of its record pages saved with its file
        status, and statcheck found none of the site's pages of the shard changed. Then they are
        KEPT without looking at each, and written back as they were (``whole``)."""
        hit = self.packed.get(shard)
        if hit is None or hit[1] != count or shard in self.unpacked or self.changed is None:
            return False
        if self._dirty is None:
            self._dirty = {_page_shard(p) for p in self.changed}
        if shard in self._dirty:
            return False
        self.whole.add(shard)
        return True

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
    def paths_file(cls, root: Path) -> Path:
        """The paths of the site's files as the last build wrote them (statcheck.paths_payload,
        sealed), which writer checked then: statcheck compares the site with them (listing)."""
        return cls.path(root) / PATHS

    def listing(self, files: Mapping[str, Any], check: Any) -> tuple[tuple[set[str] | None, set[str]] | None, bool]:
        """For writer.update_site of ``files`` into the site: the site's (files, folders) as
        statcheck's helper listed them (``check``, started with paths_file), and whether its
        files are exactly the paths of ``files`` as the last build wrote them (``same``). The
        helper compares the site with the paths file, on the other core, and says so by that
        file's digest; when this build's paths are others (a record added or removed), its
        files are those of the paths file, read here."""
        listed = check.listing()
        payload = self._paths = statcheck.paths_payload(files)
        if listed is None or listed[0] is not None:
            return listed, False
        if statcheck.paths_digest(payload) == check.listed_as:
            self._paths_kept = True
            return listed, True
        data = None if self.folder is None else read_sealed(self.folder / PATHS)
        if data is None or statcheck.paths_digest(bytes(data)) != check.listed_as:
            return None, False  # (update_site lists the site itself)
        return ({*bytes(data).decode("utf-8", "surrogatepass").split("\0"), MARKER}, listed[1]), False

    @classmethod
    def status_table(cls, root: Path) -> Path:
        """The saved status of every page kept without its bytes, for statcheck (site paths)."""
        return cls.path(root) / STATUS_TABLE

    def use_check(self, changed: set[str] | None | Callable[[], set[str] | None], site: Path) -> None:
        """Take statcheck's report on the pages of ``site`` (when that is where they are kept),
        or a function giving it, asked when a page is first looked up (the helper checks the
        pages after the record files: the build goes on meanwhile)."""
        if not self.writes_to(site):
            self._changed, self._check = None, None
        elif callable(changed):
            self._changed, self._check = None, changed
        else:
            self._changed, self._check = changed, None

    @property
    def changed(self) -> set[str] | None:
        if self._check is not None:
            check, self._check = self._check, None
            self._changed = check()
        return self._changed

    @changed.setter
    def changed(self, value: set[str] | None) -> None:
        self._changed, self._check = value, None

    @classmethod
    def load(cls, root: Path, lazy: bool = False) -> PageStore:
        """The store saved by the last build at ``root``; empty when absent or unreadable
        (a shard that cannot be read only costs its pages a rendering). ``lazy``: a unit's
        record pages stay packed until asked for (see kept_whole)."""
        store = cls()
        folder = store.folder = cls.path(root)
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith(".pickle"))
        except OSError:
            return store
        for name in names:
            payload = read_sealed(folder / name)
            try:
                data = None if payload is None else _load(payload)
            except Exception:  # sealed by us, yet not loadable (a class that changed): a miss
                continue
            try:
                if not isinstance(data, dict) or data.get("format") != FORMAT:
                    continue
                site_dir = Path(data["site"])
                if store.site_dir is None:
                    store.site_dir = site_dir
                elif site_dir != store.site_dir:
                    continue
                part = data["part"]
                store.pages.update(part["pages"])
                records = part["records"]
                if records is not None:
                    blob, count, status, whole = records
                    if lazy and whole:
                        store.packed[data["shard"]] = (blob, count, status)
                    else:
                        store.pages.update(_entries(blob))
                store.docs.update({shard: Rows(token) for shard, token in part["docs"].items()})
                store.keysets.update(part["keysets"])
                store.exports.update(part["exports"])
                store.search.update(part.get("search", {}))
                store.saved[data["shard"]] = part
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        return store

    def prepare(self, pages: dict[str, tuple[str, Any]]) -> None:
        """Make now what save() writes of these record pages ({path: (key, Written)}: every
        record page of a unit's shard, just streamed into the new site), as save would make
        it when each file is older than the save (the usual case: save checks it, and makes
        the shard's as usual otherwise, or when the pages it is given are not these).
        A clean build's record pages are ~half of save's work (~0.04 s at 10,000 records), and
        save runs after the workers have ended, when this process works alone; a unit's are
        prepared as soon as its workers' results are in (workers.render_pages' ``each``)."""
        own: dict[str, tuple] = {}
        mine: dict[str, tuple] = {}
        shard, top = None, 0
        for p, (key, data) in pages.items():
            if not (isinstance(data, Written) and data.ino) or not _is_record_page(p):
                return
            if shard is None:
                shard = _page_shard(p)
            elif _page_shard(p) != shard:
                return
            own[p] = (key, None, data.size, data.crc, (data.ino, data.mtime, data.ctime))
            mine[p] = (data.size, data.mtime, data.ino, data.ctime)
            top = max(top, data.mtime)
        if shard is None or shard in self.packed:
            return
        records = (pickle.dumps(own, protocol=pickle.HIGHEST_PROTOCOL), len(own), statcheck.piece(mine), True)
        self.prepared[shard] = (records, dict(pages), top)

    def prepare_rows(self, shard: str, rows: dict[str, tuple[str, Any]]) -> None:
        """Pickle now a unit's search rows ({record id: (page key, row)}, to be its ``docs``
        at the save), while the workers render the others (see prepare): ~0.01 s of the save
        at 10,000 records. save() uses it while ``docs[shard]`` is still that very mapping
        with the same entries."""
        blob = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
        self.prepared_rows[shard] = (rows, list(rows.items()), blob, _token(blob))

    def _rows_blob(self, shard: str, rows: dict) -> tuple[bytes, str]:
        """A unit's rows pickled, and the token of that (prepared by prepare_rows when they are
        the same)."""
        hit = self.prepared_rows.get(shard)
        if hit is not None and hit[0] is rows and len(rows) == len(hit[1]) and \
                all(rows.get(k) is v for k, v in hit[1]):
            return hit[2], hit[3]
        blob = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
        return blob, _token(blob)

    def _prepared_for(self, now: int) -> dict[str, tuple]:
        """The prepared shards whose record pages are those of ``pages`` now, each file older
        than ``now``: {shard: (record pages as saved, their paths)}."""
        out = {}
        get = self.pages.get
        for shard, (records, made, top) in self.prepared.items():
            if top >= now:
                continue
            for p, (key, data) in made.items():
                entry = get(p)
                if entry is None or entry[1] is not data or entry[0] != key:
                    break
            else:
                out[shard] = (records, made)
        return out

    def save(self, root: Path, site_dir: Path, files: Iterable[str] | None = None) -> None:
        """Write the keys atomically to ``root/.qsgen-cache/`` (never outside the repository),
        only the shards that changed; ``site_dir`` is where the pages were just written, the
        paths ``files`` (writer checked them) kept in paths_file when given.

        A page's file status is kept only when the file is older than the save, by the site's
        own clock (``racy_before``): one written in the same tick of the file system's clock
        as the save (whose later change might leave the same mtime, as in git's racy index) is
        read back and checked by content next time, and saved with its status then."""
        now = racy_before(site_dir)
        ready = self._prepared_for(now)  # (their record pages left out of by_shard)
        skip = {p for _records, made in ready.values() for p in made}
        by_shard, record_pages = _by_shard(p for p in self.pages if p not in skip)
        for shard in ready:
            by_shard.setdefault(shard, [])
        for slug in (*self.docs, *self.keysets, *self.exports, *self.search, *self.whole):
            by_shard.setdefault(slug, [])
        folder = self.path(root)
        site = os.path.realpath(site_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            listed = os.listdir(folder)
        except OSError:
            return  # a cache that cannot be written only makes the next build slower
        existing = {n for n in listed if n.endswith((".pickle", ROWS, PIECE))}
        same_site = self.site_dir is not None and os.path.realpath(self.site_dir) == site
        wanted = set()
        table_file, table, pieces = self.status_table(root), {}, []
        # the record pages' pieces of the table are in files beside it, each rewritten only when
        # it changed while the table the last save wrote was found as written (the helper
        # checked every piece file against the digest the table keeps of it)
        trusted = same_site and self.changed is not None
        if not statcheck.drop_table(table_file):  # never newer than the shards it describes
            return
        failed = False
        # The files are written on a thread (system calls: ~0.5 ms a file, 66 files at 10,000
        # records) while this one makes the next shard's; the table only once they all are.
        writes = Background()
        rows_of: list[tuple[int, str]] = []  # (the index of a rows file's write, its shard's file)
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
                    pages[p] = _written_entry(key, data, now)
                    continue
                size, crc = len(data), zlib.crc32(data)
                try:
                    st = os.lstat(os.path.join(site_dir, p))
                    status = ((st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
                              if st.st_size == size and st.st_mtime_ns < now else None)
                except OSError:
                    status = None
                pages[p] = (key, None, size, crc, status)
            kept = self.packed.get(shard) if shard in self.whole else None
            own: dict[str, tuple] = {}  # the record pages: kept apart (see kept_whole)
            for p, entry in pages.items():
                if p in record_pages:
                    own[p] = entry
            for p in own:
                del pages[p]
            hit = ready.get(shard)
            if hit is not None and own:  # (more record pages than were prepared: made here)
                own.update((p, _written_entry(*self.pages[p][:2], now)) for p in hit[1])
                hit = None
            for p, entry in pages.items():
                if len(entry) > 4 and entry[4] is not None and len(entry[4]) == 3:
                    ino, mtime, ctime = entry[4]
                    table[p] = (entry[2], mtime, ino, ctime)  # statcheck.status()[:4]
            if kept is not None:
                records = (*kept, True)
            elif hit is not None:
                records = hit[0]
            elif own or shard in self.packed:
                mine = {}
                for p, entry in own.items():
                    if len(entry) > 4 and entry[4] is not None and len(entry[4]) == 3:
                        ino, mtime, ctime = entry[4]
                        mine[p] = (entry[2], mtime, ino, ctime)
                records = (pickle.dumps(own, protocol=pickle.HIGHEST_PROTOCOL), len(own),
                           statcheck.piece(mine), len(mine) == len(own))
            else:
                records = None
            content = {"pages": pages, "records": records}
            if records is not None:
                side, was = shard_file(shard).removesuffix(".pickle") + PIECE, self.saved.get(shard, {}).get("status")
                ok = trusted and side in existing and isinstance(was, tuple) and len(was) == 2 and was[0] == side
                # (a unit kept whole: its piece as it was)
                ref = was if ok and kept is not None else (side, statcheck.piece_digest(records[2]))
                if not (ok and ref == was):
                    writes.run(statcheck.save_piece, folder / side, records[2])
                wanted.add(side)
                pieces.append(ref)
                content["status"] = ref
            for name, part in (("keysets", self.keysets), ("exports", self.exports), ("search", self.search)):
                content[name] = {shard: part[shard]} if shard in part else {}
            rows = self.docs.get(shard)
            if rows is not None:  # (beside the shard: written first, found by its token)
                side = rows_file(shard)
                wanted.add(side)
                if not isinstance(rows, Rows):
                    blob, token = self._rows_blob(shard, rows)
                    old = self.saved.get(shard, {}).get("docs", {}).get(shard)
                    rows = Rows(token)
                    if old != rows.token or side not in existing:  # (if it fails: see below)
                        writes.run(write_sealed, folder / side, blob)
                        rows_of.append((len(writes) - 1, shard_file(shard)))
            content["docs"] = {} if rows is None else {shard: rows.token}
            name = shard_file(shard)
            wanted.add(name)
            if same_site and name in existing and self.saved.get(shard) == content:
                continue
            writes.run(write_sealed, folder / name, _dump({"format": FORMAT, "site": site, "shard": shard,
                                                           "part": _out_of_band(content)}))
        done = writes.wait()
        if not all(done):
            failed = True
            # a shard whose rows could not be written names their token: not kept either
            remove_files(folder, [name for at, name in rows_of if not done[at]])
        self.saved = {}  # what was loaded; not needed after the save
        self.prepared = {}
        self.prepared_rows = {}
        remove_files(folder, existing - wanted)
        if not failed:
            statcheck.save_table(table_file, [*pieces, statcheck.piece(table)])
        if files is not None and not self._paths_kept:
            if self._paths is None:
                self._paths = statcheck.paths_payload(files)
            write_sealed(folder / PATHS, self._paths)
        self._paths, self._paths_kept = None, False


def _oob(value: Any) -> Any:
    """A large byte string to be pickled out of band (see _dump)."""
    return pickle.PickleBuffer(value) if isinstance(value, bytes | memoryview) and len(value) >= 1024 else value


def _out_of_band(content: dict) -> dict:
    """A shard's content for _dump, its large byte strings out of band: the search part's packed
    sections and runs, the record pages' entries and their status piece."""
    out = dict(content)
    records = content["records"]
    if records is not None:
        out["records"] = (_oob(records[0]), records[1], _oob(records[2]), *records[3:])
    search = {}
    for name, hit in content.get("search", {}).items():
        hit = list(hit)
        if len(hit) > 3 and isinstance(hit[3], frozenset):  # (its urls: a tuple loads ~10x faster)
            hit[3] = tuple(hit[3])
        if len(hit) > 2 and isinstance(hit[2], dict):
            hit[2] = {g: (_oob(packed[0]), *packed[1:]) for g, packed in hit[2].items()}
        if len(hit) > 6 and isinstance(hit[6], tuple) and hit[6]:
            hit[6] = (_oob(hit[6][0]), *hit[6][1:])
        search[name] = tuple(hit)
    out["search"] = search
    return out


_COUNT = struct.Struct("<I")


def _dump(data: Any) -> bytes:
    """``data`` pickled (protocol 5), its PickleBuffers after it: _load gives each as a span of
    what was read, not a copy (~6 MB of a 10,000-record site's shards, ~1,500 pages of fresh
    memory faulted in by every incremental build)."""
    buffers: list[pickle.PickleBuffer] = []
    stream = pickle.dumps(data, protocol=5, buffer_callback=buffers.append)
    views = [b.raw() for b in buffers]
    sizes = struct.pack(f"<{len(views) + 1}Q", len(stream), *map(len, views))
    return b"".join([_COUNT.pack(len(views)), sizes, stream, *views])


def _load(payload: bytes | memoryview) -> Any:
    """What _dump pickled."""
    view = memoryview(payload)
    (count,) = _COUNT.unpack_from(view)
    sizes = struct.unpack_from(f"<{count + 1}Q", view, _COUNT.size)
    at = _COUNT.size + 8 * (count + 1)
    stream = view[at:at + sizes[0]]
    at += sizes[0]
    buffers = []
    for size in sizes[1:]:
        buffers.append(view[at:at + size])
        at += size
    return pickle.loads(stream, buffers=buffers)


ROWS = ".rows"  # a unit's search rows, beside its shard: <shard file name less .pickle>.rows
PIECE = ".status"  # its record pages' piece of the status table, likewise (statcheck.save_piece)


class Rows:
    """A unit's search rows kept on disk, by the digest of what was written (``token``)."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


def rows_file(shard: str) -> str:
    return shard_file(shard).removesuffix(".pickle") + ROWS


def _token(payload: bytes | memoryview) -> str:
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def racy_before(site_dir: Path) -> int:
    """The time (ns) before which a page's mtime says it was written before the save: the
    site folder's mtime, set to now (the file system's own clock and tick, as git compares a
    file with its index's mtime; ~4 ms here, 2 s on FAT, instead of a fixed margin of
    RACY_NS that is too wide for one and too narrow for the other). A change made after the
    save is in a later tick, so its mtime is later than any page's older than this. Without
    it (a folder that cannot be touched): RACY_NS before the wall clock's now."""
    try:
        os.utime(site_dir)
        return os.stat(site_dir).st_mtime_ns
    except OSError:
        return time.time_ns() - RACY_NS


def _written_entry(key: str, data: Written, now: int) -> tuple:
    """The saved entry of a page streamed into writer.begin's folder, which became the site
    whole: the file's status is the one it had when written (kept when older than ``now``)."""
    return (key, None, data.size, data.crc, (data.ino, data.mtime, data.ctime) if data.mtime < now else None)


def _entries(blob: bytes) -> dict[str, tuple]:
    """A shard's record pages as saved (pickled by save, sealed with the shard)."""
    return pickle.loads(blob)


def _is_record_page(path: str) -> bool:
    """A year's record page: <year>/records/<unit>/<name>.html."""
    parts = path.split("/", 3)
    return len(parts) == 4 and parts[1] == "records" and len(parts[0]) == 4 and parts[0].isdigit()


def _by_shard(paths: Iterable[str]) -> tuple[dict[str, list[str]], set[str]]:
    """``paths`` by their _page_shard, and those that are record pages (_is_record_page): both
    worked out once a folder (_folder_shard), not for each of the ~2,400 pages save groups in
    an incremental build at 10,000 records."""
    by_shard: dict[str, list[str]] = {}
    records: set[str] = set()
    folders: dict[str, tuple[str | None, bool]] = {}
    for path in paths:
        folder = path[:path.rfind("/") + 1]
        hit = folders.get(folder)
        if hit is None:
            hit = folders[folder] = _folder_shard(folder)
        shard, record = hit
        by_shard.setdefault(_page_shard(path) if shard is None else shard, []).append(path)
        if record:
            records.add(path)
    return by_shard, records


def _folder_shard(folder: str) -> tuple[str | None, bool]:
    """(_page_shard, _is_record_page) of every file of ``folder`` (a site path ending in "/",
    "" for the site's root); the shard None when it depends on the file's name (a year's units)."""
    parts = folder.split("/")[:-1]  # (the path's parts but its name)
    if parts and len(parts[0]) == 4 and parts[0].isdigit():
        if len(parts) >= 3 and parts[1] in ("records", "files"):
            return f"{parts[0]}-{parts[2]}", parts[1] == "records"
        if len(parts) == 2 and parts[1] == "units":
            return None, False
        return parts[0], False
    if folder.startswith(PARTS_DIR) and folder.count("/") == 3:
        return folder[len(PARTS_DIR):].split("/")[0], False
    return "", False


def _page_shard(path: str) -> str:
    """Which shard of the saved keys a site path is kept in: a unit of a year ("2023-longgang":
    its record and unit pages, attachments and part of the search index), a year's other pages
    ("2023"), or "" for the site's root."""
    parts = path.split("/", 3)
    if len(parts) >= 2 and len(parts[0]) == 4 and parts[0].isdigit():
        if len(parts) >= 4 and parts[1] in ("records", "files"):
            return f"{parts[0]}-{parts[2]}"
        if len(parts) == 3 and parts[1] == "units":
            return f"{parts[0]}-{parts[2].removesuffix('.html')}"
        return parts[0]
    if path.startswith(PARTS_DIR) and path.count("/") == 3:  # a unit's rows in the search index
        return path[len(PARTS_DIR):].split("/")[0]
    return ""
