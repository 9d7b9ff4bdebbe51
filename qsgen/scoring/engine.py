"""The exact scoring engine: Rules + RecordSet -> Results, every number traced to its records."""

from __future__ import annotations

import datetime as _dt
import operator
from decimal import Decimal
from fractions import Fraction
from typing import Any

from qsgen.core.conditions import WHERE_OPS
from qsgen.core.display import MINUS, fmt, fmt_money, fmt_plain
from qsgen.core.errors import QsgenError
from qsgen.core.kinds import KINDS
from qsgen.core.measures import MEASURES
from qsgen.core.model import (
    LEVEL_NAMES,
    LEVELS,
    AdjustmentRule,
    AdjustmentScore,
    Amount,
    Item,
    ItemScore,
    Judgement,
    Line,
    Part,
    ProgressValue,
    Quota,
    QuotaPart,
    Record,
    RecordSet,
    Results,
    Rules,
    SectionScore,
    Unit,
    UnitScore,
)
from qsgen.scoring.counting import effective_level, quota_counted, scope_cases
from qsgen.scoring.measures import COMPUTE, Row

ZERO = Fraction(0)


# ----------------------------------------------------------------- public API


def score(rules: Rules, records: RecordSet, as_of: _dt.date | None = None) -> Results:
    """Score every unit of ``rules`` from ``records``; rank overall and within each group.

    ``as_of``: the year is in progress and scored as of that date (口径, issue 14): what is
    judged only at year end (quota items, parts marked ``year_end``) is shown as projected,
    not counted."""
    return ranked(rules, records, [score_unit(rules, unit, records, as_of) for unit in rules.units], as_of)


def ranked(rules: Rules, records: RecordSet, scores: list[UnitScore], as_of: _dt.date | None = None) -> Results:
    """The Results of every unit's score: ranked overall and within each group, in rank order."""
    rank_units(scores)
    order = {u.slug: i for i, u in enumerate(rules.units)}
    scores.sort(key=lambda s: (-s.total, order[s.unit.slug]))
    return Results(rules=rules, records=records, units=scores, as_of=as_of)


def rank_units(scores: list[UnitScore]) -> None:
    """Competition ranking (1, 2, 2, 4) on exact totals, overall and within each group."""
    for s in scores:
        s.rank = 1 + sum(1 for o in scores if o.total > s.total)
        s.group_rank = 1 + sum(1 for o in scores if o.unit.group == s.unit.group and o.total > s.total)


def competition_ranks(values: list[Fraction]) -> list[int]:
    """Ranks of ``values`` (higher is better): equal values share a rank, the next is skipped."""
    return [1 + sum(1 for o in values if o > v) for v in values]


def applies(rule: AdjustmentRule, unit: Unit) -> bool:
    """Whether an adjustment rule applies to a unit (its ``applies_to`` conditions)."""
    for key, want in (rule.applies_to or {}).items():
        if key == "case_quota":
            have: Any = unit.case_quota is not None
        elif key == "news_quota":
            have = unit.news_quota is not None
        elif key == "lead_target":
            have = unit.lead_target is not None
        elif key == "teams":
            have = bool(unit.teams)
        elif key == "group":
            if unit.group not in _as_list(want):
                return False
            continue
        elif key == "units":
            if unit.slug not in _as_list(want):
                return False
            continue
        else:
            raise QsgenError(f"规则 {rule.id} 的 applies_to 有未知条件：{key}")
        if have != _to_bool(want):
            return False
    return True


# ------------------------------------------------------------------ one unit


