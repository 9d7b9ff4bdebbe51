"""Which approval covers each file's current content: signed merge or approval commits, checked
against the responsible department, the signers file and the change's authors.

The model (docs/guide/review.md, "审核签名"):

- The *mainline* is the first-parent history of HEAD. A file's *change* is the mainline commit
  that last changed it (its first-parent diff names the file), taken as a *landing*:
  - a merge commit lands everything its other parents bring (the merged branch: the commits
    that became reachable with it);
  - consecutive plain commits land as one run (a fast-forwarded branch, direct commits), a
    run ending after its approval commits: a plain commit after an approval starts a new one.
- The change is approved by a good SSH signature of an entitled person on
  - the landing merge commit itself (a reviewer merging with `git merge -S`), or
  - an *approval commit* of the landing — a commit with an ``Approved-by:`` trailer — whose
    tree holds the file exactly as published (a push after the approval voids it).
- Entitled: the signer belongs, on the date of the signature, to a department responsible
  for the file (responsible.departments_for); not an author of the change (self-approval).
- Before a merge (``base``): the change is everything from the merge base with ``base`` to
  HEAD, approved only by approval commits in it.
"""

from __future__ import annotations

import datetime as _dt
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qsgen.approvals import signers as signers_file
from qsgen.approvals.owners import OwnersConfig, Person
from qsgen.approvals.responsible import SIGNERS_PATH, classify, departments_for, kind_departments
from qsgen.core.errors import Diagnostic
from qsgen.core.model import Rules
from qsgen.repo import commits
from qsgen.repo.commits import Node, Verdict

APPROVED = "approved"  # a good signature by an entitled person who did not author the change
SELF = "self"  # … by an entitled person who authored the change: not an approval
OUTSIDE = "outside"  # … by a known person outside the responsible department(s) on that date
BAD = "bad"  # a signature that does not match the commit (changed after signing) or cannot be checked
UNKNOWN = "unknown"  # a good signature by a key that is not in rules/allowed_signers
UNSIGNED = "unsigned"  # no reviewer's SSH signature at all
STATUSES = (APPROVED, SELF, OUTSIDE, BAD, UNKNOWN, UNSIGNED)  # best first
RANK = {s: i for i, s in enumerate(STATUSES)}
STATUS_WORDS = {APPROVED: "已审核", SELF: "本人审核本人提交", OUTSIDE: "非责任股室审核",
                BAD: "签名无效", UNKNOWN: "签名无效", UNSIGNED: "未经审核"}
# What `qsgen approvals --error` and CI name each problem (several statuses share a name).
PROBLEMS = {"unapproved": (UNSIGNED,), "outside": (OUTSIDE,), "self": (SELF,), "invalid": (BAD, UNKNOWN)}
TRACKED = ("records", "rules", "CODEOWNERS")  # what approvals are reported for


@dataclass(frozen=True, slots=True)
class Approval:
    """How the current content of one file was approved (or why it was not)."""

    path: str
    status: str  # one of STATUSES
    responsible: tuple[str, ...]  # department ids, any one of which may approve
    signer: str = ""  # the person id of the best signature (never published)
    department: str = ""  # the signer's department id (a responsible one when approved)
    date: str = ""  # YYYY-MM-DD of the signature (the signed commit's committer date)
    commit: str = ""  # the signed commit
    via: str = ""  # "merge" | "trailer" | ""
    change: str = ""  # the commit whose landing is judged ("" before it is committed)
    detail: str = ""  # Chinese: why, for anything but APPROVED

    def __reduce__(self):
        return (Approval, (self.path, self.status, self.responsible, self.signer, self.department,
                           self.date, self.commit, self.via, self.change, self.detail))


@dataclass
class Report:
    """What the approvals engine found: each record's approval, git's verdicts, the diagnostics."""

    approvals: dict[str, Approval] = field(default_factory=dict)  # path -> approval
    head: str = ""
    base: str = ""  # the merge base a branch was judged against ("" on the mainline)
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # sha -> git's verdict (cacheable)
    signers_digest: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    verified: int = 0  # signatures checked by ssh-keygen in this run (not from ``known``)


@dataclass
class _Landing:
    """How a run of commits landed on the mainline (a merge, or plain commits)."""

    commits: list[str]  # the commits it brings, mainline ones included
    merge: str = ""  # the landing merge commit, "" for a run of plain commits
    approved: bool = False  # a run: it has seen an approval commit


