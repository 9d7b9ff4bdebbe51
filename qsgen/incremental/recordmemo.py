"""Parsed record files kept between builds: replayed while their files are as they were.

``RecordMemo`` is warm in ``qsgen serve`` and persisted per unit folder in
``.qsgen-cache/records/`` for ``qsgen build`` (cache.py holds the rest of the cache): a record
file whose size, mtime, inode and ctime are unchanged (and, on disk, whose attachments resolve
to the same files) is not read or parsed again: its FileResult (its Record and case number) is
replayed. The memo is a records.FileSource: the records stage walks the folders and runs the
checks across files, asking the memo for each file's result. Which files changed is told by
statcheck.py when it can.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import marshal
import operator
import os
import pickle
import struct
import time
from collections.abc import Container, Iterable, Iterator
from itertools import chain, groupby, repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qsgen.core.model import RECORD_FIELDS, Record, record_fields
from qsgen.incremental import statcheck
from qsgen.incremental.cache import (
    CACHE_DIR,
    RECORDS_DIR,
    STATUS_TABLE,
    DigestMemo,
    code_key,
    digest,
    read_sealed,
    record_digest,
    remove_files,
    shard_file,
    write_sealed,
)
from qsgen.repo.files import resolve_file

if TYPE_CHECKING:
    from qsgen.records import FileResult, FileSource, LoadContext, UnitFolder

FORMAT = 12  # of an entry on disk (6: records as LazyRecord, FileResults through _Packer; status piece;
#                                   7: the unit folder as walked, its status in the piece; 8: the
#                                   signature kept as its digest: ~1 MB less to read at 10,000 records;
#                                   9: the records' rests after the pickle, read as spans: _dumps;
#                                   10: a folder's results put together with it: _gathered;
#                                   11: with them, its files' entries packed: _packed;
#                                   12: its piece of the status table also in a file beside it,
#                                   the table naming the pieces: status_file)
# Modules whose code decides what a record file parses to; any change to them invalidates the memo.
_LOADER_MODULES = ("records", "core", "incremental/recordmemo.py")


def loader_digest(root: Path, rules_digest: str) -> str:
    """What every persisted parse depends on besides its own file: the loader's code, the
    Python and PyYAML versions, the rules, the repository's location (attachment checks)."""
    return code_key(_LOADER_MODULES, FORMAT, rules_digest, os.path.realpath(root))


def _shard(path: str) -> str:
    """The persisted memo is split by year and unit folder ("2023-longgang"): a change
    rewrites one shard, not all."""
    parts = path.split("/")
    return f"{parts[1]}-{parts[2]}" if len(parts) > 3 else ""


def _by_shard(entries: dict[str, Any], skip: Container[str] = ()) -> dict[str, dict[str, Any] | None]:
    """``entries`` (by path) split by _shard, the shards of ``skip`` only named (None: their
    entries not gathered); the paths of a folder come one after another in walk order: each
    run of paths in one folder is placed at once (told apart by C-level maps, not one path at a
    time: ~10,000 entries a build)."""
    shards: dict[str, dict[str, Any] | None] = {}
    folders = map(itemgetter(0), map(str.rpartition, entries, repeat("/")))
    for _folder, run in groupby(zip(folders, entries.items(), strict=True), itemgetter(0)):
        items = list(map(itemgetter(1), run))
        shard = _shard(items[0][0])  # (a function of the path's folder)
        if shard in skip:
            shards[shard] = None
            continue
        last = shards.get(shard)
        if last is None:
            last = shards[shard] = {}
        last.update(items)
    return shards