def score_unit(rules: Rules, unit: Unit, records: RecordSet, as_of: _dt.date | None = None) -> UnitScore:
    """Score one unit: items, sections, base, every applicable adjustment, total (``as_of``:
    the year is in progress, see score)."""
    ctx = _UnitContext(rules, unit, records, as_of)
    items = [_score_item(ctx, item) for item in unit.items]
    by_id = {s.item.id: s for s in items}
    provisional = as_of is not None or any(s.state == "pending" for s in items)

    sections: list[SectionScore] = []
    for sec in unit.sections:
        sec_items = [by_id[i.id] for i in sec.items if i.id in by_id]
        sections.append(SectionScore(sec, sec_items, sum((_value(s) for s in sec_items), ZERO)))

    if unit.sections:
        wsum = sum((Fraction(s.section.weight) for s in sections), ZERO)
        base = sum((Fraction(s.section.weight) * s.score for s in sections), ZERO) / wsum if wsum else ZERO
    else:
        base = sum((_value(s) for s in items), ZERO)

    adjustments = [_score_adjustment(ctx, rule) for rule in rules.adjustments if applies(rule, unit)]
    bonus = sum((a.amount for a in adjustments if a.rule.sign > 0), ZERO)
    deduction = sum((a.amount for a in adjustments if a.rule.sign < 0), ZERO)
    total = base + bonus - deduction

    result = UnitScore(unit=unit, items=items, sections=sections, base=base, bonus=bonus,
                       deduction=deduction, total=total, adjustments=adjustments,
                       provisional=provisional,
                       projected=sum((a.rule.sign * a.projected for a in adjustments), ZERO))
    result.computation = _computation(ctx, result)
    return result


class _UnitContext:
    """The records of one unit, pre-sorted, and the measures computed from them."""

    def __init__(self, rules: Rules, unit: Unit, records: RecordSet, as_of: _dt.date | None = None) -> None:
        self.rules = rules
        self.unit = unit
        self.as_of = as_of  # the year is in progress: year-end judgements are projected
        self.records = sorted(records.by_unit(unit.slug), key=lambda r: (r.date, r.id))
        assessment = records.assessments.get(unit.slug)
        self.judgements: dict[str, Judgement] = dict(assessment.items) if assessment else {}
        self._measures: dict[tuple[str, str | None], list[Row]] = {}
        # Records by kind, in the same (date, id) order: of_kind is asked once per item and
        # rule part, and a scan of every record each time was a third of scoring at 10,000.
        self._by_kind: dict[str, list[Record]] = {}
        for r in self.records:
            self._by_kind.setdefault(r.kind, []).append(r)

    def evidence_for(self, item_id: str) -> list[str]:
        """The ids of the unit's evidence records for the task ``item_id``, in record order."""
        by_task = self.__dict__.get("_evidence")
        if by_task is None:
            by_task = self._evidence = {}
            for r in self._by_kind.get("evidence", ()):
                task = r.fields.get("task")
                if isinstance(task, str):  # (an item id is text: nothing else equals one)
                    by_task.setdefault(task, []).append(r.id)
        return list(by_task.get(item_id, ()))

    def of_kind(self, kind: str | None) -> list[Record]:
        if kind is None:
            return list(self.records)
        return list(self._by_kind.get(kind, ()))

    def fmt(self, value: Fraction) -> str:
        return fmt(value, self.rules)

    def plain(self, value: Fraction) -> str:
        return fmt_plain(value, self.rules)

    def measure(self, name: str, by: str | None = None) -> list[Row]:
        """A measure as (key, count, record ids) rows (scoring/measures.py); key '' for unkeyed measures."""
        if (name, by) not in self._measures:
            compute = COMPUTE.get(name)
            if compute is None:
                raise QsgenError(f"未知的计量方式：{name}")
            self._measures[name, by] = compute(self, by)
        return self._measures[name, by]

    # -- what measures (scoring/measures.py) and progress count

    def news_by_level(self) -> dict[str, list[Record]]:
        """The unit's news reports by effective level (口径7), every level present."""
        out: dict[str, list[Record]] = {lv: [] for lv in LEVELS}
        for r in self.of_kind("news"):
            lv = effective_level(r)
            if lv is not None:
                out[lv].append(r)
        return out

    def case_scopes(self) -> list[tuple[QuotaPart, list[Record]]]:
        """Each scope of the unit's case quota with its cases (none without a case quota)."""
        quota = self.unit.case_quota
        if quota is None:
            return []
        cases = self.of_kind("case")
        return [(part, scope_cases(part, cases)) for part in quota.parts]


def _value(s: ItemScore) -> Fraction:
    return s.score if s.score is not None else ZERO


# --------------------------------------------------------------------- items


