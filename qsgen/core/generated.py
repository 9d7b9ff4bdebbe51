"""The methods the dataclasses module writes for every dataclass, compiled once, not once a process.

For each dataclass, ``@dataclass`` writes the source of ``__init__``, ``__repr__``, ``__eq__``
(and for frozen ones ``__setattr__``, ``__delattr__``, ``__hash__``) and hands it to ``exec``:
~260 compilations of generated text when a build's modules are imported, ~8% of the
instructions of an incremental build after one change (~250 M of ~3,000 M at 10,000 records).
The same text always compiles to the same code, so that code is kept like a module's bytecode:
a marshal file in qsgen's bytecode cache (``__pycache__`` or PYTHONPYCACHEPREFIX, nothing when
Python writes no bytecode), keyed by the text itself and the interpreter's magic number. A text
not found there is compiled as ``exec`` would compile it (no inherited flags: dataclasses.py has
no ``__future__`` imports) and added when the process ends (save: at exit, and by the
command line's leave before its os._exit). Only the dataclasses module's
``exec`` is replaced; what it is given and what it runs are unchanged.
"""

from __future__ import annotations

import atexit
import builtins
import dataclasses
import importlib.util
import marshal
import os
import sys
from typing import Any

_MAGIC = importlib.util.MAGIC_NUMBER
_codes: dict[str, Any] = {}  # generated text -> its code
_added: list[str] = []  # texts compiled by this process, not yet saved
_used: set[str] = set()  # texts this process ran
_MOST = 4000  # more texts than that kept (tests make dataclasses of their own): only the used
_path: str | None = None  # the marshal file (None: not installed, or no bytecode written)


def _exec(source: Any, globals: Any = None, locals: Any = None) -> None:  # noqa: A002
    """``exec`` for the dataclasses module: a text's code from the cache (compiled on a miss)."""
    if type(source) is str:
        _used.add(source)
        code = _codes.get(source)
        if code is None:
            code = _codes[source] = compile(source, "<string>", "exec", dont_inherit=True)
            _added.append(source)
        source = code
    builtins.exec(source, globals, locals)


def install() -> None:
    """Give the dataclasses module the cached ``exec``; read what earlier processes compiled."""
    global _path
    if getattr(dataclasses, "exec", None) is _exec:
        return
    if not sys.dont_write_bytecode:
        _path = importlib.util.cache_from_source(__file__)[:-len(".pyc")] + ".methods"
        try:
            with open(_path, "rb") as f:
                data = f.read()
            if data[:len(_MAGIC)] == _MAGIC:
                codes = marshal.loads(data[len(_MAGIC):])
                if type(codes) is dict:
                    _codes.update(codes)
        except (OSError, ValueError, EOFError, TypeError):
            pass  # none yet, or unreadable: compiled again and rewritten
    dataclasses.exec = _exec  # type: ignore[attr-defined]
    atexit.register(save)


def save() -> None:
    """Write the cache when this process compiled something new (atomically: processes that
    end at the same time each write a whole file; the last one's is kept)."""
    if not _added or _path is None:
        return
    _added.clear()
    codes = _codes if len(_codes) <= _MOST else {t: c for t, c in _codes.items() if t in _used}
    tmp = f"{_path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(_path), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(_MAGIC + marshal.dumps(codes))
        os.replace(tmp, _path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
