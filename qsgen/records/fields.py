"""Converting one field's text to its typed, canonical value, with Chinese errors and hints."""

from __future__ import annotations

import datetime as _dt
import os
import posixpath
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from qsgen.core import lazyre, numbers
from qsgen.core.errors import Diagnostic
from qsgen.core.hints import did_you_mean, fold, nearest  # noqa: F401 (re-exported)
from qsgen.core.kinds import LEVEL_ALIASES, FieldSpec
from qsgen.core.model import LEVEL_NAMES
from qsgen.records.text import name_problem
from qsgen.repo.files import ATTACHMENT_LIMIT, megabytes, resolve_file

# Returned by a converter when the value is wrong (an error has been reported) ...
INVALID: Any = type("Invalid", (), {"__repr__": lambda self: "INVALID"})()
# ... or when an optional field was left empty (treated as not given).
ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()

_INT_RE = lazyre.compile(r"[+-]?\d+", re.ASCII)
_DECIMAL_RE = lazyre.compile(r"[+-]?\d+(?:\.\d+)?", re.ASCII)
_DATE_RE = re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})", re.ASCII)
# Also unambiguous, so accepted: year first, the same separator twice (2023/6/2, 2023.6.2,
# 2023-6-2) or 年月日 (2023年6月2日). Day-first or two-digit years (6/2/2023, 23.6.2) are not.
_YMD_RE = lazyre.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})", re.ASCII)
_CJK_DATE_RE = lazyre.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?", re.ASCII)
_LOOSE_DATE_RE = lazyre.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?", re.ASCII)
_TRUE = {"true", "yes", "on", "y", "是", "对", "真"}
_FALSE = {"false", "no", "off", "n", "否", "不是", "假"}


@dataclass
class FieldContext:
    """What a converter may need besides the text: where to report, the rules' data."""

    path: str  # repository-relative POSIX path of the file being read
    diagnostics: list[Diagnostic]
    case_categories: dict[str, str] = field(default_factory=dict)  # alias -> canonical
    period: tuple[_dt.date, _dt.date] | None = None  # dates outside are errors
    root: str | None = None  # repository root (file system), for attachments
    record_dir: str = ""  # repository-relative directory of the record, for attachments
    records_real: str | None = None  # realpath of <root>/records
    errors: int = 0
    real_dirs: dict[str, str] | None = None  # shared by the files of a load (resolve_file)

    def error(self, node: Any, message: str, hint: str = "", line: int | None = None) -> None:
        ln = line if line is not None else getattr(node, "line", 1)
        col = getattr(node, "col", 1) if line is None else 1
        self.diagnostics.append(Diagnostic(self.path, max(1, ln), max(1, col), message, hint))
        self.errors += 1


def describe(name: str, spec: FieldSpec) -> str:
    """How a field is named in messages: ``fine（罚没款（元））``."""
    return f"{name}（{spec.label}）" if spec.label else name


_CONTROL_CHARS = lazyre.compile(r"[\x00-\x1f\x7f]")


def quote(text: str, limit: int = 40) -> str:
    """User text in a message: “text”, cut at ``limit`` characters, control characters written
    as \\n, \\t (one diagnostic stays one line)."""
    text = text if len(text) <= limit else text[:limit] + "…"
    return f"“{_CONTROL_CHARS.sub(lambda m: m.group().encode('unicode_escape').decode('ascii'), text)}”"


def cut_by_comma(key: str, node: Any, field: str = "note") -> str:
    """The hint for an unknown field that is most likely the rest of a text cut at an English
    comma inside {…} ({score: 18, note: 缺签字, 扣2分}: "扣2分" with no value), else ""."""
    if key.isascii() or not isinstance(node.value, str) or node.value or node.quoted:
        return ""
    return (f"{{ }} 里的英文逗号“,”用来分隔字段，所以逗号后面的{quote(key)}被当成了字段名。"
            f"文字里要有逗号时请用中文逗号“，”，或给整段文字加上引号，例如 {field}: \"缺签字, {key}\"")


