"""Comparing two scored revisions: per unit total, rank, the rules/items and records that changed."""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from qsgen.core.display import fmt, fmt_plain, fmt_signed
from qsgen.core.errors import Diagnostic, QsgenError, inert_lines
from qsgen.core.kinds import KINDS
from qsgen.core.measures import MEASURES, PROGRESS_TYPES
from qsgen.core.model import AdjustmentScore, ItemScore, Line, Record, RecordSet, Results, UnitScore
from qsgen.repo.files import Refused, read_file

ZERO = Fraction(0)
MARKER = "<!-- qsgen-diff -->"  # lets CI find and update its own pull-request comment

STATUS_WORDS = {"added": "新增", "removed": "删除", "modified": "修改"}


# -------------------------------------------------------------------- data


@dataclass
class RecordChange:
    """A record file added, removed or modified between the two revisions."""

    id: str
    path: str
    unit: str
    kind: str
    title: str
    status: str  # added | removed | modified


@dataclass
class PartChange:
    """One adjustment (B6c) or task item (s11-1) of a unit whose result changed."""

    what: str  # "adjustment" | "item"
    id: str
    label: str  # short Chinese name: rule title / section title / item text
    old: Fraction | None  # adjustment: amount after cap; item: score (None = 待评 or absent)
    new: Fraction | None
    effect: Fraction  # signed effect on the unit's total
    sign: int = 1  # adjustments: +1 bonus, -1 deduction
    old_state: str = ""  # items: judged / pending / computed
    new_state: str = ""
    added: list[str] = field(default_factory=list)  # explain texts of lines that appeared
    removed: list[str] = field(default_factory=list)  # … and disappeared
    changed: list[tuple[str, str]] = field(default_factory=list)  # (old, new) of one part's line
    records: list[RecordChange] = field(default_factory=list)  # the changed records behind it
    note: str = ""  # e.g. "考核办评分 8 → 9.5"

    @property
    def delta(self) -> Fraction:
        """Change of the part's own value (item score or adjustment amount, unsigned)."""
        return (self.new or ZERO) - (self.old or ZERO)


@dataclass
class UnitChange:
    """How one unit's score and ranks differ between two versions."""

    slug: str
    name: str
    group: str  # group name
    old: UnitScore | None
    new: UnitScore | None
    parts: list[PartChange] = field(default_factory=list)
    records: list[RecordChange] = field(default_factory=list)

    @property
    def old_total(self) -> Fraction | None:
        return self.old.total if self.old else None

    @property
    def new_total(self) -> Fraction | None:
        return self.new.total if self.new else None

    @property
    def delta(self) -> Fraction:
        return (self.new_total or ZERO) - (self.old_total or ZERO)

    @property
    def rank_changed(self) -> bool:
        return (self.old is None or self.new is None or self.old.rank != self.new.rank
                or self.old.group_rank != self.new.group_rank)

    @property
    def score_changed(self) -> bool:
        return (self.old is None or self.new is None or self.old.total != self.new.total
                or self.old.provisional != self.new.provisional or bool(self.parts))


@dataclass
class DiffReport:
    """What changed between two versions of the scores, unit by unit."""

    year: int | None
    base_label: str
    head_label: str
    places: int
    rounding: str
    units: list[UnitChange]  # every unit with a change of score, rank, parts or records
    head_errors: list[Diagnostic]
    new_errors: list[Diagnostic]  # head errors not present in the base
    fixed_errors: int  # base errors gone in head
    records: list[RecordChange]  # all changed records
    head_failed: str = ""  # why HEAD could not be scored (no rules …)
    base_failed: str = ""  # why the base could not be scored (e.g. it predates the rules)
    rule_files: list[str] = field(default_factory=list)  # files under rules/ that differ

    @property
    def scored(self) -> list[UnitChange]:
        return [u for u in self.units if u.score_changed]

    @property
    def rank_only(self) -> list[UnitChange]:
        return [u for u in self.units if not u.score_changed and u.rank_changed]

    @property
    def records_only(self) -> list[UnitChange]:
        return [u for u in self.units if not u.score_changed and not u.rank_changed]


# ------------------------------------------------------------------- compare


def _record_key(r: Record) -> tuple:
    return (r.kind, r.title, r.date, repr(sorted(r.fields.items(), key=lambda kv: kv[0])), r.body,
            tuple(r.attachments))


