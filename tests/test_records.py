"""records.py: every bad-input case of issue 3 gives an error at the right line; good input loads."""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from decimal import Decimal
from fractions import Fraction

import pytest
from fixtures.recordkit import CASE, EVIDENCE, NEWS, case, load, write

from qsgen.records import MAX_BYTES

P = "records/2023/"


def only(diags, path: str | None = None):
    """The single error (of ``path``); fails with the whole list otherwise."""
    errs = [d for d in diags if path is None or d.path == path]
    assert len(errs) == 1, [d.format_text() for d in diags]
    return errs[0]


# ---------------------------------------------------------------- accepted


def test_good_case_loads_typed_and_canonical(tmp_path):
    write(tmp_path, "longgang/case-2023-06-02-1.md", case(fine="12000.50"))
    rs, diags = load(tmp_path)
    assert diags == []
    (r,) = rs.records
    assert r.id == "longgang/case-2023-06-02-1"
    assert r.path == P + "longgang/case-2023-06-02-1.md"
    assert (r.unit, r.kind, r.date) == ("longgang", "case", dt.date(2023, 6, 2))
    assert r.fields == {"case_no": "沁市监罚〔2023〕1号", "category": "过期食品", "procedure": "general",
                        "fine": Decimal("12000.50")}
    assert str(r.fields["fine"]) == "12000.50"
    assert r.lines["fine"] == 8 and r.lines["kind"] == 2
    assert r.body_line == 10 and r.body.startswith("当事人")


def test_bom_crlf_chinese_enums_quoted_date(tmp_path):
    text = NEWS.replace("date: 2023-03-15", "date: '2023-03-15'").replace("\n", "\r\n")
    write(tmp_path, "bangongshi/news-1.md", b"\xef\xbb\xbf" + text.encode("utf-8"))
    text = case().replace("procedure: general", "procedure: 一般").replace("\n", "\r\n")
    write(tmp_path, "longgang/case-1.md", text)
    rs, diags = load(tmp_path)
    assert diags == []
    news, c = sorted(rs.records, key=lambda r: r.kind)[::-1]
    assert news.fields["level"] == "provincial" and news.date == dt.date(2023, 3, 15)
    assert c.fields["procedure"] == "general"
    assert "\r" not in c.body


def test_yaml_11_does_not_change_what_was_written(tmp_path):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("outlet: 山西日报", "outlet: no")
          .replace("title: 我局开展消费维权宣传", "title: 12:30"))
    write(tmp_path, "longgang/case-1.md", case(case_no="010", fine="12000.50"))
    rs, diags = load(tmp_path)
    assert diags == []
    news, c = rs.records
    assert news.fields["outlet"] == "no" and news.title == "12:30"
    assert c.fields["case_no"] == "010" and c.fields["fine"] == Decimal("12000.50")


def test_case_category_alias_adopted_by_attachments_and_enums(tmp_path):
    write(tmp_path, "longgang/files/决定书.pdf", b"%PDF")
    write(tmp_path, "longgang/case-1.md", case(extra="attachments: [files/决定书.pdf]\ntransferred: yes")
          .replace("category: 过期食品", "category: 商标"))
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace(
        "outlet: 山西日报", "outlet: 山西日报\nadopted_by:\n  - {outlet: 新华网, level: 国家级}"))
    write(tmp_path, "fagui/enforcement-error-1.md",
          "---\nkind: enforcement-error\ntitle: 复议撤销\ndate: 2023-07-01\nfound_by: 行政复议\n---\n")
    rs, diags = load(tmp_path)
    assert diags == []
    by_kind = {r.kind: r for r in rs.records}
    assert by_kind["case"].fields["category"] == "知识产权"
    assert by_kind["case"].fields["transferred"] is True
    assert by_kind["case"].attachments == [P + "longgang/files/决定书.pdf"]
    assert by_kind["news"].fields["adopted_by"] == [{"outlet": "新华网", "level": "national"}]
    assert by_kind["enforcement-error"].fields["found_by"] == "review"


def test_records_sorted_by_path_and_zhifadui_team(tmp_path):
    write(tmp_path, "zhifadui/case-b.md", case("A-2", extra="team: 二中队"))
    write(tmp_path, "zhifadui/case-a.md", case("A-1", extra="team: 一中队"))
    write(tmp_path, "bangongshi/evidence-1.md", EVIDENCE.format(task="t03"))
    rs, diags = load(tmp_path)
    assert diags == []
    assert [r.path for r in rs.records] == sorted(r.path for r in rs.records)
    assert rs.records[-1].fields["team"] == "二中队"
    assert rs.records[0].fields["task"] == "t03"


def test_no_records_folder_is_empty_not_an_error(tmp_path):
    rs, diags = load(tmp_path)
    assert rs.records == [] and diags == [] and rs.year == 2023


