"""The content-hash cache: an incremental build is byte-identical to a clean build of the same input."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from qsgen import site
from qsgen.build import inputs as gather
from qsgen.build import pipeline, render, workers
from qsgen.build.inputs import site_inputs
from qsgen.core.errors import QsgenError
from qsgen.core.kinds import kind_of_filename
from qsgen.incremental import cache, pages, pagestore, recordmemo
from qsgen.incremental.history import cached_history
from qsgen.publish import writer
from qsgen.records import load_records
from qsgen.repo import gitinfo
from qsgen.rules import load_rules

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import gen_corpus  # noqa: E402

N = 240  # records: every kind, every unit, a few attachments; small enough to build in ~0.5 s


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "repo"
    gen_corpus.generate(N, root)
    return root


@pytest.fixture
def repo(corpus, tmp_path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(corpus, root)
    return root


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def _same_trees(a: Path, b: Path) -> None:
    ta, tb = _tree(a), _tree(b)
    assert sorted(ta) == sorted(tb)
    differing = [k for k in ta if ta[k] != tb[k]]
    assert differing == [], f"incremental and clean builds differ in {differing[:5]}"


def _build(root: Path, out: Path, use_cache: bool = True) -> pagestore.PageStore:
    pipeline.build(root, out, quiet=True, use_cache=use_cache)
    return pagestore.PageStore.load(root)


def _clean_build(root: Path, out: Path) -> None:
    """A clean build of ``root``'s current input, in a copy without any cache."""
    fresh = out.parent / (out.name + "-src")
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".qsgen-cache", "_site*"))
    pipeline.build(fresh, out, quiet=True, use_cache=False)
    assert not (fresh / cache.CACHE_DIR).exists()


def _records(root: Path, unit: str, kind: str) -> list[Path]:
    return sorted(p for p in (root / "records" / "2023" / unit).glob(f"{kind}-*.md")
                  if kind_of_filename(p.name) == kind)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


def _gram_files(root: Path) -> int:
    return len(list((root / "_site" / "search" / "grams").iterdir()))


def _rendered_since(root: Path, before: dict) -> list[str]:
    after = pagestore.PageStore.load(root).pages
    return sorted(p for p, entry in after.items() if before.get(p, (None,))[0] != entry[0])


# ------------------------------------------------------------------ incremental == clean


def test_changing_one_record_body_rerenders_only_its_page(repo, tmp_path):
    _build(repo, repo / "_site")
    before = pagestore.PageStore.load(repo).pages
    rec = _records(repo, "longgang", "evidence")[0]
    _edit(rec, "\n---\n\n", "\n---\n\n补充说明：本次检查另有**照片**存档。\n\n")
    _build(repo, repo / "_site")
    # its page, its unit's row file of the search index holding it and some gram files (those of
    # the runs it gained or lost); no other unit's rows, most gram files kept
    changed = _rendered_since(repo, before)
    assert changed[0] == f"2023/records/longgang/{rec.stem}.html"
    rows = [p for p in changed if p.startswith("search/parts/")]
    assert len(rows) == 1 and rows[0].startswith("search/parts/2023-longgang/")
    grams = [p for p in changed if p.startswith("search/grams/")]
    assert 0 < len(grams) < _gram_files(repo) / 2
    assert len(changed) == 2 + len(grams)
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")


def test_unchanged_pages_are_hard_linked_from_the_previous_site(repo):
    _build(repo, repo / "_site")
    a, b = _records(repo, "duanshi", "evidence")[:2]
    page_a = repo / "_site" / "2023" / "records" / "duanshi" / f"{a.stem}.html"
    page_b = repo / "_site" / "2023" / "records" / "duanshi" / f"{b.stem}.html"
    ino_a, ino_b = page_a.stat().st_ino, page_b.stat().st_ino
    _edit(a, "\n---\n\n", "\n---\n\n改了一句。\n\n")
    _build(repo, repo / "_site")
    assert page_b.stat().st_ino == ino_b  # the same file, linked into the new site
    assert page_a.stat().st_ino != ino_a  # written anew
    assert "改了一句".encode() in page_a.read_bytes()
    assert oct(page_b.stat().st_mode & 0o777) == "0o644"


