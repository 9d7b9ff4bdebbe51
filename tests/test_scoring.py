"""Hand-worked examples for every formula and boundary of the scoring engine."""

from decimal import Decimal
from fractions import Fraction as F

import pytest
from helpers_rules import (
    NEWS_10,
    NEWS_31,
    Amount,
    Progress,
    case,
    const,
    item,
    jiguan,
    judge_all,
    lead,
    make_rules,
    news,
    part,
    quota,
    rec,
    records,
    rule,
    station,
    team_quota,
)

from qsgen.core.model import QuotaPart
from qsgen.scoring.engine import competition_ranks, effective_level, quota_counted, score


def run(units, recs, judged=None, flags=None, adjustments=None, **kw):
    """Score with every assessed item judged full marks unless ``judged`` says otherwise."""
    full = {u.slug: judge_all(u) for u in units}
    for slug, scores in (judged or {}).items():
        full[slug] = scores
    return score(make_rules(units, adjustments, **kw), records(recs, full, flags))


def adj(result, slug, rule_id):
    u = result.unit(slug)
    found = [a for a in u.adjustments if a.rule.id == rule_id]
    assert len(found) == 1, f"{rule_id} not listed for {slug}"
    return found[0]


# ------------------------------------------------------------------ quotas


def test_quota_counted_minimums_and_surplus():
    p = QuotaPart(None, 25, {"知识产权": 2, "广告": 1})
    # 知识产权 3 (1 beyond its minimum), 广告 0, other 20: 2 + min(1 + 20, 25 - 3) = 23
    assert quota_counted(p, ["知识产权"] * 3 + ["其他"] * 20) == 23
    # surplus in one category cannot stand in for a missing minimum beyond the free places
    assert quota_counted(p, ["知识产权"] * 30) == 2 + 22
    assert quota_counted(p, ["其他"] * 30) == 22


def test_quota_counted_uncategorised_fills_only_free_places():
    p = QuotaPart(None, 10, {"A": 2, "B": 2})
    assert quota_counted(p, ["X"] * 10) == 6
    assert quota_counted(p, ["A"] * 30) == 2 + 6
    assert quota_counted(p, ["A"] * 5 + ["B"] * 5 + ["X"] * 10) == 10  # capped at total
    assert quota_counted(p, []) == 0
    assert quota_counted(p, ["A", "B", "X"]) == 3


def test_station_case_section_quota_ratio():
    lg = station("longgang", case_quota=quota(25, {"知识产权": 2, "广告": 1}))
    recs = [case("longgang", "知识产权") for _ in range(2)] + [case("longgang") for _ in range(21)]
    r = run([lg], recs)
    s11 = r.unit("longgang").sections[10]
    # counted = 2 + min(21, 22) = 23 → 100 × 23/25 = 92
    assert s11.score == 92
    assert s11.items[0].state == "computed"
    assert s11.items[0].explain == "计入 23 件；100 × 23/25 = 92.00"
    # base = (14 × 100 + 92) / 15
    assert r.unit("longgang").base == F(1492, 15)
    # D10: 25 − 23 = 2 missing → 0.6
    assert adj(r, "longgang", "D10").amount == F("0.6")


def zhifadui_unit():
    mins = {"知识产权": 2, "广告": 1}
    q = team_quota({"一中队": (36, mins), "二中队": (36, mins)})
    return jiguan("zhifadui", items=[
        item("t01", 50),
        item("t06", 50, method="quota", quota=q, progress=Progress("cases")),
    ], teams=["一中队", "二中队"])


def test_zhifadui_two_teams_do_not_share_the_quota():
    zf = zhifadui_unit()
    recs = ([case("zhifadui", "知识产权", team="一中队") for _ in range(2)]
            + [case("zhifadui", "广告", team="一中队")]
            + [case("zhifadui", team="一中队", procedure="simple") for _ in range(35)]   # 38 in 一中队
            + [case("zhifadui", "广告", team="二中队")]
            + [case("zhifadui", team="二中队") for _ in range(24)]                       # 25 in 二中队
            + [case("zhifadui")])                                                        # no team: not counted
    r = run([zf], recs)
    u = r.unit("zhifadui")
    t06 = u.items[1]
    # 一中队: 36 (capped); 二中队: 广告 1 + min(24, 33) = 25; counted 61
    assert t06.score == F(50 * 61, 72)
    assert t06.explain == "计入 61 件（一中队 36/36，二中队 25/36）；50 × 61/72 = 42.36"
    # D10: 二中队 11 short → 3.3
    d10 = adj(r, "zhifadui", "D10")
    assert d10.amount == F("3.3")
    assert [ln.explain for ln in d10.lines] == ["二中队案件少 11 件 × 0.3 = 3.3"]
    # B6c (口径8): 一中队 2 beyond, 3 general cases in 一中队 → 2 × 0.3; 二中队 none beyond
    b6c = adj(r, "zhifadui", "B6c")
    assert b6c.amount == F("0.6")
    assert b6c.lines[0].explain == "一中队超额完成的一般程序案件 2 件 × 0.3 = 0.6"
    labels = {p.label: (p.done, p.target) for p in t06.progress}
    assert labels["一中队 知识产权"] == (2, 2)
    assert labels["二中队 知识产权"] == (0, 2)
    assert labels["一中队 合计"] == (38, 36)
    assert labels["二中队 合计"] == (25, 36)
    assert labels["全部合计"] == (64, 72)