# ------------------------------------------------------------------- folders and names


def test_unknown_unit_folder_suggests_nearest(tmp_path):
    write(tmp_path, "longang/case-1.md", case())
    rs, diags = load(tmp_path)
    d = only(diags)
    assert d.path == P + "longang" and "longang" in d.message and "longgang" in d.hint
    assert rs.records == []


def test_unit_folder_named_in_chinese(tmp_path):
    write(tmp_path, "龙港所/case-1.md", case())
    d = only(load(tmp_path)[1])
    # the two sentences of the hint are separated (not "拼音代号：longgang单位文件夹有：…")
    assert d.hint.startswith("文件夹要用单位的拼音代号：longgang。单位文件夹有：bangongshi、")


def test_kind_missing(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().replace("kind: case\n", ""))
    d = only(load(tmp_path)[1])
    assert "kind" in d.message and "kind: case" in d.hint


def test_kind_unknown(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().replace("kind: case", "kind: cas"))
    rs, diags = load(tmp_path)
    d = only(diags)
    assert d.line == 2 and "cas" in d.message and "case" in d.hint


def test_kind_not_matching_file_name(tmp_path):
    write(tmp_path, "bangongshi/case-1.md", NEWS)
    d = only(load(tmp_path)[1])
    assert d.line == 2 and "news" in d.message and "case-" in d.message


def test_file_name_without_kind_prefix(tmp_path):
    write(tmp_path, "longgang/anjian-1.md", case())
    d = only(load(tmp_path)[1])
    assert "没有以记录类型开头" in d.message and "case-anjian-1.md" in d.hint


def test_names_differing_only_by_case(tmp_path):
    write(tmp_path, "longgang/case-a.md", case("1"))
    write(tmp_path, "longgang/case-A.md", case("2"))
    rs, diags = load(tmp_path)
    assert {d.path for d in diags} == {P + "longgang/case-a.md", P + "longgang/case-A.md"}
    assert all("大小写" in d.message for d in diags)
    assert rs.records == []


def test_names_differing_only_by_unicode_normalisation(tmp_path):
    nfc = unicodedata.normalize("NFC", "case-é.md")
    nfd = unicodedata.normalize("NFD", "case-é.md")
    write(tmp_path, f"longgang/{nfc}", case("1"))
    write(tmp_path, f"longgang/{nfd}", case("2"))
    if len(os.listdir(tmp_path / "records/2023/longgang")) < 2:
        pytest.skip("this file system normalises names")
    rs, diags = load(tmp_path)
    assert len(diags) == 2 and rs.records == []
    full = unicodedata.normalize("NFKC", "case-ａ.md")  # full-width letter folds to "a"
    assert full == "case-a.md"


def test_names_differing_by_width(tmp_path):
    write(tmp_path, "longgang/case-a.md", case("1"))
    write(tmp_path, "longgang/case-ａ.md", case("2"))
    rs, diags = load(tmp_path)
    assert len(diags) == 2 and rs.records == []


# ------------------------------------------------------------------ fields


def test_missing_required_field_points_at_closing_line(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().replace("procedure: general\n", ""))
    d = only(load(tmp_path)[1])
    assert d.line == 8 and "procedure" in d.message and "procedure: general" in d.hint


def test_empty_required_field(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().replace("title: 查处某超市销售过期食品案", "title:"))
    d = only(load(tmp_path)[1])
    assert d.line == 3 and "没有填写" in d.message


def test_unknown_field_did_you_mean(tmp_path):
    write(tmp_path, "longgang/case-1.md", case(extra="categroy: 广告"))
    d = only(load(tmp_path)[1])
    assert d.line == 8 and "categroy" in d.message and "category" in d.hint


def test_unknown_field_written_in_chinese(tmp_path):
    write(tmp_path, "longgang/case-1.md", case(extra="案号: 1"))
    d = only(load(tmp_path)[1])
    assert "case_no" in d.hint


def test_field_of_another_kind(tmp_path):
    write(tmp_path, "longgang/case-1.md", case(extra="outlet: 山西日报"))
    d = only(load(tmp_path)[1])
    assert "news" in d.hint


@pytest.mark.parametrize("field,value,fragment", [
    ("transferred", "maybe", "true 或 false"),
    ("title", "[a, b]", "只写一个值"),
])
def test_wrong_type(tmp_path, field, value, fragment):
    text = case(extra=f"transferred: {value}") if field == "transferred" else \
        case().replace("title: 查处某超市销售过期食品案", f"title: {value}")
    write(tmp_path, "longgang/case-1.md", text)
    d = only(load(tmp_path)[1])
    assert fragment in d.message + d.hint


def test_wrong_type_int(tmp_path):
    write(tmp_path, "bangongshi/accountability-1.md",
          "---\nkind: accountability\ntitle: 追责\ndate: 2023-02-01\npersons: 两人\n---\n")
    d = only(load(tmp_path)[1])
    assert d.line == 5 and "整数" in d.message and "“两人”" in d.message