class RecordMemo:
    """Parsed record files of a warm process, by repository path (see the module docstring).

    Only files that read without any diagnostic are kept (what a file with errors reads to
    may depend on other files: the names in its folder, the targets of its links), and a file
    whose name clashes with another's is always read afresh. ``load_disk``/``save_disk``
    persist it in ``.qsgen-cache/records/`` for ``qsgen build``, with the record digests,
    under ``loader_digest``. Besides its own bytes, only the files it lists as attachments decide
    what a record file parses to (they must exist, be files and stay inside records/): a
    persisted file with attachments is replayed only while ``attachment_signature`` of them is
    what it was when saved.
    """

    def __init__(self) -> None:
        # path -> (its status key: statcheck.status + whether it is an assessment file, FileResult)
        self.entries: dict[str, tuple[tuple, FileResult]] = {}
        self.rules_ids: dict[int, int] = {}  # year -> id of the rules its entries were made with
        self.parsed = 0  # files parsed by the last load
        self.reused = 0  # files replayed by the last load
        self.validity = ""  # loader_digest of the entries loaded from disk
        self.saved: dict[str, str] = {}  # shard -> digest of the signature of what is on disk (save_disk)
        self.digests: dict[str, list[str]] = {}  # path -> record_digest of its records
        self.attached: dict[str, tuple] = {}  # path -> attachment_signature (from disk)
        self.dirty: set[str] = set()  # shards with a file parsed again or gone since the save
        # read_many(ctx, files) -> [FileResult]: the files not replayed, read at once (the
        # build reads them in parallel, build/workers.py); None: one by one
        self.read_many: Any = None
        # paths whose status changed since the save (statcheck.py; None: not known, stat each)
        self.changed: set[str] | None = None
        # or the function that gives them, asked when load() first needs them (statcheck's
        # helper answers while the build goes on to the rules and imports the records' code)
        self.changed_by: Any = None
        self.pieces: dict[str, bytes] = {}  # shard -> its part of the status table (statcheck.piece)
        # shard -> (the file its piece is in beside the table: status_file, piece_digest of it),
        # as saved with the shard
        self.piece_files: dict[str, tuple[str, str]] = {}
        # shard -> (its folder's path with "/", the folder's status, its files ((path, assessment))
        # in walk order, its sub-folders' ((path with "/", status))) when last walked without
        # problems of the walk's own: while these statuses and each file's are unchanged, the
        # folder is replayed as a whole (_Replay.whole)
        self.folders: dict[str, tuple] = {}
        # shard -> (its records, case numbers, assessment and record digests gathered in the
        # order of its folder as walked, the paths of its files with attachments), as saved with
        # the folder (_gathered): a folder replayed whole takes them at once (until the shard is
        # dirty), and seed() hands its digests over in one go
        self.gathered: dict[str, tuple] = {}
        self.loaded: dict[str, list[str]] = {}  # shard -> the paths of its entries, as loaded
        # shard -> (what _packed made of its entries, its folder as walked (folders)): a shard
        # loaded with its folder's results put together (gathered), whose entries and digests
        # are not in entries/digests until something asks for one of its files (unpack): a
        # folder replayed whole never does (nothing per file of it is made)
        self.packed: dict[str, tuple[bytes, tuple]] = {}

    def clear(self, year: int | None = None) -> None:
        """Forget every file (``year``: of that year only)."""
        prefix = "" if year is None else f"records/{year}/"
        for shard in [s for s, (_packed, info) in self.packed.items() if info[0].startswith(prefix)]:
            self.unpack(shard)
        for p in [p for p in self.entries if p.startswith(prefix)]:
            self.dirty.add(_shard(p))
            del self.entries[p]
            self.digests.pop(p, None)
            self.attached.pop(p, None)
        for shard in [s for s, f in self.folders.items() if f[0].startswith(prefix)]:
            self.dirty.add(shard)
            del self.folders[shard]

    @staticmethod
    def disk_dir(root: Path) -> Path:
        return Path(root) / CACHE_DIR / RECORDS_DIR

    @classmethod
    def status_table(cls, root: Path) -> Path:
        """The saved status of every persisted file, for statcheck (paths from the repository root)."""
        return cls.disk_dir(root) / STATUS_TABLE

    @classmethod
    def load_disk(cls, root: Path, validity: str) -> RecordMemo:
        """The memo saved by the last build (only entries made under the same ``validity``)."""
        memo = cls()
        memo.validity = validity
        folder = cls.disk_dir(root)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return memo
        for name in names:
            if not name.endswith(".pickle"):
                continue
            payload = read_sealed(folder / name)
            try:
                data = None if payload is None else _loads(payload)
            except Exception:  # sealed by us, yet not loadable (a class that changed): a miss
                continue
            try:
                if not isinstance(data, dict) or data.get("validity") != validity:
                    continue
                shard, folder_info, gathered, packed = data["shard"], data["folder"], data["gathered"], data["packed"]
                if packed is not None:  # (its entries made from the gathered results when asked for)
                    if folder_info is None or gathered is None or not isinstance(packed, bytes):
                        continue
                    memo.packed[shard] = (packed, folder_info)
                    memo.loaded[shard] = []
                else:
                    memo.entries.update(data["entries"])
                    memo.digests.update(data["digests"])
                    memo.loaded[shard] = list(data["entries"])
                memo.attached.update(data["attached"])
                memo.saved[shard] = data["signature"]
                memo.pieces[shard] = data["status"]
                if data.get("status_file") is not None:
                    memo.piece_files[shard] = data["status_file"]
                if folder_info is not None:
                    memo.folders[shard] = folder_info
                    if gathered is not None:
                        memo.gathered[shard] = gathered
            except (KeyError, TypeError, ValueError, AttributeError, IndexError):
                memo.packed.pop(data.get("shard") if isinstance(data, dict) else None, None)
                continue
        return memo

    def unpack(self, shard: str | None = None) -> None:
        """Put the entries and digests of a packed shard (``shard``; None: of every one) into
        entries/digests, made from its gathered results as _packed says (before anything asks
        for one of its files or changes one)."""
        from qsgen.records import FileResult

        for name in list(self.packed) if shard is None else [shard]:
            got = self.packed.pop(name, None)
            if got is None:
                continue
            packed, info = got
            recs, cases, assessment, sums, _attached = self.gathered[name]
            entries, digests, new = self.entries, self.digests, tuple.__new__
            i = j = 0
            for (path, _a), (key, n, m, assessed) in zip(info[2], pickle.loads(packed), strict=True):
                entries[path] = (key, new(FileResult, (recs[i:i + n], (), False, assessment if assessed else None,
                                                      cases[j:j + m])))
                digests[path] = list(sums[i:i + n])
                i += n
                j += m
            self.loaded[name] = list(map(_PATH, info[2]))

    def seed(self, digests: DigestMemo) -> None:
        """Hand the stored record digests of replayed files to ``digests`` (no re-hashing);
        a shard's gathered with its folder at once."""
        by_id, known, entries = digests.by_id, self.digests.get, self.entries
        for shard, paths in self.loaded.items():
            gathered = self.gathered.get(shard)
            if gathered is not None and shard not in self.dirty:
                recs, _cases, _assessment, sums, _attached = gathered
                by_id.update(zip(map(id, recs), zip(recs, sums, strict=True), strict=True))
                continue
            for path in paths:
                hit = entries.get(path)
                ds = known(path)
                if hit is None or ds is None:
                    continue
                recs = hit[1][0]
                if len(ds) != len(recs):
                    continue
                if len(recs) == 1:  # (nearly every file: one record)
                    rec = recs[0]
                    by_id[id(rec)] = (rec, ds[0])
                else:
                    for rec, d in zip(recs, ds, strict=True):
                        by_id[id(rec)] = (rec, d)

    def save_disk(self, root: Path, known: dict[int, tuple] | None = None) -> None:
        """Write the persistable entries, one file per unit folder; unchanged shards are not
        rewritten. Never raises for I/O (a memo that cannot be written only costs time).
        ``known``: DigestMemo.by_id of the build, record digests already computed."""
        known = known or {}
        folder = self.disk_dir(root)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            listed = os.listdir(folder)
        except OSError:
            return
        existing = {n for n in listed if n.endswith(".pickle")}
        # the pieces of the table in files the helper found with the digests the table names
        # (its report on them taken: else every piece is written again)
        trusted = {n for n in listed if n.endswith(PIECE)} if self.changed is not None else set()
        for shard in [s for s in self.packed if shard_file(s) not in existing]:
            self.unpack(shard)  # (its file gone since: written anew)
        # (the entries of a shard replayed from its very file are not gathered: only named; a
        # packed shard's, never unpacked, are not in entries)
        shards = _by_shard(self.entries, {s for s in self.saved if s not in self.dirty and shard_file(s) in existing})
        shards.update(dict.fromkeys(self.packed))
        wanted = set()
        dirs: dict[str, str] = {}
        table = self.status_table(root)
        complete = os.path.isfile(table)  # the status table still describes every shard
        failed = False
        for shard, entries in shards.items():
            name = shard_file(shard)
            wanted.add(name)
            if entries is None:
                continue  # every file replayed from this very shard
            attached = {}
            for p, e in entries.items():
                if any(r.attachments for r in e[1][0]):
                    sig = self.attached.get(p)
                    attached[p] = sig if sig is not None else attachment_signature(root, e[1][0], dirs)
            folder_info = self._whole_folder(shard, entries)
            signature = _signature(entries, attached, folder_info)
            if self.saved.get(shard) == signature and name in existing:
                continue
            if complete:  # removed before a shard changes: never newer than the shards it describes
                if not statcheck.drop_table(table):
                    return  # (a table that cannot be removed would outlive what it describes)
                complete = False
            digests = {}
            for p, e in entries.items():
                ds = self.digests.get(p)
                if ds is None or len(ds) != len(e[1][0]):
                    ds = []
                    for r in e[1][0]:
                        hit = known.get(id(r))
                        ds.append(hit[1] if hit is not None and hit[0] is r else record_digest(r))
                    self.digests[p] = ds
                digests[p] = ds
            piece = _piece(entries, folder_info)
            ref = (status_file(shard), statcheck.piece_digest(piece))
            gathered = None if folder_info is None else _gathered(entries, folder_info, digests, attached)
            packed = None if gathered is None else _packed(entries, folder_info, gathered[2])
            inline = packed is None  # (else its entries and digests are made from gathered: unpack)
            if write_sealed(folder / name, _dumps({"validity": self.validity, "shard": shard, "signature": signature,
                                                   "entries": entries if inline else None,
                                                   "digests": digests if inline else None, "attached": attached,
                                                   "status": piece, "status_file": ref, "folder": folder_info,
                                                   "gathered": gathered, "packed": packed})):
                self.saved[shard] = signature
                self.pieces[shard] = piece
                self.piece_files[shard] = ref
                trusted.discard(ref[0])  # (its file written below)
                self.gathered.pop(shard, None)  # (what is on disk now; taken by the next build)
                self.dirty.discard(shard)
            else:
                failed = True
        remove_files(folder, existing - wanted)
        if not complete and not failed:  # every shard on disk is what the table will say
            pieces = [self.pieces.get(shard) for shard in shards]
            if None in pieces:  # (a shard kept from an earlier build without its piece)
                self.unpack()
                shards = _by_shard(self.entries)
                pieces = [_piece(es, self._whole_folder(s, es)) for s, es in shards.items()]
            # each piece in its file beside the table, which names it with its digest: written
            # again only when it is not the file the helper found as the shard was saved with it
            refs: list[tuple[str, str]] = []
            for shard, piece in zip(shards, pieces, strict=True):
                ref = self.piece_files.get(shard)
                if ref is None or self.pieces.get(shard) is not piece:
                    ref = (status_file(shard), statcheck.piece_digest(piece))
                if ref[0] not in trusted and not statcheck.save_piece(folder / ref[0], piece):
                    failed = True
                refs.append(ref)
            if not failed:
                statcheck.save_table(table, refs)
                # (the pieces of shards no longer kept, which that table does not name)
                remove_files(folder, {n for n in listed if n.endswith(PIECE)} - set(map(status_file, shards)))

    def _whole_folder(self, shard: str, entries: dict[str, Any]) -> tuple | None:
        """The shard's folder as last walked (folders), when it may be replayed as a whole:
        each of its files kept here (read cleanly)."""
        info = self.folders.get(shard)
        if info is None or len(info[2]) != len(entries) or any(p not in entries for p, _a in info[2]):
            return None
        return info

    def load(self, root: Path, rules: Any, digests: DigestMemo | None = None) -> tuple[Any, list]:
        """Same as records.load_records(root, rules), reusing unchanged files (of that year).
        ``digests``: the build's cache.DigestMemo, told of each record read again in place of
        one this memo had (DigestMemo.before)."""
        from qsgen.records import FileResult, load_records, read_record_file

        known = self.rules_ids.get(rules.year)
        if known is not None and known != id(rules):
            self.clear(rules.year)
        self.rules_ids[rules.year] = id(rules)
        _KEEP_REST[:] = [self.dirty]  # (the shards whose records keep their rest once read)
        # (the clock of the file system the cache is on when it is persisted: load_disk)
        now = _fs_now(self.disk_dir(root)) if self.validity else time.time_ns() - RACY_NS
        prefix = f"records/{rules.year}/"
        if digests is not None:  # (what an earlier load of the year noted is over)
            for k in [k for k, v in digests.before.items() if v[0].path.startswith(prefix)]:
                del digests.before[k]
        if self.changed_by is not None:
            self.changed, self.changed_by = self.changed_by(), None
        source = _Replay(self, read_record_file, FileResult, now, digests)
        result = load_records(root, rules, source)
        # (a packed shard of the year not replayed whole: its folder is gone, say)
        for shard in [s for s, (_packed, info) in self.packed.items()
                      if info[0].startswith(prefix) and s not in source.wholes]:
            self.unpack(shard)
        # forget files of the year that disappeared
        for path in [p for p in self.entries if p.startswith(prefix) and p not in source.seen]:
            del self.entries[path]
            self.digests.pop(path, None)
            self.dirty.add(_shard(path))
        self.parsed, self.reused = source.parsed, source.reused
        return result


