"""Run the qsgen commands of the example CI definitions (examples/ci/) in a temporary clone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_e2e_git import NEW_CASE, git, git_env, make_repo

REPO = Path(__file__).resolve().parent.parent
CI = REPO / "examples" / "ci"
EXPRESSIONS = {  # everything else in ${{ }} resolves to ""
    "${{ github.base_ref }}": "main",
    "${{ github.event.pull_request.number }}": "7",
    "${{ secrets.QSGEN_BOT_TOKEN }}": "token-for-test",
}
STUB = """#!/bin/sh
# stands in for {name}: logs its arguments (and the comment body) instead of calling a server
echo "{name} $*" >> "$STUB_LOG"
for a in "$@"; do case "$a" in body@*|@*) cat "${{a#*@}}" >> "$STUB_LOG";; esac; done
case "$*" in *--edit-last*) exit 1;; esac
if [ "$1" = "pr" ]; then cat qsgen-diff.md >> "$STUB_LOG"; fi
exit 0
"""


def load(name: str) -> dict:
    return yaml.safe_load((CI / name).read_text(encoding="utf-8"))


def resolve(value: str) -> str:
    for expr, repl in EXPRESSIONS.items():
        value = value.replace(expr, repl)
    while "${{" in value:
        start = value.index("${{")
        value = value[:start] + value[value.index("}}", start) + 2:]
    return value


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    base = tmp_path_factory.mktemp("ci")
    old = {k: os.environ.get(k) for k in git_env(base)}
    os.environ.update({k: v for k, v in git_env(base).items() if k.startswith("GIT_")})
    try:
        yield make_repo(base / "origin")
    finally:
        for k, v in old.items():
            if k.startswith("GIT_"):
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@pytest.fixture
def shim(tmp_path) -> dict[str, str]:
    """An environment whose `qsgen` is this checkout (instead of `pip install .`)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "qsgen"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m qsgen.cli "$@"\n', encoding="utf-8")
    exe.chmod(0o755)
    for name in ("gh", "curl"):  # the comment-posting tools, stubbed
        stub = bindir / name
        stub.write_text(STUB.format(name=name), encoding="utf-8")
        stub.chmod(0o755)
    env = git_env(tmp_path)
    env["STUB_LOG"] = str(tmp_path / "stub.log")
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def copy_origin(origin: Path, tmp_path: Path) -> Path:
    """A copy of the module's origin repository that a test may push to."""
    import shutil

    dest = tmp_path / "origin"
    shutil.copytree(origin, dest, symlinks=True)
    return dest


def clone(origin: Path, dest: Path, branch: str, shallow: bool) -> Path:
    args = ["clone", "-q", "--branch", branch]
    if shallow:
        args += ["--depth=1"]
    git(dest.parent, *args, origin.as_uri(), str(dest))
    return dest


def is_install(script: str) -> bool:
    return "pip install" in script and "qsgen" not in script.replace("pip install --quiet .", "")


def run_shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    # GitHub and Gitea run `run:` with bash -e -o pipefail; GitLab stops at the first failing line.
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


def actions_steps(doc: dict, job: str) -> list[dict]:
    steps = []
    for step in doc["jobs"][job]["steps"]:
        script = step.get("run")
        if not script:
            assert "uses" in step
            continue
        if is_install(script):
            assert "python -m pip install" in script and script.strip().endswith(".")
            continue
        assert "${{" not in script, "expressions belong in env:, not in the shell script"
        steps.append(step)
    return steps


def checkout_depth(doc: dict, job: str) -> int:
    """The fetch-depth of the job's actions/checkout step (the action's default is 1)."""
    for step in doc["jobs"][job]["steps"]:
        if str(step.get("uses", "")).startswith("actions/checkout"):
            return int((step.get("with") or {}).get("fetch-depth", 1))
    raise AssertionError(f"{job}: no checkout step")


def advance_main(origin: Path, tmp_path: Path) -> None:
    """Main gains a record after the branch was cut (pushed to the origin)."""
    work = clone(origin, tmp_path / "advance", "main", shallow=False)
    (work / "records/2023/duanshi/case-2023-011.md").write_text(
        NEW_CASE.replace("900号", "011号").replace("龙港", "端氏"), encoding="utf-8")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "端氏所新增案件")
    git(work, "push", "-q", "origin", "main")


