"""A record read again after its file changed is told apart from the one it replaces
(cache.DigestMemo.before): when only its body changed its unit keeps its score (not scored
again) and the unit's other record pages their keys; after any sequence of such edits and
others (fields, titles, links, reverts), an incremental build is a clean build."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest
from fixtures.recordkit import generated_repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qsgen.build import pipeline
from qsgen.core.errors import QsgenError
from qsgen.incremental import pagestore
from qsgen.scoring import engine
from qsgen.site.pages import record as record_page

YEAR = "records/2023/"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """60 generated records in a git repository, copied by each test."""
    return generated_repo(tmp_path_factory.mktemp("corpus") / "repo", 60)


def copy_of(corpus: Path, where: Path) -> Path:
    return Path(shutil.copytree(corpus, where / "repo"))


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def _records(root: Path) -> list[Path]:
    return sorted((root / YEAR).glob("*/*.md"))


def _counting(monkeypatch) -> dict[str, list]:
    """Calls of score_unit (units scored) and record_page.inputs (record page keys worked out)."""
    seen: dict[str, list] = {"scored": [], "keyed": []}
    score_unit, inputs = engine.score_unit, record_page.inputs

    def scored(rules, unit, records, as_of=None):
        seen["scored"].append(unit.slug)
        return score_unit(rules, unit, records, as_of)

    def keyed(site, rec, paths):
        seen["keyed"].append(rec.id)
        return inputs(site, rec, paths)

    monkeypatch.setattr(engine, "score_unit", scored)
    monkeypatch.setattr(record_page, "inputs", keyed)
    return seen


def _clean(root: Path, work: Path) -> Path:
    out = work / "clean"
    if out.exists():
        shutil.rmtree(out)
    pipeline.build(root, out, quiet=True, use_cache=False)
    return out


def test_a_body_changed_keeps_its_units_score_and_its_other_pages_keys(corpus, tmp_path, monkeypatch):
    root = copy_of(corpus, tmp_path)
    pipeline.build(root, quiet=True)
    before = pagestore.PageStore.load(root).pages
    rec = next(p for p in _records(root) if p.name.startswith("evidence-"))
    text = rec.read_text("utf-8")
    rec.write_text(text.replace("\n---\n\n", "\n---\n\n（第1次更新）", 1), "utf-8")
    seen = _counting(monkeypatch)
    pipeline.build(root, quiet=True)
    unit = rec.parent.name
    assert seen["scored"] == []
    assert seen["keyed"] == [f"{unit}/{rec.stem}"]
    after = pagestore.PageStore.load(root).pages
    changed = sorted(p for p, entry in after.items() if before.get(p, (None,))[0] != entry[0])
    assert changed[0] == f"2023/records/{unit}/{rec.stem}.html"
    assert not [p for p in changed if p.startswith("2023/") and p != changed[0]]
    assert _tree(root / "_site") == _tree(_clean(root, tmp_path))
    # and back: the record read again replaces the changed one
    rec.write_text(text, "utf-8")
    seen["scored"].clear()
    seen["keyed"].clear()
    pipeline.build(root, quiet=True)
    assert seen["scored"] == [] and seen["keyed"] == [f"{unit}/{rec.stem}"]
    assert _tree(root / "_site") == _tree(_clean(root, tmp_path))


def test_a_field_changed_with_the_body_scores_its_unit_again(corpus, tmp_path, monkeypatch):
    root = copy_of(corpus, tmp_path)
    pipeline.build(root, quiet=True)
    rec = next(p for p in _records(root) if p.name.startswith("evidence-"))
    text = rec.read_text("utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    rec.write_text(text.replace(title, title + "（修订）", 1).replace("\n---\n\n", "\n---\n\n改。", 1), "utf-8")
    seen = _counting(monkeypatch)
    pipeline.build(root, quiet=True)
    assert seen["scored"] == [rec.parent.name]
    assert _tree(root / "_site") == _tree(_clean(root, tmp_path))


def _edit(root: Path, how: str, rng: random.Random, originals: dict[Path, str]) -> None:
    """One edit of a record file (a body, a field, a title, a link to another record), or an
    edited file put back as it was."""
    recs = _records(root)
    rec = rng.choice(recs)
    text = rec.read_text("utf-8")
    originals.setdefault(rec, text)
    head, sep, body = text.partition("\n---\n\n")
    if how == "body_start":
        rec.write_text(f"{head}{sep}（第{rng.randrange(100)}次更新）{body}", "utf-8")
    elif how == "body_end":
        rec.write_text(f"{text}\n补充 {rng.randrange(1000)}。\n", "utf-8")
    elif how == "link":
        other = rng.choice(recs)
        rel = other.name if other.parent == rec.parent else f"../{other.parent.name}/{other.name}"
        rec.write_text(f"{text}\n另见[{other.stem}]({rel})。\n", "utf-8")
    elif how == "title":
        title = next(line for line in head.splitlines() if line.startswith("title: "))
        rec.write_text(text.replace(title, title + "（修订）", 1), "utf-8")
    elif how == "date":
        date = next(line for line in head.splitlines() if line.startswith("date: "))
        rec.write_text(text.replace(date, f"date: 2023-{rng.randrange(1, 13):02d}-1{rng.randrange(10)}", 1), "utf-8")
    elif how == "revert" and originals:
        back = rng.choice(sorted(originals))
        back.write_text(originals[back], "utf-8")


EDITS = ["body_start", "body_end", "link", "title", "date", "revert"]


@settings(max_examples=6, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 2**16)),
                                         min_size=1, max_size=3), st.booleans()),
                      min_size=1, max_size=4))
def test_after_any_edits_an_incremental_build_is_a_clean_build(corpus, tmp_path_factory, steps):
    work = tmp_path_factory.mktemp("edits")
    root = copy_of(corpus, work)
    pipeline.build(root, quiet=True)
    originals: dict[Path, str] = {}
    for edits, commit in steps:
        for how, seed in edits:
            _edit(root, how, random.Random(seed), originals)
        if commit:  # (a new HEAD: every record page's provenance is asked again)
            for args in (["add", "-A", "records"], ["-c", "user.name=t", "-c", "user.email=t@example.org",
                                                    "commit", "-qm", "edits", "--allow-empty"]):
                subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
        try:
            pipeline.build(root, quiet=True)
        except QsgenError as e:
            with pytest.raises(QsgenError) as clean:
                _clean(root, work)
            assert clean.value.diagnostics == e.diagnostics
            continue
        assert _tree(root / "_site") == _tree(_clean(root, work))


def test_the_record_memo_tells_a_body_changed_from_a_field_changed(corpus, tmp_path):
    from qsgen.incremental import cache, recordmemo
    from qsgen.rules import load_rules

    root = copy_of(corpus, tmp_path)
    rules, _ = load_rules(root, 2023)
    memo, digests = recordmemo.RecordMemo(), cache.DigestMemo()
    records, _ = memo.load(root, rules, digests)
    was = {r.path: d for r, d in zip(records.records, map(digests.table(records.records).get,
                                                            map(id, records.records)), strict=True)}
    a, b = [p for p in _records(root) if p.name.startswith("evidence-")][:2]
    a.write_text(a.read_text("utf-8").replace("\n---\n\n", "\n---\n\n（更新）", 1), "utf-8")
    text = b.read_text("utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    b.write_text(text.replace(title, title + "（修订）", 1), "utf-8")
    records, _ = memo.load(root, rules, digests)
    by_path = {r.path: r for r in records.records}
    ra, rb = by_path[a.relative_to(root).as_posix()], by_path[b.relative_to(root).as_posix()]
    assert digests.before == {id(ra): (ra, was[ra.path], True), id(rb): (rb, was[rb.path], False)}
    assert digests.earlier(body_only=True) == {id(ra): was[ra.path]}
    memo.load(root, rules, digests)  # (nothing read again: nothing noted)
    assert digests.before == {}


def test_files_put_in_the_site_by_hand_go_with_the_next_build(corpus, tmp_path):
    root = copy_of(corpus, tmp_path)
    pipeline.build(root, quiet=True)
    site = root / "_site"
    unit = next(p for p in (site / "2023" / "records").iterdir() if p.is_dir())
    (site / "extra.html").write_text("手放的", "utf-8")
    (unit / "stray.html").write_text("手放的", "utf-8")
    (site / "newdir").mkdir()
    (site / "newdir" / "f.txt").write_text("手放的", "utf-8")
    rec = _records(root)[0]
    rec.write_text(rec.read_text("utf-8").replace("\n---\n\n", "\n---\n\n（又一次）", 1), "utf-8")
    pipeline.build(root, quiet=True)
    assert _tree(site) == _tree(_clean(root, tmp_path))
    assert not (site / "newdir").exists()
