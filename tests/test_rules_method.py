"""rules/2023 against the 2023 assessment method (沁市监字〔2023〕138号) and DESIGN.md §2."""

from __future__ import annotations

import re
from fractions import Fraction as F
from pathlib import Path

import pytest

from qsgen.core.kinds import KINDS
from qsgen.rules import MEASURES, load_rules

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seed" / "assessment-method-2023.txt"

JIGUAN = {  # DESIGN.md §2.1: slug -> (name, item count)
    "bangongshi": ("办公室", 9),
    "renshi": ("人事教育股", 9),
    "fagui": ("法规股", 9),
    "xinyong": ("信用监督管理股", 9),
    "xiaobao": ("消费者权益保护和市场交易监督管理股（知识产权股）", 10),
    "zhiliang": ("产品质量监督管理股（标准计量认证监督管理股）", 12),
    "tezhong": ("特种设备安全监察股", 10),
    "xuanchuan": ("宣传与应急管理股", 11),
    "shipin": ("食品生产流通监督管理股", 8),
    "canyin": ("餐饮服务监督管理股", 9),
    "yaoxie": ("药品医疗器械监督管理股", 9),
    "jiage": ("价格监督管理股（执法稽查和反不正当竞争股）", 10),
    "dangjian": ("非公经济组织党建工作股", 10),
    "zhifadui": ("综合行政执法队", 7),
    "tousu": ("投诉举报中心", 7),
}
STATIONS = {"longgang": "龙港所", "duanshi": "端氏所", "jiafeng": "嘉峰所", "zhongcun": "中村所",
            "zhengzhuang": "郑庄所", "guxian": "固县所"}
NEWS_10 = {"national": 1, "provincial": 3, "city": 3, "county": 3}
NEWS_31 = {"national": 1, "provincial": 10, "city": 10, "county": 10}
LEADS = {"xinyong": "t07", "xiaobao": "t08", "zhiliang": "t11", "tezhong": "t08", "shipin": "t06",
         "canyin": "t07", "yaoxie": "t08", "jiage": "t09"}
NEWS_ITEM = {"bangongshi": "t08", "renshi": "t08", "fagui": "t08", "xinyong": "t08", "xiaobao": "t09",
             "zhiliang": "t12", "tezhong": "t09", "xuanchuan": "t10", "shipin": "t07", "canyin": "t08",
             "yaoxie": "t09", "jiage": "t10", "dangjian": "t09"}
TEAM_MINIMUMS = {"知识产权": 2, "广告": 1, "网络": 2, "餐饮": 1, "特种设备": 1, "过期食品": 3, "药品": 3,
                 "医疗器械": 2, "化妆品": 2}
BIG = {"知识产权": 2, "广告": 1, "合同": 1, "餐饮": 2, "特种设备": 2, "过期食品": 3, "化妆品": 2, "医疗器械": 2}
SMALL = {"知识产权": 1, "餐饮": 1, "特种设备": 1, "过期食品": 2, "药品": 1, "医疗器械": 1}
STATION_QUOTAS = {
    "longgang": (25, {**BIG, "药品": 3}),
    "duanshi": (25, {**BIG, "药品": 2}),
    "jiafeng": (25, {**BIG, "药品": 2}),
    "zhongcun": (20, {**SMALL, "化妆品": 1}),
    "zhengzhuang": (15, {**SMALL, "化妆品": 2}),
    "guxian": (15, {**SMALL, "化妆品": 2}),
}
RESPONSIBLE = {
    "B1": "renshi", "B2": "renshi", "B3": "renshi", "B4": "renshi", "B5": "bangongshi",
    "B6a": "fagui", "B6b": "fagui", "B6c": "fagui", "B6d": "fagui", "B7": "leadership",
    "D1": "bangongshi", "D2": "bangongshi", "D3": "bangongshi", "D4": "fagui", "D5": "bangongshi",
    "D6": "bangongshi", "D7": "dangjian", "D8": "renshi", "D9": "bangongshi", "D10": "fagui",
}


@pytest.fixture(scope="module")
def rules():
    r, diags = load_rules(ROOT, 2023)
    assert [d.format_text() for d in diags if d.severity == "error"] == []
    assert r is not None
    return r


