"""The record memo replays a unit folder as a whole (no listing, no file by file) while statcheck
sees neither the folder, its sub-folders nor any of its files changed: after any change to the
folders (a record added, removed, renamed, moved, edited; a record put in a sub-folder; an
attachment gone) what the memo gives is what a fresh read gives, and the next build is a clean one."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qsgen.build import pipeline
from qsgen.core.errors import QsgenError
from qsgen.incremental import cache, recordmemo, statcheck
from qsgen.records import load_records
from qsgen.rules import load_rules

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import gen_corpus  # noqa: E402

YEAR = "records/2023/"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """40 generated records (some with attachments in 附件/), copied by each test (copy_of)."""
    made = tmp_path_factory.mktemp("corpus") / "repo"
    gen_corpus.generate(40, made)
    return made


def copy_of(corpus: Path, where: Path) -> Path:
    shutil.copytree(corpus, where / "repo")
    return where / "repo"


def cached_load(root: Path, wholes: list[str] | None = None):
    """What a build does with the record memo: loaded from disk, told by statcheck what
    changed, the records loaded through it, saved again. ``wholes`` gets the folders replayed whole."""
    rules, _ = load_rules(root, 2023)
    memo = recordmemo.RecordMemo.load_disk(root, recordmemo.loader_digest(root, cache.tree_digest(root / "rules")))
    check = statcheck.start([(recordmemo.RecordMemo.status_table(root), root)])
    memo.changed = check.changed(0)
    real = recordmemo._Replay.whole

    def whole(self, ctx, rel, entry):
        got = real(self, ctx, rel, entry)
        if got is not None and wholes is not None:
            wholes.append(rel)
        return got

    recordmemo._Replay.whole = whole
    try:
        loaded = memo.load(root, rules)
    finally:
        recordmemo._Replay.whole = real
    memo.save_disk(root)
    return loaded


def fresh(root: Path):
    rules, _ = load_rules(root, 2023)
    return load_records(root, rules)


def same(a, b) -> None:
    (ra, da), (rb, db) = a, b
    assert ra.records == rb.records
    assert [r.path for r in ra.records] == [r.path for r in rb.records]
    assert ra.assessments == rb.assessments
    assert da == db


def units(root: Path) -> list[Path]:
    return sorted(p for p in (root / YEAR).iterdir() if p.is_dir())


def records_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.md"))


def settle() -> None:
    """Past the file system's clock tick of the last change (a folder changed in the tick its
    status is taken is not kept for replay as a whole: racy)."""
    import time

    time.sleep(0.02)


def test_unchanged_folders_are_replayed_whole_and_a_changed_one_is_listed(corpus, tmp_path):
    repo = copy_of(corpus, tmp_path)
    cached_load(repo)  # (the memo saved, with each folder as walked)
    settle()
    cached_load(repo)  # (saved with every folder older than the walk)
    wholes: list[str] = []
    same(cached_load(repo, wholes), fresh(repo))
    assert sorted(wholes) == [YEAR + p.name for p in units(repo)]
    target = records_in(units(repo)[0])[0]
    target.write_text(target.read_text("utf-8") + "\n补充一句。\n", "utf-8")
    wholes.clear()
    got = cached_load(repo, wholes)
    same(got, fresh(repo))
    assert YEAR + units(repo)[0].name not in wholes and len(wholes) == len(units(repo)) - 1
    assert "补充一句" in next(r for r in got[0].records if r.path.endswith(target.name)).body


def _attachment_owner(root: Path) -> tuple[Path, Path]:
    for folder in units(root):
        for rec in records_in(folder):
            text = rec.read_text("utf-8")
            if "attachments: [" in text:
                rel = text.split("attachments: [", 1)[1].split("]", 1)[0]
                return rec, folder / rel
    raise AssertionError("the corpus has no attachment")


def change(root: Path, how: str, rng: random.Random) -> None:
    """One change to the records' folders."""
    folders = units(root)
    folder = rng.choice(folders)
    recs = records_in(folder)
    if how == "edit" and recs:
        rec = rng.choice(recs)
        rec.write_text(rec.read_text("utf-8") + f"\n补充 {rng.randrange(1000)}。\n", "utf-8")
    elif how == "add" and recs:
        rec = rng.choice(recs)
        kind, rest = rec.name.split("-", 1)
        shutil.copy(rec, folder / f"{kind}-1231-9{rng.randrange(10**5):05d}.md")
    elif how == "remove" and recs:
        rng.choice(recs).unlink()
    elif how == "rename" and recs:
        rec = rng.choice(recs)
        rec.rename(rec.with_name(rec.name[:-3] + "1.md"))
    elif how == "move" and recs:
        rec = rng.choice(recs)
        other = rng.choice(folders)
        rec.rename(other / rec.name)
    elif how == "touch" and recs:
        os.utime(rng.choice(recs))
    elif how == "misplace" and recs:
        sub = folder / "附件" / rng.choice(["", "更深"])
        sub.mkdir(parents=True, exist_ok=True)
        shutil.copy(rng.choice(recs), sub / rng.choice(recs).name)
    elif how == "tidy":
        for stray in sorted((root / YEAR).glob("*/附件/**/*.md")):
            stray.unlink()
    elif how == "attachment":
        _rec, att = _attachment_owner(root)
        if att.exists():
            att.rename(att.with_name(att.name + ".gone"))
        else:
            att.with_name(att.name + ".gone").rename(att)
    elif how == "readme":
        (folder / "README.md").write_text("说明\n", "utf-8")
    elif how == "clash" and recs:
        rec = rng.choice(recs)
        shutil.copy(rec, rec.with_name(rec.name.upper().replace(".MD", ".md")))


