"""`qsgen finalize` and `qsgen verify`: the final manifest of a year written (optionally signed) and checked."""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from qsgen.core.errors import Diagnostic, QsgenError
from qsgen.core.stages import FINAL
from qsgen.lifecycle import manifest as mf
from qsgen.lifecycle.status import read_status


def _score_year(root: Path, year: int):
    from qsgen.build.pipeline import load_and_score

    results, _warnings = load_and_score(root, year=year, build_date=_dt.date.max)
    return results[0]


def finalize(root: Path, year: int, key: Path | None = None) -> tuple[str, str]:
    """Write records/<year>/manifest.json for a year whose status says 定稿 (and sign it with
    the SSH key ``key``). Returns (the manifest's path, its SHA-256). QsgenError when the year
    cannot be finalised: errors, items still 待评, objections unanswered, already finalised."""
    from qsgen.core.errors import Diagnostics

    root = Path(root)
    diags = Diagnostics()
    status = read_status(root, year, diags)
    rel = mf.manifest_path(year)
    status_rel = f"records/{year}/status.yaml"
    if status is None or status.state != FINAL:
        raise QsgenError(f"{year} 年度还不能定稿", diags.sorted() or [Diagnostic(
            status_rel, 1, 1, f"{status_rel} 没有写明定稿",
            "先在 status.yaml 写 state: 定稿 和 final: {date: 定稿日期, decision: 定稿决定文号}，再运行 qsgen finalize")])
    if (root / rel).exists():
        raise QsgenError(f"{year} 年度已经定稿过", [Diagnostic(
            rel, 1, 1, "定稿清单已经存在，不能重新定稿",
            "定稿后的改动要提交更正记录（correction），见 docs/guide/office.md")])
    results = _score_year(root, year)  # raises with every error (unanswered objections included)
    pending = [us.unit.name for us in results.units if us.provisional]
    if pending:
        raise QsgenError(f"{year} 年度还不能定稿", [Diagnostic(
            status_rel, 1, 1, f"还有 {len(pending)} 个单位有待评的任务项：" + "、".join(pending[:5]),
            "考核办评完全部任务项（各单位的 assessment.yaml）后再定稿")])
    f = status.final
    data = mf.render(year, {"date": f.date.isoformat(), "decision": f.decision},
                     mf.input_files(root, year), results)
    (root / rel).write_bytes(data)
    if key is not None:
        why = mf.sign(root, year, key)
        if why:
            (root / rel).unlink()
            raise QsgenError(why)
    return rel, hashlib.sha256(data).hexdigest()


@dataclass
class Verification:
    """What checking a final year against its manifest found: the files explained and not."""

    digest: str = ""
    files: int = 0
    explained: list[tuple[str, str]] = field(default_factory=list)  # (path, what)
    unexplained: list[tuple[str, str, int]] = field(default_factory=list)  # (path, what, line)
    scores_same: bool = True
    signature: str = ""
    signer: str = ""

    @property
    def ok(self) -> bool:
        return not self.unexplained and self.signature != "invalid" and (self.scores_same or bool(self.explained))


def verify(root: Path, year: int) -> Verification:
    """Every input of the final year against its manifest, the scores against the manifest's,
    and the manifest's signature (ssh-keygen -Y verify with rules/allowed_signers)."""
    from qsgen.records import load_records
    from qsgen.rules import load_rules

    root = Path(root)
    manifest, why = mf.read_manifest(root, year)
    if manifest is None:
        raise QsgenError(why or f"{year} 年度没有定稿清单（{mf.manifest_path(year)}）",
                         [Diagnostic(mf.manifest_path(year), 1, 1, why or "没有定稿清单",
                                     f"定稿时由考核办运行 qsgen finalize {year} 生成")])
    out = Verification(digest=manifest.digest, files=len(manifest.files))
    explained: set[str] = set()
    corrections: set[str] = set()
    rules, _ = load_rules(root, year)
    if rules is not None:
        records, _ = load_records(root, rules)
        for r in records.records:
            if r.kind == "correction":
                explained |= set(r.fields.get("files", ()))
                corrections.add(r.path)
    what = {"changed": "内容被改动", "added": "新加的文件", "removed": "被删除"}
    files = mf.input_files(root, year)
    for d in mf.differences(manifest, files):
        if d.path in explained or d.path in corrections:
            out.explained.append((d.path, what[d.what] + ("（更正记录）" if d.path in corrections else "")))
        else:
            out.unexplained.append((d.path, what[d.what], mf.changed_line(root, d, files)))
    try:
        results = _score_year(root, year)
        out.scores_same = mf.scores_digest(mf.score_table(results)) == (manifest.data.get("scores") or {}).get("sha256")
    except QsgenError:
        out.scores_same = False
    out.signature, out.signer = mf.check_signature(root, year)
    return out
