"""Search rows kept packed: a chunk's rows in one compressed blob, each row a reference into it, read only when its fields are asked for.

A render worker sends its record pages' search rows to the build's main process, which keeps
them to the end of the build only to save them in the page store (the part of the search index
they belong to is made by the worker itself): about 1.1 KB a row, 55 MB at 50,000 records, the
largest thing that process held while the workers rendered. Packed (Zstandard, level 1), a
chunk of 200 rows takes about a third of that, and pickling the rows again (the page store)
copies the blob once instead of every row; unpickled, they stay packed until a row is read
(an incremental build reads only the rows of the units whose search part it makes again).
"""

from __future__ import annotations

import pickle
from typing import Any

from qsgen.site.search import Row, compressor, decompressor


class RowChunk:
    """Rows pickled together and compressed; unpacked once, the first time one is read."""

    __slots__ = ("blob", "rows")

    def __init__(self, blob: bytes) -> None:
        self.blob = blob
        self.rows: list[Row] | None = None

    @classmethod
    def of(cls, rows: list[Row]) -> RowChunk:
        # (a Row pickles without its runs)
        return cls(compressor().compress(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)))

    def row(self, i: int) -> Row:
        if self.rows is None:
            self.rows = pickle.loads(decompressor().decompress(self.blob))
        return self.rows[i]

    def __reduce__(self):
        return (RowChunk, (self.blob,))


class PackedRow(Row):
    """A Row that is the ``i``-th of a RowChunk: its fields are filled in from the chunk the
    first time one is asked for (until then it holds only the reference)."""

    __slots__ = ("_chunk", "_i")

    def __init__(self, chunk: RowChunk, i: int) -> None:  # noqa: D107  (Row's fields come later)
        object.__setattr__(self, "_chunk", chunk)
        object.__setattr__(self, "_i", i)

    def __getattr__(self, name: str) -> Any:
        if name not in _FIELDS:  # (_chunk and _i among others: not set yet)
            raise AttributeError(name)
        row = self._chunk.row(self._i)
        put = object.__setattr__
        put(self, "url", row.url)
        put(self, "kind", row.kind)
        put(self, "unit", row.unit)
        put(self, "head", row.head)
        put(self, "text", row.text)
        # (asked for its runs, it has none yet: else this is not called; asked for another
        # field, its runs may have been set before)
        if name == "runs" or not _has(self, "runs"):
            put(self, "runs", row.runs)
        return object.__getattribute__(self, name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return (self.url, self.kind, self.unit, self.head, self.text) == \
            (other.url, other.kind, other.unit, other.head, other.text)

    __hash__ = None  # type: ignore[assignment]  (as Row's)

    def __reduce__(self):
        return (PackedRow, (self._chunk, self._i))


_FIELDS = frozenset(Row.__slots__)  # (a field not set yet: __getattr__ fills them in)


def _has(obj: Any, name: str) -> bool:
    try:
        object.__getattribute__(obj, name)
    except AttributeError:
        return False
    return True


def packed(rows: list[Row]) -> list[Row]:
    """``rows`` as PackedRows of one RowChunk (what a worker sends instead of the rows)."""
    chunk = RowChunk.of(rows)
    return [PackedRow(chunk, i) for i in range(len(rows))]