def recusal_conflict(contested: Approval | None, answer: Approval | None) -> str | None:
    """The answer to an objection must not be approved by whoever approved the contested
    change (DESIGN.md §7): a Chinese reason when it is, else None. ``contested``: the approval
    of the change the objection is against (a record, an assessment score); ``answer``: the
    approval of the office's answer. For the lifecycle's objection decisions."""
    if contested is None or answer is None or not contested.signer or answer.status != APPROVED:
        return None
    if answer.signer != contested.signer:
        return None
    return (f"答复由 {answer.signer} 签名审核，而被提出异议的内容也是此人审核的"
            f"（{contested.path}，{contested.date}）：应由其他人审核答复")


def _day(iso: str) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(iso[:10])
    except ValueError:
        return None


def _short(sha: str) -> str:
    return sha[:10]


class _Judge:
    """Turns one file's candidates into an Approval."""

    def __init__(self, cfg: OwnersConfig, names: Callable[[str], str]) -> None:
        self.cfg = cfg
        self.names = names  # department id -> display name

    def one(self, path: str, responsible: tuple[str, ...], node: Node, via: str, kind: str,
            verdict: Verdict | None, authors: set[str], change: str) -> Approval:
        what = "合并提交" if via == "merge" else "审核提交"
        base = dict(path=path, responsible=responsible, commit=node.sha, via=via, change=change,
                    date=node.date[:10])
        if kind == "":
            return Approval(status=UNSIGNED, detail=f"{what} {_short(node.sha)} 没有签名", **base)
        if kind == "other":
            return Approval(status=UNSIGNED, detail=f"{what} {_short(node.sha)} 的签名不是审核人的 SSH 签名"
                            "（可能是托管平台网页合并时加的签名）", **base)
        code = verdict.code if verdict else "E"
        if code == "B":
            return Approval(status=BAD, detail=f"{what} {_short(node.sha)} 的签名与提交内容不符"
                            "（提交在签名后被改动过）", **base)
        person = self.cfg.people.get(verdict.principal) if verdict and code == "G" else None
        if person is None:
            if code in ("G", "U"):
                fp = verdict.fingerprint if verdict else ""
                return Approval(status=UNKNOWN, detail=f"{what} {_short(node.sha)} 所用的密钥不在 "
                                f"{SIGNERS_PATH} 中（指纹 {fp}）", **base)
            return Approval(status=BAD, detail=f"{what} {_short(node.sha)} 的签名无法核对（代码 {code}）", **base)
        return self._person(person, node, authors, what, base)

    def _person(self, person: Person, node: Node, authors: set[str], what: str, base: dict) -> Approval:
        responsible = base["responsible"]
        day = _day(node.date)
        depts = person.departments_on(day)
        entitled = [d for d in responsible if d in depts]
        if not entitled:
            want = "、".join(self.names(d) for d in responsible)
            ever = [m.department for m in person.memberships]
            if any(d in ever for d in responsible):
                detail = f"{self.names(responsible[0])} 的 {person.name} 在 {base['date']} 不在审核期内"
            else:
                own = "、".join(dict.fromkeys(self.names(d) for d in ever)) or "（无）"
                detail = f"签名人 {person.name} 属于 {own}，不是责任股室 {want}"
            return Approval(status=OUTSIDE, signer=person.id, department=(depts or ever or [""])[0],
                            detail=f"{what} {_short(node.sha)}：{detail}", **base)
        identities = set(person.emails) | {node.committer_email}
        if authors & identities:
            return Approval(status=SELF, signer=person.id, department=entitled[0],
                            detail=f"{what} {_short(node.sha)} 的签名人 {person.name} 也是这次改动的提交人"
                            "，本人提交的内容须由他人审核", **base)
        return Approval(status=APPROVED, signer=person.id, department=entitled[0], **base)