def test_case_surplus_general_kou_jing_8():
    lg = station("longgang", case_quota=quota(25))
    # 30 cases, 27 simple + 3 general: 5 beyond, only 3 general → 0.9
    recs = [case("longgang", procedure="simple") for _ in range(27)] + [case("longgang") for _ in range(3)]
    b6c = adj(run([lg], recs), "longgang", "B6c")
    assert b6c.amount == F("0.9")
    assert len(b6c.lines[0].records) == 3
    # all simple → nothing
    recs = [case("longgang", procedure="simple") for _ in range(30)]
    assert adj(run([lg], recs), "longgang", "B6c").amount == 0
    # all general, 30 cases → 5 × 0.3
    recs = [case("longgang") for _ in range(30)]
    assert adj(run([lg], recs), "longgang", "B6c").amount == F("1.5")
    # exactly the quota → nothing beyond
    recs = [case("longgang") for _ in range(25)]
    r = run([lg], recs)
    assert adj(r, "longgang", "B6c").amount == 0
    assert adj(r, "longgang", "D10").amount == 0


# -------------------------------------------------------------- fine tiers


@pytest.mark.parametrize("fine, b6a, b6c", [
    ("0", 0, 0),
    ("9999", F("3.5"), 0),
    ("10000", F("4.5"), 1),
    ("49999.99", F("4.5"), 1),
    ("50000", F("5.5"), 2),
    ("99999", F("5.5"), 2),
    ("100000", F("6.5"), 3),
    ("2500000", F("6.5"), 3),
])
def test_fine_tiers_b6a_and_b6c(fine, b6a, b6c):
    fg = jiguan("fagui")
    lg = station("longgang", case_quota=quota(25))
    r = run([fg, lg], [case("fagui", fine=fine), case("longgang", fine=fine)])
    assert adj(r, "fagui", "B6a").amount == b6a
    assert adj(r, "longgang", "B6c").amount == b6c
    # each applies only to its side of applies_to {case_quota}
    assert not [a for a in r.unit("fagui").adjustments if a.rule.id == "B6c"]
    assert not [a for a in r.unit("longgang").adjustments if a.rule.id == "B6a"]


def test_b6a_no_fine_gives_nothing_and_explains():
    r = run([jiguan("fagui")], [case("fagui", fine="0"), case("fagui", fine="12000", case_no="沁市监罚〔2023〕12号")])
    b6a = adj(r, "fagui", "B6a")
    assert b6a.amount == F("4.5")
    texts = [ln.explain for ln in b6a.lines]
    assert "案件 沁市监罚〔2023〕12号 罚没款 12,000 元 ≥ 10,000 元：+1" in texts
    assert "案件 沁市监罚〔2023〕12号（有罚没款的案件）：+3.5" in texts
    assert all(ln.records for ln in b6a.lines)


def test_b6d_transferred_except_sampling_assigned():
    r = run([jiguan("fagui")], [
        case("fagui", transferred=True),
        case("fagui", transferred=True, sampling_assigned=True),
        case("fagui", transferred=False),
    ])
    assert adj(r, "fagui", "B6d").amount == 5


# --------------------------------------------------------------------- news


def full_news(unit, quota_):
    return [news(unit, lv) for lv, n in quota_.items() for _ in range(n)]


@pytest.mark.parametrize("extra, bonus", [
    (0, 0), (1, F("0.1")), (5, F("0.1")), (6, F("0.3")), (10, F("0.3")),
    (11, F("0.5")), (20, F("0.5")), (21, F(1)), (40, F(1)),
])
def test_b5_surplus_steps(extra, bonus):
    u = jiguan("bangongshi", news_quota=NEWS_10)
    recs = full_news("bangongshi", NEWS_10) + [news("bangongshi", "county") for _ in range(extra)]
    b5 = adj(run([u], recs), "bangongshi", "B5")
    # one national item meets the national quota and earns its own +0.5
    assert b5.amount == bonus + F("0.5")


