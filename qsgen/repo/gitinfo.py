"""Git provenance: the last commit of every file from one `git log` pass, and the build's date."""

from __future__ import annotations

import datetime as _dt
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qsgen.core import lazyre
from qsgen.core.errors import QsgenError


@dataclass(frozen=True, slots=True)
class Commit:
    """A file's last commit. Slotted and pickled as a tuple: one is kept per record file and
    sent to the render workers (pickling through a __dict__ would create one for good)."""

    sha: str  # full hash
    short: str  # abbreviated hash as git prints it (%h)
    author: str  # author name
    date: str  # author date, strict ISO 8601 with the author's offset, e.g. 2023-06-02T10:00:00+08:00
    subject: str  # first line of the message

    def __reduce__(self):
        return (Commit, (self.sha, self.short, self.author, self.date, self.subject))


_FORMAT = "%x1e%H%x1f%h%x1f%an%x1f%aI%x1f%s"
_HEADER = lazyre.compile(r"\n?\x1e([0-9a-f]{40,64})\x1f")
# Neutralise user configuration that would change what `git log` prints.
_CONFIG = ["-c", "core.quotepath=off", "-c", "log.showSignature=false",
           "-c", "i18n.logOutputEncoding=UTF-8", "-c", "diff.relative=false", "-c", "color.ui=never"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_OPTIONAL_LOCKS"] = "0"  # read-only: never take the index lock
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    env["LC_ALL"] = "C"
    return env


def _tops(paths: Iterable[str]) -> tuple[set[str], list[str] | None]:
    """The paths as git names them, and their top-level folders (None when too many to name)."""
    wanted = {p.replace("\\", "/").removeprefix("./") for p in paths}
    tops = sorted({p.split("/", 1)[0] for p in wanted})
    return wanted, tops if len(tops) <= 50 else None


def file_history(root: Path, paths: Iterable[str] | None = None, tops: Iterable[str] | None = None
                 ) -> dict[str, Commit]:
    """{path relative to root (POSIX): the last commit that changed it}, from one `git log` pass.

    With ``paths``, only those paths are looked for and the pass stops as soon as all are found.
    With ``tops`` instead, every path under those top-level folders.
    Returns {} when ``root`` is not in a git work tree, has no commits, or git is missing.
    Deleted files that still appear in the history are included; untracked files are not.
    """
    wanted: set[str] | None = None
    pathspec: list[str] = ["--"]
    if tops is not None:
        pathspec = ["--", *(f":(literal){t}" for t in sorted(tops))]
    elif paths is not None:
        wanted, named = _tops(paths)
        if not wanted:
            return {}
        # A few top-level folders as pathspecs (never one per file: no argv limits, one pass).
        if named is not None:
            pathspec = ["--", *(f":(literal){t}" for t in named)]
    cmd = ["git", *_CONFIG, "log", f"--format={_FORMAT}", "--name-only", "-z", "--no-renames",
           "--relative", "HEAD", *pathspec]
    try:
        proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, env=_env())
    except OSError:  # git missing, root missing
        return {}
    result: dict[str, Commit] = {}
    current: Commit | None = None
    first_name = False
    rest = b""
    done = False
    assert proc.stdout is not None
    try:
        while not done:
            chunk = proc.stdout.read(1 << 16)
            if not chunk:
                break
            tokens = (rest + chunk).split(b"\0")
            rest = tokens.pop()
            for raw in tokens:
                token = raw.decode("utf-8", "surrogateescape")
                m = _HEADER.match(token)
                if m:
                    current = _commit(token[m.start(1):])
                    first_name = True
                    continue
                if first_name and token.startswith("\n"):
                    token = token[1:]
                first_name = False
                if current is None or not token or token in result:
                    continue
                if wanted is not None and token not in wanted:
                    continue
                result[token] = current
                if wanted is not None and len(result) == len(wanted):
                    done = True
                    break
    finally:
        if done:
            proc.kill()
        proc.stdout.close()
        code = proc.wait()
    if not done and code != 0:
        return {}
    return result


class HistoryPass:
    """file_history of every path under the top-level folders ``tops``, started now (or by
    ``start()`` with ``now=False``): `git log` runs (and a thread of this process reads it)
    while the build reads the records, instead of after them. ``history(paths)`` gives what
    file_history(root, paths) gives."""

    def __init__(self, root: Path, tops: Iterable[str], now: bool = True) -> None:
        import threading

        self.root, self.tops = root, frozenset(tops)
        self.found: dict[str, Commit] = {}
        self.thread = threading.Thread(target=self._run, daemon=True)
        if now:
            self.thread.start()

    def start(self) -> None:
        """Start the pass (once; history() starts one not started)."""
        if self.thread.ident is None:
            self.thread.start()

    def _run(self) -> None:
        self.found = file_history(self.root, tops=self.tops)

    def history(self, paths: Iterable[str]) -> dict[str, Commit]:
        wanted, named = _tops(paths)
        if not wanted:
            return {}
        if named is None or not self.tops.issuperset(named):  # (not what this pass looked at)
            return file_history(self.root, wanted)
        self.start()
        self.thread.join()
        return {p: c for p, c in self.found.items() if p in wanted}


