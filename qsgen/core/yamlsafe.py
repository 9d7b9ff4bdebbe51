"""YAML as text with line marks: no tags, no anchors or aliases, no duplicate keys.

Every scalar comes out as the text the user wrote (``outlet: no`` is "no", ``case_no: 010``
is "010", ``fine: 12000.50`` keeps its digits); converting text to a date, a number or a
boolean is the job of the field's declared type (qsgen/fields.py, qsgen/rules.py).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from qsgen.core import lazyre
from qsgen.core.errors import Diagnostic
from qsgen.core.yamlerrors import FALLBACK, explain, explain_reader

if TYPE_CHECKING:
    import yaml


def _loader() -> Any:
    """The loader yaml.compose is given (PyYAML imported here, on the first document that is
    not flat: an incremental build reads most front matter without it, see _flat)."""
    loader = globals().get("_Loader")
    if loader is not None:
        return loader
    import yaml

    default_tags = {
        yaml.ScalarNode: "tag:yaml.org,2002:str",
        yaml.SequenceNode: "tag:yaml.org,2002:seq",
        yaml.MappingNode: "tag:yaml.org,2002:map",
    }
    try:  # libyaml makes composing ~10x faster; the pure-Python loader is the fallback
        class _FastLoader(yaml.CBaseLoader):  # type: ignore[misc,valid-type,name-defined]
            """CBaseLoader without its per-node Python resolver calls (BaseResolver has no
            implicit or path resolvers, so every untagged node gets the default tag anyway)."""

            def resolve(self, kind, value, implicit):  # noqa: ARG002
                return default_tags[kind]

            def descend_resolver(self, parent, index):  # noqa: ARG002
                return None

            def ascend_resolver(self):
                return None

        loader = _FastLoader
    except AttributeError:  # pragma: no cover - depends on how PyYAML was built
        loader = yaml.BaseLoader
    globals()["_Loader"] = loader
    return loader


def __getattr__(name: str) -> Any:
    if name == "_Loader":  # (tests compose with it, or put another in its place)
        return _loader()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


class Node:
    """A YAML value with where it was written (1-based line and column)."""

    __slots__ = ("value", "line", "col", "key_line", "quoted")

    def __init__(self, value: Any, line: int, col: int, key_line: int | None = None,
                 quoted: bool = False) -> None:
        self.value = value  # str | list[Node] | dict[str, Node]
        self.line = line
        self.col = col
        self.key_line = key_line if key_line is not None else line
        self.quoted = quoted

    @property
    def is_scalar(self) -> bool:
        return isinstance(self.value, str)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    def plain(self) -> Any:
        """The value as plain str / list / dict, without marks."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value

    def __repr__(self) -> str:
        return f"Node({self.value!r}, line={self.line})"