def test_b5_explain_and_no_substitution_between_levels():
    u = jiguan("bangongshi", news_quota=NEWS_10)
    recs = [news("bangongshi", "county") for _ in range(10)]  # 7 beyond county, all other levels short
    r = run([u], recs)
    b5 = adj(r, "bangongshi", "B5")
    assert b5.amount == F("0.3")
    assert b5.lines[0].explain == "信息超额 7 条（6–10 条）：+0.3"
    assert len(b5.lines[0].records) == 7
    d9 = adj(r, "bangongshi", "D9")
    assert d9.amount == F("0.5") + F("0.9") + F("0.6")
    assert [ln.explain for ln in d9.lines] == [
        "国家级少 1 条 × 0.5 = 0.5", "省级少 3 条 × 0.3 = 0.9", "市级少 3 条 × 0.2 = 0.6"]


def test_b5_cap_5_with_national_items():
    u = jiguan("bangongshi", news_quota=NEWS_10)
    recs = [news("bangongshi", "national") for _ in range(12)]
    b5 = adj(run([u], recs), "bangongshi", "B5")
    # surplus 11 → 0.5; 12 national items × 0.5 = 6; raw 6.5, capped at 5
    assert b5.raw == F("6.5")
    assert b5.amount == 5
    assert "上限" in b5.explain


def test_b5_adopted_by_several_outlets_counts_once_at_highest_level():
    u = jiguan("bangongshi", news_quota=NEWS_10)
    item_ = news("bangongshi", "county", adopted_by=[("山西日报", "provincial"), ("人民日报", "national"),
                                                     ("新华网", "national")])
    assert effective_level(item_) == "national"
    r = run([u], [item_])
    b5 = adj(r, "bangongshi", "B5")
    assert b5.amount == F("0.5")          # once, no surplus (it fills the national quota)
    d9 = adj(r, "bangongshi", "D9")
    assert d9.amount == F("0.9") + F("0.6") + F("0.3")   # national met; county still 3 short
    news_progress = r.unit("bangongshi").items[1].progress
    assert [(p.label, p.done, p.target) for p in news_progress] == [
        ("国家级", 1, 1), ("省级", 0, 3), ("市级", 0, 3), ("县级", 0, 3)]


def test_news_without_quota_every_item_is_surplus():
    u = jiguan("zhifadui")   # no news quota
    r = run([u], [news("zhifadui", "county") for _ in range(6)])
    assert adj(r, "zhifadui", "B5").amount == F("0.3")
    assert adj(r, "zhifadui", "D9").amount == 0


@pytest.mark.parametrize("quota_, full", [(NEWS_10, F("2.3")), (NEWS_31, F("6.5"))])
def test_d9_full_when_no_news_kou_jing_11(quota_, full):
    u = jiguan("renshi", news_quota=quota_)
    assert adj(run([u], []), "renshi", "D9").amount == full


# -------------------------------------------------------------------- leads


@pytest.mark.parametrize("n, bonus, deduction", [
    (0, 0, F("0.4")), (3, 0, F("0.1")), (4, 0, 0), (5, F("0.1"), 0), (14, F(1), 0),
    (54, F(5), 0), (60, F(5), 0),
])
def test_leads_surplus_cap_and_shortfall(n, bonus, deduction):
    u = jiguan("xinyong", lead_target=4)
    r = run([u], [lead("xinyong") for _ in range(n)])
    assert adj(r, "xinyong", "B6b").amount == bonus
    assert adj(r, "xinyong", "D10").amount == deduction


def test_lead_cap_keeps_raw_and_lines():
    u = jiguan("xinyong", lead_target=4)
    b6b = adj(run([u], [lead("xinyong") for _ in range(60)]), "xinyong", "B6b")
    assert b6b.raw == F("5.6") and b6b.amount == 5
    assert b6b.lines[0].explain == "案件线索超额 56 条 × 0.1 = 5.6"
    assert len(b6b.lines[0].records) == 56


# ---------------------------------------------------- other record-based rules


