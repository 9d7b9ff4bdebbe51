"""Parsed record files kept between builds: replayed while their files are as they were.

``RecordMemo`` is warm in ``qsgen serve`` and persisted per unit folder in
``.qsgen-cache/records/`` for ``qsgen build`` (cache.py holds the rest of the cache): a record
file whose size, mtime, inode and ctime are unchanged (and, on disk, whose attachments resolve
to the same files) is not read or parsed again; its Record, its diagnostics and its case
number are replayed. Which files changed is told by statcheck.py when it can.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qsgen.core.model import Record, packed_record, unpacked_record
from qsgen.incremental import statcheck
from qsgen.incremental.cache import (
    CACHE_DIR,
    STATUS_TABLE,
    DigestMemo,
    code_key,
    record_digest,
    remove_files,
    shard_file,
    write_pickle,
)
from qsgen.repo.files import resolve_file

RECORDS_DIR = "records"  # .qsgen-cache/records/<shard>.pickle: the persisted RecordMemo
# Modules whose code decides what a record file parses to; any change to them invalidates the memo.
_LOADER_MODULES = ("records", "core", "incremental/recordmemo.py")


def loader_digest(root: Path, rules_digest: str) -> str:
    """What every persisted parse depends on besides its own file: the loader's code, the
    Python and PyYAML versions, the rules, the repository's location (attachment checks)."""
    return code_key(_LOADER_MODULES, rules_digest, os.path.realpath(root))



def _shard(path: str) -> str:
    """The persisted memo is split by unit folder: a change rewrites one shard, not all."""
    parts = path.split("/")
    return parts[2] if len(parts) > 3 else ""


class RecordMemo:
    """Parsed record files of a warm process, by repository path (see the module docstring).

    ``load_disk``/``save_disk`` persist it in ``.qsgen-cache/records/`` for ``qsgen build``: only
    files that parsed without any diagnostic are kept, with the record digests, under
    ``loader_digest``. Besides its own bytes, only the files it lists as attachments decide
    what a record file parses to (they must exist, be files and stay inside records/): a
    persisted file with attachments is replayed only while ``attachment_signature`` of them is
    what it was when saved.
    """

    def __init__(self) -> None:
        self.entries: dict[str, tuple[tuple, Any]] = {}
        self.rules_id: int | None = None
        self.parsed = 0  # files parsed by the last load
        self.reused = 0  # files replayed by the last load
        self.validity = ""  # loader_digest of the entries loaded from disk
        self.saved: dict[str, Any] = {}  # shard -> signature of what is on disk
        self.digests: dict[str, list[str]] = {}  # path -> record_digest of its records
        self.attached: dict[str, tuple] = {}  # path -> attachment_signature (from disk)
        self.dirty: set[str] = set()  # shards with a file parsed again or gone since the save
        # paths whose status changed since the save (statcheck.py; None: not known, stat each)
        self.changed: set[str] | None = None

    def clear(self) -> None:
        self.dirty.update(_shard(p) for p in self.entries)
        self.entries.clear()
        self.digests.clear()
        self.attached.clear()

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
            try:
                with open(folder / name, "rb") as f:
                    data = pickle.load(f)
                if not isinstance(data, dict) or data.get("validity") != validity:
                    continue
                memo.entries.update(_unpack(data["entries"]))
                memo.digests.update(data["digests"])
                memo.attached.update(data["attached"])
                memo.saved[data["shard"]] = data["signature"]
            except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError,
                    AttributeError, ImportError, IndexError):
                continue
        return memo

    def seed(self, digests: DigestMemo) -> None:
        """Hand the stored record digests of replayed files to ``digests`` (no re-hashing)."""
        by_id = digests.by_id
        for path, (_key, value) in self.entries.items():
            ds = self.digests.get(path)
            if ds is not None and len(ds) == len(value[0]):
                for rec, d in zip(value[0], ds, strict=True):
                    by_id[id(rec)] = (rec, d)

    def save_disk(self, root: Path, known: dict[int, tuple] | None = None) -> None:
        """Write the persistable entries, one file per unit folder; unchanged shards are not
        rewritten. Never raises for I/O (a memo that cannot be written only costs time).
        ``known``: DigestMemo.by_id of the build, record digests already computed."""
        known = known or {}
        shards: dict[str, dict[str, tuple[tuple, Any]]] = {}
        for path, entry in self.entries.items():
            recs, diags, bad, _assess, _cases = entry[1]
            if diags or bad:
                continue
            shards.setdefault(_shard(path), {})[path] = entry
        folder = self.disk_dir(root)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            existing = {n for n in os.listdir(folder) if n.endswith(".pickle")}
        except OSError:
            return
        wanted = set()
        dirs: dict[str, str] = {}
        table = self.status_table(root)
        complete = os.path.isfile(table)  # the status table still describes every shard
        failed = False
        for shard, entries in shards.items():
            name = shard_file(shard)
            wanted.add(name)
            if shard not in self.dirty and shard in self.saved and name in existing:
                continue  # every file replayed from this very shard
            attached = {}
            for p, e in entries.items():
                if any(r.attachments for r in e[1][0]):
                    sig = self.attached.get(p)
                    attached[p] = sig if sig is not None else attachment_signature(root, e[1][0], dirs)
            signature = sorted((p, e[0], attached.get(p)) for p, e in entries.items())
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
            if write_pickle(folder / name, {"validity": self.validity, "shard": shard, "signature": signature,
                                            "entries": _pack(entries), "digests": digests,
                                            "attached": attached}):
                self.saved[shard] = signature
                self.dirty.discard(shard)
            else:
                failed = True
        remove_files(folder, existing - wanted)
        if not complete and not failed:  # every shard on disk is what the table will say
            statcheck.save_table(table, {p: e[0][:-1] for es in shards.values() for p, e in es.items()})

    def load(self, root: Path, rules: Any) -> tuple[Any, list]:
        """Same as records.load_records(root, rules), reusing unchanged files."""
        if self.rules_id is not None and self.rules_id != id(rules):
            self.clear()
        self.rules_id = id(rules)
        loader = _memo_loader_class()(root, rules, self)
        result = loader.run()
        # forget files that disappeared
        for path in [p for p in self.entries if p not in loader.seen]:
            del self.entries[path]
            self.digests.pop(path, None)
            self.dirty.add(_shard(path))
        self.parsed, self.reused = loader.parsed, loader.reused
        return result