CHANGES = ["edit", "add", "remove", "rename", "move", "touch", "misplace", "tidy", "attachment", "readme", "clash"]


@pytest.mark.parametrize("how", CHANGES)
def test_each_kind_of_change_reads_as_a_fresh_load(corpus, tmp_path, how):
    repo = copy_of(corpus, tmp_path)
    cached_load(repo)
    settle()
    cached_load(repo)
    rng = random.Random(how)
    change(repo, how, rng)
    same(cached_load(repo), fresh(repo))
    same(cached_load(repo), fresh(repo))  # and once more, from what that load saved


def test_a_folder_changed_while_it_was_walked_is_not_kept_whole(corpus, tmp_path):
    repo = copy_of(corpus, tmp_path)
    cached_load(repo)  # (no settling: the folders were written just before, in this tick or close)
    memo = recordmemo.RecordMemo.load_disk(repo, recordmemo.loader_digest(repo, cache.tree_digest(repo / "rules")))
    now = recordmemo._fs_now(repo / cache.CACHE_DIR / cache.RECORDS_DIR)
    for info in memo.folders.values():
        st = os.lstat(repo / info[0])
        assert max(st.st_mtime_ns, st.st_ctime_ns) < now


@settings(max_examples=12, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.sampled_from(CHANGES), st.integers(0, 2**16), st.booleans()),
                      min_size=1, max_size=6))
def test_any_sequence_of_changes_reads_as_a_fresh_load(corpus, tmp_path_factory, steps):
    root = copy_of(corpus, tmp_path_factory.mktemp("seq"))
    cached_load(root)
    settle()
    for how, seed, wait in steps:
        change(root, how, random.Random(seed))
        if wait:
            settle()
        same(cached_load(root), fresh(root))


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@settings(max_examples=4, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.sampled_from(CHANGES), st.integers(0, 2**16)), min_size=1, max_size=3))
def test_after_changes_to_the_folders_an_incremental_build_is_a_clean_build(corpus, tmp_path_factory,
                                                                             monkeypatch, steps):
    work = tmp_path_factory.mktemp("build")
    root = copy_of(corpus, work)
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@example.org",
                                                  "commit", "-qm", "records"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    monkeypatch.chdir(work)
    pipeline.build(root, quiet=True)
    settle()
    pipeline.build(root, quiet=True)
    for how, seed in steps:
        change(root, how, random.Random(seed))
        try:
            pipeline.build(root, quiet=True)
        except QsgenError as e:
            with pytest.raises(QsgenError) as clean:
                pipeline.build(root, work / "clean", quiet=True, use_cache=False)
            assert clean.value.diagnostics == e.diagnostics
            continue
        pipeline.build(root, work / "clean", quiet=True, use_cache=False)
        assert _tree(root / "_site") == _tree(work / "clean")
        shutil.rmtree(work / "clean")


def _memo(root: Path) -> recordmemo.RecordMemo:
    return recordmemo.RecordMemo.load_disk(root, recordmemo.loader_digest(root, cache.tree_digest(root / "rules")))


def test_a_folder_kept_whole_is_loaded_packed_and_unpacked_only_when_its_files_are_asked_for(corpus, tmp_path):
    """A shard saved with its folder's results put together is loaded without an entry per file
    (RecordMemo.packed); unpacked, its entries, digests and statuses are what a fresh read gives;
    a load after one file changed unpacks that file's shard alone."""
    repo = copy_of(corpus, tmp_path)
    cached_load(repo)
    settle()
    cached_load(repo)
    memo = _memo(repo)
    shards = {recordmemo._shard(YEAR + p.name + "/") for p in units(repo)}
    assert set(memo.packed) == shards and memo.entries == {} and memo.digests == {}
    memo.unpack()
    assert memo.packed == {}
    records, _diags = fresh(repo)
    by_path: dict[str, list] = {}
    for rec in records.records:
        by_path.setdefault(rec.path, []).append(rec)
    assert set(memo.entries) == {p.relative_to(repo).as_posix() for p in (repo / YEAR).glob("*/*")
                                 if p.is_file() and p.name != "README.md"}
    for path, (key, result) in memo.entries.items():
        st = os.lstat(repo / path)
        assert key == (*statcheck.status(st), path.endswith("/assessment.yaml"))
        assert list(result.records) == by_path.get(path, [])
        assert memo.digests[path] == [cache.record_digest(r) for r in result.records]
        assert (result.assessment is not None) == key[5]
        if result.assessment is not None:
            assert result.assessment == records.assessments[result.assessment.unit]
    target = records_in(units(repo)[1])[0]
    target.write_text(target.read_text("utf-8") + "\n补充一句。\n", "utf-8")
    memo = _memo(repo)
    memo.changed = statcheck.start([(recordmemo.RecordMemo.status_table(repo), repo)]).changed(0)
    rules, _ = load_rules(repo, 2023)
    same(memo.load(repo, rules), fresh(repo))
    assert set(memo.packed) == shards - {recordmemo._shard(YEAR + units(repo)[1].name + "/")}
    assert {recordmemo._shard(p) for p in memo.entries} == {recordmemo._shard(YEAR + units(repo)[1].name + "/")}
    memo.save_disk(repo)
    same(cached_load(repo), fresh(repo))