def test_header(rules):
    assert rules.year == 2023
    assert rules.document == "沁市监字〔2023〕138号"
    assert [d.isoformat() for d in rules.period] == ["2023-01-01", "2023-12-31"]
    assert (rules.places, rules.rounding) == (2, "ROUND_HALF_UP")
    assert [(g.id, g.name) for g in rules.groups] == [("jiguan", "机关股室"), ("jiceng", "基层所")]
    assert rules.root == "rules/2023"


def test_newest_year_is_default():
    r, _ = load_rules(ROOT)
    assert r is not None and r.year == max(int(p.name) for p in (ROOT / "rules").iterdir() if p.name.isdigit())


def test_21_units_in_method_order(rules):
    assert [u.slug for u in rules.units] == [*JIGUAN, *STATIONS]
    for u in rules.units:
        expected = JIGUAN[u.slug][0] if u.slug in JIGUAN else STATIONS[u.slug]
        assert u.name == expected
        assert u.group == ("jiguan" if u.slug in JIGUAN else "jiceng")


@pytest.mark.parametrize("slug", list(JIGUAN))
def test_jiguan_items(rules, slug):
    u = rules.unit(slug)
    assert len(u.items) == JIGUAN[slug][1]
    assert [i.id for i in u.items] == [f"t{n:02d}" for n in range(1, len(u.items) + 1)]
    assert sum(i.max for i in u.items) == 100
    assert all(isinstance(i.max, F) for i in u.items)
    assert u.sections == []


@pytest.mark.parametrize("slug", list(STATIONS))
def test_station_sections(rules, slug):
    u = rules.unit(slug)
    assert len(u.sections) == 15
    assert len(u.items) == 76
    assert [s.id for s in u.sections] == [f"s{n:02d}" for n in range(1, 16)]
    for s in u.sections:
        assert sum(i.max for i in s.items) == 100, s.id
        assert s.weight == 1
        assert all(i.section == s.id and i.id.startswith(s.id + "-") for i in s.items)
    assert [i.id for i in u.items] == [i.id for s in u.sections for i in s.items]
    assert [len(s.items) for s in u.sections] == [5, 5, 5, 6, 5, 9, 7, 7, 5, 2, 1, 7, 5, 4, 3]
    assert u.sections[10].title == "案件办理工作"


def test_news_quotas(rules):
    for u in rules.units:
        if u.slug in ("zhifadui", "tousu"):
            assert u.news_quota is None
        elif u.slug in STATIONS:
            assert u.news_quota == NEWS_31
            assert u.item("s12-1").progress.type == "news"
        else:
            assert u.news_quota == NEWS_10, u.slug
            item = u.item(NEWS_ITEM[u.slug])
            assert item.text.startswith("完成新闻报道")
            assert item.progress.type == "news"
    news_items = [(u.slug, i.id) for u in rules.units for i in u.items
                  if i.progress and i.progress.type == "news"]
    assert len(news_items) == 13 + 6


def test_lead_targets(rules):
    for u in rules.units:
        if u.slug in LEADS:
            assert u.lead_target == 4
            item = u.item(LEADS[u.slug])
            assert item.text.startswith("提供案件线索") and item.progress.type == "leads"
        else:
            assert u.lead_target is None, u.slug


def test_zhifadui_quota(rules):
    u = rules.unit("zhifadui")
    assert u.teams == ["一中队", "二中队"]
    item = u.item("t06")
    assert item.method == "quota" and item.max == 50 and item.progress.type == "cases"
    assert [(p.name, p.total, p.minimums) for p in item.quota.parts] == [
        ("一中队", 36, TEAM_MINIMUMS), ("二中队", 36, TEAM_MINIMUMS)]
    assert u.case_quota.total == 72
    assert sum(TEAM_MINIMUMS.values()) == 17


@pytest.mark.parametrize("slug", list(STATIONS))
def test_station_case_quota(rules, slug):
    u = rules.unit(slug)
    item = u.item("s11-1")
    assert item.method == "quota" and item.max == 100 and item.progress.type == "cases"
    total, minimums = STATION_QUOTAS[slug]
    assert [(p.name, p.total, p.minimums) for p in item.quota.parts] == [(None, total, minimums)]
    assert u.case_quota is item.quota
    # the other units have no case quota
    assert all(rules.unit(s).case_quota is None for s in JIGUAN if s != "zhifadui")


def test_station_quotas_are_separate_objects(rules):
    a, b = rules.unit("duanshi"), rules.unit("jiafeng")
    assert a.item("s11-1").quota is not b.item("s11-1").quota
    assert a.item("s01-1") is not b.item("s01-1")