def test_commendations_by_level_and_quota_allocated():
    u = jiguan("renshi")
    r = run([u], [
        rec("renshi", "commendation", category="B1", level="national", issuer="国务院"),
        rec("renshi", "commendation", category="B1", level="county", issuer="县委", quota_allocated=True),
        rec("renshi", "commendation", category="B2", level="city", issuer="市局"),
        rec("renshi", "commendation", category="B4", level="provincial", issuer="省局", quota_allocated=False),
    ])
    b1 = adj(r, "renshi", "B1")
    assert b1.amount == 5
    assert [ln.amount for ln in b1.lines] == [5, 0]
    assert "名额分配表彰" in b1.lines[1].explain
    assert adj(r, "renshi", "B2").amount == 2
    assert adj(r, "renshi", "B3").amount == 0
    assert adj(r, "renshi", "B4").amount == 3
    assert r.unit("renshi").bonus == 10


def test_deductions_forms():
    u = jiguan("canyin")
    r = run([u], [
        rec("canyin", "criticism", level="provincial", issuer="省局"),
        rec("canyin", "accountability", persons=3),
        rec("canyin", "media-exposure", level="county", issuer="县台"),
        rec("canyin", "enforcement-error", found_by="litigation"),
        rec("canyin", "enforcement-error", found_by="supervision"),
        rec("canyin", "attendance", date="2023-03-01"),
        rec("canyin", "attendance", date="2023-04-01"),
        rec("canyin", "absence"), rec("canyin", "absence"),
        rec("canyin", "misconduct", points=Decimal("7.5")),
        rec("canyin", "exam-rules", points=5),
        rec("canyin", "discretionary", points=4, meeting="2023年第5次"),
    ])
    assert adj(r, "canyin", "D1").amount == 3
    d2 = adj(r, "canyin", "D2")
    assert d2.amount == 6 and d2.lines[0].explain.endswith("人次 3 × 2 = 6")
    assert adj(r, "canyin", "D3").amount == 1
    assert adj(r, "canyin", "D4").amount == 5
    d5 = adj(r, "canyin", "D5")
    assert d5.amount == 2 and len(d5.lines) == 1 and len(d5.lines[0].records) == 2
    assert adj(r, "canyin", "D6").amount == 6
    assert adj(r, "canyin", "D7").amount == F(15, 2)  # 扣5-10分: a meeting may decide 7.5
    assert adj(r, "canyin", "D8").amount == 5
    assert adj(r, "canyin", "B7").amount == 4
    u_ = r.unit("canyin")
    assert u_.deduction == 3 + 6 + 1 + 5 + 2 + 6 + F(15, 2) + 5
    assert u_.total == 100 + 4 - u_.deduction      # not floored or capped (口径3)


def test_total_not_floored_at_zero():
    u = jiguan("canyin")
    recs = [rec("canyin", "misconduct", points=10) for _ in range(15)]
    r = run([u], recs)
    assert r.unit("canyin").total == -50


def test_unit_without_records_lists_every_applicable_rule_at_zero():
    fg = jiguan("fagui")
    lg = station("longgang", case_quota=quota(25), news_quota=NEWS_31)
    r = run([fg, lg], [])
    ids = [a.rule.id for a in r.unit("fagui").adjustments]
    assert ids == ["B1", "B2", "B3", "B4", "B5", "B6a", "B6b", "B6d", "B7",
                   "D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10"]
    assert all(a.amount == 0 and a.lines == [] for a in r.unit("fagui").adjustments)
    lg_ids = [a.rule.id for a in r.unit("longgang").adjustments]
    assert "B6c" in lg_ids and "B6a" not in lg_ids
    assert adj(r, "longgang", "D10").amount == F("7.5")   # 25 × 0.3
    assert adj(r, "longgang", "D9").amount == F("6.5")


# -------------------------------------------------------------- item extras


def unlicensed_extras():
    return [
        part("unlicensed_case", kind="case", where={"category": "无照经营"}, amount=const("0.5"),
             label="无照经营案件"),
        part("unlicensed_case_10k", kind="case", where={"category": "无照经营", "fine": {"ge": 10000}},
             amount=const(1), label="万元无照经营案件"),
    ]