def _commit(header: str) -> Commit:
    sha, short, author, date, subject = (header.split("\x1f", 4) + ["", "", "", ""])[:5]
    return Commit(sha=sha, short=short, author=author, date=date, subject=subject)


_HEAD = ("log", "-1", "--format=%H %ct", "HEAD")


def _tracks(path: str) -> tuple[str, ...]:
    return ("ls-files", "-z", "--", path)


# git commands started ahead (start_ahead), by (root, arguments): their answers are taken by
# the first head_commit or tracks that asks for them.
_STARTED: dict[tuple[str, tuple[str, ...]], subprocess.Popen] = {}
# answers start_ahead read from the repository's files instead (gitdirect), taken the same way
_KNOWN: dict[tuple[str, tuple[str, ...]], tuple[int, bytes]] = {}
DIRECT = True  # HEAD and "not tracked" read from .git when certain (gitdirect), not asked of git


def _direct(root: Path, args: tuple[str, ...]) -> tuple[int, bytes] | None:
    """What git would answer to ``args`` in ``root``, read from the repository's files where
    they make it certain (gitdirect: ~0.1-0.5 ms, where starting git is ~1 ms of this process
    and ~2-4 ms of CPU, more of wall on a busy machine); None otherwise."""
    if not DIRECT:
        return None
    from qsgen.repo import gitdirect

    if args == _HEAD:
        return gitdirect.head(root)
    if args[:3] == ("ls-files", "-z", "--") and len(args) == 4 and gitdirect.untracked(root, args[3]):
        return 0, b""
    return None


def start_ahead(root: Path, tracked: str | None = None) -> None:
    """Start now, without waiting for them, the git commands of head_commit(root) (and of
    tracks(root, ``tracked``)), so that git runs while this process goes on (a build's first
    git calls: `git ls-files` reads the whole index, ~5-10 ms at 10,000 files); the first call
    of each takes its answer. Those whose answers the repository's files make certain are read
    now instead (_direct), and no git is started for them. end_ahead() ends those no call asked for."""
    for args in (_HEAD, *(() if tracked is None else (_tracks(tracked),))):
        key = (os.fspath(root), args)
        if key in _STARTED or key in _KNOWN:
            continue
        known = _direct(root, args)
        if known is not None:
            _KNOWN[key] = known
            continue
        try:
            _STARTED[key] = subprocess.Popen(["git", *_CONFIG, *args], cwd=root, stdin=subprocess.DEVNULL,
                                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env())
        except OSError:
            return


def end_ahead() -> None:
    """End the git commands start_ahead started that nobody asked for (and forget what it read)."""
    _KNOWN.clear()
    while _STARTED:
        _key, proc = _STARTED.popitem()
        proc.kill()
        proc.communicate()


def _git(root: Path, args: tuple[str, ...]) -> tuple[int, bytes] | None:
    """(exit status, output) of ``git args`` in ``root`` (as started ahead or read then, if it
    was; else read from the repository's files where certain); None when git cannot be run."""
    key = (os.fspath(root), args)
    known = _KNOWN.pop(key, None)
    if known is not None:
        return known
    proc = _STARTED.pop(key, None)
    if proc is not None:
        out, _err = proc.communicate()
        return proc.returncode, out
    known = _direct(root, args)
    if known is not None:
        return known
    try:
        done = subprocess.run(["git", *_CONFIG, *args], cwd=root, capture_output=True, stdin=subprocess.DEVNULL,
                              env=_env(), check=False)
    except OSError:
        return None
    return done.returncode, done.stdout


def head_commit(root: Path) -> tuple[str, _dt.datetime] | None:
    """The commit HEAD names and its committer date (UTC), from one git call; None when there
    is no git or no commit."""
    got = _git(root, _HEAD)
    if got is None:
        return None
    sha, _, when = got[1].decode("ascii", "replace").strip().partition(" ")
    if got[0] != 0 or not sha or not when.isdigit():
        return None
    return sha, _dt.datetime.fromtimestamp(int(when), tz=_dt.UTC)


def tracks(root: Path, path: str) -> bool:
    """Whether git tracks any file at or under ``path`` (repository-relative) in ``root``;
    False when there is no git or no repository."""
    got = _git(root, _tracks(path))
    return got is not None and got[0] == 0 and bool(got[1].strip(b"\0"))


def source_date(root: Path, head: tuple[str, _dt.datetime] | None | bool = False) -> _dt.datetime | None:
    """The build's date (UTC): SOURCE_DATE_EPOCH if set, else the last commit's committer date
    (``head``: head_commit(root) when the caller has it).

    None when neither is available. Pages show this instead of the wall clock, so two builds of
    the same inputs are byte-identical.
    """
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value:
        if not value.isdigit():
            raise QsgenError(f"环境变量 SOURCE_DATE_EPOCH 须是非负整数（Unix 时间戳，秒），现为：{value}")
        try:
            return _dt.datetime.fromtimestamp(int(value), tz=_dt.UTC)
        except (OverflowError, OSError, ValueError) as e:
            raise QsgenError(f"环境变量 SOURCE_DATE_EPOCH 超出范围：{value}") from e
    if head is False:
        head = head_commit(root)
    return None if not head else head[1]