def normalise(text: str) -> str:
    """The text as NFKC without surrounding spaces: full-width digits, letters, points and
    spaces typed with a Chinese input method become their ASCII forms (１２０００ → 12000)."""
    return unicodedata.normalize("NFKC", text).strip()


# ------------------------------------------------------------------ helpers


def _scalar(name: str, spec: FieldSpec, node: Any, ctx: FieldContext) -> str | Any:
    """The node's text, or INVALID (reported) when it is a list or a mapping. (The converters
    test for a str themselves and call this only for what is not: a call less a field.)"""
    if isinstance(node.value, str):
        return node.value
    what = "一个列表" if isinstance(node.value, list) else "多个子字段"
    ctx.error(node, f"{describe(name, spec)}应当只写一个值，这里写成了{what}",
              f"写成一行：{name}: 值" + (f"（{spec.help}）" if spec.help else ""))
    return INVALID


def _number_hint(text: str, integer: bool = False, example: str = "12000") -> str:
    """A plain-words hint for a number written with units, commas or 万."""
    t = unicodedata.normalize("NFKC", text).strip()
    t = t.replace(",", "").replace("，", "").replace(" ", "")
    for mark in ("人民币", "¥", "￥", "RMB", "rmb"):
        t = t.replace(mark, "")
    for unit in ("元整", "元", "块", "分", "人次", "人", "次", "件", "家", "%", "个"):
        if t.endswith(unit):
            t = t[: -len(unit)]
            break
    times = 1
    if t.endswith("万"):
        t, times = t[:-1], 10000
    elif t.endswith("千"):
        t, times = t[:-1], 1000
    value = None
    if len(t) <= 40:  # (1e1000000 or 5,000 digits: no number worth suggesting)
        try:
            value = Decimal(t) * times
        except ArithmeticError:  # InvalidOperation, Overflow
            value = None
        if value is None and re.fullmatch(r"\d+/[1-9]\d*", t):  # a fraction such as 27/2
            num, den = (int(x) for x in t.split("/"))
            q = Decimal(num) / Decimal(den)
            if q * den == num:
                value = q
    if value is not None and value.is_finite() and not numbers.too_long(_plain(value)):
        if integer:
            if value == value.to_integral_value():
                return f"请只写数字，如 {int(value)}"
        else:
            return f"请只写数字，不写单位、逗号或“万”，如 {_plain(value)}"
    return f"请只写阿拉伯数字，如 {example}" if not integer else "请只写整数，如 3"


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros after the point: 12000, 12000.5."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# --------------------------------------------------------------- converters
# Each converter: (name, spec, node, ctx) -> value | INVALID. Empty values are handled by
# ``convert`` before the converter runs.


def conv_text(name: str, spec: FieldSpec, node: Any, ctx: FieldContext) -> Any:
    text = node.value
    if not isinstance(text, str):
        return _scalar(name, spec, node, ctx)  # (INVALID, reported)
    if name == "url":
        low = text.strip().lower()
        if not (low.startswith("http://") or low.startswith("https://")):
            ctx.error(node, f"{describe(name, spec)}不是网址：{quote(text)}",
                      "请写以 http:// 或 https:// 开头的完整网址")
            return INVALID
    return text


_DAYS: dict[str, _dt.date] = {}  # a date as written -> the date (records share their dates)


def conv_date(name: str, spec: FieldSpec, node: Any, ctx: FieldContext) -> Any:
    text = node.value
    if not isinstance(text, str):
        return _scalar(name, spec, node, ctx)  # (INVALID, reported)
    value = _DAYS.get(text)
    if value is None:
        value = _date(name, spec, node, ctx, text)
        if value is INVALID:
            return INVALID
        if len(_DAYS) < 10_000:
            _DAYS[text] = value
    if ctx.period and not (ctx.period[0] <= value <= ctx.period[1]):
        start, end = ctx.period
        ctx.error(node, f"{describe(name, spec)}写的是 {value.isoformat()}，不在考核期 "
                        f"{start.isoformat()} 至 {end.isoformat()} 之内",
                  "请检查年份；考核期以外的工作不计入本年度考核")
        return INVALID
    return value


