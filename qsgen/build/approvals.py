"""The approvals the site shows, gathered from git (an I/O step: git and ssh-keygen) as plain data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from qsgen.core.errors import Diagnostic
from qsgen.core.kinds import KINDS
from qsgen.core.model import Results, Rules

if TYPE_CHECKING:  # (the approvals' code is imported when approvals are gathered, not while
    # the last build's are reused: an incremental build of the same HEAD)
    from qsgen.approvals import engine
    from qsgen.approvals.owners import OwnersConfig
    from qsgen.repo.commits import Verdict

# What a record page shows of an approval: (status, responsible department names joined by
# "、", the signer's department name, the signer's name ("" unless names are shown), the date of
# the signature, the signed commit's abbreviated hash). Never an e-mail address, never a
# person's id.
SiteApproval = tuple[str, str, str, str, str, str]


def site_data(report: engine.Report, cfg: OwnersConfig, rules: Rules, paths: list[str]
              ) -> dict[str, SiteApproval]:
    """{path: SiteApproval} of ``paths`` from an evaluated report."""
    from qsgen.approvals import engine

    names = rules.departments
    out: dict[str, SiteApproval] = {}
    for path in paths:
        a = report.approvals.get(path)
        if a is None:
            continue
        person = cfg.people.get(a.signer)
        shown = person.name if person is not None and cfg.show_names and a.status == engine.APPROVED else ""
        out[path] = (a.status, "、".join(names.get(d, d) for d in a.responsible),
                     names.get(a.department, a.department) if a.department else "", shown, a.date,
                     a.commit[:10] if a.status in (engine.APPROVED, engine.BAD, engine.UNKNOWN) else "")
    return out


def rules_data(cfg: OwnersConfig, rules: Rules) -> tuple:
    """What the rules page says about approving: (show names, ((department name, (what it
    approves, …), (approver names, …) or (), number of approvers), …))."""
    from qsgen.approvals.responsible import kind_departments

    names = rules.departments
    approves: dict[str, list[str]] = {}
    for kind, depts in kind_departments(rules, cfg.assessment_office).items():
        for d in depts:
            approves.setdefault(d, []).append(KINDS[kind].name)
    approves.setdefault(cfg.assessment_office, []).append("评分文件（assessment.yaml）")
    approves.setdefault(cfg.rules_owner, []).append("考核规则和审核人名单")
    people: dict[str, list[str]] = {}
    for person in cfg.people.values():
        for m in person.memberships:
            if person.keys and person.name not in people.setdefault(m.department, []):
                people[m.department].append(person.name)
    rows = []
    for dept in names:
        if dept in approves or dept in people:
            who = people.get(dept, [])
            rows.append((names[dept], tuple(approves.get(dept, ())), tuple(who) if cfg.show_names else (),
                         len(who)))
    return (cfg.show_names, tuple(rows))


def gather(root: Path, results: Results, kept: dict[str, Any] | None = None, head: str | None = None,
           rules_digest: str | None = None, paths: list[str] | None = None) -> tuple[dict[str, SiteApproval] | None, tuple | None,
                                                     list[Diagnostic], dict[str, Any]]:
    """(record and assessment path -> SiteApproval, the rules page's data, warnings, what to
    keep for the next build) of ``paths`` (by default every record and assessment file's). (None, None, …) when rules/owners.yaml names no approver: then no
    page mentions approvals. ``kept``: what the last build kept (incremental/approvals.py);
    its site data is reused while HEAD (``head``) and the rules (``rules_digest``) are the
    same, its verdicts while the signers file is."""
    kept = kept or {}
    rules = results.rules
    if paths is None:  # (the caller's, when it has them: the same)
        paths = sorted({r.path for r in results.records.records}
                       | {a.path for a in results.records.assessments.values()})
    key = (head, rules_digest, rules.year)
    site = kept.get("for_site")  # (not "site": what an earlier version kept, its paths as a set)
    from qsgen.incremental.cache import asked_covers, asked_of

    if head is not None and rules_digest is not None and site and site[0] == key and \
            asked_covers(site[1][2], paths):
        data, policy, _asked = site[1]
        return ({p: data[p] for p in paths if p in data} if data is not None else None, policy,
                list(site[2]) if len(site) > 2 else [], kept)
    from qsgen.approvals import engine

    known: tuple[str, dict[str, Verdict]] | None = kept.get("verdicts")
    report, cfg, diags = engine.run(root, paths, preloaded={rules.year: rules}, known=known)
    warnings = [Diagnostic(d.path, d.line, d.col, "审核签名：" + d.message, d.hint, "warning") for d in diags]
    if report is None or cfg is None or any(d.severity == "error" for d in report.diagnostics):
        data, policy, verdicts = None, None, known
    else:
        data, policy = site_data(report, cfg, rules, paths), rules_data(cfg, rules)
        same = known[1] if known and known[0] == report.signers_digest else {}
        verdicts = (report.signers_digest, {**same, **report.verdicts})
    return data, policy, warnings, {"verdicts": verdicts,
                                    "for_site": (key, (data, policy, asked_of(paths)), tuple(warnings))}
