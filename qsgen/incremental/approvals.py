"""Approvals of the last build (``.qsgen-cache/approvals.pickle``): git's verdict on each signed commit, by signers file, and the site's approval data, by HEAD and rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qsgen.incremental.cache import CACHE_DIR, read_pickle, write_pickle

APPROVALS_FILE = "approvals.pickle"


def _file(root: Path, year: int | None) -> Path:
    return Path(root) / CACHE_DIR / (APPROVALS_FILE if year is None else f"approvals-{year}.pickle")


def load(root: Path, year: int | None = None) -> dict[str, Any]:
    """What the last build kept: {"verdicts": {signers digest: {sha: verdict}}, "for_site": (key,
    data)}; empty when there is nothing (or nothing readable)."""
    data = read_pickle(_file(root, year))
    return data if isinstance(data, dict) else {}


def save(root: Path, data: dict[str, Any], year: int | None = None) -> None:
    """Keep ``data`` for the next build (a verdict is a function of the commit and the signers
    file only: immutable; the site data of the key it was made for)."""
    write_pickle(_file(root, year), data)
