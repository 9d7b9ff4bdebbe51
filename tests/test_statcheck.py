"""statcheck: file status compared with a saved table in a helper process, and how the caches trust it."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from qsgen.build import pipeline
from qsgen.incremental import cache, pagestore, recordmemo, statcheck
from qsgen.publish import writer
from qsgen.rules import load_rules

REPO = Path(__file__).resolve().parent.parent


def _table(base: Path, names: list[str], fields: int = 5) -> dict[str, tuple]:
    return {n: statcheck.status(os.lstat(base / n), fields) for n in names}


def test_reports_the_paths_whose_status_changed(tmp_path):
    base = tmp_path / "files"
    base.mkdir()
    for name in ("same.md", "grown.md", "gone.md", "linked.md", "touched.md"):
        (base / name).write_text("正文\n", "utf-8")
    table = tmp_path / "t.marshal"
    statcheck.save_table(table, _table(base, sorted(os.listdir(base))))
    (base / "grown.md").write_text("正文变长了\n", "utf-8")
    (base / "gone.md").unlink()
    (base / "linked.md").unlink()
    (base / "linked.md").symlink_to(base / "same.md")
    st = os.stat(base / "touched.md")
    os.utime(base / "touched.md", ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    (base / "new.md").write_text("新文件\n", "utf-8")  # not in the table: never reported
    check = statcheck.start([(table, base)])
    assert check.changed(0) == {"grown.md", "gone.md", "linked.md", "touched.md"}
    assert check.changed(0) == {"grown.md", "gone.md", "linked.md", "touched.md"}  # asked again


def test_a_shorter_status_compares_only_its_fields(tmp_path):
    base = tmp_path / "site"
    base.mkdir()
    (base / "a.html").write_bytes(b"<p>a</p>")
    table = tmp_path / "pages.marshal"
    statcheck.save_table(table, _table(base, ["a.html"], fields=3))  # size, mtime, inode
    os.chmod(base / "a.html", 0o600)  # changes ctime only
    assert statcheck.start([(table, base)]).changed(0) == set()


def test_no_answer_without_a_readable_table(tmp_path):
    garbage = tmp_path / "garbage.marshal"
    garbage.write_bytes(b"\x00not marshal")
    good = tmp_path / "good.marshal"
    statcheck.save_table(good, {})
    check = statcheck.start([(tmp_path / "missing.marshal", tmp_path), (garbage, tmp_path), (good, tmp_path)])
    assert check.changed(0) is None
    assert check.changed(1) is None
    assert check.changed(2) == set()
    nothing = statcheck.start([(tmp_path / "missing.marshal", tmp_path)])
    assert nothing.proc is None and nothing.changed(0) is None


def test_each_tables_answer_is_taken_as_it_comes(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    for base in (a, b):
        base.mkdir()
        (base / "x.md").write_text("一\n", "utf-8")
        statcheck.save_table(tmp_path / f"{base.name}.marshal", _table(base, ["x.md"]))
    (b / "x.md").write_text("二二\n", "utf-8")
    check = statcheck.start([(tmp_path / "a.marshal", a), (tmp_path / "b.marshal", b)])
    assert check.changed(0) == set() and len(check.report) == 1  # (the second not waited for)
    assert check.changed(1) == {"x.md"} and check.proc is None  # (all in: the helper is done)
    again = statcheck.start([(tmp_path / "a.marshal", a), (tmp_path / "b.marshal", b)])
    assert again.changed(1) == {"x.md"} and again.changed(0) == set()  # (asked in any order)
    monkeypatch.setattr(statcheck, "TIMEOUT", 0)  # no answer in time: none trusted
    late = statcheck.start([(tmp_path / "a.marshal", a)])
    assert late.changed(0) is None and late.proc is None


def test_the_helper_lists_a_folder_as_the_writer_walks_it(tmp_path):
    site = tmp_path / "site"
    for rel in ("a.html", "x/b.html", "x/y/c.js", "x/y/空.html", "z/d.css"):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text("·", "utf-8")
    (site / "empty").mkdir()
    (site / "link").symlink_to(site / "x", target_is_directory=True)
    table = tmp_path / "t.marshal"
    statcheck.save_table(table, {})
    check = statcheck.start([(table, site)], listing=site)
    files, dirs = set(), set()
    for dirpath, _dirnames, filenames in os.walk(site):  # (writer.update_site's own walk)
        rel = os.path.relpath(dirpath, site).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        if prefix:
            dirs.add(rel)
        files.update(prefix + name for name in filenames)
    assert check.listing() == (files, dirs) and "x/y/空.html" in files and "empty" in dirs
    assert check.changed(0) == set() and check.proc is None
    assert statcheck.start([(table, site)]).listing() is None  # (not asked for)


def test_the_helper_says_when_a_folder_holds_exactly_the_paths_saved(tmp_path):
    site = tmp_path / "site"
    for rel in ("a.html", "x/y/空.html", writer.MARKER):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text("·", "utf-8")
    table = tmp_path / "t.marshal"
    statcheck.save_table(table, {})
    paths = tmp_path / "site.paths"
    payload = statcheck.paths_payload(["x/y/空.html", "a.html"])
    assert cache.write_sealed(paths, payload)
    check = statcheck.start([(table, site)], listing=site, paths=paths)
    assert check.listing() == (None, {"x", "x/y"})  # (only the folders: the files are those paths)
    assert check.listed_as == statcheck.paths_digest(payload)
    (site / "b.html").write_text("·", "utf-8")  # a file more: the files as listed
    check = statcheck.start([(table, site)], listing=site, paths=paths)
    assert check.listing() == ({"a.html", "b.html", "x/y/空.html", writer.MARKER}, {"x", "x/y"})
    assert check.listed_as is None
    (site / "b.html").unlink()
    (site / "a.html").unlink()  # a file fewer
    check = statcheck.start([(table, site)], listing=site, paths=paths)
    assert check.listing() == ({"x/y/空.html", writer.MARKER}, {"x", "x/y"}) and check.listed_as is None
    (site / "a.html").write_text("·", "utf-8")
    check = statcheck.start([(table, site)], listing=site)  # (no paths file asked about)
    assert check.listing()[0] == {"a.html", "x/y/空.html", writer.MARKER}


def test_a_paths_file_without_the_seal_is_refused(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.html").write_text("·", "utf-8")
    table = tmp_path / "t.marshal"
    statcheck.save_table(table, {})
    paths = tmp_path / "site.paths"
    sealed = cache.seal(paths, statcheck.paths_payload(["a.html"]))
    paths.write_bytes(sealed[:-1] + b"b")  # (another path, the seal of the first)
    check = statcheck.start([(table, site)], listing=site, paths=paths)
    assert check.listing() == ({"a.html"}, set()) and check.listed_as is None
    assert not paths.exists()  # refused: removed (and said, unless it is another process's)


def test_a_piece_of_a_table_in_a_file_is_taken_while_it_has_the_digest_the_table_keeps(tmp_path):
    base = tmp_path / "files"
    base.mkdir()
    for name in ("a.md", "b.md", "c.md"):
        (base / name).write_text("正文\n", "utf-8")
    table = tmp_path / "t.marshal"
    inline = statcheck.piece(_table(base, ["a.md"]))
    beside = statcheck.piece(_table(base, ["b.md", "c.md"]))
    assert statcheck.save_piece(tmp_path / "b.status", beside)
    statcheck.save_table(table, [inline, ("b.status", statcheck.piece_digest(beside))])
    (base / "c.md").write_text("改过\n", "utf-8")
    assert statcheck.start([(table, base)]).changed(0) == {"c.md"}
    (tmp_path / "b.status").write_bytes(statcheck.piece(_table(base, ["b.md"])))  # (c.md left out)
    assert statcheck.start([(table, base)]).changed(0) is None  # not the piece the table names
    statcheck.save_table(table, [inline, ("../b.status", statcheck.piece_digest(beside))])
    assert statcheck.start([(table, base)]).changed(0) is None  # (only a file beside the table)


def test_an_unused_helper_is_stopped(tmp_path):
    table = tmp_path / "t.marshal"
    statcheck.save_table(table, {"x": (1,)})
    check = statcheck.start([(table, tmp_path)])
    proc = check.proc
    check.close()
    assert proc.returncode is not None and check.proc is None


# ------------------------------------------------------------------ how the caches use it


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    for part in ("rules", "records"):
        shutil.copytree(REPO / part, root / part)
    return root


def _memo(root: Path) -> recordmemo.RecordMemo:
    return recordmemo.RecordMemo.load_disk(root, recordmemo.loader_digest(root, cache.tree_digest(root / "rules")))


def test_a_build_saves_both_tables_and_a_file_unchanged_by_the_report_is_not_looked_at(repo):
    pipeline.build(repo, quiet=True)
    assert recordmemo.RecordMemo.status_table(repo).is_file()
    assert pagestore.PageStore.status_table(repo).is_file()
    rules, _ = load_rules(repo, 2023)
    record = next(iter(sorted((repo / "records" / "2023" / "longgang").glob("*.md"))))
    path = record.relative_to(repo).as_posix()
    record.write_text(record.read_text("utf-8").replace("\n---\n", "\n---\n改过的正文\n", 1), "utf-8")
    trusting = _memo(repo)
    trusting.changed = set()  # "nothing changed": the report is taken at its word
    records, _ = trusting.load(repo, rules)
    assert trusting.parsed == 0
    assert "改过的正文" not in next(r for r in records.records if r.path == path).body
    told = _memo(repo)
    told.changed = {path}
    records, _ = told.load(repo, rules)
    assert told.parsed == 1
    assert "改过的正文" in next(r for r in records.records if r.path == path).body
    # the report asked for when the walk starts (the build goes on meanwhile): once
    asked = []
    later = _memo(repo)
    later.changed_by = lambda: asked.append(path) or {path}
    assert later.changed is None and not asked
    records, _ = later.load(repo, rules)
    assert asked == [path] and later.changed == {path} and later.changed_by is None and later.parsed == 1
    later.load(repo, rules)
    assert asked == [path]


def test_the_records_table_is_never_newer_than_the_memo(repo, monkeypatch):
    pipeline.build(repo, quiet=True)
    table = recordmemo.RecordMemo.status_table(repo)
    # (2024: the example's 2023 is final, a change to it is refused)
    record = next(iter(sorted((repo / "records" / "2024" / "longgang").glob("*.md"))))
    record.write_text(record.read_text("utf-8") + "\n补充一句。\n", "utf-8")
    real = recordmemo.write_sealed
    monkeypatch.setattr(recordmemo, "write_sealed", lambda target, data: False)
    pipeline.build(repo, quiet=True)  # the shard with the change could not be written
    assert not table.exists()  # so the table describing it is gone too: each file is stat'ed
    monkeypatch.setattr(recordmemo, "write_sealed", real)
    pipeline.build(repo, quiet=True)
    assert table.exists()


@pytest.mark.parametrize("fails", ["shard", "rows", "piece"])
def test_the_pages_table_is_never_newer_than_the_files_written_on_a_thread(repo, monkeypatch, fails):
    pipeline.build(repo, quiet=True)
    table = pagestore.PageStore.status_table(repo)
    record = next(iter(sorted((repo / "records" / "2024" / "longgang").glob("*.md"))))
    record.write_text(record.read_text("utf-8") + "\n补充一句。\n", "utf-8")
    real_sealed, real_piece, threads = pagestore.write_sealed, statcheck.save_piece, set()

    def sealed(target, data):
        threads.add(threading.get_ident())
        if fails == "rows" and target.name.endswith(pagestore.ROWS) or \
                fails == "shard" and target.name.endswith(".pickle"):
            return False
        return real_sealed(target, data)

    def piece(target, data):
        return False if fails == "piece" else real_piece(target, data)

    monkeypatch.setattr(pagestore, "write_sealed", sealed)
    monkeypatch.setattr(statcheck, "save_piece", piece)
    pipeline.build(repo, quiet=True)  # a file of the changed unit could not be written
    assert not table.exists()  # so the table describing it is gone too: each page is stat'ed
    shard = pagestore.PageStore.path(repo) / cache.shard_file("2024-longgang")
    assert shard.exists() is (fails != "rows")  # (one naming rows not written: not kept)
    assert threading.get_ident() not in threads  # (written while the next shard is made)
    monkeypatch.setattr(pagestore, "write_sealed", real_sealed)
    monkeypatch.setattr(statcheck, "save_piece", real_piece)
    pipeline.build(repo, quiet=True)
    assert table.exists()
    site = _tree(repo / "_site")
    shutil.rmtree(repo / "_site")
    pipeline.build(repo, quiet=True, use_cache=False)
    assert _tree(repo / "_site") == site


def test_the_pages_table_follows_the_site_it_was_saved_for(repo, tmp_path):
    pipeline.build(repo, quiet=True)
    store = pagestore.PageStore.load(repo)
    store.use_check({"index.html"}, tmp_path / "elsewhere")
    assert store.changed is None  # a report on another folder says nothing about these pages
    store.use_check({"index.html"}, repo / "_site")
    assert store.changed == {"index.html"}


def test_a_helper_that_fails_or_hangs_gives_no_answer(tmp_path, monkeypatch):
    table = tmp_path / "t.marshal"
    statcheck.save_table(table, {"x": (1,)})
    monkeypatch.setattr(statcheck, "_HELPER", "import sys; sys.exit(3)")
    assert statcheck.start([(table, tmp_path)]).changed(0) is None
    monkeypatch.setattr(statcheck, "_HELPER", "import time; time.sleep(30)")
    monkeypatch.setattr(statcheck, "TIMEOUT", 0.2)
    check = statcheck.start([(table, tmp_path)])
    proc = check.proc
    assert check.changed(0) is None and proc.returncode is not None  # killed, not waited for


def test_the_pages_table_keeps_each_units_record_pages_in_a_piece_written_when_it_changes(repo):
    pipeline.build(repo, quiet=True)
    folder = pagestore.PageStore.path(repo)
    pieces = {p.name: p.stat().st_mtime_ns for p in folder.glob("*" + pagestore.PIECE)}
    assert len(pieces) > 1
    record = next(iter(sorted((repo / "records" / "2024" / "longgang").glob("*.md"))))
    record.write_text(record.read_text("utf-8").replace("\n---\n", "\n---\n改过的正文。\n", 1), "utf-8")
    pipeline.build(repo, quiet=True)
    now = {p.name: p.stat().st_mtime_ns for p in folder.glob("*" + pagestore.PIECE)}
    mine = cache.shard_file("2024-longgang").removesuffix(".pickle") + pagestore.PIECE
    assert now.keys() == pieces.keys() and now[mine] != pieces[mine]
    assert {n: t for n, t in now.items() if n != mine} == {n: t for n, t in pieces.items() if n != mine}
    # a piece changed by hand: the table is not taken (each page's status looked at), and the
    # save writes every piece again, so that the next build takes it again
    other = sorted(n for n in now if n != mine)[0]
    (folder / other).write_bytes(statcheck.piece({}))
    site = _tree(repo / "_site")
    store = pagestore.PageStore.load(repo)
    store.use_check(statcheck.start([(pagestore.PageStore.status_table(repo), repo / "_site")]).changed(0),
                    repo / "_site")
    assert store.changed is None
    pipeline.build(repo, quiet=True)
    assert _tree(repo / "_site") == site
    store.use_check(statcheck.start([(pagestore.PageStore.status_table(repo), repo / "_site")]).changed(0),
                    repo / "_site")
    assert store.changed == set()


def test_the_records_table_keeps_each_shards_piece_in_a_file_written_when_it_changes(repo):
    pipeline.build(repo, quiet=True)
    pipeline.build(repo, quiet=True)  # (folders copied just before the first: saved whole by the second)
    folder = recordmemo.RecordMemo.disk_dir(repo)
    table = recordmemo.RecordMemo.status_table(repo)

    def pieces() -> dict[str, tuple[int, int]]:
        return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("*" + recordmemo.PIECE)}

    def report() -> set[str] | None:
        return statcheck.start([(table, repo)]).changed(0)

    before = pieces()
    assert len(before) > 1 and report() == set()
    record = next(iter(sorted((repo / "records" / "2024" / "longgang").glob("*.md"))))
    record.write_text(record.read_text("utf-8").replace("\n---\n", "\n---\n改过的正文。\n", 1), "utf-8")
    assert report() == {record.relative_to(repo).as_posix()}
    pipeline.build(repo, quiet=True)
    now = pieces()
    mine = recordmemo.status_file("2024-longgang")
    assert now.keys() == before.keys() and now[mine] != before[mine]
    assert {n: t for n, t in now.items() if n != mine} == {n: t for n, t in before.items() if n != mine}
    assert report() == set()
    # a piece changed by hand: the table is not taken (each file's status looked at), and the
    # save writes every piece again, so that the next build takes it again
    other = sorted(n for n in now if n != mine)[0]
    (folder / other).write_bytes(statcheck.piece({}))
    assert report() is None
    site = _tree(repo / "_site")
    record.write_text(record.read_text("utf-8").replace("改过的正文。", "又改了一次。", 1), "utf-8")
    pipeline.build(repo, quiet=True)
    assert report() == set()
    clean = repo.parent / "clean"
    pipeline.build(repo, clean, quiet=True, use_cache=False)
    assert _tree(repo / "_site") == _tree(clean) != site
    # a shard no longer kept: its piece goes with the next table written
    shutil.rmtree(repo / "records" / "2024" / "longgang")
    pipeline.build(repo, quiet=True)
    assert report() is not None
    record = next(iter(sorted((repo / "records" / "2024" / "zhongcun").glob("*.md"))))
    record.write_text(record.read_text("utf-8").replace("\n---\n", "\n---\n改过的正文。\n", 1), "utf-8")
    pipeline.build(repo, quiet=True)
    assert mine not in pieces() and report() == set()


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
