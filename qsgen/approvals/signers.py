"""rules/allowed_signers, generated from rules/owners.yaml: the keys git and ssh-keygen verify with."""

from __future__ import annotations

import hashlib
from pathlib import Path

from qsgen.approvals.owners import OwnersConfig
from qsgen.approvals.responsible import SIGNERS_PATH
from qsgen.core.errors import Diagnostic
from qsgen.repo.files import Refused, read_file

HEADER = """\
# 本文件由 `qsgen codeowners` 根据 rules/owners.yaml 的 approvers: 自动生成，请不要手工修改。
# 格式见 ssh-keygen(1) 的 ALLOWED SIGNERS：每行“审核人代号 namespaces="git" 公钥”。
# 自己核对审核签名：git -c gpg.ssh.allowedSignersFile=rules/allowed_signers log --show-signature
"""


def render(cfg: OwnersConfig, departments: dict[str, str]) -> str:
    """The allowed_signers text: one line per person and key, in the order of owners.yaml;
    ``departments`` (id -> name) for the comment above each person. Deterministic."""
    out = [HEADER]
    for person in cfg.people.values():
        if not person.keys:
            continue
        depts: list[str] = []
        for m in person.memberships:
            name = departments.get(m.department, m.department)
            if name not in depts:
                depts.append(name)
        out.append(f"\n# {'、'.join(depts)}：{person.name}\n")
        for key in person.keys:
            out.append(f'{person.id} namespaces="git" {key.text}\n')
    return "".join(out)


def digest(text: str) -> str:
    """What verification results are cached under: the signers file's content."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_committed(root: str | Path) -> str | None:
    """The committed rules/allowed_signers (newlines normalised), None when there is none."""
    path = Path(root) / SIGNERS_PATH
    try:
        return read_file(path, within=root).decode("utf-8-sig").replace("\r\n", "\n")
    except (Refused, UnicodeDecodeError):
        return None


def first_difference(old: str, new: str) -> int:
    """1-based line number of the first differing line."""
    a, b = old.splitlines(), new.splitlines()
    for i, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        if x != y:
            return i
    return min(len(a), len(b)) + 1


def stale_warning(root: str | Path, text: str | None) -> Diagnostic | None:
    """A warning when the committed rules/allowed_signers differs from ``text`` (what
    owners.yaml generates now, None: no approvers configured, so no file is expected)."""
    current = read_committed(root)
    if text is None or current == text:
        return None
    if current is None:
        return Diagnostic(SIGNERS_PATH, 1, 1, "还没有生成审核人公钥文件 rules/allowed_signers",
                          "运行 qsgen codeowners，再提交生成的 rules/allowed_signers", "warning")
    return Diagnostic(SIGNERS_PATH, first_difference(current, text), 1,
                      "rules/allowed_signers 已过期：与 rules/owners.yaml 的 approvers: 不一致",
                      "运行 qsgen codeowners 重新生成，再提交", "warning")