def record_changes(base: RecordSet | None, head: RecordSet | None) -> list[RecordChange]:
    """Records added, removed or modified (content, not line positions), sorted by path."""
    old = {r.id: r for r in (base.records if base else [])}
    new = {r.id: r for r in (head.records if head else [])}
    out: list[RecordChange] = []
    for rid in sorted(set(old) | set(new)):
        a, b = old.get(rid), new.get(rid)
        if a is None and b is not None:
            out.append(RecordChange(rid, b.path, b.unit, b.kind, b.title, "added"))
        elif b is None and a is not None:
            out.append(RecordChange(rid, a.path, a.unit, a.kind, a.title, "removed"))
        elif a is not None and b is not None and _record_key(a) != _record_key(b):
            out.append(RecordChange(rid, b.path, b.unit, b.kind, b.title, "modified"))
    return sorted(out, key=lambda c: c.path)


def _line_key(ln: Line) -> tuple:
    return (ln.part, tuple(ln.records), ln.amount, ln.explain)


def _lines_diff(old: list[Line], new: list[Line]) -> tuple[list[Line], list[Line]]:
    a, b = Counter(_line_key(x) for x in old), Counter(_line_key(x) for x in new)
    added_keys, removed_keys = b - a, a - b
    added, removed = [], []
    for ln in new:
        k = _line_key(ln)
        if added_keys[k] > 0:
            added_keys[k] -= 1
            added.append(ln)
    for ln in old:
        k = _line_key(ln)
        if removed_keys[k] > 0:
            removed_keys[k] -= 1
            removed.append(ln)
    return added, removed


def _adj_kinds(adj: AdjustmentScore) -> tuple[set[str], set[str]]:
    """(kinds read record by record, kinds counted through a measure) of one rule."""
    per_record = {p.kind for p in adj.rule.parts if p.kind}
    measured = {MEASURES[p.per].kind for p in adj.rule.parts if p.per in MEASURES}
    return per_record, measured


def _adjustment_change(old: AdjustmentScore | None, new: AdjustmentScore | None,
                       changed: list[RecordChange]) -> PartChange | None:
    ref = new or old
    assert ref is not None
    old_lines = old.lines if old else []
    new_lines = new.lines if new else []
    added, removed = _lines_diff(old_lines, new_lines)
    old_amt = old.amount if old else None
    new_amt = new.amount if new else None
    if (old_amt or ZERO) == (new_amt or ZERO) and not added and not removed:
        return None
    measure_parts = {p.id for p in ref.rule.parts if p.per in MEASURES}
    changed_pairs = _pair_lines(added, removed, measure_parts)
    per_record, measured = _adj_kinds(ref)
    in_lines = {rid for ln in old_lines + new_lines for rid in ln.records}
    causes = [c for c in changed
              if c.kind in measured or (c.kind in per_record and c.id in in_lines)]
    sign = ref.rule.sign
    return PartChange(
        what="adjustment", id=ref.rule.id, label=ref.rule.title, old=old_amt, new=new_amt,
        effect=sign * ((new_amt or ZERO) - (old_amt or ZERO)), sign=sign,
        added=[ln.explain for ln in added if ln.explain], removed=[ln.explain for ln in removed if ln.explain],
        changed=changed_pairs, records=causes,
    )


def _pair_lines(added: list[Line], removed: list[Line], parts: set[str]) -> list[tuple[str, str]]:
    """Pair the one removed and the one added line of the same part and scope (a measure that
    moved, e.g. "超额 5 件" → "超额 6 件"); paired lines leave ``added``/``removed``."""
    pairs: list[tuple[str, str]] = []
    for ln in list(added):
        if ln.part not in parts:
            continue  # a per-record line: a record was added or removed, not a measure moved
        same_new = [x for x in added if x.part == ln.part]
        same_old = [x for x in removed if x.part == ln.part]
        if len(same_new) == 1 and len(same_old) == 1 and same_old[0].explain and ln.explain:
            pairs.append((same_old[0].explain, ln.explain))
            added.remove(ln)
            removed.remove(same_old[0])
    return pairs