def _date(name: str, spec: FieldSpec, node: Any, ctx: FieldContext, text: str) -> Any:
    """The date ``text`` means (a function of the text alone), or INVALID (reported)."""
    t = normalise(text)
    m = _DATE_RE.fullmatch(t) or _YMD_RE.fullmatch(t) or _CJK_DATE_RE.fullmatch(t)
    if not m:
        loose = _LOOSE_DATE_RE.fullmatch(t)
        hint = "格式为 年-月-日，如 2023-06-02"
        if loose:
            y, mo, d = (int(g) for g in loose.groups())
            hint = f"请写成 {y:04d}-{mo:02d}-{d:02d}（年-月-日，月和日都写两位）"
        ctx.error(node, f"{describe(name, spec)}不是日期：{quote(text)}", hint)
        return INVALID
    try:
        value = _dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        ctx.error(node, f"{describe(name, spec)}不是真实存在的日期：{quote(text)}",
                  "请检查月份（1–12）和这个月的天数")
        return INVALID
    return value


def _range_check(name: str, spec: FieldSpec, node: Any, ctx: FieldContext, value, text: str) -> bool:
    if spec.min is not None and value < spec.min:
        if spec.min == 0:
            msg = f"{describe(name, spec)}不能是负数：{quote(text)}"
        else:
            msg = f"{describe(name, spec)}不能小于 {spec.min}：{quote(text)}"
        ctx.error(node, msg, _range_hint(spec))
        return False
    if spec.max is not None and value > spec.max:
        ctx.error(node, f"{describe(name, spec)}不能大于 {spec.max}：{quote(text)}", _range_hint(spec))
        return False
    return True


def _absurd(name: str, spec: FieldSpec, node: Any, ctx: FieldContext, t: str, text: str) -> bool:
    """A number with more digits than any real one: reported (True)."""
    problem = numbers.too_long(t)
    if problem:
        ctx.error(node, f"{describe(name, spec)}{problem}：{quote(text)}", numbers.HINT)
    return bool(problem)


def _range_hint(spec: FieldSpec) -> str:
    if spec.min is not None and spec.max is not None:
        return f"请填 {spec.min} 到 {spec.max} 之间的数"
    if spec.min is not None:
        return f"请填不小于 {spec.min} 的数"
    return f"请填不大于 {spec.max} 的数"


def conv_int(name: str, spec: FieldSpec, node: Any, ctx: FieldContext) -> Any:
    text = node.value
    if not isinstance(text, str):
        return _scalar(name, spec, node, ctx)  # (INVALID, reported)
    t = normalise(text)
    if not _INT_RE.fullmatch(t):
        if _DECIMAL_RE.fullmatch(t):
            ctx.error(node, f"{describe(name, spec)}应为整数，这里写的是{quote(text)}", "请写整数，不带小数点")
        else:
            ctx.error(node, f"{describe(name, spec)}应为整数，这里写的是{quote(text)}",
                      _number_hint(t, integer=True))
        return INVALID
    if _absurd(name, spec, node, ctx, t, text):
        return INVALID
    value = int(t)
    if not _range_check(name, spec, node, ctx, value, text):
        return INVALID
    return value


def conv_decimal(name: str, spec: FieldSpec, node: Any, ctx: FieldContext) -> Any:
    text = node.value
    if not isinstance(text, str):
        return _scalar(name, spec, node, ctx)  # (INVALID, reported)
    t = normalise(text)
    if spec.percent and t.endswith("%"):  # rate: 96.5% means 96.5 (％ is % after NFKC)
        t = t[:-1].rstrip()
    if not _DECIMAL_RE.fullmatch(t):
        example = "12000" if "元" in spec.label else "9.5"
        ctx.error(node, f"{describe(name, spec)}应为数字，这里写的是{quote(text)}", _number_hint(t, example=example))
        return INVALID
    if _absurd(name, spec, node, ctx, t, text):
        return INVALID
    value = Decimal(t)
    if value.is_zero():
        value = abs(value)  # "-0" is 0
    if spec.places is not None and value.as_tuple().exponent < -spec.places:
        step = Decimal(1).scaleb(-spec.places)
        try:
            kept = value.quantize(step, rounding=ROUND_DOWN)
        except InvalidOperation:  # more digits than any amount of money has
            kept = None
        if kept != value:
            ctx.error(node, f"{describe(name, spec)}最多写到小数点后 {spec.places} 位，这里写的是{quote(text)}",
                      ("金额记到分为止（分以下不记）" if "元" in spec.label else f"最多保留 {spec.places} 位小数")
                      + (f"，如 {kept}" if kept is not None else ""))
            return INVALID
        value = kept  # 12000.500 is 12000.50
    if not _range_check(name, spec, node, ctx, value, text):
        return INVALID
    return value