def _score_item(ctx: _UnitContext, item: Item) -> ItemScore:
    judgement = ctx.judgements.get(item.id)
    flags = judgement.flags if judgement else {}
    extras: list[Line] = []
    for part in item.extras:
        extras.extend(_part_lines(ctx, f"{item.id}:{part.id}", part, +1, flags))
    extra_sum = sum((ln.amount for ln in extras), ZERO)
    extra_text = f" + 项内加分 {ctx.plain(extra_sum)}"

    progress = _progress(ctx, item)
    evidence = ctx.evidence_for(item.id)
    note = judgement.note if judgement else ""
    mx = Fraction(item.max)

    if item.method == "quota" and item.quota is not None:
        counted, detail = _quota_item_counted(ctx, item.quota)
        total = item.quota.total
        base = mx * counted / total if total else ZERO
        value = base + extra_sum
        explain = f"计入 {ctx.plain(counted)} 件{detail}；{ctx.plain(mx)} × {ctx.plain(counted)}/{total}"
        explain += f" = {ctx.fmt(base)}"
        if extras:
            explain += f"{extra_text} = {ctx.fmt(value)}"
        if ctx.as_of is not None:  # judged at year end on the whole year's cases
            explain = (f"年终按全年完成数计算，暂不计入；截至 {ctx.as_of.isoformat()}：{explain}"
                       f"（预计，若年度在今天结束）")
            return ItemScore(item=item, state="ongoing", score=None, judged=None, extras=extras,
                             progress=progress, evidence=evidence, note=note, explain=explain,
                             projected=value)
        return ItemScore(item=item, state="computed", score=value, judged=None, extras=extras,
                         progress=progress, evidence=evidence, note=note, explain=explain)

    if judgement is None:
        explain = "待评：考核领导小组办公室尚未评分，暂按 0 分计"
        if extra_sum:
            explain += f"（另有加分 {ctx.plain(extra_sum)}，评分后计入）"
        return ItemScore(item=item, state="pending", score=None, judged=None, extras=extras,
                         progress=progress, evidence=evidence, note=note, explain=explain)

    judged = Fraction(judgement.score)
    value = judged + extra_sum
    explain = f"评分 {ctx.plain(judged)}"
    if extras:
        explain += f"{extra_text} = {ctx.fmt(value)}"
    return ItemScore(item=item, state="judged", score=value, judged=judged, extras=extras,
                     progress=progress, evidence=evidence, note=note, explain=explain)


def _quota_item_counted(ctx: _UnitContext, quota: Quota) -> tuple[Fraction, str]:
    cases = ctx.of_kind("case")
    counted = ZERO
    pieces = []
    for part in quota.parts:
        scope = scope_cases(part, cases)
        c = quota_counted(part, [r.fields.get("category", "") for r in scope])
        counted += c
        if part.name:
            pieces.append(f"{part.name} {ctx.plain(c)}/{part.total}")
    detail = f"（{'，'.join(pieces)}）" if len(pieces) > 0 else ""
    return counted, detail


def _progress(ctx: _UnitContext, item: Item) -> list[ProgressValue]:
    prog = item.progress
    if prog is None:
        return []
    unit = ctx.unit
    if prog.type == "news":
        by_level = ctx.news_by_level()
        quota = unit.news_quota or {}
        return [ProgressValue(LEVEL_NAMES[lv], Fraction(len(by_level[lv])),
                              Fraction(quota[lv]) if lv in quota else None,
                              [r.id for r in by_level[lv]]) for lv in LEVELS]
    if prog.type == "leads":
        leads = ctx.of_kind("case-lead")
        target = unit.lead_target if unit.lead_target is not None else prog.target
        return [ProgressValue("案件线索", Fraction(len(leads)),
                              Fraction(target) if target is not None else None, [r.id for r in leads])]
    if prog.type == "cases":
        quota = item.quota or unit.case_quota
        cases = ctx.of_kind("case")
        if quota is None:
            return [ProgressValue("案件", Fraction(len(cases)), None, [r.id for r in cases])]
        rows: list[ProgressValue] = []
        for part in quota.parts:
            scope = scope_cases(part, cases)
            prefix = f"{part.name} " if part.name else ""
            for cat, minimum in part.minimums.items():
                recs = [r for r in scope if r.fields.get("category") == cat]
                rows.append(ProgressValue(f"{prefix}{cat}", Fraction(len(recs)), Fraction(minimum),
                                          [r.id for r in recs]))
            others = [r for r in scope if r.fields.get("category") not in part.minimums]
            if others:
                rows.append(ProgressValue(f"{prefix}其他类别", Fraction(len(others)), None,
                                          [r.id for r in others]))
            rows.append(ProgressValue(f"{prefix}合计", Fraction(len(scope)), Fraction(part.total),
                                      [r.id for r in scope]))
        if len(quota.parts) > 1:
            rows.append(ProgressValue("全部合计", Fraction(len(cases)), Fraction(quota.total),
                                      [r.id for r in cases]))
        return rows
    evidence = [r for r in ctx.of_kind("evidence") if r.fields.get("task") == item.id]
    if prog.type == "count":
        with_count = [r for r in evidence if r.fields.get("count") is not None]
        done = sum((Fraction(r.fields["count"]) for r in with_count), ZERO)
        label = f"完成数量（{prog.unit}）" if prog.unit else "完成数量"
        return [ProgressValue(label, done, prog.target, [r.id for r in with_count])]
    if prog.type == "rate":
        with_rate = [r for r in evidence if r.fields.get("rate") is not None]
        if not with_rate:
            return [ProgressValue("比率（%）", ZERO, prog.target, [])]
        latest = max(with_rate, key=lambda r: (r.date, r.id))
        return [ProgressValue("比率（%）", _frac(latest.fields["rate"]), prog.target, [latest.id])]
    return []