def test_int_range(tmp_path):
    write(tmp_path, "bangongshi/misconduct-1.md",
          "---\nkind: misconduct\ntitle: x\ndate: 2023-02-01\npoints: 12\n---\n")
    d = only(load(tmp_path)[1])
    assert "不能大于 10" in d.message


def test_enum_value_not_allowed(tmp_path):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("level: 省级", "level: 乡级"))
    d = only(load(tmp_path)[1])
    assert d.line == 5 and "乡级" in d.message and "省级" in d.hint and "县级" in d.hint


def test_case_category_unknown(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().replace("category: 过期食品", "category: 过期事品"))
    d = only(load(tmp_path)[1])
    assert "过期事品" in d.message and "过期食品" in d.hint


def test_date_not_a_date(tmp_path):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("date: 2023-03-15", "date: 3/15/2023"))
    write(tmp_path, "bangongshi/news-2.md", NEWS.replace("date: 2023-03-15", "date: 2023/3-15"))
    diags = load(tmp_path)[1]
    d = only(diags, P + "bangongshi/news-1.md")
    assert d.line == 4 and "不是日期" in d.message and "2023-06-02" in d.hint
    d = only(diags, P + "bangongshi/news-2.md")
    assert d.line == 4 and "不是日期" in d.message and "2023-03-15" in d.hint


@pytest.mark.parametrize("date", ["2023年3月15日", "2023/3/15", "2023.3.15", "２０２３－０３－１５"])
def test_unambiguous_dates_accepted(tmp_path, date):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("date: 2023-03-15", f"date: {date}"))
    rs, diags = load(tmp_path)
    assert diags == [] and rs.records[0].date == dt.date(2023, 3, 15)


def test_date_impossible(tmp_path):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("date: 2023-03-15", "date: 2023-02-30"))
    assert "真实存在" in only(load(tmp_path)[1]).message


def test_date_outside_period(tmp_path):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("date: 2023-03-15", "date: 2022-12-31"))
    d = only(load(tmp_path)[1])
    assert d.line == 4 and "考核期" in d.message and "2023-01-01" in d.message


def test_unknown_task_suggests_nearest(tmp_path):
    write(tmp_path, "bangongshi/evidence-1.md", EVIDENCE.format(task="t10"))
    write(tmp_path, "longgang/evidence-1.md", EVIDENCE.format(task="s4-3"))
    diags = load(tmp_path)[1]
    d1 = only(diags, P + "bangongshi/evidence-1.md")
    assert d1.line == 5 and "t10" in d1.message and "t01" in d1.hint
    d2 = only(diags, P + "longgang/evidence-1.md")
    assert "s04-3" in d2.hint


@pytest.mark.parametrize("fine,hint", [("1.2万", "12000"), ("12000元", "12000"), ("12,000", "12000"),
                                       ("￥12000.5", "12000.5")])
def test_fine_written_with_units(tmp_path, fine, hint):
    write(tmp_path, "longgang/case-1.md", case(fine=fine))
    d = only(load(tmp_path)[1])
    assert d.line == 8 and f"“{fine}”" in d.message and f"如 {hint}" in d.hint


def test_fine_negative(tmp_path):
    write(tmp_path, "longgang/case-1.md", case(fine="-5"))
    d = only(load(tmp_path)[1])
    assert d.line == 8 and "负数" in d.message


def test_duplicate_case_no_names_both_files(tmp_path):
    write(tmp_path, "longgang/case-1.md", case("沁市监罚〔2023〕7号"))
    write(tmp_path, "duanshi/case-1.md", case(" 沁市监罚〔2023〕7号"))
    rs, diags = load(tmp_path)
    assert len(diags) == 2 and rs.records == []
    a = only(diags, P + "longgang/case-1.md")
    b = only(diags, P + "duanshi/case-1.md")
    assert P + "duanshi/case-1.md" in a.message and P + "longgang/case-1.md" in b.message
    assert a.line == 5


def test_team_required_for_zhifadui(tmp_path):
    write(tmp_path, "zhifadui/case-1.md", case())
    d = only(load(tmp_path)[1])
    assert d.line == 9 and "team" in d.message and "一中队" in d.hint


def test_team_refused_elsewhere(tmp_path):
    write(tmp_path, "longgang/case-1.md", case(extra="team: 一中队"))
    d = only(load(tmp_path)[1])
    assert d.line == 8 and "team" in d.message


def test_team_unknown(tmp_path):
    write(tmp_path, "zhifadui/case-1.md", case(extra="team: 三中队"))
    assert "三中队" in only(load(tmp_path)[1]).message


