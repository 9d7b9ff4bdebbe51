"""Checks across record files: case numbers used twice, links from a body to records that do not exist."""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
from collections.abc import Iterable

from qsgen.core import lazyre
from qsgen.core.errors import Diagnostic
from qsgen.core.model import Record
from qsgen.records.fields import nearest_file, quote

# A Markdown link or reference definition whose target is a relative .md file:
# [text](../longgang/case-1.md#x) or [1]: ../longgang/case-1.md
_MD_LINK = lazyre.compile(r"\]\(\s*<?([^()\s<>]+?\.md)(?:#[^()\s<>]*)?>?(?:\s+[\"'(][^)]*)?\)"
                      r"|^ {0,3}\[[^\]]+\]:\s*<?([^\s<>]+?\.md)(?:#\S*)?>?(?:\s|$)", re.MULTILINE)


def duplicate_case_numbers(case_numbers: Iterable[tuple[str, str, int, str]]) -> list[Diagnostic]:
    """An error at each place of a case number written in more than one place (compared
    folded: width, case and spaces). ``case_numbers``: (folded, path, line, as written), in
    the order the files were read."""
    groups: dict[str, list[tuple[str, int, str]]] = {}
    for folded, path, line, text in case_numbers:
        groups.setdefault(folded, []).append((path, line, text))
    out = []
    for places in groups.values():
        if len(places) < 2:
            continue
        for path, line, text in places:
            others = "；".join(f"{p} 第 {ln} 行" for p, ln, _ in places if (p, ln) != (path, line))
            out.append(Diagnostic(path, max(1, line), 1, f"案号{quote(text)}重复了，另见 {others}",
                                  "同一个案件只写一条记录；如果是不同的案件，请核对案号"))
    return out


def dead_links(root: str, records: Iterable[Record]) -> list[Diagnostic]:
    """A body's relative link to a .md file that is not in the repository (a record renamed
    or deleted since) would be a dead link on the site: a warning, with the nearest name.
    Checked once every file was read (a link may point to a file read later); a record with
    errors had its links checked when it was read (record.py), so that its warnings come
    with its errors instead of after they are fixed."""
    out: list[Diagnostic] = []
    for rec in records:
        md = rec.names_md  # (known for a record kept by the cache: its body is not read)
        if md if md is not None else ".md" in rec.body:
            out += check_links(root, rec.path, rec.body, rec.body_line)
    return out


def check_links(root: str, path: str, body: str, body_line: int) -> list[Diagnostic]:
    """The warnings for the dead links to records in ``body`` (the file ``path``)."""
    from urllib.parse import unquote

    if ".md" not in body:
        return []
    out = []
    folder = posixpath.dirname(path)
    for m in _MD_LINK.finditer(body):
        raw = m.group(1) or m.group(2)
        if ":" in raw.split("/", 1)[0] or raw.startswith("/"):
            continue  # a web address or an absolute path: not a link into the repository
        target = posixpath.normpath(posixpath.join(folder, unquote(raw)))
        if os.path.isfile(os.path.join(root, *target.split("/"))):
            continue
        line = body_line + body.count("\n", 0, m.start())
        near = None
        with contextlib.suppress(OSError):
            near = nearest_file(posixpath.basename(target),
                                os.listdir(os.path.join(root, *posixpath.dirname(target).split("/"))))
        out.append(Diagnostic(
            path, line, 1, f"正文里链接的记录{quote(raw)}不存在（改名或删除了？），网站上会是一个打不开的链接",
            (f"同一文件夹里有 {near}，是不是它？" if near else "") + "请改成现有记录的文件名，或删去这个链接",
            "warning"))
    return out
