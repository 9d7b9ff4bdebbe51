"""`qsgen new KIND UNIT`: start a record from a template with a Chinese comment on every field."""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import re
import sys
import unicodedata
from pathlib import Path

from qsgen.core.kinds import FIELD_TYPES, KINDS, FieldSpec

EPILOG = """\
示例：
  qsgen new case longgang                          为龙港所新建一条案件记录
  qsgen new news bangongshi --title "我局开展消费维权宣传"   新建一条信息报道记录并写好标题
  qsgen new evidence zhiliang --date 2023-06-02    新建一条工作佐证，日期为 2023-06-02
  qsgen new case zhifadui                          执法队的案件记录会多一个 team（中队）字段

记录类型（KIND）：
{kinds}

生成的文件在 records/<年度>/<单位>/ 下，文件名是“类型-日期-序号.md”，如 case-2023-06-02-1.md
（同一天的第二条是 case-2023-06-02-2.md）。日期取 --date，不给时取今天；今天不在考核期内时
日期留空待填，文件名用年度代替日期，如 case-2023-1.md。已有的文件绝不会被覆盖。
按注释填好每个字段后运行 qsgen check 检查。
"""

BODY = """
（在这里用几句话写明这项工作的经过、依据和结果，可以分段；这部分会显示在网站上。）
"""