# On disk a Record is the tuple of its fields, its body as bytes (model.packed_record).


def _pack(entries: dict[str, tuple]) -> dict[str, tuple]:
    out = {}
    for path, (key, (recs, diags, bad, assess, cases)) in entries.items():
        out[path] = (key, ([packed_record(r) for r in recs], diags, bad, assess, cases))
    return out


def _unpack(entries: dict[str, tuple]) -> dict[str, tuple]:
    return {path: (key, ([unpacked_record(row) for row in rows], diags, bad, assess, cases))
            for path, (key, (rows, diags, bad, assess, cases)) in entries.items()}


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


class _LoggedList(list):
    """A list that also reports each append to a log (to capture case numbers per file)."""

    def __init__(self, key: str, log: list) -> None:
        super().__init__()
        self._key, self._log = key, log

    def append(self, item: Any) -> None:
        self._log.append((self._key, item))
        super().append(item)


class _LoggedDict(dict):
    def __init__(self, log: list) -> None:
        super().__init__()
        self._log = log

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            dict.__setitem__(self, key, _LoggedList(key, self._log))
        return self[key]


_MEMO_LOADER: type | None = None


def _memo_loader_class() -> type:
    """records._Loader with a per-file memo (defined lazily: records.py imports are heavy)."""
    global _MEMO_LOADER
    if _MEMO_LOADER is not None:
        return _MEMO_LOADER
    from qsgen.records import loader as records

    class MemoLoader(records._Loader):  # type: ignore[name-defined]
        def __init__(self, root: Path, rules: Any, memo: RecordMemo) -> None:
            super().__init__(root, rules)
            self.memo = memo
            self.case_log: list = []
            self.case_nos = _LoggedDict(self.case_log)
            self.real_dirs: dict[str, str] = {}  # for resolve_file
            self.seen: set[str] = set()
            self.parsed = self.reused = 0

        def _file(self, entry: os.DirEntry, path: str, unit: Any, assessment: bool) -> None:
            self.seen.add(path)
            hit = self.memo.entries.get(path)
            changed = self.memo.changed
            if hit is not None and changed is not None and path not in changed and hit[0][5] == assessment:
                key = hit[0]  # statcheck found its status as saved with this very entry
            else:
                try:
                    st = entry.stat(follow_symlinks=False)
                    key = (*statcheck.status(st), assessment)  # what statcheck compares, first
                except OSError:
                    key = hit = None
            if hit is not None and hit[0] == key and path in self.memo.attached:
                # persisted with attachments: replayed only while they are as they were
                if attachment_signature(self.root, hit[1][0], self.real_dirs) != self.memo.attached[path]:
                    hit = None
            if hit is not None and hit[0] == key:
                recs, diags, bad, assess, cases = hit[1]
                self.records.extend(recs)
                self.diags.extend(diags)
                if bad:
                    self.bad_paths.add(path)
                if assess is not None:
                    self.assessments[unit.slug] = assess
                for k, item in cases:
                    self.case_nos.setdefault(k, []).append(item)
                self.reused += 1
                return
            n_rec, n_diag, n_case = len(self.records), len(self.diags), len(self.case_log)
            bad_before = path in self.bad_paths
            super()._file(entry, path, unit, assessment)
            self.parsed += 1
            self.memo.dirty.add(_shard(path))
            self.memo.digests.pop(path, None)
            self.memo.attached.pop(path, None)
            if key is None:
                return
            bad = path in self.bad_paths and not bad_before
            assess = self.assessments.get(unit.slug) if assessment else None
            self.memo.entries[path] = (key, (self.records[n_rec:], self.diags[n_diag:], bad, assess,
                                             self.case_log[n_case:]))

    _MEMO_LOADER = MemoLoader
    return MemoLoader


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