def test_unit_field_must_match_folder(tmp_path):
    write(tmp_path, "longgang/case-1.md", case(extra="unit: duanshi"))
    d = only(load(tmp_path)[1])
    assert "duanshi" in d.message and "longgang" in d.message


def test_url_must_be_http(tmp_path):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("outlet: 山西日报", "outlet: x\nurl: javascript:alert(1)"))
    assert "网址" in only(load(tmp_path)[1]).message


def test_adopted_by_level_wrong(tmp_path):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace(
        "outlet: 山西日报", "outlet: x\nadopted_by:\n  - outlet: 新华网\n    level: 乡级"))
    d = only(load(tmp_path)[1])
    assert d.line == 9 and "乡级" in d.message


def test_many_problems_reported_in_one_run_sorted(tmp_path):
    write(tmp_path, "longgang/case-1.md", case(fine="1.2万").replace("level", "").replace(
        "date: 2023-06-02", "date: 2021-01-01").replace("procedure: general", "procedure: 快速"))
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("level: 省级", "level: 乡级"))
    rs, diags = load(tmp_path)
    assert len(diags) == 4
    assert diags == sorted(diags)
    assert [d.line for d in diags if d.path.endswith("case-1.md")] == [4, 7, 8]


# ------------------------------------------------------------ YAML problems


def test_same_key_twice(tmp_path):
    write(tmp_path, "longgang/case-1.md", case(extra="fine: 3"))
    d = only(load(tmp_path)[1])
    assert d.line == 9 and "两次" in d.message and "第 8 行" in d.message


def test_full_width_colon(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().replace("procedure: general", "procedure：general"))
    d = only(load(tmp_path)[1])
    assert d.line == 7 and d.col == 10 and "中文冒号" in d.message


def test_full_width_colon_inside_a_value_is_fine(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().replace("title: 查处某超市销售过期食品案", "title: 会议：部署"))
    assert load(tmp_path)[1] == []


def test_tab_indentation(tmp_path):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace(
        "outlet: 山西日报", "outlet: x\nadopted_by:\n\t- {outlet: 新华网, level: 国家级}"))
    d = only(load(tmp_path)[1])
    assert d.line == 8 and "Tab" in d.message


def test_full_width_space_indentation(tmp_path):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("outlet: 山西日报", "\u3000outlet: 山西日报"))
    d = only(load(tmp_path)[1])
    assert d.line == 6 and "全角空格" in d.message


def test_no_space_after_colon(tmp_path):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("outlet: 山西日报", "outlet:山西日报"))
    d = only(load(tmp_path)[1])
    assert d.line == 6 and "空格" in d.message


def test_yaml_tag_refused(tmp_path):
    write(tmp_path, "longgang/case-1.md",
          case().replace("title: 查处某超市销售过期食品案", "title: !!python/object/apply:os.system [echo hi]"))
    d = only(load(tmp_path)[1])
    assert d.line == 3 and "标签" in d.message


def test_anchors_and_aliases_refused(tmp_path):
    write(tmp_path, "longgang/case-1.md",
          case().replace("title: 查处某超市销售过期食品案", "title: &a 标题\ncase_x: *a"))
    d = only(load(tmp_path)[1])
    assert d.line == 3 and "锚点" in d.message


def test_broken_yaml_line_number(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().replace("title: 查处某超市销售过期食品案", 'title: "未闭合'))
    d = only(load(tmp_path)[1])
    assert d.line >= 3 and d.path.endswith("case-1.md")


# ------------------------------------------------------------ file level


def test_not_utf8_gbk(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().encode("gbk"))
    d = only(load(tmp_path)[1])
    assert "GBK" in d.message and "记事本" in d.hint and "WPS" in d.hint and d.line == 3


def test_binary_file(tmp_path):
    write(tmp_path, "longgang/case-1.md", b"PK\x03\x04\x00\x00\xff\xfe\x00")
    assert "不是文本文件" in only(load(tmp_path)[1]).message


def test_no_front_matter(tmp_path):
    write(tmp_path, "longgang/case-1.md", "这是一个案件。\n")
    d = only(load(tmp_path)[1])
    assert d.line == 1 and "字段区" in d.message and "---" in d.hint


def test_front_matter_without_dashes(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().replace("---\n", "", 1))
    assert "---" in only(load(tmp_path)[1]).hint


def test_front_matter_not_closed(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().replace("\n---\n", "\n\n"))
    assert "结束" in only(load(tmp_path)[1]).message


def test_chinese_dash_line(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().replace("---", "———", 1))
    assert "英文减号" in only(load(tmp_path)[1]).message


def test_empty_front_matter(tmp_path):
    write(tmp_path, "longgang/case-1.md", "---\n# nothing\n---\nbody\n")
    assert "空" in only(load(tmp_path)[1]).message