def test_changing_a_title_rerenders_the_record_and_its_unit(repo, tmp_path):
    _build(repo, repo / "_site")
    before = pagestore.PageStore.load(repo).pages
    rec = _records(repo, "zhifadui", "case")[0]
    text = rec.read_text("utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    _edit(rec, title, "title: 改过标题的案件")
    _build(repo, repo / "_site")
    changed = _rendered_since(repo, before)
    assert f"2023/records/zhifadui/{rec.stem}.html" in changed
    assert "2023/units/zhifadui.html" in changed
    assert any(p.startswith("search/parts/2023-zhifadui/") for p in changed)
    changed = [p for p in changed if not p.startswith(("search/grams/", "search/parts/"))]
    # the unit's notice and the workbook quote a score line's explanation, which may name the
    # record; no other unit's notice nor the summary table (totals and ranks only) is made again
    assert not [p for p in changed if p.startswith("2023/notices/") and p != "2023/notices/zhifadui.html"]
    assert "2023/summary.html" not in changed
    # (the site's home page is the latest year's ranking again; scores.json and scores.csv hold
    # the unit's part, kept with its page's key)
    assert len(changed) <= 8
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")


def test_a_score_change_moves_totals_and_ranks_like_a_clean_build(repo, tmp_path):
    _build(repo, repo / "_site")
    # A big fine on a 所 case: B6c tier bonus changes the unit's total and maybe the ranking.
    rec = _records(repo, "guxian", "case")[0]
    text = rec.read_text("utf-8")
    fine = next(line for line in text.splitlines() if line.startswith("fine: "))
    _edit(rec, fine, "fine: 250000")
    # and a new record, and a deleted one
    new = repo / "records" / "2023" / "duanshi" / "commendation-new-1.md"
    new.write_text("---\nkind: commendation\ntitle: 省局通报表扬\ndate: 2023-07-01\ncategory: B1\n"
                   "level: 省级\nissuer: 山西省市场监督管理局\n---\n\n表扬。\n", "utf-8")
    _records(repo, "xinyong", "news")[0].unlink()
    _build(repo, repo / "_site")
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")


class _FakePdf:
    """Stands in for publish/pdf.py's engine: a "PDF" that is a digest of its page."""

    key = "fake engine 1"

    def __init__(self) -> None:
        self.made: list[str] = []

    def render_all(self, pages, files):
        import hashlib

        assert "2023/assets/print.css" in files
        self.made.extend(path for path, _html in pages)
        return [b"%PDF-fake " + hashlib.sha256(html).hexdigest().encode() for _path, html in pages]


def test_pdfs_follow_their_pages_like_a_clean_build(repo, tmp_path, monkeypatch):
    """With --pdf: each PDF is kept while its print page is, made again when it changes."""
    from qsgen.publish import pdf

    fake = _FakePdf()
    monkeypatch.setattr(pdf, "engine", lambda jobs=1: fake)
    pipeline.build(repo, repo / "_site", quiet=True, pdf=True)
    assert len(fake.made) == 22 and (repo / "_site" / "2023" / "notices" / "longgang.pdf").is_file()
    fake.made.clear()
    pipeline.build(repo, repo / "_site", quiet=True, pdf=True)
    assert fake.made == []  # nothing changed: every PDF kept
    rec = _records(repo, "guxian", "case")[0]
    fine = next(line for line in rec.read_text("utf-8").splitlines() if line.startswith("fine: "))
    _edit(rec, fine, "fine: 250000")  # 固县所's total and maybe the ranks change
    pipeline.build(repo, repo / "_site", quiet=True, pdf=True)
    assert "2023/notices/guxian.html" in fake.made and "2023/summary.html" in fake.made
    fresh = tmp_path / "clean-src"
    shutil.copytree(repo, fresh, ignore=shutil.ignore_patterns(".qsgen-cache", "_site*"))
    pipeline.build(fresh, tmp_path / "clean", quiet=True, use_cache=False, pdf=True)
    _same_trees(repo / "_site", tmp_path / "clean")
    # and without --pdf the PDFs and every link to them are gone, as in a clean build
    pipeline.build(repo, repo / "_site", quiet=True)
    assert not list((repo / "_site" / "2023" / "notices").glob("*.pdf")) and not (repo / "_site" / "2023" / "summary.pdf").exists()
    assert "下载 PDF" not in (repo / "_site" / "2023" / "units" / "guxian.html").read_text("utf-8")


def test_a_link_to_another_record_follows_that_record(repo, tmp_path):
    a, b = _records(repo, "longgang", "evidence")[:2]
    _edit(a, "\n---\n\n", f"\n---\n\n另见[相关记录]({b.name})。\n\n")
    _build(repo, repo / "_site")
    page = (repo / "_site" / "2023" / "records" / "longgang" / f"{a.stem}.html").read_text("utf-8")
    assert f"{b.stem}.html" in page
    b.unlink()  # the link target disappears: the linking page must change too
    _build(repo, repo / "_site")
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")


def test_judged_score_rules_and_templates_changes(repo, tmp_path):
    _build(repo, repo / "_site")
    # the assessment office changes a judged score
    assessment = repo / "records" / "2023" / "renshi" / "assessment.yaml"
    text = assessment.read_text("utf-8")
    line = next(x for x in text.splitlines() if x.strip().startswith("t02:"))
    assessment.write_text(text.replace(line, "  t02: {score: 1.5, note: 材料缺失}"), "utf-8")
    _build(repo, repo / "_site")
    _clean_build(repo, tmp_path / "clean1")
    _same_trees(repo / "_site", tmp_path / "clean1")
    # the repository brings its own templates: every page depends on them
    shutil.copytree(site.TEMPLATE_DIR, repo / "site_templates")
    _edit(repo / "site_templates" / "base.html", "</body>", "<!-- 本地模板 --></body>")
    _build(repo, repo / "_site")
    page = next(iter(sorted((repo / "_site" / "2023" / "records" / "longgang").iterdir())))
    assert "<!-- 本地模板 -->" in page.read_text("utf-8")
    _clean_build(repo, tmp_path / "clean2")
    _same_trees(repo / "_site", tmp_path / "clean2")


def test_cache_is_only_an_optimisation(repo, tmp_path):
    _build(repo, repo / "_site")
    clean = tmp_path / "clean"
    shutil.copytree(repo / "_site", clean)
    # a corrupt cache file is ignored, and rewritten
    for shard in pagestore.PageStore.path(repo).iterdir():
        shard.write_bytes(b"not a pickle")
    _build(repo, repo / "_site")
    _same_trees(repo / "_site", clean)
    assert pagestore.PageStore.load(repo).pages
    # a hand-edited page of the previous site is not taken over, even under its own key
    page = next(p for p in sorted((repo / "_site" / "2023" / "records" / "longgang").iterdir()))
    page.write_bytes(page.read_bytes().replace(b"</body>", b"<!-- edited --></body>"))
    _build(repo, repo / "_site")
    _same_trees(repo / "_site", clean)
    # ... nor one of the same size
    data = page.read_bytes()
    page.write_bytes(data[:-10] + b"x" * 10)
    _build(repo, repo / "_site")
    _same_trees(repo / "_site", clean)
    # ... nor one edited in place with its mtime put back (its ctime tells)
    time.sleep(pagestore.RACY_NS / 1e9 + 0.05)
    _build(repo, repo / "_site")  # every page's status saved, none racy
    st = page.stat()
    with open(page, "r+b") as f:
        f.seek(-12, os.SEEK_END)
        f.write(b"<!--same-->")
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (page.stat().st_size, page.stat().st_mtime_ns, page.stat().st_ino) == (st.st_size, st.st_mtime_ns, st.st_ino)
    _build(repo, repo / "_site")
    _same_trees(repo / "_site", clean)
    # the previous site deleted: everything is rendered again
    shutil.rmtree(repo / "_site")
    store = _build(repo, repo / "_site")
    assert store.pages
    _same_trees(repo / "_site", clean)


def test_no_cache_reads_and_writes_nothing(repo, tmp_path):
    pipeline.build(repo, tmp_path / "out", quiet=True, use_cache=False)
    assert not (repo / cache.CACHE_DIR).exists()


def test_parallel_rendering_equals_the_plain_site(repo, monkeypatch):
    rules, _ = load_rules(repo)
    records, _ = load_records(repo, rules)
    from qsgen.scoring.engine import score

    results = score(rules, records)
    inputs = site_inputs(repo, results)
    plain = site.build_site(results, inputs)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
    store = pagestore.PageStore()
    assert render.render_site(results, inputs, store, jobs=2) == plain
    assert store.rendered > 0 and store.reused == 0
    assert render.render_site(results, inputs, store, jobs=2) == plain
    assert store.rendered == 0 and store.reused > 0


# ------------------------------------------------------------------ record memo


def _plain_load(root: Path, rules):
    records, diags = load_records(root, rules)
    return records, diags


def _same_load(a, b) -> None:
    (ra, da), (rb, db) = a, b
    assert [r.path for r in ra.records] == [r.path for r in rb.records]
    assert ra.records == rb.records
    assert ra.assessments == rb.assessments
    assert da == db


def test_record_memo_replays_exactly_what_load_records_gives(repo):
    rules, _ = load_rules(repo)
    memo = recordmemo.RecordMemo()
    _same_load(memo.load(repo, rules), _plain_load(repo, rules))
    assert memo.parsed > N and memo.reused == 0
    _same_load(memo.load(repo, rules), _plain_load(repo, rules))
    assert memo.parsed == 0 and memo.reused > N

    cases = max((_records(repo, u, "case") for u in gen_corpus.STATIONS + ["zhifadui"]), key=len)
    assert len(cases) >= 4
    # a broken record, then a duplicate case number (an error in two files), then fixed again
    _edit(cases[0], "date: 2023", "date: 2022")
    _same_load(memo.load(repo, rules), _plain_load(repo, rules))
    assert memo.parsed == 1
    case_no = next(x for x in cases[1].read_text("utf-8").splitlines() if x.startswith("case_no: "))
    other = next(x for x in cases[2].read_text("utf-8").splitlines() if x.startswith("case_no: "))
    _edit(cases[2], other, case_no)
    result = memo.load(repo, rules)
    _same_load(result, _plain_load(repo, rules))
    assert sum("重复" in d.message for d in result[1]) == 2
    _edit(cases[2], case_no, other)
    _edit(cases[0], "date: 2022", "date: 2023")
    _same_load(memo.load(repo, rules), _plain_load(repo, rules))
    # a deleted file disappears, a new one appears
    cases[3].unlink()
    shutil.copy(cases[1], cases[1].with_name("case-copy.md"))
    result = memo.load(repo, rules)
    _same_load(result, _plain_load(repo, rules))
    assert any("重复" in d.message for d in result[1])


def test_changed_kinds():
    root = Path("/r")
    kinds = recordmemo.changed_kinds(["/r/records/2023/a/case-1.md", "/r/rules/2023/units.yaml",
                                 "/r/records/2023/a/附件/x.pdf", "/r/site_templates/base.html"], root)
    assert kinds == {"records", "rules", "other", "templates"}


def test_digest_is_stable():
    assert cache.digest("a", 1, {"b": [2]}) == cache.digest("a", 1, {"b": [2]})
    assert cache.digest("a") != cache.digest("b")
    assert len(os.listdir(site.TEMPLATE_DIR)) and pages.code_digest() == pages.code_digest()


# ------------------------------------------------------------------ qsgen build across processes


def _tree_status(path: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(path).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(path.rglob("*")) if p.is_file()}


def test_parsed_records_are_kept_on_disk_and_replayed(repo, tmp_path):
    _build(repo, repo / "_site")
    rules, _ = load_rules(repo)
    validity = recordmemo.loader_digest(repo, cache.tree_digest(repo / "rules"))
    memo = recordmemo.RecordMemo.load_disk(repo, validity)
    memo.unpack()  # (the entries of a folder kept whole are packed till asked for)
    assert len(memo.entries) > N // 2
    rec = _records(repo, "longgang", "evidence")[0]
    _edit(rec, "\n---\n\n", "\n---\n\n磁盘缓存之后改的一句。\n\n")
    _same_load(memo.load(repo, rules), _plain_load(repo, rules))
    assert memo.parsed == 1  # records listing attachments too, while their attachments stay
    # another code or rules version: nothing is replayed
    other = recordmemo.RecordMemo.load_disk(repo, "other")
    assert other.entries == {} and other.packed == {}
    _build(repo, repo / "_site")
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")


def test_a_replayed_record_sees_its_attachment_removed(repo):
    _build(repo, repo / "_site")
    rules, _ = load_rules(repo)
    validity = recordmemo.loader_digest(repo, cache.tree_digest(repo / "rules"))
    memo = recordmemo.RecordMemo.load_disk(repo, validity)
    memo.unpack()
    path, rel = next((p, r.attachments[0]) for p, e in sorted(memo.entries.items())
                     for r in e[1][0] if r.attachments)
    assert path in memo.attached
    (repo / rel).unlink()
    records, diags = memo.load(repo, rules)
    assert memo.parsed == 1
    assert [d.path for d in diags if d.severity == "error"] == [path]
    assert "附件不存在" in next(d.message for d in diags)
    with pytest.raises(QsgenError):
        _build(repo, repo / "_site")


def test_an_attachment_changed_in_place_is_copied_again(repo, tmp_path):
    _build(repo, repo / "_site")
    time.sleep(pagestore.RACY_NS / 1e9 + 0.05)
    _build(repo, repo / "_site")
    rel = next(r.attachments[0] for r in load_records(repo, load_rules(repo)[0])[0].records if r.attachments)
    copied = repo / "_site" / "2023" / site.attachment_file(rel)
    before = copied.read_bytes()
    (repo / rel).write_bytes(before + b" changed")
    _build(repo, repo / "_site")
    assert copied.read_bytes() == before + b" changed"
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")


def test_search_rows_of_unchanged_records_are_kept(repo, tmp_path):
    def rows(store: pagestore.PageStore) -> dict:
        return {u: store.unit_docs(u) for u in store.docs}

    before = rows(_build(repo, repo / "_site"))
    rec = _records(repo, "duanshi", "evidence")[0]
    _edit(rec, "\n---\n\n", "\n---\n\n搜索索引里要能找到的新词：鹊桥。\n\n")
    after = rows(_build(repo, repo / "_site"))
    changed = [(u, rid) for u in sorted(after) for rid in sorted(after[u]) if after[u][rid] != before[u][rid]]
    assert changed == [("2023-duanshi", f"duanshi/{rec.stem}")]
    assert any("鹊桥".encode() in f.read_bytes() for f in (repo / "_site" / "search" / "parts" / "2023-duanshi").iterdir())
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")


def test_incremental_build_touches_only_what_changed(repo, tmp_path):
    _build(repo, repo / "_site")
    time.sleep(pagestore.RACY_NS / 1e9 + 0.05)  # past the racy window of the saved keys
    _build(repo, repo / "_site")  # keys saved well after the pages were written
    before = _tree_status(repo / "_site")
    rec = _records(repo, "duanshi", "evidence")[0]
    _edit(rec, "\n---\n\n", "\n---\n\n只改这一条。\n\n")
    stray = repo / "_site" / "2023" / "records" / "stray.html"
    stray.write_bytes(b"not built by qsgen")
    _build(repo, repo / "_site")
    after = _tree_status(repo / "_site")
    page = f"2023/records/duanshi/{rec.stem}.html"
    assert after[page] != before[page]
    changed = {p for p in after if p in before and after[p] != before[p]}
    # the record page, its row file of the search index and the gram files of what it changed
    rows = {p for p in changed if p.startswith("search/parts/")}
    grams = {p for p in changed if p.startswith("search/grams/")}
    assert len(rows) == 1 and next(iter(rows)).startswith("search/parts/2023-duanshi/")
    assert 0 < len(grams) < _gram_files(repo) / 2
    assert changed == {page} | rows | grams, sorted(changed)
    assert "2023/records/stray.html" not in after  # a file that is no page of the site is removed
    assert oct((repo / "_site" / page).stat().st_mode & 0o777) == "0o644"
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")


def test_gram_files_of_unchanged_sections_are_not_put_together(repo, tmp_path, monkeypatch):
    """A gram file is keyed by its sections' digests: one record changed, only the gram files of
    the runs it gained or lost are made again, each from the file the last build wrote with the
    changed unit's section replaced (no other part's sections decompressed); a gram file changed
    in the site by hand is made again from the sections, and the site equals a clean build."""
    from qsgen.site import search
    from qsgen.site.pages import search as search_page

    _build(repo, repo / "_site")
    before = pagestore.PageStore.load(repo).pages
    was = {packed[0] for packed in pagestore.PageStore.load(repo).search["2023-duanshi"][2].values()}
    joined: list[set[int]] = []
    real = search_page.files

    def spy(site, head, parts, tail, nb):
        joined.append((nb, {g for p in parts for g in p.sections}))  # (groups of sections: search.pack)
        return real(site, head, parts, tail, nb)

    unpacked: list[bytes] = []
    real_unpack = search.unpack

    def unpack(packed):
        unpacked.append(packed[0])
        return real_unpack(packed)

    monkeypatch.setattr(search_page, "files", spy)
    monkeypatch.setattr(search, "unpack", unpack)
    rec = _records(repo, "duanshi", "evidence")[0]
    _edit(rec, "\n---\n\n", "\n---\n\n搜索索引里的新词：鹊桥。\n\n")
    store = _build(repo, repo / "_site")
    grams = {p for p in _rendered_since(repo, before) if p.startswith(search.GRAMS_DIR)}
    nb, groups = joined[-1]
    assert grams and not groups  # every changed gram file spliced: no group of sections joined
    mine = {packed[0] for packed in store.search["2023-duanshi"][2].values()}
    # only the changed unit's sections were unpacked (those it had: its part made again from them)
    assert unpacked and set(unpacked) <= mine | was
    assert len(grams) < _gram_files(repo) / 2
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")
    kept = sorted(set((repo / "_site" / "search" / "grams").iterdir()) - {repo / "_site" / g for g in grams})[0]
    kept.write_bytes(kept.read_bytes() + b"// edited by hand\n")
    _build(repo, repo / "_site")
    _same_trees(repo / "_site", tmp_path / "clean")
    # every gram file edited by hand, then a record changed: none is spliced, all are right
    for f in (repo / "_site" / "search" / "grams").iterdir():
        f.write_bytes(f.read_bytes().replace(b"={", b"={ ", 1))
    _edit(rec, "鹊桥", "喜鹊")
    _build(repo, repo / "_site")
    per = max(1, nb // search.GROUPS)
    assert joined[-1][1] == set(range(0, nb, per))
    _clean_build(repo, tmp_path / "clean2")
    _same_trees(repo / "_site", tmp_path / "clean2")


def test_units_whose_pages_are_as_written_are_kept_whole(repo, tmp_path, monkeypatch):
    """A unit whose record pages are all in the site as written (and its keys unchanged) is
    kept without unpickling its pages' entries; a page of it changed by hand is found by its
    file status and made again."""
    import subprocess

    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "x"]):  # (keys need git provenance)
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                       check=True, capture_output=True)
    pipeline.build(repo, repo / "_site", quiet=True)
    time.sleep(pagestore.RACY_NS / 1e9 + 0.05)  # past the racy window of the saved keys
    pipeline.build(repo, repo / "_site", quiet=True)  # every page saved with its file status
    time.sleep(pagestore.RACY_NS / 1e9 + 0.05)
    unpacked: list[set[str]] = []
    real = pagestore._entries

    def spy(blob):
        entries = real(blob)
        unpacked[-1].update(p.split("/")[2] for p in entries)
        return entries

    monkeypatch.setattr(pagestore, "_entries", spy)
    rec = _records(repo, "duanshi", "evidence")[0]
    _edit(rec, "\n---\n\n", "\n---\n\n只改这一条。\n\n")
    unpacked.append(set())
    pipeline.build(repo, repo / "_site", quiet=True)
    assert unpacked[-1] == {"duanshi"}
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")
    other = repo / "_site" / "2023" / "records" / "zhongcun" / f"{_records(repo, 'zhongcun', 'evidence')[0].stem}.html"
    other.write_bytes(other.read_bytes().replace(b"</body>", b"<p>hand-edited</p></body>"))
    unpacked.append(set())
    pipeline.build(repo, repo / "_site", quiet=True)
    assert "zhongcun" in unpacked[-1]
    _same_trees(repo / "_site", tmp_path / "clean")