def conv_bool(name: str, spec: FieldSpec, node: Any, ctx: FieldContext) -> Any:
    text = node.value
    if not isinstance(text, str):
        return _scalar(name, spec, node, ctx)  # (INVALID, reported)
    t = fold(text)
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    ctx.error(node, f"{describe(name, spec)}只能是 true 或 false，这里写的是{quote(text)}",
              "是写 true，不是写 false（或者删掉这一行）")
    return INVALID


_FOLDED_CHOICES: dict[int, tuple[dict, dict[str, str]]] = {}


def _folded(choices: dict[str, str]) -> dict[str, str]:
    cached = _FOLDED_CHOICES.get(id(choices))
    if cached is None or cached[0] is not choices:
        cached = (choices, {fold(k): v for k, v in choices.items()})
        _FOLDED_CHOICES[id(choices)] = cached
    return cached[1]


def choices_text(choices: dict[str, str]) -> str:
    """The allowed values of an enum, canonical first with its other spellings."""
    groups: dict[str, list[str]] = {}
    for alias, canon in choices.items():
        groups.setdefault(canon, [])
        if alias != canon:
            groups[canon].append(alias)
    if choices is LEVEL_ALIASES or set(groups) == set(LEVEL_NAMES):
        return "、".join(f"{LEVEL_NAMES[c]}（{c}）" for c in LEVEL_NAMES)
    parts = []
    for canon, aliases in groups.items():
        shown = [a for a in aliases if not a.isdigit()][:2]
        parts.append(f"{canon}（{'、'.join(shown)}）" if shown else canon)
    return "、".join(parts)


def conv_enum(name: str, spec: FieldSpec, node: Any, ctx: FieldContext) -> Any:
    text = node.value
    if not isinstance(text, str):
        return _scalar(name, spec, node, ctx)  # (INVALID, reported)
    choices = ctx.case_categories if spec.choices == "case_category" else spec.choices
    if not isinstance(choices, dict):  # a FieldSpec without choices: accept the text
        return text
    value = choices.get(text)
    if value is None:
        value = _folded(choices).get(fold(text))
    if value is not None:
        return value
    if spec.choices == "case_category":
        options = "、".join(dict.fromkeys(choices.values()))
    else:
        options = choices_text(choices)
    hint = f"可以填：{options}"
    if spec.help and isinstance(spec.choices, dict) and all(k == v for k, v in spec.choices.items()):
        hint += f"（{spec.help}）"  # bare codes such as B1..B4: say what each one means
    best = nearest(text, list(choices), cutoff=0.5)
    if best:
        hint = f"是不是想写 {best}？" + hint
    ctx.error(node, f"{describe(name, spec)}不能是{quote(text)}", hint)
    return INVALID


def conv_path_list(name: str, spec: FieldSpec, node: Any, ctx: FieldContext) -> Any:
    items = node.value if isinstance(node.value, list) else [node]
    out = []
    ok = True
    for item in items:
        if not isinstance(item.value, str):
            ctx.error(item, f"{describe(name, spec)}的每一项应是一个文件路径",
                      "每行写一个：  - files/决定书.pdf")
            ok = False
            continue
        path = check_attachment(item, ctx)
        if path is INVALID:
            ok = False
        elif path is not ABSENT:
            out.append(path)
    return out if ok else INVALID


