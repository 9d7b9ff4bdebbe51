"""Loading and validating records/<year>/: evidence files and assessment.yaml into a RecordSet."""

from __future__ import annotations

import codecs
import contextlib
import os
import posixpath
import re
import sys
import unicodedata
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from qsgen.core import yamlsafe
from qsgen.core.errors import Diagnostic
from qsgen.core.kinds import COMMON, KINDS, FieldSpec, kind_of_filename
from qsgen.core.model import Assessment, Judgement, Record, RecordSet, Rules, Unit, to_fraction
from qsgen.core.runtime import paused_gc
from qsgen.records.fields import (
    ABSENT,
    INVALID,
    FieldContext,
    convert,
    describe,
    did_you_mean,
    nearest,
    nearest_file,
    quote,
)

MAX_BYTES = 1024 * 1024  # a record or assessment file larger than this is refused
MAX_NESTING = 1000  # consecutive '[' or '>' (or list markers) in a body
ASSESSMENT_FILE = "assessment.yaml"

_CLOSE_RE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_KEY_FULLWIDTH_RE = re.compile(r"^[ \t]*(?:-[ \t]+)?([A-Za-z_][\w-]*)[ \t]*：", re.ASCII)
_KEY_WIDESPACE_RE = re.compile(r"^([ \t]*(?:-[ \t]+)?\{?[ \t]*)([A-Za-z_][\w-]*):(\u3000+)")
_FLOW_KEY_WIDESPACE_RE = re.compile(r"([{,][ \t]*)([A-Za-z_][\w-]*):(\u3000+)")
_KEY_NOSPACE_RE = re.compile(r"^[ \t]*(?:-[ \t]+)?\{?[ \t]*([A-Za-z_][\w-]*):(?=[^\s/:])", re.ASCII)
_ITEM_ID_RE = re.compile(r"(?:t\d+|s\d+-\d+)", re.ASCII)
_DEEP_QUOTE_RE = re.compile(r"(?:>[ \t]*){" + str(MAX_NESTING + 1) + ",}")
_DEEP_LIST_RE = re.compile(r"(?:[-*+][ \t]+){" + str(MAX_NESTING + 1) + ",}")

KNOWN_KEYS = frozenset(
    {k for kind in KINDS.values() for k in kind.all_fields}
    | {"outlet", "level", "items", "assessor", "score", "note"}
)

_ENCODING_HINT = ("请用 UTF-8 编码重新保存：记事本里“文件 → 另存为”，编码选“UTF-8”后保存；"
                  "WPS 里“文件 → 另存为”，在“编码”中选“UTF-8”；VS Code 右下角点编码，选“通过编码保存 → UTF-8”")


# --------------------------------------------------------------- text level


