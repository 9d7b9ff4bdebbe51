"""Personal data in a record's published text: resident ID, mobile and bank card numbers, found with their places and masked.

Everything in a record file (its fields and its body) and in an assessment file (its notes) is
published on the site. ``find`` looks in the text for what would identify a person, each with
its position and the masked form to write instead:

- a resident identity number (GB 11643): 17 digits and a check digit (0-9 or X) that agrees
  with them, a province code and a real date of birth;
- a mainland mobile number: 11 digits with a mobile prefix (13x, 145-149, 15x, 162/165-167,
  170-178, 18x, 19x), optionally +86 and written 3-4-4 with spaces or hyphens;
- a bank card number: 16 to 19 digits starting with 3-6 (the card schemes' ranges) that pass
  the Luhn check, optionally in groups of four; not a unified social credit code (GB 32100, a
  business's public number).

A number inside a longer run of digits or letters is not one of them (case and document
numbers, dates, amounts, licence numbers such as JY11405210012345). Left alone: web addresses
(a page's number is not a person's), the serial-number fields (case_no, document, meeting), a
mobile-like number followed by 号 (第13912345678号: a serial) or named by a label of a thing
(编号, 批号, 单号, 案号, 文号, 注册号, 许可证, 条码) rather than of a person.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import NamedTuple

from qsgen.core import lazyre
from qsgen.core.errors import Diagnostic

CODE = "privacy"  # Diagnostic.code of these warnings (`qsgen check --privacy-errors` makes them errors)

# Full-width digits typed with a Chinese input method: read as digits (one character each, so
# positions stay the same).
_FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
# Every finding has 11 characters of digits, spaces and hyphens starting with 3 digits: files
# without such a run (most) are passed over by one quick search. (The three digits written out:
# re runs ``[…]{3}`` as a repeat at every digit of the text, ~40% slower on the 10k corpus, 4.0 us
# a record against 2.9.)
_QUICK = re.compile(r"[0-9０-９][0-9０-９][0-9０-９][0-9０-９ -]{8}")

# _ID and _CARD test what precedes their first digit after it (a pattern that starts with a
# character class is searched by it, one starting with a look-behind is tried at every
# character): the same matches, ~2.7x faster. _MOBILE, which may start with +, 0, 8 or 1, is
# only run when _MOBILE_QUICK (what every mobile number holds) finds something: on the texts
# _QUICK lets through in the 10k corpus, find went from 55 to ~15 us.
_ID = lazyre.compile(r"[1-9](?<![0-9A-Za-z][1-9])\d{16}[\dXx](?![0-9A-Za-z])", re.ASCII)
_MOBILE_QUICK = lazyre.compile(r"1[3-9][0-9][ -]?[0-9]{4}")
_MOBILE = lazyre.compile(
    r"(?<![0-9A-Za-z+])(?:(?:\+|00)?86[ -]?)?"
    r"(1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9]))([ -]?)(\d{4})\2(\d{4})(?![0-9A-Za-z])",
    re.ASCII)
_CARD = lazyre.compile(r"[3-6](?<![0-9A-Za-z][3-6])\d{3}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?(?![0-9A-Za-z])", re.ASCII)
_URL = lazyre.compile(r"(?:https?://|www\.)[^\s<>\"'）)\]】，。]+", re.I)
_SERIAL_FIELD = lazyre.compile(r"^[ \t]*(?:case_no|document|meeting)[ \t]*:.*$", re.M)
_THING_LABEL = lazyre.compile(r"(?:编号|批号|单号|案号|文号|登记号|注册号|许可证|条码|代码|批次|序号)[^\n\d]{0,4}$")
_PERSON_LABEL = lazyre.compile(r"(?:身份证|手机|电话|联系|卡号|账号|帐号)[^\n\d]{0,6}$")

PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44,
                       45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83})
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

WHAT = {"id": "居民身份证号码", "mobile": "手机号码", "card": "银行卡号"}
_HINTS = {
    "id": "删掉这个号码，或只写遮住中间的 {masked}；当事人写“张某”“王某某”即可",
    "mobile": "删掉这个号码，或只写 {masked}；需要写联系方式时写单位的办公电话",
    "card": "删掉卡号，或只写 {masked}；罚没款写金额即可，不写缴款人的卡号",
}


class Finding(NamedTuple):
    """Something that looks like personal data: its kind ("id" | "mobile" | "card"), where it
    is in the text (``start``, ``end``) and its masked form."""

    kind: str
    start: int
    end: int
    masked: str


def id_check_digit(first17: str) -> str:
    """The GB 11643 check digit ("0"-"9" or "X") of the first 17 digits of an ID number."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def is_id_number(text: str) -> bool:
    """18 characters with a province code, a real date of birth and the right check digit."""
    if len(text) != 18 or not text[:17].isdigit() or int(text[:2]) not in PROVINCES:
        return False
    try:
        born = _dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return 1850 <= born.year <= 2100 and id_check_digit(text[:17]) == text[17].upper()


