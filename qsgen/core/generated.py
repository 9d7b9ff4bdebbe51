"""The methods the dataclasses module writes for qsgen's dataclasses, compiled once, not once a process.

For each dataclass, ``@dataclass`` writes the source of ``__init__``, ``__repr__``, ``__eq__``
(and for frozen ones ``__setattr__``, ``__delattr__``, ``__hash__``) and hands it to ``exec``:
~260 compilations of generated text when a build's modules are imported, ~5% of the
instructions of an incremental build after one change at 10,000 records. The same text always
compiles to the same code, so that code is kept like the module's bytecode: for a qsgen module
that makes dataclasses, a marshal file beside its .pyc (``__pycache__/<module>.<tag>.methods``
or under PYTHONPYCACHEPREFIX; nothing when Python writes no bytecode), {text: code} with the
interpreter's magic number first, read when the module makes its first dataclass. A text not
found there is compiled as ``exec`` would compile it (no inherited flags: dataclasses.py has no
``__future__`` imports); when that happened, the module's file is rewritten with the texts it
used in this process (save: at exit, and by the command line's leave before its os._exit), so
it holds exactly what the module's current source makes. Only the dataclasses module's ``exec``
is replaced; what it is given and what it runs are unchanged.
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


class _Module:
    """One module's cached method code: its file, what was read, what this process used."""

    __slots__ = ("path", "codes", "used", "missed")

    def __init__(self, path: str | None, codes: dict[str, Any]) -> None:
        self.path = path
        self.codes = codes
        self.used: dict[str, Any] = {}
        self.missed = False


_modules: dict[str, _Module] = {}
_NONE = _Module(None, {})  # (modules outside qsgen: compiled as always)


def _module(scope: Any) -> _Module:
    name = scope.get("__name__") if isinstance(scope, dict) else None
    if not isinstance(name, str) or not (name == "qsgen" or name.startswith("qsgen.")):
        return _NONE
    found = _modules.get(name)
    if found is None:
        path = None
        codes: dict[str, Any] = {}
        source = scope.get("__file__")
        if isinstance(source, str) and source.endswith(".py") and not sys.dont_write_bytecode:
            path = importlib.util.cache_from_source(source)[:-len(".pyc")] + ".methods"
            try:
                with open(path, "rb") as f:
                    data = f.read()
                if data[:len(_MAGIC)] == _MAGIC:
                    loaded = marshal.loads(data[len(_MAGIC):])
                    if type(loaded) is dict:
                        codes = loaded
            except (OSError, ValueError, EOFError, TypeError):
                pass  # none yet, or unreadable: compiled again and rewritten
        found = _modules[name] = _Module(path, codes)
    return found


def _exec(source: Any, globals: Any = None, locals: Any = None) -> None:  # noqa: A002
    """``exec`` for the dataclasses module: a text's code from its module's cache (compiled on a miss)."""
    if type(source) is str:
        module = _module(globals)
        code = module.codes.get(source)
        if code is None:
            code = compile(source, "<string>", "exec", dont_inherit=True)
            if module is not _NONE:
                module.codes[source] = code
                module.missed = True
        if module is not _NONE:
            module.used[source] = code
        source = code
    builtins.exec(source, globals, locals)


def install() -> None:
    """Give the dataclasses module the cached ``exec``."""
    if getattr(dataclasses, "exec", None) is _exec:
        return
    dataclasses.exec = _exec  # type: ignore[attr-defined]
    atexit.register(save)


def save() -> None:
    """Rewrite the file of each module that compiled something new, with the texts it used
    (atomically: processes that end at the same time each write a whole file)."""
    for module in _modules.values():
        if not module.missed or module.path is None:
            continue
        module.missed = False
        tmp = f"{module.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(module.path), exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(_MAGIC + marshal.dumps(module.used))
            os.replace(tmp, module.path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