def register(sub) -> None:
    kinds = "\n".join(f"  {k:<18} {v.name}" for k, v in KINDS.items())
    p = sub.add_parser(
        "new",
        help="按模板新建一条记录（每个字段都有中文说明）",
        description="在 records/<年度>/<单位>/ 下按模板新建一条记录文件，每个字段后面都有中文注释，"
                    "按注释填写即可。",
        epilog=EPILOG.format(kinds=kinds),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("kind", metavar="KIND", help="记录类型，如 case（案件）、news（信息报道）、evidence（工作佐证）")
    p.add_argument("unit", metavar="UNIT", help="单位代号（文件夹名），如 longgang、bangongshi")
    p.add_argument("--title", default="", help="标题（可以稍后在文件里填写）")
    p.add_argument("--date", default=None, help="日期，格式 2023-06-02（默认今天，今天不在考核期内时留空待填）")
    p.add_argument("--year", type=int, default=None,
                   help="考核年度（默认：考核期包含 --date 或今天的年度，没有时取 rules/ 下最新的年度）")
    p.set_defaults(run=run)


def _fail(message: str, hint: str = "", code: int = 2) -> int:
    print(f"qsgen new: {message}", file=sys.stderr)
    if hint:
        print(f"    提示：{hint}", file=sys.stderr)
    return code


def run(args) -> int:
    from qsgen.core.hints import nearest
    from qsgen.rules import load_rules

    root = Path(getattr(args, "root", ".") or ".")
    kind = args.kind.strip()
    if kind not in KINDS:
        by_name = {v.name: k for k, v in KINDS.items()}
        best = by_name.get(kind) or nearest(kind, list(KINDS), cutoff=0.5)
        return _fail(f"没有 {kind} 这种记录类型",
                     (f"是不是想写 {best}？" if best else "") + "类型有：" + "、".join(KINDS))
    year = args.year
    if year is None:
        from qsgen.rules.current import current_year

        day = _day(args.date) or _today()
        if not KINDS[kind].in_period:  # objection, answer, correction: about a year already over
            from qsgen.rules.current import finished_year

            year, covered = finished_year(root, day), True
            if year is not None:
                print(f"qsgen new：写入 {year} 年度（{day} 之前结束的最近一个年度；用 --year 可以指定年度）",
                      file=sys.stderr)
        else:
            year, covered = current_year(root, day)
        if year is not None and KINDS[kind].in_period:
            what = " --date 的日期" if args.date else "今天"
            why = (f"考核期包含{what} {day}" if covered
                   else f"没有哪个年度的考核期包含{what} {day}，取最新的年度")
            print(f"qsgen new：写入 {year} 年度（{why}；用 --year 可以指定年度）", file=sys.stderr)
    rules, diags = load_rules(root, year)
    if rules is None:
        for d in diags:
            print(d.format_text(), file=sys.stderr)
        return _fail("考核规则有错误，请先改正上面的问题", code=1)
    unit = rules.unit(args.unit)
    if unit is None:
        by_name = {u.name: u.slug for u in rules.units}
        best = by_name.get(args.unit) or nearest(args.unit, [u.slug for u in rules.units], cutoff=0.5)
        return _fail(f"没有 {args.unit} 这个单位",
                     (f"是不是想写 {best}？" if best else "") + "单位有：" + "、".join(u.slug for u in rules.units))
    start, end = rules.period
    if args.date:
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", args.date.strip())
        try:
            date = _dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None
        except ValueError:
            date = None
        if date is None:
            return _fail(f"--date {args.date} 不是日期", "格式为 年-月-日，如 2023-06-02")
        if KINDS[kind].in_period and not start <= date <= end:
            return _fail(f"--date {args.date} 不在考核期 {start} 至 {end} 之内", "请检查年份")
    else:
        today = _today()
        date = today if start <= today <= end or not KINDS[kind].in_period else None
    folder = root / "records" / str(rules.year) / unit.slug
    folder.mkdir(parents=True, exist_ok=True)
    stem_date = date.isoformat() if date else str(rules.year)
    text = render(kind, unit, rules, args.title, date)
    existing = {_fold(n) for n in os.listdir(folder)}
    n = 1
    while True:
        name = f"{kind}-{stem_date}-{n}.md"
        if _fold(name) not in existing:
            try:
                with open(folder / name, "x", encoding="utf-8", newline="\n") as f:
                    f.write(text)
                break
            except FileExistsError:
                pass
        n += 1
    print((folder / name).relative_to(root).as_posix() if not folder.is_absolute() or root.is_absolute()
          else str(folder / name))
    return 0


def _today() -> _dt.date:
    return _dt.date.today()


def _day(text: str | None) -> _dt.date | None:
    """--date as a date, None when absent or not a date (reported later with the year's period)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", (text or "").strip())
    try:
        return _dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        return None


def _width(text: str) -> int:
    """Display width in a monospaced editor: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fold(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def _value(text: str) -> str:
    """A YAML-safe scalar for a value given on the command line."""
    text = " ".join(text.split())  # one line, no tabs or newlines
    if not text:
        return ""
    if re.fullmatch(r"[\w\u4e00-\u9fff（）〔〕《》、，。“”·—\-]+", text) and text[0] not in "-?":
        return text
    return "'" + text.replace("'", "''") + "'"


def render(kind: str, unit, rules, title: str = "", date: _dt.date | None = None) -> str:
    """The record template: required fields to fill in, optional ones commented out."""
    k = KINDS[kind]
    rows: list[tuple[str, str]] = []  # (YAML line, comment)
    for name, spec in k.all_fields.items():
        if name == "unit":
            continue  # implied by the folder
        if name == "team" and not unit.teams:
            continue
        required = spec.required or name == "team"
        help_text = _help(name, spec, unit, rules)
        if required:
            value = {"kind": kind, "title": _value(title),
                     "date": date.isoformat() if date else ""}.get(name, "")
            line = f"{name}: {value}"
        else:
            line = f"# {name}: {_optional_example(name, spec)}"
            help_text = "可选：" + help_text.removeprefix("可选：")
        label = f"{spec.label}：" if spec.label else ""
        rows.append((line, label + help_text))
    width = max(_width(line) for line, _ in rows) + 2
    lines = ["---"] + [line + " " * (width - _width(line)) + f"# {comment}" for line, comment in rows]
    lines.append("---")
    return "\n".join(lines) + "\n" + BODY


def _optional_example(name: str, spec: FieldSpec) -> str:
    if name == "url":
        return "https://"
    return FIELD_TYPES[spec.type].optional


def _help(name: str, spec: FieldSpec, unit, rules) -> str:
    text = spec.help or ""
    if name == "task":
        ids = [i.id for i in unit.items]
        shown = "、".join(ids) if len(ids) <= 16 else "、".join(ids[:4]) + " … " + ids[-1]
        text += f"（{unit.name}的任务项：{shown}）"
    elif name == "category" and spec.choices == "case_category":
        text = "可填：" + "、".join(dict.fromkeys(rules.case_categories.values()))
    elif name == "team":
        text = "必填：" + " 或 ".join(unit.teams)
    return text