def _item_records(s: ItemScore | None) -> set[str]:
    if s is None:
        return set()
    ids = set(s.evidence)
    for pv in s.progress:
        ids.update(pv.records)
    for ln in s.extras:
        ids.update(ln.records)
    return ids


def _item_label(unit: UnitScore, item_id: str) -> str:
    for sec in unit.unit.sections:
        if any(i.id == item_id for i in sec.items):
            return sec.title
    it = unit.unit.item(item_id)
    text = (it.text if it else "").strip()
    return text if len(text) <= 14 else text[:14] + "…"


def _item_weight(unit: UnitScore, item_id: str) -> Fraction:
    """How much one point of the item moves the unit's base score."""
    secs = unit.unit.sections
    if not secs:
        return Fraction(1)
    wsum = sum((Fraction(s.weight) for s in secs), ZERO)
    for sec in secs:
        if any(i.id == item_id for i in sec.items):
            return Fraction(sec.weight) / wsum if wsum else ZERO
    return ZERO


def _item_change(old_u: UnitScore | None, new_u: UnitScore | None, old: ItemScore | None,
                 new: ItemScore | None, changed: list[RecordChange]) -> PartChange | None:
    ref = new or old
    assert ref is not None
    old_score = old.score if old else None
    new_score = new.score if new else None
    old_state = old.state if old else "absent"
    new_state = new.state if new else "absent"
    added, removed = _lines_diff(old.extras if old else [], new.extras if new else [])
    ids = _item_records(old) | _item_records(new)
    kinds = set()
    if ref.item.progress is not None and ref.item.progress.type in ("news", "leads", "cases"):
        kinds.add(PROGRESS_TYPES[ref.item.progress.type].kind)
    if ref.item.method == "quota":
        kinds.add("case")
    causes = [c for c in changed if c.id in ids or c.kind in kinds]
    if old_score == new_score and old_state == new_state and not added and not removed:
        return None
    unit = new_u or old_u
    assert unit is not None
    w_old = _item_weight(old_u, ref.item.id) if old_u and old else ZERO
    w_new = _item_weight(new_u, ref.item.id) if new_u and new else ZERO
    effect = w_new * (new_score or ZERO) - w_old * (old_score or ZERO)
    note = ""
    old_j = old.judged if old else None
    new_j = new.judged if new else None
    if old_j != new_j:
        note = "考核办评分 " + ("待评" if old_j is None else fmt_plain(old_j)) + " → " + \
               ("待评" if new_j is None else fmt_plain(new_j))
    return PartChange(
        what="item", id=ref.item.id, label=_item_label(unit, ref.item.id), old=old_score, new=new_score,
        effect=effect, old_state=old_state, new_state=new_state,
        added=[ln.explain for ln in added if ln.explain], removed=[ln.explain for ln in removed if ln.explain],
        records=causes, note=note,
    )


