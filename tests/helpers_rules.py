"""A small builder of model.Rules / Unit / Record objects for the scoring tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction as F
from itertools import count

from qsgen.core.model import (
    AdjustmentRule,
    Amount,
    Assessment,
    Group,
    Item,
    Judgement,
    Part,
    Progress,
    Quota,
    QuotaPart,
    Record,
    RecordSet,
    Rules,
    Section,
    Unit,
)

LEVEL_5321 = {"national": F(5), "provincial": F(3), "city": F(2), "county": F(1)}
NEWS_10 = {"national": 1, "provincial": 3, "city": 3, "county": 3}
NEWS_31 = {"national": 1, "provincial": 10, "city": 10, "county": 10}
FINE_TIERS = [(F(10000), F(1)), (F(50000), F(2)), (F(100000), F(3))]

_seq = count(1)


def item(id: str, points, method: str = "assessed", quota: Quota | None = None,
         progress: Progress | None = None, extras: list[Part] | None = None,
         section: str | None = None) -> Item:
    return Item(id=id, text=f"任务 {id}", max=F(points), method=method, section=section,
                quota=quota, progress=progress, extras=list(extras or []))


def quota(total: int, minimums: dict[str, int] | None = None, name: str | None = None) -> Quota:
    return Quota([QuotaPart(name, total, dict(minimums or {}))])


def team_quota(teams: dict[str, tuple[int, dict[str, int]]]) -> Quota:
    return Quota([QuotaPart(name, total, dict(mins)) for name, (total, mins) in teams.items()])


def jiguan(slug: str, items: list[Item] | None = None, news_quota=None, lead_target=None,
           teams=None) -> Unit:
    """A 机关 unit; default items t01 90 (assessed) + t02 10 (news progress)."""
    if items is None:
        items = [item("t01", 90), item("t02", 10, progress=Progress("news"))]
    return Unit(slug=slug, name=f"单位{slug}", group="jiguan", items=items, news_quota=news_quota,
                lead_target=lead_target, teams=list(teams or []))


def station(slug: str, case_quota: Quota | None = None, news_quota=None, n_sections: int = 15,
            extras: dict[str, list[Part]] | None = None, weights: dict[str, F] | None = None) -> Unit:
    """A 所: ``n_sections`` sections of two items (60 + 40), the case section s11 a quota item."""
    sections = []
    all_items = []
    extras = extras or {}
    for n in range(1, n_sections + 1):
        sid = f"s{n:02d}"
        if sid == "s11" and case_quota is not None:
            items = [item("s11-1", 100, method="quota", quota=case_quota, progress=Progress("cases"),
                          section=sid)]
        else:
            items = [item(f"{sid}-1", 60, section=sid, extras=extras.get(f"{sid}-1")),
                     item(f"{sid}-2", 40, section=sid, extras=extras.get(f"{sid}-2"))]
        sections.append(Section(sid, f"第{n}节", items, F((weights or {}).get(sid, 1))))
        all_items.extend(items)
    return Unit(slug=slug, name=f"{slug}所", group="jiceng", items=all_items, sections=sections,
                news_quota=news_quota)


def part(id: str, per: str = "record", kind: str | None = None, where=None, amount: Amount | None = None,
         zero_when=None, once: bool = False, label: str = "") -> Part:
    return Part(id=id, per=per, label=label, kind=kind, where=dict(where or {}),
                amount=amount or Amount(), zero_when=dict(zero_when or {}), once=once)


def const(x) -> Amount:
    return Amount(constant=F(x))


def rule(id: str, sign: int, parts: list[Part], cap=None, applies_to=None) -> AdjustmentRule:
    return AdjustmentRule(id=id, sign=sign, title=f"规则{id}", text="", responsible="fagui", parts=parts,
                          cap=None if cap is None else F(cap), applies_to=dict(applies_to or {}))


def standard_adjustments() -> list[AdjustmentRule]:
    """DESIGN.md §2.3 as data, the way rules/2023/adjustments.yaml is expected to say it."""
    by_level = Amount(by="level", values=dict(LEVEL_5321))
    rules = [
        rule(f"B{i}", +1, [part("commendation", kind="commendation", where={"category": f"B{i}"},
                                zero_when={"quota_allocated": True}, amount=by_level)])
        for i in range(1, 5)
    ]
    rules += [
        rule("B5", +1, [
            part("surplus", per="news_surplus",
                 amount=Amount(steps=[(F(1), F("0.1")), (F(6), F("0.3")), (F(11), F("0.5")), (F(21), F(1))])),
            part("national", kind="news", where={"effective_level": "national"}, amount=const("0.5")),
        ], cap=5),
        rule("B6a", +1, [
            part("fined_case", kind="case", where={"fine": {"gt": 0}}, amount=const("3.5"),
                 label="有罚没款的案件"),
            part("fine_tier", kind="case", amount=Amount(field="fine", tiers=list(FINE_TIERS))),
        ], applies_to={"case_quota": False}),
        rule("B6b", +1, [part("lead_surplus", per="lead_surplus", amount=Amount(times=F("0.1")))],
             cap=5),
        rule("B6c", +1, [
            part("general_surplus", per="case_surplus_general", amount=Amount(times=F("0.3"))),
            part("fine_tier", kind="case", amount=Amount(field="fine", tiers=list(FINE_TIERS))),
        ], applies_to={"case_quota": True}),
        rule("B6d", +1, [part("transferred", kind="case",
                               where={"transferred": True, "sampling_assigned": {"not": True}},
                               amount=const(5))]),
        rule("B7", +1, [part("discretionary", kind="discretionary",
                              amount=Amount(field="points", min=F(1), max=F(10)))]),
        rule("D1", -1, [part("criticism", kind="criticism", amount=by_level)]),
        rule("D2", -1, [part("accountability", kind="accountability",
                              amount=Amount(field="persons", times=F(2)))]),
        rule("D3", -1, [part("exposure", kind="media-exposure", amount=by_level)]),
        rule("D4", -1, [
            part("review", kind="enforcement-error", where={"found_by": ["review", "litigation"]},
                 amount=const(3)),
            part("supervision", kind="enforcement-error", where={"found_by": "supervision"}, amount=const(2)),
        ]),
        rule("D5", -1, [part("attendance", kind="attendance", once=True, amount=const(2))]),
        rule("D6", -1, [part("absence", kind="absence", amount=const(3))]),
        rule("D7", -1, [part("misconduct", kind="misconduct", amount=Amount(field="points", min=F(5), max=F(10)))]),
        rule("D8", -1, [part("exam", kind="exam-rules", amount=Amount(field="points", min=F(5), max=F(10)))]),
        rule("D9", -1, [part("news_shortfall", per="news_shortfall",
                              amount=Amount(by="level", times={"national": F("0.5"), "provincial": F("0.3"),
                                                               "city": F("0.2"), "county": F("0.1")}))]),
        rule("D10", -1, [
            part("case_shortfall", per="case_shortfall", amount=Amount(times=F("0.3"))),
            part("lead_shortfall", per="lead_shortfall", amount=Amount(times=F("0.1"))),
        ]),
    ]
    return rules


def make_rules(units: list[Unit], adjustments: list[AdjustmentRule] | None = None,
               places: int = 2, rounding: str = "ROUND_HALF_UP") -> Rules:
    return Rules(year=2023, title="测试考核", document="测试〔2023〕1号",
                 period=(dt.date(2023, 1, 1), dt.date(2023, 12, 31)), places=places, rounding=rounding,
                 groups=[Group("jiguan", "机关股室"), Group("jiceng", "基层所")],
                 departments={"fagui": "法规股"}, case_categories={},
                 units=units, adjustments=standard_adjustments() if adjustments is None else adjustments,
                 interpretations=[])


def rec(unit: str, kind: str, date: str = "2023-06-01", title: str = "", id: str | None = None,
        **fields) -> Record:
    n = next(_seq)
    rid = id or f"{unit}/{kind}-{n:04d}"
    return Record(id=rid, path=f"records/2023/{rid}.md", unit=unit, kind=kind, title=title or f"{kind} {n}",
                  date=dt.date.fromisoformat(date), fields=fields, body="")


def case(unit: str, category: str = "其他", fine="0", procedure: str = "general", case_no: str | None = None,
         **kw) -> Record:
    n = next(_seq)
    return rec(unit, "case", case_no=case_no or f"沁市监罚〔2023〕{n}号", category=category,
               procedure=procedure, fine=Decimal(str(fine)), **kw)


def news(unit: str, level: str, adopted_by: list[tuple[str, str]] | None = None, **kw) -> Record:
    return rec(unit, "news", level=level, outlet="沁水新闻",
               adopted_by=[{"outlet": o, "level": lv} for o, lv in (adopted_by or [])], **kw)


def lead(unit: str, **kw) -> Record:
    return rec(unit, "case-lead", **kw)


def records(recs: list[Record], judged: dict[str, dict[str, object]] | None = None,
            flags: dict[str, dict[str, dict[str, bool]]] | None = None) -> RecordSet:
    """A RecordSet; ``judged`` = {unit: {item_id: score}}, ``flags`` = {unit: {item_id: {flag: True}}}."""
    assessments = {}
    for unit, scores in (judged or {}).items():
        items = {}
        for item_id, s in scores.items():
            items[item_id] = Judgement(score=F(str(s)), flags=dict((flags or {}).get(unit, {}).get(item_id, {})))
        assessments[unit] = Assessment(unit=unit, path=f"records/2023/{unit}/assessment.yaml", items=items)
    return RecordSet(year=2023, records=sorted(recs, key=lambda r: r.path), assessments=assessments)


def judge_all(unit: Unit, score_of=None) -> dict[str, object]:
    """Scores for every assessed item of a unit: full marks, or ``score_of(item)``."""
    return {i.id: (score_of(i) if score_of else i.max) for i in unit.items if i.method != "quota"}
