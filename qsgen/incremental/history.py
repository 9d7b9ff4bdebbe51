"""Git provenance of the last build (``.qsgen-cache/history.pickle``), and the last commits it looked up, reused while HEAD is the same commit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qsgen.incremental.cache import CACHE_DIR, read_pickle, write_pickle

HISTORY_FILE = "history.pickle"


def cached_history(root: Path, paths: list[str], head: str | None,
                   read: Callable[[Path, list[str]], dict], year: int | None = None) -> dict:
    """``read(root, paths)`` (the last commit of each path), reused from the cache while HEAD
    is the same commit (``head``) and no path is asked for that the stored pass did not look
    for (a file's last commit is a function of HEAD and its path only). ``year``: one file
    per year's paths."""
    target = Path(root) / CACHE_DIR / (HISTORY_FILE if year is None else f"history-{year}.pickle")
    if head is not None:
        data = read_pickle(target)
        try:
            if data["head"] == head and data["asked"].issuperset(paths):
                found = data["found"]
                return {p: found[p] for p in paths if p in found}
        except (KeyError, TypeError, AttributeError):
            pass
    found = read(root, paths)
    if head is not None:
        write_pickle(target, {"head": head, "asked": frozenset(paths), "found": found})
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

    def last(self, root: Path, path: str) -> str | None:
        if path not in self.found or self.head is None:
            from qsgen.repo.commits import last_commit_of

            self.found[path] = last_commit_of(root, path)
            self.asked = True
        return self.found[path]

    def save(self) -> None:
        if self.asked and self.head is not None:
            write_pickle(self.target, {"head": self.head, "found": self.found})
            self.asked = False