def test_a_packed_folder_removed_whole_is_forgotten(corpus, tmp_path):
    repo = copy_of(corpus, tmp_path)
    cached_load(repo)
    settle()
    cached_load(repo)
    gone = units(repo)[2]
    shutil.rmtree(gone)
    memo = _memo(repo)
    memo.changed = statcheck.start([(recordmemo.RecordMemo.status_table(repo), repo)]).changed(0)
    rules, _ = load_rules(repo, 2023)
    same(memo.load(repo, rules), fresh(repo))
    shard = recordmemo._shard(YEAR + gone.name + "/")
    assert shard not in memo.packed and not any(p.startswith(YEAR + gone.name + "/") for p in memo.entries)
    memo.save_disk(repo)
    assert cache.shard_file(shard) not in os.listdir(recordmemo.RecordMemo.disk_dir(repo))
    same(cached_load(repo), fresh(repo))


def _listed(root: Path, monkeypatch) -> list[str]:
    """The unit folders the walk lists from now on (records/walk.py's _scandir)."""
    from qsgen.records import walk

    listed: list[str] = []
    real = walk._Walk._scandir

    def scandir(self, full, rel):
        if rel.count("/") > 1:
            listed.append(rel)
        return real(self, full, rel)

    monkeypatch.setattr(walk._Walk, "_scandir", scandir)
    return listed


def test_a_folder_whose_listing_is_unchanged_is_not_listed_and_only_its_changed_files_are_read(
        corpus, tmp_path, monkeypatch):
    """A folder with files changed in place (its listing and sub-folders as saved) is not
    listed: its other files are replayed, the changed ones read (as FileSource.part gives
    them), and what the load gives is what a fresh read gives, in the same order (the case
    numbers' "另见" lists them in the order the files were read)."""
    repo = copy_of(corpus, tmp_path)
    cached_load(repo)
    settle()
    cached_load(repo)
    folder = next((f for f in units(repo) if len([p for p in records_in(f) if p.name.startswith("case-")]) >= 3),
                  None)
    assert folder is not None, "the corpus has no folder with three cases"
    recs = records_in(folder)
    first, last = recs[0], recs[-1]
    first.write_text(first.read_text("utf-8") + "\n补充一句。\n", "utf-8")
    last.write_text(last.read_text("utf-8") + "\n又补充一句。\n", "utf-8")
    listed = _listed(repo, monkeypatch)
    read: list[str] = []
    real = recordmemo._Replay._remember

    def remember(self, path, key, clashed, result):
        read.append(path)
        return real(self, path, key, clashed, result)

    monkeypatch.setattr(recordmemo._Replay, "_remember", remember)
    got = cached_load(repo)
    assert listed == []
    same(got, fresh(repo))
    assert sorted(read) == sorted(p.relative_to(repo).as_posix() for p in (first, last))
    assert "又补充一句" in next(r for r in got[0].records if r.path.endswith(last.name)).body
    # a file added: the folder is listed
    other = next(p for p in recs if not p.name.startswith("case-"))  # (no case number to repeat)
    shutil.copy(other, folder / (other.name.split("-", 1)[0] + "-1231-900001.md"))
    listed.clear()
    got = cached_load(repo)
    assert listed == [YEAR + folder.name]
    same(got, fresh(repo))
    settle()
    same(cached_load(repo), fresh(repo))
    # a case number written three times (two files changed): the same errors, each "另见" in
    # the same order, as a fresh read
    cases = [p for p in records_in(folder) if p.name.startswith("case-")]
    number = next(line for line in cases[0].read_text("utf-8").splitlines() if line.startswith("case_no:"))
    for case in (cases[1], cases[-1]):
        text = case.read_text("utf-8").splitlines()
        case.write_text("\n".join(number if line.startswith("case_no:") else line for line in text) + "\n", "utf-8")
    listed.clear()
    got = cached_load(repo)
    assert listed == []
    same(got, fresh(repo))
    assert len([d for d in got[1] if "重复" in d.message]) >= 2
