"""The final manifest of a year: SHA-256 of every input (rules/<year>/, records/<year>/) and of the scores; comparing, signing and verifying it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from qsgen.core.model import Results
from qsgen.core.stages import SIGNATURE_FILE, SIGNATURE_NAMESPACE, manifest_path
from qsgen.repo.files import ATTACHMENT_LIMIT, Refused, read_file

FORMAT = 1
SIGNERS_PATH = "rules/allowed_signers"


def signature_path(year: int) -> str:
    return f"records/{year}/{SIGNATURE_FILE}"


def git_blob_id(data: bytes) -> str:
    """The id git gives a file of these bytes (to find the finalised text again)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def input_files(root: Path, year: int) -> dict[str, bytes]:
    """Every input file of the year by repository path: rules/<year>/** and records/<year>/**
    (attachments included), except the manifest and its signature; hidden files and links are
    not inputs (the records stage refuses links)."""
    skip = {manifest_path(year), signature_path(year)}
    out: dict[str, bytes] = {}
    for top in (f"rules/{year}", f"records/{year}"):
        base = Path(root) / top
        if not base.is_dir() or base.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                                 and not os.path.islink(os.path.join(dirpath, d)))
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                if name.startswith(".") or os.path.islink(full):
                    continue
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                if rel in skip:
                    continue
                try:  # (never a FIFO or a device: the reason stands for such a file)
                    out[rel] = read_file(full, ATTACHMENT_LIMIT, within=root)
                except Refused as e:
                    out[rel] = ("\0refused " + e.reason).encode("utf-8")
    return dict(sorted(out.items()))


def file_table(files: dict[str, bytes]) -> dict[str, dict[str, str]]:
    return {p: {"sha256": hashlib.sha256(b).hexdigest(), "git": git_blob_id(b)} for p, b in files.items()}


def score_table(results: Results) -> list[dict[str, Any]]:
    """Each unit's exact total and ranks, in the order of the rules' units."""
    order = {u.slug: i for i, u in enumerate(results.rules.units)}
    rows = sorted(results.units, key=lambda us: order.get(us.unit.slug, 0))
    return [{"unit": us.unit.slug, "name": us.unit.name, "total": _fraction(us.total),
             "rank": us.rank, "group_rank": us.group_rank} for us in rows]


def _fraction(f: Fraction) -> str:
    return f"{f.numerator}/{f.denominator}" if f.denominator != 1 else str(f.numerator)