def test_racy_pages_are_those_of_the_sites_clock_tick(tmp_path):
    """A page is racy (checked by content next time) when its mtime is not before the site
    folder's clock at the save: a file written before is not, one written after always is."""
    before = tmp_path / "before.html"
    before.write_bytes(b"x")
    now = pagestore.racy_before(tmp_path)
    after = tmp_path / "after.html"
    after.write_bytes(b"y")
    assert before.stat().st_mtime_ns <= now <= after.stat().st_mtime_ns
    assert pagestore.racy_before(tmp_path / "missing") < time.time_ns()  # (no folder: the wall clock's margin)


def test_a_failed_incremental_build_writes_nothing(repo):
    _build(repo, repo / "_site")
    before = _tree(repo / "_site")
    shutil.copytree(site.TEMPLATE_DIR, repo / "site_templates")
    _edit(repo / "site_templates" / "record.html", "{{", "{{ undefined_name_xyz }}{{")
    with pytest.raises(QsgenError):
        pipeline.build(repo, repo / "_site", quiet=True)
    assert _tree(repo / "_site") == before
    assert not [p for p in repo.iterdir() if "qsgen-new" in p.name]


def test_atomic_build_equals_in_place_and_clean(repo, tmp_path):
    _build(repo, repo / "_site")
    rec = _records(repo, "longgang", "evidence")[1]
    _edit(rec, "\n---\n\n", "\n---\n\n整体替换。\n\n")
    pipeline.build(repo, repo / "_site", quiet=True, atomic=True)
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")
    # the cache still serves an in-place build after it
    _edit(rec, "整体替换。", "原地更新。")
    _build(repo, repo / "_site")
    _clean_build(repo, tmp_path / "clean2")
    _same_trees(repo / "_site", tmp_path / "clean2")