def conv_repo_paths(name: str, spec: FieldSpec, node: Any, ctx: FieldContext) -> Any:
    """Repository paths (from the root, POSIX) of files of the record's year: they need not
    exist (a correction may name a file it removed), but may not leave rules/<year>/ or
    records/<year>/."""
    items = node.value if isinstance(node.value, list) else [node]
    year = ctx.path.split("/")[1] if ctx.path.count("/") >= 2 else ""
    out = []
    for item in items:
        text = item.value if isinstance(item.value, str) else None
        path = posixpath.normpath(text.strip().replace("\\", "/")) if text and text.strip() else ""
        if not path or path.startswith(("/", "..")) or not (
                path.startswith(f"records/{year}/") or path.startswith(f"rules/{year}/")):
            ctx.error(item, f"{describe(name, spec)}的每一项应是本年度的一个文件，从仓库根目录写起",
                      f"例如：- records/{year}/longgang/assessment.yaml 或 - rules/{year}/adjustments.yaml")
            return INVALID
        out.append(path)
    return out


_ADOPTED_KEYS = {"outlet": FieldSpec("text", True, label="采用媒体"),
                 "level": FieldSpec("enum", True, LEVEL_ALIASES, label="级别")}


def conv_adopted_by(name: str, spec: FieldSpec, node: Any, ctx: FieldContext) -> Any:
    example = "写成列表，每项一行：\n      - {outlet: 山西日报, level: 省级}"
    if not isinstance(node.value, list):
        ctx.error(node, f"{describe(name, spec)}应是一个列表", example)
        return INVALID
    out = []
    ok = True
    for item in node.value:
        if not isinstance(item.value, dict):
            ctx.error(item, f"{describe(name, spec)}的每一项应写明 outlet 和 level", example)
            ok = False
            continue
        entry: dict[str, Any] = {}
        for key, sub in item.value.items():
            kspec = _ADOPTED_KEYS.get(key)
            if kspec is None:
                ctx.error(sub, f"{describe(name, spec)}中不认识的字段{quote(key)}",
                          cut_by_comma(key, sub, "outlet").replace("缺签字", "人民日报")
                          or (did_you_mean(key, _ADOPTED_KEYS) or "") + "每项只写 outlet（媒体）和 level（级别）",
                          line=sub.key_line)
                ok = False
                continue
            v = convert(key, kspec, sub, ctx)
            if v is INVALID:
                ok = False
            elif v is not ABSENT:
                entry[key] = v
        for key, kspec in _ADOPTED_KEYS.items():
            if key not in entry and key not in item.value:
                ctx.error(item, f"{describe(name, spec)}的这一项缺少 {describe(key, kspec)}", example)
                ok = False
        if ok:
            out.append({"outlet": entry["outlet"], "level": entry["level"]})
    return out if ok else INVALID


CONVERTERS: dict[str, Callable[[str, FieldSpec, Any, FieldContext], Any]] = {
    "text": conv_text,
    "date": conv_date,
    "int": conv_int,
    "decimal": conv_decimal,
    "bool": conv_bool,
    "enum": conv_enum,
    "path_list": conv_path_list,
    "adopted_by": conv_adopted_by,
    "repo_paths": conv_repo_paths,
}


def convert(name: str, spec: FieldSpec, node: Any, ctx: FieldContext) -> Any:
    """The typed value of one field; INVALID after reporting, ABSENT for an empty optional one."""
    value = node.value
    if not (value.strip() if isinstance(value, str) else value):  # "", " ", [] or {}
        if spec.required:
            ctx.error(node, f"{describe(name, spec)}没有填写",
                      spec.help or "请在冒号后面填写内容", line=node.key_line)
            return INVALID
        return ABSENT
    return CONVERTERS[spec.type](name, spec, node, ctx)


# -------------------------------------------------------------- attachments

_DIGITS_RE = lazyre.compile(r"\d+", re.ASCII)


