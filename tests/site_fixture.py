"""A small, fixed Results for the site, export and golden tests (no files read)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction as F

from helpers_rules import (
    NEWS_10,
    case,
    item,
    jiguan,
    lead,
    make_rules,
    news,
    quota,
    rec,
    records,
    station,
)

from qsgen.core.model import Interpretation, Progress, Results
from qsgen.scoring.engine import score


def make_results() -> Results:
    """Four units: a tie, a provisional unit, bonuses, deductions, a 所 with a case quota."""
    office = jiguan("bangongshi", news_quota=dict(NEWS_10), items=[
        item("t01", 90), item("t02", 10, progress=Progress("news"))])
    office.name = "办公室"
    office.items[0].text = "做好机关日常政务协调，确保政令畅通。"
    office.items[1].text = "完成新闻报道 10 篇（国家级 1 篇、省级 3 篇、市级 3 篇、县级 3 篇）。"
    legal = jiguan("fagui", lead_target=4, items=[item("t01", 60), item("t02", 40)])
    legal.name = "法规股"
    price = jiguan("jiage", items=[item("t01", 60), item("t02", 40)])
    price.name = "价格监督管理股（执法稽查和反不正当竞争股）"
    longgang = station("longgang", case_quota=quota(3, {"知识产权": 1}), n_sections=2)
    longgang.name = "龙港所"
    rules = make_rules([office, legal, price, longgang])
    rules.title = "沁水县市场监督管理局2023年度工作目标考核"
    rules.document = "沁市监字〔2023〕138号"
    rules.departments = {"fagui": "法规股", "renshi": "人事教育股", "bangongshi": "办公室"}
    rules.interpretations = [Interpretation("1", "信息任务分级计算", "按级别分别计算，不互相替代。")]
    for a in rules.adjustments:
        a.title = {"B1": "工作成绩突出受表彰", "B6a": "机关股室办理案件", "D5": "签到请销假不落实",
                   "D9": "信息任务未完成"}.get(a.id, a.title)

    def dated(r, d, title, body=""):
        r.date = dt.date.fromisoformat(d)
        r.title = title
        r.body = body
        return r

    recs = [
        dated(news("bangongshi", "provincial", id="bangongshi/news-shengji"), "2023-03-02",
              "《山西日报》刊发我局“双随机”监管经验",
              "3 月 2 日，《山西日报》第 5 版刊发我局**双随机、一公开**监管经验。\n\n"
              "- 抽查 120 户\n- 发现问题 7 处\n\n<script>alert(1)</script>"
              "[不安全链接](javascript:alert(1))"),
        dated(news("bangongshi", "national", id="bangongshi/news-guojia"), "2023-05-10",
              "国家市场监管总局网站采用我局食品安全信息"),
        dated(rec("bangongshi", "attendance", id="bangongshi/attendance-0412"), "2023-04-12",
              "4 月督查发现 2 人未履行请假手续"),
        dated(case("fagui", category="价格", fine="12000", id="fagui/case-2023-01",
                   case_no="沁市监罚〔2023〕1号"), "2023-06-20", "某超市价格违法案",
              "当事人在销售商品时未明码标价。附件为处罚决定书。\n\n![决定书](decision.png)"),
        dated(lead("fagui", id="fagui/case-lead-01"), "2023-02-01", "移交县公安局的线索"),
        dated(case("longgang", category="知识产权", fine="60000", id="longgang/case-ip-1",
                   case_no="沁市监罚〔2023〕21号"), "2023-07-01", "销售侵犯注册商标专用权白酒案"),
        dated(case("longgang", category="其他", fine="0", procedure="simple", id="longgang/case-2",
                   case_no="沁市监罚〔2023〕22号"), "2023-08-15", "未公示营业执照案"),
        dated(rec("longgang", "evidence", task="s01-1", id="longgang/evidence-s01", count=5),
              "2023-09-09", "开展信用监管“双随机”抽查 5 家", "共抽查 5 家市场主体。"),
    ]
    recs[3].attachments = ["records/2023/fagui/decision.png"]
    judged = {
        "bangongshi": {"t01": "85.5", "t02": "8"},
        "fagui": {"t01": "60", "t02": "26.3"},  # total 90.5: ties with 办公室
        "jiage": {"t01": "55"},  # t02 pending -> provisional
        "longgang": {"s01-1": "55", "s01-2": "40", "s02-1": "60", "s02-2": "38.5"},
    }
    rs = records(recs, judged=judged)
    rs.assessments["bangongshi"].assessor = "考核领导小组办公室"
    rs.assessments["bangongshi"].date = dt.date(2023, 12, 20)
    return score(rules, rs)


ATTACHMENTS = {"records/2023/fagui/decision.png": b"\x89PNG\r\n\x1a\n fake"}


class Commit:
    """Stands in for gitinfo.Commit."""

    def __init__(self, sha, author, date, subject):
        self.sha, self.short, self.author, self.date, self.subject = sha, sha[:7], author, date, subject


HISTORY = {
    "records/2023/fagui/case-2023-01.md": Commit(
        "0123456789abcdef0123456789abcdef01234567", "王晓明",
        dt.datetime(2023, 6, 21, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        "法规股：补充价格违法案"),
}
SOURCE_DATE = dt.datetime(2024, 1, 5, 10, 0, tzinfo=dt.UTC)
ZERO = F(0)