def compare(base: Results | None, head: Results | None, *, base_label: str = "BASE",
            head_label: str = "HEAD", base_diags: list[Diagnostic] | None = None,
            head_diags: list[Diagnostic] | None = None, head_failed: str = "",
            base_failed: str = "") -> DiffReport:
    """Everything that differs between two scored revisions, unit by unit."""
    rules = (head or base).rules if (head or base) else None
    changed = record_changes(base.records if base else None, head.records if head else None)
    old_units = {u.unit.slug: u for u in (base.units if base else [])}
    new_units = {u.unit.slug: u for u in (head.units if head else [])}
    order = [u.unit.slug for u in (head.units if head else [])]
    order += [s for s in old_units if s not in new_units]
    units: list[UnitChange] = []
    for slug in order:
        o, n = old_units.get(slug), new_units.get(slug)
        ref = n or o
        assert ref is not None
        group = (head or base).rules.group_name(ref.unit.group)  # type: ignore[union-attr]
        mine = [c for c in changed if c.unit == slug]
        uc = UnitChange(slug, ref.unit.name, group, o, n, records=mine)
        # items, in the unit's order
        o_items = {i.item.id: i for i in (o.items if o else [])}
        n_items = {i.item.id: i for i in (n.items if n else [])}
        item_ids = list(n_items) + [i for i in o_items if i not in n_items]
        # adjustments, in rule order
        o_adj = {a.rule.id: a for a in (o.adjustments if o else [])}
        n_adj = {a.rule.id: a for a in (n.adjustments if n else [])}
        adj_ids = list(n_adj) + [a for a in o_adj if a not in n_adj]
        if o is not None and n is not None:  # a unit new or gone: its total says it all
            for rid in adj_ids:
                pc = _adjustment_change(o_adj.get(rid), n_adj.get(rid), mine)
                if pc:
                    uc.parts.append(pc)
            for iid in item_ids:
                pc = _item_change(o, n, o_items.get(iid), n_items.get(iid), mine)
                if pc:
                    uc.parts.append(pc)
        if uc.score_changed or uc.rank_changed or mine:
            units.append(uc)
    units.sort(key=lambda u: (not u.score_changed, -abs(u.delta),
                              u.new.rank if u.new else 10**6))
    head_errors = sorted(d for d in (head_diags or []) if d.severity == "error")
    base_errors = [d for d in (base_diags or []) if d.severity == "error"]
    base_keys = Counter((d.path, d.message) for d in base_errors)
    new_errors = []
    for d in head_errors:
        k = (d.path, d.message)
        if base_keys[k] > 0:
            base_keys[k] -= 1
        else:
            new_errors.append(d)
    head_keys = Counter((d.path, d.message) for d in head_errors)
    fixed = sum((Counter((d.path, d.message) for d in base_errors) - head_keys).values())
    return DiffReport(
        year=rules.year if rules else None, base_label=base_label, head_label=head_label,
        places=rules.places if rules else 2, rounding=rules.rounding if rules else "ROUND_HALF_UP",
        units=units, head_errors=head_errors, new_errors=new_errors, fixed_errors=fixed,
        records=changed, head_failed=head_failed, base_failed=base_failed if base is None else "",
    )


def _content(path: Path, root: Path) -> bytes:
    """A file's bytes as the stages would read them (repo.files.read_file), or why not."""
    try:
        return read_file(path, within=root)
    except Refused as e:
        return ("\0refused " + e.reason).encode("utf-8")


def changed_files(base_root: Path, head_root: Path, folder: str = "rules") -> list[str]:
    """Repository-relative paths under ``folder`` that were added, removed or edited."""
    def files(root: Path) -> dict[str, bytes]:
        top = Path(root) / folder
        if not top.is_dir():
            return {}
        return {p.relative_to(root).as_posix(): _content(p, root)
                for p in sorted(top.rglob("*")) if p.is_file() and not p.is_symlink()}
    a, b = files(base_root), files(head_root)
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


# -------------------------------------------------------------------- render


class _Fmt:
    def __init__(self, report: DiffReport) -> None:
        self.places, self.rounding = report.places, report.rounding

    def num(self, x: Fraction | None) -> str:
        return "—" if x is None else fmt(x, self.places, self.rounding)

    def signed(self, x: Fraction) -> str:
        return fmt_signed(x, self.places, self.rounding)

    def total(self, u: UnitScore | None) -> str:
        if u is None:
            return "—"
        return self.num(u.total) + ("（暂定）" if u.provisional else "")


def _rank_move(old: int | None, new: int | None) -> str:
    if old is None and new is None:
        return "—"
    if old is None:
        return f"新 → {new}"
    if new is None:
        return f"{old} → —"
    if old == new:
        return f"{new}"
    arrow = "↑" if new < old else "↓"
    return f"{old} → {new} {arrow}"


def part_summary(p: PartChange, f: _Fmt) -> str:
    """"B6c 中队、所超额办案及罚没款加分 +1.00" / "s11-1 案件办理工作 +4.00（计入总分 +0.27）"."""
    if p.what == "adjustment":
        if p.effect == 0:
            return f"{p.id} {p.label} 明细有变，分值不变"
        if p.sign < 0:
            return f"{p.id} {p.label} 扣分 {f.num(p.old or ZERO)} → {f.num(p.new or ZERO)}"
        return f"{p.id} {p.label} {f.signed(p.effect)}"
    if p.new_state == "pending" and p.old_state != "pending":
        own = "改为待评"
    elif p.old_state == "pending" and p.new_state != "pending":
        own = f"待评 → {f.num(p.new)}"
    else:
        own = f.signed(p.delta)
    text = f"{p.id} {p.label} {own}"
    if p.effect != p.delta or p.old_state == "pending" or p.new_state == "pending":
        text += f"（计入总分 {f.signed(p.effect)}）"
    return text