# --------------------------------------------------------------- adjustments


def _score_adjustment(ctx: _UnitContext, rule: AdjustmentRule) -> AdjustmentScore:
    flags: dict[str, bool] = {}
    for j in ctx.judgements.values():
        for k, v in j.flags.items():
            flags[k] = flags.get(k, False) or bool(v)
    lines: list[Line] = []
    for part in rule.parts:
        found = _part_lines(ctx, rule.id, part, rule.sign, flags)
        if part.year_end and ctx.as_of is not None:  # shown as what it would cost, not counted
            for ln in found:
                ln.projected = True
        lines.extend(found)
    raw = sum((ln.amount for ln in lines if not ln.projected), ZERO)
    amount = max(raw, ZERO)
    adj = AdjustmentScore(rule=rule, lines=lines, raw=raw, amount=amount,
                          projected=sum((ln.amount for ln in lines if ln.projected), ZERO))
    if rule.cap is not None and amount > Fraction(rule.cap):
        amount = Fraction(rule.cap)
        adj.amount = amount
        adj.explain = f"合计 {ctx.plain(raw)}，超过上限 {ctx.plain(Fraction(rule.cap))}，按 {ctx.plain(amount)} 计"
    elif adj.projected and not raw:
        adj.explain = f"年终才判定，暂不计入（截至 {ctx.as_of.isoformat()} 预计 {ctx.plain(adj.projected)}）"
    elif not lines or not raw:
        adj.explain = "无"
    else:
        adj.explain = f"合计 {ctx.plain(raw)}"
    return adj


def _part_lines(ctx: _UnitContext, rule_id: str, part: Part, sign: int,
                flags: dict[str, bool]) -> list[Line]:
    if part.per == "record":
        return _record_lines(ctx, rule_id, part, sign)
    if part.per == "flag":
        if not flags.get(part.id):
            return []
        amt = _flag_amount(part.amount)
        label = part.label or part.id
        return [Line(rule_id, part.id, amt, [], f"{label}：{_signed_plain(ctx, amt, sign)}")]
    if part.per in MEASURES:
        return _measure_lines(ctx, rule_id, part, sign)
    raise QsgenError(f"规则 {rule_id} 的 {part.id} 有未知的 per：{part.per}")


def _flag_amount(amount: Amount) -> Fraction:
    if amount.constant is not None:
        return Fraction(amount.constant)
    raise QsgenError("per: flag 只能使用固定分值")


