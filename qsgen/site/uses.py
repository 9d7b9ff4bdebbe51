"""Which score lines each record feeds (what its page lists under 计分用途)."""

from __future__ import annotations

from typing import Any

from qsgen.core.model import Record, UnitScore


def _shared(records: list[str]) -> str:
    """What a record page adds to a score line that several records earn together (a surplus
    of news or cases counts all of them once): the amount is the line's, not the record's."""
    return f"（{len(records)} 条记录合计）" if len(records) > 1 else ""


def unit_uses(us: UnitScore, plain: Any, only: str | None = None) -> dict[str, list[dict[str, str]]]:
    """Record id -> the score lines of unit ``us`` it feeds (a record feeds only its own
    unit's: scoring sees no other unit's records); ``only``: that record's lines alone (the
    others' are neither formatted nor listed)."""
    if only is None:
        def pick(rids: list[str]) -> Any:
            return rids
    else:
        one = (only,)

        def pick(rids: list[str]) -> Any:
            return one if only in rids else ()
    uses: dict[str, list[dict[str, str]]] = {}
    # Most records feed a line worded like many others ("任务项 t01 的佐证"): one entry
    # for all of them (never changed after), not one per record (~15 MB at 50,000 records).
    entries: dict[tuple[str, str], dict[str, str]] = {}

    def add(rid: str, what: str, anchor: str) -> None:
        entry = entries.get((what, anchor))
        if entry is None:
            entry = entries[what, anchor] = {
                "unit": us.unit.slug, "unit_name": us.unit.name, "what": what, "anchor": anchor}
        lst = uses.setdefault(rid, [])
        if entry not in lst:
            lst.append(entry)

    for it in us.items:
        for rid in pick(it.evidence):
            add(rid, f"任务项 {it.item.id} 的佐证", "item-" + it.item.id)
        labels: dict[str, list[str]] = {}
        for pv in it.progress:
            for rid in pick(pv.records):
                labels.setdefault(rid, [])
                if pv.label not in labels[rid]:
                    labels[rid].append(pv.label)
        for rid, names in labels.items():
            add(rid, f"任务项 {it.item.id} 的完成进度（{'、'.join(names)}）", "item-" + it.item.id)
        for ln in it.extras:
            for rid in pick(ln.records):
                add(rid, f"任务项 {it.item.id} 加分 {plain(ln.amount)}{_shared(ln.records)}",
                    "item-" + it.item.id)
    for adj in us.adjustments:
        word = "加分" if adj.rule.sign > 0 else "减分"
        for ln in adj.lines:
            for rid in pick(ln.records):
                add(rid, f"{adj.rule.id} {adj.rule.title}：{word} {plain(ln.amount)}"
                         f"{_shared(ln.records)}", "rule-" + adj.rule.id)
    return uses


def record_uses(us: UnitScore, plain: Any, rid: str) -> list[dict[str, str]] | None:
    """unit_uses(us, plain).get(rid): the same lines, equal and in the same order, worked out
    for the one record (what an incremental build asks for a record read again: the unit's
    other records' lines are neither formatted nor listed)."""
    return unit_uses(us, plain, only=rid).get(rid)


# Records of a unit asked for one at a time (record_uses) before its whole table is made: an
# incremental build asks for the few records read again; a build that asks for more (every
# record of a unit) gets the table, made once.
FEW = 4


class Uses:
    """Record id -> the score lines it feeds, worked out one unit at a time on first ask: an
    incremental build asks for a few records only. Holds no reference to the site (a cycle
    would keep the site alive, see templates.environment)."""

    def __init__(self, records: dict[str, Record], units: list[UnitScore], plain: Any) -> None:
        self.records = records
        self.units = {us.unit.slug: us for us in units}
        self.plain = plain
        self.done: dict[str, dict[str, list[dict[str, str]]]] = {}
        self.few: dict[str, dict[str, list[dict[str, str]] | None]] = {}  # unit -> {record id: record_uses}

    def get(self, record_id: str, default: Any = None) -> Any:
        rec = self.records.get(record_id)
        us = self.units.get(rec.unit) if rec is not None else None
        if us is None:
            return default
        slug = us.unit.slug
        table = self.done.get(slug)
        if table is None:
            few = self.few.setdefault(slug, {})
            if record_id not in few and len(few) < FEW:
                few[record_id] = record_uses(us, self.plain, record_id)
            if record_id in few:
                found = few[record_id]
                return default if found is None else found
            table = self.done[slug] = unit_uses(us, self.plain)
            # (pop: the builder's thread and the main thread may both get here for a unit;
            # each makes the same table)
            self.few.pop(slug, None)
        return table.get(record_id, default)