class _Replay:
    """The memo as a records.FileSource for one load: a file's entry is replayed while the
    file's status (and, for an entry from disk, its attachments) is the one it was read with;
    any other file is read with ``read`` (records.read_record_file) and remembered when clean."""

    __slots__ = ("memo", "read", "seen", "real_dirs", "parsed", "reused", "result", "touched", "now", "digests",
                 "wholes")

    def __init__(self, memo: RecordMemo, read: FileSource, result: Any = None, now: int = 0,
                 digests: DigestMemo | None = None) -> None:
        self.memo = memo
        self.digests = digests  # told of the records read again (_note)
        self.read = read
        self.result = result  # records.FileResult
        # the file system's clock before the walk: a folder changed since (in the same tick as
        # its status was taken, and maybe again after) is not kept for replay as a whole
        self.now = now
        self.touched: set[str] | None = None  # the shards with a path statcheck saw changed
        self.seen: set[str] = set()  # every file the walk asked for (but of the shards in wholes)
        self.wholes: set[str] = set()  # the packed shards replayed whole (RecordMemo.packed)
        self.real_dirs: dict[str, str] = {}  # for resolve_file
        self.parsed = self.reused = 0

    def __call__(self, ctx: LoadContext, folder: UnitFolder, entry: os.DirEntry, path: str,
                 assessment: bool) -> FileResult:
        hit, key, clashed = self._replayed(ctx, folder, entry, path, assessment)
        if hit is not None:
            return hit
        return self._remember(path, key, clashed, self.read(ctx, folder, entry, path, assessment))

    def walked(self, rel: str, st: os.stat_result | None, files: list[tuple[str, bool]],
               subs: list[tuple[str, os.stat_result]]) -> None:
        """What the walk found in a unit folder (see records.FileSource): kept for the save."""
        memo, shard, now = self.memo, _shard(rel + "/"), self.now
        if st is not None and all(max(x.st_mtime_ns, x.st_ctime_ns) < now for x in (st, *(y for _p, y in subs))):
            info = (rel + "/", statcheck.status(st), tuple(files),
                    tuple((sub + "/", statcheck.status(sub_st)) for sub, sub_st in subs))
        else:
            info = None
        if memo.folders.get(shard) != info:
            memo.dirty.add(shard)
            if info is None:
                del memo.folders[shard]
            else:
                memo.folders[shard] = info

    def whole(self, ctx: LoadContext, rel: str, entry: os.DirEntry) -> FileResult | None:
        """All the files of a unit folder at once, when statcheck saw neither the folder (no
        file added, removed or renamed) nor any of its files changed since they were saved
        with the folder as walked (RecordMemo.folders); else None (the walk lists it: a packed
        shard's entries are unpacked for it)."""
        got = self._whole(ctx, rel)
        if got is None:
            self.memo.unpack(_shard(rel + "/"))
        return got

    def _whole(self, ctx: LoadContext, rel: str) -> FileResult | None:
        memo = self.memo
        changed, shard = memo.changed, _shard(rel + "/")
        info = memo.folders.get(shard)
        if changed is None or info is None or info[0] != rel + "/" or shard not in memo.pieces:
            return None
        if self.touched is None:
            self.touched = {_shard(p) for p in changed}
        if shard in self.touched:
            return None
        entries, attached = memo.entries, memo.attached
        root, real_dirs = ctx.root, self.real_dirs
        gathered = memo.gathered.get(shard) if shard not in memo.dirty else None
        if gathered is not None:  # (the folder's results put together when it was saved)
            recs, cases, assessment, _sums, with_attachments = gathered
            for path, own in with_attachments:
                if attachment_signature(root, own, real_dirs) != attached.get(path):
                    return None
            if shard in memo.packed:
                self.wholes.add(shard)  # (its paths are in no entry: seen need not name them)
            else:
                self.seen.update(map(_PATH, info[2]))
            self.reused += len(info[2])
            return tuple.__new__(self.result, (recs, (), False, assessment, cases))
        recs: list = []
        cases: list = []
        assessment = None
        for path, a in info[2]:
            hit = entries.get(path)
            if hit is None or hit[0][5] != a:
                return None
            result = hit[1]
            if path in attached and attachment_signature(root, result[0], real_dirs) != attached[path]:
                return None
            recs += result[0]
            if result[4]:
                cases += result[4]
            if result[3] is not None:
                assessment = result[3]
        self.seen.update(path for path, _a in info[2])
        self.reused += len(info[2])
        return tuple.__new__(self.result, (tuple(recs), (), False, assessment, tuple(cases)))

    def part(self, ctx: LoadContext, rel: str) -> list[tuple[FileResult | None, str, bool]] | None:
        """A unit folder not replayed whole whose listing statcheck saw unchanged (the folder
        and its sub-folders, as saved with the folder as walked: no file added, removed or
        renamed), told without listing it (see records.FileSource): its files in walk order,
        the runs of those replayed (statcheck saw them unchanged, their attachments as they
        were) each put together in one FileResult, the others (None) to be read; else None."""
        memo = self.memo
        changed, shard, folder = memo.changed, _shard(rel + "/"), rel + "/"
        info = memo.folders.get(shard)
        if changed is None or info is None or info[0] != folder or shard not in memo.pieces or folder in changed \
                or any(sub in changed for sub, _st in info[3]):
            return None
        memo.unpack(shard)  # (as whole() leaves a folder it does not replay)
        entries, attached, root, real_dirs, new = memo.entries, memo.attached, ctx.root, self.real_dirs, tuple.__new__
        out: list[tuple[FileResult | None, str, bool]] = []
        run: list[FileResult] = []
        replayed = []
        for path, a in info[2]:
            hit = entries.get(path)
            if hit is None or hit[0][5] != a:
                return None
            if path in changed or \
                    (path in attached and attachment_signature(root, hit[1][0], real_dirs) != attached[path]):
                if run:
                    out.append((_together(run, new, self.result), folder, False))
                    run = []
                out.append((None, path, a))
                continue
            run.append(hit[1])
            replayed.append(path)
        if run:
            out.append((_together(run, new, self.result), folder, False))
        self.seen.update(replayed)
        self.reused += len(replayed)
        return out

    def many(self, ctx: LoadContext, files: Iterable) -> list[FileResult]:
        """__call__ for each of ``files`` (the walk's (folder, entry, path, assessment); it may
        be the walk itself, an iterator); the files not replayed are read all at once by the
        memo's ``read_many`` when it has one (as the walk finds them)."""
        out: list[Any] = []
        todo: list[tuple[int, Any, bool]] = []
        listed: list = []
        memo = self.memo
        entries, changed, attached, seen = memo.entries, memo.changed, memo.attached, self.seen

        def unread() -> Iterator:
            for i, file in enumerate(files):
                listed.append(file)
                folder, entry, path, assessment = file
                hit = entries.get(path)
                # (what _replayed does for a file statcheck saw unchanged, said at once)
                if hit is not None and changed is not None and path not in changed and hit[0][5] == assessment \
                        and path not in attached and entry.name not in folder.clashed:
                    seen.add(path)
                    self.reused += 1
                    out.append(hit[1])
                    continue
                hit, key, clashed = self._replayed(ctx, folder, entry, path, assessment)
                out.append(hit)
                if hit is None:
                    todo.append((i, key, clashed))
                    yield file

        read_many = self.memo.read_many
        # (a memo with nothing of these files, as in a clean build: every file is new to it,
        # so that _remember has nothing to note or forget; its loop over ~10,000 files then
        # runs after the reading, with the workers waiting for the scores: done inline)
        fresh = not entries and not memo.digests and not memo.attached
        if read_many is not None:
            results = read_many(ctx, unread())
        else:
            results = [self.read(ctx, *f) for f in unread()]
        if fresh and not entries:
            self._fresh(todo, results, listed, out)
            return out
        for (i, key, clashed), result in zip(todo, results, strict=True):
            out[i] = self._remember(listed[i][2], key, clashed, result)
        return out

    def _fresh(self, todo: list[tuple[int, Any, bool]], results: list, listed: list, out: list) -> None:
        """_remember of each file of ``todo`` (with its result) for a memo that had none of
        them (no entry, digest nor attachment signature: nothing to tell the DigestMemo of, nor
        to forget), the same in one loop; the shards named once per folder."""
        memo = self.memo
        entries, dirty = memo.entries, memo.dirty
        self.parsed += len(todo)
        folder = None
        for (i, key, clashed), result in zip(todo, results, strict=True):
            out[i] = result
            file = listed[i]
            if file[0] is not folder:
                folder = file[0]
                dirty.add(_shard(file[2]))
            if key is not None and not clashed and not result[1] and not result[2]:
                entries[file[2]] = (key, result)

    def _replayed(self, ctx: LoadContext, folder: UnitFolder, entry: os.DirEntry, path: str,
                  assessment: bool) -> tuple[FileResult | None, Any, bool]:
        """The file's remembered result when it may be replayed (else None), its status key
        and whether its name clashes."""
        memo = self.memo
        self.seen.add(path)
        hit = memo.entries.get(path)
        changed = memo.changed
        if hit is not None and changed is not None and path not in changed and hit[0][5] == assessment:
            key = hit[0]  # statcheck found its status as saved with this very entry
        else:
            try:
                key = (*statcheck.status(entry.stat(follow_symlinks=False)), assessment)
            except OSError:
                key = hit = None
        clashed = entry.name in folder.clashed
        if hit is not None and hit[0] == key and not clashed:
            # persisted with attachments: replayed only while they are as they were
            if path not in memo.attached or \
                    attachment_signature(ctx.root, hit[1].records, self.real_dirs) == memo.attached[path]:
                self.reused += 1
                return hit[1], key, clashed
        return None, key, clashed

    def _remember(self, path: str, key: Any, clashed: bool, result: FileResult) -> FileResult:
        """Take a file just read: kept for replay when it read cleanly."""
        memo = self.memo
        self.parsed += 1
        if self.digests is not None and result.records:
            self._note(path, result.records)
        memo.dirty.add(_shard(path))
        memo.digests.pop(path, None)
        memo.attached.pop(path, None)
        if key is not None and not clashed and not result.diagnostics and not result.bad:
            memo.entries[path] = (key, result)
        else:
            memo.entries.pop(path, None)
        return result

    def _note(self, path: str, records: tuple[Record, ...]) -> None:
        """Tell the build's DigestMemo (before) of ``records``, read again from ``path``: the
        digest of the record each replaces (its file as this memo had it, the same number of
        records) and whether they differ in their body alone. (One changed record: its old
        self is unpickled, nothing else.)"""
        hit = self.memo.entries.get(path)
        if hit is None or len(hit[1][0]) != len(records):
            return
        was = hit[1][0]
        sums = self.memo.digests.get(path)
        if sums is None or len(sums) != len(was):  # (a warm memo's: the build's digests of them)
            by_id = self.digests.by_id
            sums = [d[1] if (d := by_id.get(id(r))) is not None and d[0] is r else None for r in was]
        for new, old, d in zip(records, was, sums, strict=True):
            if d is not None:
                self.digests.before[id(new)] = (new, d, _but_body(new) == _but_body(old))