def nearest_file(name: str, names: list[str]) -> str | None:
    """The file in ``names`` that ``name`` probably meant: a close name carrying the same numbers.

    news-0103-xian.md and news-0918-xian.md look alike but are two different reports: a name whose
    numbers (dates, serial numbers) differ is never suggested."""
    def numbers(text: str) -> tuple[int, ...]:
        return tuple(int(n) for n in _DIGITS_RE.findall(unicodedata.normalize("NFKC", text)))

    wanted = numbers(name)
    return nearest(name, sorted(n for n in names if numbers(n) == wanted and not n.startswith(".")),
                   cutoff=0.6)


def check_attachment(node: Any, ctx: FieldContext) -> Any:
    """A repository-relative path for an attachment, or INVALID (reported)."""
    text = node.value.strip()
    if not text:
        return ABSENT
    if "://" in text or text.lower().startswith(("mailto:", "javascript:", "data:")):
        ctx.error(node, f"附件应是仓库里的文件，不能是网址：{quote(text)}",
                  "网址请写在 url 字段或正文里；附件请放进 records/ 下并写相对路径")
        return INVALID
    if "\\" in text:
        ctx.error(node, f"附件路径请用“/”分隔，不要用“\\”：{quote(text)}",
                  "例如 files/决定书.pdf")
        return INVALID
    bad = name_problem(text)
    if bad is not None:
        ctx.error(node, f"附件{bad[0]}", bad[1])
        return INVALID
    if text.startswith("/") or re.match(r"[A-Za-z]:", text):
        ctx.error(node, f"附件路径应相对于本记录所在的文件夹：{quote(text)}",
                  "例如 files/决定书.pdf（不要以 / 或盘符开头）")
        return INVALID
    joined = posixpath.normpath(posixpath.join(ctx.record_dir, text))
    if not (joined + "/").startswith("records/") or joined == "records":
        ctx.error(node, f"附件路径跑到了 records/ 文件夹之外：{quote(text)}",
                  "附件必须放在 records/ 之内，请把文件移进来并改写路径")
        return INVALID
    if ctx.root is None:
        return joined
    full = os.path.join(ctx.root, *joined.split("/"))
    # (os.path.realpath(full) and whether it is a file, its folder resolved once a load: an
    # attachment cost ~47 us in ~14 system calls, one per component of its path; 10k corpus)
    if ctx.real_dirs is None:
        ctx.real_dirs = {}
    try:
        real, regular = resolve_file(ctx.root, joined, ctx.real_dirs)
        gone = False
    except OSError:  # not there, or a link to nothing
        real, regular, gone = full, False, True
    if gone and not os.path.lexists(full):
        folder = os.path.dirname(full)
        hint = "请检查文件名（包括大小写和扩展名）和路径，并确认附件已经提交"
        try:
            near = nearest_file(os.path.basename(full), os.listdir(folder))
        except OSError:
            near = None
        if near:
            hint = f"同一文件夹里有 {near}，是不是它？" + hint
        ctx.error(node, f"附件不存在：{quote(text)}", hint)
        return INVALID
    if gone:
        ctx.error(node, f"附件是一个失效的链接（指向的文件不存在）：{quote(text)}",
                  "请把真正的文件放进 records/ 之内，不要用链接")
        return INVALID
    records_real = ctx.records_real or os.path.realpath(os.path.join(ctx.root, "records"))
    if not (real + os.sep).startswith(records_real + os.sep):
        ctx.error(node, f"附件是指向 records/ 之外的链接（符号链接）：{quote(text)}",
                  "请把真正的文件复制到 records/ 之内，不要用链接")
        return INVALID
    if not regular:
        ctx.error(node, f"附件应是一个文件，这里是文件夹或其他东西：{quote(text)}",
                  "请写到具体的文件，如 files/决定书.pdf")
        return INVALID
    size = os.path.getsize(real)
    if size > ATTACHMENT_LIMIT:
        ctx.error(node, f"附件太大（{megabytes(size)}），超过 {megabytes(ATTACHMENT_LIMIT)} 的上限：{quote(text)}",
                  "请压缩或拆分后再附上（扫描件可降低分辨率）")
        return INVALID
    return joined
