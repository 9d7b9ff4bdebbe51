"""Unit folders whose every file has been read, handed on (read_many's ``on_folder``) while the other folders are still being read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class FolderWatch:
    """The walk's files by unit folder (the walk lists a folder's files together), and which
    folders are whole: every file listed (the walk has gone on to another folder, or ended)
    and every file's result in ``out`` (index in the walk -> FileResult, filled by whoever
    reads it). ``ready()`` hands each whole folder once to ``on_folder(folder, results)``,
    in this thread."""

    def __init__(self, on_folder: Callable[[Any, list], None], out: dict[int, Any]) -> None:
        self.on_folder = on_folder
        self.out = out
        self.spans: list[list[Any]] = []  # [folder, first index, end index or None while listed]
        self.listed = 0  # files noted so far
        self.waiting: list[list[Any]] = []  # listed whole, results not all in yet

    def note(self, listed: list) -> None:
        """Take the files the walk has added to ``listed`` since the last call."""
        spans = self.spans
        for i in range(self.listed, len(listed)):
            folder = listed[i][0]
            if not spans or spans[-1][0] is not folder:
                if spans:
                    spans[-1][2] = i
                    self.waiting.append(spans[-1])
                spans.append([folder, i, None])
        self.listed = len(listed)

    def walked(self) -> None:
        """The walk has ended: its last folder is listed whole."""
        if self.spans and self.spans[-1][2] is None:
            self.spans[-1][2] = self.listed
            self.waiting.append(self.spans[-1])

    def ready(self) -> None:
        """Hand on every folder listed whole whose results are all in."""
        out, still = self.out, []
        for span in self.waiting:
            folder, first, end = span
            if all(i in out for i in range(first, end)):
                self.on_folder(folder, [out[i] for i in range(first, end)])
            else:
                still.append(span)
        self.waiting = still