def scores_digest(table: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(table, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def render(year: int, final: dict[str, str], files: dict[str, bytes], results: Results) -> bytes:
    """The manifest's bytes (deterministic: sorted keys, no clock)."""
    table = score_table(results)
    data = {"format": FORMAT, "year": year, "final": final,
            "files": file_table(files),
            "scores": {"sha256": scores_digest(table), "units": table}}
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


@dataclass
class Manifest:
    """A final year's manifest: its data and the digest of its file."""

    data: dict[str, Any]
    digest: str  # SHA-256 of the manifest file

    @property
    def files(self) -> dict[str, dict[str, str]]:
        return self.data.get("files") or {}

    def before(self) -> dict[str, tuple[Fraction, int]]:
        """Each unit's finalised total and rank."""
        out = {}
        for row in (self.data.get("scores") or {}).get("units") or []:
            try:
                out[row["unit"]] = (Fraction(row["total"]), int(row["rank"]))
            except (KeyError, ValueError, TypeError, ZeroDivisionError):
                continue
        return out


def read_manifest(root: Path, year: int) -> tuple[Manifest | None, str]:
    """The year's manifest, or (None, why) — why is "" when there is none."""
    full = Path(root) / manifest_path(year)
    if not full.is_file():
        return None, ""
    try:
        raw = read_file(full, within=root)
    except Refused as e:
        return None, f"定稿清单{e.reason}"
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
            raise ValueError("files")
    except (ValueError, UnicodeDecodeError):
        return None, "定稿清单不是 qsgen finalize 写出的格式，可能被改动过"
    return Manifest(data, hashlib.sha256(raw).hexdigest()), ""


@dataclass(frozen=True)
class Difference:
    """A file that differs from the manifest."""

    path: str
    what: str  # "changed" | "added" | "removed"
    old_git: str = ""  # the finalised file's git blob id


def differences(manifest: Manifest, files: dict[str, bytes]) -> list[Difference]:
    out = []
    now = file_table(files)
    for path, row in manifest.files.items():
        if path not in now:
            out.append(Difference(path, "removed", row.get("git", "")))
        elif now[path]["sha256"] != row.get("sha256"):
            out.append(Difference(path, "changed", row.get("git", "")))
    out += [Difference(path, "added") for path in now if path not in manifest.files]
    return sorted(out, key=lambda d: d.path)


def changed_line(root: Path, d: Difference, files: dict[str, bytes]) -> int:
    """The line to point at for a difference: the first changed line of a changed file (its
    finalised text read back from git by its blob id, when the repository has it), else 1."""
    if d.what != "changed":
        return 1
    from qsgen.repo.commits import read_blob

    return first_changed_line(read_blob(Path(root), d.old_git), files[d.path])


def first_changed_line(old: bytes | None, new: bytes) -> int:
    """1-based line of the first difference between the finalised text and now (1 unknown)."""
    if old is None:
        return 1
    a, b = old.splitlines(), new.splitlines()
    for i, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        if x != y:
            return i
    return min(len(a), len(b)) + 1


# ---------------------------------------------------------------- signature


def sign(root: Path, year: int, key: Path) -> str:
    """Sign the manifest with the SSH private key ``key`` (ssh-keygen -Y sign); the signature
    goes beside it. Returns "" or what went wrong (Chinese)."""
    if shutil.which("ssh-keygen") is None:
        return "找不到 ssh-keygen，无法签名（安装 OpenSSH 客户端）"
    full = Path(root) / manifest_path(year)
    sig = Path(root) / signature_path(year)
    sig.unlink(missing_ok=True)
    proc = subprocess.run(["ssh-keygen", "-Y", "sign", "-f", os.fspath(key), "-n", SIGNATURE_NAMESPACE,
                           os.fspath(full)], capture_output=True, check=False)
    made = Path(os.fspath(full) + ".sig")
    if proc.returncode != 0 or not made.is_file():
        return "签名失败：" + proc.stderr.decode("utf-8", "replace").strip()
    if made != sig:
        made.replace(sig)
    return ""


def check_signature(root: Path, year: int) -> tuple[str, str]:
    """(state, signer): "verified" with the signer's id from rules/allowed_signers, "invalid",
    "unsigned" (no signature), or "unverifiable" (no allowed_signers file or no ssh-keygen)."""
    sig = Path(root) / signature_path(year)
    signers = Path(root) / SIGNERS_PATH
    # Each file read confined (repo.files.read_file) before ssh-keygen is given its resolved
    # path: a signature or signers file linked out of the repository, a FIFO or a device is
    # never handed on.
    try:
        read_file(sig, within=root)
    except Refused as e:
        return ("unsigned", "") if e.kind == "missing" else ("invalid", "")
    try:
        read_file(signers, within=root)
    except Refused:
        return "unverifiable", ""
    if shutil.which("ssh-keygen") is None:
        return "unverifiable", ""
    try:
        data = read_file(Path(root) / manifest_path(year), within=root)
    except Refused:
        return "invalid", ""
    sig, signers = Path(os.path.realpath(sig)), Path(os.path.realpath(signers))
    found = subprocess.run(["ssh-keygen", "-Y", "find-principals", "-s", os.fspath(sig), "-f", os.fspath(signers)],
                           capture_output=True, check=False)
    principals = found.stdout.decode("utf-8", "replace").split()
    if found.returncode != 0 or not principals:
        return "invalid", ""
    who = principals[0]
    proc = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", os.fspath(signers), "-I", who,
                           "-n", SIGNATURE_NAMESPACE, "-s", os.fspath(sig)], input=data,
                          capture_output=True, check=False)
    return ("verified", who) if proc.returncode == 0 else ("invalid", "")