@pytest.mark.parametrize("name", ["github-actions.yml", "gitea-actions.yml"])
def test_actions_pull_request_and_publish(name, origin, shim, tmp_path):
    doc = load(name)
    origin = copy_origin(origin, tmp_path)
    advance_main(origin, tmp_path)
    env = dict(shim, GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"))
    for job in ("check", "approvals"):
        work = clone(origin, tmp_path / job, "feature", shallow=checkout_depth(doc, job) == 1)
        steps = actions_steps(doc, job)
        for step in steps:
            step_env = dict(env, **{k: resolve(str(v)) for k, v in (step.get("env") or {}).items()})
            proc = run_shell(step["run"], work, step_env)
            assert proc.returncode == 0, (step.get("name"), proc.stdout, proc.stderr)
        if job == "check":
            assert any("qsgen check --format github" in s["run"] for s in steps)
            assert any("qsgen diff --merge-base" in s["run"] for s in steps)
            md = (work / "qsgen-diff.md").read_text(encoding="utf-8")
            assert "| **龙港所**" in md and "B6c" in md and "+1.00" in md
            # measured from the merge base: the record added to main later is not "removed"
            assert "端氏" not in md and "删除" not in md
            posted = Path(env["STUB_LOG"]).read_text(encoding="utf-8")  # the comment went out
            assert "| **龙港所**" in posted and ("gh pr comment 7" in posted or "/issues/7/comments" in posted)
        else:
            assert any("qsgen approvals --base" in s["run"] for s in steps)
            assert "审核签名" in proc.stderr  # no approvers in the example: nothing to verify, no failure

    site = clone(origin, tmp_path / "main", "main", shallow=False)
    for step in actions_steps(doc, "publish"):
        step_env = dict(shim, **{k: resolve(str(v)) for k, v in (step.get("env") or {}).items()})
        proc = run_shell(step["run"], site, step_env)
        assert proc.returncode == 0, (step.get("name"), proc.stdout, proc.stderr)
    assert (site / "_site" / "index.html").is_file()
    assert (site / "_site" / "2023" / "scores.json").is_file() and (site / "_site" / "years.json").is_file()


def gitlab_script(job: dict) -> str:
    lines = [x for x in job["script"]]
    return "\n".join(lines)


def test_gitlab_merge_request_and_pages(origin, shim, tmp_path):
    doc = load("gitlab-ci.yml")
    assert all(is_install(x) for x in doc["default"]["before_script"])
    env = dict(shim, CI_PIPELINE_SOURCE="merge_request_event", CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main",
               CI_API_V4_URL="http://gitlab.invalid/api/v4", CI_PROJECT_ID="1", CI_MERGE_REQUEST_IID="1")
    env.pop("QSGEN_BOT_TOKEN", None)
    origin = copy_origin(origin, tmp_path)
    advance_main(origin, tmp_path)
    assert doc["qsgen-check"]["variables"]["GIT_DEPTH"] == "0"
    work = clone(origin, tmp_path / "mr", "feature", shallow=False)
    script = gitlab_script(doc["qsgen-check"])
    proc = run_shell(script, work, env)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert "龙港所 +1.57" in proc.stdout
    assert json.loads((work / "gl-code-quality-report.json").read_text(encoding="utf-8")) == []
    md = (work / "qsgen-diff.md").read_text(encoding="utf-8")
    assert "| **龙港所**" in md and "端氏" not in md and "删除" not in md
    assert "跳过贴评论" in proc.stdout
    proc = run_shell(script, work, dict(env, QSGEN_BOT_TOKEN="token-for-test"))
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    posted = Path(env["STUB_LOG"]).read_text(encoding="utf-8")
    assert "merge_requests/1/notes" in posted and "| **龙港所**" in posted

    # a record with an error: the job fails and the code-quality report points at the line
    bad = work / "records/2023/longgang/case-2023-777.md"
    bad.write_text((work / "records/2023/longgang/case-2023-900.md").read_text(encoding="utf-8")
                   .replace("fine: 12000", "fine: 1.2万").replace("900号", "777号"), encoding="utf-8")
    proc = run_shell(script, work, env)
    assert proc.returncode == 1
    report = json.loads((work / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert report and report[0]["location"]["path"] == "records/2023/longgang/case-2023-777.md"
    assert report[0]["location"]["lines"]["begin"] > 1
    bad.unlink()

    # a mobile number in a record: an error under the examples' --privacy-errors, shown masked
    phone = work / "records/2023/longgang/case-2023-900.md"
    phone.write_text(phone.read_text(encoding="utf-8") + "\n当事人联系电话13812345678。\n", encoding="utf-8")
    proc = run_shell(script, work, env)
    assert proc.returncode == 1
    report = json.loads((work / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert [r["severity"] for r in report] == ["major"] and "138****5678" in report[0]["description"]
    assert "13812345678" not in json.dumps(report, ensure_ascii=False)
    run_git = subprocess.run(["git", "checkout", "--", "records"], cwd=work, env=env, capture_output=True)
    assert run_git.returncode == 0

    approvals = gitlab_script(doc["qsgen-approvals"])
    assert "qsgen approvals --base" in approvals
    proc = run_shell(approvals, work, env)
    assert proc.returncode == 0 and "审核签名" in proc.stderr, (proc.stdout, proc.stderr)
    proc = run_shell(approvals, work, dict(env, QSGEN_APPROVAL_ERRORS="unapproved"))
    assert proc.returncode == 1  # enforced: no approver configured is an error

    site = clone(origin, tmp_path / "main", "main", shallow=False)
    proc = run_shell(gitlab_script(doc["pages"]), site, dict(shim, CI_COMMIT_BRANCH="main"))
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert (site / "public" / "index.html").is_file()
