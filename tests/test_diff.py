"""qsgen.review.diff on hand-built Results: what changed, why, which records, and how it is shown."""

from __future__ import annotations

from fractions import Fraction as F

from helpers_rules import case, jiguan, judge_all, make_rules, quota, rec, records, station

from qsgen.core.errors import Diagnostic
from qsgen.review import diff
from qsgen.scoring.engine import score

UNITS = [station("longgang", case_quota=quota(3)), station("duanshi", case_quota=quota(3)),
         jiguan("fagui")]
RULES = make_rules(UNITS)
JUDGED = {u.slug: judge_all(u) for u in UNITS}
BASE = [case("longgang", id="longgang/case-a"), case("longgang", id="longgang/case-b"),
        case("duanshi", id="duanshi/case-1"), case("duanshi", id="duanshi/case-2"),
        case("duanshi", id="duanshi/case-3")]


def results(recs, judged=None):
    return score(RULES, records(recs, judged or JUDGED))


def test_fined_case_names_unit_rule_amount_record_and_rank():
    new = case("longgang", fine="12000", id="longgang/case-c", title="某超市销售过期食品案")
    report = diff.compare(results(BASE), results(BASE + [new]), base_label="main", head_label="工作区")
    assert [u.slug for u in report.scored] == ["longgang"]
    u = report.scored[0]
    parts = {p.id: p for p in u.parts}
    assert parts["B6c"].effect == 1 and parts["B6c"].records[0].id == "longgang/case-c"
    assert parts["D10"].effect == F(3, 10)  # the case shortfall is gone
    assert parts["s11-1"].delta == F(100, 3) and parts["s11-1"].effect == F(100, 3) / 15
    assert u.delta == 1 + F(3, 10) + F(100, 45)
    assert (u.old.rank, u.new.rank) == (3, 1)
    text = diff.render_text(report)
    head = text.splitlines()[3]
    assert head.startswith("  longgang所 +3.52（B6c 规则B6c +1.00")
    assert "排名 3 → 1" in head and "基层所内 2 → 1" in head
    assert "某超市销售过期食品案" in text and "records/2023/longgang/case-c.md" in text
    assert "罚没款 12,000 元 ≥ 10,000 元：+1" in text
    # the others only move in rank
    assert {x.slug for x in report.rank_only} == {"duanshi", "fagui"}
    assert "duanshi所 总分不变（100.00），排名 1 → 2" in text


def test_markdown_is_a_table_with_chinese_headings_and_details():
    new = case("longgang", fine="60000", id="longgang/case-c", title="案 | <script>alert(1)</script>")
    md = diff.render_markdown(diff.compare(results(BASE), results(BASE + [new]), base_label="main"))
    assert md.startswith(diff.MARKER)
    assert "| 单位 | 原总分 | 新总分 | 变化 | 排名 | 组内排名 | 原因 |" in md
    row = next(line for line in md.splitlines() if line.startswith("| **longgang所**"))
    assert "**+4.52**" in row and "B6c 规则B6c +2.00" in row and "3 → 1 ↑" in row
    assert "<details><summary>longgang所 +4.52" in md
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "案 \\| &lt;script" in md  # a pipe in a title does not break the table


def test_deduction_shows_as_a_loss():
    absent = rec("fagui", "absence", id="fagui/absence-1", title="未参加全局大会")
    report = diff.compare(results(BASE), results(BASE + [absent]))
    u = report.scored[0]
    assert u.slug == "fagui" and u.delta == -3
    text = diff.render_text(report)
    assert "单位fagui −3.00（D6 规则D6 扣分 0.00 → 3.00）" in text
    assert "未参加全局大会" in text


def test_judged_score_change_and_pending():
    judged = {k: dict(v) for k, v in JUDGED.items()}
    judged["fagui"]["t01"] = 80
    report = diff.compare(results(BASE), results(BASE, judged))
    p = report.scored[0].parts[0]
    assert (p.id, p.delta, p.note) == ("t01", -10, "考核办评分 90 → 80")
    del judged["fagui"]["t01"]
    report = diff.compare(results(BASE), results(BASE, judged))
    u = report.scored[0]
    assert u.new.provisional
    assert "t01 任务 t01 改为待评（计入总分 −90.00）" in diff.render_text(report)
    assert "（暂定）" in diff.render_text(report)