def test_station_item_extras_per_record_and_flag_exceed_100():
    flag = [part("insurance_full", per="flag", amount=const(5), label="责任保险达到100%")]
    lg = station("longgang", case_quota=quota(25), extras={"s01-1": unlicensed_extras(), "s04-1": flag})
    recs = [case("longgang", "无照经营", fine="10000"), case("longgang", "无照经营", fine="9999.99"),
            case("longgang", "无照经营", fine="0")]
    judged = judge_all(lg)
    judged["s01-1"] = F(58)
    r = run([lg], recs, judged={"longgang": judged}, flags={"longgang": {"s04-1": {"insurance_full": True}}})
    u = r.unit("longgang")
    s01_1 = u.items[0]
    assert s01_1.judged == 58
    assert s01_1.score == 58 + F("1.5") + 1
    assert len(s01_1.extras) == 4 and all(ln.rule.startswith("s01-1:") for ln in s01_1.extras)
    assert s01_1.explain == "评分 58 + 项内加分 2.5 = 60.50"
    assert u.sections[0].score == F("100.5")
    assert u.sections[3].score == 105
    s04 = u.items[6]
    assert s04.item.id == "s04-1" and s04.score == 65


def test_flag_extra_absent_gives_nothing():
    flag = [part("insurance_full", per="flag", amount=const(5))]
    lg = station("longgang", case_quota=quota(25), extras={"s04-1": flag})
    r = run([lg], [])
    assert r.unit("longgang").sections[3].score == 100


# ------------------------------------------------------------ base, pending


def test_station_base_is_exact_mean_and_computation():
    lg = station("longgang")   # no case quota: s11 is two assessed items
    judged = judge_all(lg)
    judged["s01-1"] = 56      # s01 96
    judged["s02-2"] = F("39.5")  # s02 99.5
    r = run([lg], [], judged={"longgang": judged})
    u = r.unit("longgang")
    assert u.base == (96 + F("99.5") + 13 * 100) / 15
    comp = u.computation
    assert comp[0] == "s01 第1节 = s01-1 56 + s01-2 40 = 96"
    assert comp[15].startswith("基础分 = (s01 96 + s02 99.5 + s03 100")
    assert comp[15].endswith(") / 15 = 99.70")
    assert comp[-1] == "总分 = 基础分 99.70 + 加分 0.00 − 减分 0.00 = 99.70"   # no news quota: no D9

def test_station_weights():
    lg = station("longgang", n_sections=2, weights={"s01": F(3), "s02": F(1)})
    judged = judge_all(lg)
    judged["s02-1"] = 0
    r = run([lg], [], judged={"longgang": judged}, adjustments=[])
    assert r.unit("longgang").base == F(3 * 100 + 40, 4)
    assert r.unit("longgang").computation[2] == "基础分 = (3×s01 100 + 1×s02 40) / 4 = 85.00"


def test_pending_item_makes_unit_provisional():
    lg = station("longgang", case_quota=quota(25))
    judged = judge_all(lg)
    del judged["s05-2"]
    r = run([lg], [case("longgang") for _ in range(25)], judged={"longgang": judged}, adjustments=[])
    u = r.unit("longgang")
    assert u.provisional
    pending = [i for i in u.items if i.state == "pending"]
    assert [i.item.id for i in pending] == ["s05-2"] and pending[0].score is None
    assert u.sections[4].score == 60
    assert u.base == F(14 * 100 + 60, 15)
    assert "待评" in u.computation[-1]
    assert "s05-2 待评(0)" in u.computation[4]


def test_jiguan_base_is_sum_and_not_provisional_when_all_judged():
    u = jiguan("bangongshi", items=[item("t01", 60), item("t02", 40)])
    r = run([u], [], judged={"bangongshi": {"t01": "55.5", "t02": "38"}}, adjustments=[])
    s = r.unit("bangongshi")
    assert s.base == F("93.5") and not s.provisional
    assert s.computation[0] == "基础分 = t01 55.5 + t02 38 = 93.50"
    assert s.computation[-1] == "总分 = 基础分 93.50 + 加分 0.00 − 减分 0.00 = 93.50"


def test_computation_lists_rules():
    u = jiguan("bangongshi", news_quota=NEWS_10, lead_target=4)
    r = run([u], [case("bangongshi", fine="12000")])
    comp = r.unit("bangongshi").computation
    assert comp == [
        "基础分 = t01 90 + t02 10 = 100.00",
        "加分 = B6a 4.5 = 4.50",
        "减分 = D9 2.3 + D10 0.4 = 2.70",
        "总分 = 基础分 100.00 + 加分 4.50 − 减分 2.70 = 101.80",
    ]


# ------------------------------------------------------------------ ranking


def test_rational_ties_tie():
    a = jiguan("a", items=[item("t01", 10), item("t02", 10), item("t03", 10)])
    b = jiguan("b", items=[item("t01", 10), item("t02", 10), item("t03", 10)])
    r = run([a, b], [], judged={"a": {"t01": F(1, 3), "t02": F(1, 3), "t03": F(1, 3)},
                                "b": {"t01": 1, "t02": 0, "t03": 0}}, adjustments=[])
    assert r.unit("a").total == r.unit("b").total == 1
    assert r.unit("a").rank == r.unit("b").rank == 1
    assert [u.unit.slug for u in r.units] == ["a", "b"]   # ties keep the rules' order