def test_file_over_size_limit(tmp_path):
    write(tmp_path, "longgang/case-1.md", case() + "x" * MAX_BYTES)
    d = only(load(tmp_path)[1])
    assert "1 MB" in d.message


def test_pathological_body_refused_fast(tmp_path):
    write(tmp_path, "longgang/case-1.md", case() + "[" * 5000 + "\n")
    write(tmp_path, "duanshi/case-1.md", case("2") + "> " * 5000 + "x\n")
    rs, diags = load(tmp_path)
    assert len(diags) == 2 and rs.records == []
    assert all("嵌套" in d.message for d in diags)
    assert only(diags, P + "longgang/case-1.md").line == 11


def test_uppercase_extension_and_stray_yaml(tmp_path):
    write(tmp_path, "longgang/case-1.MD", case())
    write(tmp_path, "longgang/assessment.yml", "items: {}\n")
    diags = load(tmp_path)[1]
    assert len(diags) == 2


# ------------------------------------------------------------ attachments


def test_attachment_missing(tmp_path):
    write(tmp_path, "longgang/files/决定书.pdf", b"%PDF")
    write(tmp_path, "longgang/case-1.md", case(extra="attachments:\n  - files/决定书.PDF"))
    d = only(load(tmp_path)[1])
    assert d.line == 9 and "不存在" in d.message and "决定书.pdf" in d.hint


def test_attachment_leaving_records(tmp_path):
    (tmp_path / "secret.txt").write_text("x")
    write(tmp_path, "longgang/case-1.md", case(extra="attachments: [../../../secret.txt]"))
    d = only(load(tmp_path)[1])
    assert "records/" in d.message


@pytest.mark.parametrize("value", ["/etc/passwd", "https://example.com/a.pdf", "files\\a.pdf"])
def test_attachment_bad_forms(tmp_path, value):
    write(tmp_path, "longgang/case-1.md", case(extra=f"attachments: ['{value}']"))
    only(load(tmp_path)[1])


def test_attachment_symlink_pointing_outside(tmp_path):
    (tmp_path / "outside.pdf").write_bytes(b"%PDF")
    target = write(tmp_path, "longgang/inside.pdf", b"%PDF")
    link = tmp_path / "records/2023/longgang/files"
    link.mkdir(parents=True)
    os.symlink(tmp_path / "outside.pdf", link / "a.pdf")
    os.symlink(target, link / "b.pdf")  # a link that stays inside records/ is fine
    write(tmp_path, "longgang/case-1.md", case(extra="attachments: [files/a.pdf, files/b.pdf]"))
    d = only(load(tmp_path)[1])
    assert "链接" in d.message and "files/a.pdf" in d.message


def test_record_file_symlink_refused(tmp_path):
    (tmp_path / "x.md").write_text(case(), encoding="utf-8")
    (tmp_path / "records/2023/longgang").mkdir(parents=True)
    os.symlink(tmp_path / "x.md", tmp_path / "records/2023/longgang/case-1.md")
    assert "符号链接" in only(load(tmp_path)[1]).message


# ------------------------------------------------------------ assessment.yaml


ASSESS = """\
items:
  t01: {score: 9.5, note: 较好}
  t03:
    score: 15
assessor: 考核办
date: 2024-01-10
"""


def test_assessment_loads(tmp_path):
    write(tmp_path, "bangongshi/assessment.yaml", ASSESS)
    write(tmp_path, "longgang/assessment.yaml", "items:\n  s04-4: {score: 14, insurance_full: true}\n")
    rs, diags = load(tmp_path)
    assert diags == []
    a = rs.assessments["bangongshi"]
    assert a.path == P + "bangongshi/assessment.yaml" and a.assessor == "考核办"
    assert a.date == dt.date(2024, 1, 10)
    assert a.items["t01"].score == Fraction(19, 2) and a.items["t01"].note == "较好"
    assert a.items["t03"].line == 3
    j = rs.assessments["longgang"].items["s04-4"]
    assert j.score == 14 and j.flags == {"insurance_full": True}


def test_assessment_unknown_item_suggests_nearest(tmp_path):
    write(tmp_path, "bangongshi/assessment.yaml", ASSESS.replace("t03:", "t3:"))
    d = only(load(tmp_path)[1])
    assert d.line == 3 and "t3" in d.message and "t03" in d.hint


def test_assessment_quota_item_given_a_score(tmp_path):
    write(tmp_path, "zhifadui/assessment.yaml", "items:\n  t01: {score: 8}\n  t06: {score: 40}\n")
    rs, diags = load(tmp_path)
    d = only(diags)
    assert d.line == 3 and "t06" in d.message and "自动计算" in d.message
    assert "t01" in rs.assessments["zhifadui"].items


