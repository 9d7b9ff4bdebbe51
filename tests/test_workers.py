"""The render workers: started ahead for a clean build of many records and ended when not
taken; stopped, not left running, when the build fails while they render."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsgen import site
from qsgen.build import pipeline, render, spawn, workers
from qsgen.build.inputs import site_inputs
from qsgen.incremental.cache import DigestMemo, record_digest
from qsgen.records import load_records
from qsgen.rules import load_rules
from qsgen.site import builder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import gen_corpus  # noqa: E402


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "repo"
    gen_corpus.generate(60, root)
    # links between records (a worker resolves them without the site's dict of record paths)
    first, second, *_ = sorted((root / "records" / "2023").glob("*/*-*.md"))
    rel = f"../{second.parent.name}/{second.name}"
    first.write_text(first.read_text("utf-8") + f"\n见[另一条]({rel})、[又一条](<{rel}#note>)和[没有的](gone.md)。\n",
                     "utf-8")
    return root


def scored(repo: Path) -> tuple:
    """The corpus's results, its site's inputs and its site made in this process."""
    from qsgen.scoring.engine import score

    rules, _ = load_rules(repo)
    records, _ = load_records(repo, rules)
    results = score(rules, records)
    inputs = site_inputs(repo, results)
    return results, inputs, site.build_site(results, inputs)


def test_prestarted_workers_not_taken_are_ended():
    workers.prestart(2)
    procs = [proc for proc, _conn in workers._PRESTARTED]
    assert len(procs) == 2
    workers.release()
    assert workers._PRESTARTED == [] and all(p.poll() is not None for p in procs)


def test_only_a_repository_with_many_records_starts_workers_ahead(tmp_path):
    unit = tmp_path / "records" / "2023" / "longgang"
    unit.mkdir(parents=True)
    for i in range(9):
        (unit / f"evidence-{i}.md").write_text("---\n---\n", "utf-8")
    (unit / "files").mkdir()
    assert not pipeline._many_records(tmp_path, 10)
    (unit / "evidence-9.md").write_text("---\n---\n", "utf-8")
    assert pipeline._many_records(tmp_path, 10)
    assert not pipeline._many_records(tmp_path / "nothing", 1)


def test_other_files_are_made_while_workers_render_and_equal_the_plain_site(repo, monkeypatch):
    results, inputs, plain = scored(repo)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
    from qsgen.incremental import pagestore

    assert render.render_site(results, inputs, pagestore.PageStore(), jobs=2) == plain


def test_a_failure_while_workers_render_stops_them(repo, monkeypatch):
    from qsgen.incremental import pagestore
    results, inputs, _plain = scored(repo)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
    started = []
    real = workers._start_worker

    def spy():
        proc, conn = real()
        started.append(proc)
        return proc, conn

    monkeypatch.setattr(workers, "_start_worker", spy)

    def broken(*args):
        raise RuntimeError("paperwork failed")

    monkeypatch.setattr(builder, "_paperwork", broken)
    with pytest.raises(RuntimeError, match="paperwork failed"):
        render.render_site(results, inputs, pagestore.PageStore(), jobs=2)
    assert started and all(p.poll() is not None for p in started)


def test_records_read_by_workers_started_ahead_equal_those_read_here(repo, tmp_path, monkeypatch):
    import shutil

    from qsgen.records import read_record_file

    root = tmp_path / "repo"
    shutil.copytree(repo, root)
    unit = root / "records" / "2023" / "longgang"
    (unit / "evidence-bad.md").write_text("---\nkind: evidence\ntitle: 缺日期\n---\n正文\n", "utf-8")
    (unit / "evidence-phone.md").write_text(
        "---\nkind: evidence\ntitle: 电话\ndate: 2023-05-01\ntask: s01-1\n---\n联系 13812345678\n", "utf-8")
    rules, _ = load_rules(root)
    plain = load_records(root, rules)
    monkeypatch.setattr(workers, "PARSE_MIN", 10)
    monkeypatch.setattr(workers, "PARSE_CHUNK", 7)

    class Source:
        def __call__(self, *args):
            return read_record_file(*args)

        def many(self, ctx, files):  # (``files`` is the walk itself: read while it goes on)
            def counted():
                for f in files:
                    self.files += 1
                    yield f

            return workers.read_many(ctx, counted(), self.digests)

    source = Source()
    source.files = 0
    source.digests = DigestMemo()
    workers.prestart(2)
    try:
        parallel = load_records(root, rules, source)
    finally:
        workers.release()
    assert source.files > 60
    assert repr(parallel) == repr(plain)
    # each record's digest, worked out by the process that read it, is the one made from it here
    recs = parallel[0].records
    assert {id(r): (r, record_digest(r)) for r in recs} == source.digests.by_id
    assert any("缺少必填字段" in d.message for d in parallel[1])


def test_a_worker_that_dies_leaves_its_pages_to_this_process(repo, monkeypatch):
    from qsgen.incremental import pagestore
    results, inputs, plain = scored(repo)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
    monkeypatch.setattr(workers, "CHUNK", 5)
    real = workers._start_worker
    started = []

    def dying():
        proc, conn = real()
        if not started:
            proc.kill()  # the first worker is gone before it gets anything
        started.append(proc)
        return proc, conn

    monkeypatch.setattr(workers, "_start_worker", dying)
    assert render.render_site(results, inputs, pagestore.PageStore(), jobs=2) == plain
    assert len(started) == 2 and all(p.poll() is not None for p in started)


@pytest.mark.parametrize("chunk", [200, 3])  # (a unit in one chunk, or in several)
def test_the_workers_make_the_search_parts_of_the_units_they_render_whole(repo, monkeypatch, chunk):
    from qsgen.incremental import pagestore
    from qsgen.site.pages import search as search_page

    results, inputs, plain = scored(repo)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)

    def not_here(*args):
        raise AssertionError("a unit's search part was made in this process")

    monkeypatch.setattr(search_page, "part", not_here)  # (the workers are other processes)
    monkeypatch.setattr(workers, "CHUNK", chunk)
    assert render.render_site(results, inputs, pagestore.PageStore(), jobs=2) == plain


def test_workers_started_ahead_compile_the_templates_for_the_build(repo, tmp_path, monkeypatch):
    import shutil

    from qsgen.site.templates import TEMPLATE_DIR

    root = tmp_path / "repo"
    shutil.copytree(repo, root)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
    monkeypatch.setattr(spawn, "PARALLEL_MIN", 10)  # (workers started ahead)
    monkeypatch.setattr(workers, "PARSE_MIN", 10)
    monkeypatch.setattr(workers, "PARSE_CHUNK", 7)
    pipeline.build(root, quiet=True)
    compiled = list((root / ".qsgen-cache" / "jinja").glob("*.cache"))
    assert len(compiled) >= len(list(TEMPLATE_DIR.glob("*.html")))  # (every page template)
    assert files_of(root / "_site") == files_of(pipeline.build(root, tmp_path / "plain", quiet=True,
                                                               use_cache=False).out)
    # then one record changed: the next build (from the cache the workers' build left) is the
    # clean build of the changed repository
    victim = sorted((root / "records" / "2023").glob("*/evidence-*.md"))[0]
    victim.write_text(victim.read_text("utf-8").replace("\n---\n", "\n---\n（更新）", 1), "utf-8")
    pipeline.build(root, quiet=True)
    assert files_of(root / "_site") == files_of(pipeline.build(root, tmp_path / "plain2", quiet=True,
                                                               use_cache=False).out)


def files_of(site: Path) -> dict:
    return {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_worker_finds_qsgen_without_the_callers_path(tmp_path):
    """A worker runs without the site module; qsgen reached only through an import hook (an
    editable install's) or the caller's working folder must still be found by it."""
    import os
    import subprocess

    home = Path(__file__).resolve().parent.parent
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(home)!r})\n"
        "from qsgen.build import spawn\n"
        f"sys.path[:] = [p for p in sys.path if p not in ('', {str(home)!r})]\n"
        "proc, conn = spawn._start_worker()\n"
        "conn.send(None)\n"
        "sys.exit(proc.wait(timeout=60))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0


_IN_A_CLEAN_PROCESS = """
import sys, threading
assert threading.active_count() == 1  # (a test suite may leave threads running: not here)
from pathlib import Path
from qsgen.build import spawn, workers, pipeline
"""


def _run_alone(script: str, *args: str) -> None:
    """``script`` in a fresh interpreter (no thread a test left running: workers are forked only
    where no other thread runs), with this qsgen first on its path."""
    import subprocess

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                                          os.environ.get("PYTHONPATH", "")])}
    env.pop("QSGEN_WORKERS", None)
    done = subprocess.run([sys.executable, "-c", _IN_A_CLEAN_PROCESS + script, *args], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_workers_started_ahead_are_forked_and_hold_nothing_of_this_process(tmp_path):
    """On Linux, with no other thread running, the workers started ahead are forks (no start-up,
    no import); a fork holds no file of this process: the first worker ends as soon as its own
    connection is closed, although the second was forked while that connection was open."""
    _run_alone(f"""
import os, time
held = open({str(tmp_path / "held")!r}, "wb")  # a file this process has open when it forks
assert spawn._forks()
workers.prestart(2)
(first, c1), (second, c2) = spawn._PRESTARTED
assert isinstance(first, spawn._Forked) and isinstance(second, spawn._Forked)
for _ in range(500):  # its files, once it has closed those of its parent (right after the fork)
    n = sum(1 for fd in os.listdir(f"/proc/{{second.pid}}/fd") if int(fd) > 2)
    if n == 1:
        break
    time.sleep(0.01)
assert n == 1, n  # (its socket, besides its standard streams)
spawn._PRESTARTED.clear()
c2.close()  # the second ends with its connection ...
assert second.wait(timeout=10) == 0
c1.close()  # ... and so does the first, its connection held by no other process
assert first.wait(timeout=10) == 0
""")


def test_workers_are_fresh_interpreters_while_another_thread_runs(monkeypatch):
    """A fork copies only the calling thread (a lock another thread holds would stay held in
    the child): with a second thread running, or QSGEN_WORKERS=spawn, workers are not forked."""
    import threading

    monkeypatch.delenv("QSGEN_WORKERS", raising=False)
    stop = threading.Event()
    th = threading.Thread(target=stop.wait)
    th.start()
    try:
        assert not spawn._forks()
    finally:
        stop.set()
        th.join()
    monkeypatch.setenv("QSGEN_WORKERS", "spawn")
    assert not spawn._forks()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_a_clean_build_with_forked_workers_equals_one_with_fresh_ones(repo, tmp_path):
    import shutil

    for how in ("fork", "spawn"):
        shutil.copytree(repo, tmp_path / how)
        _run_alone("""
import os
os.environ["QSGEN_WORKERS"] = sys.argv[2]
spawn.PARALLEL_MIN = workers.PARALLEL_MIN = 10
workers.PARSE_MIN, workers.PARSE_CHUNK = 10, 7
made = []
for name in ("_fork_worker", "_start_worker"):
    def counted(real=getattr(spawn, name), name=name):
        made.append(name)
        return real()
    setattr(spawn, name, counted)
pipeline.build(Path(sys.argv[1]), quiet=True)
assert made == [{"fork": "_fork_worker", "spawn": "_start_worker"}[sys.argv[2]]] * 2, made
""", str(tmp_path / how), how)
    assert files_of(tmp_path / "fork" / "_site") == files_of(tmp_path / "spawn" / "_site")


def test_the_workers_read_while_the_walk_goes_on(repo, monkeypatch):
    """read_many takes the walk itself: a chunk is handed to a worker as soon as its files are
    found, so that the workers read while this process walks on; the results are those read
    here, in the walk's order."""
    import time

    from qsgen.records import read_record_file
    from qsgen.records.files import LoadContext
    from qsgen.records.walk import _Walk

    monkeypatch.setattr(workers, "PARSE_MIN", 10)
    monkeypatch.setattr(workers, "PARSE_CHUNK", 7)
    rules, _ = load_rules(repo)
    ctx = LoadContext.of(repo, rules)
    files = list(_Walk(ctx, read_record_file)._walk(str(repo / "records" / "2023"), "records/2023"))
    assert len(files) > 40
    digests = DigestMemo()

    def walking():
        for i, f in enumerate(files):
            if i == 30:  # the walk goes on only once a worker has read one of the first chunks
                end = time.monotonic() + 60
                while not digests.by_id and time.monotonic() < end:
                    time.sleep(0.01)
                assert digests.by_id, "no chunk was read while the walk went on"
            yield f

    workers.prestart(2)
    try:
        got = workers.read_many(ctx, walking(), digests)
    finally:
        workers.release()
    assert repr(got) == repr([read_record_file(ctx, *f) for f in files])


_NAME = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["longgang", "dangjian", "中村所", "a b"]), _NAME), max_size=30),
       st.lists(st.tuples(st.sampled_from(["longgang", "dangjian", "x", ""]), _NAME), max_size=10))
