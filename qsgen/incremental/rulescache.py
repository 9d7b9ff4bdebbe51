"""The rules as last loaded without errors, kept in ``.qsgen-cache/rules.pickle`` while rules/ and the loader are unchanged."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from qsgen.incremental.cache import CACHE_DIR, code_key, read_pickle, write_pickle

RULES_FILE = "rules.pickle"  # .qsgen-cache/rules.pickle: the last rules loaded without errors
_RULES_MODULES = ("rules", "core", "records/fields.py", "incremental/rulescache.py")


def load_rules_cached(root: Path, rules_digest: str, year: int | None = None) -> tuple[Any, list]:
    """rules.load_rules(root, year), taken from .qsgen-cache/ while the year's rules folder
    (``rules_digest``), the loader's code and the Python and PyYAML versions are what they
    were; only rules that loaded without errors are kept (one file per year)."""
    key = code_key(_RULES_MODULES, rules_digest, os.path.realpath(root), year)
    target = Path(root) / CACHE_DIR / (RULES_FILE if year is None else f"rules-{year}.pickle")
    data = read_pickle(target)
    if isinstance(data, dict) and data.get("key") == key and "rules" in data and "diags" in data:
        return data["rules"], data["diags"]
    from qsgen.rules import load_rules  # (on a miss: the kept rules are used without the loader)

    rules, diags = load_rules(root, year)
    if rules is not None and not any(d.severity == "error" for d in diags):
        write_pickle(target, {"key": key, "rules": rules, "diags": diags})
    return rules, diags
