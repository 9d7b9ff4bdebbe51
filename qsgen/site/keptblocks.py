"""What the block functions of a shell kept between builds (site/shells.py, made by site/fastblocks.py) run with: Fallback, and their globals without Jinja."""

from __future__ import annotations

import builtins
import sys
from typing import Any

from qsgen.site.templates import _escape


class Fallback(Exception):
    """A block reached what is rendered by Jinja only."""


def _jinja_only(*_args: Any) -> Any:
    """What a kept shell's block does where fastblocks would ask the environment (an attribute
    that is not a plain dict's key, an include): the page is rendered by Jinja."""
    raise Fallback("jinja")


class _AnyUndefinedType(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        jinja2 = sys.modules.get("jinja2")  # (without it, nothing is a jinja2.Undefined)
        return jinja2 is not None and isinstance(obj, jinja2.Undefined)


class _AnyUndefined(metaclass=_AnyUndefinedType):
    """isinstance(x, _AnyUndefined): whether x is a jinja2.Undefined, jinja2 not imported for it."""


def kept_namespace() -> dict[str, Any]:
    """The globals of a kept shell's block functions (those of fastblocks.compile_block's, with
    the environment's lookups left to Jinja)."""
    return {"__builtins__": builtins, "_E": _escape, "_GA": _jinja_only, "_Fallback": Fallback,
            "_include": _jinja_only, "_defined": _jinja_only, "_Undefined": _AnyUndefined}