def test_the_record_ids_a_worker_holds_answer_as_the_dict_they_are_made_from(files, others):
    """What a worker links records by (urls.RecordIds, compact) answers every question as the
    site's dict of record paths -> ids: for the paths, for other names, for odd text."""
    from qsgen.site.urls import RecordIds

    ids = {f"records/2023/{unit}/{name}.md": f"{unit}/{name}" for unit, name in files}
    compact = RecordIds.of(ids)
    if any("\n" in name or "/" in name for _unit, name in files):
        assert compact is ids  # (a path that does not give its id: the dict itself is sent)
        return
    assert isinstance(compact, RecordIds) and len(compact) == len(ids)
    for path, rid in ids.items():
        assert path in compact and compact[path] == rid
    asked = [f"records/2023/{u}/{n}.md" for u, n in others] + [f"records/2023/{u}/{n}" for u, n in files] + [
        "", "records/2023", "records/2023/longgang/", "records/2023/longgang/\n.md", "\n", ".md"]
    for path in asked:
        assert (path in compact) == (path in ids)
        if path in ids:
            assert compact[path] == ids[path]
    assert RecordIds.of({"records/2023/longgang/a.md": "other/a"}) == {"records/2023/longgang/a.md": "other/a"}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=8), st.randoms(use_true_random=False), st.integers(1, 9))