# On disk a Record is what every build reads of it (id, path, unit, kind, title, date,
# attachments) and the rest (fields, body, lines, body_line) pickled apart as bytes: a record
# of a unit that did not change is unpickled as a LazyRecord, whose rest is unpickled only if
# something reads it (most builds: nothing; at 10,000 records the record cache then loads in
# a seventh of the time). A FileResult is the tuple of its fields (made by tuple.__new__
# itself: no Python call, nor a NamedTuple's keyword handling).

_REST = ("fields", "body", "lines", "body_line")
_SLOT = {name: Record.__dict__[name] for name in _REST}  # Record's own slots


def _rest_of(rec: Record) -> bytes | memoryview:
    """The part of a record kept pickled apart (the body as UTF-8 bytes: see model.packed_record)."""
    if type(rec) is LazyRecord:
        rest = getattr(rec, "_rest", None)
        if rest is not None:
            span = rec._span
            return rest if span is None else rest[span[0]:span[1]]
    return pickle.dumps((rec.fields, rec.body.encode("utf-8", "surrogatepass"), rec.lines, rec.body_line),
                        protocol=pickle.HIGHEST_PROTOCOL)


_but_body = attrgetter(*(name for name in RECORD_FIELDS if name != "body"))  # a record less its body


def _lazy(name: str) -> property:
    slot = _SLOT[name]

    def get(self: LazyRecord) -> Any:
        try:
            return slot.__get__(self, Record)
        except AttributeError:
            self._fill()
            return slot.__get__(self, Record)

    def put(self: LazyRecord, value: Any) -> None:
        # (a record changed in place, or made by dataclasses.replace, is no longer what a _rest
        # says: pickled anew if saved)
        if getattr(self, "_rest", None) is not None:
            self._fill()
        self._rest = self._span = self.names_md = None
        slot.__set__(self, value)

    return property(get, put, doc=f"Record.{name}, unpickled when first read")


