"""Approvals as SSH signatures: real git, real ssh-keygen keys made in a temporary directory."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_e2e_git import NEW_CASE, git_env, make_repo

from qsgen.approvals import engine, owners, signers
from qsgen.cli import program as cli
from qsgen.review import codeowners

CASE_PATH = "records/2023/longgang/case-2023-900.md"
DATE = "2023-06-02T10:00:00+08:00"


def keygen(folder: Path, name: str) -> Path:
    key = folder / f"key_{name}"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@laptop", "-f", str(key)],
                   check=True, capture_output=True)
    return key


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    return {name: keygen(folder, name) for name in ("wang", "zhao", "li", "stranger")}


APPROVERS = """
approvers:
  fagui:
    - {{id: wangmou, name: 王某, key: "{wang}", emails: [wang@example.org]}}
    - {{id: zhaomou, name: 赵某, key: "{zhao}"}}
  bangongshi:
    - {{id: limou, name: 李某, key: "{li}"}}
"""


class Repo:
    """A bureau repository made from the example, with approvers and their keys."""

    def __init__(self, path: Path, keys: dict[str, Path]) -> None:
        self.path = path
        self.keys = keys
        self.env = dict(git_env(path.parent), GIT_AUTHOR_DATE=DATE, GIT_COMMITTER_DATE=DATE)

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(["git", *args], cwd=self.path, env={**self.env, **(env or {})},
                              capture_output=True, text=True, check=True)
        return proc.stdout.strip()

    def as_person(self, who: str, email: str | None = None) -> list[str]:
        """git -c options that sign with ``who``'s key as that person."""
        email = email or f"{who}@example.org"
        return ["-c", "gpg.format=ssh", "-c", f"user.signingkey={self.keys[who]}",
                "-c", f"user.name={who}", "-c", f"user.email={email}"]

    def merge(self, branch: str, signer: str | None = None, email: str | None = None) -> str:
        self.git("checkout", "-q", "main")
        sign = [*self.as_person(signer, email)] if signer else []
        self.git(*sign, "merge", "-q", "--no-ff", *(["-S"] if signer else []), branch, "-m", f"合并 {branch}",
                 env={"GIT_COMMITTER_EMAIL": email or f"{signer or 'tester'}@example.org"})
        return self.git("rev-parse", "HEAD")

    def approve(self, signer: str, message: str = "审核通过") -> str:
        """An approval commit on the current branch: empty, signed, with the trailer."""
        self.git(*self.as_person(signer), "commit", "-q", "--allow-empty", "-S", "-m", message,
                 "--trailer", f"Approved-by: {signer}",
                 env={"GIT_AUTHOR_EMAIL": f"{signer}@example.org", "GIT_COMMITTER_EMAIL": f"{signer}@example.org"})
        return self.git("rev-parse", "HEAD")

    def write(self, rel: str, text: str, message: str, email: str = "tester@example.org") -> str:
        (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.path / rel).write_text(text, encoding="utf-8")
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, env={"GIT_AUTHOR_EMAIL": email})
        return self.git("rev-parse", "HEAD")

    def report(self, *paths: str, base: str | None = None) -> engine.Report:
        report, _cfg, diags = engine.run(self.path, list(paths) or None, base)
        assert report is not None, diags
        return report


def pub(key: Path) -> str:
    return key.with_suffix(".pub").read_text(encoding="utf-8").strip()


@pytest.fixture(scope="module")
def template(tmp_path_factory, keys) -> Path:
    """The example repository with approvers, on branch feature (rebased onto main)."""
    base = tmp_path_factory.mktemp("template")
    env = git_env(base)
    old = {k: os.environ.get(k) for k in env if k.startswith("GIT_") or k == "HOME"}
    os.environ.update({k: env[k] for k in old})
    try:
        path = make_repo(base / "kaohe")  # main + branch feature adding CASE_PATH
        r = Repo(path, keys)
        r.git("checkout", "-q", "main")
        owners_yaml = path / "rules" / "owners.yaml"
        owners_yaml.write_text(owners_yaml.read_text(encoding="utf-8")
                               + APPROVERS.format(**{k: pub(v) for k, v in keys.items()}), encoding="utf-8")
        files, diags = codeowners.generate_all(path)
        assert files is not None, diags
        for rel, text in files.items():
            (path / rel).write_text(text, encoding="utf-8")
        r.git("add", "-A")
        r.git("commit", "-q", "-m", "审核人与公钥")
        r.git("checkout", "-q", "feature")
        r.git("rebase", "-q", "main")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return path