def _record_lines(ctx: _UnitContext, rule_id: str, part: Part, sign: int) -> list[Line]:
    matching = [r for r in ctx.of_kind(part.kind) if _matches(r, part.where)]
    if not matching:
        return []
    if part.once:
        first = matching[0]
        if part.zero_when and _matches(first, part.zero_when):
            amt: Fraction | None = ZERO
        else:
            amt, _ = _record_amount(ctx, part, first, sign)
        if amt is None:
            return []
        label = part.label or (KINDS[first.kind].name if first.kind in KINDS else first.kind)
        explain = f"{label}（共 {len(matching)} 条记录，只计一次）：{_signed_plain(ctx, amt, sign)}"
        return [Line(rule_id, part.id, amt, [r.id for r in matching], explain)]
    lines = []
    for r in matching:
        if part.zero_when and _matches(r, part.zero_when):
            reason = "、".join(_field_label(r.kind, k) for k in part.zero_when)
            lines.append(Line(rule_id, part.id, ZERO, [r.id], f"{_record_label(r)} 属{reason}：不计分"))
            continue
        amt, text = _record_amount(ctx, part, r, sign)
        if amt is None:
            continue
        lines.append(Line(rule_id, part.id, amt, [r.id], text))
    return lines


def _record_amount(ctx: _UnitContext, part: Part, r: Record, sign: int) -> tuple[Fraction | None, str]:
    """(amount, explain) of one matching record; amount None = no line (below the first tier)."""
    a = part.amount
    who = _record_label(r)
    if a.tiers:
        fname = a.field or "fine"
        value = _frac(_field(r, fname))
        if value is None:
            return None, ""
        reached = [(lo, amt) for lo, amt in _fraction_tiers(a) if value >= lo]
        if not reached:
            return None, ""
        lo, amt = max(reached, key=lambda t: t[0])
        name, show = _field_text(r, fname, value), _bound_text(r, fname, lo)
        return amt, f"{who} {name} ≥ {show}：{_signed_plain(ctx, amt, sign)}"
    if a.by is not None and a.values is not None:
        key = _field(r, a.by)
        amt = Fraction(a.values.get(key, 0)) if key is not None else ZERO
        return amt, f"{who} {_key_name(r.kind, a.by, key)}：{_signed_plain(ctx, amt, sign)}"
    if a.field is not None and (a.min is not None or a.max is not None):
        value = _frac(_field(r, a.field)) or ZERO
        amt = value
        if a.min is not None:
            amt = max(amt, Fraction(a.min))
        if a.max is not None:
            amt = min(amt, Fraction(a.max))
        return amt, f"{who} {_field_label(r.kind, a.field)} {ctx.plain(value)}：{_signed_plain(ctx, amt, sign)}"
    if a.field is not None and a.times is not None and not isinstance(a.times, dict):
        value = _frac(_field(r, a.field)) or ZERO
        amt = value * Fraction(a.times)
        return amt, (f"{who} {_field_label(r.kind, a.field)} {ctx.plain(value)} × {ctx.plain(Fraction(a.times))}"
                     f" = {ctx.plain(amt)}")
    if a.constant is not None:
        amt = Fraction(a.constant)
        label = f"（{part.label}）" if part.label else ""
        return amt, f"{who}{label}：{_signed_plain(ctx, amt, sign)}"
    raise QsgenError(f"{part.id} 的分值写法不适用于逐条记录")


def _measure_lines(ctx: _UnitContext, rule_id: str, part: Part, sign: int) -> list[Line]:
    a = part.amount
    what, word = MEASURES[part.per].phrase, MEASURES[part.per].word
    lines = []
    # by: level with a rate per level asks for the count per level instead of one count
    for key, count, ids in ctx.measure(part.per, None if a.steps else a.by):
        if count <= 0:
            continue
        prefix = LEVEL_NAMES.get(key, key)
        desc = f"{prefix}{what} {ctx.plain(count)} {word}"
        if a.steps:
            steps = sorted((Fraction(lo), Fraction(v)) for lo, v in a.steps)
            reached = [(i, lo, v) for i, (lo, v) in enumerate(steps) if count >= lo]
            if not reached:
                continue
            i, lo, amt = reached[-1]
            if i + 1 < len(steps):
                hi = steps[i + 1][0]
                rng = (f"{ctx.plain(lo)}–{ctx.plain(hi - 1)} {word}" if hi.denominator == 1 and lo.denominator == 1
                       else f"{ctx.plain(lo)} ≤ 数量 < {ctx.plain(hi)}")
            else:
                rng = f"{ctx.plain(lo)} {word}及以上"
            lines.append(Line(rule_id, part.id, amt, ids, f"{desc}（{rng}）：{_signed_plain(ctx, amt, sign)}"))
            continue
        rate = _measure_rate(a, key)
        if rate is None:
            continue
        amt = count * rate
        lines.append(Line(rule_id, part.id, amt, ids, f"{desc} × {ctx.plain(rate)} = {ctx.plain(amt)}"))
    return lines


