"""Front matter: split from the body, the YAML precheck for Chinese input habits, the parse; body guards."""

from __future__ import annotations

import re
from typing import Any

from qsgen.core import lazyre, mdcost, yamlsafe
from qsgen.core.errors import Diagnostic
from qsgen.core.kinds import KINDS
from qsgen.core.yamlerrors import flow_start
from qsgen.records.fields import quote

MAX_NESTING = 1000  # consecutive '[' or '>' (or list markers) in a body

# The line break before the closing line too: searched with a literal first (no test of
# ``^`` at every character as re.M has it), 1.0 -> 0.65 us a record on the 10k corpus.
_CLOSE_RE = re.compile(r"\n(?:---|\.\.\.)[ \t]*(?=\n|\Z)")
_KEY_FULLWIDTH_RE = lazyre.compile(r"^[ \t]*(?:-[ \t]+)?([A-Za-z_][\w-]*)[ \t]*：", re.ASCII)
_KEY_WIDESPACE_RE = lazyre.compile(r"^([ \t]*(?:-[ \t]+)?\{?[ \t]*)([A-Za-z_][\w-]*):(\u3000+)")
_FLOW_KEY_WIDESPACE_RE = lazyre.compile(r"([{,][ \t]*)([A-Za-z_][\w-]*):(\u3000+)")
_KEY_NOSPACE_RE = lazyre.compile(r"^[ \t]*(?:-[ \t]+)?\{?[ \t]*([A-Za-z_][\w-]*):(?=[^\s/:])", re.ASCII)
ITEM_ID_RE = lazyre.compile(r"(?:t\d+|s\d+-\d+)", re.ASCII)  # a task item id: t01, s04-3
_DEEP_QUOTE_RE = lazyre.compile(r"(?:>[ \t]*){" + str(MAX_NESTING + 1) + ",}")
_DEEP_LIST_RE = lazyre.compile(r"(?:[-*+][ \t]+){" + str(MAX_NESTING + 1) + ",}")

KNOWN_KEYS = frozenset(
    {k for kind in KINDS.values() for k in kind.all_fields}
    | {"outlet", "level", "items", "assessor", "score", "note"}
)