class _Refused(Exception):
    def __init__(self, line: int, col: int, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.line, self.col, self.message, self.hint = line, col, message, hint


def load(text: str, path: str, line_offset: int = 0) -> tuple[Node | None, list[Diagnostic]]:
    """Parse one YAML document. ``line_offset`` is added to every line (front matter
    starts after the opening ``---``). Returns (None, diagnostics) on any error."""
    flat = _flat(text, line_offset)
    if flat is not None:
        return flat, []
    import yaml

    loader = _loader()
    try:
        _refuse_deep_nesting(text)
        if "&" in text or "*" in text:
            _refuse_anchors(text, loader)
        root = yaml.compose(text, Loader=loader)
        if root is None:
            return None, []
        return _convert(root, None, set(), line_offset), []
    except _Refused as e:
        return None, [Diagnostic(path, e.line + line_offset, e.col, e.message, e.hint)]
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = (mark.line + 1) if mark else 1
        col = (mark.column + 1) if mark else 1
        line, col, message, hint = explain(e, text, line, col)
        return None, [Diagnostic(path, line + line_offset, col, message, hint)]
    except yaml.reader.ReaderError as e:  # a control character
        line, col, message, hint = explain_reader(e, text)
        return None, [Diagnostic(path, line + line_offset, col, message, hint)]
    except yaml.YAMLError:  # pragma: no cover - every error PyYAML raises is one of the above
        return None, [Diagnostic(path, 1 + line_offset, 1, FALLBACK[0], FALLBACK[1])]


# The common front matter: lines of ``key: text``, ``key: "text"`` or ``key: [a, b]``, and a
# ``key:`` line over a list of such mappings (``  - outlet: …`` / ``    level: …``) only (no blank line,
# comment, indentation, escape, flow or block collection, anchor, tag or anything else YAML
# treats specially). Such a document is read without the YAML parser: a mapping of scalars, as
# yaml.compose gives it (tests/test_yamlsafe.py holds the two to the same Node trees and line
# marks); anything else, or a key written twice, goes through the parser. Never in a value:
# what libyaml does not take as printable or takes as a line break (C0/C1 controls, U+2028/9,
# surrogates, U+FFFE/F) and the BOM; unquoted, also ``#`` ``:`` ``&`` ``*`` anywhere, an
# indicator or a space first, a space last; quoted, ``"`` and ``\\`` inside.
_NEVER = "\x00-\x1f\x7f-\x9f\ufeff\u2028\u2029\ud800-\udfff\ufffe\uffff"
_BAD = _NEVER + "#&*:"
# Also ``key: [a, b]``: a flow sequence of plain scalars without spaces, ``, `` between them
# (never ``,`` ``[`` ``]`` ``{`` ``}`` in an item; an item starts as a plain value does).
_ITEM = rf"[^{_BAD} \-?,\[\]{{}}!|>'\"%@`][^{_BAD} ,\[\]{{}}]*"
_FLAT_LINE = re.compile(rf"([A-Za-z_][A-Za-z0-9_]{{0,63}}): (?:([^{_BAD} \-?,\[\]{{}}!|>'\"%@`](?:[^{_BAD}]*[^{_BAD} ])?)"
                        rf"|\"([^{_NEVER}\"\\\\]*)\"|\[((?:{_ITEM}(?:, {_ITEM})*)?)\])")


_BLOCK_KEY = lazyre.compile(r"([A-Za-z_][A-Za-z0-9_]{0,63}): *")  # (a key whose value is the lines below it)


def _flat(text: str, off: int) -> Node | None:
    """``text`` read as flat ``key: text`` lines (see _FLAT_LINE), or a ``key:`` line with a
    list of flat mappings below it (_flat_items); None when it is not only that."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if not lines:
        return None
    mapping: dict[str, Node] = {}
    match = _FLAT_LINE.fullmatch
    j, count = 0, len(lines)
    while j < count:
        line = lines[j]
        i = j + 1 + off
        m = match(line)
        if m is None:
            m = _BLOCK_KEY.fullmatch(line)
            if m is None or m[1] in mapping:
                return None
            key = m[1]
            items, j = _flat_items(lines, j + 1, off)
            if not items:
                return None
            mapping[key] = Node(items, items[0].line, 3, i)
            continue
        j += 1
        key, value, quoted, _flow = m.groups()
        if key in mapping:
            return None  # (the parser's error names both lines)
        if value is not None:
            mapping[key] = Node(value, i, len(key) + 3, i)  # (the value starts after "key: ")
        elif quoted is not None:  # "quoted"
            mapping[key] = Node(quoted, i, len(key) + 3, i, quoted=True)
        else:  # [a, b]
            col = m.start(4) + 1
            items = []
            if m[4]:
                for item in m[4].split(", "):
                    items.append(Node(item, i, col, i))
                    col += len(item) + 2
            mapping[key] = Node(items, i, m.start(4), i)
    return Node(mapping, 1 + off, 1)


def _flat_items(lines: list[str], j: int, off: int) -> tuple[list[Node] | None, int]:
    """From ``lines[j]`` on: a block list of mappings of scalars, each item ``  - key: text``
    and then ``    key: text`` lines (the values as in _FLAT_LINE, not ``[…]``), as yaml.compose
    reads it; and the index of the line after it. None: anything else there."""
    items: list[Node] = []
    item: dict[str, Node] = {}
    match = _FLAT_LINE.fullmatch
    while j < len(lines):
        line = lines[j]
        i = j + 1 + off
        if line.startswith("  - "):
            item = {}
            items.append(Node(item, i, 5, i))
        elif not (items and line.startswith("    ")):
            break
        m = match(line, 4)
        if m is None or m[1] in item or m[4] is not None:
            return None, j
        if m[2] is not None:
            item[m[1]] = Node(m[2], i, m.start(2) + 1, i)
        else:
            item[m[1]] = Node(m[3], i, m.start(3), i, quoted=True)
        j += 1
    return items, j


MAX_DEPTH = 64  # far beyond any real file; deeper nesting crashes libyaml's composer (C stack)
_DEEP_BLOCK_RE = lazyre.compile(rf"^[ \t]{{{4 * MAX_DEPTH},}}\S|(?:-[ \t]+){{{MAX_DEPTH},}}", re.M)


def _refuse_deep_nesting(text: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before parsing: a few KB of ``[[[[…`` or
    ``- - - …`` would otherwise overflow the stack (RecursionError or a segfault)."""
    pos = None
    if text.count("[") + text.count("{") > MAX_DEPTH:
        depth = 0
        for i, ch in enumerate(text):
            if ch == "[" or ch == "{":
                depth += 1
                if depth > MAX_DEPTH:
                    pos = i
                    break
            elif (ch == "]" or ch == "}") and depth:
                depth -= 1
    if pos is None:
        m = _DEEP_BLOCK_RE.search(text)
        pos = m.start() if m else None
    if pos is not None:
        line = text.count("\n", 0, pos) + 1
        raise _Refused(line, pos - (text.rfind("\n", 0, pos) + 1) + 1,
                       f"嵌套层数太多（超过 {MAX_DEPTH} 层），无法读取",
                       "字段只需要一两层缩进或括号；请删掉多余的 [ { 或 - 以及过深的缩进")


def _refuse_anchors(text: str, loader: Any) -> None:
    import yaml

    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            m = event.start_mark
            raise _Refused(
                m.line + 1, m.column + 1,
                "不支持 YAML 锚点和引用（& 和 *）",
                "请把内容直接写出来；如果值本身以 & 或 * 开头，请给整个值加上引号",
            )


def _convert(node: yaml.Node, key_line: int | None, seen: set[int], off: int) -> Node:
    import yaml

    if id(node) in seen:  # an alias that slipped through: never expand shared nodes
        raise _Refused(node.start_mark.line + 1, node.start_mark.column + 1,
                       "不支持 YAML 引用（*）", "请把内容直接写出来")
    line, col = node.start_mark.line + 1 + off, node.start_mark.column + 1
    if node.tag not in _PLAIN_TAGS:
        raise _Refused(line - off, col, f"不支持 YAML 标签 {node.tag.replace('tag:yaml.org,2002:', '!!')}",
                       "请删除以 ! 开头的标签，只写普通的值；这类标签可能被用来执行代码，一律拒绝")
    if isinstance(node, yaml.ScalarNode):
        return Node(node.value, line, col, key_line, quoted=node.style in ("'", '"'))
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(v, None, seen, off) for v in node.value], line, col, key_line)
    mapping: dict[str, Node] = {}
    first_line: dict[str, int] = {}
    for k, v in node.value:
        if not isinstance(k, yaml.ScalarNode):
            raise _Refused(k.start_mark.line + 1, k.start_mark.column + 1,
                           "字段名必须是普通文字", "请检查这一行的写法：字段名: 值")
        kline = k.start_mark.line + 1 + off
        if k.value in mapping:
            raise _Refused(kline - off, k.start_mark.column + 1,
                           f"字段“{k.value}”写了两次（第一次在第 {first_line[k.value]} 行）",
                           "同一个字段只能出现一次，请删掉其中一个")
        first_line[k.value] = kline
        mapping[k.value] = _convert(v, kline, seen, off)
    return Node(mapping, line, col, key_line)