def test_case_categories(rules):
    canon = {"知识产权", "广告", "合同", "网络", "餐饮", "特种设备", "过期食品", "药品", "医疗器械", "化妆品",
             "无照经营", "价格", "其他"}
    assert set(rules.case_categories.values()) == canon
    for c in canon:
        assert rules.case_categories[c] == c
    assert rules.case_categories["超过保质期食品"] == "过期食品"
    assert rules.case_categories["专利"] == "知识产权"
    assert rules.case_categories["无证无照经营"] == "无照经营"


def test_progress_targets(rules):
    def prog(slug, iid):
        p = rules.unit(slug).item(iid).progress
        return (p.type, p.target, p.unit)

    assert prog("tezhong", "t03") == ("count", 20, "家")
    assert prog("yaoxie", "t05") == ("count", 80, "家次")
    assert prog("longgang", "s13-1") == ("count", 24, "次")
    assert prog("canyin", "t01")[:2] == ("rate", 90)
    assert prog("xinyong", "t03")[:2] == ("rate", 3)
    assert prog("guxian", "s06-2")[:2] == ("rate", 90)
    assert prog("guxian", "s09-3")[:2] == ("rate", 95)
    assert prog("longgang", "s01-4")[:2] == ("rate", 3)
    assert prog("shipin", "t04")[:2] == ("rate", 10)


def test_item_extras(rules):
    s013 = rules.unit("zhongcun").item("s01-3")
    assert [(p.id, p.per, p.kind, p.where, p.amount.constant) for p in s013.extras] == [
        ("unlicensed_case", "record", "case", {"category": "无照经营"}, F(1, 2)),
        ("unlicensed_case_10k", "record", "case", {"category": "无照经营", "fine": {"ge": 10000}}, 1),
    ]
    s044 = rules.unit("zhongcun").item("s04-4")
    assert [(p.id, p.per, p.amount.constant) for p in s044.extras] == [("insurance_full", "flag", 5)]
    others = [i.id for u in rules.units for i in u.items if i.extras and i.id not in ("s01-3", "s04-4")]
    assert others == []


def test_adjustments(rules):
    assert {a.id: a.responsible for a in rules.adjustments} == RESPONSIBLE
    # 17 clauses of the method: B1-B7 and D1-D10 (B6 split in four by DESIGN.md §2.3)
    assert len({re.sub(r"[a-d]$", "", a.id) for a in rules.adjustments}) == 17
    for a in rules.adjustments:
        assert a.sign == (1 if a.id.startswith("B") else -1)
        assert a.responsible in rules.departments
        for p in a.parts:
            assert p.per in ("record", "flag", *MEASURES)
            if p.per == "record":
                assert p.kind in KINDS


