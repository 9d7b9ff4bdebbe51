"""The commit graph with each commit's changed files and trailers, blobs, and SSH signatures
verified by git and ssh-keygen: the git side of approvals, a fixed number of processes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qsgen.repo.gitinfo import _CONFIG, _env

APPROVAL_TRAILER = "Approved-by"
# One header per commit: sha, parents, author name and e-mail, committer e-mail, committer
# date (strict ISO 8601 with the committer's offset), approval trailers (folded, one line).
_FORMAT = ("%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%ce%x1f%cI%x1f"
           f"%(trailers:key={APPROVAL_TRAILER},unfold,separator=%x1d)")
SSH_ARMOR = b"-----BEGIN SSH SIGNATURE-----"


@dataclass(frozen=True, slots=True)
class Node:
    """One commit of the history: what approvals need of it."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    committer_email: str
    date: str  # committer date, e.g. 2023-06-02T10:00:00+08:00 (what a signer signs with)
    approval: bool  # the message ends with an Approved-by: trailer
    files: tuple[str, ...]  # paths changed against the first parent (all, for a root commit)


@dataclass(frozen=True, slots=True)
class Verdict:
    """git's verdict on a commit's SSH signature (%G?): G good, B bad, U good but the key is
    not in the signers file, E cannot be checked, N none; the principal (%GS) and key
    fingerprint (%GF) when known."""

    code: str
    principal: str = ""
    fingerprint: str = ""

    def __reduce__(self):
        return (Verdict, (self.code, self.principal, self.fingerprint))


def _run(root: Path, args: list[str], stdin: bytes | None = None, config: list[str] | None = None
         ) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(["git", *_CONFIG, *(config or []), *args], cwd=root, input=stdin,
                              capture_output=True, env=_env(), check=False)
    except OSError:  # no git, no folder
        return None


def rev_parse(root: Path, rev: str) -> str | None:
    """The commit ``rev`` names, None when it names none."""
    proc = _run(root, ["rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"])
    if proc is None or proc.returncode != 0:
        return None
    return proc.stdout.decode("ascii", "replace").strip() or None


def merge_base(root: Path, a: str, b: str = "HEAD") -> str | None:
    """The best common ancestor of ``a`` and ``b`` (`git merge-base`), None when there is none
    (unrelated histories, or a shallow clone that does not reach it)."""
    proc = _run(root, ["merge-base", "--end-of-options", a, b])
    if proc is None or proc.returncode != 0:
        return None
    return proc.stdout.decode("ascii", "replace").strip() or None


