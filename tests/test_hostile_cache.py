"""Issue 20, items 1 and 6: the cache is never a way in. Every cache file carries an HMAC seal
made with a key in .git/qsgen-cache-key; a file without it (planted, committed, extracted,
edited, corrupted) is never unpickled: it is discarded with one warning and rebuilt, and the
site is the one a clean build makes."""

from __future__ import annotations

import os
import random
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from qsgen.build import pipeline
from qsgen.incremental import cache, pagestore, statcheck

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import gen_corpus  # noqa: E402

# The reproduction: a pickle that runs `touch PWNED` when loaded.
PWN = b"cos\nsystem\n(S'touch PWNED'\ntR."
KEPT = {cache.LOCK_FILE, ".gitignore"}  # cache files whose bytes are never read


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=root,
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "repo"
    gen_corpus.generate(40, root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "records")
    return root


@pytest.fixture
def repo(corpus, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(corpus, root)
    monkeypatch.chdir(tmp_path)  # where `touch PWNED` would land
    return root


def tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def clean_site(root: Path, out: Path) -> dict[str, bytes]:
    fresh = out.parent / (out.name + "-src")
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(cache.CACHE_DIR, "_site*"))
    pipeline.build(fresh, out, quiet=True, use_cache=False)
    return tree(out)


def cache_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / cache.CACHE_DIR).rglob("*") if p.is_file() and p.name not in KEPT)


def no_pwned(*places: Path) -> None:
    for place in places:
        assert not (place / "PWNED").exists(), place


def refused(report) -> list:
    return [d for d in report.warnings if "未通过校验" in d.message]


def test_a_planted_pickle_under_every_cache_file_name_runs_nothing(repo, tmp_path):
    pipeline.build(repo, quiet=True)
    files = cache_files(repo)
    kinds = {p.relative_to(repo / cache.CACHE_DIR).parts[0].split("-")[0] for p in files}
    assert kinds >= {"rules", "scores", "history", "records", "pages", "jinja"}
    for p in files:
        p.write_bytes(PWN)
    report = pipeline.build(repo, quiet=True)
    no_pwned(tmp_path, repo, Path.cwd())
    assert tree(repo / "_site") == clean_site(repo, tmp_path / "clean")
    [warning] = refused(report)  # one warning, for all of them
    # (a unit's search rows beside its shard are read only when its shard names them, its piece
    # of the status table only when the table names it, and the site's paths only when the
    # site is updated in place: here, never; they are written anew)
    side = [p for p in files if p.name.endswith((pagestore.ROWS, pagestore.PIECE)) or p.name == pagestore.PATHS]
    assert side and all(p.read_bytes() != PWN for p in side)
    assert warning.severity == "warning" and f"等 {len(files) - len(side)} 个" in warning.message
    assert "qsgen-cache-key" in warning.hint
    # rebuilt: the next build trusts its own files again
    again = pipeline.build(repo, quiet=True)
    assert refused(again) == []
    assert tree(repo / "_site") == clean_site(repo, tmp_path / "clean2")


@pytest.mark.parametrize("which", ["rules-", "scores-", "history-", "records/", "pages/", "records/status",
                                   "pages/status", "jinja/"])
def test_one_flipped_bit_in_a_cache_file_is_refused(repo, tmp_path, which):
    pipeline.build(repo, quiet=True)
    clean = tree(repo / "_site")
    rng = random.Random(which)
    target = next(p for p in cache_files(repo) if p.relative_to(repo / cache.CACHE_DIR).as_posix().startswith(which)
                  and not p.name.endswith(pagestore.ROWS))
    data = bytearray(target.read_bytes())
    at = rng.randrange(len(data))
    data[at] ^= 1 << rng.randrange(8)
    target.write_bytes(bytes(data))
    if which == "jinja/":  # compiled templates are loaded only to render a page
        shutil.rmtree(repo / cache.CACHE_DIR / "pages")
    report = pipeline.build(repo, quiet=True)
    assert len(refused(report)) == 1
    assert tree(repo / "_site") == clean
    assert tree(repo / "_site") == clean_site(repo, tmp_path / "clean")


def test_one_flipped_bit_in_a_units_search_rows_is_refused_when_they_are_read(repo, tmp_path):
    pipeline.build(repo, quiet=True)  # (the corpus is a git repository: rows are kept)
    target = repo / cache.CACHE_DIR / "pages" / pagestore.rows_file("2023-duanshi")
    data = bytearray(target.read_bytes())
    at = random.Random(7).randrange(len(data))
    data[at] ^= 1
    target.write_bytes(bytes(data))
    record = sorted((repo / "records" / "2023" / "duanshi").glob("evidence-*.md"))[0]
    record.write_text(record.read_text("utf-8").replace("\n---\n\n", "\n---\n\n改一句。\n\n", 1), "utf-8")
    report = pipeline.build(repo, quiet=True)
    assert len(refused(report)) == 1 and pagestore.rows_file("2023-duanshi") in refused(report)[0].message
    assert tree(repo / "_site") == clean_site(repo, tmp_path / "clean")