HEADLINE_PARTS = 4  # at most this many reasons in a headline; the details list every one


def _short(text: str, n: int = 16) -> str:
    return text if len(text) <= n else text[:n] + "…"


def reasons(u: UnitChange, f: _Fmt, limit: int = HEADLINE_PARTS, sep: str = "，") -> str:
    """The biggest changes of a unit, in rule/item order: "B6c … +1.00，s11-1 … +4.00 等 7 项"."""
    if not u.parts:
        return ""
    keep = sorted(range(len(u.parts)), key=lambda i: (-abs(u.parts[i].effect), i))[:limit]
    chosen = []
    for i in sorted(keep):
        p = u.parts[i]
        short = PartChange(**{**p.__dict__, "label": _short(p.label)})
        chosen.append(part_summary(short, f))
    text = sep.join(chosen)
    if len(u.parts) > limit:
        text += f" 等 {len(u.parts)} 项"
    return text


def headline(u: UnitChange, f: _Fmt) -> str:
    """"龙港所 +4.30（B6c … +1.00，s11-1 … +4.00），排名 5 → 3，组内 3 → 1"."""
    if u.old is None:
        text = f"{u.name} 新增单位，总分 {f.total(u.new)}"
    elif u.new is None:
        text = f"{u.name} 已不在考核单位中（原总分 {f.total(u.old)}）"
    elif not u.delta and not u.parts:
        text = f"{u.name} 总分不变（{f.total(u.new)}）"
    else:
        text = f"{u.name} {f.signed(u.delta)}"
    if u.parts:
        text += "（" + reasons(u, f) + "）"
    o_rank = u.old.rank if u.old else None
    n_rank = u.new.rank if u.new else None
    if o_rank != n_rank:
        text += f"，排名 {_rank_move(o_rank, n_rank)}"
    elif n_rank is not None:
        text += f"，排名不变（第 {n_rank}）"
    og = u.old.group_rank if u.old else None
    ng = u.new.group_rank if u.new else None
    if og != ng:
        text += f"，{u.group}内 {_rank_move(og, ng)}"
    return text


def _record_phrase(c: RecordChange) -> str:
    kind = KINDS[c.kind].name if c.kind in KINDS else c.kind
    return f"{STATUS_WORDS[c.status]}{kind}《{c.title}》（{c.path}）"


def _part_details(p: PartChange, f: _Fmt) -> list[str]:
    """Detail lines for one part (without bullets)."""
    if p.what == "adjustment":
        kind = "加分" if p.sign > 0 else "减分"
        head = f"{p.id} {p.label}（{kind}）：{f.num(p.old or ZERO)} → {f.num(p.new or ZERO)}"
        head += f"，总分 {f.signed(p.effect)}"
    else:
        old = "待评" if p.old_state == "pending" else ("—" if p.old_state == "absent" else f.num(p.old))
        new = "待评" if p.new_state == "pending" else ("—" if p.new_state == "absent" else f.num(p.new))
        head = f"{p.id} {p.label}：{old} → {new}，总分 {f.signed(p.effect)}"
        if p.note:
            head += f"（{p.note}）"
    out = [head]
    out += [f"变化：{a} → {b}" for a, b in p.changed]
    out += [f"新增：{t}" for t in p.added]
    out += [f"取消：{t}" for t in p.removed]
    out += [f"记录：{_record_phrase(c)}" for c in p.records]
    return out