def test_each_folder_is_handed_on_once_when_all_its_files_are_in(sizes, rnd, step):
    """folders.FolderWatch: a folder is handed on exactly once, once the walk has gone past it
    (or ended) and every file of it has a result, with its results in the walk's order."""
    from qsgen.build.folders import FolderWatch

    folders = [object() for _ in sizes]
    listed = [(f, n) for f, size in zip(folders, sizes, strict=True) for n in range(size)]
    out: dict[int, tuple] = {}
    state = {"walked": 0, "ended": False}
    handed: list = []

    def on_folder(folder, results):
        span = [j for j, (f, _n) in enumerate(listed) if f is folder]
        assert results == [listed[j] for j in span]
        assert all(j in out for j in span)
        assert state["ended"] or span[-1] + 1 < state["walked"]  # a later file was listed
        handed.append(folder)

    watch = FolderWatch(on_folder, out)
    order = list(range(len(listed)))
    rnd.shuffle(order)
    for k, i in enumerate(order):
        if k % step == 0:  # the walk goes on meanwhile
            state["walked"] = min(len(listed), state["walked"] + step)
            watch.note(listed[:state["walked"]])
        out[i] = listed[i]
        watch.ready()
    state["walked"] = len(listed)
    watch.note(listed)
    state["ended"] = True
    watch.walked()
    watch.ready()
    assert sorted(map(id, handed)) == sorted(map(id, folders))  # each once


