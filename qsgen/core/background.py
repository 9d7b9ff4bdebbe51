"""Calls run in turn on one thread of their own (file writes: system calls, without the interpreter lock) while the caller goes on."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any


class Background:
    """Calls handed over by ``run`` are made one after another, in order, on one thread (started
    with the first); ``wait`` waits for them all and gives their results in order, raising the
    first exception one of them raised (the calls after it are still made). At the end of a
    clean build, when only the main process works and the other core is idle, the kernel
    creating and writing files (~50-100 µs a file) is done there while this thread makes the
    next file's bytes."""

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue = queue.SimpleQueue()
        self._results: list[Any] = []
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._count = 0
        self._made = threading.Condition()
        self._errors: dict[int, BaseException] = {}  # (by the index of the call that raised it)

    def run(self, call: Callable[..., Any], *args: Any) -> None:
        """``call(*args)`` made on the thread, after the calls handed over before it."""
        if self._thread is None:  # (one that cannot be started raises RuntimeError: nothing handed over)
            thread = threading.Thread(target=self._loop, daemon=True, name="qsgen-background")
            thread.start()
            self._thread = thread
        self._count += 1
        self._calls.put((call, args))

    def later(self, call: Callable[..., Any], *args: Any) -> Callable[[], Any]:
        """``call(*args)`` made on the thread (as ``run``); the function returned waits for it
        and gives its result (or raises what it raised), before ``wait``."""
        at = self._count
        self.run(call, *args)

        def result() -> Any:
            with self._made:
                self._made.wait_for(lambda: len(self._results) > at)
                if at in self._errors:
                    raise self._errors[at]
                return self._results[at]

        return result

    def _loop(self) -> None:
        while True:
            item = self._calls.get()
            if item is None:
                return
            call, args = item
            try:
                got, error = call(*args), None
            except BaseException as e:  # (said by wait)
                got, error = None, e
            with self._made:
                if error is not None:
                    self._errors[len(self._results)] = error
                    if self._error is None:
                        self._error = error
                self._results.append(got)
                self._made.notify_all()

    def wait(self) -> list[Any]:
        """The results of every call handed over, in order, once they are all made; the first
        exception one of them raised is raised here instead. The thread ends; ``run`` starts
        another."""
        if self._thread is not None:
            self._calls.put(None)
            self._thread.join()
            self._thread = None
        results, self._results, self._count = self._results, [], 0
        error, self._error, self._errors = self._error, None, {}
        if error is not None:
            raise error
        return results

    def __len__(self) -> int:
        """How many calls were handed over since the last wait."""
        return self._count