@pytest.fixture
def repo(tmp_path, keys, template, monkeypatch) -> Repo:
    for k, v in git_env(tmp_path).items():
        if k.startswith("GIT_") or k == "HOME":
            monkeypatch.setenv(k, v)
    path = tmp_path / "kaohe"
    shutil.copytree(template, path, symlinks=True)
    return Repo(path, keys)


# ------------------------------------------------------------- the signers file


def test_signers_file_is_generated_routed_and_checked(repo):
    text = (repo.path / "rules/allowed_signers").read_text(encoding="utf-8")
    assert f'wangmou namespaces="git" {pub(repo.keys["wang"])}'.rsplit(" ", 1)[0] in text
    assert "# 法规股：王某" in text and "# 办公室：李某" in text
    assert "@laptop" not in text and "wang@example.org" not in text  # no key comments, no e-mail
    co = (repo.path / "CODEOWNERS").read_text(encoding="utf-8")
    assert "/rules/allowed_signers @qinshui-scj/leadership" in co and "/CODEOWNERS @qinshui-scj/leadership" in co
    assert codeowners.stale_warnings(repo.path) == []
    # a changed key: the committed file is stale, `qsgen check` and --check say so
    owners_yaml = repo.path / "rules/owners.yaml"
    owners_yaml.write_text(owners_yaml.read_text(encoding="utf-8").replace(
        pub(repo.keys["li"]), pub(repo.keys["stranger"])), encoding="utf-8")
    stale = codeowners.stale_warnings(repo.path)
    assert [d.path for d in stale] == ["rules/allowed_signers"] and "过期" in stale[0].message
    from qsgen.cli.commands import codeowners as cmd

    assert cmd.run(argparse.Namespace(root=str(repo.path), check=True)) == 1
    assert cmd.run(argparse.Namespace(root=str(repo.path), check=False)) == 0
    assert codeowners.stale_warnings(repo.path) == []


def test_git_itself_agrees_with_the_generated_file(repo):
    merge = repo.merge("feature", "wang")
    out = subprocess.run(["git", "-c", "gpg.ssh.allowedSignersFile=rules/allowed_signers", "verify-commit", merge],
                         cwd=repo.path, env=repo.env, capture_output=True, text=True)
    assert out.returncode == 0 and 'Good "git" signature for wangmou' in out.stderr


def test_owners_yaml_errors_name_the_line(tmp_path, keys):
    (tmp_path / "rules").mkdir()
    wang = pub(keys["wang"])
    (tmp_path / "rules/owners.yaml").write_text(
        "teams: {fagui: \"@o/fagui\"}\n"          # 1
        "approvers:\n"                            # 2
        "  fagui:\n"                              # 3
        f"    - {{id: wangmou, name: 王某, key: \"{wang}\"}}\n"  # 4
        f"    - {{id: zhao mou, name: 赵某, key: \"{wang}\"}}\n"  # 5: bad id
        f"    - {{id: zhaomou, name: 赵某, key: \"{wang}\"}}\n"   # 6: someone else's key
        "    - {id: qian, name: 钱某, key: \"ssh-ed25519 AAAAnotakey\"}\n"  # 7
        "    - {id: sun, name: 孙某, key: \"ssh-ed25519 AAAA\", emial: x@y}\n"  # 8
        "  bangongshi:\n"                         # 9
        f"    - {{id: wangmou, name: 王老师, key: \"{wang}\"}}\n",  # 10: same id, other name
        encoding="utf-8")
    cfg, diags = owners.load_owners(tmp_path)
    by_line = {}
    for d in diags:
        by_line.setdefault(d.line, []).append(d.message)
    assert any("id" in m for m in by_line[5])
    assert any("已在第 4 行属于 wangmou" in m for m in by_line[6])
    assert any("不是有效的 SSH 公钥" in m for m in by_line[7])
    assert any("emial" in m for m in by_line[8])
    assert any("王某" in m and "王老师" in m for m in by_line[10])
    assert all(d.path == "rules/owners.yaml" for d in diags)


# ------------------------------------------------------------------ verdicts


def test_merge_signed_by_the_responsible_department_is_approved(repo):
    merge = repo.merge("feature", "wang")
    a = repo.report(CASE_PATH).approvals[CASE_PATH]
    assert (a.status, a.signer, a.department, a.via, a.commit, a.date) == (
        engine.APPROVED, "wangmou", "fagui", "merge", merge, "2023-06-02")
    assert a.responsible == ("fagui",)


def test_a_signature_from_another_department_is_reported(repo):
    repo.merge("feature", "li")
    a = repo.report(CASE_PATH).approvals[CASE_PATH]
    assert a.status == engine.OUTSIDE and a.signer == "limou" and a.department == "bangongshi"
    assert "办公室" in a.detail and "法规股" in a.detail
    [d] = engine.problems(repo.report(CASE_PATH))
    assert (d.path, d.severity) == (CASE_PATH, "warning") and "非责任股室" in d.message


