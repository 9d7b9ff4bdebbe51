"""The lifecycle's states and the names of its files (DESIGN.md §6), apart from core/lifecycle.py's dataclasses: every build asks for these, only a year with a lifecycle for those."""

from __future__ import annotations

IN_PROGRESS, NOTICE, FINAL = "进行中", "公示", "定稿"
STATUS_FILE = "status.yaml"  # records/<year>/status.yaml, the assessment office's
MANIFEST_FILE = "manifest.json"  # records/<year>/manifest.json, written by `qsgen finalize`
SIGNATURE_FILE = "manifest.json.sig"  # its SSH signature (ssh-keygen -Y sign)
# The namespace of the manifest's SSH signature: rules/allowed_signers (approvals/signers.py)
# admits its keys for "git" only, and the approvers who sign commits are the ones who sign this.
SIGNATURE_NAMESPACE = "git"


def manifest_path(year: int) -> str:
    """records/<year>/manifest.json, from the repository root."""
    return f"records/{year}/{MANIFEST_FILE}"
