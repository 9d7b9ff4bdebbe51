"""Benchmark: verifying the approvals of a history of N records (`qsgen approvals`).

    python benchmarks/approvals.py --records 10000 --per-pr 10 --work /tmp/qsgen-approvals

The corpus of benchmarks/gen_corpus.py is committed as pull requests of ``--per-pr`` records of
one responsible department each, every one merged into main: even ones by a merge commit the
department's reviewer signed (`git merge -S`), odd ones by an unsigned merge of a branch that
ends with the reviewer's signed approval commit (Approved-by:). Keys are made with ssh-keygen
in the work folder. Then `qsgen approvals` runs in a fresh process (every signature verified by
git + ssh-keygen), and the engine once more in this process with the verdicts of the first run
(what an incremental build does), each phase timed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import gen_corpus  # noqa: E402

from qsgen.approvals import engine  # noqa: E402
from qsgen.approvals.responsible import classify, departments_for, kind_departments  # noqa: E402
from qsgen.review import codeowners  # noqa: E402
from qsgen.rules import load_rules  # noqa: E402

DEPARTMENTS = ["fagui", "bangongshi", "renshi", "dangjian", "leadership", "office"]


def build(out: Path, records: int, per_pr: int) -> tuple[int, int]:
    """The repository at ``out``; returns (pull requests, signed commits)."""
    if out.exists():
        shutil.rmtree(out)
    gen_corpus.generate(records, out)
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_AUTHOR_NAME="填报员", GIT_AUTHOR_EMAIL="staff@example.org",
               GIT_COMMITTER_NAME="填报员", GIT_COMMITTER_EMAIL="staff@example.org",
               GIT_AUTHOR_DATE="2023-06-02T10:00:00+08:00", GIT_COMMITTER_DATE="2023-06-02T10:00:00+08:00")

    def git(*args: str, stdin: str | None = None, extra: dict | None = None) -> str:
        return subprocess.run(["git", *args], cwd=out, env={**env, **(extra or {})}, input=stdin,
                              capture_output=True, text=True, check=True).stdout.strip()

    keys = out.parent / "keys"
    shutil.rmtree(keys, ignore_errors=True)
    keys.mkdir()
    people = []
    for dept in DEPARTMENTS:
        key = keys / dept
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", dept, "-f", str(key)], check=True)
        people.append(f"  {dept}:\n    - {{id: r-{dept}, name: 审核人{dept}, "
                      f"key: \"{key.with_suffix('.pub').read_text().strip()}\"}}\n")
    owners_yaml = out / "rules" / "owners.yaml"
    shutil.copy(gen_corpus.REPO / "rules" / "owners.yaml", owners_yaml)
    with open(owners_yaml, "a", encoding="utf-8") as f:
        f.write("\napprovers:\n" + "".join(people))
    files, diags = codeowners.generate_all(out)
    assert files is not None, diags
    for rel, text in files.items():
        (out / rel).write_text(text, encoding="utf-8")

    git("init", "-q", "-b", "main")
    git("add", "rules", "CODEOWNERS")
    git("commit", "-q", "-m", "规则与审核人")
    rules, _ = load_rules(out)
    per_kind = kind_departments(rules)
    paths = sorted(str(p.relative_to(out)).replace(os.sep, "/") for p in (out / "records").rglob("*") if p.is_file())
    by_dept: dict[str, list[str]] = {}
    for path in paths:
        dept = departments_for(classify(path), per_kind, "office", "leadership")[0]
        by_dept.setdefault(dept, []).append(path)
    oids = git("hash-object", "-w", "--stdin-paths", stdin="\n".join(paths) + "\n").split("\n")
    oid_of = dict(zip(paths, oids, strict=True))
    tip = git("rev-parse", "HEAD")
    prs = signed = 0
    for dept, group in by_dept.items():
        sign = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={keys / dept}"]
        reviewer = {"GIT_COMMITTER_EMAIL": f"{dept}@example.org", "GIT_AUTHOR_EMAIL": f"{dept}@example.org"}
        for i in range(0, len(group), per_pr):
            chunk = group[i:i + per_pr]
            git("update-index", "--add", "--index-info",
                stdin="".join(f"100644 {oid_of[p]}\t{p}\n" for p in chunk))
            tree = git("write-tree")
            branch = git("commit-tree", tree, "-p", tip, "-m", f"{dept} 第 {prs + 1} 批记录")
            if prs % 2 == 0:
                tip = git(*sign, "commit-tree", "-S", tree, "-p", tip, "-p", branch, "-m", f"合并 #{prs + 1}",
                          extra=reviewer)
            else:
                approval = git(*sign, "commit-tree", "-S", tree, "-p", branch, "-m",
                               f"审核通过\n\nApproved-by: {dept}", extra=reviewer)
                tip = git("commit-tree", tree, "-p", tip, "-p", approval, "-m", f"合并 #{prs + 1}")
            prs += 1
            signed += 1
    git("update-ref", "refs/heads/main", tip)
    git("reset", "-q")
    git("gc", "-q")  # packed, as a clone is (reading loose objects one by one is much slower)
    return prs, signed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="审核签名核对的性能测试")
    p.add_argument("--records", type=int, default=10000)
    p.add_argument("--per-pr", type=int, default=10)
    p.add_argument("--work", type=Path, default=Path("/tmp/qsgen-approvals"))
    p.add_argument("--reuse", action="store_true", help="沿用 --work 中已建好的仓库")
    args = p.parse_args(argv)
    out = args.work / f"repo-{args.records}-{args.per_pr}"
    if not (args.reuse and (out / ".git").is_dir()):
        t = time.perf_counter()
        prs, signed = build(out, args.records, args.per_pr)
        print(f"仓库：{args.records} 条记录，{prs} 个合并请求，{signed} 个签名提交（生成 {time.perf_counter() - t:.1f} s）")
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "qsgen.cli", "--root", str(out), "approvals", "-q"], env=env,
                          capture_output=True, text=True)
    cold = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"qsgen approvals（新进程，全部签名都核对）：{cold:.2f} s，CPU {cpu:.2f} s（本进程与 git、ssh-keygen 合计；"
          f"两核空闲时墙钟约为其一半）；{proc.stderr.strip().splitlines()[-1]}")
    t = time.perf_counter()
    from qsgen.repo import commits

    graph = commits.read_graph(out)
    print(f"  其中 git log 一遍（{len(graph)} 个提交，含每个提交改动的文件）：{time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    report, _cfg, _ = engine.run(out, jobs=2)
    first = time.perf_counter() - t
    t = time.perf_counter()
    again, _cfg, _ = engine.run(out, known=(report.signers_digest, report.verdicts))
    warm = time.perf_counter() - t
    print(f"  本进程再算：核对 {report.verified} 个签名 {first:.2f} s；沿用上次的核对结果（增量生成时）{warm:.2f} s")
    per = (first - warm) / max(1, report.verified) * 1000
    print(f"  每个签名约 {per:.1f} ms（git 为每个签名运行 ssh-keygen；两个进程并行）")
    assert again.approvals == report.approvals
    return 0


if __name__ == "__main__":
    sys.exit(main())
