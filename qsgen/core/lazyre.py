"""Regular expressions compiled on first use, not when their module is imported.

``re.compile`` parses and compiles a pattern in Python (~50-350 µs each for the patterns of
qsgen's modules, more under load); a module-level pattern is paid by every process that imports
its module, also when it never runs: an incremental build after one change imports the record
readers, the privacy scan, the YAML error explanations and the page code but uses few of their
patterns. ``compile`` gives an object that compiles on the first access to anything but
``pattern`` and from then on holds the compiled pattern's methods as its own attributes (an
instance attribute: as quick to call as the compiled pattern's own). Only for patterns used
through their methods (``search``, ``sub``, …): it is not a ``re.Pattern`` (never pass it to
``re.sub`` and the like, or to isinstance).
"""

from __future__ import annotations

import re
from typing import Any

_FORWARDED = ("match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer", "scanner",
              "flags", "groups", "groupindex")


class LazyPattern:
    """A pattern and its flags, compiled when first used (see the module's docstring)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags

    def __getattr__(self, name: str) -> Any:  # (only for what is not yet an attribute)
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self._flags)
        for attr in _FORWARDED:
            setattr(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazyre.compile({self.pattern!r}, {self._flags!r})"


def compile(pattern: str, flags: int = 0) -> Any:  # noqa: A001 - the name of what it stands for
    """``re.compile(pattern, flags)`` when first used (typed as Any: used as a re.Pattern)."""
    return LazyPattern(pattern, flags)
