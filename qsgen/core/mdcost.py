"""What a Markdown body would cost to render, estimated in one linear pass before rendering.

Measured on both Markdown paths (benchmarks/markdown_cost.py): a GFM table fills every row up
to the delimiter row's column count, so ``'|'+'a|'*N`` over ``'|'+'-|'*N`` and N short rows
makes N×N cells (N=1000: 6 KB of input, a 10 MB page); a reference definition is copied into
every use, so one long ``[x]: url`` and N×``[x]`` make N copies of the URL (32 KB → 32 MB);
and markdown-it.rs (the fast path) matches emphasis delimiters in time quadratic in their
number (16,000 ``*`` in one paragraph: 0.6 s, markdown-it-py 0.14 s). The records stage warns
about a body over these bounds (``qsgen check``) and the site shows such a body as escaped
plain text with a note instead of rendering it; bodies with many delimiters take the
markdown-it-py path, which is linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qsgen.core import lazyre

# A page may be this many characters of HTML per character of Markdown, and at least
# OUTPUT_FLOOR in all: an ordinary body makes 1–5 times its length (a table of short cells is
# the most: about 10 characters of HTML per cell), so a real record is far below either.
OUTPUT_RATIO = 20
OUTPUT_FLOOR = 1_000_000
# Characters of HTML an estimate counts per table cell (``<td style="text-align:center"></td>``
# is 35 with its newline) and per character of a reference definition copied into a use (a
# non-ASCII character of a URL is percent-encoded to 9).
CELL_CHARS = 36
COPY_CHARS = 9
# More emphasis delimiters (* _ ~) than this in one body: markdown-it-py instead of the
# markdown-it.rs fast path (2,000 pairs in one paragraph cost the fast path 0.03 s; real
# records have a few dozen).
FAST_DELIMITERS = 4_000

# Bodies longer than this are cut before parsing. A record is a page of narrative evidence;
# 200,000 characters is far beyond any real one and keeps rendering time bounded.
MAX_CHARS = 200_000



@dataclass(frozen=True)
class Cost:
    """The estimate for one body: ``reason`` is empty when it may be rendered."""

    output: int  # characters of HTML the body could make (an upper estimate)
    limit: int  # what it may make
    reason: str = ""  # "table" | "reference" when output > limit
    line: int = 0  # 0-based line of the body where the costly construction starts
    cells: int = 0  # table cells in the body

    @property
    def ok(self) -> bool:
        return not self.reason


def prepare(text: str) -> str:
    """A body as it is rendered: no BOM, ``\\n`` line ends, no NUL, at most MAX_CHARS."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:  # (one scan of a body without, instead of two)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\x00", "\ufffd")
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
    return text


def limit(length: int) -> int:
    """The most HTML a body of ``length`` characters may make."""
    return max(OUTPUT_FLOOR, OUTPUT_RATIO * length)


def estimate(text: str) -> Cost:
    """An upper estimate of the HTML ``text`` makes (ordinary text: about its length; each
    table cell, filled or not; each copy of a reference definition), in one pass."""
    n = len(text)
    cap = limit(n)
    out = 3 * n
    if "|" in text:
        cells, line = _table_cells(text)
        out += CELL_CHARS * cells
        if out > cap:
            return Cost(out, cap, "table", line, cells)
    if "]:" in text:
        copies, line = _reference_copies(text)
        out += COPY_CHARS * copies
        if out > cap:
            return Cost(out, cap, "reference", line)
    return Cost(out, cap)


def surely_ok(text: str) -> bool:
    """True when estimate(text) is surely ok, from three counts instead of its scan: every
    table has at most the body's "|" + 1 columns and all of them together at most twice its
    lines + 1 rows (each table's rows run over lines no other table's do; each has its own
    delimiter row); the longest reference definition is at most the body long and it may be
    copied once per "]"."""
    n = len(text)
    pipes = text.count("|")
    rows = 2 * text.count("\n") + 1 if pipes else 0
    bound = 3 * n + CELL_CHARS * (pipes + 1) * rows + COPY_CHARS * n * text.count("]")
    return bound <= limit(n)