class LazyRecord(Record):
    """A Record of the record cache whose fields, body and lines are unpickled when first read
    (from ``_rest``, what _rest_of wrote; with ``_span``, (start, end) of it in ``_rest``, the
    rests of its shard's records as read: see _dumps); ``names_md``: whether its body has ".md"
    (what records.crosscheck.dead_links asks of every record). Equal to, shown as and pickled
    as the Record it stands for."""

    __slots__ = ("_rest", "_span", "names_md")

    fields = _lazy("fields")
    body = _lazy("body")
    lines = _lazy("lines")
    body_line = _lazy("body_line")

    def _fill(self) -> None:
        """Unpickle the rest (once: each of its slots is then set)."""
        try:
            _SLOT["body"].__get__(self, Record)
            return
        except AttributeError:
            pass
        fields, body, lines, body_line = pickle.loads(_rest_of(self))
        _SLOT["fields"].__set__(self, fields)
        _SLOT["body"].__set__(self, body.decode("utf-8", "surrogatepass"))
        _SLOT["lines"].__set__(self, lines)
        _SLOT["body_line"].__set__(self, body_line)
        if not _KEEP_REST or _shard(self.path) not in _KEEP_REST[0]:
            # kept (to be written back as it is) only in a shard that is saved again: a build
            # that reads every record (new templates) holds no second copy of them all
            self._rest = self._span = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return record_fields(self) == record_fields(other)

    __hash__ = None  # type: ignore[assignment]  (as Record's: a mutable dataclass)

    def __repr__(self) -> str:
        return "Record" + Record.__repr__(self)[len(type(self).__qualname__):]


