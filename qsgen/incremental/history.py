"""Git provenance of the last build (``.qsgen-cache/history.pickle``), and the last commits it looked up, reused while HEAD is the same commit."""

from __future__ import annotations

import marshal
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from qsgen.incremental.cache import CACHE_DIR, asked_covers, asked_of, read_pickle, write_pickle
from qsgen.repo.gitinfo import Commit

HISTORY_FILE = "history.pickle"


def cached_history(root: Path, paths: list[str], head: str | None,
                   read: Callable[[Path, list[str]], dict], year: int | None = None,
                   later: list[Callable[[], None]] | None = None) -> dict:
    """``read(root, paths)`` (the last commit of each of the distinct ``paths``), reused from the cache while HEAD
    is the same commit (``head``) and no path is asked for that the stored pass did not look
    for (a file's last commit is a function of HEAD and its path only). ``year``: one file
    per year's paths. ``later``: what is to be saved is appended there as a function instead
    of written now (a build writes it while the workers render, not between reading and
    rendering, when both workers wait: ~10 ms at 10,000 files). Kept a folder at a time
    (ByFolder): a build that asks for the commits of a few records unpickles only their folders'."""
    target = Path(root) / CACHE_DIR / (HISTORY_FILE if year is None else f"history-{year}.pickle")
    if head is not None:
        data = read_pickle(target)
        try:
            covered = asked_covers(data["asked"], paths) if data["head"] == head else 0
            if covered:
                found = ByFolder(data["by_folder"], lambda: read(root, paths))
                if covered == 2:  # (the very paths asked: every one it found, as it is)
                    return found
                return Within(found, paths)  # (the stored pass looked for more: those not asked left out)
        except (KeyError, TypeError, AttributeError):
            pass
    found = read(root, paths)
    if head is not None:
        asked = asked_of(paths)

        def save() -> None:
            write_pickle(target, {"head": head, "asked": asked, "by_folder": ByFolder.packed(found)})

        if later is not None:
            later.append(save)
        else:
            save()
    return found


class ByFolder(Mapping[str, Any]):
    """{path: its last commit} as kept on disk: {folder: its paths' commits as tuples,
    marshalled}, each folder's made when one of its paths is first asked for. ``again()``:
    every path's commit, asked again should a folder's not load."""

    def __init__(self, by_folder: dict[str, bytes], again: Callable[[], Mapping[str, Any]] | None = None) -> None:
        if not isinstance(by_folder, dict):
            raise TypeError("not a folder table")
        self.by_folder, self.again = by_folder, again
        self.loaded: dict[str, dict[str, Any]] = {}

    @staticmethod
    def packed(found: Mapping[str, Any]) -> dict[str, bytes]:
        """What a ByFolder of ``found`` is made from."""
        folders: dict[str, dict[str, Any]] = {}
        for path, c in found.items():
            folders.setdefault(path.rpartition("/")[0], {})[path] = (c.sha, c.short, c.author, c.date, c.subject)
        return {folder: marshal.dumps(mine) for folder, mine in folders.items()}

    def _folder(self, folder: str) -> dict[str, Any]:
        mine = self.loaded.get(folder)
        if mine is None:
            data = self.by_folder.get(folder)
            try:
                made: dict[tuple, Commit] = {}  # (one Commit per commit, as git's answer has)
                mine = {path: made.get(t) or made.setdefault(t, Commit(*t))
                        for path, t in (marshal.loads(data) if data is not None else {}).items()}
            except Exception:  # (bytes of a sealed cache file: not expected)
                if self.again is None:
                    raise
                again = self.again()
                self.again = lambda: again  # (asked once)
                mine = {path: c for path, c in again.items() if path.rpartition("/")[0] == folder}
            self.loaded[folder] = mine
        return mine

    def __getitem__(self, path: str) -> Any:
        return self._folder(path.rpartition("/")[0])[path]

    def get(self, path: str, default: Any = None) -> Any:
        return self._folder(path.rpartition("/")[0]).get(path, default)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and path in self._folder(path.rpartition("/")[0])

    def __iter__(self) -> Iterator[str]:
        for folder in self.by_folder:
            yield from self._folder(folder)

    def __len__(self) -> int:
        return sum(len(self._folder(folder)) for folder in self.by_folder)

    def __reduce__(self) -> tuple:
        return dict, (dict(self),)


class Within(Mapping[str, Any]):
    """Those of ``paths`` that ``found`` has, with their commits, in the order of ``paths``: the
    kept pass of a build that asked for more (a record removed since, with HEAD the same),
    its folders made only as they are asked for, as ByFolder's."""

    def __init__(self, found: Mapping[str, Any], paths: list[str]) -> None:
        self.found, self.paths, self.asked = found, paths, frozenset(paths)

    def __getitem__(self, path: str) -> Any:
        if path not in self.asked:
            raise KeyError(path)
        return self.found[path]

    def get(self, path: str, default: Any = None) -> Any:
        return self.found.get(path, default) if path in self.asked else default

    def __contains__(self, path: object) -> bool:
        return path in self.asked and path in self.found

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(p for p in self.paths if p in self.found))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __reduce__(self) -> tuple:
        return dict, (dict(self),)


LAST_FILE = "last-commits.pickle"


class LastCommits:
    """``last(root, path)``: repo.commits.last_commit_of (a walk of the whole history for a path
    no commit touched, ~10 ms at 250 commits), its answers kept in the cache while HEAD is
    ``head`` (the last commit of HEAD's history that touched a path is a function of both).
    ``save`` writes them when a new one was asked."""

    def __init__(self, root: Path, head: str | None) -> None:
        self.target = Path(root) / CACHE_DIR / LAST_FILE
        self.head = head
        data = read_pickle(self.target) if head is not None else None
        try:
            kept = data["found"] if data["head"] == head else {}
        except (KeyError, TypeError):
            kept = {}
        self.found: dict[str, str | None] = dict(kept) if isinstance(kept, dict) else {}
        self.asked = False
        self.pending: dict[str, Any] = {}  # path -> the thread looking it up (ahead)

    def ahead(self, root: Path, paths: list[str]) -> None:
        """Start looking up the paths not known yet, each on a thread of its own: git walks
        the history while the build reads the records (a final year's manifest that is not in
        the tree is looked for in the history: ~10-50 ms of waiting for git, which a clean
        build spent between reading and rendering)."""
        import threading

        if self.head is None:
            return
        for path in paths:
            if path in self.found or path in self.pending:
                continue
            box: list[str | None] = []
            th = threading.Thread(target=lambda path=path, box=box: box.append(_last_commit_of(root, path)),
                                  daemon=True)
            th.start()
            self.pending[path] = (th, box)

    def last(self, root: Path, path: str) -> str | None:
        started = self.pending.pop(path, None)
        if started is not None:
            th, box = started
            th.join()
            if box:  # (else the look-up failed on its thread: asked again here, where it raises)
                self.found[path] = box[0]
                self.asked = True
        if path not in self.found or self.head is None:
            self.found[path] = _last_commit_of(root, path)
            self.asked = True
        return self.found[path]

    def save(self) -> None:
        if self.asked and self.head is not None:
            write_pickle(self.target, {"head": self.head, "found": self.found})
            self.asked = False


def _last_commit_of(root: Path, path: str) -> str | None:
    from qsgen.repo.commits import last_commit_of

    return last_commit_of(root, path)
