"""Every year on one site: the example's 2023 (finished) and 2024 (in progress), each year's stable
folder, the root pages, the in-year view, caches, commands and errors across years."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from fixtures.recordkit import copy_rules, run_cli

from qsgen.build import pipeline
from qsgen.core.errors import QsgenError
from qsgen.incremental import pagestore

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def example(tmp_path, monkeypatch) -> Path:
    """A copy of this repository's example: rules and records of 2023 and 2024 (the example is a
    snapshot as of 2024-07-31, records/2024/EXAMPLE)."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = tmp_path / "repo"
    copy_rules(root, years=(2023, 2024))
    shutil.copytree(REPO / "records", root / "records")
    return root


@pytest.fixture
def built(example, tmp_path) -> Path:
    pipeline.build(example, example / "_site", quiet=True)
    return example / "_site"


def tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def page(site: Path, path: str) -> str:
    return (site / path).read_text("utf-8")


def test_each_year_has_its_folder_and_the_root_links_them(built):
    for year in ("2023", "2024"):
        for path in ("index.html", "rules.html", "scores.json", "scores.csv", "units/longgang.html"):
            assert (built / year / path).is_file(), (year, path)
    years = json.loads(page(built, "years.json"))
    assert years["latest"] == 2024
    assert [(y["year"], y["state"], y["as_of"], y["path"]) for y in years["years"]] == [
        (2023, "final", None, "2023/"), (2024, "in_progress", "2024-07-31", "2024/")]  # (2023: 定稿)
    rexian = next(u for u in years["years"][1]["units"] if u["id"] == "rexian")
    assert rexian["previous"] == ["tousu"] and rexian["history"] == "units/rexian.html"
    home = page(built, "index.html")
    assert "年度进行中" in home and 'href="2023/index.html"' in home and 'href="2024/rules.html"' in home


def test_2023_scores_are_those_of_2023_alone(built, tmp_path):
    """Adding 2024 leaves 2023's numbers as they were: scores.json byte for byte."""
    alone = tmp_path / "alone"
    copy_rules(alone)
    shutil.copytree(REPO / "records" / "2023", alone / "records" / "2023")
    pipeline.build(alone, alone / "_site", quiet=True)
    assert (built / "2023" / "scores.json").read_bytes() == (alone / "_site" / "2023" / "scores.json").read_bytes()
    assert (built / "2023" / "scores.csv").read_bytes() == (alone / "_site" / "2023" / "scores.csv").read_bytes()


def test_the_year_in_progress_reads_as_progress(built):
    data = json.loads(page(built, "2024/scores.json"))
    totals = {u["id"]: u["total"] for u in data["units"]}
    assert all(not t.startswith("-") for t in totals.values()), totals  # no catastrophe mid-year
    assert all(u["provisional"] for u in data["units"])
    index = page(built, "2024/index.html")
    assert "年度进行中" in index and "预计年终扣分" in index and ">名次<" not in index
    office = page(built, "2024/units/bangongshi.html")
    assert "预计 −" in office and "年终判定，暂不计入" in office  # D9 shown, not subtracted
    station = page(built, "2024/units/longgang.html")
    assert "年终计算" in station and "预计" in station  # the case quota item (s11-1)
    assert "年度进行中" in page(built, "2024/notices/longgang.html")
    # a finished year shows none of it
    finished = page(built, "2023/units/bangongshi.html")
    assert 'class="year-banner"' not in finished and "预计年终扣分" not in finished


def test_the_root_pages_date_the_year_in_progress_as_its_own_pages_do(built):
    """The root pages show the latest year: an example in progress is shown as of its EXAMPLE
    as_of (2024-07-31) there too, not as of the build, whose date may be after the period."""
    import re

    for path in ("index.html", "search.html", "units/longgang.html", "2024/index.html"):
        dates = set(re.findall(r"截至 (\d{4}-\d{2}-\d{2})", page(built, path)))
        assert dates == {"2024-07-31"}, (path, dates)


def test_every_page_names_a_years_lifecycle_stage(built):
    """The year switcher, the root's list of years and years.json say 已定稿 for the example's
    finalised 2023 (records/2023/status.yaml), not only its own banner."""
    assert 'title="2023年度：已定稿"' in page(built, "2024/units/longgang.html")
    assert "<td>已定稿</td>" in page(built, "index.html")
    years = {y["year"]: y for y in json.loads(page(built, "years.json"))["years"]}
    assert (years[2023]["lifecycle"], years[2023]["state_name"]) == ("final", "已定稿")
    assert years[2024]["lifecycle"] == "in_progress" and years[2024]["state_name"] == "年度进行中"


def test_rules_page_says_what_changed(built):
    text = re.sub(r"<[^>]+>", "", page(built, "2024/rules.html"))
    assert "与2023年度相比" in text
    assert "投诉举报中心 改名为 投诉举报和热线中心" in text
    assert "办公室：任务项 t05：分值 20 分 → 15 分" in text and "办公室：任务项 t09：分值 5 分 → 10 分" in text
    assert "B5 信息加分：上限 5 → 6" in text
    assert "与2022年度相比" not in page(built, "2023/rules.html") and 'id="changes"' not in page(built, "2023/rules.html")


def test_unit_history_follows_a_rename(built):
    for slug in ("rexian", "tousu"):
        text = re.sub(r"<[^>]+>", " ", page(built, f"units/{slug}.html"))
        assert "投诉举报中心" in text and "投诉举报和热线中心" in text and "2023" in text and "2024" in text, slug
    longgang = page(built, "units/longgang.html")
    assert 'href="../2023/units/longgang.html"' in longgang and 'href="../2024/units/longgang.html"' in longgang
    assert "<svg" in longgang and "<script" not in longgang


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