def test_an_atomic_build_checks_the_pages_of_units_kept_whole(repo, tmp_path, monkeypatch):
    """--atomic after units were kept whole: their pages are read back from the site and
    checked against their packed entries (each shard unpickled once), then the site swapped."""
    import subprocess

    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "x"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                       check=True, capture_output=True)
    pipeline.build(repo, repo / "_site", quiet=True)
    opened = []
    real = pagestore._entries
    monkeypatch.setattr(pagestore, "_entries", lambda blob: opened.append(1) or real(blob))
    rec = _records(repo, "longgang", "evidence")[1]
    _edit(rec, "\n---\n\n", "\n---\n\n整体替换。\n\n")
    pipeline.build(repo, repo / "_site", quiet=True, atomic=True)
    assert 0 < len(opened) <= 2 * len(list((repo / "_site" / "2023" / "records").iterdir()))
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")
    hand = repo / "_site" / "2023" / "records" / "zhongcun" / f"{_records(repo, 'zhongcun', 'evidence')[0].stem}.html"
    hand.write_bytes(hand.read_bytes() + b"<!-- edited -->")
    pipeline.build(repo, repo / "_site", quiet=True, atomic=True)  # (found changed: made again)
    _same_trees(repo / "_site", tmp_path / "clean")


def test_building_elsewhere_reads_kept_pages_back(repo, tmp_path):
    _build(repo, repo / "_site")
    pipeline.build(repo, tmp_path / "other", quiet=True)  # pages kept in _site, written to other
    _clean_build(repo, tmp_path / "clean")
    _same_trees(tmp_path / "other", tmp_path / "clean")


def test_streamed_pages_equal_the_plain_site(repo, tmp_path, monkeypatch):
    rules, _ = load_rules(repo)
    records, _ = load_records(repo, rules)
    from qsgen.scoring.engine import score

    results = score(rules, records)
    inputs = site_inputs(repo, results)
    plain = site.build_site(results, inputs)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
    stream = tmp_path / "stream"
    stream.mkdir()
    files = render.render_site(results, inputs, pagestore.PageStore(), jobs=2, stream_dir=str(stream))
    assert sorted(files) == sorted(plain)
    written = [p for p, data in files.items() if isinstance(data, writer.Written)]
    assert len(written) >= len(records.records)  # every record page went to disk at once
    for p in written:
        assert (stream / p).read_bytes() == plain[p]
        assert files[p].size == len(plain[p])


def test_git_provenance_is_reused_while_head_is_the_same(repo, monkeypatch):
    import subprocess

    def git(*args):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "x")
    paths = sorted(str(p.relative_to(repo)) for p in (repo / "records").rglob("*.md"))[:20]
    head = gitinfo.head_commit(repo)[0]
    first = cached_history(repo, paths, head, gather.history)
    assert first and set(first) <= set(paths)
    calls = []

    def read(root, ps):
        return calls.append(ps) or {}

    assert cached_history(repo, paths[:10], head, read) == {p: first[p] for p in paths[:10] if p in first}
    assert calls == []
    assert cached_history(repo, list(paths), head, read) == first  # the very paths: told by their digest
    assert calls == []
    cached_history(repo, paths + ["records/2023/new.md"], head, read)  # a path not looked for
    assert len(calls) == 1


def _history_of_a_commit(repo):
    """The repository committed: (its record paths, HEAD, their git provenance kept in the cache)."""
    import subprocess

    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "x"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                       check=True, capture_output=True)
    paths = sorted(str(p.relative_to(repo)) for p in (repo / "records").rglob("*.md"))
    head = gitinfo.head_commit(repo)[0]
    return paths, head, cached_history(repo, paths, head, gather.history)


def test_git_provenance_is_kept_a_folder_at_a_time(repo):
    """A build asking for a few records' commits unpickles only their folders' (ByFolder); as
    a whole it is git's answer, and it is pickled (sent to a worker) as a plain dict."""
    import pickle

    from qsgen.incremental.history import ByFolder

    paths, head, first = _history_of_a_commit(repo)
    calls = []
    kept = cached_history(repo, list(paths), head, lambda root, ps: calls.append(ps) or {})
    assert calls == [] and isinstance(kept, ByFolder) and kept.loaded == {}
    assert kept.get(paths[0]) == first[paths[0]] and paths[0] in kept
    assert list(kept.loaded) == [paths[0].rpartition("/")[0]]
    assert "records/none.md" not in kept and kept.get("records/none.md") is None
    assert dict(kept) == first and len(kept) == len(first) and kept == first
    back = pickle.loads(pickle.dumps(kept))
    assert type(back) is dict and back == first
    folder = paths[0].rpartition("/")[0]
    damaged = ByFolder({**ByFolder.packed(first), folder: b"not marshalled"}, lambda: first)
    assert damaged[paths[0]] == first[paths[0]] and dict(damaged) == first
    with pytest.raises(ValueError):
        ByFolder({folder: b"not marshalled"}).get(paths[0])


def test_git_provenance_kept_for_more_paths_is_reused_for_fewer_without_making_every_folder(repo):
    """A record removed since (HEAD the same): the kept pass looked for more paths than are
    asked; what the build gets is git's answer for the asked ones only (Within), in their
    order, with only the folders asked about made, and it pickles as a plain dict."""
    import pickle

    from qsgen.incremental.history import Within

    paths, head, first = _history_of_a_commit(repo)
    fewer = paths[1:]
    calls = []
    kept = cached_history(repo, fewer, head, lambda root, ps: calls.append(ps) or {})
    assert calls == [] and isinstance(kept, Within) and kept.found.loaded == {}
    assert kept.get(fewer[0]) == first[fewer[0]] and fewer[0] in kept
    assert list(kept.found.loaded) == [fewer[0].rpartition("/")[0]]
    assert paths[0] not in kept and kept.get(paths[0]) is None  # (looked for then, not asked now)
    with pytest.raises(KeyError):
        kept[paths[0]]
    want = {p: first[p] for p in fewer if p in first}
    assert dict(kept) == want and list(kept) == list(want) and len(kept) == len(want)
    back = pickle.loads(pickle.dumps(kept))
    assert type(back) is dict and back == want


