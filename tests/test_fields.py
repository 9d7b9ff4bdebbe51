"""fields.py: each converter on its own — typed values, Chinese errors quoting the text, hints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from qsgen.core import yamlsafe
from qsgen.core.kinds import KINDS, FieldSpec
from qsgen.records.fields import ABSENT, INVALID, FieldContext, convert, nearest

CASE = KINDS["case"].all_fields
NEWS = KINDS["news"].all_fields
CATS = {"过期食品": "过期食品", "超期食品": "过期食品", "知识产权": "知识产权", "商标": "知识产权"}
PERIOD = (dt.date(2023, 1, 1), dt.date(2023, 12, 31))


def run(name: str, spec: FieldSpec, yaml_value: str):
    node, diags = yamlsafe.load(f"{name}: {yaml_value}\n", "x.md")
    assert not diags
    ctx = FieldContext("x.md", [], CATS, PERIOD)
    value = convert(name, spec, node.value[name], ctx)
    return value, ctx.diagnostics


def ok(name, spec, text):
    value, diags = run(name, spec, text)
    assert diags == [], [d.format_text() for d in diags]
    return value


def bad(name, spec, text):
    value, diags = run(name, spec, text)
    assert value is INVALID and len(diags) == 1, diags
    return diags[0]


@pytest.mark.parametrize("text,expected", [
    ("12000", Decimal("12000")), ("12000.50", Decimal("12000.50")), ("0", Decimal("0")),
    ("'300'", Decimal("300")),
])
def test_decimal_exact(text, expected):
    value = ok("fine", CASE["fine"], text)
    assert value == expected and isinstance(value, Decimal) and str(value) == str(expected)


@pytest.mark.parametrize("text,hint", [("1.2万", "12000"), ("12000元", "12000"), ("1,200", "1200"),
                                       ("3千", "3000"), ("12000元整", "12000")])
def test_decimal_with_units_gets_a_number_hint(text, hint):
    d = bad("fine", CASE["fine"], text)
    assert f"“{text}”" in d.message and d.hint.endswith(f"如 {hint}")
    assert d.line == 1 and d.col == 7


def test_decimal_rejects_exponent_and_float_words():
    for text in ("1e5", "nan", "inf", ".5"):
        bad("fine", CASE["fine"], text)


def test_decimal_negative():
    assert "负数" in bad("fine", CASE["fine"], "-1").message


def test_fraction_hint_for_a_score():
    d = bad("score", FieldSpec("decimal", label="得分"), "27/2")
    assert d.hint.endswith("如 13.5")


@pytest.mark.parametrize("text,value", [("3", 3), ("'7'", 7), ("+2", 2)])
def test_int(text, value):
    assert ok("persons", KINDS["accountability"].fields["persons"], text) == value


@pytest.mark.parametrize("text,fragment", [("2.5", "整数"), ("两人", "整数"), ("0", "不能小于 1")])
def test_int_errors(text, fragment):
    assert fragment in bad("persons", KINDS["accountability"].fields["persons"], text).message


def test_int_with_unit_hint():
    assert bad("persons", KINDS["accountability"].fields["persons"], "3人").hint.endswith("如 3")


@pytest.mark.parametrize("text,value", [("true", True), ("yes", True), ("是", True), ("False", False),
                                        ("no", False), ("否", False)])
def test_bool(text, value):
    assert ok("transferred", CASE["transferred"], text) is value


def test_bool_error():
    assert "true 或 false" in bad("transferred", CASE["transferred"], "可能").message


@pytest.mark.parametrize("text", ["2023-06-02", "'2023-06-02'", '"2023-06-02"'])
def test_date(text):
    assert ok("date", CASE["date"], text) == dt.date(2023, 6, 2)


@pytest.mark.parametrize("text", ["2023/6/2", "2023.6.2", "2023.06.02", "2023-6-2", "2023年6月2日",
                                  "2023年06月02日", "2023 年 6 月 2 日", "２０２３－０６－０２", "2023/6/2　",
                                  "2023年6月2号"])
def test_unambiguous_dates_are_accepted(text):
    assert ok("date", CASE["date"], text) == dt.date(2023, 6, 2)


@pytest.mark.parametrize("text,hint", [("2023/6-2", "2023-06-02"), ("六月", "2023-06-02"),
                                       ("6/2/2023", "2023-06-02"), ("23.6.2", "2023-06-02"),
                                       ("20230602", "2023-06-02")])
def test_ambiguous_dates_are_errors_with_the_format(text, hint):
    d = bad("date", CASE["date"], text)
    assert f"“{text}”" in d.message and hint in d.hint


def test_loose_date_still_checked():
    assert "真实存在" in bad("date", CASE["date"], "2023/2/30").message
    assert "考核期" in bad("date", CASE["date"], "2024年1月1日").message


def test_date_outside_period():
    d = bad("date", CASE["date"], "2024-01-01")
    assert "2024-01-01" in d.message and "2023-12-31" in d.message


@pytest.mark.parametrize("text,value", [("省级", "provincial"), ("provincial", "provincial"),
                                        ("National", "national"), ("县", "county")])
def test_level_enum(text, value):
    assert ok("level", NEWS["level"], text) == value


def test_level_enum_error_lists_choices():
    d = bad("level", NEWS["level"], "乡级")
    assert "“乡级”" in d.message and "国家级" in d.hint and "county" in d.hint


@pytest.mark.parametrize("text,value", [("一般", "general"), ("简易程序", "simple"), ("general", "general")])
def test_procedure_enum(text, value):
    assert ok("procedure", CASE["procedure"], text) == value


def test_case_category_from_rules():
    assert ok("category", CASE["category"], "超期食品") == "过期食品"
    d = bad("category", CASE["category"], "食品")
    assert "过期食品" in d.hint


def test_text_keeps_yaml11_words_and_numbers():
    assert ok("outlet", NEWS["outlet"], "no") == "no"
    assert ok("case_no", CASE["case_no"], "010") == "010"
    assert ok("title", CASE["title"], "12:30") == "12:30"
    assert ok("outlet", NEWS["outlet"], "~") == "~"


def test_text_refuses_a_list():
    assert "一个值" in bad("title", CASE["title"], "[a, b]").message


def test_url_must_be_http():
    assert ok("url", NEWS["url"], "https://example.com/a") == "https://example.com/a"
    assert "网址" in bad("url", NEWS["url"], "javascript:alert(1)").message


def test_empty_required_and_optional():
    value, diags = run("title", CASE["title"], "")
    assert value is INVALID and "没有填写" in diags[0].message
    value, diags = run("url", NEWS["url"], "")
    assert value is ABSENT and diags == []
    value, diags = run("title", CASE["title"], "''")
    assert value is INVALID


def test_adopted_by():
    value = ok("adopted_by", NEWS["adopted_by"], "[{outlet: 新华网, level: 国家级}, {outlet: 山西日报, level: 省}]")
    assert value == [{"outlet": "新华网", "level": "national"}, {"outlet": "山西日报", "level": "provincial"}]


@pytest.mark.parametrize("text,fragment", [
    ("新华网", "列表"), ("[新华网]", "outlet 和 level"), ("[{outlet: 新华网}]", "缺少 level"),
    ("[{outlet: 新华网, level: 国家级, lvl: 1}]", "lvl"), ("[{outlet: 新华网, level: 乡}]", "“乡”"),
])
def test_adopted_by_errors(text, fragment):
    value, diags = run("adopted_by", NEWS["adopted_by"], text)
    assert value is INVALID and any(fragment in d.message for d in diags), diags


def test_nearest():
    assert nearest("categroy", ["category", "case_no"]) == "category"
    assert nearest("LONGGANG", ["longgang", "duanshi"]) == "longgang"
    assert nearest("zzzz", ["longgang"]) is None


def test_nearest_gives_no_guess_on_a_tie():
    from qsgen.core.kinds import LEVEL_ALIASES

    assert nearest("乡级", list(LEVEL_ALIASES), cutoff=0.5) is None  # 省级, 市级, 县级 equally close
    assert nearest("三中队", ["一中队", "二中队"]) is None
    assert nearest("ab", ["ax", "ay"]) is None


def test_nearest_breaks_ties_by_common_prefix_and_is_order_independent():
    # equal ratio, but "longgang" shares the longer prefix with "longgan"
    assert nearest("longgan", ["ongganga", "longgang"], cutoff=0.5) == "longgang"
    assert nearest("longgan", ["longgang", "ongganga"], cutoff=0.5) == "longgang"
    for choices in (["t01", "t02", "t10"], ["t10", "t02", "t01"], {"t01", "t02", "t10"}):
        assert nearest("t011", choices) == "t01"


def test_nearest_requires_a_decent_ratio():
    assert nearest("ab", ["abcdefgh"]) is None
    assert nearest("abcdefg", ["abcdefgh"]) == "abcdefgh"


def test_level_error_has_no_misleading_guess():
    d = bad("level", NEWS["level"], "乡级")
    assert "是不是" not in d.hint and "县级（county）" in d.hint


def test_missing_attachment_suggests_only_a_file_with_the_same_numbers(tmp_path):
    from qsgen.records.fields import nearest_file

    names = ["news-0918-xian.md", "news-0103-xiang.md", "决定书.pdf"]
    assert nearest_file("news-0103-xian.md", ["news-0918-xian.md", "决定书.pdf"]) is None
    assert nearest_file("news-0103-xian.md", names) == "news-0103-xiang.md"
    assert nearest_file("决定书.PDF", names) == "决定书.pdf"
    assert nearest_file("scan1.jpg", ["scan01.jpeg", "scan2.jpeg"]) == "scan01.jpeg"


@pytest.mark.parametrize("text,value", [("1中队", "一中队"), ("１中队", "一中队"), ("一队", "一中队"),
                                        ("第一中队", "一中队"), ("2中队", "二中队"), ("二队", "二中队"),
                                        ("第二中队", "二中队"), ("2", "二中队"), ("二中队", "二中队")])
def test_team_aliases(text, value):
    assert ok("team", CASE["team"], text) == value


def test_team_unknown_lists_choices_without_a_guess():
    d = bad("team", CASE["team"], "三中队")
    assert "是不是" not in d.hint and "一中队" in d.hint and "二中队" in d.hint


# ------------------------------------------------------------ full-width input (Chinese IME)


@pytest.mark.parametrize("text,expected", [("１２０００", "12000"), ("１２０００．５", "12000.5"),
                                           ("12000　", "12000"), ("　12000", "12000"),
                                           ("'　１２０００　'", "12000"), ("－0", "0")])
def test_full_width_money(text, expected):
    value = ok("fine", CASE["fine"], text)
    assert value == Decimal(expected) and str(value) == expected


def test_full_width_errors_quote_what_was_written():
    d = bad("fine", CASE["fine"], "１．２万")
    assert "“１．２万”" in d.message and d.hint.endswith("如 12000")
    d = bad("fine", CASE["fine"], "－５")
    assert "负数" in d.message and "“－５”" in d.message


@pytest.mark.parametrize("text,value", [("３", 3), ("３　", 3), ("＋２", 2)])
def test_full_width_int(text, value):
    assert ok("persons", KINDS["accountability"].fields["persons"], text) == value


def test_full_width_int_error_quotes_the_original():
    d = bad("persons", KINDS["accountability"].fields["persons"], "２．５")
    assert "“２．５”" in d.message


@pytest.mark.parametrize("text", ["ｔｒｕｅ", "ＹＥＳ", "是　"])
def test_full_width_bool(text):
    assert ok("transferred", CASE["transferred"], text) is True


@pytest.mark.parametrize("text", ["省级　", "ｐｒｏｖｉｎｃｉａｌ", "　省"])
def test_full_width_enum(text):
    assert ok("level", NEWS["level"], text) == "provincial"


@pytest.mark.parametrize("text,value", [("96.5%", "96.5"), ("96.5％", "96.5"), ("９６．５％", "96.5"),
                                        ("100 %", "100"), ("96.5", "96.5")])
def test_rate_with_percent_sign(text, value):
    assert ok("rate", KINDS["evidence"].fields["rate"], text) == Decimal(value)


def test_percent_sign_only_for_rates():
    bad("fine", CASE["fine"], "50%")
    assert "不能大于 100" in bad("rate", KINDS["evidence"].fields["rate"], "101%").message
    bad("rate", KINDS["evidence"].fields["rate"], "'%'")


@pytest.mark.parametrize("text,hint", [("12000.505", "如 12000.50"), ("0.001", "如 0.00"),
                                       ("１２０００．５０５", "如 12000.50")])
def test_money_below_one_fen_is_an_error(text, hint):
    d = bad("fine", CASE["fine"], text)
    assert f"“{text}”" in d.message and "小数点后 2 位" in d.message
    assert "分以下不记" in d.hint and d.hint.endswith(hint)


def test_money_trailing_zeros_beyond_fen_are_fine():
    value = ok("fine", CASE["fine"], "12000.500")
    assert value == Decimal("12000.5") and str(value) == "12000.50"
    assert str(ok("fine", CASE["fine"], "12000")) == "12000"


def test_huge_money_with_many_decimals_is_an_error_not_a_crash():
    d = bad("fine", CASE["fine"], "1" * 40 + ".123")
    assert "整数部分有 40 位数字，超出常理" in d.message  # (issue 20: more digits than any real amount)


def test_scores_may_have_more_decimals():
    assert ok("score", FieldSpec("decimal", label="得分"), "9.125") == Decimal("9.125")


def test_a_date_read_before_is_checked_against_each_files_period():
    # (dates are kept by their text once read: the period is still each file's own)
    spec = CASE["date"]
    for text in ("2023-06-02", "2023年6月2日", "2023/6/2", "２０２３-０６-０２", "2023-02-30", "6月2日"):
        node = yamlsafe.load(f"date: {text}\n", "x.md")[0].value["date"]
        answers = []
        for period in (PERIOD, None, (dt.date(2024, 1, 1), dt.date(2024, 12, 31)), PERIOD):
            ctx = FieldContext("x.md", [], CATS, period)
            answers.append((convert("date", spec, node, ctx), [d.message for d in ctx.diagnostics]))
        valid = answers[0][0] is not INVALID
        assert answers[0] == answers[3] and (answers[1][0] is not INVALID) == valid
        assert answers[2][0] is INVALID and len(answers[2][1]) == 1
        if valid:
            assert answers[0] == (dt.date(2023, 6, 2), []) and "不在考核期" in answers[2][1][0]
