"""A render worker's second part: record pages (and a unit's part of the search index) rendered from what the build sends, written into the new site as they are made."""

from __future__ import annotations

from typing import Any

from qsgen.core.model import unpacked_record
from qsgen.publish.writer import Folders, Written, path_problem, stream_file, stream_page
from qsgen.site import Site, packedrows, page_and_row, search
from qsgen.site.pages import search as search_page
from qsgen.site.pages import unit as unit_page
from qsgen.site.urls import record_file, unit_file


def render_out(s: Site, item: tuple[str, Any], stream_dir: str | None,
               folders: Folders | None = None) -> tuple[bytes, Any]:
    """One page of ``work`` (a unit page, or a record page with its search row, made at once
    from the body's text: the text is not kept, ~50 MB at 50,000 records), written into
    ``stream_dir`` at once when there is one (what stands for its bytes is returned);
    ``folders``: its folders, held open by a worker (what stands for a page it wrote is then
    its Written's fields, as Sent carries them)."""
    kind, obj = item
    if kind == "unit":
        data, row, path = unit_page.render(s, obj), None, s.folder + unit_file(obj.unit.slug)
    else:
        (data, row), path = page_and_row(s, obj), s.folder + record_file(obj.id)
    if stream_dir is not None:
        if folders is not None and path_problem(path) is None:
            data = folders.status(path, data)
        else:
            data = stream_page(stream_dir, path, data, folders)
    return data, row


def search_part(s: Site, name: str, rows: list, nb: int, stream_dir: str | None) -> tuple:
    """A unit's part of the search index made from its records' rows, as site.builder makes it:
    (meta, [(row file path, its bytes or what stands for them once written into
    ``stream_dir``, the digest of its bytes)], gram sections, urls, their digests, its rows' runs)."""
    part = search_page.part(s, name, rows, nb)
    files = []
    for path, data in part.files.items():
        files.append((path, data if stream_dir is None else stream_file(stream_dir, path, [data]),
                      search.digest(data)))
    return part.meta, files, part.sections, part.urls, part.digests, part.runs


def render_loop(conn: Any, state: dict) -> None:
    """A worker process, once given what record pages are rendered from (``state``, see
    render_pages): renders the chunks of record pages it is sent over ``conn``; None for a
    chunk that failed (the parent renders it again and reports it)."""
    from qsgen.core.model import RecordSet, Results
    from qsgen.incremental.templates import use_compiled_templates

    rules = state["rules"]
    s = Site(Results(rules, RecordSet(rules.year, [], {}), [], state["as_of"]), state["inputs"], state["years"])
    use_compiled_templates(s)
    s.shells.store = state.get("shells")  # (the build's: the shells made here are kept for the next)
    s.record_paths = state["record_paths"]
    stream_dir = state["stream_dir"]
    folders = Folders.of(stream_dir)
    try:
        _loop(conn, s, stream_dir, folders)
    finally:
        if folders is not None:
            folders.close()
    conn.close()


def _loop(conn: Any, s: Site, stream_dir: str | None, folders: Folders | None) -> None:
    gathered: dict[str, list | None] = {}  # part name -> the rows of its unit so far
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break
        if msg is None:
            break
        packed, s.uses, s.inputs.history, unit = msg
        records = [unpacked_record(t) for t in packed]
        try:
            data: Any = [render_out(s, ("record", rec), stream_dir, folders) for rec in records]
        except BaseException:  # the parent renders this chunk itself and reports the error
            data = None
        if unit is not None:  # a chunk of a unit whose search part is made here, with its last
            name, nb, last = unit
            rows = gathered.setdefault(name, [])
            if data is None or rows is None:
                gathered[name] = None  # (a chunk failed: the parent makes the part)
            else:
                rows.extend(row for _page, row in data)
            if last:
                rows = gathered.pop(name)
                try:
                    part = None if rows is None or data is None else search_part(s, name, rows, nb, stream_dir)
                except BaseException:
                    part = None
                data = None if data is None else (_packed_rows(data), part)
                rows = None
        if isinstance(data, list):
            data = _packed_rows(data)
        conn.send(data)
        if unit is not None and unit[2]:
            _give_back()  # (a unit's rows and index gone: the memory they took, to the system)


def _packed_rows(data: list) -> Sent:
    """A chunk's (page, search row) as a worker sends it: its rows packed together
    (site/packedrows.py: the main process keeps them to the end of the build, to save them,
    and reads none of them), its pages as plain data (Sent: render_out gave the fields of
    each page it wrote; a Written, only from elsewhere, is taken apart the same way)."""
    return Sent([(p.size, p.crc, p.ino, p.mtime, p.ctime) if type(p) is Written else p for p, _row in data],
                packedrows.RowChunk.of([row for _page, row in data]))


class Sent:
    """A chunk's pages and search rows as a worker sends them: each page Written's fields (or
    its bytes), the rows in one RowChunk. Pickled, every Written and PackedRow of the chunk
    called its own __reduce__ (~1 µs a page of the worker's); the main process makes them
    from these (``unpacked``), as unpickling them did."""

    __slots__ = ("pages", "rows")

    def __init__(self, pages: list, rows: packedrows.RowChunk) -> None:
        self.pages, self.rows = pages, rows

    def __reduce__(self):
        return (Sent, (self.pages, self.rows))

    def __len__(self) -> int:
        return len(self.pages)

    def unpacked(self) -> list[tuple[bytes, packedrows.PackedRow]]:
        """[(page, row)]: what the worker rendered, its rows packed."""
        rows = self.rows
        return [(Written(*p) if type(p) is tuple else p, packedrows.PackedRow(rows, i)) for i, p in enumerate(self.pages)]


def _give_back() -> None:
    """Hand the C library's free memory back to the system (glibc's malloc_trim), so that what
    a large unit's search part took does not stay counted against this process to the end;
    only when it holds at least GIVE_BACK_MIN free. Memory given back is taken again at once
    by the next unit's pages, a page fault for every 4 KB: at 10,000 records each unit's
    trim gave back 2-7 MB, and taking it again cost each worker ~8,000 faults and ~0.1 s of
    system time (minor faults 19,800 -> 11,500, system time 0.40 -> 0.31 s a worker, measured
    without trimming). A worker then keeps less than GIVE_BACK_MIN free (10,000 records: the
    peak PSS of the build 133 -> 140 MB); at 50,000 records every unit's trim is still done
    (25-39 MB free each time), as before."""
    global _TRIM, _FREE
    if _TRIM is None:
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6")
            _TRIM = libc.malloc_trim
            _FREE = _free_bytes(ctypes, libc)
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM and (_FREE is None or _FREE() >= GIVE_BACK_MIN):
        _TRIM(0)


def _free_bytes(ctypes: Any, libc: Any) -> Any:
    """A function giving the bytes the C library holds free (glibc's mallinfo2().fordblks),
    or None where it cannot tell (glibc before 2.33: every trim is done)."""

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

    try:
        info = libc.mallinfo2
    except AttributeError:
        return None
    info.restype = MallInfo2
    return lambda: info().fordblks


# A trim (see _give_back) only when the C library holds this much free: less is what the next
# unit's pages take again at once.
GIVE_BACK_MIN = 16 << 20
_TRIM: Any = None
_FREE: Any = None