def test_read_many_hands_on_whole_unit_folders_while_the_workers_read(repo, monkeypatch):
    """read_many's on_folder: each unit folder at most once, with the results of every file of
    it (as read here), while the workers read: the last ones may be left to the caller."""
    from qsgen.records import read_record_file
    from qsgen.records.files import LoadContext
    from qsgen.records.walk import _Walk

    monkeypatch.setattr(workers, "PARSE_MIN", 10)
    monkeypatch.setattr(workers, "PARSE_CHUNK", 3)
    rules, _ = load_rules(repo)
    ctx = LoadContext.of(repo, rules)
    files = list(_Walk(ctx, read_record_file)._walk(str(repo / "records" / "2023"), "records/2023"))
    handed: list = []
    workers.prestart(2)
    try:
        got = workers.read_many(ctx, iter(files), DigestMemo(), lambda folder, results: handed.append((folder, results)))
    finally:
        workers.release()
    plain = [read_record_file(ctx, *f) for f in files]
    assert repr(got) == repr(plain)
    assert handed
    slugs = [folder.unit.slug for folder, _results in handed]
    assert len(slugs) == len(set(slugs))
    for folder, results in handed:
        mine = [i for i, f in enumerate(files) if f[0] is folder]
        assert repr(results) == repr([plain[i] for i in mine])