def _measure_rate(a: Amount, key: str) -> Fraction | None:
    if isinstance(a.times, dict):
        return Fraction(a.times[key]) if key in a.times else None
    if a.times is not None:
        return Fraction(a.times)
    if a.values is not None:
        return Fraction(a.values[key]) if key in a.values else None
    if a.constant is not None:
        return Fraction(a.constant)
    raise QsgenError("计量方式的分值须写 times、by/times 或 steps")


# --------------------------------------------------------------- conditions


def _field(r: Record, name: str) -> Any:
    if name == "effective_level":
        return effective_level(r)
    if name in r.fields:
        return r.fields[name]
    if name in ("title", "date", "kind", "unit"):
        return getattr(r, name)
    return None


def _matches(r: Record, where: dict[str, Any]) -> bool:
    return all(_cond(_field(r, k), cond) for k, cond in (where or {}).items())


_COMPARE = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}


def _cond(value: Any, cond: Any) -> bool:
    """Whether a record's field ``value`` meets one where-condition (operators: core/conditions.py)."""
    if isinstance(cond, dict) and cond and cond.keys() <= WHERE_OPS.keys():
        for op, want in cond.items():
            if op == "not":
                if _eq(value, want):
                    return False
            elif op == "eq":
                if not _eq(value, want):
                    return False
            elif op == "in":
                if not any(_eq(value, w) for w in _as_list(want)):
                    return False
            else:
                v, w = _frac(value), _frac(want)
                if v is None or w is None:
                    return False
                if not _COMPARE[op](v, w):
                    return False
        return True
    if isinstance(cond, (list, tuple)):
        return any(_eq(value, w) for w in cond)
    return _eq(value, cond)


def _eq(value: Any, want: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool) or isinstance(want, bool):
        try:
            return _to_bool(value) == _to_bool(want)
        except ValueError:
            return False
    if isinstance(value, (int, Fraction, Decimal)) and not isinstance(value, bool):
        w = _frac(want)
        return w is not None and Fraction(value) == w
    return str(value) == str(want)


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        s = v.strip().lower()
        if s in ("true", "yes", "是", "1"):
            return True
        if s in ("false", "no", "否", "0"):
            return False
    if isinstance(v, int):
        return bool(v)
    raise ValueError(f"不是布尔值：{v!r}")


_TIERS: dict[int, tuple[Any, list[tuple[Fraction, Fraction]]]] = {}


def _fraction_tiers(a: Any) -> list[tuple[Fraction, Fraction]]:
    """An amount's tiers as Fractions, made once per amount (not for every record it prices)."""
    hit = _TIERS.get(id(a))
    if hit is None or hit[0] is not a:
        if len(_TIERS) > 4096:  # (the rules of earlier builds of a long-running process)
            _TIERS.clear()
        hit = _TIERS[id(a)] = (a, [(Fraction(lo), Fraction(amt)) for lo, amt in a.tiers])
    return hit[1]


def _frac(v: Any) -> Fraction | None:
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, Fraction):
        return v
    if isinstance(v, (int, Decimal)):
        return Fraction(v)
    if isinstance(v, str):
        try:
            return Fraction(Decimal(v.strip().replace(",", "")))
        except Exception:
            return None
    return None


def _as_list(v: Any) -> list:
    return list(v) if isinstance(v, (list, tuple, set)) else [v]


# ---------------------------------------------------------------- wording


def _signed_plain(ctx: _UnitContext, amt: Fraction, sign: int) -> str:
    if amt == 0:
        return "0"
    return ("+" if sign > 0 else MINUS) + ctx.plain(amt)


def _record_label(r: Record) -> str:
    if r.kind == "case" and r.fields.get("case_no"):
        return f"案件 {r.fields['case_no']}"
    name = KINDS[r.kind].name if r.kind in KINDS else r.kind
    return f"{name}《{r.title}》"


