"""Git provenance of the last build (``.qsgen-cache/history.pickle``), reused while HEAD is the same commit."""

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