def test_the_paths_a_cache_answered_for_are_told_by_digest_or_as_a_set():
    paths = [f"records/2023/u/evidence-{i:04d}.md" for i in range(100)]
    asked = cache.asked_of(paths)
    assert cache.asked_covers(asked, list(paths)) == 2
    assert cache.asked_covers(asked, paths[::2]) == 1
    assert cache.asked_covers(asked, paths[::-1]) == 1  # (the same set in another order)
    assert cache.asked_covers(asked, [*paths, "records/2023/u/new.md"]) == 0
    assert cache.asked_covers(asked, []) == 1
    assert cache.asked_covers(cache.asked_of([]), []) == 2
    assert cache.asked_covers(frozenset(paths), paths) == 0  # (an earlier format's: asked again)
    assert cache.asked_covers((asked[0], b"garbage"), paths[:3]) == 0


def test_the_last_commit_of_a_missing_manifest_is_asked_once_per_head(repo, monkeypatch):
    """A year without a manifest asks git whether one was ever committed (a walk of the whole
    history); the answer is kept while HEAD is the same commit."""
    import subprocess

    from qsgen.repo import commits

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                       check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "x")
    asked = []
    real = commits.last_commit_of
    monkeypatch.setattr(commits, "last_commit_of", lambda root, path: asked.append(path) or real(root, path))
    pipeline.build(repo, quiet=True)
    assert asked == ["records/2023/manifest.json"]
    pipeline.build(repo, quiet=True)
    assert len(asked) == 1
    (repo / "records" / "2023" / "note.txt").write_text("x", "utf-8")
    git("add", "-A")
    git("commit", "-qm", "y")  # another HEAD: asked again
    pipeline.build(repo, quiet=True)
    assert len(asked) == 2
    pipeline.build(repo, quiet=True, use_cache=False)  # (without the cache: every time)
    assert len(asked) == 3


