"""How a qsgen process runs: the cyclic garbage collector paused while loading and rendering, and
what a one-shot command keeps until it exits."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off while loading: loading builds trees and records but no
    reference cycles, and every full collection walks all the records loaded so far, which made
    loading 50,000 records ~2x slower than 5 x 10,000 (profiled; benchmarks/run.py)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# Set to a list by cli.one_shot() in a process that exits right after its command: what the
# command loaded is then kept here and the process ends with os._exit (cli.leave), instead of
# freeing ~10^6 objects one by one (~0.06 s of an incremental build at 10,000 records).
RETAINED: list | None = None


def keep_for_exit(*objects: Any) -> None:
    """In a one-shot process, keep ``objects`` alive until it exits (see RETAINED)."""
    if RETAINED is not None:
        RETAINED.append(objects)