def fast_ok(text: str) -> bool:
    """Whether markdown-it.rs may parse ``text`` in time linear in its length (emphasis)."""
    # (a body no longer than that cannot have more: not counted, three scans of every body)
    return len(text) <= FAST_DELIMITERS or text.count("*") + text.count("_") + text.count("~") <= FAST_DELIMITERS


def _table_cells(text: str) -> tuple[int, int]:
    """Cells of every GFM table (columns of its delimiter row × its rows; a table runs to the
    next blank line), counted generously: delimiter-like rows inside code count too; and the
    line of the largest table's header row. Linear: the patterns cannot backtrack, and each
    table is passed once."""
    total = biggest = where = 0
    pos = 0
    while (m := _DELIMITER_ROW.search(text, pos)) is not None:
        start = m.start()
        header_start = text.rfind("\n", 0, max(start - 1, 0)) + 1
        if start == 0 or "|" not in text[header_start:start]:
            pos = m.end() + 1
            continue
        blank = _BLANK_LINE.search(text, m.end())
        end = len(text) if blank is None else blank.start()
        rows = 1 + text.count("\n", m.end(), end)
        columns = m.group().strip().strip("|").count("|") + 1
        cells = columns * rows  # the header row and every body row
        total += cells
        if cells > biggest:
            biggest, where = cells, header_start
        pos = end + 1
    return total, text.count("\n", 0, where)


# A row of - : | and blanks with at least one -; possessive, so a long line is read once.
_DELIMITER_ROW = lazyre.compile(r"^[ \t|:]*+-[ \t|:-]*+$", re.M)
_BLANK_LINE = lazyre.compile(r"\n[ \t]*+(?:\n|$)")


def _reference_copies(text: str) -> tuple[int, int]:
    """Characters of reference definitions a renderer may copy: the longest definition's
    destination and title times the places that may use it (every ``]``); and the line of
    that definition. Linear: the label before each ``]:`` is looked for only back to the
    ``]`` before it (the stretches searched do not overlap), and each search for a closing
    character goes on from where the last one stopped."""
    longest = where = 0
    prev = 0
    after = _Next(text)
    k = text.find("]:")
    while k >= 0:
        if _LABEL_START.search(text, max(prev, k - 1000), k) is not None:
            size = _definition_end(text, k + 2, after) - k
            if size > longest:
                longest, where = size, text.count("\n", 0, k)
        prev = k + 1
        k = text.find("]:", k + 2)
    return longest * text.count("]"), where


_LABEL_START = lazyre.compile(r"(?:^|\n) {0,3}\[")
_SPACE = lazyre.compile(r"[ \t]*\n?[ \t]*")
_DESTINATION = lazyre.compile(r"<[^>\n]*>|\S*")
_CLOSERS = {'"': '"', "'": "'", "(": ")"}


class _Next:
    """The next place of a string in ``text`` at or after a position that only grows: each
    search starts where the previous one for that string stopped."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: dict[str, int] = {}

    def __call__(self, what: str, pos: int) -> int:
        at = self.found.get(what, -1)
        if at < pos:
            at = self.text.find(what, pos)
            at = len(self.text) if at < 0 else at
            self.found[what] = at
        return at


def _definition_end(text: str, pos: int, after: _Next) -> int:
    """Where a reference definition whose ``]:`` ends at ``pos`` ends: its destination and a
    title after it (which may run over lines, never over a blank line)."""
    pos = _DESTINATION.match(text, _SPACE.match(text, pos).end()).end()
    start = _SPACE.match(text, pos).end()
    closer = _CLOSERS.get(text[start:start + 1])
    if closer is None:
        return pos
    close = after(closer, start + 1)
    if close >= len(text) or after("\n\n", start) < close:
        return pos
    return close + 1