class _Planted:
    """A pickle that leaves a mark when loaded (what a hostile committed cache could do)."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self):
        return (Path.write_text, (self.mark, "loaded"))


def test_a_cache_committed_to_git_is_neither_read_nor_written(repo, tmp_path):
    import pickle
    import subprocess

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                       check=True, capture_output=True)

    _build(repo, repo / "_site")
    mark = tmp_path / "mark"
    for target in [*pagestore.PageStore.path(repo).iterdir(), repo / cache.CACHE_DIR / "rules.pickle"]:
        target.write_bytes(pickle.dumps(_Planted(mark)))
    git("init", "-q")
    git("add", "-A")
    git("add", "-f", cache.CACHE_DIR)
    git("commit", "-qm", "with a cache")
    before = {p: p.read_bytes() for p in sorted((repo / cache.CACHE_DIR).rglob("*")) if p.is_file()}
    report = pipeline.build(repo, repo / "_site", quiet=True)
    assert not mark.exists()
    assert [d.path for d in report.warnings] == [cache.CACHE_DIR]
    assert "git rm -r --cached" in report.warnings[0].hint
    after = {p: p.read_bytes() for p in sorted((repo / cache.CACHE_DIR).rglob("*")) if p.is_file()}
    assert after == before  # not written either
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")


def test_the_cache_folder_ignores_itself_in_git(repo):
    import subprocess

    def git(*args):
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                              check=True, capture_output=True)

    git("init", "-q")
    _build(repo, repo / "_site")
    git("add", "-A")  # no .gitignore of the repository's own names the cache
    assert not [p for p in git("ls-files").stdout.decode().splitlines() if p.startswith(cache.CACHE_DIR)]
    report = pipeline.build(repo, repo / "_site", quiet=True)
    assert report.warnings == []


def test_the_cache_does_not_depend_on_how_the_root_is_written(repo, monkeypatch):
    """`qsgen build` in the repository, in a sub-folder of it (root ../../..) or with --root
    /its/absolute/path: the same repository, the same cache, nothing rendered again."""
    rendered = []
    real = render.render_site

    def spy(*args, **kwargs):
        files = real(*args, **kwargs)
        rendered.append(args[2].rendered)
        return files

    pipeline.build(repo, quiet=True)
    monkeypatch.setattr(render, "render_site", spy)
    monkeypatch.chdir(repo / "records" / "2023")
    pipeline.build(Path("../.."), quiet=True)
    pipeline.build(repo.resolve(), quiet=True)
    assert rendered == [0, 0]


def test_a_second_build_waits_for_the_first(repo):
    """Two `qsgen build` of one repository at once: the second waits for the cache lock
    (saying so) instead of writing the cache and the site at the same time."""
    import fcntl
    import threading

    pipeline.build(repo, quiet=True)
    said: list[str] = []
    done = threading.Event()
    with open(repo / cache.CACHE_DIR / cache.LOCK_FILE, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a running build holds it
        th = threading.Thread(target=lambda: (pipeline.build(repo, progress=said.append), done.set()))
        th.start()
        deadline = time.monotonic() + 30
        while not said and time.monotonic() < deadline:
            time.sleep(0.01)
        assert said == ["另一个 qsgen build 正在生成这个仓库的网站，等它结束……"]
        time.sleep(0.2)
        assert not done.is_set()  # still waiting
    th.join(30)  # the lock released: it goes on
    assert done.is_set() and said[-1].startswith("完成：已写入")


def test_page_store_names_the_search_parts_folder_as_the_index_does():
    from qsgen.site import search

    assert pagestore.PARTS_DIR == search.PARTS_DIR


def test_cache_files_read_ahead_are_what_read_sealed_gives(tmp_path):
    """read_ahead reads the pickles on a thread; read_sealed hands each over once; a file
    written or removed since is read afresh; read_ahead_end forgets the rest."""
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    pages_dir = tmp_path / cache.CACHE_DIR / cache.PAGES_DIR
    records_dir = tmp_path / cache.CACHE_DIR / cache.RECORDS_DIR
    a, b, c = pages_dir / "a.pickle", records_dir / "b.pickle", tmp_path / cache.CACHE_DIR / "c.pickle"
    for path, value in ((a, 1), (b, 2), (c, 3)):
        assert cache.write_pickle(path, value)
    cache.read_ahead(tmp_path)
    try:
        assert cache.write_pickle(b, 20)  # written after it was read ahead: the new one is read
        c.unlink()
        cache.remove_files(c.parent, [c.name])
        assert cache.read_pickle(a) == 1
        assert cache.read_pickle(b) == 20
        assert cache.read_pickle(c) is None
        assert cache.write_pickle(a, 10)
        assert cache.read_pickle(a) == 10  # (handed over once)
    finally:
        cache.read_ahead_end()
    assert not cache._AHEAD


def test_cache_files_are_read_ahead_in_the_order_a_build_reads_them(tmp_path, monkeypatch):
    """The pages, the small files of the cache's folder (last-commits: read before the
    records), the records, then that folder's large files (scores and rules before the git
    history and approvals)."""
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    top = tmp_path / cache.CACHE_DIR
    files = {"page": top / cache.PAGES_DIR / "a.pickle", "record": top / cache.RECORDS_DIR / "b.pickle",
             "small": top / "last-commits.pickle", "large": top / "scores-2023.pickle",
             "last": top / "approvals-2023.pickle"}
    for name, path in files.items():
        assert cache.write_pickle(path, b"x" * (cache.AHEAD_SMALL if name in ("large", "last") else 10))
    read = []
    real = cache._read_sealed
    monkeypatch.setattr(cache, "_read_sealed", lambda path: (read.append(Path(path)), real(path))[1])
    cache.read_ahead(tmp_path)
    cache.read_ahead_end()
    assert read == [files["page"], files["small"], files["record"], files["large"], files["last"]]


def test_cache_files_read_ahead_of_the_root_dot_are_found_by_their_readers(tmp_path, monkeypatch):
    """qsgen build in the repository's folder (its root "."): what read_ahead read is what
    read_sealed of Path(".") / CACHE_DIR / … hands over (not read and checked again)."""
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    target = Path(cache.CACHE_DIR) / cache.PAGES_DIR / "a.pickle"
    assert cache.write_pickle(tmp_path / target, 1)
    monkeypatch.chdir(tmp_path)
    cache.read_ahead(".")
    try:
        assert len(cache._AHEAD) == 1
        assert cache.read_pickle(Path(".") / target) == 1
        assert not cache._AHEAD  # (handed over)
    finally:
        cache.read_ahead_end()


def test_a_cache_file_read_ahead_with_a_foreign_seal_is_refused(tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    target = tmp_path / cache.CACHE_DIR / cache.RECORDS_DIR / "x.pickle"
    assert cache.write_pickle(target, {"x": 1})
    data = bytearray(target.read_bytes())
    data[-1] ^= 1
    target.write_bytes(bytes(data))
    cache.take_rejected()
    cache.read_ahead(tmp_path)
    try:
        assert cache.read_pickle(target) is None
    finally:
        cache.read_ahead_end()
    assert cache.take_rejected() == [f"{cache.CACHE_DIR}/{cache.RECORDS_DIR}/x.pickle"]
    assert not target.exists()


def test_a_record_unpacked_is_the_record_packed():
    """model.unpacked_record sets the slots itself (no __init__): every field, in order."""
    import datetime
    import pickle

    from qsgen.core.model import RECORD_FIELDS, Record, packed_record, unpacked_record

    assert RECORD_FIELDS == ("id", "path", "unit", "kind", "title", "date", "fields", "body", "attachments",
                             "lines", "body_line")
    rec = Record("u/evidence-x", "records/2023/u/evidence-x.md", "u", "evidence", "标题",
                 datetime.date(2023, 5, 6), {"a": 1}, "正文\ud800", ["records/2023/u/f.pdf"], {"title": 3}, 7)
    back = unpacked_record(packed_record(rec))
    assert back == rec and type(back) is Record
    assert [getattr(back, f) for f in RECORD_FIELDS] == [getattr(rec, f) for f in RECORD_FIELDS]
    assert pickle.loads(pickle.dumps(back)) == rec


def test_a_record_of_the_cache_is_the_record_it_stands_for(monkeypatch):
    """recordmemo.LazyRecord: unpickled without its fields, body and lines until one is read;
    equal to, shown as and pickled as the Record; changed in place, its rest is pickled anew."""
    import dataclasses
    import datetime
    import pickle

    from qsgen.core.model import RECORD_FIELDS, Record

    rec = Record("u/evidence-x", "records/2023/u/evidence-x.md", "u", "evidence", "标题",
                 datetime.date(2023, 5, 6), {"a": 1}, "正文\ud800 [另见](evidence-y.md)", ["records/2023/u/f.pdf"],
                 {"title": 3}, 7)
    plain = Record("u/evidence-y", "records/2023/u/evidence-y.md", "u", "evidence", "乙",
                   datetime.date(2023, 5, 7), {}, "没有链接", [], {}, 5)
    lazy, other = recordmemo._loads(recordmemo._dumps([rec, plain]))
    assert type(lazy) is recordmemo.LazyRecord and (lazy.names_md, other.names_md, rec.names_md) == (True, False, None)
    with pytest.raises(AttributeError):
        recordmemo._SLOT["body"].__get__(lazy, Record)  # not unpickled yet
    assert lazy == rec and rec == lazy and not lazy != rec and other == plain and lazy != plain
    assert repr(lazy) == repr(rec) and str(lazy) == str(rec)
    assert [getattr(lazy, f) for f in RECORD_FIELDS] == [getattr(rec, f) for f in RECORD_FIELDS]
    back = pickle.loads(pickle.dumps(lazy))
    assert back == rec and type(back) is Record
    assert lazy._rest is None  # (read, in a shard not saved again: no second copy kept)
    assert recordmemo._loads(recordmemo._dumps([lazy]))[0] == rec
    # in a shard saved again (a file of its unit changed), its rest is kept and written back as it is
    monkeypatch.setattr(recordmemo, "_KEEP_REST", [{"2023-u"}])
    again = recordmemo._loads(recordmemo._dumps([lazy]))[0]
    rest, kept = bytes(recordmemo._rest_of(again)), again._rest
    assert again == rec and again.names_md is True and again._rest is kept  # (kept once read)
    assert bytes(recordmemo._rest_of(again)) == rest
    assert bytes(recordmemo._rest_of(recordmemo._loads(recordmemo._dumps([again]))[0])) == rest
    moved = dataclasses.replace(lazy, body="新的正文")
    assert moved.body == "新的正文" and moved.names_md is None and moved.fields == {"a": 1}
    lazy.body = "改过的正文"
    assert lazy._rest is None and lazy.names_md is None
    assert recordmemo._loads(recordmemo._dumps([lazy]))[0].body == "改过的正文"


def test_a_record_cache_of_another_format_is_refused_and_made_anew(repo, tmp_path, monkeypatch):
    """A record cache written under another FORMAT (an older qsgen) is not read: the build
    reads every file afresh, its site is a clean build's, and the cache it saves is read back."""
    _build(repo, repo / "_site")
    monkeypatch.setattr(recordmemo, "FORMAT", recordmemo.FORMAT - 1)
    validity = recordmemo.loader_digest(repo, cache.tree_digest(repo / "rules"))
    older = recordmemo.RecordMemo.load_disk(repo, validity)
    assert not older.entries and not older.packed and not older.gathered
    _build(repo, repo / "_site")  # (saved as the older format)
    monkeypatch.undo()
    validity = recordmemo.loader_digest(repo, cache.tree_digest(repo / "rules"))
    assert not recordmemo.RecordMemo.load_disk(repo, validity).packed
    _build(repo, repo / "_site")
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")
    _build(repo, repo / "_site")  # (a memo saved by a build that replayed nothing is packed by the next)
    memo = recordmemo.RecordMemo.load_disk(repo, validity)
    assert memo.packed and memo.gathered
    assert all(type(r) is recordmemo.LazyRecord for g in memo.gathered.values() for r in g[0])


def test_packing_a_shard_leaves_no_cycle_behind():
    """A build runs with the collector off (cli.program): what recordmemo._dumps makes for a
    shard (the packer and the rests it gathered, ~30 MB at 10,000 records) must go when it
    returns, not wait for a collection that never comes."""
    import datetime
    import gc

    from qsgen.core.model import Record

    recs = [Record(f"u/evidence-{i}", f"records/2023/u/evidence-{i}.md", "u", "evidence", "标题",
                   datetime.date(2023, 5, 6), {"a": i}, "正文" * 200, [], {"title": 3}, 7) for i in range(50)]
    enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        payload = recordmemo._dumps({"entries": recs})
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()
    assert recordmemo._loads(payload)["entries"] == recs


def test_a_record_kept_by_the_cache_still_warns_of_a_link_to_a_record_deleted_since(repo, tmp_path):
    """A record of an unchanged unit is not read again (nor its body unpickled), yet its link to
    a record of another unit that was deleted is said, as a clean build says it."""
    a = _records(repo, "shipin", "evidence")[0]
    b = _records(repo, "longgang", "evidence")[1]
    _edit(a, "\n---\n\n", f"\n---\n\n另见[龙港所的记录](../longgang/{b.name})。\n\n")
    _build(repo, repo / "_site")
    validity = recordmemo.loader_digest(repo, cache.tree_digest(repo / "rules"))
    memo = recordmemo.RecordMemo.load_disk(repo, validity)
    memo.unpack()
    kept = memo.entries[a.relative_to(repo).as_posix()][1].records[0]
    assert type(kept) is recordmemo.LazyRecord and kept.names_md is True
    b.unlink()
    warned = pipeline.build(repo, repo / "_site", quiet=True).warnings
    assert [d.path for d in warned if "正文里链接的记录" in d.message] == [a.relative_to(repo).as_posix()]
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")