@pytest.mark.parametrize("score,fragment", [("10.5", "超过"), ("-1", "负数"), ("九分", "数字")])
def test_assessment_score_out_of_range(tmp_path, score, fragment):
    write(tmp_path, "bangongshi/assessment.yaml", f"items:\n  t01: {{score: {score}}}\n")
    d = only(load(tmp_path)[1])
    assert d.line == 2 and fragment in d.message


def test_assessment_unknown_keys(tmp_path):
    write(tmp_path, "bangongshi/assessment.yaml", "itmes:\n  t01: {score: 8}\n")
    write(tmp_path, "longgang/assessment.yaml", "items:\n  s04-4: {score: 8, insurance: true}\n")
    diags = load(tmp_path)[1]
    assert "items" in only(diags, P + "bangongshi/assessment.yaml").hint
    assert "insurance_full" in only(diags, P + "longgang/assessment.yaml").hint


def test_assessment_same_key_twice(tmp_path):
    write(tmp_path, "bangongshi/assessment.yaml", "items:\n  t01: {score: 8}\n  t01: {score: 9}\n")
    d = only(load(tmp_path)[1])
    assert d.line == 3 and "两次" in d.message


def test_case_template_body_unchanged_example_passes(tmp_path):
    write(tmp_path, "longgang/case-1.md", CASE.format(case_no="1", fine="0"))
    assert load(tmp_path)[1] == []


def test_other_problems_still_found_after_a_full_width_colon(tmp_path):
    write(tmp_path, "longgang/case-1.md", case(fine="1.2万").replace("procedure: general", "procedure：general"))
    diags = load(tmp_path)[1]
    assert [(d.line, "冒号" in d.message) for d in diags] == [(7, True), (8, False)]


def test_score_above_max_hints_at_flags(tmp_path):
    write(tmp_path, "longgang/assessment.yaml", "items:\n  s04-4: {score: 20}\n")
    d = only(load(tmp_path)[1])
    assert "满分 15" in d.message and "insurance_full: true" in d.hint


@pytest.mark.parametrize("value", ["[" * 100000 + "]" * 100000, "- " * 100000 + "x"])
def test_deeply_nested_front_matter_is_refused_not_a_crash(tmp_path, value):
    write(tmp_path, "longgang/case-1.md", case().replace("title: 查处某超市销售过期食品案", f"title: {value}"))
    d = only(load(tmp_path)[1])
    assert d.line == 3 and "嵌套" in d.message


def test_record_in_a_sub_folder_is_not_silently_ignored(tmp_path):
    write(tmp_path, "longgang/2023-06/case-1.md", case())
    write(tmp_path, "longgang/files/说明.md", "附件\n")  # an attachment that happens to be Markdown
    d = only(load(tmp_path)[1])
    assert d.path == P + "longgang/2023-06/case-1.md" and "子文件夹" in d.message


def test_records_folder_symlink_refused(tmp_path):
    outside = tmp_path / "outside"
    write(outside, "longgang/case-1.md", case())
    os.symlink(outside / "records", tmp_path / "records")
    rs, diags = load(tmp_path)
    assert rs.records == [] and "符号链接" in only(diags).message


def test_kind_written_as_a_list(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().replace("kind: case", "kind: [case, news]"))
    d = only(load(tmp_path)[1])
    assert d.line == 2 and "kind: case" in d.hint


# ------------------------------------------------------------ never crash

_ALPHABET = "-:：[]{}&*!|>#'\" \t\n\r\u3000kindtleacs_o0123456789.万元省级,，\\/\x85\u2028\ufeff"


def _fuzz_one(data: bytes) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        write(root, "longgang/case-1.md", data)
        write(root, "longgang/assessment.yaml", data)
        rs, diags = load(root)
        assert all(x.line >= 1 and x.col >= 1 and x.message for x in diags)


def test_random_text_never_crashes():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.text(alphabet=_ALPHABET, max_size=200))
    def inner(text):
        _fuzz_one(("---\n" + text + "\n---\nbody\n").encode("utf-8"))
        _fuzz_one(text.encode("utf-8"))

    inner()


def test_random_mutations_of_a_good_record_never_crash():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    base = case(extra="attachments: [a.pdf]\nteam: 一中队").encode("utf-8")

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.integers(0, len(base) - 1), st.binary(min_size=0, max_size=4), st.integers(0, 4))
    def inner(pos, insert, cut):
        _fuzz_one(base[:pos] + insert + base[pos + cut:])

    inner()


def test_missing_category_hint_lists_the_rules_categories(tmp_path):
    write(tmp_path, "longgang/case-1.md", case().replace("category: 过期食品\n", ""))
    d = only(load(tmp_path)[1])
    assert "category: 知识产权" in d.hint and "无照经营" in d.hint


# ------------------------------------------------------------ QA audit: IME input, hints


