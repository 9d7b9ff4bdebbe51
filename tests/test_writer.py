"""Writing the site: guards on the output directory, atomic swap, determinism."""

from __future__ import annotations

import errno
import os
import stat
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsgen.core.errors import QsgenError
from qsgen.publish import writer
from qsgen.publish.writer import MARKER, SiteFiles, write_site


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for d in ("records/2023/longgang", "rules/2023", "site_templates", ".git"):
        (root / d).mkdir(parents=True)
    (root / "records/2023/longgang/case-1.md").write_text("x", encoding="utf-8")
    (root / "rules/2023/assessment.yaml").write_text("year: 2023\n", encoding="utf-8")
    return root


def tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes()
            for p in sorted(path.rglob("*")) if p.is_file()}


SITE = {
    "index.html": "<h1>排名</h1>".encode(),
    "units/longgang/index.html": "<h1>龙港所</h1>".encode(),
    "records/longgang/case-罚款一.html": b"<p>x</p>",
    "search/index.js": b"var x=1;",
    "scores.json": b"{}",
}


def test_writes_files_and_marker(repo):
    out = repo / "_site"
    write_site(SITE, out, repo)
    got = tree(out)
    assert got.pop(MARKER) == writer.MARKER_TEXT
    assert got == SITE
    assert not [p for p in repo.iterdir() if p.name.startswith("._site")]


def test_fixed_modes_whatever_the_umask(repo):
    old = os.umask(0o077)
    try:
        write_site(SITE, repo / "_site", repo)
    finally:
        os.umask(old)
    out = repo / "_site"
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    for p in out.rglob("*"):
        want = 0o755 if p.is_dir() else 0o644
        assert stat.S_IMODE(p.stat().st_mode) == want, p


def test_replaces_previous_site_entirely(repo):
    out = repo / "_site"
    write_site(SITE, out, repo)
    write_site({"index.html": b"new"}, out, repo)
    assert tree(out) == {"index.html": b"new", MARKER: writer.MARKER_TEXT}
    assert sorted(p.name for p in repo.iterdir()) == [".git", "_site", "records", "rules", "site_templates"]


def test_deterministic(repo, tmp_path):
    write_site(SITE, repo / "a", repo)
    write_site(dict(reversed(list(SITE.items()))), repo / "b", repo)
    assert tree(repo / "a") == tree(repo / "b")


def test_new_output_with_missing_parents(repo, tmp_path):
    out = tmp_path / "deploy" / "www" / "site"
    write_site(SITE, out, repo)
    assert (out / "index.html").read_bytes() == SITE["index.html"]


def test_empty_existing_directory_is_accepted(repo):
    (repo / "_site").mkdir()
    write_site(SITE, repo / "_site", repo)
    assert (repo / "_site" / MARKER).is_file()


def test_relative_out(repo, monkeypatch):
    monkeypatch.chdir(repo)
    write_site(SITE, Path("_site"), Path("."))
    assert (repo / "_site/index.html").is_file()


@pytest.mark.parametrize("rel", [".", "records", "records/2023", "records/2023/longgang/site", "rules",
                                 "rules/2023", "rules/new", "site_templates", ".git", ".git/x"])
def test_refuses_source_directories(repo, rel):
    before = tree(repo)
    with pytest.raises(QsgenError) as e:
        write_site(SITE, repo / rel, repo)
    assert "输出目录" in e.value.message
    assert tree(repo) == before


def test_refuses_a_parent_of_the_repository(repo):
    with pytest.raises(QsgenError, match="包含了仓库"):
        write_site(SITE, repo.parent, repo)


def test_refuses_filesystem_root(repo):
    with pytest.raises(QsgenError, match="根目录"):
        write_site(SITE, Path("/"), repo)


