"""Which department is responsible for a file: the one mapping CODEOWNERS and approvals share."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from qsgen.core.kinds import KINDS, kind_of_filename
from qsgen.core.measures import MEASURES
from qsgen.core.model import Rules

CODEOWNERS_PATH = "CODEOWNERS"
SIGNERS_PATH = "rules/allowed_signers"

def kind_departments(rules: Rules, office: str = "office") -> dict[str, list[str]]:
    """Each record kind -> the departments responsible for what it feeds, in rule order.

    A kind feeds an adjustment when one of its parts names the kind or counts it through a
    measure (news_surplus counts news, …). ``evidence`` and any kind no rule uses go to the
    assessment office, which judges the task items.
    """
    out: dict[str, list[str]] = {k: [] for k in KINDS}

    def add(kind: str | None, dept: str) -> None:
        if kind in out and dept and dept not in out[kind]:
            out[kind].append(dept)

    for adj in rules.adjustments:
        for part in adj.parts:
            add(part.kind or (MEASURES[part.per].kind if part.per in MEASURES else None), adj.responsible)
    # Item progress reads news / cases / leads (owned above) and evidence (the office's).
    for depts in out.values():
        if not depts:
            depts.append(office)
    out["evidence"] = [office]
    return out


@dataclass(frozen=True)
class FileRole:
    """What a repository file is, for routing: ``what`` is "kind" (a record or an attachment
    named like one), "assessment", "records" (any other file under records/), "rules",
    "signers", "codeowners" or "other"; ``year`` is the assessment year of a file under
    records/<year>/ or rules/<year>/ (None elsewhere)."""

    what: str
    year: int | None = None
    kind: str | None = None


def classify(path: str) -> FileRole:
    """The role of a repository path (POSIX, relative to the root). Every layout question
    about paths (records/<year>/<unit>/…, rules/<year>/…) is answered here."""
    parts = path.split("/")
    year = int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None
    if parts[0] == "records" and len(parts) > 1:
        name = posixpath.basename(path)
        if name == "assessment.yaml":
            return FileRole("assessment", year)
        kind = kind_of_filename(name)  # the records stage's reading of a file name
        return FileRole("kind", year, kind) if kind else FileRole("records", year)
    if path == SIGNERS_PATH:
        return FileRole("signers")
    if parts[0] == "rules" and len(parts) > 1:
        return FileRole("rules", year)
    if path == CODEOWNERS_PATH:
        return FileRole("codeowners")
    return FileRole("other")


def departments_for(role: FileRole, per_kind: dict[str, list[str]], assessment_office: str,
                    rules_owner: str, code_owner: str = "") -> list[str]:
    """The departments responsible for a file of ``role`` (any one of them may approve it);
    ``per_kind``: kind_departments() of the file's year."""
    if role.what == "kind":
        return list(per_kind.get(role.kind or "", [])) or [assessment_office]
    if role.what in ("assessment", "records"):
        return [assessment_office]
    if role.what in ("rules", "signers", "codeowners"):
        return [rules_owner]
    return [code_owner or rules_owner]