@pytest.mark.parametrize("jobs", ["main", "workers"])
def test_a_search_part_made_again_takes_its_other_rows_runs_from_the_store(repo, tmp_path, monkeypatch, jobs):
    """The runs of a part's rows are kept with it (search.Part.runs, made by whichever process
    made the part): made again after one record changed, the part works out no other row's
    runs from its JSON (row_runs), and the site is the clean build's."""
    from qsgen.build import spawn
    from qsgen.site import search

    if jobs == "workers":
        monkeypatch.setattr(workers, "PARALLEL_MIN", 10)
        monkeypatch.setattr(spawn, "PARALLEL_MIN", 10)
        made = []
        real_made = pages.CachedPages.search_part

        def spy(self, site, slug, recs, nb, make, *files_of):
            made.append(bool(self.made_parts))
            return real_made(self, site, slug, recs, nb, make, *files_of)

        monkeypatch.setattr(pages.CachedPages, "search_part", spy)
    first = _build(repo, repo / "_site")
    assert first.search and all(entry[6] is not None for entry in first.search.values())
    if jobs == "workers":
        assert made and all(made)  # (each part made by a worker)
    without: list[str] = []
    real = search.GramIndex.add

    def add(self, r):
        if r.runs is None:
            without.append(r.url)
        real(self, r)

    monkeypatch.setattr(search.GramIndex, "add", add)
    recs = _records(repo, "longgang", "evidence")
    for i, rec in enumerate(recs[:2]):
        _edit(rec, "\n---\n\n", f"\n---\n\n（第{i + 1}次更新）鹊桥")
        store = _build(repo, repo / "_site")
        assert store.search["2023-longgang"][6] is not None and store.search["2023-longgang"][7] == search.PACKING
        assert without == []
        _clean_build(repo, tmp_path / f"clean{i}")
        _same_trees(repo / "_site", tmp_path / f"clean{i}")


def test_a_part_a_few_of_whose_records_changed_is_made_from_the_kept_one(repo, tmp_path, monkeypatch):
    """CachedPages._part_again: one record's body changed (then another's title: its row's
    head), its unit's part is made from the one the store keeps, not by make_part (only the
    row file of the changed row made again), and the site is the clean build's; with more
    records changed than regrams.MOST, the part is made whole by make_part."""
    from qsgen.site import regrams, search

    _build(repo, repo / "_site")
    made: list[str] = []
    again: list[tuple[str, bool]] = []
    real_make, real_again = search.make_part, pages.CachedPages._part_again

    def make_part(name, *args):
        made.append(name)
        return real_make(name, *args)

    def part_again(self, site, name, *args):
        part = real_again(self, site, name, *args)
        again.append((name, part is not None))
        return part

    monkeypatch.setattr(search, "make_part", make_part)
    monkeypatch.setattr(pages.CachedPages, "_part_again", part_again)
    recs = _records(repo, "longgang", "evidence")
    edits = [(recs[0], "\n---\n\n", "\n---\n\n（第1次更新）鹊桥"), (recs[1], "title: ", "title: 改题")]
    for i, (rec, old, new) in enumerate(edits):
        made.clear()
        again.clear()
        _edit(rec, old, new)
        _build(repo, repo / "_site")
        assert again == [("2023-longgang", True)] and made == []
        _clean_build(repo, tmp_path / f"clean{i}")
        _same_trees(repo / "_site", tmp_path / f"clean{i}")
    monkeypatch.setattr(regrams, "MOST", 1)
    made.clear()
    again.clear()
    _edit(recs[0], "鹊桥", "银河")
    _edit(recs[1], "改题", "再改")
    _build(repo, repo / "_site")
    assert again == [("2023-longgang", False)] and made == ["2023-longgang"]
    _clean_build(repo, tmp_path / "clean-most")
    _same_trees(repo / "_site", tmp_path / "clean-most")


def test_a_part_made_again_compresses_only_its_groups_that_changed(repo, tmp_path, monkeypatch):
    """search.pack takes the groups of sections whose digests are those of the last build as
    they were (search.packed_before): one record changed, only some groups are compressed."""
    import types

    from qsgen.site import search

    _build(repo, repo / "_site")
    compressed: list[int] = []
    real = search.compressor

    def zstd():
        def compress(data):
            compressed.append(len(data))
            return real().compress(data)

        return types.SimpleNamespace(compress=compress)

    monkeypatch.setattr(search, "compressor", zstd)
    rec = _records(repo, "longgang", "evidence")[0]
    _edit(rec, "\n---\n\n", "\n---\n\n（第1次更新）鹊桥")
    store = _build(repo, repo / "_site")
    groups = len(store.search["2023-longgang"][2])
    assert 1 + 1 <= len(compressed) < groups + 1  # (some groups, and the part's runs)
    assert not search._PACKED
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")


def test_a_cache_file_the_read_ahead_failed_on_is_read_again(tmp_path, monkeypatch):
    """An error on the read-ahead thread leaves that file to read_sealed (the others are read
    ahead still: nothing waits forever)."""
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    a = tmp_path / cache.CACHE_DIR / cache.PAGES_DIR / "a.pickle"
    b = tmp_path / cache.CACHE_DIR / cache.RECORDS_DIR / "b.pickle"
    assert cache.write_pickle(a, 1) and cache.write_pickle(b, 2)
    real = cache._read_sealed

    def flaky(target):
        if target.endswith("a.pickle"):
            raise RuntimeError("boom")
        return real(target)

    monkeypatch.setattr(cache, "_read_sealed", flaky)
    cache.read_ahead(tmp_path)
    try:
        assert cache.read_pickle(b) == 2  # (read after a: the thread went on)
        monkeypatch.setattr(cache, "_read_sealed", real)
        assert cache.read_pickle(a) == 1
    finally:
        cache.read_ahead_end()
    cache.read_ahead(tmp_path)  # nothing asked for: forgotten at the end
    cache.read_ahead_end()
    assert not cache._AHEAD


def test_a_part_packed_otherwise_is_made_again_from_its_rows(repo, tmp_path):
    """A stored part compressed another way (an older qsgen) gives neither its groups nor its
    runs: the part made again works them out, and the site is the clean build's."""
    from qsgen.site import search

    _build(repo, repo / "_site")
    assert all(entry[7] == search.PACKING for entry in pagestore.PageStore.load(repo).search.values())
    hit = ("key", [], {0: (b"not zstd", ((0, 3),))}, frozenset(), {}, {0: "d"}, (b"not zstd", "x"), "zlib-1")
    assert not pages._packed_alike(hit) and list(pages._groups(hit)) == []
    assert search.runs_of(b"not zstd", 2) is None
    rec = _records(repo, "longgang", "evidence")[0]
    _edit(rec, "\n---\n\n", "\n---\n\n（又一次更新）")
    _build(repo, repo / "_site")
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")


def test_the_digest_memo_answers_for_the_records_asked_and_forgets_replaced_ones_once_they_are_many():
    import datetime

    from qsgen.core.model import Record

    def rec(i: int, body: str = "正文") -> Record:
        return Record(f"u/evidence-{i}", f"records/2023/u/evidence-{i}.md", "u", "evidence", "标题",
                      datetime.date(2023, 5, 6), {}, body, [], {"title": 3}, 7)

    memo = cache.DigestMemo()
    recs = [rec(i) for i in range(64)]
    assert memo.table(recs) == {id(r): cache.record_digest(r) for r in recs}
    replaced = [rec(0, "改过的正文"), *recs[1:]]
    memo.by_id[id(replaced[0])] = (replaced[0], cache.record_digest(replaced[0]))  # (as a worker tells it)
    table = memo.table(replaced)
    assert table == {id(r): cache.record_digest(r) for r in replaced}
    assert memo.by_id[id(recs[0])] == (recs[0], cache.record_digest(recs[0]))  # (a few kept meanwhile)
    many = [rec(i, "又改了") for i in range(32)] + recs[32:]
    assert memo.table(many) == {id(r): cache.record_digest(r) for r in many}
    assert set(memo.by_id) == set(map(id, many))  # (records not known: made anew, the old ones gone)
    memo.by_id.update((id(r), (r, cache.record_digest(r))) for r in recs)
    assert memo.table(list(many)) == {id(r): cache.record_digest(r) for r in many}
    assert set(memo.by_id) == set(map(id, many))  # (every one known, but the others too many)