def test_station_means_tie_exactly():
    # (3 × 100/3 …) sections: a 所 whose sections sum to the same rational as another's
    a = station("a", n_sections=3)
    b = station("b", n_sections=3)
    ja, jb = judge_all(a), judge_all(b)
    ja["s01-1"], ja["s02-1"], ja["s03-1"] = F(59), F(59), F(59)      # mean 99
    jb["s01-1"] = F(57)                                              # mean 99
    r = run([a, b], [], judged={"a": ja, "b": jb}, adjustments=[])
    assert r.unit("a").total == r.unit("b").total == 99
    assert r.unit("a").rank == r.unit("b").rank == 1


def test_competition_ranking_overall_and_group():
    units = [jiguan(s, items=[item("t01", 100)]) for s in ("a", "b", "c", "d")]
    units.append(station("e", n_sections=1))
    judged = {"a": {"t01": 90}, "b": {"t01": 95}, "c": {"t01": 95}, "d": {"t01": 80},
              "e": {"s01-1": 52, "s01-2": 40}}
    r = run(units, [], judged=judged, adjustments=[])
    got = {u.unit.slug: (u.rank, u.group_rank) for u in r.units}
    assert got == {"b": (1, 1), "c": (1, 1), "e": (3, 1), "a": (4, 3), "d": (5, 4)}
    assert [u.unit.slug for u in r.units] == ["b", "c", "e", "a", "d"]
    assert competition_ranks([F(3), F(2), F(2), F(1)]) == [1, 2, 2, 4]


# ----------------------------------------------------------------- progress


def test_progress_count_rate_and_evidence():
    u = jiguan("tezhong", items=[
        item("t01", 50, progress=Progress("count", target=F(20), unit="家")),
        item("t02", 50, progress=Progress("rate", target=F(90))),
    ])
    recs = [
        rec("tezhong", "evidence", date="2023-03-01", task="t01", count=8),
        rec("tezhong", "evidence", date="2023-05-01", task="t01", count=7),
        rec("tezhong", "evidence", date="2023-05-02", task="t01"),
        rec("tezhong", "evidence", date="2023-04-01", task="t02", rate=Decimal("96.5")),
        rec("tezhong", "evidence", date="2023-09-01", task="t02", rate=Decimal("88")),
        rec("tezhong", "evidence", date="2023-10-01", task="t02"),
    ]
    r = run([u], recs, adjustments=[])
    t01, t02 = r.unit("tezhong").items
    assert len(t01.evidence) == 3 and len(t02.evidence) == 3
    assert [(p.label, p.done, p.target) for p in t01.progress] == [("完成数量（家）", 15, 20)]
    assert [(p.done, p.target) for p in t02.progress] == [(88, 90)]
    assert t02.progress[0].records == [recs[4].id]


def test_progress_leads():
    u = jiguan("xinyong", lead_target=4, items=[item("t01", 90), item("t07", 10, progress=Progress("leads"))])
    r = run([u], [lead("xinyong") for _ in range(3)], adjustments=[])
    p = r.unit("xinyong").items[1].progress
    assert [(x.label, x.done, x.target, len(x.records)) for x in p] == [("案件线索", 3, 4, 3)]


# --------------------------------------------------------------- conditions


def test_where_operators():
    rules_ = [
        rule("X1", +1, [part("big", kind="case", where={"fine": {"ge": "10000", "lt": 50000}}, amount=const(1))]),
        rule("X2", +1, [part("cat", kind="case", where={"category": ["广告", "价格"]}, amount=const(1))]),
        rule("X3", +1, [part("not", kind="case", where={"transferred": {"not": True}}, amount=const(1))]),
        rule("X4", -1, [part("eq", kind="case", where={"procedure": "simple"}, amount=const(1))]),
        rule("X5", +1, [part("bool", kind="case", where={"transferred": "true"}, amount=const(1))]),
    ]
    u = jiguan("jiage")
    r = run([u], [
        case("jiage", "广告", fine="10000", procedure="simple"),
        case("jiage", "价格", fine="50000", transferred=True),
        case("jiage", "其他", fine="9999", transferred=False),
    ], adjustments=rules_)
    assert [adj(r, "jiage", x).amount for x in ("X1", "X2", "X3", "X4", "X5")] == [1, 2, 2, 1, 1]
    assert r.unit("jiage").total == 100 + 1 + 2 + 2 - 1 + 1


