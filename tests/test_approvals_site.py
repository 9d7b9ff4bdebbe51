"""Approvals on the site: the record page line, the unit page share, the rules page section;
byte-identical pages without approvers; incremental builds equal clean ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_approvals import CASE_PATH, Repo, keys, template  # noqa: F401  (fixtures)
from test_e2e_git import git_env

from qsgen import site
from qsgen.build import inputs as gather
from qsgen.build import pipeline
from qsgen.records import load_records
from qsgen.rules import load_rules
from qsgen.scoring.engine import score

CASE_PAGE = "2023/records/longgang/case-2023-900.html"


@pytest.fixture
def repo(tmp_path, keys, template, monkeypatch) -> Repo:  # noqa: F811
    for k, v in git_env(tmp_path).items():
        if k.startswith("GIT_") or k == "HOME":
            monkeypatch.setenv(k, v)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    path = tmp_path / "kaohe"
    shutil.copytree(template, path, symlinks=True)
    return Repo(path, keys)


def built(root: Path, out: Path, use_cache: bool = False) -> dict[str, bytes]:
    pipeline.build(root, out, quiet=True, use_cache=use_cache)
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def text(files: dict[str, bytes], page: str) -> str:
    return files[page].decode("utf-8")


def test_a_merge_signed_by_the_responsible_department_shows_verified(repo, tmp_path):
    merge = repo.merge("feature", "wang")
    files = built(repo.path, tmp_path / "site")
    page = text(files, CASE_PAGE)
    assert ('<tr><th scope="row">审核</th><td>法规股 王某 · <span class="badge badge-final">签名已验证</span>'
            f' · 2023-06-02 · 签名提交 <code>{merge[:10]}</code>') in page
    unit = text(files, "2023/units/longgang.html")
    assert "审核：本单位 3 条记录中 1 条经责任股室审核人签名审核，签名已验证（33.33%）" in unit
    assert "评分文件审核：" in unit and "未经审核" in unit  # assessment.yaml came in unsigned
    other = text(files, "2023/records/longgang/case-2023-001.html")
    assert '<span class="badge badge-provisional">未经审核</span>（应由法规股审核）' in other
    rules = text(files, "2023/rules.html")
    assert 'id="approvals"' in rules and "<td>法规股</td>" in rules and "王某、赵某" in rules
    for name, data in files.items():  # no e-mail address, no person id, anywhere
        assert b"@example.org" not in data and b"wangmou" not in data, name


def test_the_same_merge_signed_by_the_office_is_outside_the_department(repo, tmp_path):
    repo.merge("feature", "li")
    page = text(built(repo.path, tmp_path / "site"), CASE_PAGE)
    assert '<span class="badge badge-provisional">未经审核</span>（签名人属于办公室，应由法规股审核）' in page
    assert "李某" not in page


def test_tampered_and_self_approved_records_say_so(repo, tmp_path):
    repo.git("checkout", "-q", "-b", "own", "main")
    repo.write("records/2023/longgang/case-2023-901.md",
               (repo.path / "records/2023/longgang/case-2023-001.md").read_text(encoding="utf-8")
               .replace("001号", "901号"), "王某自己的案件", email="wang@example.org")
    repo.merge("own", "wang")
    page = text(built(repo.path, tmp_path / "site"), "2023/records/longgang/case-2023-901.html")
    assert "未经审核</span>（签名人是这次改动的提交人本人，应由法规股审核的其他人）" in page


def test_department_only_mode_names_no_one(repo, tmp_path):
    owners = repo.path / "rules/owners.yaml"
    owners.write_text(owners.read_text(encoding="utf-8") + "show_names: false\n", encoding="utf-8")
    repo.merge("feature", "wang")
    files = built(repo.path, tmp_path / "site")
    assert '<td>法规股 · <span class="badge badge-final">签名已验证</span>' in text(files, CASE_PAGE)
    assert "<td>2 人</td>" in text(files, "2023/rules.html")
    for name, data in files.items():
        assert "王某".encode() not in data and "赵某".encode() not in data, name


def test_incremental_builds_follow_new_approvals_like_clean_builds(repo, tmp_path):
    repo.merge("feature")  # unsigned
    out = repo.path / "_site"
    first = built(repo.path, out, use_cache=True)
    assert "未经审核" in text(first, CASE_PAGE)
    # the reviewer signs afterwards on a new branch: an approval commit that changes nothing
    # does not cover the earlier landing, a signed re-merge of a fix does
    repo.git("checkout", "-q", "-b", "fix", "main")
    repo.write(CASE_PATH, (repo.path / CASE_PATH).read_text(encoding="utf-8").replace("依法罚款", "依法处以罚款"),
               "修改措辞")
    repo.merge("fix", "zhao")
    incremental = built(repo.path, out, use_cache=True)
    clean_src = tmp_path / "clean-src"
    shutil.copytree(repo.path, clean_src, ignore=shutil.ignore_patterns(".qsgen-cache", "_site"))
    clean = built(clean_src, tmp_path / "clean", use_cache=False)
    assert incremental == clean
    assert "法规股 赵某 · " in text(incremental, CASE_PAGE)
    # and once more from the kept approvals (same HEAD): still the same
    assert built(repo.path, out, use_cache=True) == clean


def test_without_approvers_the_pages_are_those_of_a_site_without_approvals(tmp_path, monkeypatch):
    from test_e2e_git import make_repo

    for k, v in git_env(tmp_path).items():
        if k.startswith("GIT_") or k == "HOME":
            monkeypatch.setenv(k, v)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_repo(tmp_path / "plain")  # rules/owners.yaml with teams, no approvers
    files = built(root, tmp_path / "site")
    rules, _ = load_rules(root)
    records, _ = load_records(root, rules)
    when = gather.build_date(root)  # (2023-11-14: the year is still in progress)
    results = score(rules, records, pipeline.in_progress(rules, when.date()))
    inputs = gather.site_inputs(root, results)
    assert inputs.approvals is None and inputs.approval_rules is None
    plain = site.build_site(results, site.SiteInputs(
        history=inputs.history, attachments=inputs.attachments, source_date=inputs.source_date,
        example=inputs.example, templates=inputs.templates))
    assert {k: v for k, v in files.items() if k != ".qsgen-site"} == \
        {k: (v if isinstance(v, bytes) else bytes(v)) for k, v in plain.items()}
    assert all("审核与签名".encode() not in v and "签名已验证".encode() not in v for v in files.values())