# [RecordMemo.dirty of the memo loading records]: the shards whose LazyRecords keep their rest
# once it is unpickled (see LazyRecord._fill)
_KEEP_REST: list[set[str]] = []


def _lazy_record(id: str, path: str, unit: str, kind: str, title: str, date: Any, attachments: list[str],
                 names_md: bool, rest: bytes | memoryview, span: tuple[int, int] | None) -> LazyRecord:
    rec = _new(LazyRecord)
    rec.id, rec.path, rec.unit, rec.kind, rec.title, rec.date, rec.attachments, rec.names_md, rec._rest, \
        rec._span = id, path, unit, kind, title, date, attachments, names_md, rest, span
    return rec


_new = object.__new__


class _Rests:
    """Stands, in a pickle of _dumps, for the rests of its records written after it (see _dumps)."""


def _rests(view: memoryview) -> memoryview:
    return view


class _Packer(pickle.Pickler):
    """Pickles the memo's entries: records as _lazy_record calls (their rests gathered in
    ``rests``, each record naming its span), FileResults as tuple.__new__ calls."""

    def __init__(self, file: Any) -> None:
        from qsgen.records import FileResult

        super().__init__(file, protocol=5, buffer_callback=lambda _buffer: False)
        self.rests: list[bytes | memoryview] = []
        self.size = 0
        self.marker = _Rests()
        # (an instance's own table: with one on the class the pickler would take the class's)
        self.dispatch_table = {**copyreg.dispatch_table, Record: self._record, LazyRecord: self._record,
                               FileResult: lambda r: (tuple.__new__, (FileResult, tuple(r))),
                               _Rests: lambda _m: (_rests, (pickle.PickleBuffer(b""),))}

    def _record(self, rec: Record) -> tuple:
        md = rec.names_md
        rest = _rest_of(rec)
        at, self.size = self.size, self.size + len(rest)
        self.rests.append(rest)
        return (_lazy_record, (rec.id, rec.path, rec.unit, rec.kind, rec.title, rec.date, rec.attachments,
                               ".md" in rec.body if md is None else md, self.marker, (at, self.size)))