def changed_files(root: Path, a: str, b: str) -> list[str]:
    """Paths that differ between commits ``a`` and ``b`` (added, modified or deleted)."""
    proc = _run(root, ["diff", "--name-only", "-z", "--no-renames", "--end-of-options", a, b, "--"])
    if proc is None or proc.returncode != 0:
        return []
    return [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def read_graph(root: Path, rev: str = "HEAD") -> list[Node] | None:
    """Every commit reachable from ``rev``, newest first (a child before its parents), with the
    files each changed against its first parent, from one `git log` pass. None when there is
    no git, no repository or no such commit."""
    proc = _run(root, ["log", f"--format={_FORMAT}", "--name-only", "-z", "--no-renames",
                       "--diff-merges=first-parent", "--end-of-options", rev, "--"])
    if proc is None or proc.returncode != 0:
        return None
    out: list[Node] = []
    header: list[str] | None = None
    files: list[str] = []

    def flush() -> None:
        if header is not None:
            sha, parents, an, ae, ce, date, trailers = (header + [""] * 7)[:7]
            out.append(Node(sha, tuple(parents.split()), an, ae.lower(), ce.lower(), date,
                            bool(trailers.strip()), tuple(files)))

    for token in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if token.startswith("\x1e"):
            flush()
            header, files = token[1:].split("\x1f"), []
        elif token:
            files.append(token.removeprefix("\n"))
    flush()
    return out


def tree_blobs(root: Path, rev: str, prefixes: Iterable[str]) -> dict[str, str]:
    """{path: blob id} of the files under ``prefixes`` in commit ``rev`` (one `git ls-tree`)."""
    proc = _run(root, ["ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev, "--", *prefixes])
    if proc is None or proc.returncode != 0:
        return {}
    out: dict[str, str] = {}
    for entry in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, path = entry.partition("\t")
        fields = meta.split()
        if len(fields) == 3 and fields[1] == "blob":
            out[path] = fields[2]
    return out


def blobs_at(root: Path, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
    """{(commit, path): blob id, None when the commit has no such file}, from one
    `git cat-file --batch-check` (paths holding a newline are not asked for: None)."""
    pairs = list(dict.fromkeys(pairs))
    asked = [p for p in pairs if "\n" not in p[1]]
    out: dict[tuple[str, str], str | None] = dict.fromkeys(pairs)
    if not asked:
        return out
    stdin = "".join(f"{sha}:{path}\n" for sha, path in asked).encode("utf-8", "surrogateescape")
    proc = _run(root, ["cat-file", "--buffer", "--batch-check=%(objectname) %(objecttype)"], stdin)
    if proc is None or proc.returncode != 0:
        return out
    lines = proc.stdout.decode("utf-8", "surrogateescape").split("\n")
    for pair, line in zip(asked, lines, strict=False):
        oid, _, kind = line.partition(" ")
        out[pair] = oid if kind == "blob" else None
    return out


def signature_kinds(root: Path, shas: Iterable[str]) -> dict[str, str]:
    """{commit: "ssh" | "other" | ""}: the kind of signature each commit carries ("other": an
    OpenPGP or X.509 one, as a forge's web merge has), read from the raw objects by one
    `git cat-file --batch`; nothing is verified here."""
    shas = list(dict.fromkeys(shas))
    out = dict.fromkeys(shas, "")
    if not shas:
        return out
    proc = _run(root, ["cat-file", "--buffer", "--batch"], "".join(s + "\n" for s in shas).encode("ascii"))
    if proc is None or proc.returncode != 0:
        return out
    data, pos = proc.stdout, 0
    for sha in shas:
        end = data.find(b"\n", pos)
        if end < 0:
            break
        fields = data[pos:end].split()
        pos = end + 1
        if len(fields) != 3 or fields[1] != b"commit":
            continue
        size = int(fields[2])
        body = data[pos:pos + size]
        pos += size + 1
        headers = body.split(b"\n\n", 1)[0]
        for line in headers.split(b"\n"):
            if line.startswith((b"gpgsig ", b"gpgsig-sha256 ")):
                out[sha] = "ssh" if line.split(b" ", 1)[1].startswith(SSH_ARMOR) else "other"
                break
    return out


def verify_ssh(root: Path, shas: Iterable[str], signers_file: Path, jobs: int = 2) -> dict[str, Verdict]:
    """git's verdict on the SSH signature of each commit, checked against ``signers_file`` (an
    OpenSSH allowed_signers file) by ssh-keygen, offline. One `git log --no-walk --stdin` per
    job, ``jobs`` at once (git runs ssh-keygen for each signature: that is the cost)."""
    shas = list(dict.fromkeys(shas))
    if not shas:
        return {}
    config = ["-c", f"gpg.ssh.allowedSignersFile={Path(signers_file).resolve()}",
              "-c", "gpg.ssh.revocationFile=", "-c", "gpg.minTrustLevel=undefined"]
    cmd = ["git", *_CONFIG, *config, "log", "--no-walk=unsorted", "--stdin",
           "--format=%H%x1f%G?%x1f%GS%x1f%GF"]
    jobs = max(1, min(jobs, len(shas) // 8 or 1))
    chunks = [shas[i::jobs] for i in range(jobs)]
    procs = []
    try:
        for chunk in chunks:
            procs.append((subprocess.Popen(cmd, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=subprocess.DEVNULL, env=_env()), chunk))
    except OSError:
        for proc, _ in procs:
            proc.kill()
            proc.wait()
        return {}
    import threading

    outputs: list[bytes] = [b""] * len(procs)

    def talk(i: int) -> None:
        proc, chunk = procs[i]
        outputs[i] = proc.communicate("".join(s + "\n" for s in chunk).encode("ascii"))[0]

    threads = [threading.Thread(target=talk, args=(i,)) for i in range(len(procs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result: dict[str, Verdict] = {}
    for out in outputs:
        for line in out.decode("utf-8", "replace").splitlines():
            sha, code, principal, fingerprint = (line.split("\x1f") + ["", "", ""])[:4]
            if sha:
                result[sha] = Verdict(code or "E", principal, fingerprint)
    return result


def read_blob(root: Path, oid: str) -> bytes | None:
    """The content of the blob ``oid`` in the repository's object store, None when absent."""
    if not oid or not all(c in "0123456789abcdef" for c in oid):
        return None
    proc = _run(root, ["cat-file", "blob", oid])
    return proc.stdout if proc is not None and proc.returncode == 0 else None


def last_commit_of(root: Path, path: str) -> str | None:
    """The last commit of HEAD's history that touched ``path`` (its deletion included), None
    when none did or this is not a git repository."""
    proc = _run(root, ["log", "-1", "--format=%H", "--", path])
    if proc is None or proc.returncode != 0:
        return None
    return proc.stdout.decode("ascii", "replace").strip() or None