def test_adjustment_amounts(rules):
    adj = {a.id: a for a in rules.adjustments}
    level = {"national": 5, "provincial": 3, "city": 2, "county": 1}
    for b in ("B1", "B2", "B3", "B4"):
        (p,) = adj[b].parts
        assert (p.kind, p.where, p.amount.by, p.amount.values) == ("commendation", {"category": b}, "level", level)
    assert adj["B1"].parts[0].zero_when == {"quota_allocated": True}
    b5 = adj["B5"]
    assert b5.cap == 5
    assert b5.parts[0].per == "news_surplus"
    assert b5.parts[0].amount.steps == [(1, F(1, 10)), (6, F(3, 10)), (11, F(1, 2)), (21, 1)]
    assert (b5.parts[1].where, b5.parts[1].amount.constant) == ({"effective_level": "national"}, F(1, 2))
    tiers = [(10000, 1), (50000, 2), (100000, 3)]
    assert adj["B6a"].applies_to == {"case_quota": False}
    assert adj["B6a"].parts[0].where == {"fine": {"gt": 0}} and adj["B6a"].parts[0].amount.constant == F(7, 2)
    assert adj["B6a"].parts[1].amount.tiers == tiers and adj["B6a"].parts[1].amount.field == "fine"
    assert (adj["B6b"].parts[0].per, adj["B6b"].parts[0].amount.times, adj["B6b"].cap) == (
        "lead_surplus", F(1, 10), 5)
    assert adj["B6c"].applies_to == {"case_quota": True}
    assert (adj["B6c"].parts[0].per, adj["B6c"].parts[0].amount.times) == ("case_surplus_general", F(3, 10))
    assert adj["B6c"].parts[1].amount.tiers == tiers
    assert adj["B6d"].parts[0].where == {"transferred": True, "sampling_assigned": {"not": True}}
    assert adj["B6d"].parts[0].amount.constant == 5
    assert (adj["B7"].parts[0].amount.field, adj["B7"].parts[0].amount.min, adj["B7"].parts[0].amount.max) == (
        "points", 1, 10)
    assert adj["D1"].parts[0].amount.values == level and adj["D3"].parts[0].amount.values == level
    assert (adj["D2"].parts[0].amount.field, adj["D2"].parts[0].amount.times) == ("persons", 2)
    assert adj["D4"].parts[0].amount.values == {"review": 3, "litigation": 3, "supervision": 2}
    assert adj["D5"].parts[0].once and adj["D5"].parts[0].amount.constant == 2
    assert adj["D6"].parts[0].amount.constant == 3
    assert adj["B7"].cap == 10  # 口径13
    for d in ("D7", "D8"):  # 口径14: D8 per record, like D7
        assert (adj[d].parts[0].amount.min, adj[d].parts[0].amount.max) == (5, 10)
        assert adj[d].parts[0].per == "record" and not adj[d].parts[0].once and adj[d].cap is None
    assert adj["D9"].parts[0].per == "news_shortfall"
    assert adj["D9"].parts[0].amount.times == {"national": F(1, 2), "provincial": F(3, 10), "city": F(1, 5),
                                               "county": F(1, 10)}
    assert [(p.per, p.amount.times) for p in adj["D10"].parts] == [
        ("case_shortfall", F(3, 10)), ("lead_shortfall", F(1, 10))]


def test_interpretations(rules):
    assert [i.id for i in rules.interpretations] == [str(n) for n in range(1, 18)]  # 16, 17: 公示 and objections
    assert "投诉举报中心" in rules.interpretations[11].text
    assert "B7" in rules.interpretations[12].text and "10分" in rules.interpretations[12].text
    assert "D8" in rules.interpretations[13].text and "D7" in rules.interpretations[13].text
    assert all(re.search(r"[\u4e00-\u9fff]", i.text) for i in rules.interpretations)


SPOT = [
    ("bangongshi", "t01", "做好机关日常政务协调、综合工作，高质量完成各类会议的筹备、记录等工作，为局领导决策做好服务。"),
    ("zhiliang", "t12", "完成新闻报道10篇，其中国家级1篇，省级3篇，市级3篇，县级3篇。"),
    ("tezhong", "t03", "特种设备使用单位日常监督检查抽查 20 家，确保“三落实、两有证、一检验、一预案”的全面落实。"),
    ("yaoxie", "t06", "组织开展药品、医疗器械、化妆品不良反应（事件）监测工作,并对药械化监测上报情况进行分析、评价。（年底完成)"),
    ("longgang", "s15-3", "党风廉政工作。开展警示教育月、纠正“四风”活动和落实中央“八项规定”工作，配合上级完成案件查办情况。"),
    ("guxian", "s12-1", "完成通讯报道31篇，其中，国家级1篇，省级10篇，市级10篇，县级10篇。"),
]


@pytest.mark.parametrize("slug,iid,text", SPOT)
def test_spot_texts(rules, slug, iid, text):
    assert rules.unit(slug).item(iid).text == text


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


@pytest.mark.skipif(not SEED.is_file(), reason="the seed document is not beside the repository")
def test_every_item_text_is_in_the_method(rules):
    seed = _squash(SEED.read_text(encoding="utf-8"))
    checked = set()
    for u in rules.units:
        for i in u.items:
            if i.text in checked:
                continue
            checked.add(i.text)
            for piece in i.text.split("。"):  # s05-* join the heading and its paragraph with "。"
                assert _squash(piece) in seed, (u.slug, i.id, piece)
    # and its points follow it in the method: "…。（10分）" (s05-*: after the heading)
    for u in (rules.unit("bangongshi"), *(rules.unit(s) for s in JIGUAN), rules.unit("longgang")):
        for i in u.items:
            pts = f"{i.max.numerator}分"
            ends = []
            for piece in (_squash(i.text), _squash(i.text.split("。")[0])):
                ends += [m.end() for m in re.finditer(re.escape(piece), seed)]
            assert any(pts in seed[e:e + 8] for e in ends), (u.slug, i.id, pts)