def test_no_change_and_evidence_only_change():
    report = diff.compare(results(BASE), results(BASE))
    assert not report.units
    assert "得分和排名都没有变化" in diff.render_text(report)
    ev = rec("fagui", "evidence", id="fagui/evidence-1", title="培训签到表", task="t01")
    report = diff.compare(results(BASE), results(BASE + [ev]))
    assert not report.scored and [u.slug for u in report.records_only] == ["fagui"]
    assert "新增工作佐证《培训签到表》" in diff.render_text(report)


def test_modified_record_is_detected():
    a = case("longgang", fine="0", id="longgang/case-x", title="甲")
    b = case("longgang", fine="20000", id="longgang/case-x", title="甲", case_no=a.fields["case_no"])
    changes = diff.record_changes(records(BASE + [a]), records(BASE + [b]))
    assert [(c.id, c.status) for c in changes] == [("longgang/case-x", "modified")]
    report = diff.compare(results(BASE + [a]), results(BASE + [b]))
    b6c = next(p for p in report.scored[0].parts if p.id == "B6c")
    assert b6c.records[0].status == "modified"


def test_new_errors_only_those_not_in_base():
    old = Diagnostic("records/2023/x/case-1.md", 3, 1, "罚没款应是数字")
    moved = Diagnostic("records/2023/x/case-1.md", 5, 1, "罚没款应是数字")  # same problem, moved
    new = Diagnostic("records/2023/y/news-1.md", 2, 1, "级别只能是 国家级/省级/市级/县级")
    report = diff.compare(results(BASE), results(BASE), base_diags=[old], head_diags=[moved, new])
    assert report.new_errors == [new] and len(report.head_errors) == 2
    md = diff.render_markdown(report)
    assert "新出现的校验错误（1 处）" in md and "records/2023/y/news-1.md" in md
    report = diff.compare(results(BASE), results(BASE), base_diags=[old], head_diags=[])
    assert report.fixed_errors == 1 and "已改正 1 处" in diff.render_text(report)


def test_base_without_rules_lists_every_unit_as_new():
    report = diff.compare(None, results(BASE), base_failed="找不到规则文件夹 rules/2023/")
    assert len(report.scored) == 3 and all(u.old is None and not u.parts for u in report.scored)
    text = diff.render_text(report)
    assert "无法计算基准版本的得分：找不到规则文件夹 rules/2023/" in text
    assert "longgang所 新增单位，总分 97.48，排名 新 → 3" in text
    md = diff.render_markdown(report)
    assert "| **longgang所**（基层所） | — | 97.48 |" in md and "新增单位 |" in md


def test_headline_keeps_the_biggest_reasons():
    judged = {k: dict(v) for k, v in JUDGED.items()}
    for i in range(1, 8):
        judged["longgang"][f"s0{i}-1"] = 50 + i
    u = diff.compare(results(BASE), results(BASE, judged)).scored[0]
    assert len(u.parts) == 7
    line = diff.headline(u, diff._Fmt(diff.compare(results(BASE), results(BASE))))
    assert line.count("s0") == 4 and "等 7 项" in line and "s01-1" in line and "s07-1" not in line  # 60 → 51 is the biggest


def test_markdown_fits_in_one_comment():
    many = [case("longgang", fine="20000", id=f"longgang/case-m{i}", title=f"批量案件{i}" * 5) for i in range(60)]
    report = diff.compare(results(BASE), results(BASE + many))
    full = diff.render_markdown(report)
    short = diff.render_markdown(report, max_chars=2000)
    assert len(short) < 2500 < len(full)
    assert "| **longgang所**" in short and "超出评论长度" in short


def test_a_measure_that_moves_is_shown_as_one_change():
    extra = [case("longgang", id=f"longgang/case-e{i}") for i in range(3)]  # 5 cases: 2 beyond 3
    more = extra + [case("longgang", fine="0", id="longgang/case-e9")]
    report = diff.compare(results(BASE + extra), results(BASE + more))
    b6c = next(p for p in report.scored[0].parts if p.id == "B6c")
    assert b6c.changed == [("超额完成的一般程序案件 2 件 × 0.3 = 0.6", "超额完成的一般程序案件 3 件 × 0.3 = 0.9")]
    assert not b6c.added and not b6c.removed
    assert "变化：超额完成的一般程序案件 2 件 × 0.3 = 0.6 → 超额完成的一般程序案件 3 件 × 0.3 = 0.9" in \
        diff.render_text(report)
