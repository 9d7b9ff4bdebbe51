"""What the site needs besides the scores, gathered from the repository: git provenance, attachments, date, templates."""

from __future__ import annotations

import datetime as _dt
import operator
import os
import stat
from collections.abc import Iterator, Mapping
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qsgen.core.errors import Diagnostic, QsgenError
from qsgen.core.model import RecordSet, Results
from qsgen.repo import gitinfo
from qsgen.repo.files import ATTACHMENT_LIMIT, Refused, read_file, resolve_status

if TYPE_CHECKING:  # (the site and the cache are loaded when a site's inputs are gathered, not
    # for `qsgen check`, which asks this module only for the build's date)
    from qsgen.site import SiteInputs

EXAMPLE_MARKER = "EXAMPLE"  # records/<year>/EXAMPLE present: the records are example data


def is_example(root: Path, year: int) -> bool:
    """The example-data marker file records/<year>/EXAMPLE exists."""
    return (root / "records" / str(year) / EXAMPLE_MARKER).is_file()


class Attachments(Mapping[str, bytes]):
    """Attachment files by repository path; each file's bytes are read when asked for, so an
    incremental build leaves the unchanged ones in the site without reading them."""

    def __init__(self, files: dict[str, str], statuses: dict[str, tuple[int, int, int, int]] | None = None) -> None:
        self.files = files  # repository path -> file system path
        # repository path -> its file's status (see status) as read_attachments found it
        self.statuses = statuses if statuses is not None else {}

    def __getitem__(self, rel: str) -> bytes:
        try:  # (resolved and checked by the records stage: a regular file inside records/)
            return read_file(self.files[rel], ATTACHMENT_LIMIT)
        except Refused as e:
            raise QsgenError("附件读取失败，未生成网站", [Diagnostic(rel, 1, 1, f"附件{e.reason}")]) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def __contains__(self, rel: object) -> bool:
        return rel in self.files

    def status(self, rel: str) -> tuple[int, int, int, int] | None:
        """(size, mtime, inode, ctime) of the file (as read_attachments found it: its bytes
        are read, when they are, after), None when it cannot be read."""
        found = self.statuses.get(rel)
        if found is not None:
            return found
        try:
            st = os.stat(self.files[rel])
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def read_attachments(root: Path, records: RecordSet) -> Attachments:
    """The attachments the records list; only files inside records/ (validated by the records stage)."""
    files: dict[str, str] = {}
    statuses: dict[str, tuple[int, int, int, int]] = {}
    dirs: dict[str, str] = {}
    base = os.path.realpath(os.path.join(root, "records")) + os.sep
    # (each distinct one in the order the records list them: gathered by C-level maps, not a
    # loop over ~10,000 records that mostly list none)
    for rel in dict.fromkeys(chain.from_iterable(map(_ATTACHMENTS, records.records))):
        folder = rel.rpartition("/")[0]
        if folder not in dirs:
            _real_folder(root, folder, dirs)
        try:
            full, st = resolve_status(root, rel, dirs)
        except (OSError, ValueError):
            continue  # the records stage reports missing or escaping attachments
        if full.startswith(base) and stat.S_ISREG(st.st_mode):
            files[rel] = full
            statuses[rel] = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    return Attachments(files, statuses)


def _real_folder(root: Path, folder: str, dirs: dict[str, str]) -> None:
    """Put os.path.realpath of the repository folder ``folder`` (and of the folders above it)
    into ``dirs`` as resolve_file keeps them, each from its parent's: a folder that is not a
    symbolic link is its resolved parent's real path joined with its name (realpath of each
    folder from the file system's root lstats every folder above it again: ~10 calls each)."""
    parent, _, name = folder.rpartition("/")
    if not name or name in (".", "..") or not parent:
        dirs[folder] = os.path.realpath(os.path.join(root, *folder.split("/")))
        return
    if parent not in dirs:
        _real_folder(root, parent, dirs)
    real = os.path.join(dirs[parent], name)
    try:
        link = stat.S_ISLNK(os.lstat(real).st_mode)
    except OSError:
        link = True  # (as realpath says: it leaves what is missing as it is)
    dirs[folder] = os.path.realpath(real) if link else real


