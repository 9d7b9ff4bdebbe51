"""Pages rendered in bulk: by worker processes (forks or fresh interpreters, fed chunks of records) from ~1,000 pages.

The incremental layer (CachedPages.begin) hands the pages that changed to render_pages; the
workers render them with the same site code and write them into the new site (``stream_dir``)
as they go.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qsgen.build.folders import FolderWatch
from qsgen.build.spawn import (  # the workers' processes (re-exported: prestart, release, …)
    _PRESTARTED,
    PARALLEL_MIN,
    _reap,
    _start_worker,
    default_jobs,  # noqa: F401
    prestart,  # noqa: F401
)
from qsgen.build.spawn import release as _release
from qsgen.core.model import packed_record, unpacked_record
from qsgen.incremental.cache import record_digest

if TYPE_CHECKING:  # (the site is imported when pages are rendered, not to read records)
    from qsgen.site import Site


def render_pages(s: Site, work: list, jobs: int, stream_dir: str | None = None,
                 later: bool = False, parts: dict | None = None) -> Any:
    """Pages of ``work`` (("unit", UnitScore) or ("record", Record)) in order, each with its
    search row (None for a unit page); with ``jobs`` > 1 the record pages are rendered by
    ``jobs`` worker processes while this one feeds them.

    ``later``: when workers render, return at once a function ``finish(abort=False, each=None)``
    that waits for them and gives the pages (with ``abort``: stops them and gives None), so that
    this process does its other work (the year's other pages, exports, paperwork) meanwhile
    instead of waiting; the unit pages of ``work`` are rendered before it returns. While it
    waits, ``each(name, pages)`` is called in its thread for each unit of ``parts`` whose
    pages (``pages``: [(bytes, search row)] in the unit's order) have all come back, as they
    come: what is to be done with a unit's pages is done then, while the workers render the
    others, not after the last one (when this process works alone).

    ``parts``: {"nb": the number of gram files, "units": {part name: the indices in ``work``
    of every record of a unit, in the unit's order}, "made": {}}. When workers render, each of
    those units is taken by one worker (in chunks of up to CHUNK pages: it holds no more of
    it at a time than of other work), which makes the unit's part of the search index from
    its rows with the last chunk (search_part: its row files written like the pages); "made"
    gets {part name: search_part's result} for each. Otherwise (and for a unit a chunk of
    which failed) nothing is added: the builder makes the part from the rows, in this process.

    A worker started here is a fresh interpreter (``python -c``, see _start_worker), not a fork
    of this process as it is now: a forked worker shares the parent's heap only until it is
    written, and rendering writes nearly all of it (every object a page reads has its reference
    count changed, every new object lands in a hole left by loading; whichever process writes,
    the page is then held twice), so a fork cost about as much memory again as the parent held
    (~260 MB at 50,000 records). Those started ahead (prestart) are forked before any record
    is loaded, when there is little to copy. A worker gets what record pages are rendered from (the rules, the inputs, the record
    paths, then the records themselves in chunks of up to CHUNK with their score lines and git
    provenance) and holds one chunk at a time. Unit pages link to every record: they are
    rendered here, while the workers start. Chunks are handed out on demand, so the split
    balances itself.

    This process renders no record page itself while a worker is running (only what no
    worker could: none started, or one failed): its heap grows with the corpus and a page
    rendered here costs more the bigger it is (at 50,000 records the render phase took 6x the
    time of 10,000 with this process rendering half of the pages, about 5x with two workers
    and this one feeding them), and its feeding threads would wait for the interpreter lock
    behind its own rendering.
    """
    import sys

    from qsgen.build.rendering import Sent, render_out
    from qsgen.site.urls import RecordIds

    n_records = sum(1 for kind, _obj in work if kind == "record")
    if jobs <= 1 or len(work) < PARALLEL_MIN or not n_records or not sys.executable:
        made = [render_out(s, w, stream_dir) for w in work]
        return (lambda abort=False, each=None: None if abort else made) if later else made
    import collections
    import queue
    import threading

    out: list[Any] = [None] * len(work)
    units = [i for i, (kind, _obj) in enumerate(work) if kind != "record"]
    # Jobs, each a list of chunks one worker takes in turn: a unit whose search part the worker
    # makes (its rows gathered chunk by chunk, the part made with the last), or one chunk.
    jobs_left: collections.deque = collections.deque()
    todo = [i for i, (kind, _obj) in enumerate(work) if kind == "record"]
    whole = (parts or {}).get("units") or {}
    unit_of: dict[int, tuple[str, int, bool]] = {}  # first index of a chunk -> (part, nb, last)
    if whole:
        # the largest units first (the workers then end at about the same time)
        for name, idx in sorted(whole.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            pieces = [list(idx[at:at + CHUNK]) for at in range(0, len(idx), CHUNK)]
            for k, piece in enumerate(pieces):
                unit_of[piece[0]] = (name, parts["nb"], k == len(pieces) - 1)
            if pieces:
                jobs_left.append(pieces)
        taken = {i for idx in whole.values() for i in idx}
        todo = [i for i in todo if i not in taken]
    size = min(CHUNK, -(-max(len(todo), 1) // (4 * jobs)))  # small sites: still a few chunks each
    for at in range(0, len(todo), size):
        jobs_left.append([todo[at:at + size]])
    failed: list[list[int]] = []
    stop = threading.Event()
    lock = threading.Lock()
    held: list[collections.deque] = []  # each worker's chunks of the job it has
    # the units of ``whole`` whose last chunk came back, as they come; None: a feeder ended
    done: queue.SimpleQueue = queue.SimpleQueue()

    def taker() -> Any:
        mine: collections.deque = collections.deque()
        held.append(mine)

        def take() -> list[int] | None:
            with lock:
                if stop.is_set():
                    return None
                if not mine:
                    if not jobs_left:
                        return None
                    mine.extend(jobs_left.popleft())
                return mine.popleft()

        return take

    state = {"rules": s.rules, "record_paths": RecordIds.of(s.record_paths), "stream_dir": stream_dir,
             "shells": s.shells.store,
             "years": s.years, "as_of": s.results.as_of,
             "inputs": dataclasses.replace(s.inputs, history={},
                                           attachments=dict.fromkeys(s.inputs.attachments, b""),
                                           pdf=None)}  # (record pages link no PDF; the engine stays here)
    history = s.inputs.history

    def payload(chunk: list[int]) -> tuple:
        recs = [work[i][1] for i in chunk]
        return ([packed_record(r) for r in recs], {r.id: u for r in recs if (u := s.uses.get(r.id)) is not None},
                {r.path: history[r.path] for r in recs if r.path in history}, unit_of.get(chunk[0]))

    def receive(chunk: list[int], data: Any) -> None:
        part = None
        unit = unit_of.get(chunk[0])
        if unit is not None and unit[2]:  # a unit's last chunk: its pages and its part (or None)
            data, part = data if isinstance(data, tuple) and len(data) == 2 else (None, None)
        if not isinstance(data, Sent) or len(data) != len(chunk):
            failed.append(chunk)
            return
        data = data.unpacked()
        for i, page in zip(chunk, data, strict=True):
            out[i] = page
        if part is not None:
            parts["made"][unit[0]] = part
        if unit is not None and unit[2]:
            done.put(unit[0])

    def feed(proc: Any, conn: Any, take: Any) -> None:
        """Hand chunks to one worker (see _pipeline); what it could not render is left in
        ``failed`` (this process renders it after, so that errors surface here)."""
        try:
            conn.send(state)
            _pipeline(conn, proc, take, payload, receive, failed)
        except Exception:  # the worker died before it had a chunk
            pass
        finally:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
            conn.close()
            _reap(proc)
            done.put(None)

    feeders = []

    def stop_all() -> None:
        stop.set()
        for th in feeders:
            th.join()

    try:
        for _ in range(jobs):
            try:
                proc, conn = _PRESTARTED.pop() if _PRESTARTED else _start_worker()
            except OSError:
                break  # no worker: this process renders everything
            th = threading.Thread(target=feed, args=(proc, conn, taker()), daemon=True)
            th.start()
            feeders.append(th)
        for i in units:
            out[i] = render_out(s, work[i], stream_dir)
    except BaseException:
        stop_all()
        raise

    def finish(abort: bool = False, each: Any = None) -> list[tuple[bytes, Any]] | None:
        if abort:
            stop.set()  # (each worker ends after the chunk it has)
        try:
            if each is not None and not abort:
                ended = 0
                while ended < len(feeders):
                    name = done.get()
                    if name is None:
                        ended += 1
                        continue
                    pages = [out[i] for i in whole[name]]
                    if None not in pages:  # (a chunk of it failed: rendered below, not handed on)
                        each(name, pages)
            for th in feeders:
                th.join()
        finally:
            stop_all()
        if abort:
            return None
        # what no worker rendered (none started, or they failed): rendered here, errors surface
        for chunk in [*(c for job in jobs_left for c in job), *(c for mine in held for c in mine), *failed]:
            for i in chunk:
                out[i] = render_out(s, work[i], stream_dir)
        return out

    return finish if later else finish()


CHUNK = 200  # record pages handed to a worker at a time (two in flight: see _pipeline)
PARSE_MIN = 1000  # fewer files to read than this are read here
PARSE_CHUNK = 200  # files handed to a worker (or read here) at a time


def _pipeline(conn: Any, proc: Any, take: Any, message: Any, receive: Any, failed: list) -> None:
    """Hand a worker the chunks ``take()`` gives (``message(chunk)`` is what is sent) with up
    to two in flight, so that the worker finds its next chunk waiting when it sends a result
    instead of waiting for this process to take the result and send another (a quarter of a
    worker's time, measured, when one was handed at a time); ``receive(chunk, data)`` takes
    each result, in order. Chunks are sent by a thread of their own: the worker blocked
    sending a large result and this one blocked sending a chunk never wait for each other.
    Chunks sent but not received (the worker died, or one could not be sent: the worker is
    then ended, it may hold part of a message) go to ``failed``."""
    import queue
    import threading

    sent: queue.Queue = queue.Queue()
    room = threading.Semaphore(2)
    over = threading.Event()

    def sender() -> None:
        try:
            while True:
                room.acquire()
                if over.is_set() or (chunk := take()) is None:
                    break
                sent.put(chunk)
                conn.send(message(chunk))
        except Exception:
            over.set()
            proc.kill()
        finally:
            sent.put(None)

    th = threading.Thread(target=sender, daemon=True)
    th.start()
    chunk = None
    try:
        while (chunk := sent.get()) is not None:
            data = conn.recv()
            room.release()
            receive(chunk, data)
        chunk = None
    except Exception:
        over.set()
        proc.kill()  # (a sender blocked on a worker that no longer reads gets an error)
        if chunk is not None:
            failed.append(chunk)
        room.release()  # a sender waiting for room goes on to see ``over``
        while (rest := sent.get()) is not None:
            failed.append(rest)
    finally:
        th.join()


def read_many(ctx: Any, files: Iterable, digests: Any = None, on_folder: Any = None, meanwhile: Any = None) -> list:
    """records.read_record_file for each of ``files`` ((folder, entry, path, assessment), the
    walk's order), read by this process and the workers started ahead (prestart) at once:
    each takes chunks (up to PARSE_CHUNK files of one folder) as it is free. A worker's
    results come back with their records packed (packed_record); a chunk a worker could not
    read is read here, so that its errors surface here. The workers stay for rendering.

    ``files`` may be an iterator, the walk itself: a chunk is handed out as soon as the walk
    has found its files, so that the workers read while this process walks the other folders
    (then it reads chunks too).

    ``digests``: the build's cache.DigestMemo, given each record's digest (record_digest) as
    it is read, by whichever process reads it (not after every record is in, in this one).

    ``on_folder(folder, results)``: called in this thread for each unit folder whose every
    file has been read while the workers still read others (folders.FolderWatch), instead of
    this process reading another chunk (a clean build scores a unit there); those not whole
    by then are not handed on. It must not raise.

    ``meanwhile()``: called once in this thread, as soon as the walk has handed out every
    chunk (else before this process reads), for work of this process that would otherwise
    keep the workers waiting later (a clean build imports the site's code there).

    This process reads a chunk only while more are left than the workers hold: with its own
    work besides, it is not to be the one whose last chunk everyone waits for."""
    import collections
    import itertools
    import threading

    from qsgen.records import read_record_file

    known = digests.by_id if digests is not None else {}

    def read_here(f: tuple) -> Any:
        r = read_record_file(ctx, *f)
        if digests is not None:
            for rec in r.records:
                known[id(rec)] = (rec, record_digest(rec))
        return r

    files = iter(files)
    # With workers started ahead (a build that counted enough files for them) the first chunk
    # goes out as soon as the walk has found it: waiting for PARSE_MIN files first kept both
    # workers idle while this process alone walked ~800 more files.
    first = PARSE_CHUNK if _PRESTARTED else PARSE_MIN
    listed = list(itertools.islice(files, first))
    if len(listed) < first or not _PRESTARTED:
        if meanwhile is not None:
            meanwhile()
        return [read_here(f) for f in itertools.chain(listed, files)]
    out: dict[int, Any] = {}
    chunks: collections.deque = collections.deque()
    more = threading.Condition()
    walking = [True]
    failed: list[int] = []

    def take() -> int | None:
        with more:
            while not chunks and walking[0]:
                more.wait()
            return chunks.popleft() if chunks else None

    def message(at: int) -> tuple:
        return ("files", [(f, e.path, e.name, e.is_symlink(), p, a) for f, e, p, a in listed[at:ends[at]]])

    def receive(at: int, got: Any) -> None:
        if not isinstance(got, list) or len(got) != ends[at] - at:
            failed.append(at)
            return
        for i, (recs, diags, bad, assessment, cases, sums) in enumerate(got):
            records = tuple(unpacked_record(t) for t in recs)
            if digests is not None:  # (before the result: a whole folder's digests are known)
                for rec, d in zip(records, sums, strict=True):
                    known[id(rec)] = (rec, d)
            out[at + i] = FileResult(records, diags, bad, assessment, cases)

    def feed(index: int, proc: Any, conn: Any) -> None:
        try:
            conn.send(("parse", ctx.root, ctx.rules))
            _pipeline(conn, proc, take, message, receive, failed)
            if _AHEAD and index:  # then, while this process scores, the worker takes the
                templates, folder = _AHEAD  # templates of a record page that the first compiled
                conn.send(("compile", templates, folder, RECORD_TEMPLATES))
        except Exception:  # the worker died before it had a chunk
            pass

    from qsgen.records.files import FileResult

    def hand_out(upto: int) -> None:
        # A chunk holds one unit folder's files (up to PARSE_CHUNK of them): a folder is whole
        # as soon as its own chunks are read, so the folders read last (see _last_small) are
        # the small ones, and their scoring, after the reading, is short.
        with more:
            for at, end in _folder_chunks(listed, handed[0], upto, walking[0]):
                ends[at] = end
                chunks.append(at)
                handed[0] = end
            more.notify_all()

    handed = [0]
    ends: dict[int, int] = {}  # a chunk's first file -> the one after its last
    watch = None if on_folder is None else FolderWatch(on_folder, out)
    hand_out(len(listed))
    feeders = [threading.Thread(target=feed, args=(i, proc, conn), daemon=True)
               for i, (proc, conn) in enumerate(_PRESTARTED)]
    for th in feeders:
        th.start()
    def take_here() -> int | None:
        # (only while the workers have more left than they hold: this process, which has its
        # own work besides, is not the one whose last chunk everyone waits for)
        with more:
            return chunks.popleft() if len(chunks) > 2 * len(feeders) else None

    try:
        try:
            for f in files:  # (the walk goes on here)
                listed.append(f)
                if len(listed) - handed[0] >= PARSE_CHUNK:
                    hand_out(len(listed))
        finally:
            with more:
                walking[0] = False
            hand_out(len(listed))
        if watch is not None:
            with more:  # the chunks left, the largest folders' first (see _last_small)
                rest = _last_small(list(chunks), listed)
                chunks.clear()
                chunks.extend(rest)
        if meanwhile is not None:  # (every chunk is out: the workers read on)
            meanwhile()
        if watch is not None:
            watch.note(listed)
            watch.walked()
        while True:
            if watch is not None:
                watch.ready()  # (a whole folder first: the workers read meanwhile)
            if (at := take_here()) is None:
                break
            for i, f in enumerate(listed[at:ends[at]]):
                out[at + i] = read_here(f)
        for th in feeders:
            while th.is_alive():  # the workers' last chunks: each folder as it is whole
                if watch is not None:
                    watch.ready()
                th.join(0.005)
        while (at := take()) is not None:  # (left by workers that ended early)
            for i, f in enumerate(listed[at:ends[at]]):
                out[at + i] = read_here(f)
    finally:
        with more:
            walking[0] = False
            chunks.clear()
            more.notify_all()
        for th in feeders:
            th.join()
    for at in failed:
        for i, f in enumerate(listed[at:ends[at]]):
            out[at + i] = read_here(f)
    return [out[i] for i in range(len(listed))]


def _folder_chunks(listed: list, at: int, upto: int, walking: bool) -> list[tuple[int, int]]:
    """The chunks (first, end) of ``listed[at:upto]`` (the walk's files: (folder, …), a
    folder's files together): each of one folder, at most PARSE_CHUNK files. While the walk
    goes on (``walking``) a last piece shorter than that is left for later: its folder may
    have more files."""
    out = []
    while at < upto:
        end = min(at + PARSE_CHUNK, upto)
        folder = listed[at][0]
        if listed[end - 1][0] is not folder:
            end = next(j for j in range(at + 1, end) if listed[j][0] is not folder)
        elif end - at < PARSE_CHUNK and walking:
            break
        out.append((at, end))
        at = end
    return out


def _last_small(chunks: list[int], listed: list) -> list[int]:
    """``chunks`` (the first file of each, in the walk's ``listed``) in the order of their
    folders' sizes, largest first (in the walk's order within a folder and among equals): the
    folders whole last, whose handing on (read_many's on_folder: a unit scored) is left for
    after the reading, are then small ones."""
    import collections

    size = collections.Counter(id(f[0]) for f in listed)
    return sorted(chunks, key=lambda at: -size[id(listed[at][0])])


# (the repository's templates folder or None, compiled templates folder or None): set when
# the first worker started ahead compiles the site's templates (compile_first); the others
# take a record page's after they have read their records.
_AHEAD: list[Any] = []
RECORD_TEMPLATES = ("base.html", "record.html", "approval.html")  # what a worker renders with


def release() -> None:
    """spawn.release(), and what the workers were to compile is forgotten."""
    _AHEAD.clear()
    _release()


def compile_first(templates: Path | None, folder: str | None) -> None:
    """Have the first worker started ahead compile every template of the site now
    (``templates``: the repository's own site_templates/, None for qsgen's; ``folder``:
    the build's compiled templates, where this process and the other workers find them), before
    it reads records: this process is loading the rules and walking the folders then, with the
    other core idle. (They were compiled after the reading, each worker its share and both the
    record page's, while the workers waited for the scores: ~0.08 s of each worker there.)"""
    if not _PRESTARTED:
        return
    try:
        where = None if templates is None else os.fspath(templates)
        _PRESTARTED[0][1].send(("compile", where, folder, None))
    except (OSError, ValueError):
        return  # (the worker is gone: read_many and render_pages do without it)
    _AHEAD[:] = [where, folder]
