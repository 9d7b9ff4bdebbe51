"""Reading a file's text: the size limit, UTF-8 (BOM, line endings), plain words for other encodings; file names outside the safe set."""

from __future__ import annotations

import codecs
import re

from qsgen.core.errors import Diagnostic
from qsgen.repo.files import Refused, read_file

MAX_BYTES = 1024 * 1024  # a record or assessment file larger than this is refused

_ENCODING_HINT = ("请用 UTF-8 编码重新保存：记事本里“文件 → 另存为”，编码选“UTF-8”后保存；"
                  "WPS 里“文件 → 另存为”，在“编码”中选“UTF-8”；VS Code 右下角点编码，选“通过编码保存 → UTF-8”")


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


def read_text(full: str, path: str) -> tuple[str | None, list[Diagnostic]]:
    """The decoded text of a regular file of at most MAX_BYTES (repo.files.read_file: never a
    link, a FIFO or a device), or None with the reason."""
    try:
        data = read_file(full, MAX_BYTES)
    except Refused as e:
        if e.kind == "big":
            return None, [Diagnostic(path, 1, 1, f"文件太大（{e.size / 1024 / 1024:.1f} MB），超过 1 MB 的上限",
                                     "记录只写文字说明；图片、扫描件等请作为附件单独存放，在 attachments 里列出")]
        hint = "记录文件必须是普通的文本文件" if e.kind in ("special", "link") else ""
        return None, [Diagnostic(path, 1, 1, f"文件{e.reason}", hint)]
    return decode(data, path)


_UNSAFE = re.compile(r'[\x00-\x1f\x7f\\<>:"|?*\ud800-\udfff]')


def shown_name(name: str) -> str:
    """A file name as it can be printed: bytes that are not UTF-8 as \\xff, control
    characters as \\n, \\t, \\x01."""
    out = []
    for ch in name:
        if "\udc80" <= ch <= "\udcff":  # a byte os.listdir could not decode (surrogateescape)
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ch < " " or ch == "\x7f" or "\ud800" <= ch <= "\udfff":
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def name_problem(name: str) -> tuple[str, str] | None:
    """(message, hint) when a file name is outside the safe set (it becomes part of a web
    address and must check out on Windows): bytes that are not UTF-8, control characters
    (a line break, a Tab), a backslash or one of < > : " | ? *; None when it is fine."""
    bad = _UNSAFE.search(name)
    if bad is None:
        return None
    ch = bad.group()
    if "\ud800" <= ch <= "\udfff":
        what = "含有不是 UTF-8 编码的字节"
    elif ch < " " or ch == "\x7f":
        what = {"\n": "含有换行符", "\t": "含有制表符（Tab）", "\r": "含有回车符"}.get(ch, "含有控制字符")
    else:
        what = f"含有字符“{ch}”"
    return (f"文件名{what}：{shown_name(name)}",
            "请改名：只用汉字、字母、数字和 - _ . 等常见字符（不要用 \\ < > : \" | ? *、换行或 Tab），"
            "例如 case-2023-001.md")
