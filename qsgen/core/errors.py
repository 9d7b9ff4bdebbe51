"""Diagnostics with their source location, collected per run, and the typed exception."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qsgen.core import lazyre

# A line that a CI runner would take as a command: GitHub's ::command and ##[command], Azure's ##vso[
_RUNNER_COMMAND = lazyre.compile(r"^(\s*)(::|##\[|##vso\[)", re.MULTILINE)


def inert_lines(text: str) -> str:
    """``text`` with a backslash before what would start a CI runner command at the start of a
    line, and carriage returns written as \\r."""
    return _RUNNER_COMMAND.sub(lambda m: m.group(1) + "\\" + m.group(2), text.replace("\r", "\\r"))


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in one file. Sorted by path, line, col."""

    path: str  # repository-relative POSIX path
    line: int
    col: int
    message: str  # Chinese, plain words
    hint: str = ""  # how to fix it, Chinese
    severity: str = "error"  # "error" | "warning"
    code: str = ""  # what kind of problem, where a command treats one kind apart ("privacy")

    def format_text(self) -> str:
        """``path:line:col: message`` and the hint below it. User text (a key, a value, a file
        name) may hold line breaks: no line of the result ever starts with what a CI runner
        reads as a command (``::error …``, ``##[…]``, ``##vso[…]``), and a carriage return
        never rewrites a line."""
        text = f"{self.path}:{self.line}:{self.col}: {self.message}"
        if self.severity == "warning":
            text = f"{self.path}:{self.line}:{self.col}: 警告：{self.message}"
        if self.hint:
            text += f"\n    提示：{self.hint}"
        return inert_lines(text)

    def to_json(self) -> dict:
        out = {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }
        if self.code:
            out["code"] = self.code
        return out


class Diagnostics:
    """A collector: every stage appends here instead of stopping at the first problem."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, path: str, line: int, col: int, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(path, max(1, line), max(1, col), message, hint))

    def warning(self, path: str, line: int, col: int, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(path, max(1, line), max(1, col), message, hint, "warning"))

    def extend(self, other: Diagnostics | list[Diagnostic]) -> None:
        self.items.extend(other.items if isinstance(other, Diagnostics) else other)

    @property
    def errors(self) -> list[Diagnostic]:
        return sorted(d for d in self.items if d.severity == "error")

    @property
    def warnings(self) -> list[Diagnostic]:
        return sorted(d for d in self.items if d.severity == "warning")

    def sorted(self) -> list[Diagnostic]:
        return sorted(set(self.items))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_errors(self, what: str) -> None:
        if self.errors:
            raise QsgenError(what, self.sorted())


class QsgenError(Exception):
    """Raised by a stage whose input has errors; carries every diagnostic of the run."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None, *,
                 site_changed: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = diagnostics or []
        # True when the published site was partly changed before the failure (the message then
        # says what was replaced); False: the previous site is exactly as it was
        self.site_changed = site_changed