def test_applies_to_group_and_unknown_key():
    from qsgen.core.errors import QsgenError
    only_jiceng = rule("G", +1, [part("c", kind="case", amount=const(1))], applies_to={"group": "jiceng"})
    r = run([jiguan("a"), station("b", n_sections=1)], [case("a"), case("b")], adjustments=[only_jiceng])
    assert r.unit("a").adjustments == []
    assert adj(r, "b", "G").amount == 1
    bad = rule("Z", +1, [part("c", kind="case", amount=const(1))], applies_to={"colour": "red"})
    with pytest.raises(QsgenError):
        run([jiguan("a")], [], adjustments=[bad])


def test_tiers_below_first_bound_give_no_line_and_steps_on_any_measure():
    rules_ = [rule("T", +1, [part("t", kind="case", amount=Amount(field="fine", tiers=[(F(100), F(2))]))]),
              rule("S", -1, [part("s", per="case_shortfall", amount=Amount(steps=[(F(1), F(1)), (F(3), F(2))]))])]
    lg = station("longgang", case_quota=quota(5), n_sections=11)
    r = run([lg], [case("longgang", fine="99"), case("longgang", fine="100")], adjustments=rules_)
    t = adj(r, "longgang", "T")
    assert len(t.lines) == 1 and t.amount == 2
    s = adj(r, "longgang", "S")
    assert s.amount == 2 and s.lines[0].explain == "案件少 3 件（3 件及以上）：−2"


def test_lead_surplus_needs_a_target():
    u = jiguan("fagui")   # no lead target
    r = run([u], [lead("fagui") for _ in range(10)])
    assert adj(r, "fagui", "B6b").amount == 0
    assert adj(r, "fagui", "D10").amount == 0


def test_by_values_explain_in_chinese():
    d4 = rule("D4", -1, [part("e", kind="enforcement-error", amount=Amount(
        by="found_by", values={"review": F(3), "litigation": F(3), "supervision": F(2)}))])
    r = run([jiguan("fagui")], [rec("fagui", "enforcement-error", title="某案", found_by="supervision")],
            adjustments=[d4])
    assert adj(r, "fagui", "D4").lines[0].explain == "执法不规范《某案》 执法监督：−2"


# ------------------------------------------------------- the real 2023 rules

REPO = __import__("pathlib").Path(__file__).resolve().parent.parent


def real_rules():
    rules_mod = pytest.importorskip("qsgen.rules")
    if not (REPO / "rules" / "2023").is_dir():
        pytest.skip("rules/2023 not present")
    rules_, diags = rules_mod.load_rules(REPO, 2023)
    assert rules_ is not None, [d.format_text() for d in diags]
    return rules_


def test_real_rules_station_hand_worked():
    rules_ = real_rules()
    lg = rules_.unit("longgang")
    mins = {"知识产权": 2, "广告": 1, "合同": 1, "餐饮": 2, "特种设备": 2, "过期食品": 3, "药品": 3,
            "化妆品": 2, "医疗器械": 1}          # 医疗器械 one short of its minimum 2
    recs = [case("longgang", c) for c, n in mins.items() for _ in range(n)]               # 17
    recs += [case("longgang", "药品", fine="50000")]                                     # 药品 1 beyond
    recs += [case("longgang", "其他") for _ in range(9)] + [case("longgang", "无照经营", fine="12000")]
    recs += ([news("longgang", "national")] + [news("longgang", "provincial") for _ in range(10)]
             + [news("longgang", "city") for _ in range(10)] + [news("longgang", "county") for _ in range(12)])
    judged = judge_all(lg)
    judged["s01-3"] = 28
    rs = records(recs, {"longgang": judged}, flags={"longgang": {"s04-4": {"insurance_full": True}}})
    u = score(rules_, rs).unit("longgang")
    # cases: 17 within the minimums (医疗器械 1 of 2) + min(药品 1 beyond + 10 uncategorised, 25 − 18) = 24
    s11 = {i.item.id: i for i in u.items}
    assert s11["s11-1"].score == 96
    assert s11["s01-3"].score == 28 + F("1.5")
    assert s11["s04-4"].score == 15 + 5
    assert u.base == (F("99.5") + 105 + 96 + 12 * 100) / 15
    # B5: surplus 2 → 0.1, one national item +0.5; B6c: 28 cases against 25, but 医疗器械 is one
    # short, so the task is not completed and nothing is "beyond" it (口径8); fine tiers
    # 50,000 → 2 and 12,000 → 1
    assert adj_of(u, "B5").amount == F("0.6")
    assert adj_of(u, "B6c").amount == 3
    assert adj_of(u, "D10").amount == F("0.3")
    assert adj_of(u, "D9").amount == 0
    assert u.total == F("1500.5") / 15 + F("0.6") + F("3") - F("0.3")
    assert fmt_total(rules_, u) == "103.33"
    assert u.computation[-1] == "总分 = 基础分 100.03 + 加分 3.60 − 减分 0.30 = 103.33"
    assert not u.provisional