_HEAD = struct.Struct("<Q")  # a _dumps payload: the pickle's length, the pickle, the rests


def _dumps(data: Any) -> bytes:
    """``data`` pickled (records as LazyRecords), then their rests in one piece: read back by
    _loads, each record's rest is a span of what was read, not a bytes object of its own
    (9 MB of copies and ~2,300 pages of memory to fault in at 10,000 records)."""
    buf = io.BytesIO()
    buf.write(_HEAD.pack(0))
    packer = _Packer(buf)
    packer.dump(data)
    size = buf.tell() - _HEAD.size
    buf.writelines(packer.rests)
    # The packer's table holds its own bound method, a cycle; with the build's collector off
    # (cli.program) the packer and its rests (~30 MB at 10,000 records) would stay till exit.
    packer.rests = packer.dispatch_table = None
    out = buf.getbuffer()
    _HEAD.pack_into(out, 0, size)
    del out
    return buf.getvalue()


def _loads(payload: bytes | memoryview) -> Any:
    """What _dumps pickled."""
    view = memoryview(payload)
    (size,) = _HEAD.unpack_from(view)
    end = _HEAD.size + size
    return pickle.loads(view[_HEAD.size:end], buffers=[view[end:]])


RACY_NS = 100_000_000  # without the file system's clock: a folder changed this close before the walk is racy