@pytest.mark.parametrize("team,value", [("1中队", "一中队"), ("２中队", "二中队"), ("第一中队", "一中队"), ("二队", "二中队")])
def test_team_written_the_ime_way_is_accepted(tmp_path, team, value):
    write(tmp_path, "zhifadui/case-1.md", case(extra=f"team: {team}"))
    rs, diags = load(tmp_path)
    assert diags == [] and rs.records[0].fields["team"] == value


def test_level_typo_lists_choices_without_a_wrong_guess(tmp_path):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("level: 省级", "level: 乡级"))
    d = only(load(tmp_path)[1])
    assert "是不是" not in d.hint and "县级" in d.hint


def test_full_width_space_after_the_colon_is_a_space(tmp_path):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("kind: news", "kind:\u3000news")
          .replace("outlet: 山西日报", "outlet:\u3000\u3000山西日报"))
    write(tmp_path, "longgang/case-1.md", case(fine="\u3000１２０００").replace("procedure: general", "procedure：\u3000general"))
    rs, diags = load(tmp_path)
    d = only(diags)  # only the full-width colon, which is still reported
    assert d.path == P + "longgang/case-1.md" and "中文冒号" in d.message
    (news,) = rs.records
    assert news.kind == "news" and news.fields["outlet"] == "山西日报"


def test_full_width_space_after_colon_then_another_error_keeps_its_column(tmp_path):
    write(tmp_path, "longgang/case-1.md", case(fine="1.2万").replace("fine: ", "fine:\u3000"))
    d = only(load(tmp_path)[1])
    assert (d.line, d.col) == (8, 7) and "“1.2万”" in d.message


def test_full_width_numbers_task_and_rate(tmp_path):
    write(tmp_path, "longgang/case-1.md", case(fine="１２０００．５０"))
    write(tmp_path, "bangongshi/evidence-1.md", EVIDENCE.format(task="ｔ０３") + "")
    write(tmp_path, "bangongshi/evidence-2.md", EVIDENCE.format(task="t01").replace(
        "task: t01", "task: t01\nrate: 96.5%\ncount: ５"))
    rs, diags = load(tmp_path)
    assert diags == []
    by_path = {r.path: r for r in rs.records}
    assert by_path[P + "longgang/case-1.md"].fields["fine"] == Decimal("12000.50")
    assert by_path[P + "bangongshi/evidence-1.md"].fields["task"] == "t03"
    e2 = by_path[P + "bangongshi/evidence-2.md"].fields
    assert e2["rate"] == Decimal("96.5") and e2["count"] == 5


def test_money_below_one_fen(tmp_path):
    write(tmp_path, "longgang/case-1.md", case(fine="12000.505"))
    d = only(load(tmp_path)[1])
    assert d.line == 8 and "“12000.505”" in d.message and "分以下不记" in d.hint


def test_full_width_score_and_item_id_in_assessment(tmp_path):
    write(tmp_path, "bangongshi/assessment.yaml", "items:\n  t01: {score: ９．５}\n  ｔ０３: {score: １２}\n")
    rs, diags = load(tmp_path)
    assert diags == []
    items = rs.assessments["bangongshi"].items
    assert items["t01"].score == Fraction(19, 2) and items["t03"].score == 12


def test_same_item_written_in_both_widths(tmp_path):
    write(tmp_path, "bangongshi/assessment.yaml", "items:\n  t01: {score: 8}\n  ｔ０１: {score: 9}\n")
    d = only(load(tmp_path)[1])
    assert d.line == 3 and "两次" in d.message and "第 2 行" in d.message


def test_assessment_score_too_high_in_full_width_quotes_the_original(tmp_path):
    write(tmp_path, "bangongshi/assessment.yaml", "items:\n  t01: {score: １８}\n")
    d = only(load(tmp_path)[1])
    assert "１８" in d.message and "满分" in d.message


def test_double_bom_is_one_bom(tmp_path):
    bom = b"\xef\xbb\xbf"
    write(tmp_path, "bangongshi/news-1.md", bom + bom + NEWS.encode("utf-8"))
    write(tmp_path, "bangongshi/assessment.yaml", bom + bom + b"items:\n  t01: {score: 8}\n")
    rs, diags = load(tmp_path)
    assert diags == [] and len(rs.records) == 1 and "t01" in rs.assessments["bangongshi"].items


def test_upper_case_kind_next_to_the_lower_case_file(tmp_path):
    write(tmp_path, "bangongshi/news-t7.md", NEWS)
    write(tmp_path, "bangongshi/News-T7.md", NEWS)
    diags = load(tmp_path)[1]
    texts = [d.message + d.hint for d in diags]
    assert not any("news-News" in t for t in texts), texts
    mine = [d for d in diags if d.path == P + "bangongshi/News-T7.md" and "记录类型" in d.message]
    assert len(mine) == 1 and "改名为 news-T7.md" in mine[0].hint and "news-t7.md" in mine[0].hint
    assert "news-T7-2.md" in mine[0].hint


