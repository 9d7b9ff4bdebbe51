"""CODEOWNERS generated from the rules: each record kind routed to its responsible department."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qsgen.approvals.owners import OWNERS_PATH, PLATFORMS, OwnersConfig, check_departments, load_owners
from qsgen.approvals.responsible import (
    CODEOWNERS_PATH,
    SIGNERS_PATH,
    FileRole,
    departments_for,
    kind_departments,
)
from qsgen.approvals.signers import first_difference
from qsgen.core.errors import Diagnostic, Diagnostics
from qsgen.core.kinds import KINDS
from qsgen.core.model import Rules
from qsgen.repo.files import Refused, read_file

__all__ = ["OWNERS_PATH", "CODEOWNERS_PATH", "SIGNERS_PATH", "PLATFORMS",
           "OwnersConfig", "load_owners", "kind_departments", "entries", "render", "generate",
           "generate_all", "stale_warning", "stale_warnings", "first_difference"]

HEADER = """\
# 本文件由 `qsgen codeowners` 根据 rules/ 自动生成，请不要手工修改。
# 要更换审核人：改 rules/owners.yaml（股室 → 团队），再运行 `qsgen codeowners` 并提交。
# 每类记录由它所影响的加减分项目的责任股室审核（见 rules/<年度>/adjustments.yaml 的 responsible）。
"""


@dataclass
class Entry:
    """One CODEOWNERS line before rendering."""

    what: str  # "default" | "records" | "kind" | "assessment" | "rules" | "signers" | "codeowners"
    kind: str | None
    departments: list[str]
    comment: str


# --------------------------------------------------------------- derivation


def _ordered_kinds() -> list[str]:
    """Kinds in declaration order, but a kind whose prefix is another kind's (case-lead after
    case) comes later, because in CODEOWNERS the last matching line wins."""
    kinds = list(KINDS)
    return sorted(kinds, key=lambda k: sum(1 for j in kinds if j != k and k.startswith(j + "-")))


def entries(rules: Rules, cfg: OwnersConfig, others: list[Rules] = ()) -> list[Entry]:
    """The CODEOWNERS lines, most general first; each line's departments are
    responsible.departments_for() of the files it matches (the mapping approvals use too).
    The lines do not name years: with ``others`` (the other years' rules) a kind goes to every
    department any year makes responsible for it, ``rules``' (the latest year's) first."""
    per_kind = kind_departments(rules, cfg.assessment_office)
    dname = dict(rules.departments)
    for more in others:
        for kind, ds in kind_departments(more, cfg.assessment_office).items():
            per_kind.setdefault(kind, [])
            per_kind[kind] += [d for d in ds if d not in per_kind[kind]]
        dname = {**more.departments, **dname}

    def depts(role: FileRole) -> list[str]:
        return departments_for(role, per_kind, cfg.assessment_office, cfg.rules_owner, cfg.code_owner)

    def names(ds: list[str]) -> str:
        return "、".join(dname.get(d, d) for d in ds)

    other, records = depts(FileRole("other")), depts(FileRole("records"))
    out = [Entry("default", None, other, f"其他文件（程序、网站模板、CI 配置等，改动会影响计分）→ {names(other)}"),
           Entry("records", None, records, f"其他记录文件（附件、年度状态 status.yaml、定稿清单 manifest.json 等）→ {names(records)}")]
    for kind in _ordered_kinds():
        ds = depts(FileRole("kind", kind=kind))
        out.append(Entry("kind", kind, ds, f"{KINDS[kind].name}（{kind}）→ {names(ds)}"))
    ds = depts(FileRole("assessment"))
    out.append(Entry("assessment", None, ds, f"考核办评分文件 → {names(ds)}"))
    ds = depts(FileRole("rules"))
    out.append(Entry("rules", None, ds, f"考核规则与审核人设置 → {names(ds)}"))
    ds = depts(FileRole("signers"))
    out.append(Entry("signers", None, ds, f"审核人公钥（由 rules/owners.yaml 生成）→ {names(ds)}"))
    out.append(Entry("codeowners", None, depts(FileRole("codeowners")), "本文件"))
    return out


def _pattern(entry: Entry, platform: str) -> str | None:
    if platform == "gitea":  # Go regular expressions, whole path; "\\." is an escaped dot
        return {
            "default": None,  # Gitea adds the owners of every matching line: no catch-all
            "records": None,
            "kind": f"records/(.*/)?{entry.kind}-[^/]*",
            "assessment": "records/(.*/)?assessment\\\\.yaml",
            "rules": "rules/.*",
            "signers": "rules/allowed_signers",
            "codeowners": "CODEOWNERS",
        }[entry.what]
    return {
        "default": "*",
        "records": "/records/",
        "kind": f"/records/**/{entry.kind}-*",
        "assessment": "/records/**/assessment.yaml",
        "rules": "/rules/",
        "signers": "/" + SIGNERS_PATH,
        "codeowners": "/" + CODEOWNERS_PATH,
    }[entry.what]


def render(rules: Rules, cfg: OwnersConfig, others: list[Rules] = ()) -> tuple[str, list[Diagnostic]]:
    """The CODEOWNERS text for ``rules`` (with ``others``: every year's, see entries) and
    ``cfg`` (deterministic: no dates)."""
    diags = Diagnostics()
    diags.extend(check_departments(cfg, rules.departments, rules.root))
    if not cfg.has_teams:
        diags.error(OWNERS_PATH, 1, 1, "缺少 teams:（股室 → 团队）", "例如 teams: {fagui: \"@组织/fagui\"}")
    reported: set[str] = set()
    body: list[str] = []
    for entry in entries(rules, cfg, others):
        pattern = _pattern(entry, cfg.platform)
        if pattern is None:
            continue
        handles: list[str] = []
        for dept in entry.departments:
            got = cfg.teams.get(dept)
            if not got:
                if dept not in reported:
                    reported.add(dept)
                    diags.error(OWNERS_PATH, 1, 1,
                                f"股室 {rules.departments.get(dept, dept)}（{dept}）没有设置审核团队",
                                f"在 teams: 下加一行：{dept}: \"@组织/团队\"")
                continue
            handles.extend(h for h in got if h not in handles)
        body.append(f"# {entry.comment}")
        if handles:
            body.append(f"{pattern} {' '.join(handles)}")
        else:
            body.append(f"# {pattern} （未设置审核团队）")
    platform_note = {"github": "GitHub", "gitlab": "GitLab", "gitea": "Gitea（正则表达式写法）"}[cfg.platform]
    # (no year named: the file stays as it is when a year with the same routing is added)
    text = HEADER + f"# 平台：{platform_note}；依据 rules/ 下每个年度的考核规则\n\n" + "\n".join(body) + "\n"
    return text, diags.sorted()


# ------------------------------------------------------------ whole repository


def generate_all(root: str | Path) -> tuple[dict[str, str] | None, list[Diagnostic]]:
    """{path: text} of the files rules/owners.yaml generates, from it and every year's rules:
    CODEOWNERS (unless owners.yaml names people but no teams) and rules/allowed_signers
    (when it names people). None, with the reasons, when anything is wrong."""
    from qsgen.approvals import signers
    from qsgen.repo.years import rule_years
    from qsgen.rules import load_rules

    cfg, diags = load_owners(root)
    if cfg is None and not diags:
        return None, [Diagnostic(OWNERS_PATH, 1, 1, "没有找到审核人设置文件 rules/owners.yaml",
                                 "照 docs/guide 中的示例新建这个文件：股室 id → 平台团队")]
    rules, rdiags = load_rules(Path(root))
    diags = list(diags) + list(rdiags)
    others = []
    for year in rule_years(Path(root)):
        if rules is not None and year != rules.year:
            other, odiags = load_rules(Path(root), year)
            diags += list(odiags)
            if other is not None:
                others.append(other)
    if cfg is None or rules is None or any(d.severity == "error" for d in diags):
        return None, sorted(diags)
    files: dict[str, str] = {}
    if cfg.has_teams or not cfg.people:
        text, more = render(rules, cfg, others)
        diags += more
        files[CODEOWNERS_PATH] = text
    else:  # people to verify signatures with, no forge teams: no CODEOWNERS
        diags += check_departments(cfg, rules.departments, rules.root)
    if cfg.people:
        files[SIGNERS_PATH] = signers.render(cfg, rules.departments)
    if any(d.severity == "error" for d in diags):
        return None, sorted(diags)
    return files, sorted(diags)


def generate(root: str | Path) -> tuple[str | None, list[Diagnostic]]:
    """The CODEOWNERS text (generate_all)."""
    files, diags = generate_all(root)
    return (files or {}).get(CODEOWNERS_PATH), diags


def stale_warnings(root: str | Path) -> list[Diagnostic]:
    """Warnings when the committed CODEOWNERS or rules/allowed_signers no longer match the
    rules and rules/owners.yaml (for `qsgen check`).

    Silent when the repository has no rules/owners.yaml (the bureau does not use CODEOWNERS)
    or when the rules cannot be loaded (check reports those errors itself).
    """
    from qsgen.approvals import signers

    root = Path(root)
    if not (root / OWNERS_PATH).is_file():
        return []
    try:
        files, diags = generate_all(root)
    except Exception:  # never let this hook break `qsgen check`
        return []
    if files is None:
        owners_errors = [d for d in diags if d.path == OWNERS_PATH and d.severity == "error"]
        if owners_errors:
            d = owners_errors[0]
            return [Diagnostic(d.path, d.line, d.col, "审核人设置有误，无法生成 CODEOWNERS：" + d.message,
                               d.hint, "warning")]
        return []
    out = []
    if CODEOWNERS_PATH in files:
        stale = _codeowners_stale(root, files[CODEOWNERS_PATH])
        if stale is not None:
            out.append(stale)
    stale = signers.stale_warning(root, files.get(SIGNERS_PATH))
    if stale is not None:
        out.append(stale)
    return out


def stale_warning(root: str | Path) -> Diagnostic | None:
    """The first of stale_warnings(root), None when there is none."""
    found = stale_warnings(root)
    return found[0] if found else None


def _codeowners_stale(root: Path, text: str) -> Diagnostic | None:
    path = root / CODEOWNERS_PATH
    if not path.is_file():
        return Diagnostic(CODEOWNERS_PATH, 1, 1, "还没有生成 CODEOWNERS，合并请求不会自动请责任股室审核",
                          "运行 qsgen codeowners，再提交生成的 CODEOWNERS", "warning")
    try:
        current = read_file(path, within=root).decode("utf-8-sig", "replace").replace("\r\n", "\n")
    except Refused as e:
        return Diagnostic(CODEOWNERS_PATH, 1, 1, f"CODEOWNERS {e.reason}", "运行 qsgen codeowners 重新生成，再提交",
                          "warning")
    if current == text:
        return None
    return Diagnostic(CODEOWNERS_PATH, first_difference(current, text), 1,
                      "CODEOWNERS 已过期：与 rules/ 和 rules/owners.yaml 不一致",
                      "运行 qsgen codeowners 重新生成，再提交", "warning")