def luhn(digits: str) -> bool:
    """The Luhn check every bank card number passes."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_credit_code(text: str) -> bool:
    """A unified social credit code (GB 32100) with the right check character."""
    text = text.upper()
    if len(text) != 18 or any(c not in _USCC_CHARS for c in text):
        return False
    check = 31 - sum(_USCC_CHARS.index(c) * w for c, w in zip(text, _USCC_WEIGHTS, strict=False)) % 31
    return _USCC_CHARS[0 if check == 31 else check] == text[17]


def mask(kind: str, digits: str) -> str:
    """The form that may be published: 140521********1234, 138****5678, 6222*********1234."""
    if kind == "id":
        return digits[:6] + "*" * 8 + digits[-4:].upper()
    if kind == "mobile":
        return digits[:3] + "****" + digits[-4:]
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def find(text: str) -> list[Finding]:
    """What looks like personal data in ``text``, in order of position."""
    if _QUICK.search(text) is None:
        return []
    if re.search(r"[０-９]", text):
        text = text.translate(_FULLWIDTH)
    skipped = [m.span() for m in _URL.finditer(text)] if ("http" in text or "www." in text) else []
    if ":" in text:
        skipped += [m.span() for m in _SERIAL_FIELD.finditer(text)]

    def free(start: int, end: int) -> bool:
        return not any(a <= start < b or a < end <= b for a, b in skipped)

    out: list[Finding] = []
    for m in _ID.finditer(text):
        if is_id_number(m[0]) and free(*m.span()):
            out.append(Finding("id", m.start(), m.end(), mask("id", m[0])))
            skipped.append(m.span())
    for m in _MOBILE.finditer(text) if _MOBILE_QUICK.search(text) else ():
        serial = text.startswith("号", m.end()) and not text.startswith("号码", m.end())
        if serial or not free(*m.span()):
            continue
        if _named_a_thing(text, m.start()):
            continue
        out.append(Finding("mobile", m.start(), m.end(), mask("mobile", m[1] + m[3] + m[4])))
        skipped.append(m.span())
    for m in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", m[0])
        if not 16 <= len(digits) <= 19 or not luhn(digits) or is_credit_code(digits):
            continue
        if free(*m.span()) and not _named_a_thing(text, m.start()):
            out.append(Finding("card", m.start(), m.end(), mask("card", digits)))
    return sorted(out, key=lambda f: f.start)


def _named_a_thing(text: str, start: int) -> bool:
    """The words just before a number name a thing's number (编号, 批号…), not a person's."""
    before = text[max(0, start - 12):start]
    return _THING_LABEL.search(before) is not None and _PERSON_LABEL.search(before) is None


def warnings(text: str, path: str) -> list[Diagnostic]:
    """A warning at each place of ``text`` (the whole file ``path``) that looks like personal
    data, with its masked form in the message and the hint."""
    out = []
    for f in find(text):
        line = text.count("\n", 0, f.start) + 1
        col = f.start - (text.rfind("\n", 0, f.start) + 1) + 1
        out.append(Diagnostic(
            path, line, col, f"这里像是{WHAT[f.kind]}（{f.masked}），记录的全部内容都会在网站上公开",
            _HINTS[f.kind].format(masked=f.masked), "warning", CODE))
    return out