def evaluate(root: Path, cfg: OwnersConfig, rules_for: Callable[[int | None], Rules | None],
             paths: Iterable[str] | None = None, base: str | None = None,
             known: tuple[str, dict[str, Verdict]] | None = None, jobs: int = 2) -> Report:
    """The approval of each file's current content at HEAD.

    ``paths``: the files to judge (default: every tracked file under records/, rules/ and
    CODEOWNERS; with ``base``: those of them the branch changed, deletions included).
    ``base``: judge the branch against its merge base with this revision instead of the
    mainline (a pull request before its merge). ``rules_for(year)``: the rules of an
    assessment year (None: the latest), for the responsible departments. ``known``: the
    (signers_digest, verdicts) of an earlier run; used when the signers file is the same
    (only new signatures are then checked). Never raises for repository problems: they come back as diagnostics.
    """
    root = Path(root)
    report = Report()
    graph = commits.read_graph(root)
    if not graph:
        report.diagnostics.append(Diagnostic(".", 1, 1, "这里不是 git 仓库，或还没有提交，无法核对审核签名",
                                             "在仓库根目录运行；CI 中要取回完整历史（fetch-depth: 0）",
                                             "warning"))
        return report
    by_sha = {n.sha: n for n in graph}
    head = report.head = graph[0].sha
    blobs = commits.tree_blobs(root, head, TRACKED)
    landings: dict[str, _Landing] = {}
    if base is not None:
        mb = commits.merge_base(root, base, head)
        if mb is None:
            report.diagnostics.append(Diagnostic(
                ".", 1, 1, f"找不到 {base} 与 HEAD 的共同祖先（merge base），无法核对这次改动的审核签名",
                f"先取回完整历史：git fetch --unshallow 或 git fetch origin {base.split('/')[-1]}；"
                "CI 中 checkout 设 fetch-depth: 0"))
            return report
        report.base = mb
        before = _ancestors(mb, by_sha)
        branch = _Landing([n.sha for n in graph if n.sha not in before])
        wanted = [p for p in commits.changed_files(root, mb, head) if p.split("/", 1)[0] in TRACKED]
        if paths is not None:
            wanted = _select(wanted, paths, False)
        landing_of = dict.fromkeys(wanted, "")
    else:
        mainline = _mainline(head, by_sha)
        landings = _landings(mainline, by_sha)
        wanted = sorted(blobs) if paths is None else _select(sorted(blobs), paths, True)
        landing_of = _last_changes(mainline, by_sha, wanted)
    names = _department_names(rules_for)
    per_year: dict[int | None, dict[str, list[str]]] = {}

    def responsible(path: str) -> tuple[str, ...]:
        role = classify(path)
        year = role.year if role.what in ("kind",) else None
        if year not in per_year:
            rules = rules_for(year) or rules_for(None)
            per_year[year] = kind_departments(rules, cfg.assessment_office) if rules else {}
        return tuple(departments_for(role, per_year[year], cfg.assessment_office, cfg.rules_owner,
                                     cfg.code_owner))

    # Per file: its landing, the candidate signed commits, the change's authors.
    plan: dict[str, tuple[_Landing | None, str]] = {}
    pairs: list[tuple[str, str]] = []
    for path in wanted:
        change = landing_of.get(path)
        landing = branch if base is not None else (landings.get(change) if change else None)
        plan[path] = (landing, change or "")
        if landing is not None:
            pairs.extend((sha, path) for sha in landing.commits if by_sha[sha].approval)
    at = commits.blobs_at(root, pairs)
    candidates: dict[str, list[tuple[str, str]]] = {}
    for path, (landing, _change) in plan.items():
        if landing is None:
            continue
        current = blobs.get(path)
        found = [(landing.merge, "merge")] if landing.merge else []
        found += [(sha, "trailer") for sha in landing.commits
                  if by_sha[sha].approval and at.get((sha, path)) == current and sha != landing.merge]
        candidates[path] = found
    signed = {sha for found in candidates.values() for sha, _ in found}
    kinds = commits.signature_kinds(root, signed)
    text = signers_file.render(cfg, names.all)
    report.signers_digest = signers_file.digest(text)
    verdicts = dict(known[1]) if known and known[0] == report.signers_digest else {}
    todo = sorted(sha for sha, kind in kinds.items() if kind == "ssh" and sha not in verdicts)
    if todo:
        if shutil.which("ssh-keygen") is None:
            report.diagnostics.append(Diagnostic(".", 1, 1, "找不到 ssh-keygen，无法核对审核签名",
                                                 "安装 OpenSSH 客户端（Debian: apt install openssh-client；"
                                                 "Windows: 在 Git Bash 中运行）"))
            return report
        verdicts.update(_verify(root, todo, text, jobs, report))
        report.verified = len(todo)
    report.verdicts = {sha: verdicts[sha] for sha in kinds if sha in verdicts}
    judge = _Judge(cfg, names)
    judged: dict[tuple, Approval] = {}
    for path, (landing, change) in plan.items():
        resp = responsible(path)
        if landing is None:
            why = ("还没有提交到 git" if path not in blobs and base is None else
                   "在取回的历史中找不到它的提交（浅克隆？CI 中 checkout 设 fetch-depth: 0）")
            report.approvals[path] = Approval(path, UNSIGNED, resp, detail=why)
            continue
        authors = {by_sha[s].author_email for s in landing.commits
                   if len(by_sha[s].parents) <= 1 and path in by_sha[s].files}
        best: Approval | None = None
        for sha, via in candidates[path]:
            # files landed together mostly share their verdict: judged once, then renamed
            key = (sha, via, resp, frozenset(authors), change)
            got = judged.get(key)
            if got is None:
                got = judged[key] = judge.one(path, resp, by_sha[sha], via, kinds.get(sha, ""),
                                              verdicts.get(sha), authors, change)
            elif got.path != path:
                got = Approval(path, got.status, got.responsible, got.signer, got.department, got.date,
                               got.commit, got.via, got.change, got.detail)
            if best is None or RANK[got.status] < RANK[best.status]:
                best = got
        if best is None:
            if base is not None:
                why = "分支中没有带 Approved-by: 的签名审核提交"
            elif landing.merge:
                why = f"合并提交 {_short(landing.merge)} 没有签名，合并的分支中也没有带 Approved-by: 的签名审核提交"
            else:
                why = f"直接提交（{_short(change)}），之后没有带 Approved-by: 的签名审核提交"
            best = Approval(path, UNSIGNED, resp, change=change, detail=why)
        report.approvals[path] = best
    return report