def test_an_unsigned_merge_is_unapproved(repo):
    merge = repo.merge("feature")
    a = repo.report(CASE_PATH).approvals[CASE_PATH]
    assert a.status == engine.UNSIGNED and merge[:10] in a.detail and "没有签名" in a.detail


def test_a_key_not_in_the_signers_file_is_invalid(repo):
    repo.merge("feature", "stranger")
    a = repo.report(CASE_PATH).approvals[CASE_PATH]
    fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", str(repo.keys["stranger"]) + ".pub"],
                                 capture_output=True, text=True, check=True).stdout.split()[1]
    assert a.status == engine.UNKNOWN and "rules/allowed_signers" in a.detail and fingerprint in a.detail


def test_a_commit_changed_after_signing_is_invalid(repo):
    merge = repo.merge("feature", "wang")
    raw = repo.git("cat-file", "commit", merge)
    forged = raw.replace("合并 feature", "合并 feature（改过）") + "\n"
    sha = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=repo.path, env=repo.env,
                         input=forged, capture_output=True, text=True, check=True).stdout.strip()
    repo.git("update-ref", "refs/heads/main", sha)
    repo.git("reset", "-q", "--hard", "main")
    a = repo.report(CASE_PATH).approvals[CASE_PATH]
    assert a.status == engine.BAD and a.commit == sha and "签名后被改动" in a.detail
    [d] = engine.problems(repo.report(CASE_PATH), errors=["invalid"])
    assert (d.path, d.severity) == (CASE_PATH, "error") and "签名无效" in d.message


def test_approving_ones_own_change_is_self_approval(repo):
    # 王某 of 法规股 adds a case himself, then signs the merge of his own branch
    repo.git("checkout", "-q", "-b", "own", "main")
    repo.write("records/2023/longgang/case-2023-901.md", NEW_CASE.replace("900号", "901号"), "王某的案件",
               email="wang@example.org")
    repo.merge("own", "wang")
    a = repo.report("records/2023/longgang/case-2023-901.md").approvals["records/2023/longgang/case-2023-901.md"]
    assert a.status == engine.SELF and a.signer == "wangmou" and "提交人" in a.detail
    # the other 法规股 reviewer's signature is an approval
    repo.git("checkout", "-q", "-b", "own2", "main")
    repo.write("records/2023/longgang/case-2023-902.md", NEW_CASE.replace("900号", "902号"), "王某的案件",
               email="wang@example.org")
    repo.merge("own2", "zhao")
    assert repo.report().approvals["records/2023/longgang/case-2023-902.md"].status == engine.APPROVED


def test_an_approval_commit_on_the_branch_survives_a_web_merge(repo):
    approval = repo.approve("wang")  # on feature, after the case
    repo.merge("feature")  # the forge's merge button: an unsigned merge commit
    a = repo.report(CASE_PATH).approvals[CASE_PATH]
    assert (a.status, a.via, a.commit) == (engine.APPROVED, "trailer", approval)


def test_a_push_after_the_approval_voids_it_for_that_file_only(repo):
    repo.write("records/2023/longgang/case-2023-903.md", NEW_CASE.replace("900号", "903号"), "又一件")
    repo.approve("wang")
    repo.write(CASE_PATH, NEW_CASE.replace("12000", "120000"), "审核后又改了罚没款")
    repo.merge("feature")
    got = repo.report().approvals
    assert got[CASE_PATH].status == engine.UNSIGNED
    assert got["records/2023/longgang/case-2023-903.md"].status == engine.APPROVED


def test_a_fast_forwarded_branch_with_its_approval_commit(repo):
    repo.approve("wang")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "feature")
    assert repo.report(CASE_PATH).approvals[CASE_PATH].status == engine.APPROVED
    # a later direct commit is a change of its own: not covered by the earlier approval
    repo.write(CASE_PATH, NEW_CASE.replace("12000", "13000"), "直接改")
    assert repo.report(CASE_PATH).approvals[CASE_PATH].status == engine.UNSIGNED


def test_two_departments_approve_one_branch(repo):
    repo.write("records/2023/longgang/news-0601.md",
               "---\nkind: news\ntitle: 龙港所开展食品安全宣传\ndate: 2023-06-01\nlevel: county\noutlet: 沁水新闻\n"
               "---\n\n宣传。\n", "一条信息")
    repo.approve("wang")
    repo.approve("li")
    repo.merge("feature")
    got = repo.report().approvals
    assert got[CASE_PATH].status == engine.APPROVED and got[CASE_PATH].signer == "wangmou"
    assert got["records/2023/longgang/news-0601.md"].status == engine.APPROVED
    assert got["records/2023/longgang/news-0601.md"].signer == "limou"