def decode(data: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 text (BOM dropped, line endings made \\n), or None with a plain-words error."""
    while data.startswith(codecs.BOM_UTF8):  # a BOM saved twice (editor after editor) is one BOM
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            what = "文件不是 UTF-8 编码，看起来是 UTF-16（Unicode）编码"
        elif b"\x00" in data[:4096]:
            what = "这不是文本文件（可能是 Word 文档、图片或压缩包），记录必须是 UTF-8 编码的纯文本"
        else:
            try:
                data.decode("gb18030")
                what = "文件不是 UTF-8 编码，看起来是 GBK/GB18030 编码（简体中文 Windows 的默认编码）"
            except UnicodeDecodeError:
                what = "文件不是 UTF-8 编码，有无法识别的字节"
        return None, [Diagnostic(path, line, max(1, col), what, _ENCODING_HINT)]
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return None, [Diagnostic(path, line, 1, "文件里有空字符（\\0），这不像是文本文件",
                                 "记录必须是 UTF-8 编码的纯文本，请用记事本重新保存")]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, []


def split_front_matter(text: str, path: str) -> tuple[str | None, str, int, list[Diagnostic]]:
    """(front matter text, body, body's first line, diagnostics) of a record's text."""
    first, _, _ = text.partition("\n")
    if first.rstrip() != "---":
        return None, text, 1, [_no_front_matter(first, text, path)]
    m = _CLOSE_RE.search(text, len(first) + 1)
    if m is None:
        return None, "", 1, [Diagnostic(
            path, 1, 1, "开头的 --- 之后没有找到结束的 ---，字段区没有结束",
            "在最后一个字段的下一行单独写一行 ---，然后再写正文")]
    front = text[len(first) + 1:m.start()]
    close_line = text.count("\n", 0, m.start()) + 1
    body = text[m.end() + 1:] if m.end() < len(text) else ""
    return front, body, close_line + 1, []


def _no_front_matter(first: str, text: str, path: str) -> Diagnostic:
    stripped = first.strip()
    if stripped and set(stripped) <= set("-—－–―‐ 一"):
        return Diagnostic(path, 1, 1, f"第一行{quote(stripped)}不是三个英文减号 ---",
                          "第一行只写三个英文减号 ---（不是中文破折号或全角减号）")
    if re.match(r"[A-Za-z_]+\s*[:：]", stripped):
        return Diagnostic(path, 1, 1, "字段区前后缺少 --- 分隔线",
                          "在第一行之前加一行 ---，在最后一个字段之后也加一行 ---，再写正文")
    return Diagnostic(path, 1, 1, "文件开头没有字段区（front matter）",
                      "记录必须以一行 --- 开头，接着写 kind、title、date 等字段，再以一行 --- 结束；"
                      "可以用 qsgen new 生成一个模板")


def precheck_yaml(text: str, path: str, first_line: int) -> tuple[list[Diagnostic], str]:
    """Plain-words errors for what breaks YAML most often: Tab or full-width space in the
    indentation, a full-width colon after a key, no space after the colon. Also returns the
    text with those mistakes repaired, so that the other problems can still be found."""
    out: list[Diagnostic] = []
    if "\t" not in text and "：" not in text and "\u3000" not in text and not _maybe_nospace(text):
        return out, text
    lines = text.split("\n")
    for n, line in enumerate(lines):
        ln = first_line + n
        body = line.lstrip(" \t\u3000")
        indent = line[: len(line) - len(body)]
        if not body or body.startswith("#"):
            continue
        if "\t" in indent:
            out.append(Diagnostic(path, ln, indent.index("\t") + 1,
                                  "这一行开头用了制表符（Tab）缩进，YAML 只认空格",
                                  "把行首的 Tab 换成空格（每一级缩进两个空格）"))
            lines[n] = line = indent.replace("\t", "  ").replace("\u3000", "  ") + body
        elif "\u3000" in indent:
            out.append(Diagnostic(path, ln, indent.index("\u3000") + 1,
                                  "这一行开头有全角空格（中文输入法下的空格），YAML 只认半角空格",
                                  "删掉行首的全角空格，需要缩进时用英文半角空格"))
            lines[n] = line = indent.replace("\u3000", "  ") + body
        m = _KEY_FULLWIDTH_RE.match(line)
        if m and ":" not in line[: m.end()]:
            out.append(Diagnostic(path, ln, m.end(), f"字段 {m[1]} 后面用了中文冒号“：”，YAML 只认英文冒号“:”",
                                  f"改成英文冒号加一个空格，例如 {m[1]}: 值"))
            rest = line[m.end():]
            lines[n] = line[: m.end() - 1] + ": " + " " * (len(rest) - len(rest.lstrip("\u3000"))) \
                + rest.lstrip("\u3000")
            continue
        if "\u3000" in line:
            # kind:　news, {score:　9} — the space after a key's colon typed in full width: taken
            # as a space, silently (it is what was meant; the columns stay the same).
            def half(m: re.Match) -> str:
                if m[2] in KNOWN_KEYS or _ITEM_ID_RE.fullmatch(m[2]):
                    return m[1] + m[2] + ":" + " " * len(m[3])
                return m[0]
            line = _KEY_WIDESPACE_RE.sub(half, line, count=1)
            if "{" in line:  # keys inside {…} on the line
                line = _FLOW_KEY_WIDESPACE_RE.sub(half, line)
            lines[n] = line
        m = _KEY_NOSPACE_RE.match(line)
        if m and (m[1] in KNOWN_KEYS or _ITEM_ID_RE.fullmatch(m[1])):
            out.append(Diagnostic(path, ln, m.end(), f"字段 {m[1]} 的冒号后面缺少空格",
                                  f"英文冒号后面要加一个空格，例如 {m[1]}: 值"))
            lines[n] = line[: m.end()] + " " + line[m.end():]
    return out, "\n".join(lines)


_NOSPACE_QUICK_RE = re.compile(r":[^\s/:]")


def _maybe_nospace(text: str) -> bool:
    return _NOSPACE_QUICK_RE.search(text) is not None


def body_guard(body: str, path: str, body_line: int) -> list[Diagnostic]:
    """Refuse bodies nested so deeply that rendering them could take very long."""
    out = []
    if body.count("[") > MAX_NESTING and "[" * (MAX_NESTING + 1) in body:
        idx = body.index("[" * (MAX_NESTING + 1))
        out.append(_deep(path, body, body_line, idx, "“[”"))
    if body.count(">") > MAX_NESTING:
        m = _DEEP_QUOTE_RE.search(body)
        if m:
            out.append(_deep(path, body, body_line, m.start(), "引用符号“>”"))
    if body.count("-") + body.count("*") + body.count("+") > MAX_NESTING:
        m = _DEEP_LIST_RE.search(body)
        if m:
            out.append(_deep(path, body, body_line, m.start(), "列表符号"))
    return out


def _deep(path: str, body: str, body_line: int, idx: int, what: str) -> Diagnostic:
    line = body_line + body.count("\n", 0, idx)
    col = idx - (body.rfind("\n", 0, idx) + 1) + 1
    return Diagnostic(path, line, col, f"正文里连续嵌套了超过 {MAX_NESTING} 层{what}，无法正常显示",
                      "正文只写普通的文字说明；请删掉这些重复的符号")


def _read(full: str, path: str) -> tuple[str | None, list[Diagnostic]]:
    """The decoded text of a file of at most MAX_BYTES, or None with the reason."""
    try:
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            chunks, total = [], 0
            while total <= MAX_BYTES:
                chunk = os.read(fd, MAX_BYTES + 1 - total)
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
            size = os.fstat(fd).st_size if total > MAX_BYTES else total
        finally:
            os.close(fd)
    except OSError as e:
        return None, [Diagnostic(path, 1, 1, f"无法读取文件：{e.strerror}", "")]
    if total > MAX_BYTES:
        return None, [Diagnostic(path, 1, 1, f"文件太大（{size / 1024 / 1024:.1f} MB），超过 1 MB 的上限",
                                 "记录只写文字说明；图片、扫描件等请作为附件单独存放，在 attachments 里列出")]
    return decode(b"".join(chunks), path)


# -------------------------------------------------------------- the loader


# A Markdown link or reference definition whose target is a relative .md file:
# [text](../longgang/case-1.md#x) or [1]: ../longgang/case-1.md
_MD_LINK = re.compile(r"\]\(\s*<?([^()\s<>]+?\.md)(?:#[^()\s<>]*)?>?(?:\s+[\"'(][^)]*)?\)"
                      r"|^ {0,3}\[[^\]]+\]:\s*<?([^\s<>]+?\.md)(?:#\S*)?>?(?:\s|$)", re.MULTILINE)


class _Loader:
    def __init__(self, root: Path, rules: Rules) -> None:
        self.root = os.fspath(root)
        self.rules = rules
        self.year = str(rules.year)
        self.units: dict[str, Unit] = {u.slug: u for u in rules.units}
        self.unit_names: dict[str, str] = {u.name: u.slug for u in rules.units}
        self.item_ids: dict[str, dict[str, Any]] = {u.slug: {i.id: i for i in u.items} for u in rules.units}
        self.diags: list[Diagnostic] = []
        self.records: list[Record] = []
        self.assessments: dict[str, Assessment] = {}
        self.bad_paths: set[str] = set()
        self.case_nos: dict[str, list[tuple[str, int, str]]] = {}  # folded case_no -> [(path, line, text)]
        self.records_real = os.path.realpath(os.path.join(self.root, "records"))
        self.folder_names: dict[str, dict[str, str]] = {}  # folder -> {folded name: name}

    # ---- walking

    def run(self) -> tuple[RecordSet, list[Diagnostic]]:
        year_rel = f"records/{self.year}"
        year_dir = os.path.join(self.root, "records", self.year)
        for rel, full in (("records", os.path.join(self.root, "records")), (year_rel, year_dir)):
            if os.path.islink(full):
                self._error(rel, 1, 1, f"{rel}/ 是一个符号链接，不能读取仓库以外的内容",
                            f"请把 {rel}/ 换成真正的文件夹")
                year_dir = ""
        if year_dir and os.path.isdir(year_dir):
            entries = self._scandir(year_dir, year_rel)
            for entry in entries:
                rel = f"{year_rel}/{entry.name}"
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    self._unit_dir(entry, rel)
                elif entry.is_symlink():
                    self._error(rel, 1, 1, "records/ 下不能有符号链接", "请放真正的文件夹或文件")
                elif entry.name.lower().endswith((".md", ".yaml", ".yml")) and not _is_readme(entry.name):
                    self._error(rel, 1, 1, f"{entry.name} 直接放在了 {year_rel}/ 下，没有放进单位文件夹",
                                f"记录要放在 {year_rel}/<单位>/ 里，例如 {year_rel}/longgang/{entry.name}")
        self._duplicate_case_nos()
        self._dangling_links()
        records = sorted((r for r in self.records if r.path not in self.bad_paths), key=lambda r: r.path)
        assessments = {k: a for k, a in sorted(self.assessments.items())}
        return (RecordSet(self.rules.year, records, assessments),
                sorted(set(self.diags)))

    def _scandir(self, full: str, rel: str) -> list[os.DirEntry]:
        try:
            with os.scandir(full) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            self._error(rel, 1, 1, f"无法读取文件夹：{e.strerror}")
            return []
        self._name_clashes(entries, rel)
        self.folder_names[rel] = {_fold_name(e.name): e.name for e in entries}
        return entries

    def _name_clashes(self, entries: list[os.DirEntry], rel: str) -> None:
        """Two names that differ only by case or Unicode normalisation clash on Windows/macOS."""
        groups: dict[str, list[str]] = {}
        for e in entries:
            n = e.name
            key = unicodedata.normalize("NFKC", n).casefold() if not n.isascii() else n.lower()
            groups.setdefault(key, []).append(n)
        for names in groups.values():
            if len(names) < 2:
                continue
            for n in names:
                others = "、".join(f"{rel}/{o}" for o in names if o != n)
                self._error(f"{rel}/{n}", 1, 1,
                            f"文件名{quote(n)}与 {others} 只差大小写或全角/半角、Unicode 写法",
                            "在 Windows 和 macOS 上它们会被当成同一个文件，请改名或删除其中一个")
                self.bad_paths.add(f"{rel}/{n}")

    def _unit_dir(self, entry: os.DirEntry, rel: str) -> None:
        slug = entry.name
        unit = self.units.get(slug)
        if unit is None:
            hint = ""
            if slug in self.unit_names:
                hint = f"文件夹要用单位的拼音代号：{self.unit_names[slug]}"
            else:
                best = nearest(slug, list(self.units), cutoff=0.5)
                if best:
                    hint = f"是不是想写 {best}？"
            hint += "单位文件夹有：" + "、".join(self.units)
            self._error(rel, 1, 1, f"没有名为{quote(slug)}的单位，无法识别这个文件夹", hint)
            return
        for e in self._scandir(entry.path, rel):
            name = e.name
            path = f"{rel}/{name}"
            if name.startswith("."):
                continue
            if e.is_dir(follow_symlinks=False):
                self._misplaced_records(e.path, path, unit)  # sub-folders hold attachments
                continue
            low = name.lower()
            if name == ASSESSMENT_FILE:
                self._file(e, path, unit, assessment=True)
            elif name.endswith(".md"):
                if not _is_readme(name):
                    self._file(e, path, unit, assessment=False)
            elif low.endswith((".md", ".markdown")):
                self._error(path, 1, 1, f"记录文件的扩展名应为小写 .md：{quote(name)}",
                            f"请改名为 {name.rsplit('.', 1)[0]}.md")
            elif low.endswith((".yaml", ".yml")):
                self._error(path, 1, 1, f"不认识的 YAML 文件{quote(name)}",
                            f"单位文件夹里只有评分文件叫 {ASSESSMENT_FILE}；其他记录用 .md 文件")

    def _misplaced_records(self, full: str, rel: str, unit: Unit) -> None:
        """A record put in a sub-folder would be silently ignored: say so."""
        for folder, dirs, files in os.walk(full):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if name.endswith(".md") and kind_of_filename(name):
                    sub = os.path.relpath(os.path.join(folder, name), full).replace(os.sep, "/")
                    self._error(f"{rel}/{sub}", 1, 1,
                                f"记录文件 {name} 放在了子文件夹里，不会被计入",
                                f"记录要直接放在 records/{self.year}/{unit.slug}/ 下；子文件夹只放附件")

    # ---- one file

    def _error(self, path: str, line: int, col: int, message: str, hint: str = "") -> None:
        self.diags.append(Diagnostic(path, max(1, line), max(1, col), message, hint))
        self.bad_paths.add(path)

    def _file(self, entry: os.DirEntry, path: str, unit: Unit, assessment: bool) -> None:
        if entry.is_symlink():
            self._error(path, 1, 1, "记录文件不能是符号链接", "请把真正的文件放在这里")
            return
        text, diags = _read(entry.path, path)
        if text is None:
            self.diags.extend(diags)
            self.bad_paths.add(path)
            return
        if assessment:
            self._assessment(text, path, unit)
        else:
            self._record(text, path, entry.name, unit)

    def _parse(self, text: str, path: str, first_line: int) -> Any:
        """The YAML root node, or None (reported)."""
        pre, repaired = precheck_yaml(text, path, first_line)
        if pre:
            # Report the plain-words errors; go on with the repaired text only if it parses,
            # so that the file's other problems are found in the same run.
            self.diags.extend(pre)
            self.bad_paths.add(path)
            node, diags = yamlsafe.load(repaired, path, line_offset=first_line - 1)
            return None if diags else node
        # (repaired differs from text only by what is accepted silently: a full-width space
        # after a key's colon)
        node, diags = yamlsafe.load(repaired, path, line_offset=first_line - 1)
        if diags:
            self.diags.extend(diags)
            self.bad_paths.add(path)
            return None
        return node

    def _context(self, path: str, period: bool) -> FieldContext:
        return FieldContext(path, self.diags, self.rules.case_categories,
                            self.rules.period if period else None, self.root,
                            path.rsplit("/", 1)[0], self.records_real)

    def _record(self, text: str, path: str, name: str, unit: Unit) -> None:
        file_kind = kind_of_filename(name)
        front, body, body_line, diags = split_front_matter(text, path)
        if diags:
            self.diags.extend(diags)
            self.bad_paths.add(path)
            return
        guard = body_guard(body, path, body_line)
        if guard:
            self.diags.extend(guard)
            self.bad_paths.add(path)
        root = self._parse(front, path, 2)
        close_line = body_line - 1
        if root is None:
            if path not in self.bad_paths:  # nothing but comments between the --- lines
                self._error(path, 1, 1, "字段区是空的", "在两行 --- 之间写 kind、title、date 等字段")
            if file_kind is None:
                self._bad_file_name(path, name, None)
            return
        if not isinstance(root.value, dict):
            self._error(path, root.line, root.col, "字段区应当是一行一个“字段名: 值”",
                        "例如 title: 查处某超市销售过期食品案（冒号后要有一个空格）")
            return
        fields: dict[str, Any] = root.value
        kind = self._kind(path, name, file_kind, fields.get("kind"))
        if kind is None:
            return
        kind = sys.intern(kind)
        ctx = self._context(path, period=True)
        specs = KINDS[kind].all_fields
        values: dict[str, Any] = {}
        lines: dict[str, int] = {}
        seen_bad: set[str] = set()
        for key, node in fields.items():
            # One str per field name for all records, not one per record (kept by every
            # record's fields and lines: ~20 MB at 50,000 records).
            key = sys.intern(key)
            lines[key] = node.key_line
            spec = specs.get(key)
            if spec is None:
                self._unknown_field(path, key, node, kind, root.col)
                continue
            if key == "kind":
                values[key] = kind
                continue
            v = convert(key, spec, node, ctx)
            if v is INVALID:
                seen_bad.add(key)
            elif v is not ABSENT:
                values[key] = v
        for key, spec in specs.items():
            if spec.required and key not in values and key not in seen_bad and key not in fields \
                    and key != "kind":
                example = _example(key, spec, self.rules.case_categories)
                self._error(path, close_line, 1, f"缺少必填字段 {describe(key, spec)}",
                            f"在第 {close_line} 行的 --- 之前加一行：{example}")
        self._unit_rules(path, unit, kind, values, fields, close_line)
        if ctx.errors:
            self.bad_paths.add(path)
        if path in self.bad_paths:  # left out of the site; its dead links are told now
            self._check_links(path, body, body_line)
            return
        extra = {k: v for k, v in values.items() if k not in COMMON}
        stem = name[:-3]
        self.records.append(Record(
            id=f"{unit.slug}/{stem}", path=path, unit=unit.slug, kind=kind, title=values["title"],
            date=values["date"], fields=extra, body=body, attachments=values.get("attachments", []),
            lines=lines, body_line=body_line))

    _KINDS_LIST = "、".join(f"{k}（{v.name}）" for k, v in KINDS.items())

    def _kind(self, path: str, name: str, file_kind: str | None, node: Any) -> str | None:
        """The record's kind, checked against the file name; None when it cannot be known."""
        kind = None
        if node is None:
            self._error(path, 1, 1, "缺少必填字段 kind（类型）",
                        f"在第 2 行写 kind: {file_kind}" if file_kind else f"类型有：{self._KINDS_LIST}")
        elif not isinstance(node.value, str):
            self._error(path, node.line, node.col, "kind（类型）只能写一个记录类型",
                        f"写成一行：kind: {file_kind or 'case'}")
        elif unicodedata.normalize("NFKC", node.value).strip() not in KINDS:
            text = node.value.strip()
            by_name = {v.name: k for k, v in KINDS.items()}
            if text in by_name:
                hint = f"kind 要写英文代号：kind: {by_name[text]}"
            else:
                hint = (did_you_mean(text, list(KINDS)) if text else "") + f"类型有：{self._KINDS_LIST}"
            self._error(path, node.line, node.col, f"没有{quote(text)}这种记录类型", hint)
        else:
            kind = unicodedata.normalize("NFKC", node.value).strip()  # ｎｅｗｓ is news
        if file_kind is None:
            self._bad_file_name(path, name, kind)
        elif kind is not None and kind != file_kind:
            self._error(path, node.line, node.col,
                        f"kind 写的是 {kind}，但文件名以 {file_kind}- 开头，两者必须一致",
                        f"如果这是{KINDS[kind].name}记录，请把文件改名为 {kind}-…md；"
                        f"否则把这一行改成 kind: {file_kind}")
            return None
        return kind or file_kind

    def _bad_file_name(self, path: str, name: str, kind: str | None) -> None:
        stem = name[:-3] if name.endswith(".md") else name
        first = re.split(r"[-_.]", stem, maxsplit=1)[0]
        best = nearest(first, list(KINDS)) if first else None
        if best is not None and _fold_name(first) == best:  # News-T7.md, ＣＡＳＥ-1.md
            rename = (kind or best) + stem[len(first):] + ".md"
            self._error(path, 1, 1, f"文件名{quote(name)}开头的记录类型要写成小写英文 {best}",
                        f"请改名为 {rename}" + self._taken(path, rename))
            return
        if best is not None:  # cas-1.md: the type misspelt, replace it rather than prefix it
            example = (kind or best) + stem[len(first):] + ".md"
            hint = f"是不是想写 {best}？"
        else:
            example = f"{kind}-{stem}.md" if kind else "case-2023-06-02-1.md"
            hint = ""
        self._error(path, 1, 1, f"文件名{quote(name)}没有以记录类型开头",
                    hint + f"文件名要以类型加“-”开头，例如 {example}" + (self._taken(path, example) if kind else ""))

    def _taken(self, path: str, rename: str) -> str:
        """A warning when the suggested new name is already used (up to case) in the folder."""
        folder = path.rsplit("/", 1)[0]
        names = self.folder_names.get(folder, {})
        other = names.get(_fold_name(rename))
        if other is None or other == path.rsplit("/", 1)[1]:
            return ""
        stem = rename[:-3]
        n = 2
        while _fold_name(f"{stem}-{n}.md") in names:
            n += 1
        return (f"；但同一文件夹里已有 {other}（只差大小写，Windows 上会被当成同一个文件）："
                f"如果是同一条记录，请删掉其中一个；不是的话换一个名字，如 {stem}-{n}.md")

    def _unknown_field(self, path: str, key: str, node: Any, kind: str, col: int) -> None:
        specs = KINDS[kind].all_fields
        labels = {s.label: k for k, s in specs.items() if s.label}
        if key in labels:
            hint = f"字段名要写英文：{labels[key]}"
        elif ":" in key:
            hint = "冒号后面要加一个空格：字段名: 值"
        else:
            hint = did_you_mean(key, list(specs))
            others = [k for k, v in KINDS.items() if key in v.fields]
            if not hint and others:
                hint = f"{key} 是 {others[0]}（{KINDS[others[0]].name}）记录的字段，{KINDS[kind].name}记录不用写"
            if not hint:
                hint = f"{KINDS[kind].name}记录可以写的字段：" + "、".join(specs)
        self._error(path, node.key_line, col, f"不认识的字段{quote(key)}", hint)

    def _unit_rules(self, path: str, unit: Unit, kind: str, values: dict, fields: dict,
                    close_line: int) -> None:
        """Checks that need the unit: unit field, task id, team, case number."""
        if "unit" in values and values["unit"] not in (unit.slug, unit.name):
            node = fields["unit"]
            self._error(path, node.line, node.col,
                        f"unit 写的是{quote(values['unit'])}，但文件在 {unit.slug}（{unit.name}）文件夹里",
                        f"删掉 unit 这一行（单位由文件夹决定），或改成 unit: {unit.slug}")
        if kind == "evidence" and "task" in values:
            task = unicodedata.normalize("NFKC", values["task"]).strip()  # ｔ０３ is t03
            items = self.item_ids.get(unit.slug, {})
            if task not in items:
                node = fields["task"]
                best = nearest_item(task, list(items))
                hint = (f"是不是想写 {best}？" if best else "") + f"{unit.name}的任务项有：" + _ids_text(list(items))
                self._error(path, node.line, node.col, f"{unit.name}没有任务项{quote(task)}", hint)
            else:
                values["task"] = task
        if kind == "case":
            team_node = fields.get("team")
            if unit.teams:
                if "team" in values and values["team"] not in unit.teams:
                    self._error(path, team_node.line, team_node.col,
                                f"{unit.name}没有{quote(values['team'])}",
                                "可以填：" + "、".join(unit.teams))
                elif "team" not in values and (team_node is None or team_node.value == ""):
                    line = team_node.key_line if team_node is not None else close_line
                    self._error(path, line, 1, f"{unit.name}的案件必须写明 team（中队）",
                                "加一行 team: " + " 或 team: ".join(unit.teams))
            elif team_node is not None:
                self._error(path, team_node.key_line, 1,
                            f"只有设中队的单位（综合行政执法队）的案件才写 team，{unit.name}不用写",
                            "删掉 team 这一行")
            if "case_no" in values:
                case_no = values["case_no"]
                folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", case_no)).casefold()
                self.case_nos.setdefault(folded, []).append((path, fields["case_no"].line, case_no))

    def _duplicate_case_nos(self) -> None:
        for places in self.case_nos.values():
            if len(places) < 2:
                continue
            for path, line, text in places:
                others = "；".join(f"{p} 第 {ln} 行" for p, ln, _ in places if (p, ln) != (path, line))
                self._error(path, line, 1, f"案号{quote(text)}重复了，另见 {others}",
                            "同一个案件只写一条记录；如果是不同的案件，请核对案号")

    def _dangling_links(self) -> None:
        """A body's relative link to a .md file that is not in the repository (a record renamed
        or deleted since) would be a dead link on the site: a warning, with the nearest name.
        Checked once every file was read (a link may point to a file read later); a record with
        errors had its links checked when it was read (see _record), so that its warnings come
        with its errors instead of after they are fixed."""
        for rec in self.records:
            self._check_links(rec.path, rec.body, rec.body_line)

    def _check_links(self, path: str, body: str, body_line: int) -> None:
        from urllib.parse import unquote

        if ".md" not in body:
            return
        folder = posixpath.dirname(path)
        for m in _MD_LINK.finditer(body):
            raw = m.group(1) or m.group(2)
            if ":" in raw.split("/", 1)[0] or raw.startswith("/"):
                continue  # a web address or an absolute path: not a link into the repository
            target = posixpath.normpath(posixpath.join(folder, unquote(raw)))
            if os.path.isfile(os.path.join(self.root, *target.split("/"))):
                continue
            line = body_line + body.count("\n", 0, m.start())
            near = None
            with contextlib.suppress(OSError):
                near = nearest_file(posixpath.basename(target),
                                    os.listdir(os.path.join(self.root, *posixpath.dirname(target).split("/"))))
            self.diags.append(Diagnostic(
                path, line, 1, f"正文里链接的记录{quote(raw)}不存在（改名或删除了？），网站上会是一个打不开的链接",
                (f"同一文件夹里有 {near}，是不是它？" if near else "") + "请改成现有记录的文件名，或删去这个链接",
                "warning"))

    # ---- assessment.yaml

    def _assessment(self, text: str, path: str, unit: Unit) -> None:
        root = self._parse(text, path, 1)
        if root is None:
            return
        if not isinstance(root.value, dict):
            self._error(path, root.line, root.col, "评分文件应当是“字段名: 值”的形式",
                        "例如：\nitems:\n  t01: {score: 9.5, note: 说明}\nassessor: 考核办\ndate: 2024-01-10")
            return
        ctx = self._context(path, period=False)
        result = Assessment(unit=unit.slug, path=path)
        top = {"items": None, "assessor": FieldSpec("text", label="评分人"),
               "date": FieldSpec("date", label="评分日期")}
        for key, node in root.value.items():
            if key not in top:
                hint = did_you_mean(key, list(top))
                if not hint and (key in self.item_ids.get(unit.slug, {}) or _ITEM_ID_RE.fullmatch(key)):
                    hint = f"任务项的评分要写在 items: 下面，缩进两个空格：\n      items:\n        {key}: {{score: …}}"
                self._error(path, node.key_line, root.col, f"评分文件中不认识的字段{quote(key)}",
                            hint or "评分文件只写 items、assessor、date")
                continue
            if key == "items":
                self._judgements(node, path, unit, ctx, result)
                continue
            v = convert(key, top[key], node, ctx)
            if v is not INVALID and v is not ABSENT:
                setattr(result, key, v)
        if ctx.errors:
            self.bad_paths.add(path)
        self.assessments[unit.slug] = result

    def _judgements(self, node: Any, path: str, unit: Unit, ctx: FieldContext, result: Assessment) -> None:
        if node.value == "":
            return
        if not isinstance(node.value, dict):
            self._error(path, node.line, node.col, "items 下面应当是“任务项: 评分”，一项一行",
                        "例如：\n      items:\n        t01: {score: 9.5}")
            return
        items = self.item_ids.get(unit.slug, {})
        score_spec = FieldSpec("decimal", True, label="得分")
        note_spec = FieldSpec("text", label="说明")
        seen: dict[str, int] = {}  # item id -> line, for ｔ０１ and t01 both written
        for item_id, jnode in node.value.items():
            item = items.get(item_id) or items.get(unicodedata.normalize("NFKC", item_id).strip())
            if item is not None and item.id in seen:
                self._error(path, jnode.key_line, node.col,
                            f"任务项 {item.id} 写了两次（另见第 {seen[item.id]} 行）",
                            "每个任务项只写一次，请删掉或合并其中一处")
                continue
            if item is not None:
                seen[item.id] = jnode.key_line
            if item is None:
                best = nearest_item(item_id, list(items))
                self._error(path, jnode.key_line, node.col, f"{unit.name}没有任务项{quote(item_id)}",
                            (f"是不是想写 {best}？" if best else "") + "任务项有：" + _ids_text(list(items)))
                continue
            flag_ids = [p.id for p in item.extras if p.per == "flag"]
            entries = jnode.value if isinstance(jnode.value, dict) else {"score": jnode}
            score = None
            note = ""
            flags: dict[str, bool] = {}
            ok = True
            for key, sub in entries.items():
                if key == "score":
                    if item.method == "quota":
                        self._error(path, sub.line, sub.col,
                                    f"{item_id} 是按佐证记录自动计算的任务项，不能打分",
                                    "删掉这一项的 score；它的得分由案件等记录按任务数自动算出")
                        ok = False
                        continue
                    v = convert(f"{item_id} 的 score", score_spec, sub, ctx)
                    if v is INVALID:
                        ok = False
                        continue
                    frac = to_fraction(v)
                    if frac < 0:
                        self._error(path, sub.line, sub.col, f"{item_id} 的得分不能是负数：{quote(sub.value)}",
                                    f"请填 0 到 {_num(item.max)} 之间的数")
                        ok = False
                    elif frac > item.max:
                        self._error(path, sub.line, sub.col,
                                    f"{item_id} 的得分 {sub.value.strip()} 超过了这一项的满分 {_num(item.max)}",
                                    f"请填 0 到 {_num(item.max)} 之间的数"
                                    + ("；额外加分的条件写成 " + "、".join(f"{f}: true" for f in flag_ids)
                                       + "，由程序加分" if flag_ids else ""))
                        ok = False
                    else:
                        score = frac
                elif key == "note":
                    v = convert("note", note_spec, sub, ctx)
                    if v is INVALID:
                        ok = False
                    elif v is not ABSENT:
                        note = v
                elif key in flag_ids:
                    v = convert(key, FieldSpec("bool", label="加分条件"), sub, ctx)
                    if v is INVALID:
                        ok = False
                    elif v is not ABSENT:
                        flags[key] = v
                else:
                    allowed = ["score", "note", *flag_ids]
                    self._error(path, sub.key_line, jnode.col, f"{item_id} 下面不认识的字段{quote(key)}",
                                (did_you_mean(key, allowed) or "") + "可以写：" + "、".join(allowed))
                    ok = False
            if not ok:
                continue
            if score is None and item.method != "quota":
                self._error(path, jnode.key_line, node.col, f"{item_id} 没有写得分 score",
                            f"写成 {item_id}: {{score: 9.5}}；还没评分的任务项请整项删掉（显示为待评）")
                continue
            result.items[item.id] = Judgement(score=score if score is not None else to_fraction(0),
                                              note=note, flags=flags, line=jnode.key_line)


def nearest_item(text: str, ids: list[str]) -> str | None:
    """The item id meant by ``text``: zero-padded (s4-3 → s04-3, T3 → t03), else the closest."""
    t = unicodedata.normalize("NFKC", text).strip().lower().replace("_", "-").replace("—", "-")
    padded = re.sub(r"(?<![0-9])([0-9])(?![0-9])", r"0\1", t)
    for candidate in (t, padded, re.sub(r"-0([0-9])$", r"-\1", padded)):
        if candidate in ids:
            return candidate
    return nearest(t, ids, cutoff=0.4)


def _fold_name(name: str) -> str:
    """A file name as Windows and macOS compare it: case and width folded."""
    return unicodedata.normalize("NFKC", name).casefold()


def _is_readme(name: str) -> bool:
    return name.lower() in ("readme.md", "readme.txt", "readme")


def _ids_text(ids: list[str]) -> str:
    if len(ids) <= 16:
        return "、".join(ids)
    return "、".join(ids[:6]) + " … " + "、".join(ids[-3:])


def _num(value: Fraction) -> str:
    """An exact number as short text: 10, 7.5 (never through a binary float)."""
    if value.denominator == 1:
        return str(value.numerator)
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _example(key: str, spec: FieldSpec, categories: dict[str, str]) -> str:
    """A line the user can add for a missing field, with its help as a comment."""
    samples = {"date": "2023-06-02", "int": "1", "decimal": "0", "bool": "true", "enum": "…"}
    if spec.type == "enum" and isinstance(spec.choices, dict):
        return f"{key}: {next(iter(spec.choices))}"
    if spec.choices == "case_category" and categories:
        return f"{key}: {next(iter(categories.values()))}    # 可填：" + "、".join(dict.fromkeys(categories.values()))
    return f"{key}: {samples.get(spec.type, '…')}" + (f"    # {spec.help}" if spec.help else "")


def load_records(root: Path, rules: Rules) -> tuple[RecordSet, list[Diagnostic]]:
    """Read and validate records/<rules.year>/ under ``root``; records with errors are left out."""
    with paused_gc():
        return _Loader(root, rules).run()