def _verify(root: Path, shas: list[str], text: str, jobs: int, report: Report) -> dict[str, Verdict]:
    """Verify with the committed rules/allowed_signers when it is what owners.yaml generates,
    else with the generated text in a temporary file inside the repository."""
    if signers_file.read_committed(root) == text:
        return commits.verify_ssh(root, shas, root / SIGNERS_PATH, jobs)
    try:
        with tempfile.TemporaryDirectory(prefix=".qsgen-signers-", dir=root) as tmp:
            path = Path(tmp) / "allowed_signers"
            path.write_text(text, encoding="utf-8", newline="\n")
            return commits.verify_ssh(root, shas, path, jobs)
    except OSError as e:
        report.diagnostics.append(Diagnostic(SIGNERS_PATH, 1, 1, f"无法写出临时的审核人公钥文件：{e}",
                                             "运行 qsgen codeowners 生成并提交 rules/allowed_signers"))
        return {}


class _Names:
    """Department id -> name across the years' rules (the latest year's name first)."""

    def __init__(self, all_names: dict[str, str]) -> None:
        self.all = all_names

    def __call__(self, dept: str) -> str:
        return self.all.get(dept, dept)


def _department_names(rules_for: Callable[[int | None], Rules | None]) -> _Names:
    latest = rules_for(None)
    return _Names(dict(latest.departments) if latest else {})


def _select(files: list[str], paths: Iterable[str], keep_missing: bool) -> list[str]:
    """The ``files`` each of ``paths`` names, as a file or a folder; with ``keep_missing`` a
    path naming none of them is kept as it is (reported as not committed)."""
    out: dict[str, None] = {}
    for path in paths:
        path = path.rstrip("/")
        if path in files or path == "":
            out.update(dict.fromkeys([path] if path else files))
            continue
        inside = [f for f in files if f.startswith(path + "/")]
        if inside:
            out.update(dict.fromkeys(inside))
        elif keep_missing:
            out[path] = None
    return list(out)


def _mainline(head: str, by_sha: dict[str, Node]) -> list[str]:
    """The first-parent chain from ``head``, newest first."""
    out: list[str] = []
    sha: str | None = head
    while sha is not None and sha in by_sha:
        out.append(sha)
        parents = by_sha[sha].parents
        sha = parents[0] if parents else None
    return out