def test_refuses_home(repo, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(QsgenError, match="主目录"):
        write_site(SITE, home, repo)


def test_refuses_non_empty_directory_without_marker(repo, tmp_path):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(QsgenError, match=MARKER):
        write_site(SITE, out, repo)
    assert tree(out) == {"notes.txt": b"mine"}


def test_refuses_a_file(repo, tmp_path):
    f = tmp_path / "file.html"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(QsgenError, match="不是目录"):
        write_site(SITE, f, repo)


def test_refuses_through_a_symlink_to_the_repository(repo, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(repo / "records")
    with pytest.raises(QsgenError):
        write_site(SITE, link, repo)


def test_symlinked_output_replaces_its_target(repo, tmp_path):
    target = tmp_path / "www"
    write_site(SITE, target, repo)
    link = repo / "_site"
    link.symlink_to(target)
    write_site({"index.html": b"v2"}, link, repo)
    assert link.is_symlink()
    assert (target / "index.html").read_bytes() == b"v2"


@pytest.mark.parametrize("bad", ["/abs.html", "../up.html", "a/../b.html", "a//b.html", "./a.html", "a/",
                                 "", "a\\b.html", "C:/x.html", "a\x00b", MARKER, f"sub/{MARKER}"])
def test_bad_paths_write_nothing(repo, bad):
    out = repo / "_site"
    write_site(SITE, out, repo)
    before = tree(out)
    with pytest.raises(QsgenError):
        write_site({**SITE, "new.html": b"n", bad: b"x"}, out, repo)
    assert tree(out) == before
    assert sorted(p.name for p in repo.iterdir()) == [".git", "_site", "records", "rules", "site_templates"]


def test_file_and_directory_conflict(repo):
    with pytest.raises(QsgenError, match="既是文件又是目录"):
        write_site({"a": b"1", "a/b.html": b"2"}, repo / "_site", repo)


def test_case_collision(repo):
    with pytest.raises(QsgenError, match="大小写"):
        write_site({"Case-1.html": b"1", "case-1.html": b"2"}, repo / "_site", repo)


def test_str_content_is_utf8(repo):
    write_site({"a.txt": "龙港"}, repo / "_site", repo)  # type: ignore[dict-item]
    assert (repo / "_site/a.txt").read_bytes() == "龙港".encode()


def test_bad_content_type(repo):
    with pytest.raises(QsgenError):
        write_site({"a.txt": 12}, repo / "_site", repo)  # type: ignore[dict-item]


def test_failure_while_writing_keeps_old_site(repo, monkeypatch):
    out = repo / "_site"
    write_site(SITE, out, repo)
    before = tree(out)
    real = writer._write_all

    def broken(tmp, plan):
        real(tmp, plan[:2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "_write_all", broken)
    with pytest.raises(QsgenError, match="原有站点未改动"):
        write_site({"index.html": b"new"}, out, repo)
    assert tree(out) == before
    assert sorted(p.name for p in repo.iterdir()) == [".git", "_site", "records", "rules", "site_templates"]


def test_failure_while_swapping_restores_old_site(repo, monkeypatch):
    out = repo / "_site"
    write_site(SITE, out, repo)
    before = tree(out)
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # moving the new site in
            raise OSError(13, "Permission denied")
        real_rename(src, dst)

    monkeypatch.setattr(writer.os, "rename", rename)
    monkeypatch.setattr(writer, "_exchange", lambda a, b: False)  # the two-rename fallback
    with pytest.raises(QsgenError):
        write_site({"index.html": b"new"}, out, repo)
    monkeypatch.undo()
    assert tree(out) == before
    assert sorted(p.name for p in repo.iterdir()) == [".git", "_site", "records", "rules", "site_templates"]


def test_interrupt_while_writing_keeps_old_site(repo, monkeypatch):
    out = repo / "_site"
    write_site(SITE, out, repo)
    before = tree(out)

    def interrupted(tmp, plan):
        raise KeyboardInterrupt

    monkeypatch.setattr(writer, "_write_all", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_site({"index.html": b"new"}, out, repo)
    assert tree(out) == before
    assert sorted(p.name for p in repo.iterdir()) == [".git", "_site", "records", "rules", "site_templates"]


def test_site_files_refuses_duplicates_and_bad_paths():
    files = SiteFiles()
    files["index.html"] = b"1"
    files.add("units/a.html", "文本")
    assert files["units/a.html"] == "文本".encode()
    with pytest.raises(QsgenError, match="两次"):
        files["index.html"] = b"2"
    with pytest.raises(QsgenError, match="两次"):
        files.update({"units/a.html": b"x"})
    with pytest.raises(QsgenError):
        files["../x"] = b"x"
    with pytest.raises(QsgenError, match="两次"):
        SiteFiles([("a", b"1"), ("a", b"2")])
    assert files.setdefault("index.html", b"other") == b"1"
    assert isinstance(files, dict)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o000, 0o777])
def test_a_streamed_file_has_the_fixed_mode_and_its_own_status(tmp_path, mask):
    old = os.umask(mask)
    try:
        made = writer.stream_file(str(tmp_path), "a/b.html", [b"<p>x</p>", b"y"])
    finally:
        os.umask(old)
    st = (tmp_path / "a" / "b.html").stat()
    assert stat.S_IMODE(st.st_mode) == writer.FILE_MODE
    assert (made.size, made.ino, made.mtime, made.ctime) == (9, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


@pytest.mark.skipif(writer.Folders.of(".") is None, reason="no openat")
def test_pages_written_through_open_folders_are_what_stream_file_writes(tmp_path):
    folders = writer.Folders.of(str(tmp_path / "new"))
    try:
        made = [writer.stream_page(folders.root, path, data, folders)
                for path, data in [("2023/records/a/x.html", b"<p>x</p>"), ("2023/records/a/y.html", b"y"),
                                   ("2023/records/b/z.html", b"zz"), ("top.html", b"t")]]
        again = writer.stream_page(folders.root, "2023/records/a/x.html", b"<p>new</p>", folders)  # (rewritten)
        assert writer.stream_page(folders.root, "../out.html", b"o", folders) == b"o"  # refused: reported later
    finally:
        folders.close()
    plain = [writer.stream_file(str(tmp_path / "old"), path, [data])
             for path, data in [("2023/records/a/x.html", b"<p>new</p>"), ("2023/records/a/y.html", b"y"),
                                ("2023/records/b/z.html", b"zz"), ("top.html", b"t")]]
    assert (tmp_path / "new" / "2023" / "records" / "a" / "x.html").read_bytes() == b"<p>new</p>"
    assert [(w.size, w.crc) for w in [again, *made[1:]]] == [(w.size, w.crc) for w in plain]
    for w, path in zip(made[1:], ["2023/records/a/y.html", "2023/records/b/z.html", "top.html"], strict=True):
        st = os.stat(tmp_path / "new" / path)
        assert stat.S_IMODE(st.st_mode) == writer.FILE_MODE and (w.ino, w.mtime) == (st.st_ino, st.st_mtime_ns)
    assert not (tmp_path / "out.html").exists() and folders.fds == {}


@pytest.mark.skipif(writer.Folders.of(".") is None, reason="no openat")
def test_a_workers_page_is_sent_as_the_fields_of_what_stream_gives(tmp_path):
    data = "<p>正文</p>".encode() * 300
    one = writer.write_chunks(str(tmp_path / "one.html"), (data,))
    folders = writer.Folders.of(str(tmp_path / "site"))
    try:
        fields = folders.status("2023/records/a/x.html", data)  # (what a render worker sends)
        again = folders.stream("2023/records/a/x.html", b"y")  # (rewritten, as by a worker that failed)
    finally:
        folders.close()
    st = os.stat(tmp_path / "site" / "2023" / "records" / "a" / "x.html")
    assert type(fields) is tuple and fields[:2] == one[:2] == (len(data), zlib.crc32(data))
    assert (again.size, again.crc, again.ino, again.mtime, again.ctime) == \
        (1, zlib.crc32(b"y"), st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


@pytest.mark.skipif(writer.Folders.of(".") is None, reason="no openat")
def test_a_page_that_cannot_be_written_through_an_open_folder_names_its_whole_path(tmp_path, monkeypatch):
    folders = writer.Folders.of(str(tmp_path))
    real = os.open

    def full(path, flags, mode=0o777, *, dir_fd=None):
        if dir_fd is not None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        return real(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(writer.os, "open", full)
    with pytest.raises(OSError) as e:
        folders.stream("2023/records/a/x.html", b"x")
    folders.close()
    assert e.value.errno == errno.ENOSPC and e.value.filename == os.path.join(tmp_path, "2023", "records", "a", "x.html")


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(names=st.lists(st.tuples(st.lists(st.sampled_from(["a", "A", "b", "é", "é", "x.html", "X.HTML", "", "..", "c d"]),
                                         min_size=1, max_size=3), st.booleans()), max_size=12))
def test_the_plan_made_in_bulk_is_the_plan_checked_file_by_file(names):
    files = {"/".join(parts): (writer.KEPT if kept else b"x") for parts, kept in names}
    try:
        want = writer._checked_plan(files)
    except QsgenError as e:
        for kept in (True, False):
            with pytest.raises(QsgenError) as got:
                writer._plan(files, kept=kept)
            assert got.value.message == e.message
        return
    assert writer._plan(files) == want
    # (update_site's: only the pages to write, sorted; and, the paths being files of one
    # listing of a site, without asking again whether one is a folder of another)
    written = [(path, data) for path, data in want if not isinstance(data, writer.Kept)]
    assert writer._plan(dict(reversed(files.items())), kept=False) == written
    assert writer._plan(files, listed=True, kept=False) == written
    assert writer._plan(files, listed=True) == want


@pytest.mark.parametrize("walked", [False, True])
def test_update_in_place_writes_what_changed_and_removes_what_is_gone(repo, walked):
    out = repo / "_site"
    write_site(SITE, out, repo)
    files = {p: writer.KEPT for p in SITE}
    del files["scores.json"]  # gone
    files["index.html"] = b"<h1>new</h1>"  # changed
    files["search/index.js"] = SITE["search/index.js"]  # the same bytes: not written
    files["units/new/a/b.html"] = b"b"  # new, in new folders
    listed = None
    if walked:  # (as statcheck's helper lists it)
        listed = ({p for p in SITE} | {MARKER}, {"units", "units/longgang", "records", "records/longgang", "search"})
    written = writer.update_site(files, out, repo, listed)
    assert written == {"index.html", "units/new/a/b.html"}
    want = {**SITE, "index.html": b"<h1>new</h1>", "units/new/a/b.html": b"b", MARKER: writer.MARKER_TEXT}
    del want["scores.json"]
    assert tree(out) == want


@settings(max_examples=30, deadline=None)
@given(old=st.binary(max_size=70000), new=st.binary(max_size=70000))
def test_a_file_replaced_in_place_has_exactly_its_new_bytes(tmp_path_factory, old, new):
    """update_site reserves a replacing file's space before writing it (runtime.reserve), the
    cache's write_file removes the old file first: the file then holds exactly the new bytes,
    shorter, longer or empty."""
    from qsgen.incremental import cache

    root = tmp_path_factory.mktemp("r")
    out = root / "_site"
    write_site({"index.html": b"x", "a.html": old}, out, root)
    writer.update_site({"index.html": writer.KEPT, "a.html": new}, out, root)
    assert (out / "a.html").read_bytes() == new
    target = root / "c.bin"
    target.write_bytes(old)
    assert cache.write_file(target, new[:5], memoryview(new)[5:])
    assert target.read_bytes() == new


def test_update_in_place_refuses_a_kept_page_missing_from_the_site(repo):
    out = repo / "_site"
    write_site(SITE, out, repo)
    files = {**{p: writer.KEPT for p in SITE}, "index.html": b"new", "units/x.html": writer.KEPT, "units/w.html": writer.KEPT}
    with pytest.raises(QsgenError) as e:
        writer.update_site(files, out, repo)
    assert "units/w.html" in e.value.message
    assert tree(out) == {**SITE, MARKER: writer.MARKER_TEXT}


def test_update_in_place_checks_new_paths_against_the_kept_ones(repo):
    out = repo / "_site"
    write_site(SITE, out, repo)
    for bad in ("INDEX.html", "scores.json/x.html", "units/longgang"):
        files = {**{p: writer.KEPT for p in SITE}, bad: b"x"}
        with pytest.raises(QsgenError):
            writer.update_site(files, out, repo)
        assert tree(out) == {**SITE, MARKER: writer.MARKER_TEXT}


def test_the_plan_of_plain_paths_and_bytes_is_the_checked_plan():
    # (writer._plain: plain paths and bytes told at once; anything else checked one at a time)
    from qsgen.publish.writer import Written, _checked_plan, _plan

    files = {"b/x.html": b"1", "a.html": Written(1, 2, 3, 4, 5), "b/c/y.css": b"", "z": bytearray(b"2")}
    assert _plan(files) == _checked_plan(files) == sorted((p, bytes(d)) if type(d) is bytearray else (p, d)
                                                          for p, d in files.items())
    assert _plan({"a.txt": "文字"}) == [("a.txt", "文字".encode())]
    for bad in ({"a/../b": b""}, {"a\\b": b""}, {"": b""}, {b"a": b""}, {"a": 1}):
        with pytest.raises(QsgenError) as got:
            _plan(bad)
        with pytest.raises(QsgenError) as want:
            _checked_plan(bad)
        assert str(got.value) == str(want.value)


def test_an_update_in_place_frees_the_replaced_files_after_the_renames(tmp_path, monkeypatch):
    """The file a page replaces keeps a second name in the temporary folder until the renames
    are done (ext4 frees its blocks there, not inside the rename); removed_later() takes them."""
    root = tmp_path
    out = root / "_site"
    write_site({"index.html": b"x", "a.html": b"old a", "b.html": b"old b"}, out, root)
    inode = os.stat(out / "a.html").st_ino
    links = []
    link = os.link
    monkeypatch.setattr(writer.os, "link", lambda src, dst, **k: (links.append(os.stat(src).st_ino), link(src, dst, **k)))
    writer.update_site({"index.html": writer.KEPT, "a.html": b"new a", "b.html": b"old b", "c.html": b"c"}, out, root)
    writer.removed_later()
    assert links == [inode]  # (only the file replaced: not the one unchanged, nor the new one)
    assert (out / "a.html").read_bytes() == b"new a" and (out / "c.html").read_bytes() == b"c"
    assert sorted(p.name for p in root.iterdir()) == ["_site"]  # (the temporary folder removed)
    monkeypatch.setattr(writer.os, "link", lambda *a, **k: (_ for _ in ()).throw(OSError(1, "no links here")))
    writer.update_site({"index.html": writer.KEPT, "a.html": b"newer", "b.html": b"old b", "c.html": b"c"}, out, root)
    writer.removed_later()
    assert (out / "a.html").read_bytes() == b"newer" and sorted(p.name for p in root.iterdir()) == ["_site"]


def test_files_streamed_later_are_what_stream_file_writes_once_settled(tmp_path):
    site = str(tmp_path / "new")
    items = [(f"search/grams/{b}.js", [b"head", b"x" * b]) for b in range(40)] + [("top.html", [b"t"])]
    made = [writer.stream_later(site, path, chunks) for path, chunks in items]
    writer.settle(site)
    plain = [writer.stream_file(str(tmp_path / "old"), path, chunks) for path, chunks in items]
    assert [(w.size, w.crc) for w in made] == [(w.size, w.crc) for w in plain]
    for w, (path, chunks) in zip(made, items, strict=True):
        st = os.stat(os.path.join(site, path))
        assert (w.ino, w.mtime, w.ctime) == (st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
        assert Path(site, path).read_bytes() == b"".join(chunks)
    writer.settle(site)  # (nothing left: nothing done)


def test_a_file_streamed_later_that_cannot_be_written_fails_the_swap(repo, tmp_path, monkeypatch):
    out = repo / "_site"
    write_site(SITE, out, repo)
    tmp = writer.begin(out, repo)
    real = writer.write_chunks

    def full(target, chunks, dir_fd=None, reserved=False):
        if "grams" in target:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), target)
        return real(target, chunks, dir_fd, reserved)

    monkeypatch.setattr(writer, "write_chunks", full)
    files = {**SITE, "search/grams/0.js": writer.stream_later(os.fspath(tmp), "search/grams/0.js", [b"g"]),
             "search/grams/1.js": writer.stream_later(os.fspath(tmp), "search/grams/1.js", [b"g"])}
    with pytest.raises(QsgenError, match="空间"):
        write_site(files, out, repo, tmp=tmp)
    assert tree(out) == {**SITE, MARKER: writer.MARKER_TEXT} and not tmp.exists()  # the site as it was
    assert os.fspath(tmp) not in writer._LATER