def test_every_link_resolves_at_every_depth(built):
    files = tree(built)
    parsed = {}
    for path in files:
        if path.endswith(".html"):
            p = Links()
            p.feed(files[path].decode("utf-8"))
            parsed[path] = p
    for path, links in parsed.items():
        for url in links.links:
            parts = urlsplit(url)
            if parts.scheme or url.startswith(("data:", "#")):
                continue
            if path == "404.html" and url.startswith("/"):
                target = posixpath.normpath(unquote(parts.path[1:]))
            else:
                assert not url.startswith("/"), (path, url)
                target = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(parts.path)))
            assert target in files, (path, url)
            if parts.fragment and target.endswith(".html"):
                assert parts.fragment in parsed[target].ids, (path, url)


def test_a_change_to_2024_leaves_2023_alone_and_equals_a_clean_build(example, built, tmp_path):
    before = pagestore.PageStore.load(example).pages
    rec = example / "records" / "2024" / "longgang" / "news-2024-0215-xian.md"
    rec.write_text(rec.read_text("utf-8").replace("（示例数据）", "（示例数据，补充一句）"), "utf-8")
    pipeline.build(example, built, quiet=True)
    after = pagestore.PageStore.load(example).pages
    changed = sorted(p for p, e in after.items() if before.get(p, (None,))[0] != e[0])
    assert changed and not [p for p in changed if p.startswith("2023/")], changed
    clean_src = tmp_path / "clean-src"
    shutil.copytree(example, clean_src, ignore=shutil.ignore_patterns(".qsgen-cache", "_site"))
    pipeline.build(clean_src, tmp_path / "clean", quiet=True, use_cache=False)
    assert tree(built) == tree(tmp_path / "clean")


def test_records_of_a_year_without_rules_are_an_error(example, capsys):
    folder = example / "records" / "2025" / "longgang"
    folder.mkdir(parents=True)
    (folder / "news-0101.md").write_text("---\nkind: news\n---\n", "utf-8")
    with pytest.raises(QsgenError) as e:
        pipeline.build(example, example / "_site", quiet=True)
    (d,) = [d for d in e.value.diagnostics if d.path == "records/2025"]
    assert "rules/2025/" in d.message and "rules/2023/、rules/2024/" in d.hint
    assert "复制为 rules/2025/" in d.hint and "docs/guide/new-year.md" in d.hint
    assert run_cli(["--root", str(example), "check"], capsys)[0] == 1


def test_check_validates_every_year_and_year_narrows_it(example, capsys):
    for year in ("2023", "2024"):
        bad = example / "records" / year / "longgang" / "news-bad.md"
        bad.write_text(f"---\nkind: news\ntitle: 坏日期\ndate: {year}-02-30\nlevel: 县级\noutlet: 某报\n---\n", "utf-8")
    code, out, _err = run_cli(["--root", str(example), "check"], capsys)
    assert code == 1
    assert "records/2023/longgang/news-bad.md:4:7" in out and "records/2024/longgang/news-bad.md:4:7" in out
    code, out, _err = run_cli(["--root", str(example), "check", "--year", "2024"], capsys)
    assert code == 1 and "records/2024/" in out and "records/2023/" not in out


def test_new_writes_into_the_year_of_today_and_says_so(example, capsys, monkeypatch):
    from qsgen.cli.commands import new

    monkeypatch.setattr(new, "_today", lambda: __import__("datetime").date(2024, 3, 1))
    code, out, err = run_cli(["--root", str(example), "new", "news", "longgang"], capsys)
    assert code == 0 and out.strip() == "records/2024/longgang/news-2024-03-01-1.md"
    assert "写入 2024 年度" in err and "包含今天" in err
    monkeypatch.setattr(new, "_today", lambda: __import__("datetime").date(2026, 12, 6))
    code, out, err = run_cli(["--root", str(example), "new", "case", "duanshi"], capsys)
    assert code == 0 and out.strip().startswith("records/2024/duanshi/case-2024-")
    assert "取最新的年度" in err


def test_previous_names_a_unit_of_the_year_before(example):
    units = example / "rules" / "2024" / "units.yaml"
    units.write_text(units.read_text("utf-8").replace("previous: [tousu]", "previous: [tousuu]"), "utf-8")
    with pytest.raises(QsgenError) as e:
        pipeline.build(example, example / "_site", quiet=True)
    (d,) = [d for d in e.value.diagnostics if "previous" in d.message]
    assert d.path == "rules/2024/units.yaml" and "2023 年度的规则里没有这个单位" in d.message
    assert "tousu" in d.hint


def test_diff_reports_every_year_a_change_touches(example):
    def git(*args):
        subprocess.run(["git", *args], cwd=example, check=True, capture_output=True,
                       env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
                            "GIT_COMMITTER_EMAIL": "t@example.org", "HOME": str(example), "PATH": "/usr/bin:/bin"})

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "base")
    for year in ("2023", "2024"):
        src = next((example / "records" / year / "duanshi").glob("case-*.md"))
        (src.parent / "case-copy.md").write_text(
            src.read_text("utf-8").replace("case_no: ", "case_no: 复制"), "utf-8")
    proc = subprocess.run([sys.executable, "-m", "qsgen.cli", "--root", str(example), "diff", "main"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "2023 年度" in proc.stdout and "2024 年度" in proc.stdout