def render_text(report: DiffReport) -> str:
    f = _Fmt(report)
    out: list[str] = []
    year = f"{report.year} 年度，" if report.year else ""
    out.append(f"qsgen diff：{year}{report.base_label} → {report.head_label}")
    if report.head_failed:
        out.append(f"无法计算新版本的得分：{report.head_failed}")
    if report.base_failed:
        out.append(f"无法计算基准版本的得分：{report.base_failed}；以下各单位按新增列出。")
    if report.rule_files:
        out.append("考核规则有改动（影响所有单位）：" + "、".join(report.rule_files))
    scored, rank_only, rec_only = report.scored, report.rank_only, report.records_only
    if not scored and not rank_only and not report.head_failed:
        out.append("得分和排名都没有变化。")
    if scored:
        out.append("")
        out.append(f"得分变化（{len(scored)} 个单位）：")
        for u in scored:
            out.append(f"  {headline(u, f)}")
            out.append(f"    总分 {f.total(u.old)} → {f.total(u.new)}")
            for p in u.parts:
                lines = _part_details(p, f)
                out.append(f"    {lines[0]}")
                out += [f"      {x}" for x in lines[1:]]
    if rank_only:
        out.append("")
        out.append(f"仅排名变化（{len(rank_only)} 个单位，总分不变）：")
        for u in rank_only:
            out.append(f"  {headline(u, f)}")
    if rec_only:
        out.append("")
        out.append(f"记录有改动但得分不变（{len(rec_only)} 个单位）：")
        for u in rec_only:
            out.append(f"  {u.name}：" + "；".join(_record_phrase(c) for c in u.records))
    if report.new_errors:
        out.append("")
        out.append(f"新出现的校验错误（{len(report.new_errors)} 处）：")
        out += [f"  {d.format_text()}".replace("\n", "\n  ") for d in report.new_errors]
    elif report.head_errors:
        out.append("")
        out.append(f"仍有 {len(report.head_errors)} 处校验错误（改动前就已存在），运行 qsgen check 查看。")
    if report.fixed_errors:
        out.append(f"已改正 {report.fixed_errors} 处原有的校验错误。")
    return inert_lines("\n".join(out) + "\n")  # (titles may hold line breaks: never a CI command)


_LIVE = re.compile(r"(?i)(?<=:)(?=//)|(?<=@)|(?<=\bwww)(?=\.)")  # where a link or a mention would start
_ZWSP = "\u200b"  # a zero-width space there: GitHub, GitLab and Gitea then see plain text


def _md(text: str) -> str:
    """User text made inert inside a Markdown table cell or list item of a PR comment: no raw
    HTML or entities, no table breaks, no emphasis, no links or images (brackets escaped), no
    autolinked addresses (http://, www.) and no @-mentions (a zero-width space after the @)."""
    text = _LIVE.sub(_ZWSP, text.replace("\r", " ").replace("\n", " "))
    return (text.replace("\\", "\\\\").replace("&", "&amp;").replace("|", "\\|").replace("<", "&lt;")
            .replace(">", "&gt;").replace("`", "'").replace("*", "\\*").replace("_", "\\_")
            .replace("[", "\\[").replace("]", "\\]").replace("~", "\\~"))


MAX_COMMENT_CHARS = 60000  # GitHub's limit for a comment is 65,536 characters
MAX_ERROR_ROWS = 100