def test_a_shards_signature_tells_every_status_attachment_and_walk_apart():
    """recordmemo._signature (marshalled, not a repr): the same values give the same
    signature; a changed status, attachment signature or folder as walked another; a value
    marshal cannot write falls back to the repr's digest."""
    key = (434, 1796641926818961414, 2934533, 1796654886681062951, False, False)
    entries = {"records/2023/a/x.md": (key, None), "records/2023/a/y.md": (key[:-1] + (True,), None)}
    attached = {"records/2023/a/x.md": (("records/2023/a/附件/f.pdf", "/r/records/2023/a/附件/f.pdf", True),)}
    folder = ("records/2023/a/", (4096, 1, 2, 3, False), (("records/2023/a/x.md", False),), ())
    sig = recordmemo._signature(entries, attached, folder)
    assert sig == recordmemo._signature(dict(reversed(entries.items())), dict(attached), folder)
    other = dict(entries)
    other["records/2023/a/x.md"] = (key[:1] + (key[1] + 1,) + key[2:], None)
    changed_attachment = {"records/2023/a/x.md": (("records/2023/a/附件/f.pdf", None),)}
    changed_folder = (folder[0], (4096, 1, 2, 4, False), folder[2], folder[3])
    sigs = {sig, recordmemo._signature(other, attached, folder),
            recordmemo._signature(entries, changed_attachment, folder),
            recordmemo._signature(entries, {}, folder), recordmemo._signature(entries, attached, None),
            recordmemo._signature(entries, attached, changed_folder),
            recordmemo._signature({**entries, "records/2023/a/z.md": (key, None)}, attached, folder)}
    assert len(sigs) == 7
    odd = {"records/2023/a/x.md": ((object,), None)}  # (not marshallable)
    assert recordmemo._signature(odd, {}, None) == cache.digest([("records/2023/a/x.md", (object,), None)], None)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(paths=hst.lists(hst.lists(hst.sampled_from(["2023", "202x", "records", "files", "units", "search", "parts",
                                                  "longgang", "a.html", "units.html", ""]),
                                 min_size=1, max_size=5).map("/".join), max_size=20))
def test_pages_grouped_a_folder_at_a_time_as_one_at_a_time(paths):
    by_shard, records = pagestore._by_shard(paths)
    want: dict[str, list[str]] = {}
    for p in paths:
        want.setdefault(pagestore._page_shard(p), []).append(p)
    assert by_shard == want
    assert records == {p for p in paths if pagestore._is_record_page(p)}


def test_a_site_updated_in_place_is_compared_with_the_paths_the_last_build_wrote(repo, tmp_path, monkeypatch):
    """statcheck's helper compares the site with the paths file (PageStore.paths_file): the site's
    files exactly this build's paths, only its folders come back (same); another file in the
    site, a record added or removed: its files, as listed or as the paths file says."""
    out = repo / "_site"
    _build(repo, out)
    assert pagestore.PageStore.paths_file(repo).is_file()
    told: list[bool] = []
    real = writer.update_site

    def update_site(files, out, root, listed=None, same=False):
        told.append(same)
        if same:
            assert listed is not None and listed[0] is None
        return real(files, out, root, listed, same=same)

    monkeypatch.setattr(writer, "update_site", update_site)
    rec = _records(repo, "longgang", "evidence")[0]
    _edit(rec, "\n---\n", "\n---\n改过的正文。\n")
    _build(repo, out)
    assert told == [True]
    written = pagestore.PageStore.paths_file(repo).stat()
    _edit(rec, "改过的正文。", "又改了一次。")
    _build(repo, out)
    assert told == [True, True]
    assert pagestore.PageStore.paths_file(repo).stat().st_mtime_ns == written.st_mtime_ns  # (the same paths)
    (out / "stray.html").write_text("不属于站点", "utf-8")  # a file the last build did not write
    _build(repo, out)
    assert told[-1] is False and not (out / "stray.html").exists()
    _records(repo, "xinyong", "news")[0].unlink()  # (the site as the paths file says: one page less now)
    new = repo / "records" / "2023" / "duanshi" / "commendation-new-1.md"
    new.write_text("---\nkind: commendation\ntitle: 省局通报表扬\ndate: 2023-07-01\ncategory: B1\n"
                   "level: 省级\nissuer: 山西省市场监督管理局\n---\n\n表扬。\n", "utf-8")
    _build(repo, out)
    assert told[-1] is False
    _clean_build(repo, tmp_path / "clean")
    _same_trees(out, tmp_path / "clean")
    _edit(new, "表扬。", "再次表扬。")
    _build(repo, out)
    assert told[-1] is True


def test_an_unchanged_units_record_page_keys_are_taken_as_kept(repo, tmp_path, monkeypatch):
    """A unit's record page keys are kept while its score's inputs (its records' digests among
    them) and what its pages share are the same: only the changed record's key is worked out."""
    import subprocess

    from qsgen.site.pages import record as record_page

    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "x"]):  # (keys need git provenance)
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                       check=True, capture_output=True)
    _build(repo, repo / "_site")
    asked = []
    real = record_page.inputs
    monkeypatch.setattr(record_page, "inputs", lambda site, rec, paths: asked.append(rec.id) or real(site, rec, paths))
    _build(repo, repo / "_site")
    assert asked == []
    rec = _records(repo, "longgang", "evidence")[0]
    _edit(rec, "\n---\n\n", "\n---\n\n补充说明：本次检查另有**照片**存档。\n\n")
    store = _build(repo, repo / "_site")
    assert len(asked) == 1 and asked[0].endswith(rec.stem)
    assert all(len(kept) == 4 for kept in store.keysets.values())
    _clean_build(repo, tmp_path / "clean")
    _same_trees(repo / "_site", tmp_path / "clean")


def test_attachment_statuses_are_those_read_attachments_found(repo):
    """An attachment's status (its copy's page key) is the one its file was resolved with, as
    a stat of the file gives it."""
    rules, _ = load_rules(repo)
    records, _ = load_records(repo, rules)
    found = gather.read_attachments(repo, records)
    assert len(found) > 0
    for rel in found:
        st = os.stat(found.files[rel])
        assert found.status(rel) == (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
        assert gather.Attachments(dict(found.files)).status(rel) == found.status(rel)


def test_a_cache_file_is_written_whole_beside_it_and_the_old_one_removed_first(tmp_path, monkeypatch):
    # (not renamed over: ext4 would write the new file's data out inside that rename)
    target = tmp_path / "x.pickle"
    target.write_bytes(b"old")
    renames_over = []
    monkeypatch.setattr(cache.os, "replace", lambda *a: renames_over.append(a))
    assert cache.write_file(target, b"new ", memoryview(b"bytes"))
    assert target.read_bytes() == b"new bytes" and renames_over == []
    assert sorted(os.listdir(tmp_path)) == ["x.pickle"]
    assert cache.write_file(tmp_path / "sub" / "y.pickle", b"y")  # (a new file, its folder made)
    assert (tmp_path / "sub" / "y.pickle").read_bytes() == b"y"


def test_a_cache_file_that_cannot_be_removed_is_renamed_over(tmp_path, monkeypatch):
    target = tmp_path / "x.pickle"
    target.write_bytes(b"old")
    unlink = os.unlink

    def refuse(path, *a, **k):
        if os.fspath(path) == os.fspath(target):
            raise PermissionError(path)
        return unlink(path, *a, **k)

    monkeypatch.setattr(cache.os, "unlink", refuse)
    assert cache.write_file(target, b"new")
    assert target.read_bytes() == b"new" and sorted(os.listdir(tmp_path)) == ["x.pickle"]