def test_before_the_merge_the_branch_is_judged_against_its_merge_base(repo):
    # main moves on after the branch was cut: a record the branch did not touch
    repo.git("checkout", "-q", "main")
    repo.write("records/2023/duanshi/case-2023-011.md", NEW_CASE.replace("900号", "011号"), "端氏所案件")
    repo.git("checkout", "-q", "feature")
    report = repo.report(base="main")
    assert list(report.approvals) == [CASE_PATH]  # not the record added on main
    assert report.approvals[CASE_PATH].status == engine.UNSIGNED
    repo.approve("wang")
    assert repo.report(base="main").approvals[CASE_PATH].status == engine.APPROVED


def test_membership_dates_are_those_of_the_signature(repo, keys):
    owners_yaml = repo.path / "rules/owners.yaml"
    owners_yaml.write_text(owners_yaml.read_text(encoding="utf-8").replace(
        "emails: [wang@example.org]}", "emails: [wang@example.org], until: 2023-05-31}"), encoding="utf-8")
    repo.merge("feature", "wang")
    a = repo.report(CASE_PATH).approvals[CASE_PATH]
    assert a.status == engine.OUTSIDE and "不在审核期内" in a.detail


def test_recusal_the_answer_is_not_approved_by_the_approver_of_the_contested_score():
    contested = engine.Approval("records/2023/longgang/assessment.yaml", engine.APPROVED, ("office",),
                                signer="wangmou", date="2024-01-10")
    same = engine.Approval("records/2023/longgang/objection-1.md", engine.APPROVED, ("office",), signer="wangmou")
    other = engine.Approval("records/2023/longgang/objection-1.md", engine.APPROVED, ("office",), signer="limou")
    assert "应由其他人审核答复" in engine.recusal_conflict(contested, same)
    assert engine.recusal_conflict(contested, other) is None
    assert engine.recusal_conflict(None, same) is None


# ------------------------------------------------------------------ command


def qsgen(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_command_reports_and_ci_can_make_problems_errors(repo, capsys):
    repo.merge("feature", "li")
    code, out, err = qsgen(capsys, "--root", str(repo.path), "approvals", CASE_PATH)
    assert code == 0 and f"{CASE_PATH}:1:1: 警告：非责任股室审核" in out and "已审核 0" in err
    code, out, err = qsgen(capsys, "--root", str(repo.path), "approvals", "--error", "outside", CASE_PATH)
    assert code == 1 and f"{CASE_PATH}:1:1: 非责任股室审核" in out
    code, out, err = qsgen(capsys, "--root", str(repo.path), "approvals", "--format", "json", CASE_PATH)
    [row] = json.loads(out)
    assert row["status"] == "outside" and row["approver"] == "李某" and row["responsible"] == ["法规股"]
    code, out, err = qsgen(capsys, "--root", str(repo.path), "approvals", "--error", "nonsense")
    assert code == 2 and "nonsense" in err


def test_command_without_people_does_nothing(tmp_path, capsys, monkeypatch):
    for k, v in git_env(tmp_path).items():
        if k.startswith("GIT_") or k == "HOME":
            monkeypatch.setenv(k, v)
    path = make_repo(tmp_path / "plain")
    code, out, err = qsgen(capsys, "--root", str(path), "approvals")
    assert code == 0 and "没有设置审核人" in err
    code, out, err = qsgen(capsys, "--root", str(path), "approvals", "--strict")
    assert code == 1


def test_shallow_clone_says_what_to_fetch(repo, tmp_path, capsys):
    repo.approve("wang")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth=1", "--branch", "feature", repo.path.as_uri(), str(clone)],
                   env=repo.env, check=True, capture_output=True)
    code, out, err = qsgen(capsys, "--root", str(clone), "approvals", "--base", "origin/main")
    assert code == 2 and "共同祖先" in out and "fetch-depth: 0" in out


def test_verdicts_are_reused_and_nothing_is_left_behind(repo):
    repo.merge("feature", "wang")
    first = repo.report()
    assert first.verified >= 1 and first.verdicts
    report, _cfg, _ = engine.run(repo.path, known=(first.signers_digest, first.verdicts))
    assert report.verified == 0 and report.approvals == first.approvals
    assert not [p for p in os.listdir(repo.path) if p.startswith(".qsgen-signers-")]
    assert signers.read_committed(repo.path) is not None
