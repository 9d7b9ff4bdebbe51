"""What an incremental build after one change no longer does record by record, or at all
(docs/benchmarks.md, 第七轮): the record pages of units kept whole handed to the builder as
they are (CachedPages.record_pages), a unit's search rows looked up in one go
(CachedPages.search_rows), rules/owners.yaml's show_authors kept by the file's bytes
(build.inputs.show_authors). Each build is byte-identical to a clean one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fixtures.recordkit import generated_repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qsgen.approvals import owners as owners_module
from qsgen.build import inputs, pipeline
from qsgen.incremental import pages

YEAR = "records/2023/"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """40 generated records in a git repository, copied by each test."""
    return generated_repo(tmp_path_factory.mktemp("corpus") / "repo", 40)


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def _clean(root: Path, work: Path) -> dict[str, bytes]:
    out = work / "clean"
    if out.exists():
        shutil.rmtree(out)
    pipeline.build(root, out, quiet=True, use_cache=False)
    return _tree(out)


def _body_edit(root: Path, i: int) -> None:
    rec = sorted((root / YEAR).glob("*/evidence-*.md"))[0]
    text = rec.read_text("utf-8")
    rec.write_text(text.replace("\n---\n\n", f"\n---\n\n（第{i}次更新）", 1), "utf-8")


@pytest.mark.parametrize("one_by_one", [False, True])
def test_the_record_pages_of_units_kept_whole_are_the_clean_builds(corpus, tmp_path, monkeypatch, one_by_one):
    """The builder asks for every record page of the year at once: the units kept whole are
    handed over as they are; asked otherwise (a subset, a copy), each page is taken as before."""
    root = Path(shutil.copytree(corpus, tmp_path / "repo"))
    pipeline.build(root, quiet=True)
    if one_by_one:
        record_pages = pages.CachedPages.record_pages
        monkeypatch.setattr(pages.CachedPages, "record_pages",
                            lambda self, site, recs: record_pages(self, site, list(recs)))
    seen = []
    take = pages.CachedPages.search_rows

    def search_rows(self, site, recs):
        seen.append(len(recs))
        return take(self, site, recs)

    monkeypatch.setattr(pages.CachedPages, "search_rows", search_rows)
    for i in range(2):
        _body_edit(root, i)
        pipeline.build(root, quiet=True)
        assert _tree(root / "_site") == _clean(root, tmp_path)
    assert seen  # (the units' search rows were looked up in one go)


def _owners(root: Path, how: str) -> None:
    path = root / inputs.OWNERS_FILE
    base = path.read_bytes().decode("utf-8", "replace") if path.exists() else ""
    base = base if "\ufffd" not in base else ""
    base = "\n".join(line for line in base.splitlines() if not line.startswith("show_authors"))
    if how == "false":
        path.write_text(base + "\nshow_authors: false\n", "utf-8")
    elif how == "true":
        path.write_text(base + "\nshow_authors: true\n", "utf-8")
    elif how == "bad":
        path.write_text(base + "\nshow_authors: 部分\n", "utf-8")
    elif how == "none":
        path.write_text(base + "\n", "utf-8")
    elif how == "broken":
        path.write_bytes(b"\xff\xfe not utf-8")
    elif how == "gone" and path.exists():
        path.unlink()


@settings(max_examples=4, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.sampled_from(["false", "true", "bad", "none", "broken", "gone", "same"]),
                      min_size=2, max_size=5))
def test_show_authors_kept_by_the_owners_files_bytes_is_the_clean_builds(corpus, tmp_path_factory, steps):
    """Any sequence of edits of rules/owners.yaml (the setting, a wrong value, a file that is
    not UTF-8, no file): each incremental build is the clean build, and what the build kept
    is what the file says."""
    work = tmp_path_factory.mktemp("owners")
    root = Path(shutil.copytree(corpus, work / "repo"))
    pipeline.build(root, quiet=True)
    for how in steps:
        _owners(root, how)
        pipeline.build(root, quiet=True)
        assert _tree(root / "_site") == _clean(root, work)
        assert inputs.show_authors(root, True) == inputs.show_authors(root)


def test_show_authors_is_not_read_again_while_the_file_is_the_same(corpus, tmp_path, monkeypatch):
    root = Path(shutil.copytree(corpus, tmp_path / "repo"))
    _owners(root, "false")
    pipeline.build(root, quiet=True)
    calls = []
    load = owners_module.load_owners

    def counted(where):
        calls.append(where)
        return load(where)

    monkeypatch.setattr(owners_module, "load_owners", counted)
    _body_edit(root, 1)
    pipeline.build(root, quiet=True)
    assert calls == []
    _owners(root, "true")  # changed: read
    pipeline.build(root, quiet=True)
    assert len(calls) == 1
    assert _tree(root / "_site") == _clean(root, tmp_path)



_PATHS = st.one_of(
    st.just("x.md"),
    st.builds(lambda y, n: f"records/{y}/x{n}.md", st.sampled_from(["2023", "2024"]), st.integers(0, 2)),
    st.builds(lambda y, u, n: f"records/{y}/{u}/{n}.md", st.sampled_from(["2023", "2024"]),
              st.sampled_from(["a", "b", "龙港"]), st.integers(0, 9)),
    st.builds(lambda u, n: f"records/2023/{u}/附件/{n}.md", st.sampled_from(["a", "b"]), st.integers(0, 9)),
)


@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(paths=st.lists(_PATHS, max_size=30), ordered=st.booleans(),
       skip=st.sets(st.sampled_from(["2023-a", "2023-b", "2024-a", "", "2023-龙港"])))
def test_the_record_memos_shards_are_its_entries_split_path_by_path(paths, ordered, skip):
    """recordmemo._by_shard (runs of one folder placed at once) is the split done one path at a time."""
    from qsgen.incremental import recordmemo

    entries = {p: i for i, p in enumerate(sorted(paths) if ordered else paths)}
    want: dict = {}
    for p, e in entries.items():
        shard = recordmemo._shard(p)
        if shard in skip:
            want[shard] = None
        else:
            want.setdefault(shard, {})[p] = e
    got = recordmemo._by_shard(entries, skip)
    assert got == want and list(got) == list(want)
    assert all(want[s] is None or list(got[s]) == list(want[s]) for s in want)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(folders=st.lists(st.lists(st.sampled_from(["records", "2023", "a", "b", ".", "..", "", "ln", "up", "附件"]),
                                 min_size=1, max_size=5).map("/".join), min_size=1, max_size=8))
def test_attachment_folders_resolved_from_their_parents_are_realpaths(tmp_path_factory, folders):
    """read_attachments resolves a folder from its parent's real path (build.inputs._real_folder):
    the same as os.path.realpath, symbolic links, missing folders, "." and ".." included."""
    import os

    root = tmp_path_factory.mktemp("links")
    (root / "records" / "2023" / "a" / "附件").mkdir(parents=True)
    (root / "records" / "2023" / "b").mkdir()
    (root / "records" / "2023" / "ln").symlink_to("a")
    (root / "records" / "up").symlink_to("..")
    dirs: dict[str, str] = {}
    for folder in folders:
        if folder not in dirs:
            inputs._real_folder(root, folder, dirs)
        assert dirs[folder] == os.path.realpath(os.path.join(root, *folder.split("/")))
    for folder, real in dirs.items():
        assert real == os.path.realpath(os.path.join(root, *folder.split("/")))


@given(ids=st.lists(st.text(min_size=1, max_size=12), max_size=20), folder=st.sampled_from(["", "2023/", "{0}/"]))
def test_kept_record_page_paths_are_record_files(ids, folder):
    """_changed's paths of the record pages of units kept whole (CachedPages._page_path) are
    folder + record_file(id), whatever the id."""
    from qsgen.site.urls import record_file

    assert list(pages._page_path(folder)(iter(ids))) == [folder + record_file(i) for i in ids]