def test_garbage_in_every_cache_file_gives_the_clean_site(repo, tmp_path):
    pipeline.build(repo, quiet=True)
    rng = random.Random(20)
    for p in cache_files(repo):  # the issue: OverflowError until the cache was deleted by hand
        p.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
    report = pipeline.build(repo, quiet=True)
    assert len(refused(report)) == 1
    assert tree(repo / "_site") == clean_site(repo, tmp_path / "clean")


def test_a_cache_untracked_after_being_committed_is_still_never_loaded(repo, tmp_path):
    """The hint of the committed cache followed (git rm -r --cached): the files stay on disk."""
    pipeline.build(repo, quiet=True)
    for p in cache_files(repo):
        p.write_bytes(PWN)
    git(repo, "add", "-f", cache.CACHE_DIR)
    git(repo, "commit", "-qm", "a cache in a pull request")
    report = pipeline.build(repo, quiet=True)
    assert "git rm -r --cached" in report.warnings[0].hint
    git(repo, "rm", "-rq", "--cached", cache.CACHE_DIR)
    git(repo, "commit", "-qm", "untrack it")
    report = pipeline.build(repo, quiet=True)
    no_pwned(tmp_path, repo)
    assert len(refused(report)) == 1
    assert tree(repo / "_site") == clean_site(repo, tmp_path / "clean")


def test_a_tree_without_git_trusts_no_cache_on_disk(repo, tmp_path):
    """`git archive | tar -x`: no .git to keep a key in; what is on disk is never loaded, in a
    fresh process as in this one."""
    pipeline.build(repo, quiet=True)
    extracted = tmp_path / "extracted"
    extracted.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=repo, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x"], cwd=extracted, input=archive, check=True)
    shutil.copytree(repo / cache.CACHE_DIR, extracted / cache.CACHE_DIR)
    for p in cache_files(extracted):
        p.write_bytes(PWN)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-m", "qsgen", "build"], cwd=extracted, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "未通过校验" in proc.stderr and "没有 .git" in proc.stderr
    no_pwned(tmp_path, extracted)
    assert not (extracted / ".git").exists()
    clean = clean_site(extracted, tmp_path / "clean")
    assert tree(extracted / "_site") == clean
    # a second process does not trust the first one's cache either
    proc = subprocess.run([sys.executable, "-m", "qsgen", "build"], cwd=extracted, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "沿用缓存 0 页" in proc.stderr
    assert "未通过校验" not in proc.stderr  # (sealed by an earlier qsgen: expected here, not worth a warning)
    assert tree(extracted / "_site") == clean


def test_the_key_lives_in_git_storage_owner_only_and_is_shared_by_worktrees(repo, tmp_path):
    pipeline.build(repo, quiet=True)
    key = repo / ".git" / cache.KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.stat().st_size == cache.KEY_BYTES
    assert not [p for p in git(repo, "status", "--porcelain", "--ignored").splitlines() if "key" in p]
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"))
    assert cache.git_storage(tmp_path / "wt") == (repo / ".git").resolve()
    assert cache.repository_key(tmp_path / "wt") == (key.read_bytes(), True)


def test_a_cache_file_copied_to_another_name_is_refused(repo):
    pipeline.build(repo, quiet=True)
    shards = sorted((repo / cache.CACHE_DIR / "records").glob("*.pickle"))
    target = repo / cache.CACHE_DIR / "rules-2023.pickle"
    target.write_bytes(shards[0].read_bytes())  # sealed by this key, but for another file
    assert cache.read_pickle(target) is None
    assert cache.take_rejected() == [f"{cache.CACHE_DIR}/rules-2023.pickle"]
    assert not target.exists()


def test_the_status_helper_never_unmarshals_an_unsealed_table(tmp_path):
    folder = tmp_path / cache.CACHE_DIR / "pages"
    folder.mkdir(parents=True)
    good, planted = folder / "good.marshal", folder / "status.marshal"
    statcheck.save_table(good, {"x": (1,)})
    planted.write_bytes(PWN)
    check = statcheck.start([(planted, tmp_path), (good, tmp_path)])
    assert check.changed(0) is None and check.changed(1) == {"x"}
    assert cache.take_rejected() == [f"{cache.CACHE_DIR}/pages/status.marshal"]
    assert not planted.exists()


def test_a_build_with_errors_still_says_it_refused_cache_files(repo):
    from qsgen.core.errors import QsgenError

    pipeline.build(repo, quiet=True)
    for p in cache_files(repo):
        p.write_bytes(PWN)
    bad = next((repo / "records" / "2023").rglob("case-*.md"))
    bad.write_text("---\nkind: case\n---\n", "utf-8")
    with pytest.raises(QsgenError) as e:
        pipeline.build(repo, quiet=True)
    assert [d for d in e.value.diagnostics if "未通过校验" in d.message and d.severity == "warning"]
    assert not (Path.cwd() / "PWNED").exists()