def _fs_now(folder: Path) -> int:
    """The file system's clock now (as pagestore.racy_before: ``folder``'s mtime set to now),
    else RACY_NS before the wall clock's now."""
    try:
        os.utime(folder)
        return os.stat(folder).st_mtime_ns
    except OSError:
        return time.time_ns() - RACY_NS


def _together(results: list, new: Any, kind: Any) -> Any:
    """Clean FileResults of files one after another as one (of the type ``kind``: FileResult)."""
    if len(results) == 1:
        return results[0]
    assessment = None
    for result in results:
        if result[3] is not None:
            assessment = result[3]
    return new(kind, (tuple(chain.from_iterable(map(_RECORDS, results))), (), False, assessment,
                      tuple(chain.from_iterable(map(_CASES, results)))))


_RECORDS, _CASES = operator.itemgetter(0), operator.itemgetter(4)


def _gathered(entries: dict[str, Any], folder: tuple, digests: dict[str, list[str]],
              attached: dict[str, tuple]) -> tuple | None:
    """The results of a folder's files put together in the order it was walked (as
    _Replay.whole puts them together): (records, case numbers, assessment, record digests,
    ((path, its records) of each file of ``attached``, with attachments)); None when a file's
    entry or digests are not there as the folder says."""
    recs: list = []
    cases: list = []
    sums: list = []
    assessment = None
    for path, a in folder[2]:
        hit = entries.get(path)
        ds = digests.get(path)
        if hit is None or hit[0][5] != a or ds is None or len(ds) != len(hit[1][0]):
            return None
        result = hit[1]
        recs += result[0]
        sums += ds
        if result[4]:
            cases += result[4]
        if result[3] is not None:
            assessment = result[3]
    return tuple(recs), tuple(cases), assessment, tuple(sums), tuple((p, entries[p][1][0]) for p in attached)


def _packed(entries: dict[str, Any], folder: tuple, assessment: Any) -> bytes | None:
    """What RecordMemo.unpack makes a folder's entries again from with its gathered results:
    for each of its files as walked, (its status key, how many records and case numbers it
    gave, whether it gave the assessment); None when a file's result is not all that says
    (a diagnostic, or an assessment other than the folder's)."""
    out = []
    for path, _a in folder[2]:
        key, result = entries[path]
        records, diags, bad, mine, cases = result
        if diags or bad or (mine is not None and mine is not assessment):
            return None
        out.append((key, len(records), len(cases) if cases else 0, mine is not None))
    return pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)


_PATH = operator.itemgetter(0)  # (of a folder's (path, assessment))


def _signature(entries: dict[str, Any], attached: dict[str, tuple], folder: tuple | None) -> str:
    """What a shard's file is saved from (RecordMemo.saved): each file's status key and
    attachment signature, and the folder as walked. Marshalled (a sixth of the time of a repr
    of ~1,000 files' statuses, the dirty shard's, each build): bytes that say exactly these
    values (the same values may marshal otherwise, told apart by object identity: at worst a
    shard written again)."""
    parts = (sorted((p, e[0], attached.get(p)) for p, e in entries.items()), folder)
    try:
        data = marshal.dumps(parts)
    except ValueError:  # (a value marshal cannot write: not one of the kinds a status is made of)
        return digest(*parts)
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _piece(entries: dict[str, Any], folder: tuple | None) -> bytes:
    """A shard's part of the status table: each file's status, and its folder's when it is
    replayed as a whole (RecordMemo.folders)."""
    table = {p: e[0][:-1] for p, e in entries.items()}
    if folder is not None:
        table[folder[0]] = folder[1]
        table.update(folder[3])
    return statcheck.piece(table)


def attachment_signature(root: Path | str, recs: list[Record], dirs: dict[str, str] | None = None) -> tuple:
    """What the validation of the records' attachments (fields.py) depends on: for each, the
    file it resolves to and whether that is a regular file (None when it cannot be read)."""
    dirs = {} if dirs is None else dirs
    out = []
    for rec in recs:
        for rel in rec.attachments:
            try:
                out.append((rel, *resolve_file(root, rel, dirs)))
            except (OSError, ValueError):
                out.append((rel, None))
    return tuple(out)


PIECE = ".status"  # a shard's piece of the status table, in a file beside it (statcheck.save_piece)


def status_file(shard: str) -> str:
    """The name of the file of ``shard``'s piece of the status table (beside the table)."""
    return shard_file(shard).removesuffix(".pickle") + PIECE


def is_record_file(path: str) -> bool:
    """A file the RecordMemo tracks by itself (anything else under records/ clears the memo)."""
    return path.endswith((".md", ".yaml"))


def changed_kinds(paths: Iterable[str], root: Path) -> set[str]:
    """Which parts of the repository a set of changed paths touches: rules, records, other, templates."""
    out: set[str] = set()
    root = Path(root).resolve()
    for p in paths:
        try:
            rel = Path(p).resolve().relative_to(root).as_posix()
        except ValueError:
            out.add("templates")  # the package's own site_templates/
            continue
        top = rel.split("/", 1)[0]
        if top == "rules":
            out.add("rules")
        elif top == "records":
            out.add("records" if is_record_file(rel) else "other")
        else:
            out.add("templates")
    return out
