"""PyYAML's scanner, parser and reader errors in plain Chinese, each with its likely cause and line.

PyYAML (libyaml, or its pure-Python twin) says what it expected in English ("did not find
expected ',' or '}'"); staff need to hear what they typed: a Chinese comma or colon, a quote not
closed, a Tab, a value that starts with a sign YAML reserves. ``explain`` looks at the lines
around the error for those causes first, then names the error itself; no English reaches the
user. The table ``ERRORS`` lists every error libyaml and PyYAML raise while reading a file
(tests/test_yaml_errors.py holds an input for each).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from qsgen.core import lazyre

if TYPE_CHECKING:  # (PyYAML is imported where a document is parsed: core/yamlsafe.py)
    import yaml

QUOTE_HINT = "值以这个符号开头时，请给整个值加上英文引号，例如 title: \"@某某\""
_KEY = r"[A-Za-z_][\w-]*"
# A Chinese comma between two fields of a {…} or […]: "{score: 18，note: 缺签字}"
_CN_COMMA_FIELD = lazyre.compile(r"，(?=[ \t\u3000]*(" + _KEY + r")[ \t]*[:：])", re.ASCII)
_SECOND_FIELD = lazyre.compile(r"[，,][ \t\u3000]*(" + _KEY + r")[ \t]*$", re.ASCII)
_FULLWIDTH_COLON_KEY = lazyre.compile(r"^[ \t]*(?:-[ \t]+)?\{?[ \t]*(" + _KEY + r")[ \t]*：", re.ASCII)

_ESCAPE = ("双引号里的反斜杠“\\”后面跟了不认识的字符",
           "在双引号里“\\”要写成“\\\\”；或改用单引号，例如 path: 'C:\\文件\\通知.pdf'")
# Every error of reading YAML, by words of its problem (or context) as libyaml and PyYAML word
# it: (words, message, hint). The first row whose words are in "problem context" applies.
ERRORS: list[tuple[str, str, str]] = [
    ("tab character", "这一行用了制表符（Tab）缩进，YAML 只认空格", "把行首的 Tab 换成空格（每级两个空格）"),
    ("escape", _ESCAPE[0], _ESCAPE[1]),
    ("hexdecimal", _ESCAPE[0], _ESCAPE[1]),
    ("quoted scalar", "引号没有配对：从这里开始的引号没有结束",
     "在值的末尾补上同样的英文引号；值里本身要用引号时，请用中文引号“”"),
    ("block scalar", "值以“|”或“>”开头：YAML 把它当作多行文字的标记", QUOTE_HINT.replace("@某某", "> 说明")),
    ("undefined alias", "不支持 YAML 引用（*）", "如果值本身以 * 开头，请给整个值加上引号"),
    ("alias", "值以“*”开头：YAML 把它当作引用", QUOTE_HINT.replace("@某某", "*重要*")),
    ("anchor", "值以“&”开头：YAML 把它当作锚点", QUOTE_HINT.replace("@某某", "&说明")),
    ("tag", "值以“!”开头：YAML 把它当作类型标签", QUOTE_HINT.replace("@某某", "!紧急")),
    ("directive", "“%”开头的一行：YAML 把它当作指令", QUOTE_HINT.replace("@某某", "%说明")),
    ("YAML document", "“%”开头的一行：YAML 把它当作指令", QUOTE_HINT.replace("@某某", "%说明")),
    ("mapping keys are not allowed", "值以“?”开头：YAML 把它当作字段名的标记",
     QUOTE_HINT.replace("@某某", "? 问号")),
    ("mapping values are not allowed", "这一行多了一个冒号，或缩进不对",
     "如果值里本身有冒号，请给整个值加上引号，例如 title: \"会议: 安排部署\"；"
     "如果这是一个新字段，请让它与上一级字段左对齐"),
    ("found unexpected ':'", "括号里的值有冒号", "请给这个值加上引号，例如 {note: \"时间: 上午\"}"),
    ("block sequence entries are not allowed", "这里不能开始一个列表项“- ”",
     "列表项要另起一行，写在字段名的下一行并缩进；值本身以“-”开头时请加引号"),
    ("expected '-' indicator", "列表中的这一行缩进不对，或没有以“- ”开头",
     "列表的每一项以“- ”开头并对齐；同一项里的字段与“- ”后面第一个字段左对齐"),
    ("',' or ']'", "方括号“[”没有配对的“]”，或两项之间少了英文逗号“,”",
     "检查 [ 和 ] 是否成对；各项之间用英文逗号加空格分开，例如 [a.pdf, b.pdf]"),
    ("',' or '}'", "花括号“{”没有配对的“}”，或两个字段之间少了英文逗号“,”",
     "检查 { 和 } 是否成对；字段之间用英文逗号加空格分开，例如 {score: 9.5, note: 说明}"),
    ("flow node", "括号里多了一个逗号或符号", "括号里的各项之间只用一个英文逗号分开，例如 [a.pdf, b.pdf]"),
    ("could not find expected ':'", "这一行缺少英文冒号“:”，或上一行的缩进不对",
     "格式是 字段名: 值（冒号后要有一个空格）"),
    ("simple key", "这一行缺少英文冒号“:”，或上一行的缩进不对", "格式是 字段名: 值（冒号后要有一个空格）"),
    ("single document", "这里出现了第二个“---”（或“...”）",
     "字段区里只能有开头和结尾的一对 ---；评分文件和规则文件里不要写单独一行的 --- 或 ..."),
    ("document indicator", "这里出现了第二个“---”（或“...”）",
     "字段区里只能有开头和结尾的一对 ---；评分文件和规则文件里不要写单独一行的 --- 或 ..."),
    ("<document start>", "缩进不一致：这一行与上面的字段没有对齐", "同一级的字段要左对齐，列表项以“- ”开头并对齐"),
    ("<block end>", "缩进不一致：这一行与上面的字段没有对齐", "同一级的字段要左对齐，列表项以“- ”开头并对齐"),
    ("expected key", "缩进不一致：这一行与上面的字段没有对齐", "同一级的字段要左对齐，列表项以“- ”开头并对齐"),
    ("cannot start any token", "这里的符号不能作为值的开头", QUOTE_HINT),
    ("node content", "这里出现了多余的符号", "检查括号是否成对；值以 [ ] { } , 等符号开头时，请给整个值加上引号"),
    ("comment or", "值后面还有多余的文字", "值以引号或括号开头时，整个值都要在引号里"),
]
FALLBACK = ("这一行的写法无法读取", "检查这一行及上一行的缩进、冒号和引号；冒号、逗号、引号都要用英文的")


def explain(e: yaml.MarkedYAMLError, text: str, line: int, col: int) -> tuple[int, int, str, str]:
    """Where, in plain Chinese words, a PyYAML error is, with its likely cause as the hint:
    (line, col, message, hint). ``line``, ``col``: 1-based, where PyYAML noticed it."""
    lines = text.splitlines()
    found = _typed_in_chinese(lines, line, e)
    if found is not None:
        return found
    words = f"{e.problem or ''} {e.context or ''}"
    src = _line(lines, line)
    indent = src[:len(src) - len(src.lstrip(" \t"))]
    char = src[col - 1] if 0 < col <= len(src) else ""
    if "\t" in indent or char == "\t":
        return line, (indent.index("\t") if "\t" in indent else col - 1) + 1, *ERRORS[0][1:]
    key, message, hint = next((row for row in ERRORS if row[0] in words), ("", *FALLBACK))
    if key == "quoted scalar" and e.context_mark is not None:  # point at the opening quote
        return e.context_mark.line + 1, e.context_mark.column + 1, message, hint
    if key in ("',' or ']'", "',' or '}'", "could not find expected ':'") and e.context_mark is not None:
        opened = e.context_mark.line + 1
        if opened != line:  # noticed on a later line: the bracket (or key) started here is not closed
            return opened, e.context_mark.column + 1, message, hint
    if key in ("cannot start any token", "node content") and char.strip():
        message = f"这里的“{char}”不能作为值的开头" if key == "cannot start any token" else \
            f"这里多了一个“{char}”"
    if key in ("expected key", "<block end>", "node content", "comment or"):
        return (line, col, *_after_value(src, col, message, hint))
    if key == "mapping values are not allowed":
        before = src[:col - 1]
        second = _SECOND_FIELD.search(before)
        if second and flow_start(src) < 0:  # points: 10，max: 3
            return (line, second.start() + 1, f"一行只能写一个字段：“{second[1]}:”用逗号接在了上一个字段后面",
                    f"把“{second[1]}: …”另起一行，与上一个字段左对齐")
        if re.search(r":[ \t]", before):
            message, hint = ("值里有英文冒号加空格“: ”，YAML 把它当作又一个字段",
                             "请给整个值加上引号，例如 title: \"会议: 安排部署\"，或把冒号改成中文冒号“：”")
        elif _indent(src) > _indent(_previous(lines, line)):
            message, hint = ("这一行比上一行多缩进了，被当成了上一行的值的一部分",
                             "同一级的字段要左对齐：删掉这一行开头多余的空格")
    return line, col, message, hint


def explain_reader(e: yaml.reader.ReaderError, text: str) -> tuple[int, int, str, str]:
    """A character YAML refuses (a control character pasted from a web page or Word)."""
    pos = max(0, min(getattr(e, "position", 0) or 0, len(text)))
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    code = e.character if isinstance(e.character, int) else ord(e.character or "\0")
    return (line, col, f"这里有一个看不见的控制字符（U+{code:04X}），YAML 文件里不能有",
            "删掉它再保存（常见于从网页、Word 或微信复制来的文字）：把光标放在这个位置前后，按删除键，"
            "或把这一行删掉重新输入")


def _line(lines: list[str], n: int) -> str:
    return lines[n - 1] if 0 < n <= len(lines) else ""


def _previous(lines: list[str], n: int) -> str:
    """The last line before line ``n`` that is neither blank nor a comment."""
    for k in range(n - 1, 0, -1):
        src = _line(lines, k)
        if src.strip() and not src.lstrip().startswith("#"):
            return src
    return ""


def _indent(src: str) -> int:
    return len(src) - len(src.lstrip(" "))


def _typed_in_chinese(lines: list[str], line: int, e: yaml.MarkedYAMLError) -> tuple[int, int, str, str] | None:
    """The Chinese input habits that break YAML, on the line of the error or the two before it
    (PyYAML often notices them only on a later line): a full-width colon after a key, a Chinese
    comma between the fields of a {…}."""
    near = [line, line - 1, line - 2]
    if e.context_mark is not None and e.context_mark.line + 1 not in near:
        near.append(e.context_mark.line + 1)
    for n in near:
        src = _line(lines, n)
        if src.lstrip().startswith("#"):
            continue
        m = _FULLWIDTH_COLON_KEY.match(src)
        key = src.split(":", 1)[0]
        if m or "：" in key:
            at = m.end() if m else key.index("：") + 1
            return (n, at, "这一行用了中文冒号“：”，YAML 只认英文冒号“:”",
                    "把字段名后面的“：”改成英文冒号“:”，并在冒号后加一个空格，例如 title: 标题")
        comma = _chinese_comma(src)
        if comma is not None:
            return (n, comma.start() + 1, "这一行的括号里用了中文逗号“，”分隔字段，YAML 只认英文逗号“,”",
                    f"把这个“，”改成英文逗号加一个空格，写成“, {comma[1]}: …”；说明文字里的中文逗号不用改")
    return None


_OPENS_VALUE = lazyre.compile(r"(?:^[ \t]*(?:-[ \t]+)*|:[ \t]+|[\[{,][ \t]*)$")


def flow_start(src: str, brackets: str = "[{") -> int:
    """The index of the first bracket of ``brackets`` on the line ``src`` that opens a {…} or
    […] value (at the start of the line, after "key: ", "- ", "[" or ","; not one inside a
    text such as title: 甲{x}), or -1."""
    for i, ch in enumerate(src):
        if ch in brackets and _OPENS_VALUE.search(src, 0, i):
            return i
    return -1


def _chinese_comma(src: str) -> re.Match | None:
    """A Chinese comma used between two fields inside {…} or […] on a line (group 1: the
    field after it)."""
    if "，" not in src:
        return None
    opened = flow_start(src)
    return _CN_COMMA_FIELD.search(src, opened) if opened >= 0 else None


def _after_value(src: str, col: int, message: str, hint: str) -> tuple[str, str]:
    """An error noticed in the middle of a line, after a value: text after a quoted or bracketed
    value (title: "他说"好""), a bracket too many; at the start of a line: its indentation."""
    before = src[:col - 1].rstrip()
    char = src[col - 1:col]
    if not before.strip(" -"):  # at the start of the line
        if char == "-":
            return ("这里不能开始一个列表项“- ”",
                    "列表要写在一个字段名下面，并比它多缩进两个空格，例如：\n      adopted_by:\n"
                    "        - {outlet: 人民网, level: 国家级}")
        if char == ":":
            return ("这一行以冒号开头，缺少字段名", "格式是 字段名: 值")
        return message, hint
    if char in "]}":
        return (f"这里多了一个“{char}”", "检查括号是否成对：每个 [ 对应一个 ]，每个 { 对应一个 }")
    last = before[-1:]
    if last in "\"'":
        return ("引号在值的中间就结束了：引号里又用了同样的引号，或引号后面还有文字",
                "值里要用引号时请用中文引号“”，或外面换另一种引号，例如 title: '他说\"好\"'；"
                "引号后面的文字也要放进引号里")
    if last in "]}":
        return ("括号后面还有文字：YAML 把以“[”或“{”开头的值当作列表或字段组",
                "请给整个值加上引号，例如 title: \"[重要] 会议\"，或改用中文括号【】")
    return message, hint