def test_a_clean_build_scores_units_as_their_folders_are_read_and_equals_a_plain_one(repo, tmp_path, monkeypatch):
    """With workers reading, a clean build scores each unit once its folder is read (while the
    workers read the others): the site is the one a build without the cache makes."""
    import shutil

    from qsgen.incremental import scorememo

    monkeypatch.setattr(spawn, "PARALLEL_MIN", 10)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
    monkeypatch.setattr(workers, "PARSE_MIN", 10)
    monkeypatch.setattr(workers, "PARSE_CHUNK", 3)
    ahead: list[str] = []
    real = scorememo.ScoreMemo.prescore

    def counted(self, rules, unit, *args):
        ahead.append(unit.slug)
        return real(self, rules, unit, *args)

    monkeypatch.setattr(scorememo.ScoreMemo, "prescore", counted)
    for name in ("cached", "plain"):
        shutil.copytree(repo, tmp_path / name)
    pipeline.build(tmp_path / "cached", quiet=True)
    assert ahead and len(ahead) == len(set(ahead))
    pipeline.build(tmp_path / "plain", quiet=True, use_cache=False)
    assert files_of(tmp_path / "cached" / "_site") == files_of(tmp_path / "plain" / "_site")
    ahead.clear()
    pipeline.build(tmp_path / "cached", quiet=True)  # (the next build replays: nothing ahead)
    assert not ahead


def test_a_worker_connection_holds_a_chunk_result_unread():
    """Each end of a worker's connection can have a chunk's result (~0.2 MB) sent before the
    other reads it, as far as the system allows (net.core.wmem_max): the worker goes on to its
    next chunk instead of waiting for this process's reading thread."""
    import socket

    allowed = Path("/proc/sys/net/core/wmem_max")
    limit = min(spawn.SEND_BUFFER, int(allowed.read_text())) if allowed.exists() else 0
    if limit < 1 << 20:
        pytest.skip("the system keeps socket buffers small")
    mine, theirs = spawn._socketpair()
    try:
        for end in (mine, theirs):
            assert end.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) >= limit
        theirs.setblocking(False)
        theirs.sendall(b"x" * (512 << 10))  # (would raise BlockingIOError past the default ~208 KB)
        got = 0
        while got < 512 << 10:
            got += len(mine.recv(1 << 20))
    finally:
        mine.close()
        theirs.close()


def test_files_left_by_workers_that_ended_are_read_here(repo, monkeypatch):
    """read_many reads a chunk itself only while the workers have more left than they hold;
    what workers that ended early left is read here, in the walk's order."""
    from qsgen.records import read_record_file
    from qsgen.records.files import LoadContext
    from qsgen.records.walk import _Walk

    monkeypatch.setattr(workers, "PARSE_MIN", 10)
    monkeypatch.setattr(workers, "PARSE_CHUNK", 3)
    rules, _ = load_rules(repo)
    ctx = LoadContext.of(repo, rules)
    files = list(_Walk(ctx, read_record_file)._walk(str(repo / "records" / "2023"), "records/2023"))
    workers.prestart(2)
    try:
        for proc, _conn in spawn._PRESTARTED:
            proc.kill()
            proc.wait(timeout=30)
        got = workers.read_many(ctx, iter(files), DigestMemo())
    finally:
        workers.release()
    assert repr(got) == repr([read_record_file(ctx, *f) for f in files])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=8),
       st.integers(min_value=1, max_value=12), st.data())
def test_read_chunks_hold_one_folder_each(sizes, chunk, data):
    """read_many's chunks: every file once, in walk order, each chunk of one folder and at
    most PARSE_CHUNK files; while the walk goes on, only a last piece of the last folder found
    so far may wait (it may have more files); handed out in any number of steps."""
    folders = [object() for _ in sizes]
    listed = [(f, i) for f, n in zip(folders, sizes, strict=True) for i in range(n)]
    old = workers.PARSE_CHUNK
    workers.PARSE_CHUNK = chunk
    try:
        got, at = [], 0
        seen = 0
        while seen < len(listed):  # the walk finds a few more files at a time
            seen = min(len(listed), seen + data.draw(st.integers(min_value=1, max_value=40)))
            for first, end in workers._folder_chunks(listed, at, seen, walking=True):
                got.append((first, end))
                at = end
            if at < seen:  # what waits: part of the last folder found, shorter than a chunk
                assert seen - at < chunk and len({id(f) for f, _ in listed[at:seen]}) == 1
                assert listed[seen - 1][0] is listed[at][0]
        got += workers._folder_chunks(listed, at, len(listed), walking=False)
    finally:
        workers.PARSE_CHUNK = old
    assert [i for first, end in got for i in range(first, end)] == list(range(len(listed)))
    for first, end in got:
        assert 0 < end - first <= chunk
        assert len({id(f) for f, _ in listed[first:end]}) == 1