def render_markdown(report: DiffReport, max_chars: int = MAX_COMMENT_CHARS) -> str:
    f = _Fmt(report)
    out: list[str] = [MARKER, "### 考核得分变化（qsgen diff）", ""]
    year = f"{report.year} 年度 · " if report.year else ""
    out.append(f"{year}比较 `{_code(report.base_label)}` → `{_code(report.head_label)}`")
    out.append("")
    if report.head_failed:
        out += [f"**无法计算新版本的得分**：{_md(report.head_failed)}", ""]
    if report.base_failed:
        out += [f"无法计算基准版本的得分：{_md(report.base_failed)}；以下各单位按新增列出。", ""]
    scored, rank_only, rec_only = report.scored, report.rank_only, report.records_only
    n_rec = Counter(c.status for c in report.records)
    rec_text = "，".join(f"{STATUS_WORDS[s]} {n_rec[s]} 条" for s in ("added", "modified", "removed") if n_rec[s])
    summary = []
    if scored:
        summary.append(f"**{len(scored)}** 个单位得分变化")
    if rank_only:
        summary.append(f"另有 **{len(rank_only)}** 个单位仅排名变化")
    if not scored and not rank_only and not report.head_failed:
        summary.append("得分和排名都没有变化")
    if rec_text:
        summary.append(f"记录{rec_text}")
    if report.rule_files:
        summary.append("**考核规则有改动**：" + "、".join(f"`{_code(x)}`" for x in report.rule_files))
    if report.new_errors:
        summary.append(f"**新出现 {len(report.new_errors)} 处校验错误**")
    out += ["；".join(summary) + "。", ""]
    table = scored + rank_only
    if table:
        out.append("| 单位 | 原总分 | 新总分 | 变化 | 排名 | 组内排名 | 原因 |")
        out.append("| --- | ---: | ---: | ---: | :---: | :---: | --- |")
        for u in table:
            why = _md(reasons(u, f, sep="；")) if u.parts else (
                "新增单位" if u.old is None else "已删除" if u.new is None else "其他单位得分变化")
            delta = f"**{f.signed(u.delta)}**" if u.delta else "0.00"
            out.append(
                f"| **{_md(u.name)}**（{_md(u.group)}） | {f.total(u.old)} | {f.total(u.new)} | {delta} | "
                f"{_rank_move(u.old.rank if u.old else None, u.new.rank if u.new else None)} | "
                f"{_rank_move(u.old.group_rank if u.old else None, u.new.group_rank if u.new else None)} | "
                f"{why} |")
        out.append("")
    if report.new_errors:
        shown = report.new_errors[:MAX_ERROR_ROWS]
        out.append(f"#### 新出现的校验错误（{len(report.new_errors)} 处）")
        out.append("")
        out.append("| 文件 | 位置 | 问题 |")
        out.append("| --- | --- | --- |")
        for d in shown:
            msg = _md(d.message) + (f"（提示：{_md(d.hint)}）" if d.hint else "")
            out.append(f"| `{_code(d.path)}` | {d.line}:{d.col} | {msg} |")
        if len(report.new_errors) > len(shown):
            out.append(f"| … | | 其余 {len(report.new_errors) - len(shown)} 处请运行 `qsgen check` 查看 |")
        out.append("")
    elif report.head_errors:
        out += [f"仍有 {len(report.head_errors)} 处校验错误（改动前就已存在），运行 `qsgen check` 查看。", ""]
    if report.fixed_errors:
        out += [f"已改正 {report.fixed_errors} 处原有的校验错误。", ""]
    footer = ["<sub>由 qsgen diff 生成；分数为精确计算后按规则保留小数。</sub>"]

    # Details last, as many as fit in one comment (GitHub refuses bodies over 65,536 characters).
    blocks: list[list[str]] = []
    for u in scored:
        b = [f"<details><summary>{_md(headline(u, f))}</summary>", "", f"总分 {f.total(u.old)} → {f.total(u.new)}",
             ""]
        for p in u.parts:
            lines = _part_details(p, f)
            b.append(f"- **{_md(lines[0])}**")
            b += [f"  - {_md(x)}" for x in lines[1:]]
        other = [c for c in u.records if not any(c in p.records for p in u.parts)]
        if other:
            b.append("- 本单位其他改动的记录：")
            b += [f"  - {_md(_record_phrase(c))}" for c in other]
        b += ["", "</details>", ""]
        blocks.append(b)
    if rec_only:
        b = ["#### 记录有改动但得分不变", ""]
        b += [f"- **{_md(u.name)}**：" + "；".join(_md(_record_phrase(c)) for c in u.records) for u in rec_only]
        blocks.append(b + [""])
    size = len("\n".join(out + footer)) + 200
    kept: list[str] = []
    left = 0
    for b in blocks:
        text = "\n".join(b)
        if size + len(text) > max_chars:
            left += 1
            continue
        kept += b
        size += len(text) + 1
    if scored and (kept or left):
        out += ["#### 明细", ""]
    out += kept
    if left:
        out += [f"（还有 {left} 部分明细超出评论长度，已省略；在本地运行 `qsgen diff` 可看到全部。）", ""]
    out += footer
    return "\n".join(out) + "\n"


def _code(text: str) -> str:
    return text.replace("`", "'").replace("\n", " ")


def render(report: DiffReport, fmt_name: str = "text") -> str:
    return render_markdown(report) if fmt_name == "markdown" else render_text(report)


# ---------------------------------------------------------------------- git


class GitError(QsgenError):
    """A git command failed (unknown revision, not a repository …)."""


def _git(args: list[str], cwd: Path, binary: bool = False) -> bytes | str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError as e:
        raise GitError("找不到 git 命令，请先安装 git") from e
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"git {' '.join(args)} 失败：{err}")
    return proc.stdout if binary else proc.stdout.decode("utf-8", "replace").strip()