def example_date(root: Path, year: int) -> _dt.date | None:
    """The date a year's example data is a snapshot of: a line ``as_of: YYYY-MM-DD`` in its
    records/<year>/EXAMPLE marker. The example's year in progress is shown as of that day
    whatever day the site is built on; real repositories have no marker."""
    try:
        text = read_file(Path(root) / "records" / str(year) / EXAMPLE_MARKER, within=root).decode("utf-8")
    except (Refused, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "as_of":
            try:
                return _dt.date.fromisoformat(value.strip())
            except ValueError:
                return None
    return None


def build_date(root: Path, head: tuple[str, _dt.datetime] | None | bool = False) -> _dt.datetime | None:
    """The build's date: SOURCE_DATE_EPOCH when set, else the last commit's (gitinfo.source_date).
    Pages show this instead of the wall clock, so two builds of the same inputs are byte-identical."""
    return gitinfo.source_date(root, head)


source_date = build_date


def history(root: Path, paths: list[str]) -> dict:
    """The last commit of each path (one `git log` pass)."""
    return gitinfo.file_history(root, paths)


_PATH = operator.attrgetter("path")
_ATTACHMENTS = operator.attrgetter("attachments")
OWNERS_FILE = "rules/owners.yaml"  # (approvals.owners.OWNERS_PATH)
SHOWN_FILE = "show-authors.pickle"  # in .qsgen-cache/: show_authors by owners.yaml's bytes


def show_authors(root: Path, use_cache: bool = False, later: list | None = None) -> bool:
    """Whether pages name the git author of a file's last change (rules/owners.yaml
    show_authors; true when the file or the setting is missing, or the file has errors:
    `qsgen check` reports those). ``use_cache``: the answer is kept in .qsgen-cache/ by the
    file's bytes and the code that reads it (an incremental build neither parses the file nor
    imports the approvals' code while it is the same); ``later`` as for site_inputs."""
    key = target = None
    if use_cache:
        import hashlib

        from qsgen.incremental.cache import CACHE_DIR, code_key, read_pickle

        try:
            data = read_file(Path(root) / OWNERS_FILE, within=root)
        except Refused:
            data = None  # (missing or refused: load_owners says so at once)
        if data is not None:
            key = code_key(("approvals/owners.py", "core/yamlsafe.py", "repo/files.py"),
                           hashlib.blake2b(data, digest_size=16).hexdigest())
            target = Path(root) / CACHE_DIR / SHOWN_FILE
            kept = read_pickle(target)
            if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == key and isinstance(kept[1], bool):
                return kept[1]
    from qsgen.approvals.owners import shows_authors

    shown = shows_authors(root)  # (parses the file only where a line names the setting)
    if key is not None and target is not None and isinstance(shown, bool):
        from qsgen.incremental.cache import write_pickle

        if later is not None:
            later.append(lambda: write_pickle(target, (key, shown)))
        else:
            write_pickle(target, (key, shown))
    return shown


def templates_of(root: Path) -> Path | None:
    """The repository's own site_templates/ when it has one (else qsgen's are used)."""
    return (root / "site_templates") if (root / "site_templates" / "base.html").is_file() else None


def pdf_engine(pdf: bool) -> Any:
    """With ``pdf`` the PDF engine (publish/pdf.py; QsgenError, saying how to install it,
    when it cannot be loaded), else None."""
    if not pdf:
        return None
    from qsgen.build.workers import default_jobs
    from qsgen.publish import pdf as pdf_engine

    return pdf_engine.engine(default_jobs())


def site_inputs(root: Path, results: Results, use_cache: bool = False, commit: Any = False,
                when: _dt.datetime | None | bool = False, pdf: Any = None, rules_digest: str | None = None,
                notes: list[Diagnostic] | None = None, early: gitinfo.HistoryPass | None = None,
                later: list | None = None) -> SiteInputs:
    """What a year's site needs besides the scores: git provenance, approvals, attachments,
    date, templates (``use_cache``: the provenance and the approvals are kept in .qsgen-cache/
    by HEAD and ``rules_digest``, the year's; ``commit``: HEAD and its date when the caller has
    them; ``when``: the build's date when the caller has it; ``pdf``: the PDF engine,
    pdf_engine()). Warnings of the approvals are added to ``notes``. ``early``: the git history
    pass the build started before reading the records. ``later``: the cache files to write
    are appended there as functions (the build runs them while the workers render) instead of
    written now."""
    from qsgen.incremental.history import cached_history
    from qsgen.site import SiteInputs

    # (the records come in path order: sorted as runs already in order, not as a set's
    # ~10,000 paths in hash order)
    paths = sorted(dict.fromkeys([*map(_PATH, results.records.records),
                                  *map(_PATH, results.records.assessments.values())]))
    if commit is False:
        commit = gitinfo.head_commit(root)  # one git call for both HEAD and the build date
    head = commit[0] if commit and use_cache else None
    found, policy = approvals(root, results, head, rules_digest if use_cache else None, notes, later, paths)
    read = history if early is None else (lambda root, paths: early.history(paths))
    return SiteInputs(
        history=(cached_history(root, paths, head, read, results.rules.year, later) if use_cache
                 else read(root, paths)),
        history_id=head,
        approvals=found,
        approval_rules=policy,
        attachments=read_attachments(root, results.records),
        source_date=build_date(root, commit) if when is False else when,
        example=is_example(root, results.rules.year),
        templates=templates_of(root),
        pdf=pdf,
        show_authors=show_authors(root, use_cache, later),
    )


def approvals(root: Path, results: Results, head: str | None = None, rules_digest: str | None = None,
              notes: list[Diagnostic] | None = None, later: list | None = None, paths: list[str] | None = None
              ) -> tuple[dict | None, tuple | None]:
    """The approvals the pages show and what the rules page says of them (build/approvals.py);
    (None, None) without approvers in rules/owners.yaml. With ``head`` and ``rules_digest`` the
    last build's are reused (.qsgen-cache/approvals.pickle). ``paths``: the sorted record and
    assessment files' paths, when the caller has them."""
    from qsgen.build import approvals as gather
    from qsgen.incremental import approvals as kept_approvals

    use_cache = head is not None and rules_digest is not None
    year = results.rules.year
    kept = kept_approvals.load(root, year) if use_cache else {}
    found, policy, warnings, keep = gather.gather(root, results, kept, head, rules_digest, paths)
    # (kept without approvers too: then the next build of the same HEAD and rules neither
    # reads rules/owners.yaml for them nor imports their code)
    if use_cache and keep != kept:
        if later is not None:
            later.append(lambda: kept_approvals.save(root, keep, year))
        else:
            kept_approvals.save(root, keep, year)
    if notes is not None:
        notes.extend(warnings)
    return found, policy
