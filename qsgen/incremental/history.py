"""Git provenance of the last build (``.qsgen-cache/history.pickle``), and the last commits it looked up, reused while HEAD is the same commit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from qsgen.incremental.cache import CACHE_DIR, asked_covers, asked_of, read_pickle, write_pickle

HISTORY_FILE = "history.pickle"


def cached_history(root: Path, paths: list[str], head: str | None,
                   read: Callable[[Path, list[str]], dict], year: int | None = None,
                   later: list[Callable[[], None]] | None = None) -> dict:
    """``read(root, paths)`` (the last commit of each of the distinct ``paths``), reused from the cache while HEAD
    is the same commit (``head``) and no path is asked for that the stored pass did not look
    for (a file's last commit is a function of HEAD and its path only). ``year``: one file
    per year's paths. ``later``: what is to be saved is appended there as a function instead
    of written now (a build writes it while the workers render, not between reading and
    rendering, when both workers wait: ~10 ms at 10,000 files)."""
    target = Path(root) / CACHE_DIR / (HISTORY_FILE if year is None else f"history-{year}.pickle")
    if head is not None:
        data = read_pickle(target)
        try:
            covered = asked_covers(data["asked"], paths) if data["head"] == head else 0
            if covered:
                found = data["found"]
                if covered == 2:  # (the very paths asked: every one it found, as it is)
                    return found
                return {p: found[p] for p in paths if p in found}
        except (KeyError, TypeError, AttributeError):
            pass
    found = read(root, paths)
    if head is not None:
        data = {"head": head, "asked": asked_of(paths), "found": found}
        if later is not None:
            later.append(lambda: write_pickle(target, data))
        else:
            write_pickle(target, data)
    return found


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