def test_a_units_pages_are_prepared_for_the_page_store_as_they_come_and_saved_as_without(repo, tmp_path, monkeypatch):
    import copy
    import marshal

    from qsgen.incremental import pagestore
    from qsgen.incremental.cache import read_sealed

    results, inputs, _plain = scored(repo)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
    monkeypatch.setattr(workers, "CHUNK", 3)  # (a unit in several chunks)
    stream = tmp_path / "site"
    stream.mkdir()
    store = pagestore.PageStore()
    store.persisted = True
    render.render_site(results, inputs, store, jobs=2, stream_dir=str(stream))
    units = {f"2023-{slug}" for slug, _recs in results.records.units()}
    assert set(store.prepared) == units and set(store.prepared_rows) == units
    import time

    time.sleep(0.1)  # (no file of the site in the file system's clock tick of either save: none racy)
    saved = []
    for name, keep in (("prepared", True), ("plain", False)):
        root = tmp_path / name
        root.mkdir()
        mine = copy.copy(store)
        mine.prepared = dict(store.prepared) if keep else {}
        mine.prepared_rows = dict(store.prepared_rows) if keep else {}
        if keep:
            used = []
            real = mine._prepared_for
            mine._prepared_for = lambda now, real=real, used=used: used.append(real(now)) or used[-1]
        mine.save(root, stream)
        if keep:
            assert set(used[0]) == units  # (every file older than the save)
        back = pagestore.PageStore.load(root)
        saved.append((back.pages, {u: back.unit_docs(u) for u in back.docs}, back.search, back.exports,
                      marshal.loads(read_sealed(pagestore.PageStore.status_table(root)))))
    assert saved[0] == saved[1]


def test_prepared_record_pages_are_used_only_while_they_are_those_saved_and_older_than_the_save():
    from qsgen.incremental import pagestore
    from qsgen.publish.writer import Written

    store = pagestore.PageStore()
    pages = {f"2023/records/longgang/r{i}.html": (f"key{i}", Written(10 + i, i, 100 + i, 1000 + i, 2000 + i))
             for i in range(3)}
    store.prepare(pages)
    assert set(store.prepared) == {"2023-longgang"}
    store.replace(pages)
    assert set(store._prepared_for(2000)) == {"2023-longgang"}
    assert store._prepared_for(1002) == {}  # (a file of the same tick as the save: made again there)
    store.replace({**pages, "2023/records/longgang/r1.html": ("key1", Written(11, 1, 101, 1001, 2001))})
    assert store._prepared_for(2000) == {}  # (not the page prepared)
    store.prepare({"2023/records/longgang/r1.html": ("k", b"bytes")})  # (not written into the site: not prepared)
    store.prepare({"2023/units/longgang.html": ("k", Written(1, 1, 1, 1, 1))})  # (not a record page)
    assert set(store.prepared) == {"2023-longgang"}


def test_a_worker_gives_memory_back_only_when_the_c_library_holds_much_free(monkeypatch):
    """rendering._give_back trims (malloc_trim) only with GIVE_BACK_MIN free or more: memory
    given back below that is taken again at once by the next unit's pages (a page fault each
    4 KB); where the free bytes cannot be told, every trim is done, as before."""
    from qsgen.build import rendering

    trims = []
    monkeypatch.setattr(rendering, "_TRIM", lambda pad: trims.append(pad))
    for free, trimmed in ((rendering.GIVE_BACK_MIN - 1, False), (rendering.GIVE_BACK_MIN, True),
                          (None, True)):
        monkeypatch.setattr(rendering, "_FREE", None if free is None else (lambda free=free: free))
        trims.clear()
        rendering._give_back()
        assert trims == ([0] if trimmed else [])


def test_the_c_library_tells_its_free_bytes_where_it_can():
    import ctypes
    import sys

    from qsgen.build import rendering

    if not sys.platform.startswith("linux"):
        pytest.skip("glibc only")
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        pytest.skip("no libc.so.6")
    free = rendering._free_bytes(ctypes, libc)
    if free is not None:  # (glibc 2.33 or later)
        assert isinstance(free(), int) and free() >= 0