def test_real_rules_zhifadui_hand_worked():
    rules_ = real_rules()
    zf = rules_.unit("zhifadui")
    mins = zf.case_quota.parts[0].minimums            # the same for both teams, 17 cases
    assert sum(mins.values()) == 17
    recs = []
    for team in ("一中队", "二中队"):
        for c, n in mins.items():
            if team == "二中队" and c == "药品":
                continue                                  # 二中队: no 药品 case (3 short)
            recs += [case("zhifadui", c, team=team, procedure="simple") for _ in range(n)]
        recs += [case("zhifadui", "其他", team=team, procedure="simple") for _ in range(20)]
    recs += [case("zhifadui", "其他", team="二中队", transferred=True, sampling_assigned=True),
             case("zhifadui", "其他", team="二中队", transferred=True)]
    recs += [news("zhifadui", "county") for _ in range(3)]
    rs = records(recs, {"zhifadui": judge_all(zf)})
    result = score(rules_, rs)
    u = result.unit("zhifadui")
    # 一中队 37 cases → 36; 二中队 14 + min(22, 19) = 33; counted 69 of 72
    t06 = {i.item.id: i for i in u.items}["t06"]
    assert t06.score == F(50 * 69, 72)
    assert t06.explain == "计入 69 件（一中队 36/36，二中队 33/36）；50 × 69/72 = 47.92"
    assert adj_of(u, "D10").amount == F("0.9")
    assert adj_of(u, "B6c").amount == 0                 # 一中队 beyond by 1 but only simple cases (口径8)
    assert adj_of(u, "B6d").amount == 5
    assert adj_of(u, "B5").amount == F("0.1")           # no news quota: every item is surplus (口径12)
    assert adj_of(u, "D9").amount == 0
    assert u.total == 50 + F(50 * 69, 72) + F("5.1") - F("0.9")
    assert fmt_total(rules_, u) == "102.12"
    assert u.rank == 1 + sum(1 for o in result.units if o.total > u.total)


def adj_of(u, rule_id):
    (a,) = [a for a in u.adjustments if a.rule.id == rule_id]
    return a


def fmt_total(rules_, u):
    from qsgen.core.display import fmt
    return fmt(u.total, rules_)


def test_news_surplus_by_level_rates():
    r_ = rule("NS", +1, [part("s", per="news_surplus", amount=Amount(
        by="level", times={"national": F(1), "provincial": F("0.2")}))])
    u = jiguan("bangongshi", news_quota=NEWS_10)
    recs = full_news("bangongshi", NEWS_10) + [news("bangongshi", "national") for _ in range(2)] \
        + [news("bangongshi", "provincial")] + [news("bangongshi", "county") for _ in range(4)]
    a = adj(run([u], recs, adjustments=[r_]), "bangongshi", "NS")
    assert a.amount == 2 + F("0.2")          # county has no rate: no line
    assert [ln.explain for ln in a.lines] == ["国家级信息超额 2 条 × 1 = 2", "省级信息超额 1 条 × 0.2 = 0.2"]


def test_no_surplus_while_category_minimums_are_unmet():
    # 口径8: 30 general cases, all 其他, against 25 with 知识产权 2: the task is not completed
    # (counted 23), so D10 deducts 2 × 0.3 and B6c gives nothing for the 5 "extra" cases.
    lg = station("longgang", case_quota=quota(25, {"知识产权": 2}))
    r = run([lg], [case("longgang", "其他") for _ in range(30)])
    assert adj(r, "longgang", "D10").amount == F("0.6")
    assert adj(r, "longgang", "B6c").amount == 0
    # once the minimum is met, the surplus counts
    recs = [case("longgang", "其他") for _ in range(28)] + [case("longgang", "知识产权") for _ in range(2)]
    r = run([lg], recs)
    assert adj(r, "longgang", "D10").amount == 0
    assert adj(r, "longgang", "B6c").amount == F("1.5")