def split_front_matter(text: str, path: str) -> tuple[str | None, str, int, list[Diagnostic]]:
    """(front matter text, body, body's first line, diagnostics) of a record's text."""
    first, _, _ = text.partition("\n")
    if first.rstrip() != "---":
        return None, text, 1, [_no_front_matter(first, text, path)]
    m = _CLOSE_RE.search(text, len(first))  # (from the first line's line break)
    if m is None:
        return None, "", 1, [Diagnostic(
            path, 1, 1, "开头的 --- 之后没有找到结束的 ---，字段区没有结束",
            "在最后一个字段的下一行单独写一行 ---，然后再写正文")]
    close = m.start() + 1
    front = text[len(first) + 1:close]
    close_line = text.count("\n", 0, close) + 1
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
    indentation, a full-width colon after a key, no space after the colon, a Chinese comma
    between the fields of a {…}. Also returns the
    text with those mistakes repaired, so that the other problems can still be found."""
    out: list[Diagnostic] = []
    if "\t" not in text and "：" not in text and "\u3000" not in text and not _maybe_nospace(text) \
            and not ("，" in text and "{" in text):
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
                if m[2] in KNOWN_KEYS or ITEM_ID_RE.fullmatch(m[2]):
                    return m[1] + m[2] + ":" + " " * len(m[3])
                return m[0]
            line = _KEY_WIDESPACE_RE.sub(half, line, count=1)
            if "{" in line:  # keys inside {…} on the line
                line = _FLOW_KEY_WIDESPACE_RE.sub(half, line)
            lines[n] = line
        m = _KEY_NOSPACE_RE.match(line)
        if m and (m[1] in KNOWN_KEYS or ITEM_ID_RE.fullmatch(m[1])):
            out.append(Diagnostic(path, ln, m.end(), f"字段 {m[1]} 的冒号后面缺少空格",
                                  f"英文冒号后面要加一个空格，例如 {m[1]}: 值"))
            lines[n] = line = line[: m.end()] + " " + line[m.end():]
        if "{" in line:
            lines[n] = _flow_habits(line, ln, path, out)
    return out, "\n".join(lines)


_NOSPACE_QUICK_RE = lazyre.compile(r":[^\s/:]")
# Inside {…}: a Chinese comma before the next field (score: 18，note: …), a full-width colon
# after a field's name ({score: 18, note：…}) or no space after its colon ({score:18}).
_FLOW_CN_COMMA_RE = lazyre.compile(r"，(?=[ \t\u3000]*([A-Za-z_][\w-]*)[ \t]*[:：])", re.ASCII)
_FLOW_KEY_CN_COLON_RE = lazyre.compile(r"([{,][ \t]*)([A-Za-z_][\w-]*)[ \t]*：", re.ASCII)
_FLOW_KEY_NOSPACE_RE = lazyre.compile(r"([{,][ \t]*)([A-Za-z_][\w-]*):(?=[^\s/:])", re.ASCII)


def _flow_habits(line: str, ln: int, path: str, out: list[Diagnostic]) -> str:
    """The Chinese input habits inside a {…} on ``line`` (the file's line ``ln``) reported in
    ``out``; returns the line repaired."""
    start = flow_start(line, "{")
    if start < 0:
        return line
    head, flow = line[:start], line[start:]
    for m in _FLOW_CN_COMMA_RE.finditer(flow):
        if m[1] in KNOWN_KEYS or ITEM_ID_RE.fullmatch(m[1]):
            out.append(Diagnostic(path, ln, start + m.start() + 1,
                                  f"字段 {m[1]} 前面用了中文逗号“，”，{{ }} 里的字段之间只认英文逗号“,”",
                                  f"把这个“，”改成英文逗号加一个空格，写成“, {m[1]}: …”；"
                                  "说明文字里的中文逗号不用改"))
            flow = flow[:m.start()] + "," + flow[m.end():]  # same length: the columns stay
    for m in _FLOW_KEY_CN_COLON_RE.finditer(flow):
        if m[2] in KNOWN_KEYS or ITEM_ID_RE.fullmatch(m[2]):
            out.append(Diagnostic(path, ln, start + m.end(),
                                  f"字段 {m[2]} 后面用了中文冒号“：”，YAML 只认英文冒号“:”",
                                  f"改成英文冒号加一个空格，例如 {{{m[2]}: 值}}"))
    flow = _FLOW_KEY_CN_COLON_RE.sub(
        lambda m: m[1] + m[2] + (": " if m[2] in KNOWN_KEYS or ITEM_ID_RE.fullmatch(m[2]) else "："), flow)
    for m in _FLOW_KEY_NOSPACE_RE.finditer(flow):
        if m[2] in KNOWN_KEYS or ITEM_ID_RE.fullmatch(m[2]):
            out.append(Diagnostic(path, ln, start + m.end(), f"字段 {m[2]} 的冒号后面缺少空格",
                                  f"英文冒号后面要加一个空格，例如 {{{m[2]}: 值}}"))
    flow = _FLOW_KEY_NOSPACE_RE.sub(
        lambda m: m[0] + (" " if m[2] in KNOWN_KEYS or ITEM_ID_RE.fullmatch(m[2]) else ""), flow)
    return head + flow


def _maybe_nospace(text: str) -> bool:
    return _NOSPACE_QUICK_RE.search(text) is not None


def body_guard(body: str, path: str, body_line: int) -> list[Diagnostic]:
    """Refuse bodies nested so deeply that rendering them could take very long."""
    out: list[Diagnostic] = []
    if len(body) <= MAX_NESTING:  # (each test below needs more characters: most bodies, no count)
        return out
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


_COSTLY = {
    "table": ("正文里的表格太大（{cells}），网站上不排版，按原文显示",
              "把大表格拆成几张小表，或者把表格做成 Excel 附件放在 attachments 里；"
              "表格每一行的“|”个数应和第二行（---）一样多"),
    "reference": ("正文里的引用式链接（[名称]: 网址）被用了很多次，展开后太长，网站上不排版，按原文显示",
                  "把链接直接写在文字后面：[文字](网址)，同一个很长的链接不要引用成百上千次"),
}


def body_cost(body: str, path: str, body_line: int) -> list[Diagnostic]:
    """A warning for a body whose HTML would be out of proportion to its length (a huge table,
    a long reference used over and over): the site shows it as plain text (core/mdcost.py)."""
    if "|" not in body and "]:" not in body:
        return []
    src = mdcost.prepare(body)
    if mdcost.surely_ok(src):
        return []
    cost = mdcost.estimate(src)
    if cost.ok:
        return []
    message, hint = _COSTLY[cost.reason]
    cells = f"共 {cost.cells:,} 个单元格" if cost.reason == "table" else ""
    return [Diagnostic(path, body_line + cost.line, 1, message.format(cells=cells), hint, "warning")]


def _deep(path: str, body: str, body_line: int, idx: int, what: str) -> Diagnostic:
    line = body_line + body.count("\n", 0, idx)
    col = idx - (body.rfind("\n", 0, idx) + 1) + 1
    return Diagnostic(path, line, col, f"正文里连续嵌套了超过 {MAX_NESTING} 层{what}，无法正常显示",
                      "正文只写普通的文字说明；请删掉这些重复的符号")



def parse_yaml(text: str, path: str, first_line: int) -> tuple[Any, list[Diagnostic]]:
    """The YAML root node of a front matter or an assessment file (None when it cannot be
    read) and its errors. The plain-words errors of precheck_yaml come first: then the
    repaired text is parsed only to find the file's other problems in the same run."""
    pre, repaired = precheck_yaml(text, path, first_line)
    # (without them, repaired differs from text only by what is accepted silently: a full-width
    # space after a key's colon)
    node, diags = yamlsafe.load(repaired, path, line_offset=first_line - 1)
    if pre:
        return (None if diags else node), pre
    return (None if diags else node), diags