def resolve(root: Path, rev: str) -> str:
    """The full commit id of ``rev``, with a Chinese explanation when it is unknown."""
    try:
        _git(["rev-parse", "--git-dir"], root)
    except GitError as e:
        raise GitError(f"{root} 不在 git 仓库中：qsgen diff 比较的是 git 中的两个版本") from e
    try:
        return str(_git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root))
    except GitError as e:
        branch = rev.removeprefix("origin/")
        raise GitError(
            f"找不到版本 {rev}。如果是浅克隆（CI 常用 fetch-depth: 1），请先取回它："
            f"git fetch --depth=1 origin +refs/heads/{branch}:refs/remotes/origin/{branch}，"
            f"再运行 qsgen diff origin/{branch}") from e


def merge_base(root: Path, base: str, head: str | None = None) -> str:
    """The merge base of ``base`` and ``head`` (default HEAD): what a branch's changes are
    measured from, so that what was added to ``base`` after the branch was cut is not reported
    as removed by the branch."""
    from qsgen.repo.commits import merge_base as git_merge_base

    resolve(root, base)
    if head is not None:
        resolve(root, head)
    found = git_merge_base(root, base, head or "HEAD")
    if found is None:
        branch = base.removeprefix("origin/")
        raise GitError(
            f"找不到 {base} 与 {head or 'HEAD'} 的共同祖先（merge base）。浅克隆（fetch-depth: 1）中请先取回完整历史："
            f"git fetch --unshallow origin +refs/heads/{branch}:refs/remotes/origin/{branch}；"
            "CI 中 checkout 设 fetch-depth: 0")
    return found


def describe(root: Path, rev: str) -> str:
    """"main（abc1234）" for a revision."""
    try:
        short = str(_git(["rev-parse", "--short", f"{rev}^{{commit}}"], root))
    except GitError:
        return rev
    return rev if short.startswith(rev) else f"{rev}（{short}）"


def snapshot(root: Path, rev: str, dest: Path, paths: tuple[str, ...] = ("rules", "records")) -> Path:
    """Extract ``paths`` of revision ``rev`` under ``dest``; returns the qsgen root inside it.

    Reads objects only (``git archive``): the work tree and the index are never touched, and a
    shallow clone works as long as the revision itself has been fetched.
    """
    root = Path(root).resolve()
    commit = resolve(root, rev)
    top = Path(str(_git(["rev-parse", "--show-toplevel"], root)))
    prefix = str(_git(["rev-parse", "--show-prefix"], root))  # "" or "sub/dir/"
    wanted = [prefix + p for p in paths]
    listed = str(_git(["ls-tree", "--name-only", commit, "--", *wanted], top)).splitlines()
    present = [p for p in wanted if p in listed]
    out_root = dest / prefix if prefix else dest
    out_root.mkdir(parents=True, exist_ok=True)
    if not present:
        return out_root
    data = _git(["archive", "--format=tar", commit, "--", *present], top, binary=True)
    assert isinstance(data, bytes)
    _extract(data, dest)
    return out_root


def _extract(data: bytes, dest: Path) -> None:
    """Regular files and folders of a tar stream under ``dest``; links and odd paths skipped."""
    dest = dest.resolve()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for m in tar.getmembers():
            target = (dest / m.name).resolve()
            if not (m.isfile() or m.isdir()) or m.name.startswith("/") or not target.is_relative_to(dest):
                continue  # symlinks would point outside the snapshot; the records loader refuses them
            if m.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(m)
            if src is not None:
                target.write_bytes(src.read())


# ------------------------------------------------------------------ scoring


def evaluate(root: Path, year: int | None = None) -> tuple[Results | None, list[Diagnostic], str]:
    """(results, diagnostics, why-not) for the repository tree at ``root``."""
    from qsgen.records import load_records
    from qsgen.rules import load_rules
    from qsgen.scoring.engine import score

    rules, rdiags = load_rules(Path(root), year)
    diags = list(rdiags)
    if rules is None:
        errors = sorted(d for d in diags if d.severity == "error")
        why = errors[0].message if errors else "没有找到考核规则"
        if len(errors) > 1:
            why += f" 等 {len(errors)} 处规则错误"
        return None, diags, why
    records, cdiags = load_records(Path(root), rules)
    diags += list(cdiags)
    try:
        return score(rules, records), diags, ""
    except QsgenError as e:
        return None, diags + list(e.diagnostics), e.message