def test_upper_case_kind_alone_gets_the_plain_rename(tmp_path):
    write(tmp_path, "bangongshi/News-T7.md", NEWS)
    d = only(load(tmp_path)[1])
    assert "小写" in d.message and d.hint == "请改名为 news-T7.md"


def test_misspelt_kind_in_file_name_is_replaced_not_prefixed(tmp_path):
    write(tmp_path, "longgang/cas-1.md", case())
    d = only(load(tmp_path)[1])
    assert "case-1.md" in d.hint and "case-cas" not in d.hint


def test_missing_attachment_no_unrelated_suggestion(tmp_path):
    write(tmp_path, "duanshi/news-0918-xian.md", NEWS)
    write(tmp_path, "longgang/news-1.md", NEWS.replace(
        "outlet: 山西日报", "outlet: x\nattachments: [../duanshi/news-0103-xian.md]"))
    diags = load(tmp_path)[1]
    d = only(diags, P + "longgang/news-1.md")
    assert "不存在" in d.message and "0918" not in d.hint


def test_full_width_space_after_colon_in_a_flow_mapping_and_full_width_kind(tmp_path):
    write(tmp_path, "bangongshi/assessment.yaml", "items:\n  t01:\u3000{score:\u30009.5, note:\u3000好}\n")
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("kind: news", "kind: ｎｅｗｓ"))
    rs, diags = load(tmp_path)
    assert diags == []
    j = rs.assessments["bangongshi"].items["t01"]
    assert j.score == Fraction(19, 2) and j.note == "好"
    assert rs.records[0].kind == "news"


def test_full_width_space_inside_a_value_is_kept(tmp_path):
    write(tmp_path, "bangongshi/news-1.md", NEWS.replace("title: 我局开展消费维权宣传", "title: 会议 note:\u3000x"))
    rs, diags = load(tmp_path)
    assert diags == []


def test_a_link_to_a_missing_record_is_a_warning_at_its_line(tmp_path):
    write(tmp_path, "longgang/case-2023-06-02-1.md", case())
    write(tmp_path, "longgang/case-2023-06-02-2.md", case(case_no="沁市监罚〔2023〕2号") + "\n另见[同一天的案件](case-2023-06-02-1.md)。\n"
          "还有[已改名的那条](case-2023-06-03-1.md#正文)，[网上的](https://example.org/a.md)。\n"
          "[引用]: ../duanshi/evidence-t01-9.md\n")
    rs, diags = load(tmp_path)
    assert len(rs.records) == 2
    assert all(d.severity == "warning" for d in diags), [d.format_text() for d in diags]
    assert [(d.path, d.message.split("”")[0]) for d in diags] == [
        (P + "longgang/case-2023-06-02-2.md", "正文里链接的记录“case-2023-06-03-1.md"),
        (P + "longgang/case-2023-06-02-2.md", "正文里链接的记录“../duanshi/evidence-t01-9.md")]
    text = (tmp_path / "records/2023/longgang/case-2023-06-02-2.md").read_text("utf-8").split("\n")
    assert "case-2023-06-03-1.md" in text[diags[0].line - 1]
    assert "evidence-t01-9.md" in text[diags[1].line - 1]


def test_a_record_with_errors_still_gets_its_dead_link_warnings(tmp_path):
    """Every problem of a run at once: the warning does not wait until the errors are fixed."""
    write(tmp_path, "longgang/case-2023-06-02-1.md", case(fine="1.2万") + "\n另见[已删除的案件](case-2023-01-01-9.md)。\n")
    rs, diags = load(tmp_path)
    assert rs.records == []
    assert [(d.severity, d.message.split("”")[0]) for d in diags] == [
        ("error", "fine（罚没款（元））应为数字，这里写的是“1.2万"),
        ("warning", "正文里链接的记录“case-2023-01-01-9.md")]


def test_points_may_have_a_fraction_but_stay_in_range(tmp_path):
    write(tmp_path, "bangongshi/misconduct-1.md",
          "---\nkind: misconduct\ntitle: x\ndate: 2023-02-01\npoints: 7.5\n---\n")
    write(tmp_path, "bangongshi/misconduct-2.md",
          "---\nkind: misconduct\ntitle: y\ndate: 2023-02-02\npoints: 7.125\n---\n")
    write(tmp_path, "bangongshi/discretionary-1.md",
          "---\nkind: discretionary\ntitle: z\ndate: 2023-02-03\npoints: ２．５\nmeeting: 2023年第5次\n---\n")
    rs, diags = load(tmp_path)
    d = only(diags)
    assert d.path.endswith("misconduct-2.md") and d.line == 5
    assert "小数点后 2 位" in d.message and "金额" not in d.hint and "7.12" in d.hint
    assert {r.fields["points"] for r in rs.records} == {Decimal("7.5"), Decimal("2.5")}