def _field_label(kind: str, name: str) -> str:
    spec = KINDS[kind].all_fields.get(name) if kind in KINDS else None
    label = spec.label if spec and spec.label else name
    return label.split("（")[0]


def _field_unit(kind: str, name: str) -> str:
    spec = KINDS[kind].all_fields.get(name) if kind in KINDS else None
    if spec and "（" in spec.label and spec.label.endswith("）"):
        return spec.label.split("（", 1)[1][:-1]
    return ""


def _field_text(r: Record, name: str, value: Fraction) -> str:
    return f"{_field_label(r.kind, name)} {_bound_text(r, name, value)}"


def _bound_text(r: Record, name: str, value: Fraction) -> str:
    unit = _field_unit(r.kind, name)
    if unit == "元":
        return f"{fmt_money(value)} 元"
    return f"{fmt_plain(value)}{(' ' + unit) if unit else ''}"


def _key_name(kind: str, name: str, key: Any) -> str:
    """A canonical enum value in Chinese: the first Chinese alias the record kind accepts for it."""
    if key is None:
        return "（未填）"
    if isinstance(key, bool):
        return "是" if key else "否"
    if key in LEVEL_NAMES:
        return LEVEL_NAMES[key]
    spec = KINDS[kind].all_fields.get("level" if name == "effective_level" else name) if kind in KINDS else None
    if spec is not None and isinstance(spec.choices, dict):
        for alias, canonical in spec.choices.items():
            if canonical == key and not alias.isascii():
                return alias
    return str(key)


# ------------------------------------------------------------- computation


def _computation(ctx: _UnitContext, s: UnitScore) -> list[str]:
    f = ctx.fmt
    lines: list[str] = []

    def item_term(i: ItemScore) -> str:
        if i.state == "ongoing":
            return f"{i.item.id} 年终计算(0)"
        return f"{i.item.id} {'待评(0)' if i.score is None else ctx.plain(i.score)}"

    if s.sections:
        for sec in s.sections:
            terms = " + ".join(item_term(i) for i in sec.items) or "0"
            lines.append(f"{sec.section.id} {sec.section.title} = {terms} = {ctx.plain(sec.score)}")
        weights = [Fraction(sec.section.weight) for sec in s.sections]
        if all(w == 1 for w in weights):
            terms = " + ".join(f"{sec.section.id} {ctx.plain(sec.score)}" for sec in s.sections)
            lines.append(f"基础分 = ({terms}) / {len(s.sections)} = {f(s.base)}")
        else:
            terms = " + ".join(f"{ctx.plain(w)}×{sec.section.id} {ctx.plain(sec.score)}"
                               for w, sec in zip(weights, s.sections, strict=True))
            lines.append(f"基础分 = ({terms}) / {ctx.plain(sum(weights, ZERO))} = {f(s.base)}")
    else:
        terms = " + ".join(item_term(i) for i in s.items) or "0"
        lines.append(f"基础分 = {terms} = {f(s.base)}")

    for sign, name, value in ((1, "加分", s.bonus), (-1, "减分", s.deduction)):
        adjs = [a for a in s.adjustments if a.rule.sign == sign and a.amount]
        if adjs:
            terms = " + ".join(f"{a.rule.id} {ctx.plain(a.amount)}" for a in adjs)
            lines.append(f"{name} = {terms} = {f(value)}")
        else:
            lines.append(f"{name} = 0")
    lines.append(f"总分 = 基础分 {f(s.base)} + 加分 {f(s.bonus)} − 减分 {f(s.deduction)} = {f(s.total)}")
    if ctx.as_of is not None:
        later = [a for a in s.adjustments if a.projected]
        if later:
            terms = "、".join(f"{a.rule.id} {'+' if a.rule.sign > 0 else MINUS}{ctx.plain(a.projected)}" for a in later)
            lines.append(f"年终才判定、暂不计入的（截至 {ctx.as_of.isoformat()} 预计）：{terms}")
        lines.append(f"{ctx.rules.year} 年度尚未结束（截至 {ctx.as_of.isoformat()}），以上是年中进展，不是考核结果")
    elif s.provisional:
        pending = [i.item.id for i in s.items if i.state == "pending"]
        lines.append(f"尚有 {len(pending)} 项待评（{'、'.join(pending)}），总分为暂定")
    return lines