def _ancestors(start: str, by_sha: dict[str, Node]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        sha = stack.pop()
        if sha in seen or sha not in by_sha:
            continue
        seen.add(sha)
        stack.extend(by_sha[sha].parents)
    return seen


def _landings(mainline: list[str], by_sha: dict[str, Node]) -> dict[str, _Landing]:
    """Each mainline commit's landing (see the module's docstring), from the oldest on."""
    out: dict[str, _Landing] = {}
    landed: set[str] = set()
    run: _Landing | None = None
    for sha in reversed(mainline):
        node = by_sha[sha]
        landed.add(sha)
        if len(node.parents) > 1:
            members = [sha]
            stack = list(node.parents[1:])
            while stack:
                x = stack.pop()
                if x in landed or x not in by_sha:
                    continue
                landed.add(x)
                members.append(x)
                stack.extend(by_sha[x].parents)
            out[sha] = _Landing(members, merge=sha)
            run = None
            continue
        if run is None or (run.approved and not node.approval):
            run = _Landing([])
        run.commits.append(sha)
        run.approved = run.approved or node.approval
        out[sha] = run
    return out


def _last_changes(mainline: list[str], by_sha: dict[str, Node], paths: list[str]) -> dict[str, str]:
    """{path: the newest mainline commit whose first-parent diff changed it}."""
    wanted = set(paths)
    out: dict[str, str] = {}
    for sha in mainline:
        for path in by_sha[sha].files:
            if path in wanted and path not in out:
                out[path] = sha
        if len(out) == len(wanted):
            break
    return out


def problems(report: Report, errors: Iterable[str] = ()) -> list[Diagnostic]:
    """A diagnostic per file not approved: an error when its problem (PROBLEMS keys) is in
    ``errors``, else a warning."""
    severe = {s for name in errors for s in PROBLEMS.get(name, ())}
    out: list[Diagnostic] = []
    for path, a in sorted(report.approvals.items()):
        if a.status == APPROVED:
            continue
        message = f"{STATUS_WORDS[a.status]}：{a.detail}" if a.detail else STATUS_WORDS[a.status]
        out.append(Diagnostic(path, 1, 1, message, _HINTS[a.status],
                              "error" if a.status in severe else "warning"))
    return out


_HINTS = {
    SELF: "请责任股室的另一位审核人签名审核（见 docs/guide/review.md）",
    OUTSIDE: "请责任股室的审核人签名审核；股室人员变动请改 rules/owners.yaml 的 approvers:",
    BAD: "请审核人重新签名审核；若提交被人改动过，先查明原因",
    UNKNOWN: "把签名人的公钥加进 rules/owners.yaml 的 approvers:，再运行 qsgen codeowners",
    UNSIGNED: "责任股室审核人用 git commit --allow-empty -S --trailer \"Approved-by: 股室 姓名\" 签名审核，"
              "或用 git merge --no-ff -S 签名合并（见 docs/guide/review.md）",
}


def rules_loader(root: Path, preloaded: dict[int, Rules] | None = None
                 ) -> Callable[[int | None], Rules | None]:
    """rules_for(year) for evaluate(): each year's rules loaded once (None: the latest year);
    ``preloaded``: rules a caller has already loaded, by year."""
    from qsgen.rules import load_rules

    memo: dict[int | None, Rules | None] = dict(preloaded or {})

    def rules_for(year: int | None) -> Rules | None:
        if year not in memo:
            rules, _ = load_rules(root, year)
            memo[year] = rules
            if rules is not None and year is None:
                memo.setdefault(rules.year, rules)
        return memo[year]

    return rules_for


def run(root: Path, paths: Iterable[str] | None = None, base: str | None = None,
        known: tuple[str, dict[str, Verdict]] | None = None, preloaded: dict[int, Rules] | None = None,
        jobs: int = 2) -> tuple[Report | None, OwnersConfig | None, list[Diagnostic]]:
    """evaluate() with rules/owners.yaml and the rules loaded from ``root``: (report, owners,
    diagnostics); the report is None when no approver is configured or owners.yaml is wrong."""
    from qsgen.approvals.owners import check_departments, load_owners

    root = Path(root)
    cfg, diags = load_owners(root)
    if cfg is None or not cfg.approvals or any(d.severity == "error" for d in diags):
        return None, cfg, diags
    rules_for = rules_loader(root, preloaded)
    latest = rules_for(None)
    if latest is not None:
        diags = sorted([*diags, *check_departments(cfg, latest.departments, latest.root)])
        if any(d.severity == "error" for d in diags):
            return None, cfg, diags
    report = evaluate(root, cfg, rules_for, paths, base, known, jobs)
    return report, cfg, sorted([*diags, *report.diagnostics])
